#!/bin/bash
# tmpfs-size: neither the writable layer (a tmpfs) nor a --tmpfs mount can
# pin the host's memory without bound. Both have a default size (README's
# limits: 1g for the writable layer, 64m for each --tmpfs), both take a
# size (--storage-opt size=N as podman's, --tmpfs DST:size=N as docker's),
# and writing past it is ENOSPC inside. docker's other --tmpfs options
# work; a bad one is exit 125 with one line naming it. As root and rootless.
. "$(dirname "$0")/../hardening/lib.sh" "$1"

# Bytes and inodes of the file system at PATH inside, "BYTES INODES".
fs_size() { # runroot args... -- the last one is the path
        local p=${*: -1}
        rr "${@:1:$#-1}" "$IMAGE" /bin/busybox stat -f -c '%b %S %c' "$p" 2>&1 |
                awk 'NF == 3 { print $1 * $2, $3; next } { print }'
}

expect_enospc() { # what, runroot args... (the command is appended)
        local what=$1 out rc
        shift
        out=$("$@" 2>&1)
        rc=$?
        echo "  $what: $out (rc $rc)"
        if [ "$rc" != 0 ] && [[ $out == *"No space left on device"* ]]; then
                pass "$what: ENOSPC"
        else
                fail "$what: no ENOSPC (rc $rc)"
        fi
}

expect_size() { # what, want-bytes, runroot args... path
        local what=$1 want=$2 got
        shift 2
        got=$(fs_size "$@")
        echo "  $what: $got"
        if [ "${got%% *}" = "$want" ]; then
                pass "$what: $want bytes"
        else
                fail "$what: \"$got\", expected $want bytes"
        fi
}

dd_cmd() { echo "/bin/busybox dd if=/dev/zero of=$1 bs=1048576 count=$2"; }

# 1. Sizes asked for: writing past them is ENOSPC inside.
expect_enospc "--tmpfs /data:size=1m, 4 MiB written" \
        rr --tmpfs /data:size=1m "$IMAGE" /bin/sh -c "$(dd_cmd /data/x 4)"
expect_enospc "--tmpfs /data:size=2048k,mode=700, 4 MiB written" \
        rr --tmpfs /data:size=2048k,mode=700 "$IMAGE" /bin/sh -c "$(dd_cmd /data/x 4)"
expect_enospc "--storage-opt size=2m, 8 MiB written to the writable layer" \
        rr --storage-opt size=2m "$IMAGE" /bin/sh -c "$(dd_cmd /big 8)"
expect_enospc "--storage-opt size=2m, 8 MiB written under /tmp of the layer" \
        rr --storage-opt size=2m "$IMAGE" /bin/sh -c "$(dd_cmd /tmp/big 8)"
out=$(rr --tmpfs /data:size=4m "$IMAGE" /bin/sh -c "$(dd_cmd /data/x 2) 2>&1 && echo wrote" 2>&1)
[[ $out == *wrote* ]] && pass "--tmpfs size=4m holds 2 MiB" || fail "--tmpfs size=4m, 2 MiB: $out"

# 2. The defaults are README's, and README says them.
expect_size "writable layer default" $((1024 * 1024 * 1024)) /
expect_size "--tmpfs default" $((64 * 1024 * 1024)) --tmpfs /t /t
expect_size "--storage-opt size=3m" $((3 * 1024 * 1024)) --storage-opt size=3m /
expect_size "--tmpfs /t:size=5m" $((5 * 1024 * 1024)) --tmpfs /t:size=5m /t
expect_size "--tmpfs /t:size=1g" $((1024 * 1024 * 1024)) --tmpfs /t:size=1g /t
if [ -n "${SRCDIR:-}" ] && [ -r "$SRCDIR/README.md" ]; then
        lim=$(awk '/^## Limits/ { on = 1; next } /^## / { on = 0 } on' "$SRCDIR/README.md")
        grep -q -- '--storage-opt size=' <<<"$lim" && grep -qi 'writable layer.*1 \?GiB\|1g.*writable layer\|writable layer.*1g' <<<"$lim" &&
                pass "README's limits give the writable layer's default (1g)" ||
                fail "README's limits do not say the writable layer's default"
        grep -qi 'tmpfs.*64 \?MiB\|tmpfs.*64m' <<<"$lim" &&
                pass "README's limits give --tmpfs's default (64m)" ||
                fail "README's limits do not say --tmpfs's default"
        grep -q 'size=N.*default 64m\|default 64m' "$SRCDIR/man/runroot.1" &&
                grep -q 'default 1g\|default 1 GiB' "$SRCDIR/man/runroot.1" &&
                pass "man/runroot.1 gives both defaults" || fail "man/runroot.1 lacks the defaults"
fi

# 3. docker's other options.
out=$(rr --tmpfs /t:mode=0700,uid=65534,gid=100 "$IMAGE" /bin/busybox stat -c '%a %u %g' /t 2>&1)
[ "$out" = "700 65534 100" ] && pass "mode=, uid=, gid=: $out" || fail "mode/uid/gid: $out"
out=$(rr --tmpfs /t "$IMAGE" /bin/busybox stat -c '%a' /t 2>&1)
[ "$out" = 1777 ] && pass "default mode 1777" || fail "default mode: $out"
got=$(fs_size --tmpfs /t:nr_inodes=100 /t)
[ "${got#* }" = 100 ] && pass "nr_inodes=100: $got" || fail "nr_inodes=100: $got"
got=$(fs_size --tmpfs /t:nr_inodes=2k /t)
[ "${got#* }" = 2048 ] && pass "nr_inodes=2k: $got" || fail "nr_inodes=2k: $got"
out=$(rr --tmpfs /t:ro "$IMAGE" /bin/sh -c 'echo x >/t/f' 2>&1)
[ $? != 0 ] && [[ $out == *"Read-only file system"* ]] && pass "ro: $out" || fail "ro: $out"
out=$(rr --tmpfs /t:ro,rw "$IMAGE" /bin/sh -c 'echo x >/t/f && echo wrote' 2>&1)
[ "$out" = wrote ] && pass "ro,rw: the last wins" || fail "ro,rw: $out"
out=$(rr --tmpfs /t:noexec "$IMAGE" /bin/sh -c 'cp /bin/busybox /t/busybox && /t/busybox true' 2>&1)
[ $? != 0 ] && [[ $out == *"Permission denied"* ]] && pass "noexec: $out" || fail "noexec: $out"
out=$(rr --tmpfs /t:noexec,exec "$IMAGE" /bin/sh -c 'cp /bin/busybox /t/busybox && /t/busybox true && echo ran' 2>&1)
[ "$out" = ran ] && pass "noexec,exec: runs" || fail "noexec,exec: $out"
out=$(rr --tmpfs /t:suid,nosuid,nodev "$IMAGE" /bin/busybox grep ' /t ' /proc/self/mounts 2>&1)
[[ $out == *nosuid*nodev* ]] && pass "nosuid,nodev: $out" || fail "nosuid,nodev: $out"
out=$(rr --tmpfs /t:suid "$IMAGE" /bin/busybox grep ' /t ' /proc/self/mounts 2>&1)
[[ $out != *nosuid* && $out == *nodev* ]] && pass "suid: $out" || fail "suid: $out"

# 4. Bad options: 125 and one line naming the option.
for bad in "/t:size=abc|size=abc" "/t:size=0|size=0" "/t:size=10x|size=10x" \
        "/t:size=150%|size=150%" "/t:mode=999|mode=999" "/t:mode=abc|mode=abc" \
        "/t:uid=x|uid=x" "/t:gid=-1|gid=-1" "/t:nr_inodes=0|nr_inodes=0" \
        "/t:bogus=1|\"bogus\"" "/t:bogus|\"bogus\"" "/t:dev|dev" "/t:size=1m,,ro|empty option" \
        "t:size=1m|must be absolute"; do
        spec=${bad%%|*} want=${bad#*|}
        out=$(rr --tmpfs "$spec" "$IMAGE" /bin/true 2>&1)
        rc=$?
        if [ "$rc" = 125 ] && [[ $out == "runroot: --tmpfs $spec: "*"$want"* ]] && [ "$(wc -l <<<"$out")" = 1 ]; then
                pass "--tmpfs $spec: 125: $out"
        else
                fail "--tmpfs $spec: rc $rc: $out"
        fi
done
for bad in "size=abc|--storage-opt size=abc" "size=0|--storage-opt size=0" \
        "size=|--storage-opt size=" "foo=1|--storage-opt foo=1" "size|--storage-opt size"; do
        spec=${bad%%|*} want=${bad#*|}
        out=$(rr --storage-opt "$spec" "$IMAGE" /bin/true 2>&1)
        rc=$?
        if [ "$rc" = 125 ] && [[ $out == "runroot: $want"* ]] && [ "$(wc -l <<<"$out")" = 1 ]; then
                pass "--storage-opt $spec: 125: $out"
        else
                fail "--storage-opt $spec: rc $rc: $out"
        fi
done
out=$(rr --storage-opt size=1m --name keep$$ "$IMAGE" /bin/true 2>&1)
rc=$?
[ "$rc" = 125 ] && [[ $out == *"--storage-opt size"*"--name"* ]] && pass "--storage-opt size with --name: $out" ||
        fail "--storage-opt size with --name: rc $rc: $out"

# 5. Rootless: the same sizes hold in a user namespace.
rootless() {
        rootless_user rrtmp || return 77
        chmod 644 "$IMAGE"
        local R="$T/bin/runroot --cache-dir $T/home/cache"
        out=$(as_user "$R $IMAGE /bin/true" 2>&1) ||
                { echo "rootless runroot does not run here: $out"; return 77; }
        expect_enospc "rootless --tmpfs /data:size=1m" as_user "$R --tmpfs /data:size=1m $IMAGE /bin/sh -c '$(dd_cmd /data/x 4)'"
        expect_enospc "rootless --storage-opt size=2m" as_user "$R --storage-opt size=2m $IMAGE /bin/sh -c '$(dd_cmd /big 8)'"
        out=$(as_user "$R $IMAGE /bin/busybox stat -f -c '%b %S' /" 2>&1)
        set -- $out
        [ "$(($1 * $2))" = $((1024 * 1024 * 1024)) ] 2>/dev/null && pass "rootless writable layer default 1g" ||
                fail "rootless writable layer default: $out"
        out=$(as_user "$R --tmpfs /t:size=bad $IMAGE /bin/true" 2>&1)
        [ $? = 125 ] && [[ $out == *"size=bad"* ]] && pass "rootless bad option: $out" ||
                fail "rootless bad option: $out"
        return 0
}
rootless
finish $?
