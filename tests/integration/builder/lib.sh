# Shared by the builder integration tests.
set -euo pipefail
: "${MKROOT:?}"
export LC_ALL=C
unset LD_LIBRARY_PATH LD_PRELOAD SOURCE_DATE_EPOCH
T=$(mktemp -d /tmp/mkroot-test.XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/../../helpers/procs.sh"
BUILDER_USER="" BUILDER_HOME="" # what builder_user made, for cleanup
cleanup() {
        [ -z "$BUILDER_USER" ] || user_gone "$BUILDER_USER"
        [ -z "$BUILDER_HOME" ] || rm -rf "$BUILDER_HOME"
        rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# builder_user PREFIX: an unprivileged user of the test's own, $U (PREFIX
# and this shell's pid), with the home $H (outside /tmp, which a trace's
# sandbox replaces) holding a copy of mkroot; cleanup removes both. Exits
# 77, saying why, where no such user can build.
builder_user() {
        command -v useradd >/dev/null || { echo "SKIP: needs useradd"; exit 77; }
        if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
                echo "SKIP: unprivileged user namespaces are disabled"
                exit 77
        fi
        H=$(mktemp -d /var/tmp/mkroot-user.XXXXXX)
        BUILDER_HOME=$H
        useradd -M -d "$H" -s /bin/bash "$1$$" || fail "useradd"
        U=$1$$ BUILDER_USER=$1$$
        cp "$MKROOT" "$H/mkroot"
        chown -R "$U:" "$H"
        chmod 755 "$H" "$H/mkroot"
}
# as_builder SCRIPT: run the shell script SCRIPT as $U in $H, with a
# cache of its own; its stdout in $T/out, stderr in $T/err, status in $RC.
as_builder() {
        printf '%s\n' "$1" >"$H/.script"
        chown "$U:" "$H/.script"
        set +e
        su -s /bin/bash "$U" -c "cd $H && HOME=$H MKROOT_CACHE=$H/cache PATH=/usr/bin:/bin \
                bash ./.script" >"$T/out" 2>"$T/err"
        RC=$?
        set -e
}
# Entries of an image as "type mode name [-> target]" lines, via python's tarfile.
tarlist() {
        python3 - "$1" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        kind = 'd' if m.isdir() else 'l' if m.issym() else 'h' if m.islnk() else 'f'
        extra = (' -> ' + m.linkname) if (m.issym() or m.islnk()) else ''
        print(f"{kind} {m.mode:04o} {m.mtime} {m.name}{extra}")
PY
}
# tarhas IMAGE REGEX: some entry line of IMAGE matches (no pipes: a
# reader that stops early must not fail the writer under pipefail).
tarhas() { tarlist "$1" >"$T/.tarlist"; grep -q -- "$2" "$T/.tarlist"; }
