/* The shared cache: directory resolution and trust, locks, index, trees,
 * staging and per-run dirs. Records are in record.c, the kept layers of
 * runroot --name in names.c, the areas of other modules in area.c, gc in
 * gc.c and gc-areas.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

const char *const store_kind_dirs[STORE_KIND_MAX] = {
        [STORE_KIND_ROOTFS] = "layers/rootfs/sha256",
        [STORE_KIND_OCI] = "layers/oci/sha256",
};

static const char *const kind_names[STORE_KIND_MAX] = {
        [STORE_KIND_ROOTFS] = "rootfs",
        [STORE_KIND_OCI] = "oci",
};

static const char *const entry_names[STORE_ENTRY_MAX] = {
        [STORE_ENTRY_ROOTFS] = "rootfs",
        [STORE_ENTRY_STACK] = "stack",
};

/* Unpacked trees hold the images' setuid files: only the owner may reach
 * them (as docker keeps /var/lib/docker private), or any local user could
 * run an image's setuid-root shell on the host. Nothing is writable by
 * anyone but the owner; a new cache's root is 0700 so that nobody else
 * can even take its locks. */
static const struct {
        const char *name;
        mode_t mode;
} store_dirs[] = {
        {"blobs", 0755},
        {"blobs/sha256", 0755},
        {"layers", 0700},
        {"layers/rootfs", 0700},
        {"layers/rootfs/sha256", 0700},
        {"layers/oci", 0700},
        {"layers/oci/sha256", 0700},
        {"index", 0755},
        {"stacks", 0755},
        {"steps", 0755},
        {"names", 0700},
        {"tmp", 0700},
        {"runs", 0700},
        {"locks", 0700},
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

/* ---- trust ---------------------------------------------------------------- */

int store_trust_stat(const struct stat *st, const char *path, mode_t type, err_t *e)
{
        if (type && (st->st_mode & S_IFMT) != type)
                return err_set(e, -EPERM, "%s: %s: refusing to use the cache", path,
                               S_ISLNK(st->st_mode) ? "a symbolic link"
                               : type == S_IFDIR    ? "not a directory"
                                                    : "not a regular file");
        if (st->st_uid != geteuid())
                return err_set(e, -EPERM,
                               "%s: owned by uid %u, not by the caller (uid %u): refusing to use "
                               "the cache",
                               path, (unsigned)st->st_uid, (unsigned)geteuid());
        if (st->st_mode & 022)
                return err_set(e, -EPERM,
                               "%s: writable by %s (mode %04o): refusing to use the cache", path,
                               st->st_mode & 002 ? "others" : "its group",
                               (unsigned)(st->st_mode & 07777));
        return 0;
}

int store_open_checked(store *s, const char *rel, int flags, mode_t mode, mode_t type, err_t *e)
{
        int fd = openat(s->fd, rel, flags | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0) {
                int saved = errno;
                struct stat st;
                if ((saved == ELOOP || saved == ENOTDIR) &&
                    fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        return err_set(e, -ELOOP,
                                       "%s/%s: a symbolic link: refusing to use the cache", s->root,
                                       rel);
                return err_sys(e, saved, "%s/%s", s->root, rel);
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int saved = errno;
                close(fd);
                return err_sys(e, saved, "%s/%s", s->root, rel);
        }
        _cleanup_free_ char *p = path_join(s->root, rel);
        int r = store_trust_stat(&st, p, type, e);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* The directories above the cache: root's or the caller's, and writable by
 * nobody else unless sticky (/tmp), or whoever may write one could move the
 * cache aside and put another in its place. */
static int trust_ancestor(const struct stat *st, const char *path, err_t *e)
{
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return err_set(e, -EPERM,
                               "%s: owned by uid %u, not by root or the caller: refusing to use "
                               "the cache below it",
                               path, (unsigned)st->st_uid);
        if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
                return err_set(e, -EPERM,
                               "%s: writable by %s (mode %04o): refusing to use the cache below it",
                               path, st->st_mode & 002 ? "others" : "its group",
                               (unsigned)(st->st_mode & 07777));
        return 0;
}

/* Open the real path one component at a time, never following a symlink,
 * checking each directory on the way, then the cache root itself. */
static int open_root(const char *real, int *ret_fd, err_t *e)
{
        _cleanup_close_ int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "/");
        _cleanup_free_ char *todo = xstrdup(real);
        _cleanup_sb_ strbuf cur = {0};
        struct stat st;
        char *save = NULL;
        for (char *c = strtok_r(todo, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (fstat(fd, &st) < 0)
                        return err_sys(e, errno, "%s", cur.len ? cur.s : "/");
                int r = trust_ancestor(&st, cur.len ? cur.s : "/", e);
                if (r < 0)
                        return r;
                sb_appendf(&cur, "/%s", c);
                int nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return err_sys(e, errno, "%s", cur.s);
                close(fd);
                fd = nfd;
        }
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", real);
        int r = store_trust_stat(&st, real, S_IFDIR, e);
        if (r < 0)
                return r;
        *ret_fd = steal_fd(&fd);
        return 0;
}

int store_area_make(store *s, const char *name, mode_t mode, err_t *e)
{
        /* The common case first: it is there. Checked with one fstatat
         * (not followed, as the openat with O_NOFOLLOW was, and with the
         * same checks), not opened: what uses it opens it itself; a warm
         * run checks 14 areas, and opening each cost two calls more. */
        struct stat st;
        if (fstatat(s->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno != ENOENT)
                        return err_sys(e, errno, "%s/%s", s->root, name);
                if (mkdirat(s->fd, name, mode) == 0) {
                        if (fchmodat(s->fd, name, mode, 0) < 0) /* past umask */
                                return err_sys(e, errno, "%s/%s: chmod", s->root, name);
                } else if (errno != EEXIST)
                        return err_sys(e, errno, "%s/%s", s->root, name);
                if (fstatat(s->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return err_sys(e, errno, "%s/%s", s->root, name);
        }
        _cleanup_free_ char *p = path_join(s->root, name);
        return store_trust_stat(&st, p, S_IFDIR, e);
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
        /* What is missing is made private; what exists is checked below. */
        struct stat st;
        if (stat(root, &st) < 0) {
                int r = fs_mkdir_p_at(AT_FDCWD, root, 0700, e);
                if (r < 0)
                        return err_prefix(e, "cache");
        }
        char real[PATH_MAX];
        if (!realpath(root, real))
                return err_sys(e, errno, "cache %s", root);
        _cleanup_close_ int fd = -1;
        int r = open_root(real, &fd, e);
        if (r < 0)
                return r;
        store *s = xcalloc(1, sizeof *s);
        s->root = xstrdup(real);
        s->fd = steal_fd(&fd);
        for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++) {
                r = store_area_make(s, store_dirs[i].name, store_dirs[i].mode, e);
                if (r < 0) {
                        store_free(s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

void store_free(store *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->held.n; i++)
                close(s->held_fds[i]);
        free(s->held_fds);
        strv_free(&s->held);
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

/* ---- names, keys, locks ----------------------------------------------------- */

bool store_name_ok(const char *n)
{
        if (!n || !*n || strlen(n) >= STORE_NAME_MAX || n[0] == '.')
                return false;
        for (const char *p = n; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
                      ('0' <= *p && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
                        return false;
        return true;
}

bool store_hex_ok(const char *h)
{
        if (!h || strlen(h) != DIGEST_HEX_LEN)
                return false;
        for (const char *p = h; *p; p++)
                if (!(('0' <= *p && *p <= '9') || ('a' <= *p && *p <= 'f')))
                        return false;
        return true;
}

static int lock_take(store *s, const char *name, int how, bool wait, int *ret_fd, err_t *e)
{
        if (!store_name_ok(name))
                return err_set(e, -EINVAL, "lock \"%s\": bad name", name ? name : "");
        _cleanup_free_ char *rel = xasprintf("locks/%s.lock", name);
        _cleanup_close_ int fd = store_open_checked(s, rel, O_RDWR | O_CREAT, 0600, S_IFREG, e);
        if (fd < 0)
                return fd;
        while (flock(fd, how | (wait ? 0 : LOCK_NB)) < 0) {
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

int store_lock(store *s, const char *name, bool wait, int *ret_fd, err_t *e)
{
        return lock_take(s, name, LOCK_EX, wait, ret_fd, e);
}

int store_lock_shared(store *s, const char *name, bool wait, int *ret_fd, err_t *e)
{
        return lock_take(s, name, LOCK_SH, wait, ret_fd, e);
}

void store_lock_remove(store *s, const char *name)
{
        if (!store_name_ok(name))
                return;
        _cleanup_free_ char *rel = xasprintf("locks/%s.lock", name);
        unlinkat(s->fd, rel, 0);
}

int store_hold_lock(store *s, const char *name, int *ret_fd, err_t *e)
{
        /* gc removes a lock file only while it holds it exclusively, after
         * the thing it guards is gone: a lock taken on a removed file
         * guards nothing, so take the new one. */
        for (int tries = 0; tries < 64; tries++) {
                _cleanup_close_ int fd = -1;
                int r = lock_take(s, name, LOCK_SH, true, &fd, e);
                if (r < 0)
                        return r;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return err_sys(e, errno, "%s/locks/%s.lock", s->root, name);
                if (st.st_nlink == 0)
                        continue;
                *ret_fd = steal_fd(&fd);
                return 0;
        }
        return err_set(e, -EAGAIN, "%s/locks/%s.lock: removed again and again", s->root, name);
}

bool store_holds(const store *s, const char *name)
{
        return strv_contains(&s->held, name);
}

void store_held_add(store *s, const char *name, int fd)
{
        s->held_fds = xreallocarray(s->held_fds, s->held.n + 1, sizeof *s->held_fds);
        s->held_fds[s->held.n] = fd;
        strv_push(&s->held, name);
}

char *store_tree_lock_name(store_kind k, const char *digest)
{
        return xasprintf("tree-%s-%s", kind_names[k], digest);
}

char *store_stack_lock_name(const char *name)
{
        return xasprintf("stack-%s", name);
}

/* ---- index -------------------------------------------------------------------- */

int store_file_key(int fd, char ret_key[STORE_KEY_MAX], err_t *e)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "stat");
        /* Identity plus everything a rewrite changes: a file replaced or
         * edited in place gets a new key and is unpacked anew. Plain text,
         * no hashing: a warm start should not even load a digest. v2: the
         * entry says what the file was unpacked as (v1 entries could name
         * a tree of either kind). */
        snprintf(ret_key, STORE_KEY_MAX, "v2-%llx-%llx-%llx-%llx.%lx-%llx.%lx",
                 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                 (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
                 (unsigned long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ctim.tv_sec,
                 (unsigned long)st.st_ctim.tv_nsec);
        return 0;
}

bool store_key_ok(const char *k)
{
        if (!k || strncmp(k, "v2-", 3) != 0 || strlen(k) >= STORE_KEY_MAX)
                return false;
        for (const char *p = k + 3; *p; p++)
                if (!(('0' <= *p && *p <= '9') || ('a' <= *p && *p <= 'f') || *p == '-' ||
                      *p == '.'))
                        return false;
        return true;
}

static int entry_parse(const char *buf, store_entry *ret_what, char ret_name[STORE_NAME_MAX])
{
        for (int w = 0; w < STORE_ENTRY_MAX; w++) {
                size_t n = strlen(entry_names[w]);
                if (strncmp(buf, entry_names[w], n) != 0 || buf[n] != ' ')
                        continue;
                const char *name = buf + n + 1;
                size_t len = strcspn(name, "\n");
                if (name[len] != '\n' || name[len + 1] != '\0' || len >= STORE_NAME_MAX)
                        return -ENOENT;
                char tmp[STORE_NAME_MAX];
                memcpy(tmp, name, len);
                tmp[len] = '\0';
                if (w == STORE_ENTRY_ROOTFS ? !store_hex_ok(tmp) : !store_name_ok(tmp))
                        return -ENOENT;
                *ret_what = (store_entry)w;
                memcpy(ret_name, tmp, len + 1);
                return 0;
        }
        return -ENOENT;
}

static int index_read_fd(store *s, const char *key, bool mark, store_entry *ret_what,
                         char ret_name[STORE_NAME_MAX], err_t *e)
{
        if (!store_key_ok(key))
                return err_set(e, -EINVAL, "index: bad key");
        char rel[16 + STORE_KEY_MAX];
        snprintf(rel, sizeof rel, "index/%s", key);
        _cleanup_close_ int fd = store_open_checked(s, rel, O_RDONLY | O_NONBLOCK, 0, S_IFREG, e);
        if (fd < 0)
                return fd;
        char buf[STORE_NAME_MAX + 16];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return err_set(e, -ENOENT, "%s/%s: empty", s->root, rel);
        buf[n] = '\0';
        if (entry_parse(buf, ret_what, ret_name) < 0)
                return err_set(e, -ENOENT, "%s/%s: not an index entry", s->root, rel);
        if (mark)
                futimens(fd, NULL);
        return 0;
}

int store_index_read(store *s, const char *key, store_entry *ret_what,
                     char ret_name[STORE_NAME_MAX], err_t *e)
{
        return index_read_fd(s, key, false, ret_what, ret_name, e);
}

int store_index_get(store *s, const char *key, store_entry *ret_what, char ret_name[STORE_NAME_MAX],
                    err_t *e)
{
        /* Absent is no error: e stays untouched (runroot prints a message
         * left in it even when the run succeeds). */
        err_t e2 = {0};
        int r = index_read_fd(s, key, true, ret_what, ret_name, &e2);
        if (r == -EINVAL || r == -ENOENT)
                return -ENOENT;
        if (r < 0 && e)
                *e = e2;
        return r;
}

int store_index_put(store *s, const char *key, store_entry what, const char *name, err_t *e)
{
        if (!store_key_ok(key) || what >= STORE_ENTRY_MAX ||
            (what == STORE_ENTRY_ROOTFS ? !store_hex_ok(name) : !store_name_ok(name)))
                return err_set(e, -EINVAL, "index: bad key or name");
        char rel[16 + STORE_KEY_MAX];
        snprintf(rel, sizeof rel, "index/%s", key);
        _cleanup_free_ char *line = xasprintf("%s %s\n", entry_names[what], name);
        int r = fs_write_atomic_at(s->fd, rel, line, strlen(line), 0644, e);
        return r < 0 ? err_prefix(e, "%s", s->root) : 0;
}

/* ---- blobs and trees -------------------------------------------------------- */

char *store_blob_path(const store *s, const char *digest)
{
        return xasprintf("%s/blobs/sha256/%s", s->root, digest);
}

char *store_tree_path(const store *s, store_kind k, const char *digest)
{
        return xasprintf("%s/%s/%s", s->root, store_kind_dirs[k], digest);
}

bool store_tree_exists(const store *s, store_kind k, const char *digest)
{
        if (k >= STORE_KIND_MAX || !store_hex_ok(digest))
                return false;
        _cleanup_free_ char *rel = xasprintf("%s/%s", store_kind_dirs[k], digest);
        struct stat st;
        return fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int store_tree_list(store *s, store_kind k, strv *ret)
{
        if (k >= STORE_KIND_MAX)
                return -EINVAL;
        _cleanup_strv_ strv all = {0};
        int r = store_list(s, store_kind_dirs[k], &all);
        for (size_t i = 0; i < all.n; i++)
                if (store_hex_ok(all.v[i]))
                        strv_push(ret, all.v[i]);
        return r;
}

/* The tree is there, a real directory (its owner and mode are the image's
 * root entry's; its area is private), and its use time is now: the mtime
 * of its lock file, so that the tree itself never changes. */
static int tree_mark(store *s, store_kind k, const char *digest, int lock_fd, err_t *e)
{
        _cleanup_free_ char *rel = xasprintf("%s/%s", store_kind_dirs[k], digest);
        _cleanup_close_ int fd =
                openat(s->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int saved = errno;
                if (saved == ENOENT)
                        return -ENOENT;
                if (saved == ELOOP || saved == ENOTDIR)
                        return err_set(e, -EPERM,
                                       "%s/%s: a symbolic link, not a directory: refusing to use "
                                       "the cache",
                                       s->root, rel);
                return err_sys(e, saved, "%s/%s", s->root, rel);
        }
        if (lock_fd >= 0)
                futimens(lock_fd, NULL);
        return 0;
}

int store_tree_used(store *s, store_kind k, const char *digest, time_t *ret)
{
        if (k >= STORE_KIND_MAX || !store_hex_ok(digest))
                return -EINVAL;
        _cleanup_free_ char *rel = xasprintf("%s/%s", store_kind_dirs[k], digest);
        _cleanup_free_ char *name = store_tree_lock_name(k, digest);
        _cleanup_free_ char *lrel = xasprintf("locks/%s.lock", name);
        struct stat st, lst;
        if (fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (fstatat(s->fd, lrel, &lst, AT_SYMLINK_NOFOLLOW) == 0 && lst.st_mtime > st.st_mtime)
                st.st_mtime = lst.st_mtime;
        *ret = st.st_mtime;
        return 0;
}

int store_tree_hold(store *s, store_kind k, const char *digest, err_t *e)
{
        if (k >= STORE_KIND_MAX || !store_hex_ok(digest))
                return err_set(e, -EINVAL, "tree: bad digest");
        _cleanup_free_ char *name = store_tree_lock_name(k, digest);
        if (store_holds(s, name))
                return store_tree_exists(s, k, digest) ? 0 : -ENOENT;
        int fd = -1;
        int r = store_hold_lock(s, name, &fd, e);
        if (r < 0)
                return r;
        r = tree_mark(s, k, digest, fd, e);
        if (r < 0) {
                close(fd);
                return r;
        }
        store_held_add(s, name, fd);
        return 0;
}

/* ---- staging ---------------------------------------------------------------- */

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
        if (!area || (strcmp(area, "tmp") && strcmp(area, "runs")))
                return err_set(e, -EINVAL, "scratch: no area \"%s\"", area ? area : "");
        _cleanup_close_ int afd =
                store_open_checked(s, area, O_RDONLY | O_DIRECTORY, 0, S_IFDIR, e);
        if (afd < 0)
                return afd;
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

int store_tree_publish(store *s, store_scratch *sc, store_kind k, const char *digest, err_t *e)
{
        if (k >= STORE_KIND_MAX || !store_hex_ok(digest)) {
                store_scratch_remove(s, sc, NULL);
                return err_set(e, -EINVAL, "publish: bad digest");
        }
        /* Held before it becomes visible: no gc can take it between the
         * rename and the caller's use. */
        _cleanup_free_ char *name = store_tree_lock_name(k, digest);
        int lfd = -1;
        if (!store_holds(s, name)) {
                int r = store_hold_lock(s, name, &lfd, e);
                if (r < 0) {
                        store_scratch_remove(s, sc, NULL);
                        return r;
                }
        }
        _cleanup_free_ char *from = xasprintf("%s/%s", sc->area, sc->id);
        _cleanup_free_ char *to = xasprintf("%s/%s", store_kind_dirs[k], digest);
        /* The tree is world-readable inside its private area; its staging
         * dir was private. */
        int r = 0;
        if (fchmodat(s->fd, from, 0755, 0) < 0) {
                r = err_sys(e, errno, "%s/%s: chmod", s->root, from);
                store_scratch_remove(s, sc, NULL);
        } else if (renameat(s->fd, from, s->fd, to) == 0) {
                scratch_unlock_file(s, sc);
                scratch_free(sc);
        } else {
                int saved = errno;
                if ((saved == EEXIST || saved == ENOTEMPTY) && store_tree_exists(s, k, digest))
                        r = store_scratch_remove(s, sc, e);
                else {
                        store_scratch_remove(s, sc, NULL);
                        r = err_sys(e, saved, "%s/%s: publish", s->root, to);
                }
        }
        if (r == 0)
                r = tree_mark(s, k, digest, lfd, e);
        if (lfd >= 0) {
                if (r == 0)
                        store_held_add(s, name, lfd);
                else
                        close(lfd);
        }
        return r;
}

int store_list(store *s, const char *rel, strv *ret)
{
        _cleanup_close_ int dfd =
                openat(s->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        _cleanup_strv_ strv all = {0};
        int r = fs_list_dir_at(dfd, ".", &all);
        if (r < 0)
                return r;
        for (size_t i = 0; i < all.n; i++)
                if (all.v[i][0] != '.')
                        strv_push(ret, all.v[i]);
        return 0;
}
