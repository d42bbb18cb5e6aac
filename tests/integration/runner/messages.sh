#!/bin/bash
# runroot's messages for limits beyond this machine, whole stderr compared
# byte for byte: --cpus above the online CPU count and --cpuset-cpus naming
# a CPU that is not online are refused at option parsing (exit 125, before
# the image is even looked at), saying what the machine has; malformed
# values keep their "expected ..." message. Then the environment in
# docker's order: the image's Env < --env-file (in order) < -e (last wins).
. "$(dirname "$0")/lib.sh"
: "${MKROOT:?}"

# What the machine has, as the kernel says it (never a fixed count).
ncpu=$(getconf _NPROCESSORS_ONLN)
online=$(cat /sys/devices/system/cpu/online)
[ -n "$ncpu" ] && [ "$ncpu" -ge 1 ] && [ -n "$online" ] || fail "cannot read the online CPUs"
if [ "$ncpu" = 1 ]; then cpus="1 CPU"; else cpus="$ncpu CPUs"; fi
# A CPU past the last online one.
last=$(tr ',-' '\n\n' <<<"$online" | sort -n | tail -n 1)
off=$((last + 1))

# err_is WANT-STDERR RUNROOT-ARGS...: exit 125 with exactly that stderr
# (one line) and nothing on stdout.
err_is() {
        local want=$1 rc
        shift
        rr "$@" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
        [ "$rc" = 125 ] || fail "runroot $*: exit $rc, expected 125; stderr: $(cat "$T/err")"
        printf '%s\n' "$want" >"$T/want"
        cmp -s "$T/want" "$T/err" || fail "runroot $*: stderr '$(cat "$T/err")', expected '$want'"
        [ ! -s "$T/out" ] || fail "runroot $*: wrote to stdout: $(cat "$T/out")"
}

NOIMG=$T/no-such-image
# --cpus above the online count, on a missing image (the option is judged
# first) and on a real one
err_is "runroot: --cpus $((ncpu + 1)): this machine has $cpus" --cpus "$((ncpu + 1))" "$NOIMG" true
err_is "runroot: --cpus $((ncpu + 1)): this machine has $cpus" --cpus "$((ncpu + 1))" "$IMG" true
err_is "runroot: --cpus $ncpu.5: this machine has $cpus" --cpus "$ncpu.5" "$IMG" true
err_is "runroot: --cpus $((ncpu + 1)): this machine has $cpus" --cpus="$((ncpu + 1))" "$IMG" true
err_is "runroot: --cpus 99999999999: this machine has $cpus" --cpus 99999999999 "$IMG" true
# malformed or below the kernel's minimum: as before
err_is "runroot: --cpus abc: expected a number of CPUs such as 0.5 (see --help)" --cpus abc "$IMG" true
err_is "runroot: --cpus 1.5x: expected a number of CPUs such as 0.5 (see --help)" --cpus 1.5x "$IMG" true
err_is "runroot: --cpus 0.001: expected a number of CPUs such as 0.5 (see --help)" --cpus 0.001 "$IMG" true

# --cpuset-cpus: a CPU that is not online, alone, in a range, in a list
err_is "runroot: --cpuset-cpus $off: this machine has CPUs $online" --cpuset-cpus "$off" "$NOIMG" true
err_is "runroot: --cpuset-cpus $off: this machine has CPUs $online" --cpuset-cpus "$off" "$IMG" true
err_is "runroot: --cpuset-cpus 0-$off: this machine has CPUs $online" --cpuset-cpus "0-$off" "$IMG" true
err_is "runroot: --cpuset-cpus 0,$off: this machine has CPUs $online" --cpuset-cpus "0,$off" "$IMG" true
err_is "runroot: --cpuset-cpus $((off + 3)): this machine has CPUs $online" \
        --cpuset-cpus="$((off + 3))" "$IMG" true
# malformed: as before
for bad in 1- -1 2-1 1,,2 , a "0 1" ""; do
        err_is "runroot: --cpuset-cpus $bad: expected a CPU list such as 0-1,3 (see --help)" \
                --cpuset-cpus "$bad" "$IMG" true
done
# the machine's own values still run
expect_rc 0 rr --cpus "$ncpu" "$IMG" true
expect_rc 0 rr --cpuset-cpus "$online" "$IMG" true
expect_rc 0 rr --cpuset-cpus "$last" "$IMG" true

# The environment: an OCI image whose config has Env FOO=image.
cat >"$T/env.manifest" <<M
Base: $IMG
Env: FOO=image ONLY=image BAR=image
M
"$MKROOT" build "$T/env.manifest" --format oci -o "$T/env.oci.tar" 2>"$T/err" ||
        fail "mkroot build: $(cat "$T/err")"
printf 'FOO=file1\nBAR=file\n' >"$T/env1"
printf 'FOO=file2\n' >"$T/env2"
# env_is WANT RUNROOT-ARGS...: FOO, BAR and ONLY in the container, as one line
env_is() {
        local want=$1 out
        shift
        out=$(rr "$@" "$T/env.oci.tar" sh -c 'echo "$FOO $BAR $ONLY"' 2>"$T/err" </dev/null) ||
                fail "runroot $*: exit $?: $(cat "$T/err")"
        [ "$out" = "$want" ] || fail "runroot $*: got '$out', expected '$want'"
}
env_is "image image image"
env_is "file1 file image" --env-file "$T/env1"
env_is "file2 file image" --env-file "$T/env1" --env-file "$T/env2"
env_is "file1 file image" --env-file "$T/env2" --env-file "$T/env1"
env_is "cli file image" --env-file "$T/env1" -e FOO=cli
env_is "cli file image" -e FOO=cli --env-file "$T/env1" --env-file "$T/env2"
env_is "cli2 image image" -e FOO=cli1 -e FOO=cli2
env_is "image cli image" --env-file "$T/env2" -e FOO=image -e BAR=cli

check_no_leftovers
echo PASS
