#!/bin/bash
# docker run's --ulimit as docker means it: the limits reach the command;
# each bad value is one line and exit 125.
. "$(dirname "$0")/lib.sh" "$1"
set -o pipefail

# expect_err WANT_STDERR ARGS...: runroot ARGS fails with 125 and exactly
# that one line on stderr, nothing on stdout.
expect_err() {
        local want=$1 rc
        shift
        rr "$@" >"$T/out" 2>"$T/err"
        rc=$?
        [ "$rc" = 125 ] || fail "runroot $* exited $rc, expected 125: $(cat "$T/err")"
        printf '%s\n' "$want" | cmp -s - "$T/err" ||
                fail "runroot $*: stderr \"$(cat "$T/err")\", expected \"$want\""
        [ ! -s "$T/out" ] || fail "runroot $*: wrote to stdout"
}

# expect_out WANT_STDOUT ARGS...: runroot ARGS succeeds printing exactly
# that, with nothing on stderr.
expect_out() {
        local want=$1 rc
        shift
        rr "$@" >"$T/out" 2>"$T/err"
        rc=$?
        [ "$rc" = 0 ] || fail "runroot $* exited $rc: $(cat "$T/err")"
        printf '%s' "$want" | cmp -s - "$T/out" ||
                fail "runroot $*: stdout \"$(cat "$T/out")\", expected \"$want\""
        [ ! -s "$T/err" ] || fail "runroot $*: stderr \"$(cat "$T/err")\""
}

# ---- --ulimit --------------------------------------------------------------
expect_out $'256\n512\n' --ulimit nofile=256:512 "$IMG" sh -c 'ulimit -n; ulimit -Hn'
# HARD defaults to SOFT; repeatable; -1 and unlimited mean none
expect_out $'300\n300\nunlimited\nunlimited\n' --ulimit nofile=300 --ulimit core=-1 \
        --ulimit stack=unlimited "$IMG" sh -c 'ulimit -n; ulimit -Hn; ulimit -c; ulimit -s'
expect_out $'40\n50\n' --ulimit nproc=40:50 "$IMG" sh -c 'ulimit -u; ulimit -Hu'
# nproc is enforced: a user with no other process may run two at most
# (the shell and one child), so the next fork fails.
rr -u 4242 --ulimit nproc=2 "$IMG" sh -c 'sleep 1 & sleep 1 & wait; echo forked' \
        >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" != 0 ] || fail "--ulimit nproc=2: three processes of uid 4242 ran: $(cat "$T/out")"
grep -q "can't fork" "$T/err" || fail "--ulimit nproc=2: no fork failure: $(cat "$T/err")"
# a run without it has the caller's limit
ulimit -n >"$T/host_nofile"
expect_out "$(cat "$T/host_nofile")"$'\n' "$IMG" sh -c 'ulimit -n'

expect_err 'runroot: --ulimit nofiles=1: unknown limit "nofiles" (one of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)' \
        --ulimit nofiles=1 "$IMG" true
expect_err 'runroot: --ulimit nofile=lots: "lots" is not a number (expected a number, -1 or unlimited)' \
        --ulimit nofile=lots "$IMG" true
expect_err 'runroot: --ulimit nofile=10:1x: "1x" is not a number (expected a number, -1 or unlimited)' \
        --ulimit nofile=10:1x "$IMG" true
expect_err 'runroot: --ulimit nofile=512:256: the soft limit 512 is above the hard limit 256' \
        --ulimit nofile=512:256 "$IMG" true
expect_err 'runroot: --ulimit nofile=-1:256: the soft limit -1 is above the hard limit 256' \
        --ulimit nofile=-1:256 "$IMG" true
expect_err 'runroot: --ulimit nofile: expected NAME=SOFT[:HARD]' --ulimit nofile "$IMG" true
expect_err 'runroot: --ulimi: unknown option (see --help)' --ulimi nofile=1 "$IMG" true

check_no_leftovers
echo PASS
