# Shared by the runroot integration tests: a temp dir, a private cache, a
# test image made of busybox-static and the rrhelper binary, cleanup of
# every mount, process and file on any exit. Source it with the helper's
# path as $1.
set -u
HELPER=${1:?usage: $0 RRHELPER}
: "${RUNROOT:?}"
if [ "$(id -u)" != 0 ]; then
        echo "SKIP: runroot tests run as root (CI is root)"
        exit 77
fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
        echo "SKIP: needs busybox-static"
        exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/../../helpers/procs.sh"
T=$(mktemp -d /tmp/rrtest.XXXXXX)
chmod 755 "$T"
export MKROOT_CACHE=$T/cache
CLEANUP_PIDS=""
# Set by lc_state and rootless_user: what rr_cleanup ends first.
RR_STATE="" RR_STATE_CACHE="" RR_USER=""

rr_cleanup() {
        local p
        [ -z "$RR_STATE" ] || MKROOT_CACHE=${RR_STATE_CACHE:-$MKROOT_CACHE} kill_monitors "$RR_STATE"
        [ -z "$RR_USER" ] || user_gone "$RR_USER"
        for p in $CLEANUP_PIDS; do is_child "$p" && kill -9 "$p" 2>/dev/null; done
        # Nothing should be mounted under $T; if a failure left something,
        # take it down so the rm below stays on this file system.
        awk -v t="$T" '$5 ~ "^"t {print $5}' /proc/self/mountinfo | sort -r |
                while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -rf "$T"
}
trap rr_cleanup EXIT

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

# make_tree DIR: a minimal root with busybox and rrhelper.
make_tree() {
        local d=$1
        mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/home/user"
        cp "$BUSYBOX" "$d/bin/busybox"
        cp "$HELPER" "$d/bin/rrhelper"
        local c
        for c in sh true false sleep ls cat echo id hostname env touch mkdir pwd stat; do
                ln -sf busybox "$d/bin/$c"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$d/etc/passwd"
        printf 'root:x:0:\nuser:x:1000:\nextra:x:2000:user\nnogroup:x:65534:\n' >"$d/etc/group"
        echo image >"$d/etc/marker"
        chmod 1777 "$d/tmp"
        chown 1000:1000 "$d/home/user"
}

IMG_DIR=$T/img
IMG=$T/img.tar.gz
make_tree "$IMG_DIR"
tar -C "$IMG_DIR" -czf "$IMG" .

rr() { "$RUNROOT" "$@"; }

# make_image NAME [APPLET...]: $T/NAME.tar.gz, the test tree ($T/NAME)
# with these busybox applets too.
make_image() {
        local name=$1 c
        shift
        make_tree "$T/$name"
        for c in "$@"; do ln -sf busybox "$T/$name/bin/$c"; done
        tar -C "$T/$name" -czf "$T/$name.tar.gz" .
}

# lc_state STATEDIR [CACHE]: the test starts detached containers with
# their state in STATEDIR (and their names in CACHE, default
# $MKROOT_CACHE): rr_cleanup ends the ones still there.
lc_state() {
        RR_STATE=$1
        RR_STATE_CACHE=${2:-}
}

# rootless_user PREFIX: an unprivileged user of the test's own, $U (PREFIX
# and this shell's pid), home $T/home, with a copy of runroot it can run
# at $BIN/runroot; rr_cleanup removes it. Exits 77 (saying why) where no
# such user can run containers.
rootless_user() {
        command -v useradd >/dev/null || { echo "SKIP: needs useradd"; exit 77; }
        if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
                echo "SKIP: unprivileged user namespaces are disabled"
                exit 77
        fi
        U=$1$$
        useradd -M -d "$T/home" -s /bin/bash "$U" || fail "useradd"
        RR_USER=$U
        mkdir -p "$T/home"
        chown "$U:" "$T/home"
        BIN=$T/bin
        mkdir -p "$BIN"
        cp "$RUNROOT" "$BIN/runroot"
        chmod 755 "$BIN" "$BIN/runroot"
}

# wait_for SECONDS CMD...: until CMD succeeds (10 tries a second).
wait_for() {
        local n=$(($1 * 10))
        shift
        while [ "$n" -gt 0 ]; do
                "$@" && return 0
                sleep 0.1
                n=$((n - 1))
        done
        return 1
}

# rr_expect RC STREAM WANT ARGS...: runroot ARGS exits RC with exactly WANT
# on STREAM (out or err) and nothing on the other.
rr_expect() {
        local want_rc=$1 s=$2 want=$3 other=out rc
        shift 3
        [ "$s" = out ] && other=err
        rr "$@" >"$T/out" 2>"$T/err"
        rc=$?
        [ "$rc" = "$want_rc" ] || fail "runroot $* exited $rc, expected $want_rc: $(cat "$T/err")"
        printf '%s' "$want" | cmp -s - "$T/$s" ||
                fail "runroot $*: std$s \"$(cat "$T/$s")\", expected \"$want\""
        [ ! -s "$T/$other" ] || fail "runroot $*: std$other \"$(cat "$T/$other")\""
}

# expect_err WANT_STDERR ARGS...: runroot ARGS fails with 125 and exactly
# that one line on stderr, nothing on stdout.
expect_err() { rr_expect 125 err "$1"$'\n' "${@:2}"; }

# expect_out WANT_STDOUT ARGS...: runroot ARGS succeeds printing exactly
# that, with nothing on stderr.
expect_out() { rr_expect 0 out "$@"; }

# expect_rc WANT CMD...: run, compare the exit status.
expect_rc() {
        local want=$1 rc
        shift
        "$@"
        rc=$?
        [ "$rc" = "$want" ] || fail "\"$*\" exited $rc, expected $want"
}

# No mount of ours in the host's table, no per-run dir left.
check_no_leftovers() {
        if grep -q "$T" /proc/self/mountinfo; then
                grep "$T" /proc/self/mountinfo >&2
                fail "mounts left in the host's mount table"
        fi
        if [ -d "$MKROOT_CACHE/runs" ] && [ -n "$(ls -A "$MKROOT_CACHE/runs")" ]; then
                ls -la "$MKROOT_CACHE/runs" >&2
                fail "per-run dirs left in the cache"
        fi
}

# kill_monitors STATEDIR: end the detached containers of this test's cache
# (their ids in $MKROOT_CACHE/names/*/config.json) whose monitor still
# lives, by pid, and remove their state. A monitor counts as living only
# while it holds its monitor.lock and its pid still started when recorded,
# so that a pid reused since, or another test's container, is never hit.
kill_monitors() {
        local state=$1 f id p start now
        for f in "$MKROOT_CACHE"/names/*/config.json; do
                [ -f "$f" ] || continue
                id=$(sed -n 's/.*"id":"\([0-9a-f]\{64\}\)".*/\1/p' "$f")
                [ -n "$id" ] && [ -f "$state/$id/state.json" ] || continue
                if ! flock -n "$state/$id/monitor.lock" true 2>/dev/null; then
                        p=$(sed -n 's/.*"monitor_pid":\([0-9]*\).*/\1/p' "$state/$id/state.json")
                        start=$(sed -n 's/.*"monitor_start":\([0-9]*\).*/\1/p' "$state/$id/state.json")
                        now=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $20}')
                        [ -n "$p" ] && [ "$now" = "$start" ] && kill -9 "$p"
                        sleep 0.2
                fi
                rm -rf "${state:?}/$id"
        done
        # the cgroups the killed runs could not remove
        "$RUNROOT" gc >/dev/null 2>&1
}
