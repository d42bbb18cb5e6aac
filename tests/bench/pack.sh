#!/bin/bash
# Benchmark: packing a large tree (default /usr/lib/x86_64-linux-gnu, one
# --add of a directory) with mkroot against `tar -czf` of the same files at
# the same gzip level, in the same run. mkroot's gzip is pgz (libdeflate on
# every core). Prints the speed-up over tar -czf (issue 14's target: 4x),
# the size ratio, and mkroot's peak RSS (target: under 100 MB; a pack
# over it ends the bench with status 1, as memory is no timing).
# usage: tests/bench/pack.sh [DIR]   RUNS=N (default 2), LEVEL=N (default 6)
set -euo pipefail
MKROOT=${MKROOT:-$(dirname "$0")/../../build/mkroot}
[ -x "$MKROOT" ] || MKROOT=$(dirname "$0")/../../build/builder/mkroot
MKROOT=$(realpath "$MKROOT")
dir=${1:-/usr/lib/x86_64-linux-gnu}
level=${LEVEL:-6}
runs=${RUNS:-2}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# A command that fails is reported and the bench stops: a failure is not
# timed.
failed() { echo "$1 failed: $(grep -v -m1 "Removing leading" "$tmp/err")" >&2; exit 1; }
# Warm the page cache so both read from memory.
{ tar -cf - "$dir" 2>"$tmp/err" | cat >/dev/null; } || failed "tar -cf"
tar_cmd="tar -I 'gzip -$level' -cf $tmp/t.tar.gz $dir"
mk_cmd="$MKROOT -q --allow-missing --no-skeleton --level $level -o $tmp/m.tar.gz --add $dir"
# Each command once, checked, before any timing.
eval "$tar_cmd" 2>"$tmp/err" || failed "tar -czf"
eval "$mk_cmd" 2>"$tmp/err" || failed mkroot
if command -v hyperfine >/dev/null; then
        hyperfine -r "$runs" --export-json "$tmp/h.json" -n tar "$tar_cmd" -n mkroot "$mk_cmd" \
                >"$tmp/h.out" 2>&1 || { cat "$tmp/h.out" >&2; exit 1; }
        read -r t_tar t_mk < <(python3 -c '
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(int(r["tar"] * 1000), int(r["mkroot"] * 1000))' "$tmp/h.json")
        how="hyperfine, mean of $runs"
else
        now() { date +%s%N; }
        t_tar=999999999 t_mk=999999999
        for _ in $(seq "$runs"); do
                t0=$(now); eval "$tar_cmd" 2>"$tmp/err" || failed "tar -czf"; t1=$(now)
                eval "$mk_cmd" 2>"$tmp/err" || failed mkroot; t2=$(now)
                a=$(( (t1 - t0) / 1000000 )) b=$(( (t2 - t1) / 1000000 ))
                [ $a -lt "$t_tar" ] && t_tar=$a
                [ $b -lt "$t_mk" ] && t_mk=$b
        done
        how="best of $runs"
fi
rss=$( { /usr/bin/time -f '%M' $mk_cmd; } 2>&1 | tail -1)
s_tar=$(stat -c %s "$tmp/t.tar.gz") s_mk=$(stat -c %s "$tmp/m.tar.gz")
echo "tree:              $dir ($(du -sh "$dir" | cut -f1), $(find "$dir" | wc -l) entries), $(nproc) CPUs, $how"
echo "tar -czf (-$level):    ${t_tar} ms, $s_tar bytes"
echo "mkroot (-$level):      ${t_mk} ms, $s_mk bytes (includes dependency scan of every ELF)"
echo "speed-up tar/mkroot: $(awk "BEGIN{printf \"%.2f\", $t_tar/$t_mk}") (target >= 4.00)"
echo "size mkroot/tar:     $(awk "BEGIN{printf \"%.3f\", $s_mk/$s_tar}") (target close to 1)"
# The memory target does not depend on the machine's load: checked here.
rss_mb=$((rss / 1024))
if [ "$rss_mb" -lt 100 ]; then
        echo "mkroot peak RSS:     $rss_mb MB (target < 100: met)"
else
        echo "mkroot peak RSS:     $rss_mb MB (target < 100: MISSED)"
        exit 1
fi
