#!/bin/bash
# runroot's unpack writes regular files on writer threads while its own
# thread makes the names in the archive's order: the tree it publishes is
# the one `tar -xpf --numeric-owner --xattrs` makes of the same archive
# (paths, types, modes with set-id bits, owners, link targets, hardlinks,
# contents, sizes, mtimes, xattrs with a file capability), for mkroot's
# gzip and for a plain one, with more files and bytes than the writers
# hold in flight, a sparse file, an entry given twice and a read-only
# directory.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
command -v setcap >/dev/null || { echo "SKIP: needs setcap (libcap2-bin)"; exit 77; }

src=$T/src
make_tree "$src"
mkdir -p "$src/dev" "$src/proc" "$src/sys" "$src/d/many" "$src/d/ro" "$src/d/priv" "$src/d/sticky"
# More than the writers' 128 open files and 32 MiB in flight.
for i in $(seq 300); do head -c $((i * 37)) /dev/urandom >"$src/d/many/f$i"; done
head -c 20000000 /dev/urandom >"$src/d/r1"
head -c 20000000 /dev/urandom >"$src/d/r2"
: >"$src/d/empty"
truncate -s 3000000 "$src/d/sparse"
printf 'head' | dd of="$src/d/sparse" bs=1 seek=100000 conv=notrunc status=none
echo data >"$src/d/ro/inside"
chmod 555 "$src/d/ro"
chmod 700 "$src/d/priv"
chmod 1777 "$src/d/sticky"
echo suid >"$src/d/suid" && chown 1000:2000 "$src/d/suid" && chmod 4755 "$src/d/suid"
echo sgid >"$src/d/sgid" && chown 0:2000 "$src/d/sgid" && chmod 2711 "$src/d/sgid"
echo none >"$src/d/none" && chmod 000 "$src/d/none"
echo owned >"$src/d/owned" && chown 4242:4343 "$src/d/owned"
cp "$BUSYBOX" "$src/d/cap" && setcap cap_net_raw+ep "$src/d/cap"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.note", b"hello")' "$src/d/owned" ||
        fail "setting a user xattr"
ln "$src/d/r1" "$src/d/r1-link"
ln "$src/d/many/f7" "$src/d/f7-link"
ln -s ../etc/passwd "$src/d/rel"
ln -s /etc/marker "$src/d/abs"
ln -s nowhere "$src/d/dangling"
mkfifo "$src/d/fifo"
find "$src" -path "$src/d/ro" -prune -o -exec touch -h -d '2021-03-04 05:06:07.123456789' {} +
touch -d '2019-01-02 03:04:05' "$src/d/ro/inside" "$src/d/ro"
tar -C "$src" --format=pax --xattrs --sparse -cf "$T/t.tar" .
# The same name again, later in the archive: the later one wins.
mkdir -p "$T/again/d" && echo second >"$T/again/d/r2"
touch -d '2020-02-02 02:02:02' "$T/again/d/r2"
tar -C "$T/again" --format=pax -rf "$T/t.tar" ./d/r2
gzip -n <"$T/t.tar" >"$T/plain.tar.gz"

mkdir "$T/want"
tar -C "$T/want" -xpf "$T/t.tar" --numeric-owner --xattrs --xattrs-include='*' ||
        fail "tar -xpf of the test archive"
[ "$(cat "$T/want/d/r2")" = second ] || fail "tar kept the first d/r2"
getcap "$T/want/d/cap" >"$T/cap" && grep -q cap_net_raw "$T/cap" || fail "tar lost the capability"

# The same archive as mkroot's gzip (runroot's writer threads behind its
# parallel inflate).
python3 - "$T/t.tar" "$T/pgz.tar.gz" <<'PY' || fail "writing the pgz image"
import struct, sys, zlib
# Members of 1 MiB of input, each carrying its size in an "MR" extra
# subfield, as pgz/pgz.h describes.
data = open(sys.argv[1], "rb").read()
out = open(sys.argv[2], "wb")
for at in range(0, len(data), 1 << 20):
    chunk = data[at:at + (1 << 20)]
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(chunk) + c.flush()
    size = 10 + 2 + 8 + len(body) + 8
    head = bytes([0x1F, 0x8B, 8, 4, 0, 0, 0, 0, 0, 3]) + struct.pack("<H", 8) + b"MR" + \
        struct.pack("<HI", 4, size)
    out.write(head + body + struct.pack("<II", zlib.crc32(chunk), len(chunk) & 0xFFFFFFFF))
PY

unpack() { # unpack IMAGE: $got is the tree runroot published for it
        ls "$MKROOT_CACHE/layers/rootfs/sha256" 2>/dev/null | sort >"$T/before"
        rr --verbose --verbose "$1" true 2>"$T/log" || fail "runroot $1: $(cat "$T/log")"
        ls "$MKROOT_CACHE/layers/rootfs/sha256" | sort >"$T/after"
        comm -13 "$T/before" "$T/after" >"$T/new"
        [ "$(wc -l <"$T/new")" = 1 ] || fail "$1: expected one new tree, got: $(cat "$T/new")"
        got=$MKROOT_CACHE/layers/rootfs/sha256/$(cat "$T/new")
}

compare() { # compare WANT GOT
        python3 - "$1" "$2" <<'PY'
import hashlib, os, stat, sys
def walk(root):
    out, first = {}, {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            rec = {"type": stat.S_IFMT(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)),
                   "owner": (st.st_uid, st.st_gid), "mtime": st.st_mtime_ns}
            if stat.S_ISLNK(st.st_mode):
                rec["target"] = os.readlink(p)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    rec["sha256"] = hashlib.sha256(f.read()).hexdigest()
                rec["size"] = st.st_size
                rec["links"] = st.st_nlink
                rec["node"] = first.setdefault(st.st_ino, rel)
            rec["xattrs"] = sorted((k, os.getxattr(p, k, follow_symlinks=False))
                                   for k in os.listxattr(p, follow_symlinks=False))
            out[rel] = rec
    return out
want, got = walk(sys.argv[1]), walk(sys.argv[2])
bad = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
for k in bad[:10]:
    print(f"{k}: tar {want.get(k)}, runroot {got.get(k)}")
print(f"{len(want)} paths, {len(bad)} differ")
sys.exit(1 if bad else 0)
PY
}

for img in "$T/pgz.tar.gz" "$T/plain.tar.gz"; do
        unpack "$img"
        grep -q "regular file(s) written on [1-9][0-9]* thread(s)" "$T/log" ||
                fail "$img: no writer threads in the log: $(cat "$T/log")"
        compare "$T/want" "$got" >"$T/cmp" || fail "$img: $(cat "$T/cmp")"
done
echo ok
