#!/bin/bash
# runroot as an OCI runtime, config.json member by member (issue 17's
# list): each one the runtime applies is seen from inside the container
# (a /proc file, ulimit, umask, id, uname, a device node's stat, a cgroup
# file), each one it refuses is one line naming the JSON path, and each
# one it ignores (as runc does on such a host) is named in a warning.
. "$(dirname "$0")/../../helpers/subreaper.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
cd "$T"
mkdir -p b/rootfs
make_tree b/rootfs
for c in uname stty; do ln -sf busybox "b/rootfs/bin/$c"; done

# want_out NAME WANT: NAME.out is WANT (a printf format).
want_out() {
        # shellcheck disable=SC2059
        printf "$2" >"$1.want"
        diff "$1.want" "$1.out" >"$1.diff" || fail "$1: $(cat "$1.diff") $(cat "$1.err")"
}
# bad MESSAGE CONF-ARGS...: create refuses with that one line, status 1 (runc's),
# and leaves no state.
bad() {
        local want=$1
        shift
        conf "$@"
        "${R[@]}" create --bundle b bad1 >bad.out 2>bad.err
        local rc=$?
        [ $rc = 1 ] || fail "$* : status $rc: $(cat bad.err)"
        [ "$(cat bad.err)" = "runroot: $want" ] || fail "$*: got '$(cat bad.err)', want '$want'"
        [ ! -e "$T/state/bad1" ] || fail "$*: left state"
}
# warned NAME WARNING: run NAME.err has that warning line.
warned() {
        grep -qxF "runroot: warning: $2" "$1.err" || fail "$1: no warning '$2': $(cat "$1.err")"
}

# hostname and domainname: the container's uts namespace.
conf 'process.args=["/bin/sh","-c","hostname; cat /proc/sys/kernel/domainname"]' \
        'hostname="box"' 'domainname="example.org"'
run_ok dn
want_out dn 'box\nexample.org\n'
[ "$(cat /proc/sys/kernel/domainname)" != example.org ] || fail "domainname reached the host"

# personality: LINUX32 makes uname say a 32-bit machine, LINUX the host's.
conf 'process.args=["/bin/uname","-m"]' 'linux.personality={"domain":"LINUX32"}'
run_ok p32
case $(uname -m) in
x86_64) want32=i686 ;;
aarch64) want32=armv8l ;;
*) want32=$(setarch linux32 uname -m) ;;
esac
want_out p32 "$want32\n"
conf 'process.args=["/bin/uname","-m"]' 'linux.personality={"domain":"LINUX"}'
run_ok p64
want_out p64 "$(uname -m)\n"
conf 'process.args=["/bin/uname","-m"]' 'linux.personality={"domain":"LINUX32","flags":["ADDR_NO_RANDOMIZE"]}'
run_ok p32f
want_out p32f "$want32\n"
warned p32f 'config.json: linux.personality.flags: ignored (runroot sets the domain alone, as runc)'
bad 'config.json: linux.personality.domain: expected LINUX or LINUX32' 'linux.personality={"domain":"SVR4"}'

# process.consoleSize: the pty the console socket gets has that size.
write_console_receiver recv.py
conf 'process.args=["/bin/stty","size"]' 'process.terminal=True' 'process.consoleSize={"height":33,"width":111}'
python3 recv.py "$T/cs.sock" cs.got &
recv=$!
CLEANUP_PIDS="$CLEANUP_PIDS $recv"
wait_for 10 test -S "$T/cs.sock" || fail "the console receiver did not listen"
"${R[@]}" create --bundle b --console-socket "$T/cs.sock" cs 2>cs.err || fail "create cs: $(cat cs.err)"
"${R[@]}" start cs || fail "start cs"
wait "$recv" || fail "console receiver: status $?"
tr -d '\r' <cs.got >cs.out
want_out cs '33 111\n'
"${R[@]}" delete --force cs || fail "delete cs"

# AppArmor and SELinux labels: runroot applies none. A host without the
# module: ignored with a warning, as runc does; a host with it: refused.
conf 'process.args=["/bin/true"]' 'process.apparmorProfile="runtime/default"' \
        'process.selinuxLabel="system_u:system_r:container_t:s0"'
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
        bad 'config.json: process.apparmorProfile: AppArmor is enabled on this host and runroot does not apply its labels' \
                'process.args=["/bin/true"]' 'process.apparmorProfile="runtime/default"'
elif [ -e /sys/fs/selinux/enforce ]; then
        bad 'config.json: process.selinuxLabel: SELinux is enabled on this host and runroot does not apply its labels' \
                'process.args=["/bin/true"]' 'process.selinuxLabel="system_u:system_r:container_t:s0"'
else
        run_ok lsm
        warned lsm 'config.json: process.apparmorProfile: ignored (AppArmor is not enabled on this host)'
        warned lsm 'config.json: process.selinuxLabel: ignored (SELinux is not enabled on this host)'
        # exec's --apparmor and --process-label, as runc's on such a host.
        conf 'process.args=["/bin/sleep","60"]'
        "${R[@]}" create --bundle b lx 2>lx.err || fail "create lx: $(cat lx.err)"
        "${R[@]}" start lx || fail "start lx"
        "${R[@]}" exec --apparmor runtime/default --process-label x_t lx /bin/echo in >lx.out 2>lx.err ||
                fail "exec --apparmor: $(cat lx.err)"
        want_out lx 'in\n'
        warned lx 'exec --apparmor: ignored (AppArmor is not enabled on this host)'
        warned lx 'exec --process-label: ignored (SELinux is not enabled on this host)'
        "${R[@]}" delete --force lx || fail "delete lx"
fi

# linux.namespaces with a path: ipc, uts, cgroup and pid namespaces joined
# (the uts one keeps its hostname), mount and user refused.
unshare --ipc --uts --cgroup --pid --fork --kill-child sh -c 'hostname joined; exec sleep 60' &
unsh=$!
CLEANUP_PIDS="$CLEANUP_PIDS $unsh"
holder=""
for _ in $(seq 100); do
        holder=$(cat /proc/$unsh/task/$unsh/children 2>/dev/null | awk '{print $1}')
        [ -n "$holder" ] && [ "$(readlink /proc/$holder/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] &&
                [ "$(cat /proc/$holder/comm)" = sleep ] && break
        sleep 0.05
done
[ -n "$holder" ] && [ "$(cat /proc/$holder/comm)" = sleep ] || fail "unshare made no namespaces"
nsinodes() { for k in ipc uts cgroup pid; do stat -L -c %i "/proc/$1/ns/$k"; done; }
nsinodes "$holder" >jn.want
echo joined >>jn.want
conf 'process.args=["/bin/sh","-c","for k in ipc uts cgroup pid; do stat -L -c %i /proc/self/ns/$k; done; hostname"]' \
        'hostname=DEL' \
        "linux.namespaces=[{'type':'mount'},{'type':'network'}]+[{'type':t,'path':'/proc/$holder/ns/'+t} for t in ('ipc','uts','cgroup','pid')]"
run_ok jn
diff jn.want jn.out >jn.diff || fail "joined namespaces: $(cat jn.diff) $(cat jn.err)"
[ "$(hostname)" != joined ] || fail "the joined uts namespace's name reached the host"
kill "$unsh"
conf "linux.namespaces=[{'type':'pid'},{'type':'ipc','path':'$T/b/config.json'}]"
"${R[@]}" run --bundle b jbad >/dev/null 2>jbad.err && fail "a file that is no namespace was joined"
grep -v ': warning: ' jbad.err >jbad.msg
[ "$(cat jbad.msg)" = "runroot: ipc namespace $T/b/config.json: not an ipc namespace" ] || fail "jbad: $(cat jbad.err)"
bad 'config.json: linux.namespaces[0].path: joining a mount namespace is not supported by runroot (it sets the root up in a new one)' \
        'linux.namespaces=[{"type":"mount","path":"/proc/1/ns/mnt"}]'
bad 'config.json: linux.namespaces[0].path: joining a user namespace is not supported by runroot' \
        'linux.namespaces=[{"type":"user","path":"/proc/1/ns/user"}]'

# linux.devices: nodes made in /dev with their numbers, mode and owner (a
# directory on the way made too, a fifo too); the device cgroup opens one
# only when linux.resources.devices allows it (after the engines' usual
# deny of every device), or when a rule allows every device.
devs="linux.devices=[{'path':'/dev/mynull','type':'c','major':1,'minor':3,'fileMode':0o646,'uid':1000,'gid':2000},{'path':'/dev/net/tun','type':'c','major':10,'minor':200,'fileMode':0o666},{'path':'/dev/myfifo','type':'p','fileMode':0o600}]"
dev_args='process.args=["/bin/sh","-c","stat -c \"%n %F %t:%T %a %u:%g\" /dev/mynull /dev/net/tun /dev/myfifo; echo x >/dev/mynull && echo null-ok; rrhelper open-rw /dev/net/tun"]'
conf "$dev_args" "$devs"
"${R[@]}" run --bundle b dv >dv.out 2>dv.err
want_out dv '/dev/mynull character special file 1:3 646 1000:2000\n/dev/net/tun character special file a:c8 666 0:0\n/dev/myfifo fifo 0:0 600 0:0\nnull-ok\nEPERM\n'
conf "$dev_args" "$devs" \
        "linux.resources={'devices':[{'allow':False,'access':'rwm'},{'allow':True,'type':'c','major':10,'minor':200,'access':'rw'}]}"
"${R[@]}" run --bundle b dv2 >dv2.out 2>dv2.err
want_out dv2 '/dev/mynull character special file 1:3 646 1000:2000\n/dev/net/tun character special file a:c8 666 0:0\n/dev/myfifo fifo 0:0 600 0:0\nnull-ok\nopened\n'
conf 'process.args=["/bin/rrhelper","open-rw","/dev/net/tun"]' "$devs" \
        "linux.resources={'devices':[{'allow':False,'access':'rwm'},{'allow':True,'access':'rwm'}]}"
run_ok dv3
want_out dv3 'opened\n'
bad 'config.json: linux.resources.devices[1]: a deny rule of some devices: not supported by runroot (only one of every device, its list'"'"'s start)' \
        "linux.resources={'devices':[{'allow':False,'access':'rwm'},{'allow':False,'type':'c','major':1,'minor':3,'access':'rwm'}]}"
bad 'config.json: linux.devices[0].path: not a path below /dev/ that runroot'"'"'s /dev leaves free (its root file system is nodev)' \
        "linux.devices=[{'path':'/etc/tun','type':'c','major':10,'minor':200}]"
bad 'config.json: linux.devices[0].path: not a path below /dev/ that runroot'"'"'s /dev leaves free (its root file system is nodev)' \
        "linux.devices=[{'path':'/dev/pts/9','type':'c','major':136,'minor':9}]"
bad 'config.json: linux.devices[0].minor: missing' "linux.devices=[{'path':'/dev/x','type':'c','major':10}]"
bad 'config.json: linux.resources.devices[0].access: expected letters of rwm' \
        "linux.resources={'devices':[{'allow':True,'type':'c','major':10,'minor':200,'access':'rx'}]}"

# linux.resources: memory limit, reservation and swap, cpu shares, quota,
# period, cpus and mems, pids, blockIO throttles, in the container's
# cgroup files (v1 or v2, whichever holds the controller); update
# --resources changes them.
bdev=$(cat /sys/block/vda/dev 2>/dev/null || cat "$(ls -d /sys/block/*/dev | head -1)")
bmaj=${bdev%:*} bmin=${bdev#*:}
conf 'process.args=["/bin/sleep","60"]' \
        "linux.resources={'memory':{'limit':67108864,'reservation':33554432,'swap':100663296},'cpu':{'shares':512,'quota':20000,'period':100000,'cpus':'0','mems':'0'},'pids':{'limit':50},'blockIO':{'throttleReadBpsDevice':[{'major':$bmaj,'minor':$bmin,'rate':1048576}],'throttleWriteIOPSDevice':[{'major':$bmaj,'minor':$bmin,'rate':77}]}}"
"${R[@]}" create --bundle b rs 2>rs.err || fail "create rs: $(cat rs.err)"
pid=$(state_field rs pid)
# cgval V1-CONTROLLER V1-FILE V2-FILE: the value there, one line.
cgval() {
        local f
        f=$(cg_file "$pid" "$1" "$2" "$3")
        [ -n "$f" ] || fail "no $2 or $3 for pid $pid"
        case $f in
        */blkio.throttle.* | */io.max) grep "^$bdev " "$f" | tr '\n' ' ' ;;
        *) tr '\n' ' ' <"$f" ;;
        esac
        echo
}
{
        cgval memory memory.limit_in_bytes memory.max
        cgval memory memory.soft_limit_in_bytes memory.low
        cgval cpu cpu.shares cpu.weight
        cgval cpu cpu.cfs_quota_us cpu.max
        cgval cpuset cpuset.cpus cpuset.cpus
        cgval cpuset cpuset.mems cpuset.mems
        cgval pids pids.max pids.max
} >rs.out
f=$(cg_file "$pid" memory memory.memsw.limit_in_bytes memory.swap.max)
[ -z "$f" ] || { cat "$f"; } >>rs.out
rd=$(cg_file "$pid" blkio blkio.throttle.read_bps_device io.max)
wi=$(cg_file "$pid" blkio blkio.throttle.write_iops_device io.max)
case $rd in
*/io.max) want_rs="67108864 \n33554432 \n20 \n20000 100000 \n0 \n0 \n50 \n" want_swap=33554432 want_io="$bdev rbps=1048576 wbps=max riops=max wiops=77 \n" ;;
*) want_rs="67108864 \n33554432 \n512 \n20000 \n0 \n0 \n50 \n" want_swap=100663296 want_io="$bdev 1048576 \n$bdev 77 \n" ;;
esac
want_out rs "$want_rs$want_swap\n"
if [ "$rd" = "$wi" ]; then grep "^$bdev " "$rd"; else grep "^$bdev " "$rd" "$wi" -h; fi | sed 's/$/ /' >io.out
printf "$want_io" >io.want
diff io.want io.out >io.diff || fail "blockIO throttles: $(cat io.diff)"
printf '{"memory":{"limit":67108864,"reservation":16777216,"swap":-1},"cpu":{"mems":"0"}}' >res.json
"${R[@]}" update --resources res.json rs 2>up.err || fail "update --resources: $(cat up.err)"
[ "$(cgval memory memory.soft_limit_in_bytes memory.low)" = "16777216 " ] || fail "update: reservation $(cgval memory memory.soft_limit_in_bytes memory.low)"
"${R[@]}" delete --force rs || fail "delete rs"
# memory.swappiness and disableOOMKiller: cgroup v1's files (v2 has none:
# refused there, naming it).
conf 'process.args=["/bin/sleep","60"]' "linux.resources={'memory':{'limit':67108864,'swappiness':10,'disableOOMKiller':True}}"
if "${R[@]}" create --bundle b sw 2>sw.err; then
        pid=$(state_field sw pid)
        f=$(cg_file "$pid" memory memory.swappiness memory.swappiness-not-on-v2)
        [ -n "$f" ] || fail "swappiness: no v1 memory cgroup, yet created: $(cat /proc/$pid/cgroup)"
        [ "$(cat "$f")" = 10 ] || fail "memory.swappiness: $(cat "$f")"
        grep -qx 'oom_kill_disable 1' "${f%/*}/memory.oom_control" || fail "memory.oom_control: $(cat "${f%/*}/memory.oom_control")"
        "${R[@]}" delete --force sw || fail "delete sw"
else
        grep -q ': memory swappiness: not on cgroup v2$' sw.err || fail "swappiness: $(cat sw.err)"
fi
bad 'config.json: linux.resources.memory.swap: below memory.limit (it counts memory and swap together)' \
        "linux.resources={'memory':{'limit':67108864,'swap':1048576}}"
bad 'config.json: linux.resources.memory.swap: needs memory.limit (it counts memory and swap together)' \
        "linux.resources={'memory':{'swap':1048576}}"
bad 'config.json: linux.resources.cpu.mems: expected a list of memory nodes (0-1,3)' \
        "linux.resources={'cpu':{'mems':'0;1'}}"
# blockIO.weight: the weight file where the kernel has one, else refused
# naming it (this host's I/O scheduler may have none).
conf 'process.args=["/bin/sleep","60"]' "linux.resources={'blockIO':{'weight':300}}"
if "${R[@]}" create --bundle b bw 2>bw.err; then
        pid=$(state_field bw pid)
        f=$(cg_file "$pid" blkio blkio.weight io.weight)
        [ -n "$f" ] || f=$(cg_file "$pid" blkio blkio.bfq.weight io.bfq.weight)
        [ -n "$f" ] || fail "blockIO.weight: no weight file for pid $pid"
        w=$(tr '\n' ' ' <"$f")
        # blkio's scale as it is; io.weight's from it as runc converts
        case $f in
        */io.weight) [ "$w" = "default 2930 " ] || fail "blockIO.weight: $f: $w" ;;
        *) [ "$w" = "300 " ] || [ "$w" = "default 300 " ] || fail "blockIO.weight: $f: $w" ;;
        esac
        "${R[@]}" delete --force bw || fail "delete bw"
else
        grep -q 'io weight not supported (neither blkio.weight nor blkio.bfq.weight)$\|io weight not supported (neither io.weight nor io.bfq.weight)$' bw.err ||
                fail "blockIO.weight: $(cat bw.err)"
        [ ! -e "$T/state/bw" ] || fail "blockIO.weight refused: left state"
fi


# cpu.burst, cpu.idle and the realtime budget: v1's cpu.cfs_burst_us,
# cpu.idle, cpu.rt_period_us and cpu.rt_runtime_us (v2: cpu.max.burst and
# cpu.idle; a realtime budget refused there, naming it).
conf 'process.args=["/bin/sleep","60"]' \
        "linux.resources={'cpu':{'quota':20000,'period':100000,'burst':1000,'idle':1,'realtimePeriod':100000,'realtimeRuntime':10000}}"
if "${R[@]}" create --bundle b cb 2>cb.err; then
        pid=$(state_field cb pid)
        f=$(cg_file "$pid" cpu cpu.cfs_burst_us cpu.max.burst)
        [ -n "$f" ] && [ "${f##*/}" = cpu.cfs_burst_us ] || fail "cpu: not on v1, yet a realtime budget was set: $f"
        d=${f%/*}
        printf '%s %s %s %s\n' "$(cat "$d/cpu.cfs_burst_us")" "$(cat "$d/cpu.idle")" \
                "$(cat "$d/cpu.rt_period_us")" "$(cat "$d/cpu.rt_runtime_us")" >cb.out
        want_out cb '1000 1 100000 10000\n'
        "${R[@]}" delete --force cb || fail "delete cb"
else
        grep -q ': a realtime cpu budget: not on cgroup v2$' cb.err || fail "cpu realtime: $(cat cb.err)"
fi
bad 'config.json: linux.resources.cpu.realtimePeriod: needs realtimeRuntime (the budget in each period)' \
        "linux.resources={'cpu':{'realtimePeriod':100000}}"

# --preserve-fds N (create, run and exec): the caller's fds 3 .. 3+N-1
# reach the process, and nothing else of runroot's; an fd that is not
# open is refused.
echo three >f3
echo four >f4
conf 'process.args=["/bin/sh","-c","cat <&3; cat <&4; for f in 3 4 5 6 7 8 9; do [ -e /proc/self/fd/$f ] && echo fd $f; done; true"]'
"${R[@]}" run --preserve-fds 2 --bundle b pf 3<f3 4<f4 5<&- >pf.out 2>pf.err
want_out pf 'three\nfour\nfd 3\nfd 4\n'
"${R[@]}" run --preserve-fds 3 --bundle b pf2 3<f3 4<f4 5<&- >pf2.out 2>pf2.err && fail "--preserve-fds 3 with fd 5 closed ran"
[ "$(cat pf2.err)" = "runroot: run --preserve-fds 3: fd 5 is not open" ] || fail "pf2: $(cat pf2.err)"
conf 'process.args=["/bin/sleep","60"]'
"${R[@]}" create --bundle b pfx 2>pfx.err || fail "create pfx: $(cat pfx.err)"
"${R[@]}" start pfx || fail "start pfx"
"${R[@]}" exec --preserve-fds 1 pfx /bin/sh -c 'cat <&3; [ -e /proc/self/fd/4 ] && echo fd 4; true' 3<f4 4<&- >pfx.out 2>pfx.err
want_out pfx 'four\n'
"${R[@]}" delete --force pfx || fail "delete pfx"


# A session keyring of the container's own (named after its id), as runc's
# create and exec join; --no-new-keyring keeps the caller's, in exec too.
host_ring=$("$HELPER" keyring) || fail "the host's session keyring: $host_ring"
conf 'process.args=["/bin/sleep","60"]'
"${R[@]}" create --bundle b kr1 2>kr.err || fail "create kr1: $(cat kr.err)"
"${R[@]}" create --no-new-keyring --bundle b kr2 2>kr.err || fail "create kr2: $(cat kr.err)"
for c in kr1 kr2; do
        "${R[@]}" start $c || fail "start $c"
        "${R[@]}" exec $c /bin/rrhelper keyring >$c.out 2>$c.err || fail "exec $c: $(cat $c.err)"
        "${R[@]}" delete --force $c || fail "delete $c"
done
[ "$(cut -d' ' -f2 kr1.out)" = kr1 ] && [ "$(cat kr1.out)" != "$host_ring" ] || fail "exec's keyring: $(cat kr1.out), the host's $host_ring"
[ "$(cat kr2.out)" = "$host_ring" ] || fail "--no-new-keyring: $(cat kr2.out), the host's $host_ring"
conf 'process.args=["/bin/rrhelper","keyring"]'
"${R[@]}" run --bundle b kr3 >kr3.out 2>kr.err || fail "run kr3: $(cat kr.err)"
[ "$(cut -d' ' -f2 kr3.out)" = kr3 ] || fail "run's keyring: $(cat kr3.out)"

# The command line: --debug says what create did (and is quiet without
# it), --no-new-keyring is taken, exec's --no-new-privs and --user
# UID:GID reach the process.
conf 'process.args=["/bin/true"]'
"${R[@]}" --debug run --no-new-keyring --bundle b dbg >dbg.out 2>dbg.err || fail "--debug run: $(cat dbg.err)"
grep -q "^runroot: debug: run dbg: b/config.json read, root $T/b/rootfs$" dbg.err &&
        grep -q "^runroot: debug: run dbg: its process is [0-9]*, state in $T/state/dbg$" dbg.err ||
        fail "--debug: $(cat dbg.err)"
"${R[@]}" run --no-new-keyring --bundle b ndbg >ndbg.out 2>ndbg.err || fail "run: $(cat ndbg.err)"
[ ! -s ndbg.err ] || fail "without --debug: $(cat ndbg.err)"
conf 'process.args=["/bin/sleep","60"]' 'process.noNewPrivileges=False'
"${R[@]}" create --bundle b nn 2>nn.err || fail "create nn: $(cat nn.err)"
"${R[@]}" start nn || fail "start nn"
"${R[@]}" exec nn /bin/sh -c 'grep NoNewPrivs /proc/self/status' >nn.out 2>nn.err || fail "exec nn: $(cat nn.err)"
"${R[@]}" exec --no-new-privs --user 1000:2000 nn /bin/sh -c 'grep NoNewPrivs /proc/self/status; id -u; id -g' >>nn.out 2>>nn.err ||
        fail "exec --no-new-privs: $(cat nn.err)"
want_out nn 'NoNewPrivs:\t0\nNoNewPrivs:\t1\n1000\n2000\n'
"${R[@]}" delete --force nn || fail "delete nn"

# linux.seccomp in the specification's format: the filter is on (Seccomp
# 2), a rule's errnoRet is the errno, a rule with args matches only those
# (unshare of a user namespace, not of a uts one), and flags go to
# seccomp() (seen with strace); an unknown flag and a listener are refused.
sc="linux.seccomp={'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_AARCH64'],'flags':['SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],'syscalls':[{'names':['mknod','mknodat'],'action':'SCMP_ACT_ERRNO','errnoRet':38},{'names':['unshare'],'action':'SCMP_ACT_ERRNO','errnoRet':13,'args':[{'index':0,'value':0x10000000,'valueTwo':0x10000000,'op':'SCMP_CMP_MASKED_EQ'}]}]}"
conf 'process.args=["/bin/sh","-c","grep ^Seccomp: /proc/self/status; rrhelper try-syscall mknod; rrhelper try-syscall unshare-user; unshare -u true && echo uts-ok"]' \
        'process.capabilities={"bounding":["CAP_SYS_ADMIN","CAP_MKNOD"],"effective":["CAP_SYS_ADMIN","CAP_MKNOD"],"permitted":["CAP_SYS_ADMIN","CAP_MKNOD"]}' "$sc"
ln -sf busybox b/rootfs/bin/unshare
strace -f -qq -e trace=seccomp -e signal=none -o sc.trace "${R[@]}" run --bundle b sc >sc.out 2>sc.err || fail "seccomp run: $(cat sc.err)"
want_out sc 'Seccomp:\t2\nENOSYS\nEACCES\nuts-ok\n'
grep -q 'seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG|SECCOMP_FILTER_FLAG_SPEC_ALLOW, ' sc.trace ||
        fail "seccomp flags not passed: $(cat sc.trace)"
bad 'config.json: linux.seccomp.flags: "SECCOMP_FILTER_FLAG_NEW_LISTENER": not supported by runroot' \
        "linux.seccomp={'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_NEW_LISTENER']}"
bad 'config.json: linux.seccomp.listenerPath: not supported by runroot (no SCMP_ACT_NOTIFY listener)' \
        "linux.seccomp={'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/l.sock'}"

# mounts: a bind's propagation (rslave: the container's copy follows the
# host's shared mount, rprivate: it does not), idmapped mounts refused.
mkdir -p prop
mount --bind prop prop && mount --make-shared prop || fail "a shared mount of the test's own"
conf 'process.args=["/bin/sh","-c","grep \" /p1 \" /proc/self/mountinfo | grep -c master:; grep \" /p2 \" /proc/self/mountinfo | grep -c master:; true"]' \
        "mounts=[{'destination':'/proc','type':'proc','source':'proc'},{'destination':'/p1','type':'bind','source':'$T/prop','options':['rbind','rslave']},{'destination':'/p2','type':'bind','source':'$T/prop','options':['rbind','rprivate']}]"
run_ok pg
want_out pg '1\n0\n'
umount prop || fail "umount prop"
bad 'config.json: mounts[1].options: idmap: idmapped mounts are not supported by runroot' \
        "mounts=[{'destination':'/proc','type':'proc'},{'destination':'/m','type':'bind','source':'$T','options':['rbind','idmap']}]"
bad 'config.json: mounts[1].uidMappings: idmapped mounts are not supported by runroot' \
        "mounts=[{'destination':'/proc','type':'proc'},{'destination':'/m','type':'bind','source':'$T','options':['rbind'],'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]}]"

# A user namespace as root: linux.uidMappings and gidMappings are its maps
# (root inside is 100000 on the host), over a root file system of those
# ids; without maps, or maps without the namespace, refused.
userns_conf() {
        conf "$1" "linux.namespaces=[{'type':t} for t in ('pid','mount','uts','ipc','network','user')]" \
                "linux.uidMappings=[{'containerID':0,'hostID':100000,'size':65536}]" \
                "linux.gidMappings=[{'containerID':0,'hostID':200000,'size':65536}]"
        rm -rf u && mkdir u && cp -a b/rootfs b/config.json u/ && chown -R 100000:200000 u/rootfs
}
userns_conf 'process.args=["/bin/sh","-c","id -u; id -g; awk \"{print \\$1, \\$2, \\$3}\" /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /etc/marker; touch /tmp/w && echo write-ok"]'
"${R[@]}" run --bundle u un >un.out 2>un.err || fail "userns run: $(cat un.err)"
want_out un '0\n0\n0 100000 65536\n0 200000 65536\n0:0\nwrite-ok\n'
userns_conf 'process.args=["/bin/sleep","60"]'
"${R[@]}" create --bundle u un2 2>un2.err || fail "create un2: $(cat un2.err)"
pid=$(state_field un2 pid)
[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status) $(awk '/^Gid:/ {print $2}' /proc/$pid/status)" = "100000 200000" ] ||
        fail "userns: the host's ids of the process: $(grep -E '^(Uid|Gid):' /proc/$pid/status)"
"${R[@]}" exec un2 /bin/sh -c 'id -u; stat -c %u /etc/marker' >un3.out 2>un3.err || fail "exec in userns: $(cat un3.err)"
printf '0\n0\n' >un3.want
diff un3.want un3.out >un3.diff || fail "exec in userns: $(cat un3.diff)"
"${R[@]}" delete --force un2 || fail "delete un2"
bad 'config.json: linux.uidMappings: missing (the user namespace needs it)' \
        "linux.namespaces=[{'type':t} for t in ('pid','mount','uts','ipc','network','user')]"
bad 'config.json: linux.uidMappings: needs a user namespace in linux.namespaces' \
        "linux.uidMappings=[{'containerID':0,'hostID':100000,'size':65536}]"
bad 'config.json: linux.namespaces: a new user namespace with one joined by path: not supported by runroot' \
        "linux.namespaces=[{'type':t} for t in ('pid','mount','uts','network','user')]+[{'type':'ipc','path':'/proc/1/ns/ipc'}]" \
        "linux.uidMappings=[{'containerID':0,'hostID':100000,'size':65536}]" "linux.gidMappings=[{'containerID':0,'hostID':100000,'size':1}]"
bad 'config.json: linux.gidMappings[0].size: out of range' \
        "linux.namespaces=[{'type':t} for t in ('pid','mount','uts','ipc','network','user')]" \
        "linux.uidMappings=[{'containerID':0,'hostID':100000,'size':65536}]" "linux.gidMappings=[{'containerID':0,'hostID':100000,'size':0}]"

# maskedPaths and readonlyPaths of the container's own tree: a file masked
# (reads empty), a directory masked (empty), a directory read-only; a
# symlink to outside the root is resolved inside it.
mkdir -p b/rootfs/secret b/rootfs/etc/ro
echo hidden >b/rootfs/etc/secret-file
echo kept >b/rootfs/etc/ro/f
echo in >b/rootfs/secret/x
ln -sfn /etc/ro b/rootfs/ro-link
conf 'process.args=["/bin/sh","-c","wc -c </etc/secret-file; ls /secret | wc -l; cat /etc/ro/f; echo x >/etc/ro/g || echo ro; echo y >/etc/w && echo rw"]' \
        'linux.maskedPaths=["/etc/secret-file","/secret","/nonexistent/x"]' 'linux.readonlyPaths=["/ro-link"]'
run_ok mt
want_out mt '0\n0\nkept\nro\nrw\n'
[ "$(cat b/rootfs/etc/secret-file)" = hidden ] && [ -e b/rootfs/secret/x ] && [ ! -e b/rootfs/etc/ro/g ] ||
        fail "maskedPaths changed the tree"
rm -rf b/rootfs/secret b/rootfs/etc/ro b/rootfs/etc/secret-file b/rootfs/ro-link b/rootfs/etc/w
bad 'config.json: linux.maskedPaths: expected absolute paths below the root' 'linux.maskedPaths=["etc/x"]'

# linux.rootfsPropagation: with rslave a mount the host makes below the
# bundle's (shared) root later shows in the container, with rprivate not.
cp -a b/rootfs rfs && mkdir -p rfs/mnt
mount --bind rfs rfs && mount --make-shared rfs || fail "a shared mount of the test's own"
for prop in rslave rprivate; do
        conf 'process.args=["/bin/sleep","60"]' "root={'path':'$T/rfs'}" "linux.rootfsPropagation='$prop'"
        "${R[@]}" create --bundle b rp-$prop 2>rp.err || fail "create rp-$prop: $(cat rp.err)"
        "${R[@]}" start rp-$prop || fail "start rp-$prop"
done
mount -t tmpfs -o size=1m rfstmp rfs/mnt || fail "mount below the shared root"
for prop in rslave rprivate; do
        "${R[@]}" exec rp-$prop /bin/sh -c 'grep -c " /mnt " /proc/self/mountinfo; true' >>rp.out 2>>rp.err ||
                fail "exec rp-$prop: $(cat rp.err)"
        "${R[@]}" delete --force rp-$prop || fail "delete rp-$prop"
done
umount rfs/mnt && umount rfs || fail "umount rfs"
want_out rp '1\n0\n'

# A bind mount takes the mounts below its source with rbind only (as
# runc: bind alone is the source's own mount); -v's bind mode likewise.
mkdir -p rb/sub
mount -t tmpfs -o size=1m rbsub rb/sub && echo below >rb/sub/f || fail "a mount of the test's own"
conf 'process.args=["/bin/sh","-c","cat /r1/sub/f; ls /r2/sub | wc -l"]' \
        "mounts=[{'destination':'/proc','type':'proc','source':'proc'},{'destination':'/r1','type':'bind','source':'$T/rb','options':['rbind']},{'destination':'/r2','type':'bind','source':'$T/rb','options':['bind']}]"
run_ok rb
want_out rb 'below\n0\n'
"$RUNROOT" -v "$T/rb:/r:ro,bind" "$IMG" /bin/sh -c 'ls /r/sub | wc -l' >rbv.out 2>rbv.err || fail "-v :bind: $(cat rbv.err)"
want_out rbv '0\n'
# ro is the bind's own mount (as runc's), rro the mounts below it too;
# rnosuid is nosuid (which takes them all).
conf 'process.args=["/bin/sh","-c","echo x >/r1/sub/w && echo sub-rw; echo x >/r1/t || echo top-ro; echo x >/r2/sub/w2 || echo sub-ro; grep \" /r2/sub \" /proc/mounts | grep -c nosuid"]' \
        "mounts=[{'destination':'/proc','type':'proc','source':'proc'},{'destination':'/r1','type':'bind','source':'$T/rb','options':['rbind','ro']},{'destination':'/r2','type':'bind','source':'$T/rb','options':['rbind','rro','rnosuid']}]"
run_ok rro
want_out rro 'sub-rw\ntop-ro\nsub-ro\n1\n'
! grep -q "warning" rro.err || fail "rro: $(cat rro.err)"
umount rb/sub || fail "umount rb/sub"
echo PASS
