#!/bin/bash
# runroot start-up benchmark (on demand, not part of the test suite).
#
# Warm start: start-to-exit of /bin/true in an image already unpacked,
# against the peer tools on the same tree, measured in the same run:
#   unshare --mount --uts --ipc --net --pid --fork chroot DIR /bin/true
#   bwrap --unshare-all --bind DIR / --proc /proc --dev /dev /bin/true
#   runc run and crun run (OCI bundles whose rootfs is the same tree)
# all in one hyperfine invocation (crun, where it needs a wrapper, in one
# of its own); the ratios are of the medians. Target (issue 14): at most
# 1.2x unshare+chroot, under 0.8x bwrap, faster than runc and crun.
#
# Cold start: the first run of a 100 MB+ image (unpack into an empty
# cache) against `tar -xzf` and `bsdtar -xzf` of the same file, for the
# image as mkroot writes it (pgz: gzip members inflated on every core;
# target (issue 14): under 0.35x the time of tar -xzf) and as `tar -czf`
# writes it (one gzip stream, libarchive's decompression; target: ratio
# <= 1).
#
# usage: tests/bench/runroot-start.sh [RUNROOT]   (as root; MKROOT= the
#        mkroot that writes the cold image, default beside RUNROOT)
#        RUNS=N to change the number of warm runs (default 200), COLD=0 to
#        skip the cold start; REPEAT=N hyperfine runs of COLD_RUNS=N each
#        for the cold start (3 and 3)
set -eu
RUNROOT=${1:-${RUNROOT:-build/runroot}}
RUNS=${RUNS:-200}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$RUNROOT" ] || { echo "no runroot at $RUNROOT (pass its path)" >&2; exit 1; }
RUNROOT=$(realpath "$RUNROOT")
MKROOT=${MKROOT:-$(dirname "$RUNROOT")/mkroot}
. "$(dirname "$0")/lib.sh"
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

declare -A CMD LABEL
CMD[runroot]="$RUNROOT $W/image.tar.gz /bin/true"
# The peers below install no seccomp filter: the same run without ours.
CMD[runroot-nosec]="$RUNROOT --seccomp unconfined $W/image.tar.gz /bin/true"
CMD[unshare]="unshare --mount --uts --ipc --net --pid --fork chroot $tree /bin/true"
LABEL[unshare]="unshare+chroot"
names="runroot runroot-nosec unshare"
if command -v bwrap >/dev/null; then
        CMD[bwrap]="bwrap --unshare-all --bind $tree / --proc /proc --dev /dev /bin/true"
        names="$names bwrap"
fi
# OCI runtimes: a bundle whose rootfs is the same tree.
bundle() { # DIR RUNTIME
        mkdir -p "$1"
        (cd "$1" && "$2" spec)
        python3 - "$1/config.json" "$tree" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"]["path"] = sys.argv[2]
c["root"]["readonly"] = True
json.dump(c, open(p, "w"))
PY
}
if command -v runc >/dev/null; then
        bundle "$W/runc" runc
        CMD[runc]="runc run --bundle $W/runc bench-runc-$$"
        names="$names runc"
fi
# crun 1.x refuses a hybrid cgroup layout (v1 next to a unified hierarchy
# with a controller): there it runs in a mount namespace without
# /sys/fs/cgroup/unified, with its cgroup manager disabled (which only
# makes it faster), in a run of its own since that wrapper would be
# timed too.
crun_wrap=
if command -v crun >/dev/null; then
        bundle "$W/crun" crun
        CMD[crun]="crun --cgroup-manager=disabled run --bundle $W/crun bench-crun-$$"
        if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] &&
                [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
                crun_wrap="unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec \"\$0\" \"\$@\"'"
        fi
fi

# Median (and mean) in us of each command of a hyperfine JSON export.
stats() { # JSON
        python3 - "$1" <<'PY'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%.0f %.0f" % (statistics.median(r["times"]) * 1e6, r["mean"] * 1e6))
PY
}
declare -A MED MEAN
if command -v hyperfine >/dev/null; then
        # Side by side: one hyperfine run of every command, so that the
        # load of the machine weighs on all of them alike.
        args=()
        for n in $names; do args+=("${CMD[$n]}"); done
        hyperfine -N -w 10 -r "$RUNS" --export-json "$W/warm.json" "${args[@]}" >/dev/null 2>&1 ||
                { echo "hyperfine failed: ${args[*]}" >&2; exit 1; }
        i=0
        while read -r med mean; do
                set -- $names
                shift $i
                MED[$1]=$med MEAN[$1]=$mean
                i=$((i + 1))
        done < <(stats "$W/warm.json")
        if [ -n "${CMD[crun]:-}" ]; then
                eval "$crun_wrap hyperfine -N -w 10 -r $RUNS --export-json $W/crun.json \"${CMD[crun]}\"" \
                        >/dev/null 2>&1 || { echo "crun failed: ${CMD[crun]}" >&2; exit 1; }
                read -r MED[crun] MEAN[crun] < <(stats "$W/crun.json")
                names="$names crun"
        fi
fi

# Interleaved rounds (lib.sh's interleave; crun, which may need its
# wrapper, is left out).
declare -A IMED IMEAN
inames=
iargs=()
for n in $names; do
        [ "$n" = crun ] && continue
        inames="$inames $n"
        iargs+=("${CMD[$n]}")
done
i=0
while read -r med mean; do
        set -- $inames
        shift $i
        IMED[$1]=$med IMEAN[$1]=$mean
        i=$((i + 1))
done < <(interleave "$RUNS" "${iargs[@]}")
if [ -z "${MED[runroot]:-}" ]; then # no hyperfine: these are the numbers
        for n in $inames; do MED[$n]=${IMED[$n]} MEAN[$n]=${IMEAN[$n]}; done
        names=$inames
fi

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
label() { echo "${LABEL[$1]:-$1}"; }
echo "warm start of /bin/true, $RUNS runs each, one hyperfine run${CMD[crun]:+ (crun in one of its own)}:"
printf '  %-16s %10s %10s\n' "" median mean
for n in $names; do printf '  %-16s %7.0f us %7.0f us\n' "$(label "$n")" "${MED[$n]}" "${MEAN[$n]}"; done
echo "ratios of the medians:"
for rr in runroot runroot-nosec; do
        echo "  $rr / unshare+chroot = $(ratio "${MED[$rr]}" "${MED[unshare]}")   (target <= 1.20)"
        [ -z "${MED[bwrap]:-}" ] ||
                echo "  $rr / bwrap = $(ratio "${MED[$rr]}" "${MED[bwrap]}")   (target < 0.80)"
        for n in runc crun; do
                [ -n "${MED[$n]:-}" ] || continue
                echo "  $rr / $n = $(ratio "${MED[$rr]}" "${MED[$n]}")   (target < 1.00)"
        done
done

echo "interleaved rounds, $RUNS of one run of each:"
printf '  %-16s %10s %10s\n' "" median mean
for n in $inames; do printf '  %-16s %7.0f us %7.0f us\n' "$(label "$n")" "${IMED[$n]}" "${IMEAN[$n]}"; done
echo "ratios of the medians:"
for rr in runroot runroot-nosec; do
        echo "  $rr / unshare+chroot = $(ratio "${IMED[$rr]}" "${IMED[unshare]}")   (target <= 1.20)"
        [ -z "${IMED[bwrap]:-}" ] ||
                echo "  $rr / bwrap = $(ratio "${IMED[$rr]}" "${IMED[bwrap]}")   (target < 0.80)"
        [ -z "${IMED[runc]:-}" ] ||
                echo "  $rr / runc = $(ratio "${IMED[$rr]}" "${IMED[runc]}")   (target < 1.00)"
done

# CPU time (task-clock of the whole process tree), which other load on the
# machine disturbs less than wall time.
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
        declare -A CPU
        for n in $names; do
                wrap=
                [ "$n" = crun ] && wrap=$crun_wrap
                CPU[$n]=$(eval "$wrap perf stat -x, -e task-clock -r 50 ${CMD[$n]}" 2>&1 >/dev/null |
                        awk -F, '/task-clock/ {print $1 * 1000}')
        done
        echo "CPU time of /bin/true start-to-exit, mean of 50 runs:"
        for n in $names; do printf '  %-16s %7.0f us\n' "$(label "$n")" "${CPU[$n]}"; done
        for rr in runroot runroot-nosec; do
                echo "  $rr / unshare+chroot = $(ratio "${CPU[$rr]}" "${CPU[unshare]}")"
                [ -z "${CPU[bwrap]:-}" ] || echo "  $rr / bwrap = $(ratio "${CPU[$rr]}" "${CPU[bwrap]}")"
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
# about 100 MB compressed. A copy that fails stops the bench: it would
# time a smaller image.
(cd / && find "${src#/}" -printf '%s %y %p\n') >"$W/big.found" ||
        { echo "find $src failed" >&2; exit 1; }
awk '$2 != "d" { t += $1 } t <= 367001600 { sub(/^[0-9]+ . /, ""); print }' "$W/big.found" >"$W/big.list"
(set -o pipefail; tar -C / --no-recursion -T "$W/big.list" -cf - | tar -C "$big" -xf -) 2>"$W/tar.err" ||
        { echo "tar failed copying $src: $(head -n1 "$W/tar.err")" >&2; exit 1; }
du_mb=$(du -sm "$big" | cut -f1)
if [ "$du_mb" -lt 100 ]; then
        head -c $(( (100 - du_mb + 5) * 1048576 )) /dev/urandom >"$big/filler"
fi
# The loader its programs name: mkroot --root resolves inside the tree.
# (Only where the host has it: elsewhere mkroot's --allow-missing
# leaves it out.)
ld=/lib64/ld-linux-x86-64.so.2
if [ -e "$ld" ]; then
        mkdir -p "$big/lib64"
        cp -L "$ld" "$big/lib64/" 2>"$W/cp.err" || { echo "cp $ld failed: $(cat "$W/cp.err")" >&2; exit 1; }
fi
tar -C "$big" -czf "$W/big.tar.gz" .
# The same files written by mkroot.
"$MKROOT" -q --allow-missing --no-skeleton --root "$big" -o "$W/big-pgz.tar.gz" \
        $(cd "$big" && for f in *; do printf -- '--add /%s ' "$f"; done)
rm -rf "$big"
# One hyperfine run times every command, so that their ratios come from
# the same stretch of machine time (the machine may be shared); REPEAT such
# runs, and the medians of their ratios are reported. Between runs the
# trees are moved aside, not removed: on ext4 without a journal the inode
# allocator steps over every inode freed in the last minute, one lookup
# each, so unpacking right after deleting a tree of the same size mostly
# measures that walk. The trees go between repeats, followed by a pause of
# COLD_PAUSE seconds (default 61).
command -v hyperfine >/dev/null || { echo "the cold start needs hyperfine" >&2; exit 1; }
REPEAT=${REPEAT:-3} COLD_RUNS=${COLD_RUNS:-3} COLD_PAUSE=${COLD_PAUSE:-61}
mkdir -p "$W/trash"
printf '%s\n' '#!/bin/sh' \
        "for d in x cold; do [ ! -e $W/\$d ] || mv $W/\$d $W/trash/\$d.\$(date +%s%N); done" \
        "mkdir $W/x && sync" >"$W/prepare"
chmod +x "$W/prepare"
ccmds=(-n tar "tar -C $W/x -xzf $W/big.tar.gz")
if command -v bsdtar >/dev/null; then
        ccmds+=(-n bsdtar "bsdtar -C $W/x -xzf $W/big.tar.gz")
fi
ccmds+=(-n runroot-pgz "env MKROOT_CACHE=$W/cold $RUNROOT $W/big-pgz.tar.gz /bin/true"
        -n runroot-plain "env MKROOT_CACHE=$W/cold $RUNROOT $W/big.tar.gz /bin/true")
for i in $(seq "$REPEAT"); do
        if [ "$i" -gt 1 ]; then
                rm -rf "$W/trash" && mkdir "$W/trash" && sync && sleep "$COLD_PAUSE"
        fi
        hyperfine -N -r "$COLD_RUNS" --prepare "$W/prepare" --export-json "$W/cold-$i.json" \
                "${ccmds[@]}" >/dev/null 2>&1 || { echo "cold start failed" >&2; exit 1; }
done
rm -rf "$W/trash" "$W/x" "$W/cold"
echo "cold start of a ${du_mb} MB tree: mkroot's gzip (pgz, $(nproc) CPUs,"
echo "$(( $(stat -c %s "$W/big-pgz.tar.gz") / 1048576 )) MB) and tar -czf's (one stream," \
        "$(( $(stat -c %s "$W/big.tar.gz") / 1048576 )) MB); medians of $REPEAT hyperfine runs" \
        "of $COLD_RUNS (each run's median in brackets):"
python3 - "$W" "$REPEAT" <<'PY'
import json, statistics, sys
w, n = sys.argv[1], int(sys.argv[2])
runs = []
for i in range(1, n + 1):
    r = json.load(open(f"{w}/cold-{i}.json"))["results"]
    runs.append({x["command"]: x["median"] for x in r})
names = list(runs[0])
for c in names:
    t = [r[c] for r in runs]
    each = " ".join(f"{x * 1000:.0f}" for x in t)
    print(f"  {c:<14} {statistics.median(t) * 1000:6.0f} ms   [{each}]")
for rr in ("runroot-pgz", "runroot-plain"):
    for peer in ("tar", "bsdtar"):
        if peer not in names:
            continue
        q = [r[rr] / r[peer] for r in runs]
        each = " ".join(f"{x:.2f}" for x in q)
        target = "   (target < 0.35)" if (rr, peer) == ("runroot-pgz", "tar") else ""
        print(f"  {rr} / {peer} -xzf = {statistics.median(q):.2f}   [{each}]{target}")
PY
