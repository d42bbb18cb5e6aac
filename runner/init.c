/* Pid 1 inside the container: start the command as a child, reap every
 * process that ends up orphaned to us, forward the usual signals to the
 * command, and exit with its status (128+N when signal N killed it). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

const int init_forward_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
const size_t init_forward_signals_n = ARRAY_SIZE(init_forward_signals);

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
        char buf[ERR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n > sizeof buf - 2)
                n = sizeof buf - 2;
        buf[n++] = '\n';
        if (fd < 0 || write(fd, buf, (size_t)n) < 0)
                (void)!write(2, buf, (size_t)n);
}

/* PATH lookup in the container's environment, telling "not found" (127)
 * from "found but not executable" (126) as shells do. */
static int exec_search(char **argv, char **envp, int *ret_errno)
{
        const char *cmd = argv[0];
        if (strchr(cmd, '/')) {
                execve(cmd, argv, envp);
                *ret_errno = errno;
                return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
        }
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (char **p = envp; p && *p; p++)
                if (!strncmp(*p, "PATH=", 5))
                        path = *p + 5;
        int first_err = ENOENT;
        _cleanup_free_ char *dirs = xstrdup(path);
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = path_join(*d ? d : ".", cmd);
                execve(full, argv, envp);
                if (errno != ENOENT && errno != ENOTDIR && first_err == ENOENT)
                        first_err = errno;
        }
        *ret_errno = first_err;
        return first_err == ENOENT ? 127 : 126;
}

static void set_user(const init_cmd *c)
{
        const run_user *u = c->user;
        if (setgroups(u->ngroups, u->groups) < 0 && !(errno == EPERM && u->ngroups <= 1)) {
                /* A user namespace with setgroups denied keeps the caller's
                 * groups: only an explicit list is an error. */
                report(c->err_fd, "setgroups: %s", strerror(errno));
                _exit(125);
        }
        if (setresgid(u->gid, u->gid, u->gid) < 0) {
                report(c->err_fd, "group %u: %s", (unsigned)u->gid, strerror(errno));
                _exit(125);
        }
        /* sec_apply comes after this and needs CAP_SETPCAP to cut the
         * bounding set: keep the permitted set across setuid and raise it
         * again; sec_apply then cuts every set to the profile. */
        if (u->uid != 0 && c->sec)
                prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        if (setresuid(u->uid, u->uid, u->uid) < 0) {
                report(c->err_fd, "user %u: %s", (unsigned)u->uid, strerror(errno));
                _exit(125);
        }
        if (u->uid != 0 && c->sec) {
                prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
                cap_t caps = cap_get_proc();
                if (caps) {
                        for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
                                cap_flag_value_t p = CAP_CLEAR;
                                if (cap_get_flag(caps, v, CAP_PERMITTED, &p) == 0 && p == CAP_SET)
                                        cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
                        }
                        cap_set_proc(caps);
                        cap_free(caps);
                }
        }
}

static void command_child(const init_cmd *c, const sigset_t *mask)
{
        for (size_t i = 0; i < init_forward_signals_n; i++)
                signal(init_forward_signals[i], SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, mask, NULL);
        /* A session of its own either way: without a pty of its own, the
         * command must not have the host's terminal as its controlling
         * terminal, or TIOCSTI on an inherited fd would type into it. */
        if (setsid() < 0) {
                report(c->err_fd, "setsid: %s", strerror(errno));
                _exit(125);
        }
        if (c->pty_slave_fd >= 0) {
                if (ioctl(c->pty_slave_fd, TIOCSCTTY, 0) < 0) {
                        report(c->err_fd, "terminal: %s", strerror(errno));
                        _exit(125);
                }
                for (int fd = 0; fd < 3; fd++)
                        if (dup2(c->pty_slave_fd, fd) < 0)
                                _exit(125);
                if (c->pty_slave_fd > 2)
                        close(c->pty_slave_fd);
        }
        set_user(c);
        const char *cwd = c->cwd ? c->cwd : "/";
        if (chdir(cwd) < 0) {
                report(c->err_fd, "working directory %s: %s", cwd, strerror(errno));
                _exit(125);
        }
        /* No fd of runroot's may reach the command (CVE-2024-21626): mark
         * all of them close-on-exec; err_fd stays usable until execve. */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                int fd_max = (int)sysconf(_SC_OPEN_MAX);
                for (int fd = 3; fd < fd_max; fd++)
                        if (fd != c->err_fd)
                                close(fd);
        }
        err_t e = {0};
        if (c->sec && sec_apply(c->sec, &e) < 0) {
                report(c->err_fd, "%s", e.msg);
                _exit(125);
        }
        int err = 0;
        int code = exec_search(c->argv, c->envp, &err);
        report(c->err_fd, "%s: %s", c->argv[0],
               code == 127 && err == ENOENT ? "command not found" : strerror(err));
        _exit(code);
}

int init_run(const init_cmd *c)
{
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < init_forward_signals_n; i++)
                sigaddset(&set, init_forward_signals[i]);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);

        pid_t cmd = fork();
        if (cmd < 0) {
                report(c->err_fd, "fork: %s", strerror(errno));
                return 125;
        }
        if (cmd == 0) {
                /* The command starts with no signal blocked, as after a
                 * fresh exec by docker or crun; what runroot blocked to
                 * forward signals is not its business. */
                sigset_t none;
                sigemptyset(&none);
                command_child(c, &none);
        }
        if (c->pty_slave_fd >= 0)
                close(c->pty_slave_fd);
        close(c->err_fd);

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&set, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        kill(cmd, sig);
                        continue;
                }
                int st;
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                        if (w != cmd)
                                continue;
                        if (WIFEXITED(st))
                                return WEXITSTATUS(st);
                        if (WIFSIGNALED(st))
                                return 128 + WTERMSIG(st);
                }
        }
}
