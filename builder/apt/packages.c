/* Packages index: one entry per binary package of the target architecture
 * (or "all"), with the fields selection and download need, pointing into
 * the parsed deb822 buffers the index keeps alive. */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <strings.h>

#include "apt.h"

typedef struct pkg_list {
        const apt_pkg **v;
        size_t n, cap;
} pkg_list;

struct apt_index {
        char *arch;
        deb822 *docs;
        size_t n_docs;
        apt_pkg **pkgs;
        size_t n, cap;
        strmap *by_name;  /* name -> pkg_list */
        strmap *provides; /* virtual name -> pkg_list */
        strv origins;     /* the strings apt_pkg.origin points to */
};

static void pkg_list_free(void *p)
{
        pkg_list *l = p;
        free(l->v);
        free(l);
}

static void list_push(strmap *m, const char *key, const apt_pkg *p)
{
        pkg_list *l = strmap_get(m, key);
        if (!l) {
                l = xcalloc(1, sizeof(*l));
                strmap_put(m, key, l);
        }
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 2;
                l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
        }
        l->v[l->n++] = p;
}

apt_index *apt_index_new(const char *arch)
{
        apt_index *x = xcalloc(1, sizeof(*x));
        x->arch = xstrdup(arch);
        x->by_name = strmap_new_with_free(pkg_list_free);
        x->provides = strmap_new_with_free(pkg_list_free);
        return x;
}

static bool is_hex64(const char *s)
{
        return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The fields selection and download need, out of one paragraph. */
static int read_fields(const deb822 *doc, const deb822_para *para, const char *what, apt_pkg *ret,
                       err_t *e)
{
        apt_pkg p = {.size = -1};
        for (size_t f = 0; f < para->n; f++) {
                const deb822_field *fl = &doc->fields[para->first + f];
                const char *n = fl->name;
                switch (n[0] | 0x20) {
                case 'a':
                        if (!strcasecmp(n, "Architecture"))
                                p.arch = fl->value;
                        break;
                case 'd':
                        if (!strcasecmp(n, "Depends"))
                                p.depends = fl->value;
                        break;
                case 'e':
                        if (!strcasecmp(n, "Essential"))
                                p.essential = !strcasecmp(fl->value, "yes");
                        break;
                case 'f':
                        if (!strcasecmp(n, "Filename"))
                                p.filename = fl->value;
                        break;
                case 'i':
                        /* Only an estimate of the tree's size: a bad one
                         * counts as 0. */
                        if (!strcasecmp(n, "Installed-Size")) {
                                char *end;
                                long long v = strtoll(fl->value, &end, 10);
                                p.installed_kib = (*end || v < 0) ? 0 : v;
                        }
                        break;
                case 'm':
                        if (!strcasecmp(n, "Multi-Arch"))
                                p.multi_arch = fl->value;
                        break;
                case 'p':
                        if (!strcasecmp(n, "Package"))
                                p.name = fl->value;
                        else if (!strcasecmp(n, "Pre-Depends"))
                                p.pre_depends = fl->value;
                        else if (!strcasecmp(n, "Provides"))
                                p.provides = fl->value;
                        else if (!strcasecmp(n, "Priority"))
                                p.priority = fl->value;
                        break;
                case 's':
                        if (!strcasecmp(n, "SHA256"))
                                p.sha256 = fl->value;
                        else if (!strcasecmp(n, "Size")) {
                                char *end;
                                long long v = strtoll(fl->value, &end, 10);
                                if (*end || v < 0 || end == fl->value) {
                                        char sn[32];
                                        return err_set(e, -EBADMSG, "%s:%u: bad Size \"%s\"", what,
                                                       para->line,
                                                       apt_snip(fl->value, 20, sn, sizeof(sn)));
                                }
                                p.size = v;
                        } else if (!strcasecmp(n, "Section"))
                                p.section = fl->value;
                        break;
                case 'v':
                        if (!strcasecmp(n, "Version"))
                                p.version = fl->value;
                        break;
                default: break;
                }
        }
        *ret = p;
        return 0;
}

/* 1 when p is for the index's architecture and well-formed, 0 when it is
 * for another architecture, or an error. */
static int check_pkg(const apt_index *x, const apt_pkg *p, const char *what, unsigned line,
                     err_t *e)
{
        if (!p->name || !p->version || !p->arch)
                return err_set(e, -EBADMSG,
                               "%s:%u: paragraph without Package, Version or Architecture", what,
                               line);
        /* Names and paths are single words: a newline or blank in them
         * would end up in error messages and in file names. */
        const char *single[] = {p->name, p->version, p->arch, p->filename, p->sha256};
        for (size_t k = 0; k < ARRAY_SIZE(single); k++)
                if (single[k] && (!*single[k] || strpbrk(single[k], " \t\n")))
                        return err_set(e, -EBADMSG,
                                       "%s:%u: Package, Version, Architecture, Filename "
                                       "or SHA256 is empty or not one word",
                                       what, line);
        if (strcmp(p->arch, x->arch) && strcmp(p->arch, "all"))
                return 0;
        if (!p->filename || !is_hex64(p->sha256) || p->size < 0)
                return err_set(e, -EBADMSG, "%s:%u: %s without Filename, SHA256 or Size", what,
                               line, p->name);
        if (!path_is_contained(p->filename))
                return err_set(e, -EBADMSG, "%s:%u: %s: bad Filename \"%s\"", what, line, p->name,
                               p->filename);
        return 1;
}

/* Add p under its name and every name it Provides. */
static int index_insert(apt_index *x, const apt_pkg *p, const char *what, err_t *e)
{
        apt_pkg *np = xmalloc(sizeof(*np));
        *np = *p;
        if (x->n == x->cap) {
                x->cap = x->cap ? x->cap * 2 : 1024;
                x->pkgs = xreallocarray(x->pkgs, x->cap, sizeof(*x->pkgs));
        }
        x->pkgs[x->n++] = np;
        list_push(x->by_name, np->name, np);
        if (!np->provides)
                return 0;
        apt_rel_list l;
        if (apt_rel_parse(np->provides, what, &l, e) < 0)
                return err_prefix(e, "%s: Provides", np->name);
        for (size_t g = 0; g < l.n; g++)
                for (size_t a = 0; a < l.groups[g].n; a++)
                        list_push(x->provides, l.groups[g].alts[a].name, np);
        apt_rel_list_free(&l);
        return 0;
}

int apt_index_add(apt_index *x, const char *data, size_t len, const char *what, err_t *e)
{
        return apt_index_add_from(x, data, len, NULL, what, e);
}

int apt_index_add_from(apt_index *x, const char *data, size_t len, const char *origin,
                       const char *what, err_t *e)
{
        deb822 d;
        int rc = deb822_parse(data, len, what, &d, e);
        if (rc < 0)
                return rc;
        x->docs = xreallocarray(x->docs, x->n_docs + 1, sizeof(*x->docs));
        x->docs[x->n_docs++] = d;
        deb822 *doc = &x->docs[x->n_docs - 1];
        const char *org = NULL;
        if (origin) {
                size_t k = 0;
                while (k < x->origins.n && strcmp(x->origins.v[k], origin))
                        k++;
                if (k == x->origins.n)
                        strv_push(&x->origins, origin);
                org = x->origins.v[k];
        }

        for (size_t i = 0; i < doc->n_paras; i++) {
                const deb822_para *para = &doc->paras[i];
                apt_pkg p;
                rc = read_fields(doc, para, what, &p, e);
                p.origin = org;
                if (rc == 0)
                        rc = check_pkg(x, &p, what, para->line, e);
                if (rc == 1)
                        rc = index_insert(x, &p, what, e);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

size_t apt_index_count(const apt_index *x)
{
        return x->n;
}

const apt_pkg *apt_index_at(const apt_index *x, size_t i)
{
        return i < x->n ? x->pkgs[i] : NULL;
}

const apt_pkg *apt_index_candidate(const apt_index *x, const char *name)
{
        const pkg_list *l = strmap_get(x->by_name, name);
        if (!l)
                return NULL;
        const apt_pkg *best = NULL;
        for (size_t i = 0; i < l->n; i++)
                if (!best || debver_cmp(l->v[i]->version, best->version) > 0)
                        best = l->v[i];
        return best;
}

const apt_pkg *const *apt_index_providers(const apt_index *x, const char *name, size_t *ret_n)
{
        const pkg_list *l = strmap_get(x->provides, name);
        *ret_n = l ? l->n : 0;
        return l ? (const apt_pkg *const *)l->v : NULL;
}

void apt_index_free(apt_index *x)
{
        if (!x)
                return;
        strmap_free(x->by_name);
        strmap_free(x->provides);
        for (size_t i = 0; i < x->n; i++)
                free(x->pkgs[i]);
        free(x->pkgs);
        for (size_t i = 0; i < x->n_docs; i++)
                deb822_free(&x->docs[i]);
        free(x->docs);
        strv_free(&x->origins);
        free(x->arch);
        free(x);
}

/* Decompress a Packages.{xz,gz,bz2,zst} (or plain) file into memory. */
int apt_read_compressed(const char *path, const char *what, size_t max, char **ret, size_t *ret_len,
                        err_t *e)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        struct archive_entry *ent;
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
            archive_read_next_header(a, &ent) != ARCHIVE_OK) {
                int rc = err_set(e, -EBADMSG, "%s: %s", what, archive_error_string(a));
                archive_read_free(a);
                return rc;
        }
        strbuf b = {0};
        char buf[1 << 16];
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
                if (n == 0)
                        break;
                if (n < 0) {
                        int rc = err_set(e, -EBADMSG, "%s: %s", what, archive_error_string(a));
                        archive_read_free(a);
                        sb_free(&b);
                        return rc;
                }
                if (b.len + (size_t)n > max) {
                        archive_read_free(a);
                        sb_free(&b);
                        return err_set(e, -EFBIG, "%s: too large", what);
                }
                sb_appendn(&b, buf, (size_t)n);
        }
        archive_read_free(a);
        *ret_len = b.len;
        *ret = sb_steal(&b);
        return 0;
}
