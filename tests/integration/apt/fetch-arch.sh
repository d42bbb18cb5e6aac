#!/bin/bash
# mkroot fetch --arch of a foreign architecture runs the second stage
# through a binfmt_misc handler (qemu-user-static's). Before anything is
# fetched mkroot checks that one will serve: enabled, matching an ELF
# header of that architecture, with the F flag (its interpreter opened at
# registration, so it works inside the new tree). Otherwise: one line
# saying what to install or enable, exit 1, no image, no cache.
#
# Test hook: mkroot reads $MKROOT_TEST_BINFMT_DIR instead of
# /proc/sys/fs/binfmt_misc when it is set. The fixtures below are laid out
# as binfmt_misc is (a status file and one file per handler, as the kernel
# shows them), so no handler is ever registered from a test and the host's
# own handlers do not matter.
. "$(dirname "$0")/lib.sh"
build_repo
export MKROOT_CACHE=$T/cache
# "bookworm" here is the test repository's suite, so the message reads as
# a user sees it.
mkdir -p "$T/manifests"
make_manifest testsuite "file://$T/repo"
sed -e 's/^Suite: testsuite$/Suite: bookworm\nCodename: testsuite/' \
        -e 's/^Architectures: amd64$/Architectures: amd64 arm64 armhf s390x/' \
        "$T/testsuite.deb822" >"$T/manifests/bookworm.deb822"
export MKROOT_MANIFESTS=$T/manifests

# handler DIR NAME STATE FLAGS MAGIC MASK: one entry as the kernel shows it.
handler() {
        {
                echo "$3"
                echo "interpreter /usr/libexec/qemu-binfmt/${2#qemu-}-binfmt-P"
                echo "flags: $4"
                echo "offset 0"
                echo "magic $5"
                [ -z "${6:-}" ] || echo "mask $6"
        } >"$1/$2"
}
AARCH64_MAGIC=7f454c460201010000000000000000000200b700
ARM_MAGIC=7f454c4601010100000000000000000002002800
S390X_MAGIC=7f454c4602020100000000000000000000020016
LE_MASK=ffffffffffffff00fffffffffffffffffeffffff
S390X_MASK=fffffffffffffffcfffffffffffffffffffeffff
fixture() { # NAME: an empty, mounted binfmt_misc with python's and jar's entries
        local d=$T/binfmt-$1
        mkdir -p "$d"
        echo enabled >"$d/status"
        : >"$d/register"
        printf 'enabled\ninterpreter /usr/bin/python3.11\nflags: \noffset 0\nmagic a70d0d0a\n' >"$d/python3.11"
        printf 'enabled\ninterpreter /usr/bin/jexec\nflags: \noffset 0\nmagic 504b0304\n' >"$d/jar"
        echo "$d"
}
fetch_with() { # DIR ARGS...: fetch with binfmt_misc read from DIR
        local d=$1; shift
        rm -rf "$MKROOT_CACHE" "$T/out.tar.gz"
        MKROOT_TEST_BINFMT_DIR=$d run_fetch "$@" --mirror "file://$T/repo" -o "$T/out.tar.gz"
}
refused() { # MESSAGE CASE: exactly that one line, exit 1, nothing left
        [ "$RC" = 1 ] || fail "$2: expected exit 1, got $RC: $OUT"
        [ "$OUT" = "$1" ] || fail "$2: expected \"$1\", got \"$OUT\""
        [ ! -e "$T/out.tar.gz" ] || fail "$2: image written"
        [ ! -e "$MKROOT_CACHE" ] || fail "$2: cache made: $(find "$MKROOT_CACHE" | head -5)"
}

# No handler for aarch64 (only python's, jar's and 32-bit arm's).
d=$(fixture none)
handler "$d" qemu-arm enabled PF "$ARM_MAGIC" "$LE_MASK"
fetch_with "$d" bookworm --arch arm64
refused "mkroot: fetch bookworm --arch arm64: no binfmt handler for aarch64 programs: install qemu-user-static" "no handler"

# binfmt_misc not mounted: no status file.
d=$T/binfmt-unmounted
mkdir -p "$d"
fetch_with "$d" bookworm --arch arm64
refused "mkroot: fetch bookworm --arch arm64: no binfmt handler for aarch64 programs: install qemu-user-static (binfmt_misc is not mounted on $d: binfmt-support's update-binfmts --enable mounts it and registers the handlers)" "not mounted"

# The handler is there but disabled.
d=$(fixture disabled)
handler "$d" qemu-aarch64 disabled PF "$AARCH64_MAGIC" "$LE_MASK"
fetch_with "$d" bookworm --arch arm64
refused "mkroot: fetch bookworm --arch arm64: the binfmt handler for aarch64 programs ($d/qemu-aarch64) is disabled: update-binfmts --enable qemu-aarch64" "disabled handler"

# Enabled without the F flag: the kernel would look for the interpreter
# inside the tree, which has none.
d=$(fixture nofix)
handler "$d" qemu-aarch64 enabled P "$AARCH64_MAGIC" "$LE_MASK"
fetch_with "$d" bookworm --arch arm64
refused "mkroot: fetch bookworm --arch arm64: the binfmt handler for aarch64 programs ($d/qemu-aarch64) has no F flag, so its interpreter would be looked for inside the new tree: install qemu-user-static, whose handlers have it" "no F flag"

# binfmt_misc itself switched off.
d=$(fixture off)
handler "$d" qemu-aarch64 enabled PF "$AARCH64_MAGIC" "$LE_MASK"
echo disabled >"$d/status"
fetch_with "$d" bookworm --arch arm64
refused "mkroot: fetch bookworm --arch arm64: binfmt_misc is disabled ($d/status), so aarch64 programs do not run: update-binfmts --enable" "binfmt_misc disabled"

# A handler that serves, under any name: the check passes and the fetch
# goes on to the mirror, which (the test repository being amd64 only) has
# no Packages for the architecture. Big-endian s390x and 32-bit armhf
# match by their own ELF headers; aarch64's handler does not serve armhf.
d=$(fixture ok)
handler "$d" my-aarch64 enabled PF "$AARCH64_MAGIC" "$LE_MASK"
handler "$d" qemu-s390x enabled PF "$S390X_MAGIC" "$S390X_MASK"
for a in arm64 s390x; do
        fetch_with "$d" bookworm --arch $a
        [ "$RC" = 1 ] && [ "$OUT" = "mkroot: testsuite: the Release lists no Packages for main/$a" ] ||
                fail "$a with a handler: $RC $OUT"
done
fetch_with "$d" bookworm --arch armhf
refused "mkroot: fetch bookworm --arch armhf: no binfmt handler for arm programs: install qemu-user-static" "armhf with aarch64's handler"

# The host's own architecture needs no handler, nor does --print-debs.
fetch_with "$T/binfmt-unmounted" bookworm --arch amd64 --print-debs
[ "$RC" = 0 ] || fail "amd64 --print-debs: $OUT"
fetch_with "$T/binfmt-unmounted" bookworm --arch amd64
[ "$RC" = 0 ] && [ -s "$T/out.tar.gz" ] || fail "amd64 fetch without binfmt_misc: $RC $OUT"
echo PASS
