#!/bin/bash
# mkroot --trace as an unprivileged user: the sandbox is a user namespace
# with a read-only view of the host (no overlay over the host's root
# there); the image works and the host is unchanged.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
mkroot_user mkt
mkdir -p "$H/x"
echo keep >"$H/x/file"
chown -R "$U:" "$H/x"
as_mkroot_user "./mkroot -q --add /usr/bin/python3 --trace 'python3 -c \"import json\"' \
        --trace 'rm -rf $H/x' -o py.tar"
[ "$RC" = 0 ] || fail "rootless mkroot --trace: $(cat "$T/err")"
[ "$(cat "$H/x/file")" = keep ] || fail "the rootless traced rm -rf removed the host's file"
MKROOT_CACHE=$T/cache "$RUNROOT" --net none "$H/py.tar" python3 -c 'import json; print(json.dumps(1))' \
        >"$T/out" 2>"$T/err" || fail "python3 in the rootless image: $(cat "$T/err")"
[ "$(cat "$T/out")" = 1 ] || fail "python3 printed: $(cat "$T/out")"
echo "ok: rootless trace"
