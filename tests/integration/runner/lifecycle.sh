#!/bin/bash
# Detached containers (issue 16): runroot -d prints the id and returns; ps
# shows id, name, image, command, status and pid; the log is docker's
# json-file lines and grows; logs --tail/--timestamps/-f; exec sees the
# container's processes and files and not the host's, with the command's
# capability bounding set, no_new_privs, seccomp and cgroup, and no fd of
# runroot's; stop ends it within the timeout and leaves no process, mount
# or cgroup; wait prints the status; inspect is JSON; rm removes the state.
. "$(dirname "$0")/lib.sh"
set -o pipefail

STATE=/run/runroot
lc_state "$STATE"

# The test image with ps, grep and test too.
make_image lc ps grep test
IMG=$T/lc.tar.gz

lines_over() { [ "$(rr logs "$1" | wc -l)" -gt "$2" ]; }

# -d: the id (64 hex digits) at once.
start=$(date +%s%N)
rr -d --name tick "$IMG" sh -c 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/self/cgroup >/tmp/cg; while :; do echo tick; sleep 0.2; done' >"$T/id" ||
        fail "-d: exit $?"
ms=$((($(date +%s%N) - start) / 1000000))
id=$(cat "$T/id")
[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "-d: printed \"$id\", expected a 64-hex id"
[ "$ms" -lt 5000 ] || fail "-d took $ms ms to return"
[ -d "$STATE/$id" ] || fail "-d: no state directory $STATE/$id"

# ps: the 12-digit id, the name, the image, the command, Up, the pid.
wait_for 5 lines_over tick 4 || fail "the log does not grow: $(rr logs tick 2>&1)"
rr ps >"$T/ps.out" || fail "ps"
head -1 "$T/ps.out" >"$T/ps.head"
grep -E '^CONTAINER ID +NAME +IMAGE +COMMAND +CREATED +STATUS +PID$' "$T/ps.head" >/dev/null ||
        fail "ps: header: $(cat "$T/ps.out")"
grep -E "^${id:0:12} +tick +$(realpath "$IMG") +\"sh -c grep -E \"\^\(C[^ ]*\" +.* ago +Up .* [0-9]+$" "$T/ps.out" >/dev/null ||
        fail "ps: the row of tick: $(cat "$T/ps.out")"
pid=$(awk 'NR == 2 {print $NF}' "$T/ps.out")
[ -d "/proc/$pid" ] || fail "ps: pid $pid is not there"
rr ps --format json >"$T/ps.json" || fail "ps --format json"
grep -F "\"ID\":\"${id:0:12}\",\"Names\":\"tick\"" "$T/ps.json" >/dev/null || fail "ps json: $(cat "$T/ps.json")"
grep -F "\"State\":\"running\"" "$T/ps.json" >/dev/null || fail "ps json state: $(cat "$T/ps.json")"

# Completion offers the names after each subcommand (the running ones
# after exec, stop and kill, through runroot ps).
. "${SRCDIR:?}/completion/runroot"
for sub in logs exec stop kill wait inspect rm; do
        COMP_WORDS=(runroot "$sub" "")
        COMP_CWORD=2
        COMPREPLY=()
        PATH="$(dirname "$RUNROOT"):$PATH" _runroot
        [ "${COMPREPLY[*]}" = tick ] || fail "completion after $sub: ${COMPREPLY[*]}"
done

# The log: docker's json-file lines; logs gives the command's output back.
grep -m1 -F '"log":"tick\n"' "$STATE/$id/container.log" >"$T/line" || fail "no tick in the log file"
grep -E '^\{"log":"tick\\n","stream":"stdout","time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z"\}$' "$T/line" >/dev/null ||
        fail "log line format: $(cat "$T/line")"
n1=$(rr logs tick | grep -c '^tick$')
sleep 1
n2=$(rr logs tick | grep -c '^tick$')
[ "$n2" -gt "$n1" ] || fail "logs do not grow: $n1 then $n2"
rr logs --tail 2 tick >"$T/tail" || fail "logs --tail"
printf 'tick\ntick\n' | cmp - "$T/tail" || fail "logs --tail 2: $(cat "$T/tail")"
rr logs --tail 1 --timestamps tick >"$T/ts" || fail "logs --timestamps"
grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z tick$' "$T/ts" >/dev/null ||
        fail "logs --timestamps: $(cat "$T/ts")"
# -f follows: more lines arrive while it runs (ended by timeout, 124).
before=$(rr logs tick | wc -l)
rc=0
timeout 2 "$RUNROOT" logs -f tick >"$T/follow" || rc=$?
[ "$rc" = 124 ] || fail "logs -f ended by itself ($rc) while the container runs"
after=$(wc -l <"$T/follow")
[ "$after" -ge $((before + 4)) ] || fail "logs -f: $after lines, $before before it started"

# exec: the container's processes and files, not the host's.
sleep 1234 &
hostpid=$!
CLEANUP_PIDS="$hostpid"
rr exec tick ps -o pid,args >"$T/exec-ps" || fail "exec ps: $(cat "$T/exec-ps")"
grep -E '^ +1 ' "$T/exec-ps" >/dev/null || fail "exec: no pid 1 of the container: $(cat "$T/exec-ps")"
grep -F 'while :; do echo tick' "$T/exec-ps" >/dev/null || fail "exec does not see the command: $(cat "$T/exec-ps")"
if grep -F 'sleep 1234' "$T/exec-ps" >/dev/null; then fail "exec sees the host's processes"; fi
[ "$(wc -l <"$T/exec-ps")" -lt 10 ] || fail "exec: too many processes: $(cat "$T/exec-ps")"
kill "$hostpid"
out=$(rr exec tick cat /etc/marker) || fail "exec cat: $out"
[ "$out" = image ] || fail "exec: /etc/marker is \"$out\""
expect_rc 1 rr exec tick test -e "$T/img.tar.gz"
expect_rc 1 rr exec tick test -e /work
# no descriptor of runroot's: 0 1 2, and the one ls opens
rr exec tick ls /proc/self/fd >"$T/fds" || fail "exec ls fd"
printf '0\n1\n2\n3\n' | cmp - "$T/fds" || fail "exec: open descriptors: $(tr '\n' ' ' <"$T/fds")"
# the command's profile and cgroup
rr logs tick | grep -E '^(CapBnd|NoNewPrivs|Seccomp):' >"$T/prof.cmd"
rr exec tick grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status >"$T/prof.exec"
[ -s "$T/prof.cmd" ] || fail "no profile in the log"
cmp "$T/prof.cmd" "$T/prof.exec" || fail "exec's profile differs: $(cat "$T/prof.exec") vs $(cat "$T/prof.cmd")"
rr exec tick cat /tmp/cg >"$T/cg.cmd"
rr exec tick cat /proc/self/cgroup >"$T/cg.exec"
cmp "$T/cg.cmd" "$T/cg.exec" || fail "exec is not in the container's cgroup: $(cat "$T/cg.exec")"
# status, -e, -w, -u, stdin with -i only
expect_rc 3 rr exec tick sh -c 'exit 3'
out=$(rr exec -e FOO=bar -w /tmp tick sh -c 'echo $FOO $(pwd)')
[ "$out" = "bar /tmp" ] || fail "exec -e -w: \"$out\""
out=$(rr exec -u 1000 tick id -u)
[ "$out" = 1000 ] || fail "exec -u 1000: \"$out\""
out=$(rr exec -u user tick sh -c 'echo $HOME')
[ "$out" = /home/user ] || fail "exec -u user: HOME=\"$out\""
out=$(echo hello | rr exec -i tick cat)
[ "$out" = hello ] || fail "exec -i: \"$out\""
out=$(echo hello | rr exec tick cat)
[ -z "$out" ] || fail "exec without -i read stdin: \"$out\""

# exec -t: a terminal of its own from the container's devpts, the bytes
# relayed both ways, the status back.
python3 - "$RUNROOT" <<'PY' || fail "exec -it"
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "exec", "-it", "tick", "sh"])
out = b""
def drain(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            out += d
    return True
drain(1.0)
for line in [b"rrhelper isatty && echo TTY-YES\n", b"tty\n", b"exit 5\n"]:
    os.write(fd, line)
    drain(0.7)
end = time.time() + 10
while time.time() < end and drain(0.2):
    pass
_, st = os.waitpid(pid, 0)
rc = os.waitstatus_to_exitcode(st)
text = out.decode(errors="replace")
ok = rc == 5 and "TTY-YES" in text and "/dev/pts/" in text
if not ok:
    print("exec -it: rc %d, output:\n%s" % (rc, text), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
# stdin alone: without -t, -t refuses a non-terminal input
expect_rc 125 rr exec -t tick true </dev/null

# inspect: JSON with its state.
rr inspect tick >"$T/inspect" || fail "inspect"
python3 - "$T/inspect" "$id" "$pid" <<'EOF' || fail "inspect: $(cat "$T/inspect")"
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert d["Id"] == sys.argv[2] and d["Name"] == "tick", d
assert d["State"]["Running"] is True and d["State"]["Pid"] == int(sys.argv[3]), d["State"]
assert d["Path"] == "sh" and d["HostConfig"]["NetworkMode"] == "none", d
assert d["LogPath"].endswith("/container.log"), d
EOF

# stop: SIGTERM through the init; the loop ends (143), and nothing is left.
cgroups=$(sed -n 's/.*"cgroups":\[\([^]]*\)\].*/\1/p' "$MKROOT_CACHE/names/tick/run.json" | tr -d '"' | tr ',' ' ')
[ "$(id -u)" != 0 ] || [ -n "$cgroups" ] || fail "no cgroup recorded for a run as root"
start=$(date +%s)
out=$(rr stop -t 5 tick) || fail "stop: $out"
[ "$out" = tick ] || fail "stop printed \"$out\""
[ $(($(date +%s) - start)) -lt 5 ] || fail "stop of a command that takes SIGTERM waited the timeout"
[ ! -d "/proc/$pid" ] || fail "stop: the init $pid still runs"
for c in $cgroups; do [ ! -d "$c" ] || fail "stop: cgroup $c left"; done
if grep -F "$T" /proc/mounts >/dev/null; then fail "stop: mounts left: $(grep -F "$T" /proc/mounts)"; fi
out=$(rr wait tick) || fail "wait"
[ "$out" = 143 ] || fail "wait: \"$out\", expected 143"
rr ps -a >"$T/ps2"
grep -E "^${id:0:12} +tick .* Exited \(143\) .* ago$" "$T/ps2" >/dev/null || fail "ps -a after stop: $(cat "$T/ps2")"
rr ps >"$T/ps3"
[ "$(wc -l <"$T/ps3")" = 1 ] || fail "ps: a stopped one listed: $(cat "$T/ps3")"
# logs of a stopped container are still there; -f ends at once
rr logs tick >"$T/logs-stopped" || fail "logs of a stopped container"
grep -F tick "$T/logs-stopped" >/dev/null || fail "logs of a stopped container: empty"
timeout 5 "$RUNROOT" logs -f tick >/dev/null || fail "logs -f of a stopped container: $?"

# A command that ignores SIGTERM: SIGKILL after -t, nothing left.
rr -d --name stubborn "$IMG" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.2; done' >"$T/id2" || fail "-d stubborn"
id2=$(cat "$T/id2")
ready() { [ "$(rr logs stubborn)" = ready ]; }
wait_for 5 ready || fail "stubborn: never ready: $(rr logs stubborn 2>&1)"
pid2=$(sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p' "$MKROOT_CACHE/names/stubborn/run.json")
cgroups2=$(sed -n 's/.*"cgroups":\[\([^]]*\)\].*/\1/p' "$MKROOT_CACHE/names/stubborn/run.json" | tr -d '"' | tr ',' ' ')
start=$(date +%s%N)
rr stop -t 1 stubborn >/dev/null || fail "stop stubborn"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 900 ] || fail "stop -t 1 killed before the timeout ($ms ms)"
[ "$ms" -lt 6000 ] || fail "stop -t 1 took $ms ms"
[ ! -d "/proc/$pid2" ] || fail "stop -t 1: the init still runs"
for c in $cgroups2; do [ ! -d "$c" ] || fail "stop -t 1: cgroup $c left"; done
out=$(rr wait stubborn)
[ "$out" = 137 ] || fail "wait stubborn: \"$out\", expected 137"

# kill: a signal the init forwards (USR1), one it does not (ALRM: straight
# to the command), then the default, KILL.
rr -d --name sig "$IMG" sh -c 'trap "echo got-usr1" USR1; trap "echo got-alrm" ALRM; echo ready; while :; do sleep 0.1; done' >/dev/null ||
        fail "-d sig"
sig_ready() { [ "$(rr logs sig)" = ready ]; }
wait_for 5 sig_ready || fail "sig: never ready"
out=$(rr kill -s USR1 sig) || fail "kill -s USR1"
[ "$out" = sig ] || fail "kill printed \"$out\""
rr kill -s SIGALRM sig >/dev/null || fail "kill -s SIGALRM"
got_both() { rr logs sig >"$T/sig.log"; grep -x got-usr1 "$T/sig.log" >/dev/null && grep -x got-alrm "$T/sig.log" >/dev/null; }
wait_for 5 got_both || fail "kill: the signals did not reach the command: $(cat "$T/sig.log")"
rr kill sig >/dev/null || fail "kill"
out=$(rr wait sig)
[ "$out" = 137 ] || fail "wait after kill: \"$out\""
rr rm sig >/dev/null

# inspect of an exited one keeps its configuration: mounts, limits.
rr -d --name conf -v "$T:/host:ro" --tmpfs /scratch --pids 50 "$IMG" true >/dev/null || fail "-d conf"
rr wait conf >/dev/null
rr inspect conf >"$T/inspect2" || fail "inspect conf"
python3 - "$T/inspect2" "$T" <<'EOF' || fail "inspect of an exited container: $(cat "$T/inspect2")"
import json, sys
d = json.load(open(sys.argv[1]))[0]
assert d["State"]["Status"] == "exited" and d["State"]["ExitCode"] == 0, d["State"]
m = {x["Destination"]: x for x in d["Mounts"]}
assert m["/host"]["Source"] == sys.argv[2] and m["/host"]["RW"] is False, m
assert m["/scratch"]["Type"] == "tmpfs", m
assert d["HostConfig"]["PidsLimit"] == 50, d["HostConfig"]
EOF
rr rm conf >/dev/null

# rm: the layer and the state go.
out=$(rr rm tick stubborn) || fail "rm: $out"
[ ! -e "$STATE/$id" ] || fail "rm: $STATE/$id left"
[ ! -e "$STATE/$id2" ] || fail "rm: $STATE/$id2 left"
[ ! -e "$MKROOT_CACHE/names/tick" ] || fail "rm: the layer is left"
check_no_leftovers
echo PASS
