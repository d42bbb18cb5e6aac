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
# bad MESSAGE CONF-ARGS...: create refuses with that one line, status 125,
# and leaves no state.
bad() {
        local want=$1
        shift
        conf "$@"
        "${R[@]}" create --bundle b bad1 >bad.out 2>bad.err
        local rc=$?
        [ $rc = 125 ] || fail "$* : status $rc: $(cat bad.err)"
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
echo PASS
