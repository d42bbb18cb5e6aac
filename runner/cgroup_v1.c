/* cgroup v1: the container joins a cgroup below runroot's own in every
 * per-controller hierarchy it can (memory, cpu, cpuacct, pids, cpuset,
 * blkio, freezer); the ones its limits need must be there. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-setup.h"

static const char *ctl_name(cg_v1_ctl c)
{
        static const char *const names[CG_V1_MAX] = {
                [CG_V1_MEMORY] = "memory",   [CG_V1_CPU] = "cpu",
                [CG_V1_CPUACCT] = "cpuacct", [CG_V1_PIDS] = "pids",
                [CG_V1_CPUSET] = "cpuset",   [CG_V1_BLKIO] = "blkio",
                [CG_V1_DEVICES] = "devices", [CG_V1_FREEZER] = "freezer",
        };
        return c < CG_V1_MAX ? names[c] : "?";
}

static cg_v1_ctl ctl_for_bit(unsigned bit)
{
        switch (bit) {
        case CG_C_MEMORY: return CG_V1_MEMORY;
        case CG_C_CPU: return CG_V1_CPU;
        case CG_C_PIDS: return CG_V1_PIDS;
        case CG_C_CPUSET: return CG_V1_CPUSET;
        case CG_C_IO: return CG_V1_BLKIO;
        case CG_C_DEVICES: return CG_V1_DEVICES;
        default: return CG_V1_MAX;
        }
}

static bool needs(unsigned need, cg_v1_ctl c)
{
        for (unsigned bit = 1; bit <= CG_C_DEVICES; bit <<= 1)
                if ((need & bit) && ctl_for_bit(bit) == c)
                        return true;
        return false;
}

static const char *delegation_hint(void)
{
        return geteuid() != 0 ? " (rootless: the cgroup must be delegated to this user)" : "";
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes: nothing
 * could join it until they are copied from the parent. */
static int cpuset_copy(int from_fd, const char *from, int to_fd, const char *to, err_t *e)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *v = NULL;
                int r = cg_read(from_fd, from, files[i], false, &v, e);
                if (r < 0)
                        return r;
                v[strcspn(v, "\n")] = '\0';
                r = cg_write(to_fd, to, files[i], v, false, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* cg_walk_make's step on the cpuset hierarchy: a directory made on the
 * way to a cgroups path's leaf gets its parent's CPUs and nodes too. */
static int cpuset_walk(int parent_fd, int fd, const char *path, bool made, void *ctx, err_t *e)
{
        (void)ctx;
        if (!made)
                return 0;
        _cleanup_free_ char *parent = path_dirname(path);
        return cpuset_copy(parent_fd, parent, fd, path, e);
}

/* The directory the leaf of a cgroups path goes in, on the hierarchy at
 * hfd (hpath), its missing parts made: its fd, its path in *ret_parent. */
static int at_parent(cgroup *cg, int hfd, const char *hpath, const char *own, cg_v1_ctl c,
                     char **ret_parent, err_t *e)
{
        _cleanup_free_ char *rel = cg_at_parent(cg->at, own);
        int fd = cg_walk_make(hfd, hpath, rel, false, c == CG_V1_CPUSET ? cpuset_walk : NULL, NULL,
                              &cg->made_parents, e);
        if (fd < 0)
                return err_prefix(e, "cgroups path %s", cg->at);
        *ret_parent = *rel ? path_join(hpath, rel) : xstrdup(hpath);
        return fd;
}

/* Join one hierarchy: returns 1 when joined, 0 when it is not there. */
static int join(cgroup *cg, const char *fsroot, int fsroot_fd, cg_v1_ctl c, bool needed,
                const cg_limits *l, ino_t inos[], dev_t devs[], err_t *e)
{
        const char *ctl = ctl_name(c);
        cg_v1_dir *d = &cg->v1[c];
        _cleanup_free_ char *hpath = path_join(fsroot, ctl);

        /* fsroot/cpu may be a symlink to the co-mounted "cpu,cpuacct". */
        _cleanup_close_ int hfd = openat(fsroot_fd, ctl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (hfd < 0)
                return 0;
        err_t e2 = {0};
        if (cg_check_magic(hfd, false, hpath, &e2) < 0)
                return 0;
        /* An absolute cgroups path does not depend on runroot's own cgroup. */
        _cleanup_free_ char *own = NULL;
        bool absolute = cg->at && cg->at[0] == '/';
        if (!absolute && cg_own_path(ctl, &own, &e2) < 0)
                return 0;
        struct stat st;
        if (fstat(hfd, &st) < 0)
                return err_sys(e, errno, "%s", hpath);
        for (int i = 0; i < CG_V1_MAX; i++) {
                if (i != (int)c && cg->v1[i].dirfd >= 0 && inos[i] == st.st_ino &&
                    devs[i] == st.st_dev) {
                        d->dirfd = fcntl(cg->v1[i].dirfd, F_DUPFD_CLOEXEC, 3);
                        d->parent_fd = fcntl(cg->v1[i].parent_fd, F_DUPFD_CLOEXEC, 3);
                        d->path = xstrdup(cg->v1[i].path);
                        d->owner = false;
                        inos[c] = st.st_ino;
                        devs[c] = st.st_dev;
                        /* devices co-mounted with another controller: the
                         * shared directory still needs the list */
                        if (c == CG_V1_DEVICES && !l->devices_all) {
                                int r = cg_v1_devices_setup(d->dirfd, d->path, l->devices,
                                                            l->ndevices, e);
                                if (r < 0)
                                        return r;
                        }
                        return 1;
                }
        }

        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int pfd = -1;
        if (cg->at) {
                pfd = at_parent(cg, hfd, hpath, own, c, &parent, e);
                if (pfd < 0)
                        return pfd;
        } else {
                const char *rel = own[1] ? own + 1 : ".";
                parent = own[1] ? path_join(hpath, rel) : xstrdup(hpath);
                pfd = cg_open_dir(hfd, rel, false, parent, e);
                if (pfd < 0)
                        return needed ? pfd : (err_clear(e), 0);
                cg_gc_siblings(pfd, parent, cg->name, false);
        }
        bool joined = false;
        if (mkdirat(pfd, cg->name, 0755) < 0) {
                int saved = errno;
                /* A cgroups path that is there is joined, as runc does. */
                if (saved == EEXIST && cg->at)
                        joined = true;
                else if (saved == EEXIST || needed || cg->at) {
                        bool denied = saved == EACCES || saved == EPERM || saved == EROFS;
                        return err_set(e, -saved, "%s/%s: make cgroup: %s%s%s", parent, cg->name,
                                       strerror(saved), denied ? "; no cgroup delegation" : "",
                                       denied ? delegation_hint() : "");
                } else {
                        log_debug("%s/%s: %s; not joining the %s hierarchy", parent, cg->name,
                                  strerror(saved), ctl);
                        return 0;
                }
        }
        d->path = path_join(parent, cg->name);
        d->parent_fd = steal_fd(&pfd);
        d->owner = true;
        d->joined = joined;
        int fd = cg_open_dir(d->parent_fd, cg->name, false, d->path, e);
        if (fd < 0) {
                err_t e3 = {0};
                if (!joined)
                        cg_rmdir(d->parent_fd, parent, cg->name, &e3);
                closep(&d->parent_fd);
                d->parent_fd = -1;
                free(steal_pointer(&d->path));
                return fd;
        }
        d->dirfd = fd;
        inos[c] = st.st_ino;
        devs[c] = st.st_dev;
        if (c == CG_V1_CPUSET && !joined) {
                int r = cpuset_copy(d->parent_fd, parent, d->dirfd, d->path, e);
                if (r < 0)
                        return r;
        }
        if (c == CG_V1_DEVICES && !l->devices_all) {
                int r = cg_v1_devices_setup(d->dirfd, d->path, l->devices, l->ndevices, e);
                if (r < 0)
                        return r;
        }
        return 1;
}

static int write_limits(cgroup *cg, const cg_limits *l, err_t *e)
{
        int r;
        if (l->memory >= 0) {
                cg_v1_dir *d = &cg->v1[CG_V1_MEMORY];
                r = cg_writef(d->dirfd, d->path, "memory.limit_in_bytes", false, e, "%lld",
                              (long long)l->memory);
                if (r < 0)
                        return r;
                /* docker's -m includes swap: memory+swap gets the same
                 * limit, unless OCI's memory.swap says otherwise. */
                int64_t sw = l->memory_swap >= 0    ? l->memory_swap
                             : l->memory_swap == -2 ? -1
                                                    : l->memory;
                r = cg_writef(d->dirfd, d->path, "memory.memsw.limit_in_bytes", false, e, "%lld",
                              (long long)sw);
                if (r == -ENOENT && !cg_host_has_swap() && l->memory_swap == -1)
                        err_clear(e);
                else if (r == -ENOENT)
                        return err_set(e, r,
                                       "%s: no memory.memsw.limit_in_bytes (swap accounting "
                                       "off), so swap cannot be limited",
                                       d->path);
                else if (r < 0)
                        return r;
        }
        if (l->memory_low >= 0) {
                cg_v1_dir *d = &cg->v1[CG_V1_MEMORY];
                r = cg_writef(d->dirfd, d->path, "memory.soft_limit_in_bytes", false, e, "%lld",
                              (long long)l->memory_low);
                if (r < 0)
                        return r;
        }
        if (l->swappiness >= 0) {
                cg_v1_dir *d = &cg->v1[CG_V1_MEMORY];
                r = cg_writef(d->dirfd, d->path, "memory.swappiness", false, e, "%lld",
                              (long long)l->swappiness);
                if (r < 0)
                        return r;
        }
        if (l->oom_kill_disable) {
                cg_v1_dir *d = &cg->v1[CG_V1_MEMORY];
                r = cg_write(d->dirfd, d->path, "memory.oom_control", "1", false, e);
                if (r < 0)
                        return r;
        }
        cg_v1_dir *cpu = &cg->v1[CG_V1_CPU];
        if (l->cpu_quota >= 0) {
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.cfs_period_us", false, e, "%lld",
                              (long long)l->cpu_period);
                if (r < 0)
                        return r;
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.cfs_quota_us", false, e, "%lld",
                              (long long)l->cpu_quota);
                if (r < 0)
                        return r;
        }
        if (l->cpu_shares >= 0 || l->cpu_weight >= 0) {
                /* v2 weight 1..10000 maps onto v1 shares 2..262144. */
                int64_t s = l->cpu_shares >= 0 ? l->cpu_shares
                                               : 2 + ((l->cpu_weight - 1) * 262142) / 9999;
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.shares", false, e, "%lld", (long long)s);
                if (r < 0)
                        return r;
        }
        if (l->cpu_burst >= 0) {
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.cfs_burst_us", false, e, "%lld",
                              (long long)l->cpu_burst);
                if (r < 0)
                        return r;
        }
        if (l->cpu_idle >= 0) {
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.idle", false, e, "%lld",
                              (long long)l->cpu_idle);
                if (r < 0)
                        return r;
        }
        if (l->cpu_rt_set && l->cpu_rt_period > 0) {
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.rt_period_us", false, e, "%lld",
                              (long long)l->cpu_rt_period);
                if (r < 0)
                        return r;
        }
        if (l->cpu_rt_set) {
                r = cg_writef(cpu->dirfd, cpu->path, "cpu.rt_runtime_us", false, e, "%lld",
                              (long long)l->cpu_rt_runtime);
                if (r < 0)
                        return r;
        }
        if (l->pids >= 0) {
                cg_v1_dir *d = &cg->v1[CG_V1_PIDS];
                r = cg_writef(d->dirfd, d->path, "pids.max", false, e, "%lld", (long long)l->pids);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_cpus) {
                cg_v1_dir *d = &cg->v1[CG_V1_CPUSET];
                r = cg_write(d->dirfd, d->path, "cpuset.cpus", l->cpuset_cpus, false, e);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_mems[0]) {
                cg_v1_dir *d = &cg->v1[CG_V1_CPUSET];
                r = cg_write(d->dirfd, d->path, "cpuset.mems", l->cpuset_mems, false, e);
                if (r < 0)
                        return r;
        }
        static const char *const tfiles[CG_THROTTLE_KIND_MAX] = {
                [CG_READ_BPS] = "blkio.throttle.read_bps_device",
                [CG_WRITE_BPS] = "blkio.throttle.write_bps_device",
                [CG_READ_IOPS] = "blkio.throttle.read_iops_device",
                [CG_WRITE_IOPS] = "blkio.throttle.write_iops_device",
        };
        for (size_t i = 0; i < l->nthrottle; i++) {
                const cg_throttle *t = &l->throttle[i];
                cg_v1_dir *d = &cg->v1[CG_V1_BLKIO];
                r = cg_writef(d->dirfd, d->path, tfiles[t->kind], false, e, "%u:%u %llu", t->major,
                              t->minor, (unsigned long long)t->rate);
                if (r < 0)
                        return r;
        }
        if (l->io_weight >= 0) {
                cg_v1_dir *d = &cg->v1[CG_V1_BLKIO];
                r = cg_writef(d->dirfd, d->path, "blkio.weight", false, e, "%lld",
                              (long long)l->io_weight);
                if (r == -ENOENT) {
                        err_clear(e);
                        r = cg_writef(d->dirfd, d->path, "blkio.bfq.weight", false, e, "%lld",
                                      (long long)l->io_weight);
                        if (r == -ENOENT)
                                return err_set(e, r,
                                               "%s: io weight not supported (neither "
                                               "blkio.weight nor blkio.bfq.weight)",
                                               d->path);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int cg_v1_create(cgroup *cg, const char *fsroot, const cg_limits *l, err_t *e)
{
        unsigned need = cg_needed(l);
        ino_t inos[CG_V1_MAX] = {0};
        dev_t devs[CG_V1_MAX] = {0};

        _cleanup_close_ int fsroot_fd = open(fsroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fsroot_fd < 0)
                return err_sys(e, errno, "%s", fsroot);
        /* The device policy alone needs the devices hierarchy and the
         * freezer (for the kill-all): joining the others would only cost
         * each run time. */
        bool devices_only = need == CG_C_DEVICES && !l->join_all;
        for (int c = 0; c < CG_V1_MAX; c++) {
                if (devices_only && c != CG_V1_DEVICES && c != CG_V1_FREEZER)
                        continue;
                int r = join(cg, fsroot, fsroot_fd, c, needs(need, c), l, inos, devs, e);
                if (r < 0)
                        return r;
                if (r == 0 && needs(need, c))
                        return err_set(e, -ENODEV,
                                       "%s/%s: no usable cgroup v1 %s hierarchy "
                                       "(and cgroup v2 does not offer it)%s",
                                       fsroot, ctl_name(c), ctl_name(c), delegation_hint());
                if (r > 0 && !cg->path)
                        cg->path = xstrdup(cg->v1[c].path);
        }
        if (!cg->path)
                return err_set(e, -ENODEV, "%s: no usable cgroup v1 hierarchy", fsroot);
        return write_limits(cg, l, e);
}

int cg_v1_attach(cgroup *cg, pid_t pid, err_t *e)
{
        for (int c = 0; c < CG_V1_MAX; c++) {
                cg_v1_dir *d = &cg->v1[c];
                if (d->dirfd < 0 || !d->owner)
                        continue;
                int r = cg_writef(d->dirfd, d->path, "cgroup.procs", false, e, "%d", (int)pid);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool cg_v1_oom_killed(cgroup *cg)
{
        cg_v1_dir *d = &cg->v1[CG_V1_MEMORY];
        _cleanup_free_ char *data = NULL;
        err_t e = {0};
        int64_t n = 0;

        if (d->dirfd < 0)
                return false;
        if (cg_read(d->dirfd, d->path, "memory.oom_control", false, &data, &e) == 0 &&
            cg_kv_get(data, "oom_kill", &n) == 0)
                return n > 0;
        /* Older kernels have no counter: a limit hit is the best evidence,
         * meaningful only together with the command's SIGKILL. */
        static const char *const files[] = {"memory.failcnt", "memory.memsw.failcnt"};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *v = NULL;
                if (cg_read(d->dirfd, d->path, files[i], false, &v, &e) == 0 && atoll(v) > 0)
                        return true;
        }
        return false;
}

static bool kill_all_listed(cgroup *cg)
{
        bool any = false;
        for (int c = 0; c < CG_V1_MAX; c++) {
                cg_v1_dir *d = &cg->v1[c];
                if (d->dirfd < 0 || !d->owner || d->joined)
                        continue; /* a joined one's other processes are not ours */
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                err_t e = {0};
                if (cg_procs(d->dirfd, d->path, false, &pids, &n, &e) < 0)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        kill(pids[i], SIGKILL);
                        any = true;
                }
        }
        return any;
}

static void freeze_and_kill(cg_v1_dir *f)
{
        err_t e = {0};
        if (cg_write(f->dirfd, f->path, "freezer.state", "FROZEN", false, &e) < 0)
                return;
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *state = NULL;
                if (cg_read(f->dirfd, f->path, "freezer.state", false, &state, &e) < 0 ||
                    strncmp(state, "FROZEN", 6) == 0)
                        break;
                cg_sleep_ms(10);
        }
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (cg_procs(f->dirfd, f->path, false, &pids, &n, &e) == 0)
                for (size_t i = 0; i < n; i++)
                        kill(pids[i], SIGKILL);
        /* Frozen tasks cannot die: thaw so the SIGKILLs land. */
        cg_write(f->dirfd, f->path, "freezer.state", "THAWED", false, &e);
}

int cg_v1_destroy(cgroup *cg, err_t *e)
{
        cg_v1_dir *f = &cg->v1[CG_V1_FREEZER];
        if (f->dirfd >= 0 && f->owner && !f->joined)
                freeze_and_kill(f);
        for (int i = 0; i < 500 && kill_all_listed(cg); i++)
                cg_sleep_ms(10);

        int first = 0;
        for (int c = CG_V1_MAX - 1; c >= 0; c--) {
                cg_v1_dir *d = &cg->v1[c];
                if (!d->path)
                        continue;
                if (d->owner && !d->joined) {
                        closep(&d->dirfd);
                        d->dirfd = -1;
                        _cleanup_free_ char *parent = path_dirname(d->path);
                        err_t e2 = {0};
                        int r = cg_rmdir(d->parent_fd, parent, cg->name, &e2);
                        if (r < 0) {
                                if (!first) {
                                        first = r;
                                        *e = e2;
                                }
                                continue;
                        }
                }
                closep(&d->dirfd);
                closep(&d->parent_fd);
                d->dirfd = d->parent_fd = -1;
                free(steal_pointer(&d->path));
        }
        return first;
}

int cg_v1_open(cgroup *cg, const char *fsroot, const char *proc_cgroup, err_t *e)
{
        int found = 0;
        for (int c = 0; c < CG_V1_MAX; c++) {
                _cleanup_free_ char *rel = cg_proc_path(proc_cgroup, ctl_name(c));
                if (!rel)
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/%s%s", fsroot, ctl_name(c), rel);
                int fd = cg_open_dir(AT_FDCWD, dir, false, dir, e);
                if (fd < 0)
                        return fd;
                cg_v1_dir *d = &cg->v1[c];
                d->dirfd = fd;
                d->path = steal_pointer(&dir);
                d->owner = false;
                if (!cg->path)
                        cg->path = xstrdup(d->path);
                found = 1;
        }
        return found;
}

int cg_v1_open_dirs(cgroup *cg, const char *fsroot, const strv *dirs, err_t *e)
{
        size_t flen = strlen(fsroot);
        int found = 0;
        for (size_t i = 0; i < dirs->n; i++) {
                const char *dir = dirs->v[i];
                if (strncmp(dir, fsroot, flen) != 0 || dir[flen] != '/')
                        continue;
                /* fsroot/H/...: H names the hierarchy's controllers */
                const char *h = dir + flen + 1;
                _cleanup_free_ char *hier = xstrndup(h, strcspn(h, "/"));
                for (int c = 0; c < CG_V1_MAX; c++) {
                        cg_v1_dir *d = &cg->v1[c];
                        if (d->dirfd >= 0 || !cg_list_has(hier, ctl_name(c)))
                                continue;
                        int fd = cg_open_dir(AT_FDCWD, dir, false, dir, e);
                        if (fd < 0)
                                return fd;
                        d->dirfd = fd;
                        d->path = xstrdup(dir);
                        if (!cg->path)
                                cg->path = xstrdup(dir);
                        found = 1;
                }
        }
        return found;
}

/* The directory of c, or an error naming the hierarchy it lacks. */
static int dir_of(cgroup *cg, cg_v1_ctl c, cg_v1_dir **ret, err_t *e)
{
        if (cg->v1[c].dirfd < 0)
                return err_set(e, -ENODEV, "%s: not in a cgroup v1 %s hierarchy",
                               cg->path ? cg->path : "the container", ctl_name(c));
        *ret = &cg->v1[c];
        return 0;
}

int cg_v1_pids(cgroup *cg, pid_t **ret, size_t *ret_n, err_t *e)
{
        for (int c = CG_V1_MAX - 1; c >= 0; c--) /* the freezer first: every process is there */
                if (cg->v1[c].dirfd >= 0)
                        return cg_procs(cg->v1[c].dirfd, cg->v1[c].path, false, ret, ret_n, e);
        return err_set(e, -ENODEV, "the container is in no cgroup v1 hierarchy");
}

int cg_v1_is_frozen(cgroup *cg, bool *ret)
{
        cg_v1_dir *f = &cg->v1[CG_V1_FREEZER];
        _cleanup_free_ char *state = NULL;
        err_t e = {0};
        if (f->dirfd < 0)
                return -ENODEV;
        int r = cg_read(f->dirfd, f->path, "freezer.state", false, &state, &e);
        if (r < 0)
                return r;
        *ret = !strncmp(state, "FROZEN", 6);
        return 0;
}

int cg_v1_freeze(cgroup *cg, bool frozen, err_t *e)
{
        cg_v1_dir *f = NULL;
        int r = dir_of(cg, CG_V1_FREEZER, &f, e);
        if (r == 0)
                r = cg_write(f->dirfd, f->path, "freezer.state", frozen ? "FROZEN" : "THAWED",
                             false, e);
        for (int i = 0; r == 0 && i < 500; i++) {
                bool now = !frozen;
                if ((r = cg_v1_is_frozen(cg, &now)) < 0)
                        return err_sys(e, -r, "%s/freezer.state", f->path);
                if (now == frozen)
                        return 0;
                /* FREEZING: a task that did not stop yet is asked again. */
                if (frozen && i % 10 == 9)
                        r = cg_write(f->dirfd, f->path, "freezer.state", "FROZEN", false, e);
                cg_sleep_ms(10);
        }
        return r < 0 ? r : err_set(e, -ETIMEDOUT, "%s: not frozen after 5 s", f->path);
}

int cg_v1_update(cgroup *cg, const cg_limits *l, err_t *e)
{
        cg_v1_dir *d = NULL;
        int r = 0;
        if ((l->memory_low >= 0 || l->memory_swap != -1 || l->swappiness >= 0 ||
             l->oom_kill_disable) &&
            l->memory < 0)
                r = dir_of(cg, CG_V1_MEMORY, &d, e);
        if (l->memory >= 0 && (r = dir_of(cg, CG_V1_MEMORY, &d, e)) == 0) {
                /* memory+swap may not go below the memory limit: raised
                 * first (a lower one fails here and is written after). */
                err_t ignore = {0};
                cg_writef(d->dirfd, d->path, "memory.memsw.limit_in_bytes", false, &ignore, "%lld",
                          (long long)l->memory);
        }
        if (r == 0 && (l->cpu_quota >= 0 || l->cpu_shares >= 0 || l->cpu_weight >= 0 ||
                       l->cpu_burst >= 0 || l->cpu_idle >= 0 || l->cpu_rt_set))
                r = dir_of(cg, CG_V1_CPU, &d, e);
        if (r == 0 && l->pids >= 0)
                r = dir_of(cg, CG_V1_PIDS, &d, e);
        if (r == 0 && (l->cpuset_cpus || l->cpuset_mems[0]))
                r = dir_of(cg, CG_V1_CPUSET, &d, e);
        if (r == 0 && (l->io_weight >= 0 || l->nthrottle))
                r = dir_of(cg, CG_V1_BLKIO, &d, e);
        return r < 0 ? r : write_limits(cg, l, e);
}
