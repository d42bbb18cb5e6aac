# Sourced by the integration tests' lib.sh files.
# is_child PID: PID is a live process whose parent is this shell. A test
# signals a background pid it recorded only while this holds: bash reaps
# an exited job at once, and its pid soon belongs to another process
# (pid_max is 32768 here), maybe another test's or the user's.
is_child() {
        local st
        st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        st=${st##*) }
        set -- $st
        [ "$2" = "$$" ]
}

# user_gone U: wait (at most 5 s) until the throwaway user U the test made
# has no process left, then remove U. Removed while its last processes
# still exit, U's uid goes to the next test's user, whose "no process
# left" check then sees them.
user_gone() {
        local i
        for i in $(seq 50); do
                pgrep -u "$1" >/dev/null || break
                sleep 0.1
        done
        userdel "$1" 2>/dev/null
}

# stop_child PID NAME: end the server this shell started (SIGTERM, then
# reap it). Its status must be 0 or SIGTERM's 143; any other is printed,
# since a server that failed on its own is worth knowing about.
stop_child() {
        local st=0
        is_child "$1" || return 0
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null || st=$?
        case $st in
        0 | 143) ;;
        *) echo "$2 (pid $1) ended with status $st" >&2 ;;
        esac
}

# cgroup_tree_remove NAME: remove the cgroup NAME this test made (with
# what an engine made below it) from every hierarchy (the one of a pure
# cgroup v2 host too); its processes must have ended.
cgroup_tree_remove() {
        local d
        for d in /sys/fs/cgroup/"$1" /sys/fs/cgroup/*/"$1"; do
                [ -d "$d" ] || continue
                find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
                rmdir "$d" 2>/dev/null
        done
}

# flip_byte FILE OFFSET: change the byte at OFFSET of FILE (every bit
# inverted), so a test's tampering always changes the file; writing a
# fixed byte changed nothing when it was that byte already.
flip_byte() {
        python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    if len(b) != 1:
        sys.exit("flip_byte: %s has no byte %s" % (sys.argv[1], sys.argv[2]))
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}

# mkroot_user PREFIX: an unprivileged user of the test's own, $U (PREFIX
# and this shell's pid), with the home $H (in /var/tmp: a trace's sandbox
# replaces /tmp) holding a copy of $MKROOT; the test's cleanup removes
# both with mkroot_user_gone. Exits 77, saying why, where no such user can
# build (no useradd, unprivileged user namespaces disabled).
MKROOT_USER="" MKROOT_USER_HOME=""
mkroot_user() {
        command -v useradd >/dev/null || { echo "SKIP: needs useradd"; exit 77; }
        if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
                echo "SKIP: unprivileged user namespaces are disabled"
                exit 77
        fi
        H=$(mktemp -d /var/tmp/mkroot-user.XXXXXX)
        MKROOT_USER_HOME=$H
        useradd -M -d "$H" -s /bin/bash "$1$$" || { echo "FAIL: useradd $1$$"; exit 1; }
        U=$1$$ MKROOT_USER=$1$$
        cp "$MKROOT" "$H/mkroot"
        chown -R "$U:" "$H"
        chmod 755 "$H" "$H/mkroot"
}
mkroot_user_gone() {
        [ -z "$MKROOT_USER" ] || user_gone "$MKROOT_USER"
        [ -z "$MKROOT_USER_HOME" ] || rm -rf "$MKROOT_USER_HOME"
        MKROOT_USER="" MKROOT_USER_HOME=""
}
# as_mkroot_user SCRIPT: run the shell script SCRIPT as $U in $H, with a
# cache of its own; its stdout in $T/out, stderr in $T/err, status in $RC.
as_mkroot_user() {
        printf '%s\n' "$1" >"$H/.script"
        chown "$U:" "$H/.script"
        set +e
        su -s /bin/bash "$U" -c "cd $H && HOME=$H MKROOT_CACHE=$H/cache PATH=/usr/bin:/bin \
                bash ./.script" >"$T/out" 2>"$T/err"
        RC=$?
        set -e
}
