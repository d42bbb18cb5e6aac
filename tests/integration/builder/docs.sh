#!/bin/bash
# man/mkroot.1 and completion/mkroot in step with `mkroot --help`: every
# long option of the main help is in both.
. "$(dirname "$0")/lib.sh"
: "${SRCDIR:?}"
MAN=$SRCDIR/man/mkroot.1
COMP=$SRCDIR/completion/mkroot
help_opts=$("$MKROOT" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$help_opts" ] || fail "no options in --help"
man_opts=$(sed 's/\\-/-/g' "$MAN" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
comp_opts=$(grep -oE -- '--[a-z][a-z-]+' "$COMP" | sort -u)
for o in $help_opts; do
        grep -qxF -- "$o" <<<"$man_opts" || fail "$o missing from man/mkroot.1"
        grep -qxF -- "$o" <<<"$comp_opts" || fail "$o missing from completion/mkroot"
done
for sub in deps ls fetch build inspect diff cache; do
        grep -q "^\.B mkroot $sub" "$MAN" || fail "man page lacks mkroot $sub"
        grep -q "\b$sub\b" "$COMP" || fail "completion lacks $sub"
done
bash -n "$COMP" || fail "completion/mkroot: syntax"
echo ok
