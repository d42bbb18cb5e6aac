/* runroot --name: what a kept writable layer records about itself, and
 * the containers they are (runroot ps, runroot rm). The files in the
 * layer's directory (the store's names/NAME/), beside upper/ and work/:
 *   image        the overlay's lower dirs it was made over: a reuse over
 *                another image is refused (since the first --name)
 *   config.json  written with "image": {"image": the image argument as
 *                the user gave it (absolute), "created": epoch seconds}
 *   run.json     the last run: {"command": [...], "pid": N, "pid_start":
 *                its start time in /proc/PID/stat, "started": T, and once
 *                it ended "exit": status, "finished": T}
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

int name_prepare(const char *persist, const char *name, const char *lower, const char *image,
                 char *const argv[], time_t started, err_t *e)
{
        _cleanup_close_ int dfd = open(persist, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "%s", persist);
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ char *given = image_as_given(image);
        size_t len = 0;
        err_t e2 = {0};
        if (fs_read_file_at(dfd, "image", 4096, &data, &len, &e2) == 0) {
                if (len == strlen(lower) && !memcmp(data, lower, len))
                        return run_record_at(dfd, persist, argv, started, -1, e);
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
        r = write_json(dfd, "config.json", cf, persist, e);
        if (r < 0)
                return r;
        return fs_write_atomic_at(dfd, "image", lower, strlen(lower), 0644, e);
}

/* Field 22 of /proc/PID/stat: when the process started, which a pid
 * reused by another process does not share. 0 when unknown. */
static unsigned long long proc_start_time(pid_t pid)
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
        _cleanup_json_ json_object *j = json_object_new_object();
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

/* One container's record, its name and whether it runs already set. */
static void container_read(int dfd, runner_container *c)
{
        _cleanup_json_ json_object *cf = read_json(dfd, "config.json");
        _cleanup_json_ json_object *run = read_json(dfd, "run.json");
        int64_t v;
        const char *img = jstr(cf, "image");
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
}

void runner_containers_free(runner_container *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].name);
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
        r = force ? remove_forced(s, name, e) : store_name_remove(s, name, e);
        store_free(s);
        return r;
}
