/* runroot logs: a detached container's json-file log (monitor.c writes
 * it) back on stdout and stderr, each line to the stream it came from;
 * --tail N, --timestamps, and -f following the log across rotations
 * until the container's monitor ends. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* One line of the log written out: false when it is not an entry. */
static bool entry_print(const char *line, size_t len, bool timestamps)
{
        json_tokener *tok = json_tokener_new();
        json_object *j = json_tokener_parse_ex(tok, line, (int)len);
        json_tokener_free(tok);
        if (!j)
                return false;
        json_object *lg = NULL, *stream = NULL, *t = NULL;
        bool ok = json_object_is_type(j, json_type_object) &&
                  json_object_object_get_ex(j, "log", &lg) &&
                  json_object_is_type(lg, json_type_string);
        if (ok) {
                json_object_object_get_ex(j, "stream", &stream);
                json_object_object_get_ex(j, "time", &t);
                int fd = stream && !strcmp(json_object_get_string(stream), "stderr") ? 2 : 1;
                if (timestamps && t) {
                        const char *ts = json_object_get_string(t);
                        fd_write_all(fd, ts, strlen(ts));
                        fd_write_all(fd, " ", 1);
                }
                fd_write_all(fd, json_object_get_string(lg),
                             (size_t)json_object_get_string_len(lg));
        }
        json_object_put(j);
        return ok;
}

/* The log files, oldest first. */
static void log_files(int dfd, strv *ret)
{
        int n = 0;
        for (int i = 1; i < 1000; i++) {
                char name[64];
                snprintf(name, sizeof name, "%s.%d", RUNNER_LOG_FILE, i);
                if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        break;
                n = i;
        }
        for (int i = n; i >= 1; i--)
                strv_push_take(ret, xasprintf("%s.%d", RUNNER_LOG_FILE, i));
        strv_push(ret, RUNNER_LOG_FILE);
}

/* Whole lines of the data read so far. */
typedef struct line_buf {
        strbuf b;
        size_t done;
} line_buf;

/* Each whole line not printed yet, printed. */
static void lines_flush(line_buf *lb, bool timestamps)
{
        char *s = lb->b.s;
        size_t start = lb->done;
        for (size_t i = start; s && i < lb->b.len; i++)
                if (s[i] == '\n') {
                        entry_print(s + start, i - start, timestamps);
                        start = i + 1;
                }
        lb->done = start;
}

/* Read fd to its end into lb. */
static void read_more(int fd, line_buf *lb)
{
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
                sb_appendn(&lb->b, buf, (size_t)n);
}

static void print_tail(int dfd, long tail, bool timestamps, int *ret_fd, line_buf *rest)
{
        _cleanup_strv_ strv files = {0};
        log_files(dfd, &files);
        _cleanup_sb_ strbuf all = {0};
        *ret_fd = -1;
        for (size_t i = 0; i < files.n; i++) {
                int fd = openat(dfd, files.v[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        continue;
                char buf[65536];
                ssize_t n;
                while ((n = read(fd, buf, sizeof buf)) > 0) {
                        sb_appendn(&all, buf, (size_t)n);
                        if (tail >= 0)
                                continue;
                        /* Every line: printed as it is read, whatever the
                         * log's size. */
                        size_t end = all.len;
                        while (end > 0 && all.s[end - 1] != '\n')
                                end--;
                        if (!end)
                                continue;
                        line_buf lb = {.b = {.s = all.s, .len = end}};
                        lines_flush(&lb, timestamps);
                        memmove(all.s, all.s + end, all.len - end);
                        all.len -= end;
                }
                if (i + 1 == files.n)
                        *ret_fd = fd; /* the current one, followed from here */
                else
                        close(fd);
        }
        /* Where the last `tail` whole lines start. */
        size_t len = all.len, from = 0;
        while (len > 0 && all.s[len - 1] != '\n')
                len--; /* a line being written: -f takes it */
        if (tail == 0) {
                from = len;
        } else if (tail > 0) {
                long count = 0;
                for (size_t i = len; i-- > 1;)
                        if (all.s[i - 1] == '\n' && ++count == tail) {
                                from = i;
                                break;
                        }
        }
        line_buf lb = {.b = {0}};
        sb_appendn(&lb.b, all.s ? all.s + from : "", len - from);
        lines_flush(&lb, timestamps);
        sb_free(&lb.b);
        sb_appendn(&rest->b, all.s ? all.s + len : "", all.len - len);
}

static bool same_file(int dfd, int fd)
{
        struct stat a, b;
        return fstat(fd, &a) == 0 && fstatat(dfd, RUNNER_LOG_FILE, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void follow(int dfd, int fd, line_buf *rest, bool timestamps)
{
        line_buf lb = *rest;
        for (;;) {
                bool alive = state_monitor_alive(dfd);
                if (fd >= 0) {
                        read_more(fd, &lb);
                        lines_flush(&lb, timestamps);
                }
                if (fd < 0 || !same_file(dfd, fd)) {
                        /* Rotated: the rest of the old file is read; the
                         * new one from its start. */
                        int nfd = openat(dfd, RUNNER_LOG_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                        if (nfd >= 0) {
                                if (fd >= 0)
                                        close(fd);
                                fd = nfd;
                                sb_free(&lb.b);
                                lb.done = 0;
                                continue;
                        }
                }
                if (!alive)
                        break; /* read to the end after the monitor's last word */
                struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
                nanosleep(&ts, NULL);
        }
        if (fd >= 0)
                close(fd);
        sb_free(&lb.b);
}

static int do_logs(store *s, const char *what, const runner_logs_opts *o, err_t *e)
{
        container_info c = {0};
        int r = container_find(s, what, &c, e);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = -1;
        r = container_state_dir(&c, &dfd, e);
        if (r == -ENOENT)
                r = err_set(e, -ENOENT,
                            "%s: no log (a container started with -d keeps one; a foreground "
                            "run's output went to its terminal)",
                            c.name);
        container_info_free(&c);
        if (r < 0)
                return r;
        int fd = -1;
        line_buf rest = {.b = {0}};
        print_tail(dfd, o->tail, o->timestamps, &fd, &rest);
        if (o->follow)
                follow(dfd, fd, &rest, o->timestamps);
        else {
                if (fd >= 0)
                        close(fd);
                sb_free(&rest.b);
        }
        return 0;
}

int runner_container_logs(const char *cache_dir, const char *name, const runner_logs_opts *o,
                          err_t *e)
{
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        r = do_logs(s, name, o, e);
        store_free(s);
        return r;
}
