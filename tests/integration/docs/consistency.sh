#!/bin/bash
# The man pages and the bash completion in step with --help, for mkroot,
# runroot and each of their subcommands (the ones the program's --help
# lists as "PROG SUB ..."):
#  - every long option a --help lists is an option the man page's section
#    for that command lists (OPTIONS for the program, ".SS PROG SUB" for a
#    subcommand, the tag line of a .TP) and one the completion offers for
#    "PROG [SUB] --", and neither lists one that --help lacks;
#  - the man page has a section for every subcommand and none for another,
#    the completion offers exactly the subcommands as a first word;
#  - after "mkroot fetch" and "mkroot --base" the completion offers the
#    suites mkroot knows ("scratch" too after --base);
#  - both pages render without a groff warning.
# DOCS_MAN_DIR and DOCS_COMPLETION_DIR point it at other copies.
set -uo pipefail
: "${MKROOT:?}" "${RUNROOT:?}" "${SRCDIR:?}"
export LC_ALL=C
MAN_DIR=${DOCS_MAN_DIR:-$SRCDIR/man}
COMP_DIR=${DOCS_COMPLETION_DIR:-$SRCDIR/completion}
T=$(mktemp -d /tmp/docs-consistency.XXXXXX)
trap 'rm -rf "$T"' EXIT
# An empty cache: the completion offers nothing it holds (runroot's kept
# suites), and nothing here touches the real one.
export MKROOT_CACHE=$T/cache
rc=0
bad() {
        echo "FAIL: $*"
        rc=1
}

# The long options in a text (man page escapes undone), one a line, sorted.
long_opts() { sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u; }

# The long options a --help text offers: those its option column starts
# with ("  -o, --output FILE", "      --time, --timeout N", "-q, --quiet /
# -v, --verbose"), those named as "also --NAME", and those of its Usage:
# line ("[-a|--all]"); not another program's named in the prose (as
# "dpkg --install").
help_opts() {
        {
                grep -oE -- '^ {1,10}(-[A-Za-z0-9], )?--[a-z][a-z0-9-]*(, --[a-z][a-z0-9-]*)*' "$1"
                grep -oE -- ' / (-[A-Za-z0-9], )?--[a-z][a-z0-9-]*' "$1"
                grep -oE -- 'also --[a-z][a-z0-9-]*' "$1"
                grep -E '^Usage:' "$1" | grep -oE -- '\[(-[A-Za-z0-9]\|)?--[a-z][a-z0-9-]*'
        } | long_opts
}

# The tag lines (the line after .TP or .TQ) of one section of a man page:
# "OPTIONS" (a .SH) or "PROG SUB" (a .SS).
man_tags() {
        awk -v want="$2" '
                /^\.S[HS] / {
                        h = $0
                        sub(/^\.S[HS] +/, "", h)
                        gsub(/"/, "", h)
                        on = (h == want)
                        next
                }
                on && tag { print; tag = 0; next }
                on && /^\.T[PQ]/ { tag = 1 }
        ' "$1"
}

# What the completion function offers for the words given (the last is
# the one being completed), one a line, sorted; run in an empty directory
# so that no file name is offered.
complete_words() {
        local prog=$1
        shift
        (
                cd "$T/empty" || exit 1
                # shellcheck disable=SC1090
                . "$COMP_DIR/$prog" || exit 1
                COMP_WORDS=("$@")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMPREPLY=()
                "_$prog"
                [ "${#COMPREPLY[@]}" = 0 ] || printf '%s\n' "${COMPREPLY[@]}"
        ) | sort -u
}

# same WHAT A B: files A and B hold the same lines, else a line for each
# that one has and the other lacks.
same() {
        local what=$1 a=$2 b=$3 an=$4 bn=$5 x
        for x in $(comm -23 "$a" "$b"); do bad "$what: $x in $an, not in $bn"; done
        for x in $(comm -13 "$a" "$b"); do bad "$what: $x in $bn, not in $an"; done
}

mkdir "$T/empty"
for prog in mkroot runroot; do
        bin=$MKROOT
        [ "$prog" = runroot ] && bin=$RUNROOT
        man=$MAN_DIR/$prog.1
        comp=$COMP_DIR/$prog
        [ -f "$man" ] || { bad "$man: missing"; continue; }
        [ -f "$comp" ] || { bad "$comp: missing"; continue; }
        bash -n "$comp" || bad "$comp: syntax error"
        groff -ww -man -z "$man" >"$T/groff" 2>&1 || bad "$man: groff failed"
        [ -s "$T/groff" ] && bad "$man: groff warns: $(head -1 "$T/groff")"

        if ! "$bin" --help >"$T/help.all" 2>"$T/err"; then
                bad "$prog --help failed: $(head -1 "$T/err")"
                continue
        fi
        # runroot's help ends with its other command line, runc's, which
        # its man page describes in a section of its own: the completion
        # may offer that block's commands and options too.
        sed '/^As an OCI runtime/,$d' "$T/help.all" >"$T/help"
        sed -n '/^As an OCI runtime/,$p' "$T/help.all" >"$T/help-oci"
        grep -oE '(^ {4}|\| )[a-z]+' "$T/help-oci" | grep -oE '[a-z]+$' | sort -u >"$T/oci-cmds"
        long_opts <"$T/help-oci" >"$T/oci-opts"
        # "Usage: PROG SUB ..." and "       PROG SUB ..." lines name the
        # subcommands; the rest of the text is the program's own options.
        sub_re="^(Usage:)? +$prog [a-z][a-z-]*( |\$)"
        grep -E "$sub_re" "$T/help" | awk -v p="$prog" '{ for (i = 1; i < NF; i++) if ($i == p) { print $(i + 1); break } }' |
                sort -u >"$T/subs"
        [ -s "$T/subs" ] || bad "$prog --help names no subcommand"

        # Subcommands: in the man page (a synopsis line and a section),
        # and the first words the completion offers.
        sed -n 's/^\.SS "\{0,1\}'"$prog"' \([a-z][a-z-]*\)"\{0,1\}$/\1/p' "$man" | sort -u >"$T/man-subs"
        same "$prog subcommands" "$T/subs" "$T/man-subs" "--help" "$man"
        awk '/^\.SH / { on = ($2 == "SYNOPSIS") } on' "$man" >"$T/synopsis"
        for sub in $(cat "$T/subs"); do
                grep -q "^\.B $prog $sub\$" "$T/synopsis" || bad "$man: SYNOPSIS lacks .B $prog $sub"
        done
        comm -23 "$T/oci-cmds" "$T/subs" >"$T/oci-only"
        complete_words "$prog" "$prog" "" | grep -vxFf "$T/oci-only" >"$T/comp-subs"
        same "$prog first words" "$T/subs" "$T/comp-subs" "--help" "the completion"

        grep -vE "$sub_re" "$T/help" >"$T/help-main"
        help_opts "$T/help-main" >"$T/help-opts"
        [ -s "$T/help-opts" ] || bad "$prog --help lists no option"
        man_tags "$man" OPTIONS | long_opts >"$T/man-opts"
        same "$prog" "$T/help-opts" "$T/man-opts" "--help" "$man OPTIONS"
        comm -23 "$T/oci-opts" "$T/help-opts" >"$T/oci-only"
        complete_words "$prog" "$prog" -- | grep -E '^--' | grep -vxFf "$T/oci-only" >"$T/comp-opts"
        same "$prog" "$T/help-opts" "$T/comp-opts" "--help" "the completion of '$prog --'"

        for sub in $(cat "$T/subs"); do
                if ! "$bin" "$sub" --help >"$T/help" 2>"$T/err"; then
                        bad "$prog $sub --help failed: $(head -1 "$T/err")"
                        continue
                fi
                # --help is an option of each (it just printed this);
                # a subcommand's section need not repeat it.
                { help_opts "$T/help"; echo --help; } | sort -u >"$T/help-opts"
                grep -vxF -- --help "$T/help-opts" >"$T/help-opts-man"
                man_tags "$man" "$prog $sub" | long_opts | grep -vxF -- --help >"$T/man-opts"
                same "$prog $sub" "$T/help-opts-man" "$T/man-opts" "--help" "$man's $prog $sub"
                complete_words "$prog" "$prog" "$sub" -- | grep -E '^--' >"$T/comp-opts"
                same "$prog $sub" "$T/help-opts" "$T/comp-opts" "--help" "the completion of '$prog $sub --'"
        done
done

# Suites. Where mkroot looks: $MKROOT_MANIFESTS first, then beside the
# mkroot that runs; the completion must look at the same places, for the
# mkroot on PATH.
mkdir "$T/manifests"
printf 'Suite: docs-test-suite\nDistribution: debian\nComponents: main\n' >"$T/manifests/docs-test-suite.deb822"
export MKROOT_MANIFESTS=$T/manifests
PATH=$(dirname "$MKROOT"):$PATH
if [ "${MKROOT_HAVE_FETCH:-1}" = 1 ]; then
        # mkroot's own list, from its message for an unknown suite.
        "$MKROOT" fetch no-such-suite-docs >"$T/out" 2>"$T/err"
        sed -n 's/.*unknown suite "no-such-suite-docs" (known: \(.*\))$/\1/p' "$T/err" | tr -d ' ' | tr , '\n' |
                sort -u >"$T/suites"
        grep -qxF docs-test-suite "$T/suites" ||
                bad "mkroot fetch does not list the suite of \$MKROOT_MANIFESTS: $(head -1 "$T/err")"
else
        # Without fetch mkroot cannot say; the manifests are not copied
        # into the build directory either.
        echo docs-test-suite >"$T/suites"
fi
complete_words mkroot "$(basename "$MKROOT")" fetch "" >"$T/comp"
same "suites after 'mkroot fetch'" "$T/suites" "$T/comp" "mkroot's list" "the completion"
complete_words mkroot "$(basename "$MKROOT")" fetch --variant minbase docs >"$T/comp"
echo docs-test-suite >"$T/want"
same "suites after 'mkroot fetch --variant minbase docs'" "$T/want" "$T/comp" "mkroot's list" "the completion"
{ cat "$T/suites"; echo scratch; } | sort -u >"$T/want"
complete_words mkroot "$(basename "$MKROOT")" --base "" >"$T/comp"
same "after 'mkroot --base'" "$T/want" "$T/comp" "mkroot's list and scratch" "the completion"

[ "$rc" = 0 ] && echo PASS
exit "$rc"
