/* runroot as an OCI runtime: start, kill and delete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ociruntime.h"

/* With startContainer hooks, after the "0" of wait_start
 * (runner/run-config.c): "1" once they passed, or "E" and their error's
 * line. 0, or 1 with the message printed. */
static int start_hooks_result(const char *id, int fd)
{
        char buf[ERR_MSG_MAX + 2];
        size_t len = 0;
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        break;
                ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (buf[0] == '1')
                        return 0;
                if (len == sizeof buf - 1 || memchr(buf, '\n', len))
                        break;
        }
        buf[len] = 0;
        if (len && buf[0] == 'E') {
                buf[strcspn(buf, "\n")] = 0;
                log_error("container %s: %s", id, buf + 1);
        } else
                log_error("container %s: its process ended before its startContainer hooks passed",
                          id);
        return 1;
}

int oci_start_process(const char *id, pid_t pid, unsigned long long starttime, const char *fifo,
                      const runner_hooks *h, bool quiet)
{
        int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                log_error("%s: %s", fifo, strerror(errno));
                return 1;
        }
        /* Until the process has opened its end and written its byte;
         * one that ends first never will. */
        int r = 1;
        for (;;) {
                char b;
                ssize_t n = read(fd, &b, 1);
                if (n == 1) {
                        r = h && h->n[RUNNER_HOOK_START_CONTAINER] ? start_hooks_result(id, fd) : 0;
                        break;
                }
                if (!starttime || oci_start_time(pid) != starttime) {
                        if (!quiet)
                                log_error("container %s: its process ended before start", id);
                        break;
                }
                poll(NULL, 0, 2);
        }
        close(fd);
        if (unlink(fifo) < 0 && r == 0)
                log_warn("%s: %s", fifo, strerror(errno));
        if (r == 0) {
                err_t e = {0};
                runner_hooks_run(h, RUNNER_HOOK_POSTSTART, "running", pid, &e);
        }
        return r;
}

int oci_cmd_start(int argc, char **argv)
{
        ctr c;
        int r = oci_one_id(argc, argv, "start", &c);
        if (r)
                return r;
        if (strcmp(c.status, "created") != 0) {
                /* runc's words, which engines show. */
                if (!strcmp(c.status, "running"))
                        log_error("container %s: cannot start an already running container", c.id);
                else if (!strcmp(c.status, "stopped"))
                        log_error("container %s: cannot start a container that has stopped", c.id);
                else
                        log_error("container %s: cannot start a container in the %s state", c.id,
                                  c.status);
                oci_ctr_free(&c);
                return 1;
        }
        runner_oci_spec s;
        r = oci_ctr_spec(&c, NULL, 0, &s);
        if (r) {
                oci_ctr_free(&c);
                return r;
        }
        _cleanup_free_ char *fifo = path_join(c.dir, "exec.fifo");
        r = oci_start_process(c.id, c.pid, (unsigned long long)oci_jint(c.st, "runroot.starttime"),
                              fifo, &s.hooks, false);
        runner_oci_spec_free(&s);
        oci_ctr_free(&c);
        return r;
}

static int signal_parse(const char *s)
{
        char *end = NULL;
        long n = strtol(s, &end, 10);
        if (*s && !*end)
                return n >= 0 && n < NSIG ? (int)n : -1; /* 0: is it there */
        if (!strncasecmp(s, "SIG", 3))
                s += 3;
        for (int i = 1; i < NSIG; i++) {
                const char *a = sigabbrev_np(i);
                if (a && !strcasecmp(a, s))
                        return i;
        }
        return -1;
}

/* Every process of the container's pid namespace (its init's). */
int oci_kill_all(pid_t init, int sig)
{
        char p[64], link[64], self[64];
        snprintf(p, sizeof p, "/proc/%d/ns/pid", (int)init);
        ssize_t n = readlink(p, self, sizeof self - 1);
        if (n < 0)
                return -errno;
        self[n] = 0;
        DIR *d = opendir("/proc");
        if (!d)
                return -errno;
        struct dirent *de;
        while ((de = readdir(d))) {
                char *end = NULL;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0)
                        continue;
                snprintf(p, sizeof p, "/proc/%ld/ns/pid", pid);
                n = readlink(p, link, sizeof link - 1);
                if (n < 0)
                        continue;
                link[n] = 0;
                if (!strcmp(link, self))
                        kill((pid_t)pid, sig);
        }
        closedir(d);
        return 0;
}

/* The command that init runs: of init's children, the one that started
 * first (the others are orphans of the command's, reparented to init, so
 * started after it; in one clock tick, the lower pid). 0: none. */
static pid_t init_command(pid_t init)
{
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/task/%d/children", (int)init, (int)init);
        _cleanup_fclose_ FILE *f = fopen(p, "re");
        long pid, best = 0;
        unsigned long long best_start = 0;
        while (f && fscanf(f, "%ld", &pid) == 1) {
                unsigned long long start = oci_start_time((pid_t)pid);
                if (start && (!best || start < best_start || (start == best_start && pid < best))) {
                        best = pid;
                        best_start = start;
                }
        }
        return (pid_t)best;
}

/* Where kill sends sig: init, which passes it on. SIGSTOP goes to the
 * command, which runc's stops (pid 1 of its namespace or not), where init
 * would stop and leave it running; SIGCONT to it as well (and to init,
 * which never stops then). */
static int kill_one(const ctr *c, int sig)
{
        if (sig == SIGSTOP || sig == SIGCONT) {
                pid_t cmd = init_command(c->pid);
                if (cmd > 0 && kill(cmd, sig) < 0 && errno != ESRCH)
                        return -errno;
                if (cmd > 0 && sig == SIGSTOP)
                        return 0;
        }
        return kill(c->pid, sig) < 0 ? -errno : 0;
}

int oci_cmd_kill(int argc, char **argv)
{
        bool all = false;
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
                        all = true;
                else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[i]);
                        return oci_usage_error("kill", m);
                }
        }
        if (argc - i < 1 || argc - i > 2)
                return oci_usage_error("kill", "expected a container id and a signal");
        int sig = argc - i == 2 ? signal_parse(argv[i + 1]) : SIGTERM;
        if (sig < 0) {
                char m[128];
                snprintf(m, sizeof m, "%.64s: unknown signal", argv[i + 1]);
                return oci_usage_error("kill", m);
        }
        ctr c;
        int r = oci_ctr_load(argv[i], &c);
        if (r)
                return r;
        /* --all of a stopped one signals no process: done, as runc's. */
        if (!strcmp(c.status, "stopped") && all) {
                oci_ctr_free(&c);
                return 0;
        }
        if (!strcmp(c.status, "stopped")) {
                log_error("container %s: container not running", c.id);
                oci_ctr_free(&c);
                return 1;
        }
        r = 0;
        if (all)
                r = oci_kill_all(c.pid, sig);
        if (!all || r < 0)
                r = kill_one(&c, sig);
        if (r < 0)
                log_error("kill %s: %s", c.id, strerror(-r));
        oci_ctr_free(&c);
        return r < 0 ? 1 : 0;
}

int oci_cmd_delete(int argc, char **argv)
{
        bool force = false;
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
                        force = true;
                else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[i]);
                        return oci_usage_error("delete", m);
                }
        }
        if (argc - i != 1)
                return oci_usage_error("delete", "expected one container id");
        /* runc: --force of one that is not there is done, silently. */
        if (force && oci_id_ok(argv[i])) {
                _cleanup_free_ char *dir = oci_cdir(argv[i]);
                _cleanup_free_ char *sf = path_join(dir, "state.json");
                if (access(sf, F_OK) < 0 && errno == ENOENT)
                        return 0;
        }
        ctr c;
        int r = oci_ctr_load(argv[i], &c);
        if (r)
                return r;
        /* Its poststop hooks run once it is gone: read them first. A
         * config.json that cannot be read any more does not keep it. */
        runner_oci_spec s;
        bool have_spec = oci_ctr_spec(&c, NULL, 0, &s) == 0;
        if (strcmp(c.status, "stopped") != 0) {
                /* A created one is deleted as runc does: its process waits
                 * for a start that will not come. */
                if (!force && strcmp(c.status, "created") != 0) {
                        if (have_spec)
                                runner_oci_spec_free(&s);
                        log_error("cannot delete container %s that is not stopped: %s", c.id,
                                  c.status);
                        oci_ctr_free(&c);
                        return 1;
                }
                unsigned long long want = (unsigned long long)oci_jint(c.st, "runroot.starttime");
                oci_kill_all(c.pid, SIGKILL);
                kill(c.pid, SIGKILL);
                for (int k = 0; k < 1000 && oci_start_time(c.pid) == want; k++)
                        poll(NULL, 0, 10);
        }
        /* Its monitor ends with the container: wait a little for it, so
         * its exit record is not written into a directory made again. */
        pid_t mon = (pid_t)oci_jint(c.st, "runroot.monitor");
        _cleanup_free_ char *ef = path_join(c.dir, "exit");
        for (int k = 0; k < 500 && mon > 0 && kill(mon, 0) == 0 && access(ef, F_OK) < 0; k++)
                poll(NULL, 0, 10);
        _cleanup_strv_ strv cgs = {0}, parents = {0};
        oci_jstrv(c.st, "runroot.cgroups", &cgs);
        oci_jstrv(c.st, "runroot.cgroup_parents", &parents);
        runner_cgroups_remove(&cgs, &parents);
        r = oci_remove_tree(c.dir);
        if (r < 0)
                log_error("delete %s: %s", c.id, strerror(-r));
        if (have_spec) {
                err_t e = {0};
                runner_hooks_run(&s.hooks, RUNNER_HOOK_POSTSTOP, "stopped", 0, &e);
                runner_oci_spec_free(&s);
        }
        oci_ctr_free(&c);
        return r < 0 ? 1 : 0;
}
