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
