#!/bin/bash
# Named after what they defend against.
. "$(dirname "$0")/lib.sh"

# fd-leak-cve-2024-21626: no fd of runroot's (or of its caller's) reaches
# the command; only 0-2.
exec 7<"$T" 8>"$T/held"
out=$(rr "$IMG" rrhelper fds | awk '{print $1}' | tr '\n' ' ')
exec 7<&- 8>&-
[ "$out" = "0 1 2 " ] || fail "fd-leak-cve-2024-21626: fds inside: $out"
# A cwd through an fd must not reach the host either: refused (exit 125,
# one line naming the directory) or, for /proc/self/fd itself, the
# container's own /proc; never the host file beside the cache.
echo "host-secret-$$" >"$T/hs"
exec 7<"$T"
for w in /proc/self/fd /proc/self/fd/3 /proc/self/fd/7 /proc/thread-self/fd/3; do
        out=$(rr -w "$w" "$IMG" sh -c 'pwd; for d in .. ../.. ../../..; do cat $d/hs 2>/dev/null; done; exit 0' 2>&1)
        rc=$?
        case "$out" in *"host-secret-$$"*) fail "fd-leak-cve-2024-21626: -w $w read the host: $out" ;; esac
        if [ $rc = 125 ]; then
                case "$out" in
                *"$w"*) [ "$(wc -l <<<"$out")" = 1 ] || fail "-w $w: more than one line: $out" ;;
                *) fail "fd-leak-cve-2024-21626: -w $w refused without naming it: $out" ;;
                esac
        elif [ $rc = 0 ] && [ "$w" = /proc/self/fd ]; then
                [[ $out =~ ^/proc/[0-9]+/fd$ ]] || fail "-w $w: cwd is not the container's /proc: $out"
        else
                fail "fd-leak-cve-2024-21626: -w $w: exit $rc: $out"
        fi
done
exec 7<&-
out=$(rr "$IMG" sh -c 'ls -l /proc/1/cwd /proc/1/root 2>&1; ls /proc/1/fd 2>&1' | tr '\n' ' ')
case "$out" in *"$T"*|*"/work"*) fail "fd-leak: host path visible via pid 1: $out" ;; esac

# proc-exe-cve-2019-5736: the runroot binary (pid 1's exe) cannot be
# opened for writing from inside, not even by root.
# rrhelper prints the errno of the refused open and exits 1 (not 125, 126
# or 127: the command ran, and the kernel said no).
out=$(rr "$IMG" rrhelper open-rw /proc/1/exe)
rc=$?
[ $rc = 1 ] || fail "proc-exe-cve-2019-5736: open-rw /proc/1/exe: exit $rc: $out"
case "$out" in
EACCES | EPERM | ETXTBSY | EROFS) ;;
*) fail "proc-exe-cve-2019-5736: /proc/1/exe opened for writing, or not refused by the kernel: $out" ;;
esac
out=$(rr "$IMG" sh -c 'ls -l /proc/1/exe 2>&1; cat /proc/1/exe >/dev/null 2>&1 && echo readable; echo ran')
case "$out" in *readable*) fail "proc-exe-cve-2019-5736: pid 1's binary readable: $out" ;; esac
case "$out" in *ran) ;; *) fail "proc-exe-cve-2019-5736: the probe did not run: $out" ;; esac
sum_before=$(md5sum <"$RUNROOT")
out=$(rr "$IMG" sh -c 'for p in /proc/[0-9]*; do echo x >$p/exe; done; echo ran' 2>/dev/null)
[ "$out" = ran ] || fail "proc-exe-cve-2019-5736: the writer did not run: $out"
[ "$(md5sum <"$RUNROOT")" = "$sum_before" ] || fail "proc-exe-cve-2019-5736: runroot binary changed"

# mount-escape: the host's root is not reachable (pivot_root, old root
# detached): no mount of the host's root file system inside.
out=$(rr "$IMG" cat /proc/self/mountinfo)
n=$(printf '%s\n' "$out" | awk '$5 == "/" ' | wc -l)
[ "$n" = 1 ] || fail "mount-escape: more than one root mount inside: $out"
case "$out" in *" /oldroot "*|*" /.oldroot "*) fail "old root still mounted" ;; esac

# layer-symlink-escape (mount side): a symlink in the image cannot aim a
# mount (here /dev and a bind target) at the host.
mkdir -p "$T/evil"
make_tree "$T/evil"
ln -s "$T/target-outside" "$T/evil/data"
mkdir -p "$T/target-outside" "$T/share"
expect_rc 0 rr --tmpfs /data -v "$T/share:/data/x" "$T/evil" true
expect_rc 0 rr -v "$T/share:/data/x" "$T/evil" true
rm "$T/evil/data"
ln -s "$T/target-outside" "$T/evil/proc"
rm -rf "$T/evil/dev"
ln -s "$T/target-outside" "$T/evil/dev"
expect_rc 125 rr "$T/evil" true 2>/dev/null
[ -z "$(ls -A "$T/target-outside")" ] || fail "layer-symlink-escape: a mount point was made on the host"

# tiocsti-injection: without a terminal the command cannot push input
# into ours (it has none); with one, only into the container's pty (see
# pty.sh).
out=$(rr "$IMG" rrhelper tiocsti 'echo pwned' </dev/null)
rc=$?
[ "$out" != injected ] || fail "tiocsti injected without a terminal"
# The ioctl itself was refused (rrhelper ran and printed the errno).
[ $rc = 1 ] && [[ $out =~ ^E[A-Z]+$ ]] || fail "tiocsti: exit $rc: $out"

# cache-setuid-exposure: the unpacked layers (with the image's setuid
# files) are out of reach of other host users.
expect_rc 0 rr "$IMG" true
[ "$(stat -c %a "$MKROOT_CACHE/layers")" = 700 ] || fail "cache layers are reachable by other users"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
if setpriv --reuid=65534 --regid=65534 --clear-groups ls "$MKROOT_CACHE/layers/rootfs/sha256" >/dev/null 2>"$T/ls.err"; then
        fail "nobody can list the unpacked layers"
fi
grep -q 'Permission denied' "$T/ls.err" || fail "nobody's ls failed, but not for permissions: $(cat "$T/ls.err")"

check_no_leftovers
echo PASS
