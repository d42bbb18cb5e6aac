#!/bin/bash
# --net private and -p: a busybox httpd inside, published on the host's
# 127.0.0.1, answers curl; from inside, a TCP server on the host's
# loopback is reached at the gateway address (pasta's mapping) and DNS
# works through it (a tiny responder this test runs on 127.0.0.1:53);
# a second container publishing the same host port fails clearly and
# leaves nothing; no pasta is left once a container ends, foreground or
# detached (stop); --net container:NAME sees the other's interface and
# port; passt missing (PATH without pasta: the hook is PATH, pasta is
# found there) and pasta failing (a fake pasta first on PATH) say so in
# one line; -p with --net host or none is refused. Loopback only.
. "$(dirname "$0")/lib.sh"
set -o pipefail
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 77; }
command -v pasta >/dev/null || { echo "SKIP: needs pasta (apt-get install passt)"; exit 77; }
STATE=/run/runroot
net_cleanup() {
        kill_monitors "$STATE"
        kill_pastas
        rr_cleanup
}
trap net_cleanup EXIT

# free_port: a TCP port of 127.0.0.1 nothing listens on now.
free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# pasta_pids PORT: the pastas publishing host port PORT (by command line).
pasta_pids() {
        local f
        for f in /proc/[0-9]*/cmdline; do
                tr '\0' ' ' 2>/dev/null <"$f" >"$T/cmdline" || continue
                if grep -F -- "/$1:80 " "$T/cmdline" >/dev/null && grep -F -- "--config-net" "$T/cmdline" >/dev/null; then
                        f=${f#/proc/}
                        echo "${f%/cmdline}"
                fi
        done
}
PORTS=""
kill_pastas() {
        local p pid
        for p in $PORTS; do
                for pid in $(pasta_pids "$p"); do kill -9 "$pid" 2>/dev/null; done
        done
}
no_pasta_left() {
        local i
        for i in $(seq 30); do
                [ -z "$(pasta_pids "$1")" ] && return 0
                sleep 0.1
        done
        fail "$2: a pasta is left: $(pasta_pids "$1")"
}
# wait_http PORT: the body of http://127.0.0.1:PORT/ once it answers.
wait_http() {
        local i
        for i in $(seq 50); do
                curl -sS --max-time 2 "http://127.0.0.1:$1/" >"$T/body" 2>"$T/curl-err" && return 0
                sleep 0.1
        done
        fail "127.0.0.1:$1 never answered: $(cat "$T/curl-err")"
}

W=$T/web
make_tree "$W"
for c in httpd wget nc ip awk nslookup timeout; do ln -sf busybox "$W/bin/$c"; done
mkdir -p "$W/www"
echo "hello from inside" >"$W/www/index.html"
tar -C "$W" -czf "$T/web.tar.gz" .
WEB=$T/web.tar.gz
mkdir -p "$T/ctl"

# A foreground container, its httpd published on 127.0.0.1; it ends when
# the test touches ctl/stop.
P1=$(free_port)
PORTS="$PORTS $P1"
rr -p "127.0.0.1:$P1:80" -v "$T/ctl:/ctl" "$WEB" sh -c \
        'httpd -h /www -p 80 && while [ ! -e /ctl/stop ]; do sleep 0.1; done' >"$T/fg-out" 2>"$T/fg-err" &
fg=$!
CLEANUP_PIDS="$CLEANUP_PIDS $fg"
wait_http "$P1"
[ "$(cat "$T/body")" = "hello from inside" ] || fail "-p: the published httpd said: $(cat "$T/body")"
pids=$(pasta_pids "$P1")
[ -n "$pids" ] || fail "-p: no pasta publishing $P1"
touch "$T/ctl/stop"
expect_rc 0 wait "$fg"
no_pasta_left "$P1" "a foreground container's end"
# (ended: gone, or a zombie its reaper has not waited for yet)
for pid in $pids; do
        st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        [ -z "$st" ] || [ "$st" = Z ] || fail "pasta $pid still there (state $st)"
done
check_no_leftovers

# From inside: the host's loopback at the gateway address; DNS too.
GW=$(ip -4 route show default | awk '{print $3; exit}')
[ -n "$GW" ] || fail "the host has no default route (pasta needs one)"
P2=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.sendall(b"host loopback\n"); c.close()' "$P2" &
srv=$!
CLEANUP_PIDS="$CLEANUP_PIDS $srv"
sleep 0.3
# (nc under a timeout: this pasta (0.0~git20230309) does not always pass
# the host side's close on, and then may hand the data over again; the
# first line nc read is what counts.)
rr --net private "$WEB" sh -c 'gw=$(ip route | awk "/^default/ {print \$3}"); timeout 5 nc "$gw" '"$P2"' </dev/null; exit 0' \
        >"$T/in-out" 2>"$T/in-err" || fail "--net private: nc to the gateway: $(cat "$T/in-err")"
[ "$(head -n 1 "$T/in-out")" = "host loopback" ] || fail "--net private: the host's loopback said: $(od -c "$T/in-out" | head -5) $(cat "$T/in-err")"
wait "$srv"

# resolv.conf: the host's name servers, a loopback one at the gateway.
awk -v gw="$GW" '$1 == "nameserver" { a = $2; if (a ~ /^127\./ || a == "::1") a = gw; if (!seen[a]++) print "nameserver " a }' \
        /etc/resolv.conf >"$T/want-resolv"
rr --net private "$WEB" cat /etc/resolv.conf >"$T/resolv" 2>"$T/err" || fail "resolv.conf: $(cat "$T/err")"
if [ -s "$T/want-resolv" ]; then
        cmp "$T/want-resolv" "$T/resolv" || fail "--net private: resolv.conf: $(cat "$T/resolv")"
fi
DNS_SKIPPED=""
if python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53))' 2>/dev/null; then
        # A responder for one name (A 10.9.8.7), nothing else.
        python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53)); s.settimeout(30)
while True:
    q, a = s.recvfrom(512)
    i = 12
    while q[i]: i += 1 + q[i]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    name = q[12:i + 5]
    ok = qtype == 1 and b"\x07rr-test\x07invalid\x00" in q
    ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 9, 8, 7]) if ok else b""
    s.sendto(q[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1 if ok else 0, 0, 0) + name + ans, a)' &
        dns=$!
        CLEANUP_PIDS="$CLEANUP_PIDS $dns"
        sleep 0.3
        rr --net private --dns "$GW" "$WEB" nslookup rr-test.invalid >"$T/ns" 2>"$T/ns-err" ||
                fail "nslookup inside: $(cat "$T/ns" "$T/ns-err")"
        grep -F "10.9.8.7" "$T/ns" >/dev/null || fail "nslookup inside: $(cat "$T/ns")"
        kill "$dns"
else
        echo "SKIP: the DNS answer through the gateway: 127.0.0.1:53 is in use here"
        DNS_SKIPPED=1
fi

# Detached: the port works, a second container on the same host port
# fails clearly and leaves nothing, --net container:NAME shares the
# network, stop ends pasta.
P3=$(free_port)
PORTS="$PORTS $P3"
rr -d --name web -p "127.0.0.1:$P3:80" "$WEB" httpd -f -h /www -p 80 >"$T/id" 2>"$T/err" ||
        fail "-d -p: $(cat "$T/err")"
wait_http "$P3"
[ "$(cat "$T/body")" = "hello from inside" ] || fail "-d -p: $(cat "$T/body")"
[ -n "$(pasta_pids "$P3")" ] || fail "-d -p: no pasta"
rc=0
rr -d --name web2 -p "127.0.0.1:$P3:80" "$WEB" httpd -f -h /www -p 80 >"$T/out2" 2>"$T/err2" || rc=$?
[ "$rc" = 125 ] || fail "the same host port twice: exit $rc"
printf 'runroot: -p 127.0.0.1:%s:80: port %s of 127.0.0.1 is already in use on the host\n' "$P3" "$P3" |
        cmp - "$T/err2" || fail "the same host port twice: $(cat "$T/err2")"
[ ! -s "$T/out2" ] || fail "the refused container printed an id: $(cat "$T/out2")"
rr ps -a >"$T/ps" || fail "ps -a"
if grep -w web2 "$T/ps" >/dev/null; then fail "the refused container is listed: $(cat "$T/ps")"; fi
[ ! -e "$MKROOT_CACHE/names/web2" ] || fail "the refused container left its layer"
[ "$(pasta_pids "$P3" | wc -l)" = 1 ] || fail "a second pasta on $P3"
# A foreground one too, on the same port: the same line.
rc=0
rr -p "127.0.0.1:$P3:80" "$WEB" true 2>"$T/err3" || rc=$?
[ "$rc" = 125 ] || fail "the same host port, foreground: exit $rc"
printf 'runroot: -p 127.0.0.1:%s:80: port %s of 127.0.0.1 is already in use on the host\n' "$P3" "$P3" |
        cmp - "$T/err3" || fail "the same host port, foreground: $(cat "$T/err3")"

rr exec web ip -4 -o addr show eth0 >"$T/addr-web" || fail "exec web ip"
rr --net container:web "$WEB" sh -c 'ip -4 -o addr show eth0; wget -qO- http://127.0.0.1:80/' >"$T/joined" 2>"$T/err" ||
        fail "--net container:web: $(cat "$T/err")"
head -n 1 "$T/joined" | cmp - "$T/addr-web" || fail "--net container:web: another interface: $(cat "$T/joined")"
[ "$(sed -n 2p "$T/joined")" = "hello from inside" ] || fail "--net container:web: its port 80: $(cat "$T/joined")"
rr inspect web >"$T/inspect" || fail "inspect"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d = d[0] if isinstance(d, list) else d
assert d["HostConfig"]["NetworkMode"] == "private", d["HostConfig"]["NetworkMode"]
assert d["NetworkSettings"]["PublishedPorts"] == ["127.0.0.1:" + sys.argv[2] + ":80"], d["NetworkSettings"]' \
        "$T/inspect" "$P3" || fail "inspect: the network: $(cat "$T/inspect")"
rr stop -t 5 web >/dev/null 2>"$T/err" || fail "stop web: $(cat "$T/err")"
no_pasta_left "$P3" "stop of a detached container"
rc=0
rr --net container:web "$WEB" true 2>"$T/err" || rc=$?
[ "$rc" = 125 ] || fail "--net container: of a stopped one: exit $rc"
echo 'runroot: --net container:web: not running' | cmp - "$T/err" || fail "--net container:web stopped: $(cat "$T/err")"
rr rm web >/dev/null || fail "rm web"

# The monitor SIGKILLed: its container goes with it, its pasta by the
# next command that finds the container dead (here gc), by the recorded
# pid.
P4=$(free_port)
PORTS="$PORTS $P4"
rr -d --name web3 -p "127.0.0.1:$P4:80" "$WEB" httpd -f -h /www -p 80 >"$T/id" 2>"$T/err" ||
        fail "-d -p: $(cat "$T/err")"
wait_http "$P4"
[ -n "$(pasta_pids "$P4")" ] || fail "-d -p: no pasta on $P4"
kill_monitors "$STATE"
rr gc >/dev/null 2>"$T/err" || fail "gc after the monitor's SIGKILL: $(cat "$T/err")"
no_pasta_left "$P4" "gc after the monitor's SIGKILL"
rr rm -f web3 >/dev/null 2>&1
rc=0
rr --net container:nosuch "$WEB" true 2>"$T/err" || rc=$?
[ "$rc" = 125 ] || fail "--net container:nosuch: exit $rc"
echo 'runroot: --net container:nosuch: no such container: nosuch' | cmp - "$T/err" ||
        fail "--net container:nosuch: $(cat "$T/err")"

# passt missing: PATH without pasta (runroot finds pasta on PATH).
mkdir -p "$T/nobin"
rc=0
PATH=$T/nobin "$RUNROOT" -p "127.0.0.1:$(free_port):80" "$WEB" true 2>"$T/err" || rc=$?
[ "$rc" = 125 ] || fail "without pasta: exit $rc"
echo 'runroot: pasta not found: --net private needs it (apt-get install passt)' | cmp - "$T/err" ||
        fail "without pasta: $(cat "$T/err")"
# pasta failing: its last line said, its syslog noise not.
mkdir -p "$T/fakebin"
printf '#!/bin/sh\necho "Failed to send 42 bytes to syslog" >&2\necho "No routable interface for IPv4" >&2\necho "Failed to send 40 bytes to syslog" >&2\nexit 1\n' >"$T/fakebin/pasta"
chmod 755 "$T/fakebin/pasta"
rc=0
PATH=$T/fakebin:$PATH "$RUNROOT" -d --net private --name failing "$WEB" true >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 125 ] || fail "pasta failing: exit $rc"
echo 'runroot: --net private: pasta exited with status 1: No routable interface for IPv4' | cmp - "$T/err" ||
        fail "pasta failing: $(cat "$T/err")"
rr ps -a >"$T/ps" || fail "ps -a"
if grep -w failing "$T/ps" >/dev/null; then fail "pasta failing: the container is listed: $(cat "$T/ps")"; fi
[ ! -e "$MKROOT_CACHE/names/failing" ] || fail "pasta failing: the container left its layer"
check_no_leftovers

# -p needs --net private; bad specs name themselves.
expect_err() {
        local want=$1 rc=0
        shift
        "$RUNROOT" "$@" >"$T/o" 2>"$T/e" || rc=$?
        [ "$rc" = 125 ] || fail "$*: exit $rc"
        echo "$want" | cmp - "$T/e" || fail "$*: $(cat "$T/e")"
}
expect_err 'runroot: -p: not with --net host (published ports need --net private)' -p 8080:80 --net host "$WEB" true
expect_err 'runroot: -p: not with --net none (published ports need --net private)' --net none -p 8080:80 "$WEB" true
expect_err 'runroot: -p 80: expected [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp] (a host port is needed) (see --help)' -p 80 "$WEB" true
expect_err 'runroot: -p 8080:80/sctp: the protocol must be tcp or udp (see --help)' -p 8080:80/sctp "$WEB" true
expect_err 'runroot: -p 70000:80: a port is a number from 1 to 65535 (see --help)' -p 70000:80 "$WEB" true
expect_err 'runroot: -p 1.2.3:8080:80: 1.2.3 is not an IP address (see --help)' -p 1.2.3:8080:80 "$WEB" true
expect_err 'runroot: --net bridge: expected none, host, private or container:NAME (see --help)' --net bridge "$WEB" true

if [ -n "$DNS_SKIPPED" ]; then exit 77; fi
exit 0
