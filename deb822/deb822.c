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
        size_t w;           /* the write position in d.buf */
        const char *what;
        unsigned line;
} parser;

static void close_field(parser *p)
{
        if (p->field_open) {
                p->d.buf[p->w++] = '\0';
                p->field_open = false;
        }
}

/* A line starting with a blank: the open field's value goes on. */
static int continuation(parser *p, size_t a, size_t b, err_t *e)
{
        char *buf = p->d.buf;
        if (!p->field_open)
                return err_set(e, -EBADMSG, "%s:%u: continuation line outside a field", p->what,
                               p->line);
        while (a < b && is_blank(buf[a]))
                a++;
        if (b - a == 1 && buf[a] == '.')
                a = b;
        if (p->w > p->value_start)
                buf[p->w++] = '\n';
        memmove(buf + p->w, buf + a, b - a);
        p->w += b - a;
        return 0;
}

/* The paragraph the next field belongs to, opened when none is. */
static deb822_para *current_para(parser *p)
{
        if (!p->in_para) {
                if (p->d.n_paras == p->cap_paras) {
                        p->cap_paras = p->cap_paras ? p->cap_paras * 2 : 16;
                        p->d.paras = xreallocarray(p->d.paras, p->cap_paras, sizeof(*p->d.paras));
                }
                p->d.paras[p->d.n_paras++] =
                        (deb822_para){.first = p->d.n_fields, .n = 0, .line = p->line};
                p->in_para = true;
        }
        return &p->d.paras[p->d.n_paras - 1];
}

static int check_name(const parser *p, size_t a, size_t c, err_t *e)
{
        for (size_t i = a; i < c; i++)
                if (is_blank(p->d.buf[i]) || (unsigned char)p->d.buf[i] < 0x21)
                        return err_set(e, -EBADMSG, "%s:%u: bad field name", p->what, p->line);
        return 0;
}

/* The name in buf[a..c) (compared before being moved) is new in para. */
static int check_duplicate(const parser *p, const deb822_para *para, size_t a, size_t c, err_t *e)
{
        const char *buf = p->d.buf;
        for (size_t i = 0; i < para->n; i++) {
                const char *n = p->d.fields[para->first + i].name;
                if (strlen(n) == c - a && strncasecmp(n, buf + a, c - a) == 0)
                        return err_set(e, -EBADMSG, "%s:%u: duplicate field \"%.*s\"", p->what,
                                       p->line, (int)(c - a), buf + a);
        }
        return 0;
}

/* "Name: value" in buf[a..b): a new field. */
static int field_line(parser *p, size_t a, size_t b, err_t *e)
{
        char *buf = p->d.buf;
        const char *colon = memchr(buf + a, ':', b - a);
        if (!colon || colon == buf + a)
                return err_set(e, -EBADMSG, "%s:%u: expected \"Field: value\"", p->what, p->line);
        size_t c = (size_t)(colon - buf);
        int rc = check_name(p, a, c, e);
        if (rc < 0)
                return rc;
        close_field(p);
        deb822_para *para = current_para(p);
        rc = check_duplicate(p, para, a, c, e);
        if (rc < 0)
                return rc;
        size_t name_at = p->w;
        memmove(buf + p->w, buf + a, c - a);
        p->w += c - a;
        buf[p->w++] = '\0';
        size_t v = c + 1;
        while (v < b && is_blank(buf[v]))
                v++;
        p->value_start = p->w;
        memmove(buf + p->w, buf + v, b - v);
        p->w += b - v;
        p->field_open = true;

        if (p->d.n_fields == p->cap_fields) {
                p->cap_fields = p->cap_fields ? p->cap_fields * 2 : 64;
                p->d.fields = xreallocarray(p->d.fields, p->cap_fields, sizeof(*p->d.fields));
        }
        /* buf does not move; a value is complete once its field is closed. */
        p->d.fields[p->d.n_fields++] = (deb822_field){
                .name = buf + name_at, .value = buf + p->value_start, .line = p->line};
        para->n++;
        return 0;
}

int deb822_parse(const char *data, size_t len, const char *what, deb822 *ret, err_t *e)
{
        if (len > DEB822_MAX_INPUT)
                return err_set(e, -EFBIG, "%s: too large (%zu bytes)", what, len);
        if (memchr(data, '\0', len))
                return err_set(e, -EBADMSG, "%s: contains a NUL byte", what);

        parser p = {.what = what};
        /* Room for the closing NULs of a last line without a newline. */
        p.d.buf = xmalloc(len + 2);
        memcpy(p.d.buf, data, len);
        p.d.buf[len] = '\0';
        char *buf = p.d.buf;
        size_t r = 0;
        int rc = 0;

        while (rc == 0 && r < len) {
                p.line++;
                const char *nl = memchr(buf + r, '\n', len - r);
                size_t eol = nl ? (size_t)(nl - buf) : len;
                size_t next = nl ? eol + 1 : len;
                size_t a = r, b = eol;
                while (b > a && (is_blank(buf[b - 1]) || buf[b - 1] == '\r'))
                        b--;

                if (b == a || (buf[a] == '\r' && b == a + 1)) {
                        /* A blank line ends the paragraph. */
                        close_field(&p);
                        p.in_para = false;
                } else if (buf[a] == '#') {
                        /* Comment: ignored, even inside a multi-line value. */
                } else if (is_blank(buf[a])) {
                        rc = continuation(&p, a, b, e);
                } else {
                        rc = field_line(&p, a, b, e);
                }
                r = next;
        }
        if (rc < 0) {
                deb822_free(&p.d);
                return rc;
        }
        close_field(&p);
        buf[p.w] = '\0';
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
