#!/bin/bash
# mkroot fetch never follows a link planted in the tree on the host side.
# Packages of a local repository (tests/integration/apt/lib.sh) plant
# links to host directories and files where fetch itself works on the
# tree after the packages are unpacked: var/cache/apt/archives (the .debs
# are placed there), var/lib/dbus, var/log, var/cache/debconf,
# var/cache/ldconfig, var/lib/dpkg/*-old, etc/machine-id (the clean-up
# removes those), etc/apt and etc/apt/sources.list (written last), and
# var/log/bootstrap.log (read for the message when dpkg fails). No host
# file may be created, removed or changed; each fetch either succeeds
# with the links inside the image or fails with a message, and no message
# carries a host file's content.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
: "${MKROOT:?MKROOT not set}"
for p in dpkg-deb dpkg-scanpackages gpg gpgv; do
        command -v "$p" >/dev/null ||
                { fail "$p is needed (tools/install-deps --test)"; finish; }
done

# The host side the links point at, with files where fetch would touch.
H=$T/host
mkdir -p "$H/archives" "$H/dbus" "$H/log" "$H/apt" "$H/debconf" "$H/ldconfig" "$H/dpkg"
echo keep >"$H/archives/keep.deb"
echo host-machine-id >"$H/dbus/machine-id"
for f in dpkg.log alternatives.log bootstrap.log; do echo "host $f" >"$H/log/$f"; done
echo "deb http://host.invalid/ host main" >"$H/apt/sources.list"
echo "host config" >"$H/debconf/config.dat-old"
echo "host aux" >"$H/ldconfig/aux-cache"
echo "host status" >"$H/dpkg/status-old"
echo host-file >"$H/file"
SECRET=host-secret-$RANDOM$RANDOM
echo "dpkg: error: $SECRET" >"$H/secret-log"
snapshot() {
        (cd "$H" && find . -printf '%p %y %s %m %U %T@ %l\n' | sort &&
                find . -type f -exec sha256sum {} + | sort)
}
SNAP=$T/snapshot
snapshot >"$SNAP.before"
check_host() { # LABEL
        snapshot >"$SNAP.after"
        if cmp -s "$SNAP.before" "$SNAP.after"; then
                pass "$1: the host side is unchanged"
        else
                # One word per path: removed, new or changed.
                fail "$1: host files changed: $(awk '
                        { k = /^\.\// ? $1 : $2 }
                        FNR == NR { old[k] = old[k] $0; next }
                        { now[k] = now[k] $0 }
                        END {
                                for (k in old) if (!(k in now)) print "removed " k
                                for (k in now) if (!(k in old)) print "new " k
                                        else if (old[k] != now[k]) print "changed " k
                        }' "$SNAP.before" "$SNAP.after" | sort -k2 -u | tr '\n' ' ')"
                mv "$SNAP.after" "$SNAP.before" # the next case starts from here
        fi
}

HT=$T
eval "hardening_$(declare -f cleanup)"
. "$(dirname "$0")/../apt/lib.sh"
set +e
eval "apt_$(declare -f cleanup)"
AT=$T
cleanup() { T=$AT apt_cleanup; T=$HT hardening_cleanup; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILED=1; }

build_repo
# In the package's data: unpacked before the .debs are placed.
d=$T/build/plant-archives-1.0
mkdir -p "$d/var/cache/apt"
ln -s "$H/archives" "$d/var/cache/apt/archives"
mkdeb plant-archives 1.0 "Priority: optional"
# From postinsts, inside the tree, before the clean-up (which removes the
# .debs in var/cache/apt/archives, logs, machine-ids, -old files).
mkdeb plant-dirs 1.0 "Priority: optional" "rm -rf /var/lib/dbus /etc/apt /var/cache/debconf /var/cache/ldconfig
rm -rf /var/cache/apt/archives
mkdir -p /var/lib /var/cache/apt
ln -s $H/archives /var/cache/apt/archives
ln -s $H/dbus /var/lib/dbus
ln -s $H/apt /etc/apt
ln -s $H/debconf /var/cache/debconf
ln -s $H/ldconfig /var/cache/ldconfig
rm -rf /var/log
ln -s $H/log /var/log"
mkdeb plant-files 1.0 "Priority: optional" "mkdir -p /etc/apt /var/lib/dpkg
rm -f /etc/apt/sources.list /etc/machine-id /var/lib/dpkg/status-old
ln -s $H/file /etc/apt/sources.list
ln -s $H/file /etc/machine-id
ln -s $H/dpkg/status-old /var/lib/dpkg/status-old"
# dpkg fails after the log became a link to a host file: the message is
# made from the log.
mkdeb plant-log 1.0 "Priority: optional" "rm -f /var/log/bootstrap.log
ln -s $H/secret-log /var/log/bootstrap.log
exit 1"
make_release testsuite good
make_manifest testsuite "file://$T/repo"
export MKROOT_CACHE=$T/cache

fetch() { # LABEL PACKAGE
        run_fetch "$T/testsuite.deb822" --include "$2" -o "$T/$2.tar.gz"
        set +e # run_fetch turns errexit back on
        if [[ $OUT == *"$SECRET"* ]]; then
                fail "$1: a host file's content is in the message: $OUT"
        fi
        if [ "$RC" = 0 ]; then
                pass "$1: fetch succeeded"
        elif [ "$(echo "$OUT" | grep -c '^mkroot: ')" -ge 1 ]; then
                pass "$1: fetch failed with a message: $(echo "$OUT" | grep '^mkroot: ' | head -1)"
        else
                fail "$1: rc $RC without a mkroot: message: $OUT"
        fi
        check_host "$1"
}
# A link in the image is kept as a link, pointing where it pointed.
has_link() { # LABEL IMAGE PATH TARGET
        local l
        l=$(tar -tvzf "$2" 2>/dev/null | grep -E " \.?/?$3 -> " | head -1)
        [[ $l == *" -> $4" ]] && pass "$1: /$3 is a link in the image" ||
                fail "$1: /$3 in the image: '${l:-missing}'"
}

# (The unpacker may keep the directory the skeleton made there; either
# way nothing may land in the host directory.)
fetch "var/cache/apt/archives -> host dir, in the package" plant-archives
fetch "var/lib/dbus, etc/apt, var/log, var/cache/* -> host dirs" plant-dirs
[ "$RC" = 0 ] && has_link "dirs" "$T/plant-dirs.tar.gz" var/lib/dbus "$H/dbus"
fetch "etc/apt/sources.list, etc/machine-id, var/lib/dpkg/status-old -> host files" plant-files
if [ "$RC" = 0 ]; then
        mkdir "$T/files.x"
        tar -xzf "$T/plant-files.tar.gz" -C "$T/files.x"
        grep -q "^deb file://$T/repo testsuite main$" "$T/files.x/etc/apt/sources.list" &&
                [ ! -L "$T/files.x/etc/apt/sources.list" ] &&
                pass "sources.list written in the image, in place of the link" ||
                fail "sources.list in the image: $(ls -l "$T/files.x/etc/apt/sources.list" 2>&1)"
fi
fetch "var/log/bootstrap.log -> host file, then dpkg fails" plant-log
[ "$RC" != 0 ] && [[ $OUT == *"plant-log"* || $OUT == *"second stage"* ]] &&
        pass "the failing postinst is reported: $(echo "$OUT" | grep '^mkroot: ' | head -1)" ||
        fail "plant-log: expected a second-stage failure: rc $RC: $OUT"
finish
