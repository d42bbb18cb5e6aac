/* The image config's "config" object, checked on the way in; digests. */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define MAX_ITEMS 4096

const char *oci_digest_hex(const char *s)
{
        if (!s || strncmp(s, "sha256:", 7))
                return NULL;
        s += 7;
        size_t n = 0;
        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
                        return NULL;
        return n == DIGEST_HEX_LEN ? s : NULL;
}

void oci_config_free(oci_config *c)
{
        strv_free(&c->env);
        strv_free(&c->cmd);
        strv_free(&c->entrypoint);
        strv_free(&c->labels);
        free(c->workdir);
        free(c->user);
        memset(c, 0, sizeof(*c));
}

static json_object *strv_json(const strv *v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

json_object *oci_config_to_json(const oci_config *c)
{
        json_object *j = json_object_new_object();
        if (c->user)
                json_object_object_add(j, "User", json_object_new_string(c->user));
        if (c->env.n)
                json_object_object_add(j, "Env", strv_json(&c->env));
        if (c->have_entrypoint)
                json_object_object_add(j, "Entrypoint", strv_json(&c->entrypoint));
        if (c->have_cmd)
                json_object_object_add(j, "Cmd", strv_json(&c->cmd));
        if (c->workdir)
                json_object_object_add(j, "WorkingDir", json_object_new_string(c->workdir));
        if (c->labels.n) {
                json_object *l = json_object_new_object();
                for (size_t i = 0; i < c->labels.n; i++) {
                        const char *eq = strchr(c->labels.v[i], '=');
                        if (!eq)
                                continue;
                        _cleanup_free_ char *k =
                                xstrndup(c->labels.v[i], (size_t)(eq - c->labels.v[i]));
                        json_object_object_add(l, k, json_object_new_string(eq + 1));
                }
                json_object_object_add(j, "Labels", l);
        }
        return j;
}

/* A JSON string without an embedded NUL, else NULL. */
static const char *plain_string(json_object *v)
{
        if (!json_object_is_type(v, json_type_string))
                return NULL;
        const char *s = json_object_get_string(v);
        return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* null/absent: false, nothing added; an array of strings: true. */
static int take_strings(json_object *o, const char *key, bool need_eq, const char *what, strv *ret,
                        bool *ret_have, err_t *e)
{
        json_object *a = NULL;
        if (!json_object_object_get_ex(o, key, &a) || !a)
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return err_set(e, -EBADMSG, "%s: config.%s is not an array", what, key);
        size_t n = json_object_array_length(a);
        if (n > MAX_ITEMS)
                return err_set(e, -E2BIG, "%s: config.%s has more than %d items", what, key,
                               MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                const char *s = plain_string(json_object_array_get_idx(a, i));
                if (!s)
                        return err_set(e, -EBADMSG, "%s: config.%s[%zu] is not a string", what, key,
                                       i);
                if (need_eq && (s[0] == '=' || !strchr(s, '=')))
                        return err_set(e, -EBADMSG, "%s: config.%s[%zu] is not KEY=VALUE", what,
                                       key, i);
                strv_push(ret, s);
        }
        if (ret_have)
                *ret_have = true;
        return 0;
}

static int take_string(json_object *o, const char *key, const char *what, char **ret, err_t *e)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        const char *s = plain_string(v);
        if (!s)
                return err_set(e, -EBADMSG, "%s: config.%s is not a string", what, key);
        if (*s)
                *ret = xstrdup(s);
        return 0;
}

int oci_config_from_json(json_object *j, const char *what, oci_config *ret, err_t *e)
{
        oci_config c = {0};
        if (!j) {
                *ret = c;
                return 0;
        }
        if (!json_object_is_type(j, json_type_object))
                return err_set(e, -EBADMSG, "%s: config is not an object", what);
        int r = take_strings(j, "Env", true, what, &c.env, NULL, e);
        if (r == 0)
                r = take_strings(j, "Entrypoint", false, what, &c.entrypoint, &c.have_entrypoint,
                                 e);
        if (r == 0)
                r = take_strings(j, "Cmd", false, what, &c.cmd, &c.have_cmd, e);
        if (r == 0)
                r = take_string(j, "WorkingDir", what, &c.workdir, e);
        if (r == 0)
                r = take_string(j, "User", what, &c.user, e);
        json_object *l = NULL;
        if (r == 0 && json_object_object_get_ex(j, "Labels", &l) && l) {
                if (!json_object_is_type(l, json_type_object))
                        r = err_set(e, -EBADMSG, "%s: config.Labels is not an object", what);
                else if (json_object_object_length(l) > MAX_ITEMS)
                        r = err_set(e, -E2BIG, "%s: config.Labels has more than %d items", what,
                                    MAX_ITEMS);
                json_object_object_foreach(l, k, v)
                {
                        if (r < 0)
                                break;
                        const char *s = plain_string(v);
                        if (!s || strchr(k, '=') || !*k)
                                r = err_set(e, -EBADMSG,
                                            "%s: config.Labels[\"%s\"] is not a "
                                            "string label",
                                            what, OCI_ESC(k));
                        else
                                strv_push_take(&c.labels, xasprintf("%s=%s", k, s));
                }
        }
        if (r < 0) {
                oci_config_free(&c);
                return r;
        }
        *ret = c;
        return 0;
}
