#!/bin/bash
# mkroot fetch unpacks the essential set once and writes dpkg's database
# itself; --dpkg-unpack lets dpkg --install unpack it again, as before.
# Both builds of the test's own repository (extended with a preinst, a
# conffile, md5sums, file and named triggers, a diversion made by a
# preinst, a Multi-Arch: same package) must give the same tree: every
# path, type, mode, owner, link target and content (logs aside), and
# dpkg --audit and dpkg --verify are clean inside. The log of the
# triggers and the preinst shows dpkg's order of events.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/common.sh"
build_repo
export MKROOT_CACHE=$T/cache

# A package from a prepared tree: DIR holds DEBIAN/control and the files.
pkg_from() { # DIR NAME
        mkdir -p "$T/repo/pool/main"
        dpkg-deb --root-owner-group -Zgzip -z1 -b "$1" "$T/repo/pool/main/$2_1.0_amd64.deb" >/dev/null
}
control() { # DIR NAME [extra lines]
        mkdir -p "$1/DEBIAN"
        {
                echo "Package: $2"
                echo "Version: 1.0"
                echo "Architecture: amd64"
                echo "Priority: required"
                echo "Maintainer: Test <test@example.invalid>"
                echo "Homepage: https://example.invalid/$2"
                [ -n "${3:-}" ] && printf '%s\n' "$3"
                echo "Description: test package $2"
                echo " with a long description"
                echo " ."
                echo " over lines."
        } >"$1/DEBIAN/control"
}
script() { # FILE BODY
        printf '#!/bin/sh\nset -e\n%s\n' "$2" >"$1"
        chmod 755 "$1"
}

# conffy: a conffile, md5sums, a preinst that records how it was run.
d=$T/build/conffy
mkdir -p "$d/etc/conffy" "$d/usr/share/conffy" "$d/usr/bin"
echo "setting=1" >"$d/etc/conffy/conffy.conf"
echo "data" >"$d/usr/share/conffy/data"
printf '#!/bin/sh\necho conffy\n' >"$d/usr/bin/conffy"
chmod 4755 "$d/usr/bin/conffy"
ln -s conffy "$d/usr/bin/conffy-link"
control "$d" conffy "Depends: hostbase"
echo /etc/conffy/conffy.conf >"$d/DEBIAN/conffiles"
(cd "$d" && find etc usr -type f -exec md5sum {} + | sort -k2) >"$d/DEBIAN/md5sums"
script "$d/DEBIAN/preinst" 'mkdir -p /var/lib/conffy
echo "preinst $* $DPKG_MAINTSCRIPT_PACKAGE $DPKG_MAINTSCRIPT_NAME" >>/var/lib/conffy/events'
script "$d/DEBIAN/postinst" 'echo "postinst $*" >>/var/lib/conffy/events'
pkg_from "$d" conffy

# trigwatch: interested in a path and in a named trigger; trigfeed ships
# a file there and activates the named one.
d=$T/build/trigwatch
mkdir -p "$d/usr/share/trigwatch.d"
control "$d" trigwatch "Depends: hostbase"
printf 'interest /usr/share/trigwatch.d\ninterest-noawait trigwatch-ping\n' >"$d/DEBIAN/triggers"
script "$d/DEBIAN/postinst" 'echo "trigwatch $*" >>/var/lib/trigwatch.log'
pkg_from "$d" trigwatch
d=$T/build/trigfeed
mkdir -p "$d/usr/share/trigwatch.d"
echo feed >"$d/usr/share/trigwatch.d/feed"
control "$d" trigfeed "Depends: trigwatch"
printf 'activate-noawait trigwatch-ping\n' >"$d/DEBIAN/triggers"
script "$d/DEBIAN/postinst" 'dpkg-trigger --no-await trigwatch-ping'
pkg_from "$d" trigfeed

# diverter's preinst diverts a file divertee ships; both ship it.
d=$T/build/diverter
mkdir -p "$d/usr/share/divert"
echo "the diverter's" >"$d/usr/share/divert/file"
control "$d" diverter "Depends: hostbase"
script "$d/DEBIAN/preinst" 'dpkg-divert --package diverter --rename --divert /usr/share/divert/file.real --add /usr/share/divert/file'
pkg_from "$d" diverter
d=$T/build/divertee
mkdir -p "$d/usr/share/divert" "$d/usr/share/doc/divertee"
echo "the divertee's" >"$d/usr/share/divert/file"
echo "divertee" >"$d/usr/share/doc/divertee/README"
control "$d" divertee "Pre-Depends: diverter"
pkg_from "$d" divertee

# Multi-Arch: same: dpkg names its files libsame:amd64.*.
d=$T/build/libsame
mkdir -p "$d/usr/lib/x86_64-linux-gnu"
echo lib >"$d/usr/lib/x86_64-linux-gnu/libsame.so.1"
control "$d" libsame "Multi-Arch: same"
printf 'activate-noawait ldconfig\n' >"$d/DEBIAN/triggers"
pkg_from "$d" libsame
make_release testsuite good
make_manifest testsuite "file://$T/repo"
S=$T/testsuite.deb822

run_fetch "$S" -o "$T/once.tar.gz"
[ "$RC" = 0 ] || fail "fetch: $OUT"
run_fetch "$S" --dpkg-unpack -o "$T/twice.tar.gz"
[ "$RC" = 0 ] || fail "fetch --dpkg-unpack: $OUT"
mkdir "$T/once" "$T/twice"
tar -xzf "$T/once.tar.gz" -C "$T/once"
tar -xzf "$T/twice.tar.gz" -C "$T/twice"

inventory "$T/twice" >"$T/twice.inv"
inventory "$T/once" >"$T/once.inv"
diff -u "$T/twice.inv" "$T/once.inv" >"$T/inv.diff" ||
        fail "the trees differ (--dpkg-unpack first): $(head -40 "$T/inv.diff")"

for t in once twice; do
        chroot "$T/$t" /usr/bin/dpkg --audit >"$T/$t.audit" 2>&1 ||
                fail "$t: dpkg --audit: $(cat "$T/$t.audit")"
        [ ! -s "$T/$t.audit" ] || fail "$t: dpkg --audit: $(cat "$T/$t.audit")"
        # greeter's postinst adds a user: the account files hostbase
        # ships change, and nothing else (dpkg 1.21 exits 0 all the same).
        set +e
        chroot "$T/$t" /usr/bin/dpkg --verify >"$T/$t.verify" 2>&1
        rc=$?
        set -e
        printf '??5??????   /etc/%s\n' group gshadow passwd shadow >"$T/verify.want"
        [ "$rc" = 0 ] && cmp -s "$T/$t.verify" "$T/verify.want" ||
                fail "$t: dpkg --verify ($rc): $(cat "$T/$t.verify")"
done
# What the comparison rests on, checked on its own.
x=$T/once
[ "$(cat "$x/usr/share/divert/file")" = "the diverter's" ] || fail "diverted file: $(cat "$x/usr/share/divert/file")"
[ "$(cat "$x/usr/share/divert/file.real")" = "the divertee's" ] || fail "divert target"
[ "$(cat "$x/var/lib/conffy/events")" = "preinst install conffy preinst
postinst configure " ] || fail "conffy's scripts: $(cat "$x/var/lib/conffy/events")"
[ "$(cat "$x/etc/conffy/conffy.conf")" = "setting=1" ] && [ ! -e "$x/etc/conffy/conffy.conf.dpkg-new" ] ||
        fail "conffile not in place"
grep -q '^ /etc/conffy/conffy.conf [0-9a-f]\{32\}$' "$x/var/lib/dpkg/status" || fail "Conffiles in status"
[ "$(stat -c %a "$x/usr/bin/conffy")" = 4755 ] || fail "setuid bit lost"
[ -f "$x/var/lib/dpkg/info/libsame:amd64.list" ] || fail "Multi-Arch: same file names"
grep -qx '/usr/share/trigwatch.d/feed' "$x/var/lib/dpkg/info/trigfeed.list" || fail "trigfeed.list"
grep -qx '/\.' "$x/var/lib/dpkg/info/trigfeed.list" || fail "trigfeed.list has no /."
grep -q '^trigwatch configure' "$x/var/lib/trigwatch.log" || fail "trigwatch: $(cat "$x/var/lib/trigwatch.log")"
n=$(grep -c '^Status: install ok installed$' "$x/var/lib/dpkg/status")
[ "$n" = 12 ] || fail "dpkg status: $n packages installed, expected 12"
echo "PASS"
