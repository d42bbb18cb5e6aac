#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <sys/utsname.h>

#include "common.h"

int parse_size(const char *s, int64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || v < 0)
                return -EINVAL;
        double mul = 1;
        if (*end) {
                switch (tolower((unsigned char)*end)) {
                case 'b': mul = 1; break;
                case 'k': mul = 1024.0; break;
                case 'm': mul = 1024.0 * 1024; break;
                case 'g': mul = 1024.0 * 1024 * 1024; break;
                case 't': mul = 1024.0 * 1024 * 1024 * 1024; break;
                default: return -EINVAL;
                }
                end++;
                if (tolower((unsigned char)*end) == 'i')
                        end++;
                if (tolower((unsigned char)*end) == 'b' && mul > 1)
                        end++;
                if (*end)
                        return -EINVAL;
        }
        double bytes = v * mul;
        if (bytes > (double)INT64_MAX)
                return -ERANGE;
        *ret = (int64_t)bytes;
        return 0;
}

int source_date_epoch(int64_t *ret)
{
        const char *s = getenv("SOURCE_DATE_EPOCH");
        if (!s || !*s)
                return 0;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end || v < 0)
                return -EINVAL;
        *ret = v;
        return 1;
}

const char *str_esc(const char *raw, char *buf, size_t size)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
                char one[5];
                size_t k = 0;
                char named = *p == '\n' ? 'n' : *p == '\t' ? 't' : *p == '\r' ? 'r' : 0;
                if (*p == '"' || *p == '\\') {
                        one[k++] = '\\';
                        one[k++] = (char)*p;
                } else if (named) {
                        one[k++] = '\\';
                        one[k++] = named;
                } else if (*p < 0x20 || *p >= 0x7f) {
                        one[k++] = '\\';
                        one[k++] = 'x';
                        one[k++] = hex[*p >> 4];
                        one[k++] = hex[*p & 15];
                } else
                        one[k++] = (char)*p;
                /* room for this, and for "..." if more follows */
                if (n + k + (p[1] ? 3 : 0) + 1 > size) {
                        memcpy(buf + n, "...", 3);
                        n += 3;
                        break;
                }
                memcpy(buf + n, one, k);
                n += k;
        }
        buf[n] = '\0';
        return buf;
}

const char *host_deb_arch(void)
{
        static const struct {
                const char *uname, *deb;
        } map[] = {
                {"x86_64", "amd64"},    {"aarch64", "arm64"}, {"i686", "i386"},
                {"i586", "i386"},       {"i386", "i386"},     {"armv7l", "armhf"},
                {"ppc64le", "ppc64el"}, {"s390x", "s390x"},   {"riscv64", "riscv64"},
                {"mips64", "mips64el"},
        };
        struct utsname u;
        if (uname(&u) == 0)
                for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                        if (!strcmp(u.machine, map[i].uname))
                                return map[i].deb;
        return "amd64";
}
