#!/bin/bash
# mkroot fetch takes the suite's updates and security pockets by default:
# each InRelease verified (the security one signed by another key the
# keyring also holds), the highest version of each package across the
# pockets chosen (a newer version's new dependency comes along),
# --pockets release gives the release's own set, sources.list names every
# pocket used, a tampered pocket stops the fetch with nothing written, a
# pocket the mirror lacks is left out with a note, and the cached image
# is not reused once a pocket's Release changes.
. "$(dirname "$0")/lib.sh"
build_repo
export MKROOT_CACHE=$T/cache

# The release also carries greeter-extra, which nothing there needs.
mkdeb greeter-extra 1.0 "Priority: optional"
make_release testsuite good

# testsuite-updates (key good): libfoo 1.1, and greeter 2.1 that needs
# greeter-extra. testsuite-security (key sec): libfoo 1.0.1 (below
# updates' 1.1) and tiny-mta 1.0+sec1.
pocket_deb() { # POOL NAME VERSION EXTRA
        mkdeb "$2" "$3" "$4"
        mkdir -p "$T/repo/pool/$1"
        mv "$T/repo/pool/main/${2}_${3}_amd64.deb" "$T/repo/pool/$1/"
}
pocket_deb updates libfoo 1.1 "Priority: optional"
pocket_deb updates greeter 2.1 "Priority: required
Depends: hostbase, greeter-data (>= 1:1), mail-transport-agent, greeter-extra"
pocket_deb security libfoo 1.0.1 "Priority: optional"
pocket_deb security tiny-mta 1.0+sec1 "Priority: optional
Provides: mail-transport-agent"
make_key sec
make_release testsuite-updates good pool/updates
make_release testsuite-security sec pool/security
cat "$T/good.gpg" "$T/sec.gpg" >"$T/both.gpg"

serve_http
URL=http://127.0.0.1:$PORT
manifest() { # KEYRING
        cat >"$T/testsuite.deb822" <<M
Suite: testsuite
Distribution: testdist
Components: main
Architectures: amd64
Signed-By: $1
Merged-Usr: yes
URIs: $URL
M
}
manifest "$T/both.gpg"
S=$T/testsuite.deb822

version_of() { # STATUS-FILE PACKAGE
        awk -v p="$2" '$1 == "Package:" {n = $2} $1 == "Version:" && n == p {print $2}' "$1"
}
unpack() { # IMAGE DIR
        mkdir -p "$2"
        tar -xzf "$1" -C "$2"
}

# --- the default: every pocket ---
run_fetch "$S" --print-debs
[ "$RC" = 0 ] || fail "print-debs: $OUT"
[ "$(echo "$OUT" | sort | tr '\n' ' ')" = "apt greeter greeter-data greeter-extra hostbase libfoo tiny-mta " ] ||
        fail "selection with the pockets: $OUT"

set +e
"$MKROOT" fetch -v "$S" -o "$T/all.tar.gz" >"$T/all.log" 2>&1
RC=$?
set -e
[ "$RC" = 0 ] || fail "fetch with the pockets: $(cat "$T/all.log")"
grep -qxF "mkroot: debug: pockets: testsuite ($URL), testsuite-updates ($URL), testsuite-security ($URL)" \
        "$T/all.log" || fail "-v does not say which pockets: $(cat "$T/all.log")"
unpack "$T/all.tar.gz" "$T/all"
st=$T/all/var/lib/dpkg/status
[ "$(version_of "$st" libfoo)" = 1.1 ] || fail "libfoo: $(version_of "$st" libfoo), expected 1.1 (updates)"
[ "$(version_of "$st" greeter)" = 2.1 ] || fail "greeter: $(version_of "$st" greeter), expected 2.1"
[ "$(version_of "$st" tiny-mta)" = 1.0+sec1 ] ||
        fail "tiny-mta: $(version_of "$st" tiny-mta), expected 1.0+sec1 (security)"
[ "$(version_of "$st" greeter-extra)" = 1.0 ] || fail "greeter 2.1's new dependency is missing"
n=$(grep -c '^Status: install ok installed$' "$st")
[ "$n" = 7 ] || fail "dpkg status: $n packages installed, expected 7"
printf 'deb %s testsuite main\ndeb %s testsuite-updates main\ndeb %s testsuite-security main\n' \
        "$URL" "$URL" "$URL" >"$T/want.list"
diff -u "$T/want.list" "$T/all/etc/apt/sources.list" >"$T/diff" || fail "sources.list: $(cat "$T/diff")"
grep -q 'GET /pool/updates/greeter_2.1_amd64.deb' "$T/http.log" || fail "greeter 2.1 not fetched"
grep -q 'GET /pool/security/tiny-mta_1.0+sec1_amd64.deb' "$T/http.log" || fail "tiny-mta not fetched"

# --- --pockets release: the release's own set and versions ---
run_fetch "$S" --pockets release --print-debs
[ "$RC" = 0 ] || fail "--pockets release --print-debs: $OUT"
[ "$(echo "$OUT" | sort | tr '\n' ' ')" = "apt greeter greeter-data hostbase libfoo tiny-mta " ] ||
        fail "--pockets release selection: $OUT"
run_fetch "$S" --pockets release -o "$T/rel.tar.gz"
[ "$RC" = 0 ] || fail "--pockets release: $OUT"
echo "$OUT" | grep -q 'reusing' && fail "--pockets release reused the image with every pocket"
unpack "$T/rel.tar.gz" "$T/rel"
st=$T/rel/var/lib/dpkg/status
[ "$(version_of "$st" libfoo)" = 1.0 ] || fail "--pockets release: libfoo $(version_of "$st" libfoo)"
[ "$(version_of "$st" greeter)" = 2.0 ] || fail "--pockets release: greeter $(version_of "$st" greeter)"
[ "$(version_of "$st" tiny-mta)" = 1.0 ] || fail "--pockets release: tiny-mta $(version_of "$st" tiny-mta)"
printf 'deb %s testsuite main\n' "$URL" >"$T/want.list"
diff -u "$T/want.list" "$T/rel/etc/apt/sources.list" >"$T/diff" ||
        fail "--pockets release: sources.list: $(cat "$T/diff")"

# release,security: security's libfoo 1.0.1 is above the release's 1.0.
run_fetch "$S" --pockets release,security -o "$T/sec.tar.gz"
[ "$RC" = 0 ] || fail "--pockets release,security: $OUT"
unpack "$T/sec.tar.gz" "$T/sec"
[ "$(version_of "$T/sec/var/lib/dpkg/status" libfoo)" = 1.0.1 ] ||
        fail "--pockets release,security: libfoo $(version_of "$T/sec/var/lib/dpkg/status" libfoo)"

# --- bad --pockets ---
run_fetch "$S" --pockets release,backports
[ "$RC" = 2 ] || fail "--pockets backports: exit $RC: $OUT"
[ "$OUT" = 'mkroot: --pockets: unknown pocket "backports" (release, updates, security)' ] ||
        fail "--pockets backports: $OUT"
run_fetch "$S" --pockets updates
[ "$RC" = 2 ] || fail "--pockets updates: exit $RC: $OUT"
[ "$OUT" = 'mkroot: --pockets: the list must include release (updates and security hold only the packages that changed)' ] ||
        fail "--pockets updates: $OUT"

# --- the image is rebuilt when a pocket's Release changes ---
pocket_deb updates libfoo 1.2 "Priority: optional"
make_release testsuite-updates good pool/updates
run_fetch "$S" -o "$T/all2.tar.gz"
[ "$RC" = 0 ] || fail "fetch after the updates pocket changed: $OUT"
unpack "$T/all2.tar.gz" "$T/all2"
[ "$(version_of "$T/all2/var/lib/dpkg/status" libfoo)" = 1.2 ] ||
        fail "the image of the old updates pocket was reused (libfoo $(version_of "$T/all2/var/lib/dpkg/status" libfoo))"

# --- a security pocket signed by a key the keyring lacks ---
manifest "$T/good.gpg"
run_fetch "$S" -o "$T/nokey.tar.gz"
expect_fail "$URL/dists/testsuite-security/InRelease"
[ ! -e "$T/nokey.tar.gz" ] || fail "an image was written with an unverified security pocket"
manifest "$T/both.gpg"

# --- a tampered pocket: refused, nothing written ---
images_before=$(ls "$T/cache/apt/images" 2>/dev/null | wc -l)
cp "$T/repo/dists/testsuite-updates/InRelease" "$T/InRelease.good"
sed -i 's/^Origin: mkroot-test/Origin: mkroot-evil/' "$T/repo/dists/testsuite-updates/InRelease"
run_fetch "$S" -o "$T/tampered.tar.gz"
expect_fail "$URL/dists/testsuite-updates/InRelease"
[ ! -e "$T/tampered.tar.gz" ] || fail "an image was written from a tampered pocket"
[ "$(ls "$T/cache/apt/images" 2>/dev/null | wc -l)" = "$images_before" ] ||
        fail "a tampered pocket left an image in the cache"
if [ -d "$T/cache/apt/tmp" ]; then
        left=$(find "$T/cache/apt/tmp" -mindepth 1 -maxdepth 1 -name 'root-*')
        [ -z "$left" ] || fail "a tree was left in the cache: $left"
fi
cp "$T/InRelease.good" "$T/repo/dists/testsuite-updates/InRelease"

# --- a pocket the mirror lacks: left out with a note; asked for: error ---
rm -r "$T/repo/dists/testsuite-security"
set +e
"$MKROOT" fetch "$S" --print-debs >"$T/nosec.out" 2>"$T/nosec.err"
RC=$?
set -e
[ "$RC" = 0 ] || fail "fetch without a security pocket: $(cat "$T/nosec.err")"
grep -qxF "mkroot: fetch: testsuite-security left out: not on $URL" "$T/nosec.err" ||
        fail "no note for the missing pocket: $(cat "$T/nosec.err")"
run_fetch "$S" --pockets release,security --print-debs
expect_fail "mkroot: --pockets security: $URL/dists/testsuite-security/InRelease: not found"
echo "PASS"
