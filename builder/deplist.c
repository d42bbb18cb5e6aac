/* dep_list: what resolver_resolve found, freed and printed, in ldd's
 * format or as a tree of who loads whom (mkroot deps [--tree]). */
#include <string.h>

#include "resolve.h"

void dep_list_free(dep_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++) {
                free(l->objs[i].name);
                free(l->objs[i].path);
                free(l->objs[i].deps);
        }
        free(l->objs);
        free(l);
}

void dep_list_print_ldd(const dep_list *l, FILE *out)
{
        if (l->static_note) {
                fprintf(out, "\t%s\n", l->static_note);
                return;
        }
        /* ld.so lists its link map: load order, except that the loader
         * itself sits right after the object before it in the search list,
         * which has no entries for libraries that were not found. */
        size_t *order = xcalloc(l->n, sizeof *order);
        size_t m = 0;
        for (size_t i = 1; i < l->n; i++) {
                size_t j = m++;
                if (l->objs[i].is_interp)
                        while (j > 0 && !l->objs[order[j - 1]].path) {
                                order[j] = order[j - 1];
                                j--;
                        }
                order[j] = i;
        }
        for (size_t k = 0; k < m; k++) {
                const dep_obj *o = &l->objs[order[k]];
                if (!o->path)
                        fprintf(out, "\t%s => not found\n", o->name);
                else if (!strcmp(o->name, o->path))
                        fprintf(out, "\t%s\n", o->name);
                else
                        fprintf(out, "\t%s => %s\n", o->name, o->path);
        }
        free(order);
}

static void print_subtree(const dep_list *l, size_t idx, int depth, bool *shown, FILE *out)
{
        const dep_obj *o = &l->objs[idx];
        for (size_t k = 0; k < o->n_deps; k++) {
                size_t c = o->deps[k];
                /* Each object appears once, under the object that loaded it. */
                if (shown[c] || l->objs[c].loader != idx)
                        continue;
                shown[c] = true;
                const dep_obj *d = &l->objs[c];
                fprintf(out, "%*s%s => %s%s\n", depth * 4, "", d->name,
                        d->path ? d->path : "not found", d->is_interp ? " (interpreter)" : "");
                print_subtree(l, c, depth + 1, shown, out);
        }
}

void dep_list_print_tree(const dep_list *l, FILE *out)
{
        const dep_obj *m = &l->objs[0];
        if (l->static_note) {
                fprintf(out, "%s (%s)\n", m->path, l->static_note);
                return;
        }
        const char *interp = m->elf && m->elf->interp ? m->elf->interp : NULL;
        if (interp)
                fprintf(out, "%s (interpreter => %s)\n", m->path, interp);
        else
                fprintf(out, "%s\n", m->path);
        bool *shown = xcalloc(l->n, sizeof *shown);
        shown[0] = true;
        print_subtree(l, 0, 1, shown, out);
        free(shown);
}
