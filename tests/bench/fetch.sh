#!/bin/bash
# Benchmark: `mkroot fetch SUITE` against debootstrap --variant=minbase and
# mmdebstrap --variant=minbase, same mirror, same package set, same output
# format where the tool can write it (a .tar.gz; debootstrap writes a
# directory). Cold = empty caches; warm = each tool's own cache filled by
# the cold run (mkroot: its cache; mmdebstrap: the sync-in/sync-out hooks
# its manual describes; debootstrap: --cache-dir). Prints times and ratios;
# the --dpkg-unpack and --no-tmpfs rows show what unpacking each package
# once and building on a tmpfs save.
#
#   tests/bench/fetch.sh [SUITE]          (root; MKROOT=path/to/mkroot)
#
# The mirror comes from $MKROOT_MIRROR, else the host's apt sources.
set -eu
SUITE=${1:-bookworm}
MKROOT=${MKROOT:-$(dirname "$0")/../../build/mkroot}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, mmdebstrap)"; exit 77; }
[ -x "$MKROOT" ] || { echo "mkroot not found at $MKROOT (set MKROOT)"; exit 2; }

mirror=${MKROOT_MIRROR:-}
if [ -z "$mirror" ]; then
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -e "$f" ] || continue
                m=$(awk -v s="$SUITE" '
                        /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==s) ok=1}
                        /^[[:space:]]*$/ {if (ok && u) {print u; done=1; exit} ok=0; u=""}
                        END {if (!done && ok && u) print u}' "$f")
                [ -n "$m" ] && { mirror=$m; break; }
        done
fi
[ -n "$mirror" ] || { echo "no mirror for $SUITE: set MKROOT_MIRROR"; exit 2; }

W=$(mktemp -d /var/tmp/mkroot-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
echo "suite $SUITE, mirror $mirror, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"

declare -A T
run() { # NAME CMD...
        local name=$1; shift
        local s e
        s=$(date +%s.%N)
        if ! "$@" >"$W/$name.log" 2>&1; then
                echo "$name: FAILED (see below)"; tail -5 "$W/$name.log"; exit 1
        fi
        e=$(date +%s.%N)
        T[$name]=$(echo "$e - $s" | bc)
        printf '%-28s %7.1f s\n' "$name" "${T[$name]}"
}
ratio() { printf '%-44s %6.2f\n' "$1" "$(echo "scale=4; ${T[$2]} / ${T[$3]}" | bc)"; }

export MKROOT_CACHE=$W/mkroot-cache
run mkroot-cold "$MKROOT" fetch -q --mirror "$mirror" "$SUITE" -o "$W/mk.tar.gz"
run mkroot-warm "$MKROOT" fetch -q --mirror "$mirror" "$SUITE" -o "$W/mk2.tar.gz"
run mkroot-warm-rebuild "$MKROOT" fetch -q --rebuild --mirror "$mirror" "$SUITE" -o "$W/mk3.tar.gz"
# The same with the old second stage (dpkg --install unpacks every package
# again) and with the tree on disk: what each of the two saves.
run mkroot-warm-dpkg-unpack "$MKROOT" fetch -q --rebuild --dpkg-unpack --mirror "$mirror" "$SUITE" -o "$W/mk4.tar.gz"
run mkroot-warm-no-tmpfs "$MKROOT" fetch -q --rebuild --no-tmpfs --mirror "$mirror" "$SUITE" -o "$W/mk5.tar.gz"

have_mm=0
if command -v mmdebstrap >/dev/null; then
        have_mm=1
        mkdir -p "$W/mmcache"
        mm() {
                mmdebstrap --variant=minbase --skip=essential/unlink \
                        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
                        --setup-hook="sync-in $W/mmcache /var/cache/apt/archives/" \
                        --customize-hook="sync-out /var/cache/apt/archives $W/mmcache" \
                        "$SUITE" "$1" "$mirror"
        }
        run mmdebstrap-cold mm "$W/mm.tar.gz"
        run mmdebstrap-warm mm "$W/mm2.tar.gz"
fi
have_db=0
if command -v debootstrap >/dev/null; then
        have_db=1
        mkdir -p "$W/dbcache"
        run debootstrap-cold debootstrap --variant=minbase --cache-dir="$W/dbcache" "$SUITE" "$W/db1" "$mirror"
        rm -rf "$W/db1"
        run debootstrap-warm debootstrap --variant=minbase --cache-dir="$W/dbcache" "$SUITE" "$W/db2" "$mirror"
        rm -rf "$W/db2"
fi

echo
echo "ratios (below 1: mkroot is faster)"
if [ $have_mm = 1 ]; then
        ratio "mkroot cold / mmdebstrap cold  (target < 0.40)" mkroot-cold mmdebstrap-cold
        ratio "mkroot warm / mmdebstrap cold  (target < 0.20)" mkroot-warm mmdebstrap-cold
        ratio "mkroot warm / mmdebstrap warm" mkroot-warm mmdebstrap-warm
        ratio "mkroot warm --rebuild / mmdebstrap warm" mkroot-warm-rebuild mmdebstrap-warm
fi
ratio "mkroot warm --rebuild / with --dpkg-unpack" mkroot-warm-rebuild mkroot-warm-dpkg-unpack
ratio "mkroot warm --rebuild / with --no-tmpfs" mkroot-warm-rebuild mkroot-warm-no-tmpfs
if [ $have_db = 1 ]; then
        ratio "mkroot cold / debootstrap cold" mkroot-cold debootstrap-cold
        ratio "mkroot warm --rebuild / debootstrap warm" mkroot-warm-rebuild debootstrap-warm
fi
