#!/bin/bash
# --pids 64: a fork bomb inside hits EAGAIN below 64 while the host can
# still fork; the same fork count works outside and without the limit.
. "$(dirname "$0")/lib.sh" "$1"

# outside: 100 children are fine
if "$HELPER" forkn 100 >/dev/null; then pass "host forks 100"; else fail "host cannot fork 100"; fi
# inside without a limit: fine too (runroot itself does not limit)
if rr "$IMAGE" /bin/sec-helper forkn 100 >/dev/null; then
        pass "container without --pids forks 100"
else
        fail "container without --pids cannot fork 100"
fi

# inside with --pids 64: fork until it fails, hold the processes while
# the host forks, then let go.
"$RUNROOT" --cache-dir "$T/cache" --pids 64 "$IMAGE" /bin/sec-helper forkn 100000 3 >"$T/bomb.out" 2>&1 &
BG_PIDS+=($!)
bomb=$!
for _ in $(seq 100); do
        grep -q 'forked' "$T/bomb.out" && break
        sleep 0.1
done
host_ok=1
for _ in $(seq 20); do
        /bin/true || host_ok=0
done
[ "$host_ok" = 1 ] && pass "host forks during the bomb" || fail "host could not fork during the bomb"
wait "$bomb"
rc=$?
cat "$T/bomb.out"
n=$(sed -n 's/^forkn: forked \([0-9]*\)$/\1/p' "$T/bomb.out")
if grep -q 'forkn: failed: Resource temporarily unavailable' "$T/bomb.out" && [ -n "$n" ] && [ "$n" -lt 64 ]; then
        pass "fork bomb stopped with EAGAIN after $n forks (rc $rc)"
else
        fail "fork bomb not contained (rc $rc, forked ${n:-?})"
fi
finish
