#!/bin/bash
# Images through a real registry (Debian's docker-registry, started here
# on 127.0.0.1 with its own storage and config, plain HTTP): mkroot build
# --push and mkroot push publish, podman pulls and runs it, runroot pulls
# it into the cache by digest and runs it; a second pull downloads no
# blob, one by digest asks the registry nothing; a blob tampered with in
# the registry's storage (skopeo's check) or in what skopeo wrote (ours)
# is refused in one line with nothing left in the cache; an unknown tag
# and a missing skopeo are one line and exit 125. A container kept by
# --name shows in ps and inspect the reference pinned to its digest.
set -euo pipefail
: "${MKROOT:?}" "${RUNROOT:?}"
. "$(dirname "$0")/../../helpers/procs.sh"
export LC_ALL=C
unset LD_LIBRARY_PATH LD_PRELOAD SOURCE_DATE_EPOCH
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "runroot and podman run as root here"
for t in skopeo docker-registry python3; do
        command -v $t >/dev/null || skip "$t is not installed (tools/install-deps --test)"
done
T=$(mktemp -d /tmp/mkroot-registry.XXXXXX)
export MKROOT_CACHE="$T/cache"
REG_PID=
# conmon's cgroups go below this parent (else /libpod_parent on the host),
# removed at the end.
CGP=runroot-$$-podman
P=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs
   --cgroup-manager cgroupfs)
cleanup() {
        [ -z "$REG_PID" ] || stop_child "$REG_PID" docker-registry
        [ -d "$T/podman" ] && "${P[@]}" rmi -a -f >/dev/null 2>&1
        cgroup_tree_remove "$CGP"
        # the detached container below, stopped and removed if still there
        "$RUNROOT" rm -f regd >/dev/null 2>&1
        rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

# The registry, on a port nothing listens on.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
R=127.0.0.1:$PORT
cat >config.yml <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $T/storage
http:
  addr: $R
EOF
docker-registry serve config.yml >registry.log 2>&1 &
REG_PID=$!
up=
for _ in $(seq 100); do
        if python3 -c "import urllib.request; urllib.request.urlopen('http://$R/v2/', timeout=1)" 2>/dev/null; then
                up=1
                break
        fi
        is_child "$REG_PID" || fail "docker-registry exited: $(tail -3 registry.log)"
        sleep 0.1
done
[ -n "$up" ] || fail "docker-registry did not answer on $R: $(tail -3 registry.log)"
# Counts of the access log's lines (awk: 0 when none, an error when the log
# cannot be read).
blob_gets() { awk -v p="\"GET /v2/$1/blobs/" 'index($0, p) { n++ } END { print n + 0 }' registry.log; }
requests() { awk '/"(GET|HEAD) \/v2\// { n++ } END { print n + 0 }' registry.log; }

# mkroot build --push, and mkroot push of a rootfs tarball.
echo "hello through a registry" >msg
cat >app.manifest <<'M'
Base: scratch
Add: /bin/cat

Copy: msg /msg

Cmd: ["/bin/cat", "/msg"]
M
"$MKROOT" build -q --push "$R/app:1" --tls-verify=false -o app.oci.tar app.manifest 2>build.err ||
        fail "mkroot build --push: $(cat build.err)"
skopeo inspect --raw --tls-verify=false "docker://$R/app:1" >raw.json 2>sk.err ||
        fail "skopeo inspect after the push: $(cat sk.err)"
D=$(sha256sum <raw.json | cut -d' ' -f1)
"$MKROOT" -q -o rootfs.tar.gz /bin/cat
"$MKROOT" push -q --tls-verify=false rootfs.tar.gz "docker://$R/plain:1" 2>push.err ||
        fail "mkroot push rootfs.tar.gz: $(cat push.err)"
skopeo inspect --tls-verify=false "docker://$R/plain:1" >plain.json 2>sk.err ||
        fail "skopeo inspect plain:1: $(cat sk.err)"
grep -q '"Layers": \[' plain.json || fail "plain:1 has no layers: $(cat plain.json)"

# A docker-save archive goes as it is.
"$MKROOT" build -q --format docker -o app.docker.tar app.manifest 2>build.err ||
        fail "build --format docker: $(cat build.err)"
"$MKROOT" push -q --tls-verify=false app.docker.tar "$R/dock:1" 2>push.err ||
        fail "mkroot push app.docker.tar: $(cat push.err)"
skopeo inspect --tls-verify=false "docker://$R/dock:1" >dock.json 2>sk.err ||
        fail "skopeo inspect dock:1: $(cat sk.err)"

# podman pulls and runs it (runc: crun refuses this host's hybrid cgroups),
# with its cgroups below this test's own parent: none appears elsewhere.
# (runroot-PID-... directories are runroot's runs and other tests'
# parents, made meanwhile by tests running beside this one; podman names
# none so.)
"${P[@]}" info >podman-info.out 2>&1 || fail "podman info: $(tail -1 podman-info.out)"
cgs_before=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d | sort)
out=$(timeout 180 "${P[@]}" run --rm --cgroup-parent "/$CGP" --runtime runc --tls-verify=false \
        --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$R/app:1" 2>podman.err) ||
        fail "podman run $R/app:1: $(tail -3 podman.err)"
[ "$out" = "hello through a registry" ] || fail "podman run printed '$out'"
new_cgs=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d | sort | comm -13 <(echo "$cgs_before") - |
        awk -v p="/$CGP" 'substr($0, length($0) - length(p) + 1) != p && $0 !~ /\/runroot-[0-9]+-[^\/]*$/')
[ -z "$new_cgs" ] || fail "podman run left cgroups outside /$CGP: $new_cgs"
echo "podman pulled and ran $R/app:1"

# runroot pulls it into the cache and runs it; the second time no blob
# is downloaded, and by digest nothing is asked of the registry.
before=$(blob_gets app)
out=$("$RUNROOT" --tls-verify=false "$R/app:1" 2>run.err) || fail "runroot $R/app:1: $(cat run.err)"
[ "$out" = "hello through a registry" ] || fail "runroot printed '$out' ($(cat run.err))"
first=$(blob_gets app)
[ "$first" -gt "$before" ] || fail "the first pull downloaded no blob"
[ -f "cache/pulled/$D.tar" ] || fail "not in the cache by digest: $(ls cache/pulled)"
out=$("$RUNROOT" --tls-verify=false "docker://$R/app:1" 2>run.err) || fail "second run: $(cat run.err)"
[ "$out" = "hello through a registry" ] || fail "second run printed '$out'"
[ "$(blob_gets app)" = "$first" ] || fail "the second pull downloaded blobs again ($first, then $(blob_gets app))"
n=$(requests)
out=$("$RUNROOT" "docker://$R/app@sha256:$D" 2>run.err) || fail "run by digest: $(cat run.err)"
[ "$out" = "hello through a registry" ] || fail "run by digest printed '$out'"
[ "$(requests)" = "$n" ] || fail "a cached digest still asked the registry"
echo "pulled once: $((first - before)) blob GETs, then none"
# A container kept by --name shows the reference it was run from, pinned
# to its digest, in ps and inspect (not the cache's pulled/HEX.tar).
"$RUNROOT" --tls-verify=false --name regapp "$R/app:1" >/dev/null 2>run.err ||
        fail "runroot --name regapp $R/app:1: $(cat run.err)"
want="docker://$R/app:1@sha256:$D"
"$RUNROOT" ps -a --format json >ps.json 2>ps.err || fail "ps -a: $(cat ps.err)"
img=$(python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join(r["Image"] for r in rows if r["Names"] == "regapp"))' ps.json) || fail "ps -a: $(cat ps.json)"
[ "$img" = "$want" ] || fail "ps shows regapp's image as '$img', not $want"
"$RUNROOT" ps -a >ps.out 2>ps.err || fail "ps -a: $(cat ps.err)"
grep -q "regapp  *$want  " ps.out || fail "ps's table: $(cat ps.out)"
"$RUNROOT" inspect regapp >inspect.json 2>inspect.err || fail "inspect regapp: $(cat inspect.err)"
img=$(python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
o = o[0] if isinstance(o, list) else o
print(o["Image"], o["Config"]["Image"])' inspect.json) || fail "inspect regapp: $(cat inspect.json)"
[ "$img" = "$want $want" ] || fail "inspect shows regapp's image as '$img', not $want"
"$RUNROOT" rm regapp >/dev/null 2>rm.err || fail "rm regapp: $(cat rm.err)"
# The same for one run with -d (its monitor records it).
"$RUNROOT" --tls-verify=false -d --name regd "$R/app:1" >/dev/null 2>run.err ||
        fail "runroot -d --name regd $R/app:1: $(cat run.err)"
st=$("$RUNROOT" wait regd 2>run.err) || fail "wait regd: $(cat run.err)"
[ "$st" = 0 ] || fail "regd ended with status $st"
img=$("$RUNROOT" inspect regd 2>inspect.err | python3 -c 'import json, sys
o = json.load(sys.stdin)
o = o[0] if isinstance(o, list) else o
print(o["Image"])') || fail "inspect regd: $(cat inspect.err)"
[ "$img" = "$want" ] || fail "inspect shows -d's regd image as '$img', not $want"
"$RUNROOT" rm regd >/dev/null 2>rm.err || fail "rm regd: $(cat rm.err)"
echo "ps and inspect show $want"
# A file of that name is a file, whatever it looks like.
mkdir -p "$R"
echo "a file, not the registry" >msg
"$MKROOT" build -q -o "$R/app:1" --format oci app.manifest 2>build.err || fail "build into $R/app:1"
n=$(requests)
out=$("$RUNROOT" "$R/app:1" 2>run.err) || fail "runroot of the file $R/app:1: $(cat run.err)"
[ "$out" = "a file, not the registry" ] || fail "the file $R/app:1 was not run: '$out'"
[ "$(requests)" = "$n" ] || fail "a file of that name still asked the registry"
rm -rf "${T:?}/$R"

# A blob tampered with in the registry's storage: skopeo refuses it.
echo "second image" >msg
"$MKROOT" build -q --push "$R/app:2" --tls-verify=false -o app2.oci.tar app.manifest 2>build.err ||
        fail "build --push app:2: $(cat build.err)"
L=$(skopeo inspect --raw --tls-verify=false "docker://$R/app:2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][-1]["digest"][7:])')
data="$T/storage/docker/registry/v2/blobs/sha256/${L:0:2}/$L/data"
[ -f "$data" ] || fail "no blob at $data"
flip_byte "$data" 40
pulled_before=$(ls cache/pulled | wc -l)
rc=0
"$RUNROOT" --tls-verify=false "$R/app:2" >out 2>err || rc=$?
[ "$rc" = 125 ] || fail "tampered blob: exit $rc, not 125 ($(cat err))"
[ "$(wc -l <err)" = 1 ] || fail "tampered blob: not one line: $(cat err)"
grep -q "^runroot: $R/app:2: skopeo copy: .*[Dd]igest did not match" err ||
        fail "tampered blob: $(cat err)"
[ "$(ls cache/pulled | wc -l)" = "$pulled_before" ] || fail "tampered image published: $(ls cache/pulled)"
[ -z "$(ls cache/tmp)" ] || fail "tampered pull left $(ls cache/tmp)"
echo "tampered blob refused: $(cat err)"

# A skopeo that writes a tampered archive: runroot's own sha256 check.
mkdir bin
cat >bin/skopeo <<EOF
#!/bin/sh
/usr/bin/skopeo "\$@" || exit
[ "\$1" = copy ] || exit 0
for a; do out=\$a; done
python3 - "\${out#oci-archive:}" <<'PY'
import sys, tarfile
p = sys.argv[1]
with tarfile.open(p) as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
big = max((m for m, d in members if d), key=lambda m: m.size)
with tarfile.open(p, "w") as t:
    for m, d in members:
        if m is big:
            d = d[:100] + bytes([d[100] ^ 1]) + d[101:]
        t.addfile(m, __import__("io").BytesIO(d) if d is not None else None)
PY
EOF
chmod +x bin/skopeo
echo "third image" >msg
"$MKROOT" build -q --push "$R/app:3" --tls-verify=false -o app3.oci.tar app.manifest 2>build.err ||
        fail "build --push app:3: $(cat build.err)"
rc=0
PATH="$T/bin:$PATH" "$RUNROOT" --tls-verify=false "$R/app:3" >out 2>err || rc=$?
[ "$rc" = 125 ] || fail "tampered archive: exit $rc, not 125 ($(cat err))"
[ "$(wc -l <err)" = 1 ] || fail "tampered archive: not one line: $(cat err)"
grep -q "^runroot: $R/app:3: layer 1 .*sha256" err || fail "tampered archive: $(cat err)"
[ "$(ls cache/pulled | wc -l)" = "$pulled_before" ] || fail "tampered archive published: $(ls cache/pulled)"
[ -z "$(ls cache/tmp)" ] || fail "tampered archive left $(ls cache/tmp)"
echo "tampered archive refused: $(cat err)"

# An unknown tag: one line, 125.
rc=0
"$RUNROOT" --tls-verify=false "$R/app:nope" >out 2>err || rc=$?
[ "$rc" = 125 ] || fail "unknown tag: exit $rc ($(cat err))"
[ "$(wc -l <err)" = 1 ] || fail "unknown tag: not one line: $(cat err)"
grep -q "^runroot: $R/app:nope: skopeo inspect: .*manifest unknown" err || fail "unknown tag: $(cat err)"

# Without skopeo: one line naming the package.
mkdir empty
rc=0
PATH="$T/empty" "$RUNROOT" "docker://$R/app:9" >out 2>err || rc=$?
[ "$rc" = 125 ] || fail "no skopeo: runroot exit $rc ($(cat err))"
[ "$(cat err)" = "runroot: docker://$R/app:9: skopeo: not found in \$PATH (install the package skopeo)" ] ||
        fail "no skopeo: $(cat err)"
rc=0
PATH="$T/empty" "$MKROOT" push app.oci.tar "docker://$R/app:9" >out 2>err || rc=$?
[ "$rc" = 1 ] || fail "no skopeo: mkroot push exit $rc ($(cat err))"
grep -qx "mkroot: docker://$R/app:9: skopeo: not found in \$PATH (install the package skopeo)" err ||
        fail "no skopeo: mkroot push: $(cat err)"
echo PASS
