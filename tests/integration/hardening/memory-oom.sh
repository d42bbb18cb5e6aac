#!/bin/bash
# --memory 80M: a memory hog is OOM-killed, runroot exits 137 and says so;
# the same allocation works on the host and in a container without -m.
. "$(dirname "$0")/lib.sh" "$1"

# Other tests may run runroot at the same time: the leak check looks only
# at the cgroups of the runroot processes started here, which runroot
# names runroot-PID-RANDOM (runner/run.c) below the cgroup of this shell.
RR_PIDS=()
rr_own() {
        "$RUNROOT" --cache-dir "$T/cache" "$@" &
        local p=$!
        RR_PIDS+=("$p")
        wait "$p"
}
check_no_cgroup_left() {
        local p d c left=""
        for p in "${RR_PIDS[@]}"; do
                for d in $(cg_parents); do
                        for c in "$d/runroot-$p-"*; do
                                [ -e "$c" ] && left="$left $c"
                        done
                done
        done
        if [ -n "$left" ]; then
                fail "cgroups left behind:$left"
        else
                pass "no cgroup left behind (runroot pids ${RR_PIDS[*]})"
        fi
}

if "$HELPER" memhog 200 >/dev/null; then pass "host allocates 200M"; else fail "host cannot allocate 200M"; fi
if rr_own "$IMAGE" /bin/sec-helper memhog 200 >/dev/null; then
        pass "container without -m allocates 200M"
else
        fail "container without -m cannot allocate 200M"
fi

rr_own --memory 80M "$IMAGE" /bin/sec-helper memhog 200 >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" "$T/err"
[ "$rc" = 137 ] && pass "exit 137" || fail "exit $rc, expected 137"
if grep -qx 'runroot: killed: memory limit 80M reached' "$T/err"; then
        pass "OOM message"
else
        fail "no 'runroot: killed: memory limit 80M reached' line"
fi
# Within the limit: no kill, no message.
rr_own --memory 80M "$IMAGE" /bin/sec-helper memhog 20 >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && ! grep -q killed "$T/err" && pass "20M under an 80M limit runs" ||
        fail "20M under an 80M limit: exit $rc $(cat "$T/err")"
finish
