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
        json_object *devs = spec_member(res, "devices");
        if (devs && !json_object_is_type(devs, json_type_array))
                return spec_bad(p, "linux.resources.devices", "expected an array");
        for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
                json_object *d = json_object_array_get_idx(devs, i);
                bool allow = false;
                char path[64];
                snprintf(path, sizeof path, "linux.resources.devices[%zu].allow", i);
                if ((r = spec_get_bool(p, spec_member(d, "allow"), path, &allow)) < 0)
                        return r;
                if (allow)
                        spec_warn(p,
                                  WHAT
                                  ": linux.resources.devices[%zu]: ignored (runroot's own device "
                                  "list applies)",
                                  i);
        }
        json_object_object_foreach(res, rk, rv)
        {
                if (strcmp(rk, "memory") && strcmp(rk, "cpu") && strcmp(rk, "pids") &&
                    strcmp(rk, "devices") && !spec_empty(rv))
                        spec_warn(p, WHAT ": linux.resources.%s: ignored", rk);
        }
        return 0;
}

/* linux.devices: the runner makes the standard nodes itself; another one is
 * bound from the host's node of that path. */
int spec_parse_devices(parser *p, json_object *v)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return spec_bad(p, "linux.devices", "expected an array");
        static const char *const std[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                          "/dev/random", "/dev/urandom", "/dev/tty"};
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                char path[64];
                snprintf(path, sizeof path, "linux.devices[%zu].path", i);
                json_object *d = json_object_array_get_idx(v, i);
                const char *dp = NULL;
                int r = spec_want_object(p, d, "linux.devices");
                if (r == 0)
                        r = spec_get_string(p, spec_member(d, "path"), path, &dp);
                if (r < 0)
                        return r;
                bool is_std = false;
                for (size_t k = 0; k < ARRAY_SIZE(std); k++)
                        is_std |= !strcmp(dp, std[k]);
                if (is_std)
                        continue;
                if (strncmp(dp, "/dev/", 5) != 0 || strchr(dp, ':') || access(dp, F_OK) < 0)
                        return spec_bad(p, path,
                                        "not a device of this host (runroot binds the host's)");
                strv_push(&p->s->cfg.devices, dp);
        }
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
