#!/bin/bash
# layer-symlink-escape: a layer plants x -> /etc and y -> ../../.., a later
# layer writes x/FILE and y/FILE. Flattened by mkroot (and stacked by
# runroot, when it is built) every file stays inside the image.
. "$(dirname "$0")/lib.sh"
cd "$T"
F=mkroot-escape-$$
craft_docker evil.tar "etc/;x->/etc;y->../../..;z->/$F-dir/deeper" "x/$F=via x;y/$F=via y;z/$F=via z"
[ ! -e "/etc/$F" ] && [ ! -e "/$F" ] || fail "leftover from an earlier run"
CLEANUP_HOOKS+=('rm -rf "/etc/$F" "/$F" "/$F-dir" "$T/../$F"')

printf 'Base: evil.tar\n' >flat.manifest
"$MKROOT" build flat.manifest -o flat.tar.gz 2>err || fail "build: $(cat err)"
for p in "/etc/$F" "/$F" "/$F-dir" "$(dirname "$T")/$F" "$T/$F"; do
        [ ! -e "$p" ] || fail "a layer wrote $p on the host"
done
names flat.tar.gz >list
grep -qx "etc/$F" list || fail "x/$F did not land in the image's /etc: $(cat list)"
grep -qx "$F" list || fail "y/$F did not land at the image's root"
grep -qx "$F-dir/deeper/$F" list || fail "z/$F did not land inside the image"
grep -qx "x" list && grep -qx "y" list || fail "the symlinks are gone"

# The same through a manifest's own steps: Run plants, Copy writes through.
make_base base.tar.gz
echo inside >f
cat >steps.manifest <<M
Base: base.tar.gz

Run: ln -s /etc /x && ln -s ../../.. /y

Copy: f /x/$F

Copy: f /y/$F
M
"$MKROOT" build steps.manifest --format oci -o steps.oci.tar 2>err || fail "build steps: $(cat err)"
for p in "/etc/$F" "/$F" "$(dirname "$T")/$F"; do
        [ ! -e "$p" ] || fail "a Copy step wrote $p on the host"
done
"$MKROOT" build steps.manifest -o steps.tar.gz 2>/dev/null
names steps.tar.gz >list2
grep -qx "etc/$F" list2 && grep -qx "$F" list2 || fail "Copy through a symlink: $(cat list2)"

if [ -n "${RUNROOT:-}" ] && [ "$(id -u)" = 0 ] && "$RUNROOT" --help 2>&1 | grep -q -i 'oci\|docker'; then
        out=$("$RUNROOT" evil.tar /bin/sh -c true 2>&1) && true
        for p in "/etc/$F" "/$F" "/$F-dir"; do
                [ ! -e "$p" ] || fail "runroot wrote $p on the host"
        done
fi
echo PASS
