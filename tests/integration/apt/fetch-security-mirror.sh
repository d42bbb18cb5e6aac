#!/bin/bash
# A Debian suite fetched with an explicit mirror asks that mirror alone:
# SUITE-security comes from it when it serves the pocket (the host's
# security archive, which its apt sources may name, is not asked), is left
# out with one note when it does not, and --security-mirror URL names
# another archive for it. Every fetch runs in a network namespace of its
# own with only loopback, over file:// URLs: a fetch that contacted any
# other host would fail there.
. "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
build_repo
export MKROOT_CACHE=$T/cache

# testsuite-security (signed by its own key): tiny-mta 1.0+sec1.
mkdeb tiny-mta 1.0+sec1 "Priority: optional
Provides: mail-transport-agent"
mkdir -p "$T/repo/pool/security"
mv "$T/repo/pool/main/tiny-mta_1.0+sec1_amd64.deb" "$T/repo/pool/security/"
make_key sec
make_release testsuite-security sec pool/security
cat "$T/good.gpg" "$T/sec.gpg" >"$T/both.gpg"
# A second mirror with the release alone.
mkdir -p "$T/plain/dists"
cp -a "$T/repo/pool" "$T/plain/"
cp -a "$T/repo/dists/testsuite" "$T/plain/dists/"
# A Debian suite: without an explicit mirror its security pocket would
# come from the host's security archive.
cat >"$T/testsuite.deb822" <<M
Suite: testsuite
Distribution: debian
Components: main
Architectures: amd64
Signed-By: $T/both.gpg
Merged-Usr: yes
URIs: file://$T/nowhere
M
S=$T/testsuite.deb822

# Run mkroot fetch (not -q: the notes are wanted) in a new network
# namespace; $OUT and $RC as run_fetch sets them.
fetch_offline() {
        set +e
        OUT=$(unshare -n -- "$MKROOT" fetch "$@" 2>&1)
        RC=$?
        set -e
}
version_of() { # STATUS-FILE PACKAGE
        awk -v p="$2" '$1 == "Package:" {n = $2} $1 == "Version:" && n == p {print $2}' "$1"
}
check_image() { # IMAGE DIR TINY-MTA-VERSION SOURCES-LIST-LINES
        mkdir -p "$2"
        tar -xzf "$1" -C "$2"
        local v
        v=$(version_of "$2/var/lib/dpkg/status" tiny-mta)
        [ "$v" = "$3" ] || fail "$1: tiny-mta $v, expected $3"
        printf '%s\n' "$4" >"$T/want.list"
        diff -u "$T/want.list" "$2/etc/apt/sources.list" >"$T/diff" ||
                fail "$1: sources.list: $(cat "$T/diff")"
}

# The namespace really has nothing but loopback.
unshare -n -- awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/self/net/dev >"$T/links"
[ "$(cat "$T/links")" = lo ] || fail "the test's network namespace has: $(cat "$T/links")"

# --- --mirror that serves SUITE-security: the pocket comes from it ---
M=file://$T/repo
fetch_offline --mirror "$M" "$S" -o "$T/a.tar.gz"
[ "$RC" = 0 ] || fail "--mirror $M with only loopback: exit $RC: $OUT"
check_image "$T/a.tar.gz" "$T/a" 1.0+sec1 "deb $M testsuite main
deb $M testsuite-security main"

# $MKROOT_MIRROR is explicit too (-v names the pockets and their archive).
set +e
OUT=$(MKROOT_MIRROR=$M/ unshare -n -- "$MKROOT" fetch -v --print-debs "$S" 2>&1)
RC=$?
set -e
[ "$RC" = 0 ] || fail "MKROOT_MIRROR=$M/ with only loopback: exit $RC: $OUT"
echo "$OUT" | grep -qxF "mkroot: debug: pockets: testsuite ($M), testsuite-security ($M)" ||
        fail "MKROOT_MIRROR: pockets not all from $M: $OUT"

# --- --mirror without SUITE-security: left out, with one note ---
P=file://$T/plain
fetch_offline --mirror "$P" "$S" -o "$T/b.tar.gz"
[ "$RC" = 0 ] || fail "--mirror $P (no security pocket): exit $RC: $OUT"
notes=$(echo "$OUT" | sed -n '/testsuite-security/p')
[ "$notes" = "mkroot: fetch: testsuite-security left out: not on $P" ] ||
        fail "--mirror $P: expected one note on testsuite-security, got: $OUT"
check_image "$T/b.tar.gz" "$T/b" 1.0 "deb $P testsuite main"
# Asked for by --pockets, a missing pocket is an error, nothing written.
fetch_offline -q --mirror "$P" --pockets release,security "$S" -o "$T/c.tar.gz"
[ "$RC" = 1 ] || fail "--pockets security on $P: exit $RC: $OUT"
[ "$OUT" = "mkroot: --pockets security: $P/dists/testsuite-security/InRelease: not found" ] ||
        fail "--pockets security on $P: $OUT"
[ ! -e "$T/c.tar.gz" ] || fail "--pockets security on $P wrote an image"

# --- --security-mirror: the pocket from the archive it names ---
fetch_offline --mirror "$P" --security-mirror "$M/" "$S" -o "$T/d.tar.gz"
[ "$RC" = 0 ] || fail "--security-mirror $M/: exit $RC: $OUT"
check_image "$T/d.tar.gz" "$T/d" 1.0+sec1 "deb $P testsuite main
deb $M testsuite-security main"
# One that lacks the pocket is left out with the usual note.
fetch_offline --mirror "$M" --security-mirror "$P" --print-debs "$S"
[ "$RC" = 0 ] || fail "--security-mirror $P: exit $RC: $OUT"
echo "$OUT" | grep -qxF "mkroot: fetch: testsuite-security left out: not on $P" ||
        fail "--security-mirror $P: no note: $OUT"
echo PASS
