/* seccomp-profile: docker's JSON seccomp profile (--security-opt
 * seccomp=FILE), parsed with json-c into rules, then built with
 * libseccomp for the container's capability set and exported as BPF like
 * the default filter. Fields: defaultAction, defaultErrnoRet,
 * architectures or archMap, syscalls[] with names (or name), action,
 * errnoRet, args[] {index, value, valueTwo, op}, includes and excludes
 * {caps, arches, minKernel}. Syscall names this libseccomp does not know
 * are skipped (as docker does); other fields (comment, flags,
 * listenerPath, ...) are not used. */
#include <fcntl.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "security-internal.h"

#define ARGS_MAX 16
#define ARCHES_MAX 32
#define PROFILE_MAX (4 << 20)

typedef struct cond {
        strv arches;
        uint64_t caps;
        bool caps_unknown; /* a cap name not known here: never held */
        int kernel[2];     /* minKernel major, minor; -1 when absent */
} cond;

typedef struct rule {
        strv names;
        uint32_t action;
        struct scmp_arg_cmp args[ARGS_MAX];
        unsigned nargs;
        cond inc, exc;
} rule;

struct sec_profile {
        char *what;
        uint32_t default_action;
        uint32_t arches[ARCHES_MAX];
        size_t narches;
        rule *rules;
        size_t nrules;
};

void sec_profile_free(sec_profile *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->nrules; i++) {
                strv_free(&p->rules[i].names);
                strv_free(&p->rules[i].inc.arches);
                strv_free(&p->rules[i].exc.arches);
        }
        free(p->rules);
        free(p->what);
        free(p);
}

/* s as messages show it: one line, at most 40 characters. */
static const char *shown(const char *s, char buf[48])
{
        size_t i = 0;
        for (; s[i] && i < 40; i++)
                buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
        buf[i] = 0;
        return buf;
}

/* A non-negative JSON integer up to max. */
static int get_uint(json_object *v, uint64_t max, const char *what, const char *field,
                    uint64_t *ret, err_t *e)
{
        if (!json_object_is_type(v, json_type_int))
                return err_set(e, -EINVAL, "%s: %s: expected a number", what, field);
        if (json_object_get_int64(v) < 0)
                return err_set(e, -EINVAL, "%s: %s: negative", what, field);
        uint64_t u = json_object_get_uint64(v);
        if (u > max)
                return err_set(e, -EINVAL, "%s: %s: %llu is too large", what, field,
                               (unsigned long long)u);
        *ret = u;
        return 0;
}

/* Member key of obj if present: 0 with *ret NULL when absent; type
 * checked when present. */
static int member(json_object *obj, const char *key, json_type type, const char *what,
                  const char *field, json_object **ret, err_t *e)
{
        *ret = NULL;
        json_object *v;
        if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (type != json_type_int && !json_object_is_type(v, type))
                return err_set(e, -EINVAL, "%s: %s: expected %s", what, field,
                               type == json_type_string  ? "a string"
                               : type == json_type_array ? "an array"
                                                         : "an object");
        *ret = v;
        return 0;
}

static int parse_action(const char *name, json_object *ret_v, const char *what, const char *field,
                        uint32_t *ret, err_t *e)
{
        uint64_t n = EPERM;
        bool errno_like = !strcmp(name, "SCMP_ACT_ERRNO") || !strcmp(name, "SCMP_ACT_TRACE");
        if (ret_v && errno_like) {
                _cleanup_free_ char *f = xasprintf("%s errno", field);
                int r = get_uint(ret_v, name[9] == 'E' ? 4095 : 65535, what, f, &n, e);
                if (r < 0)
                        return r;
        }
        if (!strcmp(name, "SCMP_ACT_ERRNO"))
                *ret = SCMP_ACT_ERRNO((uint32_t)n);
        else if (!strcmp(name, "SCMP_ACT_TRACE"))
                *ret = SCMP_ACT_TRACE((uint32_t)n);
        else if (!strcmp(name, "SCMP_ACT_ALLOW"))
                *ret = SCMP_ACT_ALLOW;
        else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
                *ret = SCMP_ACT_KILL;
        else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
                *ret = SCMP_ACT_KILL_PROCESS;
        else if (!strcmp(name, "SCMP_ACT_TRAP"))
                *ret = SCMP_ACT_TRAP;
        else if (!strcmp(name, "SCMP_ACT_LOG"))
                *ret = SCMP_ACT_LOG;
        else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
                return err_set(e, -EOPNOTSUPP, "%s: %s: SCMP_ACT_NOTIFY is not supported", what,
                               field);
        else
                return err_set(e, -EINVAL, "%s: %s: unknown action \"%s\"", what, field,
                               shown(name, (char[48]){0}));
        return 0;
}

static int parse_arch(const char *name, const char *what, uint32_t *ret, err_t *e)
{
        char low[32], b[48];
        size_t n = strlen(name);
        if (strncmp(name, "SCMP_ARCH_", 10) != 0 || n == 10 || n - 10 >= sizeof low)
                return err_set(e, -EINVAL, "%s: unknown architecture \"%s\"", what, shown(name, b));
        n -= 10;
        for (size_t i = 0; i <= n; i++)
                low[i] = (char)(name[10 + i] >= 'A' && name[10 + i] <= 'Z' ? name[10 + i] + 32
                                                                           : name[10 + i]);
        /* 0: a name this libseccomp does not know (a newer one's), skipped. */
        *ret = seccomp_arch_resolve_name(low);
        return 0;
}

static int parse_strings(json_object *arr, const char *what, const char *field, strv *out, err_t *e)
{
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *s = json_object_array_get_idx(arr, i);
                if (!json_object_is_type(s, json_type_string))
                        return err_set(e, -EINVAL, "%s: %s[%zu]: expected a string", what, field,
                                       i);
                strv_push(out, json_object_get_string(s));
        }
        return 0;
}

static int add_arch(sec_profile *p, const char *name, err_t *e)
{
        uint32_t a;
        int r = parse_arch(name, p->what, &a, e);
        if (r < 0)
                return r;
        if (!a) {
                log_debug("%s: architecture %s unknown to libseccomp: skipped", p->what, name);
                return 0;
        }
        if (p->narches == ARCHES_MAX)
                return err_set(e, -E2BIG, "%s: too many architectures", p->what);
        p->arches[p->narches++] = a;
        return 0;
}

static int parse_arches(sec_profile *p, json_object *top, err_t *e)
{
        json_object *list = NULL, *map = NULL;
        int r = member(top, "architectures", json_type_array, p->what, "architectures", &list, e);
        if (r == 0)
                r = member(top, "archMap", json_type_array, p->what, "archMap", &map, e);
        if (r < 0)
                return r;
        _cleanup_strv_ strv names = {0};
        if (list && (r = parse_strings(list, p->what, "architectures", &names, e)) < 0)
                return r;
        uint32_t native = seccomp_arch_native();
        for (size_t i = 0; map && i < json_object_array_length(map); i++) {
                json_object *m = json_object_array_get_idx(map, i), *a, *subs;
                char f[48];
                snprintf(f, sizeof f, "archMap[%zu]", i);
                if (!json_object_is_type(m, json_type_object))
                        return err_set(e, -EINVAL, "%s: %s: expected an object", p->what, f);
                r = member(m, "architecture", json_type_string, p->what, f, &a, e);
                if (r == 0)
                        r = member(m, "subArchitectures", json_type_array, p->what, f, &subs, e);
                if (r < 0)
                        return r;
                uint32_t tok = 0;
                if (a && (r = parse_arch(json_object_get_string(a), p->what, &tok, e)) < 0)
                        return r;
                _cleanup_strv_ strv sub = {0};
                if (subs && (r = parse_strings(subs, p->what, f, &sub, e)) < 0)
                        return r;
                /* docker: the entry of the native architecture, with its
                 * sub-architectures. */
                if (!a || tok != native)
                        continue;
                strv_push(&names, json_object_get_string(a));
                for (size_t j = 0; j < sub.n; j++)
                        strv_push(&names, sub.v[j]);
        }
        for (size_t i = 0; i < names.n; i++)
                if ((r = add_arch(p, names.v[i], e)) < 0)
                        return r;
        return 0;
}

static int parse_cond(json_object *obj, const char *what, const char *field, cond *c, err_t *e)
{
        c->kernel[0] = c->kernel[1] = -1;
        if (!obj)
                return 0;
        if (!json_object_is_type(obj, json_type_object))
                return err_set(e, -EINVAL, "%s: %s: expected an object", what, field);
        json_object *caps = NULL, *arches = NULL, *k = NULL;
        int r = member(obj, "caps", json_type_array, what, field, &caps, e);
        if (r == 0)
                r = member(obj, "arches", json_type_array, what, field, &arches, e);
        if (r == 0)
                r = member(obj, "minKernel", json_type_string, what, field, &k, e);
        if (r < 0)
                return r;
        if (arches && (r = parse_strings(arches, what, field, &c->arches, e)) < 0)
                return r;
        _cleanup_strv_ strv names = {0};
        if (caps && (r = parse_strings(caps, what, field, &names, e)) < 0)
                return r;
        for (size_t i = 0; i < names.n; i++) {
                int cap;
                if (sec_cap_from_name(names.v[i], &cap) < 0)
                        c->caps_unknown = true;
                else
                        c->caps |= UINT64_C(1) << cap;
        }
        if (k && sscanf(json_object_get_string(k), "%d.%d", &c->kernel[0], &c->kernel[1]) != 2)
                return err_set(e, -EINVAL, "%s: %s: minKernel: expected MAJOR.MINOR", what, field);
        return 0;
}

static int parse_args(json_object *arr, const char *what, const char *field, rule *rl, err_t *e)
{
        static const struct {
                const char *name;
                enum scmp_compare op;
        } ops[] = {
                {"SCMP_CMP_NE", SCMP_CMP_NE},
                {"SCMP_CMP_LT", SCMP_CMP_LT},
                {"SCMP_CMP_LE", SCMP_CMP_LE},
                {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                {"SCMP_CMP_GE", SCMP_CMP_GE},
                {"SCMP_CMP_GT", SCMP_CMP_GT},
                {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
        };
        size_t n = json_object_array_length(arr);
        if (n > ARGS_MAX)
                return err_set(e, -E2BIG, "%s: %s: more than %d args", what, field, ARGS_MAX);
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_array_get_idx(arr, i), *idx, *val, *val2, *op;
                char f[96];
                snprintf(f, sizeof f, "%s.args[%zu]", field, i);
                if (!json_object_is_type(a, json_type_object))
                        return err_set(e, -EINVAL, "%s: %s: expected an object", what, f);
                int r = member(a, "index", json_type_int, what, f, &idx, e);
                if (r == 0)
                        r = member(a, "value", json_type_int, what, f, &val, e);
                if (r == 0)
                        r = member(a, "valueTwo", json_type_int, what, f, &val2, e);
                if (r == 0)
                        r = member(a, "op", json_type_string, what, f, &op, e);
                if (r < 0)
                        return r;
                if (!op)
                        return err_set(e, -EINVAL, "%s: %s: no op", what, f);
                uint64_t index = 0, v1 = 0, v2 = 0;
                if ((idx && (r = get_uint(idx, 5, what, f, &index, e)) < 0) ||
                    (val && (r = get_uint(val, UINT64_MAX, what, f, &v1, e)) < 0) ||
                    (val2 && (r = get_uint(val2, UINT64_MAX, what, f, &v2, e)) < 0))
                        return r;
                const char *on = json_object_get_string(op);
                size_t k = 0;
                while (k < ARRAY_SIZE(ops) && strcmp(ops[k].name, on) != 0)
                        k++;
                if (k == ARRAY_SIZE(ops))
                        return err_set(e, -EINVAL, "%s: %s: unknown op \"%s\"", what, f,
                                       shown(on, (char[48]){0}));
                /* MASKED_EQ: value is the mask, valueTwo what must match. */
                rl->args[rl->nargs++] = (struct scmp_arg_cmp){
                        .arg = (unsigned)index, .op = ops[k].op, .datum_a = v1, .datum_b = v2};
        }
        return 0;
}

static int parse_rule(json_object *s, const char *what, size_t i, rule *rl, err_t *e)
{
        char f[48];
        snprintf(f, sizeof f, "syscalls[%zu]", i);
        if (!json_object_is_type(s, json_type_object))
                return err_set(e, -EINVAL, "%s: %s: expected an object", what, f);
        json_object *names = NULL, *name = NULL, *action = NULL, *ret = NULL, *args = NULL;
        json_object *inc = NULL, *exc = NULL;
        int r = member(s, "names", json_type_array, what, f, &names, e);
        if (r == 0)
                r = member(s, "name", json_type_string, what, f, &name, e);
        if (r == 0)
                r = member(s, "action", json_type_string, what, f, &action, e);
        if (r == 0)
                r = member(s, "errnoRet", json_type_int, what, f, &ret, e);
        if (r == 0)
                r = member(s, "args", json_type_array, what, f, &args, e);
        if (r < 0)
                return r;
        json_object_object_get_ex(s, "includes", &inc);
        json_object_object_get_ex(s, "excludes", &exc);
        if (names && name)
                return err_set(e, -EINVAL, "%s: %s: both name and names", what, f);
        if (!action)
                return err_set(e, -EINVAL, "%s: %s: no action", what, f);
        if (names && (r = parse_strings(names, what, f, &rl->names, e)) < 0)
                return r;
        if (name)
                strv_push(&rl->names, json_object_get_string(name));
        r = parse_action(json_object_get_string(action), ret, what, f, &rl->action, e);
        if (r == 0 && args)
                r = parse_args(args, what, f, rl, e);
        if (r == 0)
                r = parse_cond(json_object_is_type(inc, json_type_null) ? NULL : inc, what, f,
                               &rl->inc, e);
        if (r == 0)
                r = parse_cond(json_object_is_type(exc, json_type_null) ? NULL : exc, what, f,
                               &rl->exc, e);
        return r;
}

static void tok_free(struct json_tokener **t)
{
        if (*t)
                json_tokener_free(*t);
}

static void obj_put(json_object **o)
{
        if (*o)
                json_object_put(*o);
}

static int parse_top(sec_profile *p, json_object *top, err_t *e)
{
        if (!json_object_is_type(top, json_type_object))
                return err_set(e, -EINVAL, "%s: expected a JSON object", p->what);
        json_object *def = NULL, *def_ret = NULL, *calls = NULL;
        int r = member(top, "defaultAction", json_type_string, p->what, "defaultAction", &def, e);
        if (r == 0)
                r = member(top, "defaultErrnoRet", json_type_int, p->what, "defaultErrnoRet",
                           &def_ret, e);
        if (r == 0)
                r = member(top, "syscalls", json_type_array, p->what, "syscalls", &calls, e);
        if (r < 0)
                return r;
        if (!def)
                return err_set(e, -EINVAL, "%s: no defaultAction", p->what);
        r = parse_action(json_object_get_string(def), def_ret, p->what, "defaultAction",
                         &p->default_action, e);
        if (r == 0)
                r = parse_arches(p, top, e);
        if (r < 0)
                return r;
        size_t n = calls ? json_object_array_length(calls) : 0;
        p->rules = xcalloc(n ? n : 1, sizeof *p->rules);
        for (size_t i = 0; i < n; i++) {
                p->nrules = i + 1;
                r = parse_rule(json_object_array_get_idx(calls, i), p->what, i, &p->rules[i], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sec_profile_parse(const char *text, size_t len, const char *what, sec_profile **ret, err_t *e)
{
        if (len > PROFILE_MAX || len > INT32_MAX)
                return err_set(e, -EFBIG, "%s: larger than %d bytes", what, PROFILE_MAX);
        __attribute__((cleanup(tok_free))) struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return err_set(e, -ENOMEM, "%s: out of memory", what);
        __attribute__((cleanup(obj_put))) json_object *top =
                json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        if (!top || jerr != json_tokener_success)
                return err_set(e, -EINVAL, "%s: not valid JSON: %s", what,
                               json_tokener_error_desc(jerr == json_tokener_continue
                                                               ? json_tokener_error_parse_eof
                                                               : jerr));
        for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
                if (!strchr(" \t\r\n", text[i]))
                        return err_set(e, -EINVAL, "%s: not valid JSON: text after the object",
                                       what);
        sec_profile *p = xcalloc(1, sizeof *p);
        p->what = xstrdup(what);
        int r = parse_top(p, top, e);
        if (r < 0) {
                sec_profile_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

/* ---- building ---------------------------------------------------------- */

/* The names docker's includes/excludes use for the native architecture
 * (Go's, and libseccomp's without the prefix). */
static bool native_in(const strv *arches)
{
        static const struct {
                uint32_t arch;
                const char *names[2];
        } tab[] = {
                {SCMP_ARCH_X86_64, {"amd64", "x86_64"}},
                {SCMP_ARCH_X86, {"386", "x86"}},
                {SCMP_ARCH_X32, {"x32", "x32"}},
                {SCMP_ARCH_AARCH64, {"arm64", "aarch64"}},
                {SCMP_ARCH_ARM, {"arm", "arm"}},
                {SCMP_ARCH_PPC64LE, {"ppc64le", "ppc64le"}},
                {SCMP_ARCH_S390X, {"s390x", "s390x"}},
                {SCMP_ARCH_S390, {"s390", "s390"}},
                {SCMP_ARCH_RISCV64, {"riscv64", "riscv64"}},
        };
        uint32_t native = seccomp_arch_native();
        for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
                if (tab[i].arch == native)
                        for (size_t j = 0; j < arches->n; j++)
                                if (!strcmp(arches->v[j], tab[i].names[0]) ||
                                    !strcmp(arches->v[j], tab[i].names[1]))
                                        return true;
        return false;
}

static bool kernel_at_least(const int want[2])
{
        struct utsname u;
        int major = 0, minor = 0;
        if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
                return false;
        return major > want[0] || (major == want[0] && minor >= want[1]);
}

/* docker's reading: an exclude that matches drops the rule, an include
 * must match in full (every cap held). */
static bool applies(const rule *rl, uint64_t keep)
{
        if (rl->exc.arches.n && native_in(&rl->exc.arches))
                return false;
        if (rl->exc.caps & keep)
                return false;
        if (rl->exc.kernel[0] >= 0 && kernel_at_least(rl->exc.kernel))
                return false;
        if (rl->inc.arches.n && !native_in(&rl->inc.arches))
                return false;
        if (rl->inc.caps_unknown || (rl->inc.caps & keep) != rl->inc.caps)
                return false;
        if (rl->inc.kernel[0] >= 0 && !kernel_at_least(rl->inc.kernel))
                return false;
        return true;
}

static int add_one(scmp_filter_ctx ctx, const char *what, const rule *rl, const char *name, int nr,
                   unsigned n, const struct scmp_arg_cmp *args, err_t *e)
{
        int r = seccomp_rule_add_array(ctx, rl->action, nr, n, args);
        if (r == -EEXIST || r == -EDOM) {
                /* EDOM: argument filters on a multiplexed call of a compat
                 * ABI (socketcall), which libseccomp cannot express. */
                log_debug("%s: rule for %s not added: %s", what, name, strerror(-r));
                return 0;
        }
        if (r < 0)
                return err_sys(e, -r, "%s: rule for %s", what, name);
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, const sec_profile *p, const rule *rl, err_t *e)
{
        /* Several conditions on one argument: one rule each (any of them
         * matches), as docker does; else one rule with all of them. */
        bool same = false;
        for (unsigned i = 0; i < rl->nargs; i++)
                for (unsigned j = i + 1; j < rl->nargs; j++)
                        same |= rl->args[i].arg == rl->args[j].arg;
        for (size_t i = 0; i < rl->names.n; i++) {
                const char *name = rl->names.v[i];
                int nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR) {
                        log_debug("%s: syscall %s unknown to libseccomp: skipped", p->what, name);
                        continue;
                }
                int r = 0;
                if (!same)
                        r = add_one(ctx, p->what, rl, name, nr, rl->nargs, rl->args, e);
                for (unsigned k = 0; same && r == 0 && k < rl->nargs; k++)
                        r = add_one(ctx, p->what, rl, name, nr, 1, &rl->args[k], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void ctx_release(scmp_filter_ctx *c)
{
        if (*c)
                seccomp_release(*c);
}

int sec_profile_export(const sec_profile *p, uint64_t keep, uint8_t **ret_prog, size_t *ret_len,
                       err_t *e)
{
        __attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = seccomp_init(p->default_action);
        if (!ctx)
                return err_set(e, -EINVAL, "%s: libseccomp refuses the defaultAction", p->what);
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0 && r != -EINVAL && r != -EOPNOTSUPP)
                return err_sys(e, -r, "%s: optimize", p->what);
        for (size_t i = 0; i < p->narches; i++) {
                r = seccomp_arch_add(ctx, p->arches[i]);
                if (r < 0 && r != -EEXIST)
                        return err_sys(e, -r, "%s: add architecture %#x", p->what, p->arches[i]);
        }
        for (size_t i = 0; i < p->nrules; i++) {
                const rule *rl = &p->rules[i];
                /* libseccomp refuses a rule that does what the default does. */
                if (!applies(rl, keep) || rl->action == p->default_action)
                        continue;
                r = add_rule(ctx, p, rl, e);
                if (r < 0)
                        return r;
        }
        return sec_seccomp_ctx_export(ctx, ret_prog, ret_len, e);
}

int sec_profile_read(const char *path, char **ret, size_t *ret_len, err_t *e)
{
        int r = fs_read_file_at(AT_FDCWD, path, PROFILE_MAX, ret, ret_len, e);
        return r < 0 ? err_prefix(e, "seccomp profile") : 0;
}

int sec_profile_export_text(const char *path, const char *data, size_t len, uint64_t keep,
                            uint8_t **ret_prog, size_t *ret_len, err_t *e)
{
        sec_profile *p = NULL;
        _cleanup_free_ char *what = xasprintf("seccomp profile %s", path);
        int r = sec_profile_parse(data, len, what, &p, e);
        if (r == 0 && ret_prog)
                r = sec_profile_export(p, keep, ret_prog, ret_len, e);
        sec_profile_free(p);
        return r;
}

int sec_profile_export_file(const char *path, uint64_t keep, uint8_t **ret_prog, size_t *ret_len,
                            err_t *e)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = sec_profile_read(path, &data, &len, e);
        return r < 0 ? r : sec_profile_export_text(path, data, len, keep, ret_prog, ret_len, e);
}
