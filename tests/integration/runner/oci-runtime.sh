#!/bin/bash
# runroot as an OCI runtime, runc's command line: a bundle that umoci
# unpacks from an OCI image mkroot builds (busybox-static), through create,
# state, start, state, delete; run's exit status; kill of a sleeping one;
# list; --version; what it refuses.
. "$(dirname "$0")/../../helpers/subreaper.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
command -v umoci >/dev/null || { echo "SKIP: needs umoci"; exit 77; }
: "${MKROOT:?}"
cd "$T"
printf 'Base: %s\nCmd: ["/bin/sh"]\n' "$IMG" >app.manifest
"$MKROOT" build app.manifest --format oci -o app.oci.tar 2>build.err || fail "mkroot build: $(cat build.err)"
mkdir layout && tar -xf app.oci.tar -C layout
umoci unpack --image layout:localhost/app:latest bundle >umoci.out 2>&1 || fail "umoci unpack: $(cat umoci.out)"
# set_args BUNDLE ARG...: process.args, and no terminal.
set_args() {
        python3 - "$@" <<'PY'
import json, sys
f = sys.argv[1] + "/config.json"
c = json.load(open(f))
c["process"]["args"] = sys.argv[2:]
c["process"]["terminal"] = False
json.dump(c, open(f, "w"))
PY
}

# create: the process is there but waits for start.
set_args bundle /bin/sh -c 'echo "hello from the bundle"; echo "$0" >/ran'
"${R[@]}" create --bundle bundle --pid-file "$T/pid" c1 >c1.out 2>c1.err || fail "create: $(cat c1.err)"
[ "$(state_field c1 status)" = created ] || fail "after create: $(cat st.json)"
pid=$(state_field c1 pid)
[ -n "$pid" ] && [ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || fail "created, no pid: $(cat st.json)"
[ "$(cat "$T/pid")" = "$pid" ] || fail "--pid-file $(cat "$T/pid"), state pid $pid"
[ "$(state_field c1 id)" = c1 ] && [ "$(state_field c1 bundle)" = "$T/bundle" ] &&
        [ "$(state_field c1 ociVersion)" = 1.2.0 ] || fail "state: $(cat st.json)"
grep -q '"org.opencontainers.image.os": "linux"' st.json || fail "state lacks the annotations: $(cat st.json)"
sleep 0.3
[ ! -s c1.out ] && [ ! -e bundle/rootfs/ran ] || fail "the process ran before start: $(cat c1.out)"
"${R[@]}" list >list.out 2>&1 || fail "list: $(cat list.out)"
grep -q "^c1 .* created " list.out || fail "list: $(cat list.out)"
"${R[@]}" start c1 2>start.err || fail "start: $(cat start.err)"
for _ in $(seq 100); do [ "$(state_field c1 status)" = stopped ] && break; sleep 0.05; done
[ "$(state_field c1 status)" = stopped ] || fail "not stopped after its exit: $(cat st.json)"
[ "$(cat c1.out)" = "hello from the bundle" ] || fail "output: $(cat c1.out) $(cat c1.err)"
[ -e bundle/rootfs/ran ] || fail "the root is not written in place"
"${R[@]}" start c1 2>start2.err && fail "start of a stopped one worked"
[ "$(cat start2.err)" = "runroot: container c1: cannot start a container that has stopped" ] || fail "start twice: $(cat start2.err)"
"${R[@]}" delete c1 2>del.err || fail "delete: $(cat del.err)"
[ ! -e "$T/state/c1" ] || fail "delete left $(ls "$T/state/c1")"
"${R[@]}" state c1 >/dev/null 2>st.err && fail "state of a deleted one worked"
[ "$(cat st.err)" = 'runroot: container "c1" does not exist' ] || fail "state: $(cat st.err)"

# run: the exit status passes through, the container is gone after.
set_args bundle /bin/sh -c 'echo run; exit 7'
"${R[@]}" run --bundle bundle r1 >r1.out 2>r1.err
rc=$?
[ $rc = 7 ] || fail "run exit status $rc: $(cat r1.err)"
[ "$(cat r1.out)" = run ] || fail "run output: $(cat r1.out)"
[ ! -e "$T/state/r1" ] || fail "run left its state"

# kill a sleeping one: running, then stopped; kill of a stopped one fails.
set_args bundle /bin/sleep 60
"${R[@]}" create --bundle bundle k1 2>k1.err || fail "create k1: $(cat k1.err)"
"${R[@]}" create --bundle bundle k1 2>k1b.err && fail "create twice worked"
[ "$(cat k1b.err)" = "runroot: container with given ID already exists: k1" ] || fail "create twice: $(cat k1b.err)"
"${R[@]}" start k1 || fail "start k1"
[ "$(state_field k1 status)" = running ] || fail "k1: $(cat st.json)"
"${R[@]}" kill k1 KILL 2>kill.err || fail "kill: $(cat kill.err)"
for _ in $(seq 100); do [ "$(state_field k1 status)" = stopped ] && break; sleep 0.05; done
[ "$(state_field k1 status)" = stopped ] || fail "k1 after kill: $(cat st.json)"
"${R[@]}" kill k1 TERM 2>kill2.err && fail "kill of a stopped one worked"
[ "$(cat kill2.err)" = "runroot: container k1: container not running" ] || fail "kill: $(cat kill2.err)"
"${R[@]}" delete k1 || fail "delete k1"
# delete --force of a running one.
"${R[@]}" create --bundle bundle k2 2>/dev/null || fail "create k2"
"${R[@]}" start k2 || fail "start k2"
kpid=$(state_field k2 pid)
"${R[@]}" delete --force k2 2>kf.err || fail "delete --force: $(cat kf.err)"
[ ! -e "$T/state/k2" ] && [ ! -d "/proc/$kpid" ] || fail "delete --force left it"
"${R[@]}" list --format json >list.json || fail "list --format json"
[ "$(cat list.json)" = "null" ] || fail "list: $(cat list.json)"

# linux.resources: the limits are on the cgroup of the created one's
# process (cgroup v1 or v2).
python3 - bundle <<'PY'
import json, sys
f = sys.argv[1] + "/config.json"
c = json.load(open(f))
c["process"]["args"] = ["/bin/sleep", "60"]
c["linux"]["resources"]["pids"] = {"limit": 17}
c["linux"]["resources"]["memory"] = {"limit": 67108864}
json.dump(c, open(f, "w"))
PY
"${R[@]}" create --bundle bundle l1 2>l1.err || fail "create l1: $(cat l1.err)"
lpid=$(state_field l1 pid)
f=$(cg_file "$lpid" pids pids.max pids.max)
[ -n "$f" ] && [ "$(cat "$f")" = 17 ] || fail "pids.limit: ${f:-no pids cgroup} $(cat "$f" 2>/dev/null)"
f=$(cg_file "$lpid" memory memory.limit_in_bytes memory.max)
[ -n "$f" ] && [ "$(cat "$f")" = 67108864 ] || fail "memory.limit: ${f:-no memory cgroup} $(cat "$f" 2>/dev/null)"
"${R[@]}" delete --force l1 || fail "delete l1"

# The terminal goes to the caller over --console-socket: the pty's master
# passed with SCM_RIGHTS, read here by a small receiver.
write_console_receiver recv.py
set_args bundle /bin/sh -c 'tty; echo via-pty'
"${R[@]}" create --bundle bundle --console-socket "$T/console.sock" t0 2>t0.err && fail "console socket with terminal false worked"
grep -v ': warning: ' t0.err >t0.msg
[ "$(cat t0.msg)" = "runroot: --console-socket: config.json's process.terminal is false" ] || fail "t0: $(cat t0.err)"
python3 - bundle <<'PY'
import json, sys
f = sys.argv[1] + "/config.json"
c = json.load(open(f))
c["process"]["terminal"] = True
json.dump(c, open(f, "w"))
PY
"${R[@]}" create --bundle bundle t0 2>t0.err && fail "terminal without a console socket worked"
grep -v ': warning: ' t0.err >t0.msg
[ "$(cat t0.msg)" = "runroot: config.json: process.terminal: true needs --console-socket" ] || fail "t0: $(cat t0.err)"
python3 recv.py "$T/console.sock" "$T/console.out" &
recv=$!
CLEANUP_PIDS="$CLEANUP_PIDS $recv"
for _ in $(seq 100); do [ -S "$T/console.sock" ] && break; sleep 0.05; done
"${R[@]}" create --bundle bundle --console-socket "$T/console.sock" t1 2>t1.err || fail "create t1: $(cat t1.err)"
"${R[@]}" start t1 || fail "start t1"
wait "$recv" || fail "the console receiver failed"
printf '/dev/pts/0\r\nvia-pty\r\n' >console.want
cmp console.want console.out || fail "console: $(od -c console.out | head)"
"${R[@]}" delete --force t1 || fail "delete t1"

# --version as runc prints it; --systemd-cgroup refused.
"$RUNROOT" --root "$T/state" --version >ver.out || fail "--version"
grep -qx 'runroot version [0-9.]*' ver.out && grep -qx 'spec: 1.2.0' ver.out || fail "--version: $(cat ver.out)"
"$RUNROOT" --systemd-cgroup list 2>sd.err && fail "--systemd-cgroup worked"
[ "$(cat sd.err)" = "runroot: --systemd-cgroup: not supported (runroot manages its cgroups itself, through cgroupfs)" ] ||
        fail "--systemd-cgroup: $(cat sd.err)"
# --log with json lines.
"$RUNROOT" --root "$T/state" --log "$T/log.json" --log-format json state nope 2>/dev/null && fail "state nope"
python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).readline()); assert j["level"]=="error" and j["msg"]=="container \"nope\" does not exist", j' "$T/log.json" ||
        fail "--log json: $(cat "$T/log.json")"
# --root is made with its parents, as runc makes it (containerd's shim
# passes ROOT/NAMESPACE and makes neither).
set_args bundle /bin/sh -c 'echo in-new-root'
"$RUNROOT" --root "$T/new/ns" run --bundle bundle nr >nr.out 2>nr.err ||
        fail "run with a new --root: $(cat nr.err)"
[ "$(cat nr.out)" = in-new-root ] && [ -d "$T/new/ns" ] || fail "run with a new --root: $(cat nr.out)"
# --log: a warning goes to the file only (create's stderr is the
# container's own under containerd's shim and conmon), an error to
# stderr too.
set_args bundle /bin/sh -c 'echo warned'
"$RUNROOT" --root "$T/state" --log "$T/log.txt" run --no-pivot --bundle bundle w1 >w1.out 2>w1.err ||
        fail "run --no-pivot: $(cat w1.err)"
[ "$(cat w1.out)" = warned ] && [ ! -s w1.err ] || fail "--log: a warning on stderr: $(cat w1.err)"
grep -q 'level=warning msg="run --no-pivot: ignored (runroot always uses pivot_root)"' "$T/log.txt" ||
        fail "--log: no warning in the file: $(cat "$T/log.txt")"
"$RUNROOT" --root "$T/state" --log "$T/log.txt" state nope >nope.out 2>nope.err && fail "state nope"
[ "$(cat nope.err)" = 'runroot: container "nope" does not exist' ] || fail "--log: the error on stderr: $(cat nope.err)"
# runroot's own commands are untouched: kill of an unknown name.
"$RUNROOT" kill nosuch 2>own.err && fail "runroot kill nosuch"
grep -q "no such container: nosuch" own.err || fail "runroot kill (docker's): $(cat own.err)"
echo PASS
