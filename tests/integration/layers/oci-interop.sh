#!/bin/bash
# --format oci and --format docker are taken by other tools: skopeo inspect,
# umoci unpack, podman load + podman run printing the image's line.
. "$(dirname "$0")/lib.sh"
for t in skopeo umoci podman runc; do
        command -v $t >/dev/null || skip "$t is not installed (apt-get install skopeo umoci podman runc)"
done
[ "$(id -u)" = 0 ] || skip "podman and umoci run as root here"
cd "$T"
make_base base.tar.gz
cat >app.manifest <<'M'
Base: base.tar.gz
Env: WHO=layers

Run: echo "hello from $WHO" >/msg && echo doomed >/doomed

Remove: /doomed /usr/bin/ls

Cmd: ["/bin/cat", "/msg"]
M
"$MKROOT" build app.manifest --format oci -o app.oci.tar 2>/dev/null || fail "build oci"
"$MKROOT" build app.manifest --format docker -o app.docker.tar 2>/dev/null || fail "build docker"

# skopeo
skopeo inspect oci-archive:app.oci.tar >sk.json 2>sk.err || fail "skopeo inspect: $(cat sk.err)"
python3 - sk.json <<'PY' || fail "skopeo inspect: $(cat sk.json)"
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j["Layers"]) == 3, j["Layers"]
assert "WHO=layers" in j["Env"], j["Env"]
PY
skopeo inspect --config oci-archive:app.oci.tar >skc.json 2>/dev/null || fail "skopeo inspect --config"
grep -q '"created_by": *"Run: echo' skc.json || fail "history lacks the step: $(cat skc.json)"

# umoci wants a layout directory.
mkdir layout && tar -xf app.oci.tar -C layout
umoci unpack --image layout:localhost/app:latest bundle >umoci.out 2>&1 || fail "umoci unpack: $(cat umoci.out)"
[ "$(cat bundle/rootfs/msg)" = "hello from layers" ] || fail "umoci: /msg wrong"
[ ! -e bundle/rootfs/doomed ] || fail "umoci: removed /doomed is there"
[ ! -e bundle/rootfs/usr/bin/ls ] || fail "umoci: removed /usr/bin/ls is there"
[ -z "$(find bundle/rootfs -name '.wh.*')" ] || fail "umoci: whiteouts left over"

# podman, in a storage of its own (vfs: no mounts to leave behind).
P=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs
   --cgroup-manager cgroupfs)
CLEANUP_HOOKS+=('"${P[@]}" rmi -a -f >/dev/null 2>&1')
# The containers' and conmon's cgroups go below a parent of the test's own,
# removed at the end (podman's default, /libpod_parent, would stay behind).
CGP=runroot-$$-interop
had_libpod_parent=
for d in /sys/fs/cgroup/*/libpod_parent; do
        [ ! -d "$d" ] || had_libpod_parent=yes
done
CLEANUP_HOOKS+=('cgroup_tree_remove "$CGP"' '[ -n "$had_libpod_parent" ] || cgroup_tree_remove libpod_parent')
# crun refuses this host's hybrid cgroup layout; the default rlimits exceed
# the hard limits here.
RUN=(run --rm --runtime runc --network none --cgroup-parent "/$CGP" --ulimit nofile=1024:1024
     --ulimit nproc=4096:4096)
for f in oci docker; do
        "${P[@]}" load -i app.$f.tar >load.out 2>&1 || fail "podman load $f: $(cat load.out)"
        grep -q 'localhost/app:latest' load.out || fail "podman load $f: $(cat load.out)"
        out=$(timeout 120 "${P[@]}" "${RUN[@]}" localhost/app:latest 2>run.err) ||
                fail "podman run ($f): $(cat run.err)"
        [ "$out" = "hello from layers" ] || fail "podman run ($f) printed '$out'"
        "${P[@]}" rmi -f localhost/app:latest >/dev/null 2>&1
done
[ -n "$had_libpod_parent" ] || [ ! -d /sys/fs/cgroup/memory/libpod_parent ] ||
        fail "podman made /libpod_parent, outside the test's parent /$CGP"
echo PASS
