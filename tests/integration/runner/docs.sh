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
# A subcommand's options (on its usage line of the help) are offered in its
# branch of the completion ("SUB)" up to its "return ;;"), in a word list.
sub_opts() {
        "$RUNROOT" --help | grep -E "^ +runroot $1 " | grep -oE -- '--[a-z][a-z-]+' | sort -u
}
sub_comp() {
        awk -v want="$1)" '$1 == want {on = 1} on {print} on && /return ;;/ {on = 0}' "$COMP" |
                grep -oE 'compgen -W "[^"]*"' | grep -oE -- '--[a-z][a-z-]+' | sort -u
}
all_comp=$comp_opts
for s in gc ps rm logs exec stop kill wait inspect; do
        all_comp=$(printf '%s\n%s\n' "$all_comp" "$(sub_comp "$s")" | sort -u)
done
for o in $help_opts; do
        grep -qxF -- "$o" <<<"$man_opts" || { echo "FAIL: $o missing from man/runroot.1"; rc=1; }
        grep -qxF -- "$o" <<<"$comp_opts" && continue
        ok=0
        for s in gc ps rm logs exec stop kill wait inspect; do
                if grep -qxF -- "$o" <<<"$(sub_opts "$s")"; then
                        ok=1
                        grep -qxF -- "$o" <<<"$(sub_comp "$s")" ||
                                { echo "FAIL: $o of runroot $s missing from its completion"; rc=1; }
                fi
        done
        [ "$ok" = 1 ] || { echo "FAIL: $o missing from completion/runroot"; rc=1; }
done
for o in $man_opts $all_comp; do
        grep -qxF -- "$o" <<<"$help_opts" || { echo "FAIL: $o documented but not in --help"; rc=1; }
done
bash -n "$COMP" || { echo "FAIL: completion/runroot: syntax"; rc=1; }
[ "$rc" = 0 ] && echo PASS
exit "$rc"
