#!/bin/bash
# The layering rule in the sources (tests/layering/meson.build checks the
# link). Fails, printing each case, when
#  - a file #includes a header of a folder that is not below its own
#    (same level is not below: peers do not include each other), or
#  - library code (every folder but the programs' mkroot/ and runroot/)
#    prints (printf, puts, perror, fprintf/fputs to stderr or stdout,
#    log_error) or exits (exit; _exit in a forked child is fine).
# Usage: check-includes.sh [SOURCE-ROOT]
set -uo pipefail
cd "${1:-$(dirname "$0")/../..}" || exit 1

# Folder -> level, bottom to top (README's tree; CONTRIBUTING.md).
declare -A level=(
        [common]=0
        [cache]=1 [pgz]=1
        [extract]=2 [elf]=2 [deb822]=2
        [oci]=3
        [builder]=4 [runner]=4 [registry]=4
        [builder/apt]=5
        [builder/layers]=6
        [mkroot]=7 [runroot]=7
)
programs=" mkroot runroot "
# Headers made by meson in the build directory, allowed everywhere.
generated=" config.h "

# Where each header lives (a name in two folders, like internal.h, is
# private to each: a file finds its own first, as "..." does).
declare -A home=()
for d in "${!level[@]}"; do
        for h in "$d"/*.h; do
                [ -e "$h" ] || continue
                b=${h##*/}
                home[$b]="${home[$b]:+${home[$b]} }$d"
        done
done

bad=0
report() {
        echo "$*"
        bad=$((bad + 1))
}

for d in "${!level[@]}"; do
        for f in "$d"/*.c "$d"/*.h; do
                [ -e "$f" ] || continue
                while IFS=: read -r ln h; do
                        [ -e "$d/$h" ] && continue
                        [[ $generated == *" $h "* ]] && continue
                        if [ -z "${home[$h]:-}" ]; then
                                report "$f:$ln: includes \"$h\", a header of no folder"
                                continue
                        fi
                        for g in ${home[$h]}; do
                                if [ "${level[$g]}" -ge "${level[$d]}" ]; then
                                        report "$f:$ln: $d/ (level ${level[$d]}) includes \"$h\" of $g/ (level ${level[$g]}), not below it"
                                fi
                        done
                done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
                         sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
                [[ $programs == *" $d "* ]] && continue
                # Comment lines and log_error's own declaration and
                # definition are not calls.
                while IFS= read -r hit; do
                        report "$f:$hit: library code prints or exits"
                done < <(grep -nE '(^|[^_[:alnum:].>])(printf|puts|perror|exit|log_error)[[:space:]]*\(|fprintf[[:space:]]*\([[:space:]]*(stderr|stdout)|fputs[[:space:]]*\([^;]*,[[:space:]]*(stderr|stdout)[[:space:]]*\)|(fputc|putc|vfprintf|fwrite)[[:space:]]*\([^;]*(stderr|stdout)|putchar[[:space:]]*\(' "$f" |
                         grep -vE '^[0-9]+:[[:space:]]*(/?\*|//)' |
                         grep -vE '^[0-9]+:[[:space:]]*void[[:space:]]+log_error[[:space:]]*\(')
        done
done

if [ "$bad" -gt 0 ]; then
        echo "layering: $bad finding(s)"
        exit 1
fi
echo "layering: every include points down; library code neither prints nor exits"
