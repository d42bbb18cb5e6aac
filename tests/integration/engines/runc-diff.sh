#!/bin/bash
# runroot beside runc (Debian's, /usr/sbin/runc) on the same bundles: a
# bundle umoci unpacks from an image mkroot writes, driven through both
# runtimes, each with its own --root under $T and its cgroups below the
# test's own parent (linux.cgroupsPath). Compared: state JSON after create,
# after start and after the process ended (the keys, and their values but
# the pid's and ociVersion's: runc says its own spec version), list
# --format json, --pid-file, exit statuses of run (exit 0, exit 3, killed
# by TERM and by KILL; TERM to pid 1 of a pid namespace, which keeps
# running without a handler and runs its trap with one; STOP and CONT,
# which stop and resume the command), of exec, ps of a
# stopped one, and of what engines do wrong (start twice or of a stopped
# one, create twice, delete of a running one, kill of a stopped one,
# unknown ids, bad config.json, a command that is not there for run,
# create and exec, an rlimit that cannot be set); messages by the phrase
# that podman and containerd look for ("does not exist",
# "container not running", "already exists", "no such file or
# directory"), which runc's own message must contain too.
# Then what is left: state directories empty, no process, no cgroup below
# the parent, no mount. A difference fails the test with a table of them.
. "$(dirname "$0")/../../helpers/subreaper.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../runner/oci-lib.sh"
set -o pipefail
RUNC=$(command -v runc) || { echo "SKIP: needs runc (tools/install-deps --test)"; exit 77; }
command -v umoci >/dev/null || { echo "SKIP: needs umoci (tools/install-deps --test)"; exit 77; }
cd "$T"
RC=("$RUNC" --root "$T/runc")
# Every container of this test's cgroups goes below this parent.
CGP=runroot-$$-runcdiff
declare -A desc gone cgl
diff_cleanup() {
        local d p
        # A runtime that hung (both() gave up on it) and the monitor it
        # left: the processes whose command line names this test's own
        # state directories, which no other process has.
        for p in $(ps -eo pid=); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "--root $T/" && kill -9 "$p"
        done
        for d in "$T"/runc/*/; do
                [ -d "$d" ] && "${RC[@]}" delete --force "$(basename "$d")" 2>/dev/null
        done
        for d in "$T"/state/*/; do
                [ -d "$d" ] && "${R[@]}" delete --force "$(basename "$d")" 2>/dev/null
        done
        cgroup_tree_remove "$CGP"
        rr_cleanup
}
trap diff_cleanup EXIT

mkdir layout && tar -xf app.oci.tar -C layout
umoci unpack --image layout:localhost/app:latest base >umoci.out 2>&1 || fail "umoci unpack: $(cat umoci.out)"

# bundle NAME PYTHON ARG...: runc-b/NAME and rr-b/NAME, the base bundle
# running ARG... with no terminal, its cgroup /$CGP/RUNTIME-NAME, and then
# the python statements applied to c (config.json).
bundle() {
        local name=$1 edit=$2 rt
        shift 2
        for rt in runc rr; do
                mkdir -p "$rt-b"
                cp -a base "$rt-b/$name"
                python3 - "$rt-b/$name/config.json" "/$CGP/$rt-$name" "$edit" "$@" <<'PY' || fail "bundle $name"
import json, sys
f = sys.argv[1]
c = json.load(open(f))
c["process"]["args"] = sys.argv[4:]
c["process"]["terminal"] = False
c["linux"]["cgroupsPath"] = sys.argv[2]
exec(sys.argv[3])
json.dump(c, open(f, "w"), indent=1)
PY
        done
}

# Differences: one line each, WHAT<tab>RUNC<tab>RUNROOT.
: >diffs
note() { # WHAT RUNC RUNROOT
        [ "$2" = "$3" ] || printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>diffs
}

# both WHAT PHRASE ARG...: ARG through runc and through runroot, @NAME
# standing for the runtime's bundle NAME; the exit statuses compared and,
# with a PHRASE, both stderrs must contain it (in any case: podman's
# regexes ignore it). Outputs in out.runc, err.runc, out.rr, err.rr, the
# statuses in ST_RUNC and ST_RR.
both() {
        local what=$1 phrase=$2 rt a
        local -a args
        local -A st
        shift 2
        for rt in runc rr; do
                args=()
                for a in "$@"; do
                        case $a in @*) args+=("$T/$rt-b/${a#@}") ;; *) args+=("$a") ;; esac
                done
                # a runtime that hangs is a difference (124), not the end
                if [ $rt = runc ]; then
                        timeout 60 "${RC[@]}" "${args[@]}" >"out.$rt" 2>"err.$rt"
                else
                        timeout 60 "${R[@]}" "${args[@]}" >"out.$rt" 2>"err.$rt"
                fi
                st[$rt]=$?
                [ $rt = runc ] || rr_cgroups
        done
        ST_RUNC=${st[runc]} ST_RR=${st[rr]}
        note "$what: exit status" "${st[runc]}" "${st[rr]}"
        [ -n "$phrase" ] || return 0
        grep -qiF -- "$phrase" err.runc || fail "$what: runc did not say \"$phrase\" (the test is wrong): $(cat err.runc)"
        grep -qiF -- "$phrase" err.rr || note "$what: says \"$phrase\"" yes "no: $(head -c 120 err.rr)"
}

# rr_cgroups: the cgroups runroot made for its containers of now, added
# to rr.cgroups (those of linux.cgroupsPath are below $CGP anyway).
: >rr.cgroups
rr_cgroups() {
        local f
        for f in state/*/state.json; do
                [ -f "$f" ] || continue
                python3 -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1])).get("runroot.cgroups", [])))' "$f" >>rr.cgroups 2>/dev/null
        done
}

# state_of RT ID FILE: RT's state of ID in FILE (empty when it fails).
state_of() {
        if [ "$1" = runc ]; then "${RC[@]}" state "$2"; else "${R[@]}" state "$2"; fi >"$3" 2>/dev/null || : >"$3"
}

# cmp_state WHAT ID: the state of ID as both runtimes give it, key by key:
# values as they are but pid (absent, 0, or "init": a live process whose
# pid is 1 in its own pid namespace), bundle and rootfs (as the bundle's
# path and its rootfs), created (an RFC 3339 time) and ociVersion (a 1.x).
cmp_state() {
        state_of runc "$2" st.runc
        state_of rr "$2" st.rr
        norm_state st.runc "$T/runc-b" >n.runc
        norm_state st.rr "$T/rr-b" >n.rr
        cmp_norm "$1" n.runc n.rr
}
norm_state() { # FILE BUNDLES-DIR: KEY=VALUE lines, normalized (see cmp_state)
        python3 - "$1" "$2" <<'PY'
import json, os, re, sys
t = open(sys.argv[1]).read()
if not t.strip():
    print("(state)=fails")
    sys.exit()
j = json.loads(t)
items = j if isinstance(j, list) else [j]
if j is None:
    print("(list)=null")
    items = []
for n, s in enumerate(items):
    pre = "[%d]." % n if isinstance(j, list) else ""
    for k in sorted(s):
        v = s[k]
        if k == "pid" and isinstance(v, int) and v > 0:
            try:
                nspid = [l.split()[-1] for l in open("/proc/%d/status" % v) if l.startswith("NSpid:")]
                v = "init" if nspid == ["1"] else "not the init (NSpid %s)" % nspid
            except OSError:
                v = "no such process"
        elif k in ("bundle", "rootfs") and isinstance(v, str):
            v = re.sub("^" + re.escape(sys.argv[2]) + "/[^/]*", "BUNDLE", v)
        elif k == "created" and isinstance(v, str):
            v = "RFC3339" if re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", v) else v
        elif k == "ociVersion" and isinstance(v, str):
            v = "1.x" if v.startswith("1.") else v
        else:
            v = json.dumps(v, sort_keys=True)
        print("%s%s=%s" % (pre, k, v))
PY
}
value_of() { awk -v k="$1" 'index($0, k "=") == 1 {print substr($0, length(k) + 2); exit}' "$2"; }
cmp_norm() { # WHAT FILE-RUNC FILE-RR: a note per key whose lines differ
        local k
        for k in $(cut -d= -f1 "$2" "$3" | sort -u); do
                note "$1: $k" "$(value_of "$k" "$2")" "$(value_of "$k" "$3")"
        done
}

# until_stopped ID: until both runtimes say ID is stopped (10 s at most).
is_stopped() {
        state_of runc "$1" w.runc
        state_of rr "$1" w.rr
        grep -q '"status": *"stopped"' w.runc && grep -q '"status": *"stopped"' w.rr
}
until_stopped() { wait_for 10 is_stopped "$1" || fail "$1 did not stop: $(cat w.runc w.rr)"; }

# The life of one: create (with --pid-file), state, list, start, state,
# the process ends, state; what is refused on the way.
# It ends once the test makes /go in its root.
bundle life 'c["annotations"] = {"org.example.diff": "yes"}' /bin/sh -c 'while [ ! -e /go ]; do sleep 0.1; done'
both "create" "" create --bundle @life life
cmp_state "state after create" life
both "list after create" "" list --format json
norm_state out.runc "$T/runc-b" >n.runc
norm_state out.rr "$T/rr-b" >n.rr
cmp_norm "list --format json" n.runc n.rr
both "create twice" "already exists" create --bundle @life life
cmp_state "state after a second create" life
both "start" "" start life
cmp_state "state after start" life
both "start twice" "already running" start life
both "delete without --force (running)" "is not stopped" delete life
both "kill with signal 0 (is it there)" "" kill life 0
touch runc-b/life/rootfs/go rr-b/life/rootfs/go
until_stopped life
cmp_state "state after the process ended" life
both "start of a stopped one" "has stopped" start life
both "kill of a stopped one" "container not running" kill life TERM
both "kill --all of a stopped one" "" kill --all life KILL
both "exec in a stopped one" "stopped" exec life /bin/true
both "ps of a stopped one" "" ps life
note "ps of a stopped one: output" "$(cat out.runc)" "$(cat out.rr)"
both "ps --format json of a stopped one" "" ps --format json life
note "ps --format json of a stopped one: output" "$(cat out.runc)" "$(cat out.rr)"
both "delete (stopped)" "" delete life
both "state after delete" "does not exist" state life

# --pid-file: the pid, no newline, of the container's init (pid 1 of its
# namespace) as seen from the host; state says the same pid.
bundle pf '' /bin/sleep 60
for rt in runc rr; do
        if [ $rt = runc ]; then Z=("${RC[@]}"); else Z=("${R[@]}"); fi
        "${Z[@]}" create --bundle "$rt-b/pf" --pid-file "$T/pf.$rt" pf 2>pf.err || fail "$rt create pf: $(cat pf.err)"
        state_of $rt pf pf.st
        p=$(cat "pf.$rt")
        sp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' pf.st)
        desc[$rt]="$(case $p in '' | *[!0-9]*) echo "not a pid: $p" ;; *) echo digits ;; esac)"
        desc[$rt]+=", $(od -An -c "pf.$rt" | grep -q '\\n' && echo newline || echo "no newline")"
        desc[$rt]+=", $([ "$p" = "$sp" ] && echo "= state's pid" || echo "state's $sp")"
        desc[$rt]+=", NSpid $(awk '$1 == "NSpid:" {print $NF}' "/proc/$p/status" 2>/dev/null)"
done
note "--pid-file" "${desc[runc]}" "${desc[rr]}"
both "delete of a created one" "" delete pf
both "state after deleting a created one" "does not exist" state pf

# run's exit status: the process's; 128+N when a signal ended it. TERM is
# sent to a process that is not pid 1 of its namespace (no pid namespace
# in config.json), since pid 1 takes no signal it has no handler for.
bundle r0 '' /bin/true
bundle r3 '' /bin/sh -c 'exit 3'
bundle rterm 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]' /bin/sleep 60
bundle rkill '' /bin/sleep 60
both "run, exit 0" "" run --bundle @r0 r0
both "run, exit 3" "" run --bundle @r3 r3
is_running() {
        state_of runc "$1" w.runc
        state_of rr "$1" w.rr
        rr_cgroups
        grep -q '"status": *"running"' w.runc && grep -q '"status": *"running"' w.rr
}
for sig in TERM KILL; do
        id=r${sig,,}
        "${RC[@]}" run --bundle "runc-b/$id" "$id" </dev/null >/dev/null 2>"$id.runc.err" &
        p1=$!
        "${R[@]}" run --bundle "rr-b/$id" "$id" </dev/null >/dev/null 2>"$id.rr.err" &
        p2=$!
        CLEANUP_PIDS="$CLEANUP_PIDS $p1 $p2"
        wait_for 10 is_running "$id" || fail "$id is not running: $(cat w.runc w.rr)"
        "${RC[@]}" kill "$id" "$sig" || fail "runc kill $id $sig"
        "${R[@]}" kill "$id" "$sig" || fail "runroot kill $id $sig"
        wait "$p1"
        a=$?
        wait "$p2"
        note "run, killed by $sig: exit status" $a $?
done

# With a pid namespace the command is pid 1 of it under runc, and the
# kernel gives it a signal from outside only when it has a handler for it
# (SIGKILL aside): TERM leaves one without a handler running, KILL then
# ends it (137); one with a TERM trap gets it (its trap's status). The
# trap is set before the command makes /trapped.
bundle pterm '' /bin/sh -c ': >/trapped; while :; do sleep 0.1; done'
bundle ptrap '' /bin/sh -c 'trap "exit 5" TERM; : >/trapped; while :; do sleep 0.1; done'
has_trapped() { [ -e "runc-b/$1/rootfs/trapped" ] && [ -e "rr-b/$1/rootfs/trapped" ]; }
for id in pterm ptrap; do
        "${RC[@]}" run --bundle "runc-b/$id" "$id" </dev/null >/dev/null 2>"$id.runc.err" &
        p1=$!
        "${R[@]}" run --bundle "rr-b/$id" "$id" </dev/null >/dev/null 2>"$id.rr.err" &
        p2=$!
        CLEANUP_PIDS="$CLEANUP_PIDS $p1 $p2"
        wait_for 10 is_running "$id" && wait_for 10 has_trapped "$id" ||
                fail "$id is not running: $(cat w.runc w.rr "$id".*.err)"
        "${RC[@]}" kill "$id" TERM || fail "runc kill $id TERM"
        "${R[@]}" kill "$id" TERM || fail "runroot kill $id TERM"
        if [ $id = pterm ]; then
                # the kernel drops it: still running a second later
                sleep 1
                state_of runc "$id" w.runc
                state_of rr "$id" w.rr
                for rt in runc rr; do
                        desc[$rt]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' \
                                "w.$rt" 2>/dev/null || echo "no state (gone)")
                done
                note "run in a pid namespace, TERM without a handler: status a second later" \
                        "${desc[runc]}" "${desc[rr]}"
                "${RC[@]}" kill "$id" KILL || fail "runc kill $id KILL"
                "${R[@]}" kill "$id" KILL 2>/dev/null
        fi
        wait "$p1"
        a=$?
        wait "$p2"
        b=$?
        note "run in a pid namespace, $id (TERM$([ $id = pterm ] && echo ', then KILL')): exit status" $a $b
        [ $a = $b ] || sed "s/^/runroot: /" "$id.rr.err" >&2
done

# STOP and CONT reach the command, pid 1 of its pid namespace under runc
# (runroot's is init's child: a command with no child of its own): the
# command stopped, then running again; KILL then ends it (137).
bundle pstop '' /bin/sleep 60
cmd_state() { # RT ID: the State letter of the command of ID under RT
        local p
        state_of "$1" "$2" w.st
        p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' w.st 2>/dev/null)
        [ "$1" = runc ] || p=$(cat "/proc/$p/task/$p/children" 2>/dev/null)
        awk '$1 == "State:" {print $2}' "/proc/${p% }/status" 2>/dev/null
}
"${RC[@]}" run --bundle runc-b/pstop pstop </dev/null >/dev/null 2>pstop.runc.err &
p1=$!
"${R[@]}" run --bundle rr-b/pstop pstop </dev/null >/dev/null 2>pstop.rr.err &
p2=$!
CLEANUP_PIDS="$CLEANUP_PIDS $p1 $p2"
wait_for 10 is_running pstop || fail "pstop is not running: $(cat w.runc w.rr)"
for sig in STOP CONT; do
        "${RC[@]}" kill pstop $sig || fail "runc kill pstop $sig"
        "${R[@]}" kill pstop $sig || fail "runroot kill pstop $sig"
        sleep 0.5
        note "kill $sig: the command's state" "$(cmd_state runc pstop)" "$(cmd_state rr pstop)"
done
"${RC[@]}" kill pstop KILL || fail "runc kill pstop KILL"
"${R[@]}" kill pstop KILL || fail "runroot kill pstop KILL"
wait "$p1"
a=$?
wait "$p2"
note "run, STOP, CONT, KILL: exit status" $a $?

# delete --force of a running one: its processes end, its state goes.
bundle df '' /bin/sleep 60
both "create df" "" create --bundle @df df
both "start df" "" start df
state_of runc df df.runc
state_of rr df df.rr
both "delete --force (running)" "" delete --force df
for rt in runc rr; do
        p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "df.$rt")
        gone[$rt]=$([ -d "/proc/$p" ] && echo "$p lives" || echo gone)
done
note "delete --force: the process" "${gone[runc]}" "${gone[rr]}"
both "state after delete --force" "does not exist" state df
both "delete --force of an unknown one" "" delete --force nosuch
note "delete --force of an unknown one: stderr" "$(cat err.runc)" "$(cat err.rr)"

# exec: the process's status; a container that is not there.
bundle ex '' /bin/sleep 60
both "create ex" "" create --bundle @ex ex
both "start ex" "" start ex
both "exec, exit 4" "" exec ex /bin/sh -c 'exit 4'
# A command that is not there: an error before any process is made, in
# the words podman maps to 127.
both "exec of a missing path" "no such file or directory" exec ex /nonexistent
both "exec of a name not in PATH" "executable file not found in \$PATH" exec ex nonexistent
both "exec of a directory" "permission denied" exec ex /bin
both "delete --force ex" "" delete --force ex

# Unknown ids.
both "start of one not created" "does not exist" start nosuch
for c in state kill delete ps pause resume; do
        both "$c of an unknown id" "does not exist" $c nosuch
done
both "exec of an unknown id" "does not exist" exec nosuch /bin/true

# A command that is not there fails run before it runs, as runc's (1,
# not the command's 127): nothing is left.
bundle runnocmd '' /nonexistent
both "run of a missing path" "no such file or directory" run --bundle @runnocmd runnocmd
bundle runnopath '' nonexistent
both "run of a name not in PATH" "executable file not found in \$PATH" run --bundle @runnopath runnopath
note "run of a command that is not there: state left" "$(ls -A runc | grep -x 'runno.*')" "$(ls -A state | grep -x 'runno.*')"

# A command that is not there fails create, as runc's: nothing is left.
bundle nocmd '' /nonexistent
both "create of a missing path" "no such file or directory" create --bundle @nocmd nocmd
note "create of a missing path: state left" "$([ "$ST_RUNC" = 0 ] || [ ! -e runc/nocmd ] || echo yes)" \
        "$([ "$ST_RR" = 0 ] || [ ! -e state/nocmd ] || echo yes)"
bundle nopath '' nonexistent
both "create of a name not in PATH" "executable file not found in \$PATH" create --bundle @nopath nopath
"${RC[@]}" delete --force nocmd 2>/dev/null
"${R[@]}" delete --force nocmd 2>/dev/null
"${RC[@]}" delete --force nopath 2>/dev/null
"${R[@]}" delete --force nopath 2>/dev/null

# Bad config.json: refused, nothing left in the state directory.
badconf() { # WHAT PHRASE PYTHON|@TEXT
        bundle bad '' /bin/true
        local rt
        for rt in runc rr; do
                case $3 in
                @*) printf '%s' "${3#@}" >"$rt-b/bad/config.json" ;;
                *) python3 -c 'import json, sys
f = sys.argv[1]
c = json.load(open(f))
exec(sys.argv[2])
json.dump(c, open(f, "w"))' "$rt-b/bad/config.json" "$3" ;;
                esac
        done
        both "$1" "$2" create --bundle @bad bad
        # a refused one leaves no state
        note "$1: state left" "$([ "$ST_RUNC" = 0 ] || [ ! -e runc/bad ] || echo yes)" \
                "$([ "$ST_RR" = 0 ] || [ ! -e state/bad ] || echo yes)"
        "${RC[@]}" delete --force bad 2>/dev/null
        "${R[@]}" delete --force bad 2>/dev/null
        rm -rf runc-b/bad rr-b/bad
}
badconf "config.json not JSON" "" '@{"ociVersion": '
badconf "no root" "" 'del c["root"]'
badconf "no process" "" 'del c["process"]'
badconf "process.args a string" "" 'c["process"]["args"] = "/bin/true"'
badconf "root.path not there" "no such file or directory" 'c["root"]["path"] = "nope"'
# Refused where it is set, in the container's process before it waits for
# start (this host's root cannot raise its hard limit of open files).
badconf "an rlimit above the hard one" "operation not permitted" 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1073741816, "soft": 1073741816}]'
badconf "root.path absolute, not there" "no such file or directory" 'c["root"]["path"] = "/nonexistent-root"'
# What runc takes: a root outside the bundle, unknown members of known
# objects (Go's JSON decoder ignores them).
badconf "root.path outside the bundle" "" 'c["root"]["path"] = "../../base/rootfs"'
badconf "unknown member of process" "" 'c["process"]["org.example.unknown"] = 1'
badconf "unknown member of linux" "" 'c["linux"]["org.example.unknown"] = {}'
badconf "unknown member of root" "" 'c["root"]["org.example.unknown"] = True'
badconf "no ociVersion" "" 'del c["ociVersion"]'
rm -rf bad
mkdir -p runc-b/noconf rr-b/noconf
both "no config.json" "config.json" create --bundle @noconf noconf

# What is left: nothing in either state directory, no process of theirs,
# no cgroup below the parent or of those runroot made (of other tests
# running meanwhile, some look dead: a created one's outlives the runroot
# whose pid names it), no mount under $T.
note "state left in --root" "$(ls -A runc | tr '\n' ' ')" "$(ls -A state 2>/dev/null | tr '\n' ' ')"
for rt in runc rr; do
        left=""
        for d in /sys/fs/cgroup/*/"$CGP"/; do
                [ -d "$d" ] || continue
                left+=$(find "$d" -mindepth 1 -type d -name "$rt-*" | sed "s|/sys/fs/cgroup/||" | sort | tr '\n' ' ')
        done
        cgl[$rt]=${left:-none}
done
[ -s rr.cgroups ] || fail "no cgroups of runroot's recorded"
[ "${cgl[rr]}" = none ] && cgl[rr]=$(sort -u rr.cgroups | while read -r d; do [ ! -d "$d" ] || echo "$d"; done | tr '\n' ' ')
note "cgroups left" "${cgl[runc]}" "${cgl[rr]:-none}"
note "mounts left under \$T" "" "$(awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo)"
both "list --format json of none" "" list --format json
note "list --format json of none" "$(cat out.runc)" "$(cat out.rr)"
left=$(ps -eo pid=,ppid=,comm= | awk -v me=$$ '$2 == me && $3 != "bash"')
note "processes left (children of the test)" "" "$left"

if [ -s diffs ]; then
        {
                printf 'WHAT\tRUNC\tRUNROOT\n'
                cat diffs
        } | column -t -s $'\t' >&2
        fail "$(wc -l <diffs) differences between runc and runroot"
fi
echo "runroot and runc: the same states, statuses, messages, pid files and leftovers"
