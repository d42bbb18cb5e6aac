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

#include "ocispec-internal.h"

#define SPEC_MAX (4 << 20)

static int parse_root(parser *p, json_object *root, const char *bundle)
{
        if (!root)
                return spec_bad(p, "root", "missing");
        const char *path = NULL;
        int r = spec_want_object(p, root, "root");
        if (r == 0 && !spec_member(root, "path"))
                r = spec_bad(p, "root.path", "missing");
        if (r == 0)
                r = spec_get_string(p, spec_member(root, "path"), "root.path", &path);
        if (r == 0 && !*path)
                r = spec_bad(p, "root.path", "empty");
        json_object *ro = spec_member(root, "readonly");
        if (r == 0 && ro)
                r = spec_get_bool(p, ro, "root.readonly", &p->s->cfg.read_only);
        if (r < 0)
                return r;
        p->s->root = path[0] == '/' ? xstrdup(path) : path_join(bundle, path);
        return 0;
}

static int parse_user(parser *p, json_object *u)
{
        int64_t uid = 0, gid = 0, umask_v = -1;
        int r = spec_want_object(p, u, "process.user");
        if (r == 0 && spec_member(u, "uid"))
                r = spec_get_int(p, spec_member(u, "uid"), "process.user.uid", 0, UINT32_MAX - 1,
                                 &uid);
        if (r == 0 && spec_member(u, "gid"))
                r = spec_get_int(p, spec_member(u, "gid"), "process.user.gid", 0, UINT32_MAX - 1,
                                 &gid);
        if (r == 0 && spec_member(u, "umask"))
                r = spec_get_int(p, spec_member(u, "umask"), "process.user.umask", 0, 0777,
                                 &umask_v);
        json_object *ag = spec_member(u, "additionalGids");
        if (r == 0 && ag) {
                if (!json_object_is_type(ag, json_type_array))
                        return spec_bad(p, "process.user.additionalGids",
                                        "expected an array of integers");
                size_t n = json_object_array_length(ag);
                if (n > RUNNER_OCI_GROUPS_MAX)
                        return spec_bad(p, "process.user.additionalGids", "too many groups");
                for (size_t i = 0; i < n && r == 0; i++) {
                        int64_t g = 0;
                        r = spec_get_int(p, json_object_array_get_idx(ag, i),
                                         "process.user.additionalGids", 0, UINT32_MAX - 1, &g);
                        p->s->groups[p->s->ngroups++] = (gid_t)g;
                }
        }
        if (r == 0 && spec_member(u, "username"))
                spec_warn(p, WHAT ": process.user.username: ignored (uid and gid are used)");
        if (r < 0)
                return r;
        p->s->umask = (int)umask_v;
        p->s->user = xasprintf("%lld:%lld", (long long)uid, (long long)gid);
        return 0;
}

static int parse_rlimits(parser *p, json_object *v)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return spec_bad(p, "process.rlimits", "expected an array");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                char path[64];
                snprintf(path, sizeof path, "process.rlimits[%zu]", i);
                json_object *x = json_object_array_get_idx(v, i);
                int r = spec_want_object(p, x, path);
                const char *type = NULL;
                int64_t soft = 0, hard = 0;
                char sub[96];
                snprintf(sub, sizeof sub, "%s.type", path);
                if (r == 0)
                        r = spec_get_string(p, spec_member(x, "type"), sub, &type);
                snprintf(sub, sizeof sub, "%s.soft", path);
                if (r == 0)
                        r = spec_get_int(p, spec_member(x, "soft"), sub, -1, INT64_MAX, &soft);
                snprintf(sub, sizeof sub, "%s.hard", path);
                if (r == 0)
                        r = spec_get_int(p, spec_member(x, "hard"), sub, -1, INT64_MAX, &hard);
                if (r < 0)
                        return r;
                if (strncmp(type, "RLIMIT_", 7) != 0 || !type[7] || strlen(type) > 32)
                        return spec_bad(p, path, "type: expected RLIMIT_NAME");
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
                        return spec_bad(p, path, e2.msg);
                strv_push(&p->s->cfg.ulimits, spec);
        }
        return 0;
}

/* An AppArmor profile or SELinux label: runroot applies neither. On a
 * host without that module, runc ignores it too: a warning. On a host
 * that has it, the container would run unconfined where the caller asked
 * for confinement: refused. */
static bool lsm_enabled(spec_lsm lsm)
{
        if (lsm == SPEC_LSM_SELINUX)
                return access("/sys/fs/selinux/enforce", F_OK) == 0;
        char c = 0;
        _cleanup_close_ int fd =
                open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

int spec_lsm_label(parser *p, json_object *v, const char *path, spec_lsm lsm)
{
        const char *label = NULL;
        if (!v)
                return 0;
        int r = spec_get_string(p, v, path, &label);
        if (r < 0 || !*label)
                return r;
        const char *what = lsm == SPEC_LSM_SELINUX ? "SELinux" : "AppArmor";
        if (lsm_enabled(lsm)) {
                char m[128];
                snprintf(m, sizeof m,
                         "%s is enabled on this host and runroot does not apply "
                         "its labels",
                         what);
                return spec_bad(p, path, m);
        }
        spec_warn(p, WHAT ": %s: ignored (%s is not enabled on this host)", path, what);
        return 0;
}

int runner_oci_lsm_option(const char *opt, bool selinux, strv *ret_warnings, err_t *e)
{
        const char *what = selinux ? "SELinux" : "AppArmor";
        if (lsm_enabled(selinux ? SPEC_LSM_SELINUX : SPEC_LSM_APPARMOR))
                return err_set(e, -EINVAL,
                               "%s: %s is enabled on this host and runroot does not apply its "
                               "labels",
                               opt, what);
        strv_push_take(ret_warnings,
                       xasprintf("%s: ignored (%s is not enabled on this host)", opt, what));
        return 0;
}

/* process.consoleSize: the pty's rows and columns. */
static int parse_console_size(parser *p, json_object *v)
{
        if (!v)
                return 0;
        int64_t h = 0, w = 0;
        int r = spec_want_object(p, v, "process.consoleSize");
        if (r == 0 && !spec_member(v, "height"))
                r = spec_bad(p, "process.consoleSize.height", "missing");
        if (r == 0 && !spec_member(v, "width"))
                r = spec_bad(p, "process.consoleSize.width", "missing");
        if (r == 0)
                r = spec_get_int(p, spec_member(v, "height"), "process.consoleSize.height", 0,
                                 UINT16_MAX, &h);
        if (r == 0)
                r = spec_get_int(p, spec_member(v, "width"), "process.consoleSize.width", 0,
                                 UINT16_MAX, &w);
        if (r < 0)
                return r;
        p->s->cfg.console_rows = (unsigned short)h;
        p->s->cfg.console_cols = (unsigned short)w;
        return 0;
}

static int parse_process(parser *p, json_object *pr)
{
        if (!pr)
                return spec_bad(p, "process", "missing");
        runner_oci_spec *s = p->s;
        int r = spec_want_object(p, pr, "process");
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
        if ((r = spec_only_known(p, pr, "process", known)) < 0)
                return r;
        json_object *args = spec_member(pr, "args");
        if (!args)
                return spec_bad(p, "process.args", "missing");
        if ((r = spec_get_strv(p, args, "process.args", &s->args)) < 0)
                return r;
        if (!s->args.n || !s->args.v[0][0])
                return spec_bad(p, "process.args", "no command");
        if ((r = spec_get_strv(p, spec_member(pr, "env"), "process.env", &s->cfg.env)) < 0)
                return r;
        for (size_t i = 0; i < s->cfg.env.n; i++)
                if (!strchr(s->cfg.env.v[i], '=') || s->cfg.env.v[i][0] == '=')
                        return spec_bad(p, "process.env", "expected KEY=VALUE strings");
        const char *cwd = "/";
        if (spec_member(pr, "cwd") &&
            (r = spec_get_string(p, spec_member(pr, "cwd"), "process.cwd", &cwd)) < 0)
                return r;
        if (cwd[0] != '/')
                return spec_bad(p, "process.cwd", "not an absolute path");
        s->cwd = xstrdup(cwd);
        json_object *u = spec_member(pr, "user");
        if (u && (r = parse_user(p, u)) < 0)
                return r;
        if (!u)
                s->user = xstrdup("0:0");
        bool b = false;
        if (spec_member(pr, "terminal") &&
            (r = spec_get_bool(p, spec_member(pr, "terminal"), "process.terminal", &s->terminal)) <
                    0)
                return r;
        if ((r = spec_parse_caps(p, spec_member(pr, "capabilities"))) < 0)
                return r;
        if ((r = parse_rlimits(p, spec_member(pr, "rlimits"))) < 0)
                return r;
        if (spec_member(pr, "noNewPrivileges")) {
                if ((r = spec_get_bool(p, spec_member(pr, "noNewPrivileges"),
                                       "process.noNewPrivileges", &b)) < 0)
                        return r;
                s->cfg.sec.no_new_privs = b;
        }
        int64_t adj = 0;
        if (spec_member(pr, "oomScoreAdj")) {
                if ((r = spec_get_int(p, spec_member(pr, "oomScoreAdj"), "process.oomScoreAdj",
                                      -1000, 1000, &adj)) < 0)
                        return r;
                s->have_oom_score_adj = true;
                s->oom_score_adj = (int)adj;
        }
        if ((r = parse_console_size(p, spec_member(pr, "consoleSize"))) < 0)
                return r;
        if ((r = spec_lsm_label(p, spec_member(pr, "apparmorProfile"), "process.apparmorProfile",
                                SPEC_LSM_APPARMOR)) < 0 ||
            (r = spec_lsm_label(p, spec_member(pr, "selinuxLabel"), "process.selinuxLabel",
                                SPEC_LSM_SELINUX)) < 0)
                return r;
        return 0;
}
/* linux.personality: the execution domain LINUX or LINUX32 (the kernel's
 * PER_LINUX, PER_LINUX32); flags are named in a warning, as runc does. */
static int parse_personality(parser *p, json_object *v)
{
        if (!v)
                return 0;
        const char *d = NULL;
        int r = spec_want_object(p, v, "linux.personality");
        if (r == 0 && !spec_member(v, "domain"))
                r = spec_bad(p, "linux.personality.domain", "missing");
        if (r == 0)
                r = spec_get_string(p, spec_member(v, "domain"), "linux.personality.domain", &d);
        if (r < 0)
                return r;
        if (!strcmp(d, "LINUX"))
                p->s->cfg.personality = 0x0000; /* PER_LINUX */
        else if (!strcmp(d, "LINUX32"))
                p->s->cfg.personality = 0x0008; /* PER_LINUX32 */
        else
                return spec_bad(p, "linux.personality.domain", "expected LINUX or LINUX32");
        _cleanup_strv_ strv flags = {0};
        if ((r = spec_get_strv(p, spec_member(v, "flags"), "linux.personality.flags", &flags)) < 0)
                return r;
        if (flags.n)
                spec_warn(p, WHAT ": linux.personality.flags: ignored (runroot sets the domain "
                                  "alone, as runc)");
        return 0;
}

/* linux.cgroupsPath, as runc's cgroupfs driver takes it (cg_create_at);
 * absent or empty: runroot's own runroot-PID-... below its cgroup. */
static int parse_cgroups_path(parser *p, json_object *v)
{
        const char *path = NULL;
        int r = v ? spec_get_string(p, v, "linux.cgroupsPath", &path) : 0;
        if (r < 0 || !path || !*path)
                return r;
        /* systemd's "slice:prefix:name" means the systemd driver: taken as
         * a directory name it would put the container somewhere the
         * caller does not look. */
        const char *c1 = strchr(path, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && !strchr(c2 + 1, ':') && !strchr(path, '/'))
                return spec_bad(p, "linux.cgroupsPath",
                                "a systemd slice:prefix:name, which needs the systemd cgroup "
                                "driver (--systemd-cgroup), and runroot has none: give a "
                                "cgroupfs path such as /parent/name");
        err_t e2 = {0};
        _cleanup_free_ char *clean = NULL;
        if (cg_path_clean(path, &clean, &e2) < 0)
                return spec_bad(p, "linux.cgroupsPath", e2.msg);
        free(p->s->cgroups_path);
        p->s->cgroups_path = steal_pointer(&clean);
        p->s->cfg.cgroups_path = p->s->cgroups_path;
        return 0;
}

static int parse_linux(parser *p, json_object *lx)
{
        runner_oci_spec *s = p->s;
        int r = lx ? spec_want_object(p, lx, "linux") : 0;
        if (r < 0)
                return r;
        static const char *const known[] = {"namespaces",    "uidMappings",
                                            "gidMappings",   "devices",
                                            "resources",     "seccomp",
                                            "sysctl",        "maskedPaths",
                                            "readonlyPaths", "rootfsPropagation",
                                            "cgroupsPath",   "mountLabel",
                                            "personality",   NULL};
        if (lx && (r = spec_only_known(p, lx, "linux", known)) < 0)
                return r;
        if ((r = spec_parse_namespaces(p, spec_member(lx, "namespaces"))) < 0)
                return r;
        if ((r = spec_parse_idmap(p, spec_member(lx, "uidMappings"), "linux.uidMappings",
                                  geteuid())) < 0)
                return r;
        if ((r = spec_parse_idmap(p, spec_member(lx, "gidMappings"), "linux.gidMappings",
                                  getegid())) < 0)
                return r;
        if ((r = spec_parse_devices(p, spec_member(lx, "devices"))) < 0)
                return r;
        if ((r = spec_parse_resources(p, spec_member(lx, "resources"))) < 0)
                return r;
        if ((r = spec_parse_seccomp(p, spec_member(lx, "seccomp"))) < 0)
                return r;
        if ((r = spec_parse_sysctl(p, spec_member(lx, "sysctl"))) < 0)
                return r;
        if ((r = spec_parse_paths(p, spec_member(lx, "maskedPaths"), "linux.maskedPaths",
                                  &s->cfg.masked_paths)) < 0)
                return r;
        if ((r = spec_parse_paths(p, spec_member(lx, "readonlyPaths"), "linux.readonlyPaths",
                                  &s->cfg.readonly_paths)) < 0)
                return r;
        const char *prop = NULL;
        json_object *pv = spec_member(lx, "rootfsPropagation");
        if (pv) {
                if ((r = spec_get_string(p, pv, "linux.rootfsPropagation", &prop)) < 0)
                        return r;
                if (*prop && strcmp(prop, "private") && strcmp(prop, "rprivate") &&
                    strcmp(prop, "slave") && strcmp(prop, "rslave"))
                        return spec_bad(p, "linux.rootfsPropagation",
                                        "only private, rprivate, slave or rslave (the container's "
                                        "mounts never reach the host)");
                if (!strcmp(prop, "slave") || !strcmp(prop, "rslave"))
                        p->s->cfg.root_slave = prop[0] == 'r' ? 2 : 1;
        }
        if ((r = parse_cgroups_path(p, spec_member(lx, "cgroupsPath"))) < 0)
                return r;
        if ((r = parse_personality(p, spec_member(lx, "personality"))) < 0)
                return r;
        if ((r = spec_lsm_label(p, spec_member(lx, "mountLabel"), "linux.mountLabel",
                                SPEC_LSM_SELINUX)) < 0)
                return r;
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
        int r = spec_only_known(p, top, "", known);
        if (r < 0)
                return r;
        const char *ver = NULL;
        /* runc reads a config.json without one (as of version 1). */
        if (!spec_member(top, "ociVersion"))
                spec_warn(p, WHAT ": ociVersion: missing, read as version 1");
        else if ((r = spec_get_string(p, spec_member(top, "ociVersion"), "ociVersion", &ver)) < 0)
                return r;
        if (ver && strncmp(ver, "1.", 2) != 0)
                return spec_bad(p, "ociVersion", "not a version 1 specification");
        if ((r = parse_root(p, spec_member(top, "root"), bundle)) < 0)
                return r;
        if ((r = parse_process(p, spec_member(top, "process"))) < 0)
                return r;
        const char *h = NULL;
        if (spec_member(top, "hostname")) {
                if ((r = spec_get_string(p, spec_member(top, "hostname"), "hostname", &h)) < 0)
                        return r;
                if (strlen(h) > 64)
                        return spec_bad(p, "hostname", "longer than 64 bytes");
                if (*h)
                        s->hostname = xstrdup(h);
        }
        if (spec_member(top, "domainname")) {
                if ((r = spec_get_string(p, spec_member(top, "domainname"), "domainname", &h)) < 0)
                        return r;
                if (strlen(h) > 64)
                        return spec_bad(p, "domainname", "longer than 64 bytes");
                if (*h)
                        s->domainname = xstrdup(h);
        }
        if ((r = spec_parse_mounts(p, spec_member(top, "mounts"), bundle)) < 0)
                return r;
        json_object *an = spec_member(top, "annotations");
        if (an) {
                if ((r = spec_want_object(p, an, "annotations")) < 0)
                        return r;
                json_object_object_foreach(an, ak, av)
                {
                        (void)ak;
                        if (!json_object_is_type(av, json_type_string))
                                return spec_bad(p, "annotations", "expected string values");
                }
                s->annotations = json_object_get(an);
        }
        if ((r = parse_linux(p, spec_member(top, "linux"))) < 0)
                return r;
        return spec_parse_hooks(p, spec_member(top, "hooks"));
}

void runner_oci_spec_free(runner_oci_spec *s)
{
        runner_config_free(&s->cfg);
        free(s->root);
        strv_free(&s->args);
        free(s->cwd);
        free(s->user);
        free(s->hostname);
        free(s->domainname);
        free(s->seccomp);
        free(s->netns_path);
        free(s->uid_map);
        free(s->gid_map);
        for (size_t i = 0; i < s->nnodes; i++)
                free(s->nodes[i].path);
        free(s->nodes);
        for (size_t i = 0; i < RUNNER_NSJ_MAX; i++)
                free(s->join_ns[i]);
        free(s->cgroups_path);
        free(s->text);
        json_object_put(s->annotations);
        runner_hooks_free(&s->hooks);
        strv_free(&s->warnings);
        memset(s, 0, sizeof *s);
}

/* One JSON object, nothing after it. */
static int parse_json(const char *text, size_t len, const char *what, json_object **ret, err_t *e)
{
        json_tokener *tok = json_tokener_new();
        json_object *top = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        int r = 0;
        if (!top || jerr != json_tokener_success)
                r = err_set(e, -EINVAL, "%s: not valid JSON: %s", what,
                            jerr == json_tokener_continue || jerr == json_tokener_success
                                    ? "unexpected end of data"
                                    : json_tokener_error_desc(jerr));
        else {
                while (end < len && strchr(" \t\r\n", text[end]))
                        end++;
                if (end < len)
                        r = err_set(e, -EINVAL, "%s: not valid JSON: data after the object", what);
        }
        if (r < 0) {
                json_object_put(top);
                return r;
        }
        *ret = top;
        return 0;
}

int runner_oci_spec_parse_process(const char *text, size_t len, const char *process, size_t plen,
                                  const char *bundle, runner_oci_spec *ret, err_t *e)
{
        memset(ret, 0, sizeof *ret);
        runner_config_init(&ret->cfg);
        ret->umask = -1;
        ret->cfg.sec.seccomp = false;
        /* every controller there, for update to set limits later */
        ret->cfg.limits.join_all = true;
        json_object *top = NULL, *proc = NULL;
        int r = parse_json(text, len, WHAT, &top, e);
        if (r == 0 && process) {
                r = parse_json(process, plen, "--process", &proc, e);
                if (r == 0 && json_object_is_type(top, json_type_object))
                        json_object_object_add(top, "process", proc);
                else
                        json_object_put(proc);
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
        c->domainname = ret->domainname;
        c->tty = ret->terminal ? 1 : 0;
        c->groups = ret->groups;
        c->ngroups = ret->ngroups;
        c->hooks = &ret->hooks;
        ret->hooks.annotations = ret->annotations;
        return 0;
}

int runner_oci_spec_parse(const char *text, size_t len, const char *bundle, runner_oci_spec *ret,
                          err_t *e)
{
        return runner_oci_spec_parse_process(text, len, NULL, 0, bundle, ret, e);
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
        r = runner_oci_spec_parse(data, len, abs, ret, e);
        if (r == 0)
                ret->text = steal_pointer(&data);
        return r;
}
