/* resolve: the resolver and its caches of the files and directories it
 * has looked at inside the root. Search paths are in resolve-search.c, the
 * dependency walk in resolve-walk.c. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "resolve-internal.h"

/* ---- construction -------------------------------------------------------- */

static void file_rec_free(void *p)
{
        file_rec *f = p;
        elf_info_free(f->elf);
        free(f);
}

int resolver_new(const resolver_opts *o, resolver **ret, err_t *e)
{
        resolver *r = xcalloc(1, sizeof *r);
        const char *root = o && o->root ? o->root : "/";
        r->root = xstrdup(root);
        r->host = !strcmp(root, "/");
        r->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->rootfd < 0) {
                int saved = errno;
                resolver_free(r);
                return err_sys(e, saved, "%s", root);
        }
        char cwd[4096];
        r->cwd = xstrdup(r->host && getcwd(cwd, sizeof cwd) ? cwd : "/");
        if (o && o->library_path)
                r->library_path = xstrdup(o->library_path);
        r->files = strmap_new_with_free(file_rec_free);
        r->dirs = strmap_new();
        err_t ce = {0};
        int fd = fs_open_in_root(r->rootfd, "/etc/ld.so.cache", O_RDONLY, 0, &ce);
        if (fd >= 0) {
                char fdpath[64];
                snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
                int rr = ldcache_load(AT_FDCWD, fdpath, &r->cache, &ce);
                close(fd);
                if (rr < 0) {
                        /* A broken cache is what ld.so ignores too; say so. */
                        log_warn("%s/etc/ld.so.cache: %s; using ld.so.conf", r->host ? "" : root,
                                 ce.msg);
                        r->cache = NULL;
                }
        }
        if (!r->cache)
                resolver_read_ldso_conf(r);
        cpu_caps_detect(&r->x86_64);
        *ret = r;
        return 0;
}

void resolver_free(resolver *r)
{
        if (!r)
                return;
        strmap_free(r->files);
        strmap_free(r->dirs);
        ldcache_free(r->cache);
        strv_free(&r->conf_dirs);
        strv_free(&r->x86_64.legacy);
        if (r->rootfd >= 0)
                close(r->rootfd);
        free(r->root);
        free(r->cwd);
        free(r->library_path);
        free(r);
}

bool resolver_used_cache(const resolver *r)
{
        return r->used_cache_outside_defaults;
}

/* ---- files --------------------------------------------------------------- */

/* The path to hand to fs_open_in_root: relative names are relative to the
 * caller's working directory on the host, to "/" inside another root. */
char *resolver_abs_path(const resolver *r, const char *path)
{
        if (path[0] == '/')
                return xstrdup(path);
        return path_join(r->cwd, path);
}

file_rec *resolver_load_file(resolver *r, const char *path)
{
        file_rec *f = strmap_get(r->files, path);
        if (f)
                return f;
        f = xcalloc(1, sizeof *f);
        strmap_put(r->files, path, f);
        _cleanup_free_ char *abs = resolver_abs_path(r, path);
        err_t e = {0};
        _cleanup_close_ int fd = fs_open_in_root(r->rootfd, abs, O_RDONLY | O_NOCTTY, 0, &e);
        if (fd < 0) {
                f->err = e.code ? e.code : -ENOENT;
                return f;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
                f->err = -errno;
                return f;
        }
        if (!S_ISREG(st.st_mode)) {
                f->err = -EBADFD; /* "not a regular file" */
                return f;
        }
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->err = elf_read_fd(fd, path, &f->elf, &e);
        if (f->err < 0)
                f->elf = NULL;
        return f;
}

int resolver_elf(resolver *r, const char *path, const elf_info **ret, err_t *e)
{
        file_rec *f = resolver_load_file(r, path);
        if (f->err == -EBADFD)
                return err_set(e, -EINVAL, "%s: not a regular file", path);
        if (f->err == -EINVAL || f->err == -ENOEXEC) {
                /* Parse again for the reader's precise message: not ELF,
                 * not a program (an object file), or not a valid one. */
                _cleanup_free_ char *abs = resolver_abs_path(r, path);
                _cleanup_close_ int fd = fs_open_in_root(r->rootfd, abs, O_RDONLY | O_NOCTTY, 0, e);
                if (fd < 0)
                        return e ? e->code : -ENOENT;
                elf_info *tmp = NULL;
                int rr = elf_read_fd(fd, path, &tmp, e);
                elf_info_free(tmp);
                if (rr < 0)
                        return rr;
        }
        if (f->err < 0)
                return err_sys(e, -f->err, "%s", path);
        *ret = f->elf;
        return 0;
}

bool resolver_dir_exists(resolver *r, const char *dir)
{
        void *v = strmap_get(r->dirs, dir);
        if (v)
                return v == (void *)1;
        _cleanup_free_ char *abs = resolver_abs_path(r, dir);
        int fd = fs_open_in_root(r->rootfd, abs, O_PATH | O_DIRECTORY, 0, NULL);
        if (fd >= 0)
                close(fd);
        strmap_put(r->dirs, dir, fd >= 0 ? (void *)1 : (void *)2);
        return fd >= 0;
}
