/* Regular files of an extraction: created on the caller's thread, their
 * data and metadata written there or by the writer threads (write-pool.c)
 * through the fd. Also the owner, xattrs, mode and time set through an fd
 * (regular files and directories). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "pgz.h"
#include "xt-extract.h"

/* Writer threads: data and open files in flight at most. */
#define XT_WRITE_BYTES (8u << 20)
#define XT_WRITE_FILES 128u
#define XT_MAX_WRITERS 4u

/* Failures the file system or our privilege imposes on metadata that is
 * not content (xattrs): counted and logged, not fatal. Running out of
 * room or an I/O error always is. */
static bool metadata_refused(int err)
{
        return err != ENOSPC && err != EDQUOT && err != EIO && err != ENOMEM;
}

/* What meta_fd sets, copied from the entry (a writer thread sets it after
 * libarchive has moved on). */
typedef struct xt_xattr {
        char *name;
        void *val;
        size_t size;
} xt_xattr;

typedef struct xt_meta {
        uid_t uid;
        gid_t gid;
        mode_t perm;
        struct timespec mtime;
        xt_xattr *xattrs;
        size_t n_xattrs;
} xt_meta;

static void meta_get(struct archive_entry *ae, xt_meta *m)
{
        *m = (xt_meta){
                .uid = (uid_t)archive_entry_uid(ae),
                .gid = (gid_t)archive_entry_gid(ae),
                .perm = archive_entry_perm(ae) & 07777,
                .mtime = {archive_entry_mtime(ae), archive_entry_mtime_nsec(ae)},
        };
        size_t n = (size_t)archive_entry_xattr_reset(ae);
        if (!n)
                return;
        m->xattrs = xcalloc(n, sizeof(*m->xattrs));
        const char *xn;
        const void *val;
        size_t size;
        while (m->n_xattrs < n && archive_entry_xattr_next(ae, &xn, &val, &size) == ARCHIVE_OK) {
                xt_xattr *a = &m->xattrs[m->n_xattrs++];
                a->name = xstrdup(xn);
                a->val = xmalloc(size ? size : 1);
                memcpy(a->val, val, size);
                a->size = size;
        }
}

static void meta_done(xt_meta *m)
{
        for (size_t i = 0; i < m->n_xattrs; i++) {
                free(m->xattrs[i].name);
                free(m->xattrs[i].val);
        }
        free(m->xattrs);
        m->xattrs = NULL;
        m->n_xattrs = 0;
}

static void metadata_skipped(xt *x)
{
        __atomic_add_fetch(&x->st.skipped_metadata, 1, __ATOMIC_RELAXED);
}

static int set_xattrs(xt *x, const xt_meta *m, int fd, const char *name, err_t *e)
{
        for (size_t i = 0; i < m->n_xattrs; i++) {
                const char *xn = m->xattrs[i].name;
                const void *val = m->xattrs[i].val;
                size_t size = m->xattrs[i].size;
                /* Overlay markers are made by the whiteouts option only: an
                 * archive's own would steer the overlay (redirects,
                 * metacopy) from inside a lower layer. */
                if (!strncmp(xn, "trusted.overlay.", 16) || !strncmp(xn, "user.overlay.", 13)) {
                        metadata_skipped(x);
                        continue;
                }
                if (fsetxattr(fd, xn, val, size, 0) == 0)
                        continue;
                if (!metadata_refused(errno))
                        return err_sys(e, errno, "%s: entry \"%s\": xattr %s", x->label, name, xn);
                xt_log(LOG_DEBUG, "%s: \"%s\": xattr %s: %s", x->label, name, xn, strerror(errno));
                metadata_skipped(x);
        }
        return 0;
}

int xt_chown_err(xt *x, int err, const char *name, err_t *e)
{
        if (x->o->owners == XT_OWNERS_TRY && (err == EPERM || err == EINVAL)) {
                metadata_skipped(x);
                return 0;
        }
        return err_sys(e, err, "%s: entry \"%s\": chown", x->label, name);
}

/* Owner (first: chown clears set-id bits), xattrs, mode and time of the
 * file just made, through its fd, after its data (a write drops a file
 * capability). */
static int meta_fd(xt *x, const xt_meta *m, int fd, const char *name, bool dir, err_t *e)
{
        if (x->o->owners != XT_OWNERS_CALLER && fchown(fd, m->uid, m->gid) < 0) {
                int r = xt_chown_err(x, errno, name, e);
                if (r < 0)
                        return r;
        }
        int r = set_xattrs(x, m, fd, name, e);
        if (r < 0 || dir)
                return r;
        if (fchmod(fd, m->perm) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": chmod", x->label, name);
        struct timespec ts[2] = {m->mtime, m->mtime};
        if (!x->o->no_times && futimens(fd, ts) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": times", x->label, name);
        return 0;
}
int xt_meta_set(xt *x, struct archive_entry *ae, int fd, const char *name, bool dir, err_t *e)
{
        xt_meta m;
        meta_get(ae, &m);
        int r = meta_fd(x, &m, fd, name, dir, e);
        meta_done(&m);
        return r;
}

/* A regular file whose data and metadata a writer thread sets. */
typedef struct wfile {
        char name[160]; /* as messages show it */
        xt_meta m;
        int64_t size, end;
        bool abandoned; /* the caller's thread failed before its end */
} wfile;

static void wfile_free(wfile *f)
{
        meta_done(&f->m);
        free(f);
}

/* A sparse file's hole at the end. */
static int write_tail(xt *x, int fd, int64_t size, int64_t end, const char *name, err_t *e)
{
        if (size > end && ftruncate(fd, (off_t)size) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": truncate", x->label, name);
        return 0;
}

/* On a writer thread (xt_wfinish_fn). */
static int wfile_finish(void *ud, int fd, void *file, bool discard, err_t *e)
{
        xt *x = ud;
        wfile *f = file;
        int r = 0;
        if (!discard && !f->abandoned) {
                r = write_tail(x, fd, f->size, f->end, f->name, e);
                if (r == 0)
                        r = meta_fd(x, &f->m, fd, f->name, false, e);
        }
        if (close(fd) < 0 && r == 0 && !discard && !f->abandoned)
                r = err_sys(e, errno, "%s: entry \"%s\": close", x->label, f->name);
        wfile_free(f);
        return r;
}

static int wfile_error(void *ud, void *file, int err, err_t *e)
{
        xt *x = ud;
        wfile *f = file;
        return err_sys(e, -err, "%s: entry \"%s\": write", x->label, f->name);
}

/* The entry's data into fd: written here, or (f non-NULL) copied to writer
 * wi. *ret_end: where the data ends. */
static int write_data(xt *x, int fd, wfile *f, unsigned wi, int64_t *ret_end, const char *name,
                      err_t *e)
{
        const void *buf;
        size_t len;
        la_int64_t off;
        int64_t end = 0;
        for (;;) {
                int r = archive_read_data_block(x->in, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r == ARCHIVE_WARN)
                        xt_log(LOG_WARN, "%s: \"%s\": %s", x->label, name,
                               archive_error_string(x->in) ?: "warning");
                else if (r != ARCHIVE_OK)
                        return err_set(e, -EIO, "%s: entry \"%s\": %s", x->label, name,
                                       archive_error_string(x->in) ?: "unreadable data");
                if (off < 0)
                        return err_set(e, -EIO, "%s: entry \"%s\": bad data offset", x->label,
                                       name);
                if (f) {
                        int r2 = xt_wpool_data(x->pool, wi, fd, f, (off_t)off, buf, len, e);
                        if (r2 < 0)
                                return r2;
                        off += (la_int64_t)len;
                        len = 0;
                }
                const char *p = buf;
                while (len) {
                        ssize_t w = pwrite(fd, p, len, (off_t)off);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return err_sys(e, errno, "%s: entry \"%s\": write", x->label, name);
                        if (w == 0)
                                return err_set(e, -EIO, "%s: entry \"%s\": write: no progress",
                                               x->label, name);
                        p += w;
                        len -= (size_t)w;
                        off += w;
                }
                if (off > end)
                        end = off;
        }
        *ret_end = end;
        return 0;
}

/* fd's data and metadata on a writer thread. */
static int make_regular_pooled(xt *x, struct archive_entry *ae, int fd, const char *name, err_t *e)
{
        unsigned wi;
        int r = xt_wpool_file(x->pool, &wi, e);
        if (r < 0) {
                close(fd);
                return r;
        }
        x->pooled++;
        wfile *f = xcalloc(1, sizeof(*f));
        snprintf(f->name, sizeof f->name, "%s", name);
        f->size = archive_entry_size(ae);
        meta_get(ae, &f->m);
        r = write_data(x, fd, f, wi, &f->end, name, e);
        if (r < 0)
                f->abandoned = true;
        xt_wpool_end(x->pool, wi, fd, f);
        return r;
}

int xt_make_regular(xt *x, struct archive_entry *ae, int pfd, const char *base, const char *name,
                    err_t *e)
{
        _cleanup_close_ int fd = -1;
        for (int tries = 0; fd < 0; tries++) {
                fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0)
                        break;
                /* Another unpacker in this tree made it meanwhile. */
                if (errno != EEXIST || tries > 0)
                        return err_sys(e, errno, "%s: entry \"%s\"", x->label, name);
                int r = fs_rm_rf_at(pfd, base, e);
                if (r < 0)
                        return r;
        }
        if (x->pool)
                return make_regular_pooled(x, ae, steal_fd(&fd), name, e);
        int64_t end = 0;
        int r = write_data(x, fd, NULL, 0, &end, name, e);
        if (r == 0)
                r = write_tail(x, fd, archive_entry_size(ae), end, name, e);
        if (r == 0) {
                r = xt_meta_set(x, ae, fd, name, false, e);
        }
        if (r < 0)
                return r;
        if (close(steal_fd(&fd)) < 0)
                return err_sys(e, errno, "%s: entry \"%s\": close", x->label, name);
        return 0;
}

int xt_writers_start(xt *x, err_t *e)
{
        struct rlimit rl;
        unsigned files = XT_WRITE_FILES;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 4 < files)
                files = rl.rlim_cur / 4 ? (unsigned)(rl.rlim_cur / 4) : 1;
        return xt_wpool_new(x->o->writers, XT_WRITE_BYTES, files, wfile_finish, wfile_error, x,
                            &x->pool, e);
}

int xt_writers_stop(xt *x, int r, err_t *e)
{
        if (!x->pool)
                return r;
        err_t we = {0};
        int wr = r == 0 ? xt_wpool_finish(x->pool, &we) : 0;
        xt_wpool_free(x->pool);
        x->pool = NULL;
        if (wr < 0) {
                *e = we;
                return wr;
        }
        return r;
}

unsigned xt_default_writers(void)
{
        unsigned n = pgz_default_threads();
        return n > XT_MAX_WRITERS ? XT_MAX_WRITERS : n;
}
