/* The one in-root resolver. The common case, a directory that exists with
 * no symlink on the way, is one openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS
 * | RESOLVE_NO_MAGICLINKS): its resolved path is then the path itself.
 * Otherwise each component is opened with O_NOFOLLOW from the directory
 * before it (a single component can never leave that directory); a
 * symlink met on the way is read and its target resolved as if the tree
 * were "/" (an absolute target restarts at the root, ".." at the root
 * stays there), which is what RESOLVE_IN_ROOT does, done by hand because
 * the extractor needs the resolved path (for directory times and opaque
 * whiteouts) and makes what is missing as it goes. Magic links cannot
 * occur: links are never followed by the kernel here. Iterative, so
 * thousands of components cost no stack. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xt-internal.h"

#define XT_MAX_LINKS 40

static int open_root(int rootfd, err_t *e)
{
        int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? err_sys(e, errno, "the target directory") : fd;
}

/* dir without empty, "." and ".." components, or NULL when it has any. */
static char *plain(const char *dir)
{
        _cleanup_sb_ strbuf b = {0};
        sb_append(&b, "");
        for (const char *p = dir; *p;) {
                while (*p == '/')
                        p++;
                size_t cl = strcspn(p, "/");
                if (!cl)
                        break;
                if ((cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
                        return NULL;
                if (b.len)
                        sb_append(&b, "/");
                sb_appendn(&b, p, cl);
                p += cl;
        }
        return sb_steal(&b);
}

/* The fast path: one openat2 that refuses every symlink; -1 when it does
 * not apply (missing, a symlink on the way, an old kernel). */
static int open_plain(int rootfd, const char *rel)
{
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof how);
        return fd < 0 ? -1 : (int)fd;
}

int xt_resolve_dir(int rootfd, const char *dir, bool create, const xt_dir_hooks *h, int *ret_fd,
                   char **ret_rel, err_t *e)
{
        _cleanup_free_ char *p = plain(dir);
        if (p) {
                int pfd = open_plain(rootfd, p);
                if (pfd >= 0) {
                        if (ret_fd)
                                *ret_fd = pfd;
                        else
                                close(pfd);
                        if (ret_rel)
                                *ret_rel = steal_pointer(&p);
                        return 0;
                }
        }
        int links = 0;
        _cleanup_free_ char *todo = xstrdup(dir);
        _cleanup_sb_ strbuf cur = {0}; /* resolved, no symlinks, no leading slash */
        sb_append(&cur, "");
        _cleanup_close_ int fd = open_root(rootfd, e);
        if (fd < 0)
                return fd;
        size_t pos = 0;
        for (;;) {
                while (todo[pos] == '/')
                        pos++;
                if (!todo[pos])
                        break;
                const char *c = todo + pos;
                size_t cl = strcspn(c, "/");
                _cleanup_free_ char *comp = xstrndup(c, cl);
                pos += cl;
                if (!strcmp(comp, "."))
                        continue;
                if (!strcmp(comp, "..")) {
                        if (!cur.len)
                                continue; /* ".." at the root is the root */
                        /* cur has no symlinks: its parent is the lexical one. */
                        int nfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (nfd < 0)
                                return err_sys(e, errno, "\"%s/..\"", cur.s);
                        close(fd);
                        fd = nfd;
                        char *slash = strrchr(cur.s, '/');
                        cur.len = slash ? (size_t)(slash - cur.s) : 0;
                        cur.s[cur.len] = '\0';
                        continue;
                }
                struct stat st;
                if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT || !create)
                                return err_sys(e, errno, "\"%s%s%s\"", cur.s, cur.len ? "/" : "",
                                               comp);
                        if (h && h->touch)
                                h->touch(h->ud, fd, cur.s);
                        if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
                                return err_sys(e, errno, "\"%s%s%s\": mkdir", cur.s,
                                               cur.len ? "/" : "", comp);
                        if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return err_sys(e, errno, "\"%s%s%s\"", cur.s, cur.len ? "/" : "",
                                               comp);
                        if (h && h->made && S_ISDIR(st.st_mode)) {
                                _cleanup_free_ char *made =
                                        cur.len ? xasprintf("%s/%s", cur.s, comp) : xstrdup(comp);
                                h->made(h->ud, made);
                        }
                }
                if (S_ISLNK(st.st_mode)) {
                        if (++links > XT_MAX_LINKS)
                                return err_set(e, -ELOOP,
                                               "\"%s\": too many levels of symbolic links", dir);
                        char target[PATH_MAX];
                        ssize_t tl = readlinkat(fd, comp, target, sizeof target - 1);
                        if (tl < 0)
                                return err_sys(e, errno, "\"%s/%s\"", cur.s, comp);
                        target[tl] = '\0';
                        if (!tl)
                                return err_set(e, -ENOENT, "\"%s%s%s\": empty symlink", cur.s,
                                               cur.len ? "/" : "", comp);
                        /* The target replaces the component; what is left
                         * of the path follows it. */
                        char *rest = xasprintf("%s/%s", target, todo + pos);
                        free(todo);
                        todo = rest;
                        pos = 0;
                        if (target[0] == '/') {
                                close(fd);
                                fd = open_root(rootfd, e);
                                if (fd < 0)
                                        return fd;
                                cur.len = 0;
                                cur.s[0] = '\0';
                        }
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (!create)
                                return err_set(e, -ENOTDIR, "\"%s%s%s\": not a directory", cur.s,
                                               cur.len ? "/" : "", comp);
                        /* A file where a directory is wanted: the directory
                         * wins, as it would in an overlay. */
                        if (h && h->touch)
                                h->touch(h->ud, fd, cur.s);
                        if (unlinkat(fd, comp, 0) < 0 || mkdirat(fd, comp, 0755) < 0)
                                return err_sys(e, errno, "\"%s%s%s\"", cur.s, cur.len ? "/" : "",
                                               comp);
                        if (h && h->made) {
                                _cleanup_free_ char *made =
                                        cur.len ? xasprintf("%s/%s", cur.s, comp) : xstrdup(comp);
                                h->made(h->ud, made);
                        }
                }
                int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return err_sys(e, errno, "\"%s%s%s\"", cur.s, cur.len ? "/" : "", comp);
                close(fd);
                fd = nfd;
                if (cur.len)
                        sb_append(&cur, "/");
                sb_append(&cur, comp);
        }
        if (ret_fd)
                *ret_fd = steal_fd(&fd);
        if (ret_rel)
                *ret_rel = sb_steal(&cur);
        return 0;
}

static int dir_in_root(int rootfd, const char *path, bool create, int *ret_fd, char **ret_path,
                       err_t *e)
{
        _cleanup_free_ char *rel = NULL;
        int r = xt_resolve_dir(rootfd, path, create, NULL, ret_fd, ret_path ? &rel : NULL, e);
        if (r < 0)
                return r;
        if (ret_path)
                *ret_path = xasprintf("/%s", rel);
        return 0;
}

int xt_mkdir_in_root(int rootfd, const char *path, int *ret_fd, char **ret_path, err_t *e)
{
        return dir_in_root(rootfd, path, true, ret_fd, ret_path, e);
}

int xt_open_dir_in_root(int rootfd, const char *path, int *ret_fd, char **ret_path, err_t *e)
{
        return dir_in_root(rootfd, path, false, ret_fd, ret_path, e);
}
