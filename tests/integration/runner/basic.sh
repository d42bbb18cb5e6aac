#!/bin/bash
# Exit statuses, pid 1 and reaping, isolation from the host's processes,
# files and network.
. "$(dirname "$0")/lib.sh"

expect_rc 3 rr "$IMG" sh -c 'exit 3'
expect_rc 0 rr "$IMG" true
expect_rc 1 rr "$IMG" false
expect_rc 127 rr "$IMG" no-such-command
expect_rc 127 rr "$IMG" /bin/no-such-file
expect_rc 126 rr "$IMG" /etc/passwd
expect_rc 137 rr "$IMG" rrhelper kill-self 9
expect_rc 143 rr "$IMG" rrhelper kill-self 15
expect_rc 0 rr "$IMG" </dev/null # default command /bin/sh, EOF on stdin

# stdin's EOF reaches the command; output comes back.
out=$(echo hello | rr "$IMG" cat) || fail "cat"
[ "$out" = hello ] || fail "stdin/stdout relay: got \"$out\""

# The command is pid 2, child of our init (pid 1).
out=$(rr "$IMG" rrhelper pid1) || fail "pid1"
[ "$out" = "2 1" ] || fail "pid/ppid inside: \"$out\", expected \"2 1\""
out=$(rr "$IMG" sh -c 'cat /proc/1/cmdline | tr "\0" " "')
case "$out" in *runroot*) ;; *) fail "pid 1 is not runroot's init: $out" ;; esac

# Orphans are reaped by init: no zombie left behind.
expect_rc 0 rr "$IMG" sh -c 'sleep 0 & exec sleep 1'
out=$(rr "$IMG" sh -c '(sleep 0 & sleep 0 &); sleep 1; rrhelper zombies')
[ "$out" = 0 ] || fail "zombies not reaped: $out"

# No host process is visible.
n=$(rr "$IMG" sh -c 'ls /proc | grep -c "^[0-9]"')
[ "$n" -le 4 ] || fail "container sees $n processes"

# No host file outside the image is visible.
echo secret >"$T/host-secret"
expect_rc 1 rr "$IMG" rrhelper cat "$T/host-secret" 2>/dev/null
out=$(rr "$IMG" rrhelper cat /etc/marker)
[ "$out" = image ] || fail "image file not visible: $out"

# --net none (default): loopback only, up. --net host: the host's.
out=$(rr "$IMG" rrhelper ls /sys/class/net)
[ "$out" = lo ] || fail "--net none: interfaces: $out"
out=$(rr "$IMG" cat /sys/class/net/lo/operstate /sys/class/net/lo/flags | tail -1)
[ $((out & 1)) = 1 ] || fail "loopback not up (flags $out)"
host_n=$(ls /sys/class/net | wc -l)
n=$(rr --net host "$IMG" rrhelper ls /sys/class/net | wc -l)
[ "$n" = "$host_n" ] || fail "--net host: $n interfaces, host has $host_n"

# --hostname, and a hostname of its own by default.
out=$(rr --hostname box1 "$IMG" hostname)
[ "$out" = box1 ] || fail "--hostname: $out"
out=$(rr "$IMG" hostname)
[ "$out" != "$(hostname)" ] || fail "host's hostname leaked"

# SIGINT/SIGTERM sent to runroot reach the command.
"$RUNROOT" "$IMG" rrhelper trap-term >"$T/term.out" &
pid=$!
CLEANUP_PIDS="$pid"
for _ in $(seq 50); do grep -q ready "$T/term.out" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 42 ] || fail "SIGTERM forwarding: exit $rc, expected 42"
grep -q "got TERM" "$T/term.out" || fail "command did not see SIGTERM"
"$RUNROOT" "$IMG" sleep 30 &
pid=$!
CLEANUP_PIDS="$pid"
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "SIGINT: exit $rc, expected 130"

# --help and usage errors.
rr --help | grep -q "Usage: runroot" || fail "--help"
expect_rc 0 rr --help >/dev/null

check_no_leftovers
echo PASS
