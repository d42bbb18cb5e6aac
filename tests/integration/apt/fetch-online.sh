#!/bin/bash
# Online: mkroot fetch bookworm from the host's configured mirror, then
# runroot runs dpkg -l and apt-get --version inside. The release pocket's
# package set (--pockets release) is compared with debootstrap's when
# debootstrap is installed. The image takes bookworm-updates and the
# host's security archive: its sources.list names bookworm-security, and
# apt inside (with --net host) finds nothing to upgrade. SKIP when the
# mirror cannot be reached or the host names no security archive. Two
# builds with one SOURCE_DATE_EPOCH must be byte-identical.
set -eu
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
T=$(mktemp -d /tmp/mkroot-apt-online.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MKROOT_CACHE=$T/cache
. "$(dirname "$0")/common.sh"

print_debs_or_skip "$T/debs" bookworm
grep -qx apt "$T/debs" || fail "apt not selected"
# The security archive the host's apt sources name (a suite ending in
# -security), which the image must list.
security=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" { u = ""; for (i = 2; i <= NF; i++) { if ($i ~ /^\[/ || $i ~ /=/ || $i ~ /\]$/) continue
                if (u == "") u = $i; else { if ($i ~ /-security$/) print u; break } } }' | head -1)
if [ -z "$security" ]; then
        security=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && /-security/ { print u; exit }' \
                /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
fi
[ -n "$security" ] || skip "the host's apt sources name no security archive"
security=${security%/}
"$MKROOT" fetch -q --pockets release --print-debs bookworm >"$T/debs-release" 2>"$T/err" ||
        fail "--pockets release --print-debs: $(cat "$T/err")"

if command -v debootstrap >/dev/null; then
        mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
        if [ -n "$mirror" ] && debootstrap --variant=minbase --print-debs bookworm "$T/dbs" "$mirror" \
                >"$T/dbs.out" 2>/dev/null; then
                tr ' ' '\n' <"$T/dbs.out" | grep -v '^$' | sort >"$T/dbs.list"
                sort "$T/debs-release" >"$T/mk.list"
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
# Up to date: every pocket in sources.list, and apt, reading those
# indexes, has nothing newer for any installed package.
tar -xzOf "$T/bookworm.tar.gz" ./etc/apt/sources.list >"$T/sources.list" 2>/dev/null ||
        tar -xzOf "$T/bookworm.tar.gz" etc/apt/sources.list >"$T/sources.list"
grep -qx "deb [^ ]* bookworm main" "$T/sources.list" || fail "sources.list: $(cat "$T/sources.list")"
grep -qx "deb [^ ]* bookworm-updates main" "$T/sources.list" ||
        fail "sources.list lacks bookworm-updates: $(cat "$T/sources.list")"
grep -qxF "deb $security bookworm-security main" "$T/sources.list" ||
        fail "sources.list lacks bookworm-security from $security: $(cat "$T/sources.list")"
"$RUNROOT" --net host "$T/bookworm.tar.gz" sh -c 'apt-get update -q && apt-get -s upgrade' \
        >"$T/upgrade" 2>&1 || fail "apt-get update / -s upgrade inside: $(tail "$T/upgrade")"
grep -qx '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.' "$T/upgrade" ||
        fail "installed packages behind the indexes: $(grep -E '^(Inst|[0-9]+ upgraded)' "$T/upgrade")"
# Reproducible: two builds with the same SOURCE_DATE_EPOCH are identical.
export SOURCE_DATE_EPOCH=1700000000
"$MKROOT" fetch -q --rebuild bookworm -o "$T/r1.tar" || fail "fetch r1"
"$MKROOT" fetch -q --rebuild bookworm -o "$T/r2.tar" || fail "fetch r2"
cmp "$T/r1.tar" "$T/r2.tar" || fail "two bookworm builds with one SOURCE_DATE_EPOCH differ"
echo "PASS ($got packages; $(wc -l <"$T/debs-release") with --pockets release)"
