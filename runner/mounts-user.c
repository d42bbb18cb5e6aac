/* The mounts the user asks for: -v SRC:DST[:MODES] (ro, rw, nosuid,
 * noexec, rro, bind (not the mounts below SRC) or rbind, private, slave and rslave, the slave ones'
 * sources detached before anything is private) and --tmpfs DST[:OPTIONS], put in place shallowest
 * destination first; with --net host the host's resolv.conf and hosts too. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "internal.h"
#include "mounts-setup.h"

void mounts_tmpfs_free(tmpfs_mount *t)
{
        free(t->dst);
        free(t->data);
        t->dst = t->data = NULL;
}

static bool all_digits(const char *s, const char *set)
{
        return *s && strspn(s, set) == strlen(s);
}

/* One option of --tmpfs: flags, or a key=value stored in its slot. */
static int tmpfs_option(const char *spec, const char *o, unsigned long *flags, char **size,
                        char **mode, char **uid, char **gid, char **inodes, err_t *e)
{
        static const struct {
                const char *name;
                unsigned long set, clear;
        } words[] = {
                {"ro", MS_RDONLY, 0},
                {"rw", 0, MS_RDONLY},
                {"noexec", MS_NOEXEC, 0},
                {"exec", 0, MS_NOEXEC},
                {"nosuid", MS_NOSUID, 0},
                {"suid", 0, MS_NOSUID},
                {"nodev", MS_NODEV, 0},
                /* the access-time ones (containerd's /run has strictatime) */
                {"strictatime", MS_STRICTATIME, MS_NOATIME | MS_RELATIME},
                {"relatime", MS_RELATIME, MS_NOATIME | MS_STRICTATIME},
                {"noatime", MS_NOATIME, MS_RELATIME | MS_STRICTATIME},
                {"nodiratime", MS_NODIRATIME, 0},
        };
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (!strcmp(o, words[i].name)) {
                        *flags = (*flags | words[i].set) & ~words[i].clear;
                        return 0;
                }
        if (!strcmp(o, "dev"))
                return err_set(e, -EINVAL,
                               "--tmpfs %s: dev: device nodes work only in /dev (use --device)",
                               spec);
        const char *eq = strchr(o, '=');
        if (!eq)
                return err_set(e, -EINVAL, "--tmpfs %s: unknown option \"%s\"", spec, o);
        _cleanup_free_ char *key = xstrndup(o, (size_t)(eq - o));
        const char *v = eq + 1;
        int64_t n = 0;
        if (!strcmp(key, "size")) {
                size_t len = strlen(v);
                if (len > 1 && v[len - 1] == '%') {
                        _cleanup_free_ char *pct = xstrndup(v, len - 1);
                        if (!all_digits(pct, "0123456789") || atoi(pct) < 1 || atoi(pct) > 100)
                                return err_set(
                                        e, -EINVAL,
                                        "--tmpfs %s: size=%s: expected 1%% to 100%% of memory",
                                        spec, v);
                        free(*size);
                        *size = xstrdup(v);
                        return 0;
                }
                if (parse_size(v, &n) < 0)
                        return err_set(e, -EINVAL,
                                       "--tmpfs %s: size=%s: expected a size such as 64m (k, m, g)",
                                       spec, v);
                /* tmpfs takes 0 as "no limit" */
                if (n < 4096)
                        return err_set(e, -EINVAL, "--tmpfs %s: size=%s: at least 4k", spec, v);
                free(*size);
                *size = xasprintf("%lld", (long long)n);
                return 0;
        }
        if (!strcmp(key, "mode")) {
                if (!all_digits(v, "01234567") || strlen(v) > 5 || strtol(v, NULL, 8) > 07777)
                        return err_set(e, -EINVAL,
                                       "--tmpfs %s: mode=%s: expected an octal mode such as 1777",
                                       spec, v);
                free(*mode);
                *mode = xasprintf("%lo", strtol(v, NULL, 8));
                return 0;
        }
        if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
                errno = 0;
                unsigned long long id = strtoull(v, NULL, 10);
                if (!all_digits(v, "0123456789") || errno || id >= UINT32_MAX)
                        return err_set(e, -EINVAL, "--tmpfs %s: %s=%s: expected a number", spec,
                                       key, v);
                char **slot = key[0] == 'u' ? uid : gid;
                free(*slot);
                *slot = xasprintf("%llu", id);
                return 0;
        }
        if (!strcmp(key, "nr_inodes")) {
                if (parse_size(v, &n) < 0 || n < 1)
                        return err_set(e, -EINVAL,
                                       "--tmpfs %s: nr_inodes=%s: expected a positive number "
                                       "(k, m, g)",
                                       spec, v);
                free(*inodes);
                *inodes = xasprintf("%lld", (long long)n);
                return 0;
        }
        return err_set(e, -EINVAL, "--tmpfs %s: unknown option \"%s\"", spec, key);
}

int mounts_tmpfs_parse(const char *spec, tmpfs_mount *ret, err_t *e)
{
        const char *colon = strchr(spec, ':');
        _cleanup_free_ char *dst = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
        if (dst[0] != '/')
                return err_set(e, -EINVAL, "--tmpfs %s: must be absolute", spec);
        unsigned long flags = MS_NOSUID | MS_NODEV;
        _cleanup_free_ char *size = xasprintf("%lld", (long long)RUNNER_TMPFS_SIZE_DEFAULT);
        _cleanup_free_ char *mode = xstrdup("1777"), *uid = NULL, *gid = NULL, *inodes = NULL;
        if (colon) {
                const char *q = colon + 1;
                for (;;) {
                        size_t len = strcspn(q, ",");
                        _cleanup_free_ char *o = xstrndup(q, len);
                        if (!*o)
                                return err_set(e, -EINVAL, "--tmpfs %s: empty option", spec);
                        int r = tmpfs_option(spec, o, &flags, &size, &mode, &uid, &gid, &inodes, e);
                        if (r < 0)
                                return r;
                        if (!q[len])
                                break;
                        q += len + 1;
                }
        }
        strbuf b = {0};
        sb_appendf(&b, "mode=%s,size=%s", mode, size);
        if (uid)
                sb_appendf(&b, ",uid=%s", uid);
        if (gid)
                sb_appendf(&b, ",gid=%s", gid);
        if (inodes)
                sb_appendf(&b, ",nr_inodes=%s", inodes);
        *ret = (tmpfs_mount){.dst = steal_pointer(&dst), .flags = flags, .data = sb_steal(&b)};
        return 0;
}

void mounts_user_free(user_mounts *u)
{
        for (size_t i = 0; i < u->n; i++) {
                free(u->v[i].src);
                free(u->v[i].dst);
                free(u->v[i].tmpfs_data);
                if (u->v[i].tree_fd >= 0)
                        close(u->v[i].tree_fd);
        }
        free(u->v);
        u->v = NULL;
        u->n = 0;
}

/* The mode field of -v SRC:DST:MODE, docker's comma-separated list: ro or
 * rw, and a propagation: private or rprivate (what every mount here is),
 * slave or rslave. Shared ones would let the container's mounts reach the
 * host: refused. */
static int bind_modes(const char *spec, const char *modes, user_mount *m, err_t *e)
{
        if (!*modes)
                return err_set(e, -EINVAL, "-v %s: unknown mode \"\"", spec);
        _cleanup_free_ char *copy = xstrdup(modes);
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (!strcmp(w, "ro") || !strcmp(w, "rw"))
                        m->ro = w[1] == 'o';
                else if (!strcmp(w, "slave") || !strcmp(w, "rslave"))
                        m->slave = true;
                else if (!strcmp(w, "nosuid"))
                        m->attrs |= MOUNT_ATTR_NOSUID;
                else if (!strcmp(w, "noexec"))
                        m->attrs |= MOUNT_ATTR_NOEXEC;
                else if (!strcmp(w, "nodev"))
                        ;                   /* every bind is */
                else if (!strcmp(w, "rro")) /* read-only, the mounts below too */
                        m->attrs |= MOUNT_ATTR_RDONLY;
                else if (!strcmp(w, "bind"))
                        m->attrs |= MOUNTS_BIND_ONE;
                else if (!strcmp(w, "rbind"))
                        m->attrs &= ~MOUNTS_BIND_ONE;
                else if (!strcmp(w, "private") || !strcmp(w, "rprivate"))
                        m->slave = false;
                else if (!strcmp(w, "shared") || !strcmp(w, "rshared"))
                        return err_set(e, -ENOTSUP,
                                       "-v %s: %s: not supported (the container's mounts never "
                                       "reach the host: private, rprivate, slave or rslave)",
                                       spec, w);
                else
                        return err_set(e, -EINVAL, "-v %s: unknown mode \"%s\"", spec, w);
        }
        return 0;
}

static size_t path_depth(const char *p)
{
        _cleanup_free_ char *n = path_normalize(p);
        size_t d = 0;
        for (const char *c = n; *c; c++)
                d += *c == '/';
        return strcmp(n, "/") ? d : 0;
}

static int user_mount_cmp(const void *a, const void *b)
{
        const user_mount *x = a, *y = b;
        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

/* -v and --tmpfs, shallowest destination first (as docker does), so that
 * --tmpfs /data -v X:/data/x puts the bind inside the tmpfs. */
int mounts_user_parse(const mount_plan *p, user_mounts *ret, err_t *e)
{
        size_t nb = p->binds ? p->binds->n : 0, nt = p->tmpfs ? p->tmpfs->n : 0, n = 0;
        user_mount *m = xcalloc(nb + nt + 1, sizeof *m);
        for (size_t i = 0; i < nb + nt; i++)
                m[i].tree_fd = -1;
        int r = 0;
        for (size_t i = 0; i < nb && r == 0; i++) {
                const char *spec = p->binds->v[i];
                const char *c1 = strchr(spec, ':');
                if (!c1) {
                        r = err_set(e, -EINVAL, "-v %s: expected SRC:DST[:ro]", spec);
                        break;
                }
                const char *c2 = strchr(c1 + 1, ':');
                m[n].src = xstrndup(spec, (size_t)(c1 - spec));
                m[n].dst = c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
                if (c2)
                        r = bind_modes(spec, c2 + 1, &m[n], e);
                if (r == 0 && m[n].dst[0] != '/')
                        r = err_set(e, -EINVAL, "-v %s: destination must be absolute", spec);
                m[n].depth = path_depth(m[n].dst);
                m[n].order = n;
                n++;
        }
        for (size_t i = 0; i < nt && r == 0; i++) {
                tmpfs_mount t = {0};
                r = mounts_tmpfs_parse(p->tmpfs->v[i], &t, e);
                if (r < 0)
                        break;
                m[n].dst = steal_pointer(&t.dst);
                m[n].tmpfs_data = steal_pointer(&t.data);
                m[n].tmpfs_flags = t.flags;
                m[n].depth = path_depth(m[n].dst);
                m[n].order = n;
                n++;
        }
        qsort(m, n, sizeof *m, user_mount_cmp);
        *ret = (user_mounts){.v = m, .n = n};
        return r;
}

/* For the slave binds, while the mount namespace is still the host's copy
 * (its mounts peers of the host's): a detached copy of each source, made
 * a slave, so that what the host mounts below it later shows inside and
 * nothing goes the other way. Everything else is made private next. */
int mounts_user_slave_trees(user_mounts *u, err_t *e)
{
        for (size_t i = 0; i < u->n; i++) {
                user_mount *m = &u->v[i];
                if (!m->slave)
                        continue;
                m->tree_fd = open_tree(AT_FDCWD, m->src,
                                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                               (m->attrs & MOUNTS_BIND_ONE ? 0 : AT_RECURSIVE));
                if (m->tree_fd < 0)
                        return err_sys(e, errno, "bind source %s", m->src);
                struct mount_attr a = {.propagation = MS_SLAVE};
                if (mount_setattr(m->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
                        return err_sys(e, errno, "bind source %s: make it a slave", m->src);
        }
        return 0;
}

int mounts_user_setup(const mount_plan *p, const char *root, const user_mounts *u, err_t *e)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < u->n; i++) {
                const user_mount *m = &u->v[i];
                if (m->src)
                        r = mounts_bind_in_root(root, m->src, m->dst, m->ro, m->tree_fd, m->attrs,
                                                e);
                else
                        r = mounts_in_root(root, "tmpfs", m->dst, "tmpfs", m->tmpfs_flags,
                                           m->tmpfs_data, true, e);
        }
        if (r < 0)
                return r;
        if (p->net_host) {
                static const char *const files[] = {"/etc/resolv.conf", "/etc/hosts"};
                for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                        if (access(files[i], R_OK) < 0)
                                continue;
                        r = mounts_bind_in_root(root, files[i], files[i], true, -1, 0, e);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
