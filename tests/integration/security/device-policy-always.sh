#!/bin/bash
# device-policy-always: a container reaches no host device beyond runroot's
# own /dev, with no flag at all. The device allow-list (v1 devices cgroup,
# v2 BPF program) applies to every run as root, limits or not, and to the
# builder's Run: steps; the image's tree and every bind mount are nodev,
# so a 0666 node shipped in an image opens nothing; CAP_MKNOD is not in
# the default set. Host devices tried: /dev/kvm (KVM_CREATE_VM),
# /dev/kmsg (a write reaches the host's log), /dev/userfaultfd, /dev/vcs,
# /dev/ttyS0, each that exists here. --device hands one in on purpose.
# Also rootless: nodev and the user namespace refuse the image's nodes.
. "$(dirname "$0")/../hardening/lib.sh" "$1"

# A refusal, not just any error: EPERM (device cgroup, no CAP_MKNOD),
# EACCES (nodev mount) or ENOENT (the unpacker did not make the node).
# (busybox's mknod says "mknod: PATH: REASON".)
REFUSED='(failed|mknod: [^:]*): (Operation not permitted|Permission denied|No such file or directory)$'

expect_refused() { # what, runroot args...
        local what=$1 out rc
        shift
        out=$(rr "$@" 2>&1)
        rc=$?
        echo "  $what: $out (rc $rc)"
        if [ "$rc" = 1 ] && grep -Eq "$REFUSED" <<<"$out"; then
                pass "$what: refused"
        else
                fail "$what: not refused (rc $rc)"
        fi
}

expect_works() { # what, runroot args...
        local what=$1 out rc
        shift
        out=$(rr "$@" 2>&1)
        rc=$?
        echo "  $what: $out (rc $rc)"
        [ "$rc" = 0 ] && pass "$what: works" || fail "$what: rc $rc"
}

# runroot cgroups in every hierarchy (lib.sh's check skips devices).
all_runroot_cgs() { find /sys/fs/cgroup -maxdepth 5 -type d -name 'runroot-*' 2>/dev/null | sort; }
# Every runroot this test starts, by pid: its cgroups are named after it.
: >"$T/pids"
rr() {
        "$RUNROOT" --cache-dir "$T/cache" "$@" &
        local p=$!
        echo "$p" >>"$T/pids"
        wait "$p"
}
# Left behind: a cgroup of one of this test's runroots, which have all
# ended (runs of other programs meanwhile are not this test's).
leaked_cgs() {
        local c pid
        for c in $(comm -13 <(echo "$ALL_CG_BEFORE") <(all_runroot_cgs)); do
                pid=${c##*/runroot-}
                pid=${pid%%-*}
                grep -qx "$pid" "$T/pids" && echo "$c"
        done
}
ALL_CG_BEFORE=$(all_runroot_cgs)

# Host devices that exist on this machine: name major minor.
HOSTDEV=()
for d in kvm kmsg userfaultfd vcs ttyS0; do
        [ -c "/dev/$d" ] || { echo "  /dev/$d: not on this machine"; continue; }
        HOSTDEV+=("$d $(stat -c '%t %T' "/dev/$d" | while read -r a b; do echo $((16#$a)) $((16#$b)); done)")
done
[ ${#HOSTDEV[@]} -gt 0 ] || fail "none of /dev/kvm /dev/kmsg /dev/userfaultfd /dev/vcs /dev/ttyS0 here"

# The image ships 0666 nodes: a kmsg (1:11) and a null (1:3, harmless, so
# only nodev can refuse it: the device list allows 1:3), as a tarball and
# as a directory image (runroot uses a directory as it is).
cp -a "$T/img" "$T/imgdev"
mknod -m 0666 "$T/imgdev/img-kmsg" c 1 11
mknod -m 0666 "$T/imgdev/img-null" c 1 3
tar -C "$T/imgdev" -cf "$T/imgdev.tar" .
for d in "${HOSTDEV[@]}"; do
        set -- $d
        [ -e "$T/imgdev/img-$1" ] || mknod -m 0666 "$T/imgdev/img-$1" c "$2" "$3"
done
# How each is tried: kmsg for writing (reading it needs CAP_SYSLOG, which
# would refuse it anyway), the others read-write.
verb_for() { [ "$1" = kmsg ] && echo openw || echo openrw; }
DEVIMG=$T/imgdev.tar DEVDIR=$T/imgdev

# 1. The host can (so the refusals below are the container's policy).
"$HELPER" write "$T/imgdev/img-null" x >/dev/null && pass "host: the image's null node works" ||
        fail "host: the image's null node"
[ -c /dev/kvm ] && { "$HELPER" kvm /dev/kvm >/dev/null && pass "host: KVM_CREATE_VM works" ||
        echo "  host: KVM_CREATE_VM refused here"; }

# 2. Root, no flags, and -u 65534 --cap-drop ALL: the image's nodes.
for who in "" "-u 65534 --cap-drop ALL"; do
        for img in "$DEVIMG" "$DEVDIR"; do
                kind=tar
                [ -d "$img" ] && kind=dir
                # shellcheck disable=SC2086
                expect_refused "${who:-root} $kind image: write its 0666 kmsg node" \
                        $who "$img" /bin/sec-helper write /img-kmsg "runroot device test"
                # shellcheck disable=SC2086
                expect_refused "${who:-root} $kind image: write its 0666 null node" \
                        $who "$img" /bin/sec-helper openw /img-null
        done
        for d in "${HOSTDEV[@]}"; do
                set -- $d
                # shellcheck disable=SC2086
                expect_refused "${who:-root} dir image: open its 0666 $1 node ($2:$3)" \
                        $who "$DEVDIR" /bin/sec-helper "$(verb_for "$1")" "/img-$1"
        done
done
[ -c /dev/kvm ] && expect_refused "root: KVM_CREATE_VM through the image's kvm node" \
        "$DEVDIR" /bin/sec-helper kvm /img-kvm

# 3. Root, no flags: mknod is refused (no CAP_MKNOD); given MKNOD back, a
# node made in runroot's /dev (not nodev) is still refused by the device
# list, and one made in the writable layer by nodev.
mknod_open() { # path major minor verb
        echo "/bin/busybox mknod -m 666 $1 c $2 $3 && exec /bin/sec-helper $4 $1"
}
for d in "${HOSTDEV[@]}"; do
        set -- $d
        v=$(verb_for "$1")
        expect_refused "root: mknod+open $1 ($2:$3)" "$IMAGE" /bin/sh -c "$(mknod_open "/dev/x$1" "$2" "$3" "$v")"
        expect_refused "root --cap-add MKNOD: mknod+open /dev/x$1 (device list)" \
                --cap-add MKNOD "$IMAGE" /bin/sh -c "$(mknod_open "/dev/x$1" "$2" "$3" "$v")"
        expect_refused "root --cap-add MKNOD: mknod+open /tmp/$1 (nodev layer)" \
                --cap-add MKNOD "$IMAGE" /bin/sh -c "$(mknod_open "/tmp/$1" "$2" "$3" "$v")"
done
# The host's console (5:1): runroot makes no /dev/console, so the list has
# no business allowing one made by mknod.
expect_refused "root --cap-add MKNOD: mknod+open /dev/xconsole (5:1, the host's console)" \
        --cap-add MKNOD "$IMAGE" /bin/sh -c "$(mknod_open /dev/xconsole 5 1 openw)"
out=$(rr "$IMAGE" /bin/cat /proc/self/status 2>&1)
grep -q '^CapBnd:[[:space:]]*00000000a00425fb$' <<<"$out" && pass "CAP_MKNOD not in the default set" ||
        fail "default set: $(grep ^CapBnd <<<"$out")"
out=$(rr --cap-add MKNOD "$IMAGE" /bin/cat /proc/self/status 2>&1)
grep -q '^CapBnd:[[:space:]]*00000000a80425fb$' <<<"$out" && pass "--cap-add MKNOD gives it back" ||
        fail "--cap-add MKNOD: $(grep ^CapBnd <<<"$out")"
# The same with a limit (the cgroup made for the limit carries the list).
expect_refused "root --pids 100 --cap-add MKNOD: mknod+open /dev/kmsg" \
        --pids 100 --cap-add MKNOD "$IMAGE" /bin/sh -c "$(mknod_open /dev/xkmsg 1 11 openw)"

# 4. A -v bind of a host directory holding a node is nodev too.
mkdir -p "$T/hostdir"
mknod -m 0666 "$T/hostdir/null" c 1 3
expect_refused "root: a node in a -v bind" -v "$T/hostdir:/h" "$IMAGE" /bin/sec-helper openw /h/null

# 5. The policy's cgroup exists while the command runs (no limit asked).
rr "$IMAGE" /bin/sec-helper sleep 3 >/dev/null 2>&1 &
BG_PIDS+=($!)
sleep 1.5
dev_cgs=$(comm -13 <(echo "$ALL_CG_BEFORE") <(all_runroot_cgs))
if [ -n "$dev_cgs" ]; then
        pass "a cgroup for the device list while it runs: $(echo $dev_cgs)"
        for c in $dev_cgs; do
                [ -r "$c/devices.list" ] && echo "  $c/devices.list: $(tr '\n' ';' <"$c/devices.list")"
                if [ -r "$c/devices.list" ] && grep -qx 'a \*:\* rwm' "$c/devices.list"; then
                        fail "$c: allows everything"
                fi
        done
else
        fail "no runroot cgroup while a run without limits runs"
fi
wait
BG_PIDS=()
check_all_cgs_gone() {
        local left
        left=$(leaked_cgs)
        [ -z "$left" ] && pass "no runroot cgroup left in any hierarchy (devices included)" ||
                fail "cgroups left: $(echo $left)"
}
check_all_cgs_gone

# 6. --device hands one in: bound into /dev, allowed with its perms.
expect_works "--device /dev/null:/dev/mydev" --device /dev/null:/dev/mydev "$IMAGE" \
        /bin/sec-helper write /dev/mydev x
expect_works "--device /dev/null:/dev/mydev as -u 65534 --cap-drop ALL" \
        --device /dev/null:/dev/mydev -u 65534 --cap-drop ALL "$IMAGE" /bin/sec-helper openw /dev/mydev
if [ -c /dev/kmsg ]; then
        # (one line in the host's log, asked for; reading needs CAP_SYSLOG)
        expect_works "--device /dev/kmsg: write" --device /dev/kmsg "$IMAGE" \
                /bin/sec-helper write /dev/kmsg "runroot --device test"
        expect_refused "--device /dev/kmsg:/dev/kmsg:r: write" --device /dev/kmsg:/dev/kmsg:r \
                "$IMAGE" /bin/sec-helper openw /dev/kmsg
fi
if [ -c /dev/kmsg ]; then
        # r: read allowed, write not (kmsg is outside the default list)
        expect_works "--device /dev/kmsg:/dev/k:r --cap-add SYSLOG: read" \
                --device /dev/kmsg:/dev/k:r --cap-add SYSLOG "$IMAGE" \
                /bin/busybox dd if=/dev/k of=/dev/null bs=8192 count=1
        expect_refused "--device /dev/kmsg:/dev/k:r --cap-add SYSLOG: write" \
                --device /dev/kmsg:/dev/k:r --cap-add SYSLOG "$IMAGE" /bin/sec-helper openw /dev/k
fi
[ -c /dev/kvm ] && expect_works "--device /dev/kvm: KVM_CREATE_VM" --device /dev/kvm "$IMAGE" \
        /bin/sec-helper kvm /dev/kvm
out=$(rr --device /dev/null:/dev/mydev "$IMAGE" /bin/busybox stat -c '%t:%T' /dev/mydev 2>&1)
[ "$out" = "1:3" ] && pass "--device: the node is 1:3 inside" || fail "--device node: $out"

for bad in "/etc/passwd|is not a device node" "/nonexistent-rr|No such file" \
        "/dev/null:/dev/x:rwz|permissions" "dev/null|must be absolute" \
        "/dev/null:x|must be absolute"; do
        spec=${bad%%|*} want=${bad#*|}
        out=$(rr --device "$spec" "$IMAGE" /bin/true 2>&1)
        rc=$?
        if [ "$rc" = 125 ] && [[ $out == *"--device $spec"*"$want"* ]] && [ "$(wc -l <<<"$out")" = 1 ]; then
                pass "--device $spec: 125, $out"
        else
                fail "--device $spec: rc $rc: $out"
        fi
done

# 7. A build step (runner_exec_in_tree) runs under the device policy too:
# the hostile base's kmsg node and a mknod'ed one are refused.
if [ -n "${MKROOT:-}" ] && [ -x "$MKROOT" ]; then
        tar -C "$T/imgdev" -czf "$T/base.tar.gz" .
        cat >"$T/app.manifest" <<EOF
Base: $T/base.tar.gz

Run: /bin/sec-helper write /img-kmsg "runroot device test" >/tmp/r1 2>&1; ($(mknod_open /dev/xkmsg 1 11 openw)) >/tmp/r2 2>&1; cat /tmp/r1 /tmp/r2 >/result; true
EOF
        "$MKROOT" build --cache-dir "$T/mcache" "$T/app.manifest" -o "$T/app.tar" >"$T/mk.out" 2>&1 &
        p=$!
        echo "$p" >>"$T/pids" # its steps' cgroups are named after it
        wait "$p"
        rc=$?
        out=$(cat "$T/mk.out")
        if [ "$rc" = 0 ]; then
                res=$(tar -xOf "$T/app.tar" ./result 2>/dev/null || tar -xOf "$T/app.tar" result 2>&1)
                echo "  build step: $res"
                n=$(grep -Ec "$REFUSED" <<<"$res")
                [ "$n" = 2 ] && pass "build step: both refused" || fail "build step: $res"
        else
                fail "mkroot build: rc $rc: $out"
        fi
fi

# 8. Rootless: the image's nodes are refused (nodev, user namespace).
rootless() {
        rootless_user rrdev || return 77
        chmod 644 "$DEVIMG"
        chmod -R a+rX "$DEVDIR"
        out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $DEVIMG /bin/true" 2>&1) ||
                { echo "SKIP-PART: rootless runroot does not run here: $out"; return 77; }
        local img what
        for img in "$DEVIMG" "$DEVDIR"; do
                for what in kmsg null; do
                        out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $img /bin/sec-helper openw /img-$what" 2>&1)
                        rc=$?
                        echo "  rootless $img /img-$what: $out (rc $rc)"
                        [ "$rc" = 1 ] && grep -Eq "$REFUSED" <<<"$out" && pass "rootless: $img's $what node refused" ||
                                fail "rootless: $img's $what node: rc $rc"
                done
        done
        for d in "${HOSTDEV[@]}"; do
                set -- $d
                out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $DEVDIR /bin/sec-helper $(verb_for "$1") /img-$1" 2>&1)
                rc=$?
                echo "  rootless dir image /img-$1 ($2:$3): $out (rc $rc)"
                [ "$rc" = 1 ] && grep -Eq "$REFUSED" <<<"$out" && pass "rootless: the image's 0666 $1 node refused" ||
                        fail "rootless: the image's $1 node: rc $rc"
                out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache $DEVIMG /bin/sh -c '$(mknod_open "/tmp/$1" "$2" "$3" "$(verb_for "$1")")'" 2>&1)
                rc=$?
                echo "  rootless mknod+open $1: $out (rc $rc)"
                [ "$rc" = 1 ] && grep -Eq "$REFUSED" <<<"$out" && pass "rootless: mknod+open $1 refused" ||
                        fail "rootless: mknod+open $1: rc $rc"
        done
        out=$(as_user "$T/bin/runroot --cache-dir $T/home/cache --device /dev/null:/dev/mydev $DEVIMG /bin/sec-helper write /dev/mydev x" 2>&1)
        [ $? = 0 ] && pass "rootless --device /dev/null:/dev/mydev works" || fail "rootless --device: $out"
        return 0
}
rootless
rl=$?
check_all_cgs_gone
finish $rl
