#!/bin/bash
# A hostile build base cannot touch the host. `mkroot build` on a Base:
# whose /bin/sh is hostile, and `mkroot fetch` of a suite with a package
# whose postinst is hostile: each tries to make a block device of the host
# disk, mount it as ext4, write into a host directory (through the disk,
# /proc/1/root, /proc/self/fd/N, /proc/1/fd/N, a chroot escape), read the
# host's /etc/shadow and a host secret, connect to a listener on the
# host's 127.0.0.1, raise CAP_SYS_ADMIN, mount, load a module, mknod. Each
# must fail, nothing may change on the host, and the step still runs
# (its results are in the image). Run: steps get the network only when
# asked (Network: yes, mkroot build --network); then the connection works.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
: "${MKROOT:?MKROOT not set}"

# The host disk, as the attacker would find it: the device under /.
DEV=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
MAJ=${DEV%%:*} MIN=${DEV##*:}
if [ "${MAJ:-0}" = 0 ]; then
        # / on a virtual file system: any disk will do.
        DEV=$(lsblk -dnro MAJ:MIN,TYPE 2>/dev/null | awk '$2 == "disk" { print $1; exit }')
        MAJ=${DEV%%:*} MIN=${DEV##*:}
fi
[ -n "$MAJ" ] && [ "$MAJ" != 0 ] || skip "no block device found for the host disk"
echo "host disk: $MAJ:$MIN"

HOSTDIR=$T/hostdir # root-owned host directory the attacker aims at
mkdir -p "$HOSTDIR"
SECRET=host-secret-$RANDOM$RANDOM$RANDOM
SECRETF=$T/secret
echo "$SECRET" >"$SECRETF"
chmod 600 "$SECRETF"
SHADOW_SUM=$(sha256sum /etc/shadow | cut -d' ' -f1)
SHADOW_ROOT=$(grep '^root:' /etc/shadow) # the base's own root line differs

# A listener on the host's loopback; each accepted connection is a line.
TCPLOG=$T/tcp.log
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
: >"$T/tcp.log"
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, a = s.accept()
    with open(sys.argv[2], "a") as f: f.write("connection\n")
    c.close()
' "$PORT" "$T/tcp.log" &
BG_PIDS+=($!)
for _ in $(seq 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2)" 2>/dev/null && break
        sleep 0.1
done
sleep 0.2
: >"$T/tcp.log"

# The attack, a busybox script aimed at a host directory and a secret file:
# one line per try in $OUT ("NAME: ok" or "NAME: failed: why"), whatever
# it could read copied to /leak.
make_attack() { # HOSTDIR SECRETFILE
        local hostdir=$1 secret=$2
        cat <<EOF
B=\${B:-/bin/busybox}
H=\${H:-/bin/sec-helper}
OUT=\${OUT:-/results}
export B H OUT
try() {
        n=\$1; shift
        if "\$@" >/tmp/.try 2>&1; then echo "\$n: ok" >>"\$OUT"
        else echo "\$n: failed: \$(\$B head -c 160 /tmp/.try | \$B tr '\n' ' ')" >>"\$OUT"; fi
}
\$B mkdir -p /mnt /leak /tmp
try mknod-host-disk \$B mknod /tmp/hostdisk b $MAJ $MIN
try read-host-disk \$B dd if=/tmp/hostdisk of=/tmp/sector bs=512 count=1
try mount-host-disk \$B mount -t ext4 /tmp/hostdisk /mnt
try write-via-disk \$B sh -c 'echo pwned >/mnt$hostdir/via-disk'
\$B cp /mnt/etc/shadow /leak/shadow-disk 2>/dev/null
\$B cp /mnt$secret /leak/secret-disk 2>/dev/null
try write-via-proc1-root \$B sh -c 'echo pwned >/proc/1/root$hostdir/via-proc1-root'
\$B cp /proc/1/root$secret /leak/secret-proc1-root 2>/dev/null
for fd in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        for p in self 1; do
                up=/proc/\$p/fd/\$fd/../../../../../../../../../../..
                \$B sh -c "echo pwned >\$up$hostdir/via-fd\$fd-\$p" 2>/dev/null
                \$B cp \$up/etc/shadow /leak/shadow-fd\$fd-\$p 2>/dev/null
                \$B cp \$up$secret /leak/secret-fd\$fd-\$p 2>/dev/null
        done
done
try chroot-escape \$H chroot-escape $secret
try mknod-char \$B mknod /tmp/null2 c 1 3
try cap-sys-admin \$H capraise SYS_ADMIN
try mount-tmpfs \$H mount /mnt
try module-load \$H modload
try tcp-host-loopback \$B sh -c 'echo hello | \$B nc 127.0.0.1 $PORT'
\$B ls /sys/class/net >/netdevs 2>&1
exit 0
EOF
}
make_attack "$HOSTDIR" "$SECRETF" >"$T/attack"

# What must have failed, and what must not have reached the host.
MUST_FAIL="mknod-host-disk read-host-disk mount-host-disk write-via-disk write-via-proc1-root
chroot-escape mknod-char cap-sys-admin mount-tmpfs module-load"
check_results() { # LABEL TREE NETWORK(yes|no)
        local label=$1 x=$2 net=$3 n line f
        if [ ! -s "$x/results" ]; then
                fail "$label: the attack did not run (no /results in the image)"
                return
        fi
        for n in $MUST_FAIL; do
                line=$(grep "^$n: " "$x/results")
                case $line in
                "$n: failed"*) pass "$label: $line" ;;
                "") fail "$label: $n not tried" ;;
                *) fail "$label: $line" ;;
                esac
        done
        line=$(grep "^tcp-host-loopback: " "$x/results")
        if [ "$net" = outbound ]; then
                # (one line per shell the step ran: every one must have failed)
                [ ! -s "$TCPLOG" ] && [ -n "$line" ] && ! grep -q ': ok$' <<<"$line" &&
                        pass "$label: outbound only: the host's loopback not reached" ||
                        fail "$label: reached the host's loopback: $line, $(wc -l <"$TCPLOG") connections"
        elif [ "$net" = yes ]; then
                [ -s "$TCPLOG" ] && [[ $line == *": ok" ]] &&
                        pass "$label: with the network asked for, the host listener was reached" ||
                        fail "$label: network asked for, yet: $line, $(wc -l <"$TCPLOG") connections"
        else
                [ ! -s "$TCPLOG" ] && [[ $line == *": failed"* ]] &&
                        pass "$label: no network: $line" ||
                        fail "$label: reached the host's loopback: $line, $(wc -l <"$TCPLOG") connections"
                [ "$(cat "$x/netdevs" 2>/dev/null)" = lo ] && pass "$label: loopback only" ||
                        fail "$label: network devices: $(cat "$x/netdevs" 2>/dev/null | tr '\n' ' ')"
        fi
        : >"$TCPLOG"
        if grep -rqF "$SECRET" "$x" 2>/dev/null; then
                fail "$label: the host secret leaked into the image: $(grep -rlF "$SECRET" "$x" | tr '\n' ' ')"
        else
                pass "$label: the host secret did not leak"
        fi
        for f in "$x"/leak/* "$x"/results; do
                [ -f "$f" ] || continue
                if [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$SHADOW_SUM" ] ||
                        grep -qxF "$SHADOW_ROOT" "$f"; then
                        fail "$label: the host's /etc/shadow leaked into the image as ${f#"$x"}"
                fi
        done
        check_host "$label"
}
check_host() { # LABEL
        if [ -n "$(ls -A "$HOSTDIR")" ]; then
                fail "$1: host files written: $(ls -A "$HOSTDIR" | tr '\n' ' ')"
                rm -f "$HOSTDIR"/*
        else
                pass "$1: nothing written into the host directory"
        fi
        grep -q "^$SECRET\$" "$SECRETF" || fail "$1: the host secret changed"
}

# ---- mkroot build on a hostile base ------------------------------------

cp "$T/attack" "$T/img/bin/attack"
rm -f "$T/img/bin/sh"
printf '#!/bin/busybox sh\n/bin/busybox sh /bin/attack\nexec /bin/busybox sh "$@"\n' >"$T/img/bin/sh"
chmod 755 "$T/img/bin/sh"
echo 'root:base-own-shadow:19000:0:99999:7:::' >"$T/img/etc/shadow"
tar -C "$T/img" -cf "$T/hostile.tar" .

build() { # NAME MANIFEST-TEXT [mkroot build options]
        local name=$1 text=$2
        shift 2
        printf '%s\n' "$text" >"$T/$name.manifest"
        "$MKROOT" build --cache-dir "$T/cache" --no-cache -q "$@" -o "$T/$name.tar.gz" \
                "$T/$name.manifest" >"$T/$name.out" 2>&1
        BUILD_RC=$?
        rm -rf "$T/$name.x"
        mkdir "$T/$name.x"
        [ "$BUILD_RC" = 0 ] && tar -xzf "$T/$name.tar.gz" -C "$T/$name.x"
}

build plain "Base: $T/hostile.tar

Run: echo built >/built"
if [ "$BUILD_RC" = 0 ] && [ "$(cat "$T/plain.x/built" 2>/dev/null)" = built ]; then
        pass "build on the hostile base: the step ran"
        check_results "Run step" "$T/plain.x" no
else
        fail "build on the hostile base: rc $BUILD_RC: $(tail -3 "$T/plain.out")"
        check_host "Run step"
fi

# The opt-ins: Network: yes on the step, in the first paragraph, --network.
build stepnet "Base: $T/hostile.tar

Run: echo built >/built
Network: yes"
[ "$BUILD_RC" = 0 ] && check_results "Network: yes" "$T/stepnet.x" yes ||
        fail "Network: yes: rc $BUILD_RC: $(tail -3 "$T/stepnet.out")"
build topnet "Base: $T/hostile.tar
Network: yes

Run: echo built >/built"
[ "$BUILD_RC" = 0 ] && check_results "Network: yes (first paragraph)" "$T/topnet.x" yes ||
        fail "first paragraph Network: yes: rc $BUILD_RC: $(tail -3 "$T/topnet.out")"
build cmdnet "Base: $T/hostile.tar

Run: echo built >/built" --network
[ "$BUILD_RC" = 0 ] && check_results "--network" "$T/cmdnet.x" yes ||
        fail "--network: rc $BUILD_RC: $(tail -3 "$T/cmdnet.out")"
# Network: no on the step wins over the first paragraph's yes.
build stepnonet "Base: $T/hostile.tar
Network: yes

Run: echo built >/built
Network: no"
[ "$BUILD_RC" = 0 ] && check_results "Network: no under a yes" "$T/stepnonet.x" no ||
        fail "Network: no: rc $BUILD_RC: $(tail -3 "$T/stepnonet.out")"
# A wrong value or place is an error naming the field.
build badnet "Base: $T/hostile.tar

Run: true
Network: maybe"
[ "$BUILD_RC" != 0 ] && grep -q "Network: 'maybe' (yes or no)" "$T/badnet.out" &&
        pass "Network: maybe refused: $(cat "$T/badnet.out")" ||
        fail "Network: maybe: rc $BUILD_RC: $(cat "$T/badnet.out")"
build copynet "Base: $T/hostile.tar

Copy: $T/attack /attack
Network: yes"
[ "$BUILD_RC" != 0 ] && grep -q "Network: is for Run steps" "$T/copynet.out" &&
        pass "Network: on a Copy step refused: $(cat "$T/copynet.out")" ||
        fail "Network: on Copy: rc $BUILD_RC: $(cat "$T/copynet.out")"

# Include: only its download has a network, and only outbound (pasta):
# the base's apt-get, run there, reaches neither the host's loopback nor
# the gateway address pasta could map to it.
mkdir -p "$T/inc/usr/bin"
cp -a "$T/img/." "$T/inc/"
ln -sf busybox "$T/inc/bin/rm"
cat >"$T/inc/usr/bin/apt-get" <<EOF
#!/bin/busybox sh
case "\$*" in
*--download-only*)
        /bin/busybox ls /sys/class/net >/include-netdevs
        gw=\$(/bin/busybox ip route | /bin/busybox awk '/^default/ { print \$3 }')
        for a in 127.0.0.1 \$gw; do
                if echo hello | /bin/busybox nc -w 2 "\$a" $PORT >/dev/null 2>&1; then
                        echo "\$a: reached"
                else
                        echo "\$a: failed"
                fi
        done >/include-tcp
        ;;
esac
exit 0
EOF
chmod 755 "$T/inc/usr/bin/apt-get"
tar -C "$T/inc" -cf "$T/hostile-inc.tar" .
build include "Base: $T/hostile-inc.tar

Include: somepkg"
if [ "$BUILD_RC" = 0 ]; then
        x=$T/include.x
        check_results "Include: step" "$x" outbound
        grep -qv '^lo$' "$x/include-netdevs" 2>/dev/null &&
                pass "Include: the download had an interface besides lo: $(tr '\n' ' ' <"$x/include-netdevs")" ||
                fail "Include: the download had no outbound interface: $(cat "$x/include-netdevs" 2>&1)"
        [ "$(grep -c ': failed$' "$x/include-tcp" 2>/dev/null)" = 2 ] && [ ! -s "$TCPLOG" ] &&
                pass "Include: the download reached neither the host's loopback nor the gateway" ||
                fail "Include: the download: $(tr '\n' ' ' <"$x/include-tcp" 2>&1), $(wc -l <"$TCPLOG") connections"
        : >"$TCPLOG"
else
        fail "Include: on the hostile base: rc $BUILD_RC: $(tail -3 "$T/include.out")"
        check_host "Include: step"
fi

# ---- the same build, rootless ------------------------------------------

rootless_build() {
        command -v useradd >/dev/null || { ROOTLESS_SKIP="needs useradd"; return; }
        [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
                { ROOTLESS_SKIP="unprivileged user namespaces are disabled"; return; }
        U=rrbld$$
        useradd -M -d "$T/uhome" -s /bin/bash "$U" || { ROOTLESS_SKIP="useradd failed"; return; }
        USER_MADE=$U
        trap 'userdel "$USER_MADE" 2>/dev/null; cleanup' EXIT
        chmod 755 "$T"
        mkdir -p "$T/uhome/target" "$T/ubin" "$T/uimg"
        cp "$MKROOT" "$T/ubin/mkroot"
        chmod 755 "$T/ubin" "$T/ubin/mkroot"
        # The user's own files are what a rootless build must not reach.
        HOSTDIR=$T/uhome/target SECRETF=$T/uhome/secret
        SECRET=user-secret-$RANDOM$RANDOM$RANDOM
        echo "$SECRET" >"$SECRETF"
        chmod 600 "$SECRETF"
        cp -a "$T/img/." "$T/uimg/"
        make_attack "$HOSTDIR" "$SECRETF" >"$T/uimg/bin/attack"
        tar -C "$T/uimg" -cf "$T/uhome/hostile.tar" .
        printf 'Base: %s\n\nRun: echo built >/built\n' "$T/uhome/hostile.tar" >"$T/uhome/m"
        chown -R "$U:" "$T/uhome"
        su -s /bin/bash "$U" -c "cd $T/uhome && HOME=$T/uhome PATH=/usr/bin:/bin \
                $T/ubin/mkroot build --cache-dir $T/uhome/cache --no-cache -q \
                -o $T/uhome/out.tar.gz m" >"$T/rootless.out" 2>&1
        local rc=$?
        if [ "$rc" != 0 ]; then
                # "Cannot build rootless here" is not a failure of the
                # profile: then a harmless base does not build either.
                printf 'Base: %s\n\nRun: true\n' "$IMAGE" >"$T/uhome/ok.m"
                chmod 644 "$IMAGE"
                su -s /bin/bash "$U" -c "cd $T/uhome && HOME=$T/uhome $T/ubin/mkroot build \
                        --cache-dir $T/uhome/cache -q -o $T/uhome/ok.tar.gz ok.m" >/dev/null 2>&1 ||
                        { ROOTLESS_SKIP="rootless mkroot build does not run here: $(tail -1 "$T/rootless.out")"; return; }
        fi
        mkdir "$T/rootless.x"
        if [ "$rc" = 0 ] && tar -xzf "$T/uhome/out.tar.gz" -C "$T/rootless.x" &&
                [ "$(cat "$T/rootless.x/built" 2>/dev/null)" = built ]; then
                pass "rootless build on the hostile base: the step ran"
                check_results "rootless Run step" "$T/rootless.x" no
        else
                fail "rootless build: rc $rc: $(tail -3 "$T/rootless.out")"
                check_host "rootless Run step"
        fi
}
ROOTLESS_SKIP= USER_MADE=
rootless_build
[ -n "$USER_MADE" ] && userdel "$USER_MADE"
trap cleanup EXIT
# Back to the root case's targets.
HOSTDIR=$T/hostdir SECRETF=$T/secret SECRET=$(cat "$T/secret")

# ---- mkroot fetch: a hostile postinst in the second stage --------------

if ! command -v dpkg-deb >/dev/null || ! command -v dpkg-scanpackages >/dev/null ||
        ! command -v gpg >/dev/null; then
        fail "second stage: dpkg-dev and gnupg are needed (tools/install-deps --test)"
        finish
fi
# apt/lib.sh keeps its files in a T of its own; both are cleaned up.
HT=$T
eval "hardening_$(declare -f cleanup)"
. "$(dirname "$0")/../apt/lib.sh"
set +e
eval "apt_$(declare -f cleanup)"
AT=$T
cleanup() { T=$AT apt_cleanup; T=$HT hardening_cleanup; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILED=1; }

build_repo
d=$T/build/evil-1.0
mkdir -p "$d/usr/libexec/evil"
cp "$BUSYBOX" "$d/usr/libexec/evil/busybox"
cp "$HELPER" "$d/usr/libexec/evil/sec-helper"
cp "$HT/attack" "$d/usr/libexec/evil/attack"
mkdeb evil 1.0 "Priority: required
Depends: hostbase" 'B=/usr/libexec/evil/busybox H=/usr/libexec/evil/sec-helper OUT=/results \
        /usr/libexec/evil/busybox sh /usr/libexec/evil/attack
# The .deb dpkg installed this from: if it were the cache'"'"'s own file
# (a hardlink), this would poison every later fetch.
for f in /var/cache/apt/archives/evil_*.deb; do
        if echo poisoned >>"$f" 2>>/tamper.err; then echo "$f" >>/tampered; fi
done
exit 0'
make_release testsuite good
make_manifest testsuite "file://$T/repo"
export MKROOT_CACHE=$T/cache
run_fetch "$T/testsuite.deb822" -o "$T/evil.tar.gz"
set +e # run_fetch turns errexit back on
# The postinst must have run (else nothing was tested): the fetch succeeds
# and the image holds what the attack wrote.
if [ "$RC" = 0 ]; then
        mkdir "$T/evil.x"
        tar -xzf "$T/evil.tar.gz" -C "$T/evil.x"
        check_results "second stage" "$T/evil.x" no
        [ -s "$T/evil.x/tampered" ] && pass "second stage: the postinst ran" ||
                fail "second stage: the postinst did not run (no /tampered): $(cat "$T/evil.x/tamper.err" 2>&1)"
else
        fail "second stage: mkroot fetch exited $RC: $OUT"
        check_host "second stage"
fi
# Every downloaded .deb in the cache still has the content its name says.
bad=""
n=0
while read -r f; do
        n=$((n + 1))
        [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || bad="$bad $f"
done < <(find "$MKROOT_CACHE" -type f -regextype posix-extended -regex '.*/sha256/[0-9a-f]{64}' -size +0)
if [ "$n" = 0 ]; then
        fail "second stage: no downloaded .deb found in the cache $MKROOT_CACHE"
elif [ -n "$bad" ]; then
        fail "second stage: the postinst changed the cache's .deb files:$bad"
else
        pass "second stage: the $n cached downloads are unchanged"
fi
if [ -n "$ROOTLESS_SKIP" ] && [ "$FAILED" = 0 ]; then
        check_no_cgroup_left
        skip "root cases passed; rootless case: $ROOTLESS_SKIP"
fi
finish
