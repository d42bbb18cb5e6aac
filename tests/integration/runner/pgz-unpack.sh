#!/bin/bash
# runroot unpacks the gzip mkroot writes (members that carry their size,
# pgz/pgz.h) on every core, refuses a damaged member with a line naming the
# image, the member and its offset (exit 125, nothing published), and
# still takes any other gzip through libarchive's stream.
. "$(dirname "$0")/lib.sh"
: "${MKROOT:?}"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

head -c 3500000 /dev/urandom >"$IMG_DIR/big"
sum=$(md5sum <"$IMG_DIR/big")
"$MKROOT" -q --no-skeleton -o "$T/p.tar.gz" --add "$IMG_DIR/bin:/bin" --add "$IMG_DIR/etc:/etc" \
        --add "$IMG_DIR/big:/big" || fail "mkroot"
# Its members: offsets and sizes, walked as runroot walks them.
python3 - "$T/p.tar.gz" >"$T/members" <<'PY' || fail "no sized members in mkroot's gzip"
import struct, sys
d = open(sys.argv[1], "rb").read()
at = 0
while at < len(d):
    assert d[at:at + 4] == b"\x1f\x8b\x08\x04" and d[at + 12:at + 16] == b"MR\x04\x00", at
    size = struct.unpack("<I", d[at + 16:at + 20])[0]
    print(at, size)
    at += size
assert at == len(d)
PY
[ "$(wc -l <"$T/members")" -ge 5 ] || fail "expected 5 or more members: $(cat "$T/members")"

out=$(rr "$T/p.tar.gz" sh -c 'md5sum </big') || fail "runroot of mkroot's gzip"
[ "$out" = "$sum" ] || fail "unpacked /big differs"

published() { ls -A "$MKROOT_CACHE/layers/rootfs/sha256" 2>/dev/null | wc -l; }
before=$(published)
read -r off1 size1 < <(sed -n 2p "$T/members")
read -r off3 size3 < <(sed -n 4p "$T/members")

# A flipped byte inside member 1's deflate data.
python3 - "$T/p.tar.gz" "$T/bad.tar.gz" "$off1" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[int(sys.argv[3]) + 200] ^= 0x40
open(sys.argv[2], "wb").write(d)
PY
rr "$T/bad.tar.gz" true 2>"$T/err" && fail "a corrupt member unpacked"
rc=$?
[ "$rc" = 125 ] || fail "corrupt member: exit $rc, expected 125"
want="runroot: $T/bad.tar.gz: member 1 at byte $off1: corrupt (bad deflate data, CRC32 or length)"
[ "$(cat "$T/err")" = "$want" ] || fail "corrupt member: got '$(cat "$T/err")', expected '$want'"

# Cut in the middle of member 3.
head -c $((off3 + 1000)) "$T/p.tar.gz" >"$T/cut.tar.gz"
rr "$T/cut.tar.gz" true 2>"$T/err" && fail "a truncated image unpacked"
rc=$?
[ "$rc" = 125 ] || fail "truncated: exit $rc, expected 125"
want="runroot: $T/cut.tar.gz: truncated: member 3 at byte $off3 has 1000 of $size3 bytes"
[ "$(cat "$T/err")" = "$want" ] || fail "truncated: got '$(cat "$T/err")', expected '$want'"
[ "$(published)" = "$before" ] || fail "a damaged image left an unpacked layer"

# Any other gzip: libarchive's stream, as before.
gzip -dc "$T/p.tar.gz" | gzip -n >"$T/plain.tar.gz"
out=$(rr "$T/plain.tar.gz" sh -c 'md5sum </big') || fail "runroot of a plain gzip"
[ "$out" = "$sum" ] || fail "plain gzip: unpacked /big differs"
echo ok
