/* names/: the kept writable layers of runroot --name. names/NAME/ is the
 * layer (its files are the runner's), names/NAME.lock is flock'd
 * exclusively by the run using it for as long as it runs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NAME_MAX_LEN 200

static bool name_valid(const char *name)
{
        return store_name_ok(name) && strlen(name) <= NAME_MAX_LEN;
}

static void nap_ms(long ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* flock names/NAME.lock (how: LOCK_EX or LOCK_SH, never waiting):
 * -EWOULDBLOCK when another process holds it, -ENOENT when the file is
 * absent and create is false. The lock taken is always on the file that
 * is at that path: store_name_remove unlinks it while holding it, and a
 * lock on an unlinked file would guard nothing. */
static int name_lock(store *s, const char *name, int how, bool create, int *ret_fd, err_t *e)
{
        _cleanup_free_ char *rel = xasprintf("names/%s.lock", name);
        for (int tries = 0; tries < 100; tries++) {
                _cleanup_close_ int fd = store_open_checked(
                        s, rel, create ? O_RDWR | O_CREAT : O_RDONLY, 0600, S_IFREG, e);
                if (fd < 0)
                        return fd;
                while (flock(fd, how | LOCK_NB) < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EWOULDBLOCK)
                                return -EWOULDBLOCK;
                        return err_sys(e, errno, "%s/%s: flock", s->root, rel);
                }
                struct stat held, now;
                if (fstat(fd, &held) < 0)
                        return err_sys(e, errno, "%s/%s", s->root, rel);
                int gone = fstatat(s->fd, rel, &now, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
                if (!gone && now.st_dev == held.st_dev && now.st_ino == held.st_ino) {
                        *ret_fd = steal_fd(&fd);
                        return 0;
                }
                if (gone == ENOENT && !create)
                        return -ENOENT;
        }
        return err_set(e, -EAGAIN, "%s/%s: removed again and again", s->root, rel);
}

/* Whether names/NAME/ is there (a directory): 0, -ENOENT, or another
 * negative errno with e filled. */
static int name_dir_exists(store *s, const char *name, err_t *e)
{
        _cleanup_free_ char *rel = xasprintf("names/%s", name);
        struct stat st;
        if (fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? -ENOENT : err_sys(e, errno, "%s/%s", s->root, rel);
        return S_ISDIR(st.st_mode) ? 0 : -ENOENT;
}

int store_name_open(store *s, const char *name, char **ret_path, int *ret_lock_fd, err_t *e)
{
        if (!name_valid(name))
                return err_set(e, -EINVAL, "--name \"%s\": use letters, digits, '-', '_', '.'",
                               name);
        _cleanup_close_ int fd = -1;
        int r;
        /* ps and rm hold the lock for a moment to look: wait that out. */
        for (int tries = 0;
             (r = name_lock(s, name, LOCK_EX, true, &fd, e)) == -EWOULDBLOCK && tries < 20; tries++)
                nap_ms(5);
        if (r == -EWOULDBLOCK)
                return err_set(e, -EBUSY, "--name %s: in use by another run", name);
        if (r < 0)
                return r;
        _cleanup_free_ char *rel = xasprintf("names/%s", name);
        if (mkdirat(s->fd, rel, 0700) < 0 && errno != EEXIST)
                return err_sys(e, errno, "%s/%s", s->root, rel);
        _cleanup_close_ int dfd = store_open_checked(s, rel, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
        if (dfd < 0)
                return dfd;
        *ret_path = xasprintf("%s/%s", s->root, rel);
        *ret_lock_fd = steal_fd(&fd);
        return 0;
}

int store_name_list(store *s, strv *ret, err_t *e)
{
        _cleanup_strv_ strv all = {0};
        int r = store_list(s, "names", &all);
        if (r < 0)
                return r == -ENOENT ? 0 : err_sys(e, -r, "%s/names", s->root);
        for (size_t i = 0; i < all.n; i++)
                if (name_valid(all.v[i]) && name_dir_exists(s, all.v[i], NULL) == 0)
                        strv_push(ret, all.v[i]);
        return 0;
}

int store_name_dir(store *s, const char *name, int *ret_fd, err_t *e)
{
        if (!name_valid(name) || name_dir_exists(s, name, NULL) < 0)
                return err_set(e, -ENOENT, "no such container: %s", name ? name : "");
        _cleanup_free_ char *rel = xasprintf("names/%s", name);
        int fd = store_open_checked(s, rel, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

int store_name_running(store *s, const char *name, bool *ret, err_t *e)
{
        if (!name_valid(name))
                return err_set(e, -ENOENT, "no such container: %s", name ? name : "");
        _cleanup_close_ int fd = -1;
        err_t e2 = {0};
        int r = name_lock(s, name, LOCK_SH, false, &fd, &e2);
        if (r == -EWOULDBLOCK || r == 0 || r == -ENOENT) {
                *ret = r == -EWOULDBLOCK;
                return 0;
        }
        if (e)
                *e = e2;
        return r;
}

int store_name_remove(store *s, const char *name, err_t *e)
{
        if (!name_valid(name))
                return err_set(e, -ENOENT, "no such container: %s", name ? name : "");
        int r = name_dir_exists(s, name, e);
        if (r == -ENOENT)
                return err_set(e, -ENOENT, "no such container: %s", name);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = -1;
        r = name_lock(s, name, LOCK_EX, true, &fd, e);
        if (r == -EWOULDBLOCK)
                return err_set(e, -EBUSY, "%s is running", name);
        if (r < 0)
                return r;
        /* Removed by another rm while this one waited for the lock. */
        r = name_dir_exists(s, name, e);
        if (r == -ENOENT)
                return err_set(e, -ENOENT, "no such container: %s", name);
        if (r < 0)
                return r;
        /* Out of sight first (listings skip dot names), so that a removal
         * that fails half-way leaves no layer a run or ps would take for
         * whole. */
        _cleanup_free_ char *rel = xasprintf("names/%s", name);
        _cleanup_free_ char *gone = xasprintf("names/.rm-%s", name);
        r = fs_rm_rf_at(s->fd, gone, e);
        if (r < 0)
                return err_prefix(e, "%s", s->root);
        if (renameat(s->fd, rel, s->fd, gone) < 0)
                return err_sys(e, errno, "%s/%s", s->root, rel);
        r = fs_rm_rf_at(s->fd, gone, e);
        if (r < 0)
                return err_prefix(e, "%s", s->root);
        _cleanup_free_ char *lock = xasprintf("names/%s.lock", name);
        if (unlinkat(s->fd, lock, 0) < 0 && errno != ENOENT)
                return err_sys(e, errno, "%s/%s", s->root, lock);
        return 0;
}
