#!/bin/bash
# --cpus 0.05: a busy loop gets about 5% of one CPU by the cgroup's own
# accounting over 3 s (2-10% accepted); without the limit it gets far
# more (so this can fail). Ends each run with SIGTERM to runroot, which
# must still kill what is inside and remove the cgroup.
. "$(dirname "$0")/lib.sh" "$1"

measure() { # FLAGS... -> PCT: percent of one CPU (no subshell: the EXIT trap)
        # not through rr(): $! must be runroot itself
        "$RUNROOT" --cache-dir "$T/cache" "$@" "$IMAGE" /bin/sh -c 'exec yes >/dev/null' &
        local pid=$! u1 u2 i
        BG_PIDS+=($pid)
        for i in $(seq 50); do
                u1=$(cg_cpu_usec "$pid") && break
                sleep 0.1
        done
        if [ -z "${u1:-}" ]; then
                kill -TERM "$pid"
                wait "$pid"
                PCT=none
                return
        fi
        sleep 3
        u2=$(cg_cpu_usec "$pid")
        # "RUNROOT-PID PID" for each process in this run's cgroups
        cat $(cg_new "$pid" | sed 's|$|/cgroup.procs|') 2>/dev/null | sort -u | sed "s/^/$pid /" >>"$T/procs"
        kill -TERM "$pid"
        wait "$pid"
        PCT=$(((u2 - u1) / 30000))
}

measure --pids 100
unlimited=$PCT
echo "without --cpus: ${unlimited}% of one CPU"
[ "$unlimited" != none ] && [ "$unlimited" -gt 15 ] && pass "unlimited busy loop uses ${unlimited}%" ||
        fail "unlimited busy loop: ${unlimited}%"
measure --cpus 0.05
limited=$PCT
echo "with --cpus 0.05: ${limited}% of one CPU"
[ "$limited" != none ] && [ "$limited" -ge 2 ] && [ "$limited" -le 10 ] && pass "--cpus 0.05 gives ${limited}%" ||
        fail "--cpus 0.05 gives ${limited}% (want 2-10)"
# Every process that was in the container cgroups is gone.
left=""
while read -r rr p; do
        # still in that run's cgroup: not a pid reused since
        if [ -e "/proc/$p" ] && grep -q "/runroot-$rr-" "/proc/$p/cgroup" 2>/dev/null; then
                left="$left $p"
                kill -KILL "$p"
        fi
done <"$T/procs"
[ -s "$T/procs" ] || fail "saw no process in the container cgroup"
[ -z "$left" ] && pass "nothing left running after SIGTERM" || fail "left running after SIGTERM:$left"
finish
