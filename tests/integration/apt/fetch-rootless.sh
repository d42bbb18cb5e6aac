#!/bin/bash
# mkroot fetch by an unprivileged user with a subordinate id range, as
# mmdebstrap's unshare mode: the image lists the same entries with the
# same modes and owners as root's build of the same suite (byte for byte,
# with one SOURCE_DATE_EPOCH), including files a package ships or a
# maintainer script chowns to other ids, a setuid program, and what the
# scripts saw of /proc, /dev and their uid; the cache is the user's own.
# Without a range: one line naming what to add to /etc/subuid.
. "$(dirname "$0")/lib.sh"
for p in useradd usermod newuidmap newgidmap; do
        command -v "$p" >/dev/null || skip "$p not installed (packages passwd, uidmap)"
done
[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
        skip "unprivileged user namespaces are disabled"

# A package whose files belong to other ids: FILE 1234:42 in a setgid
# directory, a setuid program; its postinst chowns one file to 4242:4343
# and one to nobody, and records its uid and the /dev and /proc it sees.
mkowned() { # NAME PRIORITY
        local d=$T/build/$1-1.0
        mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/var/lib/$1"
        cp /usr/bin/true "$d/usr/bin/$1-suid"
        chmod 4755 "$d/usr/bin/$1-suid"
        echo data >"$d/var/lib/$1/file"
        chown 1234:42 "$d/var/lib/$1/file" "$d/var/lib/$1"
        chmod 2770 "$d/var/lib/$1"
        cat >"$d/DEBIAN/control" <<EOT
Package: $1
Version: 1.0
Architecture: amd64
Priority: $2
Depends: hostbase
Maintainer: Test <test@example.invalid>
Description: files owned by others
EOT
        cat >"$d/DEBIAN/postinst" <<EOT
#!/bin/sh
set -e
echo x >/var/lib/$1/chowned && chown 4242:4343 /var/lib/$1/chowned
echo y >/var/lib/$1/nobody && chown 65534:65534 /var/lib/$1/nobody
{ id -u; test -c /dev/null && echo dev-null; test -r /proc/self/status && echo proc; } >/var/lib/$1/seen
EOT
        chmod 755 "$d/DEBIAN/postinst"
        dpkg-deb -Zgzip -z1 -b "$d" "$T/repo/pool/main/$1_1.0_amd64.deb" >/dev/null
}

build_repo
mkowned owned required   # unpacked by mkroot itself (the essential set)
mkowned owned-late optional # by dpkg --install inside the tree
make_release testsuite good
# A suite whose essential set gives a file an id past any range of 65536.
d=$T/build/far-1.0
mkdir -p "$d/DEBIAN" "$d/var/lib/far" "$T/repo/pool/far"
echo far >"$d/var/lib/far/file"
chown 70000:70000 "$d/var/lib/far/file"
printf 'Package: far\nVersion: 1.0\nArchitecture: amd64\nPriority: required\nDepends: hostbase\nMaintainer: Test <test@example.invalid>\nDescription: an id past the range\n' \
        >"$d/DEBIAN/control"
dpkg-deb -Zgzip -z1 -b "$d" "$T/repo/pool/far/far_1.0_amd64.deb" >/dev/null
cp "$T/repo/pool/main/hostbase_1.0_amd64.deb" "$T/repo/pool/main/libfoo_1.0_amd64.deb" "$T/repo/pool/far/"
make_release farsuite good pool/far
serve_http

U=mkfr$$
H=$(mktemp -d /var/tmp/mkroot-fetch-rootless.XXXXXX)
useradd -M -d "$H" -s /bin/bash "$U" || fail "useradd"
trap 'user_gone "$U"; rm -rf "$H"; cleanup' EXIT
chmod 755 "$H"
cp "$MKROOT" "$T/good.gpg" "$H/"
for s in testsuite farsuite; do
        cat >"$H/$s.deb822" <<EOF
Suite: $s
Distribution: testdist
Components: main
Architectures: amd64
Signed-By: $H/good.gpg
Merged-Usr: yes
URIs: http://127.0.0.1:$PORT
EOF
done
chown -R "$U:" "$H"
as_user() {
        set +e
        OUT=$(su -s /bin/bash "$U" -c "cd $H && umask 022 && unset MKROOT_CACHE XDG_CACHE_HOME && HOME=$H SOURCE_DATE_EPOCH=1700000000 \
                PATH=/usr/sbin:/usr/bin:/sbin:/bin ./mkroot fetch -q $*" 2>&1)
        RC=$?
        set -e
}

# --- no subordinate range: one line saying what to add ---
# (useradd may have given the user one: kept aside, given back below.)
range=$(awk -F: -v u="$U" '$1 == u { print $2 "-" $2 + $3 - 1; exit }' /etc/subuid)
if [ -n "$range" ]; then
        usermod --del-subuids "$range" --del-subgids "$range" "$U" || fail "usermod --del-subuids"
else
        start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' \
                /etc/subuid /etc/subgid)
        range=$start-$((start + 65535))
fi
grep -q "^$U:" /etc/subuid && fail "the user still has a range"
as_user "$H/testsuite.deb822" -o "$H/none.tar.gz"
[ "$RC" = 1 ] || fail "without a range: exit $RC: $OUT"
[ "$(echo "$OUT" | wc -l)" = 1 ] || fail "without a range: not one line: $OUT"
echo "$OUT" | grep -q "^mkroot: fetch without root: /etc/subuid: .*add the line \"$U:100000:65536\"" ||
        fail "without a range: $OUT"
[ ! -e "$H/none.tar.gz" ] || fail "without a range: an image was written"

# mkroot build's Base: SUITE fetches without entering a namespace: it
# says to fetch the suite first (whose image it then takes).
mkdir "$H/m"
cp "$H/testsuite.deb822" "$H/m/"
printf 'Base: testsuite\nRun: true\n' >"$H/app.manifest"
chown -R "$U:" "$H/m" "$H/app.manifest"
set +e
OUT=$(su -s /bin/bash "$U" -c "cd $H && unset MKROOT_CACHE XDG_CACHE_HOME && HOME=$H \
        MKROOT_MANIFESTS=$H/m PATH=/usr/sbin:/usr/bin:/sbin:/bin ./mkroot build app.manifest \
        -o $H/app.tar.gz" 2>&1)
RC=$?
set -e
[ "$RC" = 1 ] || fail "Base: testsuite without root: exit $RC: $OUT"
echo "$OUT" | grep -q '^mkroot: Base: testsuite: fetching testsuite needs root here: .*"mkroot fetch testsuite" does it without root' ||
        fail "Base: testsuite without root: $OUT"

# --- with a range: the image root builds ---
usermod --add-subuids "$range" --add-subgids "$range" "$U" || fail "usermod --add-subuids $range"
export SOURCE_DATE_EPOCH=1700000000
MKROOT_CACHE=$T/cache run_fetch "$H/testsuite.deb822" --include owned-late -o "$T/root.tar.gz"
[ "$RC" = 0 ] || fail "root fetch: $OUT"
as_user "$H/testsuite.deb822" --include owned-late -o "$H/user.tar.gz"
[ "$RC" = 0 ] || fail "rootless fetch: $OUT"
tar -tvzf "$T/root.tar.gz" --numeric-owner | sort >"$T/root.list"
tar -tvzf "$H/user.tar.gz" --numeric-owner | sort >"$T/user.list"
diff -u "$T/root.list" "$T/user.list" >"$T/diff" || fail "entries, modes or owners differ: $(cat "$T/diff")"
for p in owned owned-late; do
        grep -q "^drwxrws--- 1234/42 .* var/lib/$p/$" "$T/user.list" || fail "$p: directory's owner"
        grep -q "^-rw-r--r-- 1234/42 .* var/lib/$p/file$" "$T/user.list" || fail "$p: file's owner"
        grep -q "^-rwsr-xr-x 0/0 .* usr/bin/$p-suid$" "$T/user.list" || fail "$p: setuid program"
        grep -q "^-rw-r--r-- 4242/4343 .* var/lib/$p/chowned$" "$T/user.list" ||
                fail "$p: the postinst's chown"
        grep -q "^-rw-r--r-- 65534/65534 .* var/lib/$p/nobody$" "$T/user.list" || fail "$p: nobody"
        mkdir -p "$T/x-$p"
        tar -xzf "$H/user.tar.gz" -C "$T/x-$p" --wildcards '*var/lib/'"$p"'/seen'
        seen=$(cat "$T/x-$p/var/lib/$p/seen")
        [ "$(echo $seen)" = "0 dev-null proc" ] || fail "$p's postinst saw: $seen"
done
grep -q "^-rw-r--r-- 0/0 .* etc/passwd$" "$T/user.list" || fail "etc/passwd not root's"
cmp -s "$T/root.tar.gz" "$H/user.tar.gz" || fail "the images differ in their bytes"

# On disk in the user's cache (--no-tmpfs): the same image, and the tree
# (its files the subordinate ids') removed by mkroot's own process.
as_user "$H/testsuite.deb822" --include owned-late --no-tmpfs --rebuild -o "$H/disk.tar.gz"
[ "$RC" = 0 ] || fail "rootless fetch --no-tmpfs: $OUT"
cmp -s "$T/root.tar.gz" "$H/disk.tar.gz" || fail "--no-tmpfs: the image differs"
for _ in $(seq 100); do
        left=$(find "$H/.cache/mkroot/apt/tmp" -mindepth 1 -maxdepth 1 -name 'root-*')
        [ -z "$left" ] && break
        sleep 0.1
done
[ -z "$left" ] || fail "--no-tmpfs: the tree was left in the cache: $left"

# An id the namespace cannot map: the fetch fails (root's build would
# own the file by it), naming the entry; no image.
as_user "$H/farsuite.deb822" --variant required -o "$H/far.tar.gz"
[ "$RC" = 1 ] || fail "an id past the range: exit $RC: $OUT"
echo "$OUT" | grep -q "^mkroot: .*: data.tar: entry \"var/lib/far/file\": chown: Invalid argument$" || fail "an id past the range: $OUT"
[ ! -e "$H/far.tar.gz" ] || fail "an id past the range: an image was written"

# The image and the cache are the user's (~/.cache/mkroot), and the tree
# is gone from it.
uid=$(id -u "$U")
[ "$(stat -c %u "$H/user.tar.gz")" = "$uid" ] || fail "the image is not the user's"
[ -d "$H/.cache/mkroot/apt" ] || fail "the user's cache is not ~/.cache/mkroot"
[ "$(stat -c %u "$H/.cache/mkroot/bases/testsuite_amd64.tar.gz")" = "$uid" ] ||
        fail "the base layer is not the user's"
left=$(find "$H/.cache/mkroot/apt/tmp" -mindepth 1 -maxdepth 1 -name 'root-*')
[ -z "$left" ] || fail "the tree was left in the cache: $left"
echo "ok: rootless fetch"
