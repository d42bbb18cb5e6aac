#!/bin/bash
# Named writable layers as containers: --name over another image names
# both images; runroot ps [-a] [--format json] lists them, running ones
# alone without -a; runroot rm removes one (every file, the name starts
# fresh after), refuses a running one and an unknown name; gc keeps them;
# a file named "ps" is still an image; completion offers names after rm.
. "$(dirname "$0")/lib.sh"
set -o pipefail

A=$(realpath "$IMG")
make_tree "$T/b"
echo b >"$T/b/etc/marker"
tar -C "$T/b" -czf "$T/b.tar.gz" .
B=$(realpath "$T/b.tar.gz")

# Reusing a name over another image names the image the user gave, and the
# one it was made from, as given (absolute).
expect_rc 0 rr --name dev "$IMG" sh -c 'echo kept >/state'
rc=0
(cd "$T" && "$RUNROOT" --name dev b.tar.gz true) 2>"$T/blame.err" || rc=$?
[ "$rc" = 125 ] || fail "--name over another image: exit $rc, expected 125"
printf 'runroot: --name dev: made from %s, not %s; use another name\n' "$A" "$B" |
        cmp - "$T/blame.err" || fail "--name over another image: message: $(cat "$T/blame.err")"
# A directory given as the image is named the same way.
expect_rc 0 rr --name dirname "$IMG_DIR" true
rc=0
"$RUNROOT" --name dirname "$IMG" true 2>"$T/blame2.err" || rc=$?
[ "$rc" = 125 ] || fail "--name over a tarball after a directory: exit $rc"
printf 'runroot: --name dirname: made from %s, not %s; use another name\n' "$(realpath "$IMG_DIR")" "$A" |
        cmp - "$T/blame2.err" || fail "--name (directory): message: $(cat "$T/blame2.err")"
expect_rc 0 rr rm dirname >/dev/null
# A layer made by an older version (no config.json) says the cache path.
expect_rc 0 rr --name old "$IMG" true
rm "$MKROOT_CACHE/names/old/config.json"
rc=0
"$RUNROOT" --name old "$T/b.tar.gz" true 2>"$T/blame3.err" || rc=$?
[ "$rc" = 125 ] || fail "--name over another image (old layer): exit $rc"
printf 'runroot: --name old: made from another image (%s); use another name\n' \
        "$(cat "$MKROOT_CACHE/names/old/image")" | cmp - "$T/blame3.err" ||
        fail "--name (old layer): message: $(cat "$T/blame3.err")"
expect_rc 0 rr rm old >/dev/null

# ps -a: both named layers with their images, stopped.
expect_rc 0 rr --name other "$T/b.tar.gz" true
"$RUNROOT" ps -a >"$T/ps-a.out" || fail "ps -a"
head -1 "$T/ps-a.out" >"$T/ps-a.head"
grep -qE '^CONTAINER ID +NAME +IMAGE +COMMAND +CREATED +STATUS +PID$' "$T/ps-a.head" ||
        fail "ps -a: header: $(cat "$T/ps-a.out")"
awk 'NR > 1 {print $2, $3}' "$T/ps-a.out" >"$T/ps-a.cols"
printf 'dev %s\nother %s\n' "$A" "$B" | cmp - "$T/ps-a.cols" || fail "ps -a: $(cat "$T/ps-a.out")"
grep -E '^[0-9a-f]{12} +dev +[^ ]+ +"sh -c echo kept >/s[^ ]*" +[^ ].* ago +Exited \(0\) .* ago$' "$T/ps-a.out" >/dev/null ||
        fail "ps -a: the command or the status of dev: $(cat "$T/ps-a.out")"
# ps alone: none runs.
"$RUNROOT" ps >"$T/ps.out" || fail "ps"
[ "$(wc -l <"$T/ps.out")" = 1 ] || fail "ps: stopped ones listed: $(cat "$T/ps.out")"

# A running one: ps shows it alone; rm refuses it.
"$RUNROOT" --name live "$IMG" sleep 60 &
pid=$!
CLEANUP_PIDS=$pid
for _ in $(seq 100); do
        "$RUNROOT" ps >"$T/ps.out" || fail "ps during a run"
        [ "$(wc -l <"$T/ps.out")" = 2 ] && break
        sleep 0.1
done
awk 'NR > 1 {print $2, $3}' "$T/ps.out" >"$T/ps.cols"
printf 'live %s\n' "$A" | cmp - "$T/ps.cols" || fail "ps: not the running one alone: $(cat "$T/ps.out")"
grep -E '^[0-9a-f]{12} +live +[^ ]+ +"sleep 60" +[^ ].* ago +Up [^ ]' "$T/ps.out" >/dev/null || fail "ps: status: $(cat "$T/ps.out")"
rc=0
"$RUNROOT" rm live >"$T/rm.out" 2>"$T/rm.err" || rc=$?
[ "$rc" = 1 ] || fail "rm of a running one: exit $rc, expected 1"
printf 'runroot: rm: live is running\n' | cmp - "$T/rm.err" || fail "rm of a running one: $(cat "$T/rm.err")"
[ -d "$MKROOT_CACHE/names/live/upper" ] || fail "rm of a running one removed it"
kill "$pid"
wait "$pid"
CLEANUP_PIDS=""

# --format json: one object per line, with docker's keys.
"$RUNROOT" ps -a --format json >"$T/ps.json" || fail "ps -a --format json"
[ "$(wc -l <"$T/ps.json")" = 3 ] || fail "ps --format json: $(cat "$T/ps.json")"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [(r["Names"], r["Image"], r["Command"], r["State"]) for r in rows]
want = [("dev", sys.argv[2], "sh -c echo kept >/state", "exited"),
        ("live", sys.argv[2], "sleep 60", "exited"),
        ("other", sys.argv[3], "true", "exited")]
assert got == want, got
assert rows[0]["Status"].startswith("Exited (0) "), rows[0]
assert rows[1]["Status"].startswith("Exited (143) "), rows[1]
for r in rows:
    assert r["RunningFor"].endswith(" ago") and r["CreatedAt"], r
' "$T/ps.json" "$A" "$B" || fail "ps --format json: $(cat "$T/ps.json")"
expect_rc 125 rr ps --format yaml 2>"$T/fmt.err"
printf 'runroot: ps: --format yaml: expected json or table\n' | cmp - "$T/fmt.err" ||
        fail "ps --format yaml: $(cat "$T/fmt.err")"

# gc keeps named layers, stopped ones included.
"$RUNROOT" gc || fail "gc"
[ -e "$MKROOT_CACHE/names/dev/upper/state" ] || fail "gc removed a named layer"
out=$(rr --name dev "$IMG" cat /state)
[ "$out" = kept ] || fail "after gc: the named layer lost its files: $out"

# rm removes every file, also what the container made root-owned and
# unreadable, without following symlinks out of it.
echo outside >"$T/outside"
expect_rc 0 rr --name dev "$IMG" sh -c "mkdir -p /d/e && echo x >/d/e/f && chmod 000 /d/e /d && ln -s $T/outside /link && ln -s $T /linkdir"
"$RUNROOT" rm dev >"$T/rm.out" || fail "rm dev"
[ "$(cat "$T/rm.out")" = dev ] || fail "rm: printed $(cat "$T/rm.out")"
[ ! -e "$MKROOT_CACHE/names/dev" ] || fail "rm: the layer is still in the cache"
[ "$(ls -A "$MKROOT_CACHE/names" | grep -v '\.lock$' | sort | tr '\n' ' ')" = "live other " ] ||
        fail "rm: left in names/: $(ls -A "$MKROOT_CACHE/names")"
[ "$(cat "$T/outside")" = outside ] || fail "rm followed a symlink out of the layer"
"$RUNROOT" ps -a >"$T/ps-a.out" || fail "ps -a after rm"
awk 'NR > 1 {print $2}' "$T/ps-a.out" >"$T/ps-a.cols"
printf 'live\nother\n' | cmp - "$T/ps-a.cols" || fail "ps -a after rm: $(cat "$T/ps-a.out")"
# The name starts fresh, and may now go with another image.
expect_rc 1 rr --name dev "$T/b.tar.gz" rrhelper cat /state 2>/dev/null
out=$(rr --name dev "$T/b.tar.gz" cat /etc/marker)
[ "$out" = b ] || fail "after rm: a new run with the name: $out"

# Unknown names: exit 1 and docker's words; -f asks for nothing gone.
rc=0
"$RUNROOT" rm nosuch >"$T/rm.out" 2>"$T/rm.err" || rc=$?
[ "$rc" = 1 ] || fail "rm of an unknown name: exit $rc, expected 1"
printf 'runroot: rm: no such container: nosuch\n' | cmp - "$T/rm.err" ||
        fail "rm of an unknown name: $(cat "$T/rm.err")"
[ ! -s "$T/rm.out" ] || fail "rm of an unknown name printed $(cat "$T/rm.out")"
expect_rc 0 rr rm -f nosuch
expect_rc 125 rr rm 2>"$T/rm.err"
printf 'runroot: rm: no container name given (see --help)\n' | cmp - "$T/rm.err" || fail "rm alone: $(cat "$T/rm.err")"

# rm -f stops a running one, then removes it.
"$RUNROOT" --name live "$IMG" sleep 60 &
pid=$!
CLEANUP_PIDS=$pid
for _ in $(seq 100); do
        "$RUNROOT" ps >"$T/ps.out" || fail "ps during a run"
        [ "$(wc -l <"$T/ps.out")" = 2 ] && break
        sleep 0.1
done
[ "$(wc -l <"$T/ps.out")" = 2 ] || fail "ps: the second run of live not shown"
"$RUNROOT" rm -f live >"$T/rm.out" || fail "rm -f of a running one"
rc=0
wait "$pid" || rc=$?
CLEANUP_PIDS=""
[ "$rc" = 143 ] || fail "rm -f: the run exited $rc, expected 143 (SIGTERM)"
[ ! -e "$MKROOT_CACHE/names/live" ] || fail "rm -f: the layer is still there"
check_no_leftovers

# A file named "ps" or "rm" in the working directory is an image.
mkdir "$T/cwd"
make_tree "$T/cwd/ps"
out=$(cd "$T/cwd" && "$RUNROOT" ps cat /etc/marker) || fail "an image named ps"
[ "$out" = image ] || fail "an image named ps: $out"

# Completion offers the names after rm.
COMP_WORDS=(runroot rm "")
COMP_CWORD=2
. "$SRCDIR/completion/runroot"
_runroot
[ "${COMPREPLY[*]}" = "dev other" ] || fail "completion after rm: ${COMPREPLY[*]}"
echo PASS
