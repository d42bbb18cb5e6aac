/* cgroup-utils: safe file helpers and process bookkeeping shared by the
 * cgroup versions; nothing here knows v1 from v2 beyond the file system
 * magic it checks. */
#include "cgroup-utils.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

cg_test_hooks cg_test;

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
        r = fd_read_all(fd, 1 << 20, ret, NULL);
        if (r == -EFBIG)
                return err_set(e, -EFBIG, "%s: too large", what);
        if (r < 0)
                return err_sys(e, -r, "%s: read", what);
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

bool cg_list_has(const char *list, const char *word)
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
                        bool match = controller ? cg_list_has(ctls, controller)
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

int cg_rmdir_once(const char *path)
{
        if (cg_test.fake_fs)
                fake_empty_dir(AT_FDCWD, path);
        return unlinkat(AT_FDCWD, path, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -errno;
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

char *cg_proc_path(const char *proc_cgroup, const char *ctl)
{
        for (const char *p = proc_cgroup; p && *p;) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t)(eol - p) : strlen(p);
                _cleanup_free_ char *line = xstrndup(p, n);
                p = eol ? eol + 1 : NULL;
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = *c2 = '\0';
                const char *ctls = c1 + 1, *path = c2 + 1;
                bool match = *ctl ? cg_list_has(ctls, ctl) : !strcmp(line, "0") && !*ctls;
                const char *base = strrchr(path, '/');
                if (match && base && !strncmp(base + 1, "runroot-", 8) && !strstr(path, "/.."))
                        return xstrdup(path);
        }
        return NULL;
}

int cg_walk_make(int dirfd, const char *dir, const char *rel, bool v2, cg_walk_fn fn, void *ctx,
                 strv *made, err_t *e)
{
        _cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return err_sys(e, errno, "%s", dir);
        _cleanup_free_ char *path = xstrdup(dir);
        int r = fn ? fn(-1, cur, path, false, ctx, e) : 0;
        if (r < 0)
                return r;
        for (const char *p = rel; *p;) {
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *comp = xstrndup(p, n);
                p += n;
                p += strspn(p, "/");
                if (!*comp || !strcmp(comp, ".") || !strcmp(comp, ".."))
                        return err_set(e, -EINVAL, "%s/%s: not a cgroup name", path, comp);
                _cleanup_free_ char *next = path_join(path, comp);
                bool made_it = mkdirat(cur, comp, 0755) == 0;
                if (!made_it && errno != EEXIST) {
                        int saved = errno;
                        bool denied = saved == EACCES || saved == EPERM || saved == EROFS;
                        return err_set(e, -saved, "%s: make cgroup: %s%s", next, strerror(saved),
                                       denied ? "; no cgroup delegation" : "");
                }
                if (made_it && made)
                        strv_push(made, next);
                _cleanup_close_ int fd = cg_open_dir(cur, comp, v2, next, e);
                if (fd < 0)
                        return fd;
                if (fn && (r = fn(cur, fd, next, made_it, ctx, e)) < 0)
                        return r;
                closep(&cur);
                cur = steal_fd(&fd);
                free(path);
                path = steal_pointer(&next);
        }
        return steal_fd(&cur);
}

char *cg_at_parent(const char *at, const char *base)
{
        _cleanup_free_ char *dir = path_dirname(at);
        const char *d = dir + strspn(dir, "/");
        if (!strcmp(d, "."))
                d = "";
        const char *b = base ? base + strspn(base, "/") : "";
        if (!*b || !*d)
                return xstrdup(*b ? b : d);
        return path_join(b, d);
}
