/* The mount helpers of mounts.c and mounts-user.c: a mount with its error
 * message, and mount points found or made inside the new root through the
 * root (fs_resolve_in_root), so that a symlink in the image cannot aim a
 * mount at the host; binds made nodev, and read-only keeping the flags
 * the kernel locked. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"
#include "mounts-setup.h"

int mounts_do(const char *src, const char *dst, const char *type, unsigned long flags,
              const char *data, err_t *e)
{
        if (mount(src, dst, type, flags, data) < 0)
                return err_sys(e, errno, "mount %s on %s",
                               type                   ? type
                               : src                  ? src
                               : (flags & MS_REMOUNT) ? "(remount)"
                                                      : "?",
                               dst);
        return 0;
}

/* Make the missing path dst inside the tree at rootfd as a directory or
 * an empty file: parents first, and when dst itself is a dangling symlink,
 * what it points to (resolved within the tree). */
static int make_in_root(int rootfd, const char *dst, bool dir, err_t *e)
{
        _cleanup_free_ char *abs = NULL;
        if (dir)
                return rootfs_mkdir_p(rootfd, dst, &abs, e);
        _cleanup_free_ char *cur = path_normalize(dst);
        for (int hops = 0; hops <= 40; hops++) {
                _cleanup_free_ char *parent = path_dirname(cur);
                _cleanup_free_ char *pabs = NULL;
                int r = rootfs_mkdir_p(rootfd, parent, &pabs, e);
                if (r < 0)
                        return err_prefix(e, "mount point %s", dst);
                _cleanup_free_ char *prel = xasprintf(".%s", pabs);
                _cleanup_close_ int pfd =
                        openat(rootfd, prel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (pfd < 0)
                        return err_sys(e, errno, "mount point %s", dst);
                const char *base = path_basename(cur);
                char target[PATH_MAX];
                ssize_t tl = readlinkat(pfd, base, target, sizeof target - 1);
                if (tl >= 0) {
                        target[tl] = '\0';
                        _cleanup_free_ char *next =
                                target[0] == '/' ? xstrdup(target) : path_join(pabs, target);
                        free(cur);
                        cur = path_normalize(next);
                        continue;
                }
                int fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                                0644);
                if (fd < 0 && errno != EEXIST)
                        return err_sys(e, errno, "mount point %s", dst);
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        return err_set(e, -ELOOP, "mount point %s: too many levels of symbolic links", dst);
}

/* Find (making it when missing) the mount point dst inside the tree whose
 * host path is root; *ret is the host path of the resolved target. */
int mounts_target_in_root(const char *root, const char *dst, bool dir, char **ret, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_free_ char *abs = NULL;
        err_t e2 = {0};
        int r = fs_resolve_in_root(rootfd, dst, true, &abs, &e2);
        _cleanup_free_ char *rel = r == 0 ? xasprintf(".%s", abs) : NULL;
        struct stat st;
        if (r == -ENOENT ||
            (r == 0 && fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)) {
                r = make_in_root(rootfd, dst, dir, e);
                if (r < 0)
                        return r;
                free(abs);
                abs = NULL;
                r = fs_resolve_in_root(rootfd, dst, true, &abs, &e2);
                free(rel);
                rel = r == 0 ? xasprintf(".%s", abs) : NULL;
        }
        if (r < 0)
                return err_set(e, r, "mount point %s: %s", dst, e2.msg);
        if (fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_sys(e, errno, "mount point %s", dst);
        if (S_ISLNK(st.st_mode))
                return err_set(e, -ELOOP, "mount point %s: a symbolic link", dst);
        if (dir != !!S_ISDIR(st.st_mode))
                return err_set(e, -ENOTDIR, "mount point %s: %s", dst,
                               dir ? "not a directory" : "is a directory");
        *ret = xasprintf("%s%s", root, abs);
        return 0;
}

int mounts_in_root(const char *root, const char *src, const char *dst, const char *type,
                   unsigned long flags, const char *data, bool dir, err_t *e)
{
        _cleanup_free_ char *t = NULL;
        int r = mounts_target_in_root(root, dst, dir, &t, e);
        if (r < 0)
                return r;
        return mounts_do(src, t, type, flags, data, e);
}

/* Device nodes work only in runroot's own /dev: the image's tree (overlay,
 * in place or copied) and every bind mount get nodev, with every mount
 * below them, so a node shipped in an image or a host directory opens
 * nothing (--device is the way to hand one in). */
int mounts_make_nodev(const char *t, err_t *e)
{
        struct mount_attr a = {.attr_set = MOUNT_ATTR_NODEV};
        if (mount_setattr(AT_FDCWD, t, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) == 0)
                return 0;
        if (errno != ENOSYS)
                return err_sys(e, errno, "make %s nodev", t);
        /* Before 5.12: the top mount alone. */
        struct statvfs sv;
        unsigned long keep = 0;
        if (statvfs(t, &sv) == 0) {
                if (sv.f_flag & ST_NOSUID)
                        keep |= MS_NOSUID;
                if (sv.f_flag & ST_NOEXEC)
                        keep |= MS_NOEXEC;
                if (sv.f_flag & ST_RDONLY)
                        keep |= MS_RDONLY;
        }
        return mounts_do(NULL, t, NULL, MS_BIND | MS_REMOUNT | MS_NODEV | keep, NULL, e);
}

/* A bind mount made read-only; keep the flags the kernel locked on it
 * (in a user namespace a remount may not clear nosuid/nodev/...). */
int mounts_remount_ro(const char *t, err_t *e)
{
        struct statvfs sv;
        unsigned long keep = 0;
        if (statvfs(t, &sv) == 0) {
                if (sv.f_flag & ST_NOSUID)
                        keep |= MS_NOSUID;
                if (sv.f_flag & ST_NODEV)
                        keep |= MS_NODEV;
                if (sv.f_flag & ST_NOEXEC)
                        keep |= MS_NOEXEC;
                if (sv.f_flag & ST_NOATIME)
                        keep |= MS_NOATIME;
                if (sv.f_flag & ST_RELATIME)
                        keep |= MS_RELATIME;
        }
        return mounts_do(NULL, t, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL, e);
}

/* Bind src (or, when tree_fd is not -1, the detached copy of it that
 * slave_tree made) at dst inside root. */
int mounts_bind_in_root(const char *root, const char *src, const char *dst, bool ro, int tree_fd,
                        uint64_t attrs, err_t *e)
{
        struct stat st;
        if (stat(src, &st) < 0)
                return err_sys(e, errno, "bind source %s", src);
        _cleanup_free_ char *t = NULL;
        int r = mounts_target_in_root(root, dst, S_ISDIR(st.st_mode), &t, e);
        if (r < 0)
                return r;
        if (tree_fd >= 0 && move_mount(tree_fd, "", AT_FDCWD, t, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                r = err_sys(e, errno, "bind %s on %s", src, t);
        else if (tree_fd < 0)
                r = mounts_do(src, t, NULL, MS_BIND | (attrs & MOUNTS_BIND_ONE ? 0 : MS_REC), NULL,
                              e);
        attrs &= ~MOUNTS_BIND_ONE;
        if (r == 0)
                r = mounts_make_nodev(t, e);
        if (r == 0 && attrs) {
                /* -v's nosuid, noexec: the whole tree bound. */
                struct mount_attr a = {.attr_set = attrs};
                if (mount_setattr(AT_FDCWD, t, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) <
                    0)
                        r = err_sys(e, errno, "bind %s on %s: nosuid, noexec, rro", src, t);
        }
        if (r < 0 || !ro)
                return r;
        return mounts_remount_ro(t, e);
}
