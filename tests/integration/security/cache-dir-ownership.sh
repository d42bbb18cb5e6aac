#!/bin/bash
# cache-dir-ownership: the cache is trusted only if it belongs to the caller
# and nobody else may write it (ssh's StrictModes). Before the fix a user
# who made a world-writable cache dir with a fake index entry and a fake
# layer got root to run the attacker's tree. Every refusal is exit 125
# (runroot) or 1 (mkroot) with one line naming the path and the reason.
. "$(dirname "$0")/../hardening/lib.sh" "$1"
command -v useradd >/dev/null || skip "needs useradd"
command -v python3 >/dev/null || skip "needs python3"
RUNROOT=$(realpath "$RUNROOT")
MKROOT=$(realpath "$MKROOT")

U=rrown$$
useradd -M -d "$T/home" -s /bin/sh "$U" || skip "useradd failed"
trap 'userdel "$U" 2>/dev/null; cleanup' EXIT
chmod 755 "$T"
chmod 644 "$IMAGE"
mkdir -p "$T/home" "$T/bin"
chown "$U:" "$T/home"
cp "$RUNROOT" "$T/bin/runroot"
chmod 755 "$T/bin" "$T/bin/runroot"
as_user() { su -s /bin/sh "$U" -c "$*"; }

# The attacker's cache, in every layout runroot ever read: an index entry
# for root's image (the key is made from what stat shows anyone) naming a
# tree that prints "pwned".
plant() {
        local c=$1
        as_user "python3 - '$c' '$IMAGE' '$BUSYBOX'" <<'PY'
import hashlib, os, shutil, sys
c, image, busybox = sys.argv[1:]
st = os.stat(image)
fake = hashlib.sha256(b"attacker").hexdigest()
tail = "%x-%x-%x-%x.%x-%x.%x" % (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns // 10**9,
                                 st.st_mtime_ns % 10**9, st.st_ctime_ns // 10**9,
                                 st.st_ctime_ns % 10**9)
for d, entry, key in (("layers/sha256", fake + "\n", "v1-"),
                      ("layers/rootfs/sha256", "rootfs " + fake + "\n", "v2-")):
    tree = os.path.join(c, d, fake)
    os.makedirs(os.path.join(tree, "bin"), exist_ok=True)
    shutil.copy(busybox, os.path.join(tree, "bin/busybox"))
    for a in ("sh", "cat", "echo", "true", "id"):
        if not os.path.lexists(os.path.join(tree, "bin", a)):
            os.symlink("busybox", os.path.join(tree, "bin", a))
    for m in ("proc", "dev", "sys", "tmp"):
        os.makedirs(os.path.join(tree, m), exist_ok=True)
    open(os.path.join(tree, "pwned"), "w").write("pwned\n")
    os.makedirs(os.path.join(c, "index"), exist_ok=True)
    open(os.path.join(c, "index", key + tail), "w").write(entry)
for root, dirs, files in os.walk(c):
    for n in dirs:
        os.chmod(os.path.join(root, n), 0o777)
os.chmod(c, 0o777)
PY
}

# refused WHAT PATH REASON CMD...: exit 125 (runroot) / 1 (mkroot), one
# line naming PATH and REASON, the attacker's tree never ran.
refused() {
        local what=$1 path=$2 reason=$3 want=125 out rc a
        shift 3
        for a in "$@"; do
                case $a in *mkroot) want=1 ;; esac
        done
        out=$("$@" 2>&1)
        rc=$?
        if [ "$rc" != "$want" ]; then
                fail "$what: exit $rc, expected $want: $out"
        elif [[ $out == *pwned* ]]; then
                fail "$what: the attacker's tree ran: $out"
        elif [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || [[ $out != *"$path:"* ]] ||
                [[ $out != *"$reason"* ]]; then
                fail "$what: the message does not say '$path: ... $reason': $out"
        else
                pass "$what: $out"
        fi
}

# 1. The attack: a world-writable cache the user made (in a sticky
# directory anyone may write, as /tmp), with a fake entry.
mkdir -m 1777 "$T/pub"
E=$T/pub/evil
as_user "mkdir -m 777 '$E'"
plant "$E"
refused "root's runroot on a user's world-writable cache" "$E" "owned by uid $(id -u "$U")" \
        "$RUNROOT" --cache-dir "$E" "$IMAGE" /bin/cat /pwned
refused "root's runroot through MKROOT_CACHE" "$E" "owned by uid" \
        env MKROOT_CACHE="$E" "$RUNROOT" "$IMAGE" /bin/cat /pwned
refused "root's runroot gc" "$E" "owned by uid" "$RUNROOT" --cache-dir "$E" gc
refused "root's mkroot cache ls" "$E" "owned by uid" "$MKROOT" cache ls --cache-dir "$E"
refused "root's mkroot cache gc" "$E" "owned by uid" "$MKROOT" cache gc --cache-dir "$E"
printf 'Base: %s\n\nAdd: /bin/true\n' "$IMAGE" >"$T/m.manifest"
refused "root's mkroot build" "$E" "owned by uid" "$MKROOT" build --cache-dir "$E" -o "$T/o.tar" \
        "$T/m.manifest"
[ ! -e "$T/o.tar" ] || fail "mkroot build wrote an image with an untrusted cache"
refused "root's mkroot fetch" "$E" "owned by uid" env MKROOT_MIRROR="file://$T/no-mirror" \
        "$MKROOT" fetch bookworm --cache-dir "$E" -o "$T/f.tar.gz"

# 2. The same tree made root's but left world-writable: the mode is enough.
chown -R 0:0 "$E"
refused "a root-owned cache writable by others" "$E" "writable by others" \
        "$RUNROOT" --cache-dir "$E" "$IMAGE" /bin/cat /pwned
# 3. Root's and private, but one area writable by the group.
C=$T/c1
"$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true || fail "a fresh cache does not work"
[ "$(stat -c %a "$C")" = 700 ] || fail "a new cache is not 0700: $(stat -c %a "$C")"
chmod 775 "$C/index"
refused "a group-writable area" "$C/index" "writable by its group" \
        "$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true
refused "a group-writable area (mkroot)" "$C/index" "writable by its group" \
        "$MKROOT" cache ls --cache-dir "$C"
chmod 755 "$C/index"
# 4. A symlinked area pointing at the user's directory, and a symlinked
# tree, index entry and lock file.
as_user "mkdir -p '$T/home/trees'"
mv "$C/layers/rootfs/sha256" "$T/sha256.saved"
ln -s "$T/home/trees" "$C/layers/rootfs/sha256"
refused "a symlinked area" "$C/layers/rootfs/sha256" "symbolic link" \
        "$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true
rm "$C/layers/rootfs/sha256"
mv "$T/sha256.saved" "$C/layers/rootfs/sha256"
tree=$(ls "$C/layers/rootfs/sha256")
mv "$C/layers/rootfs/sha256/$tree" "$T/tree.saved"
ln -s "$T/home/trees" "$C/layers/rootfs/sha256/$tree"
refused "a symlinked tree" "$C/layers/rootfs/sha256/$tree" "symbolic link" \
        "$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true
rm "$C/layers/rootfs/sha256/$tree"
mv "$T/tree.saved" "$C/layers/rootfs/sha256/$tree"
entry=$(ls "$C/index")
chmod 666 "$C/index/$entry"
refused "a world-writable index entry" "$C/index/$entry" "writable by others" \
        "$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true
chmod 644 "$C/index/$entry"
chown "$U" "$C/index/$entry"
refused "an index entry of another user" "$C/index/$entry" "owned by uid" \
        "$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true
chown 0 "$C/index/$entry"
lock=$(cd "$C/locks" && ls tree-rootfs-*.lock | head -1)
chown "$U" "$C/locks/$lock"
refused "a lock file of another user" "$C/locks/$lock" "owned by uid" \
        "$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/true
chown 0 "$C/locks/$lock"
# 5. A private cache owned by another user, and root's cache below a
# directory the user may rename.
as_user "mkdir -m 700 '$T/pub/theirs'"
refused "a private cache of another user" "$T/pub/theirs" "owned by uid" \
        "$RUNROOT" --cache-dir "$T/pub/theirs" "$IMAGE" /bin/true
mkdir -m 700 "$T/home/rootsown"
refused "root's cache below the user's directory" "$T/home" "not by root or the caller" \
        "$RUNROOT" --cache-dir "$T/home/rootsown" "$IMAGE" /bin/true

# 6. The normal case still works, warm and cold, and the user's own
# cache works for the user while root's is refused to them.
out=$("$RUNROOT" --cache-dir "$C" "$IMAGE" /bin/echo fine 2>&1)
[ "$out" = fine ] && pass "root's own cache: runs" || fail "root's own cache: $out"
probe=$(as_user "'$T/bin/runroot' --cache-dir '$T/home/mine' '$IMAGE' /bin/echo fine" 2>&1)
if [ "$probe" = fine ]; then
        pass "the user's own cache: runs"
        [ "$(stat -c '%U %a' "$T/home/mine")" = "$U 700" ] ||
                fail "the user's new cache: $(stat -c '%U %a' "$T/home/mine")"
        chmod 755 "$C"
        refused "root's cache for the user" "$C" "owned by uid 0" \
                as_user "'$T/bin/runroot' --cache-dir '$C' '$IMAGE' /bin/true"
        chmod 700 "$C"
elif [[ $probe == *"user namespace"* || $probe == *"Operation not permitted"* ]]; then
        [ "$FAILED" = 0 ] || finish
        skip "rootless part: rootless runroot does not run here: $probe"
else
        fail "the user's own cache: $probe"
fi
finish
