/* cgroup: version detection, the shared safe file helpers and the public
 * entry points that dispatch to cgroup_v1.c / cgroup_v2.c. */
#include "cgroup.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "cgroup-internal.h"

cg_test_hooks cg_test;

void cg_limits_init(cg_limits *l)
{
        *l = (cg_limits){
                .memory = -1,
                .cpu_quota = -1,
                .cpu_period = 100000,
                .pids = -1,
                .cpuset_cpus = NULL,
                .cpu_weight = -1,
                .cpu_shares = -1,
                .io_weight = -1,
        };
}

bool cg_limits_any(const cg_limits *l)
{
        return l && (cg_needed(l) & ~CG_C_DEVICES) != 0;
}

unsigned cg_needed(const cg_limits *l)
{
        unsigned m = 0;
        if (l->memory >= 0)
                m |= CG_C_MEMORY;
        if (l->cpu_quota >= 0 || l->cpu_weight >= 0 || l->cpu_shares >= 0)
                m |= CG_C_CPU;
        if (l->pids >= 0)
                m |= CG_C_PIDS;
        if (l->cpuset_cpus)
                m |= CG_C_CPUSET;
        if (l->io_weight >= 0)
                m |= CG_C_IO;
        if (l->device_policy)
                m |= CG_C_DEVICES;
        return m;
}

/* docker's --cpus: a decimal number of CPUs, turned into quota/period
 * without floating point so "0.05" is exactly 5000/100000. */
int cg_parse_cpus(const char *s, cg_limits *l)
{
        int64_t whole = 0, frac = 0, scale = 100000;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        if (!isdigit((unsigned char)*p) && *p != '.')
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                whole = whole * 10 + (*p - '0');
                if (whole > 100000)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                int64_t div = 100000;
                for (; isdigit((unsigned char)*p); p++) {
                        div /= 10;
                        frac += (*p - '0') * div; /* digits past 1e-5 are dropped */
                }
        }
        if (*p != '\0' || p == s || (p == s + 1 && *s == '.'))
                return -EINVAL;
        int64_t quota = whole * scale + frac;
        /* The kernel's minimum quota is 1ms. */
        if (quota < 1000)
                return -ERANGE;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (ncpu > 0 && quota > ncpu * scale)
                return -ERANGE;
        l->cpu_quota = quota;
        l->cpu_period = scale;
        return 0;
}

const char *cg_v1_name(cg_v1_ctl c)
{
        static const char *const names[CG_V1_MAX] = {
                [CG_V1_MEMORY] = "memory",   [CG_V1_CPU] = "cpu",
                [CG_V1_CPUACCT] = "cpuacct", [CG_V1_PIDS] = "pids",
                [CG_V1_CPUSET] = "cpuset",   [CG_V1_BLKIO] = "blkio",
                [CG_V1_DEVICES] = "devices", [CG_V1_FREEZER] = "freezer",
        };
        return c < CG_V1_MAX ? names[c] : "?";
}

int cg_check_magic(int fd, bool v2, const char *what, err_t *e)
{
        struct statfs sfs;

        if (cg_test.fake_fs)
                return 0;
        if (fstatfs(fd, &sfs) < 0)
                return err_sys(e, errno, "%s: statfs", what);
        if (v2 ? sfs.f_type != CGROUP2_SUPER_MAGIC : sfs.f_type != CGROUP_SUPER_MAGIC)
                return err_set(e, -EXDEV, "%s: not on a cgroup%s file system", what, v2 ? "2" : "");
        return 0;
}

int cg_open_dir(int dirfd, const char *rel, bool v2, const char *what, err_t *e)
{
        _cleanup_close_ int fd =
                openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", what);
        int r = cg_check_magic(fd, v2, what, e);
        if (r < 0)
                return r;
        return steal_fd(&fd);
}

/* Every cgroup file is opened below the cgroup's dir fd without following
 * a symlink, and written only after its file system proved to be cgroupfs. */
int cg_write(int dirfd, const char *dir, const char *file, const char *value, bool v2, err_t *e)
{
        int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
        if (cg_test.fake_fs)
                flags |= O_CREAT | O_TRUNC;
        if (cg_test.fake_fs && cg_test.write_hook) {
                int h = cg_test.write_hook(dirfd, file, value);
                if (h < 0)
                        return err_sys(e, -h, "%s/%s: write \"%s\"", dir, file, value);
                if (h > 0)
                        return 0;
        }
        _cleanup_close_ int fd = openat(dirfd, file, flags, 0644);
        if (fd < 0)
                return err_sys(e, errno, "%s/%s", dir, file);
        _cleanup_free_ char *what = path_join(dir, file);
        int r = cg_check_magic(fd, v2, what, e);
        if (r < 0)
                return r;
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        if (n < 0)
                return err_sys(e, errno, "%s: write \"%s\"", what, value);
        if ((size_t)n != len)
                return err_set(e, -EIO, "%s: short write of \"%s\"", what, value);
        return 0;
}

int cg_writef(int dirfd, const char *dir, const char *file, bool v2, err_t *e, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *value = NULL;
        int n = vasprintf(&value, fmt, ap);
        va_end(ap);
        if (n < 0)
                return err_set(e, -ENOMEM, "%s/%s: out of memory", dir, file);
        return cg_write(dirfd, dir, file, value, v2, e);
}

int cg_read(int dirfd, const char *dir, const char *file, bool v2, char **ret, err_t *e)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s/%s", dir, file);
        _cleanup_free_ char *what = path_join(dir, file);
        int r = cg_check_magic(fd, v2, what, e);
        if (r < 0)
                return r;
        strbuf b = {0};
        char buf[4096];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int saved = errno;
                        sb_free(&b);
                        return err_sys(e, saved, "%s: read", what);
                }
                if (n == 0)
                        break;
                sb_appendn(&b, buf, (size_t)n);
                if (b.len > (1 << 20)) {
                        sb_free(&b);
                        return err_set(e, -EFBIG, "%s: too large", what);
                }
        }
        char *data = sb_steal(&b);
        *ret = data;
        return 0;
}

int cg_kv_get(const char *data, const char *key, int64_t *ret)
{
        size_t klen = strlen(key);
        for (const char *p = data; p && *p;) {
                const char *eol = strchr(p, '\n');
                if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
                        char *end;
                        errno = 0;
                        long long v = strtoll(p + klen + 1, &end, 10);
                        if (errno != 0 || end == p + klen + 1)
                                return -EINVAL;
                        *ret = v;
                        return 0;
                }
                p = eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

static bool list_has(const char *list, const char *word)
{
        size_t wlen = strlen(word);
        for (const char *p = list; *p;) {
                size_t n = strcspn(p, ",");
                if (n == wlen && strncmp(p, word, n) == 0)
                        return true;
                p += n;
                if (*p == ',')
                        p++;
        }
        return false;
}

int cg_own_path(const char *controller, char **ret, err_t *e)
{
        const char *file =
                cg_test.proc_self_cgroup ? cg_test.proc_self_cgroup : "/proc/self/cgroup";
        _cleanup_free_ char *data = NULL;
        int r = fs_read_file_at(AT_FDCWD, file, 1 << 20, &data, NULL, e);
        if (r < 0)
                return r;
        for (char *line = data; line && *line;) {
                char *eol = strchr(line, '\n');
                if (eol)
                        *eol = '\0';
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (c1 && c2) {
                        *c1 = *c2 = '\0';
                        const char *id = line, *ctls = c1 + 1, *path = c2 + 1;
                        bool match = controller ? list_has(ctls, controller)
                                                : (strcmp(id, "0") == 0 && *ctls == '\0');
                        if (match) {
                                if (path[0] != '/' || strstr(path, "/..") ||
                                    strstr(path, " (deleted)"))
                                        return err_set(e, -EINVAL,
                                                       "%s: unusable cgroup path \"%s\"", file,
                                                       path);
                                *ret = xstrdup(path);
                                return 0;
                        }
                }
                line = eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

int cg_procs(int dirfd, const char *dir, bool v2, pid_t **ret, size_t *ret_n, err_t *e)
{
        _cleanup_free_ char *data = NULL;
        int r = cg_read(dirfd, dir, "cgroup.procs", v2, &data, e);
        if (r < 0)
                return r;
        pid_t *v = NULL;
        size_t n = 0;
        for (char *p = data; *p;) {
                char *end;
                long pid = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (pid > 0) {
                        v = xreallocarray(v, n + 1, sizeof *v);
                        v[n++] = (pid_t)pid;
                }
                p = end;
                while (*p == '\n' || *p == ' ')
                        p++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void cg_sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* In a fake tree the "kernel files" are ordinary files the test made. */
static void fake_empty_dir(int parent_fd, const char *name)
{
        _cleanup_close_ int fd =
                openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d)
                return;
        fd = -1;
        _cleanup_closedir_ DIR *dd = d;
        struct dirent *de;
        while ((de = readdir(dd)))
                if (de->d_type == DT_REG)
                        unlinkat(dirfd(dd), de->d_name, 0);
}

int cg_rmdir(int parent_fd, const char *parent, const char *name, err_t *e)
{
        if (cg_test.fake_fs)
                fake_empty_dir(parent_fd, name);
        /* Exiting tasks leave the cgroup a little after SIGKILL: retry EBUSY
         * for up to five seconds. */
        for (int i = 0; i < 500; i++) {
                if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        break;
                cg_sleep_ms(10);
        }
        return err_sys(e, errno, "%s/%s: remove cgroup", parent, name);
}

void cg_gc_siblings(int parent_fd, const char *parent, const char *name, bool v2)
{
        const char *dash = strchr(name, '-');
        if (!dash)
                return;
        size_t plen = (size_t)(dash - name) + 1;
        int fd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        _cleanup_closedir_ DIR *dd = d;
        struct dirent *de;
        while ((de = readdir(dd))) {
                if (de->d_type != DT_DIR || strncmp(de->d_name, name, plen) != 0)
                        continue;
                char *end;
                long pid = strtol(de->d_name + plen, &end, 10);
                if (end == de->d_name + plen || *end != '-' || pid <= 0 || pid == getpid())
                        continue;
                if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue; /* its runroot still runs */
                _cleanup_free_ char *path = path_join(parent, de->d_name);
                err_t e = {0};
                _cleanup_close_ int cfd = cg_open_dir(parent_fd, de->d_name, v2, path, &e);
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                if (cfd < 0 || cg_procs(cfd, path, v2, &pids, &n, &e) < 0 || n > 0)
                        continue; /* something still lives there: not ours to end */
                /* A run in another pid namespace may not have attached yet. */
                struct stat st;
                if (fstat(cfd, &st) < 0 || time(NULL) - st.st_mtime < 30)
                        continue;
                if (cg_rmdir(parent_fd, parent, de->d_name, &e) == 0)
                        log_debug("%s: removed, left by a runroot that was killed", path);
        }
}

bool cg_host_has_swap(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        if (!f)
                return true;
        while (fgets(line, sizeof line, f)) {
                unsigned long long kb;
                if (sscanf(line, "SwapTotal: %llu", &kb) == 1)
                        return kb > 0;
        }
        return true;
}

static bool valid_name(const char *name)
{
        return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
               strcmp(name, "..") != 0 && strlen(name) < NAME_MAX - 16;
}

static cgroup *cg_new(const char *name)
{
        cgroup *cg = xcalloc(1, sizeof *cg);
        cg->name = xstrdup(name);
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

int cg_create(const char *fsroot, const char *name, const cg_limits *l, cgroup **ret, err_t *e)
{
        unsigned need = cg_needed(l);
        int r;

        *ret = NULL;
        if (!valid_name(name))
                return err_set(e, -EINVAL, "cgroup name \"%s\": invalid", name ? name : "");
        _cleanup_close_ int rootfd = open(fsroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                if (!need)
                        return 0;
                return err_sys(e, errno, "%s: cgroup file system not available", fsroot);
        }

        cgroup *cg = cg_new(name);
        _cleanup_free_ char *v2root = NULL;
        _cleanup_close_ int v2fd = -1;
        bool pure = false;
        bool use_v2 = false;
        if (detect_v2(rootfd, fsroot, &v2root, &v2fd, &pure) > 0) {
                /* hybrid: v2 only when it offers every controller asked for;
                 * with no limits, v1 has the freezer for the kill-all (and
                 * the devices hierarchy). */
                unsigned ctls = need & CG_C_V2_CTLS;
                use_v2 = pure || (ctls && cg_v2_probe(v2fd, ctls, e) > 0);
                err_clear(e);
        }
        if (use_v2) {
                cg->mode = CG_V2;
                r = cg_v2_create(cg, v2fd, v2root, l, e);
        } else {
                cg->mode = CG_V1;
                r = cg_v1_create(cg, fsroot, l, e);
        }
        if (r < 0) {
                err_t e2 = {0};
                if (cg_destroy(cg, &e2) < 0)
                        log_warn("%s", e2.msg);
                cg_free(cg);
                if (!need) {
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

bool cg_oom_killed(cgroup *cg)
{
        if (!cg || cg->destroyed)
                return false;
        return cg->mode == CG_V2 ? cg_v2_oom_killed(cg) : cg_v1_oom_killed(cg);
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
