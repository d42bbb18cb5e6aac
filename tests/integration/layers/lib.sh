# Shared by the layer integration tests.
set -euo pipefail
: "${MKROOT:?}"
export LC_ALL=C
unset LD_LIBRARY_PATH LD_PRELOAD SOURCE_DATE_EPOCH
T=$(mktemp -d /tmp/mkroot-layers.XXXXXX)
export MKROOT_CACHE="$T/cache"
. "$(dirname "${BASH_SOURCE[0]}")/../../helpers/procs.sh"
CLEANUP_HOOKS=()
cleanup() {
        for h in "${CLEANUP_HOOKS[@]}"; do eval "$h" || true; done
        mkroot_user_gone
        # An unpacked layer may hold files only root can remove; nothing is
        # mounted below $T once the hooks ran.
        rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# Names in a tar (any compression), one per line, without "./".
names() { tar -tf "$1" | sed 's|^\./||'; }
# A small base image from host programs: a shell and a few tools.
make_base() {
        "$MKROOT" -q -o "$1" /bin/sh /bin/cat /bin/rm /bin/ln /bin/mkdir /bin/echo /bin/ls
}
# craft_docker OUT LAYERSPEC... : a docker-save archive whose layers hold
# exactly the given entries. A LAYERSPEC is "name=contents" for a file,
# "name->target" for a symlink, "name/" for a directory, separated by ';'.
craft_docker() {
        python3 - "$@" <<'PY'
import hashlib, io, json, sys, tarfile
out, specs = sys.argv[1], sys.argv[2:]
def layer(spec):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for item in filter(None, spec.split(";")):
            ti = tarfile.TarInfo()
            if "->" in item:
                ti.name, ti.linkname = item.split("->", 1)
                ti.type = tarfile.SYMTYPE
                t.addfile(ti)
            elif item.endswith("/"):
                ti.name, ti.type, ti.mode = item[:-1], tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.name, data = item.split("=", 1)
                data = (data + "\n").encode()
                ti.size, ti.mode = len(data), 0o755 if data.startswith(b"#!") else 0o644
                t.addfile(ti, io.BytesIO(data))
    return b.getvalue()
blobs = [layer(s) for s in specs]
ids = [hashlib.sha256(b).hexdigest() for b in blobs]
import os
if os.environ.get("CRAFT_LIE"):  # claim digests the layers do not have
    ids = [hashlib.sha256(b"lie" + b).hexdigest() for b in blobs]
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + i for i in ids]},
                  "history": [{"created_by": "crafted %d" % n} for n in range(len(ids))]}).encode()
cid = hashlib.sha256(cfg).hexdigest()
with tarfile.open(out, "w") as t:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    add(cid + ".json", cfg)
    for i, b in zip(ids, blobs):
        add(i + "/layer.tar", b)
    add("manifest.json", json.dumps([{"Config": cid + ".json", "RepoTags": ["crafted:latest"],
                                      "Layers": [i + "/layer.tar" for i in ids]}]).encode())
PY
}
