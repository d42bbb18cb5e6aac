#!/bin/bash
# Where mkroot fetch builds its tree: on a private tmpfs when it fits in
# memory (mounted in mkroot's own mount namespace: nothing stays mounted
# on the host), on disk in the cache with --no-tmpfs, removed after the
# image is written by a process of its own. Both give the same image
# (SOURCE_DATE_EPOCH set); nothing is left in the cache's tmp/.
. "$(dirname "$0")/lib.sh"
build_repo
export MKROOT_CACHE=$T/cache SOURCE_DATE_EPOCH=1700000000
make_manifest testsuite "file://$T/repo"
S=$T/testsuite.deb822

tmp_left() { # the trees left in the cache's tmp/
        find "$T/cache/apt/tmp" -mindepth 1 -maxdepth 1 -name 'root-*' >"$T/left"
}

"$MKROOT" fetch -v "$S" -o "$T/mem.tar" >"$T/mem.log" 2>&1 || fail "fetch: $(tail -5 "$T/mem.log")"
grep -q '^mkroot: debug: build tree on a tmpfs (about [0-9]* MiB wanted' "$T/mem.log" ||
        fail "not built on a tmpfs: $(grep 'build tree' "$T/mem.log")"
tmp_left
[ ! -s "$T/left" ] || fail "tmpfs tree left behind: $(cat "$T/left")"
grep -q ' mkroot-tree ' /proc/self/mountinfo && fail "a tmpfs of mkroot's is mounted on the host"

"$MKROOT" fetch -v --no-tmpfs --rebuild "$S" -o "$T/disk.tar" >"$T/disk.log" 2>&1 ||
        fail "fetch --no-tmpfs: $(tail -5 "$T/disk.log")"
grep -qx 'mkroot: debug: build tree on disk (--no-tmpfs)' "$T/disk.log" ||
        fail "--no-tmpfs: $(grep 'build tree' "$T/disk.log")"
# The tree on disk goes in the background: give it a moment.
for _ in $(seq 100); do
        tmp_left
        [ -s "$T/left" ] || break
        sleep 0.1
done
[ ! -s "$T/left" ] || fail "disk tree not removed: $(cat "$T/left")"
cmp "$T/mem.tar" "$T/disk.tar" || fail "the tmpfs and the disk build differ"
echo "PASS"
