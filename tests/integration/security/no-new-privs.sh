#!/bin/bash
# no_new_privs as docker's: off for the command by default, so a setuid-root
# program run as -u 65534 becomes root (within docker's bounding set and
# the seccomp filter); --security-opt no-new-privileges (=true) turns it
# on, and then the setuid bit gives nothing. pid 1 keeps no_new_privs
# either way (init-holds-no-host-fd checks it). Root and rootless.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
command -v cc >/dev/null || skip "needs cc to build the setuid helper"

# A static helper: its effective uid and its own NoNewPrivs line.
cat >"$T/suid.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        printf("euid=%d", (int)geteuid());
        while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "NoNewPrivs:", 11))
                        printf(" nnp=%d", line[strspn(line + 11, " \t") + 11] - '0');
        printf("\n");
        return 0;
}
C
cc -static -O1 -o "$T/img/bin/suid-id" "$T/suid.c" || skip "cc -static does not work here"
chown 0:0 "$T/img/bin/suid-id"
chmod 4755 "$T/img/bin/suid-id"
tar -C "$T/img" -cf "$T/suid.tar" .

check() { # label want args...
        local label=$1 want=$2 out
        shift 2
        out=$(rr "$@" 2>&1)
        [ "$out" = "$want" ] && pass "$label: $out" || fail "$label: got '$out', want '$want'"
}
check "default, -u 65534: the setuid bit works" "euid=0 nnp=0" -u 65534 "$T/suid.tar" /bin/suid-id
check "--security-opt no-new-privileges" "euid=65534 nnp=1" \
        --security-opt no-new-privileges -u 65534 "$T/suid.tar" /bin/suid-id
check "no-new-privileges=true" "euid=65534 nnp=1" \
        --security-opt no-new-privileges=true -u 65534 "$T/suid.tar" /bin/suid-id
check "no-new-privileges:true (docker's older form)" "euid=65534 nnp=1" \
        --security-opt no-new-privileges:true -u 65534 "$T/suid.tar" /bin/suid-id
check "no-new-privileges=false" "euid=0 nnp=0" \
        --security-opt no-new-privileges -u 65534 --security-opt no-new-privileges=false \
        "$T/suid.tar" /bin/suid-id
check "root, default" "euid=0 nnp=0" "$T/suid.tar" /bin/suid-id

# The command's status without the setuid helper: the filter and the
# bounding set are there with or without no_new_privs.
st() { rr "$@" "$T/suid.tar" /bin/cat /proc/self/status 2>&1 | grep -E '^(NoNewPrivs|Seccomp|CapBnd):' | tr -s '\t ' ' ' | tr '\n' ' '; }
out=$(st -u 65534)
[ "$out" = "CapBnd: 00000000a00425fb NoNewPrivs: 0 Seccomp: 2 " ] && pass "default: $out" ||
        fail "default status: $out"
out=$(st -u 65534 --security-opt no-new-privileges)
[ "$out" = "CapBnd: 00000000a00425fb NoNewPrivs: 1 Seccomp: 2 " ] && pass "with the flag: $out" ||
        fail "status with the flag: $out"
# Setuid root still cannot leave the profile: mount stays refused.
out=$(rr -u 65534 "$T/suid.tar" /bin/sec-helper mount /tmp 2>&1)
[ "$out" = "mount: failed: Operation not permitted" ] && pass "-u 65534: mount refused: $out" ||
        fail "-u 65534 mount: $out"

out=$(rr --security-opt no-new-privileges=maybe "$T/suid.tar" /bin/true 2>&1)
rc=$?
[ "$rc" = 125 ] && [[ $out == *"no-new-privileges=maybe"* ]] && pass "a bad value is exit 125: $out" ||
        fail "bad value: exit $rc: $out"
out=$(rr --security-opt apparmor=x "$T/suid.tar" /bin/true 2>&1)
rc=$?
[ "$rc" = 125 ] && pass "apparmor=x refused: $out" || fail "apparmor=x: exit $rc: $out"

exit "$FAILED"
