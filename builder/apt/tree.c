/* Tree helpers for the bootstrap: the merged-/usr layout per architecture,
 * and files placed into the tree. */
#include <fcntl.h>
#include <string.h>

#include "apt.h"

/* Top-level directories that are symlinks into /usr on a merged-/usr
 * system, per architecture (the multilib ones only where they exist). */
void apt_merged_dirs(const char *arch, strv *out)
{
        static const struct {
                const char *arch, *extra;
        } map[] = {
                {"amd64", "lib32 lib64 libx32"},
                {"i386", "lib64 libx32"},
                {"ppc64el", "lib64"},
                {"s390x", "lib32"},
                {"mips64el", "lib32 lib64 libo32"},
                {"riscv64", ""},
                {"arm64", ""},
                {"armhf", ""},
        };
        strv_push(out, "bin");
        strv_push(out, "sbin");
        strv_push(out, "lib");
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (!strcmp(map[i].arch, arch)) {
                        _cleanup_free_ char *x = xstrdup(map[i].extra);
                        char *save = NULL;
                        for (char *w = strtok_r(x, " ", &save); w; w = strtok_r(NULL, " ", &save))
                                strv_push(out, w);
                }
}

/* Copy src to a new file dst, never a hardlink: what is placed in a tree
 * is written by the tree's own maintainer scripts, and images handed to
 * the user are edited; neither may change the cache's blob. */
int apt_copy_file(const char *src, const char *dst, err_t *e)
{
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return err_sys(e, errno, "%s", src);
        _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
                return err_sys(e, errno, "%s", dst);
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n < 0 &&
                    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                        break; /* across file systems, or not supported there */
                if (n < 0)
                        return err_sys(e, errno, "%s", dst);
        }
        /* From where copy_file_range stopped: both offsets moved along. */
        char buf[1 << 16];
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_sys(e, errno, "%s", src);
                if (n == 0)
                        return 0;
                int rc = fd_write_all(out, buf, (size_t)n);
                if (rc < 0)
                        return err_sys(e, -rc, "%s", dst);
        }
}

int apt_write_file(const char *root, const char *rel, const char *content, err_t *e)
{
        /* The tree may hold links planted by a package (etc/apt -> /etc):
         * everything is resolved inside it, never as root + "/" + rel. */
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_free_ char *d = path_dirname(rel);
        int rc = fs_mkdir_p_in_root(rootfd, d, 0755, e);
        if (rc < 0)
                return err_prefix(e, "%s", root);
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int pfd = fs_open_parent_in_root(rootfd, rel, &name, e);
        if (pfd < 0)
                return err_prefix(e, "%s", root);
        rc = fs_write_atomic_at(pfd, name, content, strlen(content), 0644, e);
        if (rc < 0)
                return err_prefix(e, "%s: %s", root, rel);
        return 0;
}
