#!/bin/bash
# --security-opt seccomp=FILE.json: docker's JSON seccomp profile replaces
# the default filter (mkdir refused with EPERM by the profile, everything
# else works); seccomp=unconfined runs with no filter and says so on
# stderr; a bad profile is exit 125 with one line naming the file and the
# problem, before anything runs. Root and rootless.
. "$(dirname "$0")/../hardening/lib.sh" "$1"

cat >"$T/p.json" <<'J'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "comment": "an unknown name is skipped, as docker does"},
    {"name": "getppid", "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["chdir"], "action": "SCMP_ACT_ERRNO", "excludes": {"arches": ["amd64", "arm64", "386", "arm"]}}
  ]
}
J
chmod 644 "$T/p.json"

out=$(rr --security-opt "seccomp=$T/p.json" "$IMAGE" /bin/busybox mkdir /tmp/x 2>&1)
rc=$?
[ "$rc" != 0 ] && [[ $out == *"Operation not permitted"* ]] &&
        pass "the profile refuses mkdir: $out" || fail "mkdir under the profile: exit $rc: $out"
out=$(rr --security-opt "seccomp=$T/p.json" "$IMAGE" /bin/sh -c 'cd /tmp && echo hi >/tmp/f && cat /tmp/f && grep ^Seccomp: /proc/self/status' 2>&1)
[ "$out" = "$(printf 'hi\nSeccomp:\t2')" ] && pass "everything else works, under a filter" ||
        fail "other calls under the profile: $out"
out=$(rr "$IMAGE" /bin/busybox mkdir /tmp/x 2>&1)
[ $? = 0 ] && pass "without the profile mkdir works" || fail "default mkdir: $out"
err=$(rr --security-opt seccomp=unconfined "$IMAGE" /bin/sh -c 'busybox mkdir /tmp/x && grep ^Seccomp: /proc/self/status' 2>"$T/err")
rc=$?
[ "$rc" = 0 ] && [ "$err" = "$(printf 'Seccomp:\t0')" ] && pass "seccomp=unconfined: no filter" ||
        fail "unconfined: exit $rc: $err"
grep -q "without a seccomp filter" "$T/err" && pass "unconfined warns: $(cat "$T/err")" ||
        fail "no warning for unconfined: $(cat "$T/err")"

bad() { # label json want
        printf '%s' "$2" >"$T/bad.json"
        local out rc
        out=$(rr --security-opt "seccomp=$T/bad.json" "$IMAGE" /bin/true 2>&1)
        rc=$?
        if [ "$rc" = 125 ] && [ "$(wc -l <<<"$out")" = 1 ] && [[ $out == *"$T/bad.json"* ]] &&
                [[ $out == *"$3"* ]]; then
                pass "$1: $out"
        else
                fail "$1: exit $rc: $out"
        fi
}
bad "unknown action" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}' \
        'syscalls[0]: unknown action "SCMP_ACT_NOPE"'
bad "bad JSON type" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {"names": ["mkdir"]}}' \
        "syscalls: expected an array"
bad "not JSON" '{"defaultAction": ' "not valid JSON"
bad "no defaultAction" '{"syscalls": []}' "no defaultAction"
out=$(rr --security-opt "seccomp=$T/none.json" "$IMAGE" /bin/true 2>&1)
rc=$?
[ "$rc" = 125 ] && [[ $out == *"$T/none.json"* ]] && pass "a missing file: $out" ||
        fail "missing file: exit $rc: $out"

# Rootless: the same profile (inside the user namespace, with and
# without no_new_privs).
if rootless_user rrsecp; then
        chmod 644 "$IMAGE"
        for f in "" "--security-opt no-new-privileges"; do
                out=$(as_user "$RRU $f --security-opt seccomp=$T/p.json $IMAGE /bin/busybox mkdir /tmp/x" 2>&1)
                rc=$?
                [ "$rc" != 0 ] && [[ $out == *"Operation not permitted"* ]] &&
                        pass "rootless ${f:-default}: mkdir refused: $out" ||
                        fail "rootless ${f:-default}: exit $rc: $out"
        done
fi

exit "$FAILED"
