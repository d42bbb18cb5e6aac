/* docker's --mount type=bind|tmpfs,KEY=VALUE,...: checked here and
 * turned into the -v SRC:DST[:ro] or --tmpfs DST:OPTIONS entry it means,
 * so that mounts.c has one path for all of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

typedef enum mount_kind {
        MOUNT_KIND_NONE,
        MOUNT_KIND_BIND,
        MOUNT_KIND_TMPFS,
        MOUNT_KIND_MAX
} mount_kind;

typedef struct mount_opt {
        mount_kind kind;
        char *src, *dst;
        bool ro;
        char *tmpfs_size, *tmpfs_mode;      /* checked values */
        const char *bind_only, *tmpfs_only; /* a key given that needs that type */
        bool slave;                         /* bind-propagation=slave or rslave */
} mount_opt;

static void mount_opt_free(mount_opt *m)
{
        free(m->src);
        free(m->dst);
        free(m->tmpfs_size);
        free(m->tmpfs_mode);
}

static bool key_is(const char *key, const char *const *names)
{
        for (; *names; names++)
                if (!strcmp(key, *names))
                        return true;
        return false;
}

/* The type= field (or its absence), before anything else: a volume is
 * refused as such, whatever keys come with it. */
static int mount_type(const char *spec, const strv *fields, mount_kind *ret, err_t *e)
{
        const char *type = NULL;
        for (size_t i = 0; i < fields->n; i++)
                if (!strncmp(fields->v[i], "type=", 5))
                        type = fields->v[i] + 5;
        if (!type)
                return err_set(e, -EINVAL,
                               "--mount %s: no type= given (docker's default, a named volume, is "
                               "not supported): use type=bind,source=HOSTDIR or type=tmpfs",
                               spec);
        if (!strcmp(type, "volume"))
                return err_set(e, -ENOTSUP,
                               "--mount %s: type=volume: named volumes are not supported: use "
                               "type=bind,source=HOSTDIR",
                               spec);
        if (!strcmp(type, "bind"))
                *ret = MOUNT_KIND_BIND;
        else if (!strcmp(type, "tmpfs"))
                *ret = MOUNT_KIND_TMPFS;
        else
                return err_set(e, -EINVAL, "--mount %s: unknown type \"%s\" (bind or tmpfs)", spec,
                               type);
        return 0;
}

static int mount_field(const char *spec, const char *f, mount_opt *m, err_t *e)
{
        static const char *const src_keys[] = {"source", "src", NULL};
        static const char *const dst_keys[] = {"target", "destination", "dst", NULL};
        static const char *const ro_keys[] = {"readonly", "ro", NULL};
        const char *eq = strchr(f, '=');
        _cleanup_free_ char *key = eq ? xstrndup(f, (size_t)(eq - f)) : xstrdup(f);
        const char *v = eq ? eq + 1 : NULL;
        if (!strcmp(key, "type"))
                return 0;
        if (key_is(key, ro_keys)) {
                if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
                        m->ro = true;
                else if (!strcmp(v, "false") || !strcmp(v, "0"))
                        m->ro = false;
                else
                        return err_set(e, -EINVAL, "--mount %s: %s: expected true or false", spec,
                                       f);
                return 0;
        }
        bool known = key_is(key, src_keys) || key_is(key, dst_keys) ||
                     !strcmp(key, "bind-propagation") || !strcmp(key, "tmpfs-size") ||
                     !strcmp(key, "tmpfs-mode");
        if (!known)
                return err_set(e, -EINVAL, "--mount %s: unknown key \"%s\"", spec, key);
        if (!v || !*v)
                return err_set(e, -EINVAL, "--mount %s: %s needs a value (%s=VALUE)", spec, key,
                               key);
        if (key_is(key, src_keys) || key_is(key, dst_keys)) {
                if (strchr(v, ':'))
                        return err_set(e, -EINVAL,
                                       "--mount %s: %s %s: a path with ':' is not "
                                       "supported",
                                       spec, key, v);
                char **slot = key_is(key, src_keys) ? &m->src : &m->dst;
                free(*slot);
                *slot = xstrdup(v);
        } else if (!strcmp(key, "bind-propagation")) {
                m->bind_only = "bind-propagation";
                if (!strcmp(v, "private") || !strcmp(v, "rprivate"))
                        m->slave = false; /* what every other mount of runroot's is */
                else if (!strcmp(v, "slave") || !strcmp(v, "rslave"))
                        m->slave = true;
                else if (!strcmp(v, "shared") || !strcmp(v, "rshared"))
                        return err_set(e, -ENOTSUP,
                                       "--mount %s: bind-propagation=%s: not supported (the "
                                       "container's mounts never reach the host: private, "
                                       "rprivate, slave or rslave)",
                                       spec, v);
                else
                        return err_set(e, -EINVAL,
                                       "--mount %s: bind-propagation=%s: expected private, "
                                       "rprivate, slave or rslave",
                                       spec, v);
        } else if (!strcmp(key, "tmpfs-size")) {
                m->tmpfs_only = "tmpfs-size";
                int64_t n = 0;
                if (parse_size(v, &n) < 0 || n < 4096)
                        return err_set(e, -EINVAL,
                                       "--mount %s: tmpfs-size=%s: expected a size of at least "
                                       "4k, in bytes or such as 64m",
                                       spec, v);
                free(m->tmpfs_size);
                m->tmpfs_size = xasprintf("%lld", (long long)n);
        } else {
                m->tmpfs_only = "tmpfs-mode";
                char *end = NULL;
                long mode = strtol(v, &end, 8);
                if (strspn(v, "01234567") != strlen(v) || strlen(v) > 5 || *end || mode > 07777)
                        return err_set(e, -EINVAL,
                                       "--mount %s: tmpfs-mode=%s: expected an octal mode such "
                                       "as 1777",
                                       spec, v);
                free(m->tmpfs_mode);
                m->tmpfs_mode = xasprintf("%lo", mode);
        }
        return 0;
}

/* What the fields say together: a target, a source for a bind that
 * exists, no key of the other type. */
static int mount_check(const char *spec, const mount_opt *m, err_t *e)
{
        if (!m->dst)
                return err_set(e, -EINVAL, "--mount %s: missing target (target=DST)", spec);
        if (m->dst[0] != '/')
                return err_set(e, -EINVAL, "--mount %s: target %s: must be an absolute path", spec,
                               m->dst);
        if (m->kind == MOUNT_KIND_TMPFS) {
                if (m->src)
                        return err_set(e, -EINVAL,
                                       "--mount %s: type=tmpfs takes no source (a new tmpfs)",
                                       spec);
                if (m->bind_only)
                        return err_set(e, -EINVAL, "--mount %s: %s is only for type=bind", spec,
                                       m->bind_only);
                return 0;
        }
        if (m->tmpfs_only)
                return err_set(e, -EINVAL, "--mount %s: %s is only for type=tmpfs", spec,
                               m->tmpfs_only);
        if (!m->src)
                return err_set(e, -EINVAL, "--mount %s: missing source (source=HOSTPATH)", spec);
        struct stat st;
        if (stat(m->src, &st) < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return err_set(e, -ENOENT, "--mount %s: bind source %s does not exist",
                                       spec, m->src);
                return err_sys(e, errno, "--mount %s: bind source %s", spec, m->src);
        }
        return 0;
}

int runner_mount_add(runner_config *c, const char *spec, err_t *e)
{
        _cleanup_strv_ strv fields = {0};
        for (const char *p = spec, *comma;; p = comma + 1) {
                comma = strchrnul(p, ',');
                if (comma == p)
                        return err_set(e, -EINVAL, "--mount %s: empty field", spec);
                strv_push_take(&fields, xstrndup(p, (size_t)(comma - p)));
                if (!*comma)
                        break;
        }
        _cleanup_(mount_opt_free) mount_opt m = {0};
        int r = mount_type(spec, &fields, &m.kind, e);
        for (size_t i = 0; r == 0 && i < fields.n; i++)
                r = mount_field(spec, fields.v[i], &m, e);
        if (r == 0)
                r = mount_check(spec, &m, e);
        if (r < 0)
                return r;
        if (m.kind == MOUNT_KIND_BIND) {
                strv_push_take(&c->binds, xasprintf("%s:%s%s%s", m.src, m.dst, m.ro ? ":ro" : "",
                                                    m.slave ? (m.ro ? ",rslave" : ":rslave") : ""));
                return 0;
        }
        strbuf t = {0};
        sb_appendf(&t, "%s:mode=%s", m.dst, m.tmpfs_mode ? m.tmpfs_mode : "1777");
        if (m.tmpfs_size)
                sb_appendf(&t, ",size=%s", m.tmpfs_size);
        if (m.ro)
                sb_append(&t, ",ro");
        strv_push_take(&c->tmpfs, sb_steal(&t));
        return 0;
}
