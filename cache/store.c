/* The shared cache: directory resolution, locks, index, layers, staging
 * and per-run dirs, gc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"

struct store {
        char *root;
        int fd;
};

/* Unpacked trees hold the images' setuid files: only the owner may reach
 * them (as docker keeps /var/lib/docker private), or any local user could
 * run an image's setuid-root shell on the host. */
static const struct {
        const char *name;
        mode_t mode;
} store_dirs[] = {
        {"blobs", 0755},         {"blobs/sha256", 0755}, {"layers", 0700},
        {"layers/sha256", 0700}, {"index", 0755},        {"names", 0700},
        {"tmp", 0700},           {"runs", 0700},         {"locks", 0755},
};

char *store_default_dir(void)
{
        const char *env = getenv("MKROOT_CACHE");
        if (env && *env)
                return xstrdup(env);
        if (geteuid() == 0)
                return xstrdup("/var/cache/mkroot");
        const char *xdg = getenv("XDG_CACHE_HOME");
        if (xdg && xdg[0] == '/')
                return path_join(xdg, "mkroot");
        const char *home = getenv("HOME");
        if (!home || home[0] != '/') {
                struct passwd *pw = getpwuid(geteuid());
                home = pw ? pw->pw_dir : "/tmp";
        }
        return xasprintf("%s/.cache/mkroot", home);
}

int store_open(const char *dir, store **ret, err_t *e)
{
        _cleanup_free_ char *root = dir ? xstrdup(dir) : store_default_dir();
        if (root[0] != '/') {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof cwd))
                        return err_sys(e, errno, "getcwd");
                char *abs = path_join(cwd, root);
                free(root);
                root = abs;
        }
        int r = fs_mkdir_p_at(AT_FDCWD, root, 0755, e);
        if (r < 0)
                return err_prefix(e, "cache");
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "cache %s", root);
        for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++) {
                if (mkdirat(fd, store_dirs[i].name, store_dirs[i].mode) == 0)
                        fchmodat(fd, store_dirs[i].name, store_dirs[i].mode, 0); /* past umask */
                else if (errno != EEXIST)
                        return err_sys(e, errno, "cache %s/%s", root, store_dirs[i].name);
        }
        store *s = xcalloc(1, sizeof *s);
        s->root = steal_pointer(&root);
        s->fd = steal_fd(&fd);
        *ret = s;
        return 0;
}

void store_free(store *s)
{
        if (!s)
                return;
        if (s->fd >= 0)
                close(s->fd);
        free(s->root);
        free(s);
}

const char *store_root(const store *s)
{
        return s->root;
}
int store_dirfd(const store *s)
{
        return s->fd;
}

static bool name_ok(const char *n)
{
        if (!n || !*n || strlen(n) > 200 || n[0] == '.')
                return false;
        for (const char *p = n; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
                      ('0' <= *p && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
                        return false;
        return true;
}

int store_lock(store *s, const char *name, bool wait, int *ret_fd, err_t *e)
{
        if (!name_ok(name))
                return err_set(e, -EINVAL, "lock \"%s\": bad name", name);
        _cleanup_free_ char *rel = xasprintf("locks/%s.lock", name);
        _cleanup_close_ int fd =
                openat(s->fd, rel, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return err_sys(e, errno, "%s/%s", s->root, rel);
        while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
                if (errno == EINTR)
                        continue;
                if (errno == EWOULDBLOCK)
                        return err_set(e, -EWOULDBLOCK, "%s/%s: locked by another process", s->root,
                                       rel);
                return err_sys(e, errno, "%s/%s: flock", s->root, rel);
        }
        *ret_fd = steal_fd(&fd);
        return 0;
}

int store_file_key(int fd, char ret_key[STORE_KEY_MAX], err_t *e)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "stat");
        /* Identity plus everything a rewrite changes: a file replaced or
         * edited in place gets a new key and is unpacked anew. Plain text,
         * no hashing: a warm start should not even load a digest. */
        snprintf(ret_key, STORE_KEY_MAX, "v1-%llx-%llx-%llx-%llx.%lx-%llx.%lx",
                 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                 (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
                 (unsigned long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ctim.tv_sec,
                 (unsigned long)st.st_ctim.tv_nsec);
        return 0;
}

static bool key_ok(const char *k)
{
        if (!k || strncmp(k, "v1-", 3) != 0 || strlen(k) >= STORE_KEY_MAX)
                return false;
        for (const char *p = k + 3; *p; p++)
                if (!(('0' <= *p && *p <= '9') || ('a' <= *p && *p <= 'f') || *p == '-' ||
                      *p == '.'))
                        return false;
        return true;
}

static bool hex_ok(const char *h)
{
        if (!h || strlen(h) != DIGEST_HEX_LEN)
                return false;
        for (const char *p = h; *p; p++)
                if (!(('0' <= *p && *p <= '9') || ('a' <= *p && *p <= 'f')))
                        return false;
        return true;
}

int store_index_get(store *s, const char *key, char ret_digest[DIGEST_HEX_LEN + 1])
{
        if (!key_ok(key))
                return -EINVAL;
        char rel[16 + STORE_KEY_MAX];
        snprintf(rel, sizeof rel, "index/%s", key);
        char buf[DIGEST_HEX_LEN + 2];
        _cleanup_close_ int fd = openat(s->fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n != DIGEST_HEX_LEN + 1 || buf[DIGEST_HEX_LEN] != '\n')
                return -ENOENT;
        buf[DIGEST_HEX_LEN] = '\0';
        if (!hex_ok(buf))
                return -ENOENT;
        memcpy(ret_digest, buf, DIGEST_HEX_LEN + 1);
        return 0;
}

int store_index_put(store *s, const char *key, const char *digest, err_t *e)
{
        if (!key_ok(key) || !hex_ok(digest))
                return err_set(e, -EINVAL, "index: bad key or digest");
        char rel[16 + STORE_KEY_MAX];
        snprintf(rel, sizeof rel, "index/%s", key);
        char line[DIGEST_HEX_LEN + 2];
        snprintf(line, sizeof line, "%s\n", digest);
        int r = fs_write_atomic_at(s->fd, rel, line, DIGEST_HEX_LEN + 1, 0644, e);
        return r < 0 ? err_prefix(e, "%s", s->root) : 0;
}

char *store_blob_path(const store *s, const char *digest)
{
        return xasprintf("%s/blobs/sha256/%s", s->root, digest);
}

char *store_layer_path(const store *s, const char *digest)
{
        return xasprintf("%s/layers/sha256/%s", s->root, digest);
}

bool store_layer_exists(const store *s, const char *digest)
{
        if (!hex_ok(digest))
                return false;
        char rel[32 + DIGEST_HEX_LEN];
        snprintf(rel, sizeof rel, "layers/sha256/%s", digest);
        struct stat st;
        return fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Make AREA/ID.lock already flock'd when it becomes visible, so that gc
 * can never take a live owner's lock in the window between create and
 * flock. */
static int lock_file_new(int areafd, const char *name, int *ret_fd)
{
        _cleanup_close_ int fd = openat(areafd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0) {
                if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return -errno;
                char proc[64];
                snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
                if (linkat(AT_FDCWD, proc, areafd, name, AT_SYMLINK_FOLLOW) < 0)
                        return -errno;
                *ret_fd = steal_fd(&fd);
                return 0;
        }
        /* No O_TMPFILE on this file system: a gc running in the instant
         * between create and flock could take the lock; accept that. */
        fd = openat(areafd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return -errno;
        *ret_fd = steal_fd(&fd);
        return 0;
}

int store_scratch_new(store *s, const char *area, store_scratch **ret, err_t *e)
{
        _cleanup_close_ int afd =
                openat(s->fd, area, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (afd < 0)
                return err_sys(e, errno, "%s/%s", s->root, area);
        for (int tries = 0; tries < 16; tries++) {
                uint32_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                        rnd = (uint32_t)rand();
                _cleanup_free_ char *id = xasprintf("%d-%08x", (int)getpid(), rnd);
                _cleanup_free_ char *lock = xasprintf("%s.lock", id);
                int lfd = -1;
                int r = lock_file_new(afd, lock, &lfd);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return err_sys(e, -r, "%s/%s/%s", s->root, area, lock);
                if (mkdirat(afd, id, 0700) < 0) {
                        int saved = errno;
                        unlinkat(afd, lock, 0);
                        close(lfd);
                        if (saved == EEXIST)
                                continue;
                        return err_sys(e, saved, "%s/%s/%s", s->root, area, id);
                }
                store_scratch *sc = xcalloc(1, sizeof *sc);
                sc->path = xasprintf("%s/%s/%s", s->root, area, id);
                sc->area = xstrdup(area);
                sc->id = steal_pointer(&id);
                sc->lock_fd = lfd;
                *ret = sc;
                return 0;
        }
        return err_set(e, -EEXIST, "%s/%s: cannot make a unique directory", s->root, area);
}

static void scratch_free(store_scratch *sc)
{
        if (sc->lock_fd >= 0)
                close(sc->lock_fd);
        free(sc->path);
        free(sc->area);
        free(sc->id);
        free(sc);
}

static void scratch_unlock_file(store *s, store_scratch *sc)
{
        _cleanup_free_ char *lock = xasprintf("%s/%s.lock", sc->area, sc->id);
        unlinkat(s->fd, lock, 0);
}

int store_scratch_remove(store *s, store_scratch *sc, err_t *e)
{
        if (!sc)
                return 0;
        _cleanup_free_ char *rel = xasprintf("%s/%s", sc->area, sc->id);
        int r = fs_rm_rf_at(s->fd, rel, e);
        if (r == 0)
                scratch_unlock_file(s, sc);
        scratch_free(sc);
        return r;
}

int store_layer_publish(store *s, store_scratch *sc, const char *digest, err_t *e)
{
        if (!hex_ok(digest)) {
                store_scratch_remove(s, sc, NULL);
                return err_set(e, -EINVAL, "publish: bad digest");
        }
        _cleanup_free_ char *from = xasprintf("%s/%s", sc->area, sc->id);
        _cleanup_free_ char *to = xasprintf("layers/sha256/%s", digest);
        /* The layer dir is world-readable; its staging dir was private. */
        fchmodat(s->fd, from, 0755, 0);
        if (renameat(s->fd, from, s->fd, to) < 0) {
                int saved = errno;
                if ((saved == EEXIST || saved == ENOTEMPTY) && store_layer_exists(s, digest))
                        return store_scratch_remove(s, sc, e);
                store_scratch_remove(s, sc, NULL);
                return err_sys(e, saved, "%s/%s: publish", s->root, to);
        }
        scratch_unlock_file(s, sc);
        scratch_free(sc);
        return 0;
}

int store_name_open(store *s, const char *name, char **ret_path, int *ret_lock_fd, err_t *e)
{
        if (!name_ok(name))
                return err_set(e, -EINVAL, "--name \"%s\": use letters, digits, '-', '_', '.'",
                               name);
        _cleanup_free_ char *lock = xasprintf("names/%s.lock", name);
        _cleanup_close_ int fd =
                openat(s->fd, lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return err_sys(e, errno, "%s/%s", s->root, lock);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK
                               ? err_set(e, -EBUSY, "--name %s: in use by another run", name)
                               : err_sys(e, errno, "%s/%s", s->root, lock);
        _cleanup_free_ char *rel = xasprintf("names/%s", name);
        if (mkdirat(s->fd, rel, 0700) < 0 && errno != EEXIST)
                return err_sys(e, errno, "%s/%s", s->root, rel);
        *ret_path = xasprintf("%s/%s", s->root, rel);
        *ret_lock_fd = steal_fd(&fd);
        return 0;
}

static int gc_area(store *s, const char *area, unsigned *removed, err_t *e)
{
        _cleanup_close_ int afd =
                openat(s->fd, area, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (afd < 0)
                return err_sys(e, errno, "%s/%s", s->root, area);
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

static void gc_index(store *s, unsigned *removed)
{
        int dfd = openat(s->fd, "index", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return;
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!key_ok(de->d_name)) {
                        /* fs_write_atomic_at's leftovers from a crash */
                        if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
                            strcmp(de->d_name, "..") == 0)
                                continue;
                        struct stat st;
                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISREG(st.st_mode) && st.st_mtime + 60 < time(NULL) &&
                            unlinkat(dirfd(d), de->d_name, 0) == 0)
                                (*removed)++;
                        continue;
                }
                char dg[DIGEST_HEX_LEN + 1];
                if (store_index_get(s, de->d_name, dg) < 0 || !store_layer_exists(s, dg)) {
                        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                                (*removed)++;
                }
        }
}

int store_gc(store *s, bool full, unsigned *ret_removed, err_t *e)
{
        unsigned removed = 0;
        int r1 = gc_area(s, "runs", &removed, e);
        int r2 = gc_area(s, "tmp", &removed, e);
        if (full)
                gc_index(s, &removed);
        if (ret_removed)
                *ret_removed = removed;
        return r1 < 0 ? r1 : r2;
}
