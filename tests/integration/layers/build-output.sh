#!/bin/bash
# mkroot build -o follows what mkroot --add -o does (mkroot/format.c): every
# suffix --help names writes that format (.tar with each compression, .cpio
# as a newc cpio with each, NAME.oci.tar, NAME.docker.tar); a suffix no
# format has is refused in one line, exit 2, before anything is written; an
# initramfs without /init is refused; the closing line counts "1 layer".
. "$(dirname "$0")/lib.sh"
command -v cpio >/dev/null || skip "needs cpio (tools/install-deps --test)"
command -v file >/dev/null || skip "needs file (tools/install-deps --test)"
cd "$T"
make_base base.tar.gz
printf '#!/bin/sh\necho init\n' >init.sh
chmod 755 init.sh
printf 'Base: base.tar.gz\nCopy: init.sh /init\n' >app.manifest
printf 'Base: base.tar.gz\nCopy: init.sh /hi\n' >noinit.manifest

# check NAME FILE-SAYS [DECOMPRESS]: build -o NAME, `file` says FILE-SAYS;
# with DECOMPRESS, what it gives is a tar holding /init.
check() {
        "$MKROOT" build -q app.manifest -o "$1" 2>err || fail "-o $1: $(cat err)"
        file -b "$1" >says
        grep -q "$2" says || fail "-o $1 is $(cat says), want $2"
        if [ -n "${3:-}" ]; then
                $3 <"$1" >inner || fail "-o $1: $3 failed"
                tar -tf inner >l || fail "-o $1 holds no tar"
                grep -qx '\./init\|init' l || fail "-o $1: no init in $(cat l)"
        fi
}
check x.tar '^POSIX tar archive' cat
check x.tar.gz '^gzip compressed' 'gzip -dc'
check x.tgz '^gzip compressed' 'gzip -dc'
check x.tar.zst '^Zstandard compressed' 'zstd -dc'
check x.tzst '^Zstandard compressed' 'zstd -dc'
check x.tar.xz '^XZ compressed' 'xz -dc'
check x.txz '^XZ compressed' 'xz -dc'
check x.tar.bz2 '^bzip2 compressed' 'bzip2 -dc'
check x.tbz2 '^bzip2 compressed' 'bzip2 -dc'
check x.tar.lz4 '^LZ4 compressed' 'lz4 -dc'
check x.tar.lz '^lzip compressed'
check plain '^gzip compressed' 'gzip -dc'

# .cpio: a newc cpio that cpio -t lists, under each compression.
ccheck() { # NAME FILE-SAYS DECOMPRESS
        "$MKROOT" build -q app.manifest -o "$1" 2>err || fail "-o $1: $(cat err)"
        file -b "$1" >says
        grep -q "$2" says || fail "-o $1 is $(cat says), want $2"
        $3 <"$1" >inner || fail "-o $1: $3 failed"
        file -b inner >says
        grep -q '^ASCII cpio archive (SVR4 with no CRC)' says || fail "-o $1 holds $(cat says)"
        cpio -t <inner >l 2>cerr || fail "-o $1: cpio -t: $(cat cerr)"
        grep -qx 'init' l || fail "-o $1: no init in $(cat l)"
        grep -qx 'bin/sh\|usr/bin/sh' l || fail "-o $1: no base in $(cat l)"
}
ccheck x.cpio '^ASCII cpio archive (SVR4 with no CRC)' cat
ccheck x.cpio.gz '^gzip compressed' 'gzip -dc'
ccheck x.cpio.zst '^Zstandard compressed' 'zstd -dc'
ccheck x.cpio.xz '^XZ compressed' 'xz -dc'
ccheck x.cpio.bz2 '^bzip2 compressed' 'bzip2 -dc'
ccheck x.cpio.lz4 '^LZ4 compressed' 'lz4 -dc'
"$MKROOT" build -q app.manifest -o x.cpio.lz || fail "-o x.cpio.lz"
file -b x.cpio.lz >says
grep -q '^lzip compressed' says || fail "-o x.cpio.lz is $(cat says)"
# --format initramfs makes one whatever the name; --format tar a tar.
"$MKROOT" build -q app.manifest --format initramfs -o f.gz || fail "--format initramfs -o f.gz"
gzip -dc f.gz | cpio -t >l 2>/dev/null || fail "--format initramfs -o f.gz: no cpio"
grep -qx 'init' l || fail "--format initramfs: no init in $(cat l)"
"$MKROOT" build -q app.manifest --format tar -o t.cpio || fail "--format tar -o t.cpio"
file -b t.cpio >says
grep -q '^POSIX tar archive' says || fail "--format tar -o t.cpio is $(cat says)"

# OCI and docker archives by name.
"$MKROOT" build -q app.manifest -o x.oci.tar || fail "-o x.oci.tar"
tar -tf x.oci.tar >l
grep -qx 'oci-layout' l || fail "x.oci.tar is no OCI layout: $(cat l)"
"$MKROOT" build -q app.manifest -o x.docker.tar || fail "-o x.docker.tar"
tar -tf x.docker.tar >l
grep -qx 'manifest.json' l && ! grep -qx 'oci-layout' l || fail "x.docker.tar is no docker archive: $(cat l)"

# ---- a suffix no format has: one line, exit 2, nothing written
mkdir out
rc=0
"$MKROOT" build app.manifest -o out/x.zip >so 2>se || rc=$?
[ "$rc" = 2 ] || fail "-o x.zip: exit $rc, want 2"
echo "mkroot: out/x.zip: unknown suffix '.zip': name the image .tar or .cpio, alone or followed by .gz, .zst, .xz, .bz2, .lz4 or .lz (or .tgz, .tzst, .txz, .tbz2)" >want
cmp -s want se || fail "-o x.zip said: $(cat se)"
[ ! -s so ] || fail "-o x.zip wrote to stdout: $(cat so)"
# The same line mkroot -o gives for the same name.
rc=0 rc_add=0
"$MKROOT" build app.manifest -o out/x.rar 2>se || rc=$?
"$MKROOT" /bin/true -o out/x.rar 2>add || rc_add=$?
[ "$rc $rc_add" = "2 2" ] || fail "-o x.rar: build exit $rc, --add exit $rc_add, want 2"
cmp -s add se || fail "-o x.rar: build said $(cat se), --add $(cat add)"
[ -z "$(ls -A out)" ] || fail "a refused name left files: $(ls -A out)"
# ... unless --compress says how, as for mkroot --add.
"$MKROOT" build -q app.manifest -o x.zip --compress xz || fail "-o x.zip --compress xz"
file -b x.zip >says
grep -q '^XZ compressed' says || fail "-o x.zip --compress xz is $(cat says)"
# A --format that does not exist: the usage line.
rc=0
"$MKROOT" build app.manifest --format zip -o y.tar 2>se || rc=$?
[ "$rc" = 2 ] || fail "--format zip: exit $rc, want 2"
head -n1 se >l
echo "mkroot: build: --format: unknown format 'zip' (tar, rootfs, initramfs, oci, docker)" >want
cmp -s want l || fail "--format zip said: $(cat se)"

# ---- an initramfs without /init: refused, nothing written
for args in "-o out/n.cpio.gz" "--format initramfs -o out/n.gz" "--format cpio -o out/n.cpio"; do
        rc=0
        # shellcheck disable=SC2086
        "$MKROOT" build noinit.manifest $args >so 2>se || rc=$?
        [ "$rc" = 1 ] || fail "$args without /init: exit $rc, want 1"
        echo "mkroot: initramfs: no /init in the image: add one with a step such as Add: PROG:/init or Copy: FILE /init" >want
        cmp -s want se || fail "$args without /init said: $(cat se)"
done
[ -z "$(ls -A out)" ] || fail "a refused initramfs left files: $(ls -A out)"

# ---- the closing line: "1 layer", "2 layers"
printf 'Base: scratch\nCopy: init.sh /init\n' >one.manifest
"$MKROOT" build one.manifest -o one.cpio 2>err || fail "one layer: $(cat err)"
tail -n1 err | cut -d' ' -f3-5 >l
echo "one.cpio: 1 layer," >want
cmp -s want l || fail "one layer: $(cat err)"
"$MKROOT" build app.manifest -o two.tar 2>err || fail "two layers: $(cat err)"
tail -n1 err | cut -d' ' -f3-5 >l
echo "two.tar: 2 layers," >want
cmp -s want l || fail "two layers: $(cat err)"
echo OK
