#!/bin/bash
# mkroot --trace and Python's byte code (issue 15): Python imports a module
# from the directory of its source and reads its byte code from
# __pycache__, only stat'ing the source; with one stat of utf_8.py missing
# from a trace, the image had encodings' byte code without the source and
# python failed there with "LookupError: unknown encoding: utf-8". A trace
# that holds a module's byte code brings its source too. This trace reads
# the byte code of encodings, aliases and utf_8 and stats only the first
# two sources (and the landmarks Python finds its prefix by), as such a
# trace did.
. "$(dirname "$0")/lib.sh"
: "${RUNROOT:?}"
export MKROOT_CACHE=$T/cache
W=$(mktemp -d /var/tmp/mkroot-trace-pycache.XXXXXX)
trap 'rm -rf "$T" "$W"' EXIT
cd "$T"
L=/usr/lib/python3.11
E=$L/encodings
for f in "$L/os.py" "$E/__init__.py" "$E/aliases.py" "$E/utf_8.py" "$E/__pycache__/utf_8.cpython-311.pyc"; do
        [ -f "$f" ] || { echo "SKIP: needs Debian's python3.11 with its byte code ($f)"; exit 77; }
done
"$MKROOT" -q --add /usr/bin/python3 --trace "sh -c 'test -f $L/os.py && test -d $L/lib-dynload &&
        test -f $E/__init__.py && test -f $E/aliases.py &&
        cat $E/__pycache__/__init__.cpython-311.pyc $E/__pycache__/aliases.cpython-311.pyc \
        $E/__pycache__/utf_8.cpython-311.pyc >/dev/null'" -o py.tar --trace-report py.rep 2>err ||
        fail "mkroot --trace: $(cat err)"
grep -qP "^\Q$E/utf_8.py\E\ttrace$" py.rep || fail "utf_8.py did not come with its traced byte code"
if ! "$RUNROOT" --net none py.tar python3 -c 'print("ok")' >out 2>err; then
        fail "python3 in the image: $(grep -v '^ ' err | head -3)"
fi
[ "$(cat out)" = ok ] || fail "python3 in the image printed: $(cat out)"
# Only byte code under __pycache__ implies a source: a NAME.pyc elsewhere
# (sourceless) does not. Below /var/tmp: the sandbox's /tmp is its own.
mkdir -p "$W/__pycache__"
: >"$W/__pycache__/m.cpython-311.pyc"
: >"$W/m.py"
: >"$W/n.pyc"
: >"$W/n.py"
"$MKROOT" -q --trace "cat $W/__pycache__/m.cpython-311.pyc $W/n.pyc" -o w.tar --trace-report w.rep 2>err ||
        fail "mkroot --trace: $(cat err)"
grep -qP "^\Q$W/m.py\E\ttrace$" w.rep || fail "m.py did not come with __pycache__/m.cpython-311.pyc"
grep -qP "^\Q$W/n.py\E\t" w.rep && fail "n.py came with the sourceless n.pyc"
echo "ok: trace-pycache"
