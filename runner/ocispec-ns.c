/* ocispec: linux.namespaces and the uid/gid mappings. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec-internal.h"

/* What the runner makes: new pid, mount, uts, ipc and cgroup namespaces
 * always, a network namespace unless the host's network, a user namespace
 * exactly when not run as root. */
int spec_parse_namespaces(parser *p, json_object *v)
{
        bool have[7] = {0};
        static const char *const types[] = {"pid",  "mount",   "uts",   "ipc",
                                            "user", "network", "cgroup"};
        if (v && !json_object_is_type(v, json_type_array))
                return spec_bad(p, "linux.namespaces", "expected an array");
        size_t n = v ? json_object_array_length(v) : 0;
        for (size_t i = 0; i < n; i++) {
                char path[64], sub[96];
                snprintf(path, sizeof path, "linux.namespaces[%zu]", i);
                json_object *x = json_object_array_get_idx(v, i);
                int r = spec_want_object(p, x, path);
                const char *type = NULL;
                snprintf(sub, sizeof sub, "%s.type", path);
                if (r == 0)
                        r = spec_get_string(p, spec_member(x, "type"), sub, &type);
                if (r < 0)
                        return r;
                size_t k = 0;
                while (k < ARRAY_SIZE(types) && strcmp(type, types[k]) != 0)
                        k++;
                if (k == ARRAY_SIZE(types)) {
                        char msg[96];
                        snprintf(msg, sizeof msg, "unknown namespace type \"%.32s\"", type);
                        return spec_bad(p, sub, msg);
                }
                if (!spec_empty(spec_member(x, "path"))) {
                        snprintf(sub, sizeof sub, "%s.path", path);
                        const char *np = NULL;
                        if ((r = spec_get_string(p, spec_member(x, "path"), sub, &np)) < 0)
                                return r;
                        if (k == 1 || k == 4)
                                return spec_bad(p, sub,
                                                k == 1 ? "joining a mount namespace is not "
                                                         "supported by runroot (it sets the root "
                                                         "up in a new one)"
                                                       : "joining a user namespace is not "
                                                         "supported by runroot");
                        if (np[0] != '/')
                                return spec_bad(p, sub, "not an absolute path");
                        static const int join[] = {[0] = RUNNER_NSJ_PID,
                                                   [2] = RUNNER_NSJ_UTS,
                                                   [3] = RUNNER_NSJ_IPC,
                                                   [6] = RUNNER_NSJ_CGROUP};
                        char **slot = k == 5 ? &p->s->netns_path : &p->s->join_ns[join[k]];
                        free(*slot);
                        *slot = xstrdup(np);
                        if (k != 5)
                                p->s->cfg.join_ns[join[k]] = *slot;
                }
                have[k] = true;
        }
        for (size_t k = 0; k < 4; k++)
                if (!have[k])
                        spec_warn(p,
                                  WHAT
                                  ": linux.namespaces: no %s namespace asked for; runroot makes "
                                  "a new one",
                                  types[k]);
        bool root = geteuid() == 0;
        /* As root, a user namespace takes config.json's id maps; made
         * with the others in one clone, it cannot join the host's. */
        p->s->userns = have[4] && root;
        bool joins = p->s->netns_path;
        for (size_t k = 0; k < RUNNER_NSJ_MAX; k++)
                joins = joins || p->s->join_ns[k];
        if (p->s->userns && joins)
                return spec_bad(p, "linux.namespaces",
                                "a new user namespace with one joined by path: not supported by "
                                "runroot");
        if (!have[4] && !root)
                return spec_bad(p, "linux.namespaces",
                                "no user namespace: runroot needs one when not run as root");
        /* A new pid namespace makes runc's command its pid 1, which gets
         * only the signals it has a handler for; without one (runroot
         * makes one anyway) or joining one, it is not pid 1. */
        p->s->cfg.pid1_signals = have[0] && !p->s->join_ns[RUNNER_NSJ_PID];
        p->s->cfg.net = p->s->netns_path ? RUNNER_NET_CONTAINER
                        : have[5]        ? RUNNER_NET_NONE
                                         : RUNNER_NET_HOST;
        p->s->cfg.netns_path = p->s->netns_path;
        return 0;
}

/* As root with a user namespace: the maps as given, for uid_map or
 * gid_map ("CONTAINER HOST SIZE" lines), each range checked. */
static int idmap_lines(parser *p, json_object *v, const char *path, char **ret)
{
        size_t n = v ? json_object_array_length(v) : 0;
        if (n == 0)
                return spec_bad(p, path, "missing (the user namespace needs it)");
        if (n > RUNNER_OCI_IDMAP_MAX)
                return spec_bad(p, path, "too many ranges");
        _cleanup_free_ char *text = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char ip[64], sub[96];
                snprintf(ip, sizeof ip, "%s[%zu]", path, i);
                json_object *x = json_object_array_get_idx(v, i);
                int64_t val[3] = {0};
                static const char *const keys[] = {"containerID", "hostID", "size"};
                int r = spec_want_object(p, x, ip);
                for (size_t k = 0; k < 3 && r == 0; k++) {
                        snprintf(sub, sizeof sub, "%s.%s", ip, keys[k]);
                        r = spec_member(x, keys[k]) ? spec_get_int(p, spec_member(x, keys[k]), sub,
                                                                   k == 2, UINT32_MAX, &val[k])
                                                    : spec_bad(p, sub, "missing");
                }
                if (r < 0)
                        return r;
                if (val[0] + val[2] > UINT32_MAX || val[1] + val[2] > UINT32_MAX)
                        return spec_bad(p, ip, "a range past the last id");
                char *t = xasprintf("%s%lld %lld %lld\n", text, (long long)val[0],
                                    (long long)val[1], (long long)val[2]);
                free(text);
                text = t;
        }
        *ret = steal_pointer(&text);
        return 0;
}

/* Rootless: the runner maps the caller's uid and gid to 0, one id. As
 * root: the maps of the user namespace asked for (parse_namespaces ran). */
int spec_parse_idmap(parser *p, json_object *v, const char *path, unsigned long host)
{
        if (v && !json_object_is_type(v, json_type_array))
                return spec_bad(p, path, "expected an array");
        if (p->s->userns) {
                bool uid = strstr(path, "uid") != NULL;
                char **slot = uid ? &p->s->uid_map : &p->s->gid_map;
                int r = idmap_lines(p, v, path, slot);
                if (r < 0)
                        return r;
                if (uid)
                        p->s->cfg.uid_map = *slot;
                else
                        p->s->cfg.gid_map = *slot;
                return 0;
        }
        if (!v)
                return 0;
        size_t n = json_object_array_length(v);
        if (n == 0)
                return 0;
        if (geteuid() == 0)
                return spec_bad(p, path, "needs a user namespace in linux.namespaces");
        json_object *x = json_object_array_get_idx(v, 0);
        int64_t c = -1, h = -1, sz = -1;
        int r = spec_want_object(p, x, path);
        if (r == 0)
                r = spec_get_int(p, spec_member(x, "containerID"), path, 0, UINT32_MAX, &c);
        if (r == 0)
                r = spec_get_int(p, spec_member(x, "hostID"), path, 0, UINT32_MAX, &h);
        if (r == 0)
                r = spec_get_int(p, spec_member(x, "size"), path, 0, UINT32_MAX, &sz);
        if (r < 0)
                return r;
        if (n != 1 || c != 0 || (unsigned long)h != host || sz != 1) {
                char msg[128];
                snprintf(msg, sizeof msg,
                         "only 0 mapped to the caller's id %lu, size 1, is supported", host);
                return spec_bad(p, path, msg);
        }
        return 0;
}
