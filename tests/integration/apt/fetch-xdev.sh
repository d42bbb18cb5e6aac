#!/bin/bash
# mkroot fetch with its cache on another file system (a tmpfs here) than
# the output: the image is kept in the cache and reused from it without a
# warning (a copy_file_range across file systems fails with EXDEV; the
# copy falls back to read and write).
. "$(dirname "$0")/lib.sh"
build_repo
serve_http
make_manifest testsuite "http://127.0.0.1:$PORT"

fetch() { # OUTPUT [ARGS...]: stdout in $T/so, stderr in $T/se, status in $RC
        local out=$1; shift
        set +e
        "$MKROOT" fetch "$T/testsuite.deb822" -o "$out" "$@" >"$T/so" 2>"$T/se"
        RC=$?
        set -e
}

# --- a cache on another file system (a tmpfs) than the output ---
mkdir "$T/tmpfs"
mount -t tmpfs -o size=256m mkroot-test "$T/tmpfs" || skip "cannot mount a tmpfs"
trap 'if mountpoint -q "$T/tmpfs"; then umount "$T/tmpfs"; fi; cleanup' EXIT
export MKROOT_CACHE=$T/tmpfs/cache
fetch "$T/xdev.tar.gz"
[ "$RC" = 0 ] && [ -s "$T/xdev.tar.gz" ] || fail "fetch with the cache on a tmpfs: $(cat "$T/se")"
grep -qi 'cross-device\|warning' "$T/se" && fail "cross-device warning: $(cat "$T/se")"
ls "$T"/tmpfs/cache/apt/images/* >/dev/null 2>&1 || fail "no image kept in the tmpfs cache"
ls "$T/tmpfs/cache/bases/testsuite_amd64.tar.gz" >/dev/null || fail "base layer not kept"
# Reused from there, copied across to the output.
fetch "$T/xdev2.tar.gz"
[ "$RC" = 0 ] && cmp -s "$T/xdev.tar.gz" "$T/xdev2.tar.gz" || fail "reuse across file systems: $(cat "$T/se")"
grep -qi 'cross-device\|warning' "$T/se" && fail "cross-device warning on reuse: $(cat "$T/se")"
echo "ok"
