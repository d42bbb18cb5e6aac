#!/bin/bash
# --memory 80M: a memory hog is OOM-killed, runroot exits 137 and says so;
# the same allocation works on the host and in a container without -m.
. "$(dirname "$0")/lib.sh" "$1"

if "$HELPER" memhog 200 >/dev/null; then pass "host allocates 200M"; else fail "host cannot allocate 200M"; fi
if rr "$IMAGE" /bin/sec-helper memhog 200 >/dev/null; then
        pass "container without -m allocates 200M"
else
        fail "container without -m cannot allocate 200M"
fi

rr --memory 80M "$IMAGE" /bin/sec-helper memhog 200 >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" "$T/err"
[ "$rc" = 137 ] && pass "exit 137" || fail "exit $rc, expected 137"
if grep -qx 'runroot: killed: memory limit 80M reached' "$T/err"; then
        pass "OOM message"
else
        fail "no 'runroot: killed: memory limit 80M reached' line"
fi
# Within the limit: no kill, no message.
rr --memory 80M "$IMAGE" /bin/sec-helper memhog 20 >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && ! grep -q killed "$T/err" && pass "20M under an 80M limit runs" ||
        fail "20M under an 80M limit: exit $rc $(cat "$T/err")"
finish
