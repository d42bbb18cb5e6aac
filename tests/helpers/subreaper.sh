# Sourced first by the tests that drive runc's command line (runroot's or
# runc's own). A created container's process outlives `create`: it goes to
# the nearest subreaper, as it does under conmon or a containerd shim,
# which reap it. The test's shell is made that subreaper here (bash reaps
# the orphans it is given), so that none is left a zombie of a pid 1 that
# does not reap (as on this machine). The script is executed again once,
# through python3's prctl (PR_SET_CHILD_SUBREAPER is kept across exec).
if [ -z "${RR_SUBREAPER:-}" ]; then
        export RR_SUBREAPER=$$
        command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
        exec python3 -c '
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(ctypes.get_errno()))
os.execv("/bin/bash", ["bash"] + sys.argv[1:])
' "$0" "$@"
fi
