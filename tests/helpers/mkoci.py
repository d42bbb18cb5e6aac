#!/usr/bin/env python3
"""Make an OCI image layout archive for the tests, from layer directories
(tarred with numeric root owners, names sorted) or ready .tar files.

mkoci.py [--gzip] [--config JSON] [--docker OUT] [--layers-to DIR] OUT LAYER...

--gzip        store gzip'd layers (else plain tar)
--config JSON the image config's "config" object (default {})
--docker OUT  also write the same image as a `docker save` archive
--layers-to D also write each layer as D/N.tar and, with --gzip, the very
              blob bytes as D/N.tar.gz (N from 1)
"""
import argparse, gzip, hashlib, io, json, os, tarfile

def layer_tar(path):
    if os.path.isfile(path):
        return open(path, "rb").read()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                p = os.path.join(root, n)
                ti = tf.gettarinfo(p, os.path.relpath(p, path))
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                if ti.isreg():
                    with open(p, "rb") as f:
                        tf.addfile(ti, f)
                else:
                    tf.addfile(ti)
    return buf.getvalue()

def sha(b):
    return hashlib.sha256(b).hexdigest()

def add(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    tf.addfile(ti, io.BytesIO(data))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--config", default="{}")
    ap.add_argument("--docker")
    ap.add_argument("--layers-to")
    ap.add_argument("out")
    ap.add_argument("layers", nargs="+")
    a = ap.parse_args()
    raw = [layer_tar(p) for p in a.layers]
    blobs = [gzip.compress(r, mtime=0) for r in raw] if a.gzip else raw
    kind = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if a.gzip else "")
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": json.loads(a.config),
                         "rootfs": {"type": "layers",
                                    "diff_ids": ["sha256:" + sha(r) for r in raw]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(config), "size": len(config)},
        "layers": [{"mediaType": kind, "digest": "sha256:" + sha(b), "size": len(b)}
                   for b in blobs]}).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + sha(manifest), "size": len(manifest)}]}).encode()
    with tarfile.open(a.out, "w") as tf:
        add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tf, "index.json", index)
        for b in [config, manifest] + blobs:
            add(tf, "blobs/sha256/" + sha(b), b)
    if a.docker:
        with tarfile.open(a.docker, "w") as tf:
            add(tf, sha(config) + ".json", config)
            for r in raw:
                add(tf, sha(r) + "/layer.tar", r)
            add(tf, "manifest.json", json.dumps([{
                "Config": sha(config) + ".json", "RepoTags": ["k:1"],
                "Layers": [sha(r) + "/layer.tar" for r in raw]}]).encode())
    if a.layers_to:
        for i, r in enumerate(raw, 1):
            open(os.path.join(a.layers_to, "%d.tar" % i), "wb").write(r)
            if a.gzip:
                open(os.path.join(a.layers_to, "%d.tar.gz" % i), "wb").write(blobs[i - 1])

main()
