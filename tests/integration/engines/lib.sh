# Shared by the engine tests (podman, containerd, runc side by side):
# runner/lib.sh's temp dir, cache, test image and cleanup, and that image
# as an OCI archive mkroot writes ($T/app.oci.tar, named localhost/app).
# Source it with the rrhelper's path as $1, after helpers/subreaper.sh:
# a created container's process outlives the runtime's create and goes to
# the nearest subreaper (conmon, the shim, or else this test's shell).
. "$(dirname "${BASH_SOURCE[0]}")/../runner/lib.sh"
: "${MKROOT:?}"
RUNROOT=$(realpath "$RUNROOT")
printf 'Base: %s\nCmd: ["/bin/sh"]\n' "$IMG" >"$T/app.manifest"
(cd "$T" && "$MKROOT" build app.manifest --format oci -o app.oci.tar) >"$T/build.err" 2>&1 ||
        fail "mkroot build: $(cat "$T/build.err")"

# dead_cgroups_since FILE: the runroot-PID-* cgroup directories made after
# FILE whose runroot (PID) no longer runs: a container's that was not
# removed (those of other tests running meanwhile belong to live runroots).
dead_cgroups_since() {
        local d p
        find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name 'runroot-*' -newer "$1" 2>/dev/null |
                sort | while read -r d; do
                p=${d##*/runroot-}
                p=${p%%-*}
                case $p in '' | *[!0-9]*) continue ;; esac
                [ -d "/proc/$p" ] || echo "$d"
        done
}

# state_cgroups ID: the cgroups runroot recorded for its container ID
# (state root /run/runroot-oci, or $2).
state_cgroups() {
        python3 -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1])).get("runroot.cgroups", [])))' \
                "${2:-/run/runroot-oci}/$1/state.json"
}

# private_host_dirs DIR...: each DIR (/run, /var/lib) overlaid with a
# writable layer in $T, for a test in a mount namespace of its own (the
# engines' preamble unshares one): what an engine writes there (sockets,
# netns files, caches) stays in $T and goes with the namespace.
private_host_dirs() {
        local d o
        for d in "$@"; do
                o=$T/overlay$(echo "$d" | tr / _)
                mkdir -p "$o/up" "$o/work"
                mount -t overlay overlay -o "lowerdir=$d,upperdir=$o/up,workdir=$o/work" "$d" ||
                        fail "overlay on $d"
        done
}

# ctd_start DIR [TOML]: a containerd of the test's own, its config
# DIR/config.toml: root, state, its sockets (DIR/ctd.sock) and the opt
# plugin's directory in DIR, the CRI plugin off unless TOML (appended to
# the config) configures it; log in DIR/ctd.log. Sets CTD_PID and CTR
# (ctr on that socket, namespace rrtest, ended after 60 s so that a hung
# call fails the test and its cleanup runs). The shims it starts use
# /run/containerd/s, which private_host_dirs keeps in $T.
ctd_start() {
        local d=$1 extra=${2:-}
        mkdir -p "$d"
        {
                echo 'version = 2'
                echo "root = \"$d/root\""
                echo "state = \"$d/state\""
                case $extra in
                *io.containerd.grpc.v1.cri*) ;;
                *) echo 'disabled_plugins = ["io.containerd.grpc.v1.cri"]' ;;
                esac
                printf '[grpc]\n  address = "%s/ctd.sock"\n' "$d"
                printf '[ttrpc]\n  address = "%s/ctd.sock.ttrpc"\n' "$d"
                printf '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/opt"\n' "$d"
                printf '%s\n' "$extra"
        } >"$d/config.toml"
        containerd --config "$d/config.toml" >"$d/ctd.log" 2>&1 &
        CTD_PID=$!
        CTR=(timeout --foreground 60 ctr -a "$d/ctd.sock" -n rrtest)
        wait_for 20 "${CTR[@]}" version >/dev/null 2>&1 ||
                fail "containerd did not start: $(tail -5 "$d/ctd.log")"
}

# ctd_stop: containerd ended (SIGTERM, reaped), and the shims it left that
# are this shell's children (the shim daemons go to the nearest
# subreaper, this shell) killed.
ctd_stop() {
        local p
        [ -z "${CTD_PID:-}" ] || stop_child "$CTD_PID" containerd
        CTD_PID=""
        for p in $(ps -eo pid=,comm= | awk '$2 ~ /^containerd-shim/ {print $1}'); do
                is_child "$p" && kill -9 "$p"
        done
}
