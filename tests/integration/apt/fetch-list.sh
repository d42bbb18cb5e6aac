#!/bin/bash
# mkroot fetch --list: one row per suite of the manifest directories
# ($MKROOT_MANIFESTS first, then the shipped ones) with its distribution,
# release, whether its keyring is here (embedded in the manifest, a file
# present or missing, none named) and the mirror fetch would use with where
# it comes from (--mirror, MKROOT_MIRROR, host apt sources, debootstrap,
# manifest) or none. A manifest that cannot be read is one error line and
# exit 1, the other rows still printed; --list with a SUITE is a usage
# error. Needs neither root nor the network.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
T=$(mktemp -d /tmp/mkroot-fetch-list.XXXXXX)
trap 'rm -rf "$T"' EXIT
unset MKROOT_MIRROR
mkdir -p "$T/m" "$T/dbs/scripts" "$T/bad"
: >"$T/key.gpg"
cat >"$T/m/alpha.deb822" <<EOF2
Suite: alpha
Distribution: testdist
Release: 1.0
Components: main
Signed-By: $T/key.gpg
URIs: file:///srv/alpha/
EOF2
cat >"$T/m/beta.deb822" <<EOF2
Suite: beta
Distribution: otherdist
Release: 2
Components: main
Signed-By: $T/absent.gpg
EOF2
cat >"$T/m/gamma.deb822" <<EOF2
Suite: gamma
Distribution: thirddist
Release: 3.1
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 AAAA
 -----END PGP PUBLIC KEY BLOCK-----
EOF2
cat >"$T/m/delta.deb822" <<EOF2
Suite: delta
Distribution: fourthdist
Components: main
URIs: http://delta.example/d
EOF2
printf 'mirror_style release\ndefault_mirror http://gamma.example/g\n' >"$T/dbs/scripts/gamma"

list() { # ARGS...: stdout in $T/out, stderr in $T/err, status in $RC
        set +e
        "$MKROOT" fetch --list "$@" >"$T/out" 2>"$T/err"
        RC=$?
        set -e
        tr -s ' ' <"$T/out" >"$T/rows"
}
export MKROOT_MANIFESTS=$T/m DEBOOTSTRAP_DIR=$T/dbs

list
[ "$RC" = 0 ] || fail "--list: exit $RC: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "--list wrote to stderr: $(cat "$T/err")"
[ "$(head -n1 "$T/rows")" = "SUITE DISTRIBUTION RELEASE KEYRING MIRROR" ] ||
        fail "header: $(head -n1 "$T/out")"
cat >"$T/want" <<EOF2
alpha testdist 1.0 present file:///srv/alpha (manifest)
beta otherdist 2 missing none (pass --mirror URL)
delta fourthdist - none http://delta.example/d (manifest)
gamma thirddist 3.1 embedded http://gamma.example/g (debootstrap)
EOF2
awk '/^(alpha|beta|gamma|delta) /' "$T/rows" >"$T/got"
diff -u "$T/want" "$T/got" >"$T/diff" || fail "fixture rows: $(cat "$T/diff")"
# The shipped suites are listed too, with their release.
grep -q '^bookworm debian 12 ' "$T/rows" || fail "no bookworm row: $(cat "$T/out")"
grep -q '^noble ubuntu 24.04 embedded ' "$T/rows" || fail "no noble row: $(cat "$T/out")"
# The columns line up: every row's MIRROR starts where the header's does.
col=$(head -n1 "$T/out" | grep -bo MIRROR | cut -d: -f1)
awk -v c="$col" 'NR > 1 && (substr($0, c, 1) != " " || substr($0, c + 1, 1) == " ") { print; bad = 1 }
        END { exit bad }' "$T/out" >"$T/misaligned" || fail "columns: $(cat "$T/misaligned")"

# MKROOT_MIRROR and --mirror come first, as for a fetch.
MKROOT_MIRROR=http://env.example/m list
grep -qxF 'alpha testdist 1.0 present http://env.example/m (MKROOT_MIRROR)' "$T/rows" ||
        fail "MKROOT_MIRROR: $(cat "$T/out")"
list --mirror http://opt.example/o/
grep -qxF 'beta otherdist 2 missing http://opt.example/o (--mirror)' "$T/rows" ||
        fail "--mirror: $(cat "$T/out")"

# --list and a SUITE: a usage error.
list alpha
[ "$RC" = 2 ] || fail "--list alpha: exit $RC"
[ "$(cat "$T/err")" = "mkroot: fetch: --list takes no SUITE (try mkroot fetch --help)" ] ||
        fail "--list alpha: $(cat "$T/err")"

# A manifest that cannot be read: its error, the rest listed, exit 1.
printf 'Suite: broken\n' >"$T/bad/broken.deb822"
MKROOT_MANIFESTS=$T/bad list
[ "$RC" = 1 ] || fail "broken manifest: exit $RC: $(cat "$T/err")"
[ "$(cat "$T/err")" = "mkroot: $T/bad/broken.deb822: Suite, Distribution and Components are required" ] ||
        fail "broken manifest: $(cat "$T/err")"
grep -q '^bookworm debian 12 ' "$T/rows" || fail "broken manifest: other rows missing: $(cat "$T/out")"
echo "PASS"
