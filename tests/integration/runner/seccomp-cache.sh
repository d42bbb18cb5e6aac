#!/bin/bash
# The default seccomp filter kept as BPF in the cache: one file per
# capability set, reused untouched on a warm start, rewritten when damaged,
# and refusing what the filter refuses whichever way it was obtained.
. "$(dirname "$0")/lib.sh" "$1"

S=$MKROOT_CACHE/seccomp
# unshare(CLONE_NEWUSER) is refused by the filter whatever the caps.
refused() {
        local out rc
        out=$(rr "$@" "$IMG" busybox unshare -U true 2>&1)
        rc=$?
        [ "$rc" != 0 ] && [[ $out == *"Operation not permitted"* ]] ||
                fail "$*: unshare -U not refused (exit $rc: $out)"
}
only_file() {
        local n
        n=$(find "$S" -type f | wc -l)
        [ "$n" = "$1" ] || { ls -la "$S" >&2; fail "$n files in $S, expected $1"; }
}

refused
only_file 1
f=$(find "$S" -type f)
ino=$(stat -c %i "$f")
refused
[ "$(stat -c %i "$f")" = "$ino" ] || fail "a warm start rewrote $f"

# Another capability set: another program, the rule it lifts is lifted.
refused --cap-add SYS_ADMIN
only_file 2
expect_rc 0 rr --cap-add SYS_ADMIN "$IMG" busybox unshare -m true

# A damaged file is refused, the filter still applies, the file is made anew.
cp "$f" "$T/good"
flip_byte "$f" $(($(stat -c %s "$f") - 2))
cmp -s "$f" "$T/good" && fail "the damage did not change $f"
refused
cmp -s "$f" "$T/good" || fail "$f not rewritten after damage"

# A truncated one likewise.
truncate -s 40 "$f"
refused
cmp -s "$f" "$T/good" || fail "$f not rewritten after truncation"

# A cache where the program cannot be stored: compiled every time.
rm -rf "$S"
touch "$S"
refused
[ -f "$S" ] || fail "$S replaced"
rm -f "$S"

check_no_leftovers
echo "PASS"
