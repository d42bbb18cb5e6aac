#!/bin/bash
# Online: `Base: bookworm` (fetched into the cache when missing, from the
# host's configured mirror) and `Include:` through the base's own apt; a
# rebuild reuses the cached base and layers. SKIP when the mirror cannot be
# reached.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
cd "$T"
if ! timeout 120 "$MKROOT" fetch -q --print-debs bookworm >debs 2>err; then
        grep -qiE 'resolve|connect|timed out|HTTP 5|no mirror' err && skip "mirror unreachable: $(cat err)"
        fail "print-debs: $(cat err)"
fi
cat >m <<'M'
Base: bookworm

Include: jq

Remove: /usr/share/doc

Cmd: ["/usr/bin/jq", "--version"]
M
timeout 1500 "$MKROOT" build m --format oci -o jq.oci.tar 2>err || fail "build: $(tail -5 err)"
grep -q "built 2 steps, reused 0" err || fail "first build: $(tail -3 err)"
# One copy of the base: bases/SUITE_ARCH is what mkroot fetch keeps, the
# same file as its finished image (apt/images/HEX), and nothing else.
base=$(ls "$MKROOT_CACHE"/bases/bookworm_*.tar* 2>/dev/null | head -1)
[ -n "$base" ] || fail "the fetched base is not kept in the cache's bases/"
[ "$(stat -c %h "$base")" = 2 ] || fail "$base is a copy, not the fetch's image ($(stat -c %h "$base") links)"
[ -z "$(ls -A "$MKROOT_CACHE"/apt/bases 2>/dev/null)" ] || fail "a second copy in apt/bases: $(ls "$MKROOT_CACHE"/apt/bases)"
"$MKROOT" build m --format oci -o jq2.oci.tar 2>err2 || fail "rebuild: $(cat err2)"
grep -q "nothing to build" err2 || fail "rebuild: $(cat err2)"
"$MKROOT" inspect jq.oci.tar >insp
grep -q 'Include: jq' insp || fail "inspect: $(cat insp)"
mkdir x && tar -xf jq.oci.tar -C x
# The Include layer holds jq and no borrowed name-service files.
layer=$(python3 - x <<'PY'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
print(d + "/blobs/sha256/" + m["layers"][1]["digest"][7:])
PY
)
tar -tzf "$layer" >inc.list 2>/dev/null
grep -q '^usr/bin/jq$' inc.list || fail "jq not in the Include layer"
grep -q '^etc/resolv.conf$' inc.list && fail "the host's resolv.conf leaked into the layer"
out=$("$RUNROOT" jq.oci.tar 2>err) || fail "runroot: $(cat err)"
case "$out" in jq-*) ;; *) fail "runroot printed '$out'" ;; esac
echo PASS
