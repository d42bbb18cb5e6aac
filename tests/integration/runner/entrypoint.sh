#!/bin/bash
# --entrypoint as docker's: it replaces the image's Entrypoint with one
# word and drops the image's Cmd; --entrypoint '' clears it so the given
# command runs alone; without the flag the image's Entrypoint and Cmd run
# as before. On an OCI archive, a docker-save archive and a rootfs tarball.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

"$(dirname "$0")/../../helpers/mkoci.py" --gzip \
        --config '{"Entrypoint": ["/bin/echo", "from-entrypoint"], "Cmd": ["from-cmd"]}' \
        --docker "$T/app.docker.tar" "$T/app.oci.tar" "$IMG_DIR" || fail "making the archives"

# want EXPECTED RUNROOT-ARGS...: runroot's stdout is exactly EXPECTED.
want() {
        local exp=$1 out
        shift
        out=$(rr "$@" </dev/null 2>"$T/err") || fail "runroot $*: exit $?: $(cat "$T/err")"
        [ "$out" = "$exp" ] || fail "runroot $*: got '$out', expected '$exp'"
}

for app in "$T/app.oci.tar" "$T/app.docker.tar"; do
        # the image's own Entrypoint and Cmd, as before
        want "from-entrypoint from-cmd" "$app"
        want "from-entrypoint x" "$app" x
        # cleared: the command runs alone
        want hi --entrypoint '' "$app" sh -c 'echo hi'
        # replaced: one word, the command's words its arguments
        want x --entrypoint /bin/echo "$app" x
        want "a b" --entrypoint echo "$app" a b
        # replaced and no command: the image's Cmd is dropped (docker resets it)
        want "" --entrypoint /bin/echo "$app"
        # a word with a space is one word, not a command line
        expect_rc 127 rr --entrypoint "/bin/echo x" "$app" 2>/dev/null </dev/null
        # cleared and no command: runroot's default, /bin/sh
        out=$(echo 'echo from-sh' | rr --entrypoint '' "$app" 2>"$T/err") ||
                fail "--entrypoint '' without a command: $(cat "$T/err")"
        [ "$out" = from-sh ] || fail "--entrypoint '' without a command: got '$out'"
done
# a rootfs tarball has no Entrypoint: --entrypoint still comes first
want "y z" --entrypoint /bin/echo "$IMG" y z
want "" --entrypoint '' "$IMG" true
check_no_leftovers
echo PASS
