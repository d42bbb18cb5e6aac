#!/bin/bash
# Cleanup after every kind of exit: no mount in the host's table, no
# per-run dir, no process. After kill -9 of runroot the next run or
# `runroot gc` removes what was left; kill -9 during an unpack leaves
# nothing a later run trusts.
. "$(dirname "$0")/lib.sh"

# Sleep lengths double as markers unique to this test run (other runs of
# this suite may share the machine).
S1=$((300000 + $$ % 100000)) S2=$((S1 + 1)) S3=$((S1 + 2)) S4=$((S1 + 3))
no_procs() {
        if pgrep -f "^rrhelper sleep $1" >/dev/null; then
                pgrep -af "^rrhelper sleep $1" >&2
                fail "$2: container processes left"
        fi
}
wait_started() {
        for _ in $(seq 100); do
                # "^": runroot's own command line names the helper too
                pgrep -f "^rrhelper sleep $1" >/dev/null && return 0
                sleep 0.05
        done
        fail "container did not start"
}

# Normal exit and a killed command.
expect_rc 0 rr "$IMG" true
expect_rc 137 rr "$IMG" rrhelper kill-self 9
check_no_leftovers

# SIGTERM and SIGINT to runroot: forwarded, then everything goes.
for sig in TERM INT HUP; do
        "$RUNROOT" "$IMG" sh -c "rrhelper sleep $S1 & rrhelper sleep $S1" &
        pid=$!
        CLEANUP_PIDS=$pid
        wait_started $S1
        kill -$sig $pid
        wait $pid
        rc=$?
        [ $rc -ge 129 ] || fail "SIG$sig: exit $rc"
        sleep 0.2
        no_procs $S1 "SIG$sig"
        check_no_leftovers
done

# A signal that reaches runroot while the container is still being set up
# is not lost (a pid namespace's init drops an unhandled SIGTERM it
# unblocks): runroot still ends, and nothing is left.
for delay in 0 0.01 0.05; do
        "$RUNROOT" "$IMG" sh -c "rrhelper sleep $S1 & rrhelper sleep $S1" &
        pid=$!
        CLEANUP_PIDS=$pid
        sleep $delay
        kill -TERM $pid
        for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
        kill -0 $pid 2>/dev/null && fail "SIGTERM after ${delay}s: runroot still running after 5 s"
        wait $pid
        sleep 0.2
        no_procs $S1 "early SIGTERM"
        check_no_leftovers
done

# kill -9 of runroot: the container dies with it (the pid namespace's
# init has a parent-death signal); the run dir stays until gc.
"$RUNROOT" --name keepme "$IMG" sh -c "rrhelper sleep $S2 & rrhelper sleep $S2" &
pid=$!
CLEANUP_PIDS=$pid
wait_started $S2
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.5
no_procs $S2 "kill -9"
grep -q "$T" /proc/self/mountinfo && fail "kill -9: mounts left in the host's table"
# Runs make nothing on disk (their tmpfs lives in their own mount
# namespace); gc must still succeed and leave the cache consistent.
"$RUNROOT" gc || fail "runroot gc"
check_no_leftovers
# gc --cache-dir DIR, as --help writes it: the option after "gc" names
# the cache gc works on (it sets up a store there), both spellings.
GCDIR=$T/gc # under $T: lib.sh's EXIT trap removes it, even after a failure
"$RUNROOT" gc --cache-dir "$GCDIR/a" || fail "runroot gc --cache-dir DIR"
[ -d "$GCDIR/a/blobs" ] || fail "gc --cache-dir DIR: not used"
"$RUNROOT" gc --cache-dir="$GCDIR/b" || fail "runroot gc --cache-dir=DIR"
[ -d "$GCDIR/b/blobs" ] || fail "gc --cache-dir=DIR: not used"
rc=0
"$RUNROOT" gc --bogus 2>"$T/gc.err" || rc=$?
[ $rc = 125 ] || fail "gc --bogus: exit $rc, expected 125"
printf 'runroot: gc: unexpected argument "--bogus"\n' | cmp - "$T/gc.err" || fail "gc --bogus: message"
# The name is free again.
expect_rc 0 rr --name keepme "$IMG" true

# ... and the next run removes it too.
"$RUNROOT" "$IMG" rrhelper sleep $S3 &
pid=$!
wait_started $S3
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.3
expect_rc 0 rr "$IMG" true
check_no_leftovers

# gc leaves a live run alone.
"$RUNROOT" --name live "$IMG" sh -c "echo x >/f; rrhelper sleep $S4" &
pid=$!
CLEANUP_PIDS=$pid
wait_started $S4
"$RUNROOT" gc || fail "gc during a run"
pgrep -f "rrhelper sleep $S4" >/dev/null || fail "gc killed a live run"
[ -e "$MKROOT_CACHE/names/live/upper/f" ] || fail "gc removed a live run's layer"
kill -TERM $pid
wait $pid

# A staging dir of a dead unpacker is removed by gc; a live one is not.
mkdir -p "$MKROOT_CACHE/tmp/99999-deadbeef/etc"
"$RUNROOT" gc || fail "gc"
[ ! -e "$MKROOT_CACHE/tmp/99999-deadbeef" ] || fail "gc left a dead staging dir"

# kill -9 during an unpack.
head -c 40000000 /dev/urandom >"$IMG_DIR/big"
sum=$(md5sum <"$IMG_DIR/big")
tar -C "$IMG_DIR" -czf "$T/big.tar.gz" .
"$RUNROOT" "$T/big.tar.gz" true &
pid=$!
for _ in $(seq 100); do [ -n "$(ls -A "$MKROOT_CACHE/tmp")" ] && break; sleep 0.02; done
kill -9 $pid
wait $pid 2>/dev/null
[ -z "$(ls -A "$MKROOT_CACHE/index")" ] || [ "$(ls "$MKROOT_CACHE/index" | wc -l)" = 1 ] ||
        fail "the killed unpack published an index entry"
out=$(rr "$T/big.tar.gz" sh -c 'md5sum </big') || fail "run after a killed unpack"
[ "$out" = "$sum" ] || fail "run after a killed unpack saw partial content"
[ -z "$(ls -A "$MKROOT_CACHE/tmp")" ] || fail "staging of the killed unpack left"
check_no_leftovers
echo PASS
