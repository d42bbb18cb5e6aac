# Shared by the layer integration tests.
set -euo pipefail
: "${MKROOT:?}"
export LC_ALL=C
unset LD_LIBRARY_PATH LD_PRELOAD SOURCE_DATE_EPOCH
T=$(mktemp -d /tmp/mkroot-layers.XXXXXX)
export MKROOT_CACHE="$T/cache"
CLEANUP_HOOKS=()
cleanup() {
        for h in "${CLEANUP_HOOKS[@]}"; do eval "$h" || true; done
        # An unpacked layer may hold files only root can remove; nothing is
        # mounted below $T once the hooks ran.
        rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# Names in a tar (any compression), one per line, without "./".
names() { tar -tf "$1" | sed 's|^\./||'; }
# A small base image from host programs: a shell and a few tools.
make_base() {
        "$MKROOT" -q -o "$1" /bin/sh /bin/cat /bin/rm /bin/ln /bin/mkdir /bin/echo /bin/ls
}
