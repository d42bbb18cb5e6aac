/* The archive's pockets by name, and --pockets' list of them. Which ones
 * a suite has, and where each is, is bootstrap.c's business. */
#include <string.h>

#include "apt.h"

static const char *const pocket_names[APT_POCKET_MAX] = {
        [APT_POCKET_RELEASE] = "release",
        [APT_POCKET_UPDATES] = "updates",
        [APT_POCKET_SECURITY] = "security",
};

const char *apt_pocket_name(apt_pocket p)
{
        return p < APT_POCKET_MAX ? pocket_names[p] : "?";
}

int apt_pockets_parse(const char *s, unsigned *ret, err_t *e)
{
        unsigned mask = 0;
        const char *p = s;
        while (*p) {
                size_t n = strcspn(p, ",");
                int k = 0;
                while (k < APT_POCKET_MAX &&
                       (strlen(pocket_names[k]) != n || strncmp(p, pocket_names[k], n)))
                        k++;
                if (k == APT_POCKET_MAX) {
                        char buf[64];
                        char *w = xstrndup(p, n);
                        int rc = err_set(e, -EINVAL,
                                         "--pockets: unknown pocket \"%s\" (release, updates, "
                                         "security)",
                                         apt_snip(w, 32, buf, sizeof(buf)));
                        free(w);
                        return rc;
                }
                mask |= 1u << k;
                p += n;
                if (*p == ',')
                        p++;
        }
        if (!(mask & (1u << APT_POCKET_RELEASE)))
                return err_set(e, -EINVAL,
                               "--pockets: the list must include release (updates and security "
                               "hold only the packages that changed)");
        *ret = mask;
        return 0;
}
