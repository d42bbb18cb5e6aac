#!/bin/bash
# Same inputs, byte-identical image; SOURCE_DATE_EPOCH clamps mtimes; the
# gzip header carries no name and no time; every compression by name.
. "$(dirname "$0")/lib.sh"
cd "$T"
mkdir a b
(cd a && "$MKROOT" /bin/bash /bin/ls -o out.tar.gz)
sleep 1.1
(cd b && "$MKROOT" /bin/ls /bin/bash -o out.tar.gz)
cmp a/out.tar.gz b/out.tar.gz || fail "two builds differ"
# gzip header: flags byte (3) has no FNAME, mtime (4..7) is zero
hdr=$(od -An -tx1 -N8 a/out.tar.gz | tr -d ' \n')
[ "${hdr:0:4}" = 1f8b ] || fail "not gzip: $hdr"
[ $((0x${hdr:6:2} & 8)) -eq 0 ] || fail "gzip header has a file name"
[ "${hdr:8:8}" = 00000000 ] || fail "gzip header has a time: $hdr"
# sorted, parents first
tarlist a/out.tar.gz >all && awk '{print $4}' all >names
LC_ALL=C sort -c names 2>/dev/null || fail "entries not sorted: $(head names)"
SOURCE_DATE_EPOCH=1000000000 "$MKROOT" /bin/bash -o e1.tar.gz
SOURCE_DATE_EPOCH=1000000000 "$MKROOT" /bin/bash -o e2.tar.gz
cmp e1.tar.gz e2.tar.gz || fail "epoch builds differ"
max=$(tarlist e1.tar.gz | awk '{print $3}' | sort -n | tail -1)
[ "$max" = 1000000000 ] || fail "mtime not clamped: max $max"
SOURCE_DATE_EPOCH=1100000000 "$MKROOT" /bin/bash -o e3.tar.gz
cmp -s e1.tar.gz e3.tar.gz && fail "SOURCE_DATE_EPOCH did not change the image"
SOURCE_DATE_EPOCH=bogus "$MKROOT" /bin/bash -o bad.tar.gz 2>err && fail "bogus SOURCE_DATE_EPOCH accepted"
grep -q SOURCE_DATE_EPOCH err || fail "no message about SOURCE_DATE_EPOCH"
for ext in tar tar.gz tar.zst tar.xz; do
        "$MKROOT" /bin/true -o "t.$ext"
        tar -tf "t.$ext" >list || fail "t.$ext unreadable"
        grep -q 'usr/bin/true' list || fail "t.$ext lacks usr/bin/true"
done
[ "$(od -An -tx1 -N4 t.tar.zst | tr -d ' ')" = 28b52ffd ] || fail "zst magic"
[ "$(od -An -tx1 -N2 t.tar.xz | tr -d ' ')" = fd37 ] || fail "xz magic"
"$MKROOT" /bin/true -o forced.img --compress xz
[ "$(od -An -tx1 -N2 forced.img | tr -d ' ')" = fd37 ] || fail "--compress xz ignored"
ls -A | grep -v -E '^(a|b|names|all|list|e[123]\.tar\.gz|err|t\.tar(\.gz|\.zst|\.xz)?|forced\.img)$' && fail "stray files left"
echo ok
