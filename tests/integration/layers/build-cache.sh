#!/bin/bash
# mkroot build: a manifest with several steps; an unchanged rebuild reuses
# every layer and writes the same bytes; a changed step rebuilds itself and
# what follows only; removed files are absent after flattening; inspect,
# diff, cache ls/gc; --deps and the one-line --base form.
. "$(dirname "$0")/lib.sh"
cd "$T"
make_base base.tar.gz
echo "hello v1" >hello.txt
cat >app.manifest <<'M'
# a small app on a small base
Base: base.tar.gz
Env: GREETING=hello

Run: echo "$GREETING from run" >/run.txt
 mkdir -p /opt/doomed && echo x >/opt/doomed/f && echo y >/opt/gone

Add: /bin/echo

Copy: hello.txt /opt/hello.txt

Remove: /usr/bin/rm /opt/doomed
 /opt/gone

Cmd: ["/bin/cat", "/run.txt"]
Workdir: /opt
Label: org.example.test=yes
M
"$MKROOT" build app.manifest -o one.tar.gz 2>err1 || fail "build: $(cat err1)"
grep -q "built 4 steps, reused 0" err1 || fail "first build: $(cat err1)"
"$MKROOT" build app.manifest -o two.tar.gz 2>err2 || fail "rebuild: $(cat err2)"
grep -q "nothing to build" err2 || fail "rebuild did work: $(cat err2)"
cmp one.tar.gz two.tar.gz || fail "rebuild is not byte-identical"

names one.tar.gz >list
grep -qx 'run.txt' list || fail "run.txt missing"
grep -qx 'opt/hello.txt' list || fail "Copy result missing"
grep -q '^usr/bin/rm$' list && fail "removed /usr/bin/rm is still in the flattened image"
grep -q '^opt/doomed' list && fail "removed /opt/doomed is still there"
grep -q '^opt/gone$' list && fail "removed /opt/gone is still there"
grep -q '\.wh\.' list && fail "whiteouts left in the flattened image"
[ "$(tar -xzOf one.tar.gz ./run.txt 2>/dev/null || tar -xzOf one.tar.gz run.txt)" = "hello from run" ] ||
        fail "Run did not see Env"

# OCI output, twice: identical, and its layers say which step made them.
# (The image's name comes from the output's name: same name both times.)
"$MKROOT" build app.manifest --format oci -o a.oci.tar 2>/dev/null
mv a.oci.tar first.oci
"$MKROOT" build app.manifest --format oci -o a.oci.tar 2>/dev/null
cmp a.oci.tar first.oci || fail "OCI rebuild is not byte-identical"
"$MKROOT" inspect a.oci.tar >insp || fail "inspect failed"
grep -q '5 layers' insp || fail "inspect: $(cat insp)"
grep -q 'Copy: hello.txt /opt/hello.txt' insp || fail "inspect lacks the step: $(cat insp)"
grep -q 'Env: GREETING=hello' insp || fail "inspect lacks Env"
grep -q 'WorkingDir: /opt' insp || fail "inspect lacks WorkingDir"
grep -q 'Label: org.example.test=yes' insp || fail "inspect lacks the label"
grep -q 'sha256:[0-9a-f]\{64\}' insp || fail "inspect lacks digests"

# diff: added, removed, changed.
"$MKROOT" diff base.tar.gz one.tar.gz >d || fail "diff failed"
grep -qx '+ /run.txt' d || fail "diff: $(cat d)"
grep -qx -- '- /usr/bin/rm' d || fail "diff lacks the removal: $(cat d)"
"$MKROOT" diff one.tar.gz a.oci.tar >d2 || fail "diff rootfs/oci failed"
[ ! -s d2 ] || fail "flattened and OCI images differ: $(cat d2)"

# A changed input rebuilds its step and the ones after it, nothing else.
echo "hello v2" >hello.txt
"$MKROOT" build app.manifest -o three.tar.gz 2>err3
grep -q "built 2 steps, reused 2" err3 || fail "changed Copy: $(cat err3)"
"$MKROOT" diff one.tar.gz three.tar.gz >d3
grep -qx 'M /opt/hello.txt' d3 || fail "diff after change: $(cat d3)"

# cache ls lists the steps; gc keeps what is recent, prunes what is old.
"$MKROOT" cache ls >ls || fail "cache ls"
grep -q 'Run: echo' ls || fail "cache ls: $(cat ls)"
"$MKROOT" cache gc >/dev/null || fail "cache gc"
"$MKROOT" build app.manifest -o four.tar.gz 2>err4
grep -q "nothing to build" err4 || fail "gc removed layers in use: $(cat err4)"
touch -d '10 days ago' "$MKROOT_CACHE"/steps/* "$MKROOT_CACHE"/blobs/sha256/*
"$MKROOT" cache gc --keep-days 5 >gc || fail "cache gc --keep-days"
grep -q 'removed [1-9]' gc || fail "gc removed nothing: $(cat gc)"
[ -z "$(ls "$MKROOT_CACHE/blobs/sha256")" ] || fail "old blobs survived gc"
"$MKROOT" build app.manifest -o five.tar.gz 2>err5
grep -q "built 4 steps" err5 || fail "after gc: $(cat err5)"

# --deps: the base's libc is not copied again unless asked for.
"$MKROOT" --base base.tar.gz --add /usr/bin/id --format docker -o dep.tar 2>/dev/null ||
        fail "--base --add"
mkdir dep && tar -xf dep.tar -C dep
last=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' dep/manifest.json)
tar -tf "dep/$last" >deplist
grep -q 'usr/bin/id$' deplist || fail "--add layer lacks id: $(cat deplist)"
grep -q 'libc.so.6' deplist && fail "libc copied although the base has it"
"$MKROOT" --base base.tar.gz --add /usr/bin/id --deps all --format docker -o depall.tar 2>/dev/null
mkdir depall && tar -xf depall.tar -C depall
last=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' depall/manifest.json)
tar -tf "depall/$last" >depall.list
grep -q 'libc.so.6' depall.list || fail "--deps all did not copy libc"

# Errors name the manifest and line.
printf 'Base: scratch\n\nCopy: onlyone\n' >bad.manifest
set +e; "$MKROOT" build bad.manifest 2>err; rc=$?; set -e
[ $rc = 1 ] && grep -q 'bad.manifest:3: Copy' err || fail "bad manifest: rc $rc $(cat err)"
echo PASS
