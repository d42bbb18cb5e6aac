#!/bin/bash
# The cgroup code of runner/ in layers, bottom to top (runner/meson.build):
#   0 cgroup-limits   the values and their parsing
#   1 cgroup-utils    file I/O, own path, procs, rmdir (no version)
#   2 cgroup-setup    cgroup_v1.c, cgroup_v2.c, cgroup_devices.c
#   3 cgroup          the dispatcher, cgroup.h
# Fails, printing each case, when a cgroup file includes a cgroup header of
# a layer above its own, when the layers below the versions name a v1/v2
# symbol, or when a version calls the dispatcher.
# Usage: cgroup-layers.sh [SOURCE-ROOT]
set -uo pipefail
cd "${1:-${SRCDIR:-$(dirname "$0")/../../..}}/runner" || exit 1

declare -A level=(
        [cgroup-limits.h]=0 [cgroup-limits.c]=0
        [cgroup-utils.h]=1 [cgroup-utils.c]=1
        [cgroup-setup.h]=2 [cgroup_v1.c]=2 [cgroup_v2.c]=2 [cgroup_devices.c]=2
        [cgroup.h]=3 [cgroup.c]=3
        [cgroup-internal.h]=4 # the unit tests' view of every layer
)
bad=0
report() {
        echo "$*"
        bad=$((bad + 1))
}
for f in "${!level[@]}"; do
        [ -e "$f" ] || { report "runner/$f: missing"; continue; }
done
[ "$bad" = 0 ] || exit 1

# The code of a file without its comments and strings.
code() {
        sed -e 's://.*$::' "$1" | perl -0pe 's:/\*.*?\*/::gs; s:"(\\.|[^"\\])*"::g'
}

for f in cgroup*.c cgroup*.h; do
        [ -n "${level[$f]:-}" ] || { report "runner/$f: a cgroup file of no layer (add it here)"; continue; }
        while IFS=: read -r ln h; do
                [ -n "${level[$h]:-}" ] || continue
                if [ "${level[$h]}" -gt "${level[$f]}" ]; then
                        report "runner/$f:$ln: (layer ${level[$f]}) includes \"$h\" (layer ${level[$h]})"
                fi
        done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
                 sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
done

for f in cgroup-limits.h cgroup-limits.c cgroup-utils.h cgroup-utils.c; do
        hits=$(code "$f" | grep -oE '\b(cg_v[12]_[a-z_]*|CG_V1_[A-Z_]*)' | sort -u | tr '\n' ' ')
        [ -z "$hits" ] || report "runner/$f: names a cgroup version's symbol: $hits"
done
dispatcher='cg_create|cg_attach|cg_get_mode|cg_oom_killed|cg_destroy|cg_free|cg_destroy_freep|cg_path|_cleanup_cgroup_'
for f in cgroup-limits.h cgroup-limits.c cgroup-utils.h cgroup-utils.c cgroup-setup.h \
        cgroup_v1.c cgroup_v2.c cgroup_devices.c; do
        hits=$(code "$f" | grep -owE "$dispatcher" | sort -u | tr '\n' ' ')
        [ -z "$hits" ] || report "runner/$f: calls the dispatcher (cgroup.c): $hits"
done
[ "$bad" = 0 ] && echo "cgroup layers: ok (${#level[@]} files)"
[ "$bad" = 0 ]
