#!/bin/bash
# init-holds-no-host-fd: runroot's pid 1 is a fork that never execs, so
# whatever it holds stays reachable through /proc/1/fd to a command with
# CAP_SYS_PTRACE (a routine debugging flag), and whatever it may do, through
# ptrace. It must hold nothing that points outside the container (no cache
# directory fd, none of the caller's fds, not the caller's stdio) and keep
# no privilege the command could borrow. The command itself holds only
# 0, 1 and 2. As root (also -u 65534) and rootless.
. "$(dirname "$0")/../hardening/lib.sh" "$1"

host_secret
copy_image "$T/img2" readlink
tar -C "$T/img2" -cf "$T/img2.tar" .

# What runs inside: pid 1's descriptors and where they lead, reads of the
# host file through each of them, pid 1's cwd, root and privileges, and
# the command's own descriptors.
PROBE='for f in /proc/1/fd/*; do echo "pid1 $f -> $(readlink $f)"; done
for n in 0 1 2 3 4 5 6 7 8 9 10 11 12; do
        for p in /proc/1/fd/$n/../hs /proc/1/fd/$n/hs /proc/1/fd/$n/../../hs; do
                cat $p 2>/dev/null
        done
done
echo "pid1 cwd $(readlink /proc/1/cwd) root $(readlink /proc/1/root)"
grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/1/status | sed "s/^/pid1 /"
/bin/sec-helper fds'

# check LABEL OUT RC [unlisted]: "unlisted" when the command cannot list
# pid 1's descriptors (a non-root user loses CAP_SYS_PTRACE at exec; in a
# user namespace pid 1's memory belongs to the host's): then only the
# outside check below sees them.
check() {
        local label=$1 out=$2 rc=$3 bad
        echo "--- $label (rc $rc)"
        echo "$out"
        if [[ $out == *"$SECRET"* ]]; then
                fail "$label: the host file was read through pid 1's descriptors"
        else
                pass "$label: no host file through /proc/1/fd"
        fi
        if [ "${4:-}" != unlisted ]; then
                bad=$(grep '^pid1 /proc/1/fd/' <<<"$out" | grep -v -- '-> /dev/null$')
                if [ -n "$bad" ] || ! grep -q '^pid1 /proc/1/fd/0 -> /dev/null$' <<<"$out"; then
                        fail "$label: pid 1 holds more than /dev/null: ${bad:-no listing}"
                else
                        pass "$label: pid 1 holds only /dev/null on 0-2"
                fi
                grep -q '^pid1 cwd / root /$' <<<"$out" && pass "$label: pid 1's cwd and root are /" ||
                        fail "$label: pid 1's cwd or root: $(grep '^pid1 cwd' <<<"$out")"
        fi
        # CAP_KILL (bit 5) only, to forward signals to any user.
        for k in CapPrm CapEff CapBnd; do
                grep -qE "^pid1 $k:[[:space:]]*0000000000000020$" <<<"$out" &&
                        pass "$label: pid 1's $k is CAP_KILL only" ||
                        fail "$label: pid 1's $k: $(grep "^pid1 $k" <<<"$out")"
        done
        for k in CapInh CapAmb; do
                grep -qE "^pid1 $k:[[:space:]]*0000000000000000$" <<<"$out" &&
                        pass "$label: pid 1's $k is empty" ||
                        fail "$label: pid 1's $k: $(grep "^pid1 $k" <<<"$out")"
        done
        grep -qE '^pid1 NoNewPrivs:[[:space:]]*1$' <<<"$out" && grep -qE '^pid1 Seccomp:[[:space:]]*2$' <<<"$out" &&
                pass "$label: pid 1 has no_new_privs and the seccomp filter" ||
                fail "$label: pid 1's no_new_privs / seccomp"
        [[ $out == *"fds: ok"* ]] && pass "$label: the command holds only 0-2" ||
                fail "$label: the command holds more than 0-2"
        [ "$rc" = 0 ] || fail "$label: rc $rc"
}

# fd 7: a host directory the caller left open; fd 8: a host file.
exec 7<"$T" 8>"$T/held"
out=$(rr --cap-add SYS_PTRACE "$T/img2.tar" sh -c "$PROBE" 2>&1)
check "root --cap-add SYS_PTRACE" "$out" $?
out=$(rr --cap-add SYS_PTRACE -u 65534 "$T/img2.tar" sh -c "$PROBE" 2>&1)
check "root -u 65534 --cap-add SYS_PTRACE" "$out" $? unlisted
out=$(rr --cap-add SYS_PTRACE --read-only -w /tmp "$T/img2.tar" sh -c "$PROBE" 2>&1)
check "root --read-only -w /tmp" "$out" $?
exec 7<&- 8>&-

# From the host: the container's pid 1 (a fork of the runroot binary BIN
# that is pid 1 in its own pid namespace) holds /dev/null on 0-2 only.
# outside LABEL BIN COMMAND...: COMMAND starts the container in the
# background with fds 7 and 8 open.
outside() {
        local label=$1 bin=$2 p init="" pid i fds bad
        shift 2
        "$@" &
        pid=$!
        BG_PIDS+=($pid)
        for i in $(seq 100); do
                for p in /proc/[0-9]*; do
                        [ "$(readlink "$p/exe" 2>/dev/null)" = "$bin" ] || continue
                        [ "$(awk '/^NSpid:/ { print $NF }' "$p/status" 2>/dev/null)" = 1 ] || continue
                        # the sleep has started: pid 1 is past its setup
                        [ -n "$(cat "$p/task/"*/children 2>/dev/null)" ] || continue
                        init=${p#/proc/}
                done
                [ -n "$init" ] && break
                sleep 0.1
        done
        if [ -z "$init" ]; then
                fail "$label: the container's pid 1 was not found"
        else
                sleep 0.3
                fds=$(for f in /proc/"$init"/fd/*; do echo "${f##*/} -> $(readlink "$f")"; done)
                echo "--- $label: pid 1 (host pid $init) holds:"
                echo "$fds"
                bad=$(grep -v -- '-> /dev/null$' <<<"$fds")
                if [ -n "$bad" ] || [ "$(wc -l <<<"$fds")" != 3 ]; then
                        fail "$label: pid 1 holds more than /dev/null on 0-2: $bad"
                else
                        pass "$label: seen from the host, pid 1 holds only /dev/null on 0-2"
                fi
        fi
        wait "$pid"
}
outside "root, from the host" "$RUNROOT" \
        bash -c 'exec 7<"$1" 8>"$1/held"; exec "$2" --cache-dir "$1/cache" "$3" sleep 3' \
        sh "$T" "$RUNROOT" "$T/img2.tar"
outside "root -u 65534, from the host" "$RUNROOT" \
        bash -c 'exec 7<"$1" 8>"$1/held"; exec "$2" --cache-dir "$1/cache" -u 65534 "$3" sleep 3' \
        sh "$T" "$RUNROOT" "$T/img2.tar"

# Signals still reach a command of another user (pid 1 kept CAP_KILL).
out=$(timeout 20 bash -c "$RUNROOT --cache-dir $T/cache -u 65534 --cap-drop ALL $T/img2.tar sleep 30 & p=\$!; sleep 1; kill -TERM \$p; wait \$p; echo rc=\$?" 2>&1)
[[ $out == *rc=143* ]] && pass "SIGTERM forwarded to a -u 65534 --cap-drop ALL command" ||
        fail "SIGTERM to a -u 65534 command: $out"

rootless() {
        rootless_user rrinit || return 77
        chmod 644 "$T/img2.tar" "$T/hs"
        printf '%s\n' "$PROBE" >"$T/probe.sh"
        chmod 644 "$T/probe.sh"
        out=$(as_user "$RRU $T/img2.tar /bin/true" 2>&1) ||
                { echo "SKIP rootless: rootless runroot does not run here: $out"; return 77; }
        out=$(as_user "exec 7<$T 8<$T/hs; $RRU --cap-add SYS_PTRACE $T/img2.tar sh -c \"\$(cat $T/probe.sh)\"" 2>&1)
        check "rootless --cap-add SYS_PTRACE" "$out" $? unlisted
        outside "rootless, from the host" "$T/bin/runroot" \
                as_user "exec 7<$T 8<$T/hs; $RRU $T/img2.tar sleep 3"
        return 0
}
rootless
finish $?
