/* deb822 reader. The input is copied once; the parser compacts it in place
 * (the write position never passes the read position), NUL-terminating
 * names and values so fields can point straight into the buffer. */
#include <string.h>
#include <strings.h>

#include "deb822.h"

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

typedef struct parser {
        deb822 d;
        size_t cap_fields, cap_paras;
        bool in_para, field_open;
        size_t value_start; /* where the open field's value begins */
} parser;

static void close_field(parser *p, size_t *w)
{
        if (p->field_open) {
                p->d.buf[(*w)++] = '\0';
                p->field_open = false;
        }
}

int deb822_parse(const char *data, size_t len, const char *what, deb822 *ret, err_t *e)
{
        if (len > DEB822_MAX_INPUT)
                return err_set(e, -EFBIG, "%s: too large (%zu bytes)", what, len);
        if (memchr(data, '\0', len))
                return err_set(e, -EBADMSG, "%s: contains a NUL byte", what);

        parser p = {0};
        /* Room for the closing NULs of a last line without a newline. */
        p.d.buf = xmalloc(len + 2);
        memcpy(p.d.buf, data, len);
        p.d.buf[len] = '\0';
        char *buf = p.d.buf;
        size_t r = 0, w = 0;
        unsigned line = 0;
        int rc = 0;

        while (r < len) {
                line++;
                const char *nl = memchr(buf + r, '\n', len - r);
                size_t eol = nl ? (size_t)(nl - buf) : len;
                size_t next = nl ? eol + 1 : len;
                size_t a = r, b = eol;
                while (b > a && (is_blank(buf[b - 1]) || buf[b - 1] == '\r'))
                        b--;

                if (b == a || (buf[a] == '\r' && b == a + 1)) {
                        /* A blank line ends the paragraph. */
                        close_field(&p, &w);
                        p.in_para = false;
                } else if (buf[a] == '#') {
                        /* Comment: ignored, even inside a multi-line value. */
                } else if (is_blank(buf[a])) {
                        if (!p.field_open) {
                                rc = err_set(e, -EBADMSG,
                                             "%s:%u: continuation line outside a field", what,
                                             line);
                                break;
                        }
                        while (a < b && is_blank(buf[a]))
                                a++;
                        if (b - a == 1 && buf[a] == '.')
                                a = b;
                        if (w > p.value_start)
                                buf[w++] = '\n';
                        memmove(buf + w, buf + a, b - a);
                        w += b - a;
                } else {
                        const char *colon = memchr(buf + a, ':', b - a);
                        if (!colon || colon == buf + a) {
                                rc = err_set(e, -EBADMSG, "%s:%u: expected \"Field: value\"", what,
                                             line);
                                break;
                        }
                        size_t c = (size_t)(colon - buf);
                        for (size_t i = a; i < c; i++)
                                if (is_blank(buf[i]) || (unsigned char)buf[i] < 0x21) {
                                        rc = err_set(e, -EBADMSG, "%s:%u: bad field name", what,
                                                     line);
                                        break;
                                }
                        if (rc < 0)
                                break;
                        close_field(&p, &w);
                        if (!p.in_para) {
                                if (p.d.n_paras == p.cap_paras) {
                                        p.cap_paras = p.cap_paras ? p.cap_paras * 2 : 16;
                                        p.d.paras = xreallocarray(p.d.paras, p.cap_paras,
                                                                  sizeof(*p.d.paras));
                                }
                                p.d.paras[p.d.n_paras++] =
                                        (deb822_para){.first = p.d.n_fields, .n = 0, .line = line};
                                p.in_para = true;
                        }
                        deb822_para *para = &p.d.paras[p.d.n_paras - 1];
                        /* Names are compared before being moved: buf+a..c. */
                        for (size_t i = 0; i < para->n; i++) {
                                const char *n = p.d.fields[para->first + i].name;
                                if (strlen(n) == c - a && strncasecmp(n, buf + a, c - a) == 0) {
                                        rc = err_set(e, -EBADMSG, "%s:%u: duplicate field \"%.*s\"",
                                                     what, line, (int)(c - a), buf + a);
                                        break;
                                }
                        }
                        if (rc < 0)
                                break;
                        size_t name_at = w;
                        memmove(buf + w, buf + a, c - a);
                        w += c - a;
                        buf[w++] = '\0';
                        size_t v = c + 1;
                        while (v < b && is_blank(buf[v]))
                                v++;
                        p.value_start = w;
                        memmove(buf + w, buf + v, b - v);
                        w += b - v;
                        p.field_open = true;

                        if (p.d.n_fields == p.cap_fields) {
                                p.cap_fields = p.cap_fields ? p.cap_fields * 2 : 64;
                                p.d.fields = xreallocarray(p.d.fields, p.cap_fields,
                                                           sizeof(*p.d.fields));
                        }
                        /* Offsets for now: buf does not move, but values are
                         * only complete once closed. */
                        p.d.fields[p.d.n_fields++] =
                                (deb822_field){.name = buf + name_at, .value = buf + p.value_start};
                        para->n++;
                }
                r = next;
        }
        if (rc < 0) {
                deb822_free(&p.d);
                return rc;
        }
        close_field(&p, &w);
        buf[w] = '\0';
        *ret = p.d;
        return 0;
}

const char *deb822_get(const deb822 *d, size_t para, const char *name)
{
        if (para >= d->n_paras)
                return NULL;
        const deb822_para *p = &d->paras[para];
        for (size_t i = 0; i < p->n; i++)
                if (strcasecmp(d->fields[p->first + i].name, name) == 0)
                        return d->fields[p->first + i].value;
        return NULL;
}

void deb822_free(deb822 *d)
{
        free(d->buf);
        free(d->fields);
        free(d->paras);
        *d = (deb822){0};
}
