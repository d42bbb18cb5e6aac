#!/bin/bash
# The loader's search rules, each checked against ldd on programs built
# here: RPATH inherited by the libraries a program loads but RUNPATH not,
# RUNPATH winning over RPATH, LD_LIBRARY_PATH between them, DF_1_NODEFLIB,
# a library of the wrong class skipped, $LIB and $PLATFORM, duplicates by
# soname and by file identity, and a DT_NEEDED with a slash.
. "$(dirname "$0")/lib.sh"
cd "$T"
# Same lines as ldd (without addresses and the vDSO); ldd exits 0 for all
# of these (dynamic programs and libraries), mkroot deps 0 too unless a
# library is missing, which is its exit 1.
same_as_ldd() { # same_as_ldd PROGRAM [ENV...]
        local p=$1; shift
        local exp got rc want_rc=0
        exp=$(env "$@" ldd "$p" 2>&1) || fail "precondition: ldd $p ($*) failed: $exp"
        exp=$(sed -E -e 's/ \(0x[0-9a-f]+\)$//' -e '/linux-(vdso|gate)/d' <<<"$exp")
        set +e
        got=$(env "$@" "$MKROOT" deps "$p" 2>&1)
        rc=$?
        set -e
        [ "$exp" = "$got" ] || fail "$p ($*): ldd says
$exp
mkroot deps says
$got"
        case "$exp" in *"=> not found"*) want_rc=1 ;; esac
        [ $rc = $want_rc ] || fail "$p ($*): mkroot deps exit $rc, wanted $want_rc"
        n=$((n + 1))
}
# needs PROGRAM NAME: the program's DT_NEEDED list holds NAME exactly (the
# case below really is the case it says).
# (Output captured first: grep -q in a pipe can kill the writer with
# SIGPIPE, and pipefail then fails a check that held.)
needs() {
        local d
        d=$(readelf -dW "$1")
        grep -qF "(NEEDED)             Shared library: [$2]" <<<"$d" ||
                fail "precondition: $1 does not need [$2]: $(grep NEEDED <<<"$d")"
}
n=0
mk_lib() { # mk_lib DIR NAME [LDFLAGS...]
        local d=$1 name=$2; shift 2
        mkdir -p "$d"
        echo "int f_${name//[^a-z]/_}(void){return 0;}" >"$T/$name.c"
        cc -shared -fPIC -o "$d/$name.so.1" -Wl,-soname,"$name.so.1" "$T/$name.c" "$@"
}
echo 'int main(void){return 0;}' >main.c

# RPATH of the program serves the libraries it loads; RUNPATH does not.
mk_lib "$T/x" libb
mk_lib "$T/y" liba -Wl,--no-as-needed "$T/x/libb.so.1"
cc -o prog_rpath main.c -Wl,--no-as-needed "$T/y/liba.so.1" -Wl,--disable-new-dtags -Wl,-rpath,"$T/y:$T/x"
cc -o prog_runpath main.c -Wl,--no-as-needed "$T/y/liba.so.1" -Wl,--enable-new-dtags -Wl,-rpath,"$T/y:$T/x"
same_as_ldd "$T/prog_rpath"
same_as_ldd "$T/prog_runpath"
# LD_LIBRARY_PATH comes after RPATH and before RUNPATH.
mk_lib "$T/z" liba -Wl,--no-as-needed "$T/x/libb.so.1"
same_as_ldd "$T/prog_rpath" LD_LIBRARY_PATH="$T/z:$T/x"
same_as_ldd "$T/prog_runpath" LD_LIBRARY_PATH="$T/z:$T/x"
same_as_ldd "$T/prog_runpath" LD_LIBRARY_PATH="$T/z;$T/x:"

# DF_1_NODEFLIB: cache and default dirs are not searched for its deps.
echo 'int main(void){return 0;}' >nd.c
cc -o prog_nodeflib nd.c -Wl,-z,nodefaultlib -Wl,--no-as-needed -lz
same_as_ldd "$T/prog_nodeflib"
same_as_ldd "$T/prog_nodeflib" LD_LIBRARY_PATH=/lib/x86_64-linux-gnu

# A library of the wrong class in an RPATH directory is skipped (gcc-multilib
# is a test dependency: tools/install-deps --test).
mkdir -p "$T/w"
echo 'int f(void){return 0;}' | cc -m32 -shared -fPIC -x c -o "$T/w/libz.so.1" - ||
        fail "cc -m32 cannot build a 32-bit library (install gcc-multilib)"
cc -o prog_wrong main.c -Wl,--no-as-needed -lz -Wl,-rpath,"$T/w"
same_as_ldd "$T/prog_wrong"

# $LIB and $PLATFORM in a run path.
mkdir -p "$T/dst"
cc -o prog_dst main.c -Wl,--no-as-needed "$T/y/liba.so.1" -Wl,-rpath,"$T/dst/\$LIB:$T/dst/\$PLATFORM:$T/dst/\${LIB}x:$T/x"
mk_lib "$T/dst/lib/x86_64-linux-gnu" liba -Wl,--no-as-needed "$T/x/libb.so.1"
same_as_ldd "$T/prog_dst"
rm -rf "$T/dst/lib"
plat=$(LD_SHOW_AUXV=1 /bin/true | awk '/AT_PLATFORM/{print $2}')
mk_lib "$T/dst/haswell" liba -Wl,--no-as-needed "$T/x/libb.so.1"
mk_lib "$T/dst/x86_64" liba -Wl,--no-as-needed "$T/x/libb.so.1"
same_as_ldd "$T/prog_dst"

# Two names for one file: loaded once (by file identity), and a soname
# already loaded satisfies a later need.
mkdir -p "$T/dup" && cp "$T/x/libb.so.1" "$T/dup/libb.so.1" && ln -s libb.so.1 "$T/dup/libbb.so.1"
cc -o prog_dup main.c -Wl,--no-as-needed "$T/dup/libb.so.1" "$T/dup/libbb.so.1" -Wl,-rpath,"$T/dup"
same_as_ldd "$T/prog_dup"

# A DT_NEEDED with a slash is opened as it is, never searched for: a
# library without a soname linked by its path is needed by that path. The
# RPATH directory holds another libb.so.1 that must not be taken.
mkdir -p "$T/s"
echo 'int f_s(void){return 0;}' >s.c
cc -shared -fPIC -o "$T/s/libb.so.1" s.c
cc -o prog_slash main.c -Wl,--no-as-needed "$T/s/libb.so.1" -Wl,--disable-new-dtags -Wl,-rpath,"$T/x"
needs prog_slash "$T/s/libb.so.1"
same_as_ldd "$T/prog_slash"
grep -qxF "$(printf '\t%s' "$T/s/libb.so.1")" <<<"$("$MKROOT" deps "$T/prog_slash")" ||
        fail "prog_slash: the library was not opened by its path"
# A relative one is opened from the working directory, and is missing
# from any other.
cc -o prog_slash_rel main.c -Wl,--no-as-needed s/libb.so.1
needs prog_slash_rel s/libb.so.1
same_as_ldd "$T/prog_slash_rel"
out=$(cd / && ldd "$T/prog_slash_rel")
grep -qF "$(printf '\ts/libb.so.1 => not found')" <<<"$out" ||
        fail "precondition: ldd finds s/libb.so.1 from /: $out"
(cd / && same_as_ldd "$T/prog_slash_rel")

# Loader of a shared library given directly (no PT_INTERP).
same_as_ldd /lib/x86_64-linux-gnu/libz.so.1
same_as_ldd /lib/x86_64-linux-gnu/libc.so.6
echo "ok: $n programs resolved as ldd resolves them"
