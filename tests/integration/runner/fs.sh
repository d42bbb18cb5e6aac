#!/bin/bash
# The file system: a run's writes change neither the cached layer nor the
# next run; --name keeps them; bind mounts ro and rw; --tmpfs; --read-only;
# /dev and /proc as expected; nothing left mounted on the host.
. "$(dirname "$0")/lib.sh"

expect_rc 0 rr "$IMG" true
layer=$(ls -d "$MKROOT_CACHE"/layers/rootfs/sha256/*)
[ "$(echo "$layer" | wc -l)" = 1 ] || fail "expected one layer: $layer"
before=$(cd "$layer" && find . -printf '%p %m %s %T@\n' | sort | md5sum)

expect_rc 0 rr "$IMG" sh -c 'echo changed >/etc/marker; echo new >/etc/new; rm /bin/true; mkdir /newdir'
[ "$(cat "$layer/etc/marker")" = image ] || fail "the cached layer was modified"
[ ! -e "$layer/etc/new" ] || fail "a run wrote into the cached layer"
after=$(cd "$layer" && find . -printf '%p %m %s %T@\n' | sort | md5sum)
[ "$before" = "$after" ] || fail "the cached layer changed"
out=$(rr "$IMG" cat /etc/marker)
[ "$out" = image ] || fail "the next run saw the previous run's write: $out"
expect_rc 1 rr "$IMG" rrhelper cat /etc/new 2>/dev/null
expect_rc 0 rr "$IMG" true

# --name keeps the writable layer for the next run with that name only.
expect_rc 0 rr --name keep1 "$IMG" sh -c 'echo kept >/etc/state'
out=$(rr --name keep1 "$IMG" cat /etc/state)
[ "$out" = kept ] || fail "--name: not persisted: $out"
expect_rc 1 rr --name other "$IMG" rrhelper cat /etc/state 2>/dev/null
expect_rc 1 rr "$IMG" rrhelper cat /etc/state 2>/dev/null
[ ! -e "$layer/etc/state" ] || fail "--name wrote into the cached layer"
# ... and belongs to its image.
expect_rc 125 rr --name keep1 "$IMG_DIR" true 2>/dev/null

# Bind mounts.
mkdir -p "$T/share"
echo from-host >"$T/share/f"
out=$(rr -v "$T/share:/mnt/share:ro" "$IMG" cat /mnt/share/f)
[ "$out" = from-host ] || fail "ro bind: $out"
expect_rc 1 rr -v "$T/share:/mnt/share:ro" "$IMG" rrhelper write /mnt/share/g x 2>/dev/null
[ ! -e "$T/share/g" ] || fail "ro bind was writable"
expect_rc 0 rr --bind "$T/share:/data" "$IMG" rrhelper write /data/g rw
[ "$(cat "$T/share/g")" = rw ] || fail "rw bind: write did not reach the host"
out=$(rr -v "$T/share/f:/etc/bound" "$IMG" cat /etc/bound)
[ "$out" = from-host ] || fail "file bind: $out"

# --tmpfs.
out=$(rr --tmpfs /scratch "$IMG" sh -c 'touch /scratch/x && grep " /scratch " /proc/mounts')
case "$out" in *tmpfs*) ;; *) fail "--tmpfs: $out" ;; esac
# the access-time options (containerd's /run has strictatime)
rr --tmpfs /a:noatime --tmpfs /b:strictatime,nodiratime "$IMG" sh -c \
        'grep " /a " /proc/mounts; grep " /b " /proc/mounts' >"$T/atime" 2>&1 ||
        fail "--tmpfs with access-time options: $(cat "$T/atime")"
grep -q '^tmpfs /a tmpfs rw,.*,noatime,' "$T/atime" && grep -q '^tmpfs /b tmpfs rw,.*,nodiratime,' "$T/atime" &&
        ! grep -q '^tmpfs /b .*relatime' "$T/atime" || fail "--tmpfs noatime, strictatime: $(cat "$T/atime")"

# --read-only: no writable layer, but mounts still work.
expect_rc 1 rr --read-only "$IMG" rrhelper write /etc/x y 2>/dev/null
out=$(rr --read-only -v "$T/share:/data" --tmpfs /scratch "$IMG" sh -c 'cat /data/f; touch /scratch/ok && echo ok')
[ "$out" = "from-host
ok" ] || fail "--read-only with mounts: $out"

# A plain directory as the image.
out=$(rr "$IMG_DIR" cat /etc/marker)
[ "$out" = image ] || fail "directory image: $out"
expect_rc 0 rr "$IMG_DIR" sh -c 'echo x >/etc/marker'
[ "$(cat "$IMG_DIR/etc/marker")" = image ] || fail "a run modified the directory image"

# /dev, /proc, /sys.
out=$(rr "$IMG" sh -c 'ls /dev | tr "\n" " "')
for n in null zero full random urandom tty ptmx pts shm fd stdin stdout stderr; do
        case " $out " in *" $n "*) ;; *) fail "/dev/$n missing: $out" ;; esac
done
expect_rc 0 rr "$IMG" sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c | grep -q 4'
expect_rc 0 rr "$IMG" sh -c 'grep -q "^proc /proc proc" /proc/mounts && grep " /sys " /proc/mounts | grep -q "ro,"'
expect_rc 1 rr "$IMG" rrhelper write /sys/kernel/x y 2>/dev/null
expect_rc 0 rr "$IMG" sh -c 'grep " /dev/pts " /proc/mounts | grep -q devpts'

check_no_leftovers
echo PASS
