#!/bin/bash
# -p rootless, as a user the test creates: pasta runs as the user, the
# network namespace is the container's user namespace's. Where the user
# cannot open /dev/net/tun (mode 0600 on Debian), runroot fails in one
# line and leaves nothing; the rest then runs in a mount namespace of the
# test's own where a tun node the user may open is bound over
# /dev/net/tun (nothing of the host's changes), or is skipped visibly
# when even that cannot be made. Loopback only.
. "$(dirname "$0")/lib.sh"
set -o pipefail
command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 77; }
command -v pasta >/dev/null || { echo "SKIP: needs pasta (apt-get install passt)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
rootless_user rrn
XDG=$T/xdg
lc_state "$XDG/runroot" "$T/home/cache"
HOLDER=""
nr_cleanup() {
        [ -n "$HOLDER" ] && { kill -9 "$HOLDER"; wait "$HOLDER"; } 2>/dev/null
        rr_cleanup
}
trap nr_cleanup EXIT
mkdir -p "$XDG"
chown "$U:" "$XDG"
chmod 700 "$XDG"
W=$T/web
make_tree "$W"
for c in httpd nc ip awk timeout; do ln -sf busybox "$W/bin/$c"; done
mkdir -p "$W/www"
echo "rootless inside" >"$W/www/index.html"
tar -C "$W" -czf "$T/web.tar.gz" .
chmod 644 "$T/web.tar.gz"
free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
X="XDG_RUNTIME_DIR=$XDG"
ENTER=""
# as_user CMD: a shell command as the test user (in the holder's mount
# namespace once there is one).
as_user() {
        $ENTER setpriv --reuid="$U" --regid="$U" --init-groups env -i HOME="$T/home" MKROOT_CACHE="$T/home/cache" PATH=/usr/bin:/bin bash -c "cd $T/home && $*"
}

if ! as_user 'exec 3<>/dev/net/tun' 2>/dev/null; then
        rc=0
        as_user "$BIN/runroot -p 127.0.0.1:$(free_port):80 $T/web.tar.gz true" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = 125 ] || fail "rootless -p without /dev/net/tun: exit $rc"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "rootless -p without /dev/net/tun: $(cat "$T/err")"
        grep '^runroot: --net private: pasta exited with status 1: .' "$T/err" >/dev/null ||
                fail "rootless -p without /dev/net/tun: $(cat "$T/err")"
        check_no_leftovers
        # A tun node the user may open, in a mount namespace of its own.
        mkdir -p "$T/dev"
        unshare -m --propagation private sh -c \
                "mount -t tmpfs tmpfs '$T/dev' && mknod -m 666 '$T/dev/tun' c 10 200 && mount --bind '$T/dev/tun' /dev/net/tun && touch '$T/holder-ready' && exec sleep 600" \
                2>"$T/holder-err" &
        HOLDER=$!
        for i in $(seq 50); do
                [ -e "$T/holder-ready" ] || ! kill -0 "$HOLDER" 2>/dev/null && break
                sleep 0.1
        done
        if [ ! -e "$T/holder-ready" ]; then
                echo "SKIP: rootless -p: /dev/net/tun is not usable by the user and no tun node could be made ($(cat "$T/holder-err"))"
                exit 77
        fi
        ENTER="nsenter --mount=/proc/$HOLDER/ns/mnt"
        as_user 'exec 3<>/dev/net/tun' || fail "the holder's tun node is not usable"
fi

# Foreground: published, the host's loopback reached, no pasta after.
# (nc under a timeout: this pasta (0.0~git20230309) does not always pass
# the host side's close on, and then may hand the data over again; the
# first line nc read is what counts.)
P=$(free_port)
P2=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.sendall(b"host loopback\n"); c.close()' "$P2" &
srv=$!
CLEANUP_PIDS="$CLEANUP_PIDS $srv"
mkdir -p "$T/ctl"
chmod 777 "$T/ctl"
as_user "$BIN/runroot -p 127.0.0.1:$P:80 -v $T/ctl:/ctl $T/web.tar.gz sh -c '"'httpd -h /www -p 80 && gw=$(ip route | awk "/^default/ {print \$3}") && timeout 5 nc $gw '"$P2"' </dev/null; while [ ! -e /ctl/stop ]; do sleep 0.1; done'"'" \
        >"$T/fg-out" 2>"$T/fg-err" &
fg=$!
CLEANUP_PIDS="$CLEANUP_PIDS $fg"
for i in $(seq 100); do
        curl -sS --max-time 2 "http://127.0.0.1:$P/" >"$T/body" 2>"$T/curl-err" && break
        kill -0 "$fg" 2>/dev/null || fail "rootless -p: the container ended: $(cat "$T/fg-out" "$T/fg-err")"
        sleep 0.1
done
[ "$(cat "$T/body")" = "rootless inside" ] || fail "rootless -p: $(cat "$T/body" "$T/curl-err" "$T/fg-err")"
ps -eo user:32,args >"$T/ps"
grep -F -- "-t 127.0.0.1/$P:80 " "$T/ps" >"$T/pasta" || fail "rootless -p: no pasta"
[ "$(awk '{print $1}' "$T/pasta")" = "$U" ] || fail "rootless pasta is not the user's: $(cat "$T/pasta")"
touch "$T/ctl/stop"
expect_rc 0 wait "$fg"
[ "$(head -n 1 "$T/fg-out")" = "host loopback" ] || fail "rootless: the host's loopback said: $(cat "$T/fg-out" "$T/fg-err")"
wait "$srv"
sleep 0.3
ps -eo args >"$T/ps"
if grep -F -- "-t 127.0.0.1/$P:80 " "$T/ps" >/dev/null; then fail "rootless: a pasta is left"; fi

# Detached: published, and stop ends its pasta.
P=$(free_port)
as_user "$X $BIN/runroot -d --name web -p 127.0.0.1:$P:80 $T/web.tar.gz httpd -f -h /www -p 80" >"$T/id" 2>"$T/err" ||
        fail "rootless -d -p: $(cat "$T/err")"
for i in $(seq 100); do
        curl -sS --max-time 2 "http://127.0.0.1:$P/" >"$T/body" 2>"$T/curl-err" && break
        sleep 0.1
done
[ "$(cat "$T/body")" = "rootless inside" ] || fail "rootless -d -p: $(cat "$T/body" "$T/curl-err")"
as_user "$X $BIN/runroot stop -t 5 web" >/dev/null 2>"$T/err" || fail "rootless stop: $(cat "$T/err")"
sleep 0.3
ps -eo args >"$T/ps"
if grep -F -- "-t 127.0.0.1/$P:80 " "$T/ps" >/dev/null; then fail "rootless stop: a pasta is left"; fi
as_user "$X $BIN/runroot rm web" >/dev/null 2>"$T/err" || fail "rootless rm: $(cat "$T/err")"
exit 0
