#!/bin/bash
# layer-escape: hostile tarballs made with python's tarfile. Each one is
# refused (exit 125, nothing published) or contained (written inside the
# layer); nothing is ever created or written outside the cache. A leading
# "/" is dropped (as tar and docker do): the entry lands inside the root.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

OUT=$T/outside
mkdir -p "$OUT"
touch "$T/victim"
victim_sum=$(md5sum <"$T/victim")

python3 - "$T" "$BUSYBOX" <<'PY'
import io, os, sys, tarfile
T, busybox = sys.argv[1], sys.argv[2]
OUT = T + "/outside"

def add(tf, name, typ=tarfile.REGTYPE, data=b"", link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname = typ, mode, link
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if ti.size else None)

def base(tf):
    ti = tarfile.TarInfo("bin"); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; tf.addfile(ti)
    with open(busybox, "rb") as f:
        data = f.read()
    add(tf, "bin/busybox", data=data, mode=0o755)
    add(tf, "bin/sh", tarfile.SYMTYPE, link="busybox")
    add(tf, "bin/cat", tarfile.SYMTYPE, link="busybox")
    add(tf, "bin/ls", tarfile.SYMTYPE, link="busybox")
    add(tf, "etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n")

def make(name, entries, fmt=tarfile.GNU_FORMAT):
    with tarfile.open(os.path.join(T, name + ".tar"), "w", format=fmt) as tf:
        base(tf)
        entries(tf)

# refused
make("dotdot", lambda tf: add(tf, "../../../../../../../../../.." + OUT + "/dotdot", data=b"x"))
make("dotdot-mid", lambda tf: add(tf, "etc/../../outside-dotdot", data=b"x"))
make("hardlink-abs", lambda tf: add(tf, "hl", tarfile.LNKTYPE, link=T + "/victim"))
make("hardlink-dotdot", lambda tf: add(tf, "hl", tarfile.LNKTYPE, link="../../../../../../.." + T + "/victim"))
def hl_via_symlink(tf):
    add(tf, "s", tarfile.SYMTYPE, link=T)
    add(tf, "hl", tarfile.LNKTYPE, link="s/victim")
    add(tf, "hl", data=b"overwritten")
make("hardlink-via-symlink", hl_via_symlink)
def hl_to_symlink(tf):
    add(tf, "sl", tarfile.SYMTYPE, link=T + "/victim")
    add(tf, "hl2", tarfile.LNKTYPE, link="sl")
    add(tf, "hl2", data=b"overwritten")
make("hardlink-to-symlink", hl_to_symlink)

# contained
make("absolute", lambda tf: add(tf, OUT + "/absolute", data=b"contained"))
def sym_then_file(tf):
    add(tf, "link", tarfile.SYMTYPE, link=OUT)
    add(tf, "link/through-abs", data=b"contained")
    add(tf, "rel", tarfile.SYMTYPE, link="../../../../../../../../../.." + OUT)
    add(tf, "rel/through-rel", data=b"contained")
make("symlink-then-file", sym_then_file)
def swap(tf):
    add(tf, "d", tarfile.DIRTYPE, mode=0o755)
    add(tf, "d/f", data=b"in dir")
    add(tf, "d", tarfile.SYMTYPE, link=OUT)
    add(tf, "d/swapped", data=b"contained")
make("symlink-swapped-for-dir", swap)
def overwrite_symlink(tf):
    add(tf, "victim-link", tarfile.SYMTYPE, link=T + "/victim")
    add(tf, "victim-link", data=b"overwritten")
    add(tf, "etc/passwd-link", tarfile.SYMTYPE, link="/etc/passwd")
    add(tf, "etc/passwd-link", data=b"overwritten")
make("file-over-symlink", overwrite_symlink)
def inside_hardlink(tf):
    add(tf, "etc/hl", tarfile.LNKTYPE, link="etc/passwd")
make("hardlink-inside", inside_hardlink)
make("deep", lambda tf: add(tf, "/".join(["d"] * 200) + "/deep", data=b"deep"), tarfile.PAX_FORMAT)
make("deep-2000", lambda tf: add(tf, "/".join(["a"] * 2000) + "/f", data=b"deep"), tarfile.PAX_FORMAT)
make("too-deep", lambda tf: add(tf, "/".join(["dd"] * 3000) + "/deep", data=b"deep"), tarfile.PAX_FORMAT)
PY
[ $? = 0 ] || fail "making the tarballs"

check_outside() {
        [ -z "$(ls -A "$OUT")" ] || fail "$1: wrote outside: $(ls -A "$OUT")"
        [ ! -e "$T/outside-dotdot" ] && [ ! -e "$T/cache/outside-dotdot" ] &&
                [ ! -e "$T/cache/tmp/outside-dotdot" ] || fail "$1: wrote outside (dotdot)"
        [ "$(md5sum <"$T/victim")" = "$victim_sum" ] || fail "$1: wrote through a link to a host file"
        # What the archives would write there (other tests add users to
        # /etc/passwd meanwhile, so not its checksum).
        ! grep -q overwritten /etc/passwd || fail "$1: /etc/passwd written"
        [ -z "$(ls -A "$MKROOT_CACHE/tmp")" ] || fail "$1: staging left behind"
}

for t in dotdot dotdot-mid hardlink-abs hardlink-dotdot hardlink-via-symlink; do
        err=$(rr "$T/$t.tar" true 2>&1)
        rc=$?
        [ $rc = 125 ] || fail "$t: exit $rc, expected 125 (refused): $err"
        echo "refused $t: $err"
        check_outside "$t"
done
[ -z "$(ls -A "$MKROOT_CACHE/layers/rootfs/sha256")" ] || fail "a refused archive was published"

out=$(rr "$T/absolute.tar" cat "$OUT/absolute") || fail "absolute: $out"
[ "$out" = contained ] || fail "absolute: $out"
check_outside absolute
out=$(rr "$T/symlink-then-file.tar" cat "$OUT/through-abs" "$OUT/through-rel") ||
        fail "symlink-then-file: $out"
[ "$out" = "containedcontained" ] || fail "symlink-then-file: $out"
check_outside symlink-then-file
out=$(rr "$T/symlink-swapped-for-dir.tar" cat "$OUT/swapped") || fail "swap: $out"
[ "$out" = contained ] || fail "symlink-swapped-for-dir: $out"
check_outside symlink-swapped-for-dir
out=$(rr "$T/file-over-symlink.tar" cat /victim-link /etc/passwd-link) || fail "file-over-symlink"
[ "$out" = overwrittenoverwritten ] || fail "file-over-symlink: $out"
check_outside file-over-symlink
out=$(rr "$T/hardlink-inside.tar" sh -c 'cat /etc/hl; ls -l /etc/hl | awk "{print \$2}"') ||
        fail "hardlink-inside"
[ "$out" = "root:x:0:0:root:/root:/bin/sh
2" ] || fail "hardlink-inside: $out"
check_outside hardlink-inside
# A hardlink to a symlink (pointing at a host file) is the symlink itself;
# the file that replaces it later is written in its place, not through it.
out=$(rr "$T/hardlink-to-symlink.tar" cat /hl2) || fail "hardlink-to-symlink: $out"
[ "$out" = overwritten ] || fail "hardlink-to-symlink: $out"
check_outside hardlink-to-symlink
out=$(rr "$T/deep.tar" cat "/$(printf 'd/%.0s' $(seq 200))deep") || fail "deep: $out"
[ "$out" = deep ] || fail "deep: $out"
expect_rc 0 rr "$T/deep-2000.tar" sh -c "cat /$(printf 'a/%.0s' $(seq 2000))f >/dev/null"
rr "$T/too-deep.tar" true 2>/dev/null
rc=$?
[ $rc = 0 ] || [ $rc = 125 ] || fail "too-deep: exit $rc"
check_outside too-deep

check_no_leftovers
echo PASS
