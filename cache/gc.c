/* The one gc of runroot and mkroot. What references what: index entries
 * name rootfs trees and stacks, stacks name OCI trees, step records name
 * blobs. A run holds a shared lock on every tree (and on a stack it is
 * writing) from resolution to exit; gc removes a tree or a stack only
 * under the exclusive lock, and skips what it cannot lock. Builds hold the
 * "layers" lock shared; steps and blobs are left alone while one runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int gc_area(store *s, const char *area, unsigned *removed, err_t *e)
{
        _cleanup_close_ int afd =
                store_open_checked(s, area, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
        if (afd < 0)
                return afd;
        int dfd = dup(afd);
        if (dfd < 0)
                return err_sys(e, errno, "dup");
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return err_sys(e, errno, "%s/%s", s->root, area);
        }
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *n = de->d_name;
                if (n[0] == '.')
                        continue;
                size_t len = strlen(n);
                bool is_lock = len > 5 && !strcmp(n + len - 5, ".lock");
                _cleanup_free_ char *id = is_lock ? xstrndup(n, len - 5) : xstrdup(n);
                _cleanup_free_ char *lock = xasprintf("%s.lock", id);
                _cleanup_close_ int lfd = openat(afd, lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                if (lfd >= 0) {
                        if (flock(lfd, LOCK_EX | LOCK_NB) < 0)
                                continue; /* its owner is alive */
                        struct stat st;
                        if (fstat(lfd, &st) == 0 && st.st_nlink == 0)
                                continue; /* removed meanwhile */
                } else if (errno != ENOENT) {
                        continue;
                } else if (faccessat(afd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                        continue; /* both gone: removed with its sibling */
                }
                /* Owner dead (lock free) or never finished making its lock. */
                err_t e2 = {0};
                if (fs_rm_rf_at(afd, id, &e2) < 0) {
                        ret = err_set(e, e2.code, "%s/%s: %s", s->root, area, e2.msg);
                        continue;
                }
                if (lfd >= 0)
                        unlinkat(afd, lock, 0);
                (*removed)++;
        }
        return ret;
}

int store_gc_leftovers(store *s, unsigned *ret_removed, err_t *e)
{
        err_t e2 = {0};
        if (!e)
                e = &e2;
        unsigned removed = 0;
        int r1 = gc_area(s, "runs", &removed, e);
        int r2 = gc_area(s, "tmp", &removed, e);
        if (ret_removed)
                *ret_removed = removed;
        return r1 < 0 ? r1 : r2;
}

/* Remove rel (a directory when dir) under the exclusive lock NAME: 1 when
 * removed, 0 when someone holds it or it is gone, else a negative errno. */
static int remove_locked(store *s, const char *lock, const char *rel, bool dir, err_t *e)
{
        _cleanup_free_ char *lrel = xasprintf("locks/%s.lock", lock);
        _cleanup_close_ int fd = store_open_checked(s, lrel, O_RDWR | O_CREAT, 0600, S_IFREG, e);
        if (fd < 0)
                return fd;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return 0;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_nlink == 0)
                return 0;
        store_scratch *sc = NULL;
        int r = 0;
        if (dir) {
                /* Out of the way under the lock, removed after it: a run
                 * waiting for the lock then finds the tree missing. */
                r = store_scratch_new(s, "tmp", &sc, e);
                if (r < 0)
                        return r;
                _cleanup_free_ char *dead = xasprintf("tmp/%s/tree", sc->id);
                if (renameat(s->fd, rel, s->fd, dead) < 0)
                        r = errno == ENOENT ? 0 : err_sys(e, errno, "%s/%s", s->root, rel);
                else
                        r = 1;
        } else if (unlinkat(s->fd, rel, 0) < 0)
                r = errno == ENOENT ? 0 : err_sys(e, errno, "%s/%s", s->root, rel);
        else
                r = 1;
        if (r >= 0)
                unlinkat(s->fd, lrel, 0);
        close(steal_fd(&fd));
        if (sc) {
                err_t e2 = {0};
                if (store_scratch_remove(s, sc, &e2) < 0 && r >= 0)
                        r = err_set(e, e2.code, "%s", e2.msg);
        }
        return r;
}

/* Unpacked trees of format 1 still mounted by a container of an older
 * runroot (which took no locks). */
static bool mounted_anywhere(const char *path)
{
        _cleanup_closedir_ DIR *d = opendir("/proc");
        if (!d)
                return true;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                _cleanup_free_ char *mi = xasprintf("/proc/%s/mountinfo", de->d_name);
                _cleanup_free_ char *data = NULL;
                size_t len;
                err_t e = {0};
                if (fs_read_file_at(AT_FDCWD, mi, 16 << 20, &data, &len, &e) < 0)
                        continue;
                if (strstr(data, path))
                        return true;
        }
        return false;
}

static void gc_legacy(store *s, store_gc_stats *st)
{
        _cleanup_strv_ strv old = {0};
        if (store_list(s, "layers/sha256", &old) < 0)
                return;
        for (size_t i = 0; i < old.n; i++) {
                _cleanup_free_ char *rel = xasprintf("layers/sha256/%s", old.v[i]);
                _cleanup_free_ char *abs = path_join(s->root, rel);
                if (mounted_anywhere(abs))
                        continue;
                err_t e = {0};
                store_scratch *sc = NULL;
                if (store_scratch_new(s, "tmp", &sc, &e) < 0)
                        return;
                _cleanup_free_ char *dead = xasprintf("tmp/%s/tree", sc->id);
                if (renameat(s->fd, rel, s->fd, dead) == 0)
                        st->legacy++;
                store_scratch_remove(s, sc, &e);
        }
        if (unlinkat(s->fd, "layers/sha256", AT_REMOVEDIR) == 0)
                st->legacy++;
}

static bool aged(store *s, const char *rel, time_t cut)
{
        struct stat st;
        return fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime <= cut;
}

/* A stack whose record and every tree are there. */
static bool stack_whole(store *s, const char *name)
{
        _cleanup_strv_ strv refs = {0};
        if (store_record_get(s, STORE_RECORD_STACK, name, false, &refs, NULL, NULL) < 0)
                return false;
        for (size_t i = 0; i < refs.n; i++)
                if (!store_tree_exists(s, STORE_KIND_OCI, refs.v[i]))
                        return false;
        return true;
}

static void count(int r, unsigned *n, unsigned *busy)
{
        if (r > 0)
                (*n)++;
        else if (r == 0)
                (*busy)++;
}

/* One gc's window and what it found in use. */
typedef struct gc_run {
        store *s;
        int keep; /* days; -1: no window */
        time_t cut;
        store_gc_stats st;
        strmap *blobs_used;            /* blobs the step records name */
        strmap *trees[STORE_KIND_MAX]; /* trees the index and its stacks name */
        strmap *stacks;                /* stacks the index names */
        strv keys;                     /* the index entries */
} gc_run;

/* Step records not used within the window (builds idle only); the blobs
 * the others name into g->blobs_used. */
static void gc_steps(gc_run *g)
{
        store *s = g->s;
        err_t e2 = {0};
        _cleanup_strv_ strv steps = {0};
        store_record_list(s, STORE_RECORD_STEP, &steps, &e2);
        for (size_t i = 0; i < steps.n; i++) {
                _cleanup_free_ char *rel = xasprintf("steps/%s", steps.v[i]);
                if (g->keep >= 0 && aged(s, rel, g->cut)) {
                        if (unlinkat(s->fd, rel, 0) == 0)
                                g->st.steps++;
                        continue;
                }
                _cleanup_strv_ strv refs = {0};
                if (store_record_get(s, STORE_RECORD_STEP, steps.v[i], false, &refs, NULL, NULL) <
                    0) {
                        if (unlinkat(s->fd, rel, 0) == 0) /* not of this format */
                                g->st.steps++;
                        continue;
                }
                for (size_t k = 0; k < refs.n; k++)
                        strmap_put(g->blobs_used, refs.v[k], (void *)1);
        }
}

/* Marks: what the index names, and what those stacks name. */
static void gc_mark(gc_run *g)
{
        store *s = g->s;
        err_t e2 = {0};
        store_list(s, "index", &g->keys);
        for (size_t i = 0; i < g->keys.n; i++) {
                store_entry what;
                char name[STORE_NAME_MAX];
                if (store_index_read(s, g->keys.v[i], &what, name, &e2) < 0)
                        continue;
                if (what == STORE_ENTRY_ROOTFS) {
                        strmap_put(g->trees[STORE_KIND_ROOTFS], name, (void *)1);
                        continue;
                }
                strmap_put(g->stacks, name, (void *)1);
                _cleanup_strv_ strv refs = {0};
                if (store_record_get(s, STORE_RECORD_STACK, name, false, &refs, NULL, NULL) < 0)
                        continue;
                for (size_t k = 0; k < refs.n; k++)
                        strmap_put(g->trees[STORE_KIND_OCI], refs.v[k], (void *)1);
        }
}

/* Trees nothing names, or not used within the window: the last error, or
 * 0. */
static int gc_trees(gc_run *g, err_t *e)
{
        store *s = g->s;
        int ret_r = 0;
        for (int k = 0; k < STORE_KIND_MAX; k++) {
                _cleanup_strv_ strv names = {0};
                store_list(s, store_kind_dirs[k], &names);
                for (size_t i = 0; i < names.n; i++) {
                        if (!store_hex_ok(names.v[i]))
                                continue;
                        _cleanup_free_ char *rel =
                                xasprintf("%s/%s", store_kind_dirs[k], names.v[i]);
                        time_t used = 0;
                        bool old = g->keep >= 0 &&
                                   store_tree_used(s, (store_kind)k, names.v[i], &used) == 0 &&
                                   used <= g->cut;
                        if (strmap_has(g->trees[k], names.v[i]) && !old)
                                continue;
                        _cleanup_free_ char *lock = store_tree_lock_name((store_kind)k, names.v[i]);
                        int r = remove_locked(s, lock, rel, true, e);
                        if (r < 0)
                                ret_r = r;
                        count(r, &g->st.trees, &g->st.busy);
                }
        }
        return ret_r;
}

/* Stacks no index entry names (held while one is being written): the
 * last error, or 0. */
static int gc_stacks(gc_run *g, err_t *e)
{
        store *s = g->s;
        int ret_r = 0;
        _cleanup_strv_ strv stack_names = {0};
        store_list(s, "stacks", &stack_names);
        for (size_t i = 0; i < stack_names.n; i++) {
                if (strmap_has(g->stacks, stack_names.v[i]) && stack_whole(s, stack_names.v[i]))
                        continue;
                if (!store_name_ok(stack_names.v[i]))
                        continue;
                _cleanup_free_ char *rel = xasprintf("stacks/%s", stack_names.v[i]);
                _cleanup_free_ char *lock = store_stack_lock_name(stack_names.v[i]);
                int r = remove_locked(s, lock, rel, false, e);
                if (r < 0)
                        ret_r = r;
                count(r, &g->st.stacks, &g->st.busy);
        }
        return ret_r;
}

/* Index entries whose referents are gone, and format 1 entries; never
 * one whose referents are all there. */
static void gc_index(gc_run *g)
{
        store *s = g->s;
        err_t e2 = {0};
        for (size_t i = 0; i < g->keys.n; i++) {
                _cleanup_free_ char *rel = xasprintf("index/%s", g->keys.v[i]);
                store_entry what;
                char name[STORE_NAME_MAX];
                bool keep_it;
                if (store_index_read(s, g->keys.v[i], &what, name, &e2) < 0)
                        keep_it = false;
                else if (what == STORE_ENTRY_ROOTFS)
                        keep_it = store_tree_exists(s, STORE_KIND_ROOTFS, name);
                else
                        keep_it = stack_whole(s, name);
                if (!keep_it && unlinkat(s->fd, rel, 0) == 0)
                        g->st.index++;
        }
}

/* Blobs no step names (and, with a window, not used within it); builds
 * idle only. */
static void gc_blobs(gc_run *g)
{
        store *s = g->s;
        _cleanup_strv_ strv blobs = {0};
        store_list(s, "blobs/sha256", &blobs);
        for (size_t i = 0; i < blobs.n; i++) {
                if (strmap_has(g->blobs_used, blobs.v[i]))
                        continue;
                _cleanup_free_ char *rel = xasprintf("blobs/sha256/%s", blobs.v[i]);
                if ((g->keep < 0 || aged(s, rel, g->cut)) && unlinkat(s->fd, rel, 0) == 0)
                        g->st.blobs++;
        }
        /* store_blob_tmp's files of a build that crashed. */
        store_gc_dot_leftovers(s, "blobs/sha256", 86400, &g->st.leftovers);
}

/* The tree or stack a lock file (NAME.lock in locks/) is for, or NULL. */
static char *lock_item(const char *n)
{
        size_t len = strlen(n);
        if (len < 6 || strcmp(n + len - 5, ".lock"))
                return NULL;
        _cleanup_free_ char *lock = xstrndup(n, len - 5);
        char *item = NULL;
        if (!strncmp(lock, "stack-", 6))
                item = xasprintf("stacks/%s", lock + 6);
        for (int k = 0; k < STORE_KIND_MAX && !item; k++) {
                _cleanup_free_ char *pre = store_tree_lock_name((store_kind)k, "");
                if (!strncmp(lock, pre, strlen(pre)))
                        item = xasprintf("%s/%s", store_kind_dirs[k], lock + strlen(pre));
        }
        return item;
}

/* Lock files whose tree or stack is gone. */
static void gc_locks(store *s)
{
        _cleanup_strv_ strv locks = {0};
        store_list(s, "locks", &locks);
        for (size_t i = 0; i < locks.n; i++) {
                const char *n = locks.v[i];
                _cleanup_free_ char *item = lock_item(n);
                if (!item || faccessat(s->fd, item, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                        continue;
                _cleanup_free_ char *lrel = xasprintf("locks/%s", n);
                _cleanup_close_ int fd = openat(s->fd, lrel, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
                struct stat sb;
                if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 &&
                    sb.st_nlink > 0 && faccessat(s->fd, item, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        unlinkat(s->fd, lrel, 0);
        }
}

int store_gc(store *s, const store_gc_opts *o, store_gc_stats *ret, err_t *e)
{
        gc_run g = {.s = s, .keep = o ? o->keep_days : -1};
        g.cut = g.keep >= 0 ? time(NULL) - (time_t)g.keep * 86400 : 0;
        _cleanup_close_ int gc_lock = -1;
        int r = store_lock(s, "gc", true, &gc_lock, e);
        if (r < 0)
                return r;
        int ret_r = store_gc_leftovers(s, &g.st.leftovers, e);
        err_t e2 = {0};

        _cleanup_close_ int build_lock = -1;
        bool builds_idle = store_lock(s, "layers", false, &build_lock, &e2) == 0;
        g.blobs_used = strmap_new();
        if (builds_idle)
                gc_steps(&g);
        g.stacks = strmap_new();
        for (int k = 0; k < STORE_KIND_MAX; k++)
                g.trees[k] = strmap_new();
        gc_mark(&g);

        r = gc_trees(&g, e);
        if (r < 0)
                ret_r = r;
        r = gc_stacks(&g, e);
        if (r < 0)
                ret_r = r;
        gc_index(&g);
        /* fs_write_atomic_at's leftovers from a crash. */
        const char *atomic_dirs[] = {"index", "stacks", "steps"};
        for (size_t a = 0; a < ARRAY_SIZE(atomic_dirs); a++)
                store_gc_dot_leftovers(s, atomic_dirs[a], 60, &g.st.leftovers);
        if (builds_idle)
                gc_blobs(&g);
        gc_locks(s);

        gc_legacy(s, &g.st);
        store_gc_areas(s, o, g.cut, &g.st);
        for (int k = 0; k < STORE_KIND_MAX; k++)
                strmap_free(g.trees[k]);
        strmap_free(g.stacks);
        strmap_free(g.blobs_used);
        strv_free(&g.keys);
        if (ret)
                *ret = g.st;
        return ret_r;
}
