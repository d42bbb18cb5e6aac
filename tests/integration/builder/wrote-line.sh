#!/bin/bash
# Every mkroot command that writes a file closes with one line on stderr,
# "mkroot: wrote FILE: N WHAT, SIZE, T s" (mkroot fetch's is tested in
# tests/integration/apt/fetch-phases.sh); -q prints nothing.
. "$(dirname "$0")/lib.sh"
cd "$T"
export MKROOT_CACHE=$T/cache
line() { # WHAT: the regex of the closing line
        echo "^mkroot: wrote [^ ]+: [0-9]+ $1, [0-9.]+ [KM]iB, [0-9.]+ s\$"
}

# ---- mkroot --add: the number of files is what the image holds
"$MKROOT" /bin/true -o a.tar.gz 2>err || fail "mkroot /bin/true: $(cat err)"
[ "$(wc -l <err)" = 1 ] || fail "more than one line: $(cat err)"
grep -Eq "$(line files)" err || fail "closing line: $(cat err)"
n=$(sed -n 's/^mkroot: wrote a.tar.gz: \([0-9]*\) files, .*/\1/p' err)
[ "$n" = "$(tar -tzf a.tar.gz | grep -vx '\./' | wc -l)" ] ||
        fail "$n files said, $(tar -tzf a.tar.gz | wc -l) entries in a.tar.gz"
"$MKROOT" --add /bin/true -o b.tar.gz --format oci 2>err || fail "--format oci: $(cat err)"
grep -Eq "$(line files)" err && grep -q '^mkroot: wrote b.tar.gz: ' err || fail "oci: $(cat err)"
"$MKROOT" -q /bin/true -o q.tar.gz 2>err || fail "-q: $(cat err)"
[ ! -s err ] || fail "-q printed: $(cat err)"

# ---- mkroot build and mkroot --base (a build underneath): layers
cat >app.manifest <<'M'
Base: a.tar.gz

Add: /bin/echo
M
"$MKROOT" build app.manifest -o app.tar.gz 2>err || fail "build: $(cat err)"
grep -Eq "$(line layers)" err || fail "build closing line: $(cat err)"
[ "$(tail -n1 err | cut -d' ' -f3-5)" = "app.tar.gz: 2 layers," ] || fail "build: $(cat err)"
"$MKROOT" build -q app.manifest -o q2.tar.gz 2>err || fail "build -q: $(cat err)"
[ ! -s err ] || fail "build -q printed: $(cat err)"
"$MKROOT" --base a.tar.gz --add /bin/echo -o base.tar.gz 2>err || fail "--base: $(cat err)"
grep -Eq "$(line layers)" err || fail "--base closing line: $(cat err)"
echo ok
