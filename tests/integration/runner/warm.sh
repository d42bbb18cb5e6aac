#!/bin/bash
# Unpack once: a warm run does not read the image again; a changed image
# file is detected and unpacked anew.
. "$(dirname "$0")/lib.sh"

out=$(rr --verbose "$IMG" true 2>&1)
case "$out" in *unpacking*) ;; *) fail "first run did not unpack: $out" ;; esac
out=$(rr --verbose "$IMG" true 2>&1)
case "$out" in *unpacking*) fail "warm run unpacked again: $out" ;; esac

# The warm run must not read the contents: make them unreadable in a way
# only a read notices (keep inode, size, times): with strace when present.
if command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=read,openat,open -o "$T/trace" \
                "$RUNROOT" "$IMG" true ||
                fail "traced run"
        fd_lines=$(grep -c "img.tar.gz" "$T/trace")
        [ "$fd_lines" -le 1 ] || fail "warm run opened the image $fd_lines times"
fi

# The cache is opened once per run (the image's config and the run share
# it: its areas are checked once, "locks" the last of them), and an area
# that is there is checked (one fstatat), not made again (no mkdirat
# failing EEXIST) nor opened only to be checked: areas a warm run does not
# use (blobs, stacks, steps, names) are never opened.
if command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=openat,mkdirat,newfstatat -o "$T/storetrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the cache"
        grep -E 'openat\([0-9]+, "(blobs|blobs/sha256|stacks|steps|names|locks)", ' "$T/storetrace" >"$T/area-opens" ||
                [ $? = 1 ] || fail "grep $T/storetrace"
        [ ! -s "$T/area-opens" ] ||
                fail "a warm run opened $(wc -l <"$T/area-opens") areas only to check them: $(head -2 "$T/area-opens")"
        checks=$(awk '/fstatat\([0-9]*, "locks", / {n++} END {print n + 0}' "$T/storetrace") || fail "awk $T/storetrace"
        [ "$checks" = 1 ] || fail "a warm run opened the cache $checks times (expected 1)"
        grep -F 'EEXIST' "$T/storetrace" >"$T/eexist" || :
        [ ! -s "$T/eexist" ] || fail "a warm run made existing directories again: $(head -3 "$T/eexist")"
fi

# Capabilities cut with one prctl per capability dropped: the ambient set
# cleared at once, not asked about capability by capability (libcap's
# cap_reset_ambient), the bounding set not read before each drop (only
# libcap's probe of the kernel's last capability reads it).
if command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=prctl -o "$T/captrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the capabilities"
        asks=$(grep -c 'PR_CAP_AMBIENT_IS_SET' "$T/captrace" || :)
        [ "$asks" = 0 ] || fail "the ambient set was asked about $asks times"
        reads=$(grep -c 'PR_CAPBSET_READ' "$T/captrace" || :)
        [ "$reads" -le 8 ] || fail "the bounding set was read $reads times (expected at most 8)"
        grep -F 'PR_CAP_AMBIENT_CLEAR_ALL' "$T/captrace" >"$T/clear-all" || :
        [ -s "$T/clear-all" ] || fail "the ambient set was not cleared"
        # The bounding set is cut once, by pid 1 before it forks the
        # command, which inherits it: the command drops none itself, and
        # pid 1 only the rest of its own (docker's set but CAP_KILL).
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=prctl,execve -o "$T/bndtrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the bounding set"
        cmd=$(awk 'NR > 1 && /execve\(/ {print $1; exit}' "$T/bndtrace")
        [ -n "$cmd" ] || fail "no exec of the command in $T/bndtrace"
        cmd_drops=$(awk -v p="$cmd" '$1 == p && /PR_CAPBSET_DROP/' "$T/bndtrace" | wc -l)
        [ "$cmd_drops" = 0 ] || fail "the command cut the bounding set itself ($cmd_drops drops)"
        total=$(awk '/PR_CAPBSET_DROP/ {n++} END {print n + 0}' "$T/bndtrace") || fail "awk $T/bndtrace"
        [ "$total" -le 41 ] || fail "the bounding set was cut with $total drops (expected at most 41)"
fi

# Same content under another name: same layer, not a second copy.
cp "$IMG" "$T/copy.tar.gz"
expect_rc 0 rr "$T/copy.tar.gz" true
[ "$(ls "$MKROOT_CACHE/layers/rootfs/sha256" | wc -l)" = 1 ] || fail "identical content gave two layers"

# A changed file is noticed.
sleep 0.01
echo changed >"$IMG_DIR/etc/marker"
tar -C "$IMG_DIR" -czf "$IMG" .
out=$(rr --verbose "$IMG" cat /etc/marker 2>&1)
case "$out" in *unpacking*changed*) ;; *) fail "changed image not unpacked anew: $out" ;; esac
# Also when rewritten in place with the old mtime.
echo again >"$IMG_DIR/etc/marker"
tar -C "$IMG_DIR" -czf "$T/new.tar.gz" .
touch -r "$IMG" "$T/new.tar.gz"
cat "$T/new.tar.gz" >"$IMG"
touch -r "$T/new.tar.gz" "$IMG"
out=$(rr "$IMG" cat /etc/marker)
[ "$out" = again ] || fail "in-place rewrite with the same mtime not noticed: $out"

# Any compression libarchive knows, and an uncompressed tar.
for c in "xz -T1" zstd bzip2 none; do
        prog=${c%% *}
        [ "$c" = none ] || command -v "$prog" >/dev/null || continue
        if [ "$c" = none ]; then
                tar -C "$IMG_DIR" -cf "$T/img.$prog" .
        else
                tar -C "$IMG_DIR" -cf - . | $c >"$T/img.$prog"
        fi
        out=$(rr "$T/img.$prog" cat /etc/marker)
        [ "$out" = again ] || fail "$c image: $out"
done

# No limit asked for, on a host with a cgroup2 hierarchy (pure or the
# unified one of a hybrid host): the container is cloned straight into the
# cgroup of its device list (clone3 CLONE_INTO_CGROUP), so no cgroup.procs
# is written (each write waits for an RCU grace period, ~10 ms on a loaded
# machine); the list itself is checked by security-device-policy-always.
cg2=
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        cg2=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        cg2=/sys/fs/cgroup/unified
fi
if [ -n "$cg2" ] && command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=clone,clone3,openat -o "$T/cgtrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the cgroup"
        # (grep: 1 is "no line", which the checks below read; 2 is an error)
        grep -E 'openat\(.*"cgroup\.procs", O_WRONLY' "$T/cgtrace" >"$T/procs-writes" || [ $? = 1 ] || fail "grep $T/cgtrace"
        [ ! -s "$T/procs-writes" ] || fail "a run with no limit wrote cgroup.procs: $(cat "$T/procs-writes")"
        grep -F 'CLONE_INTO_CGROUP' "$T/cgtrace" >"$T/clone-into" || [ $? = 1 ] || fail "grep $T/cgtrace"
        [ -s "$T/clone-into" ] || fail "the container was not cloned into its cgroup ($cg2)"
else
        echo "  (no cgroup2 hierarchy or no strace here: clone into the cgroup not checked)"
fi

# Born into that cgroup, the container makes its mounts while runroot
# loads and attaches the device program (the verifier and the JIT, ~0.1
# ms): runroot's load comes after the clone, and the go that lets pid 1
# start the command after the attach. The list itself is checked by
# security-device-policy-always.
if [ -n "$cg2" ] && command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=clone3,bpf,sendto,read,execve -o "$T/devtrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the device program"
        awk -v parent="$(head -n1 "$T/devtrace" | cut -d' ' -f1)" '
                $1 == parent && /clone3\(/ && !clone { clone = NR }
                $1 == parent && /BPF_PROG_LOAD/ && !load { load = NR }
                $1 == parent && /BPF_PROG_ATTACH/ && !attach { attach = NR }
                $1 == parent && /sendto\([0-9]+, "G"/ && !go { go = NR }
                $1 != parent && /read\([0-9]+, "G", 1\)/ && !got { got = NR }
                /execve\("\/bin\/true"|execve\("[^"]*\/true"/ && $1 != parent && !run { run = NR }
                END {
                        if (load && clone && load < clone)
                                printf "the device program was loaded before the clone (line %d, clone3 at %d)\n", load, clone
                        else if (!clone || !load || !attach || !go || !got || !run)
                                printf "missing: clone3 %d load %d attach %d go %d got %d exec %d\n", clone, load, attach, go, got, run
                        else if (!(attach < go && got < run))
                                printf "order: attach %d, go sent %d, go read %d, exec %d\n", attach, go, got, run
                }' "$T/devtrace" >"$T/devorder" || fail "awk $T/devtrace"
        [ ! -s "$T/devorder" ] || fail "device program: $(cat "$T/devorder")"
fi

# The container's network namespace is its own, with only lo, up.
out=$(rr "$IMG" sh -c 'ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; readlink /proc/self/ns/net') ||
        fail "reading the container's network: $out"
[ "$(sed -n 1p <<<"$out")" = lo ] && [ "$(sed -n 2p <<<"$out")" = unknown ] ||
        fail "the container's /sys/class/net: $out"
flags=$(sed -n 3p <<<"$out")
[ $((flags & 1)) = 1 ] || fail "lo is not up in the container (flags $flags)"
[ "$(sed -n 4p <<<"$out")" != "$(readlink /proc/self/ns/net)" ] ||
        fail "the container shares the host's network namespace"

# The masked directories of /proc and /sys get one empty read-only tmpfs
# between them (a mount of the first cloned over the others): one
# superblock to make and to tear down, not one each. What is masked is
# checked by security-proc-masks and friends.
out=$(rr "$IMG" cat /proc/self/mountinfo) || fail "reading the container's mountinfo: $out"
awk '($5 == "/proc/acpi" || $5 == "/sys/firmware") && $(NF - 2) == "tmpfs"' <<<"$out" >"$T/masks"
if [ "$(wc -l <"$T/masks")" = 2 ]; then
        [ "$(cut -d' ' -f3 "$T/masks" | sort -u | wc -l)" = 1 ] ||
                fail "the masked directories have a tmpfs each: $(cut -d' ' -f3,5 "$T/masks" | tr '\n' ' ')"
        awk '$6 !~ /^ro,/ {print}' "$T/masks" >"$T/masks-rw"
        [ ! -s "$T/masks-rw" ] || fail "a mask is writable: $(cat "$T/masks-rw")"
else
        echo "  (no /proc/acpi or no /sys/firmware here: the shared mask not checked)"
fi

# runroot's own processes ask for the shortest fair-scheduler slice (0.1
# ms, Linux 6.12's sched_attr.sched_runtime), so that on a busy machine
# each step gets a CPU at once; the command gets the caller's attributes
# back before its exec.
if [ -r /proc/self/sched ] && grep -q '^se.slice' /proc/self/sched; then
        mine=$(awk '$1 == "se.slice" {print $3}' /proc/self/sched)
        out=$(rr "$IMG" sh -c 'awk '\''$1 == "se.slice" {print FILENAME, $3}'\'' /proc/self/sched /proc/1/sched') ||
                fail "reading the slices in the container: $out"
        cmd_slice=$(awk '$1 == "/proc/self/sched" {print $2}' <<<"$out")
        init_slice=$(awk '$1 == "/proc/1/sched" {print $2}' <<<"$out")
        [ "$cmd_slice" = "$mine" ] || fail "the command's slice is ${cmd_slice:-?} ns, the caller's $mine"
        kv=$(uname -r | awk -F. '{printf "%d%03d", $1, $2}')
        if [ "$kv" -ge 6012 ]; then
                [ "$init_slice" = 100000 ] || fail "pid 1's slice is ${init_slice:-?} ns (expected 100000)"
        else
                echo "  (kernel $(uname -r) has no custom slices: pid 1's not checked)"
        fi
else
        echo "  (no /proc/self/sched here: the slices not checked)"
fi

# At the end nothing is left in the cgroup (pid 1's end took its pid
# namespace along): it is removed at once, with no cgroup.kill written
# and no cgroup.procs read (hardening-killed-runroot and runroot-cleanup
# check what is killed when something is left).
if [ -n "$cg2" ] && command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -e trace=openat,unlinkat,clone,clone3 -o "$T/endtrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the cgroup's end"
        # Only what comes after the container's clone is the run's end (at
        # its start runroot may sweep the cgroup of an earlier run that was
        # killed), and only an rmdir that found the cgroup busy (a process
        # of it still exiting, on a loaded machine) may be followed by the
        # kill.
        awk '/clone3?\(.*CLONE_NEWPID/ {cloned = 1}
             /unlinkat\([0-9]+, "runroot-[0-9]+-[0-9a-f]+", AT_REMOVEDIR\) = -1 EBUSY/ {busy = 1}
             cloned && /openat\([0-9]+, "cgroup\.(kill|procs)"/ && !busy {print}' "$T/endtrace" >"$T/end-kill" ||
                fail "awk $T/endtrace"
        grep -qE 'clone3?\(.*CLONE_NEWPID' "$T/endtrace" || fail "no clone of the container in $T/endtrace"
        [ ! -s "$T/end-kill" ] || fail "an empty cgroup was killed before its removal: $(head -2 "$T/end-kill")"
        grep -E 'unlinkat\([0-9]+, "runroot-[0-9]+-[0-9a-f]+", AT_REMOVEDIR\) = 0' "$T/endtrace" >"$T/end-rm" ||
                [ $? = 1 ] || fail "grep $T/endtrace"
        [ -s "$T/end-rm" ] || fail "the cgroup was not removed: $(grep unlinkat "$T/endtrace" | head -2)"
fi

# Nothing is unpacked: no locale is read (the UTF-8 character type that
# libarchive needs is set when it is loaded; mkroot-image-runs checks the
# names an unpack makes in the C locale).
if command -v strace >/dev/null; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=openat -o "$T/loctrace" \
                "$RUNROOT" "$IMG" true || fail "traced run for the locale"
        grep -E '"/usr/(lib|share)/locale/|gconv' "$T/loctrace" >"$T/locale-opens" || [ $? = 1 ] ||
                fail "grep $T/loctrace"
        [ ! -s "$T/locale-opens" ] || fail "a warm run read the locale: $(head -1 "$T/locale-opens")"
fi

# Linked in (-Dstatic_libs, the default): a start loads no library but
# libc (the dynamic loader and the mappings each fork copies were about
# 0.2 ms of CPU of every start).
if [ "${RUNROOT_STATIC_LIBS:-0}" = 1 ]; then
        command -v readelf >/dev/null || fail "readelf (binutils) is needed to check the libraries"
        readelf -d "$RUNROOT" >"$T/dynamic" || fail "readelf -d $RUNROOT"
        # (grep: 1 is "no line", which the checks below read; 2 is an error)
        grep -F '(NEEDED)' "$T/dynamic" >"$T/needed" || [ $? = 1 ] || fail "grep $T/dynamic"
        # (the dynamic loader, which maps itself anyway, may be named too,
        # and a sanitizer build's runtimes are not the project's libraries)
        grep -Ev 'Shared library: \[(libc\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|lib(a|ub)san\.so\.[0-9]+)\]' "$T/needed" >"$T/needed-other" ||
                [ $? = 1 ] || fail "grep $T/needed"
        [ ! -s "$T/needed-other" ] || fail "runroot loads more than libc: $(tr -s ' ' <"$T/needed-other")"
else
        echo "  (runroot built with shared libraries: its libraries not checked)"
fi

# Bound at load (-z now): no libc symbol is bound lazily after a fork,
# in pid 1 or the command's child (each first call wrote the GOT: a page
# copied in every process).
command -v readelf >/dev/null || fail "readelf (binutils) is needed to check the binding"
readelf -d "$RUNROOT" >"$T/dynamic-now" || fail "readelf -d $RUNROOT"
grep -E '\((FLAGS|FLAGS_1)\).*[[:space:]](BIND_NOW|NOW)([[:space:]]|$)' "$T/dynamic-now" >"$T/now" ||
        [ $? = 1 ] || fail "grep $T/dynamic-now"
[ -s "$T/now" ] || fail "runroot is bound lazily: $(grep -E 'FLAGS' "$T/dynamic-now" | tr -s ' ')"

check_no_leftovers
echo PASS
