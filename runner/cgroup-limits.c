/* cgroup-limits: the limits and devices a run asks for, parsed from
 * docker's spellings; the controllers they need. */
#include "cgroup-limits.h"

#include <ctype.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void cg_limits_init(cg_limits *l)
{
        *l = (cg_limits){
                .memory = -1,
                .cpu_quota = -1,
                .cpu_period = 100000,
                .pids = -1,
                .cpuset_cpus = NULL,
                .cpu_weight = -1,
                .cpu_shares = -1,
                .io_weight = -1,
        };
}

bool cg_limits_any(const cg_limits *l)
{
        return l && (cg_needed(l) & ~CG_C_DEVICES) != 0;
}

unsigned cg_needed(const cg_limits *l)
{
        unsigned m = 0;
        if (l->memory >= 0)
                m |= CG_C_MEMORY;
        if (l->cpu_quota >= 0 || l->cpu_weight >= 0 || l->cpu_shares >= 0)
                m |= CG_C_CPU;
        if (l->pids >= 0)
                m |= CG_C_PIDS;
        if (l->cpuset_cpus)
                m |= CG_C_CPUSET;
        if (l->io_weight >= 0)
                m |= CG_C_IO;
        if (l->device_policy)
                m |= CG_C_DEVICES;
        return m;
}

/* docker's --cpus: a decimal number of CPUs, turned into quota/period
 * without floating point so "0.05" is exactly 5000/100000. */
int cg_parse_cpus(const char *s, cg_limits *l)
{
        int64_t whole = 0, frac = 0, scale = 100000;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        if (!isdigit((unsigned char)*p) && *p != '.')
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                whole = whole * 10 + (*p - '0');
                if (whole > 100000)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                int64_t div = 100000;
                for (; isdigit((unsigned char)*p); p++) {
                        div /= 10;
                        frac += (*p - '0') * div; /* digits past 1e-5 are dropped */
                }
        }
        if (*p != '\0' || p == s || (p == s + 1 && *s == '.'))
                return -EINVAL;
        int64_t quota = whole * scale + frac;
        /* The kernel's minimum quota is 1ms. */
        if (quota < 1000)
                return -ERANGE;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (ncpu > 0 && quota > ncpu * scale)
                return -ERANGE;
        l->cpu_quota = quota;
        l->cpu_period = scale;
        return 0;
}

/* ---- --device HOST[:CONTAINER[:PERMS]] ------------------------------- */

static bool parse_access(const char *s, unsigned *ret)
{
        unsigned a = 0;
        if (!*s)
                return false;
        for (; *s; s++) {
                switch (*s) {
                case 'r': a |= CG_DEV_READ; break;
                case 'w': a |= CG_DEV_WRITE; break;
                case 'm': a |= CG_DEV_MKNOD; break;
                default: return false;
                }
        }
        *ret = a;
        return true;
}

void cg_device_free(cg_device *d)
{
        if (!d)
                return;
        free(d->host);
        free(d->path);
        d->host = d->path = NULL;
}

int cg_device_parse(const char *spec, cg_device *ret, err_t *e)
{
        _cleanup_strv_ strv f = {0};
        for (const char *p = spec, *c;; p = c + 1) {
                c = strchrnul(p, ':');
                strv_push_take(&f, xstrndup(p, (size_t)(c - p)));
                if (!*c)
                        break;
        }
        unsigned access = CG_DEV_ALL;
        const char *host = f.v[0], *path = host;
        if (f.n > 3)
                return err_set(e, -EINVAL, "--device %s: expected HOST[:CONTAINER[:PERMS]]", spec);
        /* docker: HOST:PERMS when the second field is only permissions */
        bool perms_only = f.n == 2 && f.v[1][0] != '/' && parse_access(f.v[1], &access);
        if (f.n >= 2 && !perms_only)
                path = f.v[1];
        if (f.n == 3 && !parse_access(f.v[2], &access))
                return err_set(e, -EINVAL,
                               "--device %s: permissions \"%s\": expected letters of rwm", spec,
                               f.v[2]);
        if (host[0] != '/')
                return err_set(e, -EINVAL, "--device %s: the host path must be absolute", spec);
        if (path[0] != '/')
                return err_set(e, -EINVAL, "--device %s: the container path must be absolute",
                               spec);
        _cleanup_free_ char *norm = path_normalize(path);
        if (!strcmp(norm, "/"))
                return err_set(e, -EINVAL, "--device %s: the container path cannot be /", spec);
        struct stat st;
        if (stat(host, &st) < 0)
                return err_sys(e, errno, "--device %s: %s", spec, host);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return err_set(e, -ENODEV, "--device %s: %s is not a device node", spec, host);
        *ret = (cg_device){
                .type = S_ISCHR(st.st_mode) ? 'c' : 'b',
                .major = major(st.st_rdev),
                .minor = minor(st.st_rdev),
                .access = access,
                .host = xstrdup(host),
                .path = steal_pointer(&norm),
        };
        return 0;
}
