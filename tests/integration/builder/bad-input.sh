#!/bin/bash
# Bad input: one clear line naming the file, a non-zero exit, no image and
# no temporary file left behind.
. "$(dirname "$0")/lib.sh"
cd "$T"
expect_fail() { # expect_fail CODE PATTERN ARGS...
        local code=$1 pat=$2; shift 2
        set +e
        "$MKROOT" "$@" >out 2>err
        local rc=$?
        set -e
        [ "$rc" = "$code" ] || fail "mkroot $*: exit $rc, wanted $code; stderr: $(cat err)"
        grep -q -- "$pat" err || fail "mkroot $*: message lacks '$pat': $(cat err)"
        [ "$(wc -l <err)" -le 2 ] || fail "mkroot $*: more than one line of error: $(cat err)"
        if ls -A | grep -v -E '^(out|err|fx.*|.*\.c)$'; then fail "mkroot $* left files behind"; fi
}
expect_fail 1 '/no/such/file' -o x.tar.gz /no/such/file
expect_fail 2 'unknown-opt\|unrecognized' --unknown-opt /bin/true
expect_fail 2 'nothing to add' -o x.tar.gz
expect_fail 2 'compression' --compress lzma /bin/true

# A program whose library is gone: name the program and the library.
mkdir lib && echo 'int g(void){return 0;}' >g.c
cc -shared -fPIC -o lib/libgone.so.1 -Wl,-soname,libgone.so.1 g.c
echo 'int g(void); int main(void){return g();}' >m.c
cc -o fxneeds m.c lib/libgone.so.1 && rm -r lib
expect_fail 1 "fxneeds: needs libgone.so.1, which cannot be found" -o x.tar.gz "$T/fxneeds"
"$MKROOT" --allow-missing -o x.tar.gz "$T/fxneeds" 2>err || fail "--allow-missing failed"
grep -q 'warning: .*libgone.so.1' err || fail "--allow-missing gave no warning"
[ -f x.tar.gz ] && rm x.tar.gz || fail "--allow-missing wrote no image"
set +e; "$MKROOT" deps "$T/fxneeds" >out 2>err; rc=$?; set -e
[ $rc = 1 ] || fail "deps with a missing library exit $rc"
grep -q 'libgone.so.1 => not found' out || fail "deps: $(cat out)"

# Truncated and hostile ELF files.
head -c 100 /bin/true >fxtrunc && chmod +x fxtrunc
expect_fail 1 "fxtrunc: not a valid ELF file: " -o x.tar.gz "$T/fxtrunc"

# ELF files the kernel refuses to exec (or ld.so to load), one header
# field broken in each: `mkroot deps` and `mkroot --add` exit 1 with one
# line naming the file and the problem, as ldd exits 1; never "not a
# dynamic executable" with exit 0, never a silent copy.
python3 - <<'PY'
import struct
true = open('/bin/true', 'rb').read()
assert true[:5] == b'\x7fELF\x02' and true[5] == 1, 'this test patches a little-endian ELF64 /bin/true'
phoff, = struct.unpack_from('<Q', true, 0x20)
phnum, = struct.unpack_from('<H', true, 0x38)
def phdrs(b):
    for i in range(phnum):
        o = phoff + 56 * i
        yield o, struct.unpack_from('<I', b, o)[0]
def variant(name, patch):
    b = bytearray(true)
    patch(b)
    open(name, 'wb').write(b)
variant('fxphoff0', lambda b: (struct.pack_into('<Q', b, 0x20, len(b) + 4096),
                               struct.pack_into('<H', b, 0x38, 0)))      # the reported file
variant('fxphoff', lambda b: struct.pack_into('<Q', b, 0x20, len(b) - 8))  # table cut by the end
variant('fxphoffbig', lambda b: struct.pack_into('<Q', b, 0x20, 0xfffffffffff0))
variant('fxphent', lambda b: struct.pack_into('<H', b, 0x36, 7))
variant('fxphent64', lambda b: struct.pack_into('<H', b, 0x36, 64))
variant('fxphnum0', lambda b: struct.pack_into('<H', b, 0x38, 0))
variant('fxtype', lambda b: struct.pack_into('<H', b, 0x10, 0))            # ET_NONE
variant('fxversion', lambda b: struct.pack_into('<I', b, 0x14, 0))
variant('fxehsize', lambda b: struct.pack_into('<H', b, 0x34, 0))
def interp_last(b):
    for o, t in phdrs(b):
        if t == 3:
            off, = struct.unpack_from('<Q', b, o + 8)
            sz, = struct.unpack_from('<Q', b, o + 32)
            b[off + sz - 1] = ord('x')
variant('fxinterp', interp_last)
def interp_out(b):
    for o, t in phdrs(b):
        if t == 3:
            struct.pack_into('<Q', b, o + 8, len(b) - 4)
variant('fxinterpout', interp_out)
def memsz(b):
    for o, t in phdrs(b):
        if t == 1:
            filesz, = struct.unpack_from('<Q', b, o + 32)
            if filesz:
                struct.pack_into('<Q', b, o + 40, filesz - 1)
                return
variant('fxmemsz', memsz)
PY
hostile="fxphoff0:no program headers (e_phnum 0)
fxphoff:program headers (e_phoff 0x
fxphoffbig:program headers (e_phoff 0xfffffffffff0
fxphent:e_phentsize 7,
fxphent64:e_phentsize 64,
fxphnum0:no program headers (e_phnum 0)
fxtype:e_type 0 is neither an executable nor a shared object
fxversion:e_version 0, not EV_CURRENT
fxinterp:PT_INTERP not NUL-terminated
fxinterpout:PT_INTERP (offset 0x
fxmemsz:PT_LOAD segment [0-9]*: p_filesz 0x[0-9a-f]* larger than p_memsz"
# e_version is not checked by the kernel itself (ld.so --verify, and so
# ldd, refuses it).
kernel_runs="fxversion"
n=0
while IFS=: read -r f why; do
        chmod +x "$f"
        # /bin/true itself exits 0: the kernel refuses the exec (126) or
        # kills the process past the point of no return (SIGSEGV).
        rc=$(bash -c '"$1"; echo $?' - "$T/$f" 2>/dev/null)
        case " $kernel_runs " in
        *" $f "*) [ $rc = 0 ] || fail "precondition: $f no longer runs (exit $rc)" ;;
        *) [ $rc = 126 ] || [ $rc = 139 ] || fail "precondition: the kernel ran $f (exit $rc)" ;;
        esac
        expect_fail 1 "$T/$f: not a valid ELF file: $why" -o x.tar.gz "$T/$f"
        expect_fail 1 "$T/$f: not a valid ELF file: $why" deps "$T/$f"
        ! grep -q 'dynamic executable\|statically linked' out || fail "deps $f: $(cat out)"
        n=$((n + 1))
done <<<"$hostile"
[ $n = 11 ] || fail "only $n hostile ELF files tried"
# A wrong e_ehsize is read by neither the kernel nor ld.so: the file runs,
# so mkroot takes it as the program it is.
chmod +x fxehsize
[ "$(bash -c '"$1"; echo $?' - "$T/fxehsize" 2>/dev/null)" = 0 ] ||
        fail "precondition: fxehsize does not run"
"$MKROOT" deps "$T/fxehsize" >out 2>err || fail "deps of a file with e_ehsize 0: $(cat err)"
"$MKROOT" -o x.tar.gz "$T/fxehsize" 2>err || fail "--add of a file with e_ehsize 0: $(cat err)"
rm -f x.tar.gz
# Inside a directory given to --add, an invalid ELF is data: copied, but
# said so on stderr.
mkdir fxdir && cp fxphoff0 fxdir/
"$MKROOT" -o x.tar.gz "$T/fxdir" 2>err || fail "--add of a directory with an invalid ELF: $(cat err)"
grep -q "fxdir/fxphoff0: not a valid ELF file: no program headers" err ||
        fail "--add of a directory: no warning about the invalid ELF: $(cat err)"
rm -r x.tar.gz fxdir
# An object file is ELF but no program: data to --add, not a program to deps.
echo 'int f(void){return 0;}' >fxobj.c && cc -c -o fxobj.o fxobj.c
"$MKROOT" -o x.tar.gz "$T/fxobj.o" 2>err || fail "--add of an object file: $(cat err)"
tarhas x.tar.gz "fxobj.o" || fail "--add did not copy the object file"
rm x.tar.gz .tarlist
expect_fail 1 "fxobj.o: an ELF relocatable object, not an executable or shared object" deps "$T/fxobj.o"

# A hostile ld.so.cache inside --root: warned about, never a crash.
mkdir -p r/etc r/usr/bin r/lib
cp /bin/true r/usr/bin/true
head -c 300 /etc/ld.so.cache >r/etc/ld.so.cache
set +e; "$MKROOT" deps --root "$T/r" /usr/bin/true >out 2>err; rc=$?; set -e
# Nothing to find in r/lib: libc is reported missing, which is exit 1.
[ $rc = 1 ] || fail "hostile cache: exit $rc: $(cat err)"
grep -qx "$(printf '\tlibc.so.6 => not found')" out || fail "hostile cache: $(cat out)"
grep -q 'r/etc/ld.so.cache: .*entries do not fit in the file; using ld.so.conf' err ||
        fail "hostile cache: no warning naming it: $(cat err)"
echo ok
