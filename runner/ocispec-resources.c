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

int spec_parse_resources(parser *p, json_object *res)
{
        if (!res)
                return 0;
        int r = spec_want_object(p, res, "linux.resources");
        if (r < 0)
                return r;
        cg_limits *l = &p->s->cfg.limits;
        json_object *mem = spec_member(res, "memory");
        if (mem && (r = spec_want_object(p, mem, "linux.resources.memory")) < 0)
                return r;
        if (spec_member(mem, "limit") &&
            (r = spec_get_int(p, spec_member(mem, "limit"), "linux.resources.memory.limit", -1,
                              INT64_MAX, &l->memory)) < 0)
                return r;
        if (l->memory == 0)
                l->memory = -1;
        json_object_object_foreach(mem ? mem : res, mk, mv)
        {
                if (mem && strcmp(mk, "limit") != 0 && !spec_empty(mv))
                        spec_warn(p, WHAT ": linux.resources.memory.%s: ignored", mk);
        }
        json_object *cpu = spec_member(res, "cpu");
        if (cpu && (r = spec_want_object(p, cpu, "linux.resources.cpu")) < 0)
                return r;
        if (spec_member(cpu, "quota") &&
            (r = spec_get_int(p, spec_member(cpu, "quota"), "linux.resources.cpu.quota", -1,
                              INT64_MAX, &l->cpu_quota)) < 0)
                return r;
        if (l->cpu_quota == 0)
                l->cpu_quota = -1;
        int64_t v = 0;
        if (spec_member(cpu, "period")) {
                if ((r = spec_get_int(p, spec_member(cpu, "period"), "linux.resources.cpu.period",
                                      1000, 1000000, &v)) < 0)
                        return r;
                l->cpu_period = v;
        }
        if (spec_member(cpu, "shares")) {
                if ((r = spec_get_int(p, spec_member(cpu, "shares"), "linux.resources.cpu.shares",
                                      0, 262144, &v)) < 0)
                        return r;
                if (v >= 2)
                        l->cpu_shares = v;
        }
        const char *cpus = NULL;
        if (spec_member(cpu, "cpus")) {
                if ((r = spec_get_string(p, spec_member(cpu, "cpus"), "linux.resources.cpu.cpus",
                                         &cpus)) < 0)
                        return r;
                if (*cpus)
                        l->cpuset_cpus = xstrdup(cpus);
        }
        json_object_object_foreach(cpu ? cpu : res, ck, cv)
        {
                if (cpu && strcmp(ck, "quota") && strcmp(ck, "period") && strcmp(ck, "shares") &&
                    strcmp(ck, "cpus") && !spec_empty(cv))
                        spec_warn(p, WHAT ": linux.resources.cpu.%s: ignored", ck);
        }
        json_object *pids = spec_member(res, "pids");
        if (pids && (r = spec_want_object(p, pids, "linux.resources.pids")) < 0)
                return r;
        if (spec_member(pids, "limit")) {
                if ((r = spec_get_int(p, spec_member(pids, "limit"), "linux.resources.pids.limit",
                                      -1, INT64_MAX, &v)) < 0)
                        return r;
                if (v > 0)
                        l->pids = v;
        }
        if ((r = parse_device_rules(p, spec_member(res, "devices"))) < 0)
                return r;
        json_object_object_foreach(res, rk, rv)
        {
                if (strcmp(rk, "memory") && strcmp(rk, "cpu") && strcmp(rk, "pids") &&
                    strcmp(rk, "devices") && !spec_empty(rv))
                        spec_warn(p, WHAT ": linux.resources.%s: ignored", rk);
        }
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
                if (geteuid() != 0) {
                        free(node.path);
                        if (access(dp, F_OK) < 0)
                                return spec_bad(p, sub,
                                                "not a device of this host (a rootless runroot "
                                                "binds the host's)");
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
                strv_push(&s.warnings, "--resources: devices: ignored (the device list is set "
                                       "when the container is made)");
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
