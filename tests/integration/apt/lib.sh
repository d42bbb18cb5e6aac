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

# ---- online: a suite of manifests/ as a user fetches it -----------------

# The newest version of PACKAGE across Packages files (plain text).
newest_in() { # PACKAGE FILE...
        local p=$1 best="" v
        shift
        for v in $(awk -v p="$p" '$1 == "Package:" {n = $2} $1 == "Version:" && n == p {print $2}' "$@"); do
                if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
                        best=$v
                fi
        done
        echo "$best"
}

# The Packages files the fetch read, from its cache (named there by their
# SHA256, which each pocket's InRelease gives), decompressed into
# $T/idx/POCKET-COMPONENT; one line "POCKET COMPONENT" each in $T/idx/list.
# Only pockets and components the image's sources.list names.
cached_indexes() { # CACHE SOURCES.LIST ARCH
        local cache=$1 list=$2 arch=$3 uri pocket comps c ext digest f
        mkdir -p "$T/idx"
        : >"$T/idx/list"
        while read -r _ uri pocket comps; do
                curl -fsS -m 60 -o "$T/idx/InRelease" "$uri/dists/$pocket/InRelease" ||
                        fail "$uri/dists/$pocket/InRelease: not fetched again"
                for c in $comps; do
                        f=
                        for ext in .xz .gz .zst .bz2 ""; do
                                digest=$(awk -v n="$c/binary-$arch/Packages$ext" '
                                        /^SHA256:/ {s = 1; next} /^[^ ]/ {s = 0}
                                        s && $3 == n {print $1}' "$T/idx/InRelease")
                                [ -n "$digest" ] && [ -f "$cache/apt/sha256/$digest" ] || continue
                                f=$cache/apt/sha256/$digest
                                break
                        done
                        # The pocket may have changed since the fetch read it.
                        [ -n "$f" ] || skip "$pocket/$c: its Packages changed since the fetch (run again)"
                        case $ext in
                        .xz) xz -dc "$f" ;; .gz) gzip -dc "$f" ;; .zst) zstd -dcq "$f" ;;
                        .bz2) bzip2 -dc "$f" ;; *) cat "$f" ;;
                        esac >"$T/idx/$pocket-$c"
                        echo "$pocket $c" >>"$T/idx/list"
                done
        done < <(grep '^deb ' "$list")
        [ -s "$T/idx/list" ] || fail "sources.list names no pocket: $(cat "$list")"
}

# SUITE (a name in manifests/) fetched exactly as a user types it after
# tools/install-deps, `mkroot fetch SUITE` (no flags, no MKROOT_MIRROR;
# only the cache is the test's own), then with runroot: every package
# ii, apt-get check clean, apt-get install -y hello with --net host (apt
# reads the image's sources.list: the mirror the fetch used), the release
# `mkroot fetch --list` names, sources.list with the pockets the suite has,
# and each installed package that the updates or security pocket carries
# at the highest version across the pockets the fetch read. SKIP when the
# mirror cannot be reached.
online_suite_check() { # SUITE
        local s=$1 row dist rel key mirror arch start secs
        [ "${MKROOT_HAVE_FETCH:-1}" = 1 ] || skip "mkroot was built without fetch"
        for p in curl xz; do
                command -v "$p" >/dev/null || skip "$p not installed"
        done
        unset MKROOT_MIRROR
        export MKROOT_CACHE=$T/cache
        arch=$(dpkg --print-architecture)
        row=$("$MKROOT" fetch --list | awk -v s="$s" '$1 == s')
        [ -n "$row" ] || fail "mkroot fetch --list has no row for $s"
        read -r _ dist rel key mirror _ <<<"$row"
        [ "$key" = embedded ] || [ "$key" = present ] ||
                fail "$s: keyring $key after tools/install-deps: $row"
        [ "$mirror" != none ] || fail "$s: no mirror on this host: $row"
        curl -fsS -m 20 -o "$T/InRelease" "$mirror/dists/$s/InRelease" 2>"$T/curl.err" ||
                skip "$mirror does not answer: $(cat "$T/curl.err")"
        # A mirror that fell behind serves a Release past its Valid-Until,
        # which mkroot (as apt) refuses: the mirror's state, not ours.
        local until
        until=$(sed -n 's/^Valid-Until: //p' "$T/InRelease" | head -1)
        if [ -n "$until" ] && [ "$(date -u -d "$until" +%s)" -lt "$(date -u +%s)" ]; then
                skip "$mirror/dists/$s/InRelease expired on $until (the mirror is behind)"
        fi

        start=$(date +%s)
        if ! (cd "$T" && timeout 1200 "$MKROOT" fetch "$s") >"$T/fetch.log" 2>&1; then
                curl -fsS -m 20 -o /dev/null "$mirror/dists/$s/InRelease" 2>"$T/curl.err" ||
                        skip "$mirror stopped answering: $(cat "$T/curl.err")"
                fail "mkroot fetch $s: $(tail -5 "$T/fetch.log")"
        fi
        secs=$(($(date +%s) - start))
        img=$T/$s.tar.gz
        [ -s "$img" ] || fail "mkroot fetch $s wrote no $s.tar.gz: $(tail -3 "$T/fetch.log")"

        # The pockets: release, updates, security (sid has neither).
        tar -xzOf "$img" etc/apt/sources.list >"$T/sources.list" || fail "$s: no sources.list"
        local want="$s" pk
        [ "$s" = sid ] || want="$s $s-updates $s-security"
        for pk in $want; do
                grep -q "^deb [^ ]* $pk " "$T/sources.list" ||
                        fail "$s: sources.list lacks $pk: $(cat "$T/sources.list")"
        done
        [ "$(grep -c '^deb ' "$T/sources.list")" = "$(echo "$want" | wc -w)" ] ||
                fail "$s: sources.list: $(cat "$T/sources.list")"

        # dpkg -l: every package installed (ii), as many as the status file.
        "$RUNROOT" "$img" dpkg -l >"$T/dpkg-l" 2>&1 || fail "$s: runroot dpkg -l: $(tail -3 "$T/dpkg-l")"
        local n ii
        n=$(tar -xzOf "$img" var/lib/dpkg/status | grep -c '^Package: ')
        ii=$(grep -c '^ii ' "$T/dpkg-l")
        [ "$n" -gt 0 ] && [ "$ii" = "$n" ] ||
                fail "$s: $ii packages ii of $n: $(grep -E '^[a-z][a-zA-Z] ' "$T/dpkg-l" | grep -v '^ii ' | head -5)"
        grep -E '^[a-z][a-zA-Z] ' "$T/dpkg-l" | grep -v '^ii ' >"$T/not-ii" && fail "$s: not ii: $(head -5 "$T/not-ii")"
        "$RUNROOT" "$img" apt-get check >"$T/check" 2>&1 || fail "$s: apt-get check: $(tail -5 "$T/check")"
        grep -E '^(E|W):' "$T/check" >"$T/check-msgs" && fail "$s: apt-get check: $(cat "$T/check-msgs")"

        # The release --list names.
        case $dist in
        ubuntu)
                "$RUNROOT" "$img" cat /etc/lsb-release >"$T/lsb" 2>&1 || fail "$s: /etc/lsb-release: $(cat "$T/lsb")"
                grep -qx "DISTRIB_RELEASE=$rel" "$T/lsb" || fail "$s: /etc/lsb-release is not $rel: $(cat "$T/lsb")"
                ;;
        debian)
                "$RUNROOT" "$img" cat /etc/debian_version >"$T/dv" 2>&1 || fail "$s: /etc/debian_version: $(cat "$T/dv")"
                if [ "$rel" = unstable ]; then
                        grep -qx '[a-z]*/sid' "$T/dv" || fail "$s: /etc/debian_version: $(cat "$T/dv")"
                else
                        grep -q "^$rel\." "$T/dv" || fail "$s: /etc/debian_version is not $rel.x: $(cat "$T/dv")"
                fi
                ;;
        *) fail "$s: distribution $dist" ;;
        esac

        # Up to date: an installed package that a later pocket carries is at
        # the newest version the fetch saw.
        cached_indexes "$MKROOT_CACHE" "$T/sources.list" "$arch"
        tar -xzOf "$img" var/lib/dpkg/status |
                awk '$1 == "Package:" {p = $2} $1 == "Version:" {print p, $2}' >"$T/installed"
        local files=() later=() pkg ver best newer=0 pname
        while read -r pk c; do
                files+=("$T/idx/$pk-$c")
                [ "$pk" = "$s" ] || later+=("$T/idx/$pk-$c")
        done <"$T/idx/list"
        if [ ${#later[@]} -gt 0 ]; then
                awk '$1 == "Package:" {print $2}' "${later[@]}" | sort -u >"$T/later-names"
                while read -r pkg ver; do
                        pname=${pkg%%:*}
                        grep -qxF "$pname" "$T/later-names" || continue
                        best=$(newest_in "$pname" "${files[@]}")
                        [ "$ver" = "$best" ] || fail "$s: $pname installed at $ver, the pockets have $best"
                        newer=$((newer + 1))
                done <"$T/installed"
        fi

        # apt inside reaches the mirror (only what sources.list names) and
        # installs hello.
        "$RUNROOT" --net host "$img" sh -c \
                'apt-get update -q && apt-get install -y -q hello && hello' >"$T/hello" 2>&1 ||
                fail "$s: apt-get install -y hello: $(tail -5 "$T/hello")"
        grep -qx 'Hello, world!' "$T/hello" || fail "$s: hello did not greet: $(tail -3 "$T/hello")"
        # Every archive apt asked is one sources.list names.
        awk '$1 == "deb" {print $2}' "$T/sources.list" | sort -u >"$T/uris"
        awk '/^(Get|Hit|Ign|Err):/ {print $2}' "$T/hello" | sort -u >"$T/asked"
        local u
        while read -r u; do
                grep -qxF "${u%/}" "$T/uris" || fail "$s: apt inside asked $u, not in sources.list"
        done <"$T/asked"
        [ -s "$T/asked" ] || fail "$s: apt-get update asked no archive: $(head -5 "$T/hello")"
        echo "PASS $s: fetched in ${secs}s ($n packages, $(stat -c %s "$img") bytes); $newer from updates/security at the newest version; hello installed"
}
