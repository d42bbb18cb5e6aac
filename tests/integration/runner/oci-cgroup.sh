#!/bin/bash
# runroot as an OCI runtime: the commands on a container's cgroup, as
# runc's: ps (json: the pids of its cgroup; table: ps -ef's lines of
# them), pause and resume (the freezer: state says paused, the container
# makes no progress, then does again), update (--memory, --cpu-quota,
# --cpu-period, --cpu-shares, --pids-limit, --resources FILE, as the
# cgroup files show), features (the specification's document, with only
# what runroot does); a stopped container refused with runc's status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
cd "$T"
# A counter: one line a tenth of a second into /tmp/n.
make_bundle bundle /bin/sh -c 'while :; do echo x >>/tmp/n; sleep 0.1; done'
"${R[@]}" create --bundle bundle g1 2>g1.err || fail "create: $(cat g1.err)"
"${R[@]}" start g1 2>g1.err || fail "start: $(cat g1.err)"
pid=$(state_field g1 pid)

# ps: the init and the command, and an exec'd one.
"${R[@]}" exec --detach --pid-file "$T/x.pid" g1 /bin/sleep 60 2>x.err || fail "exec: $(cat x.err)"
xp=$(cat "$T/x.pid")
"${R[@]}" ps --format json g1 >ps.json 2>ps.err || fail "ps json: $(cat ps.err)"
python3 - ps.json "$pid" "$xp" <<'PY' || fail "ps --format json: $(cat ps.json)"
import json, sys
pids = json.load(open(sys.argv[1]))
assert all(isinstance(p, int) for p in pids), pids
assert int(sys.argv[2]) in pids and int(sys.argv[3]) in pids, pids
assert pids == sorted(pids), pids
PY
"${R[@]}" ps g1 >ps.txt 2>ps.err || fail "ps: $(cat ps.err)"
head -1 ps.txt >ps.head
grep -q '^UID  *PID  *PPID' ps.head || fail "ps table header: $(cat ps.head)"
awk 'NR > 1 {print $2}' ps.txt >ps.pids
grep -qx "$pid" ps.pids && grep -qx "$xp" ps.pids || fail "ps table lacks $pid or $xp: $(cat ps.txt)"
# (the counter's sleeps come and go: each one still there when its cgroup
# file is read is in the container's cgroup)
want=$(cat "/proc/$pid/cgroup") || fail "the container's process $pid is gone"
while read -r p; do
        got=$(cat "/proc/$p/cgroup" 2>/dev/null) || continue # it ended meanwhile
        [ "$got" = "$want" ] || fail "ps table: $p is not in the container's cgroup"
done <ps.pids

# pause: frozen, no progress; resume: it goes on.
"${R[@]}" pause g1 2>p.err || fail "pause: $(cat p.err)"
[ "$(state_field g1 status)" = paused ] || fail "after pause: $(cat st.json)"
"${R[@]}" list >list.out 2>&1 || fail "list: $(cat list.out)"
grep -q "^g1 .* paused " list.out || fail "list while paused: $(cat list.out)"
n1=$(wc -l <bundle/rootfs/tmp/n)
sleep 0.6
n2=$(wc -l <bundle/rootfs/tmp/n)
[ "$n1" = "$n2" ] || fail "paused, the counter went from $n1 to $n2"
"${R[@]}" pause g1 2>p2.err
rc=$?
[ $rc = 1 ] && [ "$(cat p2.err)" = "runroot: container g1: container already paused" ] || fail "pause twice: $rc $(cat p2.err)"
"${R[@]}" resume g1 2>r.err || fail "resume: $(cat r.err)"
[ "$(state_field g1 status)" = running ] || fail "after resume: $(cat st.json)"
sleep 0.6
n3=$(wc -l <bundle/rootfs/tmp/n)
[ "$n3" -gt "$n2" ] || fail "resumed, the counter stays at $n3"
"${R[@]}" resume g1 2>r2.err
rc=$?
[ $rc = 1 ] && [ "$(cat r2.err)" = "runroot: container g1: container not paused" ] || fail "resume twice: $rc $(cat r2.err)"

# update: each limit in its cgroup file.
"${R[@]}" update --memory 64m --pids-limit 20 --cpu-quota 50000 --cpu-period 100000 --cpu-shares 512 g1 2>u.err ||
        fail "update: $(cat u.err)"
f=$(cg_file "$pid" memory memory.limit_in_bytes memory.max)
[ -n "$f" ] && [ "$(cat "$f")" = 67108864 ] || fail "update --memory: ${f:-no memory cgroup} $(cat "$f" 2>/dev/null)"
f=$(cg_file "$pid" pids pids.max pids.max)
[ -n "$f" ] && [ "$(cat "$f")" = 20 ] || fail "update --pids-limit: ${f:-no pids cgroup} $(cat "$f" 2>/dev/null)"
f=$(cg_file "$pid" cpu cpu.cfs_quota_us cpu.max)
case $f in
*/cpu.max) want="50000 100000" ;;
*) want=50000 ;;
esac
[ -n "$f" ] && [ "$(cat "$f")" = "$want" ] || fail "update --cpu-quota: ${f:-no cpu cgroup} $(cat "$f" 2>/dev/null)"
f=$(cg_file "$pid" cpu cpu.shares cpu.weight)
case $f in
*/cpu.weight) want=20 ;; # 512 shares on the v2 scale
*) want=512 ;;
esac
[ -n "$f" ] && [ "$(cat "$f")" = "$want" ] || fail "update --cpu-shares: ${f:-no cpu cgroup} $(cat "$f" 2>/dev/null)"
# Raised again (memory+swap goes first on v1), from the spec's JSON.
echo '{"memory": {"limit": 268435456}, "pids": {"limit": 30}}' >res.json
"${R[@]}" update --resources res.json g1 2>u.err || fail "update --resources: $(cat u.err)"
f=$(cg_file "$pid" memory memory.limit_in_bytes memory.max)
[ "$(cat "$f")" = 268435456 ] || fail "update --resources memory: $(cat "$f")"
f=$(cg_file "$pid" pids pids.max pids.max)
[ "$(cat "$f")" = 30 ] || fail "update --resources pids: $(cat "$f")"
"${R[@]}" update --memory lots g1 2>u.err
rc=$?
[ $rc = 1 ] && grep -q -- '--memory: expected bytes' u.err || fail "update --memory lots: $rc $(cat u.err)"
echo '{"memory": {"limit": "big"}}' >bad.json
"${R[@]}" update -r bad.json g1 2>u.err
rc=$?
[ $rc = 1 ] && [ "$(cat u.err)" = "runroot: update: --resources bad.json: config.json: linux.resources.memory.limit: expected an integer" ] ||
        fail "update -r bad.json: $rc $(cat u.err)"

# Stopped: each refused with exit 1.
"${R[@]}" kill g1 KILL || fail "kill g1"
for _ in $(seq 100); do [ "$(state_field g1 status)" = stopped ] && break; sleep 0.05; done
# ps of a stopped one: no processes, as runc's (json: null).
"${R[@]}" ps --format json g1 >s.out 2>s.err || fail "ps of a stopped one: $(cat s.err)"
[ "$(cat s.out)" = null ] && [ ! -s s.err ] || fail "ps of a stopped one: $(cat s.out) $(cat s.err)"
for c in pause update; do
        a=()
        [ $c = update ] && a=(--pids-limit 5)
        "${R[@]}" $c "${a[@]}" g1 >/dev/null 2>s.err
        rc=$?
        [ $rc = 1 ] && [ "$(cat s.err)" = "runroot: container g1: container not running" ] || fail "$c of a stopped one: $rc $(cat s.err)"
done
"${R[@]}" resume g1 2>s.err
[ $? = 1 ] && [ "$(cat s.err)" = "runroot: container g1: container not paused" ] || fail "resume of a stopped one: $(cat s.err)"
"${R[@]}" delete g1 || fail "delete g1"

# features: the specification's document, truthful.
"${R[@]}" features >features.json 2>f.err || fail "features: $(cat f.err)"
python3 - features.json <<'PY' || fail "features: $(cat features.json)"
import json, sys
f = json.load(open(sys.argv[1]))
assert f["ociVersionMin"] == "1.0.0" and f["ociVersionMax"] == "1.2.0", f
assert f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"], f["hooks"]
assert {"ro", "rw", "bind", "rbind", "nosuid", "noexec", "nodev", "rro", "rnosuid", "rnoexec"} <= set(f["mountOptions"]), f
assert "shared" not in f["mountOptions"] and "dev" not in f["mountOptions"], f
lx = f["linux"]
assert set(lx["namespaces"]) == {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}, lx["namespaces"]
assert "CAP_SYS_ADMIN" in lx["capabilities"] and "CAP_CHOWN" in lx["capabilities"], lx
assert lx["cgroup"]["v1"] and lx["cgroup"]["v2"] and not lx["cgroup"]["systemd"], lx["cgroup"]
assert lx["seccomp"]["enabled"] and "SCMP_ACT_ERRNO" in lx["seccomp"]["actions"], lx["seccomp"]
assert "SCMP_ACT_NOTIFY" not in lx["seccomp"]["actions"], lx["seccomp"]
assert "SCMP_CMP_MASKED_EQ" in lx["seccomp"]["operators"], lx["seccomp"]
flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
assert lx["seccomp"]["knownFlags"] == flags and lx["seccomp"]["supportedFlags"] == flags, lx["seccomp"]
assert lx["seccomp"]["archs"] and all(a.startswith("SCMP_ARCH_") for a in lx["seccomp"]["archs"]), lx
for k in ("apparmor", "selinux", "intelRdt"):
    assert lx[k] == {"enabled": False}, (k, lx[k])
assert "io.github.seccomp.libseccomp.version" in f["annotations"], f["annotations"]
PY
echo PASS
