/* Unit tests for builder/ldcache.c: synthetic caches written here byte by
 * byte (hwcaps extension, old-format prefix, big-endian, hostile variants,
 * every prefix), and the host's /etc/ld.so.cache checked against
 * `ldconfig -p`. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ldcache.h"
#include "test.h"

#define NAMED (1ull << 62)
#define X8664 0x0303
#define I386 0x0003
#define X32 0x0803

/* ---- a small cache writer ---------------------------------------------- */

typedef struct centry {
        int32_t flags;
        const char *key, *value;
        uint64_t hwcap;
} centry;

static const centry entries[] = {
        {X8664, "libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1", NAMED | 0},
        {X8664, "libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1", NAMED | 1},
        {X8664, "libfoo.so.1", "/bad/index/libfoo.so.1", NAMED | 7},
        {X8664, "libfoo.so.1", "/usr/lib/libfoo.so.1", 0},
        {X8664, "libfoo.so.1", "/usr/lib/second/libfoo.so.1", 0},
        {I386, "libfoo.so.1", "/usr/lib32/libfoo.so.1", 0},
        {X8664, "libbar.so.2", "/usr/lib/glibc-hwcaps/x86-64-v2/libbar.so.2", NAMED | 1},
        {X8664, "libbaz.so", "/legacy/libbaz.so", 0x1},
        {X8664, "libabc.so", "/usr/lib/libabc.so", 0},
};
#define N_ENTRIES ARRAY_SIZE(entries)

typedef struct copts {
        size_t old_nlibs; /* >0: prepend an old-format table of this many entries */
        bool be;          /* write big-endian, endian flag 3 */
        uint8_t endian;   /* flag byte when !be (2 = little, 0 = unset) */
        bool no_ext;
} copts;

typedef struct cbuf {
        uint8_t *b;
        size_t len, cap;
        bool be;
} cbuf;

static void cb_reserve(cbuf *c, size_t len)
{
        if (len > c->cap) {
                c->cap = len * 2;
                c->b = xrealloc(c->b, c->cap);
        }
        if (len > c->len) {
                memset(c->b + c->len, 0, len - c->len);
                c->len = len;
        }
}

static void cb_put(cbuf *c, size_t off, uint64_t v, size_t width)
{
        cb_reserve(c, off + width);
        for (size_t i = 0; i < width; i++) {
                size_t shift = c->be ? (width - 1 - i) * 8 : i * 8;
                c->b[off + i] = (uint8_t)(v >> shift);
        }
}

static void cb_bytes(cbuf *c, size_t off, const void *p, size_t n)
{
        cb_reserve(c, off + n);
        memcpy(c->b + off, p, n);
}

/* Where the pieces landed, for the hostile variants. */
typedef struct layout {
        size_t base, entries, strings, ext, hwcaps_sec;
} layout;

static cbuf make_cache(const copts *o, layout *ret_l)
{
        cbuf c = {.be = o->be};
        layout l = {0};
        if (o->old_nlibs) {
                cb_bytes(&c, 0, "ld.so-1.7.0", 11);
                cb_put(&c, 12, o->old_nlibs, 4);
                for (size_t i = 0; i < o->old_nlibs; i++)
                        cb_put(&c, 16 + i * 12, 1, 4);
                l.base = (16 + o->old_nlibs * 12 + 7) & ~(size_t)7;
        }
        size_t B = l.base;
        cb_bytes(&c, B, "glibc-ld.so.cache1.1", 20);
        cb_put(&c, B + 20, N_ENTRIES, 4);
        cb_put(&c, B + 28, o->be ? 3 : o->endian, 1);
        l.entries = B + 48;
        l.strings = l.entries + N_ENTRIES * 24;

        /* Strings: subdir names, then keys and values (each stored once per
         * entry; duplicates are fine). Offsets are relative to B. */
        size_t s = l.strings;
        const char *subdirs[] = {"x86-64-v3", "x86-64-v2"};
        size_t subdir_off[2];
        for (size_t i = 0; i < 2; i++) {
                subdir_off[i] = s - B;
                cb_bytes(&c, s, subdirs[i], strlen(subdirs[i]) + 1);
                s += strlen(subdirs[i]) + 1;
        }
        size_t gen_off = s - B;
        cb_bytes(&c, s, "test generator", 15);
        s += 15;
        for (size_t i = 0; i < N_ENTRIES; i++) {
                size_t p = l.entries + i * 24;
                cb_put(&c, p, (uint32_t)entries[i].flags, 4);
                cb_put(&c, p + 4, s - B, 4);
                cb_bytes(&c, s, entries[i].key, strlen(entries[i].key) + 1);
                s += strlen(entries[i].key) + 1;
                cb_put(&c, p + 8, s - B, 4);
                cb_bytes(&c, s, entries[i].value, strlen(entries[i].value) + 1);
                s += strlen(entries[i].value) + 1;
                cb_put(&c, p + 16, entries[i].hwcap, 8);
        }
        cb_put(&c, B + 24, s - l.strings, 4);

        if (!o->no_ext) {
                l.ext = (s + 3) & ~(size_t)3;
                /* the extension's offsets count from the file start */
                cb_put(&c, B + 32, l.ext, 4);
                cb_put(&c, l.ext, 0xeaa42174, 4);
                cb_put(&c, l.ext + 4, 2, 4);
                /* section 0: generator string; section 1: hwcaps array */
                size_t arr = l.ext + 8 + 2 * 16;
                cb_put(&c, l.ext + 8, 0, 4);
                cb_put(&c, l.ext + 16, B + gen_off, 4);
                cb_put(&c, l.ext + 20, 15, 4);
                l.hwcaps_sec = l.ext + 24;
                cb_put(&c, l.hwcaps_sec, 1, 4);
                cb_put(&c, l.hwcaps_sec + 8, arr, 4);
                cb_put(&c, l.hwcaps_sec + 12, 8, 4);
                /* ld.so reads these from the file start too */
                cb_put(&c, arr, B + subdir_off[0], 4);
                cb_put(&c, arr + 4, B + subdir_off[1], 4);
        }
        if (ret_l)
                *ret_l = l;
        return c;
}

static const char *const prio_v3v2[] = {"x86-64-v3", "x86-64-v2", NULL};
static const char *const prio_v2v3[] = {"x86-64-v2", "x86-64-v3", NULL};
static const char *const prio_v2[] = {"x86-64-v2", NULL};
static const char *const prio_v4[] = {"x86-64-v4", NULL};
static const char *const prio_none[] = {NULL};

static void check_cache(const cbuf *cb, bool ext, const char *what)
{
        ldcache *c = NULL;
        err_t e = {0};
        int k = ldcache_parse(cb->b, cb->len, "cache", &c, &e);
        CHECK_INT(k, 0);
        if (k < 0) {
                fprintf(stderr, "%s: %s\n", what, e.msg);
                return;
        }
        CHECK_INT(ldcache_count(c), N_ENTRIES);
        for (size_t i = 0; i < N_ENTRIES; i++) {
                ldcache_entry en;
                ldcache_get(c, i, &en);
                CHECK_INT(en.flags, entries[i].flags);
                CHECK_STR(en.key, entries[i].key);
                CHECK_STR(en.value, entries[i].value);
                CHECK(en.hwcap == entries[i].hwcap);
        }
        ldcache_entry none;
        ldcache_get(c, N_ENTRIES, &none);
        CHECK(none.key == NULL);

        const char *const *sub = ldcache_hwcaps_subdirs(c);
        CHECK(sub != NULL);
        if (ext) {
                CHECK_STR(sub[0], "x86-64-v3");
                CHECK_STR(sub[1], "x86-64-v2");
                CHECK(sub[2] == NULL);
                CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, prio_v3v2),
                          "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1");
                CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, prio_v2v3),
                          "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1");
                CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, prio_v2),
                          "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1");
                CHECK_STR(ldcache_lookup(c, "libbar.so.2", X8664, prio_v3v2),
                          "/usr/lib/glibc-hwcaps/x86-64-v2/libbar.so.2");
        } else {
                CHECK(sub[0] == NULL);
                CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, prio_v3v2),
                          "/usr/lib/libfoo.so.1");
                CHECK(ldcache_lookup(c, "libbar.so.2", X8664, prio_v3v2) == NULL);
        }
        /* No supported subdir: the first plain entry. */
        CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, prio_v4), "/usr/lib/libfoo.so.1");
        CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, prio_none), "/usr/lib/libfoo.so.1");
        CHECK_STR(ldcache_lookup(c, "libfoo.so.1", X8664, NULL), "/usr/lib/libfoo.so.1");
        /* flags must match exactly */
        CHECK_STR(ldcache_lookup(c, "libfoo.so.1", I386, prio_v3v2), "/usr/lib32/libfoo.so.1");
        CHECK(ldcache_lookup(c, "libfoo.so.1", X32, NULL) == NULL);
        CHECK(ldcache_lookup(c, "libbar.so.2", X8664, NULL) == NULL);
        /* legacy hwcap bits: never chosen */
        CHECK(ldcache_lookup(c, "libbaz.so", X8664, prio_v3v2) == NULL);
        CHECK_STR(ldcache_lookup(c, "libabc.so", X8664, NULL), "/usr/lib/libabc.so");
        CHECK(ldcache_lookup(c, "libnone.so", X8664, NULL) == NULL);
        CHECK(ldcache_lookup(c, "", X8664, NULL) == NULL);
        CHECK(ldcache_lookup(c, "libfoo.so", X8664, NULL) == NULL);
        ldcache_free(c);
}

static void expect_fail(const cbuf *cb, const char *what)
{
        ldcache *c = NULL;
        err_t e = {0};
        int k = ldcache_parse(cb->b, cb->len, "cache", &c, &e);
        if (k >= 0)
                fprintf(stderr, "hostile case \"%s\" was accepted\n", what);
        CHECK(k < 0);
        CHECK(c == NULL);
        CHECK(strncmp(e.msg, "cache: ", 7) == 0);
        CHECK(strchr(e.msg, '\n') == NULL);
        ldcache_free(c);
}

static void test_synthetic(void)
{
        copts o = {.endian = 2};
        cbuf cb = make_cache(&o, NULL);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        check_cache(&cb, true, "plain");
        /* Every strict prefix loses something that is referenced. */
        int accepted = 0;
        for (size_t n = 0; n < cb.len; n++) {
                ldcache *c = NULL;
                err_t e = {0};
                if (ldcache_parse(cb.b, n, "cache", &c, &e) >= 0)
                        accepted++;
                ldcache_free(c);
        }
        CHECK_INT(accepted, 0);
        free(cb.b);

        o = (copts){.endian = 0};
        cb = make_cache(&o, NULL);
        check_cache(&cb, true, "endian unset");
#endif
        free(cb.b);
        o = (copts){.be = true};
        cb = make_cache(&o, NULL);
        check_cache(&cb, true, "big-endian");
        free(cb.b);

        o = (copts){.be = true, .old_nlibs = 3};
        cb = make_cache(&o, NULL);
        check_cache(&cb, true, "big-endian after old table");
        free(cb.b);

        for (size_t nold = 1; nold <= 4; nold++) { /* both 8-byte alignments */
                o = (copts){.endian = 2, .old_nlibs = nold};
                o.be = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
                cb = make_cache(&o, NULL);
                check_cache(&cb, true, "after old table");
                free(cb.b);
        }

        o = (copts){.endian = 2, .no_ext = true};
        o.be = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
        cb = make_cache(&o, NULL);
        check_cache(&cb, false, "no extension");
        free(cb.b);
}

static void test_hostile(void)
{
        copts o = {.endian = 2};
        o.be = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
        layout l;
        cbuf cb;

#define FRESH()                                                                                    \
        do {                                                                                       \
                free(cb.b);                                                                        \
                cb = make_cache(&o, &l);                                                           \
        } while (0)
        cb = make_cache(&o, &l);

        cb.b[0] = 'x';
        expect_fail(&cb, "magic");
        FRESH();
        cb.b[19] = '0'; /* version 1.0 */
        expect_fail(&cb, "version");
        FRESH();
        cb.b[28] = 1;
        expect_fail(&cb, "invalid endian");
        FRESH();
        cb_put(&cb, 20, 0xffffffff, 4);
        expect_fail(&cb, "nlibs");
        FRESH();
        cb_put(&cb, 20, N_ENTRIES + 1000, 4);
        expect_fail(&cb, "nlibs past end");
        FRESH();
        cb_put(&cb, l.entries + 4, 0xfffffff0, 4);
        expect_fail(&cb, "key offset");
        FRESH();
        cb_put(&cb, l.entries + 24 + 8, (uint32_t)cb.len, 4);
        expect_fail(&cb, "value offset at end");
        FRESH();
        cb_put(&cb, 32, 0xfffffffc, 4);
        expect_fail(&cb, "extension offset");
        FRESH();
        cb_put(&cb, 32, l.ext + 2, 4);
        expect_fail(&cb, "extension misaligned");
        FRESH();
        cb_put(&cb, l.ext, 0x12345678, 4);
        expect_fail(&cb, "extension magic");
        FRESH();
        cb_put(&cb, l.ext + 4, 0x10000000, 4);
        expect_fail(&cb, "extension count");
        FRESH();
        cb_put(&cb, l.hwcaps_sec + 12, 6, 4);
        expect_fail(&cb, "hwcaps size");
        FRESH();
        cb_put(&cb, l.hwcaps_sec + 12, 0xfffffff0, 4);
        expect_fail(&cb, "hwcaps size huge");
        FRESH();
        cb_put(&cb, l.hwcaps_sec - 16, 1, 4); /* generator section also tagged hwcaps */
        expect_fail(&cb, "two hwcaps sections");
        FRESH();
        /* the hwcaps array names a string past the end */
        cb_put(&cb, cb.len - 4, (uint32_t)cb.len + 10, 4);
        expect_fail(&cb, "hwcaps string");
        FRESH();
        /* last byte of the file is the NUL of nothing: drop the ext, cut the
         * final value's NUL */
        cb_put(&cb, 32, 0, 4);
        cb.len = l.ext ? l.ext : cb.len;
        while (cb.len > 0 && cb.b[cb.len - 1] == 0)
                cb.len--;
        expect_fail(&cb, "value unterminated");
        free(cb.b);

        /* old table that points nowhere */
        o.old_nlibs = 2;
        cb = make_cache(&o, &l);
        cb_put(&cb, 12, 1000, 4);
        expect_fail(&cb, "old nlibs");
        cb.len = 14;
        expect_fail(&cb, "old header cut");
        free(cb.b);

        ldcache *c = NULL;
        err_t e = {0};
        CHECK(ldcache_parse("", 0, "cache", &c, &e) < 0);
        CHECK(ldcache_parse("glibc-ld.so.cache1.1", 20, "cache", &c, &e) < 0);
        CHECK(c == NULL);
}

static void test_flags_for(void)
{
        CHECK_INT(ldcache_flags_for(2, 62, 0), 0x0303);          /* x86-64 */
        CHECK_INT(ldcache_flags_for(1, 62, 0), 0x0803);          /* x32 */
        CHECK_INT(ldcache_flags_for(1, 3, 0), 0x0003);           /* i386 */
        CHECK_INT(ldcache_flags_for(1, 6, 0), 0x0003);           /* i486 */
        CHECK_INT(ldcache_flags_for(2, 183, 0), 0x0a03);         /* aarch64 */
        CHECK_INT(ldcache_flags_for(1, 40, 0x05000400), 0x0903); /* armhf */
        CHECK_INT(ldcache_flags_for(1, 40, 0x05000200), 0x0b03); /* armel */
        CHECK_INT(ldcache_flags_for(2, 21, 2), 0x0503);          /* ppc64el */
        CHECK_INT(ldcache_flags_for(2, 22, 0), 0x0403);          /* s390x */
        CHECK_INT(ldcache_flags_for(2, 243, 0x5), 0x1003);       /* riscv64 lp64d */
        CHECK_INT(ldcache_flags_for(2, 243, 0x1), 0x0f03);       /* riscv64 lp64 */
        CHECK_INT(ldcache_flags_for(2, 8, 0), 0x0703);           /* mips64 n64 */
        CHECK_INT(ldcache_flags_for(2, 8, 0x400), 0x0e03);       /* mips64el r6-ish */
        CHECK_INT(ldcache_flags_for(1, 8, 0x20), 0x0603);        /* mips n32 */
        CHECK_INT(ldcache_flags_for(1, 8, 0), 0x0003);           /* mips o32 */
        CHECK_INT(ldcache_flags_for(1, 8, 0x400), 0x0c03);       /* mipsel nan2008 */
        CHECK_INT(ldcache_flags_for(2, 3, 0), -1);
        CHECK_INT(ldcache_flags_for(2, 9999, 0), -1);
        CHECK_INT(ldcache_flags_for(0, 62, 0), -1);
}

/* ---- the host's cache against ldconfig -p ------------------------------ */

static int32_t flags_from_text(const char *t, size_t n)
{
        static const struct {
                const char *text;
                int32_t flags;
        } map[] = {{"libc6,x86-64", 0x0303},
                   {"libc6,x32", 0x0803},
                   {"libc6", 0x0003},
                   {"ELF", 0x0001},
                   {"libc6,AArch64", 0x0a03}};
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (strlen(map[i].text) == n && strncmp(t, map[i].text, n) == 0)
                        return map[i].flags;
        return -1;
}

static const char *find_ldconfig(void)
{
        if (access("/sbin/ldconfig", X_OK) == 0)
                return "/sbin/ldconfig";
        if (access("/usr/sbin/ldconfig", X_OK) == 0)
                return "/usr/sbin/ldconfig";
        return NULL;
}

/* Every entry of c, in order, against what `ldconfig -p` prints for the
 * same file: the number of differences (0 when ldconfig is missing). */
static size_t compare_with_ldconfig(const ldcache *c, const char *path)
{
        const char *ldconfig = find_ldconfig();
        if (!ldconfig) {
                TEST_SKIP("no ldconfig to compare %s with", path);
                return 0;
        }
        _cleanup_free_ char *cmd = xasprintf("%s -p -C '%s'", ldconfig, path);
        FILE *p = popen(cmd, "re");
        if (!p)
                return 1;
        char *line = NULL;
        size_t cap = 0;
        size_t i = 0, expected = 0, mismatches = 0, flag_checked = 0;
        bool header = true;
        while (getline(&line, &cap, p) > 0) {
                line[strcspn(line, "\n")] = '\0';
                if (header) {
                        header = false;
                        expected = strtoul(line, NULL, 10);
                        continue;
                }
                if (line[0] != '\t')
                        continue; /* "Cache generated by: ..." */
                char *key = line + 1;
                char *paren = strstr(key, " (");
                char *arrow = strstr(key, ") => ");
                if (!paren || !arrow) {
                        mismatches++;
                        continue;
                }
                *paren = '\0';
                char *desc = paren + 2;
                const char *value = arrow + 5;
                ldcache_entry en;
                ldcache_get(c, i, &en);
                if (!en.key || strcmp(en.key, key) != 0 || strcmp(en.value, value) != 0) {
                        fprintf(stderr, "entry %zu: %s => %s, ldconfig says %s => %s\n", i,
                                en.key ? en.key : "-", en.value ? en.value : "-", key, value);
                        mismatches++;
                }
                /* the flags text ends at ", " (more details follow) or ")" */
                size_t flen = strcspn(desc, ")");
                const char *more = strstr(desc, ", ");
                if (more && (size_t)(more - desc) < flen)
                        flen = (size_t)(more - desc);
                int32_t f = flags_from_text(desc, flen);
                if (f >= 0) {
                        flag_checked++;
                        if (f != en.flags)
                                mismatches++;
                }
                const char *hw = strstr(desc, "hwcap: \"");
                if (hw) {
                        const char *const *sub = ldcache_hwcaps_subdirs(c);
                        uint32_t idx = (uint32_t)en.hwcap;
                        size_t n_sub = 0;
                        while (sub[n_sub])
                                n_sub++;
                        if (!(en.hwcap & NAMED) || idx >= n_sub ||
                            strncmp(hw + 8, sub[idx], strlen(sub[idx])) != 0)
                                mismatches++;
                }
                i++;
        }
        free(line);
        mismatches += pclose(p) != 0;
        mismatches += i != expected;
        mismatches += ldcache_count(c) != expected;
        mismatches += flag_checked == 0;
        fprintf(stderr, "%s: %zu entries compared with ldconfig -p, %zu flags, %zu differences\n",
                path, i, flag_checked, mismatches);
        return mismatches;
}

static bool same_file_state(const struct stat *a, const struct stat *b)
{
        return a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void test_host(void)
{
        const char *path = "/etc/ld.so.cache";
        if (access(path, R_OK) < 0) {
                TEST_SKIP("no %s on this host", path);
                return;
        }
        /* apt or ldconfig may replace the cache while we compare: retry
         * when the file changed under us. */
        for (int attempt = 0; attempt < 5; attempt++) {
                struct stat before, after;
                CHECK_INT(stat(path, &before), 0);
                ldcache *c = NULL;
                err_t e = {0};
                int k = ldcache_load(AT_FDCWD, path, &c, &e);
                size_t diff = k < 0 ? 1 : compare_with_ldconfig(c, path);
                CHECK_INT(stat(path, &after), 0);
                if (diff && !same_file_state(&before, &after)) {
                        ldcache_free(c);
                        sleep(1);
                        continue;
                }
                CHECK_INT(k, 0);
                if (k < 0)
                        fprintf(stderr, "%s\n", e.msg);
                CHECK_INT(diff, 0);
#if defined(__x86_64__) && !defined(__ILP32__)
                if (k == 0 && access("/lib/x86_64-linux-gnu/libc.so.6", F_OK) == 0)
                        CHECK_STR(ldcache_lookup(c, "libc.so.6", 0x0303, NULL),
                                  "/lib/x86_64-linux-gnu/libc.so.6");
#endif
                ldcache_free(c);
                return;
        }
        CHECK(!"/etc/ld.so.cache kept changing");
}

/* A cache written by the real ldconfig into a scratch root holding one
 * library three times: plain and in two glibc-hwcaps subdirectories. */
static void test_real_hwcaps(const char *lib)
{
        const char *ldconfig = find_ldconfig();
        CHECK(lib != NULL);
        if (!lib)
                return;
        if (!ldconfig || geteuid() != 0) {
                /* ldconfig -r chroots: root only */
                TEST_SKIP("%s", !ldconfig ? "no ldconfig" : "ldconfig -r needs root");
                return;
        }
        _cleanup_free_ char *abs = realpath(lib, NULL);
        CHECK(abs != NULL);
        if (!abs)
                return;
        char root[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(root, "test_ldcache")) != NULL);
        err_t e = {0};
        _cleanup_free_ char *cmd = xasprintf(
                "set -e; cd '%s'; mkdir -p etc usr/lib/glibc-hwcaps/x86-64-v2 "
                "usr/lib/glibc-hwcaps/x86-64-v3; echo /usr/lib > etc/ld.so.conf; "
                "for d in usr/lib usr/lib/glibc-hwcaps/x86-64-v2 usr/lib/glibc-hwcaps/x86-64-v3; "
                "do cp '%s' $d/libfxa.so.1; done; %s -r '%s' -X",
                root, abs, ldconfig, root);
        int status = system(cmd);
        CHECK_INT(status, 0);
        _cleanup_free_ char *path = path_join(root, "etc/ld.so.cache");
        ldcache *c = NULL;
        int k = status == 0 ? ldcache_load(AT_FDCWD, path, &c, &e) : -1;
        CHECK_INT(k, 0);
        if (k == 0) {
                ldcache_entry en;
                ldcache_get(c, 0, &en);
                int32_t fl = en.flags; /* whatever class the fixture was built for */
                const char *const *sub = ldcache_hwcaps_subdirs(c);
                CHECK(sub[0] && sub[1] && !sub[2]);
                CHECK_STR(ldcache_lookup(c, "libfxa.so.1", fl, prio_v3v2),
                          "/usr/lib/glibc-hwcaps/x86-64-v3/libfxa.so.1");
                CHECK_STR(ldcache_lookup(c, "libfxa.so.1", fl, prio_v2),
                          "/usr/lib/glibc-hwcaps/x86-64-v2/libfxa.so.1");
                CHECK_STR(ldcache_lookup(c, "libfxa.so.1", fl, prio_v4), "/usr/lib/libfxa.so.1");
                CHECK_STR(ldcache_lookup(c, "libfxa.so.1", fl, NULL), "/usr/lib/libfxa.so.1");
                CHECK_INT(compare_with_ldconfig(c, path), 0);
        } else if (status == 0) {
                fprintf(stderr, "%s\n", e.msg);
        }
        ldcache_free(c);
        c = NULL;

        /* The same in the compat format (old table first). ldconfig writes
         * the hwcaps names relative to the new header there, but ld.so (and
         * ldconfig -p) read them from the file start, see garbage and fall
         * back to the plain entry: so must we. */
        free(cmd);
        cmd = xasprintf("%s -r '%s' -X -c compat -C /etc/ld.so.cache.compat", ldconfig, root);
        status = system(cmd);
        CHECK_INT(status, 0);
        free(path);
        path = path_join(root, "etc/ld.so.cache.compat");
        k = status == 0 ? ldcache_load(AT_FDCWD, path, &c, &e) : -1;
        CHECK_INT(k, 0);
        if (k == 0) {
                _cleanup_free_ char *head = NULL;
                size_t hlen = 0;
                CHECK_INT(fs_read_file_at(AT_FDCWD, path, 1 << 20, &head, &hlen, &e), 0);
                CHECK(head && hlen > 11 && memcmp(head, "ld.so-1.7.0", 11) == 0);
                ldcache_entry en;
                ldcache_get(c, 0, &en);
                CHECK_STR(ldcache_lookup(c, "libfxa.so.1", en.flags, prio_v3v2),
                          "/usr/lib/libfxa.so.1");
                CHECK_STR(ldcache_lookup(c, "libfxa.so.1", en.flags, NULL), "/usr/lib/libfxa.so.1");
                CHECK_INT(compare_with_ldconfig(c, path), 0);
        } else if (status == 0) {
                fprintf(stderr, "%s\n", e.msg);
        }
        ldcache_free(c);
        CHECK_INT(fs_rm_rf_at(AT_FDCWD, root, &e), 0);
}

static void case_main(int argc, char **argv)
{
        test_flags_for();
        test_synthetic();
        test_hostile();
}

static void case_host(int argc, char **argv)
{
        test_host();
}

static void case_hwcaps(int argc, char **argv)
{
        test_real_hwcaps(argc > 1 ? argv[1] : NULL);
}

/* Cases (each its own test in meson.build): what needs the host's cache,
 * ldconfig or root is a skip with its reason without them. */
int main(int argc, char **argv)
{
        TEST_CASES(argc, argv, {"main", case_main}, {"host", case_host}, {"hwcaps", case_hwcaps});
}
