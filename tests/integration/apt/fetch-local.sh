#!/bin/bash
# mkroot fetch against a repository built here, over file:// and HTTP:
# selection (alternatives, Provides, versions with epochs), the second
# stage (a postinst creates a user and a file), dpkg sees every package
# installed, sources.list, a warm second fetch downloads only InRelease and
# reuses the image, a tree not merged beforehand, http_proxy, and
# SOURCE_DATE_EPOCH (clamped mtimes, passed to scripts, identical bytes).
. "$(dirname "$0")/lib.sh"
build_repo
export MKROOT_CACHE=$T/cache

# --- file:// ---
make_manifest testsuite "file://$T/repo"
run_fetch "$T/testsuite.deb822" --print-debs
[ "$RC" = 0 ] || fail "print-debs: $OUT"
[ "$(echo "$OUT" | sort | tr '\n' ' ')" = "apt greeter greeter-data hostbase libfoo tiny-mta " ] ||
        fail "selection: $OUT"

run_fetch "$T/testsuite.deb822" -o "$T/file.tar.gz"
[ "$RC" = 0 ] || fail "file:// fetch failed: $OUT"
[ -s "$T/file.tar.gz" ] || fail "no image"
mkdir "$T/x"
tar -xzf "$T/file.tar.gz" -C "$T/x"
grep -q '^greeter:' "$T/x/etc/passwd" || fail "postinst did not create the user"
grep -q '^greeter:' "$T/x/etc/group" || fail "postinst did not create the group"
[ "$(cat "$T/x/var/lib/greeter/state")" = "configured by postinst" ] || fail "postinst file"
[ -f "$T/x/etc/apt-postinst-ran" ] || fail "apt's postinst did not run"
[ -L "$T/x/bin" ] && [ "$(readlink "$T/x/bin")" = usr/bin ] || fail "merged /usr: /bin"
[ -L "$T/x/lib64" ] || fail "merged /usr: /lib64"
grep -q "^deb file://$T/repo testsuite main$" "$T/x/etc/apt/sources.list" || fail "sources.list"
[ ! -e "$T/x/etc/resolv.conf" ] || fail "resolv.conf leaked into the tree"
ls "$T/x/var/cache/apt/archives/"*.deb 2>/dev/null && fail "debs left in the tree"
n=$(grep -c '^Status: install ok installed$' "$T/x/var/lib/dpkg/status")
[ "$n" = 6 ] || fail "dpkg status: $n packages installed, expected 6"
grep -A1 '^Package: greeter-data$' "$T/x/var/lib/dpkg/status" | grep -q . || fail "greeter-data"
grep -q '^Version: 1:1.5$' "$T/x/var/lib/dpkg/status" || fail "greeter-data 1:1.5 (epoch) not chosen"
grep -q '^Version: 1.0$' "$T/x/var/lib/dpkg/status" || fail "libfoo 1.0 not chosen"
# dpkg itself, run inside the tree, agrees.
chroot "$T/x" /usr/bin/dpkg -l >"$T/dpkg-l" 2>&1 || fail "dpkg -l in the tree: $(cat "$T/dpkg-l")"
[ "$(grep -c '^ii ' "$T/dpkg-l")" = 6 ] || fail "dpkg -l: $(cat "$T/dpkg-l")"
# Kept as a base layer in the cache.
ls "$T/cache/bases/testsuite_amd64.tar.gz" >/dev/null || fail "base layer not kept"

# --- not merged beforehand (Merged-Usr: no): no redirection in stage 1 ---
make_manifest testsuite "file://$T/repo" no
run_fetch "$T/testsuite.deb822" -o "$T/nomerge.tar.gz"
[ "$RC" = 0 ] || fail "Merged-Usr: no fetch: $OUT"
tar -tzf "$T/nomerge.tar.gz" | grep -qx './var/lib/greeter/state\|var/lib/greeter/state' ||
        fail "Merged-Usr: no: postinst file missing"

# --- the same over HTTP, fresh cache; then warm ---
serve_http
make_manifest testsuite "http://127.0.0.1:$PORT"
export MKROOT_CACHE=$T/cache2
run_fetch "$T/testsuite.deb822" -o "$T/http.tar.gz"
[ "$RC" = 0 ] || fail "http fetch failed: $OUT"
grep -q 'GET /pool/main/greeter_2.0_amd64.deb' "$T/http.log" || fail "no .deb fetched over HTTP"
: >"$T/http.log"
run_fetch "$T/testsuite.deb822" -o "$T/http2.tar.gz"
[ "$RC" = 0 ] || fail "warm http fetch failed: $OUT"
# (The updates and security pockets' InRelease are asked for too; this
# repository has neither: two 404s.)
gets=$(awk '/"GET .*" 200 / { n++ } END { print n + 0 }' "$T/http.log")
[ "$gets" = 1 ] && grep -q 'GET /dists/testsuite/InRelease HTTP/1.1" 200' "$T/http.log" ||
        fail "warm fetch downloaded more than InRelease: $(cat "$T/http.log")"

cmp -s "$T/http.tar.gz" "$T/http2.tar.gz" || fail "warm fetch gave a different image"
[ "$(stat -c %h "$T/http2.tar.gz")" = 1 ] || fail "image handed out as a hardlink into the cache"
run_fetch "$T/testsuite.deb822" -o "$T/http3.tar.gz" --rebuild
[ "$RC" = 0 ] && [ -s "$T/http3.tar.gz" ] || fail "--rebuild: $OUT"

# Proxies come from the environment: a host that does not exist is reached
# through http_proxy (http.server maps "GET http://h/p" to ./http:/h/p).
mkdir -p "$T/proxyroot/http:"
ln -s "$T/repo" "$T/proxyroot/http:/mirror.invalid"
PPORT=$(free_port)
(cd "$T/proxyroot" && exec python3 -m http.server --bind 127.0.0.1 "$PPORT") >"$T/proxy.log" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
for _ in $(seq 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$PPORT),0.2)" 2>/dev/null && break
        sleep 0.1
done
http_proxy=http://127.0.0.1:$PPORT MKROOT_CACHE=$T/cache-proxy \
        run_fetch "$T/testsuite.deb822" --mirror http://mirror.invalid --print-debs
[ "$RC" = 0 ] || fail "fetch through http_proxy: $OUT"
grep -q 'GET http://mirror.invalid/dists/testsuite/InRelease' "$T/proxy.log" ||
        fail "the proxy was not used: $(cat "$T/proxy.log")"

# SOURCE_DATE_EPOCH: two builds give the same bytes, mtimes clamped.
SOURCE_DATE_EPOCH=1700000000 run_fetch "$T/testsuite.deb822" -o "$T/d1.tar"
[ "$RC" = 0 ] || fail "epoch fetch: $OUT"
newest=$(tar -tvf "$T/d1.tar" --full-time | awk '{print $4" "$5}' | sort | tail -1)
case "$newest" in 2023-11-14*) ;; *) fail "mtime not clamped: $newest" ;; esac
[ "$(tar -xOf "$T/d1.tar" ./var/lib/greeter/epoch 2>/dev/null || tar -xOf "$T/d1.tar" var/lib/greeter/epoch)" = 1700000000 ] ||
        fail "SOURCE_DATE_EPOCH not passed to maintainer scripts"
# Same inputs, same bytes (--rebuild: not the cached copy).
SOURCE_DATE_EPOCH=1700000000 run_fetch "$T/testsuite.deb822" -o "$T/d2.tar" --rebuild
[ "$RC" = 0 ] || fail "epoch fetch 2: $OUT"
cmp -s "$T/d1.tar" "$T/d2.tar" || fail "two builds with the same SOURCE_DATE_EPOCH differ"
echo "PASS"
