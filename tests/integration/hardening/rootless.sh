#!/bin/bash
# Rootless runs get the same profile: capabilities cut inside the user
# namespace, no_new_privs when asked, seccomp (no nested user namespace although an
# unprivileged user may make one outside), masked /proc; and a limit
# without cgroup delegation is exit 125 with the reason. A SKIP only where
# the machine cannot run anything rootless (no unprivileged user
# namespaces); a rootless run that fails where it can is a FAIL.
. "$(dirname "$0")/lib.sh" "$1"
command -v useradd >/dev/null || skip "needs useradd (passwd) to make the unprivileged user"
[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
        skip "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
[ "$(cat /proc/sys/user/max_user_namespaces)" != 0 ] || skip "user.max_user_namespaces is 0"

U=rrsec$$
useradd -M -d "$T/home" -s /bin/bash "$U" || { echo "FAIL: useradd $U failed"; exit 1; }
trap 'userdel "$U" 2>/dev/null; cleanup' EXIT
chmod 755 "$T"
mkdir -p "$T/home" "$T/bin"
chown "$U:" "$T/home"
cp "$RUNROOT" "$T/bin/runroot"
cp "$HELPER" "$T/bin/sec-helper"
chmod 755 "$T/bin" "$T/bin/runroot" "$T/bin/sec-helper"
chmod 644 "$IMAGE"
as_user() { su -s /bin/bash "$U" -c "cd $T/home && HOME=$T/home PATH=/usr/bin:/bin $*"; }
# Whether this user may make a user namespace at all (an LSM such as
# AppArmor's restrict_unprivileged_userns may forbid it): only then is a
# rootless runroot expected to work.
out=$(as_user "$T/bin/sec-helper unshare-user" 2>&1) ||
        skip "an unprivileged user cannot make a user namespace here: $out"

out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/cat /proc/self/status" 2>&1)
rc=$?
if [ "$rc" != 0 ]; then
        echo "FAIL: rootless runroot failed (exit $rc) where user namespaces work: $out"
        exit 1
fi
grep -E '^(Cap|NoNewPrivs|Seccomp:)' <<<"$out"
grep -q '^CapBnd:[[:space:]]*00000000a00425fb$' <<<"$out" && pass "bounding set cut" || fail "CapBnd"
grep -q '^CapEff:[[:space:]]*00000000a00425fb$' <<<"$out" && pass "effective set cut" || fail "CapEff"
grep -q '^CapAmb:[[:space:]]*0000000000000000$' <<<"$out" && pass "ambient empty" || fail "CapAmb"
# no_new_privs as docker's: off by default, on with the flag.
grep -q '^NoNewPrivs:[[:space:]]*0$' <<<"$out" && pass "no no_new_privs by default" || fail "NoNewPrivs"
nnp=$(as_user "$T/bin/runroot --cache-dir $T/home/cache --security-opt no-new-privileges $IMAGE /bin/cat /proc/self/status" 2>&1)
grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$nnp" && grep -q '^Seccomp:[[:space:]]*2$' <<<"$nnp" &&
        pass "no_new_privs with --security-opt no-new-privileges" || fail "NoNewPrivs with the flag: $nnp"
grep -q '^Seccomp:[[:space:]]*2$' <<<"$out" && pass "seccomp filter" || fail "Seccomp"
outside=$(as_user "grep ^Seccomp: /proc/self/status")
[[ $outside == *0 ]] && pass "no filter outside" || fail "outside: $outside"

# Refused by the kernel (seccomp, capabilities): sec-helper ran and says so.
out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/sec-helper unshare-user" 2>&1)
[ $? = 1 ] && [ "$out" = "unshare-user: failed: Operation not permitted" ] &&
        pass "unshare -U refused inside: $out" || fail "unshare -U inside: $out"
out=$(as_user "$T/bin/sec-helper unshare-user" 2>&1)
[ $? = 0 ] && pass "the same user may unshare -U outside" || fail "unshare -U outside: $out"
out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/sec-helper mount /tmp" 2>&1)
[ $? = 1 ] && [ "$out" = "mount: failed: Operation not permitted" ] &&
        pass "mount refused inside: $out" || fail "mount inside: $out"
out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/sh -c 'grep -c . /proc/timer_list'" 2>&1)
[ "$out" = 0 ] && pass "/proc/timer_list masked" || fail "/proc/timer_list inside: $out"

out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache --pids 64 $IMAGE /bin/true" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then
        pass "--pids 64 rootless: delegated here"
elif [ "$rc" = 125 ] && [[ $out == *delegat* ]]; then
        pass "--pids 64 rootless: exit 125 with the reason: $out"
else
        fail "--pids 64 rootless: rc $rc: $out"
fi
finish
