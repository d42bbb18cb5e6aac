/* What mkroot says about what the adder staged, before the image is
 * written: links that dangle in the image, interpreters without their
 * library directories (adder_warn). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "add-internal.h"
#include "dpkg.h"

/* Where a staged symlink ends inside the stage: NULL when it dangles. */
static const stage_entry *stage_resolve(const stage *s, const char *path, char **ret_target)
{
        _cleanup_free_ char *cur = xstrdup(path);
        for (int i = 0; i < MAX_LINKS; i++) {
                const stage_entry *en = stage_lookup(s, cur);
                if (!en || en->kind != STAGE_SYMLINK)
                        return en;
                _cleanup_free_ char *dir = path_dirname(en->path);
                _cleanup_free_ char *joined = en->target[0] == '/'
                                                      ? xstrdup(en->target)
                                                      : xasprintf("/%s/%s", dir, en->target);
                char *norm = path_normalize(joined);
                free(cur);
                cur = xstrdup(norm[0] == '/' ? norm + 1 : norm);
                free(norm);
                if (ret_target) {
                        free(*ret_target);
                        *ret_target = xasprintf("/%s", cur);
                }
                static const char *const pseudo[] = {"proc", "sys", "dev", "run", "tmp"};
                for (size_t k = 0; k < ARRAY_SIZE(pseudo); k++) {
                        size_t n = strlen(pseudo[k]);
                        if (!strncmp(cur, pseudo[k], n) && (cur[n] == '/' || !cur[n]))
                                return en; /* made at run time */
                }
                if (!*cur)
                        return en;
        }
        return NULL;
}

/* The interpreters whose programs need a library directory. */
static const struct interp_lib {
        const char *prog;   /* basename prefix */
        const char *digits; /* what may follow it */
        const char *need;   /* a staged path below which tells the library is in */
        const char *dir;    /* what to name in the warning */
} interp_libs[] = {
        {"python", "0123456789.", NULL, NULL}, /* usr/lib/pythonX.Y, from the name */
        {"perl", "0123456789.", "usr/share/perl", "/usr/share/perl"},
        {"ruby", "0123456789.", "usr/lib/ruby", "/usr/lib/ruby"},
        {"lua", "0123456789.", "usr/share/lua", "/usr/share/lua"},
        {"node", "js", "usr/share/nodejs", "/usr/share/nodejs"},
        {"tclsh", "0123456789.", "usr/share/tcltk", "/usr/share/tcltk"},
};

static bool staged_below(stage *s, const char *prefix)
{
        const stage_entry *const *v = stage_sorted(s);
        size_t n = stage_count(s), len = strlen(prefix);
        for (size_t i = 0; i < n; i++)
                if (!strncmp(v[i]->path, prefix, len) && v[i]->path[len] == '/')
                        return true;
        return false;
}

static void warn_interpreter(adder *a, const stage_entry *en)
{
        const char *base = path_basename(en->path);
        bool local = !strncmp(en->path, "usr/local/", 10);
        for (size_t i = 0; i < ARRAY_SIZE(interp_libs); i++) {
                const struct interp_lib *il = &interp_libs[i];
                size_t n = strlen(il->prog);
                if (strncmp(base, il->prog, n) || strspn(base + n, il->digits) != strlen(base + n))
                        continue;
                _cleanup_free_ char *need = NULL, *dir = NULL;
                if (!il->need) {
                        if (!base[n])
                                return; /* "python" alone: no version to go by */
                        need = xasprintf("%slib/%s", local ? "usr/local/" : "usr/", base);
                        dir = xasprintf("/%s", need);
                } else {
                        need = xstrdup(il->need);
                        dir = xstrdup(il->dir);
                }
                bool ok = staged_below(a->s, need);
                if (!ok && !strcmp(il->prog, "perl")) {
                        /* perl-base keeps its modules below the triplet dir */
                        const stage_entry *const *v = stage_sorted(a->s);
                        for (size_t k = 0; k < stage_count(a->s) && !ok; k++)
                                ok = strstr(v[k]->path, "/perl-base/") ||
                                     strstr(v[k]->path, "/perl5/");
                }
                if (ok)
                        return;
                /* The package of a file only the library has (python's
                 * os.py: /usr/lib/python3.X itself is in many lists). */
                _cleanup_free_ char *landmark =
                        il->need ? xstrdup(dir) : xasprintf("%s/os.py", dir);
                _cleanup_free_ char *owner = dpkg_owner(a->root[0] ? a->root : NULL, landmark);
                if (owner)
                        log_warn("/%s is in the image without its library directory %s: add it "
                                 "with --package %s, --add %s or --trace 'COMMAND'",
                                 en->path, dir, owner, dir);
                else
                        log_warn("/%s is in the image without its library directory %s: add it "
                                 "with --add %s or --trace 'COMMAND'",
                                 en->path, dir, dir);
                return;
        }
}

void adder_warn(adder *a)
{
        const stage_entry *const *v = stage_sorted(a->s);
        size_t n = stage_count(a->s), dangling = 0;
        /* stage_sorted is valid until the next add: copy what is needed. */
        strv files = {0};
        for (size_t i = 0; i < n; i++) {
                if (v[i]->kind == STAGE_FILE && (v[i]->mode & 0111) &&
                    (!strncmp(v[i]->path, "usr/bin/", 8) ||
                     !strncmp(v[i]->path, "usr/local/bin/", 14) || !strncmp(v[i]->path, "bin/", 4)))
                        strv_push(&files, v[i]->path);
                if (v[i]->kind != STAGE_SYMLINK)
                        continue;
                _cleanup_free_ char *target = NULL;
                if (stage_resolve(a->s, v[i]->path, &target))
                        continue;
                if (++dangling <= 20)
                        log_warn("/%s -> %s dangles in the image", v[i]->path, v[i]->target);
        }
        if (dangling > 20)
                log_warn("%zu more symbolic links dangle in the image", dangling - 20);
        for (size_t i = 0; i < files.n; i++) {
                const stage_entry *en = stage_lookup(a->s, files.v[i]);
                if (en)
                        warn_interpreter(a, en);
        }
        strv_free(&files);
}
