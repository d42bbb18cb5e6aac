/* pack: a directory tree as it is (no dependency scan) into a stage or an
 * image — for bootstrapped roots and layers. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"

static int walk(stage *s, const char *dest, const char *host, dev_t dev, err_t *e)
{
        _cleanup_close_ int fd = open(host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", host);
        _cleanup_strv_ strv names = {0};
        int rd = fs_list_dir_at(fd, ".", &names);
        if (rd < 0)
                return err_sys(e, -rd, "%s: reading directory", host);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *ch = path_join(host, names.v[i]);
                _cleanup_free_ char *cd = path_join(dest, names.v[i]);
                struct stat st;
                if (lstat(ch, &st) < 0)
                        return err_sys(e, errno, "%s", ch);
                if (S_ISSOCK(st.st_mode))
                        continue; /* sockets are not files an image can carry */
                int r = stage_add_host(s, cd, ch, e);
                if (r < 0)
                        return r;
                /* A mount point below the tree (e.g. a /proc left mounted)
                 * is not part of it. */
                if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
                        r = walk(s, cd, ch, dev, e);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int build_stage_tree(stage *s, const char *dest, const char *host_dir, err_t *e)
{
        struct stat st;
        if (lstat(host_dir, &st) < 0)
                return err_sys(e, errno, "%s", host_dir);
        if (!S_ISDIR(st.st_mode))
                return err_set(e, -ENOTDIR, "%s: not a directory", host_dir);
        if (strcmp(dest, "/") && strcmp(dest, "")) {
                int r = stage_add_host(s, dest, host_dir, e);
                if (r < 0)
                        return r;
        }
        return walk(s, dest, host_dir, st.st_dev, e);
}

int build_pack_dir(const char *dir, const char *out_path, const image_opts *o, err_t *e)
{
        stage *s = stage_new();
        int r = build_stage_tree(s, "/", dir, e);
        if (r == 0)
                r = image_write(s, out_path, o, e);
        stage_free(s);
        return r;
}
