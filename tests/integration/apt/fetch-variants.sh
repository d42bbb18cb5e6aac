#!/bin/bash
# mkroot fetch --variant: beside minbase, required and important, buildd
# (minbase and build-essential, what sbuild's chroots hold) and essential
# (the Essential: yes packages and what they need, mmdebstrap's
# smallest), against the test's own repository: the selection, and the
# image's dpkg database after the second stage. An unknown variant is a
# usage error naming the five.
. "$(dirname "$0")/lib.sh"
build_repo
export MKROOT_CACHE=$T/cache
S=$T/testsuite.deb822
make_manifest testsuite "file://$T/repo"

# Without build-essential in the repository, buildd says so.
run_fetch "$S" --variant buildd --print-debs
[ "$RC" = 1 ] && [ "$OUT" = "mkroot: package build-essential: not in the index" ] ||
        fail "buildd without build-essential: $RC $OUT"

mkdeb tiny-cc 1.0 "Priority: optional
Depends: libfoo"
mkdeb build-essential 12.9 "Priority: optional
Depends: tiny-cc, hostbase"
make_release testsuite good

selection() { # VARIANT EXPECTED (sorted, space-separated)
        run_fetch "$S" --variant "$1" --print-debs
        [ "$RC" = 0 ] || fail "--variant $1 --print-debs: $OUT"
        [ "$(echo "$OUT" | sort | tr '\n' ' ')" = "$2 " ] || fail "--variant $1 selects: $(echo $OUT)"
}
selection minbase "apt greeter greeter-data hostbase libfoo tiny-mta"
selection required "greeter greeter-data hostbase libfoo tiny-mta"
selection important "apt greeter greeter-data hostbase libfoo tiny-mta"
selection buildd "apt build-essential greeter greeter-data hostbase libfoo tiny-cc tiny-mta"
selection essential "hostbase libfoo"

# Built for real, one cache for both (the variant is part of the cached
# image's key): dpkg inside has exactly the selection, all configured.
installed() { # IMAGE EXPECTED
        "$RUNROOT" "$1" dpkg-query -W -f '${Package} ${Status}\n' >"$T/status" 2>&1 ||
                fail "runroot $1 dpkg-query: $(cat "$T/status")"
        sort "$T/status" >"$T/status.sorted"
        printf '%s install ok installed\n' $2 >"$T/want"
        diff -u "$T/want" "$T/status.sorted" || fail "$1: dpkg's database differs"
}
run_fetch "$S" --variant essential -o "$T/essential.tar.gz"
[ "$RC" = 0 ] || fail "--variant essential: $OUT"
installed "$T/essential.tar.gz" "hostbase libfoo"
run_fetch "$S" --variant buildd -o "$T/buildd.tar.gz"
[ "$RC" = 0 ] || fail "--variant buildd: $OUT"
installed "$T/buildd.tar.gz" "apt build-essential greeter greeter-data hostbase libfoo tiny-cc tiny-mta"

# An unknown variant: exit 2, one line naming the five.
run_fetch "$S" --variant tiny --print-debs
[ "$RC" = 2 ] &&
        [ "$OUT" = 'mkroot: --variant: unknown variant "tiny" (minbase, required, important, buildd, essential)' ] ||
        fail "unknown variant: $RC $OUT"
# --help names them too.
"$MKROOT" fetch --help >"$T/help"
grep -q 'buildd (minbase and build-essential)' "$T/help" || fail "--help lacks buildd"
grep -q 'essential (Essential: yes packages only)' "$T/help" || fail "--help lacks essential"
echo PASS
