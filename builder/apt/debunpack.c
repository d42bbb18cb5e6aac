/* .deb reading with libarchive: the outer ar archive, then the control or
 * data tarball (gz, xz, zst, bz2 or none) streamed from inside it. The data
 * member goes through the one extractor (extract.h: names cleaned, every
 * path resolved inside the root, every write checked, so a full disk fails
 * the package instead of leaving a truncated file), with the merged-/usr
 * redirection as its path rewrite. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>

#include "apt.h"
#include "extract.h"

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
#define _cleanup_archive_ _cleanup_(archive_freep)

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

/* "./usr/bin/x" -> "usr/bin/x"; "" for the root itself (control.tar
 * member names only: data entries go through the extractor's cleaner). */
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

/* The path in the tree for a (cleaned) archive path: merged top-level
 * directories are redirected under usr/; the merged directory itself is
 * skipped (the symlink stays). */
static int merged_usr(void *ud, const char *rel, char **ret)
{
        const char *const *merged = ud;
        for (size_t i = 0; merged && merged[i]; i++) {
                size_t n = strlen(merged[i]);
                if (strncmp(rel, merged[i], n) != 0)
                        continue;
                if (rel[n] == '\0')
                        return 1;
                if (rel[n] == '/') {
                        *ret = xasprintf("usr/%s", rel);
                        return 0;
                }
        }
        return 0;
}

int apt_deb_extract(const char *deb, const char *root, const char *const *merged_dirs, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        inner_src src;
        _cleanup_archive_ struct archive *outer = NULL;
        _cleanup_archive_ struct archive *in = NULL;
        int rc = open_member(deb, "data.tar", &outer, &in, &src, e);
        if (rc < 0)
                return rc;
        /* No times: packages unpack in parallel, so a shared directory's
         * mtime would depend on which came last; dpkg sets the files'
         * times when it unpacks them again, and directories keep the
         * build time (clamped by SOURCE_DATE_EPOCH). A directory entry
         * leaves a symlink there alone, as dpkg does. */
        _cleanup_free_ char *label = xasprintf("%s: data.tar", deb);
        xt_opts o = {
                .label = label,
                .owners = geteuid() == 0 ? XT_OWNERS_TRY : XT_OWNERS_CALLER,
                .devices = XT_DEVICES_CREATE,
                .no_times = true,
                .keep_dirs = true,
                .rewrite = merged_dirs ? merged_usr : NULL,
                .rewrite_ud = (void *)merged_dirs,
        };
        return xt_extract_archive(in, rootfd, &o, NULL, e);
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
