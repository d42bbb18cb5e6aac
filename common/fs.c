#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "common.h"

static int read_fd(int fd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                   err_t *e);

int fs_read_file_at(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                    err_t *e)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_sys(e, errno, "%s", path);
        return read_fd(fd, path, max, ret_data, ret_len, e);
}

static int read_fd(int fd, const char *path, size_t max, char **ret_data, size_t *ret_len, err_t *e)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", path);
        if (S_ISDIR(st.st_mode))
                return err_set(e, -EISDIR, "%s: is a directory", path);
        size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
        if (cap > max + 1)
                cap = max + 1;
        _cleanup_free_ char *buf = xmalloc(cap);
        size_t len = 0;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap > max)
                                return err_set(e, -EFBIG, "%s: larger than %zu bytes", path, max);
                        cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        buf = xrealloc(buf, cap);
                }
                ssize_t n = fd_read(fd, buf + len, cap - 1 - len);
                if (n < 0)
                        return err_sys(e, (int)-n, "%s: read", path);
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return err_set(e, -EFBIG, "%s: larger than %zu bytes", path, max);
        }
        buf[len] = '\0';
        *ret_data = steal_pointer(&buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int fs_write_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                       err_t *e)
{
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp.%d", dir, path_basename(path), getpid());
        _cleanup_close_ int fd =
                openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return err_sys(e, errno, "%s", tmp);
        int r = fd_write_all(fd, data, len);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, path) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return err_sys(e, -r, "%s", path);
        }
        return 0;
}

int fs_mkdir_p_at(int dirfd, const char *path, mode_t mode, err_t *e)
{
        _cleanup_free_ char *p = xstrdup(path);
        size_t n = strlen(p);
        for (size_t i = 1; i <= n; i++) {
                if (p[i] != '/' && p[i] != '\0')
                        continue;
                char c = p[i];
                p[i] = '\0';
                if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST) {
                        int saved = errno;
                        return err_sys(e, saved, "%s: mkdir", p);
                }
                p[i] = c;
        }
        struct stat st;
        if (fstatat(dirfd, path, &st, 0) < 0)
                return err_sys(e, errno, "%s", path);
        if (!S_ISDIR(st.st_mode))
                return err_set(e, -ENOTDIR, "%s: not a directory", path);
        return 0;
}

static int rm_rf_children(int fd, dev_t dev, err_t *e)
{
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return err_sys(e, errno, "fdopendir");
        }
        struct dirent *de;
        int ret = 0;
        while ((errno = 0, de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        ret = err_sys(e, errno, "%s", de->d_name);
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dev)
                                continue; /* a mount point: never cross it */
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0) {
                                /* An unreadable directory we own: open it up and retry. */
                                if (errno == EACCES && fchmodat(dirfd(d), de->d_name, 0700, 0) == 0)
                                        cfd = openat(dirfd(d), de->d_name,
                                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                             O_CLOEXEC);
                                if (cfd < 0) {
                                        ret = err_sys(e, errno, "%s", de->d_name);
                                        continue;
                                }
                        }
                        int r = rm_rf_children(cfd, dev, e);
                        if (r < 0)
                                ret = r;
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                                ret = err_sys(e, errno, "%s: rmdir", de->d_name);
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
                        ret = err_sys(e, errno, "%s: unlink", de->d_name);
                }
        }
        return ret;
}

int fs_rm_rf_at(int dirfd, const char *path, err_t *e)
{
        struct stat st;
        if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : err_sys(e, errno, "%s", path);
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(dirfd, path, 0) < 0 && errno != ENOENT)
                        return err_sys(e, errno, "%s", path);
                return 0;
        }
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", path);
        int r = rm_rf_children(fd, st.st_dev, e);
        if (r < 0)
                return err_prefix(e, "%s", path);
        if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return err_sys(e, errno, "%s", path);
        return 0;
}

/* Walk path below rootfd one component at a time, resolving symlinks as if
 * rootfd were "/". On success *ret_fd is an O_PATH fd of the parent
 * directory and *ret_last the final component (NULL for the root itself),
 * and *ret_abs the resolved absolute path of the parent. */
static int walk_parent(int rootfd, const char *path, char **ret_abs, int *ret_fd, char **ret_last,
                       err_t *e)
{
        int links = 0;
        _cleanup_free_ char *todo = xstrdup(path);
        _cleanup_sb_ strbuf cur = {0};
        sb_append(&cur, "/");
        _cleanup_close_ int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", path);

        for (;;) {
                char *s = todo;
                while (*s == '/')
                        s++;
                if (!*s) {
                        *ret_abs = sb_steal(&cur);
                        *ret_fd = steal_fd(&fd);
                        *ret_last = NULL;
                        return 0;
                }
                char *slash = strchr(s, '/');
                _cleanup_free_ char *comp = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
                char *rest = slash ? slash : s + strlen(s);
                bool last = true;
                for (char *q = rest; *q; q++)
                        if (*q != '/') {
                                last = false;
                                break;
                        }
                if (last) {
                        *ret_abs = sb_steal(&cur);
                        *ret_fd = steal_fd(&fd);
                        *ret_last = steal_pointer(&comp);
                        return 0;
                }
                if (!strcmp(comp, ".")) {
                        memmove(todo, rest, strlen(rest) + 1);
                        continue;
                }
                if (!strcmp(comp, "..")) {
                        _cleanup_free_ char *np = path_normalize(cur.s);
                        _cleanup_free_ char *up = path_dirname(np);
                        _cleanup_free_ char *rel = xasprintf(".%s", up);
                        int nfd =
                                openat(rootfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        /* The ancestors were all checked on the way down. */
                        if (nfd < 0)
                                return err_sys(e, errno, "%s", path);
                        close(fd);
                        fd = nfd;
                        sb_free(&cur);
                        sb_append(&cur, up);
                        memmove(todo, rest, strlen(rest) + 1);
                        continue;
                }
                char target[PATH_MAX];
                ssize_t tl = readlinkat(fd, comp, target, sizeof target - 1);
                if (tl >= 0) {
                        if (++links > 40)
                                return err_set(e, -ELOOP, "%s: too many levels of symbolic links",
                                               path);
                        target[tl] = '\0';
                        _cleanup_free_ char *nt = xasprintf("%s%s", target, rest);
                        if (target[0] == '/') {
                                close(fd);
                                fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (fd < 0)
                                        return err_sys(e, errno, "%s", path);
                                sb_free(&cur);
                                sb_append(&cur, "/");
                        }
                        free(todo);
                        todo = steal_pointer(&nt);
                        continue;
                }
                int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return err_sys(e, errno, "%s", path);
                close(fd);
                fd = nfd;
                if (cur.len > 1)
                        sb_append(&cur, "/");
                sb_append(&cur, comp);
                memmove(todo, rest, strlen(rest) + 1);
        }
}

int fs_resolve_in_root(int rootfd, const char *path, bool follow, char **ret, err_t *e)
{
        _cleanup_free_ char *want = xstrdup(path);
        for (int links = 0; links <= 40; links++) {
                _cleanup_free_ char *abs = NULL, *last = NULL;
                _cleanup_close_ int pfd = -1;
                int r = walk_parent(rootfd, want, &abs, &pfd, &last, e);
                if (r < 0)
                        return r;
                if (!last) {
                        *ret = steal_pointer(&abs);
                        return 0;
                }
                if (!strcmp(last, "..")) {
                        _cleanup_free_ char *up = path_dirname(abs);
                        *ret = steal_pointer(&up);
                        return 0;
                }
                if (!strcmp(last, ".")) {
                        *ret = steal_pointer(&abs);
                        return 0;
                }
                char target[PATH_MAX];
                ssize_t tl = follow ? readlinkat(pfd, last, target, sizeof target - 1) : -1;
                if (tl < 0) {
                        *ret = path_join(abs, last);
                        return 0;
                }
                target[tl] = '\0';
                free(want);
                want = target[0] == '/' ? xstrdup(target) : path_join(abs, target);
        }
        return err_set(e, -ELOOP, "%s: too many levels of symbolic links", path);
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, err_t *e)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = path;
        while (*rel == '/')
                rel++;
        if (!*rel)
                rel = ".";
        long fd;
        /* openat2 answers EAGAIN when any rename or mount raced with the
         * lookup, anywhere on the system: try again, then walk. */
        for (int tries = 0;; tries++) {
                fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
                if (fd >= 0)
                        return (int)fd;
                if (errno != EAGAIN || tries >= 64)
                        break;
        }
        if (errno != ENOSYS && errno != EPERM && errno != EAGAIN)
                return err_sys(e, errno, "%s", path);
        /* Fallback: resolve component by component, then open the final
         * component without following it (a symlink there has already been
         * resolved by fs_resolve_in_root when O_NOFOLLOW is not set). */
        _cleanup_free_ char *abs = NULL;
        int r = fs_resolve_in_root(rootfd, path, !(flags & O_NOFOLLOW), &abs, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *rp = xasprintf(".%s", abs);
        int nfd = openat(rootfd, rp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        if (nfd < 0 && errno == ELOOP && (flags & O_PATH))
                nfd = openat(rootfd, rp, flags | O_CLOEXEC, mode);
        if (nfd < 0)
                return err_sys(e, errno, "%s", path);
        return nfd;
}

int fs_open_parent_in_root(int rootfd, const char *path, char **ret_name, err_t *e)
{
        _cleanup_free_ char *norm = path_normalize(path);
        const char *name = path_basename(norm);
        if (!*name || !strcmp(name, "/") || !strcmp(name, ".") || !strcmp(name, ".."))
                return err_set(e, -EINVAL, "%s: names no entry below the root", path);
        _cleanup_free_ char *dir = path_dirname(norm);
        int fd = fs_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0, e);
        if (fd < 0)
                return err_prefix(e, "%s", path);
        *ret_name = xstrdup(name);
        return fd;
}

int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, err_t *e)
{
        _cleanup_free_ char *p = path_normalize(path);
        size_t n = strlen(p);
        /* Each prefix is resolved afresh inside the root, so a component
         * that is a symlink (even to "/" or "..") stays below rootfd. */
        for (size_t i = 1; i <= n; i++) {
                if (p[i] != '/' && p[i] != '\0')
                        continue;
                char c = p[i];
                p[i] = '\0';
                int fd = fs_open_in_root(rootfd, p, O_PATH | O_DIRECTORY, 0, e);
                if (fd == -ENOENT && strcmp(p, ".") && strcmp(p, "/")) {
                        _cleanup_free_ char *name = NULL;
                        _cleanup_close_ int pfd = fs_open_parent_in_root(rootfd, p, &name, e);
                        if (pfd < 0)
                                return pfd;
                        if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
                                return err_sys(e, errno, "%s: mkdir", p);
                        fd = fs_open_in_root(rootfd, p, O_PATH | O_DIRECTORY, 0, e);
                        if (fd == -ENOENT)
                                return err_set(e, -ENOTDIR,
                                               "%s: a link to nothing inside the tree, not a "
                                               "directory",
                                               p);
                }
                if (fd < 0)
                        return fd;
                close(fd);
                p[i] = c;
        }
        return 0;
}

int fs_read_file_in_root(int rootfd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                         err_t *e)
{
        /* O_NONBLOCK: a FIFO planted there must not hang the reader. */
        _cleanup_close_ int fd =
                fs_open_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, e);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", path);
        if (!S_ISREG(st.st_mode))
                return err_set(e, -EINVAL, "%s: not a regular file", path);
        return read_fd(fd, path, max, ret_data, ret_len, e);
}
