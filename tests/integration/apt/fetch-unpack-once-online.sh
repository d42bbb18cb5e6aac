#!/bin/bash
# Online: bookworm built with the essential set unpacked once and with
# --dpkg-unpack (dpkg --install unpacking it again) gives the same tree:
# every path, type, mode, owner, link target and content, logs aside; and
# dpkg --audit and dpkg --verify find nothing inside. SKIP when the mirror
# cannot be reached.
set -eu
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
T=$(mktemp -d /var/tmp/mkroot-unpack-once.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MKROOT_CACHE=$T/cache
. "$(dirname "$0")/common.sh"

print_debs_or_skip "$T/debs" bookworm
"$MKROOT" fetch -q bookworm -o "$T/once.tar.gz" || fail "fetch bookworm"
"$MKROOT" fetch -q --dpkg-unpack bookworm -o "$T/twice.tar.gz" || fail "fetch bookworm --dpkg-unpack"
mkdir "$T/once" "$T/twice"
tar -xzf "$T/once.tar.gz" -C "$T/once"
tar -xzf "$T/twice.tar.gz" -C "$T/twice"
inventory "$T/twice" >"$T/twice.inv"
inventory "$T/once" >"$T/once.inv"
diff -u "$T/twice.inv" "$T/once.inv" >"$T/inv.diff" ||
        fail "the trees differ (--dpkg-unpack first): $(head -40 "$T/inv.diff")"
for t in once twice; do
        for check in --audit --verify; do
                chroot "$T/$t" /usr/bin/dpkg $check >"$T/$t.out" 2>&1 ||
                        fail "$t: dpkg $check: $(cat "$T/$t.out")"
                [ ! -s "$T/$t.out" ] || fail "$t: dpkg $check: $(cat "$T/$t.out")"
        done
done
echo "PASS ($(wc -l <"$T/debs") packages, $(wc -l <"$T/once.inv") inventory lines)"
