/* cgroup-limits: the limits and devices a run asks for, parsed from
 * docker's spellings; the controllers they need. */
#include "cgroup-limits.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
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
                .memory_low = -1,
                .memory_swap = -1,
                .swappiness = -1,
                .cpu_burst = -1,
                .cpu_idle = -1,
        };
}

bool cg_limits_any(const cg_limits *l)
{
        return l && ((cg_needed(l) & ~CG_C_DEVICES) != 0 || l->join_all);
}

unsigned cg_needed(const cg_limits *l)
{
        unsigned m = 0;
        if (l->memory >= 0 || l->memory_low >= 0 || l->memory_swap != -1 || l->swappiness >= 0 ||
            l->oom_kill_disable)
                m |= CG_C_MEMORY;
        if (l->cpu_quota >= 0 || l->cpu_weight >= 0 || l->cpu_shares >= 0 || l->cpu_burst >= 0 ||
            l->cpu_idle >= 0 || l->cpu_rt_set)
                m |= CG_C_CPU;
        if (l->pids >= 0)
                m |= CG_C_PIDS;
        if (l->cpuset_cpus || l->cpuset_mems[0])
                m |= CG_C_CPUSET;
        if (l->io_weight >= 0 || l->nthrottle)
                m |= CG_C_IO;
        if (l->device_policy)
                m |= CG_C_DEVICES;
        return m;
}

/* The kernel's list of the machine's online CPUs (which sysconf's
 * _SC_NPROCESSORS_ONLN counts). */
#define CG_CPU_ONLINE "/sys/devices/system/cpu/online"

/* docker's --cpus: a decimal number of CPUs, turned into quota/period
 * without floating point so "0.05" is exactly 5000/100000. A number too
 * large for the arithmetic is still a number: more than the machine has. */
int cg_parse_cpus(const char *s, cg_limits *l, err_t *e)
{
        int64_t whole = 0, frac = 0, scale = 100000;
        bool huge = false;
        const char *p = s;

        if (!s || !*s || (!isdigit((unsigned char)*p) && *p != '.'))
                return err_set(e, -EINVAL, "expected a number of CPUs such as 0.5");
        for (; isdigit((unsigned char)*p); p++) {
                whole = whole * 10 + (*p - '0');
                if (whole > 100000) {
                        huge = true;
                        whole = 100000;
                }
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
                return err_set(e, -EINVAL, "expected a number of CPUs such as 0.5");
        int64_t quota = whole * scale + frac;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (ncpu > 0 && (huge || quota > ncpu * scale))
                return err_set(e, -E2BIG, "this machine has %ld CPU%s", ncpu, ncpu == 1 ? "" : "s");
        /* The kernel's minimum quota is 1ms. */
        if (huge || quota < 1000)
                return err_set(e, -ERANGE, "expected a number of CPUs such as 0.5");
        l->cpu_quota = quota;
        l->cpu_period = scale;
        return 0;
}

/* One number of a CPU list; saturates (a CPU no machine has) rather than
 * wrapping. NULL when there is no digit at p. */
static const char *cpu_number(const char *p, unsigned long *ret)
{
        unsigned long v = 0;
        if (!isdigit((unsigned char)*p))
                return NULL;
        for (; isdigit((unsigned char)*p); p++)
                v = v >= 100000000 ? v : v * 10 + (unsigned long)(*p - '0');
        *ret = v;
        return p;
}

typedef struct cpu_range {
        unsigned long from, to;
} cpu_range;

/* A kernel CPU list ("0-1,3"): N or N-M (N <= M) separated by commas, with
 * one trailing newline allowed when nl (the kernel's files end in one).
 * The ranges go to a new array in ret; -EINVAL when malformed. */
static int cpu_list_parse(const char *s, bool nl, cpu_range **ret, size_t *ret_n)
{
        size_t n = 1;
        for (const char *c = s; *c; c++)
                n += *c == ',';
        _cleanup_free_ cpu_range *v = xcalloc(n, sizeof *v);
        const char *p = s;
        for (size_t i = 0; i < n; i++) {
                p = cpu_number(p, &v[i].from);
                if (!p)
                        return -EINVAL;
                v[i].to = v[i].from;
                if (*p == '-' && (!(p = cpu_number(p + 1, &v[i].to)) || v[i].to < v[i].from))
                        return -EINVAL;
                if (i + 1 < n && *p++ != ',')
                        return -EINVAL;
        }
        if (nl && *p == '\n')
                p++;
        if (*p)
                return -EINVAL;
        *ret = steal_pointer(&v);
        *ret_n = n;
        return 0;
}

/* Whether CPUs from..to are all in the ranges on (which may touch or
 * overlap, in any order): covered from the first CPU up, range by range. */
static bool cpus_covered(const cpu_range *on, size_t non, unsigned long from, unsigned long to)
{
        for (unsigned long cpu = from;;) {
                size_t i = 0;
                while (i < non && !(on[i].from <= cpu && cpu <= on[i].to))
                        i++;
                if (i == non)
                        return false;
                if (on[i].to >= to)
                        return true;
                cpu = on[i].to + 1;
        }
}

int cg_cpuset_within(const char *list, const char *online, err_t *e)
{
        _cleanup_free_ cpu_range *want = NULL, *on = NULL;
        size_t nwant = 0, non = 0;
        if (!list || cpu_list_parse(list, false, &want, &nwant) < 0)
                return err_set(e, -EINVAL, "expected a CPU list such as 0-1,3");
        /* A list we cannot read from the kernel: its own check, when
         * cpuset.cpus is written, is the one that holds. */
        if (!online || cpu_list_parse(online, true, &on, &non) < 0)
                return 0;
        for (size_t i = 0; i < nwant; i++)
                if (!cpus_covered(on, non, want[i].from, want[i].to))
                        return err_set(e, -E2BIG, "this machine has CPUs %.*s",
                                       (int)strcspn(online, "\n"), online);
        return 0;
}

int cg_parse_cpuset(const char *list, cg_limits *l, err_t *e)
{
        _cleanup_free_ char *online = NULL;
        size_t len = 0;
        err_t unread = {0};
        if (fs_read_file_at(AT_FDCWD, CG_CPU_ONLINE, 4096, &online, &len, &unread) < 0)
                online = NULL;
        int r = cg_cpuset_within(list, online, e);
        if (r < 0)
                return r;
        free(l->cpuset_cpus);
        l->cpuset_cpus = xstrdup(list);
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

static bool dev_number(const char **p, long *ret)
{
        if (**p == '*') {
                (*p)++;
                *ret = -1;
                return true;
        }
        if (!isdigit((unsigned char)**p))
                return false;
        long v = 0;
        for (; isdigit((unsigned char)**p); (*p)++) {
                v = v * 10 + (**p - '0');
                if (v > 0xfffff) /* the kernel's 20 bits of a minor, 12 of a major */
                        return false;
        }
        *ret = v;
        return true;
}

int cg_device_rule_parse(const char *rule, cg_device *ret, err_t *e)
{
        cg_device d = {.type = rule[0]};
        const char *p = rule + 1;
        bool ok = (d.type == 'a' || d.type == 'c' || d.type == 'b') && *p++ == ' ' &&
                  dev_number(&p, &d.major) && *p++ == ':' && dev_number(&p, &d.minor) &&
                  *p++ == ' ' && *p;
        for (; ok && *p; p++) {
                unsigned bit = *p == 'r'   ? CG_DEV_READ
                               : *p == 'w' ? CG_DEV_WRITE
                               : *p == 'm' ? CG_DEV_MKNOD
                                           : 0;
                ok = bit && !(d.access & bit);
                d.access |= bit;
        }
        if (!ok)
                return err_set(e, -EINVAL,
                               "device rule \"%.64s\": expected TYPE MAJOR:MINOR ACCESS", rule);
        *ret = d;
        return 0;
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

int cg_path_clean(const char *in, char **ret, err_t *e)
{
        for (const char *p = in; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return err_set(e, -EINVAL, "a control character in the path");
        bool abs = in[0] == '/';
        /* A relative path is cleaned as if it began at "/": no ".." can
         * take it above the cgroup it is relative to. */
        _cleanup_free_ char *rooted = abs ? xstrdup(in) : xasprintf("/%s", in);
        _cleanup_free_ char *clean = path_normalize(rooted);
        if (!strcmp(clean, "/"))
                return err_set(e, -EINVAL,
                               abs ? "the root cgroup, not one of the container's own"
                                   : "names no cgroup below the one it is relative to");
        if (strlen(clean) >= PATH_MAX / 2)
                return err_set(e, -ENAMETOOLONG, "longer than %d bytes", PATH_MAX / 2);
        *ret = abs ? steal_pointer(&clean) : xstrdup(clean + 1);
        return 0;
}
