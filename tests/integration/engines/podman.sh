#!/bin/bash
# podman (Debian 12's) with runroot as its OCI runtime, on an image mkroot
# writes as an OCI archive: run --rm (the exit status passes through, a
# missing command is 127, a signal 128+N), -it under a pty, -d then logs,
# exec, stop (SIGTERM reaches a command with a trap; one without a
# handler ends by the KILL after stop's timeout, as runc's pid 1) and rm,
# -m and --pids-limit enforced,
# -p through podman's own network (CNI bridge and portmap), --hooks-dir's
# hooks run. Then nothing
# of runroot's is left: no state, no runroot-* cgroup, no process.
#
# podman gets state of its own ($T: storage, run root, tmp dir, events,
# network configs, a private containers.conf and registries.conf), and the
# whole test runs in network and mount namespaces it makes, with /run and
# /var/lib overlaid there (writes go to $T), so that podman's bridge,
# iptables rules, netns files, CNI leases and caches never reach the host.
. "$(dirname "$0")/../../helpers/subreaper.sh"
if [ -z "${ENGINES_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: podman's rootful networking needs root"; exit 77; }
        command -v podman >/dev/null && command -v conmon >/dev/null ||
                { echo "SKIP: needs podman and conmon (tools/install-deps --test)"; exit 77; }
        command -v iptables >/dev/null || { echo "SKIP: needs iptables (podman's CNI)"; exit 77; }
        export ENGINES_NS=1
        exec unshare --net --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
set -o pipefail
cd "$T"
ip link set lo up || fail "lo up"
private_host_dirs /run /var/lib
mkdir -p net ptmp events
# This host's root lacks CAP_SYS_RESOURCE: podman's default nofile limit
# (1048576) cannot be set by any runtime (runc and crun refuse it too).
# podman runs with limits it keeps, and asks for those.
cat >containers.conf <<CONF
[containers]
log_driver = "k8s-file"
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
events_logger = "file"
events_logfile_path = "$T/events/events.log"
cgroup_manager = "cgroupfs"
tmp_dir = "$T/ptmp"
volume_path = "$T/volumes"
static_dir = "$T/static"
[network]
network_config_dir = "$T/net"
CONF
printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/storage"\n' "$T" "$T" >storage.conf
printf 'unqualified-search-registries = []\n' >registries.conf
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf TMPDIR=$T/ptmp
# conmon's cgroups go below this parent (else /libpod_parent), removed at
# the end.
CGP=runroot-$$-podman
P=(prlimit --nofile=4096:4096 --nproc=4096:4096 podman --root "$T/storage" --runroot "$T/run"
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --tmpdir "$T/ptmp"
        --runtime "$RUNROOT")
had_libpod_parent=$(ls -d /sys/fs/cgroup/*/libpod_parent 2>/dev/null)
podman_cleanup() {
        "${P[@]}" rm -f -a -t 0 >/dev/null 2>&1
        local p
        for p in $(ps -eo pid=,comm= | awk '$2 == "conmon" {print $1}'); do
                is_child "$p" && kill -9 "$p"
        done
        cgroup_tree_remove "$CGP"
        # podman's default parent, when a podman of this test made it
        [ -n "$had_libpod_parent" ] || cgroup_tree_remove libpod_parent
        rr_cleanup
}
trap podman_cleanup EXIT
touch started

"${P[@]}" load -i app.oci.tar >load.out 2>&1 || fail "podman load: $(cat load.out)"
grep -q 'Loaded image: localhost/app:latest' load.out || fail "podman load: $(cat load.out)"
R=("${P[@]}" run --cgroup-parent "/$CGP")

# run --rm: output, exit statuses.
"${R[@]}" --rm localhost/app:latest /bin/sh -c 'echo "out $(cat /etc/marker)"; exit 7' >r1.out 2>r1.err
rc=$?
[ $rc = 7 ] || fail "run --rm: exit status $rc, expected 7: $(cat r1.err)"
[ "$(cat r1.out)" = "out image" ] || fail "run --rm: output $(cat r1.out) $(cat r1.err)"
[ ! -s r1.err ] || fail "run --rm: stderr: $(cat r1.err)"
"${R[@]}" --rm localhost/app:latest /bin/nothing-here >r2.out 2>r2.err
rc=$?
[ $rc = 127 ] || fail "a missing command: exit status $rc, expected 127: $(cat r2.err)"
grep -q 'nothing-here' r2.err || fail "a missing command: $(cat r2.err)"
"${R[@]}" --rm localhost/app:latest /bin/sh -c 'kill -USR1 $$' >r3.out 2>&1
rc=$?
[ $rc = 138 ] || fail "killed by SIGUSR1: exit status $rc, expected 138: $(cat r3.out)"

# --hooks-dir: podman turns OCI hooks.d files into config.json's hooks,
# which runroot runs: createRuntime on the host and poststop after the
# container is gone, each with the state on stdin; startContainer in the
# container (its stderr is the container's).
mkdir -p hooks.d
printf '#!/bin/sh\nIFS= read -r st\necho "$1 $st" >>"$2"\n' >phook.sh
chmod 755 phook.sh
for stage in createRuntime poststop; do
        printf '{"version": "1.0.0", "hook": {"path": "%s", "args": ["phook.sh", "%s", "%s"]}, "when": {"always": true}, "stages": ["%s"]}\n' \
                "$T/phook.sh" "$stage" "$T/phook.log" "$stage" >"hooks.d/$stage.json"
done
printf '{"version": "1.0.0", "hook": {"path": "/bin/sh", "args": ["sh", "-c", "echo in-start-hook >&2"]}, "when": {"always": true}, "stages": ["startContainer"]}\n' \
        >hooks.d/start.json
"${P[@]}" --hooks-dir "$T/hooks.d" run --rm --cgroup-parent "/$CGP" localhost/app:latest /bin/sh -c 'echo hooked' \
        >h1.out 2>h1.err || fail "run with --hooks-dir: $(cat h1.err)"
[ "$(cat h1.out)" = hooked ] && grep -qx in-start-hook h1.err || fail "--hooks-dir: out $(cat h1.out), err $(cat h1.err)"
grep -Eq '^createRuntime \{.*"id":"[0-9a-f]{64}","status":"creating","pid":[0-9]+,' phook.log &&
        grep -Eq '^poststop \{.*"status":"stopped",' phook.log && [ "$(wc -l <phook.log)" = 2 ] ||
        fail "--hooks-dir: the hooks' log: $(cat phook.log)"

# -it: the command has a terminal (script gives podman one). It writes
# after a pause: podman 4.3 attaches to the terminal after start, and what
# a command writes before that is lost (runc as its runtime loses it too,
# 1 run in 6 on a loaded machine here).
script -qec "$(printf '%q ' "${R[@]}") --rm -it localhost/app:latest /bin/sh -c 'sleep 2; rrhelper isatty && echo on-a-tty; exit 5'" \
        /dev/null </dev/null >t1.out 2>&1
rc=$?
[ $rc = 5 ] || fail "-it: exit status $rc, expected 5: $(cat t1.out)"
grep -q 'on-a-tty' t1.out || fail "-it: no terminal: $(cat t1.out)"

# -d, logs, exec, stop (the command's TERM trap runs), rm.
"${R[@]}" -d --name d1 localhost/app:latest /bin/sh -c \
        'echo started; trap "echo got-term; exit 3" TERM; while :; do sleep 0.1; done' >d1.id 2>d1.err ||
        fail "run -d: $(cat d1.err)"
logs_have() { "${P[@]}" logs d1 >logs.out 2>&1 && grep -q "$1" logs.out; }
wait_for 10 logs_have started || fail "logs: $(cat logs.out)"
[ "$("${P[@]}" inspect d1 --format '{{.State.Status}}')" = running ] || fail "d1 is not running"
cpid=$("${P[@]}" inspect d1 --format '{{.State.Pid}}')
[ -n "$cpid" ] && [ "$cpid" -gt 0 ] && [ -d "/proc/$cpid" ] || fail "d1's pid: $cpid"
d1id=$(cat d1.id)
d1cgs=$(state_cgroups "$d1id") && [ -n "$d1cgs" ] || fail "d1: no cgroups in runroot's state"
for d in $d1cgs; do
        grep -qx "$cpid" "$d/cgroup.procs" || fail "d1's process is not in its cgroup $d"
done
# ... the cgroup podman asked for (cgroupsPath /$CGP/libpod-ID), where
# podman reads its stats and top.
for d in $d1cgs; do
        case $d in
        */"$CGP/libpod-$d1id") ;;
        *) fail "d1's cgroup $d is not podman's /$CGP/libpod-$d1id" ;;
        esac
done
"${P[@]}" stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}' d1 >stats.out 2>&1 ||
        fail "stats: $(cat stats.out)"
IFS='|' read -r sname smem spids <stats.out
[ "$sname" = d1 ] && [ "${smem%% *}" != 0B ] && [ "${spids:-0}" -ge 2 ] || fail "stats: $(cat stats.out)"
"${P[@]}" top d1 pid args >top.out 2>&1 || fail "top: $(cat top.out)"
grep -q 'while' top.out || fail "top: no command: $(cat top.out)"
# exec: a process in the running container, its status passed through.
"${P[@]}" exec d1 /bin/sh -c 'echo "exec in $(cat /etc/marker) $(hostname)"; exit 4' >x1.out 2>x1.err
rc=$?
[ $rc = 4 ] || fail "exec: exit status $rc, expected 4: $(cat x1.err)"
[ "$(cat x1.out)" = "exec in image $(cut -c1-12 d1.id)" ] || fail "exec: output $(cat x1.out) $(cat x1.err)"
"${P[@]}" stop -t 10 d1 >stop.out 2>&1 || fail "stop: $(cat stop.out)"
[ "$("${P[@]}" inspect d1 --format '{{.State.ExitCode}}')" = 3 ] ||
        fail "after stop: exit code $("${P[@]}" inspect d1 --format '{{.State.ExitCode}}')"
logs_have got-term || fail "stop: SIGTERM did not reach the command: $(cat logs.out)"
[ ! -d "/proc/$cpid" ] || fail "stop: its process $cpid is still there"
"${P[@]}" rm d1 >rm.out 2>&1 || fail "rm: $(cat rm.out)"
"${P[@]}" container exists d1 && fail "rm: d1 still exists"
[ ! -e "/run/runroot-oci/$d1id" ] || fail "rm: runroot's state of d1 is left"
for d in $d1cgs; do [ ! -d "$d" ] || fail "rm: d1's cgroup $d is left"; done

# stop of a command without a TERM handler: as runc's, whose command is
# pid 1 of its pid namespace, TERM is not delivered and podman's KILL
# after -t 2 ends it: exit code 137, no sooner than 2 s.
"${R[@]}" -d --name d2 localhost/app:latest /bin/sleep 1000 >d2.id 2>d2.err || fail "run -d d2: $(cat d2.err)"
t0=$(date +%s%N)
"${P[@]}" stop -t 2 d2 >stop.out 2>&1 || fail "stop d2: $(cat stop.out)"
ms=$((($(date +%s%N) - t0) / 1000000))
code=$("${P[@]}" inspect d2 --format '{{.State.ExitCode}}')
[ "$code" = 137 ] && [ $ms -ge 2000 ] ||
        fail "stop -t 2 of a command without a TERM handler: exit code $code after $ms ms (runc's: 137, by the KILL after 2 s)"
"${P[@]}" rm d2 >rm.out 2>&1 || fail "rm d2: $(cat rm.out)"

# -m: a command over the limit is killed, one under it is not.
"${R[@]}" --rm -m 32m localhost/app:latest /bin/sh -c \
        'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' >m1.out 2>&1
rc=$?
[ $rc = 137 ] && ! grep -q survived m1.out || fail "-m 32m: 100 MB in the shell: exit status $rc: $(cat m1.out)"
"${R[@]}" --rm -m 32m localhost/app:latest /bin/sh -c \
        'x=$(head -c 1000000 /dev/zero | tr "\0" a); echo survived' >m2.out 2>&1
rc=$?
[ $rc = 0 ] && grep -q survived m2.out || fail "-m 32m: 1 MB in the shell: exit status $rc: $(cat m2.out)"

# --pids-limit: forks past the limit fail.
"${R[@]}" --rm --pids-limit 10 localhost/app:latest /bin/sh -c \
        'for i in $(seq 20); do sleep 5 & done; echo all-forked' >p1.out 2>&1
rc=$?
[ $rc != 0 ] && grep -q "can't fork" p1.out && ! grep -q all-forked p1.out ||
        fail "--pids-limit 10: exit status $rc: $(cat p1.out)"

# -p: podman's network publishes the container's port on 127.0.0.1 (of
# this test's network namespace).
port=18080
"${R[@]}" -d --name web -p "127.0.0.1:$port:8080" localhost/app:latest /bin/sh -c \
        'mkdir -p /www && echo hello-web >/www/index.html && exec httpd -f -p 8080 -h /www' \
        >web.id 2>web.err || fail "run -d -p: $(cat web.err)"
fetch() {
        python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
                "http://127.0.0.1:$port/index.html" >web.out 2>web.wget
}
wait_for 10 fetch || fail "-p: 127.0.0.1:$port: $(tail -1 web.wget) $("${P[@]}" logs web 2>&1)"
[ "$(cat web.out)" = hello-web ] || fail "-p: got $(cat web.out)"
"${P[@]}" rm -f -t 2 web >rm.out 2>&1 || fail "rm -f web: $(cat rm.out)"

# Nothing left: no container state of runroot's, no cgroup, no process.
[ -z "$(ls -A /run/runroot-oci 2>/dev/null)" ] || fail "runroot state left: $(ls /run/runroot-oci)"
left=$(dead_cgroups_since started | grep -v "/$CGP\$")
[ -z "$left" ] || fail "cgroups left: $left"
[ -n "$had_libpod_parent" ] || [ ! -d /sys/fs/cgroup/memory/libpod_parent ] ||
        fail "podman made /libpod_parent, outside the test's parent /$CGP"
left=$(ps -eo pid=,ppid=,comm= | awk -v me=$$ '$2 == me && $3 == "conmon"')
[ -z "$left" ] || fail "conmon left: $left"
echo "podman with runroot: run, --hooks-dir, -it, -d, logs, exec, stop, rm, -m, --pids-limit, -p: ok"
