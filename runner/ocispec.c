/* ocispec: an OCI runtime bundle's config.json (the runtime
 * specification's format), read with json-c into a runner_config that runs
 * the bundle's root in place. Each error is one line naming config.json and
 * the JSON path of the member at fault; what the runner does not do is
 * refused, or, where a caller can live without it, ignored with a warning
 * naming it (the list in runner_oci_spec.warnings). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "security-internal.h"

#define SPEC_MAX (4 << 20)
#define WHAT "config.json"

typedef struct parser {
        runner_oci_spec *s;
        err_t *e;
} parser;

/* A message quotes names from the file: one line, printable. */
static void printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

static int bad(parser *p, const char *path, const char *msg)
{
        int r = err_set(p->e, -EINVAL, WHAT ": %s: %s", path, msg);
        printable(p->e->msg);
        return r;
}

static void warn(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(parser *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (m) {
                printable(m);
                strv_push_take(&p->s->warnings, m);
        }
}

/* The member key of obj: NULL when absent or null. */
static json_object *member(json_object *obj, const char *key)
{
        json_object *v = NULL;
        if (!obj || !json_object_object_get_ex(obj, key, &v))
                return NULL;
        return v;
}

static int want_object(parser *p, json_object *v, const char *path)
{
        return json_object_is_type(v, json_type_object) ? 0 : bad(p, path, "expected an object");
}

static int get_string(parser *p, json_object *v, const char *path, const char **ret)
{
        if (!json_object_is_type(v, json_type_string))
                return bad(p, path, "expected a string");
        *ret = json_object_get_string(v);
        if (strlen(*ret) != (size_t)json_object_get_string_len(v))
                return bad(p, path, "contains a NUL byte");
        return 0;
}

static int get_bool(parser *p, json_object *v, const char *path, bool *ret)
{
        if (!json_object_is_type(v, json_type_boolean))
                return bad(p, path, "expected true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

static int get_int(parser *p, json_object *v, const char *path, int64_t min, int64_t max,
                   int64_t *ret)
{
        if (!json_object_is_type(v, json_type_int))
                return bad(p, path, "expected an integer");
        errno = 0;
        int64_t n = json_object_get_int64(v);
        if (errno == EINVAL || n < min || n > max ||
            (n == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX))
                return bad(p, path, "out of range");
        *ret = n;
        return 0;
}

/* An array of strings pushed onto ret (absent: nothing). */
static int get_strv(parser *p, json_object *v, const char *path, strv *ret)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(p, path, "expected an array of strings");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                json_object *x = json_object_array_get_idx(v, i);
                if (!json_object_is_type(x, json_type_string) ||
                    strlen(json_object_get_string(x)) != (size_t)json_object_get_string_len(x))
                        return bad(p, path, "expected an array of strings");
                strv_push(ret, json_object_get_string(x));
        }
        return 0;
}

/* Members of obj other than those in known[] (NULL-terminated): refused. */
static int only_known(parser *p, json_object *obj, const char *path, const char *const *known)
{
        json_object_object_foreach(obj, key, val)
        {
                (void)val;
                bool ok = false;
                for (size_t i = 0; known[i] && !ok; i++)
                        ok = !strcmp(key, known[i]);
                if (!ok) {
                        char buf[256];
                        snprintf(buf, sizeof buf, "%s%s%.64s", path, *path ? "." : "", key);
                        return bad(p, buf, "not supported by runroot");
                }
        }
        return 0;
}

static bool empty(json_object *v)
{
        if (!v)
                return true;
        if (json_object_is_type(v, json_type_array))
                return json_object_array_length(v) == 0;
        if (json_object_is_type(v, json_type_object))
                return json_object_object_length(v) == 0;
        if (json_object_is_type(v, json_type_string))
                return json_object_get_string_len(v) == 0;
        return false;
}

static int parse_root(parser *p, json_object *root, const char *bundle)
{
        if (!root)
                return bad(p, "root", "missing");
        const char *path = NULL;
        int r = want_object(p, root, "root");
        if (r == 0 && !member(root, "path"))
                r = bad(p, "root.path", "missing");
        if (r == 0)
                r = get_string(p, member(root, "path"), "root.path", &path);
        if (r == 0 && !*path)
                r = bad(p, "root.path", "empty");
        json_object *ro = member(root, "readonly");
        if (r == 0 && ro)
                r = get_bool(p, ro, "root.readonly", &p->s->cfg.read_only);
        if (r < 0)
                return r;
        p->s->root = path[0] == '/' ? xstrdup(path) : path_join(bundle, path);
        return 0;
}

static int parse_user(parser *p, json_object *u)
{
        int64_t uid = 0, gid = 0, umask_v = -1;
        int r = want_object(p, u, "process.user");
        if (r == 0 && member(u, "uid"))
                r = get_int(p, member(u, "uid"), "process.user.uid", 0, UINT32_MAX - 1, &uid);
        if (r == 0 && member(u, "gid"))
                r = get_int(p, member(u, "gid"), "process.user.gid", 0, UINT32_MAX - 1, &gid);
        if (r == 0 && member(u, "umask"))
                r = get_int(p, member(u, "umask"), "process.user.umask", 0, 0777, &umask_v);
        json_object *ag = member(u, "additionalGids");
        if (r == 0 && ag) {
                if (!json_object_is_type(ag, json_type_array))
                        return bad(p, "process.user.additionalGids",
                                   "expected an array of integers");
                size_t n = json_object_array_length(ag);
                if (n > RUNNER_OCI_GROUPS_MAX)
                        return bad(p, "process.user.additionalGids", "too many groups");
                for (size_t i = 0; i < n && r == 0; i++) {
                        int64_t g = 0;
                        r = get_int(p, json_object_array_get_idx(ag, i),
                                    "process.user.additionalGids", 0, UINT32_MAX - 1, &g);
                        p->s->groups[p->s->ngroups++] = (gid_t)g;
                }
        }
        if (r == 0 && member(u, "username"))
                warn(p, WHAT ": process.user.username: ignored (uid and gid are used)");
        if (r < 0)
                return r;
        p->s->umask = (int)umask_v;
        p->s->user = xasprintf("%lld:%lld", (long long)uid, (long long)gid);
        return 0;
}

/* The five sets: bounding (cap_drop ALL, cap_add each), and the command's
 * permitted, effective, inheritable and ambient sets within it. */
static int caps_check(parser *p, json_object *c, const char *const *known, strv sets[5])
{
        for (size_t i = 0; i < 5; i++) {
                char path[64];
                snprintf(path, sizeof path, "process.capabilities.%s", known[i]);
                int r = get_strv(p, member(c, known[i]), path, &sets[i]);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < sets[i].n; j++) {
                        int cap = 0;
                        if (sec_cap_from_name(sets[i].v[j], &cap) < 0) {
                                char m[128];
                                snprintf(m, sizeof m, "unknown capability \"%.64s\"", sets[i].v[j]);
                                return bad(p, path, m);
                        }
                }
        }
        return 0;
}

static int parse_caps(parser *p, json_object *c)
{
        sec_opts *sec = &p->s->cfg.sec;
        strv_push(&sec->cap_drop, "ALL");
        if (!c)
                return 0;
        int r = want_object(p, c, "process.capabilities");
        if (r < 0)
                return r;
        static const char *const known[] = {"bounding",    "effective", "permitted",
                                            "inheritable", "ambient",   NULL};
        if ((r = only_known(p, c, "process.capabilities", known)) < 0)
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
                        warn(p, WHAT ": process.capabilities.permitted: capabilities not in the "
                                     "bounding set are not set");
                if (sec->cap_effective & ~prm)
                        warn(p, WHAT ": process.capabilities.effective: capabilities not in the "
                                     "permitted set are not set");
                if (sec->cap_ambient & ~(prm & sec->cap_inheritable))
                        warn(p, WHAT ": process.capabilities.ambient: capabilities not in the "
                                     "permitted and inheritable sets are not set");
        }
        for (size_t i = 0; i < 5; i++)
                strv_free(&sets[i]);
        return r;
}

static int parse_rlimits(parser *p, json_object *v)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(p, "process.rlimits", "expected an array");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                char path[64];
                snprintf(path, sizeof path, "process.rlimits[%zu]", i);
                json_object *x = json_object_array_get_idx(v, i);
                int r = want_object(p, x, path);
                const char *type = NULL;
                int64_t soft = 0, hard = 0;
                char sub[96];
                snprintf(sub, sizeof sub, "%s.type", path);
                if (r == 0)
                        r = get_string(p, member(x, "type"), sub, &type);
                snprintf(sub, sizeof sub, "%s.soft", path);
                if (r == 0)
                        r = get_int(p, member(x, "soft"), sub, -1, INT64_MAX, &soft);
                snprintf(sub, sizeof sub, "%s.hard", path);
                if (r == 0)
                        r = get_int(p, member(x, "hard"), sub, -1, INT64_MAX, &hard);
                if (r < 0)
                        return r;
                if (strncmp(type, "RLIMIT_", 7) != 0 || !type[7] || strlen(type) > 32)
                        return bad(p, path, "type: expected RLIMIT_NAME");
                char name[32];
                size_t k = 0;
                for (const char *c = type + 7; *c; c++)
                        name[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
                name[k] = 0;
                _cleanup_free_ char *spec =
                        xasprintf("%s=%lld:%lld", name, (long long)soft, (long long)hard);
                run_rlimit rl;
                err_t e2 = {0};
                if (rlimit_parse(spec, &rl, &e2) < 0)
                        return bad(p, path, e2.msg);
                strv_push(&p->s->cfg.ulimits, spec);
        }
        return 0;
}

static int parse_process(parser *p, json_object *pr)
{
        if (!pr)
                return bad(p, "process", "missing");
        runner_oci_spec *s = p->s;
        int r = want_object(p, pr, "process");
        if (r < 0)
                return r;
        static const char *const known[] = {"args",
                                            "env",
                                            "cwd",
                                            "user",
                                            "terminal",
                                            "capabilities",
                                            "rlimits",
                                            "noNewPrivileges",
                                            "oomScoreAdj",
                                            "consoleSize",
                                            "apparmorProfile",
                                            "selinuxLabel",
                                            NULL};
        if ((r = only_known(p, pr, "process", known)) < 0)
                return r;
        json_object *args = member(pr, "args");
        if (!args)
                return bad(p, "process.args", "missing");
        if ((r = get_strv(p, args, "process.args", &s->args)) < 0)
                return r;
        if (!s->args.n || !s->args.v[0][0])
                return bad(p, "process.args", "no command");
        if ((r = get_strv(p, member(pr, "env"), "process.env", &s->cfg.env)) < 0)
                return r;
        for (size_t i = 0; i < s->cfg.env.n; i++)
                if (!strchr(s->cfg.env.v[i], '=') || s->cfg.env.v[i][0] == '=')
                        return bad(p, "process.env", "expected KEY=VALUE strings");
        const char *cwd = "/";
        if (member(pr, "cwd") && (r = get_string(p, member(pr, "cwd"), "process.cwd", &cwd)) < 0)
                return r;
        if (cwd[0] != '/')
                return bad(p, "process.cwd", "not an absolute path");
        s->cwd = xstrdup(cwd);
        json_object *u = member(pr, "user");
        if (u && (r = parse_user(p, u)) < 0)
                return r;
        if (!u)
                s->user = xstrdup("0:0");
        bool b = false;
        if (member(pr, "terminal") &&
            (r = get_bool(p, member(pr, "terminal"), "process.terminal", &s->terminal)) < 0)
                return r;
        if ((r = parse_caps(p, member(pr, "capabilities"))) < 0)
                return r;
        if ((r = parse_rlimits(p, member(pr, "rlimits"))) < 0)
                return r;
        if (member(pr, "noNewPrivileges")) {
                if ((r = get_bool(p, member(pr, "noNewPrivileges"), "process.noNewPrivileges",
                                  &b)) < 0)
                        return r;
                s->cfg.sec.no_new_privs = b;
        }
        int64_t adj = 0;
        if (member(pr, "oomScoreAdj")) {
                if ((r = get_int(p, member(pr, "oomScoreAdj"), "process.oomScoreAdj", -1000, 1000,
                                 &adj)) < 0)
                        return r;
                s->have_oom_score_adj = true;
                s->oom_score_adj = (int)adj;
        }
        static const char *const ignored[] = {"consoleSize", "apparmorProfile", "selinuxLabel"};
        for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
                if (!empty(member(pr, ignored[i])))
                        warn(p, WHAT ": process.%s: ignored", ignored[i]);
        return 0;
}

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
        int r = want_object(p, m, path);
        if (r < 0)
                return r;
        const char *dst = NULL, *type = "", *src = "";
        snprintf(sub, sizeof sub, "%s.destination", path);
        if (!member(m, "destination"))
                return bad(p, sub, "missing");
        if ((r = get_string(p, member(m, "destination"), sub, &dst)) < 0)
                return r;
        if (dst[0] != '/')
                return bad(p, sub, "not an absolute path");
        if (strchr(dst, ':'))
                return bad(p, sub, "contains a colon");
        snprintf(sub, sizeof sub, "%s.type", path);
        if (member(m, "type") && (r = get_string(p, member(m, "type"), sub, &type)) < 0)
                return r;
        snprintf(sub, sizeof sub, "%s.source", path);
        if (member(m, "source") && (r = get_string(p, member(m, "source"), sub, &src)) < 0)
                return r;
        _cleanup_strv_ strv opts = {0};
        snprintf(sub, sizeof sub, "%s.options", path);
        if ((r = get_strv(p, member(m, "options"), sub, &opts)) < 0)
                return r;
        bool bind = !strcmp(type, "bind") || strv_contains(&opts, "bind") ||
                    strv_contains(&opts, "rbind");
        if (bind) {
                if (!*src)
                        return bad(p, path, "a bind mount without a source");
                if (strchr(src, ':'))
                        return bad(p, path, "source: contains a colon");
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
                                return bad(p, sub, msg);
                        } else if (!strcmp(o, "nosuid") || !strcmp(o, "noexec") ||
                                   !strcmp(o, "nodev")) {
                                char *x = xasprintf("%s,%s", extra, o);
                                free(extra);
                                extra = x;
                        } else if (!strcmp(o, "dev")) {
                                return bad(p, sub,
                                           "dev: not supported (runroot's binds are "
                                           "always nodev)");
                        } else if (strcmp(o, "bind") != 0 && strcmp(o, "rbind") != 0)
                                warn(p, WHAT ": %s.options: %s: ignored on a bind mount", path, o);
                }
                strv_push_take(&p->s->cfg.binds,
                               xasprintf("%s:%s:%s%s%s%s", abs, dst, ro ? "ro" : "rw",
                                         prop ? "," : "", prop ? prop : "", extra));
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
                        return bad(p, sub, e2.msg);
                mounts_tmpfs_free(&t);
                strv_push(&p->s->cfg.tmpfs, spec);
                return 0;
        }
        char msg[160];
        snprintf(msg, sizeof msg, "type \"%.32s\" at %.64s: not supported by runroot", type, dst);
        return bad(p, path, msg);
}

static int parse_mounts(parser *p, json_object *v, const char *bundle)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(p, "mounts", "expected an array");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                int r = parse_mount(p, json_object_array_get_idx(v, i), i, bundle);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What the runner makes: new pid, mount, uts, ipc and cgroup namespaces
 * always, a network namespace unless the host's network, a user namespace
 * exactly when not run as root. */
static int parse_namespaces(parser *p, json_object *v)
{
        bool have[7] = {0};
        static const char *const types[] = {"pid",  "mount",   "uts",   "ipc",
                                            "user", "network", "cgroup"};
        if (v && !json_object_is_type(v, json_type_array))
                return bad(p, "linux.namespaces", "expected an array");
        size_t n = v ? json_object_array_length(v) : 0;
        for (size_t i = 0; i < n; i++) {
                char path[64], sub[96];
                snprintf(path, sizeof path, "linux.namespaces[%zu]", i);
                json_object *x = json_object_array_get_idx(v, i);
                int r = want_object(p, x, path);
                const char *type = NULL;
                snprintf(sub, sizeof sub, "%s.type", path);
                if (r == 0)
                        r = get_string(p, member(x, "type"), sub, &type);
                if (r < 0)
                        return r;
                size_t k = 0;
                while (k < ARRAY_SIZE(types) && strcmp(type, types[k]) != 0)
                        k++;
                if (k == ARRAY_SIZE(types)) {
                        char msg[96];
                        snprintf(msg, sizeof msg, "unknown namespace type \"%.32s\"", type);
                        return bad(p, sub, msg);
                }
                if (!empty(member(x, "path"))) {
                        snprintf(sub, sizeof sub, "%s.path", path);
                        const char *np = NULL;
                        if ((r = get_string(p, member(x, "path"), sub, &np)) < 0)
                                return r;
                        if (k != 5)
                                return bad(p, sub,
                                           "joining a namespace other than the network's is not "
                                           "supported by runroot");
                        if (np[0] != '/')
                                return bad(p, sub, "not an absolute path");
                        free(p->s->netns_path);
                        p->s->netns_path = xstrdup(np);
                }
                have[k] = true;
        }
        for (size_t k = 0; k < 4; k++)
                if (!have[k])
                        warn(p,
                             WHAT ": linux.namespaces: no %s namespace asked for; runroot makes "
                                  "a new one",
                             types[k]);
        bool root = geteuid() == 0;
        if (have[4] && root)
                return bad(p, "linux.namespaces",
                           "a user namespace: not supported by runroot when run as root");
        if (!have[4] && !root)
                return bad(p, "linux.namespaces",
                           "no user namespace: runroot needs one when not run as root");
        p->s->cfg.net = p->s->netns_path ? RUNNER_NET_CONTAINER
                        : have[5]        ? RUNNER_NET_NONE
                                         : RUNNER_NET_HOST;
        p->s->cfg.netns_path = p->s->netns_path;
        return 0;
}

/* Rootless: the runner maps the caller's uid and gid to 0, one id. */
static int parse_idmap(parser *p, json_object *v, const char *path, unsigned long host)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(p, path, "expected an array");
        size_t n = json_object_array_length(v);
        if (n == 0)
                return 0;
        if (geteuid() == 0)
                return bad(p, path, "needs a user namespace (not supported by runroot as root)");
        json_object *x = json_object_array_get_idx(v, 0);
        int64_t c = -1, h = -1, sz = -1;
        int r = want_object(p, x, path);
        if (r == 0)
                r = get_int(p, member(x, "containerID"), path, 0, UINT32_MAX, &c);
        if (r == 0)
                r = get_int(p, member(x, "hostID"), path, 0, UINT32_MAX, &h);
        if (r == 0)
                r = get_int(p, member(x, "size"), path, 0, UINT32_MAX, &sz);
        if (r < 0)
                return r;
        if (n != 1 || c != 0 || (unsigned long)h != host || sz != 1) {
                char msg[128];
                snprintf(msg, sizeof msg,
                         "only 0 mapped to the caller's id %lu, size 1, is supported", host);
                return bad(p, path, msg);
        }
        return 0;
}

static int parse_resources(parser *p, json_object *res)
{
        if (!res)
                return 0;
        int r = want_object(p, res, "linux.resources");
        if (r < 0)
                return r;
        cg_limits *l = &p->s->cfg.limits;
        json_object *mem = member(res, "memory");
        if (mem && (r = want_object(p, mem, "linux.resources.memory")) < 0)
                return r;
        if (member(mem, "limit") &&
            (r = get_int(p, member(mem, "limit"), "linux.resources.memory.limit", -1, INT64_MAX,
                         &l->memory)) < 0)
                return r;
        if (l->memory == 0)
                l->memory = -1;
        json_object_object_foreach(mem ? mem : res, mk, mv)
        {
                if (mem && strcmp(mk, "limit") != 0 && !empty(mv))
                        warn(p, WHAT ": linux.resources.memory.%s: ignored", mk);
        }
        json_object *cpu = member(res, "cpu");
        if (cpu && (r = want_object(p, cpu, "linux.resources.cpu")) < 0)
                return r;
        if (member(cpu, "quota") &&
            (r = get_int(p, member(cpu, "quota"), "linux.resources.cpu.quota", -1, INT64_MAX,
                         &l->cpu_quota)) < 0)
                return r;
        if (l->cpu_quota == 0)
                l->cpu_quota = -1;
        int64_t v = 0;
        if (member(cpu, "period")) {
                if ((r = get_int(p, member(cpu, "period"), "linux.resources.cpu.period", 1000,
                                 1000000, &v)) < 0)
                        return r;
                l->cpu_period = v;
        }
        if (member(cpu, "shares")) {
                if ((r = get_int(p, member(cpu, "shares"), "linux.resources.cpu.shares", 0, 262144,
                                 &v)) < 0)
                        return r;
                if (v >= 2)
                        l->cpu_shares = v;
        }
        const char *cpus = NULL;
        if (member(cpu, "cpus")) {
                if ((r = get_string(p, member(cpu, "cpus"), "linux.resources.cpu.cpus", &cpus)) < 0)
                        return r;
                if (*cpus)
                        l->cpuset_cpus = xstrdup(cpus);
        }
        json_object_object_foreach(cpu ? cpu : res, ck, cv)
        {
                if (cpu && strcmp(ck, "quota") && strcmp(ck, "period") && strcmp(ck, "shares") &&
                    strcmp(ck, "cpus") && !empty(cv))
                        warn(p, WHAT ": linux.resources.cpu.%s: ignored", ck);
        }
        json_object *pids = member(res, "pids");
        if (pids && (r = want_object(p, pids, "linux.resources.pids")) < 0)
                return r;
        if (member(pids, "limit")) {
                if ((r = get_int(p, member(pids, "limit"), "linux.resources.pids.limit", -1,
                                 INT64_MAX, &v)) < 0)
                        return r;
                if (v > 0)
                        l->pids = v;
        }
        json_object *devs = member(res, "devices");
        if (devs && !json_object_is_type(devs, json_type_array))
                return bad(p, "linux.resources.devices", "expected an array");
        for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
                json_object *d = json_object_array_get_idx(devs, i);
                bool allow = false;
                char path[64];
                snprintf(path, sizeof path, "linux.resources.devices[%zu].allow", i);
                if ((r = get_bool(p, member(d, "allow"), path, &allow)) < 0)
                        return r;
                if (allow)
                        warn(p,
                             WHAT ": linux.resources.devices[%zu]: ignored (runroot's own device "
                                  "list applies)",
                             i);
        }
        json_object_object_foreach(res, rk, rv)
        {
                if (strcmp(rk, "memory") && strcmp(rk, "cpu") && strcmp(rk, "pids") &&
                    strcmp(rk, "devices") && !empty(rv))
                        warn(p, WHAT ": linux.resources.%s: ignored", rk);
        }
        return 0;
}

/* linux.devices: the runner makes the standard nodes itself; another one is
 * bound from the host's node of that path. */
static int parse_devices(parser *p, json_object *v)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(p, "linux.devices", "expected an array");
        static const char *const std[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                          "/dev/random", "/dev/urandom", "/dev/tty"};
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                char path[64];
                snprintf(path, sizeof path, "linux.devices[%zu].path", i);
                json_object *d = json_object_array_get_idx(v, i);
                const char *dp = NULL;
                int r = want_object(p, d, "linux.devices");
                if (r == 0)
                        r = get_string(p, member(d, "path"), path, &dp);
                if (r < 0)
                        return r;
                bool is_std = false;
                for (size_t k = 0; k < ARRAY_SIZE(std); k++)
                        is_std |= !strcmp(dp, std[k]);
                if (is_std)
                        continue;
                if (strncmp(dp, "/dev/", 5) != 0 || strchr(dp, ':') || access(dp, F_OK) < 0)
                        return bad(p, path, "not a device of this host (runroot binds the host's)");
                strv_push(&p->s->cfg.devices, dp);
        }
        return 0;
}

/* maskedPaths, readonlyPaths: the runner masks those below /proc and /sys
 * (on top of its own list); others are named in a warning. */
static int parse_paths(parser *p, json_object *v, const char *path, strv *ret)
{
        _cleanup_strv_ strv l = {0};
        int r = get_strv(p, v, path, &l);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++) {
                const char *x = l.v[i];
                if (strncmp(x, "/proc/", 6) != 0 && strncmp(x, "/sys/", 5) != 0) {
                        warn(p, WHAT ": %s: %s: ignored (runroot masks only /proc and /sys paths)",
                             path, x);
                        continue;
                }
                if (strstr(x, "/../") || strstr(x, "//") || strstr(x, "/./") ||
                    (strlen(x) >= 3 && !strcmp(x + strlen(x) - 3, "/..")))
                        return bad(p, path, "a path with . or .. or an empty component");
                if (!strv_contains(ret, x))
                        strv_push(ret, x);
        }
        return 0;
}

/* linux.sysctl: the keys of the container's own namespaces (ipc: kernel.msg*,
 * kernel.sem, kernel.shm*, fs.mqueue.*; net.* with a network namespace of
 * its own); any other would change the host's and is refused. Runs after
 * parse_namespaces. */
static int parse_sysctl(parser *p, json_object *sy)
{
        if (!sy)
                return 0;
        int r = want_object(p, sy, "linux.sysctl");
        if (r < 0)
                return r;
        json_object_object_foreach(sy, k, v)
        {
                char path[128];
                snprintf(path, sizeof path, "linux.sysctl.%.64s", k);
                const char *val = NULL;
                if ((r = get_string(p, v, path, &val)) < 0)
                        return r;
                bool ok = *k && strlen(k) < 128 && !strstr(k, "..") && k[0] != '.';
                for (const char *c = k; *c && ok; c++)
                        ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                             strchr("_.-", *c);
                if (!ok)
                        return bad(p, path, "not a sysctl name");
                bool net = !strncmp(k, "net.", 4);
                bool ipc = !strncmp(k, "kernel.msg", 10) || !strcmp(k, "kernel.sem") ||
                           !strncmp(k, "kernel.shm", 10) || !strncmp(k, "fs.mqueue.", 10);
                if (net && p->s->cfg.net != RUNNER_NET_NONE)
                        return bad(p, path, "needs a network namespace of the container's own");
                if (!net && !ipc)
                        return bad(p, path,
                                   "not a sysctl of the container's namespaces (kernel.msg*, "
                                   "kernel.sem, kernel.shm*, fs.mqueue.*, net.*)");
                if (strchr(val, '\n'))
                        return bad(p, path, "a value of more than one line");
                strv_push_take(&p->s->cfg.sysctls, xasprintf("%s=%s", k, val));
        }
        return 0;
}

static int parse_linux(parser *p, json_object *lx)
{
        runner_oci_spec *s = p->s;
        int r = lx ? want_object(p, lx, "linux") : 0;
        if (r < 0)
                return r;
        static const char *const known[] = {
                "namespaces",  "uidMappings", "gidMappings", "devices",       "resources",
                "seccomp",     "sysctl",      "maskedPaths", "readonlyPaths", "rootfsPropagation",
                "cgroupsPath", "mountLabel",  NULL};
        if (lx && (r = only_known(p, lx, "linux", known)) < 0)
                return r;
        if ((r = parse_namespaces(p, member(lx, "namespaces"))) < 0)
                return r;
        if ((r = parse_idmap(p, member(lx, "uidMappings"), "linux.uidMappings", geteuid())) < 0)
                return r;
        if ((r = parse_idmap(p, member(lx, "gidMappings"), "linux.gidMappings", getegid())) < 0)
                return r;
        if ((r = parse_devices(p, member(lx, "devices"))) < 0)
                return r;
        if ((r = parse_resources(p, member(lx, "resources"))) < 0)
                return r;
        json_object *sc = member(lx, "seccomp");
        if (sc) {
                if ((r = want_object(p, sc, "linux.seccomp")) < 0)
                        return r;
                const char *text = json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN);
                sec_profile *prof = NULL;
                r = sec_profile_parse(text, strlen(text), WHAT ": linux.seccomp", &prof, p->e);
                sec_profile_free(prof);
                if (r < 0)
                        return r;
                s->seccomp = xstrdup(text);
        }
        if ((r = parse_sysctl(p, member(lx, "sysctl"))) < 0)
                return r;
        if ((r = parse_paths(p, member(lx, "maskedPaths"), "linux.maskedPaths",
                             &s->cfg.masked_paths)) < 0)
                return r;
        if ((r = parse_paths(p, member(lx, "readonlyPaths"), "linux.readonlyPaths",
                             &s->cfg.readonly_paths)) < 0)
                return r;
        const char *prop = NULL;
        json_object *pv = member(lx, "rootfsPropagation");
        if (pv) {
                if ((r = get_string(p, pv, "linux.rootfsPropagation", &prop)) < 0)
                        return r;
                if (*prop && strcmp(prop, "private") && strcmp(prop, "rprivate") &&
                    strcmp(prop, "slave") && strcmp(prop, "rslave"))
                        return bad(p, "linux.rootfsPropagation",
                                   "only private, rprivate, slave or rslave (the container's "
                                   "mounts never reach the host)");
        }
        if (!empty(member(lx, "cgroupsPath")))
                warn(p, WHAT ": linux.cgroupsPath: ignored (runroot makes a cgroup of its own)");
        if (!empty(member(lx, "mountLabel")))
                warn(p, WHAT ": linux.mountLabel: ignored");
        return 0;
}

static int parse(parser *p, json_object *top, const char *bundle)
{
        runner_oci_spec *s = p->s;
        if (!json_object_is_type(top, json_type_object))
                return err_set(p->e, -EINVAL, WHAT ": expected a JSON object");
        static const char *const known[] = {"ociVersion", "root",   "process",     "hostname",
                                            "domainname", "mounts", "annotations", "linux",
                                            "hooks",      NULL};
        int r = only_known(p, top, "", known);
        if (r < 0)
                return r;
        const char *ver = NULL;
        if (!member(top, "ociVersion"))
                return bad(p, "ociVersion", "missing");
        if ((r = get_string(p, member(top, "ociVersion"), "ociVersion", &ver)) < 0)
                return r;
        if (strncmp(ver, "1.", 2) != 0)
                return bad(p, "ociVersion", "not a version 1 specification");
        if ((r = parse_root(p, member(top, "root"), bundle)) < 0)
                return r;
        if ((r = parse_process(p, member(top, "process"))) < 0)
                return r;
        const char *h = NULL;
        if (member(top, "hostname")) {
                if ((r = get_string(p, member(top, "hostname"), "hostname", &h)) < 0)
                        return r;
                if (strlen(h) > 64)
                        return bad(p, "hostname", "longer than 64 bytes");
                if (*h)
                        s->hostname = xstrdup(h);
        }
        if (!empty(member(top, "domainname")))
                warn(p, WHAT ": domainname: ignored");
        if ((r = parse_mounts(p, member(top, "mounts"), bundle)) < 0)
                return r;
        json_object *an = member(top, "annotations");
        if (an) {
                if ((r = want_object(p, an, "annotations")) < 0)
                        return r;
                json_object_object_foreach(an, ak, av)
                {
                        (void)ak;
                        if (!json_object_is_type(av, json_type_string))
                                return bad(p, "annotations", "expected string values");
                }
                s->annotations = json_object_get(an);
        }
        if ((r = parse_linux(p, member(top, "linux"))) < 0)
                return r;
        if (!empty(member(top, "hooks")))
                return bad(p, "hooks", "not supported by runroot");
        return 0;
}

void runner_oci_spec_free(runner_oci_spec *s)
{
        runner_config_free(&s->cfg);
        free(s->root);
        strv_free(&s->args);
        free(s->cwd);
        free(s->user);
        free(s->hostname);
        free(s->seccomp);
        free(s->netns_path);
        json_object_put(s->annotations);
        strv_free(&s->warnings);
        memset(s, 0, sizeof *s);
}

int runner_oci_spec_parse(const char *text, size_t len, const char *bundle, runner_oci_spec *ret,
                          err_t *e)
{
        memset(ret, 0, sizeof *ret);
        runner_config_init(&ret->cfg);
        ret->umask = -1;
        ret->cfg.sec.seccomp = false;
        json_tokener *tok = json_tokener_new();
        json_object *top = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        int r = 0;
        if (!top || jerr != json_tokener_success)
                r = err_set(e, -EINVAL, WHAT ": not valid JSON: %s",
                            jerr == json_tokener_continue || jerr == json_tokener_success
                                    ? "unexpected end of data"
                                    : json_tokener_error_desc(jerr));
        else {
                while (end < len && strchr(" \t\r\n", text[end]))
                        end++;
                if (end < len)
                        r = err_set(e, -EINVAL, WHAT ": not valid JSON: data after the object");
        }
        if (r == 0) {
                parser p = {.s = ret, .e = e};
                r = parse(&p, top, bundle);
        }
        json_object_put(top);
        if (r < 0) {
                runner_oci_spec_free(ret);
                return r;
        }
        runner_config *c = &ret->cfg;
        c->image = ret->root;
        c->in_place = true;
        c->argv = ret->args.v;
        c->workdir = ret->cwd;
        c->user = ret->user;
        c->hostname = ret->hostname;
        c->tty = ret->terminal ? 1 : 0;
        c->groups = ret->groups;
        c->ngroups = ret->ngroups;
        return 0;
}

int runner_oci_spec_load(const char *bundle, runner_oci_spec *ret, err_t *e)
{
        char abs[PATH_MAX];
        if (!realpath(bundle, abs))
                return err_sys(e, errno, "--bundle %s", bundle);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        _cleanup_close_ int dfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "--bundle %s", bundle);
        int r = fs_read_file_at(dfd, "config.json", SPEC_MAX, &data, &len, e);
        if (r < 0)
                return err_sys(e, -r, "%s/config.json", abs);
        return runner_oci_spec_parse(data, len, abs, ret, e);
}
