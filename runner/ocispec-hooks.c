/* ocispec's hooks: config.json's hooks object, each kind an array of
 * {path, args, env, timeout} (the runtime specification's config.md),
 * read into runner_oci_spec.hooks for hooks.c to run. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec-internal.h"

/* More than anyone writes, few enough to bound a hostile file's cost. */
#define HOOKS_MAX 64
/* Seconds; kept below INT_MAX / 1000 (hooks.c waits in milliseconds). */
#define HOOK_TIMEOUT_MAX (24 * 3600)

static int parse_hook(parser *p, json_object *v, const char *path, runner_hook *ret)
{
        int r = spec_want_object(p, v, path);
        if (r < 0)
                return r;
        static const char *const known[] = {"path", "args", "env", "timeout", NULL};
        if ((r = spec_only_known(p, v, path, known)) < 0)
                return r;
        char sub[96];
        snprintf(sub, sizeof sub, "%s.path", path);
        const char *hp = NULL;
        if (!spec_member(v, "path"))
                return spec_bad(p, sub, "missing");
        if ((r = spec_get_string(p, spec_member(v, "path"), sub, &hp)) < 0)
                return r;
        if (hp[0] != '/')
                return spec_bad(p, sub, "not an absolute path");
        ret->path = xstrdup(hp);
        snprintf(sub, sizeof sub, "%s.args", path);
        if ((r = spec_get_strv(p, spec_member(v, "args"), sub, &ret->args)) < 0)
                return r;
        snprintf(sub, sizeof sub, "%s.env", path);
        if ((r = spec_get_strv(p, spec_member(v, "env"), sub, &ret->env)) < 0)
                return r;
        for (size_t i = 0; i < ret->env.n; i++)
                if (!strchr(ret->env.v[i], '=') || ret->env.v[i][0] == '=')
                        return spec_bad(p, sub, "expected KEY=VALUE strings");
        json_object *t = spec_member(v, "timeout");
        if (t) {
                int64_t secs = 0;
                snprintf(sub, sizeof sub, "%s.timeout", path);
                if ((r = spec_get_int(p, t, sub, INT64_MIN, INT64_MAX, &secs)) < 0)
                        return r;
                if (secs <= 0)
                        return spec_bad(p, sub, "must be greater than zero");
                if (secs > HOOK_TIMEOUT_MAX)
                        return spec_bad(p, sub, "longer than a day");
                ret->timeout = (int)secs;
        }
        return 0;
}

int spec_parse_hooks(parser *p, json_object *v)
{
        if (!v)
                return 0;
        int r = spec_want_object(p, v, "hooks");
        if (r < 0)
                return r;
        const char *known[RUNNER_HOOK_MAX + 1];
        for (int k = 0; k < RUNNER_HOOK_MAX; k++)
                known[k] = runner_hook_names[k];
        known[RUNNER_HOOK_MAX] = NULL;
        if ((r = spec_only_known(p, v, "hooks", known)) < 0)
                return r;
        runner_hooks *h = &p->s->hooks;
        for (int k = 0; k < RUNNER_HOOK_MAX; k++) {
                json_object *a = spec_member(v, runner_hook_names[k]);
                if (!a)
                        continue;
                char path[64];
                snprintf(path, sizeof path, "hooks.%s", runner_hook_names[k]);
                if (!json_object_is_type(a, json_type_array))
                        return spec_bad(p, path, "expected an array");
                size_t n = json_object_array_length(a);
                if (n > HOOKS_MAX)
                        return spec_bad(p, path, "more than 64 hooks");
                if (!n)
                        continue;
                h->v[k] = xcalloc(n, sizeof *h->v[k]);
                for (size_t i = 0; i < n; i++) {
                        char item[80];
                        snprintf(item, sizeof item, "%s[%zu]", path, i);
                        /* counted first: runner_hooks_free frees what is set */
                        h->n[k]++;
                        r = parse_hook(p, json_object_array_get_idx(a, i), item, &h->v[k][i]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
