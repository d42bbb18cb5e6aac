/* ocispec's JSON helpers: typed members of config.json, each error one line
 * naming config.json and the member's JSON path, warnings collected in the
 * spec's list. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec-internal.h"

/* (internal.h) */
void runner_printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

int spec_bad(parser *p, const char *path, const char *msg)
{
        int r = err_set(p->e, -EINVAL, WHAT ": %s: %s", path, msg);
        runner_printable(p->e->msg);
        return r;
}

void spec_warn(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void spec_warn(parser *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (m) {
                runner_printable(m);
                strv_push_take(&p->s->warnings, m);
        }
}

/* The member key of obj: NULL when absent or null. */
json_object *spec_member(json_object *obj, const char *key)
{
        json_object *v = NULL;
        if (!obj || !json_object_object_get_ex(obj, key, &v))
                return NULL;
        return v;
}

int spec_want_object(parser *p, json_object *v, const char *path)
{
        return json_object_is_type(v, json_type_object) ? 0
                                                        : spec_bad(p, path, "expected an object");
}

int spec_get_string(parser *p, json_object *v, const char *path, const char **ret)
{
        if (!json_object_is_type(v, json_type_string))
                return spec_bad(p, path, "expected a string");
        *ret = json_object_get_string(v);
        if (strlen(*ret) != (size_t)json_object_get_string_len(v))
                return spec_bad(p, path, "contains a NUL byte");
        return 0;
}

int spec_get_bool(parser *p, json_object *v, const char *path, bool *ret)
{
        if (!json_object_is_type(v, json_type_boolean))
                return spec_bad(p, path, "expected true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

int spec_get_int(parser *p, json_object *v, const char *path, int64_t min, int64_t max,
                 int64_t *ret)
{
        if (!json_object_is_type(v, json_type_int))
                return spec_bad(p, path, "expected an integer");
        errno = 0;
        int64_t n = json_object_get_int64(v);
        if (errno == EINVAL || n < min || n > max ||
            (n == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX))
                return spec_bad(p, path, "out of range");
        *ret = n;
        return 0;
}

/* An array of strings pushed onto ret (absent: nothing). */
int spec_get_strv(parser *p, json_object *v, const char *path, strv *ret)
{
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return spec_bad(p, path, "expected an array of strings");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                json_object *x = json_object_array_get_idx(v, i);
                if (!json_object_is_type(x, json_type_string) ||
                    strlen(json_object_get_string(x)) != (size_t)json_object_get_string_len(x))
                        return spec_bad(p, path, "expected an array of strings");
                strv_push(ret, json_object_get_string(x));
        }
        return 0;
}

/* Members of obj other than those in known[] (NULL-terminated): those
 * the specification defines are refused (runroot does not apply them, and
 * runc does); any other is ignored with a warning naming it, as runc
 * ignores what it does not know (an engine's extension, a later
 * version's member). */
int spec_only_known(parser *p, json_object *obj, const char *path, const char *const *known)
{
        static const char *const spec_defined[] = {"linux.intelRdt",         "linux.timeOffsets",
                                                   "linux.memoryPolicy",     "linux.netDevices",
                                                   "process.ioPriority",     "process.scheduler",
                                                   "process.execCPUAffinity"};
        json_object_object_foreach(obj, key, val)
        {
                (void)val;
                bool ok = false;
                for (size_t i = 0; known[i] && !ok; i++)
                        ok = !strcmp(key, known[i]);
                if (ok)
                        continue;
                char buf[256];
                snprintf(buf, sizeof buf, "%s%s%.64s", path, *path ? "." : "", key);
                for (size_t i = 0; i < ARRAY_SIZE(spec_defined); i++)
                        if (!strcmp(buf, spec_defined[i]))
                                return spec_bad(p, buf, "not supported by runroot");
                spec_warn(p, WHAT ": %s: unknown member, ignored", buf);
        }
        return 0;
}

bool spec_empty(json_object *v)
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
