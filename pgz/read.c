/* pgz's reader: members located by their size fields, read in order by
 * the caller's thread, inflated on the pool's threads, handed back in
 * order. Everything in a member is checked before its bytes go out: the
 * header, the sizes against PGZ_MAX_*, the deflate data, CRC32 and ISIZE
 * (libdeflate), and that the deflate data ends where the size says. */
#include <errno.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum {
        READ_OK,
        READ_CORRUPT,    /* bad deflate data, CRC32 or ISIZE */
        READ_SIZE_FIELD, /* the deflate data does not end where SIZE says */
};

struct pgz_reader {
        pgz_pool pool;
        int fd;
        pgz_raw_hook raw;
        void *raw_ud;
        char *label;
        unsigned char head[PGZ_HEADER_LEN];
        size_t head_len; /* bytes of head not yet used (the first member) */
        uint64_t offset; /* bytes read */
        size_t members;  /* members read */
        bool in_done;    /* end of file or in_res */
        int in_res;      /* reading the next member failed: in_err says how */
        err_t in_err;
        bool handed_out; /* the head slot's data is the caller's until the next call */
        int failed;      /* a member was bad: every later call says so again */
        err_t fail_err;
};

static const unsigned char pgz_magic[16] = {0x1f, 0x8b, 8, 4, 0,   0,   0, 0,
                                            0,    3,    8, 0, 'M', 'R', 4, 0};

bool pgz_is_member(const void *head, size_t len)
{
        /* XFL and OS are not checked: another writer may set them. */
        const unsigned char *h = head;
        return len >= PGZ_HEADER_LEN && memcmp(h, pgz_magic, 9) == 0 &&
               memcmp(h + 10, pgz_magic + 10, 6) == 0;
}

static void *reader_ctx_new(void *ud)
{
        return libdeflate_alloc_decompressor();
}

static void reader_ctx_free(void *ctx)
{
        libdeflate_free_decompressor(ctx);
}

static int reader_job(void *ctx, pgz_slot *s)
{
        size_t used = 0;
        enum libdeflate_result lr = libdeflate_gzip_decompress_ex(ctx, s->in, s->in_len, s->out,
                                                                  s->out_len, &used, NULL);
        if (lr != LIBDEFLATE_SUCCESS)
                return READ_CORRUPT;
        return used == s->in_len ? READ_OK : READ_SIZE_FIELD;
}

int pgz_reader_new(int fd, const void *head, size_t head_len, unsigned threads, pgz_raw_hook raw,
                   void *raw_ud, const char *label, pgz_reader **ret, err_t *e)
{
        if (head_len > PGZ_HEADER_LEN)
                return err_set(e, -EINVAL, "%s: %zu bytes of header", label, head_len);
        pgz_reader *r = xcalloc(1, sizeof(*r));
        r->fd = fd;
        r->raw = raw;
        r->raw_ud = raw_ud;
        r->label = xstrdup(label);
        memcpy(r->head, head, head_len);
        r->head_len = head_len;
        int rc = pgz_pool_init(&r->pool, threads, reader_job, reader_ctx_new, reader_ctx_free, NULL,
                               e);
        if (rc < 0) {
                err_prefix(e, "%s", label);
                pgz_reader_free(r);
                return rc;
        }
        *ret = r;
        return 0;
}

static ssize_t reader_read(pgz_reader *r, void *buf, size_t len)
{
        ssize_t n = fd_read_full(r->fd, buf, len);
        if (n > 0) {
                if (r->raw)
                        r->raw(r->raw_ud, buf, (size_t)n);
                r->offset += (uint64_t)n;
        }
        return n;
}

/* Stop reading: the members before this one still go out, then this. */
static void reader_fail(pgz_reader *r, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void reader_fail(pgz_reader *r, int code, const char *fmt, ...)
{
        char msg[ERR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        r->in_done = true;
        r->in_res = err_set(&r->in_err, code, "%s: %s", r->label, msg);
}

/* Read the next member into s; false at the end of the file or on an
 * error (r->in_done set either way). */
static bool reader_fill(pgz_reader *r, pgz_slot *s)
{
        unsigned char h[PGZ_HEADER_LEN];
        uint64_t at = r->offset;
        size_t have = r->head_len;
        memcpy(h, r->head, have);
        if (have && r->raw)
                r->raw(r->raw_ud, h, have);
        r->offset += have;
        r->head_len = 0;
        ssize_t n = reader_read(r, h + have, sizeof(h) - have);
        if (n < 0) {
                reader_fail(r, (int)n, "reading member %zu at byte %llu: %s", r->members,
                            (unsigned long long)at, strerror((int)-n));
                return false;
        }
        have += (size_t)n;
        if (have == 0) {
                r->in_done = true;
                return false;
        }
        if (have < sizeof(h)) {
                reader_fail(r, -EBADMSG,
                            "truncated: member %zu at byte %llu has %zu of %d header bytes",
                            r->members, (unsigned long long)at, have, PGZ_HEADER_LEN);
                return false;
        }
        if (!pgz_is_member(h, have)) {
                reader_fail(r, -EBADMSG,
                            "member %zu at byte %llu: not a gzip member with a size field "
                            "(garbage or another gzip after member %zu)",
                            r->members, (unsigned long long)at, r->members ? r->members - 1 : 0);
                return false;
        }
        uint32_t size = pgz_le32(h + 16);
        if (size < PGZ_HEADER_LEN + 8 + 2 || size > PGZ_MAX_MEMBER) {
                reader_fail(r, -EBADMSG, "member %zu at byte %llu: size field %u out of range",
                            r->members, (unsigned long long)at, size);
                return false;
        }
        pgz_reserve(&s->in, &s->in_cap, size);
        memcpy(s->in, h, sizeof(h));
        n = reader_read(r, s->in + sizeof(h), size - sizeof(h));
        if (n < 0) {
                reader_fail(r, (int)n, "reading member %zu at byte %llu: %s", r->members,
                            (unsigned long long)at, strerror((int)-n));
                return false;
        }
        if ((size_t)n < size - sizeof(h)) {
                reader_fail(r, -EBADMSG, "truncated: member %zu at byte %llu has %zu of %u bytes",
                            r->members, (unsigned long long)at, (size_t)n + sizeof(h), size);
                return false;
        }
        uint32_t isize = pgz_le32(s->in + size - 4);
        if (isize > PGZ_MAX_ISIZE) {
                reader_fail(r, -EBADMSG,
                            "member %zu at byte %llu: %u bytes uncompressed, more than %u",
                            r->members, (unsigned long long)at, isize, PGZ_MAX_ISIZE);
                return false;
        }
        s->in_len = size;
        pgz_reserve(&s->out, &s->out_cap, isize ? isize : 1);
        s->out_len = isize;
        s->offset = at;
        s->index = r->members++;
        return true;
}

static ssize_t reader_bad(pgz_reader *r, const pgz_slot *s, err_t *e)
{
        const char *what = s->res == READ_CORRUPT ? "corrupt (bad deflate data, CRC32 or length)"
                                                  : "its size field disagrees with its data";
        r->failed = err_set(&r->fail_err, -EBADMSG, "%s: member %zu at byte %llu: %s", r->label,
                            s->index, (unsigned long long)s->offset, what);
        *e = r->fail_err;
        return r->failed;
}

ssize_t pgz_read(pgz_reader *r, const void **ret_data, err_t *e)
{
        if (r->failed) {
                *e = r->fail_err;
                return r->failed;
        }
        for (;;) {
                if (r->handed_out) {
                        pgz_pool_release(&r->pool);
                        r->handed_out = false;
                }
                pgz_slot *s;
                while (!r->in_done && (s = pgz_pool_tail(&r->pool)))
                        if (reader_fill(r, s))
                                pgz_pool_submit(&r->pool);
                s = pgz_pool_head(&r->pool);
                if (!s) {
                        if (r->in_res < 0) {
                                *e = r->in_err;
                                return r->in_res;
                        }
                        return 0;
                }
                r->handed_out = true;
                if (s->res != READ_OK)
                        return reader_bad(r, s, e);
                if (s->out_len == 0)
                        continue;
                *ret_data = s->out;
                return (ssize_t)s->out_len;
        }
}

void pgz_reader_free(pgz_reader *r)
{
        if (!r)
                return;
        pgz_pool_fini(&r->pool);
        free(r->label);
        free(r);
}
