/* runroot -d: the container runs under a monitor of its own (double
 * forked, in a session of its own), which holds the read ends of the
 * command's stdout and stderr, writes them to the container's log in
 * docker's json-file format, waits for the run (runroot's host side,
 * itself waiting for the container's init) and records how it ended.
 * The process that ran runroot -d returns as soon as the command runs.
 *
 *   runroot -d ... (returns) -> monitor -> runner_run (host side) -> init
 *
 * The host side dies with the monitor (PR_SET_PDEATHSIG) and the init with
 * the host side: a monitor SIGKILLed takes the container with it, and
 * nothing shows it running after (the name's lock is released). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Generated names, adjective_noun, as docker makes them (its words are
 * its own; these are plain English). */
static const char *const adjectives[] = {
        "amber",  "bold",   "brave",  "bright", "brisk",   "calm",   "clever", "cosy",
        "crisp",  "daring", "dusty",  "eager",  "fancy",   "gentle", "glad",   "golden",
        "happy",  "hardy",  "jolly",  "keen",   "kind",    "lively", "lucky",  "merry",
        "mellow", "misty",  "nimble", "noble",  "patient", "plucky", "proud",  "quiet",
        "rapid",  "rustic", "silent", "sleepy", "snowy",   "steady", "sunny",  "swift",
        "tender", "tidy",   "vivid",  "warm",   "wild",    "wise",   "witty",  "zesty",
};
static const char *const nouns[] = {
        "alder",   "badger",  "beacon",  "birch",  "brook",   "canyon",  "cedar",  "comet",
        "coral",   "crane",   "delta",   "dune",   "ember",   "falcon",  "fern",   "fjord",
        "glacier", "harbor",  "heron",   "island", "juniper", "kestrel", "lagoon", "lantern",
        "lynx",    "maple",   "meadow",  "mesa",   "nebula",  "orchid",  "otter",  "pebble",
        "pine",    "prairie", "quartz",  "raven",  "reef",    "river",   "robin",  "sparrow",
        "spruce",  "summit",  "thistle", "tundra", "valley",  "walrus",  "willow", "wren",
};

static uint32_t rnd32(void)
{
        uint32_t v = 0;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
                v = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
        return v;
}

/* A name no container of s has: adjective_noun, a number after it when
 * ten tries found only taken ones. */
static char *name_generate(store *s)
{
        for (int i = 0;; i++) {
                uint32_t v = rnd32();
                char *n = i < 10 ? xasprintf("%s_%s", adjectives[v % ARRAY_SIZE(adjectives)],
                                             nouns[(v >> 16) % ARRAY_SIZE(nouns)])
                                 : xasprintf("%s_%s%u", adjectives[v % ARRAY_SIZE(adjectives)],
                                             nouns[(v >> 16) % ARRAY_SIZE(nouns)], (unsigned)i);
                _cleanup_close_ int dfd = -1;
                /* A store that cannot tell (not ENOENT) has the run say
                 * why, with this name. */
                int r = store_name_dir(s, n, &dfd, NULL);
                if (r == -ENOENT || (r < 0 && i >= 20))
                        return n;
                free(n);
        }
}

/* ---- the log ------------------------------------------------------- */

typedef struct log_file {
        int dfd; /* the state directory */
        int fd;
        int64_t size, max_size;
        int max_file;
} log_file;

static void log_open(log_file *l)
{
        l->fd = openat(l->dfd, RUNNER_LOG_FILE,
                       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        struct stat st;
        l->size = l->fd >= 0 && fstat(l->fd, &st) == 0 ? st.st_size : 0;
}

/* container.log.(N-1) <- ... <- container.log.1 <- container.log, the
 * oldest dropped; with max-file 1 the log starts again empty. */
static void log_rotate(log_file *l)
{
        if (l->fd >= 0)
                close(l->fd);
        for (int i = l->max_file - 1; i >= 1; i--) {
                char from[64], to[64];
                if (i == 1)
                        snprintf(from, sizeof from, "%s", RUNNER_LOG_FILE);
                else
                        snprintf(from, sizeof from, "%s.%d", RUNNER_LOG_FILE, i - 1);
                snprintf(to, sizeof to, "%s.%d", RUNNER_LOG_FILE, i);
                renameat(l->dfd, from, l->dfd, to);
        }
        if (l->max_file <= 1)
                unlinkat(l->dfd, RUNNER_LOG_FILE, 0);
        log_open(l);
}

void runner_log_time(const struct timespec *ts, char *buf, size_t len)
{
        struct tm tm;
        gmtime_r(&ts->tv_sec, &tm);
        size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
        /* RFC 3339 with nanoseconds, trailing zeros cut (Go's RFC3339Nano,
         * what docker writes). */
        char frac[16];
        snprintf(frac, sizeof frac, ".%09ld", ts->tv_nsec);
        size_t f = strlen(frac);
        while (f > 1 && frac[f - 1] == '0')
                f--;
        if (f == 1)
                f = 0;
        snprintf(buf + n, len - n, "%.*sZ", (int)f, frac);
}

static void log_entry(log_file *l, const char *stream, const char *data, size_t len)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char when[64];
        runner_log_time(&ts, when, sizeof when);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "log", json_object_new_string_len(data, (int)len));
        json_object_object_add(j, "stream", json_object_new_string(stream));
        json_object_object_add(j, "time", json_object_new_string(when));
        const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *line = xasprintf("%s\n", s);
        json_object_put(j);
        size_t n = strlen(line);
        if (l->max_size > 0 && l->size > 0 && l->size + (int64_t)n > l->max_size)
                log_rotate(l);
        if (l->fd >= 0 && fd_write_all(l->fd, line, n) == 0)
                l->size += (int64_t)n;
}

/* One stream's bytes not yet ended by a newline. */
#define LOG_LINE_MAX 16384
typedef struct log_stream {
        const char *name;
        int fd;
        char buf[LOG_LINE_MAX];
        size_t len;
} log_stream;

/* Read what fd has: each line one entry, a line longer than LOG_LINE_MAX
 * cut in entries of that size (as docker does). false at EOF. */
static bool stream_pump(log_stream *st, log_file *l)
{
        ssize_t n = read(st->fd, st->buf + st->len, sizeof st->buf - st->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                if (st->len)
                        log_entry(l, st->name, st->buf, st->len);
                st->len = 0;
                return false;
        }
        st->len += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < st->len; i++)
                if (st->buf[i] == '\n') {
                        log_entry(l, st->name, st->buf + start, i + 1 - start);
                        start = i + 1;
                }
        if (start == 0 && st->len == sizeof st->buf) {
                log_entry(l, st->name, st->buf, st->len);
                start = st->len;
        }
        memmove(st->buf, st->buf + start, st->len - start);
        st->len -= start;
        return true;
}

/* ---- the monitor ---------------------------------------------------- */

typedef struct monitor_args {
        runner_config *c;
        const runner_detach_opts *d;
        const char *id;
        const char *cache; /* the store's directory */
        bool fresh;        /* the name was made by this start */
        int ready_fd;      /* to the process that ran runroot -d */
} monitor_args;

static void set_monitor(json_object *j, void *arg)
{
        pid_t pid = getpid();
        (void)arg;
        json_object_object_add(j, "monitor_pid", json_object_new_int64(pid));
        json_object_object_add(j, "monitor_start",
                               json_object_new_int64((int64_t)proc_start_time(pid)));
        json_object_object_del(j, "exit");
        json_object_object_del(j, "error");
        json_object_object_del(j, "finished");
}

typedef struct monitor_end {
        int code;
        const char *message; /* what runroot said at the end, or "" */
} monitor_end;

static void set_exit(json_object *j, void *arg)
{
        const monitor_end *end = arg;
        json_object_object_add(j, "exit", json_object_new_int(end->code));
        if (end->message[0])
                json_object_object_add(j, "error", json_object_new_string(end->message));
        json_object_object_add(j, "finished", json_object_new_int64((int64_t)time(NULL)));
}

/* The run itself, with stdout and stderr on the monitor's pipes. */
static _Noreturn void host_side_main(runner_config *c, int out, int err, int start_fd,
                                     pid_t monitor)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != monitor)
                _exit(125);
        /* What the monitor ignores, the command must not inherit ignored
         * (an ignored SIGPIPE survives exec). */
        signal(SIGHUP, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                _exit(125);
        close(null);
        close(out);
        close(err);
        c->started_fd = start_fd;
        c->tty = 0;
        err_t e = {0};
        int r = runner_run(c, &e);
        /* The monitor records it (inspect's State.Error). */
        if (r < 0 || e.msg[0]) {
                _cleanup_free_ char *line = xasprintf("%s %s\n", r < 0 ? "E" : "M", e.msg);
                (void)!write(start_fd, line, strlen(line));
        }
        _exit(r < 0 ? 125 : r);
}

static void say(int fd, const char *line)
{
        if (fd >= 0)
                (void)!write(fd, line, strlen(line));
}

/* The container's record removed: a start that failed on a new name, or
 * --rm at the end. */
static void remove_container(const runner_config *c, const char *id)
{
        store *s = NULL;
        err_t e = {0};
        if (store_open(c->cache_dir, &s, &e) == 0) {
                store_name_remove(s, c->name, &e);
                store_free(s);
        }
        state_remove(id, &e);
}

static _Noreturn void monitor_main(const monitor_args *a)
{
        int keep[] = {a->ready_fd};
        err_t e = {0};
        if (init_close_fds(keep, ARRAY_SIZE(keep), &e) < 0)
                _exit(125);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
                _exit(125);
        close(null);
        if (chdir("/") < 0)
                _exit(125);
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        int ready = a->ready_fd;
        _cleanup_close_ int dfd = -1;
        if (state_open(a->id, false, &dfd, &e) < 0) {
                _cleanup_free_ char *line = xasprintf("E %s\n", e.msg);
                say(ready, line);
                _exit(125);
        }
        _cleanup_close_ int mlock =
                openat(dfd, "monitor.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (mlock < 0 || flock(mlock, LOCK_EX | LOCK_NB) < 0) {
                say(ready, "E the container's monitor is already running\n");
                _exit(125);
        }
        state_update(dfd, set_monitor, NULL, &e);
        int out[2], errp[2], startp[2];
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            pipe2(startp, O_CLOEXEC) < 0) {
                say(ready, "E pipe: no descriptors left\n");
                _exit(125);
        }
        pid_t self = getpid();
        pid_t child = fork();
        if (child < 0) {
                say(ready, "E fork: the monitor could not start the container\n");
                _exit(125);
        }
        if (child == 0) {
                close(out[0]);
                close(errp[0]);
                close(startp[0]);
                close(ready);
                close(dfd);
                close(mlock);
                host_side_main(a->c, out[1], errp[1], startp[1], self);
        }
        close(out[1]);
        close(errp[1]);
        close(startp[1]);

        log_file l = {.dfd = dfd,
                      .fd = -1,
                      .max_size = a->d->log_max_size,
                      .max_file = a->d->log_max_file > 0 ? a->d->log_max_file : 1};
        log_open(&l);
        log_stream so = {.name = "stdout", .fd = out[0]}, se = {.name = "stderr", .fd = errp[0]};
        int start = startp[0];
        bool started = false, out_open = true, err_open = true;
        char sbuf[ERR_MSG_MAX + 8] = "", said[ERR_MSG_MAX + 8] = "";
        size_t slen = 0;
        while (out_open || err_open || start >= 0) {
                struct pollfd p[3] = {
                        {.fd = out_open ? so.fd : -1, .events = POLLIN},
                        {.fd = err_open ? se.fd : -1, .events = POLLIN},
                        {.fd = start, .events = POLLIN},
                };
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents)
                        out_open = stream_pump(&so, &l);
                if (p[1].revents)
                        err_open = stream_pump(&se, &l);
                if (start >= 0 && p[2].revents) {
                        ssize_t n = read(start, sbuf + slen, sizeof sbuf - 1 - slen);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n > 0)
                                slen += (size_t)n;
                        sbuf[slen] = '\0';
                        /* "OK PID" once the init runs; "E MESSAGE" when the
                         * run failed before; "M MESSAGE" what it said at
                         * the end (an OOM kill). */
                        char *nl;
                        while ((nl = strchr(sbuf, '\n'))) {
                                *nl = '\0';
                                if (!strncmp(sbuf, "OK ", 3) && !started) {
                                        started = true;
                                        say(ready, "OK\n");
                                        close(ready);
                                        ready = -1;
                                } else if (!strncmp(sbuf, "E ", 2) || !strncmp(sbuf, "M ", 2)) {
                                        snprintf(said, sizeof said, "%s", sbuf + 2);
                                }
                                size_t used = (size_t)(nl + 1 - sbuf);
                                memmove(sbuf, nl + 1, slen - used + 1);
                                slen -= used;
                        }
                        if (n <= 0 || slen == sizeof sbuf - 1) {
                                close(start);
                                start = -1;
                        }
                }
        }
        int st = 0;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                ;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 125;
        if (l.fd >= 0)
                close(l.fd);
        if (!started) {
                if (a->fresh)
                        remove_container(a->c, a->id);
                else
                        state_remove(a->id, &e);
                /* A failure is told once its traces are gone; nothing
                 * said (the host side died) is EOF for the parent too. */
                if (said[0]) {
                        _cleanup_free_ char *line = xasprintf("E %s\n", said);
                        say(ready, line);
                }
                _exit(code);
        }
        monitor_end end = {.code = code, .message = said};
        state_update(dfd, set_exit, &end, &e);
        if (a->d->remove)
                remove_container(a->c, a->id);
        _exit(code);
}

static void set_config(json_object *j, void *arg)
{
        const monitor_args *a = arg;
        json_object_object_add(j, "id", json_object_new_string(a->id));
        json_object_object_add(j, "name", json_object_new_string(a->c->name));
        json_object_object_add(j, "remove", json_object_new_boolean(a->d->remove));
        json_object_object_add(j, "cache", json_object_new_string(a->cache));
        json_object_object_add(j, "log_max_size", json_object_new_int64(a->d->log_max_size));
        json_object_object_add(j, "log_max_file", json_object_new_int(a->d->log_max_file));
        json_object_object_del(j, "monitor_pid");
        json_object_object_del(j, "exit");
        json_object_object_del(j, "finished");
}

/* The name's id when it has one already (a container started again). */
static char *existing_id(store *s, const char *name)
{
        container_info ci = {0};
        if (container_find(s, name, &ci, NULL) < 0)
                return NULL;
        const char *id = container_str(ci.config, "id");
        char *r = id ? xstrdup(id) : NULL;
        container_info_free(&ci);
        return r;
}

/* The paths the run reads, made absolute: the monitor works from "/" (it
 * must not keep the caller's directory busy). Owned by the paths strv. */
typedef struct abs_paths {
        strv keep; /* what the config's pointers now point at */
        strv binds, env_files, devices;
} abs_paths;

static void abs_paths_free(abs_paths *p)
{
        strv_free(&p->keep);
        strv_free(&p->binds);
        strv_free(&p->env_files);
        strv_free(&p->devices);
}

static const char *abs_path(abs_paths *p, const char *cwd, const char *path)
{
        if (!path || path[0] == '/')
                return path;
        strv_push_take(&p->keep, path_join(cwd, path));
        return p->keep.v[p->keep.n - 1];
}

/* Each SPEC's part before the first ':' made absolute. */
static void abs_specs(strv *out, const char *cwd, const strv *in)
{
        for (size_t i = 0; i < in->n; i++) {
                const char *sp = in->v[i];
                if (sp[0] == '/' || sp[0] == ':')
                        strv_push(out, sp);
                else
                        strv_push_take(out, xasprintf("%s/%s", cwd, sp));
        }
}

static void make_absolute(runner_config *c, abs_paths *p)
{
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
                return; /* the paths stay as given and say so when opened */
        c->image = abs_path(p, cwd, c->image);
        c->cache_dir = abs_path(p, cwd, c->cache_dir);
        c->sec.seccomp_profile = abs_path(p, cwd, c->sec.seccomp_profile);
        abs_specs(&p->binds, cwd, &c->binds);
        abs_specs(&p->devices, cwd, &c->devices);
        for (size_t i = 0; i < c->env_files.n; i++)
                strv_push(&p->env_files, abs_path(p, cwd, c->env_files.v[i]));
        strv t = c->binds;
        c->binds = p->binds;
        p->binds = t;
        t = c->devices;
        c->devices = p->devices;
        p->devices = t;
        t = c->env_files;
        c->env_files = p->env_files;
        p->env_files = t;
}

int runner_run_detached(runner_config *c, const runner_detach_opts *d, char **ret_id,
                        char **ret_name, err_t *e)
{
        _cleanup_(abs_paths_free) abs_paths paths = {0};
        make_absolute(c, &paths);
        if (c->read_only)
                return err_set(e, -EINVAL,
                               "-d: not with --read-only (a detached container is a name, "
                               "with a writable layer of its own)");
        store *s = NULL;
        int r = store_open(c->cache_dir, &s, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *name = c->name ? xstrdup(c->name) : name_generate(s);
        _cleanup_free_ char *id = NULL;
        bool fresh = true;
        {
                _cleanup_close_ int dfd = -1;
                bool running = false;
                if (store_name_dir(s, name, &dfd, NULL) == 0) {
                        fresh = false;
                        if (store_name_running(s, name, &running, NULL) == 0 && running) {
                                store_free(s);
                                return err_set(e, -EBUSY,
                                               "--name %s: already running (runroot stop %s, "
                                               "or use another name)",
                                               name, name);
                        }
                        id = existing_id(s, name);
                }
        }
        _cleanup_free_ char *cache = xstrdup(store_root(s));
        store_free(s);
        if (!id) {
                id = xmalloc(RUNNER_ID_LEN + 1);
                runner_new_id(id);
        }
        c->name = name;
        c->id = id;
        _cleanup_close_ int dfd = -1;
        r = state_open(id, true, &dfd, e);
        if (r < 0)
                return r;
        if (state_monitor_alive(dfd))
                return err_set(e, -EBUSY, "--name %s: its monitor still runs", name);
        monitor_args a = {.c = c, .d = d, .id = id, .cache = cache, .fresh = fresh};
        r = state_update(dfd, set_config, &a, e);
        if (r < 0)
                return r;
        int ready[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                return err_sys(e, errno, "pipe");
        fflush(NULL);
        pid_t mid = fork();
        if (mid < 0) {
                r = err_sys(e, errno, "fork");
                close(ready[0]);
                close(ready[1]);
                return r;
        }
        if (mid == 0) {
                close(ready[0]);
                if (setsid() < 0)
                        _exit(125);
                pid_t m = fork();
                if (m < 0)
                        _exit(125);
                if (m > 0)
                        _exit(0);
                a.ready_fd = ready[1];
                monitor_main(&a);
        }
        close(ready[1]);
        _cleanup_close_ int rd = ready[0];
        int st = 0;
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
                ;
        char buf[ERR_MSG_MAX + 8];
        size_t len = 0;
        for (;;) {
                ssize_t n = read(rd, buf + len, sizeof buf - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (memchr(buf, '\n', len) || len == sizeof buf - 1)
                        break;
        }
        buf[len] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        if (!strcmp(buf, "OK")) {
                *ret_id = steal_pointer(&id);
                *ret_name = steal_pointer(&name);
                c->name = *ret_name;
                c->id = *ret_id;
                return 0;
        }
        c->name = NULL;
        c->id = NULL;
        if (!strncmp(buf, "E ", 2))
                return err_set(e, -EIO, "%s", buf + 2);
        return err_set(e, -EIO, "the container's monitor ended before the container started");
}
