# Shared by the hardening tests (sourced): a tiny busybox image with the
# static sec-helper, a scratch cache, cgroup leak checks, cleanup on exit.
# Usage in a test: . "$(dirname "$0")/lib.sh" HELPER
set -u

HELPER=${1:?path of the sec-helper binary}
: "${RUNROOT:?RUNROOT not set}"
[ -x "$HELPER" ] || { echo "FAIL: no sec-helper at $HELPER"; exit 1; }
FAILED=0
BG_PIDS=()

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; }
pass() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || skip "needs root"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || skip "no busybox (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
        skip "$BUSYBOX is not static (apt-get install busybox-static)"
fi

. "$(dirname "${BASH_SOURCE[0]}")/../../helpers/procs.sh"
T=$(mktemp -d /tmp/rr-hardening-XXXXXX)
cleanup() {
        local p
        for p in "${BG_PIDS[@]}"; do
                is_child "$p" && kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT

# The image: busybox, its applets, and the helper as /bin/sec-helper.
mkdir -p "$T/img/bin" "$T/img/tmp" "$T/img/proc" "$T/img/sys" "$T/img/dev" "$T/img/etc"
cp "$BUSYBOX" "$T/img/bin/busybox"
cp "$HELPER" "$T/img/bin/sec-helper"
for a in sh cat echo ls yes sleep true mount umount id; do
        ln -s busybox "$T/img/bin/$a"
done
chmod 1777 "$T/img/tmp"
tar -C "$T/img" -cf "$T/image.tar" .
IMAGE=$T/image.tar

rr() { "$RUNROOT" --cache-dir "$T/cache" "$@"; }

# copy_image DIR [APPLET...]: DIR holds the image's tree plus these
# busybox applets, for a test's own variant of it.
copy_image() {
        local d=$1 a
        shift
        mkdir -p "$d"
        cp -a "$T/img/." "$d/"
        for a in "$@"; do
                ln -s busybox "$d/bin/$a"
        done
}

# host_secret: $T/hs holds the line $SECRET, which only the host has: a
# container that prints it has read a host file.
host_secret() {
        SECRET=host-secret-$$
        echo "$SECRET" >"$T/hs"
}

# Where runroot puts container cgroups: below the cgroup of this shell
# (runroot inherits it), on every v1 hierarchy and on v2.
cg_parents() {
        local id ctls path c
        while IFS=: read -r id ctls path; do
                if [ "$id" = 0 ] && [ -z "$ctls" ]; then
                        if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
                                echo "/sys/fs/cgroup$path"
                        elif [ -d /sys/fs/cgroup/unified ]; then
                                echo "/sys/fs/cgroup/unified$path"
                        fi
                        continue
                fi
                for c in ${ctls//,/ }; do
                        case $c in
                        memory | cpu | cpuacct | pids | cpuset | blkio | freezer)
                                [ -d "/sys/fs/cgroup/$c$path" ] && echo "/sys/fs/cgroup/$c$path" ;;
                        esac
                done
        done </proc/self/cgroup
}

# Container cgroups currently there (runroot-* below each parent).
cg_list() {
        local d
        for d in $(cg_parents); do
                ls -d "$d"/runroot-* 2>/dev/null
        done | sort
}
CG_BEFORE=$(cg_list)

# The parent cgroup is shared with the tests that run at the same time:
# only a new cgroup whose runroot (runroot-PID-...) is gone is left
# behind; one that went away, or whose runroot still runs, is another
# test's (comparing the whole list failed tests at random, with an empty
# list of leftovers).
check_no_cgroup_left() {
        local c pid left=""
        for c in $(cg_new); do
                pid=${c##*/runroot-}
                pid=${pid%%-*}
                kill -0 "$pid" 2>/dev/null && continue
                # (listed while its runroot was still removing it)
                [ -d "$c" ] || continue
                left="$left $c"
        done
        if [ -n "$left" ]; then
                fail "cgroups left behind:$left"
        else
                pass "no cgroup left behind"
        fi
}

# New container cgroup dirs (not there when the test started); with a
# PID, only those of that runroot (runroot-PID-...): other runroots on the
# machine make cgroups in the same parent meanwhile.
cg_new() {
        if [ -n "${1:-}" ]; then
                comm -13 <(echo "$CG_BEFORE") <(cg_list) | awk -v m="/runroot-$1-" 'index($0, m)'
        else
                comm -13 <(echo "$CG_BEFORE") <(cg_list)
        fi
}

# CPU time used by a cgroup in microseconds, from its own accounting:
# cpu.stat usage_usec on v2, cpuacct.usage (ns) on v1.
cg_cpu_usec() { # [PID]
        local d
        for d in $(cg_new "${1:-}"); do
                if [ -r "$d/cpuacct.usage" ]; then
                        echo $(($(cat "$d/cpuacct.usage") / 1000))
                        return 0
                fi
                if [ -r "$d/cpu.stat" ] && grep -q '^usage_usec' "$d/cpu.stat"; then
                        awk '$1 == "usage_usec" { print $2 }' "$d/cpu.stat"
                        return 0
                fi
        done
        return 1
}

# For a test's rootless cases: an unprivileged user of its own (PREFIX and
# this shell's pid), removed on exit, with a home under $T and a copy of
# runroot it can run as $RRU; as_user CMD runs CMD as that user. Prints
# "SKIP rootless: WHY" and returns 77 where rootless runs cannot be made.
rootless_user() { # PREFIX
        command -v useradd >/dev/null || { echo "SKIP rootless: no useradd"; return 77; }
        [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
                { echo "SKIP rootless: unprivileged user namespaces are disabled"; return 77; }
        U=$1$$
        useradd -M -d "$T/home" -s /bin/bash "$U" || { echo "SKIP rootless: useradd failed"; return 77; }
        trap 'userdel "$U" 2>/dev/null; cleanup' EXIT
        chmod 755 "$T"
        mkdir -p "$T/home" "$T/bin"
        chown "$U:" "$T/home"
        cp "$RUNROOT" "$T/bin/runroot"
        chmod 755 "$T/bin" "$T/bin/runroot"
        RRU="$T/bin/runroot --cache-dir $T/home/cache"
}
as_user() { su -s /bin/bash "$U" -c "cd $T/home && HOME=$T/home PATH=/usr/bin:/bin $*"; }

# finish [STATUS]: the cgroup leak check, then the verdict: FAILED after
# any failure; else a skip when STATUS (the rootless part's, which printed
# why) is 77; else PASSED.
finish() {
        check_no_cgroup_left
        if [ "$FAILED" != 0 ]; then
                echo "FAILED"
                exit 1
        fi
        if [ "${1:-0}" = 77 ]; then
                echo "SKIP: the root cases passed; the rootless part could not run (above)"
                exit 77
        fi
        echo "PASSED"
        exit 0
}
