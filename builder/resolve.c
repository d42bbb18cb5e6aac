#include <elf.h>
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>

#include "ldcache.h"
#include "resolve.h"

#define MAX_OBJECTS 65536

/* What we know about one path inside the root: its parsed ELF or the
 * reason it could not be used. Negative results are kept too, so that
 * scanning thousands of programs does not repeat failed opens. */
typedef struct file_rec {
        int err; /* 0, or negative errno (elf_read_fd's: -ENOEXEC, -EINVAL) */
        elf_info *elf;
        dev_t dev;
        ino_t ino;
} file_rec;

typedef struct cpu_caps {
        const char *hwcaps[4]; /* supported glibc-hwcaps subdirs, best first */
        strv legacy;           /* legacy hwcap subdirs ("tls/haswell", ...), best first */
        const char *platform;  /* $PLATFORM */
} cpu_caps;

struct resolver {
        int rootfd;
        char *root;
        bool host;
        char *cwd;
        char *library_path;
        ldcache *cache;
        strv conf_dirs; /* ld.so.conf dirs when there is no cache */
        strmap *files;  /* path -> file_rec */
        strmap *dirs;   /* dir -> (void*)1 exists / (void*)2 missing */
        cpu_caps x86_64;
        bool used_cache_outside_defaults;
};

/* ---- CPU features, for glibc-hwcaps and legacy subdirectories ---------- */

static bool has_flag(const char *flags, const char *f)
{
        size_t n = strlen(f);
        for (const char *p = flags; (p = strstr(p, f)); p += n)
                if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

static void detect_cpu(cpu_caps *c)
{
        c->platform = "x86_64";
#if defined(__x86_64__)
        _cleanup_free_ char *info = NULL;
        if (fs_read_file_at(AT_FDCWD, "/proc/cpuinfo", 1 << 22, &info, NULL, NULL) < 0)
                return;
        char *flags = strstr(info, "\nflags");
        if (!flags)
                return;
        char *end = strchr(flags + 1, '\n');
        if (end)
                *end = '\0';
        bool intel = strstr(info, "GenuineIntel") != NULL;
#define ALL(...)                                                                                   \
        ({                                                                                         \
                const char *_l[] = {__VA_ARGS__};                                                  \
                bool _ok = true;                                                                   \
                for (size_t _i = 0; _i < ARRAY_SIZE(_l); _i++)                                     \
                        _ok = _ok && has_flag(flags, _l[_i]);                                      \
                _ok;                                                                               \
        })
        bool v2 = ALL("cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3");
        bool v3 = v2 && ALL("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave");
        bool v4 = v3 && ALL("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl");
        size_t n = 0;
        if (v4)
                c->hwcaps[n++] = "x86-64-v4";
        if (v3)
                c->hwcaps[n++] = "x86-64-v3";
        if (v2)
                c->hwcaps[n++] = "x86-64-v2";
        c->hwcaps[n] = NULL;

        /* glibc 2.36 still searches the legacy hwcap subdirectories: every
         * subset of (tls, platform, avx512_1, x86_64), most specific first. */
        bool avx512_1 = false;
        if (intel) {
                if (has_flag(flags, "avx512cd")) {
                        if (has_flag(flags, "avx512er")) {
                                if (has_flag(flags, "avx512pf"))
                                        c->platform = "xeon_phi";
                        } else if (ALL("avx512bw", "avx512dq", "avx512vl")) {
                                avx512_1 = true;
                        }
                }
                if (!strcmp(c->platform, "x86_64") &&
                    ALL("avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "popcnt"))
                        c->platform = "haswell";
        }
#undef ALL
        const char *parts[4];
        size_t np = 0;
        parts[np++] = "tls";
        bool platform_is_hwcap = !strcmp(c->platform, "x86_64");
        if (!platform_is_hwcap)
                parts[np++] = c->platform;
        if (avx512_1)
                parts[np++] = "avx512_1";
        parts[np++] = "x86_64";
        for (unsigned mask = (1u << np) - 1; mask > 0; mask--) {
                strbuf b = {0};
                for (size_t i = 0; i < np; i++)
                        if (mask & (1u << (np - 1 - i))) {
                                if (b.len)
                                        sb_append(&b, "/");
                                sb_append(&b, parts[i]);
                        }
                strv_push_take(&c->legacy, sb_steal(&b));
        }
#endif
}

/* ---- ld.so.conf fallback ------------------------------------------------ */

static void conf_parse(resolver *r, const char *path, int depth)
{
        if (depth > 8)
                return;
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = fs_open_in_root(r->rootfd, path, O_RDONLY, 0, NULL);
        if (fd < 0)
                return;
        char fdpath[64];
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
        if (fs_read_file_at(AT_FDCWD, fdpath, 1 << 20, &data, NULL, NULL) < 0)
                return;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                line += strspn(line, " \t");
                size_t n = strlen(line);
                while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                if (!n)
                        continue;
                if (!strncmp(line, "include", 7) && (line[7] == ' ' || line[7] == '\t')) {
                        char *pat = line + 8 + strspn(line + 8, " \t");
                        _cleanup_free_ char *dir = path_dirname(path);
                        _cleanup_free_ char *rel =
                                pat[0] == '/' ? xstrdup(pat) : path_join(dir, pat);
                        _cleanup_free_ char *full = path_join(r->root, rel);
                        glob_t g;
                        if (glob(full, 0, NULL, &g) == 0) {
                                size_t rl = r->host ? 0 : strlen(r->root);
                                for (size_t i = 0; i < g.gl_pathc; i++)
                                        conf_parse(r, g.gl_pathv[i] + rl, depth + 1);
                                globfree(&g);
                        }
                        continue;
                }
                if (!strncmp(line, "hwcap", 5))
                        continue;
                /* "dir=TYPE" is an old ldconfig syntax. */
                char *eq = strchr(line, '=');
                if (eq)
                        *eq = '\0';
                if (line[0] == '/' && !strv_contains(&r->conf_dirs, line))
                        strv_push(&r->conf_dirs, line);
        }
}

/* ---- construction -------------------------------------------------------- */

int resolver_new(const resolver_opts *o, resolver **ret, err_t *e)
{
        resolver *r = xcalloc(1, sizeof *r);
        const char *root = o && o->root ? o->root : "/";
        r->root = xstrdup(root);
        r->host = !strcmp(root, "/");
        r->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->rootfd < 0) {
                int saved = errno;
                resolver_free(r);
                return err_sys(e, saved, "%s", root);
        }
        char cwd[4096];
        r->cwd = xstrdup(r->host && getcwd(cwd, sizeof cwd) ? cwd : "/");
        if (o && o->library_path)
                r->library_path = xstrdup(o->library_path);
        r->files = strmap_new();
        r->dirs = strmap_new();
        err_t ce = {0};
        int fd = fs_open_in_root(r->rootfd, "/etc/ld.so.cache", O_RDONLY, 0, &ce);
        if (fd >= 0) {
                char fdpath[64];
                snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
                int rr = ldcache_load(AT_FDCWD, fdpath, &r->cache, &ce);
                close(fd);
                if (rr < 0) {
                        /* A broken cache is what ld.so ignores too; say so. */
                        log_warn("%s/etc/ld.so.cache: %s; using ld.so.conf", r->host ? "" : root,
                                 ce.msg);
                        r->cache = NULL;
                }
        }
        if (!r->cache)
                conf_parse(r, "/etc/ld.so.conf", 0);
        detect_cpu(&r->x86_64);
        *ret = r;
        return 0;
}

static void file_rec_free(file_rec *f)
{
        if (!f)
                return;
        elf_info_free(f->elf);
        free(f);
}

void resolver_free(resolver *r)
{
        if (!r)
                return;
        size_t pos = 0;
        void *v;
        while (strmap_next(r->files, &pos, NULL, &v))
                file_rec_free(v);
        strmap_free(r->files);
        strmap_free(r->dirs);
        ldcache_free(r->cache);
        strv_free(&r->conf_dirs);
        strv_free(&r->x86_64.legacy);
        if (r->rootfd >= 0)
                close(r->rootfd);
        free(r->root);
        free(r->cwd);
        free(r->library_path);
        free(r);
}

bool resolver_used_cache(const resolver *r)
{
        return r->used_cache_outside_defaults;
}

/* ---- files --------------------------------------------------------------- */

/* The path to hand to fs_open_in_root: relative names are relative to the
 * caller's working directory on the host, to "/" inside another root. */
static char *abs_in_root(const resolver *r, const char *path)
{
        if (path[0] == '/')
                return xstrdup(path);
        return path_join(r->cwd, path);
}

static file_rec *load_file(resolver *r, const char *path)
{
        file_rec *f = strmap_get(r->files, path);
        if (f)
                return f;
        f = xcalloc(1, sizeof *f);
        strmap_put(r->files, path, f);
        _cleanup_free_ char *abs = abs_in_root(r, path);
        err_t e = {0};
        _cleanup_close_ int fd = fs_open_in_root(r->rootfd, abs, O_RDONLY | O_NOCTTY, 0, &e);
        if (fd < 0) {
                f->err = e.code ? e.code : -ENOENT;
                return f;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
                f->err = -errno;
                return f;
        }
        if (!S_ISREG(st.st_mode)) {
                f->err = -EBADFD; /* "not a regular file" */
                return f;
        }
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->err = elf_read_fd(fd, path, &f->elf, &e);
        if (f->err < 0)
                f->elf = NULL;
        return f;
}

int resolver_elf(resolver *r, const char *path, const elf_info **ret, err_t *e)
{
        file_rec *f = load_file(r, path);
        if (f->err == -EBADFD)
                return err_set(e, -EINVAL, "%s: not a regular file", path);
        if (f->err == -EINVAL || f->err == -ENOEXEC) {
                /* Parse again for the reader's precise message: not ELF,
                 * not a program (an object file), or not a valid one. */
                _cleanup_free_ char *abs = abs_in_root(r, path);
                _cleanup_close_ int fd = fs_open_in_root(r->rootfd, abs, O_RDONLY | O_NOCTTY, 0, e);
                if (fd < 0)
                        return e ? e->code : -ENOENT;
                elf_info *tmp = NULL;
                int rr = elf_read_fd(fd, path, &tmp, e);
                elf_info_free(tmp);
                if (rr < 0)
                        return rr;
        }
        if (f->err < 0)
                return err_sys(e, -f->err, "%s", path);
        *ret = f->elf;
        return 0;
}

static bool dir_exists(resolver *r, const char *dir)
{
        void *v = strmap_get(r->dirs, dir);
        if (v)
                return v == (void *)1;
        _cleanup_free_ char *abs = abs_in_root(r, dir);
        int fd = fs_open_in_root(r->rootfd, abs, O_PATH | O_DIRECTORY, 0, NULL);
        if (fd >= 0)
                close(fd);
        strmap_put(r->dirs, dir, fd >= 0 ? (void *)1 : (void *)2);
        return fd >= 0;
}

/* ---- search paths --------------------------------------------------------- */

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
static void split_path_list(const resolver *r, const char *list, const char *seps,
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
                if (dir_exists(r, d)) {
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
                if (dir_exists(r, p)) {
                        strv_push_take(out, xasprintf("/%s/", d));
                        strv_push_take(out, xasprintf("/usr/%s/", d));
                        return;
                }
        }
        if (like->elf_class == ELFCLASS64 && dir_exists(r, "/lib64")) {
                strv_push(out, "/lib64/");
                strv_push(out, "/usr/lib64/");
                return;
        }
        strv_push(out, "/lib/");
        strv_push(out, "/usr/lib/");
}

typedef struct search_ctx {
        resolver *r;
        const elf_info *like; /* the main program: what a library must match */
} search_ctx;

/* Try name in each directory of dirs (with its hwcaps subdirectories). */
static char *search_dirs(search_ctx *c, const strv *dirs, const char *name)
{
        resolver *r = c->r;
        bool x86_64 = c->like->machine == EM_X86_64 && c->like->elf_class == ELFCLASS64;
        for (size_t i = 0; i < dirs->n; i++) {
                const char *dir = dirs->v[i];
                if (x86_64) {
                        /* glibc-hwcaps first, then the legacy subdirectories:
                         * only those that exist are worth an open. */
                        _cleanup_free_ char *gh = xasprintf("%sglibc-hwcaps", dir);
                        if (dir_exists(r, gh))
                                for (size_t k = 0; r->x86_64.hwcaps[k]; k++) {
                                        _cleanup_free_ char *p =
                                                xasprintf("%sglibc-hwcaps/%s/%s", dir,
                                                          r->x86_64.hwcaps[k], name);
                                        file_rec *f = load_file(r, p);
                                        if (f->elf && elf_compatible(c->like, f->elf))
                                                return steal_pointer(&p);
                                }
                        for (size_t k = 0; k < r->x86_64.legacy.n; k++) {
                                const char *sub = r->x86_64.legacy.v[k];
                                const char *slash = strchr(sub, '/');
                                _cleanup_free_ char *first = xasprintf(
                                        "%s%.*s", dir,
                                        (int)(slash ? (size_t)(slash - sub) : strlen(sub)), sub);
                                if (!dir_exists(r, first))
                                        continue;
                                _cleanup_free_ char *p = xasprintf("%s%s/%s", dir, sub, name);
                                file_rec *f = load_file(r, p);
                                if (f->elf && elf_compatible(c->like, f->elf))
                                        return steal_pointer(&p);
                        }
                }
                _cleanup_free_ char *p = xasprintf("%s%s", dir, name);
                file_rec *f = load_file(r, p);
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
static char *search_system(search_ctx *c, const char *name, bool nodeflib)
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
                        file_rec *f = load_file(r, hit);
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
                char *hit = search_dirs(c, &conf, name);
                if (hit)
                        return hit;
        }
        if (nodeflib)
                return NULL;
        return search_dirs(c, &sys, name);
}

int resolver_find_library(resolver *r, const char *name, const elf_info *like, char **ret, err_t *e)
{
        search_ctx c = {r, like};
        char *hit = NULL;
        if (r->library_path) {
                _cleanup_strv_ strv dirs = {0};
                split_path_list(r, r->library_path, ":;", NULL, like, &dirs);
                hit = search_dirs(&c, &dirs, name);
        }
        if (!hit)
                hit = search_system(&c, name, false);
        *ret = hit;
        return 0;
}

/* ---- the dependency walk ------------------------------------------------- */

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
                _cleanup_free_ char *abs = abs_in_root(w->r, path);
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
                file_rec *f = load_file(r, name);
                return f->elf && elf_compatible(main->elf, f->elf) ? xstrdup(name) : NULL;
        }
        if (!loader->elf->runpath) {
                bool did_main = false;
                for (size_t i = loader_idx;; i = obj_at(w, i)->loader) {
                        const dep_obj *o = obj_at(w, i);
                        if (o->elf && o->elf->rpath) {
                                _cleanup_strv_ strv dirs = {0};
                                split_path_list(r, o->elf->rpath, ":", obj_origin(w, i), main->elf,
                                                &dirs);
                                hit = search_dirs(&c, &dirs, name);
                                if (hit)
                                        return hit;
                                did_main |= i == 0;
                        }
                        if (i == 0 || i == INTERP_IDX || o->loader == i)
                                break;
                }
                if (!did_main && main->elf->rpath) {
                        _cleanup_strv_ strv dirs = {0};
                        split_path_list(r, main->elf->rpath, ":", obj_origin(w, 0), main->elf,
                                        &dirs);
                        hit = search_dirs(&c, &dirs, name);
                        if (hit)
                                return hit;
                }
        }
        if (r->library_path) {
                _cleanup_strv_ strv dirs = {0};
                split_path_list(r, r->library_path, ":;", obj_origin(w, 0), main->elf, &dirs);
                hit = search_dirs(&c, &dirs, name);
                if (hit)
                        return hit;
        }
        if (loader->elf->runpath) {
                _cleanup_strv_ strv dirs = {0};
                split_path_list(r, loader->elf->runpath, ":", obj_origin(w, loader_idx), main->elf,
                                &dirs);
                hit = search_dirs(&c, &dirs, name);
                if (hit)
                        return hit;
        }
        return search_system(&c, name, loader->elf->flags_1 & DF_1_NODEFLIB);
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
        file_rec *mf = load_file(r, path);
        add_obj(&w, path, path, elf, 0);
        note_names(&w, 0, path, path, mf);

        if (!elf->dynamic) {
                l->static_note = "not a dynamic executable";
                goto done;
        }
        if (!elf->interp && elf->n_needed == 0) {
                l->static_note = "statically linked";
                goto done;
        }
        const char *interp = elf->interp ? elf->interp : default_interp(elf);
        if (interp) {
                file_rec *f = load_file(r, interp);
                w.have_interp = true;
                w.interp.name = xstrdup(interp);
                w.interp.path = f->elf ? xstrdup(interp) : NULL;
                w.interp.elf = f->elf;
                w.interp.loader = INTERP_IDX;
                _cleanup_free_ char *abs = abs_in_root(r, interp);
                w.interp_origin = path_dirname(abs);
                if (f->elf)
                        note_names(&w, INTERP_IDX, interp, interp, f);
                else
                        strmap_put(w.names, interp, (void *)(uintptr_t)(INTERP_IDX + 1));
        }

        for (size_t i = 0; i < l->n && l->n < MAX_OBJECTS; i++) {
                if (!l->objs[i].elf)
                        continue;
                for (size_t k = 0; k < l->objs[i].elf->n_needed; k++) {
                        const char *name = l->objs[i].elf->needed[k];
                        size_t idx = lookup_loaded(&w, name);
                        if (idx == (size_t)-1) {
                                _cleanup_free_ char *found = search(&w, i, name);
                                file_rec *f = found ? load_file(r, found) : NULL;
                                if (f) {
                                        char id[64];
                                        snprintf(id, sizeof id, "%llu:%llu",
                                                 (unsigned long long)f->dev,
                                                 (unsigned long long)f->ino);
                                        uintptr_t v = (uintptr_t)strmap_get(w.ids, id);
                                        if (v) {
                                                idx = v - 1;
                                                strmap_put(w.names, name, (void *)v);
                                        }
                                }
                                if (idx == (size_t)-1) {
                                        idx = add_obj(&w, name, found, f ? f->elf : NULL, i);
                                        note_names(&w, idx, name, found, f);
                                }
                        }
                        if (idx == INTERP_IDX)
                                idx = place_interp(&w, i);
                        dep_push(&l->objs[i], idx);
                }
        }
done:
        free(w.interp.name);
        free(w.interp.path);
        free(w.interp_origin);
        for (size_t i = 0; i < l->n; i++)
                free(w.origins[i]);
        free(w.origins);
        strmap_free(w.names);
        strmap_free(w.ids);
        strmap_free(w.sonames);
        *ret = l;
        return 0;
}
