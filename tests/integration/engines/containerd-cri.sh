#!/bin/bash
# README's lines that make containerd's CRI plugin use runroot hold for
# containerd 1.6: a containerd of the test's own, started with README's
# runtime (a runtime of the runc shim whose BinaryName is runroot, taken
# from README.md with this runroot's path put in), loads its CRI plugin
# with the runtime "runroot" of type io.containerd.runc.v2 and runroot as
# its binary beside the runtime runc (as in the file "containerd config
# default" writes), and the plugin starts; started again with README's
# default_runtime_name line and that runtime alone, runroot is the
# default. The config decides what the plugin prints of it; whether the
# plugin can then start depends on the host too: where it cannot, the
# test is skipped with the plugin's reason.
#
# Run as engines-containerd is: network and mount namespaces of its own,
# /run and /var/lib overlaid, containerd's state in $T, stopped by pid.
. "$(dirname "$0")/../../helpers/subreaper.sh"
if [ -z "${ENGINES_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: containerd needs root"; exit 77; }
        for c in containerd ctr; do
                command -v "$c" >/dev/null ||
                        { echo "SKIP: needs $c (tools/install-deps --test)"; exit 77; }
        done
        export ENGINES_NS=1
        exec unshare --net --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
: "${SRCDIR:?}"
set -o pipefail
cd "$T"
ip link set lo up || fail "lo up"
private_host_dirs /run /var/lib
cri_cleanup() {
        ctd_stop
        rr_cleanup
}
trap cri_cleanup EXIT

# readme_block HEADER: README's indented block (code) that starts with
# the line HEADER, up to the first line that is not indented, unindented.
readme_block() {
        awk -v h="    $1" '$0 == h {on = 1}
                on && !/^    / {exit}
                on {print substr($0, 5)}' "$SRCDIR/README.md"
}
CRI='[plugins."io.containerd.grpc.v1.cri".containerd'
readme_block "$CRI.runtimes.runroot]" >runtime.toml
grep -q '^  BinaryName = "/usr/local/bin/runroot"$' runtime.toml ||
        fail "README.md: no containerd CRI runtime with BinaryName: $(cat runtime.toml)"
sed -i "s|\"/usr/local/bin/runroot\"|\"$RUNROOT\"|" runtime.toml
readme_block "$CRI]" >default.toml
grep -qx '  default_runtime_name = "runroot"' default.toml ||
        fail "README.md: no default_runtime_name line: $(cat default.toml)"

# cri_check DIR TOML: containerd started in DIR with TOML; its CRI plugin
# took the runtime runroot ($CONF: what it printed of the runtime,
# $CRI_CONF: of its whole config); 77 when the plugin could not start.
cri_check() {
        local log=$1/ctd.log st why
        ctd_start "$1" "$2"
        wait_for 10 grep -q 'msg="Start cri plugin with config' "$log" ||
                fail "the CRI plugin did not take the config: $(grep -E 'level=(error|fatal)|failed to load plugin' "$log")"
        CRI_CONF=$(grep -o 'msg="Start cri plugin with config.*' "$log")
        CONF=$(grep -o 'Runtimes:map\[.*runroot:{[^}]*}' "$log" | grep -o 'runroot:{[^}]*}') ||
                fail "the CRI plugin has no runtime runroot: $(grep -o 'Runtimes:map\[[^]]*' "$log")"
        case $CONF in
        *"Type:io.containerd.runc.v2 "*"Options:map[BinaryName:$RUNROOT]"*) ;;
        *) fail "the CRI plugin's runtime runroot: $CONF" ;;
        esac
        # ctr plugins ls: TYPE ID PLATFORMS STATUS
        st=$("${CTR[@]}" plugins ls | awk '$2 == "cri" {print $4}')
        if [ "$st" != ok ]; then
                why=$(grep 'failed to load plugin io.containerd.grpc.v1.cri' "$log")
                echo "SKIP: the CRI plugin took README's runtime but cannot start here ($st): $why"
                exit 77
        fi
        ctd_stop
}

# Beside runc, the default of the file "containerd config default" writes.
cri_check "$T/ctd1" "$(printf '%s.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n' "$CRI")
$(cat runtime.toml)"
case $CRI_CONF in
*"DefaultRuntimeName:runc "*"Runtimes:map[runc:{Type:io.containerd.runc.v2 "*) ;;
*) fail "the CRI plugin lost runc beside runroot: $CRI_CONF" ;;
esac
# The default, alone.
cri_check "$T/ctd2" "$(cat default.toml runtime.toml)"
case $CRI_CONF in
*"DefaultRuntimeName:runroot "*) ;;
*) fail "default_runtime_name: runroot is not the default: $CRI_CONF" ;;
esac
echo "containerd's CRI plugin with README's runtime runroot (binary $RUNROOT), beside runc and as the default: ok"
