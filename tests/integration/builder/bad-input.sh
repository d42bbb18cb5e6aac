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
        ls -A | grep -v -E '^(out|err|fx.*|.*\.c)$' && fail "mkroot $* left files behind" || true
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
expect_fail 1 "fxtrunc" -o x.tar.gz "$T/fxtrunc"
python3 - <<'PY'
import struct
b = bytearray(open('/bin/true','rb').read()[:4096])
struct.pack_into('<Q', b, 0x20, 0xfffffffffff0)   # e_phoff far away
open('fxphoff','wb').write(b)
b = bytearray(open('/bin/true','rb').read())
struct.pack_into('<H', b, 0x36, 7)                # e_phentsize bogus
open('fxphnum','wb').write(b)
PY
chmod +x fxphoff fxphnum
expect_fail 1 "fxphoff" -o x.tar.gz "$T/fxphoff"
expect_fail 1 "fxphnum" -o x.tar.gz "$T/fxphnum"
set +e; "$MKROOT" deps "$T/fxphoff" >out 2>err; rc=$?; set -e
[ $rc = 1 ] && grep -q fxphoff err || fail "deps on a hostile ELF: $rc $(cat err)"

# A hostile ld.so.cache inside --root: warned about, never a crash.
mkdir -p r/etc r/usr/bin r/lib
cp /bin/true r/usr/bin/true
head -c 300 /etc/ld.so.cache >r/etc/ld.so.cache
set +e; "$MKROOT" deps --root "$T/r" /usr/bin/true >out 2>err; rc=$?; set -e
[ $rc -le 1 ] || fail "hostile cache: exit $rc"
grep -q 'ld.so.cache' err || fail "hostile cache: no warning: $(cat err)"
echo ok
