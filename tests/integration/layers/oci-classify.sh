#!/bin/bash
# runroot and mkroot classify an image file the same way (oci/open.c):
# - a plain rootfs .tar that repeats a member (tar -rf) runs and builds as
#   a Base: (the last copy wins, as with tar -x); a docker-save archive
#   whose JSON names a repeated member is refused by both;
# - a compressed rootfs Base: is streamed, never decompressed into $TMPDIR
#   (it builds, and inspects, with TMPDIR on a 1 MiB tmpfs); a gzip'd
#   docker save is a docker image for both programs;
# - a rootfs Base: keeps its ".wh.*" files, as runroot shows them;
# - hostile JSON strings reach runroot's error escaped, on one line.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
[ "$(id -u)" = 0 ] || skip "runroot tests run as root"
cd "$T"
make_base base.tar.gz
gzip -dc base.tar.gz >base.tar

# ---- 1: a repeated member in a plain tar ------------------------------------
cp base.tar dup.tar
mkdir -p d1/etc d2/etc
echo first >d1/etc/passwd
echo second >d2/etc/passwd
tar -rf dup.tar -C d1 etc/passwd
tar -rf dup.tar -C d2 etc/passwd
[ "$(tar -tf dup.tar | grep -c "etc/passwd$")" -ge 2 ] || fail "dup.tar does not repeat etc/passwd"
out=$("$RUNROOT" dup.tar /bin/cat /etc/passwd 2>err) || fail "runroot dup.tar: $(cat err)"
[ "$out" = second ] || fail "runroot dup.tar: /etc/passwd is '$out', not the last copy"
printf 'Base: dup.tar\n\nRun: cat /etc/passwd >/seen\n' >dup.manifest
"$MKROOT" build dup.manifest -o dup-out.tar.gz 2>err || fail "mkroot build Base: dup.tar: $(cat err)"
[ "$(tar -xOzf dup-out.tar.gz ./seen 2>/dev/null || tar -xOzf dup-out.tar.gz seen)" = second ] ||
        fail "mkroot build Base: dup.tar did not see the last copy"

# A docker save whose layer member is repeated: refused by both.
printf 'Base: base.tar.gz\n\nCmd: ["/bin/echo", "hi"]\n' >app.manifest
"$MKROOT" build app.manifest --format docker -o app.docker.tar 2>/dev/null || fail "build docker"
python3 - app.docker.tar <<'PY'
import io, json, sys, tarfile
p = sys.argv[1]
with tarfile.open(p) as t:
    layer = json.load(t.extractfile("manifest.json"))[0]["Layers"][0]
with tarfile.open(p, "a") as t:
    data = b"not the layer\n"
    ti = tarfile.TarInfo(layer)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
PY
set +e; "$RUNROOT" app.docker.tar >out 2>err; rc=$?; set -e
[ "$rc" = 125 ] || fail "runroot on a repeated layer member: exit $rc: $(cat err)"
grep -q 'appears twice' err || fail "runroot on a repeated layer member: $(cat err)"
set +e; "$MKROOT" inspect app.docker.tar >out 2>err; rc=$?; set -e
[ "$rc" != 0 ] && grep -q 'appears twice' err || fail "mkroot inspect on a repeated layer member: $(cat err)"

# ---- 2: a compressed rootfs Base: with a small TMPDIR; gzip'd docker save ----
mkdir -p big/opt
head -c $((4 << 20)) /dev/zero >big/opt/zeros
cp base.tar big.tar
tar -rf big.tar -C big opt/zeros
gzip -c big.tar >big.tar.gz
[ "$(stat -c %s big.tar)" -gt $((2 << 20)) ] || fail "big.tar is not bigger than the tmpfs"
mkdir small
mount -t tmpfs -o size=1m tmpfs small
CLEANUP_HOOKS+=("umount '$T/small'")
printf 'Base: big.tar.gz\n\nRun: ls -l /opt/zeros >/seen\n' >big.manifest
TMPDIR=$T/small "$MKROOT" build big.manifest -o big-out.tar.gz 2>err ||
        fail "mkroot build Base: big.tar.gz with TMPDIR on 1 MiB: $(cat err)"
TMPDIR=$T/small "$MKROOT" inspect big.tar.gz >out 2>err ||
        fail "mkroot inspect big.tar.gz with TMPDIR on 1 MiB: $(cat err)"
grep -q '^big.tar.gz: rootfs image, 1 layer' out || fail "inspect big.tar.gz: $(cat out)"
"$MKROOT" build app.manifest --format docker -o good.docker.tar 2>/dev/null || fail "build docker"
gzip -c good.docker.tar >good.docker.tar.gz
"$MKROOT" inspect good.docker.tar.gz >out 2>err || fail "inspect good.docker.tar.gz: $(cat err)"
grep -q '^good.docker.tar.gz: docker image' out || fail "mkroot inspect good.docker.tar.gz: $(cat out)"
out=$("$RUNROOT" good.docker.tar.gz 2>err) || fail "runroot good.docker.tar.gz: $(cat err)"
[ "$out" = hi ] || fail "runroot good.docker.tar.gz ran '$out', not the image's Cmd"
zstd -q -c good.docker.tar >good.docker.tar.zst 2>/dev/null && {
        out=$("$RUNROOT" good.docker.tar.zst 2>err) || fail "runroot good.docker.tar.zst: $(cat err)"
        [ "$out" = hi ] || fail "runroot good.docker.tar.zst ran '$out'"
}

# ---- 3: a rootfs Base: keeps its .wh. files ---------------------------------
mkdir -p wh/etc
echo kept >wh/etc/x
echo marker >wh/etc/.wh.x
cp base.tar wh.tar
tar -rf wh.tar -C wh etc/x etc/.wh.x
out=$("$RUNROOT" wh.tar /bin/ls -a /etc 2>err) || fail "runroot wh.tar: $(cat err)"
echo "$out" | grep -qx x && echo "$out" | grep -qx .wh.x || fail "runroot wh.tar shows: $out"
printf 'Base: wh.tar\n' >wh.manifest
for f in rootfs oci; do
        "$MKROOT" build wh.manifest --format $f -o wh-out-$f.tar 2>err || fail "build Base: wh.tar: $(cat err)"
done
names wh-out-rootfs.tar >n
grep -qx 'etc/x' n && grep -qx 'etc/.wh.x' n || fail "Base: wh.tar lost etc/x or etc/.wh.x: $(grep etc/ n)"
out=$("$RUNROOT" wh-out-oci.tar /bin/ls -a /etc 2>err) || fail "runroot wh-out-oci.tar: $(cat err)"
echo "$out" | grep -qx x || fail "the OCI image built on wh.tar lost /etc/x: $out"

# ---- 4: escapes in JSON strings -----------------------------------------------
python3 - esc.docker.tar <<'PY'
import hashlib, io, json, sys, tarfile
cfg = json.dumps({"rootfs": {"type": "layers", "diff_ids": []}}).encode()
man = json.dumps([{"Config": "c.json", "Layers": ["x\n\x1b[31mred"]}]).encode()
with tarfile.open(sys.argv[1], "w") as t:
    for n, d in (("c.json", cfg), ("manifest.json", man)):
        ti = tarfile.TarInfo(n)
        ti.size = len(d)
        t.addfile(ti, io.BytesIO(d))
PY
for img in esc.docker.tar; do
        set +e; "$RUNROOT" $img >out 2>err; rc=$?; set -e
        [ "$rc" = 125 ] || fail "runroot $img: exit $rc"
        [ "$(wc -l <err)" = 1 ] || fail "runroot $img: not one line: $(od -c err | head)"
        ! grep -q $'\x1b' err || fail "runroot $img: a raw escape byte in: $(od -c err | head)"
        grep -qF 'x\n\x1b[31mred' err || fail "runroot $img: bytes not escaped: $(cat err)"
done
echo ok
