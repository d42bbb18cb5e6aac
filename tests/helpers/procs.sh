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
