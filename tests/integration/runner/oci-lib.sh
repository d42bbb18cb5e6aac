# Shared by the oci-*.sh tests (runroot as an OCI runtime, runc's command
# line), sourced after lib.sh: a bundle over a tree make_tree makes, its
# config.json written here (no runc needed), the state under $T/state,
# and every container this test created force-deleted on any exit.
R=("$RUNROOT" --root "$T/state")
oci_cleanup() {
        local d
        for d in "$T"/state/*/; do
                [ -d "$d" ] && "${R[@]}" delete --force "$(basename "$d")" 2>/dev/null
        done
        rr_cleanup
}
trap oci_cleanup EXIT

# make_bundle DIR ARG...: DIR/rootfs and DIR/config.json running ARG...,
# with runc spec's namespaces, capabilities and noNewPrivileges.
make_bundle() {
        local d=$1
        shift
        make_tree "$d/rootfs"
        python3 - "$d/config.json" "$@" <<'PY'
import json, sys
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
c = {
    "ociVersion": "1.0.2",
    "root": {"path": "rootfs"},
    "hostname": "ocitest",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": sys.argv[2:],
        "env": ["PATH=/bin:/usr/bin", "HOME=/root"],
        "cwd": "/",
        "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
        "noNewPrivileges": True,
    },
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
    },
}
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
}

# edit_config BUNDLE PYTHON [ARG...]: c (config.json) changed by the python
# statements (the ARGs are sys.argv[3:]).
edit_config() {
        python3 - "$1/config.json" "$2" "${@:3}" <<'PY'
import json, sys
f = sys.argv[1]
c = json.load(open(f))
exec(sys.argv[2])
json.dump(c, open(f, "w"), indent=1)
PY
}

# conf KEY=PYTHON-EXPRESSION...: $T/b/config.json from a minimal base with
# each key (a dotted path) set to the expression's value (DEL: removed).
conf() {
        python3 - "$T/b/config.json" "$@" <<'PY'
import json, sys
c = {
    "ociVersion": "1.0.2",
    "root": {"path": "rootfs"},
    "process": {"args": ["/bin/sh", "-c", "true"], "env": ["PATH=/bin"], "cwd": "/",
                "user": {"uid": 0, "gid": 0}},
    "hostname": "box",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "uts", "ipc", "network")]},
}
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    keys = k.split(".")
    o = c
    for x in keys[:-1]:
        o = o.setdefault(x, {})
    if v == "DEL":
        del o[keys[-1]]
    else:
        o[keys[-1]] = eval(v)
json.dump(c, open(sys.argv[1], "w"))
PY
}
run_ok() { # NAME: run the bundle, its output in NAME.out
        "${R[@]}" run --bundle b "$1" >"$1.out" 2>"$1.err" || fail "$1: $(cat "$1.err") $(cat "$1.out")"
}

state_field() { # ID FIELD
        "${R[@]}" state "$1" >st.json 2>st.err || fail "state $1: $(cat st.err)"
        python3 -c 'import json,sys; v=json.load(open("st.json")).get(sys.argv[1]); print("" if v is None else v)' "$2"
}

# write_console_receiver FILE: a python3 program that takes the pty master
# a runtime sends to the socket $1 and writes all it reads to $2.
write_console_receiver() {
        cat >"$1" <<'PY'
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(60)
c, _ = s.accept()
fds = array.array("i")
_, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
assert len(fds) == 1, anc
got = b""
while True:
    try:
        b = os.read(fds[0], 4096)
    except OSError:  # EIO: the last slave closed
        break
    if not b:
        break
    got += b
open(sys.argv[2], "wb").write(got)
PY
}

# cg_file PID CONTROLLER V1-FILE V2-FILE: that file of PID's cgroup, on the
# v1 hierarchy of CONTROLLER or else the unified one (empty when neither).
cg_file() {
        local p m
        p=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
        if [ -n "$p" ] && [ -e "/sys/fs/cgroup/$2$p/$3" ]; then
                echo "/sys/fs/cgroup/$2$p/$3"
                return
        fi
        p=$(awk -F: '$1 == 0 {print $3}' "/proc/$1/cgroup")
        for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
                [ -e "$m$p/$4" ] && { echo "$m$p/$4"; return; }
        done
}
