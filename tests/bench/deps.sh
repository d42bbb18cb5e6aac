#!/bin/bash
# Benchmark: `mkroot deps` over every ELF program in /usr/bin against a
# shell loop of ldd and against lddtree (pax-utils), side by side in one
# run. Prints the ratios and checks that mkroot and ldd agree.
set -euo pipefail
MKROOT=${MKROOT:-$(dirname "$0")/../../build/mkroot}
[ -x "$MKROOT" ] || MKROOT=$(dirname "$0")/../../build/builder/mkroot
unset LD_LIBRARY_PATH
. "$(dirname "$0")/../helpers/ldd.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
files=()
for f in /usr/bin/*; do
        [ -f "$f" ] && [ "$(head -c4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && files+=("$f")
done
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

t0=$(now)
for f in "${files[@]}"; do echo "$f:"; ldd_lines "$f"; done >"$tmp/ldd"
t1=$(now)
rc=0
"$MKROOT" deps "${files[@]}" >"$tmp/mkroot" 2>&1 || rc=$?
t2=$(now)
# mkroot deps exits 1 when a library is missing (ldd's "not found"), as
# tests/integration/builder/deps-vs-ldd.sh checks; anything else is a
# failure, not a time.
want_rc=0
! grep -q '=> not found' "$tmp/ldd" || want_rc=1
[ $rc = $want_rc ] || { echo "mkroot deps failed (status $rc): $(tail -n1 "$tmp/mkroot")" >&2; exit 1; }
have_lddtree=0
if command -v lddtree >/dev/null; then
        have_lddtree=1
        lddtree "${files[@]}" >"$tmp/lddtree" 2>&1 ||
                { echo "lddtree failed: $(tail -n1 "$tmp/lddtree")" >&2; exit 1; }
fi
t3=$(now)
ldd_ms=$(ms "$t0" "$t1"); mk_ms=$(ms "$t1" "$t2"); lt_ms=$(ms "$t2" "$t3")
[ "$mk_ms" -gt 0 ] || mk_ms=1
same=yes; cmp -s "$tmp/ldd" "$tmp/mkroot" || same=NO
echo "programs:            ${#files[@]}"
echo "ldd loop:            ${ldd_ms} ms"
echo "mkroot deps:         ${mk_ms} ms"
[ $have_lddtree = 1 ] && echo "lddtree:             ${lt_ms} ms"
echo "ratio ldd/mkroot:    $(awk "BEGIN{printf \"%.1fx\", $ldd_ms/$mk_ms}") (target >= 20x)"
[ $have_lddtree = 1 ] && echo "ratio lddtree/mkroot: $(awk "BEGIN{printf \"%.1fx\", $lt_ms/$mk_ms}")"
echo "identical to ldd:    $same"
