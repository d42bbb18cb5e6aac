/* ocispec: linux.resources (memory, cpu, pids, devices) into cg_limits, and
 * linux.devices. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec-internal.h"

/* One rule of linux.resources.devices as "TYPE MAJOR:MINOR ACCESS";
 * *ret_all when it is of every device and access. */
static int device_rule(parser *p, json_object *d, size_t i, bool *ret_allow, char **ret_rule,
                       bool *ret_all)
{
        char path[64], sub[96];
        snprintf(path, sizeof path, "linux.resources.devices[%zu]", i);
        int r = spec_want_object(p, d, path);
        bool allow = false;
        snprintf(sub, sizeof sub, "%s.allow", path);
        if (r == 0 && !spec_member(d, "allow"))
                r = spec_bad(p, sub, "missing");
        if (r == 0)
                r = spec_get_bool(p, spec_member(d, "allow"), sub, &allow);
        const char *type = "a", *access = "rwm";
        snprintf(sub, sizeof sub, "%s.type", path);
        if (r == 0 && spec_member(d, "type"))
                r = spec_get_string(p, spec_member(d, "type"), sub, &type);
        if (r == 0 && strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b"))
                r = spec_bad(p, sub, "expected a, c or b");
        snprintf(sub, sizeof sub, "%s.access", path);
        if (r == 0 && spec_member(d, "access"))
                r = spec_get_string(p, spec_member(d, "access"), sub, &access);
        int64_t num[2] = {-1, -1};
        static const char *const nk[] = {"major", "minor"};
        for (size_t k = 0; k < 2 && r == 0; k++) {
                snprintf(sub, sizeof sub, "%s.%s", path, nk[k]);
                if (spec_member(d, nk[k]))
                        r = spec_get_int(p, spec_member(d, nk[k]), sub, -1, 0xfffff, &num[k]);
        }
        if (r < 0)
                return r;
        char n0[24] = "*", n1[24] = "*";
        if (num[0] >= 0)
                snprintf(n0, sizeof n0, "%lld", (long long)num[0]);
        if (num[1] >= 0)
                snprintf(n1, sizeof n1, "%lld", (long long)num[1]);
        _cleanup_free_ char *rule = xasprintf("%s %s:%s %s", type, n0, n1, access);
        cg_device check;
        err_t e2 = {0};
        if (*access && cg_device_rule_parse(rule, &check, &e2) < 0) {
                snprintf(sub, sizeof sub, "%s.access", path);
                return spec_bad(p, sub, "expected letters of rwm");
        }
        *ret_all = !strcmp(type, "a") && num[0] < 0 && num[1] < 0 && strchr(access, 'r') &&
                   strchr(access, 'w');
        *ret_allow = allow;
        *ret_rule = *access ? steal_pointer(&rule) : NULL;
        return 0;
}

/* linux.resources.devices, in order, over runroot's own list (docker's
 * default one, less the host's console): a deny of every device (what
 * engines put first) starts again from that list, an allow adds its rule
 * (of every device: the list is lifted); a narrower deny cannot take
 * from runroot's list and is refused. */
static int parse_device_rules(parser *p, json_object *devs)
{
        if (!devs)
                return 0;
        if (!json_object_is_type(devs, json_type_array))
                return spec_bad(p, "linux.resources.devices", "expected an array");
        runner_config *c = &p->s->cfg;
        for (size_t i = 0; i < json_object_array_length(devs); i++) {
                bool allow = false, all = false;
                char *rule = NULL;
                int r = device_rule(p, json_object_array_get_idx(devs, i), i, &allow, &rule, &all);
                if (r < 0)
                        return r;
                if (!allow && all) {
                        strv_free(&c->device_rules);
                        c->limits.devices_all = false;
                } else if (!allow && rule) {
                        free(rule);
                        char path[64];
                        snprintf(path, sizeof path, "linux.resources.devices[%zu]", i);
                        return spec_bad(p, path,
                                        "a deny rule of some devices: not supported by runroot "
                                        "(only one of every device, its list's start)");
                } else if (all)
                        c->limits.devices_all = true;
                if (allow && rule)
                        strv_push(&c->device_rules, rule);
                free(rule);
        }
        return 0;
}

/* Members of obj (at path) not in known[] named in a warning. */
static void warn_unknown(parser *p, json_object *obj, const char *path, const char *const *known)
{
        json_object_object_foreach(obj, k, v)
        {
                bool ok = false;
                for (size_t i = 0; known[i] && !ok; i++)
                        ok = !strcmp(k, known[i]);
                if (!ok && !spec_empty(v))
                        spec_warn(p, WHAT ": %s.%.64s: ignored", path, k);
        }
}

/* An optional integer member of obj: *ret untouched when absent. */
static int get_opt(parser *p, json_object *obj, const char *key, const char *path, int64_t min,
                   int64_t max, int64_t *ret)
{
        char sub[96];
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        json_object *v = spec_member(obj, key);
        return v ? spec_get_int(p, v, sub, min, max, ret) : 0;
}

/* memory: limit, reservation, swap (memory and swap together). */
static int parse_memory(parser *p, json_object *mem, cg_limits *l)
{
        static const char *const path = "linux.resources.memory";
        if (!mem)
                return 0;
        int r = spec_want_object(p, mem, path);
        int64_t res = -1, swap = 0;
        if (r == 0)
                r = get_opt(p, mem, "limit", path, -1, INT64_MAX, &l->memory);
        if (r == 0)
                r = get_opt(p, mem, "reservation", path, -1, INT64_MAX, &res);
        if (r == 0)
                r = get_opt(p, mem, "swap", path, -1, INT64_MAX, &swap);
        if (r == 0)
                r = get_opt(p, mem, "swappiness", path, 0, 100, &l->swappiness);
        if (r == 0 && spec_member(mem, "disableOOMKiller"))
                r = spec_get_bool(p, spec_member(mem, "disableOOMKiller"),
                                  "linux.resources.memory.disableOOMKiller", &l->oom_kill_disable);
        if (r < 0)
                return r;
        if (l->memory == 0)
                l->memory = -1;
        if (res > 0)
                l->memory_low = res;
        if (swap == -1)
                l->memory_swap = -2;
        else if (swap > 0) {
                if (l->memory < 0)
                        return spec_bad(p, "linux.resources.memory.swap",
                                        "needs memory.limit (it counts memory and swap together)");
                if (swap < l->memory)
                        return spec_bad(p, "linux.resources.memory.swap",
                                        "below memory.limit (it counts memory and swap together)");
                l->memory_swap = swap;
        }
        static const char *const known[] = {"limit",      "reservation",      "swap",
                                            "swappiness", "disableOOMKiller", NULL};
        warn_unknown(p, mem, path, known);
        return 0;
}

/* cpu: quota, period, shares, cpus, mems. */
static int parse_cpu(parser *p, json_object *cpu, cg_limits *l)
{
        static const char *const path = "linux.resources.cpu";
        if (!cpu)
                return 0;
        int r = spec_want_object(p, cpu, path);
        int64_t shares = 0;
        if (r == 0)
                r = get_opt(p, cpu, "quota", path, -1, INT64_MAX, &l->cpu_quota);
        if (r == 0)
                r = get_opt(p, cpu, "period", path, 1000, 1000000, &l->cpu_period);
        if (r == 0)
                r = get_opt(p, cpu, "shares", path, 0, 262144, &shares);
        if (r == 0)
                r = get_opt(p, cpu, "burst", path, 0, INT64_MAX, &l->cpu_burst);
        if (r == 0)
                r = get_opt(p, cpu, "idle", path, 0, 1, &l->cpu_idle);
        int64_t rt_runtime = INT64_MIN;
        if (r == 0)
                r = get_opt(p, cpu, "realtimePeriod", path, 0, 1000000, &l->cpu_rt_period);
        if (r == 0)
                r = get_opt(p, cpu, "realtimeRuntime", path, -1, 1000000, &rt_runtime);
        if (r < 0)
                return r;
        if (rt_runtime != INT64_MIN) {
                l->cpu_rt_set = true;
                l->cpu_rt_runtime = rt_runtime;
        } else if (l->cpu_rt_period > 0)
                return spec_bad(p, "linux.resources.cpu.realtimePeriod",
                                "needs realtimeRuntime (the budget in each period)");
        if (l->cpu_quota == 0)
                l->cpu_quota = -1;
        if (shares >= 2)
                l->cpu_shares = shares;
        const char *cpus = NULL, *mems = NULL;
        if (spec_member(cpu, "cpus")) {
                if ((r = spec_get_string(p, spec_member(cpu, "cpus"), "linux.resources.cpu.cpus",
                                         &cpus)) < 0)
                        return r;
                if (*cpus)
                        l->cpuset_cpus = xstrdup(cpus);
        }
        if (spec_member(cpu, "mems")) {
                if ((r = spec_get_string(p, spec_member(cpu, "mems"), "linux.resources.cpu.mems",
                                         &mems)) < 0)
                        return r;
                bool ok = strlen(mems) < sizeof l->cpuset_mems;
                for (const char *c = mems; *c && ok; c++)
                        ok = (*c >= '0' && *c <= '9') || *c == ',' || *c == '-';
                if (!ok)
                        return spec_bad(p, "linux.resources.cpu.mems",
                                        "expected a list of memory nodes (0-1,3)");
                snprintf(l->cpuset_mems, sizeof l->cpuset_mems, "%s", mems);
        }
        static const char *const known[] = {
                "quota", "period",         "shares",          "cpus", "mems", "burst",
                "idle",  "realtimePeriod", "realtimeRuntime", NULL};
        warn_unknown(p, cpu, path, known);
        return 0;
}

/* blockIO: weight (blkio's 10..1000) and the four throttles. */
static int parse_block_io(parser *p, json_object *bio, cg_limits *l)
{
        static const char *const path = "linux.resources.blockIO";
        if (!bio)
                return 0;
        int r = spec_want_object(p, bio, path);
        int64_t w = 0;
        if (r == 0)
                r = get_opt(p, bio, "weight", path, 0, 1000, &w);
        if (r < 0)
                return r;
        if (w > 0 && w < 10)
                return spec_bad(p, "linux.resources.blockIO.weight", "below 10");
        if (w) {
                l->io_weight = w;
                l->io_weight_blkio = true;
        }
        static const char *const tk[CG_THROTTLE_KIND_MAX] = {
                [CG_READ_BPS] = "throttleReadBpsDevice",
                [CG_WRITE_BPS] = "throttleWriteBpsDevice",
                [CG_READ_IOPS] = "throttleReadIOPSDevice",
                [CG_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        for (int k = 0; k < CG_THROTTLE_KIND_MAX; k++) {
                json_object *a = spec_member(bio, tk[k]);
                char sub[128];
                snprintf(sub, sizeof sub, "%s.%s", path, tk[k]);
                if (a && !json_object_is_type(a, json_type_array))
                        return spec_bad(p, sub, "expected an array");
                for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                        json_object *x = json_object_array_get_idx(a, i);
                        char ip[160];
                        snprintf(ip, sizeof ip, "%s[%zu]", sub, i);
                        int64_t v[3] = {-1, -1, -1};
                        static const char *const keys[] = {"major", "minor", "rate"};
                        static const int64_t max[] = {0xfff, 0xfffff, INT64_MAX};
                        r = spec_want_object(p, x, ip);
                        for (size_t n = 0; n < 3 && r == 0; n++) {
                                char kp[192];
                                snprintf(kp, sizeof kp, "%s.%s", ip, keys[n]);
                                r = spec_member(x, keys[n])
                                            ? spec_get_int(p, spec_member(x, keys[n]), kp, 0,
                                                           max[n], &v[n])
                                            : spec_bad(p, kp, "missing");
                        }
                        if (r < 0)
                                return r;
                        if (l->nthrottle == CG_THROTTLE_MAX)
                                return spec_bad(p, ip, "too many throttles");
                        l->throttle[l->nthrottle++] =
                                (cg_throttle){(unsigned)v[0], (unsigned)v[1], (cg_throttle_kind)k,
                                              (uint64_t)v[2]};
                }
        }
        static const char *const known[] = {"weight",
                                            "throttleReadBpsDevice",
                                            "throttleWriteBpsDevice",
                                            "throttleReadIOPSDevice",
                                            "throttleWriteIOPSDevice",
                                            NULL};
        warn_unknown(p, bio, path, known);
        return 0;
}

int spec_parse_resources(parser *p, json_object *res)
{
        if (!res)
                return 0;
        int r = spec_want_object(p, res, "linux.resources");
        if (r < 0)
                return r;
        cg_limits *l = &p->s->cfg.limits;
        if ((r = parse_memory(p, spec_member(res, "memory"), l)) < 0 ||
            (r = parse_cpu(p, spec_member(res, "cpu"), l)) < 0 ||
            (r = parse_block_io(p, spec_member(res, "blockIO"), l)) < 0)
                return r;
        json_object *pids = spec_member(res, "pids");
        int64_t v = 0;
        if (pids && (r = spec_want_object(p, pids, "linux.resources.pids")) < 0)
                return r;
        if ((r = get_opt(p, pids, "limit", "linux.resources.pids", -1, INT64_MAX, &v)) < 0)
                return r;
        if (v > 0)
                l->pids = v;
        if ((r = parse_device_rules(p, spec_member(res, "devices"))) < 0)
                return r;
        static const char *const known[] = {"memory", "cpu", "pids", "blockIO", "devices", NULL};
        warn_unknown(p, res, "linux.resources", known);
        return 0;
}

/* One linux.devices entry: its node (type, numbers, mode, owner), checked. */
static int device_node(parser *p, json_object *d, const char *path, const char *dp,
                       runner_dev_node *ret)
{
        char sub[96];
        const char *type = NULL;
        snprintf(sub, sizeof sub, "%s.type", path);
        if (!spec_member(d, "type"))
                return spec_bad(p, sub, "missing");
        int r = spec_get_string(p, spec_member(d, "type"), sub, &type);
        if (r < 0)
                return r;
        if (strcmp(type, "c") && strcmp(type, "u") && strcmp(type, "b") && strcmp(type, "p"))
                return spec_bad(p, sub, "expected c, u, b or p");
        int64_t v[5] = {0, 0, 0666, 0, 0};
        static const char *const keys[] = {"major", "minor", "fileMode", "uid", "gid"};
        static const int64_t max[] = {0xfff, 0xfffff, 07777, UINT32_MAX - 1, UINT32_MAX - 1};
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                snprintf(sub, sizeof sub, "%s.%s", path, keys[k]);
                if (k < 2 && type[0] != 'p' && !spec_member(d, keys[k]))
                        return spec_bad(p, sub, "missing");
                if (spec_member(d, keys[k]) &&
                    (r = spec_get_int(p, spec_member(d, keys[k]), sub, 0, max[k], &v[k])) < 0)
                        return r;
        }
        *ret = (runner_dev_node){.path = xstrdup(dp),
                                 .type = type[0] == 'u' ? 'c' : type[0],
                                 .major = (unsigned)v[0],
                                 .minor = (unsigned)v[1],
                                 .mode = (unsigned)v[2],
                                 .uid = (uid_t)v[3],
                                 .gid = (gid_t)v[4]};
        return 0;
}

/* A path below /dev/ where runroot's /dev has nothing of its own: no
 * empty, . or .. component, not its mounts (pts, shm, mqueue) or links. */
static bool node_path_ok(const char *dp)
{
        if (strncmp(dp, "/dev/", 5) != 0 || !dp[5] || strchr(dp, ':') || strstr(dp, "//") ||
            dp[strlen(dp) - 1] == '/' || strstr(dp, "/./") || strstr(dp, "/../") ||
            (strlen(dp) >= 3 &&
             (!strcmp(dp + strlen(dp) - 2, "/.") || !strcmp(dp + strlen(dp) - 3, "/.."))))
                return false;
        static const char *const own[] = {"pts",   "shm",    "mqueue", "ptmx", "fd",
                                          "stdin", "stdout", "stderr", "core"};
        size_t first = strcspn(dp + 5, "/");
        for (size_t k = 0; k < ARRAY_SIZE(own); k++)
                if (strlen(own[k]) == first && !strncmp(dp + 5, own[k], first))
                        return false;
        return true;
}

/* linux.devices: the standard nodes are runroot's own; another one is
 * made in the container's /dev as given (as root; a rootless run binds
 * the host's node of that path, as it cannot make one). */
int spec_parse_devices(parser *p, json_object *v)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return spec_bad(p, "linux.devices", "expected an array");
        static const struct {
                const char *path;
                unsigned major, minor;
        } std[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                   {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
        runner_oci_spec *s = p->s;
        size_t n = json_object_array_length(v);
        s->nodes = xcalloc(n + 1, sizeof *s->nodes);
        for (size_t i = 0; i < n; i++) {
                char path[64], sub[96];
                snprintf(path, sizeof path, "linux.devices[%zu]", i);
                snprintf(sub, sizeof sub, "%s.path", path);
                json_object *d = json_object_array_get_idx(v, i);
                const char *dp = NULL;
                int r = spec_want_object(p, d, path);
                if (r == 0)
                        r = spec_get_string(p, spec_member(d, "path"), sub, &dp);
                runner_dev_node node = {0};
                if (r == 0)
                        r = device_node(p, d, path, dp, &node);
                if (r < 0)
                        return r;
                size_t k = 0;
                while (k < ARRAY_SIZE(std) && strcmp(dp, std[k].path) != 0)
                        k++;
                if (k < ARRAY_SIZE(std) && node.type == 'c' && node.major == std[k].major &&
                    node.minor == std[k].minor) {
                        free(node.path);
                        continue; /* runroot's own */
                }
                if (k < ARRAY_SIZE(std) || !node_path_ok(dp)) {
                        free(node.path);
                        return spec_bad(p, sub,
                                        k < ARRAY_SIZE(std)
                                                ? "a standard node with other numbers"
                                                : "not a path below /dev/ that runroot's /dev "
                                                  "leaves free (its root file system is nodev)");
                }
                for (size_t j = 0; j < s->nnodes; j++)
                        if (!strcmp(s->nodes[j].path, dp)) {
                                free(node.path);
                                return spec_bad(p, sub, "given twice");
                        }
                if (geteuid() != 0 || s->userns) {
                        free(node.path);
                        if (access(dp, F_OK) < 0)
                                return spec_bad(p, sub,
                                                "not a device of this host (in a user "
                                                "namespace runroot binds the host's)");
                        strv_push(&s->cfg.devices, dp);
                        continue;
                }
                s->nodes[s->nnodes++] = node;
        }
        s->cfg.nodes = s->nodes;
        s->cfg.nnodes = s->nnodes;
        return 0;
}

int runner_oci_resources_parse(const char *text, size_t len, cg_limits *ret, strv *ret_warnings,
                               err_t *e)
{
        json_tokener *tok = json_tokener_new();
        json_object *top = json_tokener_parse_ex(tok, text, (int)len);
        bool ok = top && json_tokener_get_error(tok) == json_tokener_success;
        json_tokener_free(tok);
        if (!ok) {
                json_object_put(top);
                return err_set(e, -EINVAL, "--resources: not valid JSON");
        }
        runner_oci_spec s = {0};
        runner_config_init(&s.cfg);
        parser p = {.s = &s, .e = e};
        int r = spec_parse_resources(&p, top);
        json_object_put(top);
        if (r == 0 && (s.cfg.device_rules.n || s.cfg.limits.devices_all))
                strv_push(&s.warnings, "linux.resources.devices: ignored (a container's device "
                                       "list is set when it is made)");
        if (r == 0) {
                *ret = s.cfg.limits;
                ret->cpuset_cpus =
                        s.cfg.limits.cpuset_cpus ? xstrdup(s.cfg.limits.cpuset_cpus) : NULL;
                for (size_t i = 0; i < s.warnings.n; i++)
                        strv_push(ret_warnings, s.warnings.v[i]);
        }
        runner_oci_spec_free(&s);
        return r;
}
