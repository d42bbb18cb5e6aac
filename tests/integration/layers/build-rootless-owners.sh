#!/bin/bash
# mkroot build without root (issue 13's follow-up): the build is root of a
# user namespace of its own, so its layers carry the owners that namespace
# shows, as podman's rootless builds do: what the user's processes made is
# 0/0, a Run: step's chown to 1000 is 1000/1000 (the user's subordinate
# ids mapped back), a base's file of 1234's that a step changes stays
# 1234's, a host file an Add: step takes is root's. The rootfs
# tarball lists the same, and root's build of the manifest lists the same
# entries, owners and modes. (It wrote the user's host uid and the host
# subordinate ids before.)
. "$(dirname "$0")/lib.sh"
for p in useradd usermod newuidmap newgidmap; do
        command -v "$p" >/dev/null || skip "$p not installed (packages passwd, uidmap)"
done
cd "$T"
echo base >owned-by-1234
chown 1234:1234 owned-by-1234
"$MKROOT" -q -o base.tar.gz /bin/sh /bin/touch /bin/chown /bin/mkdir /bin/echo \
        "$T/owned-by-1234:/base-owned"
cat >app.manifest <<'EOT'
Base: base.tar.gz

Add: /bin/true

Run: touch /made && echo x >/owned && chown 1000:1000 /owned && mkdir /dir && chown 1000:1000 /dir && echo more >>/base-owned
EOT
mkroot_user mkbo
# A subordinate range: useradd's (login.defs), else one past every range.
if ! grep -q "^$U:" /etc/subuid || ! grep -q "^$U:" /etc/subgid; then
        start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' \
                /etc/subuid /etc/subgid)
        usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" \
                "$U" || fail "usermod --add-subuids"
fi
cp base.tar.gz app.manifest "$H/"
chown "$U:" "$H/base.tar.gz" "$H/app.manifest"
# The user's cache holds the steps built outside a namespace (as rootless
# builds before this one stored them, with the host's ids): not reused.
MKROOT_CACHE=$T/outside "$MKROOT" build -q app.manifest -o outside.tar 2>err ||
        fail "mkroot build as root: $(cat err)"
cp -a "$T/outside" "$H/cache"
chown -R "$U:" "$H/cache"
as_mkroot_user 'export SOURCE_DATE_EPOCH=1700000000
./mkroot build app.manifest -o app.oci.tar && ./mkroot build -q app.manifest -o app.tar'
[ "$RC" = 0 ] || fail "rootless mkroot build: exit $RC: $(cat "$T/err")"
grep -qx 'mkroot: built 2 steps, reused 0' "$T/err" ||
        fail "rootless build: steps stored outside its namespace reused: $(cat "$T/err")"

# Each layer's entries as "LAYER UID/GID NAME", in the manifest's order.
python3 - "$H/app.oci.tar" >layers <<'PY'
import io, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    blob = lambda d: t.extractfile("blobs/sha256/" + d.split(":", 1)[1]).read()
    index = json.loads(t.extractfile("index.json").read())
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    for n, layer in enumerate(manifest["layers"]):
        with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as lt:
            for m in lt.getmembers():
                print(n, "%d/%d" % (m.uid, m.gid), m.name)
PY
[ "$(wc -l <layers)" -gt 3 ] || fail "the OCI archive's layers: $(cat layers)"
for want in "2 0/0 made" "2 1000/1000 owned" "2 1000/1000 dir" "2 1234/1234 base-owned" \
        "1 0/0 usr/bin/true" "0 1234/1234 base-owned"; do
        grep -qx "$want" layers || fail "rootless layers: no \"$want\" in: $(grep -v '^0 ' layers)"
done
bad=$(awk '$2 != "0/0" && $2 != "1000/1000" && $3 != "base-owned"' layers)
[ -z "$bad" ] || fail "rootless layers: owners of neither root nor the chown: $bad"

# The rootfs tarball, and root's build of the same manifest.
tar -tvf "$H/app.tar" --numeric-owner | awk '{ print $1, $2, $6 }' | sort >user.list
grep -qx -- '-rw-r--r-- 1000/1000 owned' user.list || fail "rootfs tarball: $(grep owned user.list)"
grep -qx -- '-rw-r--r-- 0/0 made' user.list || fail "rootfs tarball: $(grep made user.list)"
SOURCE_DATE_EPOCH=1700000000 "$MKROOT" build -q app.manifest -o root.tar 2>err ||
        fail "mkroot build as root: $(cat err)"
tar -tvf root.tar --numeric-owner | awk '{ print $1, $2, $6 }' | sort >root.list
diff -u root.list user.list >diff || fail "root's and the user's images differ: $(cat diff)"
echo "ok: rootless build: $(wc -l <user.list) entries with root's owners"
