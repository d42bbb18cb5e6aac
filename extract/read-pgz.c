/* The pgz path of xt_extract_fd: a gzip whose first member carries its
 * size is inflated on every core (pgz.h) and read by libarchive as the
 * plain archive it holds. */
#include <errno.h>

#include "pgz.h"
#include "xt-extract.h"

/* A gzip stream of sized members (pgz.h): inflated on every core and
 * handed to libarchive as the plain archive it holds. */
typedef struct pgz_source {
        pgz_reader *r;
        err_t err;
        bool failed;
} pgz_source;

static la_ssize_t pgz_source_read(struct archive *a, void *ud, const void **ret)
{
        pgz_source *p = ud;
        ssize_t n = pgz_read(p->r, ret, &p->err);
        if (n < 0) {
                p->failed = true;
                archive_set_error(a, -p->err.code, "%s", p->err.msg);
                return -1;
        }
        return n;
}

static void pgz_digest(void *ud, const void *data, size_t len)
{
        lz_sha256_update(ud, data, len);
}

int xt_extract_pgz(int fd, const unsigned char *head, size_t head_len, lz_sha256 *dg, int rootfd,
                   const xt_opts *o, xt_stats *ret_stats, err_t *e)
{
        const char *label = o->label ? o->label : "archive";
        pgz_source p = {0};
        int r = pgz_reader_new(fd, head, head_len, 0, dg ? pgz_digest : NULL, dg, label, &p.r, e);
        if (r < 0)
                return r;
        struct archive *in = archive_read_new();
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        archive_read_support_format_cpio(in);
        if (archive_read_open(in, &p, NULL, pgz_source_read, NULL) != ARCHIVE_OK)
                r = err_set(e, p.failed ? p.err.code : -EINVAL, "%s", p.failed ? p.err.msg :
                            archive_error_string(in) ?: "not an archive");
        else
                r = xt_extract_archive(in, rootfd, o, ret_stats, e);
        archive_read_free(in);
        /* pgz's own message, not libarchive's rewording of it. */
        if (r < 0 && p.failed) {
                *e = p.err;
                r = p.err.code;
        }
        /* The rest of the file: checked, and digested (what follows the
         * end-of-archive marker too). */
        while (r == 0) {
                const void *buf;
                ssize_t n = pgz_read(p.r, &buf, e);
                if (n <= 0) {
                        r = (int)n;
                        break;
                }
        }
        pgz_reader_free(p.r);
        return r;
}
