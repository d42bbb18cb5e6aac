#!/bin/bash
# Detached containers when things go wrong (issue 16, point 5): an unknown
# or exited name for exec/stop/logs/kill/wait/inspect (one line, exit 1 as
# docker), a name already running, a start that fails (nothing left), bad
# subcommand arguments (125); generated names; --rm; log rotation; 20
# containers started and stopped at once (nothing left); a monitor killed
# with SIGKILL: ps shows it not running and gc removes its cgroups.
. "$(dirname "$0")/lib.sh"
set -o pipefail

STATE=/run/runroot
lc_state "$STATE"

# expect_msg RC MESSAGE ARGS...: that exit status and that stderr exactly.
expect_msg() {
        local want_rc=$1 want=$2 rc=0
        shift 2
        "$RUNROOT" "$@" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = "$want_rc" ] || fail "runroot $*: exit $rc, expected $want_rc ($(cat "$T/err"))"
        if [ -z "$want" ]; then
                [ ! -s "$T/err" ] || fail "runroot $*: stderr \"$(cat "$T/err")\", expected nothing"
        else
                printf '%s\n' "$want" | cmp -s - "$T/err" ||
                        fail "runroot $*: stderr \"$(cat "$T/err")\", expected \"$want\""
        fi
}
id_of() { sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$MKROOT_CACHE/names/$1/config.json"; }
init_of() { sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p' "$MKROOT_CACHE/names/$1/run.json"; }
started() { grep -F '"init_pid"' "$MKROOT_CACHE/names/$1/run.json" >/dev/null 2>&1; }
not_running() { ! grep -F '"running"' <("$RUNROOT" ps --format json) >/dev/null; }

# Unknown names: docker's exit 1, one line.
for sub in exec stop logs kill wait inspect; do
        extra=""
        [ "$sub" = exec ] && extra=true
        expect_msg 1 "runroot: $sub: no such container: nope" "$sub" nope $extra
done
# Bad arguments: 125, naming the problem.
expect_msg 125 "runroot: logs: --tail x: expected a number or all" logs --tail x nope
expect_msg 125 "runroot: stop: -t soon: expected seconds (0 to 86400)" stop -t soon nope
expect_msg 125 "runroot: kill: -s NOPE: not a signal (a name such as TERM, SIGHUP, or a number)" kill -s NOPE nope
expect_msg 125 "runroot: exec: no command given (see --help)" exec nope
expect_msg 125 "runroot: stop: no container name given (see --help)" stop
expect_msg 125 "runroot: logs: --bogus: unknown option (see --help)" logs --bogus nope
expect_msg 125 "runroot: exec: -w tmp: must be an absolute path" exec -w tmp nope true

# --help of each: its usage on stdout, exit 0.
for sub in logs exec stop kill wait inspect; do
        "$RUNROOT" "$sub" --help >"$T/help" 2>"$T/help.err" || fail "$sub --help: exit $?"
        head -1 "$T/help" | grep -E "^Usage: runroot $sub \[" >/dev/null || fail "$sub --help: $(cat "$T/help")"
        [ ! -s "$T/help.err" ] || fail "$sub --help wrote to stderr: $(cat "$T/help.err")"
done

# A start that fails: the message, exit 125, nothing left behind.
ls "$STATE" 2>/dev/null | sort >"$T/state.before"
expect_msg 125 "runroot: $T/missing.tar.gz: No such file or directory" -d --name broken "$T/missing.tar.gz" true
[ ! -e "$MKROOT_CACHE/names/broken" ] || fail "a failed -d left its layer"
ls "$STATE" 2>/dev/null | sort >"$T/state.after"
cmp "$T/state.before" "$T/state.after" || fail "a failed -d left state: $(comm -13 "$T/state.before" "$T/state.after")"

# A generated name, adjective_noun; the name already running is refused.
rr -d "$IMG" sleep 60 >"$T/gen.id" || fail "-d without --name"
"$RUNROOT" ps --format json >"$T/gen.json"
gen=$(sed -n 's/.*"Names":"\([^"]*\)".*/\1/p' "$T/gen.json")
[[ $gen =~ ^[a-z]+_[a-z]+$ ]] || fail "generated name \"$gen\""
expect_msg 125 "runroot: --name $gen: already running (runroot stop $gen, or use another name)" \
        -d --name "$gen" "$IMG" true
wait_for 5 started "$gen" || fail "$gen never started"
expect_msg 125 "runroot: --name $gen: in use by another run" --name "$gen" "$IMG" true
# exited: exec and kill refuse it; stop is done already; logs still work
rr stop -t 0 "$gen" >/dev/null || fail "stop -t 0"
expect_msg 1 "runroot: exec: $gen: not running" exec "$gen" true
expect_msg 1 "runroot: kill: $gen: not running" kill "$gen"
expect_msg 0 "" stop "$gen"
[ "$(cat "$T/out")" = "$gen" ] || fail "stop of a stopped one printed \"$(cat "$T/out")\""
expect_msg 0 "" logs "$gen"
# It starts again under the same name and id (the layer is kept).
id=$(cat "$T/gen.id")
rr -d --name "$gen" "$IMG" sh -c 'exit 7' >"$T/gen2.id" || fail "-d again"
[ "$(cat "$T/gen2.id")" = "$id" ] || fail "started again with another id: $(cat "$T/gen2.id"), was $id"
out=$(rr wait "$gen")
[ "$out" = 7 ] || fail "wait: \"$out\", expected 7"
rr rm "$gen" >/dev/null || fail "rm $gen"
[ ! -e "$STATE/$id" ] || fail "rm left $STATE/$id"

# rm -f of a running detached one: stopped, then its layer and state go.
rr -d --name forced "$IMG" sleep 60 >"$T/forced.id" || fail "-d forced"
fid=$(cat "$T/forced.id")
wait_for 5 started forced || fail "forced never started"
finit=$(init_of forced)
out=$(rr rm -f forced) || fail "rm -f: $out"
[ "$out" = forced ] || fail "rm -f printed \"$out\""
[ ! -d "/proc/$finit" ] || fail "rm -f: the init still runs"
[ ! -e "$STATE/$fid" ] || fail "rm -f left its state"
[ ! -e "$MKROOT_CACHE/names/forced" ] || fail "rm -f left its layer"

# A layer removed by other means than rm: gc removes its state (once it
# is older than a start takes).
rr -d --name lost "$IMG" true >"$T/lost.id" || fail "-d lost"
lid=$(cat "$T/lost.id")
rr wait lost >/dev/null
rm -rf "$MKROOT_CACHE/names/lost" "$MKROOT_CACHE/names/lost.lock"
touch -d '2 minutes ago' "$STATE/$lid/state.json"
rr gc || fail "gc"
[ ! -e "$STATE/$lid" ] || fail "gc kept the state of a container that is gone"

# --rm: gone once it exits.
rr -d --rm --name brief "$IMG" sh -c 'echo bye' >"$T/brief.id" || fail "-d --rm"
bid=$(cat "$T/brief.id")
gone() { [ ! -e "$MKROOT_CACHE/names/brief" ] && [ ! -e "$STATE/$bid" ]; }
wait_for 10 gone || fail "-d --rm: still there after it exited"

# Rotation: max-size 300 bytes, 2 files; the newest lines survive.
rr -d --name rot --log-opt max-size=300,max-file=2 "$IMG" sh -c 'i=0; while [ $i -lt 40 ]; do echo line$i; i=$((i+1)); done' >"$T/rot.id" ||
        fail "-d --log-opt"
rid=$(cat "$T/rot.id")
out=$(rr wait rot)
[ "$out" = 0 ] || fail "wait rot: $out"
[ -f "$STATE/$rid/container.log.1" ] || fail "no rotated log: $(ls "$STATE/$rid")"
[ ! -e "$STATE/$rid/container.log.2" ] || fail "max-file=2 kept a third file"
for f in "$STATE/$rid"/container.log*; do
        [ "$(stat -c %s "$f")" -le 300 ] || fail "$f: over max-size ($(stat -c %s "$f"))"
done
rr logs rot >"$T/rot.out"
tail -1 "$T/rot.out" | grep -x line39 >/dev/null || fail "rotated logs: last line $(tail -1 "$T/rot.out")"
grep -x line0 "$T/rot.out" >/dev/null && fail "rotated logs: the first lines survived"
rr rm rot >/dev/null

# 20 at once, started and stopped concurrently: distinct ids, all shown
# running, none left after.
for i in $(seq 20); do
        "$RUNROOT" -d --name "many$i" "$IMG" sh -c 'trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done' >"$T/many$i.id" 2>"$T/many$i.err" &
done
wait
for i in $(seq 20); do
        [[ $(cat "$T/many$i.id") =~ ^[0-9a-f]{64}$ ]] || fail "many$i: $(cat "$T/many$i.id" "$T/many$i.err")"
done
[ "$(cat "$T"/many*.id | sort -u | wc -l)" = 20 ] || fail "20 containers, not 20 distinct ids"
ready() { [ "$("$RUNROOT" logs "$1")" = ready ]; }
for i in $(seq 20); do wait_for 10 ready "many$i" || fail "many$i never ready"; done
rr ps >"$T/many.ps"
[ "$(grep -c ' many[0-9]* .* Up ' "$T/many.ps")" = 20 ] || fail "ps: not 20 running: $(cat "$T/many.ps")"
cgroups=""
inits=""
for i in $(seq 20); do
        inits="$inits $(init_of "many$i")"
        cgroups="$cgroups $(sed -n 's/.*"cgroups":\[\([^]]*\)\].*/\1/p' "$MKROOT_CACHE/names/many$i/run.json" | tr -d '"' | tr ',' ' ')"
done
for i in $(seq 20); do
        "$RUNROOT" stop -t 5 "many$i" >"$T/stop$i.out" 2>&1 &
done
wait
for i in $(seq 20); do [ "$(cat "$T/stop$i.out")" = "many$i" ] || fail "stop many$i: $(cat "$T/stop$i.out")"; done
rr ps >"$T/many.ps2"
[ "$(wc -l <"$T/many.ps2")" = 1 ] || fail "ps after stopping all: $(cat "$T/many.ps2")"
for p in $inits; do [ ! -d "/proc/$p" ] || fail "init $p still runs after stop"; done
for c in $cgroups; do [ ! -d "$c" ] || fail "cgroup $c left after stop"; done
for i in $(seq 20); do
        out=$(rr wait "many$i")
        [ "$out" = 0 ] || fail "wait many$i: $out"
done
ids=$(cat "$T"/many*.id)
rr rm $(seq -f 'many%g' 20) >/dev/null || fail "rm many"
for id in $ids; do [ ! -e "$STATE/$id" ] || fail "rm left $STATE/$id"; done

# The monitor SIGKILLed: its container goes with it, ps never shows it
# running; the cgroups its runroot could not remove go with the next
# command that finds it dead (ps here), or with gc.
# orphan NAME: start NAME, kill its monitor, wait for its init to end;
# sets oid, ocg (its cgroups).
orphan() {
        rr -d --name "$1" "$IMG" sh -c 'while :; do echo tick; sleep 0.2; done' >"$T/$1.id" || fail "-d $1"
        oid=$(cat "$T/$1.id")
        wait_for 5 started "$1" || fail "$1 never started"
        init=$(init_of "$1")
        ocg=$(sed -n 's/.*"cgroups":\[\([^]]*\)\].*/\1/p' "$MKROOT_CACHE/names/$1/run.json" | tr -d '"' | tr ',' ' ')
        [ -n "$ocg" ] || fail "no cgroup recorded for $1"
        mon=$(sed -n 's/.*"monitor_pid":\([0-9]*\).*/\1/p' "$STATE/$oid/state.json")
        [ -n "$mon" ] && [ -d "/proc/$mon" ] || fail "no monitor recorded"
        kill -9 "$mon"
        init_gone() { [ ! -d "/proc/$init" ]; }
        wait_for 5 init_gone || fail "the container outlived its monitor"
        # the host side died with it: nothing removed its cgroups
        left=0
        for c in $ocg; do [ -d "$c" ] && left=1; done
        [ "$left" = 1 ] || fail "$1: its cgroups went already ($ocg)"
}
orphan orphan
rr gc || fail "gc"
for c in $ocg; do [ ! -d "$c" ] || fail "gc left cgroup $c"; done
wait_for 5 not_running || fail "ps shows orphan running after its monitor was killed: $("$RUNROOT" ps)"
rr ps -a >"$T/orphan.ps"
grep -E "^${oid:0:12} +orphan .* (stopped|Exited \([0-9]+\) .* ago)$" "$T/orphan.ps" >/dev/null ||
        fail "ps -a: orphan: $(cat "$T/orphan.ps")"
expect_msg 1 "runroot: exec: orphan: not running" exec orphan true
rr rm orphan >/dev/null || fail "rm orphan"
[ ! -e "$STATE/$oid" ] || fail "rm orphan left its state"
orphan orphan2
"$RUNROOT" ps -a >"$T/orphan2.ps" || fail "ps -a"
grep -E "^${oid:0:12} +orphan2 .* (stopped|Exited \([0-9]+\) .* ago)$" "$T/orphan2.ps" >/dev/null ||
        fail "ps -a: orphan2: $(cat "$T/orphan2.ps")"
for c in $ocg; do [ ! -d "$c" ] || fail "ps left the dead container's cgroup $c"; done
rr rm orphan2 >/dev/null || fail "rm orphan2"
if grep -F "$T" /proc/mounts >/dev/null; then fail "mounts left: $(grep -F "$T" /proc/mounts)"; fi

# The host side SIGKILLed (the monitor lives): the monitor records 137.
rr -d --name hostkill "$IMG" sleep 60 >/dev/null || fail "-d hostkill"
wait_for 5 started hostkill || fail "hostkill never started"
hpid=$(sed -n 's/.*"pid":\([0-9]*\),"pid_start".*/\1/p' "$MKROOT_CACHE/names/hostkill/run.json")
[ -n "$hpid" ] && [ -d "/proc/$hpid" ] || fail "no host side recorded"
kill -9 "$hpid"
out=$(rr wait hostkill)
[ "$out" = 137 ] || fail "wait after the host side was killed: $out"
rr ps -a >"$T/hk.ps"
grep -E " hostkill .* Exited \(137\) .* ago$" "$T/hk.ps" >/dev/null || fail "ps -a: hostkill: $(cat "$T/hk.ps")"
rr rm hostkill >/dev/null || fail "rm hostkill"
check_no_leftovers
echo PASS
