#!/bin/bash
# Online, Ubuntu out of the box: `mkroot fetch bionic` with no --mirror,
# no MKROOT_MIRROR and no --keyring on a host whose apt sources need not
# serve Ubuntu (a Debian host): the mirror comes from debootstrap's script
# for bionic, the keys from the manifest. Then runroot shows Ubuntu 18.04
# in the image's /etc/os-release. SKIP when the archive the script names
# cannot be reached (asked with a short curl first), or without the script.
set -eu -o pipefail
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root"
script=${DEBOOTSTRAP_DIR:-/usr/share/debootstrap}/scripts/bionic
[ -r "$script" ] || skip "no $script (tools/install-deps installs debootstrap)"
command -v curl >/dev/null || skip "no curl to ask whether the archive answers"
T=$(mktemp -d /tmp/mkroot-ubuntu-online.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MKROOT_CACHE=$T/cache
unset MKROOT_MIRROR

# The archives debootstrap's script names (read here, never hardcoded).
sed -n 's/^[[:space:]]*default_mirror[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$script" |
        sort -u >"$T/named"
[ -s "$T/named" ] || fail "$script names no default_mirror"
answers() { curl -fsS -m 15 -o /dev/null "$1/dists/bionic/InRelease" 2>"$T/curl.err"; }
reachable=
while read -r url; do
        if answers "$url"; then
                reachable=$url
                break
        fi
done <"$T/named"
[ -n "$reachable" ] || skip "no archive named in $script answers: $(cat "$T/curl.err")"

start=$(date +%s)
if ! timeout 840 "$MKROOT" fetch -v bionic -o "$T/bionic.tar.gz" >"$T/out" 2>"$T/err"; then
        # The archive may have gone away meanwhile: only then a skip.
        used=$(sed -n 's/^mkroot: fetching bionic ([^)]*) from //p' "$T/err")
        if [ -n "$used" ] && ! answers "$used"; then
                skip "$used stopped answering: $(cat "$T/curl.err")"
        fi
        fail "mkroot fetch bionic: $(grep -v '^mkroot: debug:' "$T/err" | tail -5)"
fi
secs=$(($(date +%s) - start))
used=$(sed -n 's/^mkroot: fetching bionic ([^)]*) from //p' "$T/err")
[ -n "$used" ] || fail "fetch -v did not say which mirror: $(tail -5 "$T/err")"
# Where the mirror came from: debootstrap's script, unless the host's own
# apt sources serve Ubuntu (then they come first, as documented).
grep -F ": mirror $used (from " "$T/err" >"$T/from" || fail "no mirror provenance in -v output"
if ! grep -qF "(from the host's apt sources)" "$T/from"; then
        grep -qF "(from debootstrap's scripts)" "$T/from" ||
                fail "mirror $used not from debootstrap's scripts: $(cat "$T/from")"
        grep -qxF "$used" "$T/named" || fail "mirror $used is not one $script names"
fi
[ -s "$T/bionic.tar.gz" ] || fail "no image"
# The embedded key was written to a private temp file for gpgv, and removed.
find "$MKROOT_CACHE" \( -name 'embedded-key-*' -o -name 'keyring-*' \) >"$T/leftover"
[ ! -s "$T/leftover" ] || fail "temporary keyrings left behind: $(cat "$T/leftover")"
"$RUNROOT" "$T/bionic.tar.gz" cat /etc/os-release >"$T/os-release" 2>&1 ||
        fail "runroot cat /etc/os-release: $(cat "$T/os-release")"
grep -qx 'NAME="Ubuntu"' "$T/os-release" || fail "not Ubuntu: $(cat "$T/os-release")"
grep -qx 'VERSION_ID="18.04"' "$T/os-release" || fail "not 18.04: $(cat "$T/os-release")"
echo "PASS (bionic from $used in ${secs}s, $(stat -c %s "$T/bionic.tar.gz") bytes)"
