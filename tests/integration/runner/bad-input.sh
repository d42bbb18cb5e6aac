#!/bin/bash
# Bad input: one clear line on stderr, exit 125, the cache untouched.
. "$(dirname "$0")/lib.sh"

# check_bad WANT_PATTERN ARGS...: exit 125, one line matching, no layer or
# index entry, no staging dir left.
check_bad() {
        local pat=$1 err rc
        shift
        err=$(rr "$@" 2>&1 >/dev/null)
        rc=$?
        [ $rc = 125 ] || fail "\"$*\": exit $rc, expected 125"
        [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "\"$*\": not one line: $err"
        case "$err" in runroot:*$pat*) ;; *) fail "\"$*\": message \"$err\" lacks \"$pat\"" ;; esac
        if [ -d "$MKROOT_CACHE" ]; then
                [ -z "$(find "$MKROOT_CACHE" -mindepth 2 -not -path "*/locks/*" \
                        -not -path "*/blobs/sha256" -not -path "*/layers/rootfs" -not -path "*/layers/oci" \
                        -not -path "*/layers/*/sha256")" ] ||
                        fail "\"$*\": the cache changed: $(find "$MKROOT_CACHE" -mindepth 2)"
        fi
}

check_bad "$T/missing.tar.gz" "$T/missing.tar.gz" true
[ ! -e "$MKROOT_CACHE" ] || fail "a missing image created the cache"
head -c 100000 /dev/urandom >"$T/corrupt.tar.gz"
check_bad "corrupt.tar.gz" "$T/corrupt.tar.gz" true
size=$(stat -c %s "$IMG")
head -c $((size / 2)) "$IMG" >"$T/trunc.tar.gz"
check_bad "trunc.tar.gz" "$T/trunc.tar.gz" true
tar -C "$IMG_DIR" -cf "$T/plain.tar" .
head -c 30000 "$T/plain.tar" >"$T/trunc.tar"
check_bad "trunc.tar" "$T/trunc.tar" true
: >"$T/empty.tar"
check_bad "empty.tar" "$T/empty.tar" true
check_bad "--bogus" --bogus "$IMG" true
check_bad "-x" -x "$IMG" true
check_bad "--memory" --memory
check_bad "--net" --net bogus "$IMG" true
check_bad "image" # no image at all
check_bad "-v" -v nocolon "$IMG" true
check_bad "-w" -w relative "$IMG" true
check_bad "env-file" --env-file "$T/nope" "$IMG" true
check_bad "--cap-add" --cap-add NOT_A_CAP "$IMG" true

# A missing command is the command's problem: 127 with a message.
err=$(rr "$IMG" missing-cmd 2>&1)
[ $? = 127 ] || fail "missing command: not 127"
case "$err" in *missing-cmd*) ;; *) fail "missing command message: $err" ;; esac

check_no_leftovers
echo PASS
