#!/bin/bash
# containerd (Debian 12's, 1.6) with runroot as the runc binary of its
# runc shim (containerd-shim-runc-v2), on images mkroot writes as an OCI
# archive and as a docker archive, which ctr imports: ctr run --rm (output
# and exit status passed through, a signal 128+N, stdin), --tty under a pty,
# --memory-limit enforced, a detached task's output (--log-uri), ps, exec
# (its status; --tty; a missing command refused), pause and resume,
# kill -s TERM (the command's trap runs; without one, as runc's pid 1,
# nothing happens) and -s KILL (137), then task and container rm: no state left in runroot's --root,
# no cgroup, no mount, no process, no shim.
#
# containerd is the test's own: config, root, state and sockets in $T,
# the CRI plugin off, stopped by pid. The whole test runs in network and
# mount namespaces it makes, with /run and /var/lib overlaid there, so
# that the shims' sockets (/run/containerd/s) never reach the host nor a
# containerd of the host's. The containers' cgroupsPath is below the
# test's own parent runroot-PID-containerd, removed at the end.
. "$(dirname "$0")/../../helpers/subreaper.sh"
if [ -z "${ENGINES_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: containerd needs root"; exit 77; }
        for c in containerd ctr containerd-shim-runc-v2 script; do
                command -v "$c" >/dev/null ||
                        { echo "SKIP: needs $c (tools/install-deps --test)"; exit 77; }
        done
        export ENGINES_NS=1
        exec unshare --net --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
set -o pipefail
cd "$T"
ip link set lo up || fail "lo up"
private_host_dirs /run /var/lib
CGP=runroot-$$-containerd
RR_ROOT=$T/runc-root
ctd_cleanup() {
        local c
        for c in $("${CTR[@]}" task ls -q 2>/dev/null); do
                "${CTR[@]}" task kill -s KILL "$c" >/dev/null 2>&1
                "${CTR[@]}" task rm -f "$c" >/dev/null 2>&1
        done
        for c in $("${CTR[@]}" containers ls -q 2>/dev/null); do
                "${CTR[@]}" containers rm "$c" >/dev/null 2>&1
        done
        ctd_stop
        cgroup_tree_remove "$CGP"
        rr_cleanup
}
CTR=(false)
trap ctd_cleanup EXIT
touch started
ctd_start "$T/ctd"

"${CTR[@]}" images import app.oci.tar >import.out 2>&1 || fail "ctr images import: $(cat import.out)"
"${CTR[@]}" images ls -q | grep -qx 'localhost/app:latest' ||
        fail "ctr images import: no localhost/app:latest: $("${CTR[@]}" images ls 2>&1)"
IMAGE=localhost/app:latest
# mkroot's docker archive too, under another name.
printf 'Base: %s\nCmd: ["/bin/cat", "/etc/marker"]\n' "$IMG" >dapp.manifest
"$MKROOT" build dapp.manifest --format docker -o dapp.docker.tar >dbuild.err 2>&1 ||
        fail "mkroot build --format docker: $(cat dbuild.err)"
"${CTR[@]}" images import --base-name localhost/dapp dapp.docker.tar >import.out 2>&1 ||
        fail "ctr images import of the docker archive: $(cat import.out)"
DIMAGE=$("${CTR[@]}" images ls -q | grep '^localhost/dapp') ||
        fail "ctr images import of the docker archive: $("${CTR[@]}" images ls 2>&1)"
# run ID [OPTION...] -- CMD...: ctr run of the test image as ID with
# runroot, which the shim calls as runc with its state in $RR_ROOT/rrtest
# (runc's --root: the namespace below --runc-root), the container's
# cgroupsPath below the test's parent.
RUN=("${CTR[@]}" run --runc-binary "$RUNROOT" --runc-root "$RR_ROOT")
run() {
        local id=$1 o=()
        shift
        while [ "$1" != -- ]; do
                o+=("$1")
                shift
        done
        shift
        "${RUN[@]}" --cgroup "/$CGP/$id" "${o[@]}" "$IMAGE" "$id" "$@"
}

# run --rm: output, exit statuses; nothing of runroot's on stderr.
run r1 --rm -- /bin/sh -c 'echo "out $(cat /etc/marker)"; exit 7' >r1.out 2>r1.err
rc=$?
[ $rc = 7 ] || fail "run --rm: exit status $rc, expected 7: $(cat r1.err)"
[ "$(cat r1.out)" = "out image" ] || fail "run --rm: output $(cat r1.out) $(cat r1.err)"
[ ! -s r1.err ] || fail "run --rm: stderr: $(cat r1.err)"
run r2 --rm -- /bin/sh -c 'echo to-stderr >&2; kill -USR1 $$' >r2.out 2>r2.err
rc=$?
[ $rc = 138 ] || fail "killed by SIGUSR1: exit status $rc, expected 138: $(cat r2.err)"
[ "$(cat r2.err)" = to-stderr ] || fail "run --rm: stderr $(cat r2.err), expected to-stderr"

# The shim's default --root, /run/containerd/runc/NAMESPACE (in this
# test's /run), as under the CRI plugin: made by runroot, empty after.
"${CTR[@]}" run --runc-binary "$RUNROOT" --cgroup "/$CGP/r0" --rm "$IMAGE" r0 /bin/true >r0.out 2>&1 ||
        fail "run with the shim's default root: $(cat r0.out)"
[ -d /run/containerd/runc/rrtest ] && [ -z "$(ls -A /run/containerd/runc/rrtest)" ] ||
        fail "the shim's default root: $(ls -la /run/containerd/runc 2>&1)"

# stdin reaches the command, and its end too (ctr passes the end on only
# once the task exists, so it comes after a pause: with runc alike, an
# end before that leaves cat waiting).
(echo piped-in; sleep 3) | run s1 --rm -- /bin/cat >s1.out 2>s1.err
rc=$?
[ $rc = 0 ] && [ "$(cat s1.out)" = piped-in ] || fail "stdin: exit status $rc: $(cat s1.out) $(cat s1.err)"

# The docker archive's image, its Cmd.
"${RUN[@]}" --cgroup "/$CGP/i1" --rm "$DIMAGE" i1 >i1.out 2>i1.err ||
        fail "run of the docker archive's image: $(cat i1.err)"
[ "$(cat i1.out)" = image ] || fail "run of the docker archive's image: output $(cat i1.out)"

# --tty: the command has a terminal (script gives ctr one).
script -qec "$(printf '%q ' "${RUN[@]}" --cgroup "/$CGP/t1" --rm --tty "$IMAGE" t1) /bin/sh -c 'rrhelper isatty && echo on-a-tty; exit 5'" \
        /dev/null </dev/null >t1.out 2>&1
rc=$?
[ $rc = 5 ] || fail "--tty: exit status $rc, expected 5: $(cat t1.out)"
grep -q 'on-a-tty' t1.out || fail "--tty: no terminal: $(cat t1.out)"

# --memory-limit: a command over the limit is killed, one under it is not.
run m1 --rm --memory-limit $((32 << 20)) -- /bin/sh -c \
        'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' >m1.out 2>&1
rc=$?
[ $rc = 137 ] && ! grep -q survived m1.out ||
        fail "--memory-limit 32M: 100 MB in the shell: exit status $rc: $(cat m1.out)"
run m2 --rm --memory-limit $((32 << 20)) -- /bin/sh -c \
        'x=$(head -c 1000000 /dev/zero | tr "\0" a); echo survived' >m2.out 2>&1
rc=$?
[ $rc = 0 ] && grep -q survived m2.out ||
        fail "--memory-limit 32M: 1 MB in the shell: exit status $rc: $(cat m2.out)"

# -d: a task in the background, its output in a log file.
run d1 -d --log-uri "file://$T/d1.log" -- /bin/sh -c \
        'echo started; trap "echo got-term; exit 3" TERM; while :; do sleep 0.1; done' \
        >d1.out 2>&1 || fail "run -d: $(cat d1.out)"
wait_for 10 grep -q started d1.log || fail "-d: no output: $(cat d1.log)"
task_status() { "${CTR[@]}" task ls | awk -v id="$1" '$1 == id {print $3}'; }
task_is() { [ "$(task_status "$1")" = "$2" ]; }
[ "$(task_status d1)" = RUNNING ] || fail "d1: $("${CTR[@]}" task ls)"
cpid=$("${CTR[@]}" task ls | awk '$1 == "d1" {print $2}')
[ -n "$cpid" ] && [ -d "/proc/$cpid" ] || fail "d1's pid: $cpid"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' \
        "$RR_ROOT/rrtest/d1/state.json")" = "$cpid" ] || fail "d1: runroot's state has another pid"
d1cgs=$(state_cgroups d1 "$RR_ROOT/rrtest") && [ -n "$d1cgs" ] || fail "d1: no cgroups in runroot's state"
for d in $d1cgs; do
        grep -qx "$cpid" "$d/cgroup.procs" || fail "d1's process is not in its cgroup $d"
done
# ... the cgroup ctr asked for (cgroupsPath /$CGP/d1), where the shim
# reads the task's metrics (and its OOM events).
for d in $d1cgs; do
        case $d in */"$CGP/d1") ;; *) fail "d1's cgroup $d is not ctr's /$CGP/d1" ;; esac
done
"${CTR[@]}" task metrics d1 >metrics.out 2>&1 || fail "task metrics: $(cat metrics.out)"
awk '$1 == "memory.usage_in_bytes" || $1 == "memory.usage" {found = $2 > 0} END {exit !found}' metrics.out ||
        fail "task metrics: no memory usage: $(cat metrics.out)"
# task ps: runroot's ps --format json, the pids of the container's cgroup.
"${CTR[@]}" task ps d1 >ps.out 2>&1 || fail "task ps: $(cat ps.out)"
grep -qw "^$cpid" ps.out || fail "task ps: no $cpid: $(cat ps.out)"

# exec: a process in the running container, its status and output passed
# through; with --tty, on a terminal.
"${CTR[@]}" task exec --exec-id x1 d1 /bin/sh -c 'echo "exec in $(cat /etc/marker)"; exit 4' \
        >x1.out 2>x1.err
rc=$?
[ $rc = 4 ] || fail "exec: exit status $rc, expected 4: $(cat x1.err)"
[ "$(cat x1.out)" = "exec in image" ] || fail "exec: output $(cat x1.out) $(cat x1.err)"
[ ! -s x1.err ] || fail "exec: stderr: $(cat x1.err)"
# exec of a command that cannot start fails as with runc: ctr names it.
for i in 1 2 3; do
        "${CTR[@]}" task exec --exec-id n$i d1 /bin/nothing-here >n.out 2>&1
        rc=$?
        [ $rc = 1 ] && grep -q '^ctr: OCI runtime exec failed: exec "/bin/nothing-here": No such file or directory' n.out ||
                fail "exec of a missing command: exit status $rc: $(cat n.out)"
done
script -qec "$(printf '%q ' "${CTR[@]}") task exec --tty --exec-id x2 d1 /bin/sh -c 'rrhelper isatty && echo on-a-tty; exit 6'" \
        /dev/null </dev/null >x2.out 2>&1
rc=$?
[ $rc = 6 ] || fail "exec --tty: exit status $rc, expected 6: $(cat x2.out)"
grep -q 'on-a-tty' x2.out || fail "exec --tty: no terminal: $(cat x2.out)"

# pause and resume: runroot's freezer, as the shim calls it.
"${CTR[@]}" task pause d1 >pause.out 2>&1 || fail "task pause: $(cat pause.out)"
task_is d1 PAUSED || fail "after pause: d1 is $(task_status d1)"
"${CTR[@]}" task resume d1 >pause.out 2>&1 || fail "task resume: $(cat pause.out)"
task_is d1 RUNNING || fail "after resume: d1 is $(task_status d1)"

# kill -s TERM: the command's trap runs; task rm names its status.
"${CTR[@]}" task kill -s TERM d1 >kill.out 2>&1 || fail "task kill -s TERM: $(cat kill.out)"
wait_for 10 task_is d1 STOPPED || fail "after TERM: d1 is $(task_status d1)"
grep -q got-term d1.log || fail "TERM did not reach the command: $(cat d1.log)"
"${CTR[@]}" task rm d1 >rm.out 2>&1 || fail "task rm d1: $(cat rm.out)"
grep -q 'task d1 exit with non-zero exit code 3"' rm.out || fail "task rm d1: not the command's status 3: $(cat rm.out)"
[ ! -d "/proc/$cpid" ] || fail "d1's process $cpid is still there"
[ ! -e "$RR_ROOT/rrtest/d1" ] || fail "task rm: runroot's state of d1 is left"
for d in $d1cgs; do [ ! -d "$d" ] || fail "task rm: d1's cgroup $d is left"; done
"${CTR[@]}" containers rm d1 >rm.out 2>&1 || fail "containers rm d1: $(cat rm.out)"

# kill -s KILL: 128+9.
run d2 -d -- /bin/sleep 1000 >d2.out 2>&1 || fail "run -d d2: $(cat d2.out)"
wait_for 10 task_is d2 RUNNING || fail "d2 is $(task_status d2)"
"${CTR[@]}" task kill -s KILL d2 >kill.out 2>&1 || fail "task kill -s KILL: $(cat kill.out)"
wait_for 10 task_is d2 STOPPED || fail "after KILL: d2 is $(task_status d2)"
"${CTR[@]}" task rm d2 >rm.out 2>&1 || fail "task rm d2: $(cat rm.out)"
grep -q 'task d2 exit with non-zero exit code 137"' rm.out || fail "task rm d2: not 137: $(cat rm.out)"
"${CTR[@]}" containers rm d2 >rm.out 2>&1 || fail "containers rm d2: $(cat rm.out)"

# kill -s TERM of a command without a trap: as runc's, whose command is
# pid 1 of its pid namespace, it is not delivered and the task runs on;
# kill -s KILL then ends it, 128+9.
run d3 -d -- /bin/sleep 1000 >d3.out 2>&1 || fail "run -d d3: $(cat d3.out)"
wait_for 10 task_is d3 RUNNING || fail "d3 is $(task_status d3)"
"${CTR[@]}" task kill -s TERM d3 >kill.out 2>&1 || fail "task kill -s TERM d3: $(cat kill.out)"
sleep 1
task_is d3 RUNNING || fail "TERM without a handler: d3 is $(task_status d3) (runc's keeps running)"
"${CTR[@]}" task kill -s KILL d3 >kill.out 2>&1 || fail "task kill -s KILL d3: $(cat kill.out)"
wait_for 10 task_is d3 STOPPED || fail "after KILL: d3 is $(task_status d3)"
"${CTR[@]}" task rm d3 >rm.out 2>&1 || fail "task rm d3: $(cat rm.out)"
grep -q 'task d3 exit with non-zero exit code 137"' rm.out || fail "task rm d3: not 137: $(cat rm.out)"
"${CTR[@]}" containers rm d3 >rm.out 2>&1 || fail "containers rm d3: $(cat rm.out)"

# Nothing left: no state of runroot's, no container of containerd's, no
# cgroup, no mount of a bundle, no shim.
[ -z "$(ls -A "$RR_ROOT/rrtest" 2>/dev/null)" ] || fail "runroot state left: $(ls "$RR_ROOT/rrtest")"
[ -z "$("${CTR[@]}" containers ls -q)" ] || fail "containers left: $("${CTR[@]}" containers ls -q)"
# (a runroot-* cgroup of another test's container may be on its way out:
# what is ours stays)
dead_left() { dead_cgroups_since started >cg.left && [ ! -s cg.left ]; }
wait_for 5 dead_left || fail "cgroups left: $(cat cg.left)"
left=$(find /sys/fs/cgroup/*/"$CGP" -mindepth 1 -type d 2>/dev/null)
[ -z "$left" ] || fail "cgroups left below $CGP: $left"
left=$(awk -v t="$T/ctd/state/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo)
[ -z "$left" ] || fail "mounts left: $left"
shims() { ps -eo pid=,ppid=,comm= | awk -v me=$$ '$2 == me && $3 ~ /^containerd-shim/'; }
wait_for 10 test -z "$(shims)" || fail "shims left: $(shims)"
echo "containerd with runroot: OCI and docker archives, run --rm, --tty, --memory-limit, -d, ps, exec, exec --tty, pause, resume, kill TERM and KILL, rm: ok"
