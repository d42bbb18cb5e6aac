/* gc of the areas other modules keep files in (store_area): seccomp
 * filters, the fetcher's apt/ and the bases. Nothing references these
 * files; they are caches of what a compile or a fetch gives again, so
 * they go by generation and by age of use (cache.h says which). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define DAY 86400

/* The first n bytes of s are lowercase hex digits. */
static bool hex_n_prefix(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!(('0' <= s[i] && s[i] <= '9') || ('a' <= s[i] && s[i] <= 'f')))
                        return false;
        return true;
}

static bool hex_n(const char *s, size_t n)
{
        return strlen(s) == n && hex_n_prefix(s, n);
}

/* Last use of AREA/NAME: the latest of its mtime, its atime (reads update
 * it at least daily under relatime) and its use mark. -1 when it cannot
 * be seen. */
static time_t used_at(store *s, store_area a, int dfd, const char *name)
{
        struct stat st, mst;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -1;
        time_t t = st.st_atime > st.st_mtime ? st.st_atime : st.st_mtime;
        _cleanup_free_ char *mark = store_area_use_name(a, name);
        if (fstatat(s->fd, mark, &mst, AT_SYMLINK_NOFOLLOW) == 0 && mst.st_mtime > t)
                t = mst.st_mtime;
        return t;
}

static int area_fd(store *s, store_area a)
{
        return openat(s->fd, store_area_dirs[a], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool rm_entry(int dfd, const char *name)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) == 0;
        err_t e = {0};
        return fs_rm_rf_at(dfd, name, &e) == 0;
}

/* Dot-named regular files at least min_age old: the temporary files of an
 * atomic write or of a blob being made, left by a crash. */
static void dot_leftovers(int dfd, time_t min_age, unsigned *n)
{
        int fd = dup(dfd);
        if (fd < 0)
                return;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        time_t now = time(NULL);
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                struct stat st;
                if (name[0] != '.' || !strcmp(name, ".") || !strcmp(name, "..") ||
                    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
                    st.st_mtime + min_age > now)
                        continue;
                if (unlinkat(dfd, name, 0) == 0)
                        (*n)++;
        }
}

void store_gc_dot_leftovers(store *s, const char *rel, time_t min_age, unsigned *n)
{
        int dfd = openat(s->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return;
        dot_leftovers(dfd, min_age, n);
        close(dfd);
}

/* Remove from area a what keep() refuses; 'keep' sees the name and the
 * last use. */
typedef bool (*keep_fn)(const char *name, time_t used, const void *ctx);

static void prune(store *s, store_area a, keep_fn keep, const void *ctx, unsigned *n)
{
        _cleanup_close_ int dfd = area_fd(s, a);
        if (dfd < 0)
                return;
        _cleanup_strv_ strv names = {0};
        store_list(s, store_area_dirs[a], &names);
        for (size_t i = 0; i < names.n; i++) {
                time_t used = used_at(s, a, dfd, names.v[i]);
                if (used < 0 || keep(names.v[i], used, ctx))
                        continue;
                if (rm_entry(dfd, names.v[i])) {
                        (*n)++;
                        if (store_name_ok(names.v[i])) {
                                _cleanup_free_ char *mark = store_area_use_name(a, names.v[i]);
                                unlinkat(s->fd, mark, 0);
                        }
                }
        }
        dot_leftovers(dfd, DAY, n);
}

typedef struct window {
        int keep_days;
        time_t cut;
        const char *gen; /* seccomp only */
} window;

static bool recent(time_t used, const window *w)
{
        return w->keep_days < 0 || used > w->cut;
}

/* seccomp/GEN-CAPS and seccomp/GEN-CAPS-PROFILE (runner/seccomp-cache.c):
 * GEN and PROFILE are 8 hex digits, CAPS 16. Names of another form are of
 * an older runroot's format. */
static bool keep_seccomp(const char *name, time_t used, const void *ctx)
{
        const window *w = ctx;
        if (w->gen) {
                size_t gl = strlen(w->gen);
                if (strncmp(name, w->gen, gl) || name[gl] != '-')
                        return false;
                const char *caps = name + gl + 1;
                size_t cl = strlen(caps);
                if (cl == 16 + 1 + 8 && caps[16] == '-') {
                        if (!hex_n(caps + 17, 8))
                                return false;
                        cl = 16;
                }
                if (cl != 16 || !hex_n_prefix(caps, 16))
                        return false;
        }
        return recent(used, w);
}

static bool keep_by_use(const char *name, time_t used, const void *ctx)
{
        (void)name;
        return recent(used, ctx);
}

/* images/HEX and bases/: anything else there is a copy an interrupted
 * fetch left (publish_copy's DST.tmp-PID); only run under apt/lock. */
static bool keep_published(const char *name, time_t used, const void *ctx)
{
        if (strstr(name, ".tmp-"))
                return false;
        return recent(used, ctx);
}

/* pulled/HEX.tar (registry/): anything else is not of this format. */
static bool keep_pulled(const char *name, time_t used, const void *ctx)
{
        if (strlen(name) != DIGEST_HEX_LEN + 4 || strcmp(name + DIGEST_HEX_LEN, ".tar") != 0)
                return false;
        char hex[DIGEST_HEX_LEN + 1];
        memcpy(hex, name, DIGEST_HEX_LEN);
        hex[DIGEST_HEX_LEN] = 0;
        return hex_n(hex, DIGEST_HEX_LEN) && recent(used, ctx);
}

/* partial/ and tmp/: what a fetch removes when it starts (bootstrap's
 * remove_stale): everything but resumable downloads (partial/HEX), and
 * those too once not touched within the window. */
static bool keep_partial(const char *name, time_t used, const void *ctx)
{
        const window *w = ctx;
        return hex_n(name, DIGEST_HEX_LEN) && (w->keep_days < 0 || used > w->cut);
}

static void gc_apt(store *s, const window *w, store_gc_stats *st)
{
        if (faccessat(s->fd, store_area_dirs[STORE_AREA_APT], F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
            faccessat(s->fd, store_area_dirs[STORE_AREA_BASES], F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return;
        /* A running fetch holds apt/lock exclusively from start to end
         * (bootstrap.c); take it so that none starts meanwhile. */
        err_t e = {0};
        _cleanup_close_ int lfd = -1;
        if (store_area_open(s, STORE_AREA_APT, "lock", O_RDWR | O_CREAT, 0644, &lfd, &e) < 0 ||
            flock(lfd, LOCK_EX | LOCK_NB) < 0) {
                st->busy++;
                return;
        }
        prune(s, STORE_AREA_APT_PARTIAL, keep_partial, w, &st->apt);
        prune(s, STORE_AREA_APT_TMP, keep_partial, &(window){.keep_days = 0, .cut = 0}, &st->apt);
        prune(s, STORE_AREA_APT_DEBS, keep_by_use, w, &st->apt);
        prune(s, STORE_AREA_APT_IMAGES, keep_published, w, &st->apt);
        prune(s, STORE_AREA_APT_BASES, keep_published, w, &st->apt);
        prune(s, STORE_AREA_BASES, keep_published, w, &st->bases);
}

/* Use marks whose file is gone (removed by hand, or replaced under
 * another name). */
static void orphan_marks(store *s, store_gc_stats *st)
{
        _cleanup_strv_ strv locks = {0};
        store_list(s, "locks", &locks);
        for (size_t i = 0; i < locks.n; i++) {
                if (strncmp(locks.v[i], "use-", 4))
                        continue;
                for (int a = 0; a < STORE_AREA_MAX; a++) {
                        _cleanup_free_ char *pre = store_area_use_name((store_area)a, "");
                        size_t pl = strlen(pre) - strlen("locks/");
                        if (strncmp(locks.v[i], pre + strlen("locks/"), pl))
                                continue;
                        _cleanup_free_ char *rel =
                                xasprintf("%s/%s", store_area_dirs[a], locks.v[i] + pl);
                        _cleanup_free_ char *mark = xasprintf("locks/%s", locks.v[i]);
                        if (faccessat(s->fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
                            errno == ENOENT && unlinkat(s->fd, mark, 0) == 0)
                                st->leftovers++;
                        break;
                }
        }
}

void store_gc_areas(store *s, const store_gc_opts *o, time_t cut, store_gc_stats *st)
{
        window w = {.keep_days = o ? o->keep_days : -1, .cut = cut};
        window sw = w;
        sw.gen = o ? o->seccomp_generation : NULL;
        prune(s, STORE_AREA_SECCOMP, keep_seccomp, &sw, &st->seccomp);
        gc_apt(s, &w, st);
        prune(s, STORE_AREA_PULLED, keep_pulled, &w, &st->pulled);
        orphan_marks(s, st);
}
