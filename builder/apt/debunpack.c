/* .deb reading with libarchive: the outer ar archive, then the control or
 * data tarball (gz, xz, zst, bz2 or none) streamed from inside it.
 * Extraction refuses "..", absolute names and writes through symlinks
 * (ARCHIVE_EXTRACT_SECURE_*); a FAILED or FATAL status on any entry fails
 * the package, a WARN is ignored (it is about metadata such as times). */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>

#include "apt.h"

typedef struct inner_src {
        struct archive *outer;
} inner_src;

static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
        inner_src *s = data;
        const void *b;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(s->outer, &b, &len, &off);
        if (r == ARCHIVE_EOF)
                return 0;
        if (r < ARCHIVE_WARN) {
                archive_set_error(a, EIO, "%s", archive_error_string(s->outer));
                return -1;
        }
        *buf = b;
        return (la_ssize_t)len;
}

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}
static void archive_wfreep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}
#define _cleanup_archive_ _cleanup_(archive_freep)
#define _cleanup_warchive_ _cleanup_(archive_wfreep)

/* Open deb and position at the member whose name starts with prefix;
 * returns the member's inner archive, ready to read entries. */
static int open_member(const char *deb, const char *prefix, struct archive **ret_outer,
                       struct archive **ret_inner, inner_src *src, err_t *e)
{
        struct archive *outer = archive_read_new();
        archive_read_support_format_ar(outer);
        if (archive_read_open_filename(outer, deb, 1 << 16) != ARCHIVE_OK) {
                int rc = err_set(e, -EBADMSG, "%s: %s", deb, archive_error_string(outer));
                archive_read_free(outer);
                return rc;
        }
        struct archive_entry *ent;
        bool saw_binary = false;
        for (;;) {
                int r = archive_read_next_header(outer, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        int rc = err_set(e, -EBADMSG, "%s: %s", deb, archive_error_string(outer));
                        archive_read_free(outer);
                        return rc;
                }
                const char *name = archive_entry_pathname(ent);
                if (!name)
                        continue;
                if (!strcmp(name, "debian-binary")) {
                        char v[8] = {0};
                        if (archive_read_data(outer, v, sizeof(v) - 1) < 2 || v[0] != '2' ||
                            v[1] != '.') {
                                archive_read_free(outer);
                                return err_set(e, -EBADMSG, "%s: not a format 2.x .deb", deb);
                        }
                        saw_binary = true;
                        continue;
                }
                if (strncmp(name, prefix, strlen(prefix)) != 0)
                        continue;
                if (!saw_binary) {
                        archive_read_free(outer);
                        return err_set(e, -EBADMSG, "%s: debian-binary is not the first member",
                                       deb);
                }
                struct archive *inner = archive_read_new();
                archive_read_support_filter_all(inner);
                archive_read_support_format_tar(inner);
                src->outer = outer;
                if (archive_read_open(inner, src, NULL, inner_read, NULL) != ARCHIVE_OK) {
                        int rc = err_set(e, -EBADMSG, "%s: %s: %s", deb, name,
                                         archive_error_string(inner));
                        archive_read_free(inner);
                        archive_read_free(outer);
                        return rc;
                }
                *ret_outer = outer;
                *ret_inner = inner;
                return 0;
        }
        archive_read_free(outer);
        return err_set(e, -EBADMSG, "%s: no %s member", deb, prefix);
}

/* "./usr/bin/x" -> "usr/bin/x"; "" for the root itself. */
static const char *strip_dot(const char *p)
{
        while (p[0] == '.' && p[1] == '/')
                p += 2;
        while (*p == '/')
                p++;
        if (!strcmp(p, "."))
                return "";
        return p;
}

/* The path in the tree for an archive path: merged top-level directories
 * are redirected under usr/. NULL when the entry is a merged directory
 * itself (the symlink stays). */
static char *tree_path(const char *rel, const char *const *merged)
{
        for (size_t i = 0; merged && merged[i]; i++) {
                size_t n = strlen(merged[i]);
                if (strncmp(rel, merged[i], n) != 0)
                        continue;
                if (rel[n] == '\0' || (rel[n] == '/' && rel[n + 1] == '\0'))
                        return NULL;
                if (rel[n] == '/')
                        return xasprintf("usr/%s", rel);
        }
        return xstrdup(rel);
}

int apt_deb_extract(const char *deb, const char *root, const char *const *merged_dirs, err_t *e)
{
        /* No ARCHIVE_EXTRACT_TIME: packages unpack in parallel, so a shared
         * directory's mtime would depend on which came last; dpkg sets the
         * files' times when it unpacks them again, and directories keep
         * the build time (clamped by SOURCE_DATE_EPOCH). */
        _cleanup_free_ char *rootabs = realpath(root, NULL);
        if (!rootabs)
                return err_sys(e, errno, "%s", root);
        inner_src src;
        _cleanup_archive_ struct archive *outer = NULL;
        _cleanup_archive_ struct archive *in = NULL;
        int rc = open_member(deb, "data.tar", &outer, &in, &src, e);
        if (rc < 0)
                return rc;
        _cleanup_warchive_ struct archive *out = archive_write_disk_new();
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                                    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK);
        struct archive_entry *ent;
        for (;;) {
                int r = archive_read_next_header(in, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EBADMSG, "%s: data.tar: %s", deb,
                                       archive_error_string(in));
                const char *rel = strip_dot(archive_entry_pathname(ent));
                if (!*rel)
                        continue;
                if (!path_is_contained(rel)) {
                        char sn[80];
                        return err_set(e, -EBADMSG, "%s: entry \"%s\": leaves the root", deb,
                                       apt_snip(rel, 64, sn, sizeof(sn)));
                }
                _cleanup_free_ char *tp = tree_path(rel, merged_dirs);
                if (!tp)
                        continue;
                _cleanup_free_ char *full = path_join(rootabs, tp);
                archive_entry_set_pathname(ent, full);
                const char *hl = archive_entry_hardlink(ent);
                if (hl) {
                        const char *hrel = strip_dot(hl);
                        if (!path_is_contained(hrel)) {
                                char sn[80];
                                return err_set(e, -EBADMSG, "%s: hardlink \"%s\": leaves the root",
                                               deb, apt_snip(hrel, 64, sn, sizeof(sn)));
                        }
                        _cleanup_free_ char *htp = tree_path(hrel, merged_dirs);
                        _cleanup_free_ char *hfull = path_join(rootabs, htp ? htp : hrel);
                        archive_entry_set_hardlink(ent, hfull);
                }
                r = archive_write_header(out, ent);
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EIO, "%s: %s: %s", deb, tp, archive_error_string(out));
                if (archive_entry_size(ent) > 0 && r >= ARCHIVE_WARN) {
                        const void *b;
                        size_t len;
                        la_int64_t off;
                        for (;;) {
                                r = archive_read_data_block(in, &b, &len, &off);
                                if (r == ARCHIVE_EOF)
                                        break;
                                if (r < ARCHIVE_WARN)
                                        return err_set(e, -EBADMSG, "%s: %s: %s", deb, tp,
                                                       archive_error_string(in));
                                if (archive_write_data_block(out, b, len, off) < ARCHIVE_WARN)
                                        return err_set(e, -EIO, "%s: %s: %s", deb, tp,
                                                       archive_error_string(out));
                        }
                }
                if (archive_write_finish_entry(out) < ARCHIVE_WARN)
                        return err_set(e, -EIO, "%s: %s: %s", deb, tp, archive_error_string(out));
        }
        if (archive_write_close(out) < ARCHIVE_WARN)
                return err_set(e, -EIO, "%s: %s", deb, archive_error_string(out));
        return 0;
}

int apt_deb_control_file(const char *deb, const char *member, char **ret, size_t *ret_len, err_t *e)
{
        inner_src src;
        _cleanup_archive_ struct archive *outer = NULL;
        _cleanup_archive_ struct archive *in = NULL;
        int rc = open_member(deb, "control.tar", &outer, &in, &src, e);
        if (rc < 0)
                return rc;
        struct archive_entry *ent;
        for (;;) {
                int r = archive_read_next_header(in, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EBADMSG, "%s: control.tar: %s", deb,
                                       archive_error_string(in));
                if (strcmp(strip_dot(archive_entry_pathname(ent)), member) != 0)
                        continue;
                int64_t size = archive_entry_size(ent);
                if (size < 0 || size > (16 << 20))
                        return err_set(e, -EFBIG, "%s: %s: too large", deb, member);
                char *buf = xmalloc((size_t)size + 1);
                la_ssize_t n = archive_read_data(in, buf, (size_t)size);
                if (n != size) {
                        free(buf);
                        return err_set(e, -EBADMSG, "%s: %s: short read", deb, member);
                }
                buf[size] = '\0';
                *ret = buf;
                *ret_len = (size_t)size;
                return 0;
        }
        return err_set(e, -ENOENT, "%s: no %s in control.tar", deb, member);
}
