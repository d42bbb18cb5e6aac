/* cgroup: version detection and the public entry points that dispatch to
 * cgroup_v1.c / cgroup_v2.c (cgroup-setup.h). */
#include "cgroup.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "cgroup-setup.h"

static bool valid_name(const char *name)
{
        return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
               strcmp(name, "..") != 0 && strlen(name) < NAME_MAX - 16;
}

static cgroup *cg_new(const char *name, const char *at)
{
        cgroup *cg = xcalloc(1, sizeof *cg);
        cg->name = xstrdup(name);
        cg->at = at ? xstrdup(at) : NULL;
        cg->dirfd = cg->parent_fd = -1;
        for (int i = 0; i < CG_V1_MAX; i++)
                cg->v1[i].dirfd = cg->v1[i].parent_fd = -1;
        return cg;
}

/* Everything but the object itself, which cg_free releases. */
static void cg_release(cgroup *cg)
{
        closep(&cg->dirfd);
        closep(&cg->parent_fd);
        for (int i = 0; i < CG_V1_MAX; i++) {
                closep(&cg->v1[i].dirfd);
                closep(&cg->v1[i].parent_fd);
                cg->v1[i].dirfd = cg->v1[i].parent_fd = -1;
                free(cg->v1[i].path);
                cg->v1[i].path = NULL;
        }
        cg->dirfd = cg->parent_fd = -1;
}

void cg_free(cgroup *cg)
{
        if (!cg)
                return;
        cg_release(cg);
        free(cg->name);
        free(cg->at);
        strv_free(&cg->made_parents);
        free(cg->path);
        free(cg->parent_path);
        free(cg->leaf_name);
        free(cg);
}

/* pure v2: fsroot itself is cgroup2. hybrid: fsroot/unified is. */
static int detect_v2(int rootfd, const char *fsroot, char **ret_v2root, int *ret_v2fd,
                     bool *ret_pure)
{
        struct statfs sfs;
        bool pure;

        if (cg_test.fake_fs)
                pure = faccessat(rootfd, "cgroup.controllers", F_OK, 0) == 0;
        else
                pure = fstatfs(rootfd, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
        if (pure) {
                *ret_v2fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                *ret_v2root = xstrdup(fsroot);
                *ret_pure = true;
                return *ret_v2fd < 0 ? -errno : 1;
        }
        int fd = openat(rootfd, "unified", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        bool ok = cg_test.fake_fs ? faccessat(fd, "cgroup.controllers", F_OK, 0) == 0
                                  : fstatfs(fd, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
        if (!ok) {
                close(fd);
                return 0;
        }
        *ret_v2fd = fd;
        *ret_v2root = path_join(fsroot, "unified");
        *ret_pure = false;
        return 1;
}

/* cg_create, or cg_create_at with at set (name is then its last part). */
static int create(const char *fsroot, const char *name, const char *at, const cg_limits *l,
                  cgroup **ret, err_t *e)
{
        unsigned need = cg_needed(l);
        int r;

        *ret = NULL;
        _cleanup_close_ int rootfd = open(fsroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                if (!need && !at)
                        return 0;
                return err_sys(e, errno, "%s: cgroup file system not available", fsroot);
        }

        cgroup *cg = cg_new(name, at);
        _cleanup_free_ char *v2root = NULL;
        _cleanup_close_ int v2fd = -1;
        bool pure = false;
        bool use_v2 = false;
        bool v2_first = false;
        if (detect_v2(rootfd, fsroot, &v2root, &v2fd, &pure) > 0) {
                /* hybrid: v2 when it offers every controller asked for. With
                 * none asked for (the device policy alone) the empty unified
                 * hierarchy serves: a BPF program enforces the same list
                 * there, cgroup.kill does the kill-all, and the container
                 * can be cloned straight into it (cg_clone_fd), which saves
                 * the RCU grace period of a cgroup.procs write (~10 ms on a
                 * loaded machine, the largest part of a warm start). v1
                 * stays the fallback when that cgroup cannot be made. */
                unsigned ctls = (need | (l->join_all ? CG_C_MEMORY | CG_C_CPU | CG_C_PIDS : 0)) &
                                CG_C_V2_CTLS;
                v2_first = !pure && !ctls;
                use_v2 = pure || v2_first || (ctls && cg_v2_probe(v2fd, ctls, e) > 0);
                err_clear(e);
        }
        if (use_v2) {
                cg->mode = CG_V2;
                r = cg_v2_create(cg, v2fd, v2root, l, e);
                if (r < 0 && v2_first) {
                        log_debug("cgroup v2 for the device policy: %s; v1 instead", e->msg);
                        err_clear(e);
                        err_t e2 = {0};
                        if (cg_destroy(cg, &e2) < 0)
                                log_warn("%s", e2.msg);
                        cg_free(cg);
                        cg = cg_new(name, at);
                        use_v2 = false;
                }
        }
        if (!use_v2) {
                cg->mode = CG_V1;
                r = cg_v1_create(cg, fsroot, l, e);
        }
        if (r < 0) {
                err_t e2 = {0};
                if (cg_destroy(cg, &e2) < 0)
                        log_warn("%s", e2.msg);
                cg_free(cg);
                if (!need && !at) {
                        /* Nothing asked for (no limit, no device policy):
                         * run without a cgroup. */
                        log_debug("cgroup not used: %s", e->msg);
                        err_clear(e);
                        return 0;
                }
                return r;
        }
        *ret = cg;
        return 0;
}

int cg_create(const char *fsroot, const char *name, const cg_limits *l, cgroup **ret, err_t *e)
{
        *ret = NULL;
        if (!valid_name(name))
                return err_set(e, -EINVAL, "cgroup name \"%s\": invalid", name ? name : "");
        return create(fsroot, name, NULL, l, ret, e);
}

int cg_create_at(const char *fsroot, const char *at, const cg_limits *l, cgroup **ret, err_t *e)
{
        *ret = NULL;
        _cleanup_free_ char *clean = NULL;
        int r = cg_path_clean(at, &clean, e);
        if (r < 0)
                return err_prefix(e, "cgroups path %s", at);
        const char *name = path_basename(clean);
        if (!valid_name(name))
                return err_set(e, -EINVAL, "cgroups path %s: \"%s\": not a cgroup name", at, name);
        return create(fsroot, name, clean, l, ret, e);
}

int cg_attach(cgroup *cg, pid_t pid, err_t *e)
{
        if (!cg)
                return 0;
        if (cg->destroyed)
                return err_set(e, -ESTALE, "cgroup %s: already removed", cg->name);
        return cg->mode == CG_V2 ? cg_v2_attach(cg, pid, e) : cg_v1_attach(cg, pid, e);
}

cg_mode cg_get_mode(const cgroup *cg)
{
        return cg ? cg->mode : CG_NONE;
}

int cg_devices_attach(cgroup *cg, err_t *e)
{
        if (!cg || cg->destroyed || !cg->devices_pending)
                return 0;
        int r = cg_v2_devices_setup(cg->dirfd, cg->path, cg->pending_devices, cg->npending_devices,
                                    e);
        if (r < 0)
                return r;
        cg->devices_pending = false;
        return 0;
}

int cg_clone_fd(const cgroup *cg)
{
        if (!cg || cg->destroyed || cg->mode != CG_V2)
                return -1;
        return cg->dirfd;
}

bool cg_oom_killed(cgroup *cg)
{
        if (!cg || cg->destroyed)
                return false;
        return cg->mode == CG_V2 ? cg_v2_oom_killed(cg) : cg_v1_oom_killed(cg);
}

/* The parents made for a cgroups path, last made first, each once: one
 * that holds another cgroup now (EBUSY, ENOTEMPTY) is someone else's too
 * and stays. */
static void remove_made_parents(cgroup *cg)
{
        for (size_t i = cg->made_parents.n; i-- > 0;) {
                const char *dir = cg->made_parents.v[i];
                int r = cg_rmdir_once(dir);
                if (r < 0)
                        log_debug("%s: kept: %s", dir, strerror(-r));
        }
        strv_free(&cg->made_parents);
}

int cg_destroy(cgroup *cg, err_t *e)
{
        if (!cg)
                return 0;
        if (cg->destroyed)
                return 0;
        int r = cg->mode == CG_V2 ? cg_v2_destroy(cg, e) : cg_v1_destroy(cg, e);
        if (r < 0)
                return r; /* keep the fds: the caller may retry */
        remove_made_parents(cg);
        cg->destroyed = true;
        cg_release(cg);
        return 0;
}

void cg_destroy_freep(cgroup **p)
{
        if (!*p)
                return;
        err_t e = {0};
        if (cg_destroy(*p, &e) < 0)
                log_warn("%s", e.msg);
        cg_free(*p);
        *p = NULL;
}

const char *cg_path(const cgroup *cg)
{
        return cg ? cg->path : NULL;
}

int cg_open_pid(const char *fsroot, pid_t pid, cgroup **ret, err_t *e)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = fs_read_file_at(AT_FDCWD, path, 65536, &data, &len, e);
        if (r < 0)
                return r;
        cgroup *cg = cg_new("runroot", NULL);
        cg->mode = CG_V1;
        r = cg_v1_open(cg, fsroot, data, e);
        if (r == 0) {
                cg->mode = CG_V2;
                _cleanup_close_ int rootfd = open(fsroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_free_ char *v2root = NULL;
                _cleanup_close_ int v2fd = -1;
                bool pure = false;
                if (rootfd >= 0 && detect_v2(rootfd, fsroot, &v2root, &v2fd, &pure) > 0)
                        r = cg_v2_open(cg, v2root, data, e);
        }
        if (r == 0)
                r = err_set(e, -ENOENT, "pid %d: in no cgroup runroot made", (int)pid);
        if (r < 0) {
                cg_free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}

int cg_pids(cgroup *cg, pid_t **ret, size_t *ret_n, err_t *e)
{
        return cg->mode == CG_V2 ? cg_v2_pids(cg, ret, ret_n, e) : cg_v1_pids(cg, ret, ret_n, e);
}

int cg_freeze(cgroup *cg, bool frozen, err_t *e)
{
        return cg->mode == CG_V2 ? cg_v2_freeze(cg, frozen, e) : cg_v1_freeze(cg, frozen, e);
}

int cg_is_frozen(cgroup *cg, bool *ret)
{
        return cg->mode == CG_V2 ? cg_v2_is_frozen(cg, ret) : cg_v1_is_frozen(cg, ret);
}

int cg_update(cgroup *cg, const cg_limits *l, err_t *e)
{
        return cg->mode == CG_V2 ? cg_v2_update(cg, l, e) : cg_v1_update(cg, l, e);
}

void cg_dirs(const cgroup *cg, strv *ret_dirs, strv *ret_made, strv *ret_parents)
{
        if (!cg || cg->destroyed)
                return;
        if (cg->mode == CG_V2 && cg->path) {
                if (ret_dirs)
                        strv_push(ret_dirs, cg->path);
                if (ret_made && !cg->joined)
                        strv_push(ret_made, cg->path);
        }
        for (int c = 0; cg->mode == CG_V1 && c < CG_V1_MAX; c++) {
                const cg_v1_dir *d = &cg->v1[c];
                if (!d->path || !d->owner)
                        continue;
                if (ret_dirs)
                        strv_push(ret_dirs, d->path);
                if (ret_made && !d->joined)
                        strv_push(ret_made, d->path);
        }
        for (size_t i = 0; ret_parents && i < cg->made_parents.n; i++)
                strv_push(ret_parents, cg->made_parents.v[i]);
}

int cg_open_dirs(const char *fsroot, const strv *dirs, cgroup **ret, err_t *e)
{
        _cleanup_close_ int rootfd = open(fsroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", fsroot);
        _cleanup_free_ char *v2root = NULL;
        _cleanup_close_ int v2fd = -1;
        bool pure = false;
        cgroup *cg = cg_new("runroot", NULL);
        int r = 0;
        if (detect_v2(rootfd, fsroot, &v2root, &v2fd, &pure) > 0) {
                size_t n = strlen(v2root);
                for (size_t i = 0; i < dirs->n && !cg->path; i++) {
                        const char *d = dirs->v[i];
                        if (strncmp(d, v2root, n) != 0 || (d[n] != '/' && d[n]))
                                continue;
                        cg->mode = CG_V2;
                        cg->dirfd = cg_open_dir(AT_FDCWD, d, true, d, e);
                        r = cg->dirfd < 0 ? cg->dirfd : 1;
                        cg->path = xstrdup(d);
                }
        }
        if (r == 0 && !pure) {
                cg->mode = CG_V1;
                r = cg_v1_open_dirs(cg, fsroot, dirs, e);
        }
        if (r == 0)
                r = err_set(e, -ENOENT, "in no cgroup (none recorded)");
        if (r < 0) {
                cg_free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}
