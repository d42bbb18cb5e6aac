#!/bin/bash
# exec-holds-no-host-fd: runroot exec runs a command inside a running
# container from a host process that has the caller's descriptors and
# working directory. Nothing of those may come in: no descriptor but 0-2
# (a host directory and a host file are left open on 7 and 8, the
# caller's cwd holds the secret), no way back through /proc/self/fd,
# /proc/self/cwd or /proc/self/root, not even with CAP_SYS_PTRACE, and
# the exec'd command's root and cwd are the container's. As root and
# rootless (the container's namespaces are entered through its command).
. "$(dirname "$0")/../hardening/lib.sh" "$1"

host_secret
chmod 644 "$T/hs"
copy_image "$T/img2" readlink grep
tar -C "$T/img2" -cf "$T/img2.tar" .
chmod 644 "$T/img2.tar"
NAME=execfd$$
trap '"$RUNROOT" --cache-dir "$T/cache" rm -f "$NAME" >/dev/null 2>&1; cleanup' EXIT

PROBE='for n in 0 1 2 3 4 5 6 7 8 9 10 11 12; do
        for p in /proc/self/fd/$n/../hs /proc/self/fd/$n/hs /proc/self/fd/$n/../../hs /proc/self/cwd/hs; do
                cat $p 2>/dev/null
        done
done
cat ./hs ../hs 2>/dev/null
echo "cwd $(readlink /proc/self/cwd) root $(readlink /proc/self/root)"
/bin/sec-helper fds'

check() {
        local label=$1 out=$2 rc=$3
        echo "--- $label (rc $rc)"
        echo "$out"
        [[ $out == *"$SECRET"* ]] && fail "$label: the host file was read from inside" ||
                pass "$label: no host file through the caller's fds or cwd"
        grep -qx 'cwd / root /' <<<"$out" && pass "$label: cwd and root are the container's /" ||
                fail "$label: cwd or root: $(grep '^cwd' <<<"$out")"
        [[ $out == *"fds: ok"* ]] && pass "$label: the command holds only 0-2" ||
                fail "$label: the command holds more than 0-2"
        [ "$rc" = 0 ] || fail "$label: rc $rc"
}

# start RUNROOT...: a detached container that sleeps (CAP_SYS_PTRACE, so a
# command in it may look anywhere /proc lets it).
rr -d --name "$NAME" --cap-add SYS_PTRACE "$T/img2.tar" sleep 300 >"$T/id" ||
        { fail "-d: $(cat "$T/id")"; finish; }
sleep 0.5
out=$(cd "$T" && exec 7<"$T" 8<"$T/hs" && "$RUNROOT" --cache-dir "$T/cache" exec "$NAME" sh -c "$PROBE" 2>&1)
check "root" "$out" $?
out=$(cd "$T" && exec 7<"$T" 8<"$T/hs" && "$RUNROOT" --cache-dir "$T/cache" exec -u 65534 -w /tmp "$NAME" sh -c "cd /; $PROBE" 2>&1)
check "root -u 65534 -w /tmp" "$out" $?
rr stop -t 1 "$NAME" >/dev/null || fail "stop"
rr rm "$NAME" >/dev/null || fail "rm"

rootless() {
        rootless_user rrexec || return 77
        mkdir -p "$T/xdg"
        chown "$U:" "$T/xdg"
        chmod 700 "$T/xdg"
        printf '%s\n' "$PROBE" >"$T/probe.sh"
        chmod 644 "$T/probe.sh"
        local X="XDG_RUNTIME_DIR=$T/xdg"
        out=$(as_user "$X $RRU -d --name $NAME $T/img2.tar sleep 300" 2>&1) ||
                { echo "SKIP rootless: rootless runroot -d does not run here: $out"; return 77; }
        sleep 0.5
        out=$(as_user "cd $T && exec 7<$T 8<$T/hs; $X $RRU exec $NAME sh -c \"\$(cat $T/probe.sh)\"" 2>&1)
        check "rootless" "$out" $?
        as_user "$X $RRU stop -t 1 $NAME && $X $RRU rm $NAME" >/dev/null || fail "rootless stop/rm"
        return 0
}
rootless
finish $?
