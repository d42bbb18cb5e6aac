#!/bin/bash
# runroot as an OCI runtime puts the container where config.json's
# linux.cgroupsPath says, as runc's cgroupfs driver does (podman passes
# /libpod_parent/libpod-ID, containerd /NAMESPACE/ID, and both read the
# container's stats there): an absolute path below each hierarchy's root
# (its missing parents made), a relative one below runroot's own cgroup
# (v1) or its parent (v2); linux.resources (memory, cpu, pids, blockIO,
# devices) written there; ps, exec,
# update, pause and resume, kill --all through it; delete removes what
# runroot made (the leaf, then the parents it made when empty) and leaves
# what was there; a cgroup that is there, with a process of its own, is
# joined and left as it was. A systemd slice:prefix:name and "/" are
# refused. Every cgroup is below the test's own parent, removed at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
cd "$T"
P=runroot-$$-cgpath
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
        V2=1
        HIERS=(/sys/fs/cgroup)
else
        V2=
        HIERS=()
        for c in memory cpu cpuacct pids cpuset blkio devices freezer; do
                [ -d "/sys/fs/cgroup/$c" ] && HIERS+=("/sys/fs/cgroup/$c")
        done
fi
[ -n "$V2" ] || [ -d /sys/fs/cgroup/memory ] || { echo "SKIP: no cgroup v1 memory hierarchy and no cgroup v2"; exit 77; }
cgp_cleanup() {
        local d p
        for d in "$T"/state/*/; do
                [ -d "$d" ] && "${R[@]}" delete --force "$(basename "$d")" 2>/dev/null
        done
        for p in $CLEANUP_PIDS; do
                is_child "$p" && kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        cgroup_tree_remove "$P"
        rr_cleanup
}
trap cgp_cleanup EXIT

# dir CTL REL: REL on CTL's hierarchy (the one hierarchy on v2).
dir() { if [ -n "$V2" ]; then echo "/sys/fs/cgroup/$2"; else echo "/sys/fs/cgroup/$1/$2"; fi; }
# The cgroups below the test's parent, on every hierarchy.
snapshot() {
        local h
        for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
                [ -d "$h/$P" ] && find "$h/$P" -type d
        done | sort
}
# mkcg REL [HIER...]: REL made below those hierarchies (default: every one
# runroot joins), cpuset's CPUs and nodes copied down as the kernel wants.
mkcg() {
        local rel=$1 h d p hs=("${HIERS[@]}")
        shift
        [ $# = 0 ] || hs=("$@")
        for h in "${hs[@]}"; do
                d=$h
                for p in ${rel//\// }; do
                        d=$d/$p
                        [ -d "$d" ] && continue
                        mkdir "$d" || fail "mkdir $d"
                        if [ -e "$d/cpuset.cpus" ]; then
                                cat "${d%/*}/cpuset.cpus" >"$d/cpuset.cpus" && cat "${d%/*}/cpuset.mems" >"$d/cpuset.mems" ||
                                        fail "cpuset of $d"
                        fi
                done
        done
}
# in_cg PID CTL REL: PID is in that cgroup.
in_cg() { grep -qx "$1" "$(dir "$2" "$3")/cgroup.procs"; }
stopped() { [ "$(state_field "$1" status)" = stopped ]; }
# gone PID: no such process, or a zombie its reaper has not reaped yet.
gone() { [ ! -d "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
# cgpath_bundle DIR PATH: a bundle of a long sleep with that cgroupsPath
# and limits of every kind.
cgpath_bundle() {
        make_bundle "$1" /bin/sh -c 'while :; do sleep 0.1; done'
        edit_config "$1" 'c["linux"]["cgroupsPath"] = sys.argv[3]
c["linux"]["resources"] = {"memory": {"limit": 67108864}, "pids": {"limit": 33},
    "cpu": {"quota": 20000, "period": 100000, "shares": 256}}' "$2" || fail "config.json of $1"
}

# The parent exists on the memory and pids hierarchies only (v2: the one);
# runroot makes it on the others and must remove it there again.
if [ -n "$V2" ]; then mkcg "$P"; else mkcg "$P" /sys/fs/cgroup/memory /sys/fs/cgroup/pids; fi
snapshot >before.txt

# An absolute path whose parents a/b are not there.
A=$P/a/b/c1
cgpath_bundle b1 "/$A"
# and a read throttle on a block device of this host, a device allowed
bdev=$(cat "$(ls -d /sys/block/* | head -1)/dev") || fail "no block device in /sys/block"
edit_config b1 'c["linux"]["resources"]["blockIO"] = {"throttleReadBpsDevice": [{"major": int(sys.argv[3].split(":")[0]),
    "minor": int(sys.argv[3].split(":")[1]), "rate": 1048576}]}
c["linux"]["resources"]["devices"] = [{"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"}]' "$bdev" ||
        fail "config.json of b1"
"${R[@]}" create --bundle b1 c1 2>c1.err || fail "create c1: $(cat c1.err)"
pid=$(state_field c1 pid)
for c in memory pids cpu freezer; do
        [ -n "$V2" ] || [ -d "/sys/fs/cgroup/$c" ] || continue
        in_cg "$pid" $c "$A" || fail "c1's process $pid is not in $(dir $c "$A"): $(cat /proc/$pid/cgroup)"
done
"${R[@]}" start c1 2>c1.err || fail "start c1: $(cat c1.err)"
if [ -n "$V2" ]; then
        [ "$(cat "$(dir memory "$A")/memory.max")" = 67108864 ] || fail "memory.max: $(cat "$(dir memory "$A")/memory.max")"
        [ "$(cat "$(dir cpu "$A")/cpu.max")" = "20000 100000" ] || fail "cpu.max: $(cat "$(dir cpu "$A")/cpu.max")"
else
        [ "$(cat "$(dir memory "$A")/memory.limit_in_bytes")" = 67108864 ] ||
                fail "memory.limit_in_bytes: $(cat "$(dir memory "$A")/memory.limit_in_bytes")"
        [ "$(cat "$(dir cpu "$A")/cpu.cfs_quota_us")" = 20000 ] || fail "cpu.cfs_quota_us: $(cat "$(dir cpu "$A")/cpu.cfs_quota_us")"
        [ "$(cat "$(dir cpu "$A")/cpu.shares")" = 256 ] || fail "cpu.shares: $(cat "$(dir cpu "$A")/cpu.shares")"
fi
[ "$(cat "$(dir pids "$A")/pids.max")" = 33 ] || fail "pids.max: $(cat "$(dir pids "$A")/pids.max")"
if [ -n "$V2" ]; then
        grep -q "^$bdev rbps=1048576 " "$(dir io "$A")/io.max" || fail "io.max: $(cat "$(dir io "$A")/io.max")"
else
        grep -qx "$bdev 1048576" "$(dir blkio "$A")/blkio.throttle.read_bps_device" ||
                fail "blkio.throttle.read_bps_device: $(cat "$(dir blkio "$A")/blkio.throttle.read_bps_device")"
        grep -qx 'c 10:200 rwm' "$(dir devices "$A")/devices.list" || fail "devices.list: $(cat "$(dir devices "$A")/devices.list")"
fi
# exec joins it; ps lists what is in it.
"${R[@]}" exec --detach --pid-file "$T/x.pid" c1 /bin/sleep 60 2>x.err || fail "exec: $(cat x.err)"
xp=$(cat x.pid)
in_cg "$xp" memory "$A" && in_cg "$xp" pids "$A" || fail "exec'd $xp is not in $A: $(cat /proc/$xp/cgroup)"
"${R[@]}" ps --format json c1 >ps.json 2>ps.err || fail "ps: $(cat ps.err)"
python3 -c 'import json, sys
p = json.load(open("ps.json"))
assert int(sys.argv[1]) in p and int(sys.argv[2]) in p, p' "$pid" "$xp" || fail "ps: $(cat ps.json)"
# update writes there.
"${R[@]}" update --memory 128m --pids-limit 44 c1 2>u.err || fail "update: $(cat u.err)"
f=$(dir memory "$A")/memory.limit_in_bytes
[ -n "$V2" ] && f=$(dir memory "$A")/memory.max
[ "$(cat "$f")" = 134217728 ] || fail "update --memory: $f: $(cat "$f")"
[ "$(cat "$(dir pids "$A")/pids.max")" = 44 ] || fail "update --pids-limit: $(cat "$(dir pids "$A")/pids.max")"
# pause freezes it, resume thaws it.
"${R[@]}" pause c1 2>p.err || fail "pause: $(cat p.err)"
[ "$(state_field c1 status)" = paused ] || fail "after pause: $(cat st.json)"
if [ -n "$V2" ]; then
        grep -qx 'frozen 1' "$(dir freezer "$A")/cgroup.events" || fail "paused: $(cat "$(dir freezer "$A")/cgroup.events")"
else
        [ "$(cat "$(dir freezer "$A")/freezer.state")" = FROZEN ] || fail "paused: $(cat "$(dir freezer "$A")/freezer.state")"
fi
"${R[@]}" resume c1 2>p.err || fail "resume: $(cat p.err)"
[ "$(state_field c1 status)" = running ] || fail "after resume: $(cat st.json)"
# kill --all: the command and the exec'd sleep.
"${R[@]}" kill --all c1 KILL 2>k.err || fail "kill --all: $(cat k.err)"
wait_for 10 stopped c1 || fail "kill --all: c1 is $(state_field c1 status)"
for p in "$pid" "$xp"; do
        wait_for 5 gone "$p" || fail "kill --all: $p is still there"
done
"${R[@]}" delete c1 2>d.err || fail "delete c1: $(cat d.err)"
snapshot >after.txt
cmp -s before.txt after.txt || fail "after delete, the cgroups below $P differ: $(diff before.txt after.txt)"

# A cgroup that is there, with a process of the test's in it: joined, and
# after delete still there with that process.
mkcg "$P/shared"
sleep 600 &
sp=$!
CLEANUP_PIDS="$CLEANUP_PIDS $sp"
for h in "${HIERS[@]}"; do echo "$sp" >"$h/$P/shared/cgroup.procs" || fail "move $sp into $h/$P/shared"; done
snapshot >before.txt
cgpath_bundle b2 "/$P/shared"
"${R[@]}" create --bundle b2 c2 2>c2.err || fail "create c2: $(cat c2.err)"
pid=$(state_field c2 pid)
in_cg "$pid" memory "$P/shared" && in_cg "$sp" memory "$P/shared" || fail "c2 did not join $P/shared: $(cat "$(dir memory "$P/shared")/cgroup.procs")"
"${R[@]}" start c2 2>c2.err || fail "start c2: $(cat c2.err)"
"${R[@]}" ps --format json c2 >ps.json 2>ps.err || fail "ps c2: $(cat ps.err)"
grep -q "$pid" ps.json || fail "ps c2: $(cat ps.json)"
"${R[@]}" delete --force c2 2>d.err || fail "delete --force c2: $(cat d.err)"
wait_for 5 gone "$pid" || fail "delete --force: c2's $pid is still there"
is_child "$sp" && in_cg "$sp" memory "$P/shared" || fail "delete of c2 ended or moved the test's own $sp"
snapshot >after.txt
cmp -s before.txt after.txt || fail "after delete, the cgroups below $P differ: $(diff before.txt after.txt)"
kill -9 "$sp" && wait "$sp" 2>/dev/null

# A relative path: below the cgroup of the runroot that creates it (v1),
# or below that cgroup's parent (v2). That runroot runs in $P/launch.
mkcg "$P/launch"
snapshot >before.txt
cgpath_bundle b3 rel/x
(
        for h in "${HIERS[@]}"; do echo "$BASHPID" >"$h/$P/launch/cgroup.procs" || exit 9; done
        exec "${R[@]}" create --bundle b3 c3
) 2>c3.err || fail "create c3: $(cat c3.err)"
pid=$(state_field c3 pid)
X=$P/launch/rel/x
[ -n "$V2" ] && X=$P/rel/x
in_cg "$pid" memory "$X" && in_cg "$pid" pids "$X" || fail "c3 is not in $X: $(cat /proc/$pid/cgroup)"
"${R[@]}" delete --force c3 2>d.err || fail "delete --force c3: $(cat d.err)"
snapshot >after.txt
cmp -s before.txt after.txt || fail "after delete, the cgroups below $P differ: $(diff before.txt after.txt)"

# Refused (runc's status for a bad config, 1), with nothing made: systemd's
# slice:prefix:name, the root cgroup, and --systemd-cgroup itself.
snapshot >before.txt
rr_expect_create() { # PATH MESSAGE
        make_bundle bad /bin/true
        edit_config bad 'c["linux"]["cgroupsPath"] = sys.argv[3]' "$1" || fail "config.json of bad"
        "${R[@]}" create --bundle bad bad1 >bad.out 2>bad.err
        rc=$?
        [ $rc = 1 ] && [ "$(cat bad.err)" = "runroot: config.json: linux.cgroupsPath: $2" ] ||
                fail "cgroupsPath $1: status $rc: $(cat bad.err)"
        [ ! -e "$T/state/bad1" ] || fail "cgroupsPath $1: state left"
}
rr_expect_create "machine.slice:libpod:abc" "a systemd slice:prefix:name, which needs the systemd cgroup driver (--systemd-cgroup), and runroot has none: give a cgroupfs path such as /parent/name"
rr_expect_create "/" "the root cgroup, not one of the container's own"
rr_expect_create "a/../.." "names no cgroup below the one it is relative to"
"$RUNROOT" --root "$T/state" --systemd-cgroup create --bundle bad bad1 >bad.out 2>bad.err
rc=$?
[ $rc = 1 ] && grep -q -- '--systemd-cgroup: not supported' bad.err || fail "--systemd-cgroup: status $rc: $(cat bad.err)"
snapshot >after.txt
cmp -s before.txt after.txt || fail "a refused create changed the cgroups below $P: $(diff before.txt after.txt)"
[ -z "$(ls -d /sys/fs/cgroup/*/machine.slice:libpod:abc /sys/fs/cgroup/*/*/machine.slice:libpod:abc 2>/dev/null)" ] ||
        fail "a cgroup named after the systemd path was made"
echo PASS
