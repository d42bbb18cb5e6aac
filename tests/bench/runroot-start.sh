#!/bin/bash
# runroot start-up benchmark (on demand, not part of the test suite).
#
# Warm start: start-to-exit of /bin/true in an image already unpacked,
# against the peer tools on the same tree, measured in the same run:
#   unshare --mount --uts --ipc --net --pid --fork chroot DIR /bin/true
#   bwrap --unshare-all --bind DIR / --proc /proc --dev /dev /bin/true
#   crun run (an OCI bundle whose rootfs is the same tree)
# Target: within 1.5x of unshare+chroot, faster than bwrap and crun.
#
# Cold start: the first run of a 100 MB+ image (unpack into an empty
# cache) against `tar -xzf` of the same file, for the image as mkroot
# writes it (pgz: gzip members inflated on every core; target: 3x faster
# than tar -xzf) and as `tar -czf` writes it (one gzip stream, libarchive's
# decompression; target: ratio <= 1).
#
# usage: tests/bench/runroot-start.sh [RUNROOT]   (as root; MKROOT= the
#        mkroot that writes the cold image, default beside RUNROOT)
#        RUNS=N to change the number of warm runs (default 200), COLD=0 to
#        skip the cold start
set -eu
RUNROOT=${1:-${RUNROOT:-build/runroot}}
RUNS=${RUNS:-200}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$RUNROOT" ] || { echo "no runroot at $RUNROOT (pass its path)" >&2; exit 1; }
RUNROOT=$(realpath "$RUNROOT")
MKROOT=${MKROOT:-$(dirname "$RUNROOT")/mkroot}
BUSYBOX=$(command -v busybox)
! ldd "$BUSYBOX" >/dev/null 2>&1 || { echo "needs busybox-static" >&2; exit 1; }

W=$(mktemp -d /tmp/runroot-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export MKROOT_CACHE=$W/cache

tree=$W/rootfs
mkdir -p "$tree/bin" "$tree/etc" "$tree/proc" "$tree/sys" "$tree/dev" "$tree/tmp"
cp "$BUSYBOX" "$tree/bin/busybox"
for c in sh true; do ln -s busybox "$tree/bin/$c"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$tree/etc/passwd"
tar -C "$tree" -czf "$W/image.tar.gz" .
"$RUNROOT" "$W/image.tar.gz" /bin/true # unpack: what follows is warm

declare -A CMD WRAP
CMD[runroot]="$RUNROOT $W/image.tar.gz /bin/true"
# The peers below install no seccomp filter: the same run without ours.
CMD[runroot-nosec]="$RUNROOT --seccomp unconfined $W/image.tar.gz /bin/true"
CMD[unshare]="unshare --mount --uts --ipc --net --pid --fork chroot $tree /bin/true"
names="runroot runroot-nosec unshare"
if command -v bwrap >/dev/null; then
        CMD[bwrap]="bwrap --unshare-all --bind $tree / --proc /proc --dev /dev /bin/true"
        names="$names bwrap"
fi
if command -v crun >/dev/null; then
        mkdir -p "$W/bundle"
        ln -s "$tree" "$W/bundle/rootfs"
        (cd "$W/bundle" && crun spec)
        python3 - "$W/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"]["readonly"] = True
json.dump(c, open(p, "w"))
PY
        # crun 1.x refuses this host's hybrid cgroup layout (an empty v2
        # hierarchy next to v1): it runs in a mount namespace without
        # /sys/fs/cgroup/unified, with its cgroup manager disabled (which
        # only makes it faster).
        CMD[crun]="crun --cgroup-manager=disabled run --bundle $W/bundle bench-$$"
        WRAP[crun]="unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec \"\$0\" \"\$@\"'"
        names="$names crun"
fi

declare -A MEAN
if command -v hyperfine >/dev/null; then
        for n in $names; do
                eval "${WRAP[$n]:-} hyperfine -N -w 10 -r $RUNS --export-json $W/$n.json \"${CMD[$n]}\"" \
                        >/dev/null 2>&1 || { echo "$n failed: ${CMD[$n]}" >&2; exit 1; }
                MEAN[$n]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean']*1e6)" "$W/$n.json")
        done
else
        for n in $names; do
                MEAN[$n]=$(eval "${WRAP[$n]:-} bash -c '
                        for _ in \$(seq 10); do ${CMD[$n]}; done
                        t0=\$(date +%s%N)
                        for _ in \$(seq $RUNS); do ${CMD[$n]}; done
                        t1=\$(date +%s%N)
                        echo \$(( (t1 - t0) / 1000 / $RUNS ))'")
        done
fi

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "warm start of /bin/true, mean of $RUNS runs:"
for n in $names; do printf '  %-14s %8.0f us\n' "$n" "${MEAN[$n]}"; done
for rr in runroot runroot-nosec; do
        echo "  $rr / unshare+chroot = $(ratio "${MEAN[$rr]}" "${MEAN[unshare]}")   (target <= 1.50)"
        for n in bwrap crun; do
                [ -n "${MEAN[$n]:-}" ] || continue
                echo "  $rr / $n = $(ratio "${MEAN[$rr]}" "${MEAN[$n]}")   (target < 1.00)"
        done
done

# CPU time (task-clock of the whole process tree), which other load on the
# machine disturbs far less than wall time.
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
        declare -A CPU
        for n in $names; do
                CPU[$n]=$(eval "${WRAP[$n]:-} perf stat -x, -e task-clock -r 50 ${CMD[$n]}" 2>&1 >/dev/null |
                        awk -F, '/task-clock/ {print $1 * 1000}')
        done
        echo "CPU time of /bin/true start-to-exit, mean of 50 runs:"
        for n in $names; do printf '  %-14s %8.0f us\n' "$n" "${CPU[$n]}"; done
        for rr in runroot runroot-nosec; do
                echo "  $rr / unshare+chroot = $(ratio "${CPU[$rr]}" "${CPU[unshare]}")   (target <= 1.50)"
                for n in bwrap crun; do
                        [ -n "${CPU[$n]:-}" ] || continue
                        echo "  $rr / $n = $(ratio "${CPU[$rr]}" "${CPU[$n]}")   (target < 1.00)"
                done
        done
fi

# Cold start: a 100 MB+ image (COLD=0 skips it).
[ "${COLD:-1}" = 1 ] || exit 0
big=$W/big
mkdir -p "$big"
cp -a "$tree/." "$big/"
src=/usr/lib/x86_64-linux-gnu
[ -d "$src" ] || src=/usr/lib
# The first 350 MB of real libraries (a realistic mix of file sizes):
# about 100 MB compressed.
tar -C / -cf - "${src#/}" 2>/dev/null | head -c 367001600 | tar -C "$big" -xf - 2>/dev/null || true
du_mb=$(du -sm "$big" | cut -f1)
if [ "$du_mb" -lt 100 ]; then
        head -c $(( (100 - du_mb + 5) * 1048576 )) /dev/urandom >"$big/filler"
fi
# The loader its programs name: mkroot --root resolves inside the tree.
mkdir -p "$big/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$big/lib64/" 2>/dev/null || true
tar -C "$big" -czf "$W/big.tar.gz" .
# The same files written by mkroot.
"$MKROOT" -q --allow-missing --no-skeleton --root "$big" -o "$W/big-pgz.tar.gz" \
        $(cd "$big" && for f in *; do printf -- '--add /%s ' "$f"; done)
rm -rf "$big"
cold() { # cold IMAGE: "TAR_MS RUNROOT_MS", means of 3 (best of 3 without hyperfine)
        local img=$1
        if command -v hyperfine >/dev/null; then
                hyperfine -r 3 --prepare "rm -rf $W/x $W/cold; mkdir $W/x; sync" \
                        --export-json "$W/cold.json" -n tar "tar -C $W/x -xzf $img" \
                        -n runroot "MKROOT_CACHE=$W/cold $RUNROOT $img /bin/true" >/dev/null 2>&1 ||
                        { echo "cold start of $img failed" >&2; exit 1; }
                python3 -c '
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(int(r["tar"] * 1000), int(r["runroot"] * 1000))' "$W/cold.json"
                return
        fi
        local best_tar=0 best_rr=0 i t0 t1 t2 t3 dt dr
        for i in 1 2 3; do
                rm -rf "$W/x" && mkdir "$W/x" && sync
                t0=$(date +%s%N)
                tar -C "$W/x" -xzf "$img"
                t1=$(date +%s%N)
                rm -rf "$W/x" "$W/cold" && sync
                t2=$(date +%s%N)
                MKROOT_CACHE=$W/cold "$RUNROOT" "$img" /bin/true
                t3=$(date +%s%N)
                dt=$(( (t1 - t0) / 1000000 )) dr=$(( (t3 - t2) / 1000000 ))
                { [ $best_tar = 0 ] || [ $dt -lt $best_tar ]; } && best_tar=$dt
                { [ $best_rr = 0 ] || [ $dr -lt $best_rr ]; } && best_rr=$dr
        done
        echo "$best_tar $best_rr"
}
for kind in pgz plain; do
        img=$W/big-pgz.tar.gz what="mkroot's gzip (pgz, $(nproc) CPUs)"
        [ $kind = plain ] && img=$W/big.tar.gz what="tar -czf's gzip (one stream)"
        size_mb=$(( $(stat -c %s "$img") / 1048576 ))
        read -r t_tar t_rr < <(cold "$img")
        rm -rf "$W/x" "$W/cold"
        echo "cold start of a ${size_mb} MB image (${du_mb} MB unpacked), $what:"
        echo "  tar -xzf      $t_tar ms"
        echo "  runroot       $t_rr ms (unpack + first run)"
        echo "  speed-up tar -xzf / runroot = $(ratio "$t_tar" "$t_rr")   (target $([ $kind = pgz ] && echo '>= 3.00' || echo '>= 1.00'))"
done
