#!/bin/bash
# --format given twice: the last one wins, for what is written and for the
# default output name alike (the image writer's format and the layer
# format once followed two variables: --format oci --format initramfs
# wrote an OCI archive into initrd.gz).
. "$(dirname "$0")/lib.sh"
cd "$T"
# Member names of a newc cpio (uncompressed) on stdin, one a line.
cpionames() {
        python3 -c '
import sys
d = sys.stdin.buffer.read()
o = 0
while o + 110 <= len(d):
    h = d[o:o + 110]
    if h[:6] != b"070701":
        sys.exit("not a newc cpio at offset %d" % o)
    size, namesize = int(h[54:62], 16), int(h[94:102], 16)
    name = d[o + 110:o + 110 + namesize - 1].decode()
    if name == "TRAILER!!!":
        sys.exit(0)
    print(name)
    o = (o + 110 + namesize + 3) & ~3
    o = (o + size + 3) & ~3
sys.exit("no TRAILER!!!")'
}
# Member names of a tar (any compression).
tarnames() { python3 -c 'import sys, tarfile; print("\n".join(tarfile.open(sys.argv[1]).getnames()))' "$1"; }

# oci, then initramfs: a gzip'd newc cpio (with the /init an initramfs needs).
"$MKROOT" -q --format oci --format initramfs --init /bin/true -o X.gz /bin/true
gzip -t X.gz || fail "X.gz is not gzip"
gzip -dc X.gz >X.cpio
[ "$(head -c 6 X.cpio)" = 070701 ] || fail "X.gz holds no newc cpio: $(head -c 16 X.cpio | od -c | head -2)"
cpionames <X.cpio >X.names || fail "X.gz: $(cat X.names)"
grep -qx 'usr/bin/true' X.names || fail "X.gz lacks usr/bin/true: $(head X.names)"
# ... and without -o, the initramfs's default name.
mkdir d && (cd d && "$MKROOT" -q --format docker --format cpio --init /bin/true /bin/true)
[ "$(ls d)" = initrd.gz ] || fail "default output of --format docker --format cpio: $(ls d)"
gzip -dc d/initrd.gz | cpionames >/dev/null || fail "d/initrd.gz is no gzip'd cpio"

# initramfs, then oci: an OCI layout tar.
"$MKROOT" -q --format initramfs --format oci -o Y.tar /bin/true
tarnames Y.tar >Y.names || fail "Y.tar is not a tar"
grep -qx 'oci-layout' Y.names || fail "Y.tar has no oci-layout: $(head Y.names)"
grep -qx 'index.json' Y.names || fail "Y.tar has no index.json"

# oci, then tar: a rootfs tarball, not an OCI archive.
"$MKROOT" -q --format oci --format tar -o Z.tar /bin/true
tarnames Z.tar >Z.names || fail "Z.tar is not a tar"
if grep -qx 'oci-layout' Z.names; then fail "--format oci --format tar wrote an OCI archive"; fi
grep -qx 'usr/bin/true' Z.names || fail "Z.tar lacks usr/bin/true: $(head Z.names)"

echo "ok"
