/* cgroup v2: the container's cgroup below runroot's own on the unified
 * hierarchy, controllers enabled in the parent's subtree_control, limits,
 * OOM detection from memory.events and the kill-all via cgroup.kill. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-setup.h"

static const struct {
        unsigned bit;
        const char *name;
} v2_ctls[] = {
        {CG_C_MEMORY, "memory"}, {CG_C_CPU, "cpu"}, {CG_C_PIDS, "pids"},
        {CG_C_CPUSET, "cpuset"}, {CG_C_IO, "io"},
};

static unsigned parse_ctls(const char *data)
{
        unsigned m = 0;
        for (const char *p = data; *p;) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                for (size_t i = 0; i < ARRAY_SIZE(v2_ctls); i++)
                        if (strlen(v2_ctls[i].name) == n && strncmp(p, v2_ctls[i].name, n) == 0)
                                m |= v2_ctls[i].bit;
                p += n;
        }
        return m;
}

/* "+memory +cpu" / "-memory -cpu" / "memory cpu" */
static char *ctl_list(unsigned m, const char *prefix)
{
        strbuf b = {0};
        for (size_t i = 0; i < ARRAY_SIZE(v2_ctls); i++)
                if (m & v2_ctls[i].bit)
                        sb_appendf(&b, "%s%s%s", b.len ? " " : "", prefix, v2_ctls[i].name);
        return sb_steal(&b);
}

static int own_dir(int rootfd, const char *root, char **ret_path, err_t *e)
{
        _cleanup_free_ char *own = NULL;
        int r = cg_own_path(NULL, &own, e);
        if (r == -ENOENT)
                return err_set(e, r, "/proc/self/cgroup: no cgroup v2 entry");
        if (r < 0)
                return r;
        const char *rel = own[1] ? own + 1 : ".";
        _cleanup_free_ char *path = own[1] ? path_join(root, rel) : xstrdup(root);
        int fd = cg_open_dir(rootfd, rel, true, path, e);
        if (fd < 0)
                return fd;
        *ret_path = steal_pointer(&path);
        return fd;
}

int cg_v2_probe(int rootfd, unsigned need, err_t *e)
{
        _cleanup_free_ char *path = NULL, *data = NULL;
        _cleanup_close_ int fd = own_dir(rootfd, "cgroup2", &path, e);
        if (fd < 0)
                return fd;
        int r = cg_read(fd, path, "cgroup.controllers", true, &data, e);
        if (r < 0)
                return r;
        return (need & ~parse_ctls(data)) == 0 ? 1 : 0;
}

static const char *delegation_hint(void)
{
        return geteuid() != 0 ? " (rootless: the cgroup must be delegated to this user, "
                                "e.g. systemd-run --user --scope -p Delegate=yes)"
                              : "";
}

/* The no-internal-process rule: a non-root cgroup with processes cannot
 * hand controllers to children. When runroot is alone in its cgroup it
 * moves itself into a leaf next to the container; otherwise it says why. */
static int make_leaf(cgroup *cg, const char *plus, err_t *e)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        err_t e2 = {0};
        if (cg_procs(cg->parent_fd, cg->parent_path, true, &pids, &n, &e2) < 0)
                return -EBUSY;
        for (size_t i = 0; i < n; i++)
                if (pids[i] != getpid())
                        return err_set(e, -EBUSY,
                                       "%s: cannot enable %s for the container: the cgroup holds "
                                       "other processes (cgroup v2 allows controllers only below "
                                       "cgroups without processes); run runroot in a cgroup of "
                                       "its own",
                                       cg->parent_path, plus);
        cg->leaf_name = xasprintf("%s.runroot", cg->name);
        if (mkdirat(cg->parent_fd, cg->leaf_name, 0755) < 0) {
                int saved = errno;
                free(steal_pointer(&cg->leaf_name));
                return err_sys(e, saved, "%s/%s.runroot: make a leaf cgroup for runroot",
                               cg->parent_path, cg->name);
        }
        _cleanup_free_ char *leaf_path = path_join(cg->parent_path, cg->leaf_name);
        _cleanup_close_ int leaf_fd = cg_open_dir(cg->parent_fd, cg->leaf_name, true, leaf_path, e);
        if (leaf_fd < 0)
                return leaf_fd;
        return cg_writef(leaf_fd, leaf_path, "cgroup.procs", true, e, "%d", (int)getpid());
}

/* The no-internal-process rule: a non-root cgroup with processes cannot
 * hand controllers to children. When runroot is alone in its cgroup it
 * moves itself into a leaf next to the container; otherwise it says why. */
/* A non-root cgroup (it has cgroup.type) that holds processes. */
static bool parent_busy(cgroup *cg)
{
        if (faccessat(cg->parent_fd, "cgroup.type", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        err_t ignore = {0};
        return cg_procs(cg->parent_fd, cg->parent_path, true, &pids, &n, &ignore) == 0 && n > 0;
}

static int enable_controllers(cgroup *cg, unsigned m, err_t *e)
{
        _cleanup_free_ char *plus = ctl_list(m, "+");
        /* Move out first rather than wait for EBUSY: the kernel accepts
         * threaded controllers alone (pids, cpu, cpuset) on a cgroup with
         * processes and turns it into a thread root, whose children then
         * refuse processes. */
        if (parent_busy(cg)) {
                int r0 = make_leaf(cg, plus, e);
                if (r0 < 0)
                        return r0;
        }
        int r = cg_write(cg->parent_fd, cg->parent_path, "cgroup.subtree_control", plus, true, e);
        if (r == -EBUSY) {
                err_t e2 = {0};
                int r2 = make_leaf(cg, plus, &e2);
                if (r2 == -EBUSY && !e2.msg[0])
                        return r; /* keep the write's own message */
                *e = e2;
                if (r2 < 0)
                        return r2;
                r = cg_write(cg->parent_fd, cg->parent_path, "cgroup.subtree_control", plus, true,
                             e);
        }
        if (r == -EACCES || r == -EPERM || r == -EROFS)
                return err_prefix(e, "cannot enable controllers%s", delegation_hint());
        if (r < 0)
                return r;
        cg->enabled = m;
        return 0;
}

static int write_limits(cgroup *cg, const cg_limits *l, err_t *e)
{
        int r;
        if (l->memory >= 0) {
                r = cg_writef(cg->dirfd, cg->path, "memory.max", true, e, "%lld",
                              (long long)l->memory);
                if (r < 0)
                        return r;
                /* docker's -m includes swap: allow none on top (OCI's
                 * memory.swap counts both). */
                char swap[32] = "0";
                if (l->memory_swap == -2)
                        snprintf(swap, sizeof swap, "max");
                else if (l->memory_swap >= 0)
                        snprintf(swap, sizeof swap, "%lld",
                                 (long long)(l->memory_swap - l->memory));
                r = cg_write(cg->dirfd, cg->path, "memory.swap.max", swap, true, e);
                if (r == -ENOENT && !cg_host_has_swap() && l->memory_swap == -1)
                        err_clear(e);
                else if (r == -ENOENT)
                        return err_set(e, r,
                                       "%s: no memory.swap.max (swap accounting off), so "
                                       "swap cannot be limited",
                                       cg->path);
                else if (r < 0)
                        return r;
        }
        if (l->cpu_rt_set)
                return err_set(e, -ENOTSUP, "%s: a realtime cpu budget: not on cgroup v2",
                               cg->path);
        if (l->cpu_burst >= 0) {
                r = cg_writef(cg->dirfd, cg->path, "cpu.max.burst", true, e, "%lld",
                              (long long)l->cpu_burst);
                if (r < 0)
                        return r;
        }
        if (l->cpu_idle >= 0) {
                r = cg_writef(cg->dirfd, cg->path, "cpu.idle", true, e, "%lld",
                              (long long)l->cpu_idle);
                if (r < 0)
                        return r;
        }
        if (l->swappiness >= 0 || l->oom_kill_disable)
                return err_set(e, -ENOTSUP, "%s: %s: not on cgroup v2", cg->path,
                               l->swappiness >= 0 ? "memory swappiness"
                                                  : "disabling the OOM killer");
        if (l->memory_low >= 0) {
                r = cg_writef(cg->dirfd, cg->path, "memory.low", true, e, "%lld",
                              (long long)l->memory_low);
                if (r < 0)
                        return r;
        }
        if (l->cpu_quota >= 0) {
                r = cg_writef(cg->dirfd, cg->path, "cpu.max", true, e, "%lld %lld",
                              (long long)l->cpu_quota, (long long)l->cpu_period);
                if (r < 0)
                        return r;
        }
        if (l->cpu_weight >= 0 || l->cpu_shares >= 0) {
                /* v1 shares 2..262144 map onto v2 weight 1..10000. */
                int64_t w = l->cpu_weight >= 0 ? l->cpu_weight
                                               : 1 + ((l->cpu_shares - 2) * 9999) / 262142;
                r = cg_writef(cg->dirfd, cg->path, "cpu.weight", true, e, "%lld", (long long)w);
                if (r < 0)
                        return r;
        }
        if (l->pids >= 0) {
                r = cg_writef(cg->dirfd, cg->path, "pids.max", true, e, "%lld", (long long)l->pids);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_cpus) {
                r = cg_write(cg->dirfd, cg->path, "cpuset.cpus", l->cpuset_cpus, true, e);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_mems[0]) {
                r = cg_write(cg->dirfd, cg->path, "cpuset.mems", l->cpuset_mems, true, e);
                if (r < 0)
                        return r;
        }
        static const char *const tkeys[CG_THROTTLE_KIND_MAX] = {
                [CG_READ_BPS] = "rbps",
                [CG_WRITE_BPS] = "wbps",
                [CG_READ_IOPS] = "riops",
                [CG_WRITE_IOPS] = "wiops",
        };
        for (size_t i = 0; i < l->nthrottle; i++) {
                const cg_throttle *t = &l->throttle[i];
                r = cg_writef(cg->dirfd, cg->path, "io.max", true, e, "%u:%u %s=%llu", t->major,
                              t->minor, tkeys[t->kind], (unsigned long long)t->rate);
                if (r < 0)
                        return r;
        }
        if (l->io_weight >= 0) {
                /* blkio's 10..1000 onto io.weight's 1..10000, as runc does */
                int64_t w =
                        l->io_weight_blkio ? 1 + (l->io_weight - 10) * 9999 / 990 : l->io_weight;
                r = cg_writef(cg->dirfd, cg->path, "io.weight", true, e, "default %lld",
                              (long long)w);
                if (r == -ENOENT) {
                        err_clear(e);
                        r = cg_writef(cg->dirfd, cg->path, "io.bfq.weight", true, e, "%lld",
                                      (long long)l->io_weight);
                        if (r == -ENOENT)
                                return err_set(e, r,
                                               "%s: io weight not supported (neither "
                                               "io.weight nor io.bfq.weight)",
                                               cg->path);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What a cgroups path's directories need on the way down. */
typedef struct v2_walk {
        unsigned need;   /* enabled in each, or an error */
        unsigned want;   /* enabled where there (join_all) */
        unsigned handed; /* the last directory's subtree_control */
} v2_walk;

/* cg_walk_make's step on v2: each directory from the base to the leaf's
 * parent hands the container's controllers down (subtree_control). One
 * just made has what its parent hands down and enables nothing yet. */
static int walk_enable(int parent_fd, int fd, const char *path, bool made, void *ctx, err_t *e)
{
        (void)parent_fd;
        v2_walk *w = ctx;
        unsigned avail = w->handed, enabled = 0;
        if (!made) {
                _cleanup_free_ char *avail_s = NULL, *enabled_s = NULL;
                int r = cg_read(fd, path, "cgroup.controllers", true, &avail_s, e);
                if (r == 0)
                        r = cg_read(fd, path, "cgroup.subtree_control", true, &enabled_s, e);
                if (r < 0)
                        return r;
                avail = parse_ctls(avail_s);
                enabled = parse_ctls(enabled_s);
        }
        if (w->need & ~avail) {
                _cleanup_free_ char *names = ctl_list(w->need & ~avail, "");
                return err_set(e, -ENODEV, "%s: cgroup v2 controller(s) %s not available%s", path,
                               names, delegation_hint());
        }
        unsigned m = (w->need | (w->want & avail)) & ~enabled;
        w->handed = enabled | m;
        if (!m)
                return 0;
        _cleanup_free_ char *plus = ctl_list(m, "+");
        int r = cg_write(fd, path, "cgroup.subtree_control", plus, true, e);
        if (r == -EBUSY)
                return err_set(e, r,
                               "%s: cannot enable %s: the cgroup holds processes (cgroup v2 "
                               "allows controllers only below cgroups without processes)",
                               path, plus);
        return r;
}

/* cg_v2_create for cg->at: below the root (absolute) or below the parent
 * of runroot's own cgroup (relative: runroot's own holds processes, so it
 * cannot hand controllers down; runc takes its parent too). */
static int create_at(cgroup *cg, int rootfd, const char *root, const cg_limits *l, err_t *e)
{
        v2_walk w = {.need = cg_needed(l) & CG_C_V2_CTLS,
                     .want = l->join_all ? CG_C_MEMORY | CG_C_CPU | CG_C_PIDS : 0};
        _cleanup_free_ char *base = NULL;
        if (cg->at[0] != '/') {
                _cleanup_free_ char *own = NULL;
                int r = cg_own_path(NULL, &own, e);
                if (r == -ENOENT)
                        return err_set(e, r, "/proc/self/cgroup: no cgroup v2 entry");
                if (r < 0)
                        return r;
                base = path_dirname(own);
        }
        _cleanup_free_ char *rel = cg_at_parent(cg->at, base);
        cg->parent_fd =
                cg_walk_make(rootfd, root, rel, true, walk_enable, &w, &cg->made_parents, e);
        if (cg->parent_fd < 0)
                return err_prefix(e, "cgroups path %s", cg->at);
        cg->parent_path = *rel ? path_join(root, rel) : xstrdup(root);
        if (mkdirat(cg->parent_fd, cg->name, 0755) < 0) {
                int saved = errno;
                if (saved != EEXIST)
                        return err_sys(e, saved, "%s/%s: make cgroup", cg->parent_path, cg->name);
                cg->joined = true; /* there: joined, as runc does */
        }
        cg->path = path_join(cg->parent_path, cg->name);
        cg->dirfd = cg_open_dir(cg->parent_fd, cg->name, true, cg->path, e);
        if (cg->dirfd < 0)
                return cg->dirfd;
        if ((geteuid() == 0 || l->device_policy) && !l->devices_all && !cg_test.fake_fs) {
                int r = cg_v2_devices_setup(cg->dirfd, cg->path, l->devices, l->ndevices, e);
                if (r < 0)
                        return r;
        }
        return write_limits(cg, l, e);
}

int cg_v2_create(cgroup *cg, int rootfd, const char *root, const cg_limits *l, err_t *e)
{
        if (cg->at)
                return create_at(cg, rootfd, root, l, e);
        unsigned need = cg_needed(l) & CG_C_V2_CTLS;
        _cleanup_free_ char *avail_s = NULL, *enabled_s = NULL;
        int r;

        cg->parent_fd = own_dir(rootfd, root, &cg->parent_path, e);
        if (cg->parent_fd < 0)
                return cg->parent_fd;
        cg_gc_siblings(cg->parent_fd, cg->parent_path, cg->name, true);
        r = cg_read(cg->parent_fd, cg->parent_path, "cgroup.controllers", true, &avail_s, e);
        if (r < 0)
                return r;
        unsigned missing = need & ~parse_ctls(avail_s);
        if (missing) {
                _cleanup_free_ char *names = ctl_list(missing, "");
                return err_set(e, -ENODEV, "%s: cgroup v2 controller(s) %s not available%s",
                               cg->parent_path, names, delegation_hint());
        }
        r = cg_read(cg->parent_fd, cg->parent_path, "cgroup.subtree_control", true, &enabled_s, e);
        if (r < 0)
                return r;
        /* join_all: the controllers an update may want, where there. */
        unsigned want =
                l->join_all ? parse_ctls(avail_s) & (CG_C_MEMORY | CG_C_CPU | CG_C_PIDS) : 0;
        unsigned to_enable = (need | want) & ~parse_ctls(enabled_s);
        if (to_enable) {
                r = enable_controllers(cg, to_enable, e);
                if (r < 0)
                        return r;
        }

        if (mkdirat(cg->parent_fd, cg->name, 0755) < 0) {
                int saved = errno;
                bool denied = saved == EACCES || saved == EPERM || saved == EROFS;
                return err_set(e, -saved, "%s/%s: make cgroup: %s%s%s", cg->parent_path, cg->name,
                               strerror(saved), denied ? "; no cgroup delegation" : "",
                               denied ? delegation_hint() : "");
        }
        cg->path = path_join(cg->parent_path, cg->name);
        cg->dirfd = cg_open_dir(cg->parent_fd, cg->name, true, cg->path, e);
        if (cg->dirfd < 0)
                return cg->dirfd;
        /* Only root can attach BPF programs; in a user namespace device
         * nodes cannot be opened anyway (its mounts are nodev). A fake
         * tree cannot run one. */
        if ((geteuid() == 0 || l->device_policy) && !l->devices_all && !cg_test.fake_fs) {
                if (l->devices_later) {
                        cg->devices_pending = true;
                        cg->pending_devices = l->devices;
                        cg->npending_devices = l->ndevices;
                } else {
                        r = cg_v2_devices_setup(cg->dirfd, cg->path, l->devices, l->ndevices, e);
                        if (r < 0)
                                return r;
                }
        }
        return write_limits(cg, l, e);
}

int cg_v2_attach(cgroup *cg, pid_t pid, err_t *e)
{
        return cg_writef(cg->dirfd, cg->path, "cgroup.procs", true, e, "%d", (int)pid);
}

bool cg_v2_oom_killed(cgroup *cg)
{
        _cleanup_free_ char *data = NULL;
        err_t e = {0};
        int64_t n = 0;

        if (cg->dirfd < 0 || cg_read(cg->dirfd, cg->path, "memory.events", true, &data, &e) < 0)
                return false;
        if (cg_kv_get(data, "oom_kill", &n) == 0 && n > 0)
                return true;
        return cg_kv_get(data, "oom_group_kill", &n) == 0 && n > 0;
}

static void kill_listed(cgroup *cg)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        err_t e = {0};
        if (cg_procs(cg->dirfd, cg->path, true, &pids, &n, &e) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
}

static bool is_empty(cgroup *cg)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        err_t e = {0};
        return cg_procs(cg->dirfd, cg->path, true, &pids, &n, &e) < 0 || n == 0;
}

/* Anything left in the parent besides our leaf (other containers)? */
static bool parent_has_other_children(cgroup *cg)
{
        int fd = openat(cg->parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return true;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return true;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
                    strcmp(de->d_name, "..") != 0 && strcmp(de->d_name, cg->leaf_name) != 0)
                        return true;
        return false;
}

int cg_v2_destroy(cgroup *cg, err_t *e)
{
        int r;
        if (cg->joined) {
                /* a cgroup that was there: its other processes are not ours */
                closep(&cg->dirfd);
                cg->dirfd = -1;
                free(steal_pointer(&cg->path));
                return 0;
        }
        /* Most often nothing is left: pid 1's end took its pid namespace,
         * and so every process of the container, along. Then the rmdir
         * alone (EBUSY otherwise: kill what is there, as below); a warm
         * run saves the cgroup.kill write, which takes the cgroup mutex
         * every other cgroup user of the machine contends for, and the
         * read of cgroup.procs. */
        if (cg->path && cg->dirfd >= 0 && !cg_test.fake_fs &&
            unlinkat(cg->parent_fd, cg->name, AT_REMOVEDIR) == 0) {
                closep(&cg->dirfd);
                cg->dirfd = -1;
                free(steal_pointer(&cg->path));
        }
        if (cg->path && cg->dirfd >= 0) {
                err_t e2 = {0};
                bool have_kill = cg_write(cg->dirfd, cg->path, "cgroup.kill", "1", true, &e2) == 0;
                if (!have_kill) {
                        /* Before 5.14: freeze so nothing forks while we kill. */
                        cg_write(cg->dirfd, cg->path, "cgroup.freeze", "1", true, &e2);
                        kill_listed(cg);
                        cg_write(cg->dirfd, cg->path, "cgroup.freeze", "0", true, &e2);
                }
                for (int i = 0; i < 500 && !is_empty(cg); i++) {
                        if (!have_kill)
                                kill_listed(cg);
                        cg_sleep_ms(10);
                }
        }
        if (cg->path) {
                closep(&cg->dirfd);
                cg->dirfd = -1;
                r = cg_rmdir(cg->parent_fd, cg->parent_path, cg->name, e);
                if (r < 0)
                        return r;
                free(steal_pointer(&cg->path));
        }
        if (cg->leaf_name) {
                if (cg->enabled && !parent_has_other_children(cg)) {
                        _cleanup_free_ char *minus = ctl_list(cg->enabled, "-");
                        err_t e2 = {0};
                        if (cg_write(cg->parent_fd, cg->parent_path, "cgroup.subtree_control",
                                     minus, true, &e2) == 0)
                                cg->enabled = 0;
                }
                r = cg_writef(cg->parent_fd, cg->parent_path, "cgroup.procs", true, e, "%d",
                              (int)getpid());
                if (r < 0)
                        return err_prefix(e, "moving runroot back out of %s", cg->leaf_name);
                r = cg_rmdir(cg->parent_fd, cg->parent_path, cg->leaf_name, e);
                if (r < 0)
                        return r;
                free(steal_pointer(&cg->leaf_name));
        }
        return 0;
}

int cg_v2_open(cgroup *cg, const char *v2root, const char *proc_cgroup, err_t *e)
{
        _cleanup_free_ char *rel = cg_proc_path(proc_cgroup, "");
        if (!rel)
                return 0;
        _cleanup_free_ char *dir = xasprintf("%s%s", v2root, rel);
        int fd = cg_open_dir(AT_FDCWD, dir, true, dir, e);
        if (fd < 0)
                return fd;
        cg->dirfd = fd;
        cg->path = steal_pointer(&dir);
        return 1;
}

int cg_v2_pids(cgroup *cg, pid_t **ret, size_t *ret_n, err_t *e)
{
        return cg_procs(cg->dirfd, cg->path, true, ret, ret_n, e);
}

int cg_v2_is_frozen(cgroup *cg, bool *ret)
{
        _cleanup_free_ char *ev = NULL;
        err_t e = {0};
        int r = cg_read(cg->dirfd, cg->path, "cgroup.events", true, &ev, &e);
        int64_t v = 0;
        if (r == 0)
                r = cg_kv_get(ev, "frozen", &v);
        if (r < 0)
                return r;
        *ret = v == 1;
        return 0;
}

int cg_v2_freeze(cgroup *cg, bool frozen, err_t *e)
{
        int r = cg_write(cg->dirfd, cg->path, "cgroup.freeze", frozen ? "1" : "0", true, e);
        for (int i = 0; r == 0 && i < 500; i++) {
                bool now = !frozen;
                if ((r = cg_v2_is_frozen(cg, &now)) < 0)
                        return err_sys(e, -r, "%s/cgroup.events", cg->path);
                if (now == frozen)
                        return 0;
                cg_sleep_ms(10);
        }
        return r < 0 ? r : err_set(e, -ETIMEDOUT, "%s: not frozen after 5 s", cg->path);
}

int cg_v2_update(cgroup *cg, const cg_limits *l, err_t *e)
{
        return write_limits(cg, l, e);
}
