#!/bin/bash
# Benchmark: `mkroot deps` over every ELF program in /usr/bin against a
# shell loop of ldd and against lddtree (pax-utils), side by side in one
# run. Prints the ratios and checks that mkroot and ldd agree.
set -euo pipefail
MKROOT=${MKROOT:-$(dirname "$0")/../../build/mkroot}
[ -x "$MKROOT" ] || MKROOT=$(dirname "$0")/../../build/builder/mkroot
unset LD_LIBRARY_PATH
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
files=()
for f in /usr/bin/*; do
        [ -f "$f" ] && [ "$(head -c4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && files+=("$f")
done
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

t0=$(now)
for f in "${files[@]}"; do echo "$f:"; ldd "$f" 2>&1 | sed -E 's/ \(0x[0-9a-f]+\)$//' | grep -v vdso || true; done >"$tmp/ldd"
t1=$(now)
"$MKROOT" deps "${files[@]}" >"$tmp/mkroot" 2>&1 || true
t2=$(now)
have_lddtree=0
if command -v lddtree >/dev/null; then
        have_lddtree=1
        lddtree "${files[@]}" >"$tmp/lddtree" 2>&1 || true
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
