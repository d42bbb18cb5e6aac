/* A strict index of a plain tar's regular members (ustar, GNU long names,
 * pax path/size records). Nothing is extracted: callers read a member's
 * bytes at its offset. Every header's checksum is checked, every size is
 * bounded by the file. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define BLOCK 512
#define MAX_EXT ((int64_t)1 << 20) /* a pax record block or GNU long name */

char *oci_member_clean(const char *raw)
{
        if (!raw)
                return NULL;
        while (raw[0] == '.' && raw[1] == '/')
                for (raw += 2; *raw == '/';)
                        raw++;
        if (!*raw || raw[0] == '/' || !path_is_contained(raw))
                return NULL;
        char *n = path_normalize(raw);
        if (!*n || !strcmp(n, ".")) {
                free(n);
                return NULL;
        }
        return n;
}

static int pread_full(int fd, void *buf, size_t len, int64_t off)
{
        size_t got = 0;
        while (got < len) {
                ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + (int64_t)got));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                got += (size_t)n;
        }
        return 0;
}

/* An octal field (NUL/space padded) or GNU base-256; -1 when malformed. */
static int64_t tar_number(const unsigned char *f, size_t len)
{
        if (f[0] & 0x80) {
                if (f[0] != 0x80)
                        return -1; /* negative or too large */
                int64_t v = 0;
                for (size_t i = 1; i < len; i++) {
                        if (v > (INT64_MAX >> 8))
                                return -1;
                        v = (v << 8) | f[i];
                }
                return v;
        }
        size_t i = 0;
        while (i < len && f[i] == ' ')
                i++;
        int64_t v = 0;
        bool any = false;
        for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
                if (v > (INT64_MAX >> 3))
                        return -1;
                v = (v << 3) | (f[i] - '0');
                any = true;
        }
        for (; i < len; i++)
                if (f[i] != ' ' && f[i] != '\0')
                        return -1;
        return any ? v : 0;
}

static bool header_ok(const unsigned char *h)
{
        int64_t want = tar_number(h + 148, 8);
        int64_t u = 0, s = 0;
        for (size_t i = 0; i < BLOCK; i++) {
                unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
                u += c;
                s += (signed char)c;
        }
        return want >= 0 && (want == u || want == s);
}

static bool all_zero(const unsigned char *h)
{
        for (size_t i = 0; i < BLOCK; i++)
                if (h[i])
                        return false;
        return true;
}

/* The pax records "LEN key=value\n" we use: path and size. */
static int pax_parse(const char *d, size_t len, char **path, int64_t *size)
{
        size_t pos = 0;
        while (pos < len) {
                size_t n = 0, i = pos;
                while (i < len && d[i] >= '0' && d[i] <= '9') {
                        if (n > MAX_EXT)
                                return -EBADMSG;
                        n = n * 10 + (size_t)(d[i] - '0');
                        i++;
                }
                if (i == pos || i >= len || d[i] != ' ' || n < 5 || n > len - pos ||
                    d[pos + n - 1] != '\n')
                        return -EBADMSG;
                const char *kv = d + i + 1, *end = d + pos + n - 1;
                const char *eq = memchr(kv, '=', (size_t)(end - kv));
                if (!eq)
                        return -EBADMSG;
                size_t kl = (size_t)(eq - kv);
                if (kl == 4 && !memcmp(kv, "path", 4)) {
                        if (memchr(eq + 1, '\0', (size_t)(end - eq - 1)))
                                return -EBADMSG;
                        free(*path);
                        *path = xstrndup(eq + 1, (size_t)(end - eq - 1));
                } else if (kl == 4 && !memcmp(kv, "size", 4)) {
                        int64_t v = 0;
                        const char *p = eq + 1;
                        if (p == end)
                                return -EBADMSG;
                        for (; p < end; p++) {
                                if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
                                        return -EBADMSG;
                                v = v * 10 + (*p - '0');
                        }
                        *size = v;
                }
                pos += n;
        }
        return 0;
}

const oci_member *oci_tar_find(const oci_tar *t, const char *name)
{
        uintptr_t i = (uintptr_t)strmap_get(t->by_name, name);
        return i ? &t->m[i - 1] : NULL;
}

void oci_tar_free(oci_tar *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->m[i].name);
        free(t->m);
        strmap_free(t->by_name);
        memset(t, 0, sizeof(*t));
}

static void add_member(oci_tar *t, char *name, int64_t off, int64_t size)
{
        uintptr_t i = (uintptr_t)strmap_get(t->by_name, name);
        if (i) {
                /* The last copy is the one tar -x leaves. */
                oci_member *m = &t->m[i - 1];
                m->offset = off;
                m->size = size;
                m->dup = true;
                free(name);
                return;
        }
        if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 32;
                t->m = xreallocarray(t->m, t->cap, sizeof(*t->m));
        }
        t->m[t->n] = (oci_member){.name = name, .offset = off, .size = size};
        t->n++;
        strmap_put(t->by_name, name, (void *)(uintptr_t)t->n);
}

/* What oci_tar_index reads from, and the extension (pax 'x' or GNU 'L')
 * that applies to the next header. */
typedef struct tar_scan {
        int fd;
        int64_t fsize;
        const char *label;
        char *ext_path;
        int64_t ext_size; /* -1 when none */
} tar_scan;

/* The extension header at off, of SIZE bytes of data at DATA. */
static int read_ext(tar_scan *s, char type, int64_t off, int64_t data, int64_t size, err_t *e)
{
        if (size > MAX_EXT)
                return err_set(e, -E2BIG, "%s: tar extension at byte %lld too large", s->label,
                               (long long)off);
        _cleanup_free_ char *buf = xmalloc((size_t)size + 1);
        int r = pread_full(s->fd, buf, (size_t)size, data);
        if (r < 0)
                return err_sys(e, -r, "%s", s->label);
        buf[size] = '\0';
        if (type == 'L') {
                free(s->ext_path);
                s->ext_path = xstrndup(buf, (size_t)size);
        } else if (pax_parse(buf, (size_t)size, &s->ext_path, &s->ext_size) < 0)
                return err_set(e, -EBADMSG, "%s: bad pax header at byte %lld", s->label,
                               (long long)off);
        return 0;
}

/* The name a ustar or old tar header holds. */
static char *header_name(const unsigned char *h)
{
        char nm[101], px[156];
        memcpy(nm, h, 100);
        nm[100] = '\0';
        memcpy(px, h + 345, 155);
        px[155] = '\0';
        /* prefix only in POSIX ustar ("ustar\0"). */
        bool posix = !memcmp(h + 257, "ustar\0", 6);
        return posix && px[0] ? xasprintf("%s/%s", px, nm) : xstrdup(nm);
}

/* The member whose header h is at off: an extension kept for the next
 * header, or a file added to t. Where the next header is in *ret_next. */
static int member(tar_scan *s, oci_tar *t, const unsigned char *h, int64_t off, int64_t *ret_next,
                  err_t *e)
{
        int64_t size = tar_number(h + 124, 12);
        char type = (char)h[156];
        /* A pax size is the entry's, whatever its type (the data
         * that follows is skipped by it). */
        if (s->ext_size >= 0 && type != 'x' && type != 'g' && type != 'L' && type != 'K')
                size = s->ext_size;
        int64_t data = off + BLOCK;
        if (size < 0 || size > s->fsize - data)
                return err_set(e, -EBADMSG, "%s: tar member at byte %lld: size past the end",
                               s->label, (long long)off);
        int64_t next = data + ((size + BLOCK - 1) / BLOCK) * BLOCK;
        if (type == 'x' || type == 'L') {
                int r = read_ext(s, type, off, data, size, e);
                if (r < 0)
                        return r;
                *ret_next = next;
                return 0;
        }
        if (type == '0' || type == '\0' || type == '7') {
                char *raw = s->ext_path ? steal_pointer(&s->ext_path) : header_name(h);
                char *name = oci_member_clean(raw);
                free(raw);
                /* A name no reference can reach is never used. */
                if (name)
                        add_member(t, name, data, size);
        }
        free(s->ext_path);
        s->ext_path = NULL;
        s->ext_size = -1;
        *ret_next = next;
        return 0;
}

int oci_tar_index(int fd, int64_t fsize, const char *label, oci_tar *ret, err_t *e)
{
        oci_tar t = {.by_name = strmap_new()};
        tar_scan s = {.fd = fd, .fsize = fsize, .label = label, .ext_size = -1};
        int64_t off = 0;
        size_t count = 0;
        int r = 0;
        for (;;) {
                unsigned char h[BLOCK];
                if (off + BLOCK > fsize) {
                        /* A tar ends with zero blocks; a file that stops
                         * right after its last member is accepted too. */
                        if (off == fsize && count > 0 && !s.ext_path && s.ext_size < 0)
                                break;
                        r = count ? err_set(e, -EBADMSG, "%s: truncated tar at byte %lld", label,
                                            (long long)off)
                                  : 1;
                        break;
                }
                r = pread_full(fd, h, BLOCK, off);
                if (r < 0) {
                        r = err_sys(e, -r, "%s", label);
                        break;
                }
                if (all_zero(h)) {
                        r = count ? 0 : 1;
                        break;
                }
                if (!header_ok(h)) {
                        r = count ? err_set(e, -EBADMSG, "%s: bad tar header at byte %lld", label,
                                            (long long)off)
                                  : 1;
                        break;
                }
                if (++count > OCI_TAR_MAX_MEMBERS) {
                        t.capped = true;
                        r = 0;
                        break;
                }
                int64_t next = 0;
                r = member(&s, &t, h, off, &next, e);
                if (r < 0)
                        break;
                off = next;
        }
        free(s.ext_path);
        if (r < 0 || r == 1) {
                oci_tar_free(&t);
                return r;
        }
        *ret = t;
        return 0;
}
