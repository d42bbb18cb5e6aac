/* The areas other modules keep files in (cache.h's store_area), their
 * use marks, the root's markers, and blobs made through the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

const char *const store_area_dirs[STORE_AREA_MAX] = {
        [STORE_AREA_RUNS] = "runs",
        [STORE_AREA_SECCOMP] = "seccomp",
        [STORE_AREA_APT] = "apt",
        [STORE_AREA_APT_DEBS] = "apt/sha256",
        [STORE_AREA_APT_PARTIAL] = "apt/partial",
        [STORE_AREA_APT_TMP] = "apt/tmp",
        [STORE_AREA_APT_IMAGES] = "apt/images",
        [STORE_AREA_APT_BASES] = "apt/bases",
        [STORE_AREA_BASES] = "bases",
        [STORE_AREA_PULLED] = "pulled",
};

static const char *const marker_names[STORE_MARKER_MAX] = {
        [STORE_MARKER_OVERLAY_REFUSED] = "overlay-refused",
};

int store_area_dir(store *s, store_area a, char **ret_path, err_t *e)
{
        if ((unsigned)a >= STORE_AREA_MAX)
                return err_set(e, -EINVAL, "cache area %d: no such area", (int)a);
        const char *rel = store_area_dirs[a];
        const char *slash = strchr(rel, '/');
        if (slash) {
                _cleanup_free_ char *parent = xstrndup(rel, (size_t)(slash - rel));
                int r = store_area_make(s, parent, 0755, e);
                if (r < 0)
                        return r;
        }
        int r = store_area_make(s, rel, a == STORE_AREA_RUNS ? 0700 : 0755, e);
        if (r < 0)
                return r;
        if (ret_path)
                *ret_path = path_join(s->root, rel);
        return 0;
}

static int area_key_rel(store *s, store_area a, const char *key, char **ret_rel, err_t *e)
{
        if ((unsigned)a < STORE_AREA_MAX && !store_name_ok(key))
                return err_set(e, -EINVAL, "cache area %s: bad key \"%s\"", store_area_dirs[a],
                               key ? key : "");
        int r = store_area_dir(s, a, NULL, e);
        if (r < 0)
                return r;
        *ret_rel = xasprintf("%s/%s", store_area_dirs[a], key);
        return 0;
}

int store_area_path(store *s, store_area a, const char *key, char **ret_path, err_t *e)
{
        _cleanup_free_ char *rel = NULL;
        int r = area_key_rel(s, a, key, &rel, e);
        if (r < 0)
                return r;
        *ret_path = path_join(s->root, rel);
        return 0;
}

int store_area_open(store *s, store_area a, const char *key, int flags, mode_t mode, int *ret_fd,
                    err_t *e)
{
        _cleanup_free_ char *rel = NULL;
        int r = area_key_rel(s, a, key, &rel, e);
        if (r < 0)
                return r;
        int fd = store_open_checked(s, rel, flags, mode, S_IFREG, e);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

char *store_area_use_name(store_area a, const char *key)
{
        _cleanup_free_ char *area = xstrdup(store_area_dirs[a]);
        for (char *c = area; *c; c++)
                if (*c == '/')
                        *c = '-';
        return xasprintf("locks/use-%s--%s", area, key);
}

int store_area_mark_used(store *s, store_area a, const char *key)
{
        if ((unsigned)a >= STORE_AREA_MAX || !store_name_ok(key))
                return -EINVAL;
        /* Beside the file, not on it: a base's times are part of its
         * index key (store_file_key), and touching them would make it
         * new to the next build. */
        _cleanup_free_ char *rel = store_area_use_name(a, key);
        _cleanup_close_ int fd =
                store_open_checked(s, rel, O_WRONLY | O_CREAT, 0600, S_IFREG, NULL);
        if (fd < 0)
                return fd;
        return futimens(fd, NULL) < 0 ? -errno : 0;
}

/* ---- bases: the suites mkroot fetch keeps ---------------------------------- */

/* STEM.tar or STEM.tar.EXT (EXT: letters and digits), so never a copy
 * being published (STEM.tar.gz.tmp-PID) nor another suite's file. */
static bool base_name_is(const char *name, const char *stem)
{
        size_t n = strlen(stem);
        if (strncmp(name, stem, n) || strncmp(name + n, ".tar", 4))
                return false;
        const char *ext = name + n + 4;
        if (!*ext)
                return true;
        if (*ext++ != '.' || !*ext)
                return false;
        for (; *ext; ext++)
                if (!((*ext >= 'a' && *ext <= 'z') || (*ext >= '0' && *ext <= '9')))
                        return false;
        return true;
}

/* The newest file of the area named STEM.tar[.EXT]: 0 and its name,
 * -ENOENT, or an error when the area is not trusted. */
static int base_in_area(store *s, store_area a, const char *stem, char **ret_key, err_t *e)
{
        int dfd = store_open_checked(s, store_area_dirs[a], O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
        if (dfd == -ENOENT) {
                err_clear(e);
                return -ENOENT;
        }
        if (dfd < 0)
                return dfd;
        _cleanup_close_ int dirfd = dfd;
        _cleanup_strv_ strv names = {0};
        int r = fs_list_dir_at(dirfd, ".", &names);
        if (r < 0)
                return err_sys(e, -r, "%s/%s", s->root, store_area_dirs[a]);
        const char *best = NULL;
        struct timespec best_t = {0};
        for (size_t i = 0; i < names.n; i++) {
                struct stat st;
                if (!base_name_is(names.v[i], stem) ||
                    fstatat(dirfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!best || st.st_mtim.tv_sec > best_t.tv_sec ||
                    (st.st_mtim.tv_sec == best_t.tv_sec && st.st_mtim.tv_nsec > best_t.tv_nsec)) {
                        best = names.v[i];
                        best_t = st.st_mtim;
                }
        }
        if (!best)
                return -ENOENT;
        *ret_key = xstrdup(best);
        return 0;
}

int store_base_find(store *s, const char *suite, char **ret_path, err_t *e)
{
        if (!store_name_ok(suite))
                return -ENOENT;
        static const store_area areas[] = {STORE_AREA_BASES, STORE_AREA_APT_BASES};
        _cleanup_free_ char *with_arch = xasprintf("%s_%s", suite, host_deb_arch());
        const char *stems[] = {with_arch, suite};
        for (size_t a = 0; a < ARRAY_SIZE(areas); a++)
                for (size_t i = 0; i < ARRAY_SIZE(stems); i++) {
                        _cleanup_free_ char *key = NULL;
                        int r = base_in_area(s, areas[a], stems[i], &key, e);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return r;
                        /* The file is checked as every file of an area is. */
                        _cleanup_free_ char *rel =
                                xasprintf("%s/%s", store_area_dirs[areas[a]], key);
                        int fd = store_open_checked(s, rel, O_RDONLY, 0, S_IFREG, e);
                        if (fd < 0)
                                return fd;
                        close(fd);
                        store_area_mark_used(s, areas[a], key);
                        *ret_path = path_join(s->root, rel);
                        return 0;
                }
        return -ENOENT;
}

char *store_marker_path(const store *s, store_marker m)
{
        return path_join(s->root, (unsigned)m < STORE_MARKER_MAX ? marker_names[m] : "marker");
}

/* ---- blobs ---------------------------------------------------------------- */

int store_blob_tmp(store *s, char **ret_tmp, int *ret_fd, err_t *e)
{
        char *tmp = xasprintf("%s/blobs/sha256/.tmp-%d-XXXXXX", s->root, (int)getpid());
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                int r = err_sys(e, errno, "%s", tmp);
                free(tmp);
                return r;
        }
        *ret_tmp = tmp;
        *ret_fd = fd;
        return 0;
}

int store_blob_publish(store *s, const char *tmp, int fd, const char *digest, err_t *e)
{
        int r = 0;
        if (!store_hex_ok(digest))
                r = err_set(e, -EINVAL, "blob: bad digest");
        else if (fchmod(fd, 0644) < 0)
                r = err_sys(e, errno, "%s: chmod", tmp);
        if (r == 0) {
                _cleanup_free_ char *dst = store_blob_path(s, digest);
                if (rename(tmp, dst) < 0)
                        r = err_sys(e, errno, "%s", dst);
        }
        if (r < 0)
                unlink(tmp);
        return r;
}
