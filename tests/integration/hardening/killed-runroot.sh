#!/bin/bash
# kill -9 of runroot with limits: the container dies with it (and the
# cgroup, which nothing could remove then, is there and empty); the next
# run removes it once it is old enough that no live run can own it.
. "$(dirname "$0")/lib.sh" "$1"

"$RUNROOT" --cache-dir "$T/cache" --pids 64 --memory 80M "$IMAGE" /bin/sec-helper sleep 300 &
pid=$!
BG_PIDS+=($pid)
for _ in $(seq 100); do
        [ -n "$(cg_new "$pid")" ] && grep -q . $(cg_new "$pid" | head -1)/cgroup.procs 2>/dev/null && break
        sleep 0.1
done
left=$(cg_new "$pid")
[ -n "$left" ] || fail "no container cgroup appeared"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 1
busy=""
for d in $left; do
        [ -s "$d/cgroup.procs" ] && busy="$busy $d"
done
[ -z "$busy" ] && pass "container died with runroot" || fail "processes left in:$busy"
# (What the next run must remove: without it that check would be empty.)
[ -n "$(cg_new "$pid")" ] && pass "cgroup left by the SIGKILLed run (expected until the next run)" ||
        fail "no cgroup left by the SIGKILLed run: the next run's cleanup would not be tested"
# The next run removes leftovers older than 30 s.
# (its v1 devices cgroup, which cg_list does not show, goes the same way)
devs=$(ls -d /sys/fs/cgroup/devices/runroot-"$pid"-* 2>/dev/null)
touch -d '-1 hour' $left $devs 2>/dev/null || sleep 31
rr --pids 64 "$IMAGE" /bin/true && pass "next run" || fail "next run failed"
for d in $devs; do
        [ ! -d "$d" ] || fail "the next run left the killed run's $d"
done
finish
