#!/bin/bash
# podman with runroot as its OCI runtime (on demand, not part of the test
# suite): `podman run --rm IMAGE /bin/true` with --runtime runroot, runc
# and crun, side by side in one hyperfine run, then in interleaved rounds
# (one run of each per round), and the ratios of the medians; then the CPU
# time of one run (perf stat, when perf works here). Target (issue 17):
# runroot faster than runc.
#
# podman gets state of its own in a temp dir (--root, --runroot, --tmpdir,
# a containers.conf with a file events log and its network config dir
# there), the vfs storage driver, a mount namespace of its own with /run
# and /var/lib overlaid (as engines-podman does), --network none (NET=bridge
# gives each run podman's default network, in a network namespace of the
# bench's own), and every
# container's cgroups below this bench's own parent (/podman-bench-PID,
# removed at the end). The image is /bin/true with its libraries, made by
# mkroot as an OCI archive and loaded with podman load. crun 1.x refuses a
# hybrid cgroup host (v1 controllers beside a unified hierarchy): then it
# is left out, with crun's reason printed.
#
# usage: tests/bench/podman-run.sh [RUNROOT]   (as root; MKROOT= the mkroot
#        that makes the image, default beside RUNROOT)
#        RUNS=N runs of each runtime (default 30), WARMUP=N (default 3)
set -eu
RUNROOT=${1:-${RUNROOT:-build/runroot}}
RUNS=${RUNS:-30} WARMUP=${WARMUP:-3} NET=${NET:-none}
[ "$(id -u)" = 0 ] || { echo "run as root (podman's rootful mode)" >&2; exit 1; }
[ -x "$RUNROOT" ] || { echo "no runroot at $RUNROOT (pass its path)" >&2; exit 1; }
RUNROOT=$(realpath "$RUNROOT")
MKROOT=${MKROOT:-$(dirname "$RUNROOT")/mkroot}
for t in podman conmon hyperfine python3; do
        command -v $t >/dev/null || { echo "needs $t (apt-get install $t)" >&2; exit 1; }
done
case $NET in
none | bridge) ;;
*) echo "NET=$NET: none or bridge" >&2; exit 1 ;;
esac
# A mount namespace of its own (and with NET=bridge a network namespace):
# /run and /var/lib are overlaid there below, so that what podman and the
# runtimes write outside their --root (/run/runc, /run/runroot-oci,
# podman's blob info cache in /var/lib/containers, netns files, CNI
# leases) never reaches the host.
if [ -z "${PODMAN_BENCH_NS:-}" ]; then
        export PODMAN_BENCH_NS=1
        ns=(--mount)
        [ "$NET" = none ] || ns+=(--net)
        exec unshare "${ns[@]}" --propagation private "$0" "$@"
fi
[ "$NET" = none ] || ip link set lo up
. "$(dirname "$0")/../helpers/procs.sh"
. "$(dirname "$0")/lib.sh"

W=$(mktemp -d /tmp/podman-bench.XXXXXX)
CGP=podman-bench-$$
P=(prlimit --nofile=4096:4096 --nproc=4096:4096 podman --root "$W/storage" --runroot "$W/run"
        --tmpdir "$W/ptmp" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
overlaid=
had_libpod_parent=
for d in /sys/fs/cgroup/*/libpod_parent; do
        [ ! -d "$d" ] || had_libpod_parent=yes
done
cleanup() {
        "${P[@]}" rm -f -a -t 0 >/dev/null 2>&1
        "${P[@]}" rmi -a -f >/dev/null 2>&1
        # podman's own mounts below $W (a container's /dev/shm), deepest
        # first, before the tree goes.
        local m
        for m in $(awk -v w="$W/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
                umount "$m" 2>/dev/null || umount -l "$m"
        done
        for m in $overlaid; do umount -l "$m"; done
        cgroup_tree_remove "$CGP"
        [ -n "$had_libpod_parent" ] || cgroup_tree_remove libpod_parent
        rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/ptmp" "$W/net" "$W/events"
for d in /run /var/lib; do
        o=$W/overlay$(echo "$d" | tr / _)
        mkdir -p "$o/up" "$o/work"
        mount -t overlay overlay -o "lowerdir=$d,upperdir=$o/up,workdir=$o/work" "$d"
        overlaid="$d $overlaid"
done
# This host's root may lack CAP_SYS_RESOURCE: podman's default nofile
# limit (1048576) cannot be set by any runtime; podman asks for limits it
# keeps (as engines-podman does).
cat >"$W/containers.conf" <<CONF
[containers]
log_driver = "k8s-file"
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
events_logger = "file"
events_logfile_path = "$W/events/events.log"
cgroup_manager = "cgroupfs"
tmp_dir = "$W/ptmp"
volume_path = "$W/volumes"
static_dir = "$W/static"
[network]
network_config_dir = "$W/net"
CONF
export CONTAINERS_CONF=$W/containers.conf TMPDIR=$W/ptmp

(cd "$W" && "$MKROOT" -q --add /bin/true -o true.oci.tar) || { echo "mkroot failed" >&2; exit 1; }
"${P[@]}" load -i "$W/true.oci.tar" >"$W/load.out" 2>&1 ||
        { echo "podman load: $(cat "$W/load.out")" >&2; exit 1; }
run() { # RUNTIME: the command line hyperfine times
        printf '%q ' "${P[@]}" run --rm --network "$NET" --cgroup-parent "/$CGP" \
                --runtime "$1" localhost/true:latest /bin/true
}

# Each runtime once first: one that fails is left out with its reason
# (crun on a hybrid cgroup host), except runroot and runc.
names= cmds=() icmds=()
for rt in runroot runc crun; do
        case $rt in
        runroot) path=$RUNROOT ;;
        *) path=$(command -v $rt) || { echo "$rt: not installed, left out"; continue; } ;;
        esac
        if ! eval "$(run "$path")" >"$W/$rt.out" 2>&1; then
                why=$(grep -v '^$' "$W/$rt.out" | tail -n 1)
                [ $rt = crun ] || { echo "podman run with $rt failed: $why" >&2; exit 1; }
                echo "crun: left out, podman run with it fails here: $why"
                continue
        fi
        names="$names $rt"
        cmds+=(-n "$rt" "$(run "$path")")
        icmds+=("$(run "$path")")
done

# One hyperfine run of every runtime, so that the load of a shared
# machine weighs on all of them alike.
hyperfine -w "$WARMUP" -r "$RUNS" -N --export-json "$W/run.json" "${cmds[@]}" >"$W/hyperfine.out" 2>&1 ||
        { echo "hyperfine failed: $(tail -n 3 "$W/hyperfine.out")" >&2; exit 1; }
# Then interleaved rounds (lib.sh), which a load that comes and goes
# cannot put on one runtime alone.
interleave "$RUNS" "${icmds[@]}" >"$W/rounds.out" || { echo "interleaved rounds failed" >&2; exit 1; }
# CPU time (task-clock of podman's whole process tree, conmon and the
# container included), which other load on the machine disturbs less
# than wall time.
cpu=
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
        i=0
        for rt in $names; do
                c=$(eval "perf stat -x, -e task-clock -r $RUNS ${icmds[$i]}" 2>&1 >/dev/null |
                        awk -F, '/task-clock/ {print $1}')
                [ -n "$c" ] || { echo "perf stat of podman run with $rt failed" >&2; exit 1; }
                cpu="$cpu $rt=$c"
                i=$((i + 1))
        done
fi
left=$("${P[@]}" ps -a -q | wc -l)
[ "$left" = 0 ] || { echo "podman run --rm left $left containers" >&2; exit 1; }

echo "podman run --rm localhost/true /bin/true (--network $NET), $RUNS runs each, one hyperfine run:"
python3 - "$W/run.json" "$W/rounds.out" "$cpu" $names <<'PY'
import json, statistics, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rounds = dict(zip(sys.argv[4:], (l.split() for l in open(sys.argv[2]))))
cpu = dict(kv.split("=") for kv in sys.argv[3].split())
print("  %-10s %9s %9s %9s" % ("runtime", "median", "mean", "stddev"))
for n, r in res.items():
    print("  %-10s %6.0f ms %6.0f ms %6.0f ms" % (n, statistics.median(r["times"]) * 1e3,
                                                r["mean"] * 1e3, r["stddev"] * 1e3))
med = {n: statistics.median(r["times"]) for n, r in res.items()}
print("ratios of the medians:")
for peer in ("runc", "crun"):
    if peer in med:
        target = "   (target < 1.00)" if peer == "runc" else ""
        print(f"  runroot / {peer} = {med['runroot'] / med[peer]:.2f}{target}")
print(f"interleaved rounds, {len(res['runroot']['times'])} of one run of each:")
print("  %-10s %9s %9s" % ("runtime", "median", "mean"))
for n, (m, a) in rounds.items():
    print("  %-10s %6.0f ms %6.0f ms" % (n, int(m) / 1e3, int(a) / 1e3))
print("ratios of the medians:")
for peer in ("runc", "crun"):
    if peer in rounds:
        target = "   (target < 1.00)" if peer == "runc" else ""
        q = int(rounds["runroot"][0]) / int(rounds[peer][0])
        print(f"  runroot / {peer} = {q:.2f}{target}")
if cpu:
    print(f"CPU time of one podman run (its whole tree), mean of {len(res['runroot']['times'])}:")
    for n, c in cpu.items():
        print("  %-10s %6.0f ms" % (n, float(c)))
    for peer in ("runc", "crun"):
        if peer in cpu:
            print(f"  runroot / {peer} = {float(cpu['runroot']) / float(cpu[peer]):.2f}")
PY
