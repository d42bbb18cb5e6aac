#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "deb822.h"
#include "dpkg.h"

/* Caps on hostile input: a status file of a big desktop is ~10 MiB, a
 * .list of the largest package a few MiB. */
#define DPKG_MAX_STATUS ((size_t)256 << 20)
#define DPKG_MAX_LIST ((size_t)64 << 20)

typedef struct dpkg_pkg {
        char *name, *arch, *id; /* id: "name:arch" */
        bool multiarch_same;
        strv depends;  /* relation groups: "a|b|c", names only */
        strv provides; /* names */
        strv conffiles;
} dpkg_pkg;

struct dpkg_db {
        dpkg_pkg *p;
        size_t n;
        char *native; /* dpkg's own architecture, when it is installed */
        strv div_from, div_to, div_by;
};

static void pkg_free(dpkg_pkg *p)
{
        free(p->name);
        free(p->arch);
        free(p->id);
        strv_free(&p->depends);
        strv_free(&p->provides);
        strv_free(&p->conffiles);
}

void dpkg_db_free(dpkg_db *db)
{
        if (!db)
                return;
        for (size_t i = 0; i < db->n; i++)
                pkg_free(&db->p[i]);
        free(db->p);
        free(db->native);
        strv_free(&db->div_from);
        strv_free(&db->div_to);
        strv_free(&db->div_by);
        free(db);
}

/* A relation's package name: "name:any (>= 1) [arch] <profile>" -> name. */
static char *relation_name(const char *s, size_t n)
{
        while (n && (*s == ' ' || *s == '\t' || *s == '\n')) {
                s++;
                n--;
        }
        size_t k = 0;
        while (k < n && !strchr(" \t\n(:[<", s[k]))
                k++;
        return k ? xstrndup(s, k) : NULL;
}

/* "a (>= 1) | b, c" -> "a|b", "c". */
static void parse_relations(const char *v, strv *out)
{
        if (!v)
                return;
        for (const char *g = v; *g;) {
                const char *end = strchrnul(g, ',');
                _cleanup_sb_ strbuf alts = {0};
                for (const char *a = g; a < end;) {
                        const char *bar = memchr(a, '|', (size_t)(end - a));
                        const char *aend = bar ? bar : end;
                        _cleanup_free_ char *name = relation_name(a, (size_t)(aend - a));
                        if (name) {
                                if (alts.len)
                                        sb_append(&alts, "|");
                                sb_append(&alts, name);
                        }
                        a = bar ? bar + 1 : end;
                }
                if (alts.len)
                        strv_push(out, alts.s);
                g = *end ? end + 1 : end;
        }
}

/* Conffiles: " /etc/x HASH [obsolete|remove-on-upgrade]" lines. */
static void parse_conffiles(const char *v, strv *out)
{
        if (!v)
                return;
        for (const char *l = v; *l;) {
                const char *end = strchrnul(l, '\n');
                while (l < end && (*l == ' ' || *l == '\t'))
                        l++;
                const char *sp = l;
                while (sp < end && *sp != ' ' && *sp != '\t')
                        sp++;
                bool gone = false;
                for (const char *w = sp; w < end; w++)
                        if (!strncmp(w, "obsolete", 8) || !strncmp(w, "remove-on-upgrade", 17))
                                gone = true;
                if (sp > l && *l == '/' && !gone)
                        strv_push_take(out, xstrndup(l, (size_t)(sp - l)));
                l = *end ? end + 1 : end;
        }
}

/* Files are on disk in these states (dpkg(1)'s package states). */
static bool status_present(const char *st)
{
        if (!st)
                return false;
        const char *w = strrchr(st, ' ');
        w = w ? w + 1 : st;
        static const char *const ok[] = {"installed", "unpacked", "half-configured",
                                         "triggers-awaited", "triggers-pending"};
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
                if (!strcmp(w, ok[i]))
                        return true;
        return false;
}

static int parse_diversions(dpkg_db *db, const char *d, size_t len, const char *what, err_t *e)
{
        strv lines = {0};
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(d + i, '\n', len - i);
                size_t n = nl ? (size_t)(nl - (d + i)) : len - i;
                strv_push_take(&lines, xstrndup(d + i, n));
                i += n + 1;
        }
        int r = 0;
        if (lines.n % 3)
                r = err_set(e, -EINVAL, "%s: %zu lines, not groups of three", what, lines.n);
        for (size_t i = 0; r == 0 && i + 2 < lines.n; i += 3) {
                if (lines.v[i][0] != '/' || lines.v[i + 1][0] != '/') {
                        r = err_set(e, -EINVAL, "%s:%zu: not an absolute path", what, i + 1);
                        break;
                }
                strv_push(&db->div_from, lines.v[i]);
                strv_push(&db->div_to, lines.v[i + 1]);
                strv_push(&db->div_by, lines.v[i + 2]);
        }
        strv_free(&lines);
        return r;
}

int dpkg_db_parse(const char *status, size_t len, const char *status_name, const char *diversions,
                  size_t dlen, const char *div_name, dpkg_db **ret, err_t *e)
{
        _cleanup_deb822_ deb822 d = {0};
        int r = deb822_parse(status, len, status_name, &d, e);
        if (r < 0)
                return r;
        dpkg_db *db = xcalloc(1, sizeof *db);
        db->p = xcalloc(d.n_paras ? d.n_paras : 1, sizeof *db->p);
        for (size_t i = 0; i < d.n_paras; i++) {
                const char *name = deb822_get(&d, i, "Package");
                if (!name || !*name || strpbrk(name, " \t\n:/|,") || !strcmp(name, ".") ||
                    !strcmp(name, ".."))
                        continue;
                if (!status_present(deb822_get(&d, i, "Status")))
                        continue;
                const char *arch = deb822_get(&d, i, "Architecture");
                if (!arch || !*arch || strpbrk(arch, " \t\n:/"))
                        arch = "all";
                const char *ma = deb822_get(&d, i, "Multi-Arch");
                dpkg_pkg *p = &db->p[db->n++];
                p->name = xstrdup(name);
                p->arch = xstrdup(arch);
                p->id = xasprintf("%s:%s", name, arch);
                p->multiarch_same = ma && !strcmp(ma, "same");
                parse_relations(deb822_get(&d, i, "Pre-Depends"), &p->depends);
                parse_relations(deb822_get(&d, i, "Depends"), &p->depends);
                parse_relations(deb822_get(&d, i, "Provides"), &p->provides);
                parse_conffiles(deb822_get(&d, i, "Conffiles"), &p->conffiles);
                if (!strcmp(name, "dpkg") && !db->native)
                        db->native = xstrdup(arch);
        }
        if (diversions && (r = parse_diversions(db, diversions, dlen, div_name, e)) < 0) {
                dpkg_db_free(db);
                return r;
        }
        *ret = db;
        return 0;
}

static char *in_root(const char *root, const char *path)
{
        if (!root || !strcmp(root, "/"))
                return xstrdup(path);
        return xasprintf("%s%s", root, path);
}

int dpkg_db_open(const char *root, dpkg_db **ret, err_t *e)
{
        _cleanup_free_ char *sp = in_root(root, "/var/lib/dpkg/status");
        _cleanup_free_ char *dp = in_root(root, "/var/lib/dpkg/diversions");
        _cleanup_free_ char *status = NULL, *div = NULL;
        size_t len = 0, dlen = 0;
        int r = fs_read_file_at(AT_FDCWD, sp, DPKG_MAX_STATUS, &status, &len, e);
        if (r < 0)
                return err_prefix(e, "--package");
        err_t ignore = {0};
        if (fs_read_file_at(AT_FDCWD, dp, DPKG_MAX_STATUS, &div, &dlen, &ignore) < 0) {
                div = NULL;
                dlen = 0;
        }
        r = dpkg_db_parse(status, len, sp, div, dlen, dp, ret, e);
        if (r < 0)
                return err_prefix(e, "--package");
        return 0;
}

/* The installed package a name means for a package of arch `like`
 * (NULL: the native one): a real package of that name (same arch, else
 * "all", else the native one, else any), else one that Provides it. */
static const dpkg_pkg *lookup(const dpkg_db *db, const char *spec, const char *like)
{
        _cleanup_free_ char *name = xstrdup(spec);
        char *colon = strchr(name, ':');
        const char *arch = NULL;
        if (colon) {
                *colon = '\0';
                arch = colon + 1;
                if (!strcmp(arch, "any") || !strcmp(arch, "native"))
                        arch = NULL;
        }
        const char *want[] = {arch, like, "all", db->native};
        for (int pass = 0; pass < 2; pass++) {
                const dpkg_pkg *any = NULL;
                for (size_t w = 0; w < ARRAY_SIZE(want) + 1; w++) {
                        for (size_t i = 0; i < db->n; i++) {
                                const dpkg_pkg *p = &db->p[i];
                                bool named = pass == 0 ? !strcmp(p->name, name)
                                                       : strv_contains(&p->provides, name);
                                if (!named)
                                        continue;
                                if (arch && strcmp(p->arch, arch) && strcmp(p->arch, "all"))
                                        continue;
                                if (w == ARRAY_SIZE(want))
                                        return p;
                                if (want[w] && !strcmp(p->arch, want[w]))
                                        return p;
                                if (!any)
                                        any = p;
                        }
                }
                if (any)
                        return any;
        }
        return NULL;
}

int dpkg_closure(const dpkg_db *db, const strv *names, bool deps, strv *ret, err_t *e)
{
        strv out = {0};
        for (size_t i = 0; i < names->n; i++) {
                const dpkg_pkg *p = lookup(db, names->v[i], NULL);
                if (!p) {
                        strv_free(&out);
                        return err_set(e, -ENOENT,
                                       "--package %s: not installed (no such package in "
                                       "/var/lib/dpkg/status)",
                                       names->v[i]);
                }
                if (!strv_contains(&out, p->id))
                        strv_push(&out, p->id);
        }
        /* Breadth first over the list as it grows. */
        for (size_t k = 0; deps && k < out.n; k++) {
                const dpkg_pkg *p = NULL;
                for (size_t i = 0; i < db->n && !p; i++)
                        if (!strcmp(db->p[i].id, out.v[k]))
                                p = &db->p[i];
                for (size_t g = 0; p && g < p->depends.n; g++) {
                        _cleanup_free_ char *alts = xstrdup(p->depends.v[g]);
                        char *save = NULL;
                        for (char *a = strtok_r(alts, "|", &save); a;
                             a = strtok_r(NULL, "|", &save)) {
                                const dpkg_pkg *d = lookup(db, a, p->arch);
                                if (!d)
                                        continue;
                                if (!strv_contains(&out, d->id))
                                        strv_push(&out, d->id);
                                break;
                        }
                }
        }
        *ret = out;
        return 0;
}

int dpkg_list_parse(const char *data, size_t len, const char *what, strv *ret, err_t *e)
{
        strv out = {0};
        unsigned line = 0;
        for (size_t i = 0; i < len;) {
                line++;
                const char *nl = memchr(data + i, '\n', len - i);
                size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
                const char *s = data + i;
                i += n + 1;
                if (n == 0)
                        continue;
                if (s[0] != '/' || memchr(s, '\0', n)) {
                        strv_free(&out);
                        return err_set(e, -EINVAL, "%s:%u: not an absolute path", what, line);
                }
                strv_push_take(&out, xstrndup(s, n));
        }
        *ret = out;
        return 0;
}

int dpkg_files(const dpkg_db *db, const char *root, const char *pkg, strv *ret, err_t *e)
{
        const dpkg_pkg *p = NULL;
        for (size_t i = 0; i < db->n && !p; i++)
                if (!strcmp(db->p[i].id, pkg))
                        p = &db->p[i];
        if (!p)
                return err_set(e, -ENOENT, "--package %s: not installed", pkg);
        _cleanup_free_ char *data = NULL, *path = NULL;
        size_t len = 0;
        /* Multi-Arch: same packages have NAME:ARCH.list; try both. */
        for (int k = 0; k < 2 && !data; k++) {
                bool qualified = k == 0 ? p->multiarch_same : !p->multiarch_same;
                _cleanup_free_ char *rel =
                        qualified ? xasprintf("/var/lib/dpkg/info/%s:%s.list", p->name, p->arch)
                                  : xasprintf("/var/lib/dpkg/info/%s.list", p->name);
                free(path);
                path = in_root(root, rel);
                err_t ignore = {0};
                if (fs_read_file_at(AT_FDCWD, path, DPKG_MAX_LIST, &data, &len, &ignore) < 0)
                        data = NULL;
        }
        strv files = {0};
        if (data) {
                int r = dpkg_list_parse(data, len, path, &files, e);
                if (r < 0)
                        return r;
        }
        /* A path another package diverted holds that package's file: this
         * one's copy is where the diversion put it. */
        for (size_t i = 0; i < files.n; i++)
                for (size_t d = 0; d < db->div_from.n; d++)
                        if (!strcmp(files.v[i], db->div_from.v[d]) &&
                            strcmp(db->div_by.v[d], p->name)) {
                                free(files.v[i]);
                                files.v[i] = xstrdup(db->div_to.v[d]);
                                break;
                        }
        for (size_t i = 0; i < p->conffiles.n; i++)
                if (!strv_contains(&files, p->conffiles.v[i]))
                        strv_push(&files, p->conffiles.v[i]);
        *ret = files;
        return 0;
}

char *dpkg_owner(const char *root, const char *path)
{
        _cleanup_free_ char *dir = in_root(root, "/var/lib/dpkg/info");
        _cleanup_strv_ strv names = {0};
        if (fs_list_dir_at(AT_FDCWD, dir, &names) < 0)
                return NULL;
        size_t plen = strlen(path);
        for (size_t i = 0; i < names.n; i++) {
                size_t n = strlen(names.v[i]);
                if (n <= 5 || strcmp(names.v[i] + n - 5, ".list"))
                        continue;
                _cleanup_free_ char *f = path_join(dir, names.v[i]);
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                err_t ignore = {0};
                if (fs_read_file_at(AT_FDCWD, f, DPKG_MAX_LIST, &data, &len, &ignore) < 0)
                        continue;
                for (const char *p = data; (p = memmem(p, len - (size_t)(p - data), path, plen));
                     p++) {
                        bool starts = p == data || p[-1] == '\n';
                        bool ends = (size_t)(p - data) + plen == len || p[plen] == '\n';
                        if (starts && ends)
                                return xstrndup(names.v[i], n - 5);
                }
        }
        return NULL;
}
