/* What runroot does to a container once it runs, as docker does it: stop
 * (SIGTERM through its init, SIGKILL of its whole cgroup after the
 * timeout), kill, wait, inspect, and what gc and rm remove of a dead
 * one (its cgroups, its state). A container's init is signalled through
 * a pidfd opened while its start time still matches the record, so that
 * a pid reused meanwhile is never signalled. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static void nap_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int container_pidfd(const container_info *c)
{
        if (!c->init_pid)
                return -ESRCH;
        int fd = (int)syscall(SYS_pidfd_open, c->init_pid, 0);
        if (fd < 0)
                return -errno;
        int64_t start;
        /* Opened, then checked: the pidfd now holds that very process. */
        if (!container_int(c->run, "init_start", &start) ||
            proc_start_time(c->init_pid) != (unsigned long long)start) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

int container_netns(store *s, const char *name, int *ret_fd, err_t *e)
{
        container_info c = {0};
        int r = container_find(s, name, &c, e);
        if (r < 0)
                return err_prefix(e, "--net container:%s", name);
        _cleanup_close_ int pfd = c.running ? container_pidfd(&c) : -ESRCH;
        if (pfd < 0 && pfd != -ENOSYS) {
                container_info_free(&c);
                return err_set(e, -ESRCH, "--net container:%s: not running", name);
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)c.init_pid);
        container_info_free(&c);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "--net container:%s: %s", name, path);
        *ret_fd = fd;
        return 0;
}

/* Whether c's init is still the recorded process. */
static bool init_same(const container_info *c)
{
        int64_t start;
        return c->init_pid && container_int(c->run, "init_start", &start) &&
               proc_start_time(c->init_pid) == (unsigned long long)start;
}

/* sig to c's init through pfd, or by pid (checked again just before) on
 * kernels without pidfds (before 5.3: pfd is -ENOSYS). */
static int init_signal(const container_info *c, int pfd, int sig)
{
        if (pfd >= 0)
                return syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0 ? -errno : 0;
        if (pfd != -ENOSYS || !init_same(c))
                return -ESRCH;
        return kill(c->init_pid, sig) < 0 ? -errno : 0;
}

/* Whether c's init ended within ms (-1: wait for it). */
static bool init_wait(const container_info *c, int pfd, int ms)
{
        int64_t end = now_ms() + ms;
        if (pfd < 0) {
                while (init_same(c)) {
                        if (ms >= 0 && now_ms() >= end)
                                return false;
                        nap_ms(20);
                }
                return true;
        }
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        for (;;) {
                int left = ms < 0 ? -1 : (int)(end - now_ms());
                if (ms >= 0 && left < 0)
                        left = 0;
                int r = poll(&p, 1, left);
                if (r > 0)
                        return true;
                if (r == 0)
                        return false;
                if (errno != EINTR)
                        return false;
        }
}

/* SIGKILL to every process in the container's cgroups (cgroup.kill on
 * v2, each pid of cgroup.procs on v1), not only to its init. */
static void cgroups_kill(const container_info *c)
{
        _cleanup_strv_ strv cgs = {0};
        container_strv(c->run, "cgroups", &cgs);
        for (size_t i = 0; i < cgs.n; i++) {
                _cleanup_close_ int dfd = open(cgs.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        continue;
                _cleanup_close_ int k = openat(dfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
                if (k >= 0 && write(k, "1", 1) == 1)
                        continue;
                for (int round = 0; round < 3; round++) {
                        _cleanup_free_ char *procs = NULL;
                        size_t len = 0;
                        if (fs_read_file_at(dfd, "cgroup.procs", 1 << 20, &procs, &len, NULL) < 0 ||
                            !len)
                                break;
                        char *save = NULL;
                        for (char *l = strtok_r(procs, "\n", &save); l;
                             l = strtok_r(NULL, "\n", &save)) {
                                long pid = strtol(l, NULL, 10);
                                if (pid > 1)
                                        kill((pid_t)pid, SIGKILL);
                        }
                }
        }
}

/* Until the run that holds the name let it go (its host side removed the
 * cgroup and recorded the exit), at most ms. */
static bool name_released(store *s, const char *name, int ms)
{
        int64_t end = now_ms() + ms;
        for (;;) {
                bool running = false;
                if (store_name_running(s, name, &running, NULL) < 0 || !running)
                        return true;
                if (now_ms() >= end)
                        return false;
                nap_ms(20);
        }
}

/* The state directory of a detached container (-ENOENT for one run in
 * the foreground). */
int container_state_dir(const container_info *c, int *ret_dfd, err_t *e)
{
        const char *id = container_str(c->config, "id");
        if (!id)
                return -ENOENT;
        return state_open(id, false, ret_dfd, e);
}

/* The monitor of c (when it has one) ended: its last word is written. */
static void monitor_gone(const container_info *c, int ms)
{
        _cleanup_close_ int dfd = -1;
        if (container_state_dir(c, &dfd, NULL) < 0)
                return;
        int64_t end = now_ms() + ms;
        while (state_monitor_alive(dfd) && now_ms() < end)
                nap_ms(20);
}

typedef int (*container_fn)(store *s, container_info *c, void *arg, err_t *e);

/* Open the store, find the container, call fn. */
static int with_container(const char *cache_dir, const char *what, container_fn fn, void *arg,
                          err_t *e)
{
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        container_info c = {0};
        r = container_find(s, what, &c, e);
        if (r == 0)
                r = fn(s, &c, arg, e);
        container_info_free(&c);
        store_free(s);
        return r;
}

typedef struct stop_args {
        int timeout;
        bool killed; /* ret: SIGKILL was needed */
} stop_args;

static int do_stop(store *s, container_info *c, void *arg, err_t *e)
{
        stop_args *a = arg;
        if (!c->running)
                return 0; /* as docker: stopping a stopped container is done */
        _cleanup_close_ int pfd = container_pidfd(c);
        if (init_signal(c, pfd, SIGTERM) == 0 && init_wait(c, pfd, a->timeout * 1000)) {
                if (name_released(s, c->name, 10000)) {
                        monitor_gone(c, 5000);
                        return 0;
                }
        }
        a->killed = true;
        cgroups_kill(c);
        init_signal(c, pfd, SIGKILL);
        if (!name_released(s, c->name, 15000))
                return err_set(e, -ETIMEDOUT, "%s: still running after SIGKILL", c->name);
        monitor_gone(c, 5000);
        return 0;
}

int runner_container_stop(const char *cache_dir, const char *name, int timeout, err_t *e)
{
        stop_args a = {.timeout = timeout < 0 ? 10 : timeout};
        return with_container(cache_dir, name, do_stop, &a, e);
}

/* The command under the init: the first child of the init. */
static pid_t command_pid(pid_t init)
{
        char path[96];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (fs_read_file_at(AT_FDCWD, path, 4096, &data, &len, NULL) < 0)
                return 0;
        long pid = strtol(data, NULL, 10);
        return pid > 1 ? (pid_t)pid : 0;
}

static int do_kill(store *s, container_info *c, void *arg, err_t *e)
{
        int sig = *(int *)arg;
        (void)s;
        if (!c->running)
                return err_set(e, -ESRCH, "%s: not running", c->name);
        _cleanup_close_ int pfd = container_pidfd(c);
        if (pfd < 0 && pfd != -ENOSYS)
                return err_set(e, -ESRCH, "%s: not running", c->name);
        if (sig == SIGKILL) {
                cgroups_kill(c);
                int r = init_signal(c, pfd, SIGKILL);
                return r == 0 || r == -ESRCH
                               ? 0
                               : err_set(e, r, "%s: SIGKILL: %s", c->name, strerror(-r));
        }
        /* The init forwards these to the command; any other reaches the
         * command straight (an init has no handler for it). */
        bool forwarded = false;
        for (size_t i = 0; i < init_forward_signals_n; i++)
                forwarded |= init_forward_signals[i] == sig;
        int r;
        if (forwarded || sig == 0) {
                r = init_signal(c, pfd, sig);
        } else {
                pid_t cmd = command_pid(c->init_pid);
                if (!cmd)
                        return err_set(e, -ESRCH, "%s: its command has ended", c->name);
                r = kill(cmd, sig) < 0 ? -errno : 0;
        }
        return r < 0 ? err_set(e, r, "%s: signal %d: %s", c->name, sig, strerror(-r)) : 0;
}

int runner_container_kill(const char *cache_dir, const char *name, int sig, err_t *e)
{
        return with_container(cache_dir, name, do_kill, &sig, e);
}

/* How the last run ended: run.json's record, else the monitor's (a host
 * side that was killed records nothing), else 137: SIGKILL is the only
 * way to end one without a record. */
static int exit_code_of(const container_info *c)
{
        int64_t v;
        if (container_int(c->run, "exit", &v) && v >= 0 && v <= 255)
                return (int)v;
        _cleanup_close_ int dfd = -1;
        if (container_state_dir(c, &dfd, NULL) == 0) {
                json_object *st = state_read(dfd);
                bool got = container_int(st, "exit", &v) && v >= 0 && v <= 255;
                if (st)
                        json_object_put(st);
                if (got)
                        return (int)v;
        }
        return 137;
}

static int do_wait(store *s, container_info *c, void *arg, err_t *e)
{
        /* Until the run lets the name go, its init ended or not: its host
         * side records the exit before that. */
        _cleanup_close_ int pfd = c->running ? container_pidfd(c) : -ESRCH;
        if (pfd >= 0 || pfd == -ENOSYS)
                init_wait(c, pfd, -1);
        while (!name_released(s, c->name, 60000))
                ;
        monitor_gone(c, 5000);
        _cleanup_free_ char *name = xstrdup(c->name);
        container_info_free(c);
        int r = container_find(s, name, c, e);
        if (r < 0)
                return r;
        *(int *)arg = exit_code_of(c);
        return 0;
}

int runner_container_wait(const char *cache_dir, const char *name, int *ret_code, err_t *e)
{
        return with_container(cache_dir, name, do_wait, ret_code, e);
}

/* ---- inspect ---------------------------------------------------------- */

static json_object *time_json(int64_t t)
{
        if (t <= 0)
                return json_object_new_string("0001-01-01T00:00:00Z");
        struct timespec ts = {.tv_sec = (time_t)t};
        char buf[64];
        runner_log_time(&ts, buf, sizeof buf);
        return json_object_new_string(buf);
}

static json_object *strs_json(json_object *src, const char *key)
{
        json_object *v = NULL;
        if (src && json_object_object_get_ex(src, key, &v))
                return json_object_get(v);
        return json_object_new_array();
}

static json_object *opt_str(const char *s)
{
        return json_object_new_string(s ? s : "");
}

/* -v SRC:DST[:OPTS] and --tmpfs DST[:OPTS] as docker's Mounts. */
static json_object *mounts_json(json_object *run)
{
        json_object *a = json_object_new_array();
        _cleanup_strv_ strv binds = {0}, tmpfs = {0};
        container_strv(run, "binds", &binds);
        container_strv(run, "tmpfs", &tmpfs);
        for (size_t i = 0; i < binds.n; i++) {
                _cleanup_free_ char *b = xstrdup(binds.v[i]);
                char *dst = strchr(b, ':');
                if (!dst)
                        continue;
                *dst++ = '\0';
                char *opts = strchr(dst, ':');
                if (opts)
                        *opts++ = '\0';
                json_object *m = json_object_new_object();
                json_object_object_add(m, "Type", json_object_new_string("bind"));
                json_object_object_add(m, "Source", json_object_new_string(b));
                json_object_object_add(m, "Destination", json_object_new_string(dst));
                json_object_object_add(m, "Mode", opt_str(opts));
                json_object_object_add(m, "RW",
                                       json_object_new_boolean(!opts || !strstr(opts, "ro")));
                json_object_array_add(a, m);
        }
        for (size_t i = 0; i < tmpfs.n; i++) {
                _cleanup_free_ char *t = xstrdup(tmpfs.v[i]);
                char *opts = strchr(t, ':');
                if (opts)
                        *opts++ = '\0';
                json_object *m = json_object_new_object();
                json_object_object_add(m, "Type", json_object_new_string("tmpfs"));
                json_object_object_add(m, "Source", json_object_new_string(""));
                json_object_object_add(m, "Destination", json_object_new_string(t));
                json_object_object_add(m, "Mode", opt_str(opts));
                json_object_object_add(m, "RW",
                                       json_object_new_boolean(!opts || !strstr(opts, "ro")));
                json_object_array_add(a, m);
        }
        return a;
}

static int do_inspect(store *s, container_info *c, void *arg, err_t *e)
{
        (void)s;
        (void)e;
        json_object *run = c->run, *cf = c->config;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Id", opt_str(container_str(cf, "id")));
        json_object_object_add(o, "Name", json_object_new_string(c->name));
        int64_t v;
        json_object_object_add(o, "Created", time_json(container_int(cf, "created", &v) ? v : 0));
        _cleanup_strv_ strv cmd = {0};
        container_strv(run, "command", &cmd);
        json_object_object_add(o, "Path", opt_str(cmd.n ? cmd.v[0] : NULL));
        json_object *args = json_object_new_array();
        for (size_t i = 1; i < cmd.n; i++)
                json_object_array_add(args, json_object_new_string(cmd.v[i]));
        json_object_object_add(o, "Args", args);
        json_object_object_add(o, "Image", opt_str(container_str(cf, "image")));

        json_object *st = json_object_new_object();
        json_object_object_add(st, "Status",
                               json_object_new_string(c->running ? "running" : "exited"));
        json_object_object_add(st, "Running", json_object_new_boolean(c->running));
        json_object_object_add(st, "Pid", json_object_new_int64(c->running ? c->init_pid : 0));
        json_object_object_add(st, "ExitCode",
                               json_object_new_int(c->running ? 0 : exit_code_of(c)));
        json_object_object_add(st, "StartedAt",
                               time_json(container_int(run, "started", &v) ? v : 0));
        json_object_object_add(
                st, "FinishedAt",
                time_json(!c->running && container_int(run, "finished", &v) ? v : 0));
        json_object_object_add(o, "State", st);

        _cleanup_close_ int sdfd = -1;
        json_object *sj = container_state_dir(c, &sdfd, NULL) == 0 ? state_read(sdfd) : NULL;
        json_object_object_add(st, "Error",
                               opt_str(c->running ? NULL : container_str(sj, "error")));
        _cleanup_free_ char *log_path = NULL;
        if (sj) {
                _cleanup_free_ char *root = NULL;
                if (state_root(false, &root, NULL) == 0)
                        log_path = xasprintf("%s/%s/%s", root, container_str(cf, "id"),
                                             RUNNER_LOG_FILE);
        }
        json_object_object_add(o, "LogPath", opt_str(log_path));

        json_object *conf = json_object_new_object();
        json_object_object_add(conf, "Hostname", opt_str(container_str(run, "hostname")));
        json_object_object_add(conf, "User", opt_str(container_str(run, "user")));
        json_object_object_add(conf, "WorkingDir", opt_str(container_str(run, "workdir")));
        json_object_object_add(conf, "Cmd", strs_json(run, "command"));
        json_object_object_add(conf, "Image", opt_str(container_str(cf, "image")));
        json_object_object_add(o, "Config", conf);

        json_object *hc = json_object_new_object();
        const char *net = container_str(run, "net");
        json_object_object_add(hc, "NetworkMode", json_object_new_string(net ? net : "none"));
        json_object *b = NULL;
        json_object_object_add(
                hc, "Privileged",
                json_object_new_boolean(json_object_object_get_ex(run, "privileged", &b) &&
                                        json_object_get_boolean(b)));
        json_object_object_add(hc, "ReadonlyRootfs", json_object_new_boolean(false));
        json_object *sec = NULL;
        json_object_object_get_ex(run, "security", &sec);
        json_object_object_add(hc, "CapAdd", strs_json(sec, "cap_add"));
        json_object_object_add(hc, "CapDrop", strs_json(sec, "cap_drop"));
        json_object *secopt = json_object_new_array();
        if (sec && json_object_object_get_ex(sec, "no_new_privs", &b) && json_object_get_boolean(b))
                json_object_array_add(secopt, json_object_new_string("no-new-privileges"));
        if (sec && json_object_object_get_ex(sec, "seccomp", &b) && !json_object_get_boolean(b))
                json_object_array_add(secopt, json_object_new_string("seccomp=unconfined"));
        else if (container_str(sec, "seccomp_profile")) {
                _cleanup_free_ char *p =
                        xasprintf("seccomp=%s", container_str(sec, "seccomp_profile"));
                json_object_array_add(secopt, json_object_new_string(p));
        }
        json_object_object_add(hc, "SecurityOpt", secopt);
        json_object *lim = NULL;
        json_object_object_get_ex(run, "limits", &lim);
        json_object_object_add(hc, "Memory",
                               json_object_new_int64(container_int(lim, "memory", &v) ? v : 0));
        json_object_object_add(hc, "PidsLimit",
                               json_object_new_int64(container_int(lim, "pids", &v) ? v : 0));
        int64_t period;
        json_object_object_add(
                hc, "NanoCpus",
                json_object_new_int64(container_int(lim, "cpu_quota", &v) &&
                                                      container_int(lim, "cpu_period", &period) &&
                                                      period > 0
                                              ? v * 1000000000 / period
                                              : 0));
        json_object_object_add(hc, "CpusetCpus", opt_str(container_str(lim, "cpuset_cpus")));
        json_object_object_add(hc, "CpuShares",
                               json_object_new_int64(container_int(lim, "cpu_shares", &v) ? v : 0));
        json_object_object_add(hc, "BlkioWeight",
                               json_object_new_int64(container_int(lim, "io_weight", &v) ? v : 0));
        json_object *logc = json_object_new_object();
        json_object_object_add(logc, "Type", json_object_new_string(sj ? "json-file" : "none"));
        json_object *logo = json_object_new_object();
        if (sj && container_int(sj, "log_max_size", &v) && v > 0) {
                _cleanup_free_ char *sz = xasprintf("%lld", (long long)v);
                json_object_object_add(logo, "max-size", json_object_new_string(sz));
        }
        if (sj && container_int(sj, "log_max_file", &v) && v > 0) {
                _cleanup_free_ char *n = xasprintf("%lld", (long long)v);
                json_object_object_add(logo, "max-file", json_object_new_string(n));
        }
        json_object_object_add(logc, "Config", logo);
        json_object_object_add(hc, "LogConfig", logc);
        json_object_object_add(
                hc, "AutoRemove",
                json_object_new_boolean(sj && json_object_object_get_ex(sj, "remove", &b) &&
                                        json_object_get_boolean(b)));
        json_object_object_add(o, "HostConfig", hc);
        json_object_object_add(o, "Mounts", mounts_json(run));
        json_object *ns = json_object_new_object();
        json_object_object_add(ns, "Mode", json_object_new_string(net ? net : "none"));
        /* The -p specs as given (docker's Ports is a map; these are runroot's). */
        json_object_object_add(ns, "PublishedPorts", strs_json(run, "ports"));
        json_object_object_add(o, "NetworkSettings", ns);
        if (sj)
                json_object_put(sj);

        json_object *arr = json_object_new_array();
        json_object_array_add(arr, o);
        *(char **)arg = xstrdup(json_object_to_json_string_ext(
                arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return 0;
}

int runner_container_inspect(const char *cache_dir, const char *name, char **ret_json, err_t *e)
{
        return with_container(cache_dir, name, do_inspect, ret_json, e);
}

/* ---- what a dead container leaves ------------------------------------- */

/* The cgroups of a container that no longer runs (its host side was
 * killed before it could remove them). */
void container_reap(const container_info *c)
{
        if (c->running)
                return;
        /* The pasta of a run whose monitor was killed: still the process
         * recorded (its start time), it goes by its pid. */
        int64_t npid, nstart;
        if (container_int(c->run, "pasta_pid", &npid) &&
            container_int(c->run, "pasta_start", &nstart) && npid > 1 && npid <= INT_MAX &&
            nstart > 0 && proc_start_time((pid_t)npid) == (unsigned long long)nstart)
                kill((pid_t)npid, SIGKILL);
        _cleanup_strv_ strv cgs = {0};
        container_strv(c->run, "cgroups", &cgs);
        for (size_t i = 0; i < cgs.n; i++) {
                if (rmdir(cgs.v[i]) == 0 || errno == ENOENT)
                        continue;
                if (errno != EBUSY)
                        continue;
                cgroups_kill(c);
                for (int t = 0; t < 100 && rmdir(cgs.v[i]) < 0 && errno == EBUSY; t++)
                        nap_ms(20);
        }
}

/* (runner.h) */
void runner_cgroups_remove(const strv *dirs, const strv *parents)
{
        for (size_t i = 0; i < dirs->n; i++)
                for (int t = 0; t < 250 && rmdir(dirs->v[i]) < 0 && errno == EBUSY; t++)
                        nap_ms(20);
        /* once each: one that holds another cgroup is not only ours */
        for (size_t i = parents ? parents->n : 0; i-- > 0;)
                rmdir(parents->v[i]);
}

/* The state directories of s's containers that are gone (removed by
 * other means than runroot rm), their monitor dead. */
static void states_gc(store *s, unsigned *ret_removed)
{
        _cleanup_free_ char *root = NULL;
        if (state_root(false, &root, NULL) < 0)
                return;
        _cleanup_strv_ strv ids = {0};
        if (fs_list_dir_at(AT_FDCWD, root, &ids) < 0)
                return;
        for (size_t i = 0; i < ids.n; i++) {
                _cleanup_close_ int dfd = -1;
                struct stat sb;
                if (state_open(ids.v[i], false, &dfd, NULL) < 0 || state_monitor_alive(dfd))
                        continue;
                /* one being made: its monitor has not taken its lock yet */
                if (fstatat(dfd, "state.json", &sb, 0) == 0 && time(NULL) - sb.st_mtime < 60)
                        continue;
                json_object *st = state_read(dfd);
                const char *cache = container_str(st, "cache");
                const char *name = container_str(st, "name");
                bool gone = false;
                if (cache && name && !strcmp(cache, store_root(s))) {
                        container_info c = {0};
                        gone = container_find(s, name, &c, NULL) < 0 ||
                               !container_str(c.config, "id") ||
                               strcmp(container_str(c.config, "id"), ids.v[i]) != 0;
                        container_info_free(&c);
                }
                if (st)
                        json_object_put(st);
                if (gone && state_remove(ids.v[i], NULL) == 0 && ret_removed)
                        (*ret_removed)++;
        }
}

/* Every container of s that does not run: its cgroups removed; the state
 * of a detached one whose monitor is gone: removed with the container
 * when --rm asked for it, or when the container is gone. */
int container_gc(store *s, unsigned *ret_removed)
{
        _cleanup_strv_ strv names = {0};
        err_t e = {0};
        if (store_name_list(s, &names, &e) < 0)
                return 0;
        for (size_t i = 0; i < names.n; i++) {
                container_info c = {0};
                if (container_find(s, names.v[i], &c, NULL) < 0)
                        continue;
                if (!c.running) {
                        container_reap(&c);
                        _cleanup_close_ int dfd = -1;
                        if (container_state_dir(&c, &dfd, NULL) == 0 && !state_monitor_alive(dfd)) {
                                json_object *st = state_read(dfd);
                                json_object *b = NULL;
                                bool rm = st && json_object_object_get_ex(st, "remove", &b) &&
                                          json_object_get_boolean(b);
                                if (st)
                                        json_object_put(st);
                                if (rm && store_name_remove(s, c.name, &e) == 0) {
                                        state_remove(container_str(c.config, "id"), &e);
                                        if (ret_removed)
                                                (*ret_removed)++;
                                }
                        }
                }
                container_info_free(&c);
        }
        states_gc(s, ret_removed);
        return 0;
}
