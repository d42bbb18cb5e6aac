/* A private copy of a layer, for kernels that refuse overlay inside a user
 * namespace: libarchive reads the tree from disk and writes it at dst
 * (owners, modes, times, xattrs; no following of symlinks). */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "lazylib.h"

static int copy_entries(struct archive *in, struct archive *out, const char *src, const char *dst,
                        err_t *e)
{
        size_t srclen = strlen(src);
        struct archive_entry *ent = archive_entry_new();
        int r = 0;
        if (archive_read_disk_open(in, src) != ARCHIVE_OK)
                r = err_set(e, -EIO, "copy %s: %s", src, archive_error_string(in));
        while (r == 0) {
                int st = archive_read_next_header2(in, ent);
                if (st == ARCHIVE_EOF)
                        break;
                if (st < ARCHIVE_WARN) {
                        r = err_set(e, -EIO, "copy %s: %s", src, archive_error_string(in));
                        break;
                }
                archive_read_disk_descend(in);
                const char *p = archive_entry_pathname(ent);
                /* Paths come back as SRC/...: re-root them at DST. */
                const char *rest = strncmp(p, src, srclen) == 0 ? p + srclen : p;
                _cleanup_free_ char *np = xasprintf("%s%s", dst, rest);
                archive_entry_set_pathname(ent, np);
                const char *hl = archive_entry_hardlink(ent);
                if (hl && strncmp(hl, src, srclen) == 0) {
                        _cleanup_free_ char *nh = xasprintf("%s%s", dst, hl + srclen);
                        archive_entry_set_hardlink(ent, nh);
                }
                if (archive_write_header(out, ent) < ARCHIVE_WARN) {
                        r = err_set(e, -EIO, "copy to %s: %s", np, archive_error_string(out));
                        break;
                }
                if (archive_entry_size(ent) > 0) {
                        const void *buf;
                        size_t len;
                        la_int64_t off;
                        while (archive_read_data_block(in, &buf, &len, &off) == ARCHIVE_OK)
                                if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN) {
                                        r = err_set(e, -EIO, "copy to %s: %s", np,
                                                    archive_error_string(out));
                                        break;
                                }
                }
                archive_write_finish_entry(out);
        }
        archive_entry_free(ent);
        if (r == 0 && archive_write_close(out) < ARCHIVE_WARN)
                r = err_set(e, -EIO, "copy to %s: %s", dst, archive_error_string(out));
        return r;
}

int mounts_copy_tree(const char *src, const char *dst, err_t *e)
{
        int r = la_load(e);
        if (r < 0)
                return r;
        struct archive *in = archive_read_disk_new();
        struct archive *out = archive_write_disk_new();
        archive_read_disk_set_symlink_physical(in);
        archive_read_disk_set_behavior(in, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_PERM |
                                                    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                                                    ARCHIVE_EXTRACT_OWNER);
        r = copy_entries(in, out, src, dst, e);
        archive_read_free(in);
        archive_write_free(out);
        return r;
}
