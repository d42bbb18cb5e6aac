# Shared by the apt integration tests: builds a small, real apt repository
# offline (dpkg-deb packages, Packages, an InRelease signed with a key made
# here) and serves it over HTTP on 127.0.0.1. Source it; it sets T (temp
# dir, removed by the EXIT trap with everything started here).
set -eu

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (the second stage runs dpkg in namespaces)"
for p in dpkg-deb dpkg-scanpackages gpg gpgv python3 ldd; do
        command -v "$p" >/dev/null || skip "$p not installed"
done
[ "$(dpkg --print-architecture)" = amd64 ] || skip "the test repository is built for amd64"

. "$(dirname "${BASH_SOURCE[0]}")/../../helpers/procs.sh"
T=$(mktemp -d /tmp/mkroot-apt-test.XXXXXX)
SERVER_PIDS=""
cleanup() {
        for h in "$T"/gnupg-*; do
                [ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null || true
        done
        for p in $SERVER_PIDS; do
                if is_child "$p"; then kill "$p" 2>/dev/null || true; fi
                wait "$p" 2>/dev/null || true
        done
        rm -rf "$T"
}
trap cleanup EXIT

# ---- packages -----------------------------------------------------------

# Copy a host program and the libraries it loads into the package tree,
# /usr-merged (everything under usr/).
add_prog() { # DEST_ROOT PATH...
        local root=$1; shift
        local f lib dst
        for f in "$@"; do
                dst=$root/usr${f#/usr}
                mkdir -p "$(dirname "$dst")"
                cp -L "$f" "$dst"
                for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
                        dst=$root/usr${lib#/usr}
                        [ -e "$dst" ] && continue
                        mkdir -p "$(dirname "$dst")"
                        cp -L "$lib" "$dst"
                done
        done
}

mkdeb() { # NAME VERSION "Extra-Control-Lines" [postinst-body]
        local name=$1 ver=$2 extra=$3 post=${4:-}
        local d=$T/build/$name-$ver
        mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name"
        echo "$name $ver" >"$d/usr/share/doc/$name/README"
        {
                echo "Package: $name"
                echo "Version: $ver"
                echo "Architecture: amd64"
                echo "Maintainer: Test <test@example.invalid>"
                echo "Description: test package $name"
                [ -n "$extra" ] && printf '%s\n' "$extra"
        } >"$d/DEBIAN/control"
        if [ -n "$post" ]; then
                printf '#!/bin/sh\nset -e\n%s\n' "$post" >"$d/DEBIAN/postinst"
                chmod 755 "$d/DEBIAN/postinst"
        fi
        mkdir -p "$T/repo/pool/main"
        dpkg-deb --root-owner-group -Zgzip -z1 -b "$d" "$T/repo/pool/main/${name}_${ver#*:}_amd64.deb" >/dev/null
}

build_hostbase() {
        local d=$T/build/hostbase-1.0
        mkdir -p "$d/DEBIAN" "$d/etc" "$d/var/lib/dpkg" "$d/usr/bin" "$d/usr/sbin"
        add_prog "$d" /usr/bin/dpkg /usr/bin/dpkg-deb /usr/bin/dpkg-query /usr/bin/dpkg-split \
                /usr/bin/dpkg-divert /usr/bin/dpkg-statoverride /usr/bin/dpkg-trigger \
                /usr/bin/dash /usr/bin/rm /usr/bin/cat /usr/bin/ls /usr/bin/mkdir /usr/bin/echo \
                /usr/bin/test /usr/bin/cp /usr/bin/mv /usr/bin/ln /usr/bin/chmod /usr/bin/chown \
                /usr/bin/id /usr/bin/touch /usr/bin/head /usr/bin/tar /usr/bin/diff \
                /usr/bin/grep /usr/bin/sed /usr/bin/env /usr/sbin/useradd /usr/sbin/groupadd \
                /usr/sbin/ldconfig /usr/sbin/start-stop-daemon
        ln -s dash "$d/usr/bin/sh"
        # The top-level links ship in the package too (as usr-is-merged
        # would make them), so a tree that is not merged beforehand works.
        ln -s usr/bin "$d/bin"
        ln -s usr/sbin "$d/sbin"
        ln -s usr/lib "$d/lib"
        ln -s usr/lib64 "$d/lib64"
        mkdir -p "$d/usr/lib64"
        cp -L /lib64/ld-linux-x86-64.so.2 "$d/usr/lib64/ld-linux-x86-64.so.2"
        printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
        printf 'root:x:0:\n' >"$d/etc/group"
        printf 'root:*:19000:0:99999:7:::\n' >"$d/etc/shadow"
        printf 'root:*::\n' >"$d/etc/gshadow"
        cp /etc/login.defs "$d/etc/login.defs"
        chmod 640 "$d/etc/shadow" "$d/etc/gshadow"
        cat >"$d/DEBIAN/control" <<EOF
Package: hostbase
Version: 1.0
Architecture: amd64
Essential: yes
Priority: required
Pre-Depends: libfoo (>= 1.0~)
Maintainer: Test <test@example.invalid>
Description: host programs for the test bootstrap
EOF
        mkdir -p "$T/repo/pool/main"
        dpkg-deb --root-owner-group -Zgzip -z1 -b "$d" "$T/repo/pool/main/hostbase_1.0_amd64.deb" >/dev/null
}

# ---- signing and indexes -------------------------------------------------

make_key() { # NAME -> $T/NAME.gpg (public keyring), secret in $T/gnupg-NAME
        local h=$T/gnupg-$1
        mkdir -p "$h"
        chmod 700 "$h"
        gpg --batch --homedir "$h" --passphrase '' --quick-gen-key "$1 <$1@example.invalid>" \
                ed25519 sign never >/dev/null 2>&1
        gpg --batch --homedir "$h" --export >"$T/$1.gpg"
}

# Write Packages(.gz) and a signed InRelease for SUITE, indexing the .debs
# in POOL (default pool/main). Extra Release lines (e.g. Valid-Until) come
# from $RELEASE_EXTRA.
make_release() { # SUITE KEYNAME [POOL]
        local suite=$1 key=$2 dist=$T/repo/dists/$1 pool=${3:-pool/main}
        mkdir -p "$dist/main/binary-amd64"
        (cd "$T/repo" && dpkg-scanpackages -m "$pool" /dev/null 2>/dev/null) \
                >"$dist/main/binary-amd64/Packages"
        gzip -9nkf "$dist/main/binary-amd64/Packages"
        {
                echo "Origin: mkroot-test"
                echo "Suite: $suite"
                echo "Codename: $suite"
                echo "Date: $(date -u -R)"
                [ -n "${RELEASE_EXTRA:-}" ] && echo "$RELEASE_EXTRA"
                echo "Architectures: amd64"
                echo "Components: main"
                echo "SHA256:"
                for f in main/binary-amd64/Packages main/binary-amd64/Packages.gz; do
                        echo " $(sha256sum "$dist/$f" | cut -d' ' -f1) $(stat -c %s "$dist/$f") $f"
                done
        } >"$dist/Release"
        rm -f "$dist/InRelease"
        gpg --batch --homedir "$T/gnupg-$key" --clearsign -o "$dist/InRelease" "$dist/Release" 2>/dev/null
}

# A suite manifest pointing at the repository (its own URIs).
make_manifest() { # SUITE URI [MERGED]
        cat >"$T/$1.deb822" <<EOF
Suite: $1
Distribution: testdist
Components: main
Architectures: amd64
Signed-By: $T/good.gpg
Merged-Usr: ${3:-yes}
URIs: $2
EOF
}

# The standard test repository: selection needs alternatives, a virtual
# package, versions; greeter's postinst makes a user and a file.
build_repo() {
        build_hostbase
        mkdeb libfoo 0.9 "Priority: optional"
        mkdeb libfoo 1.0 "Priority: optional"
        mkdeb greeter 2.0 "Priority: required
Depends: hostbase, missing-pkg | greeter-data (>= 1:1), mail-transport-agent" \
                'useradd --system --no-create-home --shell /usr/sbin/nologin greeter
mkdir -p /var/lib/greeter
echo "configured by postinst" > /var/lib/greeter/state
echo "${SOURCE_DATE_EPOCH:-unset}" > /var/lib/greeter/epoch'
        mkdeb greeter-data 1:1.5 "Priority: optional"
        mkdeb greeter-data 1.9 "Priority: optional"
        mkdeb tiny-mta 1.0 "Priority: optional
Provides: mail-transport-agent"
        mkdeb apt 9.9 "Priority: important
Depends: libfoo (>> 0.9)" 'echo apt-configured > /etc/apt-postinst-ran'
        mkdeb unused 1.0 "Priority: optional
Depends: missing-pkg"
        mkdeb failing 1.0 "Priority: optional" 'echo "failing: postinst refuses" >&2; exit 3'
        mkdeb broken 1.0 "Priority: optional
Depends: greeter, nothere (>= 3)"
        make_key good
        make_key evil
        make_release testsuite good
}

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Serve $T/repo over HTTP; sets PORT, logs requests to $T/http.log.
serve_http() {
        PORT=$(free_port)
        (cd "$T/repo" && exec python3 -m http.server --bind 127.0.0.1 "$PORT") >"$T/http.log" 2>&1 &
        SERVER_PIDS="$SERVER_PIDS $!"
        for _ in $(seq 50); do
                python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2)" \
                        2>/dev/null && return 0
                sleep 0.1
        done
        fail "HTTP server did not start"
}

# Run mkroot fetch; the output and exit status land in $OUT and $RC.
run_fetch() {
        set +e
        OUT=$("$MKROOT" fetch -q "$@" 2>&1)
        RC=$?
        set -e
}

expect_fail() { # PATTERN (after run_fetch)
        # mkroot's failure is exit 1 (2 is a usage error, which none of
        # these is; anything else, e.g. 134 or 139, is a crash).
        [ "$RC" = 1 ] || fail "expected exit 1, got $RC: $OUT"
        echo "$OUT" | grep -q -- "$1" || fail "expected \"$1\" in: $OUT"
        [ "$(echo "$OUT" | grep -c '^mkroot: ')" -ge 1 ] || fail "no mkroot: error line: $OUT"
}
