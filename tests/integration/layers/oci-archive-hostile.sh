#!/bin/bash
# One reader of OCI and docker-save archives for mkroot and runroot (oci/):
# what a hostile archive says is checked the same way by both. A blob that
# is not what its digest says (config, manifest, layer), a docker Layers or
# Config path that leaves the archive, a JSON value of the wrong type and a
# size that lies are refused with a message naming the archive and the
# problem, and runroot keeps nothing of such an archive.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
[ "$(id -u)" = 0 ] || skip "runroot tests run as root"
cd "$T"
"$MKROOT" -q -o base.tar.gz /bin/sh /bin/cat /bin/echo
printf 'Base: base.tar.gz\n\nRun: echo original >/msg\n\nCmd: ["/bin/cat", "/msg"]\n' >app.manifest
"$MKROOT" build app.manifest --format oci -o app.oci.tar 2>/dev/null || fail "build oci"
"$MKROOT" build app.manifest --format docker -o app.docker.tar 2>/dev/null || fail "build docker"
out=$("$RUNROOT" app.oci.tar 2>err) || fail "runroot on the good archive: $(cat err)"
[ "$out" = original ] || fail "good archive printed '$out'"
# mkroot also reads a compressed archive (docker save | gzip), through the
# same reader and the same checks.
gzip -c app.docker.tar >app.docker.tar.gz
"$MKROOT" inspect app.docker.tar.gz >out 2>err || fail "inspect app.docker.tar.gz: $(cat err)"
grep -q '^app.docker.tar.gz: docker image, 2 layers' out || fail "inspect app.docker.tar.gz: $(cat out)"

# rewrite IN OUT WHAT: a copy of an archive with one thing changed, every
# other member as it was.
rewrite() {
        python3 - "$@" <<'PY'
import io, json, sys, tarfile
src, dst, what = sys.argv[1:4]
t = tarfile.open(src)
members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
data = {m.name: d for m, d in members}
def blob(d):
    return "blobs/sha256/" + d.split(":", 1)[1]
if "index.json" in data:
    idx = json.loads(data["index.json"])
    mname = blob(idx["manifests"][0]["digest"])
    man = json.loads(data[mname])
    cname = blob(man["config"]["digest"])
else:
    dm = json.loads(data["manifest.json"])
def put(name, d):
    data[name] = d
def same_size(d, n):  # JSON padded with blanks to the size the descriptor says
    assert len(d) <= n, (len(d), n)
    return d + b" " * (n - len(d))
if what == "config-swapped":        # Cmd changed, digests and sizes as they were
    cfg = json.loads(data[cname]); cfg["config"]["Cmd"] = ["/bin/echo", "bad"]
    put(cname, same_size(json.dumps(cfg, separators=(",", ":")).encode(), len(data[cname])))
elif what == "manifest-swapped":    # a layer dropped from the manifest only
    man["layers"] = man["layers"][:-1]
    put(mname, same_size(json.dumps(man, separators=(",", ":")).encode(), len(data[mname])))
elif what == "layer-swapped":       # the top layer's bytes replaced, its size kept
    import struct, zlib
    top = blob(man["layers"][-1]["digest"])
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as lt:
        ti = tarfile.TarInfo("msg"); payload = b"tampered\n"; ti.size = len(payload)
        lt.addfile(ti, io.BytesIO(payload))
    raw = b.getvalue()
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = co.compress(raw) + co.flush()
    trailer = struct.pack("<II", zlib.crc32(raw) & 0xffffffff, len(raw) & 0xffffffff)
    # gzip with a comment (FCOMMENT) that pads it to the original size
    head = b"\x1f\x8b\x08\x10" + b"\0\0\0\0" + b"\x02\x03"
    room = len(data[top]) - len(head) - len(body) - len(trailer) - 1
    assert room >= 0, room
    put(top, head + b"p" * room + b"\0" + body + trailer)
elif what == "size-lie":            # the manifest claims a larger layer
    man["layers"][-1]["size"] += 4096
    m2 = json.dumps(man).encode()
    import hashlib
    h = hashlib.sha256(m2).hexdigest()
    del data[mname]
    idx["manifests"][0]["digest"] = "sha256:" + h; idx["manifests"][0]["size"] = len(m2)
    put("blobs/sha256/" + h, m2); put("index.json", json.dumps(idx).encode())
    members.append((tarfile.TarInfo("blobs/sha256/" + h), None))
elif what == "env-string":          # Env a string, not an array (digests redone)
    import hashlib
    cfg = json.loads(data[cname]); cfg["config"]["Env"] = "PATH=/evil"
    c2 = json.dumps(cfg).encode(); ch = hashlib.sha256(c2).hexdigest()
    del data[cname]; put("blobs/sha256/" + ch, c2)
    members.append((tarfile.TarInfo("blobs/sha256/" + ch), None))
    man["config"]["digest"] = "sha256:" + ch; man["config"]["size"] = len(c2)
    m2 = json.dumps(man).encode(); h = hashlib.sha256(m2).hexdigest()
    del data[mname]; put("blobs/sha256/" + h, m2)
    members.append((tarfile.TarInfo("blobs/sha256/" + h), None))
    idx["manifests"][0]["digest"] = "sha256:" + h; idx["manifests"][0]["size"] = len(m2)
    put("index.json", json.dumps(idx).encode())
elif what.startswith("docker-layer="):  # a Layers entry rewritten, its member too
    new = what.split("=", 1)[1]
    old = dm[0]["Layers"][-1]
    dm[0]["Layers"][-1] = new
    put("manifest.json", json.dumps(dm).encode())
    inside = new.lstrip("/")
    if inside != old:
        data[inside] = data.pop(old)
        members.append((tarfile.TarInfo(inside), None))
elif what.startswith("docker-config="):
    dm[0]["Config"] = what.split("=", 1)[1]
    put("manifest.json", json.dumps(dm).encode())
else:
    sys.exit("unknown rewrite " + what)
with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as out:
    seen = set()
    for m, _ in members:
        if m.name in seen or (m.name not in data):
            continue
        seen.add(m.name)
        d = data[m.name]
        ti = tarfile.TarInfo(m.name)
        if d is None:
            ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            out.addfile(ti)
        else:
            ti.size = len(d); ti.mode = 0o644
            out.addfile(ti, io.BytesIO(d))
PY
}

# Every case runs, each failure is reported, and any failure fails the test.
failures=0
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Everything under the cache's layers (whatever its layout): a count that
# changes means something of an archive was kept.
cache_layers() {
        if [ -d "$MKROOT_CACHE/layers" ]; then find "$MKROOT_CACHE/layers" -mindepth 1 | wc -l; else echo 0; fi
}

# refused OUT.tar WANT...: mkroot inspect and runroot both refuse it (exit 1
# and 125), each message naming the archive and every WANT; runroot unpacks
# no layer of it.
refused() {
        local f=$1; shift
        local rc
        set +e; "$MKROOT" inspect "$f" >out 2>err; rc=$?; set -e
        [ $rc = 1 ] || { bad "mkroot inspect $f: exit $rc, $(cat out err)"; return; }
        for w in "$@"; do
                grep -q -- "$f.*$w" err || bad "mkroot inspect $f: message lacks '$w': $(cat err)"
        done
        local before
        before=$(cache_layers)
        set +e; "$RUNROOT" "$f" >out 2>err; rc=$?; set -e
        [ $rc = 125 ] || { bad "runroot $f: exit $rc, printed '$(cat out)' $(cat err)"; return; }
        for w in "$@"; do
                grep -q -- "$f.*$w" err || bad "runroot $f: message lacks '$w': $(cat err)"
        done
        [ "$(cache_layers)" = "$before" ] || bad "runroot $f: kept a layer of a refused archive"
}

# Blobs that are not what their digests say.
rewrite app.oci.tar config.tar config-swapped
refused config.tar "config blobs/sha256/" "content is sha256:"
rewrite app.oci.tar manifest.tar manifest-swapped
refused manifest.tar "manifest blobs/sha256/" "content is sha256:"
# A layer's bytes are checked when they are read: by runroot when it
# unpacks (in a cache of its own: the good layer of that digest is already
# in the shared one), by mkroot when it builds on the archive.
rewrite app.oci.tar layer.tar layer-swapped
set +e; MKROOT_CACHE="$T/fresh" "$RUNROOT" layer.tar >out 2>err; rc=$?; set -e
[ $rc = 125 ] || bad "runroot ran a swapped layer (exit $rc, printed '$(cat out)')"
grep -q 'layer.tar: layer 2 .*content is sha256:' err || bad "runroot layer.tar: $(cat err)"
top=$(python3 -c '
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
i = json.load(t.extractfile("index.json"))
m = json.load(t.extractfile("blobs/sha256/" + i["manifests"][0]["digest"][7:]))
print(m["layers"][-1]["digest"][7:])' layer.tar)
if find "$T/fresh/layers" -name "$top" 2>/dev/null | grep -q .; then
        bad "runroot kept the swapped layer"
fi
printf 'Base: layer.tar\n\nRun: true\n' >onlayer.manifest
set +e; "$MKROOT" build onlayer.manifest -o onlayer.tar.gz >out 2>err; rc=$?; set -e
[ $rc != 0 ] || bad "mkroot built on a swapped layer"
grep -q 'layer.tar: layer 2 .*content is sha256:' err || bad "mkroot build on layer.tar: $(cat err)"
# A size that lies, a JSON value of the wrong type.
rewrite app.oci.tar size.tar size-lie
refused size.tar "manifest.layers\[1\]" "the descriptor says"
rewrite app.oci.tar env.tar env-string
refused env.tar "config.Env is not an array"

# docker-save: Layers and Config paths that leave the archive, several
# spellings; the archive holds a member of that name (leading slashes
# dropped), so only the check on the name stands between it and the reader.
for p in /layer.tar //x/layer.tar ../../x/layer.tar x/../../layer.tar ./../layer.tar; do
        rewrite app.docker.tar dl.tar "docker-layer=$p"
        refused dl.tar "Layers\[[0-9]*\]" "is not a path inside the archive"
done
for p in /etc/passwd ../c.json; do
        rewrite app.docker.tar dc.tar "docker-config=$p"
        refused dc.tar "Config" "is not a path inside the archive"
done
[ "$failures" = 0 ] || exit 1
echo PASS
