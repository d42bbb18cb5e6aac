#!/bin/bash
# Rootless: the same runs as an unprivileged user the test creates (and
# removes): a user namespace with the caller as root inside, subordinate
# ids through newuidmap when /etc/subuid has a range, overlay inside the
# user namespace, device nodes skipped with a warning.
. "$(dirname "$0")/lib.sh"
rootless_user rrt
chmod 644 "$IMG"

# as_user CMD: run a shell command as the test user with its own cache.
as_user() {
        su -s /bin/bash "$U" -c "cd $T/home && HOME=$T/home MKROOT_CACHE=$T/home/cache PATH=/usr/bin:/bin $*"
}

out=$(as_user "$BIN/runroot $IMG sh -c 'id -u; cat /proc/self/uid_map | head -1'") || fail "rootless run: $out"
uid=$(id -u "$U")
first=$(echo "$out" | head -1)
map=$(echo "$out" | sed -n 2p | awk '{print $1, $2, $3}')
[ "$first" = 0 ] || fail "not root inside: $out"
[ "$map" = "0 $uid 1" ] || fail "uid map: $map"
as_user "$BIN/runroot $IMG sh -c 'exit 3'"
[ $? = 3 ] || fail "rootless exit status"
out=$(as_user "$BIN/runroot $IMG rrhelper pid1")
[ "$out" = "2 1" ] || fail "rootless pid1: $out"
out=$(as_user "$BIN/runroot $IMG rrhelper ls /sys/class/net")
[ "$out" = lo ] || fail "rootless net: $out"
out=$(as_user "$BIN/runroot $IMG sh -c 'echo w >/etc/marker; cat /etc/marker'" 2>&1)
[ "$out" = w ] || fail "rootless write (overlay or its fallback): $out"
out=$(as_user "$BIN/runroot $IMG cat /etc/marker")
[ "$out" = image ] || fail "rootless: the write leaked into the next run: $out"
as_user "$BIN/runroot --name n1 $IMG sh -c 'echo kept >/kept'" || fail "rootless --name"
out=$(as_user "$BIN/runroot --name n1 $IMG cat /kept")
[ "$out" = kept ] || fail "rootless --name persistence: $out"
# ps and rm in the caller's own cache; rm removes what the container made,
# unreadable directories and overlay's work dir included.
as_user "$BIN/runroot --name n1 $IMG sh -c 'mkdir -p /d/e && chmod 000 /d/e /d'" || fail "rootless --name: chmod"
out=$(as_user "$BIN/runroot ps -a --format json") || fail "rootless ps -a: $out"
[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["Names"])' "$out")" = n1 ] ||
        fail "rootless ps -a: $out"
out=$(as_user "$BIN/runroot rm n1" 2>&1) || fail "rootless rm: $out"
[ ! -e "$T/home/cache/names/n1" ] || fail "rootless rm: the layer is still there"
if grep -q "^$U:" /etc/subuid && command -v newuidmap >/dev/null; then
        out=$(as_user "$BIN/runroot -u user $IMG id -u") || fail "rootless -u user: $out"
        [ "$out" = 1000 ] || fail "rootless -u user: $out"
fi
# Where the kernel refuses overlay in a user namespace: a private copy,
# announced once.
err=$(as_user "RUNROOT_TEST_NO_OVERLAY=1 $BIN/runroot $IMG sh -c 'echo c >/etc/marker; cat /etc/marker'" 2>&1)
case "$err" in *"private copy"*c) ;; *) fail "copy fallback: $err" ;; esac
err=$(as_user "RUNROOT_TEST_NO_OVERLAY=1 $BIN/runroot $IMG cat /etc/marker" 2>&1)
[ "$err" = image ] || fail "copy fallback, second run (said twice or leaked): $err"

# The host's root-only files stay closed to the container's root.
expect_rc 1 as_user "$BIN/runroot -v /etc:/hostetc:ro $IMG rrhelper cat /hostetc/shadow >/dev/null 2>&1"

# Device nodes in an image: never made, and --verbose says so.
python3 - "$T/dev.tar" "$IMG" <<'PY'
import sys, tarfile
out, img = sys.argv[1], sys.argv[2]
with tarfile.open(img) as src, tarfile.open(out, "w") as dst:
    for m in src.getmembers():
        dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    ti = tarfile.TarInfo("dev/evilnull"); ti.type = tarfile.CHRTYPE; ti.devmajor, ti.devminor = 1, 3
    dst.addfile(ti)
    ti = tarfile.TarInfo("dev/sda"); ti.type = tarfile.BLKTYPE; ti.devmajor, ti.devminor = 8, 0
    dst.addfile(ti)
PY
chmod 644 "$T/dev.tar"
err=$(as_user "$BIN/runroot --verbose $T/dev.tar true" 2>&1) || fail "device image: $err"
case "$err" in *"2 device node(s) not unpacked"*) ;; *) fail "skipped devices not reported: $err" ;; esac
[ -z "$(find "$T/home/cache/layers" -type c -o -type b)" ] || fail "device nodes made"

# Nothing left: no process, no run dir, no mount.
[ -z "$(ls -A "$T/home/cache/runs")" ] || fail "rootless: run dirs left"
grep -q "$T" /proc/self/mountinfo && fail "rootless: mounts left"
pgrep -u "$U" >/dev/null && fail "rootless: processes left"
echo PASS
