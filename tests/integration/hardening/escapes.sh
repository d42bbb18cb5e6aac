#!/bin/bash
# One hostile action per run (named after what it defends against): it
# must fail as root inside the container and work on the host, so the
# test would notice if the defence were gone.
. "$(dirname "$0")/lib.sh" "$1"
CASE=${2:?case}

# The action must fail for the reason that is the defence (REFUSED, an
# extended regex matched against sec-helper's "VERB: failed: WHY"), not
# for any reason at all: a missing file or a broken image is no defence.
REFUSED='Operation not permitted|Permission denied|Read-only file system'
inside_fails() { # what, helper args...
        local what=$1 out rc re
        shift
        out=$(rr "${RR_FLAGS[@]}" "$IMAGE" /bin/sec-helper "$@" 2>&1)
        rc=$?
        echo "inside: $out (rc $rc)"
        re=": failed: ($REFUSED)\$"
        if [ "$rc" = 1 ] && [[ $out =~ $re ]]; then
                pass "$what fails inside"
        else
                fail "$what inside: rc $rc, not refused ($REFUSED): $out"
        fi
}

outside_works() { # what, command...
        local what=$1 out rc
        shift
        out=$("$@" 2>&1)
        rc=$?
        echo "outside: $out (rc $rc)"
        [ "$rc" = 0 ] && pass "$what works outside" || fail "$what outside: rc $rc"
}

mkdir -p "$T/mnt"
RR_FLAGS=()
case $CASE in
device-node)
        # kmsg (1:11) made by mknod: the node can be made, not opened. The
        # device list lives in the container's cgroup, so ask for a limit.
        RR_FLAGS=(--pids 1000)
        inside_fails "opening a mknod'ed /dev/kmsg" mknod-open /tmp/kmsg 1 11
        outside_works "opening a mknod'ed /dev/kmsg" "$HELPER" mknod-open "$T/kmsg" 1 11
        ;;
mount)
        inside_fails "mount" mount /tmp
        outside_works "mount" unshare -m --propagation private "$HELPER" mount "$T/mnt"
        ;;
umount)
        inside_fails "umount /proc" umount /proc
        outside_works "umount" unshare -m --propagation private \
                sh -c 'mount -t tmpfs none "$1" && exec "$2" umount "$1"' sh "$T/mnt" "$HELPER"
        ;;
chroot-escape)
        echo host >"$T/host-marker"
        REFUSED='host marker not visible'
        inside_fails "chroot escape" chroot-escape "$T/host-marker"
        mkdir -p "$T/jail/bin" "$T/jail/tmp"
        cp "$HELPER" "$T/jail/bin/sec-helper"
        outside_works "chroot escape" chroot "$T/jail" /bin/sec-helper chroot-escape "$T/host-marker"
        ;;
sysrq-trigger)
        [ -e /proc/sysrq-trigger ] || skip "this kernel has no /proc/sysrq-trigger"
        inside_fails "writing /proc/sysrq-trigger" write /proc/sysrq-trigger h
        # 'h' only prints the help text to the kernel log
        outside_works "writing /proc/sysrq-trigger" "$HELPER" write /proc/sysrq-trigger h
        ;;
module-load)
        inside_fails "loading a module" modload
        outside_works "loading a module" "$HELPER" modload
        ;;
proc-kcore)
        [ -e /proc/kcore ] || skip "this kernel has no /proc/kcore"
        REFUSED='empty' # masked by /dev/null
        inside_fails "reading /proc/kcore" read /proc/kcore
        outside_works "reading /proc/kcore" "$HELPER" read /proc/kcore
        ;;
proc-masked)
        REFUSED='empty' # masked by /dev/null
        inside_fails "reading /proc/timer_list" read /proc/timer_list
        outside_works "reading /proc/timer_list" "$HELPER" read /proc/timer_list
        ;;
proc-exe-cve-2019-5736)
        inside_fails "opening /proc/1/exe for writing" exe-overwrite 1
        cp "$HELPER" "$T/victim"
        "$T/victim" sleep 2 &
        v=$!
        BG_PIDS+=($v)
        # until the fork has exec'd the victim (before, exe is bash)
        for _ in $(seq 100); do
                [ "$(readlink "/proc/$v/exe")" = "$T/victim" ] && break
                sleep 0.02
        done
        outside_works "opening /proc/PID/exe for writing" "$HELPER" exe-overwrite $v
        ;;
userns)
        inside_fails "unshare -U" unshare-user
        outside_works "unshare -U" "$HELPER" unshare-user
        ;;
cap-raise)
        inside_fails "raising CAP_SYS_ADMIN" capraise SYS_ADMIN
        outside_works "raising CAP_SYS_ADMIN" "$HELPER" capraise SYS_ADMIN
        ;;
kill-host)
        sleep 300 &
        victim=$!
        BG_PIDS+=($victim)
        REFUSED='No such process' # not in the container's pid namespace
        inside_fails "killing host pid $victim" kill "$victim"
        kill -0 "$victim" 2>/dev/null && pass "host process still alive" || fail "host process died"
        outside_works "killing host pid $victim" "$HELPER" kill "$victim"
        ;;
fd-leak-cve-2024-21626)
        echo secret >"$T/secret"
        exec 7<"$T/secret"
        REFUSED='Bad file descriptor' # closed before the command runs
        inside_fails "reading a host file through inherited fd 7" readfd 7
        REFUSED='No such file or directory'
        inside_fails "reading a host file through /proc/self/fd/7" read /proc/self/fd/7
        outside_works "reading through fd 7" "$HELPER" readfd 7
        exec 7<&-
        ;;
*)
        echo "unknown case $CASE"
        exit 2
        ;;
esac
finish
