/* pgz's writer: chunks of the input compressed on the pool's threads,
 * members written in input order (pgz.h has the format). */
#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pgz_writer {
        pgz_pool pool;
        pgz_sink sink;
        void *ud;
        char *label;
        int level;
        pgz_slot *cur; /* being filled, not yet submitted */
        size_t members;
        int failed; /* a negative errno once the sink failed */
};

static void *writer_ctx_new(void *ud)
{
        return libdeflate_alloc_compressor(*(int *)ud);
}

static void writer_ctx_free(void *ctx)
{
        libdeflate_free_compressor(ctx);
}

static void put_le32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char)v;
        p[1] = (unsigned char)(v >> 8);
        p[2] = (unsigned char)(v >> 16);
        p[3] = (unsigned char)(v >> 24);
}

static int writer_job(void *ctx, pgz_slot *s)
{
        struct libdeflate_compressor *c = ctx;
        size_t bound = libdeflate_deflate_compress_bound(c, s->in_len) + PGZ_HEADER_LEN + 8;
        pgz_reserve(&s->out, &s->out_cap, bound);
        size_t n = libdeflate_deflate_compress(c, s->in, s->in_len, s->out + PGZ_HEADER_LEN,
                                               s->out_cap - PGZ_HEADER_LEN - 8);
        if (n == 0) /* cannot happen within the bound */
                return -ENOSPC;
        static const unsigned char head[16] = {0x1f, 0x8b, 8, 4, 0,   0,   0, 0,
                                               0,    3,    8, 0, 'M', 'R', 4, 0};
        unsigned char *o = s->out;
        size_t total = PGZ_HEADER_LEN + n + 8;
        memcpy(o, head, sizeof(head));
        put_le32(o + 16, (uint32_t)total);
        put_le32(o + PGZ_HEADER_LEN + n, libdeflate_crc32(0, s->in, s->in_len));
        put_le32(o + PGZ_HEADER_LEN + n + 4, (uint32_t)s->in_len);
        s->out_len = total;
        return 0;
}

int pgz_writer_new(int level, unsigned threads, pgz_sink sink, void *ud, const char *label,
                   pgz_writer **ret, err_t *e)
{
        if (level == 0)
                level = PGZ_DEFAULT_LEVEL;
        if (level < 1 || level > 12)
                return err_set(e, -EINVAL, "%s: gzip level %d is not between 1 and 12", label,
                               level);
        pgz_writer *w = xcalloc(1, sizeof(*w));
        w->sink = sink;
        w->ud = ud;
        w->label = xstrdup(label);
        w->level = level;
        int r = pgz_pool_init(&w->pool, threads, writer_job, writer_ctx_new, writer_ctx_free,
                              &w->level, e);
        if (r < 0) {
                err_prefix(e, "%s", label);
                pgz_writer_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

/* The oldest member, compressed, handed to the sink. */
static int writer_retire(pgz_writer *w, err_t *e)
{
        pgz_slot *s = pgz_pool_head(&w->pool);
        int r = s->res;
        if (r == 0)
                r = w->sink(w->ud, s->out, s->out_len);
        pgz_pool_release(&w->pool);
        if (r < 0) {
                w->failed = r;
                return err_sys(e, -r, "%s: writing", w->label);
        }
        return 0;
}

static int writer_take_slot(pgz_writer *w, err_t *e)
{
        pgz_slot *s;
        while (!(s = pgz_pool_tail(&w->pool))) {
                int r = writer_retire(w, e);
                if (r < 0)
                        return r;
        }
        pgz_reserve(&s->in, &s->in_cap, PGZ_CHUNK);
        s->in_len = 0;
        s->index = w->members;
        w->cur = s;
        return 0;
}

static void writer_submit(pgz_writer *w)
{
        pgz_pool_submit(&w->pool);
        w->cur = NULL;
        w->members++;
}

int pgz_write(pgz_writer *w, const void *data, size_t len, err_t *e)
{
        if (w->failed)
                return err_sys(e, -w->failed, "%s: writing", w->label);
        const unsigned char *p = data;
        while (len > 0) {
                int r = w->cur ? 0 : writer_take_slot(w, e);
                if (r < 0)
                        return r;
                size_t n = PGZ_CHUNK - w->cur->in_len;
                if (n > len)
                        n = len;
                memcpy(w->cur->in + w->cur->in_len, p, n);
                w->cur->in_len += n;
                p += n;
                len -= n;
                if (w->cur->in_len == PGZ_CHUNK)
                        writer_submit(w);
        }
        return 0;
}

int pgz_writer_finish(pgz_writer *w, err_t *e)
{
        if (w->failed)
                return err_sys(e, -w->failed, "%s: writing", w->label);
        /* An empty input is one empty member: a file of no bytes is no gzip. */
        int r = !w->cur && w->members == 0 ? writer_take_slot(w, e) : 0;
        if (r < 0)
                return r;
        if (w->cur)
                writer_submit(w);
        while (!pgz_pool_empty(&w->pool))
                if ((r = writer_retire(w, e)) < 0)
                        return r;
        return 0;
}

void pgz_writer_free(pgz_writer *w)
{
        if (!w)
                return;
        pgz_pool_fini(&w->pool);
        free(w->label);
        free(w);
}
