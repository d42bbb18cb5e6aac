#!/bin/bash
# mkroot build keeps a manifest's config: with Cmd: and no -o it writes an
# OCI archive whose config has the Cmd (and runroot runs it); -o naming a
# rootfs tarball writes one and says on stderr what it left out. The
# archive's "created" is SOURCE_DATE_EPOCH, else the newest input's mtime
# (never 1970), and two builds are byte-identical.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
cd "$T"
make_base base.tar.gz
touch -d @1600000000 base.tar.gz
printf '#!/bin/sh\necho hello from cmd\n' >hi.sh
chmod 755 hi.sh
touch -d @1700000000 hi.sh
cat >app.manifest <<'M'
Base: base.tar.gz
Copy: hi.sh /hi
Env: GREETING=yes
Cmd: ["/hi"]
M
touch -d @1650000000 app.manifest
# created() OCI: the config's "created" and its Cmd (JSON), one per line.
created() {
        python3 - "$1" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
blob = lambda d: json.load(t.extractfile("blobs/sha256/" + d.split(":")[1]))
m = blob(json.load(t.extractfile("index.json"))["manifests"][0]["digest"])
c = blob(m["config"]["digest"])
print(c["created"])
print(json.dumps(c["config"].get("Cmd")))
PY
}

# No -o: an OCI archive, image.oci.tar, with the Cmd; runroot runs it.
"$MKROOT" build app.manifest 2>err || fail "build: $(cat err)"
[ -f image.oci.tar ] || fail "no image.oci.tar: $(ls)"
[ ! -e image.tar.gz ] || fail "a rootfs was written too"
grep -q 'warning' err && fail "a warning with no rootfs written: $(cat err)"
# Listed to a file: grep -q leaving early would SIGPIPE tar, and pipefail
# would take that for a failure.
tar -tf image.oci.tar >members
grep -qx 'oci-layout' members || fail "image.oci.tar is no OCI layout"
got=$(created image.oci.tar)
[ "$got" = $'2023-11-14T22:13:20Z\n["/hi"]' ] || fail "created/Cmd: $got"
out=$("$RUNROOT" image.oci.tar 2>err) || fail "runroot: $(cat err)"
[ "$out" = "hello from cmd" ] || fail "runroot ran: $out"

# Byte-identical rebuilds (from the cache and without it); the name is
# the same, as the archive's ref.name comes from it.
mv image.oci.tar first.oci.tar
"$MKROOT" build -q app.manifest
cmp first.oci.tar image.oci.tar || fail "rebuild differs"
"$MKROOT" build -q --no-cache app.manifest
cmp first.oci.tar image.oci.tar || fail "rebuild (--no-cache) differs"

# SOURCE_DATE_EPOCH wins.
SOURCE_DATE_EPOCH=1234567890 "$MKROOT" build -q app.manifest -o sde.oci.tar
got=$(created sde.oci.tar)
[ "${got%%$'\n'*}" = "2009-02-13T23:31:30Z" ] || fail "SOURCE_DATE_EPOCH: $got"

# A rootfs tarball named by -o: written, with one line saying what it drops.
"$MKROOT" build app.manifest -o app.tar.gz 2>err || fail "build -o app.tar.gz: $(cat err)"
tar -tzf app.tar.gz >/dev/null || fail "app.tar.gz is no tarball"
grep -Fqx "mkroot: warning: app.tar.gz is a rootfs tarball: it leaves out the manifest's Cmd, Env (--format oci keeps them)" err ||
        fail "no warning line: $(cat err)"
# Explicitly --format rootfs: the same line.
"$MKROOT" build app.manifest --format rootfs -o r.tar 2>err
grep -Fqx "mkroot: warning: r.tar is a rootfs tarball: it leaves out the manifest's Cmd, Env (--format oci keeps them)" err ||
        fail "--format rootfs: $(cat err)"

# A manifest without config keeps the rootfs default, silently.
printf 'Base: base.tar.gz\nCopy: hi.sh /hi\n' >plain.manifest
"$MKROOT" build plain.manifest 2>err || fail "plain: $(cat err)"
[ -f image.tar.gz ] || fail "plain: no image.tar.gz"
grep -q warning err && fail "plain: $(cat err)"

# Never 1970: a build that reads no file but the manifest is dated by it.
printf 'Base: scratch\nCmd: ["/x"]\n' >empty.manifest
touch -d @1500000000 empty.manifest
"$MKROOT" build -q empty.manifest -o empty.oci.tar
got=$(created empty.oci.tar)
[ "$got" = $'2017-07-14T02:40:00Z\n["/x"]' ] || fail "scratch: $got"
# The examples run as their comments say, in their order: busybox, then
# host-tools on what it wrote (the commands are taken from the comments).
if [ -x /bin/busybox ] && [ -x /usr/bin/jq ] && [ -x /usr/bin/strace ]; then
        cp -r "$SRCDIR/manifests/examples" ex
        for m in busybox host-tools; do
                sed -n 's/^#   \(mkroot build .*\|runroot [^ ]*\)$/\1/p' "ex/$m.manifest" >"$m.cmds"
                [ "$(wc -l <"$m.cmds")" = 2 ] || fail "$m: commands: $(cat "$m.cmds")"
                while read -r prog args; do
                        P=$MKROOT
                        [ "$prog" = runroot ] && P=$RUNROOT
                        # shellcheck disable=SC2086
                        (cd ex && "$P" $args) >"$m.out" 2>"$m.err" ||
                                fail "$m: $prog $args: $(cat "$m.err")"
                done <"$m.cmds"
        done
        grep -q '^hello from .* in /srv, [0-9]* applets$' busybox.out || fail "busybox: $(cat busybox.out)"
        grep -q '^jq-' host-tools.out || fail "host-tools: $(cat host-tools.out)"
fi
echo OK
