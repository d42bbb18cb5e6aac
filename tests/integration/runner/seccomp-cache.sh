#!/bin/bash
# The default seccomp filter kept as BPF in the cache: one file per
# capability set, reused untouched on a warm start, rewritten when damaged,
# and refusing what the filter refuses whichever way it was obtained; a
# seccomp profile's program likewise, one file per text and set.
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

# A profile (--security-opt seccomp=FILE, as an OCI bundle's linux.seccomp
# is run): kept the same way, per text and capability set. A warm start
# reads it, another text is another file, a damaged file is made anew,
# and the profile's rule holds each time.
cat >"$T/p.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
J
prof_refused() {
        local out rc
        out=$(rr --security-opt "seccomp=$T/p.json" "$IMG" busybox mkdir /tmp/x 2>&1)
        rc=$?
        [ "$rc" != 0 ] && [[ $out == *"Operation not permitted"* ]] ||
                fail "mkdir under the profile not refused (exit $rc: $out)"
}
prof_refused
only_file 1
f=$(find "$S" -type f)
[[ ${f##*/} =~ ^[0-9a-f]{8}-[0-9a-f]{16}-[0-9a-f]{8}$ ]] || fail "a profile's file is named ${f##*/}"
ino=$(stat -c %i "$f")
prof_refused
[ "$(stat -c %i "$f")" = "$ino" ] || fail "a warm start with the profile rewrote $f"
cp "$f" "$T/good"
flip_byte "$f" $(($(stat -c %s "$f") - 2))
prof_refused
cmp -s "$f" "$T/good" || fail "the profile's $f not rewritten after damage"
echo ' ' >>"$T/p.json"
prof_refused
only_file 2

check_no_leftovers
echo "PASS"
