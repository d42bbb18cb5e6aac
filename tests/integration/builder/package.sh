#!/bin/bash
# mkroot --package, the rules for what the loader never sees, and
# --allow-missing for a #! interpreter the host lacks (issue 15): each
# image runs its program under runroot without a network.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
export MKROOT_CACHE=$T/cache
cd "$T"
run() { # run IMAGE CMD...: the command's stdout in out, stderr in err
        local img=$1; shift
        "$RUNROOT" --net none "$img" "$@" >out 2>err || fail "$img: $* failed: $(cat err)"
}

# --package python3: the interpreter, its standard library and what it
# depends on.
"$MKROOT" --package python3 -o py.tar --trace-report py.rep >/dev/null 2>warn
run py.tar python3 -c 'import json, sqlite3; print(json.dumps({"ok": sqlite3.sqlite_version > ""}))'
[ "$(cat out)" = '{"ok": true}' ] || fail "python3 in the --package image printed: $(cat out)"
grep -qP '^/usr/lib/python3\.11/json/__init__\.py\tpackage libpython3\.11-stdlib:' py.rep ||
        fail "--trace-report does not name the package of json/__init__.py"
grep -qP '^/usr/bin/python3\tpackage python3:amd64$' py.rep ||
        fail "--trace-report does not name the package of /usr/bin/python3"
# A conffile of a package in the closure (libc6's ld.so.conf.d entry).
grep -qP '^/etc/ld\.so\.conf\.d/x86_64-linux-gnu\.conf\tpackage libc6:amd64$' py.rep ||
        fail "libc6's conffile is not in the image"
# Python's own cgi.py starts "#! /usr/local/bin/python": --package takes
# it with a warning.
grep -qF 'cgi.py: #! interpreter /usr/local/bin/python is not on the host' warn ||
        fail "no warning about cgi.py's interpreter: $(cat warn)"
# Same inputs, same bytes.
"$MKROOT" -q --package python3 -o py2.tar 2>/dev/null
cmp -s py.tar py2.tar || fail "--package python3 twice gave different images"

# --package-no-deps stops at the named package.
"$MKROOT" -q --package python3.11-minimal --package-no-deps -o nodeps.tar --trace-report nodeps.rep 2>/dev/null
grep -qP '\tpackage libc6:' nodeps.rep && fail "--package-no-deps still added libc6"
grep -qP '^/usr/bin/python3\.11\tpackage python3\.11-minimal:' nodeps.rep ||
        fail "--package-no-deps lost the package itself"

# --allow-missing covers a #! interpreter that is not on the host.
cgi=/usr/lib/python3.11/cgi.py
head -c 30 "$cgi" >head.txt
grep -q '^#! /usr/local/bin/python' head.txt || fail "precondition: $cgi's #! line changed"
if "$MKROOT" --add "$cgi" -o cgi.tar 2>err; then fail "--add $cgi without --allow-missing succeeded"; fi
"$MKROOT" --allow-missing --add "$cgi" -o cgi.tar >/dev/null 2>err || fail "--allow-missing --add $cgi: $(cat err)"
grep -qF "mkroot: warning: $cgi: #! interpreter /usr/local/bin/python is not on the host: the script is copied without it" err ||
        fail "no warning for the missing interpreter: $(cat err)"
tarhas cgi.tar " usr/lib/python3.11/cgi.py$" || fail "cgi.py not in the image"

# git: init, add, commit and clone a local repository inside (templates,
# git-upload-pack run through /bin/sh: all in git's package closure).
gitcmds='cd /tmp && git init -q r && cd r && echo hi >f && git add f &&
        git -c user.name=t -c user.email=t@example.org commit -q -m first && cd .. &&
        git clone -q r c && git -C c log --format=%s && git -C c show HEAD:f'
"$MKROOT" -q --package git --add /bin/sh -o git.tar 2>/dev/null
run git.tar sh -c "$gitcmds"
[ "$(cat out)" = "first
hi" ] || fail "git in the --package image printed: $(cat out) $(cat err)"

# perl with POSIX and JSON::PP.
"$MKROOT" -q --package perl -o perl.tar 2>/dev/null
run perl.tar perl -MPOSIX -MJSON::PP -e 'print JSON::PP->new->canonical->encode({a => POSIX::floor(2.5)}), "\n"'
[ "$(cat out)" = '{"a":2}' ] || fail "perl printed: $(cat out)"

# iconv: the gconv modules come by rule (iconv imports iconv_open).
"$MKROOT" -q --add /usr/bin/iconv -o iconv.tar --trace-report iconv.rep
grep -qP '/gconv/gconv-modules\trule gconv$' iconv.rep || fail "no gconv rule in the report"
printf 'caf\xe9\n' >latin1.txt
"$RUNROOT" --net none -v "$T/latin1.txt:/in.txt:ro" iconv.tar iconv -f latin1 -t utf-8 /in.txt >out 2>err ||
        fail "iconv in the image: $(cat err)"
[ "$(cat out)" = "café" ] || fail "iconv printed: $(od -c out)"

# --tz: the zone files, so TZ=Europe/Berlin is not silently UTC.
"$MKROOT" -q --add /usr/bin/date --tz -o tz.tar
"$RUNROOT" --net none -e TZ=Europe/Berlin tz.tar date +%Z >out 2>err || fail "date: $(cat err)"
case "$(cat out)" in CET | CEST) ;; *) fail "TZ=Europe/Berlin date +%Z printed '$(cat out)'" ;; esac

# bash: the C.UTF-8 locale comes by rule (bash calls setlocale).
"$MKROOT" -q --add /bin/bash -o bash.tar
run bash.tar bash -c 'LC_ALL=C.UTF-8 true'
[ ! -s err ] || fail "bash -c 'LC_ALL=C.UTF-8 true' printed: $(cat err)"

# A directory add follows its links into the host tree: no link dangles.
"$MKROOT" --add /etc/ssl/certs -o certs.tar >/dev/null 2>warn
grep -q "dangles in the image" warn && fail "links dangle after --add /etc/ssl/certs: $(head -3 warn)"
tarhas certs.tar " usr/share/ca-certificates/mozilla/.*\.crt$" || fail "the links' targets are not in the image"
# The dpkg database read as dpkg means it, in a tree of its own (--root):
# alternatives (the first installed), a virtual package, a Multi-Arch:
# same list, Pre-Depends, conffiles (not the obsolete one), a diversion
# (app's /usr/bin/tool lives at /usr/bin/tool.app), a package whose files
# are gone (config-files) left out.
R=$T/r
mkdir -p "$R/var/lib/dpkg/info" "$R/usr/share/app" "$R/usr/bin" "$R/etc"
cat >"$R/var/lib/dpkg/status" <<'S'
Package: app
Status: install ok installed
Architecture: amd64
Depends: missing-pkg | alt-b, virt, libm:any (>= 1)
Pre-Depends: pre

Package: alt-b
Status: install ok installed
Architecture: all

Package: alt-c
Status: install ok installed
Architecture: all

Package: prov
Status: install ok installed
Architecture: amd64
Provides: virt (= 2)

Package: libm
Status: install ok installed
Architecture: amd64
Multi-Arch: same

Package: pre
Status: install ok installed
Architecture: amd64
Depends: gone
Conffiles:
 /etc/pre.conf 0123456789abcdef0123456789abcdef
 /etc/pre.old 0123456789abcdef0123456789abcdef obsolete

Package: gone
Status: deinstall ok config-files
Architecture: amd64

Package: divert
Status: install ok installed
Architecture: amd64
S
printf '/usr/bin/tool\n/usr/bin/tool.app\ndivert\n' >"$R/var/lib/dpkg/diversions"
printf '/.\n/usr\n/usr/share\n/usr/share/app\n/usr/share/app/data.txt\n/usr/bin\n/usr/bin/tool\n' >"$R/var/lib/dpkg/info/app.list"
for p in alt-b alt-c prov gone; do
        echo "/usr/share/$p.txt" >"$R/var/lib/dpkg/info/$p.list"
        echo "$p" >"$R/usr/share/$p.txt"
done
echo /usr/share/libm.txt >"$R/var/lib/dpkg/info/libm:amd64.list"
echo libm >"$R/usr/share/libm.txt"
echo /usr/bin/tool >"$R/var/lib/dpkg/info/divert.list"
: >"$R/var/lib/dpkg/info/pre.list"
echo app-data >"$R/usr/share/app/data.txt"
echo app-tool >"$R/usr/bin/tool.app"
echo divert-tool >"$R/usr/bin/tool"
echo conf >"$R/etc/pre.conf"
echo old >"$R/etc/pre.old"
"$MKROOT" -q --root "$R" --package app -o root.tar --trace-report root.rep
tarlist root.tar >root.lst
for want in usr/share/app/data.txt usr/bin/tool.app usr/share/alt-b.txt usr/share/prov.txt \
        usr/share/libm.txt etc/pre.conf; do
        grep -q " $want\$" root.lst || fail "--package app: $want missing: $(cat root.lst)"
done
for not in usr/bin/tool usr/share/alt-c.txt usr/share/gone.txt etc/pre.old; do
        grep -q " $not\$" root.lst && fail "--package app: $not is in the image"
done
grep -qP '^/usr/share/libm\.txt\tpackage libm:amd64$' root.rep || fail "libm's reason: $(cat root.rep)"
grep -qP '^/etc/pre\.conf\tpackage pre:amd64$' root.rep || fail "pre's conffile reason: $(cat root.rep)"
"$MKROOT" -q --root "$R" --package app --package divert -o root2.tar
tarhas root2.tar " usr/bin/tool$" || fail "--package divert: the diverting package's file is missing"
"$MKROOT" -q --root "$R" --package app --package-no-deps -o root3.tar
tarlist root3.tar >root3.lst
grep -q " usr/share/prov.txt$" root3.lst && fail "--package-no-deps added a dependency"
grep -q " usr/share/app/data.txt$" root3.lst || fail "--package-no-deps lost app's own file"

# Warnings before the image is written: an interpreter without its
# library (naming the package that has it), a link that dangles.
"$MKROOT" --add /usr/bin/python3 -o bare.tar >/dev/null 2>warn
grep -qxF "mkroot: warning: /usr/bin/python3.11 is in the image without its library directory /usr/lib/python3.11: add it with --package $(dpkg -S /usr/lib/python3.11/os.py | cut -d: -f1-2 | sed 's/: .*//'), --add /usr/lib/python3.11 or --trace 'COMMAND'" warn ||
        fail "no warning about python's library: $(cat warn)"
mkdir -p "$T/links"
ln -s /nonexistent-mkroot-target "$T/links/broken"
"$MKROOT" --add "$T/links" -o links.tar >/dev/null 2>warn
grep -qxF "mkroot: warning: $T/links/broken -> /nonexistent-mkroot-target dangles in the image" warn ||
        fail "no warning about the dangling link: $(cat warn)"

# Bad input: one line naming the package or the file, exit 1, no image.
if "$MKROOT" --root "$R" --package nosuch -o bad.tar 2>err; then fail "--package nosuch succeeded"; fi
[ "$(cat err)" = "mkroot: --package nosuch: not installed (no such package in /var/lib/dpkg/status)" ] ||
        fail "--package nosuch said: $(cat err)"
[ ! -e bad.tar ] || fail "--package nosuch left bad.tar"
printf '/usr/share/alt-b.txt\nrelative/path\n' >"$R/var/lib/dpkg/info/alt-b.list"
if "$MKROOT" --root "$R" --package alt-b -o bad.tar 2>err; then fail "a bad .list was accepted"; fi
[ "$(cat err)" = "mkroot: $R/var/lib/dpkg/info/alt-b.list:2: not an absolute path" ] ||
        fail "a bad .list said: $(cat err)"
[ ! -e bad.tar ] || fail "a bad .list left bad.tar"
R2=$T/r2
mkdir -p "$R2/var/lib/dpkg"
printf 'Package: a\ngarbage\n' >"$R2/var/lib/dpkg/status"
if "$MKROOT" --root "$R2" --package a -o bad.tar 2>err; then fail "a bad status file was accepted"; fi
[ "$(cat err)" = "mkroot: --package: $R2/var/lib/dpkg/status:2: expected \"Field: value\"" ] ||
        fail "a bad status file said: $(cat err)"
printf 'Package: a\nStatus: install ok installed\n' >"$R2/var/lib/dpkg/status"
printf '/a\n/b\n' >"$R2/var/lib/dpkg/diversions"
if "$MKROOT" --root "$R2" --package a -o bad.tar 2>err; then fail "a bad diversions file was accepted"; fi
[ "$(cat err)" = "mkroot: --package: $R2/var/lib/dpkg/diversions: 2 lines, not groups of three" ] ||
        fail "a bad diversions file said: $(cat err)"
[ ! -e bad.tar ] || fail "a bad dpkg database left bad.tar"
echo "ok: package and rules"
