/* pgz: round trips across chunk boundaries, the same bytes for any thread
 * count, zlib reading the stream as one gzip, and every kind of damage
 * reported with the file, the member and its offset. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "pgz.h"
#include "test.h"

typedef struct membuf {
        unsigned char *p;
        size_t len, cap;
} membuf;

static int mem_sink(void *ud, const void *data, size_t len)
{
        membuf *m = ud;
        if (len == 0)
                return 0;
        if (m->len + len > m->cap) {
                m->cap = (m->len + len) * 2;
                m->p = xrealloc(m->p, m->cap);
        }
        memcpy(m->p + m->len, data, len);
        m->len += len;
        return 0;
}

static int fail_sink(void *ud, const void *data, size_t len)
{
        return -ENOSPC;
}

/* data compressed with threads, fed in pieces of step bytes */
static membuf pgz_mem(const unsigned char *data, size_t len, unsigned threads, size_t step)
{
        membuf m = {0};
        err_t e = {0};
        pgz_writer *w = NULL;
        CHECK_INT(pgz_writer_new(0, threads, mem_sink, &m, "out.gz", &w, &e), 0);
        if (!w)
                return m;
        for (size_t at = 0; at < len; at += step)
                CHECK_INT(pgz_write(w, data + at, len - at < step ? len - at : step, &e), 0);
        CHECK_INT(pgz_writer_finish(w, &e), 0);
        pgz_writer_free(w);
        return m;
}

static int memfd_of(const void *data, size_t len)
{
        int fd = memfd_create("pgz", MFD_CLOEXEC);
        CHECK(fd >= 0);
        CHECK_INT(fd_write_all(fd, data, len), 0);
        lseek(fd, 0, SEEK_SET);
        return fd;
}

static void count_raw(void *ud, const void *data, size_t len)
{
        *(size_t *)ud += len;
}

/* The whole stream read back; its error (0 when none) in *ret_r. */
static membuf inflate_pgz(const membuf *gz, unsigned threads, int *ret_r, err_t *e)
{
        membuf out = {0};
        int fd = memfd_of(gz->p, gz->len);
        /* As the extractor does: the header read first, then handed in. */
        unsigned char head[PGZ_HEADER_LEN];
        ssize_t hn = fd_read_full(fd, head, sizeof(head));
        size_t raw = 0;
        pgz_reader *r = NULL;
        *ret_r = pgz_reader_new(fd, head, (size_t)hn, threads, count_raw, &raw, "in.gz", &r, e);
        for (;;) {
                const void *p;
                ssize_t n = *ret_r < 0 ? *ret_r : pgz_read(r, &p, e);
                if (n <= 0) {
                        *ret_r = (int)n;
                        break;
                }
                mem_sink(&out, p, (size_t)n);
        }
        if (*ret_r == 0)
                CHECK_INT(raw, gz->len); /* every byte seen, for the digest */
        pgz_reader_free(r);
        close(fd);
        return out;
}

/* zlib's reading of a multi-member file, as gzip -dc does it. */
static membuf inflate_zlib(const membuf *gz)
{
        membuf out = {0};
        z_stream z = {0};
        CHECK_INT(inflateInit2(&z, 15 + 16), Z_OK);
        z.next_in = gz->p;
        z.avail_in = (uInt)gz->len;
        unsigned char buf[1 << 16];
        while (z.avail_in > 0) {
                z.next_out = buf;
                z.avail_out = sizeof(buf);
                int zr = inflate(&z, Z_NO_FLUSH);
                mem_sink(&out, buf, sizeof(buf) - z.avail_out);
                if (zr == Z_STREAM_END)
                        inflateReset(&z);
                else if (zr != Z_OK) {
                        CHECK(!"zlib failed");
                        break;
                }
        }
        inflateEnd(&z);
        return out;
}

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *sample(size_t len, bool random)
{
        unsigned char *p = xmalloc(len ? len : 1);
        unsigned x = 12345;
        for (size_t i = 0; i < len; i++) {
                x = x * 1103515245 + 12345;
                p[i] = random ? (unsigned char)(x >> 16)
                              : (unsigned char)("mkroot runroot\n"[i % 15] ^ ((i / 4099) & 3));
        }
        return p;
}

static void test_round_trips(void)
{
        const size_t sizes[] = {0, 1, PGZ_CHUNK - 1, PGZ_CHUNK, PGZ_CHUNK + 1, 3 * PGZ_CHUNK + 17};
        for (int random = 0; random < 2; random++)
                for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
                        size_t len = sizes[i];
                        unsigned char *data = sample(len, random);
                        membuf one = pgz_mem(data, len, 1, 100003);
                        membuf two = pgz_mem(data, len, 2, len ? len : 1);
                        membuf four = pgz_mem(data, len, 4, 4096);
                        CHECK(one.len > 0);
                        CHECK(pgz_is_member(one.p, one.len));
                        /* the same bytes whatever the thread count and the writes */
                        CHECK(one.len == two.len && memcmp(one.p, two.p, one.len) == 0);
                        CHECK(one.len == four.len && memcmp(one.p, four.p, one.len) == 0);
                        /* members: one per chunk, an empty input one empty member */
                        size_t members = 0;
                        for (size_t at = 0; at + PGZ_HEADER_LEN <= one.len; members++)
                                at += le32(one.p + at + 16);
                        CHECK_INT(members, len ? (len + PGZ_CHUNK - 1) / PGZ_CHUNK : 1);
                        for (unsigned t = 1; t <= 4; t *= 2) {
                                err_t e = {0};
                                int r;
                                membuf back = inflate_pgz(&one, t, &r, &e);
                                CHECK_INT(r, 0);
                                CHECK(back.len == len &&
                                      (len == 0 || memcmp(back.p, data, len) == 0));
                                free(back.p);
                        }
                        membuf z = inflate_zlib(&one);
                        CHECK(z.len == len && (len == 0 || memcmp(z.p, data, len) == 0));
                        free(z.p);
                        free(one.p);
                        free(two.p);
                        free(four.p);
                        free(data);
                }
}

/* A copy of gz changed by damage(), which sets *at to the offset of the
 * member it hurt. */
static membuf damaged(const membuf *gz, void (*damage)(membuf *, size_t *), size_t *at)
{
        membuf bad = {xmalloc(gz->len + 64), gz->len, gz->len + 64};
        memcpy(bad.p, gz->p, gz->len);
        *at = 0;
        damage(&bad, at);
        return bad;
}

/* bad read back with 1, 2 and 4 threads: the error is exactly want, after
 * the members before the damage (good bytes of them). */
static void check_damage(membuf bad, const char *want, size_t good)
{
        for (unsigned t = 1; t <= 4; t *= 2) {
                err_t e = {0};
                int r;
                membuf out = inflate_pgz(&bad, t, &r, &e);
                CHECK_INT(r, -EBADMSG);
                CHECK_STR(e.msg, want);
                CHECK_INT(out.len, good);
                free(out.p);
        }
        free(bad.p);
}

static size_t member_at(const membuf *m, size_t k)
{
        size_t at = 0;
        for (size_t i = 0; i < k; i++)
                at += le32(m->p + at + 16);
        return at;
}

static void flip_data_1(membuf *m, size_t *at)
{
        *at = member_at(m, 1);
        m->p[*at + PGZ_HEADER_LEN + 100] ^= 0x55;
}
static void flip_crc_2(membuf *m, size_t *at)
{
        *at = member_at(m, 2);
        m->p[*at + le32(m->p + *at + 16) - 8] ^= 1;
}
static void cut_in_2(membuf *m, size_t *at)
{
        *at = member_at(m, 2);
        m->len = *at + 1000;
}
static void cut_header_1(membuf *m, size_t *at)
{
        *at = member_at(m, 1);
        m->len = *at + 10;
}
static void garbage_after(membuf *m, size_t *at)
{
        *at = m->len;
        memcpy(m->p + m->len, "trailing garbage, twenty bytes or more", 30);
        m->len += 30;
}
static void huge_size_0(membuf *m, size_t *at)
{
        m->p[16] = m->p[17] = m->p[18] = m->p[19] = 0xff;
}
static void size_short_1(membuf *m, size_t *at)
{
        /* 8 bytes short: the trailer read from inside the deflate data */
        *at = member_at(m, 1);
        uint32_t v = le32(m->p + *at + 16) - 8;
        for (int i = 0; i < 4; i++)
                m->p[*at + 16 + i] = (unsigned char)(v >> (8 * i));
}

static void test_damage(void)
{
        size_t len = 3 * PGZ_CHUNK + 5;
        unsigned char *data = sample(len, false);
        membuf gz = pgz_mem(data, len, 2, 65536);
        char want[256];
        size_t at;
        membuf bad = damaged(&gz, flip_data_1, &at);
        snprintf(want, sizeof(want),
                 "in.gz: member 1 at byte %zu: corrupt (bad deflate data, CRC32 or length)", at);
        check_damage(bad, want, PGZ_CHUNK);
        bad = damaged(&gz, flip_crc_2, &at);
        snprintf(want, sizeof(want),
                 "in.gz: member 2 at byte %zu: corrupt (bad deflate data, CRC32 or length)", at);
        check_damage(bad, want, 2 * PGZ_CHUNK);
        bad = damaged(&gz, cut_in_2, &at);
        snprintf(want, sizeof(want), "in.gz: truncated: member 2 at byte %zu has 1000 of %u bytes",
                 at, le32(gz.p + at + 16));
        check_damage(bad, want, 2 * PGZ_CHUNK);
        bad = damaged(&gz, cut_header_1, &at);
        snprintf(want, sizeof(want),
                 "in.gz: truncated: member 1 at byte %zu has 10 of 20 header bytes", at);
        check_damage(bad, want, PGZ_CHUNK);
        bad = damaged(&gz, garbage_after, &at);
        snprintf(want, sizeof(want),
                 "in.gz: member 4 at byte %zu: not a gzip member with a size field (garbage "
                 "or another gzip after member 3)",
                 at);
        check_damage(bad, want, len);
        bad = damaged(&gz, huge_size_0, &at);
        check_damage(bad, "in.gz: member 0 at byte 0: size field 4294967295 out of range", 0);
        /* Whatever the trailer then says, it is refused (its ISIZE, or the
         * deflate data not ending where the size says). */
        for (unsigned t = 1; t <= 2; t++) {
                bad = damaged(&gz, size_short_1, &at);
                err_t e = {0};
                int r;
                membuf out = inflate_pgz(&bad, t, &r, &e);
                CHECK_INT(r, -EBADMSG);
                snprintf(want, sizeof(want), "in.gz: member 1 at byte %zu: ", at);
                CHECK(strncmp(e.msg, want, strlen(want)) == 0);
                free(out.p);
                free(bad.p);
        }
        free(gz.p);
        free(data);
}

static void test_not_ours(void)
{
        /* zlib's gzip has no size field: not a pgz member */
        unsigned char in[100] = {0}, out[200];
        z_stream z = {0};
        CHECK_INT(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = in;
        z.avail_in = sizeof(in);
        z.next_out = out;
        z.avail_out = sizeof(out);
        CHECK_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
        CHECK(!pgz_is_member(out, sizeof(out) - z.avail_out));
        deflateEnd(&z);
        membuf gz = pgz_mem(in, sizeof(in), 1, sizeof(in));
        CHECK(pgz_is_member(gz.p, gz.len));
        CHECK(!pgz_is_member(gz.p, PGZ_HEADER_LEN - 1));
        free(gz.p);
}

static void test_sink_fails(void)
{
        err_t e = {0};
        pgz_writer *w = NULL;
        CHECK_INT(pgz_writer_new(0, 2, fail_sink, NULL, "out.gz", &w, &e), 0);
        unsigned char *data = sample(2 * PGZ_CHUNK, true);
        int r = pgz_write(w, data, 2 * PGZ_CHUNK, &e);
        if (r == 0)
                r = pgz_writer_finish(w, &e);
        CHECK_INT(r, -ENOSPC);
        CHECK_STR(e.msg, "out.gz: writing: No space left on device");
        pgz_writer_free(w);
        CHECK_INT(pgz_writer_new(13, 1, mem_sink, NULL, "out.gz", &w, &e), -EINVAL);
        CHECK_STR(e.msg, "out.gz: gzip level 13 is not between 1 and 12");
        free(data);
}

int main(void)
{
        test_round_trips();
        test_damage();
        test_not_ours();
        test_sink_fails();
        TEST_END();
}
