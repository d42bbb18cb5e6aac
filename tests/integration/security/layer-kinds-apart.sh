#!/bin/bash
# layer-kinds-apart: a rootfs tarball and an OCI (or docker-save) layer
# with the same bytes are two different things. Only a layer's ".wh.NAME"
# entries are deletions; in a rootfs tarball they are plain files. Before
# the fix both were unpacked into one tree named by the file's digest, so
# running an image's layer blob once as a rootfs made the files the image
# deletes reappear in the image, and the reverse. Each case runs in a fresh
# cache, in both orders, as root and as an unprivileged user.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
command -v python3 >/dev/null || skip "needs python3"
RUNROOT=$(realpath "$RUNROOT")

# Layer 1: the busybox image plus the files the next layer deletes. Layer 2:
# busybox again (so that it runs on its own as a rootfs), a whiteout for
# /etc/doomed, an opaque whiteout for /opt/d, and a file of its own.
copy_image "$T/l1"
mkdir -p "$T/l1/etc" "$T/l1/opt/d" "$T/l2/etc" "$T/l2/opt/d" "$T/l2/bin"
echo doomed >"$T/l1/etc/doomed"
echo old >"$T/l1/opt/d/old"
cp -a "$T/img/bin/." "$T/l2/bin/"
: >"$T/l2/etc/.wh.doomed"
: >"$T/l2/opt/d/.wh..wh..opq"
echo new >"$T/l2/opt/d/new"
echo two >"$T/l2/etc/added"

# OCI layout with gzip layers, the same as a docker-save archive with
# plain tar layers, and the second layer's bytes as standalone tarballs.
mkdir -p "$T/lay"
"$(dirname "$0")/../../helpers/mkoci.py" --gzip --config '{"Cmd": ["/bin/sh"]}' \
        --docker "$T/image.docker.tar" --layers-to "$T/lay" "$T/image.oci.tar" "$T/l1" "$T/l2" ||
        fail "making the archives"
mv "$T/lay/2.tar.gz" "$T/layer2.tar.gz"
mv "$T/lay/2.tar" "$T/layer2.tar"
rm -r "$T/lay"
chmod 644 "$T"/*.tar "$T"/*.tar.gz

# What each view must show: the image without what its top layer deletes;
# the layer as a rootfs with its whiteout files as plain files.
IMAGE_CHECK='test ! -e /etc/doomed && test ! -e /opt/d/old && test -f /opt/d/new &&
        test -f /etc/added && test ! -e /etc/.wh.doomed && echo image-ok || ls -a /etc /opt/d'
ROOTFS_CHECK='test -f /etc/.wh.doomed && test -f /opt/d/.wh..wh..opq && test ! -e /etc/doomed &&
        test -f /opt/d/new && echo rootfs-ok || ls -a /etc /opt/d'

# run WHO CACHE IMAGE CHECK: prints the check's output (and errors).
run() {
        local who=$1 cache=$2 img=$3 check=$4
        if [ "$who" = root ]; then
                "$RUNROOT" --cache-dir "$cache" -u 0 "$img" /bin/sh -c "$check" 2>&1
        else
                su -s /bin/sh "$who" -c "'$T/bin/runroot' --cache-dir '$cache' -u 0 '$img' \
                        /bin/sh -c '$check'" 2>&1
        fi
}

# one WHO ARCHIVE LAYERFILE LABEL: both orders, each in a fresh cache.
one() {
        local who=$1 archive=$2 layer=$3 label=$4 c out
        c=$CACHES/$label-layer-first
        out=$(run "$who" "$c" "$layer" "$ROOTFS_CHECK")
        [ "$out" = rootfs-ok ] || fail "$label: the layer as a rootfs first: $out"
        out=$(run "$who" "$c" "$archive" "$IMAGE_CHECK")
        [ "$out" = image-ok ] && pass "$label: the image after its layer ran as a rootfs" ||
                fail "$label: the image after its layer ran as a rootfs: deleted files back: $out"
        c=$CACHES/$label-image-first
        out=$(run "$who" "$c" "$archive" "$IMAGE_CHECK")
        [ "$out" = image-ok ] || fail "$label: the image first: $out"
        out=$(run "$who" "$c" "$layer" "$ROOTFS_CHECK")
        [ "$out" = rootfs-ok ] && pass "$label: the layer as a rootfs after the image" ||
                fail "$label: the layer as a rootfs after the image (whiteouts applied): $out"
        # Warm, the same again: neither view took the other's tree.
        out=$(run "$who" "$c" "$archive" "$IMAGE_CHECK")
        [ "$out" = image-ok ] || fail "$label: the image, warm: $out"
}

CACHES=$T/caches
mkdir -p "$CACHES"
one root "$T/image.oci.tar" "$T/layer2.tar.gz" "root oci+gzip"
one root "$T/image.docker.tar" "$T/layer2.tar" "root docker+tar"

# A cache of the old format (one layers/sha256/ for both kinds) where the
# layer was once unpacked as a rootfs: never read, and gc removes it.
c=$CACHES/format1
d2=$(sha256sum <"$T/layer2.tar.gz" | cut -d' ' -f1)
mkdir -p -m 700 "$c" "$c/layers" && mkdir -p "$c/layers/sha256/$d2"
cp -a "$T/l2/." "$c/layers/sha256/$d2/"
out=$(run root "$c" "$T/image.oci.tar" "$IMAGE_CHECK")
[ "$out" = image-ok ] && pass "a format 1 tree of the same digest is not read" ||
        fail "the image with a format 1 cache: deleted files back: $out"
"$RUNROOT" --cache-dir "$c" gc || fail "runroot gc on a format 1 cache"
[ ! -e "$c/layers/sha256" ] && pass "gc removed the format 1 trees" ||
        fail "format 1 trees left after gc: $(ls "$c/layers/sha256")"

# Rootless: the same with an unprivileged user's own cache.
# A test that could not run its rootless part is a skip, not a pass.
rootless_skip() {
        [ "$FAILED" = 0 ] || finish
        skip "rootless part: $*"
}
if ! command -v useradd >/dev/null; then
        rootless_skip "no useradd"
elif [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" != 1 ]; then
        rootless_skip "unprivileged user namespaces are disabled"
else
        U=rrkind$$
        useradd -M -d "$T/home" -s /bin/sh "$U" || fail "useradd"
        trap 'userdel "$U" 2>/dev/null; cleanup' EXIT
        chmod 755 "$T"
        mkdir -p "$T/home" "$T/bin"
        chown "$U:" "$T/home"
        cp "$RUNROOT" "$T/bin/runroot"
        chmod 755 "$T/bin" "$T/bin/runroot"
        probe=$(su -s /bin/sh "$U" -c "'$T/bin/runroot' --cache-dir '$T/home/probe' '$IMAGE' /bin/true" 2>&1)
        if [ $? != 0 ]; then
                rootless_skip "rootless runroot does not run here: $probe"
        else
                CACHES=$T/home/caches
                su -s /bin/sh "$U" -c "mkdir -p '$CACHES'"
                one "$U" "$T/image.oci.tar" "$T/layer2.tar.gz" "rootless oci+gzip"
                one "$U" "$T/image.docker.tar" "$T/layer2.tar" "rootless docker+tar"
        fi
fi
finish
