#!/bin/bash
# runroot on layered images: OCI and docker archives from mkroot and from
# podman save; each layer unpacked once and stacked, whiteouts honoured,
# the config's Env/Cmd/Entrypoint/WorkingDir/User used unless the command
# line says otherwise; two images on one base share the base's directory;
# a symlink planted by one layer does not lead a later one out.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
[ "$(id -u)" = 0 ] || skip "runroot tests run as root"
cd "$T"
"$MKROOT" -q -o base.tar.gz /bin/sh /bin/cat /bin/ls /bin/echo /bin/mkdir /bin/sleep /usr/bin/id /bin/pwd /usr/bin/env
cat >one.manifest <<'M'
Base: base.tar.gz
Env: WHO=one

Run: mkdir -p /srv/app && echo "hello from $WHO" >/srv/app/msg && echo x >/srv/app/doomed

Remove: /srv/app/doomed /usr/bin/ls

Cmd: ["/bin/cat", "msg"]
Workdir: /srv/app
User: 4242:4343
M
sed -e 's/WHO=one/WHO=two/' -e 's/4242:4343/0:0/' one.manifest >two.manifest
"$MKROOT" build one.manifest --format oci -o one.oci.tar 2>/dev/null || fail "build one"
"$MKROOT" build two.manifest --format docker -o two.docker.tar 2>/dev/null || fail "build two"
"$MKROOT" build one.manifest --format oci -o again.oci.tar 2>/dev/null

# Config defaults: Cmd run in WorkingDir as User with Env.
out=$("$RUNROOT" one.oci.tar 2>err) || fail "runroot one: $(cat err)"
[ "$out" = "hello from one" ] || fail "Cmd/WorkingDir: got '$out'"
out=$("$RUNROOT" one.oci.tar /usr/bin/id -u 2>err) || fail "id: $(cat err)"
[ "$out" = 4242 ] || fail "User: uid $out"
out=$("$RUNROOT" one.oci.tar /usr/bin/env 2>err) || fail "env: $(cat err)"
echo "$out" | grep -qx 'WHO=one' || fail "Env: $out"
out=$("$RUNROOT" one.oci.tar /bin/pwd 2>err)
[ "$out" = /srv/app ] || fail "WorkingDir: $out"
# The command line wins.
out=$("$RUNROOT" -u 0 -w / -e WHO=cli one.oci.tar /bin/sh -c 'echo $WHO $(id -u) $(pwd)' 2>err) ||
        fail "overrides: $(cat err)"
[ "$out" = "cli 0 /" ] || fail "command-line flags did not win: $out"
# Whiteouts: removed paths are gone under runroot too.
"$RUNROOT" -u 0 one.oci.tar /bin/sh -c 'test ! -e /srv/app/doomed && test ! -e /usr/bin/ls' ||
        fail "a removed file is visible under runroot"
out=$("$RUNROOT" two.docker.tar 2>err) || fail "runroot docker: $(cat err)"
[ "$out" = "hello from two" ] || fail "docker archive: got '$out'"

# One copy of the base: the base layer's directory is shared.
base_blob=$(python3 - one.oci.tar <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
idx = json.load(t.extractfile("index.json"))
m = json.load(t.extractfile("blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
print(m["layers"][0]["digest"][7:])
PY
)
[ -d "$MKROOT_CACHE/layers/oci/sha256/$base_blob" ] || fail "base layer not unpacked by its digest"
"$MKROOT" build two.manifest --format oci -o two.oci.tar 2>/dev/null
# In a cache of their own: both images' layers, the shared ones once.
RC="$T/rcache"
MKROOT_CACHE=$RC "$RUNROOT" one.oci.tar /bin/echo >/dev/null || fail "runroot one (own cache)"
MKROOT_CACHE=$RC "$RUNROOT" two.oci.tar /bin/echo >/dev/null || fail "runroot two (own cache)"
distinct=$(python3 - one.oci.tar two.oci.tar <<'PY'
import json, sys, tarfile
seen = set()
for f in sys.argv[1:]:
    t = tarfile.open(f)
    idx = json.load(t.extractfile("index.json"))
    m = json.load(t.extractfile("blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
    seen.update(l["digest"] for l in m["layers"])
print(len(seen))
PY
)
n=$(ls "$RC/layers/oci/sha256" | wc -l)
# + 1: the mount-point layer every stack has at the bottom.
[ "$n" = $((distinct + 1)) ] || fail "$n layer dirs for $distinct distinct layers"
[ -d "$RC/layers/oci/sha256/$base_blob" ] || fail "the base is not unpacked by its digest"
[ "$(grep -l "$base_blob" "$RC"/stacks/* | wc -l)" = 2 ] || fail "the two stacks do not share the base"

# cache gc prunes unpacked layers not used for N days, but never one a
# running container stacks.
"$RUNROOT" one.oci.tar /bin/sleep 60 >/dev/null 2>&1 &
sleeper=$!
CLEANUP_HOOKS+=("kill $sleeper 2>/dev/null; wait $sleeper 2>/dev/null")
for _ in $(seq 50); do
        grep -qs "$base_blob" /proc/*/mountinfo && break
        sleep 0.1
done
grep -qs "$base_blob" /proc/*/mountinfo || fail "the container of one.oci.tar did not start"
# The layers (cache keys: the digest of each layer file) of each image.
layer_digests() {
        python3 - "$1" <<'PY'
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
names = t.getnames()
if "index.json" in names:
    idx = json.load(t.extractfile("index.json"))
    m = json.load(t.extractfile("blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
    for l in m["layers"]:
        print(l["digest"][7:])
else:
    for path in json.load(t.extractfile("manifest.json"))[0]["Layers"]:
        print(hashlib.sha256(t.extractfile(path).read()).hexdigest())
PY
}
layer_digests one.oci.tar >one.layers
layer_digests two.docker.tar >two.layers
# (grep: 1 is "no line of its own", caught below; 2 is an error)
two_only=$(grep -vxF -f one.layers two.layers) || [ $? = 1 ] || fail "grep one.layers two.layers failed"
[ -n "$two_only" ] || fail "two.docker.tar has no layer of its own: the gc check below would be empty"
for d in $(cat one.layers) $two_only; do
        [ -d "$MKROOT_CACHE/layers/oci/sha256/$d" ] || fail "layer $d was never unpacked"
done
touch -d '10 days ago' "$MKROOT_CACHE"/layers/oci/sha256/* "$MKROOT_CACHE"/locks/tree-oci-*.lock
"$MKROOT" cache gc --keep-days 5 >gc.out || fail "cache gc"
# Every layer of the running container's stack is kept, the base and the
# others; the old layers only two.docker.tar uses are gone (so gc did
# remove what it may).
for d in $(cat one.layers); do
        [ -d "$MKROOT_CACHE/layers/oci/sha256/$d" ] || fail "gc removed layer $d, which a running container uses"
done
for d in $two_only; do
        [ ! -d "$MKROOT_CACHE/layers/oci/sha256/$d" ] || fail "gc kept layer $d, old and unused: $(cat gc.out)"
done
kill $sleeper
# (Ended by that SIGTERM: 143 is its status.)
rc=0
wait $sleeper 2>/dev/null || rc=$?
[ $rc = 143 ] || fail "the sleeping container ended with status $rc, not by SIGTERM"
touch -d '10 days ago' "$MKROOT_CACHE"/layers/oci/sha256/* "$MKROOT_CACHE"/locks/tree-oci-*.lock
"$MKROOT" cache gc --keep-days 5 >gc.out || fail "cache gc"
[ ! -d "$MKROOT_CACHE/layers/oci/sha256/$base_blob" ] || fail "gc kept an old unused layer: $(cat gc.out)"
out=$("$RUNROOT" one.oci.tar 2>err) || fail "runroot after gc: $(cat err)"
[ "$out" = "hello from one" ] || fail "after gc: got '$out'"

# podman save, docker and OCI formats (podman and runc are test
# dependencies: tools/install-deps --test).
command -v podman >/dev/null && command -v runc >/dev/null ||
        fail "podman and runc are needed for the podman save cases (tools/install-deps --test)"
P=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs
   --cgroup-manager cgroupfs)
CLEANUP_HOOKS+=('"${P[@]}" rmi -a -f >/dev/null 2>&1')
"${P[@]}" load -i one.oci.tar >/dev/null 2>&1 || fail "podman load"
"${P[@]}" save --format docker-archive -o ps.docker.tar localhost/one:latest >/dev/null 2>&1 ||
        fail "podman save docker-archive"
"${P[@]}" save --format oci-archive -o ps.oci.tar localhost/one:latest >/dev/null 2>&1 ||
        fail "podman save oci-archive"
for f in ps.docker.tar ps.oci.tar; do
        out=$("$RUNROOT" $f 2>err) || fail "runroot $f: $(cat err)"
        [ "$out" = "hello from one" ] || fail "runroot $f printed '$out'"
        "$RUNROOT" -u 0 $f /bin/sh -c 'test ! -e /srv/app/doomed' || fail "$f: whiteout lost"
done

# layer-symlink-escape under runroot: the crafted layers (x -> /etc and
# y -> ../../.., then x/FILE and y/FILE) below a layer with a shell.
F=mkroot-escape-$$
CLEANUP_HOOKS+=('rm -rf "/etc/$F" "/$F"')
craft_docker evil.tar "etc/;x->/etc;y->../../.." "x/$F=via x;y/$F=via y"
printf 'Base: evil.tar\n\nAdd: /bin/sh /bin/cat /bin/ls\n' >evil.manifest
"$MKROOT" build evil.manifest --format oci -o evil.oci.tar 2>/dev/null || fail "build evil"
out=$("$RUNROOT" evil.oci.tar /bin/sh -c "cat /x/$F /y/$F; ls /etc" 2>err) || fail "runroot evil: $(cat err)"
echo "$out" | grep -qx 'via x' && echo "$out" | grep -qx 'via y' || fail "evil: got '$out'"
[ ! -e "/etc/$F" ] && [ ! -e "/$F" ] || fail "runroot wrote through a layer's symlink onto the host"
for h in "$MKROOT_CACHE"/layers/oci/sha256/*; do
        [ ! -e "$h/etc/$F" ] || fail "unpacking followed x into the layer's /etc"
done
# An archive whose layer is not what its config claims is refused, and
# nothing of it is kept.
CRAFT_LIE=1 craft_docker liar.tar "bin/;bin/sh=#!/bin/sh"
before=$(ls "$MKROOT_CACHE/layers/oci/sha256" | wc -l)
set +e; "$RUNROOT" liar.tar /bin/sh -c true >out 2>err; rc=$?; set -e
[ $rc = 125 ] || fail "a lying archive ran (exit $rc)"
grep -q 'liar.tar.*sha256' err || fail "no clear message: $(cat err)"
[ "$(ls "$MKROOT_CACHE/layers/oci/sha256" | wc -l)" = "$before" ] || fail "a lying layer was kept"
echo PASS
