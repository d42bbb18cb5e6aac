#!/bin/busybox sh
# The VM lane's suite (busybox sh, as root, inside the VM that tests/vm/run
# boots): runroot on a pure cgroup v2 hierarchy. One line per test on
# stdout, `PASS name`, `FAIL name: reason` (followed by indented details)
# or `SKIP name: reason`; tests/vm/run collects them from the console.
# Kept small: the VM runs in software emulation.
IMG=/vm/image
CG=/sys/fs/cgroup
HELPER=/vm/sec-helper
W=/tmp/vmsuite
mkdir -p "$W"
export LC_ALL=C

pass() { echo "PASS $1"; }
skip() { echo "SKIP $1: $2"; }
fail() { # NAME REASON [FILE...]: the files' contents as details
        local n=$1 why=$2
        shift 2
        echo "FAIL $n: $why"
        for f in "$@"; do
                [ -s "$f" ] && sed 's/^/  | /' "$f" | head -n 30
        done
        return 0
}
rr() { runroot -q "$@" </dev/null; }
# In the background runroot itself must be $! (not a subshell running rr)
# so the tests can signal it.
RR="runroot -q"

# Container cgroups (runroot-*, not runroot's own .runroot leaves) below DIR.
cg_containers() { # DIR
        local d
        for d in "$1"/runroot-*; do
                case $d in *.runroot | *'*') ;; *) echo "$d" ;; esac
        done
}
# Wait until a container cgroup with a process in it exists below DIR;
# prints its path.
cg_wait() { # DIR
        local d
        for _ in $(seq 150); do
                for d in $(cg_containers "$1"); do
                        # (cgroup files have no size: read them)
                        [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ] && echo "$d" && return 0
                done
                sleep 0.1
        done
        return 1
}
# Wait for a file to contain a pattern.
file_wait() { # FILE PATTERN
        for _ in $(seq 150); do
                grep -q "$2" "$1" 2>/dev/null && return 0
                sleep 0.1
        done
        return 1
}
usage_usec() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }

# ---------------------------------------------------------------------------
t_pure_v2() {
        local fs
        fs=$(stat -f -c %t "$CG")
        if [ "$fs" != 63677270 ]; then # CGROUP2_SUPER_MAGIC
                fail pure-v2 "$CG is $fs, not cgroup2"
        elif grep -q ' cgroup ' /proc/mounts; then
                fail pure-v2 "a cgroup v1 hierarchy is mounted" /proc/mounts
        elif [ "$(cat /proc/self/cgroup)" != "0::/" ]; then
                fail pure-v2 "/proc/self/cgroup is not the single v2 line" /proc/self/cgroup
        else
                local c missing=
                for c in cpuset cpu io memory pids; do
                        grep -qw "$c" "$CG/cgroup.controllers" || missing="$missing $c"
                done
                [ -z "$missing" ] && pass pure-v2 || fail pure-v2 "controllers missing:$missing"
        fi
}

t_namespaces() {
        local out
        out=$(rr --hostname box "$IMG" /bin/busybox sh -c \
                'echo $$ $PPID; hostname; ls /sys/class/net; cat /proc/self/cgroup' 2>"$W/err")
        echo "$out" >"$W/out"
        # shellcheck disable=SC2086
        if [ "$(echo $out)" = "2 1 box lo 0::/" ]; then
                pass namespaces
        else
                fail namespaces "pid 2 under init 1, hostname, loopback only and 0::/ expected" "$W/out" "$W/err"
        fi
}

t_overlay() {
        local out
        out=$(rr "$IMG" /bin/busybox sh -c \
                'echo w >/marker && cat /marker && grep " / / " /proc/self/mountinfo' 2>"$W/err")
        echo "$out" >"$W/out"
        if ! echo "$out" | grep -q '^w$' || ! echo "$out" | grep -q ' - overlay '; then
                fail overlay "write into an overlay root failed" "$W/out" "$W/err"
        elif rr "$IMG" /bin/busybox test -e /marker; then
                fail overlay "a write leaked into the next run"
        else
                pass overlay
        fi
}

t_hardening() {
        local bad='' c victim
        sleep 60 &
        victim=$!
        for c in "mount /tmp" "umount /proc" "write /proc/sysrq-trigger h" "modload" \
                "read /proc/kcore" "read /proc/timer_list" "unshare-user" "capraise SYS_ADMIN" \
                "exe-overwrite 1" "kill $victim"; do
                # shellcheck disable=SC2086
                rr "$IMG" /bin/sec-helper $c >"$W/out" 2>&1
                [ $? = 1 ] && grep -q failed "$W/out" || bad="$bad [$c: $(tr '\n' ' ' <"$W/out")]"
        done
        kill -0 "$victim" 2>/dev/null || bad="$bad [the host's sleep died]"
        kill "$victim" 2>/dev/null
        wait "$victim" 2>/dev/null
        # the same works outside (root in the VM), so the test can fail
        for c in "modload" "read /proc/timer_list" "unshare-user" "capraise SYS_ADMIN"; do
                # shellcheck disable=SC2086
                "$HELPER" $c >"$W/out" 2>&1 || bad="$bad [outside, $c fails too]"
        done
        [ -z "$bad" ] && pass hardening || fail hardening "allowed inside:$bad"
}

# The device policy on v2 (a BPF program) applies with no limit asked:
# --device hands in one node with its permissions (kmsg, 1:11: not on the
# default list), and nothing else of the host's /dev is reachable.
t_device_policy() {
        local bad='' d pid
        rr --device /dev/kmsg:/dev/mykmsg:r "$IMG" /bin/sec-helper write /dev/mykmsg vm-test >"$W/out" 2>&1
        [ $? = 1 ] && grep -q 'not permitted' "$W/out" ||
                bad="$bad [--device /dev/kmsg:...:r allowed a write: $(tr '\n' ' ' <"$W/out")]"
        rr --device /dev/kmsg:/dev/mykmsg:rw "$IMG" /bin/sec-helper write /dev/mykmsg vm-test >"$W/out" 2>&1 ||
                bad="$bad [--device /dev/kmsg:...:rw refused a write: $(tr '\n' ' ' <"$W/out")]"
        rr "$IMG" /bin/sec-helper write /dev/kmsg vm-test >"$W/out" 2>&1
        [ $? = 1 ] || bad="$bad [/dev/kmsg written without --device]"
        $RR "$IMG" /bin/sec-helper sleep 30 </dev/null >/dev/null 2>&1 &
        pid=$!
        d=$(cg_wait "$CG") || bad="$bad [no container cgroup for a run without limits]"
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null
        [ -z "$(cg_containers "$CG")" ] || bad="$bad [left: $(cg_containers "$CG")]"
        [ -z "$bad" ] && pass device-policy || fail device-policy "$bad"
}

t_memory_oom() {
        rr -m 32M "$IMG" /bin/sec-helper memhog 64 >"$W/out" 2>"$W/err"
        local rc=$?
        if [ "$rc" != 137 ]; then
                fail memory-oom "64M under -m 32M: exit $rc, expected 137" "$W/out" "$W/err"
        elif ! grep -qx 'runroot: killed: memory limit 32M reached' "$W/err"; then
                fail memory-oom "no 'killed: memory limit 32M reached' report" "$W/err"
        elif ! rr -m 32M "$IMG" /bin/sec-helper memhog 8 >"$W/out" 2>"$W/err"; then
                fail memory-oom "8M under -m 32M failed" "$W/out" "$W/err"
        elif ! rr "$IMG" /bin/sec-helper memhog 64 >"$W/out" 2>"$W/err"; then
                fail memory-oom "64M without -m failed" "$W/out" "$W/err"
        else
                pass memory-oom
        fi
}

# memory.max, memory.swap.max and memory.events read from the host side
# while the container lives on after its hog was killed.
t_memory_files() {
        $RR -m 32M "$IMG" /bin/busybox sh -c \
                '/bin/sec-helper memhog 64; echo hog-exit=$?; sleep 2' >"$W/out" 2>"$W/err" </dev/null &
        local pid=$! d max swap events
        if ! file_wait "$W/out" hog-exit= || ! d=$(cg_wait "$CG"); then
                wait $pid
                fail memory-files "container or its cgroup not seen" "$W/out" "$W/err"
                return
        fi
        max=$(cat "$d/memory.max")
        swap=$(cat "$d/memory.swap.max" 2>&1)
        events=$(grep '^oom_kill ' "$d/memory.events")
        wait $pid
        if [ "$max" != 33554432 ]; then
                fail memory-files "memory.max is $max, expected 33554432"
        elif [ "$swap" != 0 ]; then
                fail memory-swap "memory.swap.max is $swap, expected 0 (-m includes swap)"
        elif [ "${events#oom_kill }" -lt 1 ] 2>/dev/null || [ -z "$events" ]; then
                fail memory-files "memory.events has no oom_kill: $events" "$W/out"
        elif [ -d "$d" ]; then
                fail memory-files "$d left behind"
        else
                pass memory-files
                pass memory-swap
        fi
}

t_cpu_quota() {
        $RR --cpus 0.2 "$IMG" /bin/busybox sh -c 'exec yes >/dev/null' >"$W/out" 2>"$W/err" </dev/null &
        local pid=$! d u1 u2 pct max
        if ! d=$(cg_wait "$CG"); then
                kill $pid
                wait $pid
                fail cpu-quota "no container cgroup" "$W/err"
                return
        fi
        max=$(cat "$d/cpu.max")
        sleep 0.5
        u1=$(usage_usec "$d")
        sleep 2
        u2=$(usage_usec "$d")
        kill -TERM $pid
        wait $pid
        pct=$(((u2 - u1) / 20000))
        if [ "$max" != "20000 100000" ]; then
                fail cpu-quota "cpu.max is '$max', expected '20000 100000'"
        elif [ "$pct" -lt 5 ] || [ "$pct" -gt 35 ]; then
                fail cpu-quota "--cpus 0.2 gave ${pct}% of a CPU (want 5-35)"
        else
                # the same loop unlimited gets far more, so this can fail
                $RR --pids 100 "$IMG" /bin/busybox sh -c 'exec yes >/dev/null' >/dev/null 2>&1 </dev/null &
                pid=$!
                d=$(cg_wait "$CG")
                sleep 0.3
                u1=$(usage_usec "$d")
                sleep 1
                u2=$(usage_usec "$d")
                kill -TERM $pid
                wait $pid
                local free=$(((u2 - u1) / 10000))
                [ "$free" -gt 50 ] && pass cpu-quota ||
                        fail cpu-quota "limited ${pct}%, but unlimited only ${free}%"
        fi
}

t_pids() {
        rr --pids 32 "$IMG" /bin/sec-helper forkn 1000 >"$W/out" 2>&1
        local n
        n=$(sed -n 's/^forkn: forked \([0-9]*\)$/\1/p' "$W/out")
        if grep -q 'failed: Resource temporarily unavailable' "$W/out" && [ -n "$n" ] && [ "$n" -lt 32 ]; then
                if rr --pids 200 "$IMG" /bin/sec-helper forkn 100 >"$W/out" 2>&1; then
                        pass pids-forkbomb
                else
                        fail pids-forkbomb "100 forks under --pids 200 failed" "$W/out"
                fi
        else
                fail pids-forkbomb "fork bomb not stopped below 32 (forked ${n:-?})" "$W/out"
        fi
}

t_cpuset() {
        local out
        out=$(rr --cpuset-cpus 1 "$IMG" /bin/busybox sh -c 'grep Cpus_allowed_list /proc/self/status' 2>"$W/err")
        echo "$out" >"$W/out"
        case $out in
        *"Cpus_allowed_list:"*[!0-9-]1) pass cpuset ;;
        *) fail cpuset "--cpuset-cpus 1: $out" "$W/err" ;;
        esac
}

# Relative weights: cpu.weight and io.weight as given.
t_weights() {
        $RR --cpu-weight 300 --io-weight 200 "$IMG" /bin/busybox sh -c 'echo ready; sleep 2' \
                >"$W/out" 2>"$W/err" </dev/null &
        local pid=$! d cw iw
        if file_wait "$W/out" ready && d=$(cg_wait "$CG"); then
                cw=$(cat "$d/cpu.weight")
                iw=$(cat "$d/io.weight" 2>/dev/null || cat "$d/io.bfq.weight" 2>/dev/null)
        fi
        wait $pid
        if [ -z "$d" ]; then
                fail weights "container not seen" "$W/out" "$W/err"
        elif [ "$cw" != 300 ]; then
                fail weights "cpu.weight is '$cw', expected 300"
        else
                case $iw in
                "default 200"*) pass weights ;;
                *) fail weights "io weight is '$iw', expected 'default 200'" ;;
                esac
        fi
}

# SIGTERM to runroot: everything in the container is killed (cgroup.kill)
# and the cgroup removed; also processes that left the session.
t_cgroup_kill() {
        $RR --pids 100 "$IMG" /bin/busybox sh -c \
                '(setsid sleep 301 &); sleep 302 & sleep 303 & echo started; wait' >"$W/out" 2>"$W/err" </dev/null &
        local pid=$! d procs left='' p
        if ! file_wait "$W/out" started || ! d=$(cg_wait "$CG"); then
                kill $pid
                wait $pid
                fail cgroup-kill "container not started" "$W/out" "$W/err"
                return
        fi
        sleep 0.3
        procs=$(cat "$d/cgroup.procs")
        kill -TERM $pid
        wait $pid
        for p in $procs; do
                [ -e "/proc/$p" ] && left="$left $p($(cat /proc/$p/comm 2>/dev/null))"
        done
        if [ "$(echo $procs | wc -w)" -lt 4 ]; then
                fail cgroup-kill "expected at least 4 processes in $d, saw: $procs"
        elif [ -n "$left" ]; then
                fail cgroup-kill "still running after runroot got SIGTERM:$left"
                for p in $procs; do kill -KILL "$p" 2>/dev/null; done
        elif [ -d "$d" ]; then
                fail cgroup-kill "$d not removed"
        else
                # the command exits, a daemonized child would stay: killed too
                rr --pids 100 "$IMG" /bin/busybox sh -c '(setsid sleep 304 &); exit 0' >/dev/null 2>&1
                if pgrep -f 'sleep 304' >/dev/null; then
                        fail cgroup-kill "a daemonized child outlived its container"
                        pkill -KILL -f 'sleep 304'
                else
                        pass cgroup-kill
                fi
        fi
}

# Inside, the cgroup namespace is rooted at the container's cgroup; the
# host sees the same process in /runroot-....
t_cgroup_ns() {
        $RR --pids 100 "$IMG" /bin/busybox sh -c 'cat /proc/self/cgroup; echo ready; sleep 2' \
                >"$W/out" 2>"$W/err" </dev/null &
        local pid=$! d p outside
        if ! file_wait "$W/out" ready || ! d=$(cg_wait "$CG"); then
                wait $pid
                fail cgroup-ns "container not seen" "$W/out" "$W/err"
                return
        fi
        p=$(head -1 "$d/cgroup.procs")
        outside=$(cat "/proc/$p/cgroup")
        wait $pid
        if [ "$(head -1 "$W/out")" != "0::/" ]; then
                fail cgroup-ns "inside: $(head -1 "$W/out"), expected 0::/"
        elif [ "$outside" != "0::/${d#$CG/}" ]; then
                fail cgroup-ns "outside: $outside, expected 0::/${d#$CG/}"
        else
                pass cgroup-ns
        fi
}

# runroot started in a cgroup whose parent has subtree_control set: the
# container cgroup goes below it (runroot moves itself into a leaf to obey
# the no-internal-process rule and undoes that afterwards); when others
# share runroot's cgroup it refuses with the reason.
t_nested() {
        local top=$CG/vmnest in=$CG/vmnest/inner d leaf
        mkdir -p "$in" &&
                echo "+memory +pids +cpu" >"$CG/cgroup.subtree_control" &&
                echo "+memory +pids" >"$top/cgroup.subtree_control" || {
                fail nested-delegation "cannot prepare $in"
                return
        }
        sh -c 'echo $$ >"$1/cgroup.procs" && exec runroot -q -m 32M --pids 50 "$2" \
                /bin/busybox sh -c "cat /proc/self/cgroup; echo ready; sleep 2"' sh "$in" "$IMG" \
                >"$W/out" 2>"$W/err" &
        local pid=$! max inner_ctl
        if file_wait "$W/out" ready && d=$(cg_wait "$in"); then
                max=$(cat "$d/memory.max")
                leaf=$(ls -d "$in"/*.runroot 2>/dev/null)
                inner_ctl=$(cat "$in/cgroup.subtree_control")
        fi
        wait $pid
        local rc=$?
        if [ -z "$d" ]; then
                fail nested-delegation "no container cgroup below $in" "$W/out" "$W/err"
        elif [ "$rc" != 0 ] || [ "$max" != 33554432 ]; then
                fail nested-delegation "rc $rc, memory.max $max in $d" "$W/err"
        elif [ -z "$leaf" ] || [ "$inner_ctl" != "memory pids" ]; then
                fail nested-delegation "leaf '$leaf', subtree_control '$inner_ctl'"
        elif [ -n "$(ls -d "$in"/*/ 2>/dev/null)" ] || [ -n "$(cat "$in/cgroup.subtree_control")" ]; then
                fail nested-delegation "left: $(ls -d "$in"/*/ 2>/dev/null) subtree_control '$(cat "$in/cgroup.subtree_control")'"
        else
                # not alone in its cgroup: exit 125 with the reason
                sh -c 'echo $$ >"$1/cgroup.procs"; runroot -q -m 32M "$2" /bin/busybox true; echo "rc=$?"' \
                        sh "$in" "$IMG" >"$W/out" 2>"$W/err"
                if grep -qx 'rc=125' "$W/out" && grep -q 'other processes' "$W/err"; then
                        pass nested-delegation
                else
                        fail nested-delegation "runroot sharing its cgroup: no clear refusal" "$W/out" "$W/err"
                fi
        fi
        # Only a threaded controller (pids), which the kernel enables even
        # beside processes (the cgroup then becomes a thread root whose
        # domain children take no processes): runroot must leave it first.
        sh -c 'echo $$ >"$1/cgroup.procs" && exec runroot -q --pids 16 "$2" /bin/sec-helper forkn 1000' \
                sh "$in" "$IMG" >"$W/out" 2>&1
        local n
        n=$(sed -n 's/^forkn: forked \([0-9]*\)$/\1/p' "$W/out")
        if [ -n "$n" ] && [ "$n" -lt 16 ] && [ -z "$(ls -d "$in"/*/ 2>/dev/null)" ]; then
                pass nested-pids-only
        else
                fail nested-pids-only "--pids 16 in $in gave ${n:-?} forks" "$W/out"
        fi
        rmdir "$in" "$top" 2>/dev/null || fail nested-delegation-cleanup "$in or $top not removable"
}

# Rootless: vmuser owns a delegated subtree (the directory and its
# cgroup.procs, cgroup.subtree_control, cgroup.threads, as systemd's
# Delegate=yes hands out); runroot as that user gets a user namespace and
# enforces limits in that subtree.
t_rootless() {
        local u=$CG/vmuser rc
        if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
                skip rootless "unprivileged user namespaces are disabled"
                return
        fi
        mkdir -p "$u" && echo "+memory +pids" >"$CG/cgroup.subtree_control" &&
                chown 1000:1000 "$u" "$u/cgroup.procs" "$u/cgroup.subtree_control" "$u/cgroup.threads" || {
                fail rootless "cannot delegate $u"
                return
        }
        cat >"$W/as-user" <<'EOF2'
#!/bin/sh
# CGDIR CMD...: as root, move into CGDIR, then become vmuser and exec CMD
cg=$1
shift
echo $$ >"$cg/cgroup.procs" || exit 99
exec su -s /bin/sh -c 'cd /home/vmuser && HOME=/home/vmuser exec "$@"' -- vmuser as-user "$@"
EOF2
        chmod 755 "$W/as-user"
        "$W/as-user" "$u" runroot -q -m 32M --pids 40 "$IMG" /bin/busybox sh -c \
                'id -u; head -1 /proc/self/uid_map; /bin/sec-helper memhog 64' >"$W/out" 2>"$W/err"
        rc=$?
        local id map
        id=$(sed -n 1p "$W/out")
        map=$(sed -n 2p "$W/out" | tr -s ' ' | sed 's/^ //')
        if [ "$id" != 0 ] || [ "$map" != "0 1000 1" ]; then
                fail rootless "not root in a user namespace of uid 1000 (id '$id', map '$map', rc $rc)" "$W/out" "$W/err"
        elif [ "$rc" != 137 ] || ! grep -q 'memory limit 32M reached' "$W/err"; then
                fail rootless "memory limit not enforced (rc $rc)" "$W/out" "$W/err"
        elif [ -n "$(ls -d "$u"/*/ 2>/dev/null)" ]; then
                fail rootless "left in the delegated subtree: $(ls -d "$u"/*/)"
        else
                pass rootless
        fi
        # Only threaded controllers (pids): the kernel lets them be enabled
        # beside processes, so runroot must still leave its cgroup first.
        "$W/as-user" "$u" runroot -q --pids 16 "$IMG" /bin/sec-helper forkn 1000 >"$W/out" 2>&1
        local n
        n=$(sed -n 's/^forkn: forked \([0-9]*\)$/\1/p' "$W/out")
        if [ -n "$n" ] && [ "$n" -lt 16 ] && [ -z "$(ls -d "$u"/*/ 2>/dev/null)" ]; then
                pass rootless-pids-only
        else
                fail rootless-pids-only "--pids 16 gave ${n:-?} forks, left: $(ls -d "$u"/*/ 2>/dev/null)" "$W/out"
        fi
        # the user's processes are gone; the subtree goes
        rmdir "$u" 2>/dev/null || fail rootless-cleanup "$u not removable: $(ls "$u")"
}

# runroot as an OCI runtime with config.json's linux.cgroupsPath: the
# cgroup at that path below the root (its missing parents made, the
# controllers handed down each level), the limits written there, update,
# pause and ps through it; delete removes it and the parents it made.
t_oci_cgroups_path() {
        local b=$W/ocib st=$W/ocist d=$CG/vmcgp/a/c pid why=''
        rm -rf "$b" "$st"
        mkdir -p "$b"
        cp -a "$IMG" "$b/rootfs"
        cat >"$b/config.json" <<EOF
{"ociVersion": "1.0.2", "root": {"path": "rootfs"},
 "process": {"args": ["/bin/sh", "-c", "while :; do sleep 1; done"], "env": ["PATH=/bin"],
             "cwd": "/", "user": {"uid": 0, "gid": 0}},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}],
           "cgroupsPath": "/vmcgp/a/c",
           "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 33},
                         "cpu": {"quota": 20000, "period": 100000}}}}
EOF
        oci() { runroot --root "$st" "$@" </dev/null 2>>"$W/err"; }
        : >"$W/err"
        if ! oci create --bundle "$b" v1 >"$W/out"; then
                fail oci-cgroups-path "create failed" "$W/err"
                return
        fi
        pid=$(oci state v1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
        oci start v1
        grep -qx "$pid" "$d/cgroup.procs" 2>/dev/null || why="$why; $pid is not in $d: $(cat /proc/$pid/cgroup)"
        [ "$(cat "$d/memory.max")" = 67108864 ] || why="$why; memory.max $(cat "$d/memory.max")"
        [ "$(cat "$d/pids.max")" = 33 ] || why="$why; pids.max $(cat "$d/pids.max")"
        [ "$(cat "$d/cpu.max")" = "20000 100000" ] || why="$why; cpu.max $(cat "$d/cpu.max")"
        oci update --pids-limit 44 v1
        [ "$(cat "$d/pids.max")" = 44 ] || why="$why; update: pids.max $(cat "$d/pids.max")"
        oci pause v1
        grep -qx 'frozen 1' "$d/cgroup.events" || why="$why; pause: $(tr '\n' ' ' <"$d/cgroup.events")"
        oci resume v1
        grep -qx 'frozen 0' "$d/cgroup.events" || why="$why; resume: $(tr '\n' ' ' <"$d/cgroup.events")"
        oci ps --format json v1 | grep -q "$pid" || why="$why; ps does not list $pid"
        oci kill v1 KILL
        for _ in $(seq 50); do oci state v1 | grep -q '"stopped"' && break; sleep 0.1; done
        oci delete v1 || why="$why; delete failed"
        [ ! -d "$CG/vmcgp" ] || why="$why; left: $(find "$CG/vmcgp" -type d | tr '\n' ' ')"
        if [ -n "$why" ]; then
                fail oci-cgroups-path "${why#; }" "$W/err"
                oci delete --force v1
                find "$CG/vmcgp" -depth -type d -exec rmdir {} \; 2>/dev/null
        else
                pass oci-cgroups-path
        fi
}

t_no_cgroup_left() {
        local left
        left=$(find "$CG" -mindepth 1 -type d)
        [ -z "$left" ] && pass no-cgroup-left || fail no-cgroup-left "left: $(echo $left)"
}

# Each test with its time on the console (not a result line).
run_test() {
        local t0 t1
        t0=$(cut -d' ' -f1 /proc/uptime)
        "$1"
        t1=$(cut -d' ' -f1 /proc/uptime)
        echo "vm: $1 took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s"
}

run_test t_pure_v2
run_test t_namespaces
run_test t_overlay
run_test t_hardening
run_test t_device_policy
run_test t_memory_oom
run_test t_memory_files
run_test t_cpu_quota
run_test t_pids
run_test t_cpuset
run_test t_weights
run_test t_cgroup_kill
run_test t_cgroup_ns
run_test t_nested
run_test t_rootless
run_test t_oci_cgroups_path
run_test t_no_cgroup_left
