/* ocispec: config.json's mounts: binds with their options, tmpfs, mqueue;
 * the file systems the runner mounts itself are skipped. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec-internal.h"

/* The file systems the runner mounts itself, at these places. */
static bool runner_made(const char *type, const char *dst)
{
        static const char *const made[][2] = {
                {"proc", "/proc"},
                {"tmpfs", "/dev"},
                {"devpts", "/dev/pts"},
                {"tmpfs", "/dev/shm"},
                {"shm", "/dev/shm"},
                {"sysfs", "/sys"},
                {"cgroup", "/sys/fs/cgroup"},
                {"cgroup2", "/sys/fs/cgroup"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(made); i++)
                if (!strcmp(type, made[i][0]) && !strcmp(dst, made[i][1]))
                        return true;
        return false;
}

static int parse_mount(parser *p, json_object *m, size_t i, const char *bundle)
{
        char path[64], sub[96];
        snprintf(path, sizeof path, "mounts[%zu]", i);
        int r = spec_want_object(p, m, path);
        if (r < 0)
                return r;
        /* An idmapped mount would show the files with other owners:
         * refused rather than mounted without the mapping. */
        static const char *const idmaps[] = {"uidMappings", "gidMappings"};
        for (size_t k = 0; k < ARRAY_SIZE(idmaps); k++)
                if (!spec_empty(spec_member(m, idmaps[k]))) {
                        snprintf(sub, sizeof sub, "%s.%s", path, idmaps[k]);
                        return spec_bad(p, sub, "idmapped mounts are not supported by runroot");
                }
        static const char *const known[] = {"destination", "type",        "source", "options",
                                            "uidMappings", "gidMappings", NULL};
        if ((r = spec_only_known(p, m, path, known)) < 0)
                return r;
        const char *dst = NULL, *type = "", *src = "";
        snprintf(sub, sizeof sub, "%s.destination", path);
        if (!spec_member(m, "destination"))
                return spec_bad(p, sub, "missing");
        if ((r = spec_get_string(p, spec_member(m, "destination"), sub, &dst)) < 0)
                return r;
        if (dst[0] != '/')
                return spec_bad(p, sub, "not an absolute path");
        if (strchr(dst, ':'))
                return spec_bad(p, sub, "contains a colon");
        snprintf(sub, sizeof sub, "%s.type", path);
        if (spec_member(m, "type") &&
            (r = spec_get_string(p, spec_member(m, "type"), sub, &type)) < 0)
                return r;
        snprintf(sub, sizeof sub, "%s.source", path);
        if (spec_member(m, "source") &&
            (r = spec_get_string(p, spec_member(m, "source"), sub, &src)) < 0)
                return r;
        _cleanup_strv_ strv opts = {0};
        snprintf(sub, sizeof sub, "%s.options", path);
        if ((r = spec_get_strv(p, spec_member(m, "options"), sub, &opts)) < 0)
                return r;
        bool bind = !strcmp(type, "bind") || strv_contains(&opts, "bind") ||
                    strv_contains(&opts, "rbind");
        if (bind) {
                if (!*src)
                        return spec_bad(p, path, "a bind mount without a source");
                if (strchr(src, ':'))
                        return spec_bad(p, path, "source: contains a colon");
                _cleanup_free_ char *abs = src[0] == '/' ? xstrdup(src) : path_join(bundle, src);
                bool ro = false;
                const char *prop = NULL;
                _cleanup_free_ char *extra = xstrdup("");
                for (size_t j = 0; j < opts.n; j++) {
                        const char *o = opts.v[j];
                        if (!strcmp(o, "ro") || !strcmp(o, "rw"))
                                ro = o[1] == 'o';
                        else if (!strcmp(o, "private") || !strcmp(o, "rprivate") ||
                                 !strcmp(o, "slave") || !strcmp(o, "rslave"))
                                prop = o;
                        else if (!strcmp(o, "shared") || !strcmp(o, "rshared")) {
                                char msg[128];
                                snprintf(msg, sizeof msg,
                                         "%s: not supported (the container's mounts never reach "
                                         "the host)",
                                         o);
                                return spec_bad(p, sub, msg);
                        } else if (!strcmp(o, "nosuid") || !strcmp(o, "noexec") ||
                                   !strcmp(o, "nodev") || !strcmp(o, "rro") ||
                                   !strcmp(o, "rnosuid") || !strcmp(o, "rnoexec") ||
                                   !strcmp(o, "rnodev")) {
                                /* (nosuid and noexec take the mounts below
                                 * too: as their recursive forms) */
                                const char *w = o[0] == 'r' && o[1] == 'n' ? o + 1 : o;
                                char *x = xasprintf("%s,%s", extra, w);
                                free(extra);
                                extra = x;
                        } else if (!strcmp(o, "idmap") || !strcmp(o, "ridmap")) {
                                char msg[96];
                                snprintf(msg, sizeof msg,
                                         "%s: idmapped mounts are not supported by runroot", o);
                                return spec_bad(p, sub, msg);
                        } else if (!strcmp(o, "suid") || !strcmp(o, "exec") ||
                                   !strcmp(o, "rsuid") || !strcmp(o, "rexec")) {
                                ; /* a bind's default */
                        } else if (!strcmp(o, "dev")) {
                                return spec_bad(p, sub,
                                                "dev: not supported (runroot's binds are "
                                                "always nodev)");
                        } else if (strcmp(o, "bind") != 0 && strcmp(o, "rbind") != 0)
                                spec_warn(p, WHAT ": %s.options: %s: ignored on a bind mount", path,
                                          o);
                }
                /* As runc: the mounts below the source too only with rbind. */
                strv_push_take(&p->s->cfg.binds,
                               xasprintf("%s:%s:%s%s%s%s%s", abs, dst, ro ? "ro" : "rw",
                                         prop ? "," : "", prop ? prop : "", extra,
                                         strv_contains(&opts, "rbind") ? "" : ",bind"));
                return 0;
        }
        if (runner_made(type, dst))
                return 0;
        if (!strcmp(type, "mqueue") && !strcmp(dst, "/dev/mqueue")) {
                p->s->cfg.mqueue = true; /* nosuid, nodev, noexec, as runc's */
                return 0;
        }
        if (!strcmp(type, "tmpfs")) {
                _cleanup_free_ char *joined = NULL;
                for (size_t j = 0; j < opts.n; j++) {
                        char *n = xasprintf("%s%s%s", joined ? joined : "", joined ? "," : "",
                                            opts.v[j]);
                        free(joined);
                        joined = n;
                }
                _cleanup_free_ char *spec = joined ? xasprintf("%s:%s", dst, joined) : xstrdup(dst);
                tmpfs_mount t = {0};
                err_t e2 = {0};
                if (mounts_tmpfs_parse(spec, &t, &e2) < 0)
                        return spec_bad(p, sub, e2.msg);
                mounts_tmpfs_free(&t);
                strv_push(&p->s->cfg.tmpfs, spec);
                return 0;
        }
        char msg[160];
        snprintf(msg, sizeof msg, "type \"%.32s\" at %.64s: not supported by runroot", type, dst);
        return spec_bad(p, path, msg);
}

int spec_parse_mounts(parser *p, json_object *v, const char *bundle)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return spec_bad(p, "mounts", "expected an array");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                int r = parse_mount(p, json_object_array_get_idx(v, i), i, bundle);
                if (r < 0)
                        return r;
        }
        return 0;
}
