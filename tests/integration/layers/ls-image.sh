#!/bin/bash
# mkroot ls of an OCI or docker archive lists the image's files (its
# layers flattened, whiteouts applied) like tar -tvf, exactly as it lists
# the rootfs tarball built from the same manifest; never the raw blobs.
. "$(dirname "$0")/lib.sh"
cd "$T"
make_base base.tar.gz
printf 'one\n' >one
printf 'two\n' >two
cat >m.manifest <<'M'
Base: base.tar.gz

Copy: one /srv/one

Copy: two /srv/two

Remove: /srv/one /bin/ls
M
"$MKROOT" build -q m.manifest --format rootfs -o flat.tar
"$MKROOT" build -q m.manifest --format oci -o m.oci.tar
"$MKROOT" build -q m.manifest --format docker -o m.docker.tar
"$MKROOT" ls flat.tar >flat.ls || fail "ls flat.tar"
grep -q ' srv/two$' flat.ls || fail "flat.tar: $(cat flat.ls)"
for f in m.oci.tar m.docker.tar; do
        "$MKROOT" ls "$f" >"$f.ls" 2>err || fail "ls $f: $(cat err)"
        [ ! -s err ] || fail "ls $f: stderr: $(cat err)"
        grep -q 'blobs/\|manifest.json\|\.wh\.' "$f.ls" && fail "$f: raw archive members: $(cat "$f.ls")"
        diff flat.ls "$f.ls" >/dev/null || fail "$f: listing differs: $(diff flat.ls "$f.ls")"
done
grep -q ' srv/one$\| bin/ls$' m.oci.tar.ls && fail "removed files listed"
# The scratch tree is gone afterwards.
[ -z "$(ls -A "$MKROOT_CACHE/tmp" 2>/dev/null)" ] || fail "scratch left: $(ls "$MKROOT_CACHE/tmp")"
# A rootfs tarball is listed as it is (the members as stored).
"$MKROOT" ls base.tar.gz >base.ls || fail "ls base.tar.gz"
grep -q ' usr/bin/sh\( -> .*\)\?$' base.ls || fail "base.tar.gz: $(cat base.ls)"
echo OK
