#!/bin/bash
# Benchmark (on demand, not part of the test suite): `mkroot fetch SUITE`
# against `debootstrap --variant=minbase SUITE` followed by `tar -czf` of
# its tree (both ending in a .tar.gz), for bookworm, bionic and noble by
# default, with hyperfine. Both read the same mirror (the one `mkroot
# fetch --list` names for the suite, as a fetch with no flags uses)
# through a caching HTTP proxy on 127.0.0.1 that this script starts: a
# warm-up run of each tool fills it, so the timed runs download nothing
# from the network and neither tool waits on the mirror.
#
# Rows per suite:
#   mkroot-release   --pockets release (debootstrap's package set) with
#                    an empty mkroot cache each run: downloads from the
#                    proxy, every .deb verified and unpacked
#   mkroot           the default pockets (release, updates, security where
#                    the mirror has them), empty cache each run
#   mkroot-rebuild   --pockets release --rebuild with mkroot's own cache
#                    kept (nothing downloaded; the tree built anew)
#   mkroot-dpkg-unpack  the same with --dpkg-unpack (dpkg unpacks the
#                    essential set a second time, as debootstrap does)
#   debootstrap      --variant=minbase into an empty directory, then
#                    tar -czf of it
# Ratios of the medians follow (below 1: mkroot is faster).
#
#   tests/bench/fetch.sh [SUITE...]   (root; MKROOT=path/to/mkroot,
#                                      RUNS=N hyperfine runs, default 3)
set -eu
. "$(dirname "$0")/../helpers/procs.sh"
MKROOT=${MKROOT:-$(dirname "$0")/../../build/mkroot}
RUNS=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, the second stage)"; exit 77; }
[ -x "$MKROOT" ] || { echo "mkroot not found at $MKROOT (set MKROOT)" >&2; exit 2; }
MKROOT=$(realpath "$MKROOT")
for p in hyperfine debootstrap python3 gpg jq; do
        command -v "$p" >/dev/null || { echo "$p is not installed" >&2; exit 2; }
done
[ $# -gt 0 ] || set -- bookworm bionic noble

W=$(mktemp -d /var/tmp/mkroot-bench-fetch.XXXXXX)
PROXY_PID=
cleanup() {
        [ -z "$PROXY_PID" ] || stop_child "$PROXY_PID" "caching proxy"
        rm -rf "$W"
}
trap cleanup EXIT

# The caching proxy: GET/HEAD /PATH is UPSTREAM/PATH, kept under CACHE
# once fetched whole (a 404 is passed on and not kept).
cat >"$W/proxy.py" <<'PY'
import http.server, os, shutil, sys, tempfile, threading, urllib.error, urllib.request
upstream, cache, portfile = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
locks, guard = {}, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def path_in_cache(self):
        p = self.path.split("?")[0].lstrip("/")
        if ".." in p.split("/"):
            return None
        return os.path.join(cache, p or "index")
    def fill(self, dst):
        with guard:
            lk = locks.setdefault(dst, threading.Lock())
        with lk:
            if os.path.exists(dst):
                return 200
            try:
                r = urllib.request.urlopen(upstream + self.path, timeout=120)
            except urllib.error.HTTPError as e:
                return e.code
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dst))
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)
            os.rename(tmp, dst)
            return 200
    def answer(self, body):
        dst = self.path_in_cache()
        code = self.fill(dst) if dst else 400
        if code != 200:
            self.send_error(code)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(dst)))
        self.end_headers()
        if body:
            with open(dst, "rb") as f:
                shutil.copyfileobj(f, self.wfile, 1 << 20)
    def do_GET(self):
        self.answer(True)
    def do_HEAD(self):
        self.answer(False)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY

start_proxy() { # UPSTREAM -> PROXY (its URL)
        [ -z "$PROXY_PID" ] || stop_child "$PROXY_PID" "caching proxy"
        local key
        key=$(echo "$1" | sha256sum | cut -c1-16)
        rm -f "$W/port"
        python3 "$W/proxy.py" "$1" "$W/proxy-$key" "$W/port" &
        PROXY_PID=$!
        for _ in $(seq 100); do
                [ -s "$W/port" ] && break
                sleep 0.05
        done
        [ -s "$W/port" ] || { echo "the proxy did not start" >&2; exit 1; }
        PROXY=http://127.0.0.1:$(cat "$W/port")
}

# A keyring file for debootstrap: the manifest's embedded armored key
# (Ubuntu's; Debian 12 has no ubuntu-keyring), else the file it names.
keyring_for() { # SUITE
        local m
        m=$(dirname "$MKROOT")/manifests/$1.deb822
        [ -r "$m" ] || m=$(dirname "$0")/../../manifests/$1.deb822
        if grep -q '^Signed-By: *$' "$m" || grep -q '^Signed-By:.*BEGIN PGP' "$m"; then
                awk '/^Signed-By:/ {on = 1; sub(/^Signed-By: */, ""); if ($0 != "") print; next}
                        on && /^[ \t]/ {sub(/^[ \t]/, ""); if ($0 == ".") $0 = ""; print; next}
                        on {exit}' "$m" | gpg --dearmor >"$W/$1.gpg"
                echo "$W/$1.gpg"
        else
                sed -n 's/^Signed-By: *//p' "$m"
        fi
}

# debootstrap's script: the suite's own, else (Debian 12's debootstrap
# predates noble) the one its distribution's suites share.
script_for() { # SUITE DIST
        local d=/usr/share/debootstrap/scripts
        if [ -e "$d/$1" ]; then
                echo "$d/$1"
        elif [ "$2" = ubuntu ]; then
                echo "$d/gutsy"
        else
                echo "$d/sid"
        fi
}

echo "mkroot fetch vs debootstrap --variant=minbase (+ tar -czf); $(nproc) CPUs," \
        "load $(cut -d' ' -f1 /proc/loadavg), $RUNS runs each, downloads through a caching proxy"
summary=$W/summary
: >"$summary"
for suite in "$@"; do
        row=$("$MKROOT" fetch --list | awk -v s="$suite" '$1 == s')
        [ -n "$row" ] || { echo "$suite: not a suite mkroot knows" >&2; exit 2; }
        read -r _ dist _ _ upstream _ <<<"$row"
        start_proxy "$upstream"
        keyring=$(keyring_for "$suite")
        script=$(script_for "$suite" "$dist")
        C=$W/cache-$suite
        mk="MKROOT_CACHE=$C $MKROOT fetch -q --mirror $PROXY $suite"
        db="debootstrap --variant=minbase --keyring=$keyring $suite $W/db $PROXY $script >$W/db.log 2>&1 && tar -C $W/db -czf $W/db.tar.gz ."
        echo
        echo "== $suite ($dist): the proxy fills (one run of each tool)"
        eval "$mk --pockets release -o $W/warm-rel.tar.gz" || { echo "mkroot fetch $suite failed" >&2; exit 1; }
        eval "$mk -o $W/warm.tar.gz" || { echo "mkroot fetch $suite failed" >&2; exit 1; }
        rm -rf "$W/db"
        if ! eval "$db"; then
                echo "debootstrap $suite failed: $(tail -3 "$W/db.log")" >&2
                exit 1
        fi
        echo "mkroot: $(tar -xzOf "$W/warm-rel.tar.gz" var/lib/dpkg/status | grep -c '^Package:') packages" \
                "(--pockets release), $(tar -xzOf "$W/warm.tar.gz" var/lib/dpkg/status | grep -c '^Package:')" \
                "(default pockets); debootstrap: $(grep -c '^Package:' "$W/db/var/lib/dpkg/status")"
        rm -rf "$W/db"
        hyperfine --runs "$RUNS" --export-json "$W/$suite.json" \
                -n mkroot-release --prepare "rm -rf $C" "$mk --pockets release -o $W/o1.tar.gz" \
                -n mkroot --prepare "rm -rf $C" "$mk -o $W/o2.tar.gz" \
                -n mkroot-rebuild --prepare true "$mk --pockets release --rebuild -o $W/o3.tar.gz" \
                -n mkroot-dpkg-unpack --prepare true \
                "$mk --pockets release --rebuild --dpkg-unpack -o $W/o4.tar.gz" \
                -n debootstrap --prepare "rm -rf $W/db $W/db.tar.gz" "$db"
        rm -rf "$W/db" "$C"
        med() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$W/$suite.json"; }
        for a in mkroot-release mkroot mkroot-rebuild mkroot-dpkg-unpack; do
                printf '%-9s %-20s %7.1f s  / debootstrap %7.1f s = %5.2f\n' "$suite" "$a" "$(med $a)" \
                        "$(med debootstrap)" "$(echo "scale=4; $(med $a) / $(med debootstrap)" | bc)" \
                        >>"$summary"
        done
done
echo
echo "medians; ratio below 1: mkroot is faster"
cat "$summary"
