#!/bin/bash
# Every limit flag lands in the container's cgroup with docker's meaning,
# read back from the host while the container runs (v1 or v2 names);
# without the flags the same files hold the kernel's defaults.
. "$(dirname "$0")/lib.sh" "$1"

# cg_file NAME...: the first of these files in any new container cgroup
cg_file() {
        local d f
        for f in "$@"; do
                for d in $(cg_new "$RR_PID"); do
                        [ -e "$d/$f" ] && { tr '\n' ' ' <"$d/$f" | sed 's/ *$//'; return 0; }
                done
        done
        echo "(none)"
}

run_and_read() { # FLAGS... ; fills the V_* values
        "$RUNROOT" --cache-dir "$T/cache" "$@" "$IMAGE" /bin/sec-helper sleep 30 >/dev/null &
        local pid=$!
        RR_PID=$pid
        BG_PIDS+=($pid)
        for _ in $(seq 100); do
                [ -n "$(cg_new "$pid")" ] && break
                sleep 0.05
        done
        V_MEM=$(cg_file memory.max memory.limit_in_bytes)
        V_SWAP=$(cg_file memory.swap.max memory.memsw.limit_in_bytes)
        V_CPU=$(cg_file cpu.max cpu.cfs_quota_us)
        V_PIDS=$(cg_file pids.max)
        V_CPUSET=$(cg_file cpuset.cpus)
        V_WEIGHT=$(cg_file cpu.weight cpu.shares)
        V_IO=$(cg_file io.weight blkio.weight blkio.bfq.weight)
        kill -TERM "$pid"
        wait "$pid"
}

expect() { # what got want...
        local what=$1 got=$2 w
        shift 2
        for w in "$@"; do
                [ "$got" = "$w" ] && { pass "$what = $got"; return; }
        done
        fail "$what = $got, want one of: $*"
}

run_and_read --memory 80M --cpus 0.5 --pids 64 --cpuset-cpus 0 --cpu-shares 512 --io-weight 300
expect "memory" "$V_MEM" 83886080
# swap accounting may be off on a host without swap
expect "memory+swap" "$V_SWAP" 0 83886080 "(none)"
expect "cpu quota" "$V_CPU" "50000 100000" 50000
expect "pids" "$V_PIDS" 64
expect "cpuset" "$V_CPUSET" 0
expect "cpu weight" "$V_WEIGHT" 512 20
expect "io weight" "$V_IO" 300 "default 300"

# Only --pids: the others keep the kernel's defaults in the new cgroup.
run_and_read --pids 64
expect "memory unset" "$V_MEM" max 9223372036854771712 "(none)"
expect "cpu unset" "$V_CPU" "max 100000" -1 "(none)"
finish
