#!/bin/bash
# mkroot fetch refuses bad input and survives faults, one clear line each,
# a non-zero exit, no image and no untrusted cache entry: tampered
# InRelease, Packages and .deb, a foreign key, an expired Release, unknown
# suite, 404, unreachable mirror, unsatisfiable dependency, disk full; and
# a download cut in the middle resumes with a Range request.
. "$(dirname "$0")/lib.sh"
build_repo
export MKROOT_CACHE=$T/cache
S=$T/testsuite.deb822
make_manifest testsuite "file://$T/repo"
D=$T/repo/dists/testsuite

no_image() { [ ! -e "$T/out.tar.gz" ] || fail "image written after a failure ($1)"; }
cache_clean() { # no blob in the cache whose name is not its digest
        local f
        for f in "$MKROOT_CACHE"/apt/sha256/*; do
                [ -e "$f" ] || continue
                [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] ||
                        fail "untrusted cache entry $f"
        done
}

# What a killed fetch left (a tree, an unverified download) is removed by
# the next one; a resumable partial named by its digest stays.
mkdir -p "$MKROOT_CACHE/apt/tmp/root-killed/usr" "$MKROOT_CACHE/apt/partial"
: >"$MKROOT_CACHE/apt/partial/unverified-killed"
keep=$MKROOT_CACHE/apt/partial/$(printf '%064d' 0)
: >"$keep"
run_fetch "$S" --print-debs
[ "$RC" = 0 ] || fail "print-debs: $OUT"
[ ! -e "$MKROOT_CACHE/apt/tmp/root-killed" ] || fail "stale tree not removed"
[ ! -e "$MKROOT_CACHE/apt/partial/unverified-killed" ] || fail "stale download not removed"
[ -e "$keep" ] || fail "resumable partial removed"
rm -f "$keep"

# (A foreign architecture without an emulator: fetch-arch.sh.)

# Usage errors: exit 2, one line naming the option; --help on stdout.
run_fetch --bogus testsuite
[ "$RC" = 2 ] && [ "$OUT" = "mkroot: fetch: unknown option --bogus (try mkroot fetch --help)" ] ||
        fail "unknown option: $RC $OUT"
run_fetch testsuite --mirror
[ "$RC" = 2 ] && echo "$OUT" | grep -q 'option --mirror needs a value' || fail "missing value: $OUT"
"$MKROOT" fetch --help 2>/dev/null | grep -q '^Usage: mkroot fetch' || fail "--help"

# Unknown suite: the known ones are listed.
run_fetch nosuchsuite -o "$T/out.tar.gz"
expect_fail 'unknown suite "nosuchsuite" (known: .*bookworm'
no_image unknown

# Tampered InRelease (signed text changed after signing).
cp "$D/InRelease" "$T/InRelease.good"
sed -i 's/^Origin: mkroot-test/Origin: mkroot-evil/' "$D/InRelease"
run_fetch "$S" -o "$T/out.tar.gz"
expect_fail 'InRelease: bad signature'
no_image "bad signature"
cp "$T/InRelease.good" "$D/InRelease"

# The key embedded in the manifest (armored, deb822 continuation lines,
# as apt's Signed-By allows) verifies too; the evil one embedded refuses.
embed() { # KEYNAME -> manifest on stdout
        grep -v '^Signed-By:' "$S"
        echo "Signed-By:"
        gpg --batch --homedir "$T/gnupg-$1" --export --armor | sed 's/^$/./; s/^/ /'
}
embed good >"$T/embedded.deb822"
run_fetch "$T/embedded.deb822" --print-debs
[ "$RC" = 0 ] || fail "embedded armored key: $OUT"
embed evil >"$T/embedded-evil.deb822"
run_fetch "$T/embedded-evil.deb822" --print-debs
expect_fail 'not in the keyring'

# Signed by a key that is not in the keyring.
run_fetch "$S" -o "$T/out.tar.gz" --keyring "$T/evil.gpg"
expect_fail 'not in the keyring'
no_image "foreign key"

# Unsigned text appended after the signature is not believed.
printf 'SHA256:\n 0000 1 evil\n' >>"$D/InRelease"
run_fetch "$S" --print-debs
[ "$RC" = 0 ] || fail "appended junk broke a good InRelease: $OUT"
cp "$T/InRelease.good" "$D/InRelease"

# --no-verify warns loudly.
run_fetch "$S" --print-debs --no-verify
[ "$RC" = 0 ] && echo "$OUT" | grep -q 'WARNING: --no-verify' || fail "--no-verify: $OUT"
# ... and what it builds never becomes a base layer or a reusable image.
run_fetch "$S" --no-verify -o "$T/nv.tar.gz"
[ "$RC" = 0 ] && [ -s "$T/nv.tar.gz" ] || fail "--no-verify fetch: $OUT"
[ ! -e "$MKROOT_CACHE/bases/testsuite_amd64.tar.gz" ] || fail "unverified image kept as a base"
[ -z "$(ls "$MKROOT_CACHE/apt/images" 2>/dev/null)" ] || fail "unverified image kept for reuse"

# Tampered Packages (Release still the signed original); a fresh cache, as
# the good one is cached by its digest and would be used instead.
export MKROOT_CACHE=$T/cache-packages
cp "$D/main/binary-amd64/Packages.gz" "$T/Packages.gz.good"
sed 's/^Priority: optional/Priority: required/' "$D/main/binary-amd64/Packages" | gzip -9n \
        >"$D/main/binary-amd64/Packages.gz"
run_fetch "$S" -o "$T/out.tar.gz"
expect_fail 'Packages.gz: SHA256 mismatch'
no_image "tampered Packages"
cache_clean
cp "$T/Packages.gz.good" "$D/main/binary-amd64/Packages.gz"

# Tampered .deb.
export MKROOT_CACHE=$T/cache-deb
deb=$T/repo/pool/main/greeter_2.0_amd64.deb
cp "$deb" "$T/greeter.good"
flip_byte "$deb" 200
run_fetch "$S" -o "$T/out.tar.gz"
expect_fail 'greeter_2.0_amd64.deb: SHA256 mismatch'
no_image "tampered deb"
cache_clean
good=$(sha256sum "$T/greeter.good" | cut -d' ' -f1)
[ ! -e "$MKROOT_CACHE/apt/partial/$good" ] || fail "bad download left in partial/"
[ ! -e "$MKROOT_CACHE/apt/sha256/$good" ] || fail "bad download published"
cp "$T/greeter.good" "$deb"

# Expired Release: refused, unless --allow-expired.
cp "$D/InRelease" "$T/InRelease.good"
RELEASE_EXTRA="Valid-Until: $(date -u -R -d '-2 days')" make_release testsuite good
run_fetch "$S" --print-debs
expect_fail 'expired (Valid-Until passed)'
run_fetch "$S" --print-debs --allow-expired
[ "$RC" = 0 ] || fail "--allow-expired: $OUT"
make_release testsuite good

# Acquire-By-Hash without by-hash/ on the mirror: the plain names are used.
RELEASE_EXTRA="Acquire-By-Hash: yes" make_release testsuite good
run_fetch "$S" --print-debs --cache-dir "$T/cache-byhash"
[ "$RC" = 0 ] || fail "by-hash fallback: $OUT"
make_release testsuite good

# A second fetch on the same cache waits for the first (flock), says so.
mkdir -p "$MKROOT_CACHE/apt"
flock "$MKROOT_CACHE/apt/lock" sleep 2 &
holder=$!
sleep 0.3
run_fetch "$S" --print-debs
wait "$holder"
[ "$RC" = 0 ] && echo "$OUT" | grep -q 'waiting for another fetch' || fail "cache lock: $OUT"

# A maintainer script that fails: one line naming the stage and dpkg's
# last words, no image, no tree left behind.
run_fetch "$S" --include failing -o "$T/out.tar.gz" --cache-dir "$T/cache-failing"
expect_fail 'second stage: dpkg --install (the rest) exited with status 1'
no_image "failing postinst"
[ -z "$(ls "$T/cache-failing/apt/tmp")" ] || fail "tree left after a failed second stage"

# A component the Release does not list.
run_fetch "$S" --components main,nonfree --print-debs
expect_fail 'the Release lists no Packages for nonfree/amd64'

# Unsatisfiable dependency.
run_fetch "$S" --include broken -o "$T/out.tar.gz"
expect_fail 'broken Depends nothere (>= 3): unsatisfiable'
no_image unsatisfiable

# 404 over HTTP, unreachable mirror.
serve_http
run_fetch "$S" --mirror "http://127.0.0.1:$PORT/nothere" -o "$T/out.tar.gz"
expect_fail 'InRelease: HTTP 404'
no_image 404
closed=$(free_port)
run_fetch "$S" --mirror "http://127.0.0.1:$closed" -o "$T/out.tar.gz"
expect_fail "127.0.0.1:$closed/dists/testsuite/InRelease: .*"
no_image unreachable

# Disk full: the cache on a tiny tmpfs.
mkdir "$T/small"
# mode 0700: a world-writable (1777) cache root is refused as untrusted.
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/small"
trap 'umount "$T/small" 2>/dev/null || true; cleanup' EXIT
MKROOT_CACHE=$T/small run_fetch "$S" -o "$T/out.tar.gz"
expect_fail 'disk full'
no_image "disk full"
umount "$T/small"

# A download cut in the middle resumes (Range) and completes.
cat >"$T/cutserver.py" <<'PY'
import http.server, os, sys, re
root, port, cut = sys.argv[1], int(sys.argv[2]), sys.argv[3]
state = {"cut": False}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        sys.stderr.write("%s range=%s\n" % (self.path, self.headers.get("Range")))
        sys.stderr.flush()
    def do_GET(self):
        p = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(p):
            self.send_error(404); return
        data = open(p, "rb").read()
        start = 0
        m = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if m:
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if self.path.endswith(cut) and not state["cut"]:
            state["cut"] = True
            self.wfile.write(body[: len(body) // 2]); self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
CPORT=$(free_port)
python3 "$T/cutserver.py" "$T/repo" "$CPORT" hostbase_1.0_amd64.deb 2>"$T/cut.log" &
SERVER_PIDS="$SERVER_PIDS $!"
for _ in $(seq 50); do grep -q . "$T/cut.log" 2>/dev/null && break
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$CPORT),0.2)" 2>/dev/null && break
        sleep 0.1; done
export MKROOT_CACHE=$T/cache-cut
run_fetch "$S" --mirror "http://127.0.0.1:$CPORT" -o "$T/cut.tar.gz"
[ "$RC" = 0 ] || fail "fetch with a cut download: $OUT"
grep -q 'hostbase_1.0_amd64.deb range=bytes=[1-9]' "$T/cut.log" ||
        fail "no resume (Range) after the cut: $(cat "$T/cut.log")"
cache_clean
echo "PASS"
