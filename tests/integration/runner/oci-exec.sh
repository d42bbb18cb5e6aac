#!/bin/bash
# runroot as an OCI runtime: exec, as runc's. A process joins a running
# container (its namespaces and cgroups, its capabilities, no_new_privs
# and seccomp filter); --user, --cwd, --env, --cap change config.json's
# process, --process FILE replaces it; --detach with --pid-file leaves it
# running (and fails for a command that cannot start); --tty sends the pty's master to --console-socket; a stopped or
# unknown container, or no command, is refused.
. "$(dirname "$0")/../../helpers/subreaper.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
set -o pipefail
cd "$T"
make_bundle bundle /bin/sleep 60
# mkdir is refused by config.json's filter (not by runroot's own).
edit_config bundle 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
"${R[@]}" create --bundle bundle e1 2>e1.err || fail "create: $(cat e1.err)"
"${R[@]}" start e1 2>e1.err || fail "start: $(cat e1.err)"
pid=$(state_field e1 pid)
cmd=$(cat "/proc/$pid/task/$pid/children")
cmd=${cmd%% *}
[ -n "$cmd" ] || fail "no command under the init $pid"

# The exit status and output; the container's hostname.
"${R[@]}" exec e1 /bin/sh -c 'echo hi; hostname; exit 3' >x.out 2>x.err
rc=$?
[ $rc = 3 ] || fail "exec exit status $rc: $(cat x.err)"
printf 'hi\nocitest\n' >x.want
cmp -s x.want x.out || fail "exec output: $(cat x.out)"

# The security of the container's command.
sec_lines() { grep -E '^(CapBnd|CapEff|CapPrm|NoNewPrivs|Seccomp):' "$1"; }
"${R[@]}" exec e1 /bin/cat /proc/self/status >xs.out 2>x.err || fail "exec cat: $(cat x.err)"
sec_lines xs.out >xs.sec
sec_lines "/proc/$cmd/status" >cmd.sec
cmp -s cmd.sec xs.sec || fail "exec's security: $(cat xs.sec) vs the command's $(cat cmd.sec)"
grep -qx 'CapBnd:	0000000020000420' xs.sec && grep -qx 'NoNewPrivs:	1' xs.sec &&
        grep -qx 'Seccomp:	2' xs.sec || fail "exec's security: $(cat xs.sec)"
"${R[@]}" exec e1 /bin/mkdir /tmp/x >/dev/null 2>xm.err && fail "mkdir passed the container's filter"
grep -q "Operation not permitted" xm.err || fail "mkdir: $(cat xm.err)"

# --user, --cwd, --env, --cap.
"${R[@]}" exec --user 1000:1000 --cwd /tmp --env FOO=bar --cap CAP_SYS_ADMIN e1 \
        /bin/sh -c 'echo "$(id -u) $(id -g) $(pwd) $FOO"; grep CapBnd /proc/self/status' >xu.out 2>x.err ||
        fail "exec --user: $(cat x.err)"
printf '1000 1000 /tmp bar\nCapBnd:\t0000000020200420\n' >xu.want
cmp -s xu.want xu.out || fail "exec --user --cwd --env --cap: $(cat xu.out)"

# --process FILE: its args, env (exactly), cwd.
echo '{"args": ["/bin/cat", "/proc/self/environ"], "env": ["A=b"], "cwd": "/etc", "user": {"uid": 0, "gid": 0}}' >p.json
"${R[@]}" exec --process p.json e1 >xp.out 2>x.err || fail "exec --process: $(cat x.err)"
printf 'A=b\0' >xp.want
cmp -s xp.want xp.out || fail "exec --process env: $(od -c xp.out | head -3)"
# The groups are the process's additionalGids alone, as create's (and
# runc's): not the image's /etc/group, where user is in extra (2000).
echo '{"args": ["/bin/id"], "cwd": "/", "user": {"uid": 1000, "gid": 1000, "additionalGids": [3000]}}' >pg.json
"${R[@]}" exec --process pg.json e1 >xg.out 2>x.err || fail "exec --process with additionalGids: $(cat x.err)"
[ "$(cat xg.out)" = "uid=1000(user) gid=1000(user) groups=3000" ] || fail "exec --process groups: $(cat xg.out)"
"${R[@]}" exec --user 1000:1000 e1 /bin/id >xg.out 2>x.err || fail "exec --user: $(cat x.err)"
[ "$(cat xg.out)" = "uid=1000(user) gid=1000(user)" ] || fail "exec --user groups: $(cat xg.out)"
echo '{"args": ["/bin/pwd"], "cwd": "/etc"}' >p2.json
"${R[@]}" exec --process p2.json e1 >xp2.out 2>x.err || fail "exec --process cwd: $(cat x.err)"
[ "$(cat xp2.out)" = /etc ] || fail "exec --process cwd: $(cat xp2.out)"

# --detach --pid-file: it runs on in the container's namespaces and cgroups.
"${R[@]}" exec --detach --pid-file "$T/x.pid" e1 /bin/sleep 30 2>x.err || fail "exec --detach: $(cat x.err)"
xp=$(cat "$T/x.pid")
[ -n "$xp" ] && [ -d "/proc/$xp" ] || fail "--pid-file: ${xp:-empty}"
for n in pid mnt uts ipc net; do
        [ "$(readlink "/proc/$xp/ns/$n")" = "$(readlink "/proc/$pid/ns/$n")" ] ||
                fail "the detached exec is not in the container's $n namespace"
done
cmp -s "/proc/$xp/cgroup" "/proc/$pid/cgroup" || fail "cgroups: $(cat "/proc/$xp/cgroup")"
# --detach of a command that cannot start fails naming it (runc's does),
# and writes no pid file: exec waits for the process's exec.
for i in 1 2 3; do
        "${R[@]}" exec --detach --pid-file "$T/y.pid" e1 /bin/nothing-here >y.out 2>y.err
        rc=$?
        [ $rc = 255 ] && [ "$(cat y.err)" = 'runroot: exec "/bin/nothing-here": No such file or directory' ] &&
                [ ! -e "$T/y.pid" ] || fail "exec --detach of a missing command: exit status $rc: $(cat y.err)"
done

# --tty: the pty's master goes to --console-socket.
write_console_receiver recv.py
python3 recv.py "$T/console.sock" "$T/console.out" &
recv=$!
CLEANUP_PIDS="$CLEANUP_PIDS $recv"
for _ in $(seq 100); do [ -S "$T/console.sock" ] && break; sleep 0.05; done
"${R[@]}" exec --tty --console-socket "$T/console.sock" e1 /bin/sh -c 'tty; echo via-exec' 2>x.err ||
        fail "exec --tty: $(cat x.err)"
wait "$recv" || fail "the console receiver failed"
tr -d '\r' <console.out >console.txt
grep -q '^/dev/pts/[0-9]*$' console.txt && grep -qx via-exec console.txt || fail "console: $(od -c console.out | head)"

# Refused: no command, an unknown container, a stopped one.
"${R[@]}" exec e1 >/dev/null 2>x.err
rc=$?
[ $rc = 255 ] || fail "exec without a command: $rc"
[ "$(cat x.err)" = "runroot: exec: args must not be empty (or give --process) (see runroot --root DIR --help)" ] ||
        fail "exec without a command: $(cat x.err)"
"${R[@]}" exec nosuch /bin/true 2>x.err
rc=$?
[ $rc = 255 ] && [ "$(cat x.err)" = 'runroot: container "nosuch" does not exist' ] || fail "exec nosuch: $rc $(cat x.err)"
"${R[@]}" kill e1 KILL || fail "kill e1"
for _ in $(seq 100); do [ "$(state_field e1 status)" = stopped ] && break; sleep 0.05; done
"${R[@]}" exec e1 /bin/true 2>x.err
rc=$?
[ $rc = 255 ] && [ "$(cat x.err)" = "runroot: cannot exec in a stopped container" ] || fail "exec in a stopped one: $rc $(cat x.err)"
[ ! -d "/proc/$xp" ] || fail "the detached exec outlived its container"
"${R[@]}" delete e1 || fail "delete e1"
echo PASS
