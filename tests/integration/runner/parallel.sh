#!/bin/bash
# Parallel runs of one new image unpack it once (flock), and all succeed.
. "$(dirname "$0")/lib.sh"

head -c 30000000 /dev/urandom >"$IMG_DIR/big"
sum=$(md5sum <"$IMG_DIR/big")
tar -C "$IMG_DIR" -czf "$T/big.tar.gz" .
pids=""
for i in 1 2 3 4 5 6; do
        "$RUNROOT" --verbose "$T/big.tar.gz" sh -c "md5sum </big" >"$T/out.$i" 2>"$T/err.$i" &
        pids="$pids $!"
done
CLEANUP_PIDS=$pids
for p in $pids; do
        wait "$p" || fail "a parallel run failed: $(cat "$T"/err.*)"
done
n=$(cat "$T"/err.* | grep -c unpacking)
[ "$n" = 1 ] || fail "unpacked $n times"
for i in 1 2 3 4 5 6; do
        [ "$(cat "$T/out.$i")" = "$sum" ] || fail "run $i saw different content"
done
[ "$(ls "$MKROOT_CACHE/layers/rootfs/sha256" | wc -l)" = 1 ] || fail "more than one layer"
[ "$(ls "$MKROOT_CACHE/index" | wc -l)" = 1 ] || fail "more than one index entry"

# Many parallel warm runs: each its own upper layer.
pids=""
for i in $(seq 8); do
        "$RUNROOT" "$T/big.tar.gz" sh -c "echo $i >/etc/marker; sleep 0.3; cat /etc/marker" >"$T/w.$i" &
        pids="$pids $!"
done
CLEANUP_PIDS=$pids
for p in $pids; do wait "$p" || fail "a parallel warm run failed"; done
for i in $(seq 8); do [ "$(cat "$T/w.$i")" = "$i" ] || fail "runs shared a writable layer"; done
check_no_leftovers
echo PASS
