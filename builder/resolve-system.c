/* resolve: what the dynamic loader takes from the machine and the root
 * besides the binaries: the CPU's features (glibc-hwcaps and legacy
 * subdirectories, $PLATFORM) and ld.so.conf, read when there is no cache. */
#include <fcntl.h>
#include <glob.h>
#include <string.h>

#include "resolve-internal.h"

/* ---- CPU features, for glibc-hwcaps and legacy subdirectories ---------- */

static bool has_flag(const char *flags, const char *f)
{
        size_t n = strlen(f);
        for (const char *p = flags; (p = strstr(p, f)); p += n)
                if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

void cpu_caps_detect(cpu_caps *c)
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

void resolver_read_ldso_conf(resolver *r)
{
        conf_parse(r, "/etc/ld.so.conf", 0);
}
