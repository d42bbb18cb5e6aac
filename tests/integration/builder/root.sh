#!/bin/bash
# --root DIR resolves inside another tree: its own ld.so.cache or, without
# one, its ld.so.conf (with include globs); nothing from the host leaks in.
. "$(dirname "$0")/lib.sh"
cd "$T"
"$MKROOT" -o base.tar /bin/bash
mkdir r && tar -xf base.tar -C r
# A library only the tree has, in a directory only its ld.so.conf names.
mkdir -p r/opt/extra/lib r/etc/ld.so.conf.d
echo 'int h(void){return 0;}' >h.c
cc -shared -fPIC -o r/opt/extra/lib/libonly.so.1 -Wl,-soname,libonly.so.1 h.c
echo 'int h(void); int main(void){return h();}' >m.c
cc -o r/usr/bin/needs m.c r/opt/extra/lib/libonly.so.1
printf 'include /etc/ld.so.conf.d/*.conf\n' >r/etc/ld.so.conf
printf '# extra\n/opt/extra/lib\n' >r/etc/ld.so.conf.d/extra.conf
rm -f r/etc/ld.so.cache
out=$("$MKROOT" deps --root "$T/r" /usr/bin/needs)
grep -q '^	libonly.so.1 => /opt/extra/lib/libonly.so.1$' <<<"$out" || fail "conf fallback: $out"
grep -q '^	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6$' <<<"$out" || fail "default dirs: $out"
# The host cannot satisfy it, so resolving on the host must fail.
set +e
"$MKROOT" deps "$T/r/usr/bin/needs" >host.out 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "deps on the host: exit $rc (want 1, a library missing): $(cat host.out)"
grep -qx "$(printf '\tlibonly.so.1 => not found')" host.out || fail "host resolved libonly: $(cat host.out)"
# With the tree's own cache (made by the host's ldconfig -r), same answer.
ldconfig -r "$T/r" || fail "ldconfig -r failed"
[ -s r/etc/ld.so.cache ] || fail "ldconfig -r made no cache"
out2=$("$MKROOT" deps --root "$T/r" /usr/bin/needs)
[ "$out" = "$out2" ] || fail "cache vs conf: $out2"
# An image built from the tree carries the tree's files, and its cache,
# since the library is found only through it.
[ -s r/etc/ld.so.cache ] || fail "ldconfig -r made no cache"
"$MKROOT" --root "$T/r" -o img.tar /usr/bin/needs
tarhas img.tar ' opt/extra/lib/libonly.so.1$' || fail "image lacks libonly"
tarhas img.tar ' etc/ld.so.cache$' || fail "image lacks the cache it needs"
mkdir x && tar -xf img.tar -C x && chroot x /usr/bin/needs || fail "image from --root does not run"
"$MKROOT" -o plain.tar /bin/true
tarhas plain.tar ' etc/ld.so.cache$' && fail "host image carries a cache it does not need"
echo ok
