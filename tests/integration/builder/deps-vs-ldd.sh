#!/bin/bash
# `mkroot deps` must resolve exactly what ldd (the real loader) resolves,
# loader line included, for every ELF program in /usr/bin and /usr/sbin.
set -euo pipefail
: "${MKROOT:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LD_LIBRARY_PATH LD_PRELOAD
. "$(dirname "$0")/../../helpers/ldd.sh"

files=()
for f in /usr/bin/* /usr/sbin/*; do
        [ -f "$f" ] && [ -r "$f" ] || continue
        [ "$(head -c4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || continue
        files+=("$f")
done
[ ${#files[@]} -gt 50 ] || { echo "only ${#files[@]} ELF programs found"; exit 1; }

for f in "${files[@]}"; do
        echo "$f:"
        ldd_lines "$f"
done >"$tmp/ldd"
set +e
"$MKROOT" deps "${files[@]}" >"$tmp/mkroot" 2>&1
rc=$?
set -e
# Its exit status: 1 when a library is missing (ldd says "not found"), else 0.
want_rc=0
! grep -q '=> not found' "$tmp/ldd" || want_rc=1
[ $rc = $want_rc ] || { echo "mkroot deps exited $rc, wanted $want_rc"; exit 1; }

if ! diff -u "$tmp/ldd" "$tmp/mkroot" >"$tmp/diff"; then
        echo "mkroot deps differs from ldd:"
        head -60 "$tmp/diff"
        exit 1
fi
echo "identical on ${#files[@]} programs ($(grep -c '=>' "$tmp/ldd") resolved libraries)"
