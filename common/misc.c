#include <ctype.h>
#include <limits.h>
#include <string.h>

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
