/* ldcache: glibc's ld.so.cache ("glibc-ld.so.cache1.1"), possibly behind
 * the old "ld.so-1.7.0" table, with its extension section (glibc-hwcaps
 * subdirectory names). The whole cache is validated once at parse time,
 * so lookups never have to check an offset again. */
#include "ldcache.h"
#include "endian_load.h"

#include <errno.h>
#include <string.h>

#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_MAGIC_LEN 11
#define OLD_HEADER_SIZE 16 /* magic padded to 12, then uint32 nlibs */
#define OLD_ENTRY_SIZE 12  /* int flags, uint32 key, uint32 value */
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_MAGIC_LEN 20
#define NEW_HEADER_SIZE 48
#define NEW_ENTRY_SIZE 24
#define EXT_MAGIC 0xeaa42174u /* glibc: (uint32_t) -358342284 */
#define EXT_TAG_HWCAPS 1
#define HWCAP_EXTENSION (1ull << 62)
#define LDCACHE_MAX_SIZE (256u << 20)
#define LDCACHE_MAX_SUBDIRS 4096

enum { ENDIAN_UNSET = 0, ENDIAN_INVALID = 1, ENDIAN_LITTLE = 2, ENDIAN_BIG = 3 };

typedef struct sorted_key {
        const char *key;
        size_t idx;
} sorted_key;

struct ldcache {
        char *data; /* our copy, NUL-terminated one past len */
        size_t len;
        ldcache_entry *entries;
        size_t n;
        sorted_key *sorted;   /* entries by key, file order among equals */
        const char **subdirs; /* NULL-terminated */
        size_t n_subdirs;
};

typedef struct creader {
        const uint8_t *buf;
        size_t len;
        bool swap;
} creader;

static uint32_t rd32(const creader *r, size_t off)
{
        return load_u32(r->buf + off, r->swap);
}

static uint64_t rd64(const creader *r, size_t off)
{
        return load_u64(r->buf + off, r->swap);
}

void ldcache_free(ldcache *c)
{
        if (!c)
                return;
        free(c->data);
        free(c->entries);
        free(c->sorted);
        free(c->subdirs);
        free(c);
}

static void ldcache_freep(ldcache **c)
{
        ldcache_free(*c);
}

/* The string at off (relative to base, the new header or 0), which must
 * end within the file. */
static const char *cache_string(const ldcache *c, size_t base, uint64_t off)
{
        if (off >= c->len - base)
                return NULL;
        const char *s = c->data + base + off;
        if (!memchr(s, '\0', c->len - base - (size_t)off))
                return NULL;
        return s;
}

/* Where the new-format header starts: 0, or after the old table. */
static int find_new_header(const ldcache *c, const char *name, size_t *ret, err_t *e)
{
        const uint8_t *d = (const uint8_t *)c->data;

        if (c->len >= NEW_MAGIC_LEN && memcmp(d, NEW_MAGIC, NEW_MAGIC_LEN) == 0) {
                *ret = 0;
                return 0;
        }
        if (c->len < OLD_MAGIC_LEN || memcmp(d, OLD_MAGIC, OLD_MAGIC_LEN) != 0)
                return err_set(e, -EINVAL, "%s: not an ld.so.cache file", name);
        if (c->len < OLD_HEADER_SIZE)
                return err_set(e, -EINVAL, "%s: truncated old-format header", name);

        /* The old table carries no byte-order mark: try both orders and take
         * the one that lands on the new magic. */
        for (int swap = 0; swap < 2; swap++) {
                creader r = {.buf = d, .len = c->len, .swap = swap};
                uint64_t nlibs = rd32(&r, OLD_MAGIC_LEN + 1);
                uint64_t off = OLD_HEADER_SIZE + nlibs * OLD_ENTRY_SIZE;
                off = (off + 7) & ~(uint64_t)7;
                if (span_in(c->len, off, NEW_MAGIC_LEN) &&
                    memcmp(d + off, NEW_MAGIC, NEW_MAGIC_LEN) == 0) {
                        *ret = (size_t)off;
                        return 0;
                }
        }
        return err_set(e, -EINVAL, "%s: old-format cache without a glibc-ld.so.cache1.1 part",
                       name);
}

/* Everything in the extension counts from the start of the file, not from
 * the new header: extension_offset, the section offsets, and (as ld.so and
 * `ldconfig -p` read them) the hwcaps name offsets too. In the usual
 * new-only format the two bases coincide; in the compat format ldconfig
 * writes names relative to the new header, so ld.so sees other strings
 * there and never matches them - and neither do we. */
static int parse_extension(ldcache *c, const creader *r, uint64_t ext_off, const char *name,
                           err_t *e)
{
        if (ext_off % 4 != 0 || !span_in(c->len, ext_off, 8))
                return err_set(e, -EINVAL, "%s: bad extension offset %llu", name,
                               (unsigned long long)ext_off);
        size_t p = (size_t)ext_off;
        if (rd32(r, p) != EXT_MAGIC)
                return err_set(e, -EINVAL, "%s: bad extension magic", name);
        uint64_t count = rd32(r, p + 4);
        if (!span_in(c->len, ext_off + 8, count * 16))
                return err_set(e, -EINVAL, "%s: truncated extension section table", name);

        for (uint64_t i = 0; i < count; i++) {
                size_t s = p + 8 + (size_t)i * 16;
                uint32_t tag = rd32(r, s);
                uint64_t off = rd32(r, s + 8), size = rd32(r, s + 12);
                if (!span_in(c->len, off, size))
                        return err_set(e, -EINVAL, "%s: extension section %llu out of bounds", name,
                                       (unsigned long long)i);
                if (tag != EXT_TAG_HWCAPS)
                        continue;
                if (c->subdirs)
                        return err_set(e, -EINVAL, "%s: two glibc-hwcaps extension sections", name);
                if (size % 4 != 0 || off % 4 != 0)
                        return err_set(e, -EINVAL, "%s: misaligned glibc-hwcaps section", name);
                uint64_t n = size / 4;
                if (n > LDCACHE_MAX_SUBDIRS)
                        return err_set(e, -EINVAL, "%s: too many glibc-hwcaps subdirectories",
                                       name);
                c->subdirs = xcalloc((size_t)n + 1, sizeof(char *));
                for (uint64_t j = 0; j < n; j++) {
                        const char *str = cache_string(c, 0, rd32(r, (size_t)(off + j * 4)));
                        if (!str)
                                return err_set(e, -EINVAL,
                                               "%s: glibc-hwcaps name %llu out of bounds", name,
                                               (unsigned long long)j);
                        c->subdirs[j] = str;
                }
                c->n_subdirs = (size_t)n;
        }
        return 0;
}

static int cmp_sorted(const void *a, const void *b)
{
        const sorted_key *x = a, *y = b;
        int k = strcmp(x->key, y->key);
        if (k != 0)
                return k;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Parse the cache held in data (len bytes, data[len] == '\0'); takes
 * ownership of data. */
static int parse_owned(char *data, size_t len, const char *name, ldcache **ret, err_t *e)
{
        _cleanup_(ldcache_freep) ldcache *c = xcalloc(1, sizeof *c);
        c->data = data;
        c->len = len;
        size_t base = 0;
        int k;

        k = find_new_header(c, name, &base, e);
        if (k < 0)
                return k;
        if (!span_in(len, base, NEW_HEADER_SIZE))
                return err_set(e, -EINVAL, "%s: truncated header", name);

        creader r = {.buf = (const uint8_t *)data, .len = len};
        uint8_t endian = (uint8_t)data[base + 28] & 3;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        r.swap = endian == ENDIAN_BIG;
#else
        r.swap = endian == ENDIAN_LITTLE;
#endif
        if (endian == ENDIAN_INVALID)
                return err_set(e, -EINVAL, "%s: cache marked with invalid byte order", name);

        uint64_t nlibs = rd32(&r, base + 20);
        uint64_t ext_off = rd32(&r, base + 32);
        size_t avail = len - base;
        if (!span_in(avail, NEW_HEADER_SIZE, nlibs * NEW_ENTRY_SIZE))
                return err_set(e, -EINVAL, "%s: %llu entries do not fit in the file", name,
                               (unsigned long long)nlibs);

        c->entries = xcalloc((size_t)nlibs ? (size_t)nlibs : 1, sizeof *c->entries);
        c->sorted = xcalloc((size_t)nlibs ? (size_t)nlibs : 1, sizeof *c->sorted);
        for (size_t i = 0; i < nlibs; i++) {
                size_t p = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
                ldcache_entry *en = &c->entries[i];
                en->flags = (int32_t)rd32(&r, p);
                en->key = cache_string(c, base, rd32(&r, p + 4));
                en->value = cache_string(c, base, rd32(&r, p + 8));
                en->hwcap = rd64(&r, p + 16);
                if (!en->key || !en->value)
                        return err_set(e, -EINVAL, "%s: entry %zu: string out of bounds", name, i);
                c->sorted[i] = (sorted_key){en->key, i};
        }
        c->n = (size_t)nlibs;
        qsort(c->sorted, c->n, sizeof *c->sorted, cmp_sorted);

        if (ext_off != 0) {
                k = parse_extension(c, &r, ext_off, name, e);
                if (k < 0)
                        return k;
        }
        if (!c->subdirs)
                c->subdirs = xcalloc(1, sizeof(char *));

        *ret = steal_pointer(&c);
        return 0;
}

int ldcache_parse(const void *buf, size_t len, const char *name, ldcache **ret, err_t *e)
{
        if (!name)
                name = "ld.so.cache";
        if (len > LDCACHE_MAX_SIZE)
                return err_set(e, -EFBIG, "%s: larger than %u bytes", name, LDCACHE_MAX_SIZE);
        char *copy = xmalloc(len + 1);
        if (len)
                memcpy(copy, buf, len);
        copy[len] = '\0';
        return parse_owned(copy, len, name, ret, e);
}

int ldcache_load(int dirfd, const char *path, ldcache **ret, err_t *e)
{
        char *data = NULL;
        size_t len = 0;
        int k = fs_read_file_at(dirfd, path, LDCACHE_MAX_SIZE, &data, &len, e);
        if (k < 0)
                return k;
        return parse_owned(data, len, path, ret, e);
}

size_t ldcache_count(const ldcache *c)
{
        return c ? c->n : 0;
}

void ldcache_get(const ldcache *c, size_t i, ldcache_entry *ret)
{
        if (!c || i >= c->n) {
                *ret = (ldcache_entry){0};
                return;
        }
        *ret = c->entries[i];
}

const char *const *ldcache_hwcaps_subdirs(const ldcache *c)
{
        static const char *const none[] = {NULL};
        return c ? (const char *const *)c->subdirs : none;
}

/* Position of the entry's subdirectory in prio (0 = most preferred), or -1
 * when the CPU does not support it or the index names no subdirectory. */
static long hwcaps_rank(const ldcache *c, uint64_t hwcap, const char *const *prio)
{
        uint32_t idx = (uint32_t)hwcap;
        if (!prio || idx >= c->n_subdirs)
                return -1;
        for (long i = 0; prio[i]; i++)
                if (strcmp(prio[i], c->subdirs[idx]) == 0)
                        return i;
        return -1;
}

const char *ldcache_lookup(const ldcache *c, const char *name, int32_t flags,
                           const char *const *hwcaps_prio)
{
        if (!c || !name || c->n == 0)
                return NULL;

        /* Lower bound of name among the sorted keys. */
        size_t lo = 0, hi = c->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(c->sorted[mid].key, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }

        const char *best = NULL, *plain = NULL;
        long best_rank = -1;
        for (size_t i = lo; i < c->n && strcmp(c->sorted[i].key, name) == 0; i++) {
                const ldcache_entry *en = &c->entries[c->sorted[i].idx];
                if (en->flags != flags)
                        continue;
                if (en->hwcap & HWCAP_EXTENSION) {
                        long rank = hwcaps_rank(c, en->hwcap, hwcaps_prio);
                        if (rank >= 0 && (!best || rank < best_rank)) {
                                best = en->value;
                                best_rank = rank;
                        }
                } else if (en->hwcap == 0 && !plain) {
                        plain = en->value;
                }
        }
        return best ? best : plain;
}

/* glibc's FLAG_* values (sysdeps/generic/ldconfig.h). */
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_SPARC_LIB64 0x0100
#define FLAG_IA64_LIB64 0x0200
#define FLAG_X8664_LIB64 0x0300
#define FLAG_S390_LIB64 0x0400
#define FLAG_POWERPC_LIB64 0x0500
#define FLAG_MIPS64_LIBN32 0x0600
#define FLAG_MIPS64_LIBN64 0x0700
#define FLAG_X8664_LIBX32 0x0800
#define FLAG_ARM_LIBHF 0x0900
#define FLAG_AARCH64_LIB64 0x0a00
#define FLAG_ARM_LIBSF 0x0b00
#define FLAG_MIPS_LIB32_NAN2008 0x0c00
#define FLAG_MIPS64_LIBN32_NAN2008 0x0d00
#define FLAG_MIPS64_LIBN64_NAN2008 0x0e00
#define FLAG_RISCV_FLOAT_ABI_SOFT 0x0f00
#define FLAG_RISCV_FLOAT_ABI_DOUBLE 0x1000
#define FLAG_LARCH_FLOAT_ABI_SOFT 0x1100
#define FLAG_LARCH_FLOAT_ABI_DOUBLE 0x1200

int32_t ldcache_flags_for(uint8_t elf_class, uint16_t machine, uint32_t e_flags)
{
        bool is64 = elf_class == 2;

        if (elf_class != 1 && elf_class != 2)
                return -1;
        switch (machine) {
        case 62: /* EM_X86_64 */
                return FLAG_ELF_LIBC6 | (is64 ? FLAG_X8664_LIB64 : FLAG_X8664_LIBX32);
        case 3: /* EM_386 */
        case 6: /* EM_486 */ return is64 ? -1 : FLAG_ELF_LIBC6;
        case 183: /* EM_AARCH64 */ return is64 ? FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64 : -1;
        case 40: /* EM_ARM: EF_ARM_ABI_FLOAT_HARD */
                if (is64)
                        return -1;
                return FLAG_ELF_LIBC6 | ((e_flags & 0x400) ? FLAG_ARM_LIBHF : FLAG_ARM_LIBSF);
        case 21: /* EM_PPC64 */ return is64 ? FLAG_ELF_LIBC6 | FLAG_POWERPC_LIB64 : -1;
        case 20: /* EM_PPC */ return is64 ? -1 : FLAG_ELF_LIBC6;
        case 22: /* EM_S390 */ return FLAG_ELF_LIBC6 | (is64 ? FLAG_S390_LIB64 : 0);
        case 43: /* EM_SPARCV9 */ return is64 ? FLAG_ELF_LIBC6 | FLAG_SPARC_LIB64 : -1;
        case 2: /* EM_SPARC */
        case 18: /* EM_SPARC32PLUS */ return is64 ? -1 : FLAG_ELF_LIBC6;
        case 50: /* EM_IA_64 */ return is64 ? FLAG_ELF_LIBC6 | FLAG_IA64_LIB64 : -1;
        case 243: /* EM_RISCV: EF_RISCV_FLOAT_ABI in bits 1-2 */
                switch (e_flags & 0x6) {
                case 0x0: return FLAG_ELF_LIBC6 | FLAG_RISCV_FLOAT_ABI_SOFT;
                case 0x4: return FLAG_ELF_LIBC6 | FLAG_RISCV_FLOAT_ABI_DOUBLE;
                default: return -1;
                }
        case 258: /* EM_LOONGARCH: EF_LARCH_ABI_MODIFIER_MASK */
                if (!is64)
                        return -1;
                switch (e_flags & 0x7) {
                case 0x1: return FLAG_ELF_LIBC6 | FLAG_LARCH_FLOAT_ABI_SOFT;
                case 0x3: return FLAG_ELF_LIBC6 | FLAG_LARCH_FLOAT_ABI_DOUBLE;
                default: return -1;
                }
        case 8: { /* EM_MIPS: EF_MIPS_NAN2008 0x400, EF_MIPS_ABI2 (n32) 0x20 */
                bool nan2008 = (e_flags & 0x400) != 0;
                if (is64)
                        return FLAG_ELF_LIBC6 |
                               (nan2008 ? FLAG_MIPS64_LIBN64_NAN2008 : FLAG_MIPS64_LIBN64);
                if (e_flags & 0x20)
                        return FLAG_ELF_LIBC6 |
                               (nan2008 ? FLAG_MIPS64_LIBN32_NAN2008 : FLAG_MIPS64_LIBN32);
                return FLAG_ELF_LIBC6 | (nan2008 ? FLAG_MIPS_LIB32_NAN2008 : 0);
        }
        default: return -1;
        }
}
