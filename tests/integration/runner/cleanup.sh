#!/bin/bash
# Cleanup after every kind of exit: no mount in the host's table, no
# per-run dir, no process. After kill -9 of runroot the next run or
# `runroot gc` removes what was left; kill -9 during an unpack leaves
# nothing a later run trusts.
. "$(dirname "$0")/lib.sh"

no_procs() {
        if pgrep -f "rrhelper sleep $1" >/dev/null; then
                pgrep -af "rrhelper sleep $1" >&2
                fail "$2: container processes left"
        fi
}
wait_started() {
        for _ in $(seq 100); do
                pgrep -f "rrhelper sleep $1" >/dev/null && return 0
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
        "$RUNROOT" "$IMG" sh -c 'rrhelper sleep 301 & rrhelper sleep 301' &
        pid=$!
        CLEANUP_PIDS=$pid
        wait_started 301
        kill -$sig $pid
        wait $pid
        rc=$?
        [ $rc -ge 129 ] || fail "SIG$sig: exit $rc"
        sleep 0.2
        no_procs 301 "SIG$sig"
        check_no_leftovers
done

# kill -9 of runroot: the container dies with it (the pid namespace's
# init has a parent-death signal); the run dir stays until gc.
"$RUNROOT" --name keepme "$IMG" sh -c 'rrhelper sleep 302 & rrhelper sleep 302' &
pid=$!
CLEANUP_PIDS=$pid
wait_started 302
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.5
no_procs 302 "kill -9"
grep -q "$T" /proc/self/mountinfo && fail "kill -9: mounts left in the host's table"
[ -n "$(ls -A "$MKROOT_CACHE/runs")" ] || fail "expected a run dir left after kill -9"
"$RUNROOT" gc || fail "runroot gc"
[ -z "$(ls -A "$MKROOT_CACHE/runs")" ] || fail "gc left: $(ls -A "$MKROOT_CACHE/runs")"
# The name is free again.
expect_rc 0 rr --name keepme "$IMG" true

# ... and the next run removes it too.
"$RUNROOT" "$IMG" rrhelper sleep 303 &
pid=$!
wait_started 303
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.3
expect_rc 0 rr "$IMG" true
check_no_leftovers

# gc leaves a live run alone.
"$RUNROOT" "$IMG" rrhelper sleep 304 &
pid=$!
CLEANUP_PIDS=$pid
wait_started 304
"$RUNROOT" gc
[ -n "$(ls -A "$MKROOT_CACHE/runs")" ] || fail "gc removed a live run's dir"
kill -TERM $pid
wait $pid

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
