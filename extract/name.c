/* The one archive-name cleaner. Rule: a leading "/" is dropped (GNU tar
 * strips it, docker joins the name under the target: either way the entry
 * is relative to the root), empty and "." components go, ".." takes one
 * back and is refused when there is nothing to take back. Lexical only: the
 * resolver then follows symlinks inside the root. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "xt-internal.h"

const char *xt_snip(const char *raw, char *buf, size_t size)
{
        size_t len = strlen(raw), n = 0;
        size_t max = len < size ? len : size - 4;
        for (; n < max; n++)
                buf[n] = (unsigned char)raw[n] < 0x20 || raw[n] == 0x7f ? '?' : raw[n];
        if (max < len) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n] = '\0';
        return buf;
}

int xt_name_clean(const char *label, const char *what, const char *raw, char **ret, err_t *e)
{
        char sn[160];
        if (!raw || !*raw)
                return err_set(e, -EINVAL, "%s: %s without a name", label, what);
        size_t len = strlen(raw);
        if (len >= PATH_MAX)
                return err_set(e, -ENAMETOOLONG, "%s: %s \"%s\": name too long", label, what,
                               xt_snip(raw, sn, 72));
        char *out = xmalloc(len + 1);
        size_t n = 0;
        for (const char *p = raw; *p;) {
                while (*p == '/')
                        p++;
                const char *q = strchrnul(p, '/');
                size_t cl = (size_t)(q - p);
                if (cl == 0 || (cl == 1 && p[0] == '.')) {
                        /* nothing */
                } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
                        if (n == 0) {
                                free(out);
                                return err_set(e, -EPERM, "%s: %s \"%s\": leaves the root", label,
                                               what, xt_snip(raw, sn, sizeof sn));
                        }
                        while (n > 0 && out[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--; /* the slash */
                } else {
                        if (n)
                                out[n++] = '/';
                        memcpy(out + n, p, cl);
                        n += cl;
                }
                p = q;
        }
        out[n] = '\0';
        *ret = out;
        return 0;
}
