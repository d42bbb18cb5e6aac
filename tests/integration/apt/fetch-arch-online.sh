#!/bin/bash
# Online: mkroot fetch bookworm --arch arm64 from the host's configured
# mirror, its second stage run through qemu-user-static's binfmt_misc
# handler; runroot then runs the image's own programs under the same
# emulation: uname -m is aarch64, dpkg --print-architecture arm64, and
# every selected package is configured. The package set is compared with
# debootstrap's for arm64 when debootstrap is installed. SKIP, with the
# reason, when the mirror cannot be reached or when this host has no
# handler for aarch64 programs (tools/install-deps --test installs
# qemu-user-static and binfmt-support and enables their handlers; a test
# never registers one).
set -eu
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ "$(dpkg --print-architecture)" = amd64 ] || skip "arm64 is this host's own architecture or not a foreign one here"
T=$(mktemp -d /tmp/mkroot-apt-arch-online.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MKROOT_CACHE=$T/cache
. "$(dirname "$0")/common.sh"

# --print-debs needs no handler: it tells whether the mirror answers.
print_debs_or_skip "$T/debs" --arch arm64 bookworm
grep -qx apt "$T/debs" || fail "apt not selected for arm64"

if command -v debootstrap >/dev/null; then
        mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
        if [ -n "$mirror" ] && debootstrap --arch arm64 --variant=minbase --print-debs bookworm \
                "$T/dbs" "$mirror" >"$T/dbs.out" 2>/dev/null; then
                tr ' ' '\n' <"$T/dbs.out" | grep -v '^$' | sort >"$T/dbs.list"
                sort "$T/debs" >"$T/mk.list"
                diff -u "$T/dbs.list" "$T/mk.list" || fail "arm64 package set differs from debootstrap's"
        fi
fi

start=$(date +%s)
if ! "$MKROOT" fetch -q --arch arm64 bookworm -o "$T/arm64.tar.gz" 2>"$T/err"; then
        # mkroot's own check of the host's binfmt_misc, made before
        # anything is fetched, is the one that decides.
        if grep -qE '^mkroot: fetch bookworm --arch arm64: (no binfmt handler for aarch64|the binfmt handler for aarch64|binfmt_misc is disabled)' "$T/err"; then
                skip "$(cat "$T/err")"
        fi
        fail "fetch bookworm --arch arm64: $(cat "$T/err")"
fi
echo "fetch bookworm --arch arm64: $(($(date +%s) - start)) s"
[ -s "$T/arm64.tar.gz" ] || fail "no image"
left=$(find "$T/cache/apt/tmp" -maxdepth 1 -name 'root-*')
[ -z "$left" ] || fail "the tree was left in the cache: $left"

"$RUNROOT" "$T/arm64.tar.gz" uname -m >"$T/uname" 2>&1 || fail "runroot uname -m: $(cat "$T/uname")"
[ "$(cat "$T/uname")" = aarch64 ] || fail "uname -m: $(cat "$T/uname")"
"$RUNROOT" "$T/arm64.tar.gz" dpkg --print-architecture >"$T/arch" 2>&1 ||
        fail "runroot dpkg --print-architecture: $(cat "$T/arch")"
[ "$(cat "$T/arch")" = arm64 ] || fail "dpkg --print-architecture: $(cat "$T/arch")"
"$RUNROOT" "$T/arm64.tar.gz" dpkg -l >"$T/dpkg-l" 2>&1 || fail "runroot dpkg -l: $(tail "$T/dpkg-l")"
want=$(wc -l <"$T/debs")
got=$(grep -c '^ii ' "$T/dpkg-l")
[ "$got" = "$want" ] || fail "dpkg -l shows $got packages ii, $want selected"
grep -qE '^ii +libc6:arm64 ' "$T/dpkg-l" || fail "libc6 is not arm64's: $(grep libc6 "$T/dpkg-l")"
# apt's own view: every dependency of what is installed is met.
"$RUNROOT" "$T/arm64.tar.gz" apt-get check >"$T/check" 2>&1 || fail "apt-get check: $(cat "$T/check")"
echo "PASS ($got packages)"
