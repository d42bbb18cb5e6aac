#!/bin/bash
# Every documented form of -o and of the first word does what it says:
# .tar.bz2/.tbz2/.tar.lz4/.tar.lz are compressed so (they were gzip), a
# suffix no format has (.zip, .rar, .foo) is refused with one line and
# nothing written, .cpio[.gz] names an initramfs (it was a tar) unless
# --format says otherwise, an initramfs without /init is refused, `mkroot
# ls` of a missing file or a directory says so, and a mistyped subcommand
# is named.
. "$(dirname "$0")/lib.sh"
cd "$T"
export SOURCE_DATE_EPOCH=1700000000
magic() { od -An -tx1 -N"$2" "$1" | tr -d ' \n'; }
# The names mkroot ls lists, one a line.
names() { "$MKROOT" ls "$1" | sed 's/.* [0-9][0-9]:[0-9][0-9] //; s/ -> .*//; s/ link to .*//'; }

# ---- compressions libarchive writes, chosen by the name
"$MKROOT" -q /bin/true -o ref.tar
names ref.tar >ref.names
grep -qx 'usr/bin/true' ref.names || fail "ref.tar lacks usr/bin/true"
check() { # NAME MAGIC-HEX
        local n=$1 want=$2
        "$MKROOT" -q /bin/true -o "$n" || fail "-o $n failed"
        [ "$(magic "$n" $((${#want} / 2)))" = "$want" ] || fail "$n: magic $(magic "$n" 4), want $want"
        names "$n" >"$n.names" || fail "mkroot ls $n"
        cmp -s ref.names "$n.names" || fail "$n lists other entries than ref.tar"
        "$MKROOT" -q /bin/true -o "again-$n"
        cmp -s "$n" "again-$n" || fail "$n: two builds differ"
}
check x.tar.bz2 425a68   # "BZh"
check x.tbz2 425a68
check x.tar.lz4 04224d18
check x.tar.lz 4c5a4950  # "LZIP"
tar -tjf x.tar.bz2 >l && grep -qx 'usr/bin/true' l || fail "tar -tjf x.tar.bz2"
lz4 -dc x.tar.lz4 | tar -tf - >l && grep -qx 'usr/bin/true' l || fail "lz4 -dc x.tar.lz4 | tar -t"
# --compress names them too.
"$MKROOT" -q /bin/true -o c.tar --compress bzip2
[ "$(magic c.tar 3)" = 425a68 ] || fail "--compress bzip2 ignored"
# No suffix, or one that is a version rather than a word: gzip, as before.
for n in plain os-12.5; do
        "$MKROOT" -q /bin/true -o "$n" || fail "-o $n failed"
        [ "$(magic "$n" 2)" = 1f8b ] || fail "-o $n is not gzip"
        tar -tzf "$n" >l && grep -qx 'usr/bin/true' l || fail "-o $n is no gzip'd tar"
done

# ---- a suffix no format has: one line, exit 2, nothing written
rm -rf out && mkdir out
for n in x.zip x.rar x.foo; do
        rc=0
        "$MKROOT" /bin/true -o "out/$n" >so 2>se || rc=$?
        [ "$rc" = 2 ] || fail "-o $n: exit $rc, want 2"
        printf "mkroot: out/%s: unknown suffix '.%s': name the image .tar or .cpio, alone or followed by .gz, .zst, .xz, .bz2, .lz4 or .lz (or .tgz, .tzst, .txz, .tbz2)\n" \
                "$n" "${n#x.}" >want
        cmp -s want se || fail "-o $n said: $(cat se)"
        [ ! -s so ] || fail "-o $n wrote to stdout: $(cat so)"
done
[ -z "$(ls -A out)" ] || fail "a refused name left files: $(ls -A out)"
# ... unless --compress says how to compress (the name is the user's).
"$MKROOT" -q /bin/true -o x.zip --compress xz || fail "-o x.zip --compress xz"
[ "$(magic x.zip 2)" = fd37 ] || fail "-o x.zip --compress xz is not xz"

# ---- .cpio names an initramfs, unless --format says otherwise
cat >init <<'EOF'
#!/bin/true
EOF
chmod +x init
"$MKROOT" -q --init "$PWD/init" /bin/true -o i.cpio || fail "-o i.cpio"
[ "$(head -c 6 i.cpio)" = 070701 ] || fail "i.cpio is no newc cpio: $(magic i.cpio 8)"
"$MKROOT" -q --init "$PWD/init" /bin/true -o i.cpio.gz || fail "-o i.cpio.gz"
gzip -dc i.cpio.gz >l && [ "$(head -c 6 l)" = 070701 ] || fail "i.cpio.gz is no gzip'd newc cpio"
"$MKROOT" -q --init "$PWD/init" /bin/true -o i.cpio.zst || fail "-o i.cpio.zst"
zstd -q -dc i.cpio.zst >l && [ "$(head -c 6 l)" = 070701 ] || fail "i.cpio.zst is no zstd'd newc cpio"
names i.cpio.gz >l && grep -qx 'init' l || fail "i.cpio.gz has no init"
# An explicit --format wins over the name, wherever it stands.
"$MKROOT" -q --format tar /bin/true -o t.cpio.gz || fail "--format tar -o t.cpio.gz"
gzip -dc t.cpio.gz >l && [ "$(od -An -c -j257 -N5 l | tr -d ' ')" = ustar ] ||
        fail "--format tar -o t.cpio.gz is no tar"
"$MKROOT" -q -o t2.cpio --format oci --format tar /bin/true || fail "-o t2.cpio --format tar"
tar -tf t2.cpio >l && grep -qx 'usr/bin/true' l || fail "--format tar -o t2.cpio is no tar"

# ---- an initramfs without /init: refused, nothing written
for args in "--format initramfs -o n.gz" "-o n.cpio.gz" "--format cpio -o n.cpio"; do
        rc=0
        # shellcheck disable=SC2086
        "$MKROOT" $args /bin/true >so 2>se || rc=$?
        [ "$rc" = 1 ] || fail "$args without /init: exit $rc, want 1"
        echo "mkroot: initramfs: no /init in the image: add one with --init PATH or --add PROG:/init" >want
        cmp -s want se || fail "$args without /init said: $(cat se)"
        [ ! -s so ] || fail "$args: stdout: $(cat so)"
done
ls -A | grep -E '^\.?n\.' && fail "a refused initramfs left files"
# PROG:/init is an /init as --init is.
"$MKROOT" -q --format initramfs /bin/true:/init -o p.gz || fail "--add /bin/true:/init"
names p.gz >l && grep -qx 'init' l || fail "p.gz has no init"

# ---- mkroot ls of a missing file
rc=0
"$MKROOT" ls nosuch >so 2>se || rc=$?
[ "$rc" = 1 ] || fail "ls nosuch: exit $rc, want 1"
echo "mkroot: nosuch: No such file or directory" >want
cmp -s want se || fail "ls nosuch said: $(cat se)"
[ ! -s so ] || fail "ls nosuch: stdout: $(cat so)"
# ... and of a directory, that it is one.
rc=0
"$MKROOT" ls . >so 2>se || rc=$?
[ "$rc" = 1 ] || fail "ls .: exit $rc, want 1"
echo "mkroot: .: Is a directory" >want
cmp -s want se || fail "ls . said: $(cat se)"

# ---- a mistyped subcommand
rm -rf typo && mkdir typo && cd typo
for w in dep:deps fecth:fetch buidl:build inpsect:inspect lss:ls; do
        rc=0
        "$MKROOT" "${w%%:*}" /bin/ls >../so 2>../se || rc=$?
        [ "$rc" = 2 ] || fail "mkroot ${w%%:*}: exit $rc, want 2"
        echo "mkroot: unknown command '${w%%:*}'; did you mean '${w#*:}'?" >../want
        cmp -s ../want ../se || fail "mkroot ${w%%:*} said: $(cat ../se)"
done
[ -z "$(ls -A)" ] || fail "a mistyped subcommand wrote: $(ls -A)"
# A word that is a file here is still a path to add, as it always was.
cp /bin/true dep
"$MKROOT" dep -q -o ../dep.tar || fail "mkroot dep (a file) failed"
cd ..
names dep.tar >l && grep -qx "${T#/}/typo/dep" l || fail "dep.tar lacks the file dep"
# ... and a word no subcommand is near is a missing path, as before.
rc=0
(cd typo && "$MKROOT" zzzzz -o ../z.tar) 2>se || rc=$?
[ "$rc" = 1 ] || fail "mkroot zzzzz: exit $rc, want 1"
grep -q 'zzzzz: No such file or directory' se || fail "mkroot zzzzz said: $(cat se)"
echo ok
