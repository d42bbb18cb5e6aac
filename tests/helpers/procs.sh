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
# what an engine made below it) from every hierarchy; its processes must
# have ended.
cgroup_tree_remove() {
        local d
        for d in /sys/fs/cgroup/*/"$1"; do
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
