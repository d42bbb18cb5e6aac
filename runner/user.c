/* The command's user (from the image's /etc/passwd and /etc/group, read
 * inside the container) and its environment (clean defaults, nothing from
 * the host unless asked for by -e KEY). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static bool parse_id(const char *s, unsigned long *ret)
{
        if (!*s)
                return false;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v >= 0xffffffffUL || s[0] == '-')
                return false;
        *ret = v;
        return true;
}

/* Look a name or number up in a colon file ("passwd" or "group"): the
 * fields of the first matching line. */
static bool colon_lookup(const char *file, const char *key, bool by_id, strv *ret)
{
        _cleanup_fclose_ FILE *f = fopen(file, "re");
        if (!f)
                return false;
        char line[4096];
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                strv fields = {0};
                char *s = line;
                for (;;) {
                        char *c = strchr(s, ':');
                        if (c)
                                *c = '\0';
                        strv_push(&fields, s);
                        if (!c)
                                break;
                        s = c + 1;
                }
                if (fields.n >= 3 && !strcmp(fields.v[by_id ? 2 : 0], key)) {
                        *ret = fields;
                        return true;
                }
                strv_free(&fields);
        }
        return false;
}

int user_resolve(const char *spec, run_user *ret, err_t *e)
{
        run_user u = {0};
        _cleanup_free_ char *s = xstrdup(spec ? spec : "0");
        char *grp = strchr(s, ':');
        if (grp)
                *grp++ = '\0';
        unsigned long id;
        _cleanup_strv_ strv pw = {0};
        bool numeric = parse_id(s, &id);
        bool found = colon_lookup("/etc/passwd", s, numeric, &pw);
        if (numeric) {
                u.uid = (uid_t)id;
        } else if (found && pw.n >= 4 && parse_id(pw.v[2], &id)) {
                u.uid = (uid_t)id;
        } else {
                return err_set(e, -ENOENT, "user \"%s\": not in the image's /etc/passwd", s);
        }
        unsigned long gid = 0;
        if (found && pw.n >= 4 && parse_id(pw.v[3], &gid))
                u.gid = (gid_t)gid;
        else
                u.gid = numeric ? (gid_t)id : 0;
        u.home = xstrdup(found && pw.n >= 6 && pw.v[5][0] == '/' ? pw.v[5] : "/");
        if (grp) {
                _cleanup_strv_ strv gr = {0};
                if (parse_id(grp, &gid))
                        u.gid = (gid_t)gid;
                else if (colon_lookup("/etc/group", grp, false, &gr) && parse_id(gr.v[2], &gid))
                        u.gid = (gid_t)gid;
                else {
                        free(u.home);
                        return err_set(e, -ENOENT, "group \"%s\": not in the image's /etc/group",
                                       grp);
                }
        }
        /* Supplementary groups: those listing the user by name. */
        u.groups = xmalloc(sizeof(gid_t));
        u.groups[u.ngroups++] = u.gid;
        _cleanup_fclose_ FILE *f = found ? fopen("/etc/group", "re") : NULL;
        char line[4096];
        while (f && fgets(line, sizeof line, f) && u.ngroups < 64) {
                line[strcspn(line, "\n")] = '\0';
                char *f1 = strchr(line, ':');
                char *f2 = f1 ? strchr(f1 + 1, ':') : NULL;
                char *f3 = f2 ? strchr(f2 + 1, ':') : NULL;
                if (!f3)
                        continue;
                *f3 = '\0';
                unsigned long g;
                if (!parse_id(f2 + 1, &g) || (gid_t)g == u.gid)
                        continue;
                char *save = NULL;
                for (char *m = strtok_r(f3 + 1, ",", &save); m; m = strtok_r(NULL, ",", &save))
                        if (!strcmp(m, pw.v[0])) {
                                u.groups = xreallocarray(u.groups, u.ngroups + 1, sizeof(gid_t));
                                u.groups[u.ngroups++] = (gid_t)g;
                                break;
                        }
        }
        *ret = u;
        return 0;
}

static void env_set(strv *env, const char *kv)
{
        size_t klen = strcspn(kv, "=");
        for (size_t i = 0; i < env->n; i++)
                if (!strncmp(env->v[i], kv, klen) && env->v[i][klen] == '=') {
                        free(env->v[i]);
                        env->v[i] = xstrdup(kv);
                        return;
                }
        strv_push(env, kv);
}

static int env_add(strv *env, const char *item, char *const host_env[], err_t *e)
{
        if (!item[0] || item[0] == '=')
                return err_set(e, -EINVAL, "-e \"%s\": expected KEY=VALUE or KEY", item);
        if (strchr(item, '=')) {
                env_set(env, item);
                return 0;
        }
        /* "-e KEY": the host's value when it has one (docker's rule). */
        size_t klen = strlen(item);
        for (char *const *p = host_env; p && *p; p++)
                if (!strncmp(*p, item, klen) && (*p)[klen] == '=') {
                        env_set(env, *p);
                        break;
                }
        return 0;
}

int env_file_read(const char *path, strv *out, err_t *e)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = fs_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, e);
        if (r < 0)
                return err_prefix(e, "--env-file");
        char *save = NULL;
        for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                while (*l == ' ' || *l == '\t')
                        l++;
                size_t n = strlen(l);
                if (n && l[n - 1] == '\r')
                        l[--n] = '\0';
                if (!*l || *l == '#')
                        continue;
                strv_push(out, l);
        }
        return 0;
}

int env_build(const strv *image_env, const strv *env_files, const strv *env, char *const host_env[],
              const char *home, const char *hostname, const char *term, strv *ret, err_t *e)
{
        strv out = {0};
        strv_push(&out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        strv_push_take(&out, xasprintf("HOME=%s", home ? home : "/"));
        if (hostname)
                strv_push_take(&out, xasprintf("HOSTNAME=%s", hostname));
        if (term)
                strv_push_take(&out, xasprintf("TERM=%s", term));
        /* KEY=VALUE only (the config parser checks): never the host's. */
        for (size_t i = 0; image_env && i < image_env->n; i++)
                if (strchr(image_env->v[i], '=') && image_env->v[i][0] != '=')
                        env_set(&out, image_env->v[i]);
        for (size_t i = 0; env_files && i < env_files->n; i++) {
                int r = env_add(&out, env_files->v[i], host_env, e);
                if (r < 0) {
                        strv_free(&out);
                        return r;
                }
        }
        for (size_t i = 0; env && i < env->n; i++) {
                int r = env_add(&out, env->v[i], host_env, e);
                if (r < 0) {
                        strv_free(&out);
                        return r;
                }
        }
        /* NULL-terminated for execve. */
        strv_push(&out, "");
        free(out.v[out.n - 1]);
        out.v[--out.n] = NULL;
        *ret = out;
        return 0;
}
