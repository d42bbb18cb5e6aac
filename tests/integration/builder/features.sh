#!/bin/bash
# Scripts bring their interpreter, env NAME brings NAME, directories come
# with the dependencies of every ELF inside, SRC:DEST places a file, --nss
# adds glibc's NSS modules; setuid modes, capabilities xattrs, hardlinks
# and $ORIGIN rpaths survive.
. "$(dirname "$0")/lib.sh"
cd "$T"
has() { tarhas "$1" "$2" || fail "$1 lacks $2"; }
lacks() { if tarhas "$1" "$2"; then fail "$1 has $2"; fi; }

# 1. #! scripts
printf '#!/bin/bash\necho hi\n' >s1 && chmod +x s1
printf '#!/usr/bin/env perl\nprint "hi\\n";\n' >s2 && chmod +x s2
"$MKROOT" -o s.tar "$T/s1:/usr/local/bin/s1" "$T/s2:/usr/local/bin/s2"
has s.tar ' usr/local/bin/s1$'
has s.tar ' usr/bin/bash$'
has s.tar ' usr/bin/env$'
has s.tar ' usr/bin/perl'
has s.tar 'libtinfo.so.6'
mkdir s && tar -xf s.tar -C s
[ "$(chroot s /usr/local/bin/s1)" = hi ] || fail "script does not run in the image"
[ "$(chroot s /usr/local/bin/s2)" = hi ] || fail "env perl script does not run in the image"

# 1b. relative sources; a destination under /bin follows the root's
# bin -> usr/bin link, so a script reaching /bin/sh agrees with it
cp /bin/true ./mytrue
printf '#!/bin/sh\necho rel\n' >rel.sh && chmod +x rel.sh
"$MKROOT" -o r.tar mytrue:/bin/mytrue rel.sh:/rel.sh
has r.tar '^l .* bin -> usr/bin$'
has r.tar ' usr/bin/mytrue$'
has r.tar ' rel.sh$'
mkdir r && tar -xf r.tar -C r
[ "$(chroot r /rel.sh)" = rel ] || fail "relative script does not run"
chroot r /bin/mytrue || fail "/bin/mytrue"

# 2. a directory with an ELF inside that needs a library the host has
mkdir -p tree/sub && cat >tree/sub/z.c <<'C'
#include <zlib.h>
int main(void) { return zlibVersion()[0] == '1' ? 0 : 1; }
C
cc -o tree/sub/zprog tree/sub/z.c -lz
ln tree/sub/zprog tree/sub/zlink     # a hardlink
ln -s sub/zprog tree/zsym
cp /bin/true tree/suid && chmod 4755 tree/suid
python3 -c 'import os; os.setxattr("tree/suid", "security.capability", bytes.fromhex("0100000200200000000000000000000000000000"))'
"$MKROOT" -o t.tar "$T/tree:/opt/tree"
has t.tar ' opt/tree/sub/zprog'
has t.tar 'libz.so.1'
has t.tar '^h .* opt/tree/sub/zprog -> opt/tree/sub/zlink$\|^h .* opt/tree/sub/zlink -> opt/tree/sub/zprog$'
has t.tar '^l .* opt/tree/zsym -> sub/zprog$'
has t.tar '^f 4755 .* opt/tree/suid$'
mkdir t && tar --xattrs --xattrs-include='*' -xpf t.tar -C t
chroot t /opt/tree/sub/zprog || fail "zprog does not run in the image"
python3 -c 'import os,sys; v=os.getxattr("t/opt/tree/suid","security.capability"); sys.exit(0 if v[:4]==bytes.fromhex("01000002") else 1)' \
        || fail "security.capability xattr lost"

# 3. --nss
"$MKROOT" -o n.tar --nss /bin/true
has n.tar 'libnss_files.so.2'
has n.tar 'libnss_dns.so.2'
"$MKROOT" -o nn.tar /bin/true
lacks nn.tar 'libnss_files'

# 4. $ORIGIN rpath, RUNPATH and LD_LIBRARY_PATH fixtures, against ldd
mkdir -p app/bin app/lib other
echo 'int fa(void){return 7;}' >a.c && cc -shared -fPIC -o app/lib/libfa.so.1 -Wl,-soname,libfa.so.1 a.c
echo 'int fb(void){return 8;}' >b.c && cc -shared -fPIC -o other/libfb.so.1 -Wl,-soname,libfb.so.1 b.c
echo 'int fa(void); int fb(void); int main(void){return fa()+fb()==15?0:1;}' >m.c
cc -o app/bin/m m.c app/lib/libfa.so.1 other/libfb.so.1 -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'
cc -o app/bin/m2 m.c app/lib/libfa.so.1 other/libfb.so.1 -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'
for p in app/bin/m app/bin/m2; do
        exp=$(LD_LIBRARY_PATH=$T/other ldd "$T/$p" | sed -E 's/ \(0x[0-9a-f]+\)$//' | grep -v vdso)
        got=$("$MKROOT" deps --library-path "$T/other" "$T/$p")
        [ "$exp" = "$got" ] || fail "$p: ldd says
$exp
mkroot says
$got"
        got=$(LD_LIBRARY_PATH=$T/other "$MKROOT" deps "$T/$p")
        [ "$exp" = "$got" ] || fail "$p: LD_LIBRARY_PATH from the environment ignored"
done
"$MKROOT" --library-path "$T/other" -o o.tar "$T/app/bin/m"
has o.tar "app/lib/libfa.so.1"
has o.tar "other/libfb.so.1"
mkdir o && tar -xf o.tar -C o
# $ORIGIN needs /proc/self/exe, so give the chroot a /proc.
LD_LIBRARY_PATH="$T/other" unshare --mount --pid --fork sh -c \
        "mount -t proc proc '$T/o/proc' && chroot '$T/o' '$T/app/bin/m'" || fail "rpath program does not run in the image"
"$MKROOT" deps --tree --library-path "$T/other" "$T/app/bin/m" >tree.out
grep -q "^$T/app/bin/m (interpreter => /lib64/ld-linux-x86-64.so.2)" tree.out || fail "tree header: $(head -1 tree.out)"
grep -q "^    libfa.so.1 => $T/app/bin/../lib/libfa.so.1" tree.out || fail "tree: $(cat tree.out)"
grep -q "^        libc.so.6 => \|^    libc.so.6 => " tree.out || fail "tree lacks libc"

# 5. a 32-bit program (gcc-multilib is a test dependency: tools/install-deps
# --test; without it this case would not run, which is a failure)
echo 'int main(void){return 0;}' | cc -m32 -x c -o m32 - ||
        fail "cc -m32 cannot build a 32-bit program (install gcc-multilib)"
exp=$(ldd ./m32 | sed -E 's/ \(0x[0-9a-f]+\)$//' | grep -v -E 'vdso|linux-gate')
got=$("$MKROOT" deps ./m32)
[ "$exp" = "$got" ] || fail "32-bit: ldd says
$exp
mkroot says
$got"
"$MKROOT" -o m32.tar "$T/m32"
has m32.tar 'ld-linux.so.2'
mkdir m32d && tar -xf m32.tar -C m32d && chroot m32d "$T/m32" || fail "32-bit image does not run"
echo ok
