#!/bin/bash
# runroot as an OCI runtime: config.json's hooks, as the runtime
# specification and runc run them. Each hook writes one line (its name, the
# status and id of the state on its stdin, its mount namespace, the pid of
# the state, whether the container's root is its /) to one log: the order,
# the state and the namespaces are checked from it. A failing prestart or
# createRuntime fails create and leaves no container, cgroup, mount or
# process; a timeout kills the hook and what it started; a failing
# startContainer fails start and the command never runs; failing poststart
# and poststop hooks are warnings; run runs them all too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
cd "$T"
make_bundle b /bin/sh -c 'echo process >>/hooks.log; exec sleep 30'
: >b/rootfs/only-in-container
LOG=$T/b/rootfs/hooks.log
ns_of() { readlink "/proc/$1/ns/mnt" | tr -dc 0-9; } # the mount namespace's inode
HOSTNS=$(ns_of self)

# The hook: hook.sh NAME [fail|sleep|group]. On the host it runs with the
# host's sh and busybox; in the container (startContainer) with the image's.
cat >b/rootfs/hook.sh <<'EOF'
#!/bin/sh
st=$($BB cat)
field() { echo "$st" | $BB sed -n "s/.*\"$1\":\"*\([^\",}]*\).*/\1/p"; }
where=host
[ -e /only-in-container ] && where=container
echo "$1 $(field status) $(field id) $($BB readlink /proc/self/ns/mnt | $BB tr -dc 0-9) pid=$(field pid) $where" >>"$LOG"
[ -z "${CGFILE:-}" ] || $BB cat "/proc/$(field pid)/cgroup" >"$CGFILE"
[ -z "${STATES:-}" ] || echo "$st" >"$STATES/$1.json"
case ${2:-} in
fail) echo "hook $1 fails" >&2; exit 3 ;;
sleep) echo $$ >"$PIDFILE"; exec $BB sleep 60 ;;
group) $BB sleep 60 & echo $! >"$PIDFILE"; wait ;;
esac
exit 0
EOF
chmod 755 b/rootfs/hook.sh
cp b/rootfs/hook.sh "$T/hook.sh"
# hooks KIND=ARG... : config.json's hooks, one hook.sh per KIND (ARG its
# second argument, "-" none); startContainer's path is the container's.
hooks() {
        edit_config b "
h = {}
for a in '$*'.split():
    k, arg = a.split('=')
    inside = k == 'startContainer'
    hook = {'path': '/hook.sh' if inside else '$T/hook.sh',
            'args': ['hook.sh', k] + ([] if arg == '-' else [arg]),
            'env': ['BB=' + ('/bin/busybox' if inside else '$BUSYBOX'),
                    'LOG=' + ('/hooks.log' if inside else '$LOG'),
                    'PIDFILE=$T/hook.pid', 'CGFILE=' + ('$T/cg' if k == 'createRuntime' else ''),
                    'STATES=' + ('/' if inside else '$T/states')]}
    if arg in ('sleep', 'group'):
        hook['timeout'] = 1
    h.setdefault(k, []).append(hook)
c['hooks'] = h"
}
# line N: the log's line N (1-based), each field checked by the caller.
line() { sed -n "${1}p" "$LOG"; }
want_line() { # N WANT-REGEX
        line "$1" | grep -Eqx -- "$2" || fail "hook line $1: \"$(line "$1")\", expected /$2/ (log: $(cat "$LOG"))"
}

# --- create, start, delete: every kind, in the specification's order.
mkdir states
edit_config b "c['annotations'] = {'org.example.test': 'yes'}"
hooks prestart=- createRuntime=- createContainer=- startContainer=- poststart=- poststop=-
: >"$LOG"
"${R[@]}" create --bundle b c1 2>c1.err || fail "create with hooks: $(cat c1.err)"
PID=$(state_field c1 pid)
CTRNS=$(ns_of "$PID")
[ "$CTRNS" != "$HOSTNS" ] || fail "the container has the host's mount namespace"
[ "$(wc -l <"$LOG")" = 3 ] || fail "after create: $(cat "$LOG")"
want_line 1 "prestart creating c1 $HOSTNS pid=$PID host"
want_line 2 "createRuntime creating c1 $HOSTNS pid=$PID host"
# in the container's namespaces (pid 1 there), before pivot_root: the
# host's paths still resolve and / is not the container's root yet
want_line 3 "createContainer creating c1 $CTRNS pid=1 host"
[ "$(state_field c1 status)" = created ] || fail "status after create: $(state_field c1 status)"
"${R[@]}" start c1 2>start.err || fail "start: $(cat start.err)"
# poststart has run when start returns, after startContainer
want_line 4 "startContainer created c1 $CTRNS pid=[0-9]+ container"
grep -Eqx "poststart running c1 $HOSTNS pid=$PID host" "$LOG" || fail "no poststart before start returned: $(cat "$LOG")"
wait_for 10 grep -qx process "$LOG" || fail "the process did not run: $(cat "$LOG")"
[ "$(grep -n . "$LOG" | grep -E ':(process|poststart )' | cut -d: -f1 | sort -n | head -1)" -ge 5 ] ||
        fail "the process or poststart before startContainer: $(cat "$LOG")"
grep -q poststop "$LOG" && fail "poststop before delete: $(cat "$LOG")"
"${R[@]}" delete --force c1 2>del.err || fail "delete: $(cat del.err)"
[ "$(tail -1 "$LOG")" = "poststop stopped c1 $HOSTNS pid= host" ] || fail "poststop after delete: $(cat "$LOG")"
[ ! -e state/c1 ] || fail "delete left state/c1"
# The whole state: the specification's fields, config.json's annotations.
cp b/rootfs/startContainer.json states/
python3 - "$T" "$PID" <<'PY' || fail "the hooks' state"
import json, sys
t, pid = sys.argv[1], int(sys.argv[2])
for k, status in [("prestart", "creating"), ("createRuntime", "creating"), ("createContainer", "creating"),
                  ("startContainer", "created"), ("poststart", "running"), ("poststop", "stopped")]:
    s = json.load(open(f"{t}/states/{k}.json"))
    assert set(s) == {"ociVersion", "id", "status", "bundle", "annotations"} | ({"pid"} if k != "poststop" else set()), (k, s)
    assert s["id"] == "c1" and s["status"] == status and s["bundle"] == f"{t}/b", (k, s)
    assert s["annotations"] == {"org.example.test": "yes"} and s["ociVersion"].startswith("1."), (k, s)
    assert k not in ("prestart", "createRuntime", "poststart") or s["pid"] == pid, (k, s)
PY
[ "$(wc -l <"$LOG")" = 7 ] || fail "hooks ran more than once: $(cat "$LOG")"

# --- a failing createRuntime: create fails, nothing is left, poststop runs
# (runc does), createContainer never does.
hooks prestart=- createRuntime=fail createContainer=- poststop=-
: >"$LOG"
rm -f cg
"${R[@]}" create --bundle b c2 >c2.out 2>c2.err
rc=$?
[ "$rc" = 1 ] || fail "create with a failing createRuntime exited $rc, not runc's 1: $(cat c2.err)"
grep -qx "runroot: hooks.createRuntime\[0\]: $T/hook.sh: exited with status 3" c2.err ||
        fail "create's message: $(cat c2.err)"
grep -qx "hook createRuntime fails" c2.err || fail "the hook's stderr is not create's: $(cat c2.err)"
cut -d' ' -f1 "$LOG" | tr '\n' ' ' | grep -qx "prestart createRuntime poststop " ||
        fail "hooks run by a failed create: $(cat "$LOG")"
"${R[@]}" state c2 >/dev/null 2>&1 && fail "a failed create left container c2"
[ ! -e state/c2 ] || fail "a failed create left state/c2"
CPID=$(line 2 | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
[ -n "$CPID" ] && ! kill -0 "$CPID" 2>/dev/null || fail "the container's process $CPID outlived its failed create"
CGS=$(awk -F: '{ n = split($3, p, "/"); if (p[n] ~ /^runroot-/) print p[n] }' cg | sort -u)
[ -n "$CGS" ] || fail "createRuntime saw no runroot cgroup of the container: $(cat cg)"
for g in $CGS; do
        left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$g" 2>/dev/null)
        [ -z "$left" ] || fail "a failed create left cgroup $left"
done
check_no_leftovers

# --- a timeout kills the hook and what it started; create fails.
hooks createRuntime=group
: >"$LOG"
start=$(date +%s)
"${R[@]}" create --bundle b c3 2>c3.err && fail "create went on past a hook's timeout"
grep -qx "runroot: hooks.createRuntime\[0\]: $T/hook.sh: timed out after 1 s (killed)" c3.err ||
        fail "timeout message: $(cat c3.err)"
[ $(($(date +%s) - start)) -lt 10 ] || fail "create waited $(($(date +%s) - start)) s for a 1 s timeout"
BG=$(cat hook.pid)
[ -n "$BG" ] && wait_for 5 sh -c "! kill -0 $BG 2>/dev/null" || fail "the hook's child $BG outlived its timeout"
[ ! -e state/c3 ] || fail "a timed out create left state/c3"

# --- a createContainer that outlives its timeout (in the container) is
# killed as well, and create fails.
hooks createContainer=sleep
"${R[@]}" create --bundle b c8 2>c8.err && fail "create went on past createContainer's timeout"
grep -qx "runroot: hooks.createContainer\[0\]: $T/hook.sh: timed out after 1 s (killed)" c8.err ||
        fail "createContainer's timeout: $(cat c8.err)"
[ ! -e state/c8 ] || fail "a timed out createContainer left state/c8"

# --- a failing startContainer fails start; the command never runs.
hooks startContainer=fail poststart=-
: >"$LOG"
"${R[@]}" create --bundle b c4 2>c4.err || fail "create c4: $(cat c4.err)"
"${R[@]}" start c4 >s4.out 2>s4.err
rc=$?
[ "$rc" = 1 ] || fail "start with a failing startContainer exited $rc: $(cat s4.err)"
grep -qx "runroot: container c4: hooks.startContainer\[0\]: /hook.sh: exited with status 3" s4.err ||
        fail "start's message: $(cat s4.err)"
wait_for 10 sh -c "'${R[0]}' --root '$T/state' state c4 | grep -q '\"stopped\"'" ||
        fail "c4 runs after its startContainer failed: $(state_field c4 status)"
grep -q -e process -e poststart "$LOG" && fail "the command or poststart ran: $(cat "$LOG")"
"${R[@]}" delete c4 2>d4.err || fail "delete c4: $(cat d4.err)"

# --- a start killed while startContainer runs: the command still runs
# (nobody reads the fifo's "1" any more; no SIGPIPE ends it for that).
edit_config b "c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'sleep 1']}]}"
: >"$LOG"
"${R[@]}" create --bundle b c7 2>c7.err || fail "create c7: $(cat c7.err)"
"${R[@]}" start c7 2>s7.err &
spid=$!
sleep 0.3
kill -9 "$spid"
wait "$spid" 2>/dev/null
wait_for 10 grep -qx process "$LOG" || fail "a start killed during startContainer killed the command: $(cat "$LOG")"
"${R[@]}" delete --force c7 2>d7.err || fail "delete c7: $(cat d7.err)"

# --- failing poststart and poststop hooks are warnings: start and delete
# succeed, the next hooks still run.
edit_config b "c['hooks'] = {'poststart': [{'path': '$T/nonexistent'}], 'poststop': [{'path': '/bin/false'}, {'path': '$T/hook.sh', 'args': ['hook.sh', 'poststop'], 'env': ['BB=$BUSYBOX', 'LOG=$LOG']}]}"
: >"$LOG"
"${R[@]}" create --bundle b c5 2>c5.err || fail "create c5: $(cat c5.err)"
"${R[@]}" start c5 2>s5.err || fail "start with a failing poststart: $(cat s5.err)"
grep -qx "runroot: warning: hooks.poststart\[0\]: $T/nonexistent: No such file or directory" s5.err ||
        fail "poststart's warning: $(cat s5.err)"
"${R[@]}" delete --force c5 2>d5.err || fail "delete with a failing poststop: $(cat d5.err)"
grep -qx "runroot: warning: hooks.poststop\[0\]: /bin/false: exited with status 1" d5.err ||
        fail "poststop's warning: $(cat d5.err)"
[ ! -e state/c5 ] || fail "a failing poststop kept state/c5"
grep -Eqx "poststop stopped c5 $HOSTNS pid= host" "$LOG" || fail "the second poststop did not run: $(cat "$LOG")"

# --- run: the same hooks around a foreground container, its status kept.
edit_config b "c['process']['args'] = ['/bin/sh', '-c', 'echo process >>/hooks.log; exit 7']"
hooks prestart=- createRuntime=- createContainer=- startContainer=- poststart=- poststop=-
: >"$LOG"
"${R[@]}" run --bundle b c6 >c6.out 2>c6.err
rc=$?
[ "$rc" = 7 ] || fail "run with hooks exited $rc: $(cat c6.err)"
got=$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')
case $got in
"prestart createRuntime createContainer startContainer "*" poststop ") ;;
*) fail "run's hooks: $got" ;;
esac
for k in process poststart; do
        grep -q "^$k" "$LOG" || fail "run: no $k: $(cat "$LOG")"
done
[ ! -e state/c6 ] || fail "run left state/c6"

# --- bad hooks: one line naming the JSON path.
bad() { # WANT EDIT
        edit_config b "$2"
        "${R[@]}" create --bundle b bad >bad.out 2>bad.err && fail "create took $2"
        grep -qx "runroot: config.json: $1" bad.err || fail "$2: $(cat bad.err)"
        [ ! -e state/bad ] || fail "a refused config.json left state/bad"
}
bad "hooks.prestart\[0\].path: not an absolute path" "c['hooks'] = {'prestart': [{'path': 'hook.sh'}]}"
bad "hooks.createRuntime\[1\].path: missing" "c['hooks'] = {'createRuntime': [{'path': '/bin/true'}, {'args': []}]}"
bad "hooks.poststop\[0\].timeout: must be greater than zero" "c['hooks'] = {'poststop': [{'path': '/bin/true', 'timeout': 0}]}"
bad "hooks.startContainer\[0\].args: expected an array of strings" "c['hooks'] = {'startContainer': [{'path': '/bin/true', 'args': [1]}]}"
bad "hooks.poststart: expected an array" "c['hooks'] = {'poststart': {'path': '/bin/true'}}"
# A kind of hook the specification does not have: ignored with a warning,
# as runc (Go's decoder) ignores it.
edit_config b "c['hooks'] = {'onExit': [{'path': '/bin/false'}]}"
"${R[@]}" create --bundle b unk >unk.out 2>unk.err || fail "create with hooks.onExit: $(cat unk.err)"
grep -qx "runroot: warning: config.json: hooks.onExit: unknown member, ignored" unk.err ||
        fail "hooks.onExit: $(cat unk.err)"
"${R[@]}" delete unk || fail "delete unk"
check_no_leftovers
echo ok
