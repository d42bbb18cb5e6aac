#!/bin/bash
# mkroot --trace (issue 15): what a command opens, executes and lists in a
# sandbox of the host goes into the image; the host is left as it was.
# The sandbox has a /tmp of its own, so the test's programs live below
# /var/tmp.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
export MKROOT_CACHE=$T/cache
W=$(mktemp -d /var/tmp/mkroot-trace.XXXXXX)
X=$(mktemp -d "$HOME/mkroot-trace-x.XXXXXX")
SRV=
trap '[ -z "$SRV" ] || kill "$SRV" 2>/dev/null; rm -rf "$T" "$W" "$X"' EXIT
cd "$T"
run() { # run IMAGE CMD...: stdout in out, stderr in err
        local img=$1; shift
        "$RUNROOT" --net none "$img" "$@" >out 2>err || fail "$img: $* failed: $(cat err)"
}

# Python: the modules it imports, traced.
# Without -q: a traced command that failed is a warning, and an image
# missing what it did not reach fails later for a reason hard to see.
"$MKROOT" --add /usr/bin/python3 --trace 'python3 -c "import json, ssl, sqlite3, encodings.idna"' \
        -o py.tar --trace-report py.rep >py.out 2>py.err || fail "mkroot --trace python3: $(cat py.err)"
if grep -F "mkroot: warning: --trace" py.err >py.warn; then
        fail "the traced python3 failed: $(cat py.warn py.out)"
fi
run py.tar python3 -c 'import json, ssl, sqlite3, encodings.idna; print(json.dumps("ok"))'
[ "$(cat out)" = '"ok"' ] || fail "python3 printed: $(cat out)"
grep -qP '^/usr/lib/python3\.11/json/__pycache__/__init__\.cpython-311\.pyc\ttrace$' py.rep ||
        fail "--trace-report: json's byte code not listed as traced"
grep -qP '^/usr/bin/python3\tadd$' py.rep || fail "--trace-report: /usr/bin/python3 not 'add'"
grep -qP '^/usr/lib/x86_64-linux-gnu/libc\.so\.6\tstatic closure$' py.rep ||
        fail "--trace-report: libc not 'static closure'"
# Every path of the image has one line with its reason.
tarlist py.tar >py.lst
[ "$(wc -l <py.rep)" = "$(wc -l <py.lst)" ] || fail "--trace-report: $(wc -l <py.rep) lines for $(wc -l <py.lst) entries"
grep -vP '^/[^\t]+\t(add|static closure|trace|package [^ ]+|rule [a-z-]+|merged /usr link|parent directory|skeleton)$' py.rep >bad.rep &&
        fail "--trace-report lines without a reason: $(head -3 bad.rep)"
# Same inputs and the same trace, same bytes.
"$MKROOT" -q --add /usr/bin/python3 --trace 'python3 -c "import json, ssl, sqlite3, encodings.idna"' -o py2.tar
cmp -s py.tar py2.tar || fail "the same trace twice gave different images"

# git, traced through the same commands it then runs inside (sh, which
# git clone runs git-upload-pack with, comes because the trace executed
# it); the trace works below /var/tmp, the image's run in its /tmp.
gitcmds='git init -q r && cd r && echo hi >f && git add f &&
        git -c user.name=t -c user.email=t@example.org commit -q -m first && cd .. &&
        git clone -q r c && git -C c log --format=%s && git -C c show HEAD:f'
mkdir -p "$W/git"
"$MKROOT" -q --add /usr/bin/git --trace "sh -c 'cd $W/git && $gitcmds'" -o git.tar 2>git.err ||
        fail "mkroot --trace git: $(tail -3 git.err)"
[ ! -e "$W/git/r" ] || fail "the traced git init wrote to the host"
run git.tar sh -c "cd /tmp && $gitcmds"
[ "$(cat out)" = "first
hi" ] || fail "git in the traced image printed: $(cat out) $(cat err)"

# A trace that opens a zone file brings the zone files (rule tz).
"$MKROOT" -q --add /usr/bin/date --trace 'head -c0 /usr/share/zoneinfo/UTC' -o tz.tar --trace-report tz.rep
grep -qP '^/usr/share/zoneinfo/Europe/Berlin\trule tz$' tz.rep || fail "a traced zone file brought no rule tz"
"$RUNROOT" --net none -e TZ=Europe/Berlin tz.tar date +%Z >out 2>err || fail "date: $(cat err)"
case "$(cat out)" in CET | CEST) ;; *) fail "TZ=Europe/Berlin date +%Z printed '$(cat out)'" ;; esac

# A program that dlopens a plugin, which needs a library of its own.
mkdir -p "$W/plug" "$W/lib"
echo 'int dep_value(void){return 42;}' >dep.c
cc -shared -fPIC -o "$W/lib/libtracedep.so" dep.c
echo 'int dep_value(void); int plugin_value(void){return dep_value();}' >plug.c
cc -shared -fPIC -o "$W/plug/plugin.so" plug.c -L"$W/lib" -ltracedep -Wl,-rpath,"$W/lib"
cat >host.c <<C
#include <dlfcn.h>
#include <stdio.h>
int main(void)
{
        void *h = dlopen("$W/plug/plugin.so", RTLD_NOW);
        if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
        int (*f)(void) = (int (*)(void))dlsym(h, "plugin_value");
        printf("%d\n", f());
        return 0;
}
C
cc -o "$W/host" host.c -ldl
"$MKROOT" -q --trace "$W/host" -o dl.tar --trace-report dl.rep >trace.out 2>trace.err
# What the traced command prints goes to stderr: stdout may be the image.
[ ! -s trace.out ] || fail "the traced run printed on mkroot's stdout: $(cat trace.out)"
[ "$(cat trace.err)" = 42 ] || fail "the traced run printed: $(cat trace.err)"
run dl.tar "$W/host"
[ "$(cat out)" = 42 ] || fail "the plugin host printed: $(cat out) $(cat err)"
grep -qP "^$W/plug/plugin\.so\ttrace$" dl.rep || fail "the plugin is not listed as traced"
grep -qP "^$W/lib/libtracedep\.so\t(trace|static closure)$" dl.rep || fail "the plugin's library is not listed"

# chdir, then relative paths through a directory fd.
mkdir -p "$W/data/sub"
echo secret-data >"$W/data/sub/f.txt"
cat >rel.c <<C
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
        char buf[64];
        if (chdir(argv[1]) < 0) return 2;
        int d = open("sub", O_RDONLY | O_DIRECTORY);
        int f = openat(d, "./f.txt", O_RDONLY);
        ssize_t n = f < 0 ? -1 : read(f, buf, sizeof buf);
        if (n <= 0) return 3;
        fwrite(buf, 1, (size_t)n, stdout);
        return 0;
}
C
cc -o "$W/rel" rel.c
"$MKROOT" -q --trace "$W/rel $W/data" -o rel.tar 2>rel.err || fail "mkroot --trace rel: $(tail -3 rel.err)"
run rel.tar "$W/rel" "$W/data"
[ "$(cat out)" = secret-data ] || fail "the dirfd program printed: $(cat out)"

# A traced rm -rf removes nothing of the host; what it made is not added.
mkdir -p "$X/dir"
echo keep >"$X/dir/file"
"$MKROOT" -q --add /bin/true --trace "rm -rf $X" --trace "sh -c 'echo new >$X/made'" -o rm.tar
[ "$(cat "$X/dir/file")" = keep ] || fail "the traced rm -rf removed the host's file"
[ ! -e "$X/made" ] || fail "the traced sh wrote to the host"
tarhas rm.tar " ${X#/}/made$" && fail "a file made by the traced run is in the image"
# sh was executed by the trace: it is in the image (rule: what runs is added).
tarhas rm.tar " usr/bin/dash$" || fail "the traced sh is not in the image"

# curl over https through the image's own CA bundle (rule
# ca-certificates: curl links libssl and a trace ran), to a server on
# 127.0.0.1 whose certificate comes from a CA the test adds to the
# image's copy of the host's trust store (--net host).
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=mkroot-test-ca \
        -days 2 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 \
        -extfile srv.ext 2>/dev/null
cat >srv.py <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello-tls\n")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain("srv.crt", "srv.key")
s.socket = c.wrap_socket(s.socket, server_side=True)
open("port.tmp", "w").write(str(s.server_address[1]))
__import__("os").rename("port.tmp", "port")
s.serve_forever()
PY
/usr/bin/python3 srv.py &
SRV=$!
for _ in $(seq 100); do [ -e port ] && break; sleep 0.1; done
[ -e port ] || fail "precondition: the https server did not start"
PORT=$(cat port)
"$MKROOT" -q --add /usr/bin/curl --trace 'curl --version' -o curl.tar --trace-report curl.rep >curl.log 2>&1 ||
        fail "mkroot --trace curl: $(tail -3 curl.log)"
grep -qP '^/etc/ssl/certs/ca-certificates\.crt\trule ca-certificates$' curl.rep ||
        fail "the CA bundle did not come by rule"
mkdir ex
tar -xf curl.tar -C ex
cat ca.crt >>ex/etc/ssl/certs/ca-certificates.crt
"$RUNROOT" --net host ex curl -sS "https://127.0.0.1:$PORT/" >out 2>err || fail "curl in the image: $(cat err)"
[ "$(cat out)" = hello-tls ] || fail "curl printed: $(cat out)"

# Bad input: one line, exit 1.
set +e
"$MKROOT" --trace 'python3 "unterminated' -o bad.tar 2>err
rc=$?
set -e
[ $rc = 1 ] || fail "an unterminated quote in --trace exited $rc"
[ "$(wc -l <err)" = 1 ] || fail "more than one line for a bad --trace: $(cat err)"
[ ! -e bad.tar ] || fail "a bad --trace left bad.tar"
if "$MKROOT" --add /bin/true --trace 'nosuch-mkroot-cmd x' -o bad.tar 2>err; then
        fail "a --trace of a command that does not exist succeeded"
fi
[ "$(cat err)" = "mkroot: --trace 'nosuch-mkroot-cmd x': nosuch-mkroot-cmd: command not found" ] ||
        fail "a --trace of a missing command said: $(cat err)"
[ ! -e bad.tar ] || fail "a --trace of a missing command left bad.tar"
# An image that cannot be written leaves no report of it.
if "$MKROOT" -q --add /bin/true --trace-report gone.rep -o "$T/no-such-dir/x.tar" 2>err; then
        fail "an unwritable -o succeeded"
fi
[ ! -e gone.rep ] || fail "a failed image left its --trace-report"
echo "ok: trace"
