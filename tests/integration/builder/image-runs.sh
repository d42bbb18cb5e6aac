#!/bin/bash
# mkroot --add /bin/bash /bin/ls gives an image that runs under chroot and
# under unshare+chroot, with both spellings of merged-/usr paths working.
. "$(dirname "$0")/lib.sh"
cd "$T"
"$MKROOT" --add /bin/bash /bin/ls
[ -f image.tar.gz ] || fail "no image.tar.gz"
mkdir d && tar -xzf image.tar.gz -C d
out=$(chroot d /bin/bash -c 'ls /')
for x in bin dev etc proc root sys tmp usr; do
        grep -qx "$x" <<<"$out" || fail "ls / inside lacks $x: $out"
done
chroot d /usr/bin/bash -c '/bin/ls /usr/bin/ls >/dev/null' || fail "/usr/bin spelling"
[ "$(stat -c %a d/tmp)" = 1777 ] || fail "/tmp mode $(stat -c %a d/tmp)"
grep -q '^root:x:0:0:' d/etc/passwd || fail "no root in passwd"
grep -q '^nobody:' d/etc/group || fail "no nobody group"
grep -q '^hosts:' d/etc/nsswitch.conf || fail "nsswitch.conf"
[ -L d/lib64/ld-linux-x86-64.so.2 ] || [ -L d/lib64 ] || fail "loader link chain not kept"
pid=$(unshare --mount --pid --fork chroot d /bin/bash -c 'echo $$')
[ "$pid" = 1 ] || fail "unshare chroot: pid $pid"
# mkroot ls agrees with tar -tv about what is there.
"$MKROOT" ls image.tar.gz >ls.out
tar -tzf image.tar.gz | sed 's,/$,,' | sort >tar.names
awk '{print $6}' ls.out | sed 's,/$,,' | sort >ls.names
diff -u tar.names ls.names || fail "mkroot ls names differ from tar -t"
grep -q '^lrwxrwxrwx 0/0 .* bin -> usr/bin$' ls.out || fail "ls shows no bin -> usr/bin: $(head -3 ls.out)"
# The same tree without skeleton has no /etc/passwd.
"$MKROOT" --no-skeleton -o bare.tar /bin/true
tar -tf bare.tar >bare.list
grep -q passwd bare.list && fail "--no-skeleton still wrote passwd"
# Non-ASCII names survive mkroot and runroot unchanged whatever the locale.
if command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1 && [ -n "${RUNROOT:-}" ]; then
        mkdir -p "u/$(printf 'd\303\251j\303\240')" && echo x >"u/$(printf '\303\261ame')"
        LC_ALL=C "$MKROOT" -q -o u.tar.gz "$(command -v busybox):/bin/busybox" "$T/u:/u" 2>err
        [ ! -s err ] || fail "mkroot warned about UTF-8 names: $(cat err)"
        tar --quoting-style=literal -tzf u.tar.gz >u.list
        grep -q "^u/$(printf '\303\261ame')$" u.list || fail "tar lists $(grep ^u/ u.list)"
        got=$(LC_ALL=C MKROOT_CACHE=$T/cache "$RUNROOT" u.tar.gz /bin/busybox sh -c 'cd /u && for f in *; do echo "$f"; done' 2>err | od -An -c | tr -d ' \n')
        [ ! -s err ] || fail "runroot warned: $(cat err)"
        exp=$(printf 'd\303\251j\303\240\n\303\261ame\n' | od -An -c | tr -d ' \n')
        [ "$got" = "$exp" ] || fail "names inside runroot: $got, wanted $exp"
fi
echo ok
