/* Making directories inside a tree as if it were "/": each component is
 * opened relative to the one before (never following a symlink out of
 * the tree), missing ones are made, symlinks are followed within the
 * tree. Iterative, so a path of thousands of components costs no stack. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define ROOTFS_MAX_HOPS 40

static int mkdir_p(int rootfd, const char *path, int *hops, char **ret, err_t *e);

/* Step from the resolved dir (fd, abs) into comp, making it when missing;
 * updates fd and abs in place. */
static int step(int rootfd, int *fd, strbuf *abs, const char *comp, int *hops, err_t *e)
{
        char *target = NULL;
        for (size_t sz = 256;; sz *= 2) {
                target = xrealloc(target, sz);
                ssize_t n = readlinkat(*fd, comp, target, sz);
                if (n < 0) {
                        free(target);
                        target = NULL;
                        break;
                }
                if ((size_t)n < sz) {
                        target[n] = '\0';
                        break;
                }
                if (sz > PATH_MAX) {
                        free(target);
                        return err_set(e, -ENAMETOOLONG, "\"%s\": symlink target too long", comp);
                }
        }
        if (target) {
                _cleanup_free_ char *tgt = target;
                if (++*hops > ROOTFS_MAX_HOPS)
                        return err_set(e, -ELOOP, "\"%s\": too many levels of symbolic links",
                                       comp);
                /* abs has no symlinks in it, so ".." in the target can be
                 * resolved lexically against it. */
                _cleanup_free_ char *joined = tgt[0] == '/' ? xstrdup(tgt) : path_join(abs->s, tgt);
                _cleanup_free_ char *res = NULL;
                int r = mkdir_p(rootfd, joined, hops, &res, e);
                if (r < 0)
                        return r;
                _cleanup_free_ char *rel = xasprintf(".%s", res);
                int nfd = openat(rootfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return err_sys(e, errno, "\"%s\"", res);
                close(*fd);
                *fd = nfd;
                sb_free(abs);
                sb_append(abs, res);
                return 0;
        }
        int nfd = openat(*fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT) {
                if (mkdirat(*fd, comp, 0755) < 0 && errno != EEXIST)
                        return err_sys(e, errno, "\"%s/%s\": mkdir", abs->s, comp);
                nfd = openat(*fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (nfd < 0)
                return err_sys(e, errno, "\"%s%s%s\"", abs->s, abs->len > 1 ? "/" : "", comp);
        close(*fd);
        *fd = nfd;
        if (abs->len > 1)
                sb_append(abs, "/");
        sb_append(abs, comp);
        return 0;
}

static int mkdir_p(int rootfd, const char *path, int *hops, char **ret, err_t *e)
{
        _cleanup_free_ char *norm = path_normalize(path[0] == '/' ? path : "/");
        if (path[0] != '/') {
                free(norm);
                _cleanup_free_ char *abs = xasprintf("/%s", path);
                norm = path_normalize(abs);
        }
        _cleanup_sb_ strbuf abs = {0};
        sb_append(&abs, "/");
        _cleanup_close_ int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "root");
        char *save = NULL;
        for (char *c = strtok_r(norm, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int r = step(rootfd, &fd, &abs, c, hops, e);
                if (r < 0)
                        return r;
        }
        *ret = sb_steal(&abs);
        return 0;
}

int rootfs_mkdir_p(int rootfd, const char *path, char **ret, err_t *e)
{
        int hops = 0;
        return mkdir_p(rootfd, path, &hops, ret, e);
}
