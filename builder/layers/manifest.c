/* Manifests: deb822, read by the suite files' reader. The first paragraph
 * names the base; each paragraph holding a step field (Add, Copy,
 * Include, Run, Remove) is one layer; config fields (Env, Cmd, Entrypoint,
 * Workdir, User, Label) may stand in any paragraph and take effect from
 * there on (a Run step sees the Env set above it). Run steps have no
 * network unless asked: Network: yes in the step's paragraph, or in the
 * first paragraph for every Run step. */
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "deb822.h"
#include "layers.h"

static const char *const step_names[LAY_STEP_KIND_MAX] = {
        [LAY_STEP_ADD] = "Add", [LAY_STEP_COPY] = "Copy",     [LAY_STEP_INCLUDE] = "Include",
        [LAY_STEP_RUN] = "Run", [LAY_STEP_REMOVE] = "Remove",
};

const char *lay_step_kind_name(lay_step_kind k)
{
        return k < LAY_STEP_KIND_MAX ? step_names[k] : "?";
}

static void split_words(const char *s, strv *out)
{
        const char *p = s;
        while (*p) {
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                const char *q = p;
                while (*q && *q != ' ' && *q != '\t' && *q != '\n')
                        q++;
                if (q > p)
                        strv_push_take(out, xstrndup(p, (size_t)(q - p)));
                p = q;
        }
}

static void split_lines(const char *s, strv *out)
{
        const char *p = s;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                if (n)
                        strv_push_take(out, xstrndup(p, n));
                p += nl ? (size_t)(nl - p) + 1 : strlen(p);
        }
}

/* Messages stay on one line: a multi-line value is quoted up to its first
 * line break. */
static int line_len(const char *s)
{
        size_t n = strcspn(s, "\n");
        return n > 200 ? 200 : (int)n;
}

int lay_parse_argv(const char *value, strv *ret, err_t *e)
{
        strv out = {0};
        const char *p = value;
        while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
        if (*p == '[') {
                json_object *j = json_tokener_parse(p);
                if (!j || !json_object_is_type(j, json_type_array)) {
                        json_object_put(j);
                        return err_set(e, -EINVAL, "'%.*s': not a JSON array of strings",
                                       line_len(value), value);
                }
                for (size_t i = 0; i < json_object_array_length(j); i++) {
                        json_object *it = json_object_array_get_idx(j, i);
                        if (!json_object_is_type(it, json_type_string)) {
                                json_object_put(j);
                                strv_free(&out);
                                return err_set(e, -EINVAL, "'%.*s': not a JSON array of strings",
                                               line_len(value), value);
                        }
                        strv_push(&out, json_object_get_string(it));
                }
                json_object_put(j);
        } else
                split_words(p, &out);
        *ret = out;
        return 0;
}

void lay_config_free(lay_config *c)
{
        strv_free(&c->env);
        strv_free(&c->cmd);
        strv_free(&c->entrypoint);
        strv_free(&c->labels);
        free(c->workdir);
        free(c->user);
        memset(c, 0, sizeof(*c));
}

void lay_manifest_free(lay_manifest *m)
{
        for (size_t i = 0; i < m->n_steps; i++) {
                strv_free(&m->steps[i].args);
                strv_free(&m->steps[i].env);
                free(m->steps[i].text);
                free(m->steps[i].workdir);
        }
        free(m->steps);
        free(m->base);
        free(m->dir);
        lay_config_free(&m->config);
        memset(m, 0, sizeof(*m));
}

/* Env: one KEY=VALUE per line (or blank-separated on one line); a later
 * value for a key replaces the earlier one. */
static int config_env(strv *env, const char *value, const char *what, unsigned line, err_t *e)
{
        _cleanup_strv_ strv items = {0};
        if (strchr(value, '\n'))
                split_lines(value, &items);
        else
                split_words(value, &items);
        for (size_t i = 0; i < items.n; i++) {
                const char *eq = strchr(items.v[i], '=');
                if (!eq || eq == items.v[i])
                        return err_set(e, -EINVAL, "%s:%u: Env: '%s' is not KEY=VALUE", what, line,
                                       items.v[i]);
                size_t kl = (size_t)(eq - items.v[i]) + 1;
                bool replaced = false;
                for (size_t k = 0; k < env->n && !replaced; k++)
                        if (!strncmp(env->v[k], items.v[i], kl)) {
                                free(env->v[k]);
                                env->v[k] = xstrdup(items.v[i]);
                                replaced = true;
                        }
                if (!replaced)
                        strv_push(env, items.v[i]);
        }
        return 0;
}

static bool known_field(const char *n)
{
        static const char *const names[] = {"Base",   "Add",   "Copy", "Include",    "Run",
                                            "Remove", "Env",   "Cmd",  "Entrypoint", "Workdir",
                                            "User",   "Label", "Deps", "Comment",    "Network"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (!strcasecmp(n, names[i]))
                        return true;
        return false;
}

/* The line of paragraph p's field `name` (its "Name:" line), for messages. */
static unsigned field_line(const deb822 *d, size_t p, const char *name)
{
        for (size_t i = 0; i < d->paras[p].n; i++)
                if (!strcasecmp(d->fields[d->paras[p].first + i].name, name))
                        return d->fields[d->paras[p].first + i].line;
        return d->paras[p].line;
}

static int parse_config_fields(lay_manifest *m, const deb822 *d, size_t p, const char *what,
                               err_t *e)
{
        const char *v;
        if ((v = deb822_get(d, p, "Env")) &&
            config_env(&m->config.env, v, what, field_line(d, p, "Env"), e) < 0)
                return -EINVAL;
        if ((v = deb822_get(d, p, "Cmd"))) {
                strv_free(&m->config.cmd);
                if (lay_parse_argv(v, &m->config.cmd, e) < 0)
                        return err_prefix(e, "%s:%u: Cmd", what, field_line(d, p, "Cmd"));
                m->config.have_cmd = true;
        }
        if ((v = deb822_get(d, p, "Entrypoint"))) {
                strv_free(&m->config.entrypoint);
                if (lay_parse_argv(v, &m->config.entrypoint, e) < 0)
                        return err_prefix(e, "%s:%u: Entrypoint", what,
                                          field_line(d, p, "Entrypoint"));
                m->config.have_entrypoint = true;
        }
        if ((v = deb822_get(d, p, "Workdir"))) {
                if (v[0] != '/')
                        return err_set(e, -EINVAL, "%s:%u: Workdir: '%.*s' is not absolute", what,
                                       field_line(d, p, "Workdir"), line_len(v), v);
                free(m->config.workdir);
                m->config.workdir = xstrdup(v);
        }
        if ((v = deb822_get(d, p, "User"))) {
                free(m->config.user);
                m->config.user = xstrdup(v);
        }
        if ((v = deb822_get(d, p, "Label"))) {
                _cleanup_strv_ strv items = {0};
                split_lines(v, &items);
                for (size_t i = 0; i < items.n; i++) {
                        if (!strchr(items.v[i], '=') || items.v[i][0] == '=')
                                return err_set(e, -EINVAL, "%s:%u: Label: '%s' is not KEY=VALUE",
                                               what, field_line(d, p, "Label"), items.v[i]);
                        strv_push(&m->config.labels, items.v[i]);
                }
        }
        if ((v = deb822_get(d, p, "Deps"))) {
                if (strcmp(v, "all") && strcmp(v, "missing"))
                        return err_set(e, -EINVAL, "%s:%u: Deps: '%.*s' (all or missing)", what,
                                       field_line(d, p, "Deps"), line_len(v), v);
                m->deps_all = !strcmp(v, "all");
        }
        return 0;
}

/* Network: yes|no (mkosi's WithNetwork=). -1 when the paragraph has none. */
static int parse_network(const deb822 *d, size_t p, const char *what, int *ret, err_t *e)
{
        const char *v = deb822_get(d, p, "Network");
        *ret = -1;
        if (!v)
                return 0;
        if (!strcasecmp(v, "yes") || !strcasecmp(v, "true"))
                *ret = 1;
        else if (!strcasecmp(v, "no") || !strcasecmp(v, "false"))
                *ret = 0;
        else
                return err_set(e, -EINVAL, "%s:%u: Network: '%.*s' (yes or no)", what,
                               field_line(d, p, "Network"), line_len(v), v);
        return 0;
}

/* net_default: the first paragraph's Network:, for every Run step. */
static int parse_step(lay_manifest *m, const deb822 *d, size_t p, const char *what,
                      bool net_default, err_t *e)
{
        unsigned line = d->paras[p].line;
        unsigned net_line = field_line(d, p, "Network");
        int net = -1;
        int found = -1;
        if (parse_network(d, p, what, &net, e) < 0)
                return -EINVAL;
        for (int k = 0; k < LAY_STEP_KIND_MAX; k++)
                if (deb822_get(d, p, step_names[k])) {
                        if (found >= 0)
                                return err_set(e, -EINVAL,
                                               "%s:%u: %s and %s in one paragraph: each step is "
                                               "a paragraph of its own",
                                               what, field_line(d, p, step_names[k]),
                                               step_names[found], step_names[k]);
                        found = k;
                }
        if (found < 0) {
                if (net >= 0 && p > 0)
                        return err_set(e, -EINVAL,
                                       "%s:%u: Network: goes with a Run step (or in the first "
                                       "paragraph, for all of them)",
                                       what, net_line);
                return 0;
        }
        if (net >= 0 && found != LAY_STEP_RUN && p > 0)
                return err_set(e, -EINVAL,
                               "%s:%u: Network: is for Run steps (%s gets what it needs by itself)",
                               what, net_line, step_names[found]);
        line = field_line(d, p, step_names[found]);
        const char *v = deb822_get(d, p, step_names[found]);
        lay_step st = {.kind = (lay_step_kind)found};
        switch (st.kind) {
        case LAY_STEP_RUN: strv_push(&st.args, v); break;
        case LAY_STEP_COPY:
                split_words(v, &st.args);
                if (st.args.n != 2) {
                        strv_free(&st.args);
                        return err_set(e, -EINVAL, "%s:%u: Copy: '%.*s': give SRC DEST, two words",
                                       what, line, line_len(v), v);
                }
                if (st.args.v[1][0] != '/') {
                        err_set(e, -EINVAL, "%s:%u: Copy: DEST '%s' is not absolute", what, line,
                                st.args.v[1]);
                        strv_free(&st.args);
                        return -EINVAL;
                }
                break;
        default: split_words(v, &st.args); break;
        }
        if (st.args.n == 0 || (st.kind == LAY_STEP_RUN && !*v)) {
                strv_free(&st.args);
                return err_set(e, -EINVAL, "%s:%u: %s: empty", what, line, step_names[found]);
        }
        if (st.kind == LAY_STEP_REMOVE)
                for (size_t i = 0; i < st.args.n; i++)
                        if (st.args.v[i][0] != '/' || strstr(st.args.v[i], "..")) {
                                err_set(e, -EINVAL,
                                        "%s:%u: Remove: '%s' is not an absolute path "
                                        "without '..'",
                                        what, line, st.args.v[i]);
                                strv_free(&st.args);
                                return -EINVAL;
                        }
        st.text = xasprintf("%s: %s", step_names[found], v);
        for (size_t i = 0; i < m->config.env.n; i++)
                strv_push(&st.env, m->config.env.v[i]);
        st.workdir = m->config.workdir ? xstrdup(m->config.workdir) : NULL;
        st.network = st.kind == LAY_STEP_RUN && (net >= 0 ? net == 1 : net_default);
        m->steps = xreallocarray(m->steps, m->n_steps + 1, sizeof(*m->steps));
        m->steps[m->n_steps++] = st;
        return 0;
}

int lay_manifest_parse(const char *data, size_t len, const char *what, const char *dir,
                       lay_manifest *ret, err_t *e)
{
        _cleanup_deb822_ deb822 d = {0};
        int r = deb822_parse(data, len, what, &d, e);
        if (r < 0)
                return r;
        if (d.n_paras == 0)
                return err_set(e, -EINVAL, "%s: empty manifest", what);
        lay_manifest m = {.dir = xstrdup(dir ? dir : ".")};
        const char *base = deb822_get(&d, 0, "Base");
        if (!base || !*base) {
                lay_manifest_free(&m);
                return err_set(e, -EINVAL,
                               "%s:%u: the first paragraph needs Base: (a suite, an image file "
                               "or scratch)",
                               what, d.paras[0].line);
        }
        m.base = xstrdup(base);
        int net_default = -1;
        r = parse_network(&d, 0, what, &net_default, e);
        if (r < 0) {
                lay_manifest_free(&m);
                return r;
        }
        for (size_t p = 0; p < d.n_paras; p++) {
                for (size_t f = 0; f < d.paras[p].n; f++) {
                        const deb822_field *df = &d.fields[d.paras[p].first + f];
                        const char *n = df->name;
                        if (!known_field(n)) {
                                err_set(e, -EINVAL, "%s:%u: unknown field '%s'", what, df->line, n);
                                lay_manifest_free(&m);
                                return -EINVAL;
                        }
                        if (p > 0 && !strcasecmp(n, "Base")) {
                                err_set(e, -EINVAL, "%s:%u: Base belongs in the first paragraph",
                                        what, df->line);
                                lay_manifest_free(&m);
                                return -EINVAL;
                        }
                }
                /* Config before the step: Env in the step's own paragraph
                 * applies to it. */
                r = parse_config_fields(&m, &d, p, what, e);
                if (r == 0)
                        r = parse_step(&m, &d, p, what, net_default == 1, e);
                if (r < 0) {
                        lay_manifest_free(&m);
                        return r;
                }
        }
        *ret = m;
        return 0;
}

int lay_manifest_load(const char *path, lay_manifest *ret, err_t *e)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = fs_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = path_dirname(path);
        r = lay_manifest_parse(data, len, path, dir, ret, e);
        struct stat st;
        if (r == 0 && stat(path, &st) == 0)
                ret->mtime = st.st_mtime;
        return r;
}
