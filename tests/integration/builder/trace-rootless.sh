#!/bin/bash
# mkroot --trace as an unprivileged user: the sandbox is a user namespace
# with a read-only view of the host (no overlay over the host's root
# there); the image works and the host is unchanged.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
command -v useradd >/dev/null || { echo "SKIP: needs useradd"; exit 77; }
if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
        echo "SKIP: unprivileged user namespaces are disabled"
        exit 77
fi
U=mkt$$
H=$(mktemp -d /var/tmp/mkroot-trace-rootless.XXXXXX)
useradd -M -d "$H" -s /bin/bash "$U" || fail "useradd"
. "$(dirname "$0")/../../helpers/procs.sh"
trap 'user_gone "$U"; rm -rf "$T" "$H"' EXIT
mkdir -p "$H/x"
echo keep >"$H/x/file"
cp "$MKROOT" "$H/mkroot"
chown -R "$U:" "$H"
chmod 755 "$H" "$H/mkroot"
su -s /bin/bash "$U" -c "cd $H && HOME=$H MKROOT_CACHE=$H/cache PATH=/usr/bin:/bin ./mkroot -q \
        --add /usr/bin/python3 --trace 'python3 -c \"import json\"' --trace 'rm -rf $H/x' -o py.tar" \
        >"$T/out" 2>"$T/err" || fail "rootless mkroot --trace: $(cat "$T/err")"
[ "$(cat "$H/x/file")" = keep ] || fail "the rootless traced rm -rf removed the host's file"
MKROOT_CACHE=$T/cache "$RUNROOT" --net none "$H/py.tar" python3 -c 'import json; print(json.dumps(1))' \
        >"$T/out" 2>"$T/err" || fail "python3 in the rootless image: $(cat "$T/err")"
[ "$(cat "$T/out")" = 1 ] || fail "python3 printed: $(cat "$T/out")"
echo "ok: rootless trace"
