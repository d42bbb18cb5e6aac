# Sourced by apt tests (after lib.sh, or after an online test's own
# skip, fail and T): what they share beyond lib.sh's test repository.

# print_debs_or_skip OUT FETCH-ARG...: `mkroot fetch -q --print-debs
# FETCH-ARG...` into OUT. A mirror that cannot be reached skips the test
# (saying so); any other failure fails it.
print_debs_or_skip() {
        local out=$1
        shift
        if ! timeout 120 "$MKROOT" fetch -q --print-debs "$@" >"$out" 2>"$T/err"; then
                if grep -qiE 'resolve|connect|timed out|HTTP 5|no mirror' "$T/err"; then
                        skip "mirror unreachable: $(cat "$T/err")"
                fi
                fail "print-debs: $(cat "$T/err")"
        fi
}

# inventory DIR: every path of the tree (var/log aside) with its type,
# mode, owner and link target, then every file's md5sum: two trees
# compare as text.
inventory() {
        (cd "$1" && find . -path ./var/log -prune -o -printf '%p %y %m %U %G %l\n' | sort)
        (cd "$1" && find . -path ./var/log -prune -o -type f -print0 | sort -z | xargs -0 md5sum)
}
