/* libFuzzer harness for builder/ldcache.c: parse, then look every key up
 * with several hwcaps preference lists. */
#include <stdlib.h>
#include <string.h>

#include "ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const prio[] = {"x86-64-v4", "x86-64-v3", "x86-64-v2", NULL};
        ldcache *c = NULL;
        err_t e = {0};
        if (ldcache_parse(data, size, "fuzz", &c, &e) < 0) {
                if (c || e.msg[0] == '\0' || strchr(e.msg, '\n'))
                        abort();
                return 0;
        }
        const char *const *sub = ldcache_hwcaps_subdirs(c);
        size_t n = 0;
        for (size_t i = 0; sub[i]; i++)
                n += strlen(sub[i]);
        size_t count = ldcache_count(c);
        for (size_t i = 0; i < count && i < 4096; i++) {
                ldcache_entry en;
                ldcache_get(c, i, &en);
                n += strlen(en.key) + strlen(en.value);
                const char *a = ldcache_lookup(c, en.key, en.flags, prio);
                const char *b = ldcache_lookup(c, en.key, en.flags, sub);
                const char *p = ldcache_lookup(c, en.key, en.flags, NULL);
                /* A plain entry exists whenever the plain lookup answers, and
                 * a hwcaps preference can only change, never lose, it. */
                if (p && (!a || !b))
                        abort();
                n += a ? strlen(a) : 0;
        }
        (void)ldcache_lookup(c, "libc.so.6", 0x0303, prio);
        (void)n;
        ldcache_free(c);
        return 0;
}
