#!/bin/bash
# Online: mkroot fetch bookworm (minbase, from the host's configured
# mirror) by an unprivileged user with a subordinate id range builds the
# image root builds: the same entries, modes and owners (tar tv
# --numeric-owner, sorted), the same bytes with one SOURCE_DATE_EPOCH, and
# dpkg inside sees every package installed. SKIP when the mirror cannot be
# reached, or when it changed between the two builds.
set -eu
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (it makes a user)"
for p in useradd usermod newuidmap newgidmap; do
        command -v "$p" >/dev/null || skip "$p not installed (packages passwd, uidmap)"
done
[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
        skip "unprivileged user namespaces are disabled"
. "$(dirname "$0")/../../helpers/procs.sh"
T=$(mktemp -d /tmp/mkroot-apt-rootless-online.XXXXXX)
U=mkfo$$
H=$(mktemp -d /var/tmp/mkroot-fetch-rootless-online.XXXXXX)
made_user=
trap '[ -n "$made_user" ] && user_gone "$U"; rm -rf "$T" "$H"' EXIT
export MKROOT_CACHE=$T/cache
. "$(dirname "$0")/common.sh"

print_debs_or_skip "$T/debs" bookworm

useradd -M -d "$H" -s /bin/bash "$U" || fail "useradd"
made_user=1
# useradd gives a new user a range where login.defs says so; else one
# past every range there is.
if ! grep -q "^$U:" /etc/subuid || ! grep -q "^$U:" /etc/subgid; then
        start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' \
                /etc/subuid /etc/subgid)
        usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" \
                "$U" || fail "usermod --add-subuids"
fi
# The binary copied where the user may run it, with the build tree's
# manifests beside it (an installed one finds its datadir's).
cp "$MKROOT" "$H/mkroot"
[ -d "$(dirname "$MKROOT")/manifests" ] && cp -r "$(dirname "$MKROOT")/manifests" "$H/manifests"
chown -R "$U:" "$H"
chmod 755 "$H"

export SOURCE_DATE_EPOCH=1700000000
"$MKROOT" fetch -q bookworm -o "$T/root.tar.gz" 2>"$T/err" || fail "root fetch: $(cat "$T/err")"
su -s /bin/bash "$U" -c "cd $H && umask 022 && unset MKROOT_CACHE XDG_CACHE_HOME && HOME=$H SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin ./mkroot fetch -q bookworm -o $H/user.tar.gz" \
        >"$T/out" 2>"$T/err" || fail "rootless fetch: $(cat "$T/err")"

# What each image installed: a mirror update between the two builds
# makes them differ for a reason of its own.
for w in root user; do
        img=$T/root.tar.gz
        [ "$w" = user ] && img=$H/user.tar.gz
        tar -xzOf "$img" var/lib/dpkg/status | awk '/^Package:/ { p = $2 }
                /^Version:/ { print p, $2 }' | sort >"$T/$w.versions"
        tar -tvzf "$img" --numeric-owner | sort >"$T/$w.list"
done
[ -s "$T/root.versions" ] || fail "no dpkg status in root's image"
cmp -s "$T/root.versions" "$T/user.versions" ||
        skip "the mirror changed between the two builds: $(diff "$T/root.versions" "$T/user.versions" | head -5)"
diff -u "$T/root.list" "$T/user.list" >"$T/diff" ||
        fail "entries, modes or owners differ: $(head -40 "$T/diff")"
grep -q '^-rw-r----- 0/42 .* etc/shadow$' "$T/user.list" || fail "etc/shadow is not root:shadow 0640"
grep -q '^-rwsr-xr-x 0/0 .* usr/bin/passwd$' "$T/user.list" || fail "usr/bin/passwd is not setuid root"
grep -q '^-rwxr-sr-x 0/42 .* usr/bin/chage$' "$T/user.list" || fail "usr/bin/chage is not setgid shadow"
cmp -s "$T/root.tar.gz" "$H/user.tar.gz" || fail "the images differ in their bytes"
[ "$(stat -c %u "$H/user.tar.gz")" = "$(id -u "$U")" ] || fail "the image is not the user's"
[ -d "$H/.cache/mkroot/apt" ] || fail "the user's cache is not ~/.cache/mkroot"
"$RUNROOT" "$H/user.tar.gz" dpkg -l >"$T/dpkg-l" 2>&1 || fail "runroot dpkg -l: $(tail "$T/dpkg-l")"
[ "$(grep -c '^ii ' "$T/dpkg-l")" = "$(wc -l <"$T/root.versions")" ] ||
        fail "dpkg -l in the user's image: $(grep -vc '^ii ' "$T/dpkg-l") not ii"
echo "ok: rootless bookworm, $(wc -l <"$T/root.versions") packages, $(wc -l <"$T/user.list") entries"
