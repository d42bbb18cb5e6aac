/* resolve: search paths as ld.so builds them (DSTs, RPATH/RUNPATH and
 * LD_LIBRARY_PATH lists, default directories, glibc-hwcaps and legacy
 * subdirectories) and lookups through ld.so.cache or ld.so.conf. */
#include <elf.h>
#include <string.h>

#include "resolve-internal.h"

static const char *lib_dst(const elf_info *like)
{
        /* What Debian's ld.so substitutes for $LIB. */
        switch (like->machine) {
        case EM_X86_64:
                return like->elf_class == ELFCLASS64 ? "lib/x86_64-linux-gnu"
                                                     : "lib/x86_64-linux-gnux32";
        case EM_386: return "lib/i386-linux-gnu";
        case EM_AARCH64: return "lib/aarch64-linux-gnu";
        case EM_ARM: return "lib/arm-linux-gnueabihf";
        case EM_PPC64: return "lib/powerpc64le-linux-gnu";
        case EM_S390: return "lib/s390x-linux-gnu";
        case EM_RISCV: return "lib/riscv64-linux-gnu";
        default: return "lib";
        }
}

static const char *triplet(const elf_info *like)
{
        switch (like->machine) {
        case EM_X86_64:
                return like->elf_class == ELFCLASS64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
        case EM_386: return "i386-linux-gnu";
        case EM_AARCH64: return "aarch64-linux-gnu";
        case EM_ARM: return "arm-linux-gnueabihf";
        case EM_PPC64: return "powerpc64le-linux-gnu";
        case EM_S390: return "s390x-linux-gnu";
        case EM_RISCV: return "riscv64-linux-gnu";
        case EM_MIPS: return "mips64el-linux-gnuabi64";
        default: return NULL;
        }
}

static const char *platform_dst(const resolver *r, const elf_info *like)
{
        switch (like->machine) {
        case EM_X86_64: return like->elf_class == ELFCLASS64 ? r->x86_64.platform : "x86_64";
        case EM_386: return "i686";
        case EM_AARCH64: return "aarch64";
        default: return "";
        }
}

/* Expand $ORIGIN, $LIB and $PLATFORM ({} forms too). NULL when the
 * element needs an origin that is unknown: ld.so drops such elements. */
static char *expand_dst(const resolver *r, const char *s, const char *origin, const elf_info *like)
{
        strbuf b = {0};
        for (const char *p = s; *p;) {
                if (*p != '$') {
                        sb_appendn(&b, p, 1);
                        p++;
                        continue;
                }
                const char *names[] = {"ORIGIN", "LIB", "PLATFORM"};
                size_t k, len = 0;
                bool brace = p[1] == '{';
                for (k = 0; k < ARRAY_SIZE(names); k++) {
                        size_t n = strlen(names[k]);
                        const char *q = p + 1 + brace;
                        if (strncmp(q, names[k], n) != 0)
                                continue;
                        if (brace && q[n] == '}') {
                                len = 1 + 1 + n + 1;
                                break;
                        }
                        if (!brace &&
                            !(q[n] == '_' || (q[n] >= 'A' && q[n] <= 'Z') ||
                              (q[n] >= 'a' && q[n] <= 'z') || (q[n] >= '0' && q[n] <= '9'))) {
                                len = 1 + n;
                                break;
                        }
                }
                if (k == ARRAY_SIZE(names)) {
                        sb_appendn(&b, p, 1);
                        p++;
                        continue;
                }
                if (k == 0) {
                        if (!origin) {
                                sb_free(&b);
                                return NULL;
                        }
                        sb_append(&b, origin);
                } else if (k == 1) {
                        sb_append(&b, lib_dst(like));
                } else {
                        sb_append(&b, platform_dst(r, like));
                }
                p += len;
        }
        return sb_steal(&b);
}

/* Split a search path list as ld.so's fillin_rpath does: empty elements
 * mean "./", trailing slashes are normalised to exactly one, duplicates
 * dropped. */
void resolver_split_path_list(const resolver *r, const char *list, const char *seps,
                              const char *origin, const elf_info *like, strv *out)
{
        _cleanup_free_ char *copy = xstrdup(list);
        char *rest = copy, *tok;
        while ((tok = strsep(&rest, seps))) {
                _cleanup_free_ char *x = expand_dst(r, tok, origin, like);
                if (!x)
                        continue;
                size_t n = strlen(x);
                while (n > 1 && x[n - 1] == '/')
                        x[--n] = '\0';
                char *dir = n == 0            ? xstrdup("./")
                            : !strcmp(x, "/") ? xstrdup("/")
                                              : xasprintf("%s/", x);
                if (strv_contains(out, dir))
                        free(dir);
                else
                        strv_push_take(out, dir);
        }
}

static void default_dirs(resolver *r, const elf_info *like, strv *out)
{
        const char *t = triplet(like);
        if (t) {
                _cleanup_free_ char *d = xasprintf("/lib/%s", t);
                if (resolver_dir_exists(r, d)) {
                        strv_push_take(out, xasprintf("/lib/%s/", t));
                        strv_push_take(out, xasprintf("/usr/lib/%s/", t));
                        strv_push(out, "/lib/");
                        strv_push(out, "/usr/lib/");
                        return;
                }
        }
        if (like->machine == EM_386 ||
            (like->machine == EM_X86_64 && like->elf_class == ELFCLASS32)) {
                const char *d = like->machine == EM_386 ? "lib32" : "libx32";
                _cleanup_free_ char *p = xasprintf("/%s", d);
                if (resolver_dir_exists(r, p)) {
                        strv_push_take(out, xasprintf("/%s/", d));
                        strv_push_take(out, xasprintf("/usr/%s/", d));
                        return;
                }
        }
        if (like->elf_class == ELFCLASS64 && resolver_dir_exists(r, "/lib64")) {
                strv_push(out, "/lib64/");
                strv_push(out, "/usr/lib64/");
                return;
        }
        strv_push(out, "/lib/");
        strv_push(out, "/usr/lib/");
}

/* Try name in each directory of dirs (with its hwcaps subdirectories). */
char *resolver_search_dirs(search_ctx *c, const strv *dirs, const char *name)
{
        resolver *r = c->r;
        bool x86_64 = c->like->machine == EM_X86_64 && c->like->elf_class == ELFCLASS64;
        for (size_t i = 0; i < dirs->n; i++) {
                const char *dir = dirs->v[i];
                if (x86_64) {
                        /* glibc-hwcaps first, then the legacy subdirectories:
                         * only those that exist are worth an open. */
                        _cleanup_free_ char *gh = xasprintf("%sglibc-hwcaps", dir);
                        if (resolver_dir_exists(r, gh))
                                for (size_t k = 0; r->x86_64.hwcaps[k]; k++) {
                                        _cleanup_free_ char *p =
                                                xasprintf("%sglibc-hwcaps/%s/%s", dir,
                                                          r->x86_64.hwcaps[k], name);
                                        file_rec *f = resolver_load_file(r, p);
                                        if (f->elf && elf_compatible(c->like, f->elf))
                                                return steal_pointer(&p);
                                }
                        for (size_t k = 0; k < r->x86_64.legacy.n; k++) {
                                const char *sub = r->x86_64.legacy.v[k];
                                const char *slash = strchr(sub, '/');
                                _cleanup_free_ char *first = xasprintf(
                                        "%s%.*s", dir,
                                        (int)(slash ? (size_t)(slash - sub) : strlen(sub)), sub);
                                if (!resolver_dir_exists(r, first))
                                        continue;
                                _cleanup_free_ char *p = xasprintf("%s%s/%s", dir, sub, name);
                                file_rec *f = resolver_load_file(r, p);
                                if (f->elf && elf_compatible(c->like, f->elf))
                                        return steal_pointer(&p);
                        }
                }
                _cleanup_free_ char *p = xasprintf("%s%s", dir, name);
                file_rec *f = resolver_load_file(r, p);
                if (f->elf && elf_compatible(c->like, f->elf))
                        return steal_pointer(&p);
        }
        return NULL;
}

static bool in_system_dir(const strv *sys, const char *path)
{
        for (size_t i = 0; i < sys->n; i++)
                if (!strncmp(path, sys->v[i], strlen(sys->v[i])))
                        return true;
        return false;
}

/* Cache, then the default directories (both skipped for system dirs under
 * DF_1_NODEFLIB). */
char *resolver_search_system(search_ctx *c, const char *name, bool nodeflib)
{
        resolver *r = c->r;
        _cleanup_strv_ strv sys = {0};
        default_dirs(r, c->like, &sys);
        if (r->cache) {
                int32_t flags =
                        ldcache_flags_for(c->like->elf_class, c->like->machine, c->like->e_flags);
                const char *const *hw =
                        c->like->machine == EM_X86_64 && c->like->elf_class == ELFCLASS64
                                ? r->x86_64.hwcaps
                                : NULL;
                const char *hit = flags >= 0 ? ldcache_lookup(r->cache, name, flags, hw) : NULL;
                if (!hit && c->like->machine == EM_386)
                        hit = ldcache_lookup(r->cache, name, 0x0001, NULL);
                if (hit && !(nodeflib && in_system_dir(&sys, hit))) {
                        file_rec *f = resolver_load_file(r, hit);
                        if (f->elf && elf_compatible(c->like, f->elf)) {
                                if (!in_system_dir(&sys, hit))
                                        r->used_cache_outside_defaults = true;
                                return xstrdup(hit);
                        }
                }
        } else if (r->conf_dirs.n) {
                _cleanup_strv_ strv conf = {0};
                for (size_t i = 0; i < r->conf_dirs.n; i++)
                        if (!(nodeflib && in_system_dir(&sys, r->conf_dirs.v[i])))
                                strv_push_take(&conf, xasprintf("%s/", r->conf_dirs.v[i]));
                char *hit = resolver_search_dirs(c, &conf, name);
                if (hit)
                        return hit;
        }
        if (nodeflib)
                return NULL;
        return resolver_search_dirs(c, &sys, name);
}

int resolver_find_library(resolver *r, const char *name, const elf_info *like, char **ret, err_t *e)
{
        search_ctx c = {r, like};
        char *hit = NULL;
        if (r->library_path) {
                _cleanup_strv_ strv dirs = {0};
                resolver_split_path_list(r, r->library_path, ":;", NULL, like, &dirs);
                hit = resolver_search_dirs(&c, &dirs, name);
        }
        if (!hit)
                hit = resolver_search_system(&c, name, false);
        *ret = hit;
        return 0;
}
