#!/bin/bash
# docker run's flags as docker means them: -h is the host name (--help the
# help), long options only when spelled out in full, --init and --label
# accepted, --add-host, --dns and --shm-size, and a one-line message for
# each docker flag runroot lacks.
. "$(dirname "$0")/lib.sh" "$1"

# -h NAME is the host name; --help stays the help.
expect_out $'box\n' -h box "$IMG" hostname
expect_out $'box\n' --hostname=box "$IMG" hostname
rr --help >"$T/help" || fail "--help failed"
grep -q '^Usage: runroot' "$T/help" || fail "--help prints no usage"
grep -qE '^  -h, --hostname NAME' "$T/help" || fail "--help does not give -h as --hostname"
expect_err 'runroot: -h: needs a value (see --help)' -h

# Long options only in full: an abbreviation is an unknown option.
expect_err 'runroot: --hostn: unknown option (see --help)' --hostn x "$IMG" true
expect_err 'runroot: --hostn: unknown option (see --help)' --hostn=x "$IMG" true
expect_err 'runroot: --pids-l: unknown option (see --help)' --pids-l 5 "$IMG" true
expect_err 'runroot: --read: unknown option (see --help)' --read "$IMG" true
# --pid is docker's (a PID namespace), not an abbreviation of --pids.
expect_err 'runroot: --pid: sharing a PID namespace is not supported; each run has its own' \
        --pid host "$IMG" true

# docker flags runroot lacks: one line saying so and what to use.
# -p exists (net.sh); with another network than private it says so.
expect_err 'runroot: -p: not with --net host (published ports need --net private)' \
        -p 8080:80 --net host "$IMG" true
expect_err 'runroot: -p: not with --net none (published ports need --net private)' \
        --net none --publish=8080:80 "$IMG" true
expect_err 'runroot: -P: not supported; publish each port with -p HOSTPORT:CONTAINERPORT' \
        -P "$IMG" true
# -d exists (lifecycle.sh); what it cannot take says why.
expect_err 'runroot: -t: not with -d (a detached container'"'"'s output goes to its log; runroot exec -it NAME sh gives a terminal)' \
        -d -t "$IMG" true
expect_err 'runroot: -d: not with --read-only (a detached container is a name, with a writable layer of its own)' \
        --detach --read-only "$IMG" true
expect_err 'runroot: --log-opt: only with -d (a foreground run'"'"'s output goes to runroot'"'"'s stdout and stderr)' \
        --log-opt max-size=1m "$IMG" true
expect_err 'runroot: --log-opt max-size=big: max-size: expected a size such as 10m (see --help)' \
        -d --log-opt max-size=big "$IMG" true
expect_err 'runroot: --log-opt max-file=0: max-file: expected 1 to 1000 (see --help)' \
        -d --log-opt max-file=0 "$IMG" true
expect_err 'runroot: --log-opt mode=non-blocking: expected max-size=SIZE or max-file=N (json-file'"'"'s options) (see --help)' \
        -d --log-opt mode=non-blocking "$IMG" true
expect_err 'runroot: --restart: restart policies are not supported yet (the lifecycle issue); run it under systemd-run -p Restart=on-failure' \
        --restart always "$IMG" true
expect_err 'runroot: --network bridge: expected none, host, private or container:NAME (see --help)' \
        --network bridge "$IMG" true

# --init (runroot always has one) and --label KEY=VALUE are accepted.
expect_out $'ok\n' --init --label a=b -l c= "$IMG" echo ok
expect_err 'runroot: --label =x: expected KEY=VALUE (see --help)' --label =x "$IMG" true
expect_err 'runroot: -l x: expected KEY=VALUE (see --help)' -l x "$IMG" true

# --add-host: a line in /etc/hosts; localhost's lines when the image has
# no /etc/hosts, the image's own lines otherwise.
expect_out $'127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.2\tdb\nfd00::1\tv6\n' \
        --add-host db:10.0.0.2 --add-host v6:fd00::1 "$IMG" cat /etc/hosts
D=$T/dir
cp -a "$IMG_DIR" "$D"
printf '127.0.0.1 localhost img\n' >"$D/etc/hosts"
printf 'search example.org\nnameserver 9.9.9.9\noptions ndots:2\n' >"$D/etc/resolv.conf"
expect_out $'127.0.0.1 localhost img\n10.0.0.2\tdb\n' --add-host db:10.0.0.2 "$D" cat /etc/hosts
# without the flags, the image's files as they are
expect_out $'127.0.0.1 localhost img\n' "$D" cat /etc/hosts
expect_err 'runroot: --add-host db: expected NAME:IP, NAME of letters, digits, '"'.', '-' and '_'"' (see --help)' \
        --add-host db "$IMG" true
expect_err 'runroot: --add-host d/b:10.0.0.2: expected NAME:IP, NAME of letters, digits, '"'.', '-' and '_'"' (see --help)' \
        --add-host d/b:10.0.0.2 "$IMG" true
expect_err 'runroot: --add-host db:10.0.0: not an IPv4 or IPv6 address after NAME: (see --help)' \
        --add-host db:10.0.0 "$IMG" true

# --dns: the image's nameserver lines replaced, its other lines kept.
expect_out $'search example.org\noptions ndots:2\nnameserver 1.1.1.1\nnameserver ::1\n' \
        --dns 1.1.1.1 --dns ::1 "$D" cat /etc/resolv.conf
expect_out $'nameserver 1.1.1.1\n' --dns 1.1.1.1 "$IMG" cat /etc/resolv.conf
expect_err 'runroot: --dns 1.1.1: expected an IPv4 or IPv6 address (see --help)' --dns 1.1.1 "$IMG" true
expect_err 'runroot: --dns dns.example: expected an IPv4 or IPv6 address (see --help)' \
        --dns dns.example "$IMG" true

# --shm-size: the size of /dev/shm (docker's 64m by default).
rr --shm-size 8m "$IMG" cat /proc/self/mountinfo >"$T/mi" || fail "--shm-size 8m failed"
grep ' /dev/shm ' "$T/mi" | grep -q 'size=8192k' || fail "--shm-size 8m: $(grep ' /dev/shm ' "$T/mi")"
rr "$IMG" cat /proc/self/mountinfo >"$T/mi" || fail "run failed"
grep ' /dev/shm ' "$T/mi" | grep -q 'size=65536k' || fail "default /dev/shm: $(grep ' /dev/shm ' "$T/mi")"
expect_err 'runroot: --shm-size 1: expected a size of at least 4k, such as 64m (see --help)' \
        --shm-size 1 "$IMG" true
expect_err 'runroot: --shm-size lots: expected a size of at least 4k, such as 64m (see --help)' \
        --shm-size lots "$IMG" true

check_no_leftovers
echo PASS
