#!/bin/bash
# man/runroot.1 and completion/runroot in step with `runroot --help`: every
# long option of the help in both, and none there that the help lacks.
set -u
: "${RUNROOT:?}" "${SRCDIR:?}"
MAN=$SRCDIR/man/runroot.1
COMP=$SRCDIR/completion/runroot
rc=0
help_opts=$("$RUNROOT" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$help_opts" ] || { echo "FAIL: no options in --help"; exit 1; }
# (the example that makes an image with mkroot is not about runroot)
man_opts=$(grep -v '^mkroot' "$MAN" | sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z-]+' | sort -u)
# the word list offered for a word starting with "-"
comp_opts=$(awk '/compgen -W "--env/ {on = 1} on {print} on && /" -- "\$cur"/ {on = 0}' "$COMP" |
        grep -oE -- '--[a-z][a-z-]+' | sort -u)
for o in $help_opts; do
        grep -qxF -- "$o" <<<"$man_opts" || { echo "FAIL: $o missing from man/runroot.1"; rc=1; }
        grep -qxF -- "$o" <<<"$comp_opts" || { echo "FAIL: $o missing from completion/runroot"; rc=1; }
done
for o in $man_opts $comp_opts; do
        grep -qxF -- "$o" <<<"$help_opts" || { echo "FAIL: $o documented but not in --help"; rc=1; }
done
bash -n "$COMP" || { echo "FAIL: completion/runroot: syntax"; rc=1; }
[ "$rc" = 0 ] && echo PASS
exit "$rc"
