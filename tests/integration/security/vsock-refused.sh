#!/bin/bash
# vsock-refused: socket(AF_VSOCK) reaches the hypervisor and the other VMs,
# and no network namespace isolates it, so --net none does not cut it. The
# default seccomp filter refuses it with EPERM, as docker's default profile
# does, on every ABI (the 32-bit x86 one too, directly and through
# socketcall) and whatever the capabilities; other families still work.
# Cold and warm (the filter read back from the cache, whose key names the
# refused family, so a filter cached before the rule is not reused). As
# root and rootless.
. "$(dirname "$0")/../hardening/lib.sh" "$1"

AF_VSOCK=40
AF_UNIX=1
AF_INET=2
COMPAT=false
[ "$(uname -m)" = x86_64 ] && COMPAT=true

# One container runs every probe; each prints "VERB: ok" or "VERB: failed: WHY".
PROBE="/bin/sec-helper socket $AF_VSOCK; /bin/sec-helper socket $AF_UNIX; /bin/sec-helper socket $AF_INET; /bin/sec-helper socket-hi $AF_VSOCK"
$COMPAT && PROBE="$PROBE; /bin/sec-helper socket32 $AF_VSOCK; /bin/sec-helper socketcall32 $AF_VSOCK; /bin/sec-helper socket32 $AF_UNIX"

# check LABEL OUT
check() {
        local label=$1 out=$2
        echo "--- $label"
        echo "$out"
        # the lines in order: vsock refused, unix and inet work
        [ "$(sed -n 1p <<<"$out")" = "socket: failed: Operation not permitted" ] &&
                pass "$label: socket(AF_VSOCK) refused with EPERM" ||
                fail "$label: socket(AF_VSOCK): $(sed -n 1p <<<"$out")"
        [ "$(sed -n 2p <<<"$out")" = "socket: ok" ] && [ "$(sed -n 3p <<<"$out")" = "socket: ok" ] &&
                pass "$label: AF_UNIX and AF_INET sockets work" ||
                fail "$label: AF_UNIX / AF_INET: $(sed -n 2,3p <<<"$out" | tr '\n' ' ')"
        [ "$(sed -n 4p <<<"$out")" = "socket-hi: failed: Operation not permitted" ] &&
                pass "$label: socket(AF_VSOCK | 1 << 32) refused with EPERM" ||
                fail "$label: socket(AF_VSOCK with the upper 32 bits set): $(sed -n 4p <<<"$out")"
        if $COMPAT; then
                [ "$(sed -n 5p <<<"$out")" = "socket32: failed: Operation not permitted" ] &&
                        pass "$label: 32-bit socket(AF_VSOCK) refused with EPERM" ||
                        fail "$label: 32-bit socket(AF_VSOCK): $(sed -n 5p <<<"$out")"
                [ "$(sed -n 6p <<<"$out")" = "socketcall32: failed: Operation not permitted" ] &&
                        pass "$label: 32-bit socketcall(SYS_SOCKET) refused with EPERM" ||
                        fail "$label: 32-bit socketcall(SYS_SOCKET, AF_VSOCK): $(sed -n 6p <<<"$out")"
                [ "$(sed -n 7p <<<"$out")" = "socket32: ok" ] &&
                        pass "$label: 32-bit socket(AF_UNIX) works" ||
                        fail "$label: 32-bit socket(AF_UNIX): $(sed -n 7p <<<"$out")"
        fi
        [ "$(wc -l <<<"$out")" = "$($COMPAT && echo 7 || echo 4)" ] || fail "$label: unexpected output"
}

echo "on the host: $("$HELPER" socket $AF_VSOCK)"
out=$(rr "$IMAGE" sh -c "$PROBE" 2>&1)
check "root, cold" "$out"
ls "$T/cache/seccomp/"* >/dev/null 2>&1 || fail "no seccomp filter was cached"
for f in "$T/cache/seccomp/"*; do
        grep -aq "^socket family $AF_VSOCK masked 0xffffffff\$" "$f" && pass "cache key of ${f##*/} names the refused family" ||
                fail "cache key of ${f##*/} does not name the refused family"
done
out=$(rr "$IMAGE" sh -c "$PROBE" 2>&1)
check "root, warm (filter from the cache)" "$out"
out=$(rr --net host "$IMAGE" sh -c "$PROBE" 2>&1)
check "root --net host" "$out"
out=$(rr --cap-add ALL "$IMAGE" sh -c "$PROBE" 2>&1)
check "root --cap-add ALL" "$out"
out=$(rr --cap-drop ALL -u 65534 "$IMAGE" sh -c "$PROBE" 2>&1)
check "root --cap-drop ALL -u 65534" "$out"

rootless() {
        rootless_user rrvsock || return 77
        chmod 644 "$IMAGE"
        out=$(as_user "$RRU $IMAGE /bin/true" 2>&1) ||
                { echo "SKIP rootless: rootless runroot does not run here: $out"; return 77; }
        out=$(as_user "$RRU $IMAGE sh -c '$PROBE'" 2>&1)
        check "rootless" "$out"
        out=$(as_user "$RRU -u 65534 $IMAGE sh -c '$PROBE'" 2>&1)
        check "rootless -u 65534" "$out"
        return 0
}
rootless
finish $?
