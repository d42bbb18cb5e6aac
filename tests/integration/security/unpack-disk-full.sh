#!/bin/bash
# unpack-disk-full: a full disk during the first unpack must fail the run
# (exit 125, a message naming the problem) and publish nothing: no layer,
# no index entry, no staging dir left. Before, libarchive's ARCHIVE_WARN
# from the failed data write was taken for success, so a truncated layer
# was published and every later run reused it. A second run after making
# room unpacks fully. The cache is a small tmpfs mounted by the test. The
# same for runroot of a docker-save archive (layer unpack), for mkroot
# build with a Base: that does not fit, and for a rootless runroot.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
: "${MKROOT:?MKROOT not set}"

SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=8m,mode=0755 tmpfs "$SMALL" || skip "cannot mount a tmpfs"
U=
done_cleanup() {
        [ -n "$U" ] && userdel "$U" 2>/dev/null
        umount "$SMALL" 2>/dev/null
        cleanup
}
trap done_cleanup EXIT

# Nothing of an unpack in the cache: no tree under layers/ (whatever its
# layout), no index entry, no staging dir.
nothing_published() {
        local what=$1 cache=$2 t
        t=$(find "$cache/layers" -mindepth 1 -type d -regextype egrep -regex '.*/[0-9a-f]{64}' \
                2>/dev/null)
        [ -z "$t" ] && pass "$what: no layer published" || fail "$what: published: $t"
        t=$(ls -A "$cache/index" 2>/dev/null)
        [ -z "$t" ] && pass "$what: no index entry" || fail "$what: index entry: $t"
        t=$(ls -A "$cache/tmp" 2>/dev/null | grep -v '\.lock$')
        [ -z "$t" ] && pass "$what: staging discarded" || fail "$what: staging left: $t"
}

# The image: busybox and 12 MiB that do not compress, more than the cache
# holds.
head -c $((12 << 20)) /dev/urandom >"$T/img/big"
want=$(sha256sum <"$T/img/big" | cut -d' ' -f1)
tar -C "$T/img" -cf "$T/big.tar" .

# ---- runroot, rootfs tarball ------------------------------------------------
CACHE=$SMALL/cache
out=$("$RUNROOT" --cache-dir "$CACHE" "$T/big.tar" /bin/true 2>&1)
rc=$?
[ $rc = 125 ] && pass "rootfs: exit 125 on a full disk" || fail "rootfs: exit $rc, expected 125: $out"
case $out in
*"No space left on device"*"big"* | *"big"*"No space left on device"*)
        pass "rootfs: message names the entry and the cause: $out" ;;
*) fail "rootfs: message: $out" ;;
esac
nothing_published rootfs "$CACHE"
out=$("$RUNROOT" --cache-dir "$CACHE" "$T/big.tar" /bin/true 2>&1)
rc=$?
[ $rc = 125 ] && pass "rootfs: still 125 on the second try (no truncated layer reused)" ||
        fail "rootfs: second try on a full disk: exit $rc: $out"

mount -o remount,size=64m "$SMALL" || fail "remount"
got=$("$RUNROOT" --cache-dir "$CACHE" "$T/big.tar" /bin/busybox sha256sum /big 2>&1)
[ "${got%% *}" = "$want" ] && pass "rootfs: unpacked whole once there is room" ||
        fail "rootfs: after making room: $got"
rm -rf "$CACHE"
mount -o remount,size=8m "$SMALL" || fail "remount"

# ---- runroot, docker-save archive: the layer (5 MiB) and its copy in the
# staging area do not both fit. ------------------------------------------------
python3 - "$T/img" "$T/docker.tar" <<'PY' || fail "making the docker archive"
import hashlib, io, json, os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
lb = io.BytesIO()
with tarfile.open(fileobj=lb, mode="w") as lt:
    for name in ("bin", "bin/busybox", "bin/sh", "bin/true"):
        lt.add(os.path.join(src, name), name, recursive=False)
    data = os.urandom(5 << 20)
    ti = tarfile.TarInfo("layerbig"); ti.size = len(data); ti.mode = 0o644
    lt.addfile(ti, io.BytesIO(data))
layer = lb.getvalue()
diff = "sha256:" + hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
cname = hashlib.sha256(cfg).hexdigest() + ".json"
man = json.dumps([{"Config": cname, "RepoTags": ["big:1"], "Layers": ["l/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for name, data in ((cname, cfg), ("l/layer.tar", layer), ("manifest.json", man)):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
PY
out=$("$RUNROOT" --cache-dir "$CACHE" "$T/docker.tar" /bin/true 2>&1)
rc=$?
[ $rc = 125 ] && pass "docker: exit 125 on a full disk" || fail "docker: exit $rc, expected 125: $out"
case $out in
*"No space left on device"*) pass "docker: message: $out" ;;
*) fail "docker: message: $out" ;;
esac
nothing_published docker "$CACHE"
mount -o remount,size=64m "$SMALL" || fail "remount"
out=$("$RUNROOT" --cache-dir "$CACHE" "$T/docker.tar" /bin/busybox stat -c %s /layerbig 2>&1)
[ "$out" = $((5 << 20)) ] && pass "docker: unpacked whole once there is room" ||
        fail "docker: after making room: $out"
rm -rf "$CACHE"
mount -o remount,size=8m "$SMALL" || fail "remount"

# ---- mkroot build: a Base: whose tree does not fit (zeros: the base's
# blob is small, its unpacked tree is not). -----------------------------------
mkdir -p "$T/base/bin"
cp "$T/img/bin/busybox" "$T/base/bin/busybox"
head -c $((12 << 20)) /dev/zero >"$T/base/zeros"
tar -C "$T/base" -czf "$T/base.tar.gz" .
echo hello >"$T/hello.txt"
printf 'Base: base.tar.gz\n\nCopy: hello.txt /hello.txt\n' >"$T/app.manifest"
MCACHE=$SMALL/mcache
out=$(cd "$T" && "$MKROOT" build --cache-dir "$MCACHE" app.manifest -o "$T/app.tar.gz" 2>&1)
rc=$?
[ $rc != 0 ] && pass "mkroot build: fails on a full disk (exit $rc)" ||
        fail "mkroot build: exit 0 on a full disk: $out"
case $out in
*"No space left on device"*) pass "mkroot build: message: $out" ;;
*) fail "mkroot build: message: $out" ;;
esac
[ ! -e "$T/app.tar.gz" ] && pass "mkroot build: no image written" || fail "mkroot build: image written"
# steps/ holds the base's record (its layer list, complete before any
# unpack) and one record per built step: none of the latter.
t=$(ls -A "$MCACHE/steps" 2>/dev/null | grep -v '^base-')
[ -z "$t" ] && pass "mkroot build: no step published" || fail "mkroot build: step published: $t"
t=$(ls -A "$MCACHE/tmp" 2>/dev/null | grep -v '\.lock$')
[ -z "$t" ] && pass "mkroot build: staging discarded" || fail "mkroot build: staging left: $t"
mount -o remount,size=64m "$SMALL" || fail "remount"
out=$(cd "$T" && "$MKROOT" build --cache-dir "$MCACHE" app.manifest -o "$T/app.tar.gz" 2>&1) ||
        fail "mkroot build after making room: $out"
got=$(tar -xzOf "$T/app.tar.gz" --wildcards '*zeros' | sha256sum | cut -d' ' -f1)
zsum=$(sha256sum <"$T/base/zeros" | cut -d' ' -f1)
[ "$got" = "$zsum" ] && pass "mkroot build: the base unpacked whole once there is room" ||
        fail "mkroot build: zeros in the image: $got, want $zsum"
rm -rf "$MCACHE"
mount -o remount,size=8m "$SMALL" || fail "remount"

# ---- rootless runroot: the same, as an unprivileged user -------------------
# When rootless runs cannot work here at all, the test is counted as
# skipped (with the reason), never as a pass.
ROOTLESS_SKIP=
rootless() {
        command -v useradd >/dev/null || { ROOTLESS_SKIP="needs useradd"; return 0; }
        [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] || {
                ROOTLESS_SKIP="unprivileged user namespaces are disabled"
                return 0
        }
        U=rrdf$$
        useradd -M -d "$T/home" -s /bin/bash "$U" || { U=; fail "useradd"; return 0; }
        chmod 755 "$T"
        mkdir -p "$T/home" "$T/rbin" "$SMALL/ucache"
        chown "$U:" "$T/home" "$SMALL/ucache"
        chmod 700 "$SMALL/ucache"
        cp "$RUNROOT" "$T/rbin/runroot"
        chmod 755 "$T/rbin" "$T/rbin/runroot"
        chmod 644 "$T/big.tar"
        as_user() { su -s /bin/bash "$U" -c "cd $T/home && HOME=$T/home PATH=/usr/bin:/bin $*"; }
        # Whether rootless runs work here at all, with room to spare.
        mount -o remount,size=64m "$SMALL" || fail "remount"
        out=$(as_user "$T/rbin/runroot --cache-dir $SMALL/ucache $IMAGE /bin/true" 2>&1)
        rc=$?
        rm -rf "${SMALL:?}/ucache/"* 2>/dev/null
        mount -o remount,size=8m "$SMALL" || fail "remount"
        if [ $rc != 0 ]; then
                ROOTLESS_SKIP="rootless runroot does not run here: $out"
                return 0
        fi
        out=$(as_user "$T/rbin/runroot --cache-dir $SMALL/ucache $T/big.tar /bin/true" 2>&1)
        rc=$?
        [ $rc = 125 ] && pass "rootless: exit 125 on a full disk" ||
                fail "rootless: exit $rc, expected 125: $out"
        case $out in
        *"No space left on device"*) pass "rootless: message: $out" ;;
        *) fail "rootless: message: $out" ;;
        esac
        nothing_published rootless "$SMALL/ucache"
        mount -o remount,size=64m "$SMALL" || fail "remount"
        got=$(as_user "$T/rbin/runroot --cache-dir $SMALL/ucache $T/big.tar /bin/busybox sha256sum /big" 2>&1)
        [ "${got%% *}" = "$want" ] && pass "rootless: unpacked whole once there is room" ||
                fail "rootless: after making room: $got"
}
rootless
if [ -n "$ROOTLESS_SKIP" ] && [ "$FAILED" = 0 ]; then
        check_no_cgroup_left
        [ "$FAILED" = 0 ] && skip "rootless: $ROOTLESS_SKIP (the root cases passed)"
fi
finish
