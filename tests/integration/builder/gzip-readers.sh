#!/bin/bash
# The gzip mkroot writes on every core (pgz/pgz.h: members of 1 MiB of
# input, each carrying its size in an "MR" extra subfield) is the image's
# tar stream to every gzip reader (gzip, GNU tar, Python, bsdtar), the
# same bytes on one CPU as on all; zstd's through libzstd's workers, the
# same bytes on one CPU as on all too.
. "$(dirname "$0")/lib.sh"
cd "$T"
mkdir -p tree/d
head -c 2500000 /dev/urandom >tree/d/random
python3 -c 'import sys; sys.stdout.write("compressible line of an image\n" * 100000)' >tree/d/text
add=(-q --no-skeleton --add "$T/tree/d:/d" --add /bin/true)
"$MKROOT" "${add[@]}" -o img.tar || fail "mkroot .tar"
"$MKROOT" "${add[@]}" -o img.tar.gz || fail "mkroot .tar.gz"

# Sized members, one per MiB of the tar stream.
python3 - img.tar.gz img.tar >members <<'PY' || fail "members: $(cat members)"
import os, struct, sys
d = open(sys.argv[1], "rb").read()
at = n = 0
while at < len(d):
    if d[at:at + 4] != b"\x1f\x8b\x08\x04" or d[at + 12:at + 16] != b"MR\x04\x00":
        print("member %d at byte %d has no MR size field: %s" % (n, at, d[at:at + 16].hex()))
        sys.exit(1)
    at += struct.unpack("<I", d[at + 16:at + 20])[0]
    n += 1
want = (os.path.getsize(sys.argv[2]) + (1 << 20) - 1) >> 20
if at != len(d) or n != want:
    print("%d members ending at %d of %d bytes, expected %d" % (n, at, len(d), want))
    sys.exit(1)
print(n)
PY

gzip -t img.tar.gz || fail "gzip -t"
gzip -dc img.tar.gz >gunzip.tar || fail "gzip -dc"
cmp gunzip.tar img.tar || fail "gzip -dc differs from the .tar mkroot writes"
python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' img.tar.gz \
        >py.tar || fail "python3 gzip"
cmp py.tar img.tar || fail "python3's gzip differs from the .tar mkroot writes"
tar -tf img.tar >list.tar
tar -tzf img.tar.gz >list.gz || fail "tar -tzf"
cmp list.tar list.gz || fail "tar -tzf lists other entries"
grep -qx d/random list.gz || fail "tar -tzf: no d/random"
if command -v bsdtar >/dev/null; then
        bsdtar -tf img.tar.gz >list.bsd || fail "bsdtar -tf"
        cmp list.tar list.bsd || fail "bsdtar -tf lists other entries"
fi

# One CPU, one thread: the same bytes.
if [ "$(nproc)" -gt 1 ]; then
        taskset -c 0 "$MKROOT" "${add[@]}" -o one.tar.gz || fail "mkroot on one CPU"
        cmp one.tar.gz img.tar.gz || fail "gzip on one CPU differs from gzip on $(nproc)"
        "$MKROOT" "${add[@]}" -o img.tar.zst || fail "mkroot .tar.zst"
        taskset -c 0 "$MKROOT" "${add[@]}" -o one.tar.zst || fail "mkroot .tar.zst on one CPU"
        cmp one.tar.zst img.tar.zst || fail "zstd on one CPU differs from zstd on $(nproc)"
        zstd -dc img.tar.zst >unzstd.tar || fail "zstd -dc"
        cmp unzstd.tar img.tar || fail "zstd -dc differs from the .tar mkroot writes"
else
        echo "SKIP: one CPU: the same bytes for 1 and N threads is checked by unit-pgz only"
        exit 77
fi
echo ok
