#!/bin/bash
# Online: mkroot fetch bookworm from the host's configured mirror, then
# runroot runs dpkg -l and apt-get --version inside. The package set is
# compared with debootstrap's when debootstrap is installed. SKIP when the
# mirror cannot be reached. Two builds with one SOURCE_DATE_EPOCH must be
# byte-identical.
set -eu
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
T=$(mktemp -d /tmp/mkroot-apt-online.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MKROOT_CACHE=$T/cache

if ! timeout 120 "$MKROOT" fetch -q --print-debs bookworm >"$T/debs" 2>"$T/err"; then
        if grep -qiE 'resolve|connect|timed out|HTTP 5|no mirror' "$T/err"; then
                skip "mirror unreachable: $(cat "$T/err")"
        fi
        fail "print-debs: $(cat "$T/err")"
fi
grep -qx apt "$T/debs" || fail "apt not selected"

if command -v debootstrap >/dev/null; then
        mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
        if [ -n "$mirror" ] && debootstrap --variant=minbase --print-debs bookworm "$T/dbs" "$mirror" \
                >"$T/dbs.out" 2>/dev/null; then
                tr ' ' '\n' <"$T/dbs.out" | grep -v '^$' | sort >"$T/dbs.list"
                sort "$T/debs" >"$T/mk.list"
                diff -u "$T/dbs.list" "$T/mk.list" || fail "package set differs from debootstrap's"
        fi
fi

"$MKROOT" fetch -q bookworm -o "$T/bookworm.tar.gz" || fail "fetch bookworm"
[ -s "$T/bookworm.tar.gz" ] || fail "no image"
"$RUNROOT" "$T/bookworm.tar.gz" dpkg -l >"$T/dpkg-l" 2>&1 || fail "runroot dpkg -l: $(tail "$T/dpkg-l")"
want=$(wc -l <"$T/debs")
got=$(grep -c '^ii ' "$T/dpkg-l")
[ "$got" = "$want" ] || fail "dpkg -l shows $got packages ii, $want selected"
"$RUNROOT" "$T/bookworm.tar.gz" apt-get --version | grep -q '^apt ' || fail "apt-get --version"
# apt's own view: every dependency of what is installed is met.
"$RUNROOT" "$T/bookworm.tar.gz" apt-get check >"$T/check" 2>&1 || fail "apt-get check: $(cat "$T/check")"
# Reproducible: two builds with the same SOURCE_DATE_EPOCH are identical.
export SOURCE_DATE_EPOCH=1700000000
"$MKROOT" fetch -q --rebuild bookworm -o "$T/r1.tar" || fail "fetch r1"
"$MKROOT" fetch -q --rebuild bookworm -o "$T/r2.tar" || fail "fetch r2"
cmp "$T/r1.tar" "$T/r2.tar" || fail "two bookworm builds with one SOURCE_DATE_EPOCH differ"
echo "PASS ($got packages)"
