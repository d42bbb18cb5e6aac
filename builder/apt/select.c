/* Package selection: the variant's seeds closed over Depends and
 * Pre-Depends. A relation group already met by a selected package (or one
 * it Provides) adds nothing; otherwise the first alternative that a real
 * package satisfies wins, then the first that a provider satisfies, as
 * debootstrap and apt resolve them. */
#include <string.h>
#include <strings.h>

#include "apt.h"

int apt_variant_parse(const char *s, apt_variant *ret)
{
        static const char *const names[APT_VARIANT_MAX] = {
                [APT_VARIANT_MINBASE] = "minbase",     [APT_VARIANT_REQUIRED] = "required",
                [APT_VARIANT_IMPORTANT] = "important", [APT_VARIANT_BUILDD] = "buildd",
                [APT_VARIANT_ESSENTIAL] = "essential",
        };
        for (int i = 0; i < APT_VARIANT_MAX; i++)
                if (!strcmp(s, names[i])) {
                        *ret = (apt_variant)i;
                        return 0;
                }
        return -EINVAL;
}

typedef struct selector {
        const apt_index *x;
        const strv *exclude;
        strmap *chosen; /* name -> apt_pkg */
        const apt_pkg **queue;
        size_t n, cap;
} selector;

static int priority_rank(const char *p)
{
        if (!p)
                return 0;
        if (!strcmp(p, "required"))
                return 5;
        if (!strcmp(p, "important"))
                return 4;
        if (!strcmp(p, "standard"))
                return 3;
        if (!strcmp(p, "optional"))
                return 2;
        return 1;
}

static bool excluded(const selector *s, const char *name)
{
        return s->exclude && strv_contains(s->exclude, name);
}

static void add(selector *s, const apt_pkg *p)
{
        if (strmap_has(s->chosen, p->name))
                return;
        strmap_put(s->chosen, p->name, (void *)p);
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 256;
                s->queue = xreallocarray(s->queue, s->cap, sizeof(*s->queue));
        }
        s->queue[s->n++] = p;
}

/* Does p Provide rel (with a version that satisfies it when versioned)? */
static bool provides_rel(const apt_pkg *p, const apt_rel *rel)
{
        if (!p->provides)
                return false;
        apt_rel_list l;
        err_t e = {0};
        if (apt_rel_parse(p->provides, p->name, &l, &e) < 0)
                return false;
        bool ok = false;
        for (size_t g = 0; g < l.n && !ok; g++)
                for (size_t a = 0; a < l.groups[g].n && !ok; a++) {
                        const apt_rel *pr = &l.groups[g].alts[a];
                        if (strcmp(pr->name, rel->name))
                                continue;
                        if (rel->op == APT_REL_ANY)
                                ok = true;
                        else if (pr->op == APT_REL_EQ)
                                ok = debver_satisfies(pr->version, rel->op, rel->version);
                }
        apt_rel_list_free(&l);
        return ok;
}

static bool archq_ok(const apt_pkg *p, const apt_rel *rel)
{
        /* "pkg:any" needs Multi-Arch: allowed (or an arch: all package,
         * which apt treats alike); other qualifiers name the arch. */
        if (!rel->archq || !strcmp(rel->archq, "native"))
                return true;
        if (!strcmp(rel->archq, "any"))
                return (p->multi_arch && !strcmp(p->multi_arch, "allowed")) ||
                       !strcmp(p->arch, "all");
        return !strcmp(rel->archq, p->arch) || !strcmp(p->arch, "all");
}

static bool rel_met_by_chosen(const selector *s, const apt_rel *rel)
{
        const apt_pkg *p = strmap_get(s->chosen, rel->name);
        if (p && archq_ok(p, rel) && debver_satisfies(p->version, rel->op, rel->version))
                return true;
        size_t n;
        const apt_pkg *const *prov = apt_index_providers(s->x, rel->name, &n);
        for (size_t i = 0; i < n; i++)
                if (strmap_get(s->chosen, prov[i]->name) == prov[i] && provides_rel(prov[i], rel))
                        return true;
        return false;
}

/* The highest version of name that satisfies rel. */
static const apt_pkg *best_real(const selector *s, const apt_rel *rel)
{
        const apt_pkg *c = apt_index_candidate(s->x, rel->name);
        if (c && archq_ok(c, rel) && debver_satisfies(c->version, rel->op, rel->version))
                return c;
        return NULL;
}

static const apt_pkg *best_provider(const selector *s, const apt_rel *rel)
{
        size_t n;
        const apt_pkg *const *prov = apt_index_providers(s->x, rel->name, &n);
        const apt_pkg *best = NULL;
        for (size_t i = 0; i < n; i++) {
                const apt_pkg *p = prov[i];
                if (apt_index_candidate(s->x, p->name) != p || excluded(s, p->name) ||
                    !provides_rel(p, rel))
                        continue;
                if (!best || priority_rank(p->priority) > priority_rank(best->priority) ||
                    (priority_rank(p->priority) == priority_rank(best->priority) &&
                     strcmp(p->name, best->name) < 0))
                        best = p;
        }
        return best;
}

/* Would an excluded package have provided rel? */
static bool excluded_provider(const selector *s, const apt_rel *rel)
{
        size_t n;
        const apt_pkg *const *prov = apt_index_providers(s->x, rel->name, &n);
        for (size_t i = 0; i < n; i++)
                if (excluded(s, prov[i]->name) && provides_rel(prov[i], rel))
                        return true;
        return false;
}

static char *rel_str(const apt_rel_group *g)
{
        static const char *const ops[APT_REL_MAX] = {"", "<<", "<=", "=", ">=", ">>"};
        strbuf b = {0};
        for (size_t i = 0; i < g->n; i++) {
                if (i)
                        sb_append(&b, " | ");
                sb_append(&b, g->alts[i].name);
                if (g->alts[i].op != APT_REL_ANY)
                        sb_appendf(&b, " (%s %s)", ops[g->alts[i].op], g->alts[i].version);
        }
        return sb_steal(&b);
}

static int resolve_field(selector *s, const apt_pkg *p, const char *field, const char *value,
                         err_t *e)
{
        if (!value)
                return 0;
        apt_rel_list l;
        _cleanup_free_ char *what = xasprintf("%s: %s", p->name, field);
        int rc = apt_rel_parse(value, what, &l, e);
        if (rc < 0)
                return rc;
        for (size_t g = 0; g < l.n && rc == 0; g++) {
                const apt_rel_group *grp = &l.groups[g];
                bool met = false, any_excluded = false;
                for (size_t a = 0; a < grp->n && !met; a++)
                        met = rel_met_by_chosen(s, &grp->alts[a]);
                if (met)
                        continue;
                const apt_pkg *pick = NULL;
                for (size_t a = 0; a < grp->n && !pick; a++) {
                        if (excluded(s, grp->alts[a].name)) {
                                any_excluded = true;
                                continue;
                        }
                        pick = best_real(s, &grp->alts[a]);
                }
                for (size_t a = 0; a < grp->n && !pick; a++)
                        if (!excluded(s, grp->alts[a].name))
                                pick = best_provider(s, &grp->alts[a]);
                for (size_t a = 0; a < grp->n && !pick && !any_excluded; a++)
                        any_excluded = excluded_provider(s, &grp->alts[a]);
                /* Only an excluded package would do: the user asked for
                 * that (debootstrap --exclude behaves alike). */
                if (!pick && any_excluded)
                        continue;
                if (!pick) {
                        _cleanup_free_ char *r = rel_str(grp);
                        rc = err_set(e, -ENOENT, "%s %s %s: unsatisfiable (not in the index)",
                                     p->name, field, r);
                        break;
                }
                add(s, pick);
        }
        apt_rel_list_free(&l);
        return rc;
}

static int close_over(selector *s, size_t from, err_t *e)
{
        for (size_t i = from; i < s->n; i++) {
                const apt_pkg *p = s->queue[i];
                int rc = resolve_field(s, p, "Pre-Depends", p->pre_depends, e);
                if (rc < 0)
                        return rc;
                rc = resolve_field(s, p, "Depends", p->depends, e);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int cmp_pkg(const void *a, const void *b)
{
        const apt_pkg *x = *(const apt_pkg *const *)a, *y = *(const apt_pkg *const *)b;
        return strcmp(x->name, y->name);
}

int apt_select(const apt_index *x, apt_variant v, const strv *include, const strv *exclude,
               apt_selection *ret, err_t *e)
{
        selector s = {.x = x, .exclude = exclude, .chosen = strmap_new()};
        int rc = 0;

        /* The essential set: what dpkg installs first. Every variant
         * but essential also takes Priority: required. */
        bool with_required = v != APT_VARIANT_ESSENTIAL;
        for (size_t i = 0; i < apt_index_count(x); i++) {
                const apt_pkg *p = apt_index_at(x, i);
                bool required = p->priority && !strcmp(p->priority, "required");
                if ((p->essential || (with_required && required)) &&
                    apt_index_candidate(x, p->name) == p && !excluded(&s, p->name))
                        add(&s, p);
        }
        rc = close_over(&s, 0, e);
        size_t n_required = s.n;

        strv seeds = {0};
        if (v == APT_VARIANT_MINBASE || v == APT_VARIANT_IMPORTANT || v == APT_VARIANT_BUILDD)
                strv_push(&seeds, "apt");
        if (v == APT_VARIANT_BUILDD)
                strv_push(&seeds, "build-essential");
        if (v == APT_VARIANT_IMPORTANT)
                for (size_t i = 0; i < apt_index_count(x); i++) {
                        const apt_pkg *p = apt_index_at(x, i);
                        if (p->priority && !strcmp(p->priority, "important") &&
                            apt_index_candidate(x, p->name) == p && !strv_contains(&seeds, p->name))
                                strv_push(&seeds, p->name);
                }
        for (size_t i = 0; include && i < include->n; i++)
                strv_push(&seeds, include->v[i]);
        for (size_t i = 0; rc == 0 && i < seeds.n; i++) {
                if (excluded(&s, seeds.v[i]))
                        continue;
                const apt_pkg *p = apt_index_candidate(x, seeds.v[i]);
                if (!p) {
                        apt_rel r = {.name = seeds.v[i]};
                        p = best_provider(&s, &r);
                }
                if (!p)
                        rc = err_set(e, -ENOENT, "package %s: not in the index", seeds.v[i]);
                else
                        add(&s, p);
        }
        strv_free(&seeds);
        if (rc == 0)
                rc = close_over(&s, n_required, e);
        strmap_free(s.chosen);
        if (rc < 0) {
                free(s.queue);
                return rc;
        }
        qsort(s.queue, n_required, sizeof(*s.queue), cmp_pkg);
        qsort(s.queue + n_required, s.n - n_required, sizeof(*s.queue), cmp_pkg);
        *ret = (apt_selection){.pkgs = s.queue, .n = s.n, .n_required = n_required};
        return 0;
}

void apt_selection_free(apt_selection *s)
{
        free(s->pkgs);
        *s = (apt_selection){0};
}
