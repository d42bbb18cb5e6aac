#!/bin/bash
# runroot as an OCI runtime: what config.json asks for is what the command
# gets (env, cwd, user and groups, hostname, mounts, a read-only root, the
# capability set, rlimits, a seccomp filter in the specification's format),
# and a bad config.json is one line naming the JSON path.
. "$(dirname "$0")/../../helpers/subreaper.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
cd "$T"
mkdir -p b/rootfs host/data
make_tree b/rootfs
echo "from the host" >host/data/file
# The environment is process.env alone; cwd, user, groups, hostname.
conf 'process.args=["/bin/sh","-c","env | sort; pwd; id; hostname"]' \
        'process.env=["PATH=/bin","A=1"]' 'process.cwd="/tmp/w"' \
        'process.user={"uid":1000,"gid":1000,"additionalGids":[2000,3000]}' 'hostname="ocibox"'
run_ok ids
printf 'A=1\nPATH=/bin\nPWD=/tmp/w\nSHLVL=1\n/tmp/w\nuid=1000(user) gid=1000(user) groups=2000(extra),3000\nocibox\n' >ids.want
diff ids.want ids.out >ids.diff || fail "env/cwd/user/hostname: $(cat ids.diff)"

# mounts: a read-only bind, a bind, a tmpfs with a size; the root read-only.
conf 'process.args=["/bin/sh","-c","cat /data/file; echo x >/data/new || echo ro-bind; echo y >/rw/new && echo rw-bind; df -k /scratch | tail -1; echo z >/scratch/f && echo tmpfs-rw; echo w >/rootw || echo ro-root; /bx/busybox true || echo noexec-bind; grep \" /bx \" /proc/mounts"]' \
        'root={"path":"rootfs","readonly":True}' \
        "mounts=[{'destination':'/proc','type':'proc','source':'proc'},{'destination':'/data','type':'bind','source':'$T/host/data','options':['rbind','ro']},{'destination':'/rw','source':'host/data','options':['bind']},{'destination':'/scratch','type':'tmpfs','source':'tmpfs','options':['size=2m','mode=755']},{'destination':'/bx','type':'bind','source':'$T/host/bin','options':['rbind','nosuid','noexec','nodev']}]"
mkdir -p b/host host/bin && cp -r host/data b/host/ && cp "$BUSYBOX" host/bin/
"${R[@]}" run --bundle b m1 >m1.out 2>m1.err || fail "mounts: $(cat m1.err)"
grep -qx "from the host" m1.out && grep -qx ro-bind m1.out && grep -qx rw-bind m1.out &&
        grep -qx tmpfs-rw m1.out && grep -qx ro-root m1.out || fail "mounts: $(cat m1.out) $(cat m1.err)"
grep -q ' 2048 ' m1.out || fail "tmpfs size=2m: $(cat m1.out)"
grep -qx noexec-bind m1.out && grep -q ' /bx [^ ]* [^ ]*nosuid,nodev,noexec' m1.out ||
        fail "bind nosuid,noexec: $(cat m1.out)"
[ -e b/host/data/new ] && [ ! -e host/data/new ] || fail "binds wrote in the wrong place"

# mqueue at /dev/mqueue.
conf 'process.args=["/bin/sh","-c","grep \" /dev/mqueue \" /proc/mounts"]' \
        "mounts=[{'destination':'/proc','type':'proc','source':'proc'},{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']}]"
run_ok mq
grep -q '^mqueue /dev/mqueue mqueue [^ ]*nosuid,nodev,noexec' mq.out || fail "mqueue: $(cat mq.out)"

# capabilities: the bounding set, and no more.
conf 'process.args=["/bin/sh","-c","grep -E ^Cap[BEP] /proc/self/status; rrhelper try-syscall mount"]' \
        'process.capabilities={"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN","CAP_KILL"],"permitted":["CAP_CHOWN","CAP_KILL"]}'
"${R[@]}" run --bundle b c1 >c1.out 2>c1.err
printf 'CapPrm:\t0000000000000021\nCapEff:\t0000000000000021\nCapBnd:\t0000000000000021\nEPERM\n' >c1.want
diff c1.want c1.out >c1.diff || fail "capabilities: $(cat c1.diff) $(cat c1.err)"

# A non-root user keeps what the ambient set carries across the exec.
conf 'process.args=["/bin/sh","-c","grep -E ^Cap /proc/self/status"]' 'process.user={"uid":1000,"gid":1000}' \
        'process.capabilities={"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"],"inheritable":["CAP_KILL"],"ambient":["CAP_KILL"]}'
"${R[@]}" run --bundle b c2 >c2.out 2>c2.err
printf 'CapInh:\t0000000000000020\nCapPrm:\t0000000000000020\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000021\nCapAmb:\t0000000000000020\n' >c2.want
diff c2.want c2.out >c2.diff || fail "capabilities of uid 1000: $(cat c2.diff) $(cat c2.err)"

# seccomp in the specification's format: sethostname denied (EPERM) though
# CAP_SYS_ADMIN is held; without the filter it works.
conf 'process.args=["/bin/rrhelper","try-syscall","sethostname"]' \
        'process.capabilities={"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"],"permitted":["CAP_SYS_ADMIN"]}'
"${R[@]}" run --bundle b s0 >s0.out 2>s0.err
[ "$(cat s0.out)" = ok ] || fail "sethostname without a filter: $(cat s0.out) $(cat s0.err)"
conf 'process.args=["/bin/rrhelper","try-syscall","sethostname"]' \
        'process.capabilities={"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"],"permitted":["CAP_SYS_ADMIN"]}' \
        'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_AARCH64"],"syscalls":[{"names":["sethostname"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
"${R[@]}" run --bundle b s1 >s1.out 2>s1.err
[ "$(cat s1.out)" = EPERM ] || fail "seccomp: $(cat s1.out) $(cat s1.err)"

# rlimits and noNewPrivileges.
conf 'process.args=["/bin/sh","-c","ulimit -n; grep NoNewPrivs /proc/self/status"]' \
        'process.rlimits=[{"type":"RLIMIT_NOFILE","soft":123,"hard":456}]' 'process.noNewPrivileges=True'
run_ok l1
printf '123\nNoNewPrivs:\t1\n' >l1.want
diff l1.want l1.out >l1.diff || fail "rlimits: $(cat l1.diff)"

# maskedPaths and readonlyPaths beyond runroot's own list.
conf 'process.args=["/bin/sh","-c","wc -c </proc/cpuinfo; grep -c . /proc/version; grep \" /proc/meminfo \" /proc/mounts"]' \
        'linux.maskedPaths=["/proc/cpuinfo","/proc/kcore","/proc/timer_list","/proc/cpuinfo"]' 'linux.readonlyPaths=["/proc/meminfo"]'
run_ok mp
[ "$(sed -n 1p mp.out)" = 0 ] && [ "$(sed -n 2p mp.out)" = 1 ] || fail "maskedPaths: $(cat mp.out)"
grep -q ' /proc/meminfo [^ ]* ro,' mp.out || fail "readonlyPaths: $(cat mp.out)"

# linux.sysctl: the container's own ipc and network namespaces.
conf 'process.args=["/bin/sh","-c","cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_forward"]' \
        'linux.sysctl={"kernel.shmmni":"1234","net.ipv4.ip_forward":"1"}'
run_ok sy
printf '1234\n1\n' >sy.want
diff sy.want sy.out >sy.diff || fail "sysctl: $(cat sy.diff)"
[ "$(cat /proc/sys/kernel/shmmni)" != 1234 ] || fail "sysctl reached the host"

# Joining a network namespace by path: the command is in it.
unshare -n sleep 60 &
nspid=$!
CLEANUP_PIDS="$CLEANUP_PIDS $nspid"
for _ in $(seq 100); do
        [ "$(stat -L -c %i /proc/$nspid/ns/net)" != "$(stat -L -c %i /proc/self/ns/net)" ] && break
        sleep 0.05
done
want_ns=$(stat -L -c %i /proc/$nspid/ns/net)
[ "$want_ns" != "$(stat -L -c %i /proc/self/ns/net)" ] || fail "unshare -n made no namespace"
conf 'process.args=["/bin/stat","-L","-c","%i","/proc/self/ns/net"]' \
        "linux.namespaces=[{'type':t} for t in ('pid','mount','uts','ipc')]+[{'type':'network','path':'/proc/$nspid/ns/net'}]"
run_ok ns
[ "$(cat ns.out)" = "$want_ns" ] || fail "joined network namespace: $(cat ns.out), want $want_ns"
kill "$nspid"
conf "linux.namespaces=[{'type':'network','path':'$T/b/config.json'}]"
"${R[@]}" run --bundle b ns2 >/dev/null 2>ns2.err && fail "a file that is no namespace was joined"
grep -v ': warning: ' ns2.err >ns2.msg
[ "$(cat ns2.msg)" = "runroot: network namespace $T/b/config.json: not a network namespace" ] || fail "ns2: $(cat ns2.err)"

# umask and oomScoreAdj.
conf 'process.args=["/bin/sh","-c","umask; cat /proc/self/oom_score_adj"]' \
        'process.user={"uid":0,"gid":0,"umask":63}' 'process.oomScoreAdj=500'
run_ok u1
printf '0077\n500\n' >u1.want
diff u1.want u1.out >u1.diff || fail "umask/oomScoreAdj: $(cat u1.diff)"

# kill --all reaches every process of the container, not only its init.
conf 'process.args=["/bin/sh","-c","trap \"\" TERM; rrhelper trap-term & wait"]'
"${R[@]}" create --bundle b ka >ka.out 2>ka.err || fail "create ka: $(cat ka.err)"
"${R[@]}" start ka || fail "start ka"
sleep 0.3
# Its shell ignores SIGTERM: kill alone leaves it running, --all reaches
# the helper too, which ends, and so does the shell's wait.
"${R[@]}" kill ka TERM || fail "kill ka"
sleep 0.5
"${R[@]}" state ka >ka.json || fail "state ka"
grep -q '"status": "running"' ka.json || fail "kill TERM of a shell that ignores it: $(cat ka.json)"
"${R[@]}" kill --all ka TERM || fail "kill --all"
for _ in $(seq 100); do
        "${R[@]}" state ka >ka.json || fail "state ka"
        grep -q '"status": "stopped"' ka.json && break
        sleep 0.05
done
grep -q '"status": "stopped"' ka.json || fail "kill --all: $(cat ka.json)"
[ "$(tail -n1 ka.out)" = "got TERM" ] || fail "kill --all: the helper printed '$(cat ka.out)'"
"${R[@]}" delete ka || fail "delete ka"

# Bad configs: one line naming config.json and the JSON path, status 1
# (runc's), no state left.
bad() { # MESSAGE CONF-ARGS...
        local want=$1
        shift
        conf "$@"
        "${R[@]}" create --bundle b bad1 >bad.out 2>bad.err
        local rc=$?
        [ $rc = 1 ] || fail "$* : status $rc: $(cat bad.err)"
        [ "$(cat bad.err)" = "runroot: $want" ] || fail "$*: got '$(cat bad.err)', want '$want'"
        [ ! -e "$T/state/bad1" ] || fail "$*: left state"
}
bad 'config.json: process.args: expected an array of strings' 'process.args="/bin/sh"'
bad 'config.json: process.args: expected an array of strings' 'process.args=["/bin/sh",1]'
bad 'config.json: process.args: missing' 'process.args=DEL'
bad 'config.json: root.path: missing' 'root={}'
bad 'config.json: process.user.uid: expected an integer' 'process.user={"uid":"0"}'
bad 'config.json: process.env: expected KEY=VALUE strings' 'process.env=["PATH"]'
bad 'config.json: process.cwd: not an absolute path' 'process.cwd="tmp"'
bad 'config.json: process.capabilities.bounding: unknown capability "CAP_NOPE"' 'process.capabilities={"bounding":["CAP_NOPE"]}'
bad 'config.json: mounts[1]: type "nfs" at /mnt: not supported by runroot' \
        'mounts=[{"destination":"/proc","type":"proc"},{"destination":"/mnt","type":"nfs","source":"x"}]'
bad 'config.json: linux.sysctl.kernel.hostname: not a sysctl of the container'"'"'s namespaces (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*)' \
        'linux.sysctl={"kernel.hostname":"x"}'
bad 'config.json: linux.sysctl.net.ipv4.ip_forward: needs a network namespace of the container'"'"'s own' \
        'linux.sysctl={"net.ipv4.ip_forward":"1"}' 'linux.namespaces=[{"type":t} for t in ("pid","mount","uts","ipc")]'
bad 'config.json: hooks.prestart[0].path: not an absolute path' 'hooks={"prestart":[{"path":"true"}]}'
bad 'config.json: linux.intelRdt: not supported by runroot' 'linux.intelRdt={"closID":"x"}'
bad 'config.json: process.rlimits[0]: type: expected RLIMIT_NAME' 'process.rlimits=[{"type":"NOFILE","soft":1,"hard":1}]'
bad 'config.json: linux.maskedPaths: a path with . or .. or an empty component' 'linux.maskedPaths=["/proc/../etc"]'
bad 'config.json: mounts[1].options: dev: not supported (runroot'"'"'s binds are always nodev)' \
        'mounts=[{"destination":"/proc","type":"proc"},{"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind","dev"]}]'
# No ociVersion: read as version 1 with a warning, as runc reads it.
conf 'process.args=["/bin/true"]' 'ociVersion=DEL'
"${R[@]}" create --bundle b nover 2>nover.err || fail "no ociVersion: $(cat nover.err)"
[ "$(cat nover.err)" = "runroot: warning: config.json: ociVersion: missing, read as version 1" ] ||
        fail "no ociVersion: $(cat nover.err)"
"${R[@]}" delete nover || fail "delete nover"
printf '{"ociVersion": "1.0.2",' >b/config.json
"${R[@]}" create --bundle b bad1 2>bad.err && fail "truncated config.json accepted"
[ "$(cat bad.err)" = "runroot: config.json: not valid JSON: unexpected end of data" ] || fail "truncated: $(cat bad.err)"
rm b/config.json
"${R[@]}" create --bundle b bad1 2>bad.err && fail "no config.json accepted"
[ "$(cat bad.err)" = "runroot: $T/b/config.json: No such file or directory" ] || fail "missing: $(cat bad.err)"
echo PASS
