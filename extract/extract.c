/* The one extractor: entries from a libarchive reader written into a tree
 * with *at() calls relative to resolved directory fds (never the working
 * directory, so threads can unpack side by side), every status checked.
 * See extract.h for the rules. Regular files and the writer threads are
 * in write-files.c, the pgz path in read-pgz.c (xt-extract.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lazylib.h"
#include "pgz.h"
#include "unpack-reader.h"
#include "xt-extract.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

la_ssize_t unpack_reader_read(struct archive *a, void *ud, const void **ret)
{
        unpack_reader *r = ud;
        ssize_t n = r->pre_len ? (ssize_t)r->pre_len : fd_read(r->fd, r->buf, UNPACK_BUF);
        r->pre_len = 0;
        if (n < 0) {
                r->err = (int)-n;
                archive_set_error(a, r->err, "read");
                return -1;
        }
        if (r->dg && n > 0)
                lz_sha256_update(r->dg, r->buf, (size_t)n);
        *ret = r->buf;
        return n;
}

/* ---- directory modes and times, set at the end ---------------------------- */

typedef struct dir_time {
        bool has_mode, has_time;
        mode_t mode;
        struct timespec mtime;
} dir_time;

static dir_time *dt_get(strmap *m, const char *rel)
{
        const char *k = rel[0] ? rel : ".";
        dir_time *d = strmap_get(m, k);
        if (!d) {
                d = xcalloc(1, sizeof(*d));
                strmap_put(m, k, d);
        }
        return d;
}

/* Open rel below rootfd refusing every symlink on the way: a directory
 * recorded early may have been replaced by a symlink later in the
 * archive, and the kernel would follow that one out of the tree. */
static int open_dir_nofollow(int rootfd, const char *rel)
{
        if (!strcmp(rel, "."))
                return openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *p = rel;
        while (fd >= 0 && *p) {
                size_t cl = strcspn(p, "/");
                _cleanup_free_ char *comp = xstrndup(p, cl);
                p += cl;
                while (*p == '/')
                        p++;
                int flags = (*p ? O_PATH : O_RDONLY) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
                int nfd = openat(fd, comp, flags);
                close(fd);
                fd = nfd;
        }
        return steal_fd(&fd);
}

void xt_dir_times_apply(int rootfd, strmap *m)
{
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(m, &pos, &k, &v)) {
                dir_time *d = v;
                if (xt_test_hook)
                        xt_test_hook(rootfd, k);
                _cleanup_close_ int fd = open_dir_nofollow(rootfd, k);
                if (fd >= 0) {
                        /* Metadata only: the contents are complete, and a
                         * directory that vanished has nothing to set. */
                        if (d->has_mode)
                                (void)fchmod(fd, d->mode);
                        struct timespec ts[2] = {d->mtime, d->mtime};
                        if (d->has_time)
                                (void)futimens(fd, ts);
                }
                free(d);
        }
}

/* ---- one extraction ------------------------------------------------------- */

/* Control characters as '?': names from the archive, and libarchive's
 * words about them, never start a new line or steer a terminal. */
static void ctl_to_q(char *s)
{
        for (char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
}

/* log_warn or log_debug of a message that holds such text, as one line. */
void xt_log(log_level lv, const char *fmt, ...)
{
        if (log_get_level() < lv)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        int n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        ctl_to_q(m);
        if (lv == LOG_WARN)
                log_warn("%s", m);
        else
                log_debug("%s", m);
        free(m);
}

static void cache_drop(xt *x)
{
        free(x->last_dname);
        free(x->last_rel);
        x->last_dname = x->last_rel = NULL;
        if (x->last_fd >= 0)
                close(x->last_fd);
        x->last_fd = -1;
}

/* Remember a directory's time before its contents change, unless one is
 * recorded already (from its own entry or an earlier visit). */
static void hook_touch(void *ud, int dfd, const char *dir)
{
        xt *x = ud;
        if (x->o->no_times || x->o->no_dir_times || strmap_has(x->times, dir[0] ? dir : "."))
                return;
        struct stat st;
        if (fstatat(dfd, "", &st, AT_EMPTY_PATH) < 0 || !S_ISDIR(st.st_mode))
                return;
        dir_time *d = dt_get(x->times, dir);
        d->has_time = true;
        d->mtime = st.st_mtim;
}

/* A directory the archive did not list: time 0, so that the same archive
 * gives the same tree. */
static void hook_made(void *ud, const char *dir)
{
        xt *x = ud;
        if (x->o->no_times || x->o->no_dir_times)
                return;
        dir_time *d = dt_get(x->times, dir);
        d->has_time = true;
        d->mtime = (struct timespec){0};
}

/* The parent directory (dname, cleaned) as an fd the caller owns and its
 * resolved path. */
static int parent_open(xt *x, const char *dname, int *ret_fd, char **ret_rel, err_t *e)
{
        if (!x->last_dname || strcmp(x->last_dname, dname)) {
                cache_drop(x);
                int fd = -1;
                char *rel = NULL;
                int r = xt_resolve_dir(x->rootfd, dname, true, &x->hooks, &fd, &rel, e);
                if (r < 0)
                        return r;
                x->last_dname = xstrdup(dname);
                x->last_rel = rel;
                x->last_fd = fd;
        }
        int fd = fcntl(x->last_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return err_sys(e, errno, "dup");
        *ret_fd = fd;
        *ret_rel = xstrdup(x->last_rel);
        return 0;
}

static int clean_and_rewrite(xt *x, const char *label, const char *what, const char *raw,
                             bool entry, char **ret, err_t *e)
{
        _cleanup_free_ char *name = NULL;
        int r = xt_name_clean(label, what, raw, &name, e);
        if (r == 0 && entry && x->o->on_entry)
                x->o->on_entry(x->o->on_entry_ud, name);
        if (r < 0 || !name[0] || !x->o->rewrite) {
                *ret = r < 0 ? NULL : steal_pointer(&name);
                return r;
        }
        _cleanup_free_ char *nn = NULL;
        r = x->o->rewrite(x->o->rewrite_ud, name, &nn);
        if (r == 1 && entry) {
                *ret = NULL;
                return 1;
        }
        if (!nn) {
                *ret = steal_pointer(&name);
                return 0;
        }
        /* The caller's name passes the same rules. */
        return xt_name_clean(label, what, nn, ret, e);
}

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* the same number on every architecture */
#endif

void (*xt_test_hook)(int dfd, const char *name);

/* The mode of the node fd (O_PATH, not a symlink) refers to, never through
 * a name: fchmodat2 on the fd itself, else its /proc magic link (which is
 * the inode itself: no name is looked up, nothing is followed). Without
 * both, -EOPNOTSUPP: never a chmod that could follow a symlink. */
static int chmod_node(int fd, mode_t perm)
{
        if (syscall(__NR_fchmodat2, fd, "", perm, AT_EMPTY_PATH) == 0)
                return 0;
        /* No fchmodat2, or not AT_EMPTY_PATH, or a seccomp filter that
         * does not know it (EPERM): the magic link gives the same answer
         * when it is a real refusal. */
        if (errno != ENOSYS && errno != EINVAL && errno != ENOENT && errno != EPERM)
                return -errno;
        char p[48];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        if (chmod(p, perm) == 0)
                return 0;
        return errno == ENOENT ? -EOPNOTSUPP : -errno;
}

/* The same for a node that cannot be opened for writing (symlink, device,
 * fifo), made just now as type: everything goes through one O_PATH fd
 * opened without following, after checking that it is still what we made
 * (a parallel unpacker in the same tree may have replaced it by a symlink
 * meanwhile). A symlink has no mode. */
static int meta_at(xt *x, struct archive_entry *ae, int pfd, const char *base, const char *name,
                   mode_t type, err_t *e)
{
        _cleanup_close_ int fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s: entry \"%s\"", x->label, name);
        if ((st.st_mode & S_IFMT) != type)
                return err_set(e, -EEXIST, "%s: entry \"%s\": replaced while being unpacked",
                               x->label, name);
        if (x->o->owners != XT_OWNERS_CALLER &&
            fchownat(fd, "", (uid_t)archive_entry_uid(ae), (gid_t)archive_entry_gid(ae),
                     AT_EMPTY_PATH) < 0) {
                int r = xt_chown_err(x, errno, name, e);
                if (r < 0)
                        return r;
        }
        mode_t perm = archive_entry_perm(ae) & 07777;
        if (type != S_IFLNK && (fstat(fd, &st) < 0 || (st.st_mode & 07777) != perm)) {
                int r = chmod_node(fd, perm);
                if (r < 0)
                        return err_sys(e, -r, "%s: entry \"%s\": chmod", x->label, name);
        }
        struct timespec ts[2];
        ts[0].tv_sec = ts[1].tv_sec = archive_entry_mtime(ae);
        ts[0].tv_nsec = ts[1].tv_nsec = archive_entry_mtime_nsec(ae);
        if (x->o->no_times)
                return 0;
        int r = utimensat(fd, "", ts, AT_EMPTY_PATH);
        if (r < 0 && (errno == ENOENT || errno == EINVAL))
                /* A kernel without AT_EMPTY_PATH here: by name, which
                 * never follows a symlink either. */
                r = utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return err_sys(e, errno, "%s: entry \"%s\": times", x->label, name);
        return 0;
}

static int make_dir(xt *x, struct archive_entry *ae, int pfd, const char *base, const char *rel,
                    const char *name, err_t *e)
{
        if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
                return err_sys(e, errno, "%s: entry \"%s\": mkdir", x->label, name);
        if (xt_test_hook)
                xt_test_hook(pfd, base);
        _cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s: entry \"%s\"", x->label, name);
        int r = xt_meta_set(x, ae, fd, name, true, e);
        if (r < 0)
                return r;
        /* Mode and time once the entries below it are in. */
        dir_time *d = dt_get(x->times, rel);
        d->has_mode = true;
        d->mode = archive_entry_perm(ae) & 07777;
        if (!x->o->no_times && !x->o->no_dir_times) {
                d->has_time = true;
                d->mtime.tv_sec = archive_entry_mtime(ae);
                d->mtime.tv_nsec = archive_entry_mtime_nsec(ae);
        }
        return 0;
}

static bool was_skipped(xt *x, const char *path)
{
        return strmap_get(x->skipped, path) != NULL;
}

/* A hardlink to any non-directory in the tree: linkat without
 * AT_SYMLINK_FOLLOW links the node itself (a symlink stays a symlink),
 * found through the in-root resolver. 1 when its target is a device node
 * that was not made: then neither is the link. */
static int make_hardlink(xt *x, const char *raw_target, int pfd, const char *base, const char *name,
                         err_t *e)
{
        char sn[160];
        _cleanup_free_ char *t = NULL;
        _cleanup_free_ char *label = xasprintf("%s: entry \"%s\"", x->label, name);
        int r = clean_and_rewrite(x, label, "hardlink to", raw_target, false, &t, e);
        if (r < 0)
                return r;
        if (!t[0])
                return err_set(e, -EPERM, "%s: entry \"%s\": hardlink to the root", x->label, name);
        if (was_skipped(x, t))
                return 1;
        _cleanup_free_ char *tdir = path_dirname(t);
        _cleanup_close_ int tfd = -1;
        _cleanup_free_ char *trel = NULL;
        err_t e2 = {0};
        r = xt_resolve_dir(x->rootfd, strcmp(tdir, ".") ? tdir : "", false, NULL, &tfd, &trel, &e2);
        if (r < 0)
                return err_set(e, r, "%s: entry \"%s\": hardlink to \"%s\": %s", x->label, name,
                               xt_snip(raw_target, sn, sizeof sn), e2.msg);
        const char *tbase = path_basename(t);
        struct stat st;
        if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                _cleanup_free_ char *tr =
                        trel[0] ? xasprintf("%s/%s", trel, tbase) : xstrdup(tbase);
                if (errno == ENOENT && was_skipped(x, tr))
                        return 1;
                return err_sys(e, errno, "%s: entry \"%s\": hardlink to \"%s\"", x->label, name,
                               xt_snip(raw_target, sn, sizeof sn));
        }
        if (S_ISDIR(st.st_mode))
                return err_set(e, -EPERM, "%s: entry \"%s\": hardlink to \"%s\": a directory",
                               x->label, name, xt_snip(raw_target, sn, sizeof sn));
        if (linkat(tfd, tbase, pfd, base, 0) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": hardlink to \"%s\"", x->label, name,
                               xt_snip(raw_target, sn, sizeof sn));
        return 0;
}

/* The children of dir (resolved) that this archive did not write. */
static int clear_children(xt *x, int dfd, const char *dir, err_t *e)
{
        _cleanup_strv_ strv names = {0};
        int r = fs_list_dir_at(dfd, ".", &names);
        if (r < 0)
                return err_sys(e, -r, "%s: \"%s\"", x->label, dir);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *rel =
                        dir[0] ? xasprintf("%s/%s", dir, names.v[i]) : xstrdup(names.v[i]);
                if (strmap_has(x->mine, rel))
                        continue;
                r = fs_rm_rf_at(dfd, names.v[i], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int whiteout(xt *x, int pfd, const char *prel, const char *base, const char *name, err_t *e)
{
        char sn[160];
        hook_touch(x, pfd, prel);
        cache_drop(x);
        if (!strcmp(base, WH_OPAQUE)) {
                if (x->o->whiteouts == XT_WHITEOUTS_APPLY)
                        return clear_children(x, pfd, prel, e);
                _cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                const char *xa = x->root ? "trusted.overlay.opaque" : "user.overlay.opaque";
                if (dfd < 0 || fsetxattr(dfd, xa, "y", 1, 0) < 0)
                        return err_sys(e, errno, "%s: entry \"%s\": opaque directory", x->label,
                                       name);
                return 0;
        }
        const char *victim = base + strlen(WH_PREFIX);
        if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
                return err_set(e, -EINVAL, "%s: entry \"%s\": bad whiteout", x->label,
                               xt_snip(name, sn, sizeof sn));
        int r = fs_rm_rf_at(pfd, victim, e);
        if (r < 0 || x->o->whiteouts == XT_WHITEOUTS_APPLY)
                return r;
        if (mknodat(pfd, victim, S_IFCHR | 0000, makedev(0, 0)) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": whiteout", x->label, name);
        return 0;
}

static bool kept(const xt_opts *o, const char *name, const char *rel)
{
        return o->keep && (strv_contains(o->keep, name) || strv_contains(o->keep, rel));
}

/* Where an entry goes: its parent directory (resolved, and its path from
 * the root), its last name, its name in the archive and from the root, and
 * how messages show it. */
typedef struct {
        int pfd;
        const char *prel, *base, *name, *rel, *shown;
} place;

/* A device node (or a hardlink to one) that is not made. */
static void skip_device(xt *x, const place *p)
{
        x->st.skipped_devices++;
        strmap_put(x->skipped, p->name, (void *)1);
        strmap_put(x->skipped, p->rel, (void *)1);
}

/* Free the entry's name of whatever is there: 1 when what is there stays
 * (and the entry is not unpacked), 0 when the name is free or a directory
 * that an entry of a directory keeps. */
static int make_room(xt *x, const place *p, bool want_dir, err_t *e)
{
        struct stat st;
        bool exists = fstatat(p->pfd, p->base, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!exists && errno != ENOENT)
                return err_sys(e, errno, "%s: entry \"%s\"", x->label, p->shown);
        if (exists && x->o->skip_existing && !kept(x->o, p->name, p->rel))
                return 1;
        if (exists && want_dir && x->o->keep_dirs && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
                return 1;
        if (x->mine)
                strmap_put(x->mine, p->rel, (void *)1);
        hook_touch(x, p->pfd, p->prel);
        if (exists && !(want_dir && S_ISDIR(st.st_mode))) {
                /* Whatever is there goes: nothing is written through a
                 * symlink or an old hardlink. */
                if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
                        cache_drop(x);
                int r = fs_rm_rf_at(p->pfd, p->base, e);
                if (r < 0)
                        return err_prefix(e, "%s: entry \"%s\"", x->label, p->shown);
        }

        /* Whatever is made at this name now is no skipped device. */
        if (was_skipped(x, p->name))
                strmap_put(x->skipped, p->name, NULL);
        if (was_skipped(x, p->rel))
                strmap_put(x->skipped, p->rel, NULL);
        return 0;
}

static int make_symlink(xt *x, struct archive_entry *ae, const place *p, err_t *e)
{
        const char *target = archive_entry_symlink(ae);
        if (!target || !*target)
                return err_set(e, -EINVAL, "%s: entry \"%s\": symlink without target", x->label,
                               p->shown);
        cache_drop(x);
        if (symlinkat(target, p->pfd, p->base) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": symlink", x->label, p->shown);
        if (xt_test_hook)
                xt_test_hook(p->pfd, p->base);
        return meta_at(x, ae, p->pfd, p->base, p->shown, S_IFLNK, e);
}

/* A device node or a fifo: 1 when a device node is not made (no
 * privilege). */
static int make_special(xt *x, struct archive_entry *ae, mode_t type, const place *p, err_t *e)
{
        dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(ae);
        mode_t perm = archive_entry_perm(ae) & 0777;
        if (mknodat(p->pfd, p->base, type | perm, dev) < 0) {
                if (errno == EPERM && type != AE_IFIFO) {
                        xt_log(LOG_DEBUG, "%s: \"%s\": device node not made (no privilege)",
                               x->label, p->shown);
                        skip_device(x, p);
                        return 1;
                }
                return err_sys(e, errno, "%s: entry \"%s\": mknod", x->label, p->shown);
        }
        if (xt_test_hook)
                xt_test_hook(p->pfd, p->base);
        return meta_at(x, ae, p->pfd, p->base, p->shown, type, e);
}

/* The entry's node at its freed name: 1 when it is not made (a device
 * node skipped, or a type that is no image content). */
static int make_node(xt *x, struct archive_entry *ae, const char *hard, mode_t type, const place *p,
                     err_t *e)
{
        if (hard) {
                int r = make_hardlink(x, hard, p->pfd, p->base, p->shown, e);
                if (r == 1) {
                        xt_log(LOG_DEBUG, "%s: \"%s\": hardlink to a device node not made",
                               x->label, p->shown);
                        skip_device(x, p);
                }
                return r;
        }
        switch (type) {
        case AE_IFREG: return xt_make_regular(x, ae, p->pfd, p->base, p->shown, e);
        case AE_IFDIR: return make_dir(x, ae, p->pfd, p->base, p->rel, p->shown, e);
        case AE_IFLNK: return make_symlink(x, ae, p, e);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO: return make_special(x, ae, type, p, e);
        default:
                /* Sockets and unknown types are not image content. */
                xt_log(LOG_DEBUG, "%s: \"%s\": entry of type 0%o skipped", x->label, p->shown,
                       (unsigned)type);
                return 1;
        }
}

static int entry(xt *x, struct archive_entry *ae, err_t *e)
{
        char sn[160];
        const char *raw = archive_entry_pathname(ae);
        _cleanup_free_ char *name = NULL;
        int r = clean_and_rewrite(x, x->label, "entry", raw, true, &name, e);
        if (r != 0)
                return r < 0 ? r : 0;
        if (!name[0])
                return 0; /* "./": the root itself is the caller's */
        char shown[160];  /* the name in one-line messages */
        xt_snip(name, shown, sizeof shown);
        const char *hard = archive_entry_hardlink(ae);
        mode_t type = archive_entry_filetype(ae);
        if (!hard && (type == AE_IFCHR || type == AE_IFBLK) && x->o->devices == XT_DEVICES_SKIP) {
                xt_log(LOG_DEBUG, "%s: \"%s\": device node not made", x->label,
                       xt_snip(name, sn, sizeof sn));
                x->st.skipped_devices++;
                strmap_put(x->skipped, name, (void *)1);
                return 0;
        }

        const char *slash = strrchr(name, '/');
        const char *base = slash ? slash + 1 : name;
        _cleanup_free_ char *dname = slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup("");
        _cleanup_close_ int pfd = -1;
        _cleanup_free_ char *prel = NULL;
        r = parent_open(x, dname, &pfd, &prel, e);
        if (r < 0)
                return err_prefix(e, "%s: entry \"%s\"", x->label, xt_snip(raw, sn, sizeof sn));
        if (x->o->whiteouts != XT_WHITEOUTS_KEEP && !strncmp(base, WH_PREFIX, strlen(WH_PREFIX))) {
                r = whiteout(x, pfd, prel, base, shown, e);
                if (r == 0)
                        x->st.entries++;
                return r;
        }
        _cleanup_free_ char *rel = prel[0] ? xasprintf("%s/%s", prel, base) : xstrdup(base);
        place p = {pfd, prel, base, name, rel, shown};
        r = make_room(x, &p, !hard && type == AE_IFDIR, e);
        if (r != 0)
                return r < 0 ? r : 0;
        r = make_node(x, ae, hard, type, &p, e);
        if (r == 0)
                x->st.entries++;
        if (r == 0 && x->o->on_owner)
                x->o->on_owner(x->o->on_owner_ud, rel, (uid_t)archive_entry_uid(ae),
                               (gid_t)archive_entry_gid(ae));
        return r < 0 ? r : 0;
}

static int extract_all(xt *x, err_t *e)
{
        for (;;) {
                struct archive_entry *ae;
                int s = archive_read_next_header(x->in, &ae);
                if (s == ARCHIVE_EOF)
                        break;
                if (s == ARCHIVE_WARN)
                        xt_log(LOG_WARN, "%s: %s", x->label,
                               archive_error_string(x->in) ?: "warning");
                else if (s != ARCHIVE_OK)
                        return err_set(e, -EINVAL, "%s: %s", x->label,
                                       archive_error_string(x->in) ?: "unreadable archive");
                if (x->o->read_disk)
                        archive_read_disk_descend(x->in);
                int r = entry(x, ae, e);
                if (r < 0)
                        return r;
        }
        if (x->o->require_entries && x->st.entries == 0)
                return err_set(e, -EINVAL, "%s: empty archive", x->label);
        return 0;
}

/* Names from the archive reach messages in many places (paths the
 * resolver walked, too): whatever they hold, the message stays one line. */
static void one_line(err_t *e)
{
        ctl_to_q(e->msg);
}

static void times_free(strmap *m)
{
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(m, &pos, &k, &v))
                free(v);
}

int xt_extract_archive(struct archive *in, int rootfd, const xt_opts *o, xt_stats *ret_stats,
                       err_t *e)
{
        int r = la_load(e);
        if (r < 0)
                return r;
        xt x = {
                .in = in,
                .rootfd = rootfd,
                .o = o,
                .label = o->label ? o->label : "archive",
                .times = o->dir_times ? o->dir_times : strmap_new(),
                .mine = o->whiteouts == XT_WHITEOUTS_APPLY ? strmap_new() : NULL,
                .last_fd = -1,
                .root = geteuid() == 0,
                .skipped = strmap_new(),
        };
        x.hooks = (xt_dir_hooks){.touch = hook_touch, .made = hook_made, .ud = &x};
        if (o->writers)
                r = xt_writers_start(&x, e);
        if (r == 0)
                r = extract_all(&x, e);
        r = xt_writers_stop(&x, r, e);
        if (r < 0)
                one_line(e);
        cache_drop(&x);
        strmap_free(x.skipped);
        if (x.mine)
                strmap_free(x.mine);
        if (!o->dir_times) {
                if (r == 0)
                        xt_dir_times_apply(rootfd, x.times);
                else
                        times_free(x.times);
                strmap_free(x.times);
        }
        if (r == 0 && o->writers)
                xt_log(LOG_DEBUG, "%s: %lu regular file(s) written on %u thread(s)", x.label,
                       x.pooled, o->writers);
        if (r == 0 && x.st.skipped_devices)
                xt_log(LOG_DEBUG, "%s: %lu device node(s) not made", x.label, x.st.skipped_devices);
        if (r == 0 && ret_stats)
                *ret_stats = x.st;
        return r;
}

int xt_extract_fd(int fd, int rootfd, const xt_opts *o, char *ret_digest, xt_stats *ret_stats,
                  err_t *e)
{
        int r = la_load(e);
        if (r < 0)
                return r;
        const char *label = o->label ? o->label : "archive";
        lz_sha256 *dg = NULL;
        if (ret_digest && (r = lz_sha256_new(&dg, e)) < 0)
                return r;
        _cleanup_free_ char *buf = xmalloc(UNPACK_BUF);
        /* Enough of the file to tell a pgz stream from anything else (a
         * pipe cannot be read twice: the bytes go on to either reader). */
        ssize_t hn = fd_read_full(fd, buf, PGZ_HEADER_LEN);
        if (hn < 0) {
                if (dg)
                        lz_sha256_free(dg);
                return err_sys(e, (int)-hn, "%s: read", label);
        }
        if (pgz_is_member(buf, (size_t)hn)) {
                r = xt_extract_pgz(fd, (const unsigned char *)buf, (size_t)hn, dg, rootfd, o,
                                   ret_stats, e);
                if (dg) {
                        if (r == 0)
                                lz_sha256_final(dg, ret_digest);
                        else
                                lz_sha256_free(dg);
                }
                return r;
        }
        unpack_reader rd = {.fd = fd, .dg = dg, .buf = buf, .pre_len = (size_t)hn};
        struct archive *in = archive_read_new();
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        archive_read_support_format_cpio(in);
        if (archive_read_open(in, &rd, NULL, unpack_reader_read, NULL) != ARCHIVE_OK)
                r = err_set(e, rd.err ? -rd.err : -EINVAL, "%s: %s", label,
                            archive_error_string(in) ?: "not an archive");
        else
                r = xt_extract_archive(in, rootfd, o, ret_stats, e);
        archive_read_free(in);
        /* The digest covers the whole file, also what follows the
         * end-of-archive marker. */
        while (r == 0 && dg) {
                ssize_t n = fd_read(fd, buf, UNPACK_BUF);
                if (n < 0)
                        r = err_sys(e, (int)-n, "%s: read", label);
                if (n <= 0)
                        break;
                lz_sha256_update(dg, buf, (size_t)n);
        }
        if (dg) {
                if (r == 0)
                        lz_sha256_final(dg, ret_digest);
                else
                        lz_sha256_free(dg);
        }
        return r;
}
