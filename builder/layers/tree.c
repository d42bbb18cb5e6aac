/* Layers onto trees: apply a layer archive to a directory (whiteouts,
 * opaque directories, every path resolved inside the root), and find
 * what a step changed in a tree (snapshot, diff -> staged layer). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "layers.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* ---- directory times ---------------------------------------------------- */

typedef struct fixup {
        struct timespec mtime;
} fixup;

/* Remember a directory's time before we change its contents, unless a
 * time is already recorded (from its archive entry or an earlier visit). */
static void fixup_keep(strmap *fx, int rootfd, const char *rel)
{
        if (!fx || strmap_has(fx, rel[0] ? rel : "."))
                return;
        struct stat st;
        if (fstatat(rootfd, rel[0] ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) < 0)
                return;
        fixup *f = xmalloc(sizeof(*f));
        f->mtime = st.st_mtim;
        strmap_put(fx, rel[0] ? rel : ".", f);
}

static void fixup_set(strmap *fx, const char *rel, int64_t sec, long nsec)
{
        if (!fx)
                return;
        fixup *f = xmalloc(sizeof(*f));
        f->mtime.tv_sec = (time_t)sec;
        f->mtime.tv_nsec = nsec;
        free(strmap_put(fx, rel[0] ? rel : ".", f));
}

void lay_fixups_apply(int rootfd, strmap *fx)
{
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(fx, &pos, &k, &v)) {
                fixup *f = v;
                struct timespec ts[2] = {f->mtime, f->mtime};
                struct stat st;
                if (fstatat(rootfd, k, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                        utimensat(rootfd, k, ts, AT_SYMLINK_NOFOLLOW);
                free(f);
        }
}

/* ---- resolving parents inside the root ---------------------------------- */

/* Make sure the directory `dir` (relative, normalised) exists inside the
 * root, following symlinks as if rootfd were "/" and creating what is
 * missing. *ret is the resolved relative path ("" for the root). */
static int ensure_dir(int rootfd, const char *dir, int hops, strmap *fx, char **ret, err_t *e)
{
        if (hops > 40)
                return err_set(e, -ELOOP, "%s: too many levels of symbolic links", dir);
        _cleanup_sb_ strbuf cur = {0};
        sb_append(&cur, "");
        const char *p = dir;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *q = strchrnul(p, '/');
                _cleanup_free_ char *comp = xstrndup(p, (size_t)(q - p));
                p = q;
                if (!strcmp(comp, "."))
                        continue;
                if (!strcmp(comp, ".."))
                        return err_set(e, -EINVAL, "%s: '..' in a path", dir);
                _cleanup_free_ char *cand =
                        cur.len ? xasprintf("%s/%s", cur.s, comp) : xstrdup(comp);
                struct stat st;
                if (fstatat(rootfd, cand, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                return err_sys(e, errno, "%s", cand);
                        fixup_keep(fx, rootfd, cur.s);
                        if (mkdirat(rootfd, cand, 0755) < 0)
                                return err_sys(e, errno, "%s: mkdir", cand);
                        fixup_set(fx, cand, 0, 0);
                } else if (S_ISLNK(st.st_mode)) {
                        /* Lexically, as if rootfd were "/": cur has no
                         * symlinks, and ".." stops at the root. A missing
                         * target is created like any missing directory. */
                        char t[PATH_MAX];
                        ssize_t tl = readlinkat(rootfd, cand, t, sizeof(t) - 1);
                        if (tl < 0)
                                return err_sys(e, errno, "%s", cand);
                        t[tl] = '\0';
                        _cleanup_free_ char *joined =
                                t[0] == '/' ? xstrdup(t) : xasprintf("/%s/%s", cur.s, t);
                        _cleanup_free_ char *res = path_normalize(joined);
                        _cleanup_free_ char *sub = NULL;
                        int r = ensure_dir(rootfd, res + 1, hops + 1, fx, &sub, e);
                        if (r < 0)
                                return r;
                        free(cand);
                        cand = steal_pointer(&sub);
                } else if (!S_ISDIR(st.st_mode)) {
                        /* A file where a later layer wants a directory: the
                         * directory wins, as it would in an overlay. */
                        fixup_keep(fx, rootfd, cur.s);
                        if (unlinkat(rootfd, cand, 0) < 0 || mkdirat(rootfd, cand, 0755) < 0)
                                return err_sys(e, errno, "%s", cand);
                        fixup_set(fx, cand, 0, 0);
                }
                sb_free(&cur);
                sb_append(&cur, cand);
        }
        *ret = sb_steal(&cur);
        return 0;
}

/* ---- applying an archive ------------------------------------------------ */

static char *entry_clean(const char *raw)
{
        const char *p = raw;
        while (*p == '/' || (p[0] == '.' && p[1] == '/'))
                p += *p == '/' ? 1 : 2;
        if (!*p || !strcmp(p, "."))
                return xstrdup("");
        if (!path_is_contained(p))
                return NULL;
        char *n = path_normalize(p);
        size_t l = strlen(n);
        while (l > 1 && n[l - 1] == '/')
                n[--l] = '\0';
        if (!strcmp(n, "."))
                n[0] = '\0';
        return n;
}

static int clear_children(int rootfd, const char *dir, const strmap *mine, err_t *e)
{
        _cleanup_close_ int fd =
                openat(rootfd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", dir);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d)
                return err_sys(e, errno, "%s", dir);
        fd = -1;
        _cleanup_strv_ strv names = {0};
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_push(&names, de->d_name);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *rel =
                        dir[0] ? xasprintf("%s/%s", dir, names.v[i]) : xstrdup(names.v[i]);
                if (strmap_has(mine, rel))
                        continue; /* from this same layer */
                int r = fs_rm_rf_at(dirfd(d), names.v[i], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int copy_data(struct archive *a, int fd, const char *name, err_t *e)
{
        const void *buf;
        size_t len;
        la_int64_t off;
        for (;;) {
                int r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EIO, "%s: %s", name, archive_error_string(a));
                const char *p = buf;
                while (len) {
                        ssize_t w = pwrite(fd, p, len, (off_t)off);
                        if (w < 0)
                                return err_sys(e, errno, "%s: write", name);
                        p += w;
                        len -= (size_t)w;
                        off += w;
                }
        }
}

static void set_xattrs(struct archive_entry *ae, int fd)
{
        const char *name;
        const void *val;
        size_t size;
        archive_entry_xattr_reset(ae);
        while (archive_entry_xattr_next(ae, &name, &val, &size) == ARCHIVE_OK)
                if (fsetxattr(fd, name, val, size, 0) < 0)
                        log_debug("%s: xattr %s: %s", archive_entry_pathname(ae), name,
                                  strerror(errno));
}

typedef struct applier {
        int rootfd;
        const lay_apply_opts *o;
        strmap *fx;
        strmap *mine; /* paths written by this archive (opaque markers spare them) */
        const char *label;
} applier;

static int apply_entry(applier *ap, struct archive *a, struct archive_entry *ae, err_t *e)
{
        const char *raw = archive_entry_pathname(ae);
        if (!raw)
                return err_set(e, -EINVAL, "%s: entry without a name", ap->label);
        _cleanup_free_ char *name = entry_clean(raw);
        if (!name)
                return err_set(e, -EINVAL, "%s: entry \"%s\": leaves the root", ap->label, raw);
        if (!name[0])
                return 0; /* the root itself */
        _cleanup_free_ char *dname = path_dirname(name);
        const char *base = path_basename(name);
        _cleanup_free_ char *pdir = NULL;
        int r = ensure_dir(ap->rootfd, strcmp(dname, ".") ? dname : "", 0, ap->fx, &pdir, e);
        if (r < 0)
                return err_prefix(e, "%s: entry \"%s\"", ap->label, raw);
        _cleanup_close_ int pfd = openat(ap->rootfd, pdir[0] ? pdir : ".",
                                         O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
                return err_sys(e, errno, "%s: %s", ap->label, pdir);
        _cleanup_free_ char *rel = pdir[0] ? xasprintf("%s/%s", pdir, base) : xstrdup(base);

        if (ap->o->whiteouts && !strncmp(base, WH_PREFIX, strlen(WH_PREFIX))) {
                fixup_keep(ap->fx, ap->rootfd, pdir);
                if (!strcmp(base, WH_OPAQUE))
                        return clear_children(ap->rootfd, pdir, ap->mine, e);
                const char *victim = base + strlen(WH_PREFIX);
                if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
                        return err_set(e, -EINVAL, "%s: entry \"%s\": bad whiteout", ap->label,
                                       raw);
                return fs_rm_rf_at(pfd, victim, e);
        }

        mode_t type = archive_entry_filetype(ae);
        const char *hard = archive_entry_hardlink(ae);
        struct stat st;
        bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && ap->o->skip_existing && !(ap->o->keep && strv_contains(ap->o->keep, name)) &&
            !(ap->o->keep && strv_contains(ap->o->keep, rel)))
                return 0;
        bool want_dir = !hard && type == AE_IFDIR;
        if (exists && want_dir && ap->o->keep_dirs && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
                return 0;
        strmap_put(ap->mine, rel, (void *)1);
        if (exists && !(want_dir && S_ISDIR(st.st_mode))) {
                fixup_keep(ap->fx, ap->rootfd, pdir);
                r = fs_rm_rf_at(pfd, base, e);
                if (r < 0)
                        return r;
                exists = false;
        }
        if (!exists)
                fixup_keep(ap->fx, ap->rootfd, pdir);
        uid_t uid = (uid_t)archive_entry_uid(ae);
        gid_t gid = (gid_t)archive_entry_gid(ae);
        mode_t perm = archive_entry_perm(ae) & 07777;
        struct timespec ts[2];
        ts[0].tv_sec = ts[1].tv_sec = archive_entry_mtime(ae);
        ts[0].tv_nsec = ts[1].tv_nsec = archive_entry_mtime_nsec(ae);

        if (hard) {
                _cleanup_free_ char *tname = entry_clean(hard);
                if (!tname || !tname[0])
                        return err_set(e, -EINVAL,
                                       "%s: entry \"%s\": link target \"%s\" leaves the root",
                                       ap->label, raw, hard);
                _cleanup_free_ char *tdname = path_dirname(tname);
                _cleanup_free_ char *tdir = NULL;
                r = ensure_dir(ap->rootfd, strcmp(tdname, ".") ? tdname : "", 0, ap->fx, &tdir, e);
                if (r < 0)
                        return r;
                _cleanup_free_ char *trel = tdir[0] ? xasprintf("%s/%s", tdir, path_basename(tname))
                                                    : xstrdup(path_basename(tname));
                if (linkat(ap->rootfd, trel, pfd, base, 0) < 0)
                        return err_sys(e, errno, "%s: entry \"%s\": link to \"%s\"", ap->label, raw,
                                       hard);
                return 0;
        }
        switch (type) {
        case AE_IFREG: {
                _cleanup_close_ int fd = openat(
                        pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return err_sys(e, errno, "%s: %s", ap->label, rel);
                r = copy_data(a, fd, rel, e);
                if (r < 0)
                        return r;
                int64_t size = archive_entry_size(ae);
                if (size > 0 && ftruncate(fd, (off_t)size) < 0)
                        return err_sys(e, errno, "%s", rel);
                if (fchown(fd, uid, gid) < 0 && errno != EPERM)
                        return err_sys(e, errno, "%s: chown", rel);
                set_xattrs(ae, fd);
                if (fchmod(fd, perm) < 0)
                        return err_sys(e, errno, "%s: chmod", rel);
                futimens(fd, ts);
                return 0;
        }
        case AE_IFDIR: {
                if (!exists && mkdirat(pfd, base, 0700) < 0)
                        return err_sys(e, errno, "%s: mkdir", rel);
                _cleanup_close_ int fd =
                        openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return err_sys(e, errno, "%s", rel);
                if (fchown(fd, uid, gid) < 0 && errno != EPERM)
                        return err_sys(e, errno, "%s: chown", rel);
                set_xattrs(ae, fd);
                if (fchmod(fd, perm) < 0)
                        return err_sys(e, errno, "%s: chmod", rel);
                fixup_set(ap->fx, rel, ts[1].tv_sec, ts[1].tv_nsec);
                return 0;
        }
        case AE_IFLNK: {
                const char *target = archive_entry_symlink(ae);
                if (!target)
                        return err_set(e, -EINVAL, "%s: entry \"%s\": symlink without target",
                                       ap->label, raw);
                if (symlinkat(target, pfd, base) < 0)
                        return err_sys(e, errno, "%s: %s", ap->label, rel);
                if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
                        return err_sys(e, errno, "%s: chown", rel);
                utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
                return 0;
        }
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO: {
                dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(ae);
                if (mknodat(pfd, base, type | perm, dev) < 0) {
                        if (errno == EPERM) {
                                log_debug("%s: %s: device node skipped (no privilege)", ap->label,
                                          rel);
                                return 0;
                        }
                        return err_sys(e, errno, "%s: %s", ap->label, rel);
                }
                if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
                        return err_sys(e, errno, "%s: chown", rel);
                fchmodat(pfd, base, perm, 0);
                utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
                return 0;
        }
        default: return 0; /* sockets and unknown types are not image content */
        }
}

int lay_apply(int rootfd, const char *archive, const lay_apply_opts *o, strmap *fixups, err_t *e)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK) {
                int r = err_set(e, -EIO, "%s: %s", archive, archive_error_string(a));
                archive_read_free(a);
                return r;
        }
        strmap *mine = strmap_new();
        applier ap = {.rootfd = rootfd, .o = o, .fx = fixups, .mine = mine, .label = archive};
        int r = 0;
        struct archive_entry *ae;
        for (;;) {
                int s = archive_read_next_header(a, &ae);
                if (s == ARCHIVE_EOF)
                        break;
                if (s < ARCHIVE_WARN) {
                        r = err_set(e, -EIO, "%s: %s", archive, archive_error_string(a));
                        break;
                }
                r = apply_entry(&ap, a, ae, e);
                if (r < 0)
                        break;
        }
        strmap_free(mine);
        archive_read_free(a);
        return r;
}

/* ---- snapshots and diffs ----------------------------------------------- */

typedef struct sig {
        mode_t mode;
        uid_t uid;
        gid_t gid;
        off_t size;
        ino_t ino;
        dev_t rdev;
        struct timespec mtim, ctim;
} sig;

struct lay_snap {
        strmap *m; /* path -> sig */
        strv paths;
};

void lay_snap_free(lay_snap *s)
{
        if (!s)
                return;
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(s->m, &pos, &k, &v))
                free(v);
        strmap_free(s->m);
        strv_free(&s->paths);
        free(s);
}

static int snap_walk(lay_snap *s, int dfd, const char *rel, dev_t dev, err_t *e)
{
        _cleanup_close_ int fd =
                openat(dfd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", rel);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d)
                return err_sys(e, errno, "%s", rel);
        fd = -1;
        struct dirent *de;
        _cleanup_strv_ strv subdirs = {0};
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return err_sys(e, errno, "%s/%s", rel, de->d_name);
                if (st.st_dev != dev)
                        continue; /* a mount point's contents are not the tree's */
                char *p = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                sig *g = xmalloc(sizeof(*g));
                *g = (sig){.mode = st.st_mode,
                           .uid = st.st_uid,
                           .gid = st.st_gid,
                           .size = S_ISDIR(st.st_mode) ? 0 : st.st_size,
                           .ino = st.st_ino,
                           .rdev = st.st_rdev,
                           .mtim = st.st_mtim,
                           .ctim = st.st_ctim};
                strmap_put(s->m, p, g);
                strv_push(&s->paths, p);
                if (S_ISDIR(st.st_mode))
                        strv_push(&subdirs, p);
                free(p);
        }
        for (size_t i = 0; i < subdirs.n; i++) {
                int r = snap_walk(s, dfd, subdirs.v[i], dev, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int lay_snap_take(const char *root, lay_snap **ret, err_t *e)
{
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return err_sys(e, errno, "%s", root);
        struct stat st;
        if (fstat(rfd, &st) < 0)
                return err_sys(e, errno, "%s", root);
        lay_snap *s = xcalloc(1, sizeof(*s));
        s->m = strmap_new();
        int r = snap_walk(s, rfd, "", st.st_dev, e);
        if (r < 0) {
                lay_snap_free(s);
                return r;
        }
        qsort(s->paths.v, s->paths.n, sizeof(char *), cmp_str);
        *ret = s;
        return 0;
}

static bool sig_same(const sig *a, const sig *b)
{
        return a->mode == b->mode && a->uid == b->uid && a->gid == b->gid && a->size == b->size &&
               a->ino == b->ino && a->rdev == b->rdev && a->mtim.tv_sec == b->mtim.tv_sec &&
               a->mtim.tv_nsec == b->mtim.tv_nsec && a->ctim.tv_sec == b->ctim.tv_sec &&
               a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* Stage path and its ancestors (as they are in the tree). */
static int stage_with_parents(stage *s, const char *root, const char *path, err_t *e)
{
        _cleanup_free_ char *copy = xstrdup(path);
        for (char *c = strchr(copy, '/'); c; c = strchr(c + 1, '/')) {
                *c = '\0';
                _cleanup_free_ char *host = path_join(root, copy);
                int r = stage_add_host(s, copy, host, e);
                *c = '/';
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *host = path_join(root, path);
        return stage_add_host(s, path, host, e);
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return !strncmp(path, dir, n) && path[n] == '/';
}

int lay_snap_diff(const lay_snap *before, const lay_snap *after, const char *root, stage *s,
                  size_t *ret_n, err_t *e)
{
        size_t n = 0;
        const char *opaque = NULL; /* the replaced directory being walked */
        for (size_t i = 0; i < after->paths.n; i++) {
                const char *p = after->paths.v[i];
                const sig *a = strmap_get(after->m, p);
                const sig *b = strmap_get(before->m, p);
                if (opaque && !under(p, opaque))
                        opaque = NULL;
                if (!opaque && b && sig_same(a, b))
                        continue;
                int r = stage_with_parents(s, root, p, e);
                if (r < 0)
                        return r;
                n++;
                if (!opaque && b && S_ISDIR(a->mode) && S_ISDIR(b->mode) && a->ino != b->ino) {
                        /* Removed and made again: nothing below it survives. */
                        _cleanup_free_ char *wh = xasprintf("%s/" WH_OPAQUE, p);
                        r = stage_add_data(s, wh, 0, "", 0, e);
                        if (r < 0)
                                return r;
                        opaque = p;
                }
        }
        for (size_t i = 0; i < before->paths.n; i++) {
                const char *p = before->paths.v[i];
                if (strmap_has(after->m, p))
                        continue;
                /* Covered when an ancestor was removed, replaced by a
                 * non-directory or made opaque. */
                _cleanup_free_ char *dir = path_dirname(p);
                bool covered = false;
                if (strcmp(dir, ".")) {
                        const sig *pa = strmap_get(after->m, dir);
                        const sig *pb = strmap_get(before->m, dir);
                        covered = !pa || !S_ISDIR(pa->mode) || (pb && pa->ino != pb->ino);
                }
                if (covered)
                        continue;
                _cleanup_free_ char *wh =
                        strcmp(dir, ".") ? xasprintf("%s/" WH_PREFIX "%s", dir, path_basename(p))
                                         : xasprintf(WH_PREFIX "%s", p);
                if (strcmp(dir, ".")) {
                        int r = stage_with_parents(s, root, dir, e);
                        if (r < 0)
                                return r;
                }
                int r = stage_add_data(s, wh, 0, "", 0, e);
                if (r < 0)
                        return r;
                n++;
        }
        *ret_n = n;
        return 0;
}
