#!/bin/bash
# Benchmark: packing a large tree (default /usr/lib/x86_64-linux-gnu, one
# --add of a directory) with mkroot against `tar -czf` of the same files at
# the same gzip level, side by side. Prints the ratio (target: <= 1.0).
set -euo pipefail
MKROOT=${MKROOT:-$(dirname "$0")/../../build/mkroot}
[ -x "$MKROOT" ] || MKROOT=$(dirname "$0")/../../build/builder/mkroot
dir=${1:-/usr/lib/x86_64-linux-gnu}
level=${LEVEL:-6}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s%N; }
# Warm the page cache so both read from memory.
tar -cf - "$dir" 2>/dev/null | cat >/dev/null
best_tar=999999; best_mk=999999
for i in $(seq "${RUNS:-1}"); do
        t0=$(now)
        GZIP=-$level tar -czf "$tmp/t.tar.gz" "$dir" 2>/dev/null || true
        t1=$(now)
        "$MKROOT" -q --allow-missing --no-skeleton --level "$level" -o "$tmp/m.tar.gz" --add "$dir" 2>/dev/null
        t2=$(now)
        a=$(( (t1 - t0) / 1000000 )); b=$(( (t2 - t1) / 1000000 ))
        [ $a -lt $best_tar ] && best_tar=$a
        [ $b -lt $best_mk ] && best_mk=$b
done
echo "tree:              $dir ($(du -sh "$dir" | cut -f1), $(find "$dir" | wc -l) entries)"
echo "tar -czf (-$level):    ${best_tar} ms, $(stat -c %s "$tmp/t.tar.gz") bytes"
echo "mkroot (-$level):      ${best_mk} ms, $(stat -c %s "$tmp/m.tar.gz") bytes (includes dependency scan of every ELF)"
echo "ratio mkroot/tar:  $(awk "BEGIN{printf \"%.2f\", $best_mk/$best_tar}") (target <= 1.00)"
