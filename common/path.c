#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

char *path_join(const char *a, const char *b)
{
        size_t la = strlen(a);
        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (la == 1 && a[0] == '/')
                return xasprintf("/%s", b);
        if (la == 0)
                return xstrdup(b);
        if (!*b)
                return xstrndup(a, la);
        return xasprintf("%.*s/%s", (int)la, a, b);
}

char *path_normalize(const char *p)
{
        bool abs = p[0] == '/';
        size_t n = strlen(p);
        char *out = xmalloc(n + 2);
        size_t o = 0;
        size_t base = 0; /* out[0..base) cannot be popped by ".." */
        if (abs)
                out[o++] = '/', base = 1;
        const char *s = p;
        while (*s) {
                while (*s == '/')
                        s++;
                if (!*s)
                        break;
                const char *end = strchr(s, '/');
                size_t len = end ? (size_t)(end - s) : strlen(s);
                if (len == 1 && s[0] == '.') {
                        /* skip */
                } else if (len == 2 && s[0] == '.' && s[1] == '.') {
                        if (o > base) {
                                size_t k = o;
                                while (k > base && out[k - 1] != '/')
                                        k--;
                                o = k > base ? k - 1 : base;
                        } else if (!abs) {
                                if (o > 0)
                                        out[o++] = '/';
                                out[o++] = '.', out[o++] = '.';
                                base = o;
                        }
                } else {
                        if (o > (abs ? 1u : 0u))
                                out[o++] = '/';
                        memcpy(out + o, s, len);
                        o += len;
                }
                s += len;
        }
        if (o == 0)
                out[o++] = '.';
        out[o] = '\0';
        return out;
}

char *path_dirname(const char *p)
{
        const char *slash = strrchr(p, '/');
        if (!slash)
                return xstrdup(".");
        while (slash > p && slash[-1] == '/')
                slash--;
        if (slash == p)
                return xstrdup("/");
        return xstrndup(p, (size_t)(slash - p));
}

const char *path_basename(const char *p)
{
        const char *slash = strrchr(p, '/');
        return slash ? slash + 1 : p;
}

bool path_is_contained(const char *p)
{
        if (!p || !*p || p[0] == '/')
                return false;
        const char *s = p;
        while (*s) {
                const char *end = strchr(s, '/');
                size_t len = end ? (size_t)(end - s) : strlen(s);
                if (len == 2 && s[0] == '.' && s[1] == '.')
                        return false;
                s += len;
                while (*s == '/')
                        s++;
        }
        return true;
}

char *path_find_program(const char *prog)
{
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p = path_join(d, prog);
                struct stat st;
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}
