# Sourced by tests/integration/builder/deps-vs-ldd.sh and tests/bench/deps.sh.
# ldd_lines FILE: what ldd (the real loader) prints for FILE, without load
# addresses and without the vDSO (not a file): the lines `mkroot deps`
# prints. ldd's status 1 for a static program is no failure ("not a
# dynamic executable" is then its line); any other failure is said on
# stderr and returned.
ldd_lines() {
        local out rc=0
        out=$(ldd "$1" 2>&1) || rc=$?
        if [ "$rc" != 0 ] && [[ $out != *"not a dynamic executable"* ]]; then
                echo "ldd $1 failed (status $rc): $out" >&2
                return 1
        fi
        printf '%s\n' "$out" | sed -E -e 's/ \(0x[0-9a-f]+\)$//' -e '/^\s*linux-(vdso|gate)\.so/d'
}
