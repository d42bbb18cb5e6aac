#!/bin/bash
# docker run's --ulimit, --mount and --privileged as docker means them:
# the limits reach the command, --mount makes the mounts -v and --tmpfs
# make, --privileged gives every capability, no filter and the host's
# devices (and says so once); each bad value is one line and exit 125.
. "$(dirname "$0")/lib.sh" "$1"
set -o pipefail

# ---- --ulimit --------------------------------------------------------------
expect_out $'256\n512\n' --ulimit nofile=256:512 "$IMG" sh -c 'ulimit -n; ulimit -Hn'
# HARD defaults to SOFT; repeatable; -1 and unlimited mean none
expect_out $'300\n300\nunlimited\nunlimited\n' --ulimit nofile=300 --ulimit core=-1 \
        --ulimit stack=unlimited "$IMG" sh -c 'ulimit -n; ulimit -Hn; ulimit -c; ulimit -s'
expect_out $'40\n50\n' --ulimit nproc=40:50 "$IMG" sh -c 'ulimit -u; ulimit -Hu'
# nproc is enforced: a user with no other process may run two at most
# (the shell and one child), so the next fork fails.
rr -u 4242 --ulimit nproc=2 "$IMG" sh -c 'sleep 1 & sleep 1 & wait; echo forked' \
        >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" != 0 ] || fail "--ulimit nproc=2: three processes of uid 4242 ran: $(cat "$T/out")"
grep -q "can't fork" "$T/err" || fail "--ulimit nproc=2: no fork failure: $(cat "$T/err")"
# a run without it has the caller's limit
ulimit -n >"$T/host_nofile"
expect_out "$(cat "$T/host_nofile")"$'\n' "$IMG" sh -c 'ulimit -n'

expect_err 'runroot: --ulimit nofiles=1: unknown limit "nofiles" (one of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)' \
        --ulimit nofiles=1 "$IMG" true
expect_err 'runroot: --ulimit nofile=lots: "lots" is not a number (expected a number, -1 or unlimited)' \
        --ulimit nofile=lots "$IMG" true
expect_err 'runroot: --ulimit nofile=10:1x: "1x" is not a number (expected a number, -1 or unlimited)' \
        --ulimit nofile=10:1x "$IMG" true
expect_err 'runroot: --ulimit nofile=512:256: the soft limit 512 is above the hard limit 256' \
        --ulimit nofile=512:256 "$IMG" true
expect_err 'runroot: --ulimit nofile=-1:256: the soft limit -1 is above the hard limit 256' \
        --ulimit nofile=-1:256 "$IMG" true
expect_err 'runroot: --ulimit nofile: expected NAME=SOFT[:HARD]' --ulimit nofile "$IMG" true
expect_err 'runroot: --ulimi: unknown option (see --help)' --ulimi nofile=1 "$IMG" true

# ---- --mount ---------------------------------------------------------------
H=$T/hostdir
mkdir "$H"
echo host >"$H/file"
expect_out $'host\n' --mount type=bind,source="$H",target=/data,readonly "$IMG" cat /data/file
rr --mount type=bind,src="$H",dst=/data,ro "$IMG" sh -c 'echo x >/data/new' >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 1 ] || fail "--mount ro: writing exited $rc: $(cat "$T/err")"
grep -q 'Read-only file system' "$T/err" || fail "--mount ro: $(cat "$T/err")"
[ ! -e "$H/new" ] || fail "--mount ro: the write reached the host"
expect_out $'rw\n' --mount type=bind,source="$H",destination=/data,readonly=false "$IMG" \
        sh -c 'echo rw >/data/new && cat /data/new'
[ "$(cat "$H/new")" = rw ] || fail "--mount rw: the write did not reach the host"
expect_out $'host\n' --mount type=bind,source="$H/file",target=/etc/f,bind-propagation=rprivate \
        "$IMG" cat /etc/f
# tmpfs: mode and size as given
expect_out $'700\n' --mount type=tmpfs,target=/scratch,tmpfs-size=2m,tmpfs-mode=0700 "$IMG" \
        stat -c %a /scratch
rr --mount type=tmpfs,dst=/scratch,tmpfs-size=2097152 "$IMG" busybox df -k /scratch \
        >"$T/df" 2>"$T/err" || fail "--mount tmpfs: df failed: $(cat "$T/err")"
awk 'NR == 2 && $2 == 2048 && $6 == "/scratch" {ok = 1} END {exit !ok}' "$T/df" ||
        fail "--mount tmpfs-size=2097152: $(cat "$T/df")"
expect_out $'1777\n' --mount type=tmpfs,target=/scratch "$IMG" stat -c %a /scratch
# repeatable, mixed with -v and --tmpfs (shallowest first)
expect_out $'host\n' --mount type=tmpfs,target=/a --mount type=bind,source="$H",target=/a/b \
        "$IMG" cat /a/b/file

expect_err "runroot: --mount type=bind,source=$H: missing target (target=DST)" \
        --mount type=bind,source="$H" "$IMG" true
expect_err "runroot: --mount type=bind,source=$H,target=/x,bogus=1: unknown key \"bogus\"" \
        --mount type=bind,source="$H",target=/x,bogus=1 "$IMG" true
expect_err 'runroot: --mount type=nfs,target=/x: unknown type "nfs" (bind or tmpfs)' \
        --mount type=nfs,target=/x "$IMG" true
expect_err 'runroot: --mount type=volume,source=data,target=/x: type=volume: named volumes are not supported: use type=bind,source=HOSTDIR' \
        --mount type=volume,source=data,target=/x "$IMG" true
expect_err "runroot: --mount source=data,target=/x: no type= given (docker's default, a named volume, is not supported): use type=bind,source=HOSTDIR or type=tmpfs" \
        --mount source=data,target=/x "$IMG" true
expect_err "runroot: --mount type=bind,source=$T/nope,target=/x: bind source $T/nope does not exist" \
        --mount type=bind,source="$T/nope",target=/x "$IMG" true
expect_err 'runroot: --mount type=bind,target=/x: missing source (source=HOSTPATH)' \
        --mount type=bind,target=/x "$IMG" true
expect_err 'runroot: --mount type=tmpfs,target=x: target x: must be an absolute path' \
        --mount type=tmpfs,target=x "$IMG" true
expect_err 'runroot: --mount type=tmpfs,target=/x,tmpfs-mode=999: tmpfs-mode=999: expected an octal mode such as 1777' \
        --mount type=tmpfs,target=/x,tmpfs-mode=999 "$IMG" true
expect_err 'runroot: --mount type=tmpfs,target=/x,tmpfs-size=1: tmpfs-size=1: expected a size of at least 4k, in bytes or such as 64m' \
        --mount type=tmpfs,target=/x,tmpfs-size=1 "$IMG" true
expect_err "runroot: --mount type=bind,source=$H,target=/x,readonly=maybe: readonly=maybe: expected true or false" \
        --mount type=bind,source="$H",target=/x,readonly=maybe "$IMG" true
expect_err "runroot: --mount type=bind,source=$H,target=/x,tmpfs-size=1m: tmpfs-size is only for type=tmpfs" \
        --mount type=bind,source="$H",target=/x,tmpfs-size=1m "$IMG" true
expect_err 'runroot: --mount type=tmpfs,source=/tmp,target=/x: type=tmpfs takes no source (a new tmpfs)' \
        --mount type=tmpfs,source=/tmp,target=/x "$IMG" true
expect_err "runroot: --mount type=bind,source=$H,target=/x,bind-propagation=rshared: bind-propagation=rshared: not supported (the container's mounts never reach the host: private, rprivate, slave or rslave)" \
        --mount type=bind,source="$H",target=/x,bind-propagation=rshared "$IMG" true
expect_err "runroot: --mount type=bind,source=$H,target=/x,bind-propagation=up: bind-propagation=up: expected private, rprivate, slave or rslave" \
        --mount type=bind,source="$H",target=/x,bind-propagation=up "$IMG" true
expect_err "runroot: -v $H:/x:ro,rshared: rshared: not supported (the container's mounts never reach the host: private, rprivate, slave or rslave)" \
        -v "$H:/x:ro,rshared" "$IMG" true
expect_err "runroot: -v $H:/x:ro,z: unknown mode \"z\"" -v "$H:/x:ro,z" "$IMG" true

# bind-propagation=rslave (and -v's rslave): what the host mounts below the
# source while the container runs shows inside; by default it does not.
# The source is a shared mount of its own, as a host's usually is.
P=$T/prop
mkdir -p "$P/sub"
mount --bind "$P" "$P" || fail "bind $P"
mount --make-shared "$P" || fail "make $P shared"
# propagation_seen ARGS...: run a container that waits for the host's
# mount of $P/sub (at most 3s), mount it, print what the container saw.
propagation_seen() {
        rm -f "$P/ready"
        rr "$@" "$IMG" sh -c 'touch /data/ready; i=0
                while [ ! -e /data/sub/marker ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
                [ -e /data/sub/marker ] && echo seen || echo unseen' >"$T/prop.out" 2>"$T/prop.err" &
        local pid=$! i=0
        while [ ! -e "$P/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        [ -e "$P/ready" ] || fail "propagation $*: the container did not start: $(cat "$T/prop.err")"
        mount -t tmpfs rrprop "$P/sub" || fail "mount a tmpfs on $P/sub"
        touch "$P/sub/marker"
        wait "$pid" || fail "propagation $*: exit $?: $(cat "$T/prop.err")"
        umount "$P/sub" || fail "umount $P/sub"
        cat "$T/prop.out"
}
[ "$(propagation_seen --mount type=bind,source="$P",target=/data,bind-propagation=rslave)" = seen ] ||
        fail "bind-propagation=rslave: the host's new mount is not inside"
[ "$(propagation_seen -v "$P:/data:rw,rslave")" = seen ] || fail "-v :rslave: the host's new mount is not inside"
[ "$(propagation_seen --mount type=bind,source="$P",target=/data)" = unseen ] ||
        fail "--mount bind (rprivate): the host's new mount is inside"
[ "$(propagation_seen -v "$P:/data")" = unseen ] || fail "-v: the host's new mount is inside"
# nothing goes the other way: a mount made inside stays there
rr --cap-add SYS_ADMIN --mount type=bind,source="$P",target=/data,bind-propagation=rslave "$IMG" \
        sh -c 'busybox mount -t tmpfs inner /data/sub && touch /data/sub/inside' \
        >"$T/out" 2>"$T/err" || fail "rslave: mount inside: $(cat "$T/err")"
[ ! -e "$P/sub/inside" ] || fail "rslave: the container's mount reached the host"
grep -q " $P/sub " /proc/self/mountinfo && fail "rslave: the container's mount is in the host's table"
umount "$P" || fail "umount $P"
expect_err 'runroot: --mount: needs a value (see --help)' --mount

# ---- --privileged ----------------------------------------------------------
WARN="runroot: warning: --privileged: the container has every capability, no seccomp filter, the host's devices and a writable /sys"
host_capeff=$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)
rr --privileged "$IMG" cat /proc/self/status >"$T/status" 2>"$T/err" ||
        fail "--privileged: exit $?: $(cat "$T/err")"
printf '%s\n' "$WARN" | cmp -s - "$T/err" || fail "--privileged: stderr \"$(cat "$T/err")\""
grep -qx "CapEff:	$host_capeff" "$T/status" ||
        fail "--privileged: not every capability of the host's ($host_capeff): $(grep Cap "$T/status")"
grep -qx 'Seccomp:	0' "$T/status" || fail "--privileged: a seccomp filter: $(grep Seccomp "$T/status")"
# the normal run keeps the filter and docker's reduced set
rr "$IMG" cat /proc/self/status >"$T/status" 2>"$T/err" || fail "normal run: $(cat "$T/err")"
grep -qx 'Seccomp:	2' "$T/status" || fail "normal run: $(grep Seccomp "$T/status")"
grep -qx 'CapEff:	00000000a00425fb' "$T/status" ||
        fail "normal run: not docker's set without MKNOD: $(grep CapEff "$T/status")"
[ ! -s "$T/err" ] || fail "normal run: stderr \"$(cat "$T/err")\""

# the host's devices: /dev/kmsg is there, the same node, and opens (no
# device list); with a limit (a cgroup of the run's own) too
[ -c /dev/kmsg ] || fail "the host has no /dev/kmsg to look for"
kmsg=$(stat -c %t:%T /dev/kmsg)
for lim in "" "--pids 64"; do
        # shellcheck disable=SC2086
        rr --privileged $lim "$IMG" sh -c 'stat -c %t:%T /dev/kmsg && : </dev/kmsg && echo opened' \
                >"$T/out" 2>"$T/err" || fail "--privileged $lim: /dev/kmsg: $(cat "$T/err")"
        [ "$(cat "$T/out")" = "$kmsg"$'\nopened' ] || fail "--privileged $lim: $(cat "$T/out")"
done
rr "$IMG" sh -c 'ls /dev' >"$T/out" 2>"$T/err" || fail "normal run: ls /dev: $(cat "$T/err")"
! grep -qx kmsg "$T/out" || fail "normal run: the host's /dev/kmsg is inside"
# /proc and /sys: nothing masked or read-only, /sys writable
rr --privileged "$IMG" cat /proc/self/mountinfo >"$T/mi" 2>/dev/null || fail "--privileged: mountinfo"
awk '$5 ~ "^/proc/" || $5 ~ "^/sys/" {print}' "$T/mi" >"$T/masked"
[ ! -s "$T/masked" ] || fail "--privileged: masked or read-only paths: $(cat "$T/masked")"
awk '$5 == "/sys" && $6 ~ /^rw/ {ok = 1} END {exit !ok}' "$T/mi" ||
        fail "--privileged: /sys not writable: $(grep ' /sys ' "$T/mi")"
rr "$IMG" cat /proc/self/mountinfo >"$T/mi" || fail "normal run: mountinfo"
awk '$5 == "/proc/sys" && $6 ~ /^ro/ {ok = 1} END {exit !ok}' "$T/mi" ||
        fail "normal run: /proc/sys not read-only"
awk '$5 == "/sys" && $6 ~ /^ro/ {ok = 1} END {exit !ok}' "$T/mi" || fail "normal run: /sys not read-only"
expect_err 'runroot: --privileged: takes no value (see --help)' \
        --privileged=1 "$IMG" true
expect_err 'runroot: --privileg: unknown option (see --help)' --privileg=1 "$IMG" true

check_no_leftovers
echo PASS
