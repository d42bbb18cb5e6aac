/* --ulimit NAME=SOFT[:HARD] with docker's names: parsed on the host side
 * (a typo is a usage error before anything runs), set in the command's
 * process just before it drops its privileges. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        {"as", RLIMIT_AS},
        {"core", RLIMIT_CORE},
        {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},
        {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE},
        {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},
        {"nproc", RLIMIT_NPROC},
        {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},
        {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
};

/* One value: a number, or -1 / "unlimited" for no limit. */
static bool rlimit_value(const char *s, rlim_t *ret)
{
        if (!strcmp(s, "unlimited") || !strcmp(s, "-1")) {
                *ret = RLIM_INFINITY;
                return true;
        }
        if (!*s || strspn(s, "0123456789") != strlen(s))
                return false;
        errno = 0;
        unsigned long long v = strtoull(s, NULL, 10);
        if (errno || v >= (unsigned long long)RLIM_INFINITY)
                return false;
        *ret = (rlim_t)v;
        return true;
}

int rlimit_parse(const char *spec, run_rlimit *ret, err_t *e)
{
        const char *eq = strchr(spec, '=');
        if (!eq || eq == spec || !eq[1])
                return err_set(e, -EINVAL, "--ulimit %s: expected NAME=SOFT[:HARD]", spec);
        size_t nlen = (size_t)(eq - spec);
        int resource = -1;
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (strlen(rlimit_names[i].name) == nlen &&
                    !strncmp(rlimit_names[i].name, spec, nlen))
                        resource = rlimit_names[i].resource;
        if (resource < 0) {
                strbuf names = {0};
                for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                        sb_appendf(&names, "%s%s", i ? ", " : "", rlimit_names[i].name);
                err_set(e, -EINVAL, "--ulimit %s: unknown limit \"%.*s\" (one of %s)", spec,
                        (int)nlen, spec, names.s);
                sb_free(&names);
                return -EINVAL;
        }
        const char *colon = strchr(eq + 1, ':');
        _cleanup_free_ char *soft_s =
                colon ? xstrndup(eq + 1, (size_t)(colon - eq - 1)) : xstrdup(eq + 1);
        const char *hard_s = colon ? colon + 1 : soft_s;
        rlim_t soft, hard;
        if (!rlimit_value(soft_s, &soft))
                return err_set(e, -EINVAL,
                               "--ulimit %s: \"%s\" is not a number (expected a number, -1 or "
                               "unlimited)",
                               spec, soft_s);
        if (!rlimit_value(hard_s, &hard))
                return err_set(e, -EINVAL,
                               "--ulimit %s: \"%s\" is not a number (expected a number, -1 or "
                               "unlimited)",
                               spec, hard_s);
        if (soft > hard)
                return err_set(e, -EINVAL,
                               "--ulimit %s: the soft limit %s is above the hard limit %s", spec,
                               soft_s, hard_s);
        *ret = (run_rlimit){.spec = spec, .resource = resource, .soft = soft, .hard = hard};
        return 0;
}

int rlimits_apply(const run_rlimit *v, size_t n, err_t *e)
{
        for (size_t i = 0; i < n; i++) {
                struct rlimit l = {.rlim_cur = v[i].soft, .rlim_max = v[i].hard};
                if (setrlimit(v[i].resource, &l) < 0)
                        return err_sys(e, errno, "--ulimit %s", v[i].spec);
        }
        return 0;
}
