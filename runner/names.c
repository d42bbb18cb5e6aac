/* runroot --name: what a kept writable layer records about itself, and
 * the containers they are (runroot ps, runroot rm). The files in the
 * layer's directory (the store's names/NAME/), beside upper/ and work/:
 *   image        the overlay's lower dirs it was made over: a reuse over
 *                another image is refused (since the first --name)
 *   config.json  written with "image": {"image": the image argument as
 *                the user gave it (absolute; a registry's image as
 *                docker://NAME[:TAG]@sha256:HEX), "created": epoch seconds,
 *                "id": 64 hex digits (added to a layer that lacks it)}
 *   run.json     the last run: {"command": [...], "pid": N, "pid_start":
 *                its start time in /proc/PID/stat, "started": T, and once
 *                it ended "exit": status, "finished": T}; once the
 *                container's init runs also "init_pid", "init_start",
 *                "cgroup" (v2, or absent) and what exec and inspect need
 *                of the configuration (name_run_started)
 * A new layer gets run.json, config.json, then "image": without "image" it
 * is still being made, and ps leaves it out. Layers of older versions
 * have "image" alone. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NAME_FILE_MAX 65536

static void obj_put(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(obj_put)

/* The JSON object in dfd/file, or NULL when absent or not an object. */
static json_object *read_json(int dfd, const char *file)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (fs_read_file_at(dfd, file, NAME_FILE_MAX, &data, &len, NULL) < 0 || strlen(data) != len)
                return NULL;
        json_object *j = json_tokener_parse(data);
        if (j && !json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                return NULL;
        }
        return j;
}

static const char *jstr(json_object *j, const char *key)
{
        json_object *v = NULL;
        if (!j || !json_object_object_get_ex(j, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool jint(json_object *j, const char *key, int64_t *ret)
{
        json_object *v = NULL;
        if (!j || !json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

static int write_json(int dfd, const char *file, json_object *j, const char *dir, err_t *e)
{
        const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *line = xasprintf("%s\n", s);
        int r = fs_write_atomic_at(dfd, file, line, strlen(line), 0644, e);
        return r < 0 ? err_prefix(e, "%s", dir) : 0;
}

/* The image argument as the user gave it, made absolute when it is a path
 * (realpath), else as it is. malloc'd. */
static char *image_as_given(const char *image)
{
        char *abs = realpath(image, NULL);
        return abs ? abs : xstrdup(image);
}

static int run_record_at(int dfd, const char *persist, char *const argv[], time_t started,
                         int exit_code, err_t *e);

/* config.json of the layer at dfd with an "id" (id, or a new one when
 * NULL), when it has none yet. */
static int config_ensure_id(int dfd, const char *persist, const char *id, err_t *e)
{
        _cleanup_json_ json_object *cf = read_json(dfd, "config.json");
        if (!cf || jstr(cf, "id"))
                return 0;
        char fresh[RUNNER_ID_LEN + 1];
        if (!id) {
                runner_new_id(fresh);
                id = fresh;
        }
        json_object_object_add(cf, "id", json_object_new_string(id));
        return write_json(dfd, "config.json", cf, persist, e);
}

void runner_new_id(char ret[RUNNER_ID_LEN + 1])
{
        unsigned char b[RUNNER_ID_LEN / 2];
        size_t got = 0;
        while (got < sizeof b) {
                ssize_t n = getrandom(b + got, sizeof b - got, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        /* No randomness at all (never on a running system): the time and
         * the pid still tell two containers apart. */
        for (size_t i = got; i < sizeof b; i++)
                b[i] = (unsigned char)((uint64_t)time(NULL) * 2654435761u >> (i % 8) ^
                                       (unsigned)getpid() ^ i);
        for (size_t i = 0; i < sizeof b; i++)
                snprintf(ret + 2 * i, 3, "%02x", b[i]);
}

int name_prepare(const char *persist, const char *name, const char *lower, const char *image,
                 const char *image_ref, const char *id, char *const argv[], time_t started,
                 err_t *e)
{
        _cleanup_close_ int dfd = open(persist, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "%s", persist);
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ char *given = image_ref ? xstrdup(image_ref) : image_as_given(image);
        size_t len = 0;
        err_t e2 = {0};
        if (fs_read_file_at(dfd, "image", 4096, &data, &len, &e2) == 0) {
                if (len == strlen(lower) && !memcmp(data, lower, len)) {
                        int r = config_ensure_id(dfd, persist, id, e);
                        return r < 0 ? r : run_record_at(dfd, persist, argv, started, -1, e);
                }
                _cleanup_json_ json_object *cf = read_json(dfd, "config.json");
                const char *made = jstr(cf, "image");
                if (made)
                        return err_set(e, -EEXIST,
                                       "--name %s: made from %s, not %s; use another name", name,
                                       made, given);
                return err_set(e, -EEXIST,
                               "--name %s: made from another image (%.*s); use another name", name,
                               (int)len, data);
        }
        /* A new layer. "image" last: a layer whose "image" is there has
         * its run.json and config.json too (or was made by an older
         * version), and ps shows only those. */
        int r = run_record_at(dfd, persist, argv, started, -1, e);
        if (r < 0)
                return r;
        _cleanup_json_ json_object *cf = json_object_new_object();
        json_object_object_add(cf, "image", json_object_new_string(given));
        json_object_object_add(cf, "created", json_object_new_int64((int64_t)time(NULL)));
        char fresh[RUNNER_ID_LEN + 1];
        if (!id) {
                runner_new_id(fresh);
                id = fresh;
        }
        json_object_object_add(cf, "id", json_object_new_string(id));
        r = write_json(dfd, "config.json", cf, persist, e);
        if (r < 0)
                return r;
        return fs_write_atomic_at(dfd, "image", lower, strlen(lower), 0644, e);
}

/* Field 22 of /proc/PID/stat: when the process started, which a pid
 * reused by another process does not share. 0 when unknown. */
unsigned long long proc_start_time(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (fs_read_file_at(AT_FDCWD, path, 4096, &data, &len, NULL) < 0)
                return 0;
        const char *p = strrchr(data, ')');
        if (!p)
                return 0;
        p++;
        /* After the name: field 3 (state) onwards; 22 is the 20th. */
        for (int field = 3; field < 22; field++) {
                p += strspn(p, " ");
                p += strcspn(p, " ");
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        return errno || end == p ? 0 : v;
}

int name_run_record(const char *persist, char *const argv[], time_t started, int exit_code,
                    err_t *e)
{
        _cleanup_close_ int dfd = open(persist, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "%s", persist);
        return run_record_at(dfd, persist, argv, started, exit_code, e);
}

static int run_record_at(int dfd, const char *persist, char *const argv[], time_t started,
                         int exit_code, err_t *e)
{
        /* The end of a run keeps what its start recorded (the init, its
         * cgroups, the configuration inspect shows); a start begins anew. */
        _cleanup_json_ json_object *j = exit_code >= 0 ? read_json(dfd, "run.json") : NULL;
        if (!j)
                j = json_object_new_object();
        json_object *cmd = json_object_new_array();
        for (char *const *a = argv; a && *a; a++)
                json_object_array_add(cmd, json_object_new_string(*a));
        json_object_object_add(j, "command", cmd);
        json_object_object_add(j, "pid", json_object_new_int64(getpid()));
        json_object_object_add(j, "pid_start",
                               json_object_new_int64((int64_t)proc_start_time(getpid())));
        json_object_object_add(j, "started", json_object_new_int64((int64_t)started));
        if (exit_code >= 0) {
                json_object_object_add(j, "exit", json_object_new_int(exit_code));
                json_object_object_add(j, "finished", json_object_new_int64((int64_t)time(NULL)));
        }
        return write_json(dfd, "run.json", j, persist, e);
}

static pid_t recorded_init(json_object *run);

/* One container's record, its name and whether it runs already set. */
static void container_read(int dfd, runner_container *c)
{
        _cleanup_json_ json_object *cf = read_json(dfd, "config.json");
        _cleanup_json_ json_object *run = read_json(dfd, "run.json");
        bool held = c->running; /* the lock: a run still holds the name */
        int64_t v;
        const char *img = jstr(cf, "image");
        const char *id = jstr(cf, "id");
        if (id)
                c->id = xstrdup(id);
        if (c->running) {
                c->pid = recorded_init(run);
                if (!c->pid && json_object_object_get_ex(run, "init_pid", NULL))
                        c->running = false; /* its init is gone */
        }
        if (img)
                c->image = xstrdup(img);
        else {
                /* Made by an older version: the lower dirs are all there is. */
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                if (fs_read_file_at(dfd, "image", 4096, &data, &len, NULL) == 0 &&
                    strlen(data) == len)
                        c->image = steal_pointer(&data);
        }
        struct stat st;
        if (jint(cf, "created", &v))
                c->created = (time_t)v;
        else if (fstatat(dfd, "image", &st, AT_SYMLINK_NOFOLLOW) == 0 || fstat(dfd, &st) == 0)
                c->created = st.st_mtime;
        json_object *cmd = NULL;
        if (run && json_object_object_get_ex(run, "command", &cmd) &&
            json_object_is_type(cmd, json_type_array))
                for (size_t i = 0; i < json_object_array_length(cmd); i++) {
                        json_object *a = json_object_array_get_idx(cmd, i);
                        if (json_object_is_type(a, json_type_string))
                                strv_push(&c->command, json_object_get_string(a));
                }
        c->started = jint(run, "started", &v) ? (time_t)v : 0;
        c->exit_code = -1;
        if (!c->running && jint(run, "exit", &v) && v >= 0 && v <= 255) {
                c->exit_code = (int)v;
                c->finished = jint(run, "finished", &v) ? (time_t)v : 0;
        }
        /* What a run killed with SIGKILL left (its cgroups) goes as soon
         * as a command finds it dead. */
        if (!held)
                container_reap(&(container_info){.run = run});
        if (!c->running && c->exit_code < 0 && id) {
                /* A host side that was killed records nothing; a detached
                 * one's monitor saw how it ended. */
                _cleanup_close_ int sdfd = -1;
                if (state_open(id, false, &sdfd, NULL) == 0) {
                        _cleanup_json_ json_object *sj = state_read(sdfd);
                        if (jint(sj, "exit", &v) && v >= 0 && v <= 255) {
                                c->exit_code = (int)v;
                                c->finished = jint(sj, "finished", &v) ? (time_t)v : 0;
                        }
                }
        }
}

void runner_containers_free(runner_container *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].name);
                free(v[i].id);
                free(v[i].image);
                strv_free(&v[i].command);
        }
        free(v);
}

int runner_containers_list(const char *cache_dir, bool all, runner_container **ret, size_t *ret_n,
                           err_t *e)
{
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        _cleanup_strv_ strv names = {0};
        r = store_name_list(s, &names, e);
        runner_container *v = xcalloc(names.n + 1, sizeof *v);
        size_t n = 0;
        for (size_t i = 0; r == 0 && i < names.n; i++) {
                bool running = false;
                r = store_name_running(s, names.v[i], &running, e);
                if (r < 0 || (!running && !all))
                        continue;
                _cleanup_close_ int dfd = -1;
                struct stat st;
                if (store_name_dir(s, names.v[i], &dfd, NULL) < 0)
                        continue; /* removed meanwhile */
                if (fstatat(dfd, "image", &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* being made */
                v[n] = (runner_container){.name = xstrdup(names.v[i]), .running = running};
                container_read(dfd, &v[n]);
                n++;
        }
        store_free(s);
        if (r < 0) {
                runner_containers_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* The pid of the run that holds the layer at dfd, as it recorded it: 0
 * unless that process is still the one that started then. */
static pid_t recorded_pid(int dfd)
{
        _cleanup_json_ json_object *run = read_json(dfd, "run.json");
        int64_t pid, start;
        if (!jint(run, "pid", &pid) || !jint(run, "pid_start", &start) || pid <= 1 ||
            pid > INT_MAX || start <= 0)
                return 0;
        if (proc_start_time((pid_t)pid) != (unsigned long long)start)
                return 0;
        return (pid_t)pid;
}

static void nap_ms(long ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* rm -f of a running one: SIGTERM to its runroot (which forwards it to
 * the command and cleans up as the command exits), SIGKILL 10 seconds
 * later, as docker stop does; then the removal. */
static int remove_forced(store *s, const char *name, err_t *e)
{
        enum { STEP_MS = 50, KILL_AFTER = 10000 / STEP_MS, GIVE_UP = 15000 / STEP_MS };
        int termed = -1;
        for (int i = 0;; i++) {
                int r = store_name_remove(s, name, e);
                if (r != -EBUSY)
                        return r;
                if (i >= (termed < 0 ? 100 : termed + GIVE_UP))
                        return err_set(e, -EBUSY, "%s is running and %s", name,
                                       termed < 0 ? "its process is not known"
                                                  : "did not stop after SIGKILL");
                _cleanup_close_ int dfd = -1;
                pid_t pid = store_name_dir(s, name, &dfd, NULL) == 0 ? recorded_pid(dfd) : 0;
                if (pid > 0 && termed < 0) {
                        kill(pid, SIGTERM);
                        termed = i;
                } else if (pid > 0 && i == termed + KILL_AFTER) {
                        kill(pid, SIGKILL);
                }
                nap_ms(STEP_MS);
        }
}

int runner_container_remove(const char *cache_dir, const char *name, bool force, err_t *e)
{
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        /* By its name or its id; what a dead run left goes with it (its
         * cgroups, a detached one's state and log). */
        container_info c = {0};
        if (container_find(s, name, &c, NULL) == 0)
                name = c.name;
        r = force ? remove_forced(s, name, e) : store_name_remove(s, name, e);
        if (r == 0 && c.name) {
                container_reap(&c);
                const char *id = container_str(c.config, "id");
                _cleanup_close_ int dfd = -1;
                if (id && state_open(id, false, &dfd, NULL) == 0) {
                        for (int i = 0; i < 250 && state_monitor_alive(dfd); i++)
                                nap_ms(20); /* its last word after the run ended */
                        err_t e2 = {0};
                        if (state_remove(id, &e2) < 0)
                                log_warn("%s", e2.msg);
                }
        }
        container_info_free(&c);
        store_free(s);
        return r;
}

/* The cgroup directories of pid that runroot made (runroot-...), one per
 * hierarchy, from /proc/PID/cgroup as the host sees it. */
void container_cgroups_of(pid_t pid, strv *ret)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (fs_read_file_at(AT_FDCWD, path, 65536, &data, &len, NULL) < 0)
                return;
        struct stat st;
        bool unified_root = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = *c2 = '\0';
                const char *ctrls = c1 + 1, *cg = c2 + 1;
                const char *base = strrchr(cg, '/');
                if (!base || strncmp(base + 1, "runroot-", 8) != 0 || strstr(cg, "/.."))
                        continue;
                _cleanup_free_ char *dir = NULL;
                if (!strcmp(line, "0") && !*ctrls)
                        dir = xasprintf("/sys/fs/cgroup%s%s", unified_root ? "" : "/unified", cg);
                else if (!strncmp(ctrls, "name=", 5))
                        dir = xasprintf("/sys/fs/cgroup/%s%s", ctrls + 5, cg);
                else
                        dir = xasprintf("/sys/fs/cgroup/%s%s", ctrls, cg);
                if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
                        strv_push(ret, dir);
        }
}

static json_object *strv_json(const strv *v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; v && i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

static void add_str(json_object *j, const char *key, const char *v)
{
        if (v)
                json_object_object_add(j, key, json_object_new_string(v));
}

static void add_limit(json_object *j, const char *key, int64_t v)
{
        if (v >= 0)
                json_object_object_add(j, key, json_object_new_int64(v));
}

int name_run_started(const char *persist, pid_t init_pid, const char *cg_dir, pid_t net_pid,
                     const runner_config *c, err_t *e)
{
        _cleanup_close_ int dfd = open(persist, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "%s", persist);
        _cleanup_json_ json_object *j = read_json(dfd, "run.json");
        if (!j)
                j = json_object_new_object();
        json_object_object_add(j, "init_pid", json_object_new_int64(init_pid));
        json_object_object_add(j, "init_start",
                               json_object_new_int64((int64_t)proc_start_time(init_pid)));
        add_str(j, "cgroup", cg_dir);
        /* Its pasta, for a gc to end once the monitor is gone. */
        if (net_pid > 0) {
                json_object_object_add(j, "pasta_pid", json_object_new_int64(net_pid));
                json_object_object_add(j, "pasta_start",
                                       json_object_new_int64((int64_t)proc_start_time(net_pid)));
        } else {
                json_object_object_del(j, "pasta_pid");
                json_object_object_del(j, "pasta_start");
        }
        _cleanup_strv_ strv cgs = {0};
        container_cgroups_of(init_pid, &cgs);
        json_object_object_add(j, "cgroups", strv_json(&cgs));
        add_str(j, "user", c->user);
        add_str(j, "workdir", c->workdir);
        add_str(j, "hostname", c->hostname);
        static const char *const nets[] = {"none", "host", "private", "container"};
        _cleanup_free_ char *net =
                c->net == RUNNER_NET_CONTAINER
                        ? xasprintf("container:%s", c->net_container ? c->net_container : "")
                        : xstrdup((unsigned)c->net < ARRAY_SIZE(nets) ? nets[c->net] : "none");
        json_object_object_add(j, "net", json_object_new_string(net));
        json_object_object_add(j, "ports", strv_json(&c->publish));
        json_object_object_add(j, "read_only", json_object_new_boolean(c->read_only));
        json_object_object_add(j, "privileged", json_object_new_boolean(c->privileged));
        json_object_object_add(j, "binds", strv_json(&c->binds));
        json_object_object_add(j, "tmpfs", strv_json(&c->tmpfs));
        json_object *sec = json_object_new_object();
        json_object_object_add(sec, "cap_add", strv_json(&c->sec.cap_add));
        json_object_object_add(sec, "cap_drop", strv_json(&c->sec.cap_drop));
        json_object_object_add(sec, "seccomp", json_object_new_boolean(c->sec.seccomp));
        json_object_object_add(sec, "no_new_privs", json_object_new_boolean(c->sec.no_new_privs));
        if (c->sec.seccomp_profile) {
                _cleanup_free_ char *abs = image_as_given(c->sec.seccomp_profile);
                add_str(sec, "seccomp_profile", abs);
        }
        json_object_object_add(j, "security", sec);
        json_object *lim = json_object_new_object();
        add_limit(lim, "memory", c->limits.memory);
        add_limit(lim, "pids", c->limits.pids);
        add_limit(lim, "cpu_quota", c->limits.cpu_quota);
        if (c->limits.cpu_quota >= 0)
                add_limit(lim, "cpu_period", c->limits.cpu_period);
        add_str(lim, "cpuset_cpus", c->limits.cpuset_cpus);
        add_limit(lim, "cpu_weight", c->limits.cpu_weight);
        add_limit(lim, "cpu_shares", c->limits.cpu_shares);
        add_limit(lim, "io_weight", c->limits.io_weight);
        json_object_object_add(j, "limits", lim);
        return write_json(dfd, "run.json", j, persist, e);
}

/* The init recorded in run, while it is still the process that started
 * then; 0 otherwise. */
static pid_t recorded_init(json_object *run)
{
        int64_t pid, start;
        if (!jint(run, "init_pid", &pid) || !jint(run, "init_start", &start) || pid <= 1 ||
            pid > INT_MAX || start <= 0)
                return 0;
        return proc_start_time((pid_t)pid) == (unsigned long long)start ? (pid_t)pid : 0;
}

void container_info_free(container_info *c)
{
        free(c->name);
        obj_put(&c->config);
        obj_put(&c->run);
        *c = (container_info){0};
}

static int container_load(store *s, const char *name, container_info *ret, err_t *e)
{
        _cleanup_close_ int dfd = -1;
        int r = store_name_dir(s, name, &dfd, e);
        if (r < 0)
                return r;
        bool running = false;
        r = store_name_running(s, name, &running, e);
        if (r < 0)
                return r;
        container_info c = {.name = xstrdup(name), .running = running};
        c.config = read_json(dfd, "config.json");
        c.run = read_json(dfd, "run.json");
        if (!c.config)
                c.config = json_object_new_object();
        if (!c.run)
                c.run = json_object_new_object();
        /* The lock says a run holds it; a recorded init that is gone (a
         * host that rebooted keeps no lock either) is not running. */
        c.init_pid = running ? recorded_init(c.run) : 0;
        if (running && !c.init_pid && json_object_object_get_ex(c.run, "init_pid", NULL))
                c.running = false;
        if (!running)
                container_reap(&c);
        *ret = c;
        return 0;
}

int container_find(store *s, const char *what, container_info *ret, err_t *e)
{
        if (container_load(s, what, ret, NULL) == 0)
                return 0;
        /* An id, or the start of one (ps shows 12 digits), as docker takes. */
        size_t n = strlen(what);
        if (n >= 1 && n <= RUNNER_ID_LEN && strspn(what, "0123456789abcdef") == n) {
                _cleanup_strv_ strv names = {0};
                int r = store_name_list(s, &names, e);
                if (r < 0)
                        return r;
                const char *found = NULL;
                for (size_t i = 0; i < names.n; i++) {
                        _cleanup_close_ int dfd = -1;
                        if (store_name_dir(s, names.v[i], &dfd, NULL) < 0)
                                continue;
                        _cleanup_json_ json_object *cf = read_json(dfd, "config.json");
                        const char *id = jstr(cf, "id");
                        if (!id || strncmp(id, what, n) != 0)
                                continue;
                        if (found)
                                return err_set(e, -EINVAL,
                                               "%s: more than one container's id starts so; give "
                                               "more of it",
                                               what);
                        found = names.v[i];
                }
                if (found)
                        return container_load(s, found, ret, e);
        }
        return err_set(e, -ENOENT, "no such container: %s", what);
}

const char *container_str(json_object *j, const char *key)
{
        return jstr(j, key);
}

bool container_int(json_object *j, const char *key, int64_t *ret)
{
        return jint(j, key, ret);
}

void container_strv(json_object *j, const char *key, strv *ret)
{
        json_object *a = NULL;
        if (!j || !json_object_object_get_ex(j, key, &a) ||
            !json_object_is_type(a, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *v = json_object_array_get_idx(a, i);
                if (json_object_is_type(v, json_type_string))
                        strv_push(ret, json_object_get_string(v));
        }
}
