#!/bin/bash
# seccomp-compat-abi: a 64-bit kernel also takes syscalls through the
# 32-bit x86 ABI (int 0x80), with numbers of its own. A filter written for
# the native numbers alone would let an i386 program make every call it
# refuses. The default filter refuses each of them there too (EPERM, clone3
# ENOSYS as natively); a JSON profile applies to the architectures it
# names, and a call through any other ABI kills the program (SIGSYS).
. "$(dirname "$0")/../hardening/lib.sh" "$1"

[ "$(uname -m)" = x86_64 ] || skip "the i386 ABI exists on x86_64 only"
gcc -m32 -static -Wall -o "$T/compat32" "$(dirname "$0")/compat32.c" 2>"$T/cc.err" ||
        skip "gcc -m32 cannot build i386 programs (gcc-multilib): $(head -1 "$T/cc.err")"
"$T/compat32" some >/dev/null 2>&1 || skip "this kernel does not run i386 programs (no IA32 emulation)"
cp "$T/compat32" "$T/img/bin/compat32"
tar -C "$T/img" -cf "$IMAGE" .

# Every refused call, refused through the i386 ABI.
out=$(rr --net none "$IMAGE" /bin/compat32 2>&1)
echo "$out"
n=$(grep -c . <<<"$out")
[ "$n" -ge 50 ] || fail "the probe printed $n lines, not one per call: $out"
if grep -v -e ' 1$' -e '^clone3 38$' <<<"$out" >"$T/let"; then
        fail "the default filter let i386 calls through: $(tr '\n' ' ' <"$T/let")"
else
        pass "all $n refused calls are refused through the i386 ABI"
fi
if grep -qx 'clone3 38' <<<"$out"; then
        pass "i386 clone3 is ENOSYS, as natively"
else
        fail "i386 clone3: $(grep '^clone3' <<<"$out")"
fi

# Unconfined, the same calls reach the kernel: the filter is what refuses.
out=$(rr --net none --seccomp unconfined "$IMAGE" /bin/compat32 some 2>&1)
if [ "$(grep -c . <<<"$out")" != 5 ]; then
        fail "unconfined, the probe printed: $out"
elif grep ' 1$' <<<"$out" >"$T/eperm"; then
        fail "unconfined, still EPERM: $(tr '\n' ' ' <"$T/eperm")"
else
        pass "unconfined, the i386 calls reach the kernel"
fi

# A JSON profile for x86_64 alone: an i386 call is killed, not let through.
printf '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]}' >"$T/x86_64.json"
rr --net none --security-opt "seccomp=$T/x86_64.json" "$IMAGE" /bin/compat32 some >"$T/out" 2>&1
rc=$?
if [ "$rc" = 159 ]; then
        pass "a profile without i386: the i386 program is killed by SIGSYS"
else
        fail "a profile without i386: exit $rc (want 159, SIGSYS): $(cat "$T/out")"
fi
# The same profile with x86 as a sub-architecture filters it by the rules.
printf '{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],"syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]}' >"$T/x86.json"
out=$(rr --net none --security-opt "seccomp=$T/x86.json" "$IMAGE" /bin/compat32 some 2>&1)
if [ "$(head -1 <<<"$out")" = "keyctl 1" ]; then
        pass "a profile with x86: i386 keyctl refused by its rule"
else
        fail "a profile with x86: $(tr '\n' ' ' <<<"$out")"
fi

check_no_cgroup_left
if [ "$FAILED" != 0 ]; then
        echo "FAILED"
        exit 1
fi
echo "PASSED"
