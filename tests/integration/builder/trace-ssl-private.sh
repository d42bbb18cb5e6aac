#!/bin/bash
# The CA rule brings CA data, never the host's private keys: OpenSSL's
# directory links "private" to /etc/ssl/private, which a trace of a
# program linking libssl copied into the image as root and which made the
# build fail without root ("rule ca-certificates: /etc/ssl/private:
# Permission denied"). And what a user cannot read, a rootless trace saw
# all the same (python stats /etc/shadow here): said once, left out, the
# build goes on; python's ssl works in the image with the image's own CA
# bundle.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
[ -L /usr/lib/ssl/private ] && [ -d /etc/ssl/private ] ||
        { echo "SKIP: the host has no /usr/lib/ssl/private -> /etc/ssl/private"; exit 77; }
[ -s /etc/ssl/certs/ca-certificates.crt ] || { echo "SKIP: the host has no CA bundle"; exit 77; }
# Python's ssl loads the default CA file: certificates, and how many.
check='import ssl; c = ssl.create_default_context(); print(len(c.get_ca_certs()) > 0)'

# An image's CA entries: the bundle and OpenSSL's links, no private keys.
check_image() { # IMAGE WHO
        tarlist "$1" >"$T/list"
        grep -q ' etc/ssl/certs/ca-certificates\.crt$' "$T/list" || fail "$2: no CA bundle in the image"
        grep -q ' usr/lib/ssl/certs -> /etc/ssl/certs$' "$T/list" ||
                fail "$2: no /usr/lib/ssl/certs link in the image"
        ! grep -E ' (etc/ssl|usr/lib/ssl)/private( |/|$)' "$T/list" ||
                fail "$2: the host's private key directory is in the image"
        MKROOT_CACHE=$T/cache "$RUNROOT" --net none "$1" python3 -c "$check" >"$T/run" 2>&1 ||
                fail "$2: python3 -c 'import ssl' in the image: $(cat "$T/run")"
        [ "$(cat "$T/run")" = True ] || fail "$2: python's ssl found no CA certificates: $(cat "$T/run")"
}

# --- as root ---
"$MKROOT" -q --add /usr/bin/python3 --trace 'python3 -c "import ssl"' -o "$T/root.tar" \
        2>"$T/err" || fail "mkroot --trace as root: $(cat "$T/err")"
check_image "$T/root.tar" root

# --- without root: /etc/ssl/private and /etc/shadow are not this user's ---
mkroot_user mks
su -s /bin/sh "$U" -c 'test ! -r /etc/shadow && test ! -r /etc/ssl/private' ||
        fail "setup: $U can read /etc/shadow or /etc/ssl/private"
as_mkroot_user "./mkroot --add /usr/bin/python3 --trace 'python3 -c \"import ssl, os; os.stat(\\\"/etc/shadow\\\")\"' \
        --trace 'python3 -c \"import os; os.stat(\\\"/etc/shadow\\\")\"' -o user.tar"
[ "$RC" = 0 ] || fail "rootless mkroot --trace: exit $RC: $(cat "$T/err")"
grep -v '^mkroot: wrote ' "$T/err" >"$T/warn" || [ $? = 1 ] || fail "grep $T/err"
[ "$(cat "$T/warn")" = "mkroot: warning: /etc/shadow: Permission denied: left out of the image" ] ||
        fail "rootless: not one warning about /etc/shadow: $(cat "$T/err")"
tarlist "$H/user.tar" >"$T/list"
! grep -q ' etc/shadow$' "$T/list" || fail "rootless: /etc/shadow is in the image"
check_image "$H/user.tar" rootless
echo "ok: CA rule without private keys, as root and without root"
