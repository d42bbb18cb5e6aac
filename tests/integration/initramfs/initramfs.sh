#!/bin/bash
# mkroot --format initramfs: a newc cpio (gzip by the name, none for
# .cpio) the kernel can unpack: "070701" headers 4-byte aligned, parents
# before children, relative names, the TRAILER!!! entry last, --init as an
# executable /init, device nodes kept (/dev/console), deterministic bytes
# and a gzip header without name or time. Read back with an independent
# parser (python), not with mkroot. The boot itself is tests/vm/run's.
set -u
: "${MKROOT:?MKROOT not set}"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
T=$(mktemp -d /tmp/mkroot-initramfs-XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
pass() { echo "ok: $*"; }

cat >"$T/init.sh" <<'EOS'
#!/bin/sh
echo hello from init
EOS
chmod 755 "$T/init.sh"
args=(--format initramfs --init "$T/init.sh" --add /bin/true)
console=0
if [ -c /dev/console ]; then
        args+=(--add /dev/console:/dev/console)
        console=1
fi
export SOURCE_DATE_EPOCH=1700000000
"$MKROOT" -q "${args[@]}" -o "$T/a.gz" || fail "mkroot -o a.gz"
sleep 1.1
touch "$T/init.sh"
"$MKROOT" -q "${args[@]}" -o "$T/b.gz" || fail "mkroot -o b.gz"
"$MKROOT" -q "${args[@]}" -o "$T/c.cpio" || fail "mkroot -o c.cpio"
cmp -s "$T/a.gz" "$T/b.gz" && pass "deterministic" || fail "two builds differ"

python3 - "$T/a.gz" "$T/c.cpio" "$T/init.sh" "$console" "$SOURCE_DATE_EPOCH" <<'PY' || FAILED=1
import gzip, stat, sys

gz, plain, init_src, console, epoch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", int(sys.argv[5])
bad = []
raw = open(gz, "rb").read()
if raw[:2] != b"\x1f\x8b":
    bad.append("a.gz is not gzip")
elif raw[3] & 0x08 or raw[4:8] != b"\0\0\0\0":
    bad.append("gzip header carries a name or a time")
data = gzip.decompress(raw)
if open(plain, "rb").read() != data:
    bad.append(".cpio output differs from the decompressed .gz")

entries, off = [], 0
while True:
    h = data[off:off + 110]
    if len(h) < 110 or h[:6] != b"070701":
        bad.append("no newc header at offset %d" % off)
        break
    f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    ino, mode, uid, gid, nlink, mtime, size, dmaj, dmin, rmaj, rmin, namesize, check = f
    name = data[off + 110:off + 110 + namesize - 1].decode()
    if data[off + 110 + namesize - 1] != 0:
        bad.append("%s: name not NUL-terminated" % name)
    off = (off + 110 + namesize + 3) & ~3
    body = data[off:off + size]
    off = (off + size + 3) & ~3
    if name == "TRAILER!!!":
        break
    entries.append((name, mode, mtime, body, rmaj, rmin, uid))
if any(b != 0 for b in data[off:]):
    bad.append("data after the trailer")

names = [e[0] for e in entries]
seen = set()
for name, mode, mtime, body, rmaj, rmin, uid in entries:
    if name.startswith("/") or ".." in name.split("/"):
        bad.append("%s: not a relative name" % name)
    parent = name.rsplit("/", 1)[0] if "/" in name else None
    if parent and parent not in seen:
        bad.append("%s comes before its directory" % name)
    seen.add(name)
    if mtime > epoch:
        bad.append("%s: mtime %d after SOURCE_DATE_EPOCH" % (name, mtime))
byname = {e[0]: e for e in entries}
init = byname.get("init")
if not init:
    bad.append("no /init")
else:
    if not stat.S_ISREG(init[1]) or not init[1] & 0o111:
        bad.append("/init is not an executable file (mode %o)" % init[1])
    if init[3] != open(init_src, "rb").read():
        bad.append("/init is not the --init script")
for need in ("bin", "proc", "sys", "dev"):
    t = byname.get(need)
    if not t:
        bad.append("no /%s" % need)
if console:
    c = byname.get("dev/console")
    if not c or not stat.S_ISCHR(c[1]) or (c[4], c[5]) != (5, 1):
        bad.append("/dev/console is not the character device 5,1")
if not any(n.endswith("/true") for n in names):
    bad.append("no true in the image")
for b in bad:
    print("FAIL:", b)
print("ok: %d entries read back" % len(entries))
sys.exit(1 if bad else 0)
PY

# --init belongs to the initramfs format; a missing --init file is an error.
"$MKROOT" -q --init "$T/init.sh" --add /bin/true -o "$T/x.tar" 2>"$T/err"
[ $? = 2 ] && pass "--init without --format initramfs: usage error" || fail "--init without the format: $(cat "$T/err")"
"$MKROOT" -q --format initramfs --init "$T/nope" --add /bin/true -o "$T/y.gz" 2>"$T/err"
[ $? = 1 ] && [ ! -e "$T/y.gz" ] && grep -q nope "$T/err" && pass "missing --init file: error naming it" ||
        fail "missing --init file: $(cat "$T/err")"
[ "$FAILED" = 0 ] && echo PASSED || echo FAILED
exit "$FAILED"
