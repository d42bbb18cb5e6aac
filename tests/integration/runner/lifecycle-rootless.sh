#!/bin/bash
# Detached containers rootless: the state under $XDG_RUNTIME_DIR/runroot
# (and one line naming it when it is not set); -d, ps, logs, exec (the
# container's namespaces reached through its command: the init is not
# dumpable), stop, rm as an unprivileged user the test creates.
. "$(dirname "$0")/lib.sh"
set -o pipefail
rootless_user rrl
XDG=$T/xdg
lc_state "$XDG/runroot" "$T/home/cache"
mkdir -p "$XDG"
chown "$U:" "$XDG"
chmod 700 "$XDG"
make_image lc ps
chmod 644 "$T/lc.tar.gz"
uid=$(id -u "$U")

# as_user [VAR=VALUE...] CMD: a shell command as the test user.
as_user() {
        su -s /bin/bash "$U" -c "cd $T/home && HOME=$T/home MKROOT_CACHE=$T/home/cache PATH=/usr/bin:/bin $*"
}

rc=0
as_user "$BIN/runroot -d $T/lc.tar.gz true" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 125 ] || fail "-d without XDG_RUNTIME_DIR: exit $rc"
printf 'runroot: XDG_RUNTIME_DIR is not set: detached containers keep their state there (export XDG_RUNTIME_DIR=/run/user/%s)\n' "$uid" |
        cmp - "$T/err" || fail "-d without XDG_RUNTIME_DIR: $(cat "$T/err")"
[ ! -e "$T/home/cache/names" ] || [ -z "$(ls "$T/home/cache/names")" ] || fail "a refused -d left a layer"

X="XDG_RUNTIME_DIR=$XDG"
as_user "$X $BIN/runroot -d --name tick $T/lc.tar.gz sh -c 'while :; do echo tick; sleep 0.2; done'" >"$T/id" 2>"$T/err" ||
        fail "rootless -d: $(cat "$T/err")"
id=$(cat "$T/id")
[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "rootless -d printed \"$id\""
[ -f "$XDG/runroot/$id/state.json" ] || fail "no state under \$XDG_RUNTIME_DIR/runroot"
[ "$(stat -c %U "$XDG/runroot/$id")" = "$U" ] || fail "the state is not the user's"
sleep 1
as_user "$X $BIN/runroot ps" >"$T/ps" || fail "rootless ps"
grep -E "^${id:0:12} +tick .* Up .* [0-9]+$" "$T/ps" >/dev/null || fail "rootless ps: $(cat "$T/ps")"
as_user "$X $BIN/runroot logs --tail 1 tick" >"$T/logs" || fail "rootless logs"
[ "$(cat "$T/logs")" = tick ] || fail "rootless logs: $(cat "$T/logs")"
as_user "$X $BIN/runroot exec tick ps -o pid,args" >"$T/exec" 2>&1 || fail "rootless exec: $(cat "$T/exec")"
grep -F 'while :; do echo tick' "$T/exec" >/dev/null || fail "rootless exec: not the container's processes: $(cat "$T/exec")"
[ "$(wc -l <"$T/exec")" -lt 8 ] || fail "rootless exec sees too much: $(cat "$T/exec")"
out=$(as_user "$X $BIN/runroot exec tick id -u") || fail "rootless exec id"
[ "$out" = 0 ] || fail "rootless exec: uid $out inside"
rc=0
as_user "$X $BIN/runroot exec tick ls $T/home" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "rootless exec sees the host's $T/home (exit $rc)"
out=$(as_user "$X $BIN/runroot stop -t 2 tick") || fail "rootless stop"
[ "$out" = tick ] || fail "rootless stop: $out"
out=$(as_user "$X $BIN/runroot wait tick")
[ "$out" = 143 ] || fail "rootless wait: $out"
as_user "$X $BIN/runroot rm tick" >/dev/null || fail "rootless rm"
[ ! -e "$XDG/runroot/$id" ] || fail "rootless rm left the state"
echo PASS
