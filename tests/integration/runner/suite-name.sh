#!/bin/bash
# runroot SUITE: a suite's name, with no file of that name here, runs what
# `mkroot fetch SUITE` keeps in the cache (bases/SUITE_ARCH.tar.gz), as a
# manifest's Base: SUITE takes it; a suite not fetched says how to fetch
# it; a file of that name in the current directory always wins.
. "$(dirname "$0")/lib.sh"
set -o pipefail
: "${MKROOT:?}"
ARCH=$(dpkg --print-architecture) || fail "dpkg --print-architecture"
cd "$T"

# ---- not fetched: one line naming the fix, exit 125, no cache made
want_missing() { # SUITE: the message for a suite mkroot fetch would get
        echo "runroot: $1: no such file, and no fetched suite of that name (run: mkroot fetch $1)"
}
if [ "${MKROOT_HAVE_FETCH:-1}" = 1 ]; then
        expect_rc 125 rr bookworm cat /etc/marker 2>err
        want_missing bookworm >want
        cmp -s want err || fail "not fetched, no cache: $(cat err)"
        [ ! -e "$MKROOT_CACHE" ] || fail "the lookup made the cache"
fi
# A name no manifest has: the plain message, as before.
expect_rc 125 rr nosuchsuite true 2>err
echo "runroot: nosuchsuite: No such file or directory" >want
cmp -s want err || fail "unknown name: $(cat err)"

# ---- fetched: where mkroot fetch keeps it (builder/apt/bootstrap.c's
# keep_base, cache.h's bases/SUITE_ARCH.tar.*)
mkdir -p "$MKROOT_CACHE" && chmod 700 "$MKROOT_CACHE"
mkdir "$MKROOT_CACHE/bases"
make_tree "$T/suite"
echo fetched >"$T/suite/etc/marker"
# A copy being published (bookworm_ARCH.tar.gz.tmp-PID) is no base yet.
tar -C "$T/suite" -czf "$MKROOT_CACHE/bases/bookworm_$ARCH.tar.gz.tmp-99" .
if [ "${MKROOT_HAVE_FETCH:-1}" = 1 ]; then
        expect_rc 125 rr bookworm cat /etc/marker 2>err
        want_missing bookworm >want
        cmp -s want err || fail "a .tmp- copy taken for a base: $(cat err)"
fi
mv "$MKROOT_CACHE/bases/bookworm_$ARCH.tar.gz.tmp-99" "$MKROOT_CACHE/bases/bookworm_$ARCH.tar.gz"
out=$(rr bookworm cat /etc/marker 2>err) || fail "runroot bookworm: $(cat err)"
[ "$out" = fetched ] || fail "runroot bookworm ran: $out"
# --cache-dir names the cache as MKROOT_CACHE does.
out=$(MKROOT_CACHE=$T/elsewhere rr --cache-dir "$MKROOT_CACHE" bookworm cat /etc/marker 2>err) ||
        fail "--cache-dir: $(cat err)"
[ "$out" = fetched ] || fail "--cache-dir ran: $out"
# Another architecture's base is not this host's.
mv "$MKROOT_CACHE/bases/bookworm_$ARCH.tar.gz" "$MKROOT_CACHE/bases/bookworm_not$ARCH.tar.gz"
if [ "${MKROOT_HAVE_FETCH:-1}" = 1 ]; then
        expect_rc 125 rr bookworm true 2>err
        cmp -s want err || fail "another architecture's base taken: $(cat err)"
fi
mv "$MKROOT_CACHE/bases/bookworm_not$ARCH.tar.gz" "$MKROOT_CACHE/bases/bookworm_$ARCH.tar.gz"

# ---- mkroot build's Base: bookworm takes the same file (no fetch)
printf 'Base: bookworm\nCopy: m /copied\n' >m
"$MKROOT" build -q m -o built.tar 2>err || fail "Base: bookworm: $(cat err)"
mkdir built && tar -C built -xf built.tar || fail "built.tar does not unpack"
[ "$(cat built/etc/marker)" = fetched ] || fail "Base: bookworm gave $(cat built/etc/marker)"

# ---- a file (or directory) of that name here wins
make_tree "$T/local"
echo local >"$T/local/etc/marker"
tar -C "$T/local" -czf bookworm .
out=$(rr bookworm cat /etc/marker 2>err) || fail "./bookworm: $(cat err)"
[ "$out" = local ] || fail "./bookworm lost to the cache: $out"
rm bookworm
mv "$T/local" bookworm
out=$(rr bookworm cat /etc/marker 2>err) || fail "./bookworm/: $(cat err)"
[ "$out" = local ] || fail "directory ./bookworm lost to the cache: $out"
check_no_leftovers
echo OK
