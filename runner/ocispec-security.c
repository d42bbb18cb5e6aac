/* ocispec: the security of config.json: the five capability sets,
 * linux.seccomp, maskedPaths and readonlyPaths, linux.sysctl. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec-internal.h"
#include "security-internal.h"

/* The five sets: bounding (cap_drop ALL, cap_add each), and the command's
 * permitted, effective, inheritable and ambient sets within it. */
static int caps_check(parser *p, json_object *c, const char *const *known, strv sets[5])
{
        for (size_t i = 0; i < 5; i++) {
                char path[64];
                snprintf(path, sizeof path, "process.capabilities.%s", known[i]);
                int r = spec_get_strv(p, spec_member(c, known[i]), path, &sets[i]);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < sets[i].n; j++) {
                        int cap = 0;
                        if (sec_cap_from_name(sets[i].v[j], &cap) < 0) {
                                char m[128];
                                snprintf(m, sizeof m, "unknown capability \"%.64s\"", sets[i].v[j]);
                                return spec_bad(p, path, m);
                        }
                }
        }
        return 0;
}

int spec_parse_caps(parser *p, json_object *c)
{
        sec_opts *sec = &p->s->cfg.sec;
        strv_push(&sec->cap_drop, "ALL");
        if (!c)
                return 0;
        int r = spec_want_object(p, c, "process.capabilities");
        if (r < 0)
                return r;
        static const char *const known[] = {"bounding",    "effective", "permitted",
                                            "inheritable", "ambient",   NULL};
        if ((r = spec_only_known(p, c, "process.capabilities", known)) < 0)
                return r;
        strv sets[5] = {{0}};
        r = caps_check(p, c, known, sets);
        if (r == 0) {
                for (size_t j = 0; j < sets[0].n; j++)
                        strv_push(&sec->cap_add, sets[0].v[j]);
                uint64_t bnd = 0;
                uint64_t *masks[] = {&bnd, &sec->cap_effective, &sec->cap_permitted,
                                     &sec->cap_inheritable, &sec->cap_ambient};
                for (size_t i = 0; i < 5; i++)
                        for (size_t j = 0; j < sets[i].n; j++) {
                                int cap = 0;
                                if (sec_cap_from_name(sets[i].v[j], &cap) == 0 && cap >= 0 &&
                                    cap < 64)
                                        *masks[i] |= UINT64_C(1) << cap;
                        }
                sec->cap_sets = true;
                /* What the kernel cannot give, said rather than dropped
                 * silently. */
                uint64_t prm = sec->cap_permitted & bnd;
                if (sec->cap_permitted & ~bnd)
                        spec_warn(p,
                                  WHAT ": process.capabilities.permitted: capabilities not in the "
                                       "bounding set are not set");
                if (sec->cap_effective & ~prm)
                        spec_warn(p,
                                  WHAT ": process.capabilities.effective: capabilities not in the "
                                       "permitted set are not set");
                if (sec->cap_ambient & ~(prm & sec->cap_inheritable))
                        spec_warn(p, WHAT ": process.capabilities.ambient: capabilities not in the "
                                          "permitted and inheritable sets are not set");
        }
        for (size_t i = 0; i < 5; i++)
                strv_free(&sets[i]);
        return r;
}

/* maskedPaths, readonlyPaths: masked or made read-only by the runner (on
 * top of its own list), anywhere in the container. */
int spec_parse_paths(parser *p, json_object *v, const char *path, strv *ret)
{
        _cleanup_strv_ strv l = {0};
        int r = spec_get_strv(p, v, path, &l);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++) {
                const char *x = l.v[i];
                if (x[0] != '/' || !x[1])
                        return spec_bad(p, path, "expected absolute paths below the root");
                if (strstr(x, "/../") || strstr(x, "//") || strstr(x, "/./") ||
                    (strlen(x) >= 3 && !strcmp(x + strlen(x) - 3, "/..")))
                        return spec_bad(p, path, "a path with . or .. or an empty component");
                if (!strv_contains(ret, x))
                        strv_push(ret, x);
        }
        return 0;
}

/* linux.sysctl: the keys of the container's own namespaces (ipc: kernel.msg*,
 * kernel.sem, kernel.shm*, fs.mqueue.*; net.* with a network namespace of
 * its own); any other would change the host's and is refused. Runs after
 * parse_namespaces. */
int spec_parse_sysctl(parser *p, json_object *sy)
{
        if (!sy)
                return 0;
        int r = spec_want_object(p, sy, "linux.sysctl");
        if (r < 0)
                return r;
        json_object_object_foreach(sy, k, v)
        {
                char path[128];
                snprintf(path, sizeof path, "linux.sysctl.%.64s", k);
                const char *val = NULL;
                if ((r = spec_get_string(p, v, path, &val)) < 0)
                        return r;
                bool ok = *k && strlen(k) < 128 && !strstr(k, "..") && k[0] != '.';
                for (const char *c = k; *c && ok; c++)
                        ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                             strchr("_.-", *c);
                if (!ok)
                        return spec_bad(p, path, "not a sysctl name");
                bool net = !strncmp(k, "net.", 4);
                bool ipc = !strncmp(k, "kernel.msg", 10) || !strcmp(k, "kernel.sem") ||
                           !strncmp(k, "kernel.shm", 10) || !strncmp(k, "fs.mqueue.", 10);
                if (net && p->s->cfg.net != RUNNER_NET_NONE)
                        return spec_bad(p, path,
                                        "needs a network namespace of the container's own");
                if (!net && !ipc)
                        return spec_bad(p, path,
                                        "not a sysctl of the container's namespaces (kernel.msg*, "
                                        "kernel.sem, kernel.shm*, fs.mqueue.*, net.*)");
                if (strchr(val, '\n'))
                        return spec_bad(p, path, "a value of more than one line");
                strv_push_take(&p->s->cfg.sysctls, xasprintf("%s=%s", k, val));
        }
        return 0;
}

/* linux.seccomp.flags: those the kernel's seccomp() takes that runroot
 * passes on; a listener (SCMP_ACT_NOTIFY's) is refused. */
static int seccomp_flags(parser *p, json_object *sc)
{
        _cleanup_strv_ strv flags = {0};
        int r = spec_get_strv(p, spec_member(sc, "flags"), "linux.seccomp.flags", &flags);
        if (r < 0)
                return r;
        static const struct {
                const char *name;
                unsigned bit;
        } known[] = {
                {"SECCOMP_FILTER_FLAG_TSYNC", 1U << 0},
                {"SECCOMP_FILTER_FLAG_LOG", 1U << 1},
                {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1U << 2},
        };
        for (size_t i = 0; i < flags.n; i++) {
                size_t k = 0;
                while (k < ARRAY_SIZE(known) && strcmp(flags.v[i], known[k].name) != 0)
                        k++;
                if (k == ARRAY_SIZE(known)) {
                        char m[128];
                        snprintf(m, sizeof m, "\"%.64s\": not supported by runroot", flags.v[i]);
                        return spec_bad(p, "linux.seccomp.flags", m);
                }
                p->s->cfg.sec.seccomp_flags |= known[k].bit;
        }
        static const char *const listener[] = {"listenerPath", "listenerMetadata"};
        for (size_t i = 0; i < ARRAY_SIZE(listener); i++)
                if (!spec_empty(spec_member(sc, listener[i]))) {
                        char path[64];
                        snprintf(path, sizeof path, "linux.seccomp.%s", listener[i]);
                        return spec_bad(p, path,
                                        "not supported by runroot (no SCMP_ACT_NOTIFY listener)");
                }
        return 0;
}

/* linux.seccomp: checked by the profile loader, kept as text for the run. */
int spec_parse_seccomp(parser *p, json_object *sc)
{
        if (!sc)
                return 0;
        int r = spec_want_object(p, sc, "linux.seccomp");
        if (r == 0)
                r = seccomp_flags(p, sc);
        if (r < 0)
                return r;
        const char *text = json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN);
        sec_profile *prof = NULL;
        r = sec_profile_parse(text, strlen(text), WHAT ": linux.seccomp", &prof, p->e);
        sec_profile_free(prof);
        if (r < 0)
                return r;
        p->s->seccomp = xstrdup(text);
        return 0;
}
