#!/bin/bash
# mkroot ls of an OCI or docker archive run by a user without root shows
# the owners the image records, as root's listing does: the layers are
# flattened into a scratch tree where every file is the user's, and the
# listing used to show that (the user's uid on every entry). A directory
# no layer lists is root's, as when root flattens the image.
. "$(dirname "$0")/lib.sh"
cd "$T"
echo base >base-owned
chown 1234:2345 base-owned
"$MKROOT" -q -o base.tar.gz /bin/sh /bin/ls "$T/base-owned:/base-owned"
mkdir -p tree/sub
echo copied >tree/sub/file
ln -s file tree/sub/link
chown -R 4321:5432 tree
chown -h 4321:5432 tree/sub/link
cat >m.manifest <<'M'
Base: base.tar.gz

Copy: tree /srv/tree

Remove: /bin/ls
M
"$MKROOT" build -q m.manifest --format rootfs -o flat.tar
"$MKROOT" build -q m.manifest --format oci -o m.oci.tar
"$MKROOT" build -q m.manifest --format docker -o m.docker.tar
# A layer with a file whose parent directories it does not list.
craft_docker implicit.docker.tar "a/b/c=x"
"$MKROOT" ls flat.tar >flat.ls || fail "ls flat.tar"
for want in ' 1234/2345 .* base-owned$' ' 4321/5432 .* srv/tree/sub/file$' \
        ' 4321/5432 .* srv/tree/sub/link -> file$' ' 4321/5432 .* srv/tree/sub/$'; do
        grep -q "$want" flat.ls || fail "root's listing of flat.tar: no '$want' in: $(cat flat.ls)"
done
for f in m.oci.tar m.docker.tar implicit.docker.tar; do
        "$MKROOT" ls "$f" >"$f.root.ls" 2>err || fail "ls $f as root: $(cat err)"
done
diff flat.ls m.oci.tar.root.ls >/dev/null || fail "root's listings differ: $(diff flat.ls m.oci.tar.root.ls)"
grep -q '^drwxr-xr-x 0/0 .* a/b/$' implicit.docker.tar.root.ls ||
        fail "root's listing of a/b: $(cat implicit.docker.tar.root.ls)"

mkroot_user mklso
cp m.oci.tar m.docker.tar implicit.docker.tar "$H/"
chown "$U:" "$H"/*.tar
as_mkroot_user 'for f in m.oci.tar m.docker.tar implicit.docker.tar; do
        ./mkroot ls "$f" >"$f.ls" || exit 1
done'
[ "$RC" = 0 ] || fail "mkroot ls as $U: exit $RC: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "mkroot ls as $U: stderr: $(cat "$T/err")"
uid=$(id -u "$U")
for f in m.oci.tar m.docker.tar implicit.docker.tar; do
        diff -u "$f.root.ls" "$H/$f.ls" >d || fail "$f: $U's listing is not root's: $(cat d)"
done
grep -q " $uid/" "$H/m.oci.tar.ls" && fail "the user's own uid listed: $(grep " $uid/" "$H/m.oci.tar.ls")"
echo "ok: $U lists $(wc -l <"$H/m.oci.tar.ls") entries with the image's owners"
