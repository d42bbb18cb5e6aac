#!/bin/bash
# Rootless runs get the same profile: capabilities cut inside the user
# namespace, no_new_privs, seccomp (no nested user namespace although an
# unprivileged user may make one outside), masked /proc; and a limit
# without cgroup delegation is exit 125 with the reason.
. "$(dirname "$0")/lib.sh" "$1"
command -v useradd >/dev/null || skip "needs useradd"
[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
        skip "unprivileged user namespaces are disabled"

U=rrsec$$
useradd -M -d "$T/home" -s /bin/bash "$U" || skip "useradd failed"
trap 'userdel "$U" 2>/dev/null; cleanup' EXIT
chmod 755 "$T"
mkdir -p "$T/home" "$T/bin"
chown "$U:" "$T/home"
cp "$RUNROOT" "$T/bin/runroot"
cp "$HELPER" "$T/bin/sec-helper"
chmod 755 "$T/bin" "$T/bin/runroot" "$T/bin/sec-helper"
chmod 644 "$IMAGE"
as_user() { su -s /bin/bash "$U" -c "cd $T/home && HOME=$T/home PATH=/usr/bin:/bin $*"; }

out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/cat /proc/self/status" 2>&1)
rc=$?
[ "$rc" = 0 ] || skip "rootless runroot does not run here: $out"
grep -E '^(Cap|NoNewPrivs|Seccomp:)' <<<"$out"
grep -q '^CapBnd:[[:space:]]*00000000a80425fb$' <<<"$out" && pass "bounding set cut" || fail "CapBnd"
grep -q '^CapEff:[[:space:]]*00000000a80425fb$' <<<"$out" && pass "effective set cut" || fail "CapEff"
grep -q '^CapAmb:[[:space:]]*0000000000000000$' <<<"$out" && pass "ambient empty" || fail "CapAmb"
grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$out" && pass "no_new_privs" || fail "NoNewPrivs"
grep -q '^Seccomp:[[:space:]]*2$' <<<"$out" && pass "seccomp filter" || fail "Seccomp"
outside=$(as_user "grep ^Seccomp: /proc/self/status")
[[ $outside == *0 ]] && pass "no filter outside" || fail "outside: $outside"

out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/sec-helper unshare-user" 2>&1)
[ $? = 1 ] && pass "unshare -U refused inside: $out" || fail "unshare -U inside: $out"
out=$(as_user "$T/bin/sec-helper unshare-user" 2>&1)
[ $? = 0 ] && pass "the same user may unshare -U outside" || fail "unshare -U outside: $out"
out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $IMAGE /bin/sec-helper mount /tmp" 2>&1)
[ $? = 1 ] && pass "mount refused inside: $out" || fail "mount inside: $out"
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
