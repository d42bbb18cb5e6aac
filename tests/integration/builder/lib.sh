# Shared by the builder integration tests.
set -euo pipefail
: "${MKROOT:?}"
export LC_ALL=C
unset LD_LIBRARY_PATH LD_PRELOAD SOURCE_DATE_EPOCH
T=$(mktemp -d /tmp/mkroot-test.XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/../../helpers/procs.sh"
cleanup() {
        mkroot_user_gone
        rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
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
