/* resolve: the dependency walk. Breadth-first over DT_NEEDED in ld.so's
 * order, each name searched from the object that needs it, objects reused
 * by name, soname or file identity, the interpreter placed where ld.so
 * --list shows it. */
#include <elf.h>
#include <string.h>

#include "resolve-internal.h"

#define MAX_OBJECTS 65536

typedef struct walk {
        resolver *r;
        dep_list *l;
        size_t cap;
        strmap *names;   /* every name an object answers to -> index+1 */
        strmap *ids;     /* "dev:ino" -> index+1 */
        strmap *sonames; /* soname -> index+1 */
        char **origins;  /* per object: its directory, or NULL */
        bool interp_placed;
        dep_obj interp; /* the loader, before it takes its place in the order */
        char *interp_origin;
        bool have_interp;
} walk;

#define INTERP_IDX ((size_t)-2)

static size_t add_obj(walk *w, const char *name, const char *path, const elf_info *elf,
                      size_t loader)
{
        dep_list *l = w->l;
        if (l->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 16;
                l->objs = xreallocarray(l->objs, w->cap, sizeof *l->objs);
                w->origins = xreallocarray(w->origins, w->cap, sizeof *w->origins);
        }
        dep_obj *o = &l->objs[l->n];
        memset(o, 0, sizeof *o);
        o->name = xstrdup(name);
        o->path = path ? xstrdup(path) : NULL;
        o->elf = elf;
        o->loader = loader;
        w->origins[l->n] = NULL;
        if (path) {
                _cleanup_free_ char *abs = resolver_abs_path(w->r, path);
                w->origins[l->n] = path_dirname(abs);
        }
        return l->n++;
}

static void note_names(walk *w, size_t idx, const char *name, const char *path, file_rec *f)
{
        uintptr_t v = idx + 1;
        if (name && !strmap_has(w->names, name))
                strmap_put(w->names, name, (void *)v);
        if (path && !strmap_has(w->names, path))
                strmap_put(w->names, path, (void *)v);
        if (f && f->elf) {
                char id[64];
                snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)f->dev,
                         (unsigned long long)f->ino);
                if (!strmap_has(w->ids, id))
                        strmap_put(w->ids, id, (void *)v);
                if (f->elf->soname && !strmap_has(w->sonames, f->elf->soname))
                        strmap_put(w->sonames, f->elf->soname, (void *)v);
        }
}

static size_t lookup_loaded(walk *w, const char *name)
{
        uintptr_t v = (uintptr_t)strmap_get(w->names, name);
        if (!v)
                v = (uintptr_t)strmap_get(w->sonames, name);
        return v ? v - 1 : (size_t)-1;
}

static const char *obj_origin(walk *w, size_t idx)
{
        return idx == INTERP_IDX ? w->interp_origin : w->origins[idx];
}

static const dep_obj *obj_at(walk *w, size_t idx)
{
        return idx == INTERP_IDX ? &w->interp : &w->l->objs[idx];
}

static char *search(walk *w, size_t loader_idx, const char *name)
{
        resolver *r = w->r;
        const dep_obj *main = &w->l->objs[0];
        search_ctx c = {r, main->elf};
        const dep_obj *loader = obj_at(w, loader_idx);
        char *hit = NULL;

        if (strchr(name, '/')) {
                file_rec *f = resolver_load_file(r, name);
                return f->elf && elf_compatible(main->elf, f->elf) ? xstrdup(name) : NULL;
        }
        if (!loader->elf->runpath) {
                bool did_main = false;
                for (size_t i = loader_idx;; i = obj_at(w, i)->loader) {
                        const dep_obj *o = obj_at(w, i);
                        if (o->elf && o->elf->rpath) {
                                _cleanup_strv_ strv dirs = {0};
                                resolver_split_path_list(r, o->elf->rpath, ":", obj_origin(w, i),
                                                         main->elf, &dirs);
                                hit = resolver_search_dirs(&c, &dirs, name);
                                if (hit)
                                        return hit;
                                did_main |= i == 0;
                        }
                        if (i == 0 || i == INTERP_IDX || o->loader == i)
                                break;
                }
                if (!did_main && main->elf->rpath) {
                        _cleanup_strv_ strv dirs = {0};
                        resolver_split_path_list(r, main->elf->rpath, ":", obj_origin(w, 0),
                                                 main->elf, &dirs);
                        hit = resolver_search_dirs(&c, &dirs, name);
                        if (hit)
                                return hit;
                }
        }
        if (r->library_path) {
                _cleanup_strv_ strv dirs = {0};
                resolver_split_path_list(r, r->library_path, ":;", obj_origin(w, 0), main->elf,
                                         &dirs);
                hit = resolver_search_dirs(&c, &dirs, name);
                if (hit)
                        return hit;
        }
        if (loader->elf->runpath) {
                _cleanup_strv_ strv dirs = {0};
                resolver_split_path_list(r, loader->elf->runpath, ":", obj_origin(w, loader_idx),
                                         main->elf, &dirs);
                hit = resolver_search_dirs(&c, &dirs, name);
                if (hit)
                        return hit;
        }
        return resolver_search_system(&c, name, loader->elf->flags_1 & DF_1_NODEFLIB);
}

static const char *default_interp(const elf_info *e)
{
        switch (e->machine) {
        case EM_X86_64:
                return e->elf_class == ELFCLASS64 ? "/lib64/ld-linux-x86-64.so.2"
                                                  : "/libx32/ld-linux-x32.so.2";
        case EM_386: return "/lib/ld-linux.so.2";
        case EM_AARCH64: return "/lib/ld-linux-aarch64.so.1";
        case EM_ARM: return "/lib/ld-linux-armhf.so.3";
        case EM_PPC64: return "/lib64/ld64.so.2";
        case EM_S390: return "/lib/ld64.so.1";
        case EM_RISCV: return "/lib/ld-linux-riscv64-lp64d.so.1";
        default: return NULL;
        }
}

/* Give the loader its place in the load order the first time something
 * needs it, as ld.so does in --list mode. */
static size_t place_interp(walk *w, size_t loader)
{
        size_t idx = add_obj(w, w->interp.name, w->interp.path, w->interp.elf, loader);
        w->l->objs[idx].is_interp = true;
        w->interp_placed = true;
        /* Re-point its names at the placed index. */
        const char *keys[] = {w->interp.name, w->interp.path,
                              w->interp.elf ? w->interp.elf->soname : NULL};
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                if (!keys[i])
                        continue;
                if ((uintptr_t)strmap_get(w->names, keys[i]) == INTERP_IDX + 1)
                        strmap_put(w->names, keys[i], (void *)(uintptr_t)(idx + 1));
                if ((uintptr_t)strmap_get(w->sonames, keys[i]) == INTERP_IDX + 1)
                        strmap_put(w->sonames, keys[i], (void *)(uintptr_t)(idx + 1));
        }
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(w->ids, &pos, &k, &v))
                if ((uintptr_t)v == INTERP_IDX + 1)
                        strmap_put(w->ids, k, (void *)(uintptr_t)(idx + 1));
        return idx;
}

static void dep_push(dep_obj *o, size_t idx)
{
        o->deps = xreallocarray(o->deps, o->n_deps + 1, sizeof *o->deps);
        o->deps[o->n_deps++] = idx;
}

/* The interpreter, known before anything needs it (ld.so --list shows it
 * where it is first needed, see place_interp). */
static void walk_note_interp(walk *w, const char *interp)
{
        file_rec *f = resolver_load_file(w->r, interp);
        w->have_interp = true;
        w->interp.name = xstrdup(interp);
        w->interp.path = f->elf ? xstrdup(interp) : NULL;
        w->interp.elf = f->elf;
        w->interp.loader = INTERP_IDX;
        _cleanup_free_ char *abs = resolver_abs_path(w->r, interp);
        w->interp_origin = path_dirname(abs);
        if (f->elf)
                note_names(w, INTERP_IDX, interp, interp, f);
        else
                strmap_put(w->names, interp, (void *)(uintptr_t)(INTERP_IDX + 1));
}

/* The index of what name, needed by object i, is: an object already
 * loaded (by name, soname or file identity) or a new one, found or not. */
static size_t walk_needed(walk *w, size_t i, const char *name)
{
        size_t idx = lookup_loaded(w, name);
        if (idx != (size_t)-1)
                return idx;
        _cleanup_free_ char *found = search(w, i, name);
        file_rec *f = found ? resolver_load_file(w->r, found) : NULL;
        if (f) {
                char id[64];
                snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)f->dev,
                         (unsigned long long)f->ino);
                uintptr_t v = (uintptr_t)strmap_get(w->ids, id);
                if (v) {
                        strmap_put(w->names, name, (void *)v);
                        return v - 1;
                }
        }
        idx = add_obj(w, name, found, f ? f->elf : NULL, i);
        note_names(w, idx, name, found, f);
        return idx;
}

static void walk_done(walk *w)
{
        free(w->interp.name);
        free(w->interp.path);
        free(w->interp_origin);
        for (size_t i = 0; i < w->l->n; i++)
                free(w->origins[i]);
        free(w->origins);
        strmap_free(w->names);
        strmap_free(w->ids);
        strmap_free(w->sonames);
}

int resolver_resolve(resolver *r, const char *path, dep_list **ret, err_t *e)
{
        const elf_info *elf = NULL;
        int rr = resolver_elf(r, path, &elf, e);
        if (rr < 0)
                return rr;
        dep_list *l = xcalloc(1, sizeof *l);
        walk w = {.r = r,
                  .l = l,
                  .names = strmap_new(),
                  .ids = strmap_new(),
                  .sonames = strmap_new()};
        file_rec *mf = resolver_load_file(r, path);
        add_obj(&w, path, path, elf, 0);
        note_names(&w, 0, path, path, mf);

        if (!elf->dynamic)
                l->static_note = "not a dynamic executable";
        else if (!elf->interp && elf->n_needed == 0)
                l->static_note = "statically linked";
        else {
                const char *interp = elf->interp ? elf->interp : default_interp(elf);
                if (interp)
                        walk_note_interp(&w, interp);
                for (size_t i = 0; i < l->n && l->n < MAX_OBJECTS; i++) {
                        if (!l->objs[i].elf)
                                continue;
                        for (size_t k = 0; k < l->objs[i].elf->n_needed; k++) {
                                size_t idx = walk_needed(&w, i, l->objs[i].elf->needed[k]);
                                if (idx == INTERP_IDX)
                                        idx = place_interp(&w, i);
                                dep_push(&l->objs[i], idx);
                        }
                }
        }
        walk_done(&w);
        *ret = l;
        return 0;
}
