#!/bin/bash
# gc-under-load: cache housekeeping never takes what a starting or running
# container uses, and knows what references what. Before the fix runroot
# gc removed every OCI image's index entry, a use did not mark a layer
# used (mkroot cache gc --keep-days 14 removed one a run used a second
# earlier), and runs failed against a gc loop ("a layer vanished while
# unpacking"). Here: use marks, a running container's trees, 100
# concurrent runs of a rootfs tarball and an OCI image against a
# `mkroot cache gc --keep-days 0` loop and a `runroot gc` loop (0
# failures), then gc removes exactly what nothing references; and a
# rootless batch against the user's own gc loop.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
command -v python3 >/dev/null || skip "needs python3"
RUNROOT=$(realpath "$RUNROOT")
MKROOT=$(realpath "$MKROOT")
C=$T/cache

# A rootfs tarball and a two-layer OCI image, each with its own marker.
echo rootfs >"$T/img/etc/marker"
tar -C "$T/img" -cf "$T/rootfs.tar" .
mkdir -p "$T/top/etc"
echo oci >"$T/top/etc/marker"
"$(dirname "$0")/../../helpers/mkoci.py" --gzip "$T/image.oci.tar" "$T/img" "$T/top" ||
        fail "making the OCI image"
chmod 644 "$T/rootfs.tar" "$T/image.oci.tar"

# Trees in the cache (either layout), index entries, stack records.
trees() {
        find "$1"/layers -mindepth 2 -maxdepth 3 -type d -regextype egrep -regex '.*/[0-9a-f]{64}' \
                2>/dev/null | sort
}
count() { find "$1" -mindepth 1 -maxdepth 1 -not -name '.*' 2>/dev/null | wc -l; }
runs_ok() { # CACHE: both images run and print their marker
        local out
        out=$("$RUNROOT" --cache-dir "$1" "$T/rootfs.tar" /bin/cat /etc/marker 2>&1)
        [ "$out" = rootfs ] || { echo "rootfs: $out"; return 1; }
        out=$("$RUNROOT" --cache-dir "$1" "$T/image.oci.tar" /bin/cat /etc/marker 2>&1)
        [ "$out" = oci ] || { echo "oci: $out"; return 1; }
}

# 1. A use marks what it uses: trees unpacked 20 days ago and used a
# second ago survive gc --keep-days 14; warm runs afterwards unpack nothing.
r=$(runs_ok "$C") || fail "first runs: $r"
before=$(trees "$C")
[ "$(echo "$before" | grep -c .)" -ge 3 ] || fail "expected 3 trees or more: $before"
find "$C" -mindepth 2 -exec touch -h -d '20 days ago' {} +
r=$(runs_ok "$C") || fail "runs after aging: $r"
"$MKROOT" cache gc --keep-days 14 --cache-dir "$C" >"$T/gc.out" 2>&1 || fail "gc: $(cat "$T/gc.out")"
[ "$(trees "$C")" = "$before" ] && pass "gc --keep-days 14 kept the trees used a second ago" ||
        fail "gc --keep-days 14 removed trees used a second ago: $(cat "$T/gc.out")"
out=$("$RUNROOT" --verbose --cache-dir "$C" "$T/image.oci.tar" /bin/true 2>&1)
[[ $out != *unpacking* ]] || fail "the OCI image was unpacked again after gc --keep-days 14: $out"

# 2. runroot gc keeps the index entry of an image whose trees are there.
"$RUNROOT" --cache-dir "$C" gc 2>"$T/gc.err" || fail "runroot gc: $(cat "$T/gc.err")"
[ "$(count "$C/index")" = 2 ] && pass "runroot gc kept both index entries" ||
        fail "runroot gc left $(count "$C/index") index entries, expected 2"
out=$("$RUNROOT" --verbose --cache-dir "$C" "$T/image.oci.tar" /bin/cat /etc/marker 2>&1)
[[ $out != *unpacking* ]] && [[ $out == *oci* ]] && pass "the OCI image is warm after runroot gc" ||
        fail "the OCI image after runroot gc: $out"

# 3. A running container's trees survive gc --keep-days 0 (and runroot
# gc); what no run holds goes.
"$RUNROOT" --cache-dir "$C" "$T/image.oci.tar" /bin/sleep 60 >/dev/null 2>&1 &
sleeper=$!
BG_PIDS+=("$sleeper")
for _ in $(seq 100); do
        grep -qs "$C/layers/" /proc/*/mountinfo && break
        sleep 0.1
done
grep -qs "$C/layers/" /proc/*/mountinfo || fail "the sleeping container did not start"
oci_trees=$(trees "$C" | grep /oci/)
"$MKROOT" cache gc --keep-days 0 --cache-dir "$C" >"$T/gc.out" 2>&1 || fail "gc: $(cat "$T/gc.out")"
"$RUNROOT" --cache-dir "$C" gc 2>"$T/gc.err" || fail "runroot gc: $(cat "$T/gc.err")"
[ "$(trees "$C" | grep /oci/)" = "$oci_trees" ] && pass "a running container's trees kept" ||
        fail "gc removed a tree a running container uses: $(cat "$T/gc.out")"
[ -z "$(trees "$C" | grep /rootfs/)" ] && pass "the tree no run holds was removed" ||
        fail "gc --keep-days 0 kept an unused tree: $(trees "$C")"
out=$("$RUNROOT" --cache-dir "$C" "$T/image.oci.tar" /bin/cat /etc/marker 2>&1)
[ "$out" = oci ] || fail "a second run of the running image: $out"
kill "$sleeper" 2>/dev/null
wait "$sleeper" 2>/dev/null

# 4. Load: 100 runs (batches of 10, both images) against both gc loops.
: >"$T/go"
deadline=$((SECONDS + 200))
gc_loop() { # NAME CMD...: until $T/go goes or the deadline passes
        local name=$1 n=0
        shift
        while [ -e "$T/go" ] && [ $SECONDS -lt $deadline ]; do
                "$@" >/dev/null 2>>"$T/$name.err" || echo "exit $?" >>"$T/$name.fail"
                n=$((n + 1))
        done
        echo "$n" >"$T/$name.n"
}
gc_loop mkroot-gc "$MKROOT" cache gc --keep-days 0 --cache-dir "$C" &
g1=$!
gc_loop runroot-gc "$RUNROOT" --cache-dir "$C" gc &
g2=$!
BG_PIDS+=("$g1" "$g2")
one_run() { # N
        local img=$T/rootfs.tar want=rootfs out
        [ $(($1 % 2)) = 0 ] || { img=$T/image.oci.tar; want=oci; }
        out=$("$RUNROOT" --verbose --cache-dir "$C" "$img" /bin/cat /etc/marker 2>"$T/run.$1.err")
        [ "$out" = "$want" ] || echo "run $1 ($want): $out $(cat "$T/run.$1.err")" >"$T/run.$1.fail"
}
for batch in $(seq 0 9); do
        for i in $(seq 0 9); do
                one_run $((batch * 10 + i)) &
        done
        wait $(jobs -p | grep -vxE "$g1|$g2")
        [ $SECONDS -lt $deadline ] || { fail "the runs took too long"; break; }
done
rm -f "$T/go"
wait "$g1" "$g2"
nfail=$(ls "$T"/run.*.fail 2>/dev/null | wc -l)
[ "$nfail" = 0 ] && pass "100 runs against two gc loops: 0 failures" ||
        fail "$nfail of 100 runs failed: $(cat "$T"/run.*.fail | head -5)"
# The loops did take trees away meanwhile: some runs had to unpack again.
cold=$(cat "$T"/run.*.err | grep -c unpacking)
[ "$cold" -ge 2 ] && pass "$cold runs unpacked again after a gc took their trees" ||
        fail "only $cold runs found their trees gone: the gc loops did not race the runs"
[ ! -e "$T/mkroot-gc.fail" ] && [ ! -e "$T/runroot-gc.fail" ] ||
        fail "a gc failed: $(cat "$T"/*gc.err | head -5)"
[ "$(cat "$T/mkroot-gc.n")" -ge 3 ] && [ "$(cat "$T/runroot-gc.n")" -ge 3 ] &&
        pass "gc loops ran $(cat "$T/mkroot-gc.n") and $(cat "$T/runroot-gc.n") times" ||
        fail "the gc loops hardly ran: $(cat "$T/mkroot-gc.n") $(cat "$T/runroot-gc.n")"

# 5. Afterwards: runroot gc keeps what the index names; with the entries
# gone nothing references the trees and stacks, and gc removes them; and
# with nothing running, gc --keep-days 0 empties the cache.
r=$(runs_ok "$C") || fail "runs after the load: $r"
"$RUNROOT" --cache-dir "$C" gc 2>"$T/gc.err" || fail "runroot gc: $(cat "$T/gc.err")"
[ "$(count "$C/index")" = 2 ] && [ "$(count "$C/stacks")" = 1 ] &&
        [ "$(trees "$C" | grep -c .)" -ge 3 ] && pass "runroot gc keeps what the index names" ||
        fail "runroot gc after the load: index $(count "$C/index"), stacks $(count "$C/stacks"), trees $(trees "$C" | grep -c .)"
rm -f "$C"/index/*
"$RUNROOT" --cache-dir "$C" gc 2>"$T/gc.err" || fail "runroot gc: $(cat "$T/gc.err")"
[ -z "$(trees "$C")" ] && [ "$(count "$C/stacks")" = 0 ] &&
        pass "runroot gc removed the trees and stack nothing references" ||
        fail "unreferenced, kept: $(trees "$C") $(ls "$C/stacks")"
r=$(runs_ok "$C") || fail "runs after gc: $r"
"$MKROOT" cache gc --keep-days 0 --cache-dir "$C" >"$T/gc.out" 2>&1 || fail "gc: $(cat "$T/gc.out")"
[ -z "$(trees "$C")" ] && [ "$(count "$C/index")" = 0 ] && [ "$(count "$C/stacks")" = 0 ] &&
        [ "$(count "$C/tmp")" = 0 ] && pass "gc --keep-days 0 with nothing running empties the cache" ||
        fail "left: $(trees "$C") index $(count "$C/index") stacks $(count "$C/stacks") tmp $(ls "$C/tmp")"

# 6. Rootless: the user's runs against the user's gc loop.
command -v useradd >/dev/null || { [ "$FAILED" = 0 ] || finish; skip "rootless part: no useradd"; }
U=rrgc$$
useradd -M -d "$T/home" -s /bin/sh "$U" || fail "useradd"
trap 'userdel "$U" 2>/dev/null; cleanup' EXIT
chmod 755 "$T"
mkdir -p "$T/home"
chown "$U:" "$T/home"
cp "$RUNROOT" "$T/runroot"
cp "$MKROOT" "$T/mkroot"
chmod 755 "$T/runroot" "$T/mkroot"
UC=$T/home/cache
probe=$(su -s /bin/sh "$U" -c "'$T/runroot' --cache-dir '$UC' '$T/rootfs.tar' /bin/cat /etc/marker" 2>&1)
if [ "$probe" != rootfs ]; then
        if [[ $probe == *"user namespace"* || $probe == *"Operation not permitted"* ]] &&
                [ "$FAILED" = 0 ]; then
                skip "rootless part: rootless runroot does not run here: $probe"
        fi
        fail "rootless run: $probe"
        finish
fi
cat >"$T/home/load.sh" <<EOF
end=\$((SECONDS + 90))
: >"$T/home/go"
(while [ -e "$T/home/go" ] && [ \$SECONDS -lt \$end ]; do
        "$T/mkroot" cache gc --keep-days 0 --cache-dir "$UC" >/dev/null 2>&1 || echo gc >>"$T/home/fail"
        "$T/runroot" --cache-dir "$UC" gc 2>/dev/null || echo rgc >>"$T/home/fail"
done) &
g=\$!
for b in 1 2 3; do
        for i in 1 2 3 4 5; do
                ( out=\$("$T/runroot" --cache-dir "$UC" "$T/image.oci.tar" /bin/cat /etc/marker 2>&1)
                  [ "\$out" = oci ] || echo "oci: \$out" >>"$T/home/fail" ) &
                ( out=\$("$T/runroot" --cache-dir "$UC" "$T/rootfs.tar" /bin/cat /etc/marker 2>&1)
                  [ "\$out" = rootfs ] || echo "rootfs: \$out" >>"$T/home/fail" ) &
        done
        wait \$(jobs -p | grep -vx \$g)
done
rm -f "$T/home/go"
wait \$g
EOF
chmod 644 "$T/home/load.sh"
su -s /bin/bash "$U" -c "bash '$T/home/load.sh'"
[ ! -s "$T/home/fail" ] && pass "rootless: 30 runs against the user's gc loop: 0 failures" ||
        fail "rootless: $(head -5 "$T/home/fail")"
finish
