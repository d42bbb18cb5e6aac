#!/bin/bash
# --cap-add, --cap-drop (ALL too) and --seccomp unconfined change what the
# container may do, each shown against the default.
. "$(dirname "$0")/lib.sh" "$1"

expect_rc() { # want what runroot-args...
        local want=$1 what=$2 out rc
        shift 2
        out=$(rr "$@" 2>&1)
        rc=$?
        [ "$rc" = "$want" ] && pass "$what (rc $rc)" || fail "$what: rc $rc, want $want: $out"
}
chown_cmd=(/bin/sh -c 'busybox touch /tmp/f && busybox chown 1:1 /tmp/f')

expect_rc 0 "chown with the default set" "$IMAGE" "${chown_cmd[@]}"
expect_rc 1 "chown after --cap-drop CHOWN" --cap-drop CHOWN "$IMAGE" "${chown_cmd[@]}"
expect_rc 1 "chown after --cap-drop ALL" --cap-drop ALL "$IMAGE" "${chown_cmd[@]}"
expect_rc 0 "chown after --cap-drop ALL --cap-add CHOWN" --cap-drop ALL --cap-add CHOWN "$IMAGE" "${chown_cmd[@]}"
expect_rc 1 "mount with the default set" "$IMAGE" /bin/sec-helper mount /tmp
expect_rc 0 "mount after --cap-add SYS_ADMIN" --cap-add SYS_ADMIN "$IMAGE" /bin/sec-helper mount /tmp
expect_rc 0 "mount after --cap-add ALL" --cap-add ALL "$IMAGE" /bin/sec-helper mount /tmp
expect_rc 1 "unshare -U with the default filter" "$IMAGE" /bin/sec-helper unshare-user
expect_rc 1 "unshare -U with --cap-add ALL (the filter still refuses)" --cap-add ALL "$IMAGE" /bin/sec-helper unshare-user
expect_rc 0 "unshare -U with --seccomp unconfined" --seccomp unconfined "$IMAGE" /bin/sec-helper unshare-user
out=$(rr --cap-add NOT_A_CAP "$IMAGE" /bin/true 2>&1)
rc=$?
[ "$rc" = 125 ] && [[ $out == *NOT_A_CAP* ]] && pass "unknown capability refused: $out" ||
        fail "--cap-add NOT_A_CAP: rc $rc: $out"
finish
