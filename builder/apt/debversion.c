/* Debian version comparison (epoch, upstream, revision; '~' sorts before
 * everything, letters before other symbols) and relation parsing. */
#include <ctype.h>
#include <string.h>

#include "apt.h"

typedef struct debver {
        unsigned long epoch;
        const char *up, *up_end, *rev, *rev_end;
} debver;

static void debver_split(const char *v, debver *d)
{
        while (*v == ' ')
                v++;
        const char *colon = strchr(v, ':');
        d->epoch = 0;
        if (colon) {
                bool digits = colon > v;
                for (const char *p = v; p < colon; p++)
                        if (!isdigit((unsigned char)*p))
                                digits = false;
                if (digits) {
                        d->epoch = strtoul(v, NULL, 10);
                        v = colon + 1;
                }
        }
        const char *end = v + strlen(v);
        while (end > v && end[-1] == ' ')
                end--;
        const char *dash = NULL;
        for (const char *p = v; p < end; p++)
                if (*p == '-')
                        dash = p;
        d->up = v;
        if (dash) {
                d->up_end = dash;
                d->rev = dash + 1;
                d->rev_end = end;
        } else {
                d->up_end = end;
                d->rev = d->rev_end = end;
        }
}

/* The weight of a non-digit character: '~' lowest, then the end of the
 * string, then letters, then everything else. */
static int char_order(int c)
{
        if (c == '~')
                return -1;
        if (c == 0 || isdigit(c))
                return 0;
        if (isalpha(c))
                return c;
        return c + 256;
}

static int part_cmp(const char *a, const char *ae, const char *b, const char *be)
{
        while (a < ae || b < be) {
                while ((a < ae && !isdigit((unsigned char)*a)) ||
                       (b < be && !isdigit((unsigned char)*b))) {
                        int ca = a < ae ? char_order((unsigned char)*a) : 0;
                        int cb = b < be ? char_order((unsigned char)*b) : 0;
                        if (a < ae && isdigit((unsigned char)*a))
                                ca = 0;
                        if (b < be && isdigit((unsigned char)*b))
                                cb = 0;
                        if (ca != cb)
                                return ca < cb ? -1 : 1;
                        if (a < ae && !isdigit((unsigned char)*a))
                                a++;
                        if (b < be && !isdigit((unsigned char)*b))
                                b++;
                }
                while (a < ae && *a == '0')
                        a++;
                while (b < be && *b == '0')
                        b++;
                int first = 0;
                while (a < ae && isdigit((unsigned char)*a) && b < be &&
                       isdigit((unsigned char)*b)) {
                        if (!first)
                                first = *a - *b;
                        a++;
                        b++;
                }
                if (a < ae && isdigit((unsigned char)*a))
                        return 1;
                if (b < be && isdigit((unsigned char)*b))
                        return -1;
                if (first)
                        return first < 0 ? -1 : 1;
        }
        return 0;
}

int debver_cmp(const char *a, const char *b)
{
        debver x, y;
        debver_split(a, &x);
        debver_split(b, &y);
        if (x.epoch != y.epoch)
                return x.epoch < y.epoch ? -1 : 1;
        int r = part_cmp(x.up, x.up_end, y.up, y.up_end);
        if (r)
                return r;
        return part_cmp(x.rev, x.rev_end, y.rev, y.rev_end);
}

bool debver_valid(const char *v)
{
        if (!v || !*v)
                return false;
        debver d;
        const char *colon = strchr(v, ':');
        if (colon) {
                if (colon == v)
                        return false;
                for (const char *p = v; p < colon; p++)
                        if (!isdigit((unsigned char)*p))
                                return false;
        }
        debver_split(v, &d);
        if (d.up == d.up_end || !isdigit((unsigned char)*d.up))
                return false;
        for (const char *p = d.up; p < d.up_end; p++)
                if (!isalnum((unsigned char)*p) && !strchr(".+-~:", *p))
                        return false;
        if (d.rev_end > d.up_end && d.rev == d.rev_end)
                return false; /* trailing '-' */
        for (const char *p = d.rev; p < d.rev_end; p++)
                if (!isalnum((unsigned char)*p) && !strchr(".+~", *p))
                        return false;
        return true;
}

bool debver_satisfies(const char *ver, apt_relop op, const char *ref)
{
        if (op == APT_REL_ANY)
                return true;
        if (!ver || !ref)
                return false;
        int c = debver_cmp(ver, ref);
        switch (op) {
        case APT_REL_LT: return c < 0;
        case APT_REL_LE: return c <= 0;
        case APT_REL_EQ: return c == 0;
        case APT_REL_GE: return c >= 0;
        case APT_REL_GT: return c > 0;
        default: return false;
        }
}

char *apt_snip(const char *s, size_t max, char *buf, size_t bufsize)
{
        size_t n = 0;
        for (; s && s[n] && n < max && n + 1 < bufsize; n++)
                buf[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
        buf[n] = '\0';
        return buf;
}

/* ---- relations -------------------------------------------------------- */

static bool is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p)
{
        while (is_ws(*p))
                p++;
        return p;
}

static bool is_name_char(char c)
{
        return isalnum((unsigned char)c) || c == '.' || c == '+' || c == '-' || c == '_';
}

static void rel_free(apt_rel *r)
{
        free(r->name);
        free(r->archq);
        free(r->version);
}

void apt_rel_list_free(apt_rel_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                for (size_t j = 0; j < l->groups[i].n; j++)
                        rel_free(&l->groups[i].alts[j]);
                free(l->groups[i].alts);
        }
        free(l->groups);
        *l = (apt_rel_list){0};
}

static int parse_one(const char **pp, const char *what, apt_rel *ret, err_t *e)
{
        const char *p = skip_ws(*pp);
        const char *n = p;
        while (is_name_char(*p))
                p++;
        if (p == n) {
                char sn[32];
                return err_set(e, -EBADMSG, "%s: expected a package name at \"%s\"", what,
                               apt_snip(n, 20, sn, sizeof(sn)));
        }
        apt_rel r = {.name = xstrndup(n, (size_t)(p - n))};
        if (*p == ':') {
                const char *q = ++p;
                while (is_name_char(*p))
                        p++;
                r.archq = xstrndup(q, (size_t)(p - q));
        }
        p = skip_ws(p);
        if (*p == '(') {
                p = skip_ws(p + 1);
                if (!strncmp(p, "<<", 2)) {
                        r.op = APT_REL_LT;
                        p += 2;
                } else if (!strncmp(p, "<=", 2)) {
                        r.op = APT_REL_LE;
                        p += 2;
                } else if (!strncmp(p, ">>", 2)) {
                        r.op = APT_REL_GT;
                        p += 2;
                } else if (!strncmp(p, ">=", 2)) {
                        r.op = APT_REL_GE;
                        p += 2;
                } else if (*p == '=') {
                        r.op = APT_REL_EQ;
                        p++;
                } else if (*p == '<') {
                        r.op = APT_REL_LE;
                        p++;
                } else if (*p == '>') {
                        r.op = APT_REL_GE;
                        p++;
                } else {
                        rel_free(&r);
                        char sn[48];
                        return err_set(e, -EBADMSG, "%s: bad relation operator in \"%s\"", what,
                                       apt_snip(*pp, 40, sn, sizeof(sn)));
                }
                p = skip_ws(p);
                const char *v = p;
                while (*p && *p != ')' && !is_ws(*p))
                        p++;
                const char *ve = p;
                p = skip_ws(p);
                if (*p != ')' || ve == v) {
                        rel_free(&r);
                        char sn[48];
                        return err_set(e, -EBADMSG, "%s: unterminated version in \"%s\"", what,
                                       apt_snip(*pp, 40, sn, sizeof(sn)));
                }
                r.version = xstrndup(v, (size_t)(ve - v));
                p = skip_ws(p + 1);
        }
        /* Architecture and build-profile restrictions: skipped. */
        while (*p == '[' || *p == '<') {
                char close = *p == '[' ? ']' : '>';
                const char *c = strchr(p, close);
                if (!c) {
                        rel_free(&r);
                        return err_set(e, -EBADMSG, "%s: unterminated '%c' restriction", what, *p);
                }
                p = skip_ws(c + 1);
        }
        *ret = r;
        *pp = p;
        return 0;
}

int apt_rel_parse(const char *s, const char *what, apt_rel_list *ret, err_t *e)
{
        apt_rel_list l = {0};
        const char *p = skip_ws(s ? s : "");
        size_t cap = 0;
        while (*p) {
                apt_rel_group g = {0};
                size_t gcap = 0;
                for (;;) {
                        apt_rel r;
                        int rc = parse_one(&p, what, &r, e);
                        if (rc < 0) {
                                for (size_t j = 0; j < g.n; j++)
                                        rel_free(&g.alts[j]);
                                free(g.alts);
                                apt_rel_list_free(&l);
                                return rc;
                        }
                        if (g.n == gcap) {
                                gcap = gcap ? gcap * 2 : 2;
                                g.alts = xreallocarray(g.alts, gcap, sizeof(*g.alts));
                        }
                        g.alts[g.n++] = r;
                        p = skip_ws(p);
                        if (*p != '|')
                                break;
                        p++;
                }
                if (l.n == cap) {
                        cap = cap ? cap * 2 : 4;
                        l.groups = xreallocarray(l.groups, cap, sizeof(*l.groups));
                }
                l.groups[l.n++] = g;
                p = skip_ws(p);
                if (*p == ',') {
                        p = skip_ws(p + 1);
                        continue;
                }
                if (*p) {
                        apt_rel_list_free(&l);
                        char sn[32];
                        return err_set(e, -EBADMSG, "%s: unexpected \"%s\"", what,
                                       apt_snip(p, 20, sn, sizeof(sn)));
                }
        }
        *ret = l;
        return 0;
}
