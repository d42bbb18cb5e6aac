/* Secure extraction of a rootfs archive into an empty directory.
 *
 * libarchive's archive_write_disk does the writing, with its secure-extract
 * flags. Before it sees an entry, we re-anchor the entry: the parent is
 * resolved through the root dirfd (symlinks followed as if the tree were
 * "/", so a symlink to /etc leads to ROOT/etc), missing parents are made
 * inside the root, the entry's pathname is rewritten to the resolved
 * location, whatever sits at the final component is removed (a symlink
 * there is never written through), and a hardlink must name a regular file
 * already inside the tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "lazylib.h"
#include "unpack-reader.h"

la_ssize_t unpack_reader_read(struct archive *a, void *ud, const void **ret)
{
        unpack_reader *r = ud;
        for (;;) {
                ssize_t n = read(r->fd, r->buf, UNPACK_BUF);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r->err = errno;
                        archive_set_error(a, errno, "read");
                        return -1;
                }
                if (r->dg && n > 0)
                        lz_sha256_update(r->dg, r->buf, (size_t)n);
                *ret = r->buf;
                return n;
        }
}

/* Strip "./" prefixes, repeated and trailing slashes; "" for the root. */
static char *entry_clean(const char *name)
{
        while (name[0] == '.' && name[1] == '/')
                for (name += 2; *name == '/' && name[1] == '/';)
                        name++;
        _cleanup_free_ char *n = xstrdup(name);
        size_t len = strlen(n);
        while (len > 1 && n[len - 1] == '/')
                n[--len] = '\0';
        if (!strcmp(n, "."))
                n[0] = '\0';
        return steal_pointer(&n);
}

static int check_name(const char *label, const char *raw, const char *clean, err_t *e)
{
        if (raw[0] == '/')
                return err_set(e, -EPERM, "%s: entry \"%s\": absolute path", label, raw);
        if (clean[0] && !path_is_contained(clean))
                return err_set(e, -EPERM, "%s: entry \"%s\": leaves the root", label, raw);
        if (strlen(clean) >= PATH_MAX - 8)
                return err_set(e, -ENAMETOOLONG, "%s: entry \"%.64s...\": name too long", label,
                               raw);
        return 0;
}

typedef struct unpacker {
        struct archive *in, *out;
        int rootfd;
        const char *label;
        bool privileged;
        /* The last parent resolved: tar streams list a directory's entries
         * together, so this saves most walks. Dropped whenever an entry
         * could change what a path resolves to. */
        char *last_parent, *last_parent_abs;
        unpack_stats st;
} unpacker;

static void parent_cache_drop(unpacker *u)
{
        free(u->last_parent);
        free(u->last_parent_abs);
        u->last_parent = u->last_parent_abs = NULL;
}

/* Remove whatever is at rel (relative to the root, resolved parent) unless
 * both it and the new entry are directories. */
static int clear_target(unpacker *u, const char *rel, bool entry_is_dir, err_t *e)
{
        struct stat st;
        if (fstatat(u->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : err_sys(e, errno, "%s: \"%s\"", u->label, rel + 1);
        if (S_ISDIR(st.st_mode)) {
                if (entry_is_dir)
                        return 0;
                parent_cache_drop(u);
                return fs_rm_rf_at(u->rootfd, rel, e);
        }
        if (S_ISLNK(st.st_mode))
                parent_cache_drop(u);
        if (unlinkat(u->rootfd, rel, 0) < 0 && errno != ENOENT)
                return err_sys(e, errno, "%s: \"%s\"", u->label, rel + 1);
        return 0;
}

static int anchor_hardlink(unpacker *u, struct archive_entry *ent, err_t *e)
{
        const char *raw = archive_entry_hardlink(ent);
        if (!raw)
                return 0;
        _cleanup_free_ char *clean = entry_clean(raw);
        if (raw[0] == '/')
                return err_set(e, -EPERM, "%s: hardlink to \"%s\": absolute path", u->label, raw);
        if (clean[0] && !path_is_contained(clean))
                return err_set(e, -EPERM, "%s: hardlink to \"%s\": leaves the root", u->label, raw);
        int r;
        if (!clean[0])
                return err_set(e, -EPERM, "%s: hardlink \"%s\": not a regular file", u->label, raw);
        err_t e2 = {0};
        _cleanup_free_ char *abs = NULL;
        r = fs_resolve_in_root(u->rootfd, clean, false, &abs, &e2);
        if (r < 0)
                return err_set(e, r, "%s: hardlink \"%s\": %s", u->label, raw, e2.msg);
        _cleanup_free_ char *rel = xasprintf(".%s", abs);
        struct stat st;
        if (fstatat(u->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_sys(e, errno, "%s: hardlink to \"%s\"", u->label, raw);
        if (!S_ISREG(st.st_mode))
                return err_set(e, -EPERM, "%s: hardlink to \"%s\": not a regular file in the tree",
                               u->label, raw);
        archive_entry_set_hardlink(ent, rel);
        return 0;
}

static int unpack_entry(unpacker *u, struct archive_entry *ent, err_t *e)
{
        const char *raw = archive_entry_pathname(ent);
        if (!raw)
                return err_set(e, -EINVAL, "%s: entry without a name", u->label);
        _cleanup_free_ char *clean = entry_clean(raw);
        int r = check_name(u->label, raw, clean, e);
        if (r < 0)
                return r;
        mode_t type = archive_entry_filetype(ent);
        if (!clean[0])
                return 0; /* "./": the root itself is ours */
        if ((type == AE_IFCHR || type == AE_IFBLK) && !u->privileged) {
                u->st.skipped_devices++;
                return 0;
        }

        _cleanup_free_ char *parent = path_dirname(clean);
        _cleanup_free_ char *pabs = NULL;
        if (!strcmp(parent, ".")) {
                pabs = xstrdup("/");
        } else if (u->last_parent && !strcmp(u->last_parent, parent)) {
                pabs = xstrdup(u->last_parent_abs);
        } else {
                r = rootfs_mkdir_p(u->rootfd, parent, &pabs, e);
                if (r < 0)
                        return err_prefix(e, "%s: entry \"%s\"", u->label, raw);
                parent_cache_drop(u);
                u->last_parent = xstrdup(parent);
                u->last_parent_abs = xstrdup(pabs);
        }
        _cleanup_free_ char *rel =
                xasprintf(".%s%s%s", pabs, strcmp(pabs, "/") ? "/" : "", path_basename(clean));
        r = anchor_hardlink(u, ent, e);
        if (r < 0)
                return r;
        r = clear_target(u, rel, type == AE_IFDIR, e);
        if (r < 0)
                return r;
        if (type == AE_IFLNK || type == AE_IFDIR)
                parent_cache_drop(u);
        archive_entry_set_pathname(ent, rel);

        r = archive_write_header(u->out, ent);
        if (r == ARCHIVE_WARN) {
                log_warn("%s: \"%s\": %s", u->label, raw, archive_error_string(u->out));
        } else if (r < ARCHIVE_WARN) {
                /* A refused entry fails the archive: a tree with holes
                 * would be trusted later. */
                return err_set(e, -EPERM, "%s: entry \"%s\": %s", u->label, raw,
                               archive_error_string(u->out));
        }
        if (archive_entry_size(ent) > 0 && r >= ARCHIVE_WARN) {
                const void *buf;
                size_t len;
                la_int64_t off;
                for (;;) {
                        int rr = archive_read_data_block(u->in, &buf, &len, &off);
                        if (rr == ARCHIVE_EOF)
                                break;
                        if (rr < ARCHIVE_WARN)
                                return err_set(e, -EIO, "%s: entry \"%s\": %s", u->label, raw,
                                               archive_error_string(u->in));
                        la_ssize_t w = archive_write_data_block(u->out, buf, len, off);
                        if (w < ARCHIVE_WARN)
                                return err_set(e, -EIO, "%s: entry \"%s\": %s", u->label, raw,
                                               archive_error_string(u->out));
                }
        }
        r = archive_write_finish_entry(u->out);
        if (r == ARCHIVE_WARN)
                log_warn("%s: \"%s\": %s", u->label, raw, archive_error_string(u->out));
        else if (r < ARCHIVE_WARN)
                return err_set(e, -EIO, "%s: entry \"%s\": %s", u->label, raw,
                               archive_error_string(u->out));
        u->st.entries++;
        return 0;
}

static int unpack_all(unpacker *u, err_t *e)
{
        for (;;) {
                struct archive_entry *ent;
                int r = archive_read_next_header(u->in, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r == ARCHIVE_WARN)
                        log_warn("%s: %s", u->label, archive_error_string(u->in));
                else if (r < ARCHIVE_WARN)
                        return err_set(e, -EINVAL, "%s: %s", u->label,
                                       archive_error_string(u->in) ?: "unreadable archive");
                r = unpack_entry(u, ent, e);
                if (r < 0)
                        return r;
        }
        if (u->st.entries == 0)
                return err_set(e, -EINVAL, "%s: empty archive", u->label);
        /* Applies the deferred directory modes and times. */
        if (archive_write_close(u->out) < ARCHIVE_WARN)
                return err_set(e, -EIO, "%s: %s", u->label, archive_error_string(u->out));
        return 0;
}

int unpack_archive_fd(int fd, int rootfd, const char *label, char *ret_digest,
                      unpack_stats *ret_stats, err_t *e)
{
        int lr = la_load(e);
        if (lr < 0)
                return lr;
        lz_sha256 *dg = NULL;
        if (ret_digest && (lr = lz_sha256_new(&dg, e)) < 0)
                return lr;
        _cleanup_free_ char *buf = xmalloc(UNPACK_BUF);
        unpack_reader rd = {.fd = fd, .dg = dg, .buf = buf};
        unpacker u = {.rootfd = rootfd, .label = label, .privileged = geteuid() == 0};

        u.in = archive_read_new();
        u.out = archive_write_disk_new();
        archive_read_support_filter_all(u.in);
        archive_read_support_format_tar(u.in);
        archive_read_support_format_cpio(u.in);
        int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR;
        if (u.privileged)
                flags |= ARCHIVE_EXTRACT_OWNER;
        archive_write_disk_set_options(u.out, flags);

        /* archive_write_disk works relative to the working directory. */
        _cleanup_close_ int oldcwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;
        if (fchdir(rootfd) < 0) {
                r = err_sys(e, errno, "%s: chdir to the target", label);
        } else if (archive_read_open(u.in, &rd, NULL, unpack_reader_read, NULL) != ARCHIVE_OK) {
                r = err_set(e, rd.err ? -rd.err : -EINVAL, "%s: %s", label,
                            archive_error_string(u.in) ?: "not an archive");
        } else {
                r = unpack_all(&u, e);
        }
        if (oldcwd >= 0 && fchdir(oldcwd) < 0)
                r = r < 0 ? r : err_sys(e, errno, "chdir back");
        if (!(oldcwd >= 0) && chdir("/") < 0)
                r = r < 0 ? r : err_sys(e, errno, "chdir /");
        archive_read_free(u.in);
        archive_write_free(u.out);
        parent_cache_drop(&u);

        if (r == 0 && rd.dg) {
                /* The digest covers the whole file, also what follows the
                 * end-of-archive marker. */
                for (;;) {
                        ssize_t n = read(fd, buf, UNPACK_BUF);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                r = err_sys(e, errno, "%s: read", label);
                                break;
                        }
                        if (n == 0)
                                break;
                        lz_sha256_update(rd.dg, buf, (size_t)n);
                }
        }
        if (rd.dg) {
                if (r == 0)
                        lz_sha256_final(rd.dg, ret_digest);
                else
                        lz_sha256_free(rd.dg);
        }
        if (r == 0 && u.st.skipped_devices)
                log_warn("%s: skipped %lu device node(s): not privileged", label,
                         u.st.skipped_devices);
        if (r == 0 && ret_stats)
                *ret_stats = u.st;
        return r;
}
