#!/bin/bash
# mkroot --trace of 32-bit programs (issue 15): an i386 program calls the
# kernel with i386 syscall numbers (AUDIT_ARCH_I386), which the trace
# decodes as well as the native ones: what a static and a dynamic -m32
# program open (through a symlink, relative to the working directory and
# to a directory fd), stat and list, and the program they exec through a
# symlink, are in the image, and the programs run there.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
export MKROOT_CACHE=$T/cache
W=$(mktemp -d /var/tmp/mkroot-trace-i386.XXXXXX)
trap 'rm -rf "$T" "$W"' EXIT
cd "$T"
cat >a.c <<'C'
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
/* a32 DIR: reads DIR/datalink and DIR/sub/rel, stats DIR/statted, lists
 * DIR/listed, then execs DIR/link32. */
int main(int argc, char **argv)
{
        char buf[64], buf2[64], path[4096];
        struct stat st;
        if (argc != 2 || chdir(argv[1]) < 0)
                return 2;
        int f = open("datalink", O_RDONLY);
        ssize_t n = f < 0 ? -1 : read(f, buf, sizeof buf);
        int d = open("sub", O_RDONLY | O_DIRECTORY);
        int g = d < 0 ? -1 : openat(d, "rel", O_RDONLY);
        ssize_t m = g < 0 ? -1 : read(g, buf2, sizeof buf2);
        if (n <= 0 || m <= 0 || stat("statted", &st) < 0)
                return 3;
        DIR *l = opendir("listed");
        if (!l || !readdir(l))
                return 4;
        closedir(l);
        fwrite(buf, 1, (size_t)n, stdout);
        fwrite(buf2, 1, (size_t)m, stdout);
        fflush(stdout);
        snprintf(path, sizeof path, "%s/link32", argv[1]);
        execl(path, path, (char *)0);
        return 5;
}
C
printf '#include <unistd.h>\nint main(void){return write(1, "exec32\\n", 7) != 7;}\n' >b.c
if ! gcc -m32 -static -o "$W/a32" a.c 2>cc.err || ! gcc -m32 -o "$W/a32d" a.c 2>>cc.err ||
        ! gcc -m32 -static -o "$W/b32" b.c 2>>cc.err; then
        echo "SKIP: gcc -m32 cannot build i386 programs (gcc-multilib): $(head -1 cc.err)"
        exit 77
fi
if ! "$W/b32" >/dev/null 2>&1; then
        echo "SKIP: this kernel does not run i386 programs (no IA32 emulation)"
        exit 77
fi
echo data32 >"$W/data"
ln -s data "$W/datalink"
mkdir "$W/sub" "$W/listed"
echo rel32 >"$W/sub/rel"
echo x >"$W/statted"
ln -s b32 "$W/link32"
[ "$("$W/a32" "$W")" = "data32
rel32
exec32" ] || fail "precondition: a32 on the host printed: $("$W/a32" "$W")"

for prog in a32 a32d; do
        "$MKROOT" -q --trace "$W/$prog $W" -o "$prog.tar" --trace-report "$prog.rep" 2>trace.err ||
                fail "mkroot --trace $prog: $(cat trace.err)"
        for f in a32 datalink data sub/rel statted listed link32 b32; do
                [ $prog = a32d ] && [ $f = a32 ] && f=a32d
                grep -qP "^\Q$W/$f\E\t(trace|static closure)$" "$prog.rep" ||
                        fail "--trace of the i386 $prog: $W/$f not in the image"
        done
        "$RUNROOT" --net none "$prog.tar" "$W/$prog" "$W" >out 2>err ||
                fail "the i386 $prog in its traced image: $(cat err)"
        [ "$(cat out)" = "data32
rel32
exec32" ] || fail "the i386 $prog in its traced image printed: $(cat out)"
done
# The dynamic one brought i386's loader and libc by the trace.
grep -qP '^/usr/lib32/libc\.so\.6\t' a32d.rep || fail "the i386 libc is not in a32d's image"
echo "ok: trace-i386"
