#!/bin/bash
# A limit that cannot be enforced is exit 125 with the reason, never
# dropped: rootless without delegation, and a cpuset the host does not
# have (refused at option parsing, naming the online CPUs). The same
# flags with a valid value / as root run, so the failure is the limit's.
. "$(dirname "$0")/lib.sh" "$1"

# rootless: a world-readable image and a cache nobody may write
U=$(mktemp -d /tmp/rr-hardening-user-XXXXXX)
trap 'cleanup; rm -rf "$U"' EXIT
chmod 755 "$U"
cp "$IMAGE" "$U/image.tar"
chmod 644 "$U/image.tar"
mkdir "$U/cache"
chown 65534:65534 "$U/cache"
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$RUNROOT" --cache-dir "$U/cache" "$@"; }

for flag in "--pids 64" "--memory 80M" "--cpus 0.5"; do
        # shellcheck disable=SC2086
        out=$(as_nobody $flag "$U/image.tar" /bin/true 2>&1)
        rc=$?
        echo "rootless $flag: rc $rc: $out"
        if [ "$rc" = 0 ]; then
                pass "rootless $flag runs (the cgroup is delegated here)"
        elif [ "$rc" = 125 ] && [[ $out == *delegat* ]]; then
                pass "rootless $flag without delegation: exit 125 with the reason"
        else
                fail "rootless $flag: rc $rc"
        fi
        # shellcheck disable=SC2086
        rr $flag "$IMAGE" /bin/true && pass "root $flag runs" || fail "root $flag fails"
done

# A CPU the host lacks is refused with the reason before any cgroup is
# made: the kernel's list of online CPUs.
online=$(cat /sys/devices/system/cpu/online)
off=$(($(tr ',-' '\n\n' <<<"$online" | sort -n | tail -n 1) + 3))
rr --cpuset-cpus "$off" "$IMAGE" /bin/true >"$T/out" 2>"$T/err"
rc=$?
echo "cpuset $off: rc $rc: $(cat "$T/err")"
printf 'runroot: --cpuset-cpus %s: this machine has CPUs %s\n' "$off" "$online" >"$T/want"
[ "$rc" = 125 ] && cmp -s "$T/want" "$T/err" && pass "a CPU the host lacks: exit 125 with the reason" ||
        fail "--cpuset-cpus $off: rc $rc"
out=$(rr --cpuset-cpus 0 "$IMAGE" /bin/cat /proc/self/status 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q '^Cpus_allowed_list:[[:space:]]*0$' <<<"$out"; then
        pass "--cpuset-cpus 0 pins to CPU 0"
else
        fail "--cpuset-cpus 0: rc $rc, $(grep Cpus_allowed_list <<<"$out")"
fi
finish
