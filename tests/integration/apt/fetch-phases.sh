#!/bin/bash
# mkroot fetch says what it does, as mmdebstrap does: one line per phase on
# stderr (resolve, download, unpack, configure, pack), then a closing line
# "mkroot: wrote FILE: N packages, SIZE, T s"; -q prints nothing. A warm
# fetch that reuses the cached image says so and closes the same way.
. "$(dirname "$0")/lib.sh"
build_repo
serve_http
make_manifest testsuite "http://127.0.0.1:$PORT"
export MKROOT_CACHE=$T/cache
CLOSING='^mkroot: wrote [^ ]+: [0-9]+ packages, [0-9.]+ [KM]iB, [0-9.]+ s$'

# The repository has only the release pocket: --pockets release, so no
# line says the updates and security pockets are left out.
fetch() { # OUTPUT [ARGS...]: stdout in $T/so, stderr in $T/se, status in $RC
        local out=$1; shift
        set +e
        "$MKROOT" fetch "$T/testsuite.deb822" --pockets release -o "$out" "$@" >"$T/so" 2>"$T/se"
        RC=$?
        set -e
}

# --- cold: every phase, in order, then the closing line ---
fetch "$T/cold.tar.gz"
[ "$RC" = 0 ] || fail "cold fetch: $(cat "$T/se")"
[ -s "$T/cold.tar.gz" ] || fail "cold fetch wrote no image"
[ ! -s "$T/so" ] || fail "cold fetch wrote to stdout: $(cat "$T/so")"
grep -q $'\r' "$T/se" && fail "a status line drawn although stderr is no terminal"
phases=$(sed -n 's/^mkroot: fetch: \([a-z]*\) .*/\1/p; s/^mkroot: fetch: \([a-z]*\)$/\1/p' "$T/se" |
        tr '\n' ' ')
[ "$phases" = "resolving downloading unpacking configuring packing " ] ||
        fail "phases: '$phases' in: $(cat "$T/se")"
[ "$(head -n1 "$T/se")" = "mkroot: fetch: resolving testsuite (amd64) from http://127.0.0.1:$PORT" ] ||
        fail "resolve line: $(head -n1 "$T/se")"
grep -qx 'mkroot: fetch: downloading 6 packages ([0-9.]* [KM]iB)' "$T/se" ||
        fail "download line: $(cat "$T/se")"
grep -qx 'mkroot: fetch: configuring 6 packages' "$T/se" || fail "configure line: $(cat "$T/se")"
[ "$(wc -l <"$T/se")" = 6 ] || fail "more than the phases and the closing line: $(cat "$T/se")"
last=$(tail -n1 "$T/se")
echo "$last" | grep -Eq "$CLOSING" || fail "closing line: '$last'"
[[ $last == "mkroot: wrote $T/cold.tar.gz: 6 packages, "* ]] || fail "closing line: '$last'"

# --- warm: the cached image is reused, and the line says how many packages ---
fetch "$T/warm.tar.gz"
[ "$RC" = 0 ] || fail "warm fetch: $(cat "$T/se")"
cmp -s "$T/cold.tar.gz" "$T/warm.tar.gz" || fail "warm fetch gave a different image"
phases=$(sed -n 's/^mkroot: fetch: \([a-z]*\).*/\1/p' "$T/se" | tr '\n' ' ')
[ "$phases" = "resolving packing " ] || fail "warm phases: '$phases' in: $(cat "$T/se")"
last=$(tail -n1 "$T/se")
echo "$last" | grep -Eq "$CLOSING" && [[ $last == "mkroot: wrote $T/warm.tar.gz: 6 packages, "* ]] ||
        fail "warm closing line: '$last'"

# --- -q: nothing at all ---
fetch "$T/quiet.tar.gz" -q --rebuild
[ "$RC" = 0 ] && [ -s "$T/quiet.tar.gz" ] || fail "-q fetch: $(cat "$T/se")"
[ ! -s "$T/se" ] && [ ! -s "$T/so" ] || fail "-q printed: $(cat "$T/so" "$T/se")"

# --- on a terminal: a status line redrawn through the run, the same lines ---
if command -v script >/dev/null; then
        set +e
        timeout 120 script -qec "'$MKROOT' fetch '$T/testsuite.deb822' --pockets release -o '$T/tty.tar.gz' --rebuild" \
                /dev/null >"$T/tty.out" 2>&1
        RC=$?
        set -e
        [ "$RC" = 0 ] && [ -s "$T/tty.tar.gz" ] || fail "fetch on a terminal ($RC): $(cat -v "$T/tty.out")"
        grep -q $'\r\033\[Kconfigure  [0-9]*s' "$T/tty.out" ||
                fail "no status line during configure: $(cat -v "$T/tty.out")"
        tr -d '\r' <"$T/tty.out" | sed 's/\x1b\[K/\n/g' | grep '^mkroot: ' >"$T/tty.lines"
        phases=$(sed -n 's/^mkroot: fetch: \([a-z]*\).*/\1/p' "$T/tty.lines" | tr '\n' ' ')
        [ "$phases" = "resolving downloading unpacking configuring packing " ] ||
                fail "phases on a terminal: '$phases' in: $(cat -v "$T/tty.out")"
        tail -n1 "$T/tty.lines" | grep -Eq "$CLOSING" || fail "closing line on a terminal: $(cat -v "$T/tty.out")"
        timeout 120 script -qec "'$MKROOT' fetch -q '$T/testsuite.deb822' -o '$T/ttyq.tar.gz'" \
                /dev/null >"$T/ttyq.out" 2>&1 || fail "-q on a terminal: $(cat -v "$T/ttyq.out")"
        [ ! -s "$T/ttyq.out" ] || fail "-q on a terminal printed: $(cat -v "$T/ttyq.out")"
fi

echo "ok"
