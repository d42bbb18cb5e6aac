/* Pid 1 inside the container: start the command as a child, reap every
 * process that ends up orphaned to us, forward the usual signals to the
 * command (as an OCI runtime with a new pid namespace, only those it has
 * a handler for, as a pid 1 gets them), and exit with its status (128+N
 * when signal N killed it). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

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

/* Close [lo, hi]: close_range, or one close per fd on kernels before 5.9. */
static int close_span(unsigned lo, unsigned hi, err_t *e)
{
        if (syscall(SYS_close_range, lo, hi, 0U) == 0)
                return 0;
        if (errno != ENOSYS)
                return err_sys(e, errno, "close descriptors %u-%u", lo, hi);
        long max = sysconf(_SC_OPEN_MAX);
        if (max <= 0 || max > INT_MAX)
                max = 1 << 20;
        if (hi >= (unsigned)max)
                hi = (unsigned)max - 1;
        for (unsigned fd = lo; fd <= hi && fd >= lo; fd++)
                if (close((int)fd) < 0 && errno != EBADF && errno != EINTR)
                        return err_sys(e, errno, "close descriptor %u", fd);
        return 0;
}

int init_close_fds(const int *keep, size_t n, err_t *e)
{
        return init_close_fds_above(3, keep, n, e);
}

int init_close_fds_above(unsigned first, const int *keep, size_t n, err_t *e)
{
        int k[INIT_KEEP_FDS_MAX];
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
                if (keep[i] < 0 || (unsigned)keep[i] < first)
                        continue;
                if (m == ARRAY_SIZE(k))
                        return err_set(e, -E2BIG, "close descriptors: too many to keep");
                size_t j = m++;
                for (; j > 0 && k[j - 1] > keep[i]; j--)
                        k[j] = k[j - 1];
                k[j] = keep[i];
        }
        unsigned lo = first;
        for (size_t i = 0; i < m; i++) {
                unsigned fd = (unsigned)k[i];
                if (fd < lo)
                        continue; /* listed twice */
                if (fd > lo) {
                        int r = close_span(lo, fd - 1, e);
                        if (r < 0)
                                return r;
                }
                lo = fd + 1;
        }
        return close_span(lo, ~0U, e);
}

int init_pass_fds(unsigned n, err_t *e)
{
        for (unsigned fd = 3; fd < 3 + n; fd++) {
                int fl = fcntl((int)fd, F_GETFD);
                if (fl >= 0 && (fl & FD_CLOEXEC) && fcntl((int)fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
                        return err_sys(e, errno, "--preserve-fds: fd %u", fd);
        }
        return 0;
}

/* "/proc" itself or anything below it: as a working directory its magic
 * links (fd/N, cwd, root, thread-self) would lead anywhere. */
static bool under_proc(const char *abs)
{
        return !strncmp(abs, "/proc", 5) && (abs[5] == '\0' || abs[5] == '/');
}

int init_open_workdir(const char *dir, char **ret_abs, int *ret_fd, err_t *e)
{
        _cleanup_free_ char *given = dir[0] == '/' ? xstrdup(dir) : xasprintf("/%s", dir);
        _cleanup_free_ char *norm = path_normalize(given);
        if (under_proc(norm))
                return err_set(e, -EPERM, "working directory %s: inside /proc, refused", dir);
        _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "working directory %s: open the root", dir);
        /* The kernel resolves it (openat2: symlinks stay in the root, magic
         * links are refused); made first when missing, as docker does. */
        err_t e2 = {0};
        _cleanup_close_ int fd = fs_open_in_root(rootfd, norm, O_PATH | O_DIRECTORY, 0, &e2);
        if (fd == -ENOENT) {
                /* Made without removing anything in the way: a file or a
                 * dangling link where a directory should be is an error. */
                int r = fs_mkdir_p_in_root(rootfd, norm, 0755, &e2);
                if (r < 0)
                        return err_set(e, r, "working directory %s: %s", dir, e2.msg);
                fd = fs_open_in_root(rootfd, norm, O_PATH | O_DIRECTORY, 0, &e2);
        }
        if (fd == -ELOOP)
                return err_set(e, fd,
                               "working directory %s: a symbolic link loop or a /proc magic "
                               "link on the way, refused",
                               dir);
        if (fd < 0)
                return err_set(e, fd, "working directory %s: %s", dir, strerror(-fd));
        /* Where it is, as the kernel names it from the container's root. */
        char link[64], abs[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, abs, sizeof abs - 1);
        if (n < 0)
                return err_sys(e, errno, "working directory %s: where is it", dir);
        abs[n] = '\0';
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return err_sys(e, errno, "working directory %s", dir);
        if (abs[0] != '/' || under_proc(abs) || sfs.f_type == PROC_SUPER_MAGIC)
                return err_set(e, -EPERM, "working directory %s: leads to %s, refused", dir, abs);
        *ret_abs = xstrdup(abs);
        *ret_fd = steal_fd(&fd);
        return 0;
}

/* A copy of the environment's PATH, or the default one when it has none
 * (docker's default). */
static char *env_path(char *const *envp)
{
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (char *const *p = envp; p && *p; p++)
                if (!strncmp(*p, "PATH=", 5))
                        path = *p + 5;
        return xstrdup(path);
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
        int first_err = ENOENT;
        _cleanup_free_ char *dirs = env_path(envp);
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

/* 0 when path is a file that can be executed, else an errno. */
static int can_exec(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return errno;
        if (S_ISDIR(st.st_mode))
                return EACCES;
        return access(path, X_OK) < 0 ? errno : 0;
}

int init_lookup(char *const *argv, char *const *envp, err_t *e)
{
        const char *cmd = argv[0];
        if (strchr(cmd, '/')) {
                int err = can_exec(cmd);
                if (!err)
                        return 0;
                err_sys(e, err, "exec \"%s\"", cmd);
                return err == ENOENT || err == ENOTDIR ? 127 : 126;
        }
        int first_err = ENOENT;
        _cleanup_free_ char *dirs = env_path(envp);
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = path_join(*d ? d : ".", cmd);
                int err = can_exec(full);
                if (!err)
                        return 0;
                if (err != ENOENT && err != ENOTDIR && first_err == ENOENT)
                        first_err = err;
        }
        if (first_err == ENOENT) {
                err_set(e, -ENOENT, "exec \"%s\": executable file not found in $PATH", cmd);
                return 127;
        }
        err_sys(e, first_err, "exec \"%s\"", cmd);
        return 126;
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
        if (u->uid != 0 && c->sec && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
                report(c->err_fd, "PR_SET_KEEPCAPS: %s", strerror(errno));
                _exit(125);
        }
        if (setresuid(u->uid, u->uid, u->uid) < 0) {
                report(c->err_fd, "user %u: %s", (unsigned)u->uid, strerror(errno));
                _exit(125);
        }
        if (u->uid != 0 && c->sec) {
                if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
                        report(c->err_fd, "PR_SET_KEEPCAPS: %s", strerror(errno));
                        _exit(125);
                }
                cap_t caps = cap_get_proc();
                if (!caps) {
                        report(c->err_fd, "capabilities of user %u: %s", (unsigned)u->uid,
                               strerror(errno));
                        _exit(125);
                }
                for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
                        cap_flag_value_t p = CAP_CLEAR;
                        if (cap_get_flag(caps, v, CAP_PERMITTED, &p) == 0 && p == CAP_SET)
                                cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
                }
                int r = cap_set_proc(caps);
                int err = errno;
                cap_free(caps);
                if (r < 0) {
                        report(c->err_fd, "capabilities of user %u: %s", (unsigned)u->uid,
                               strerror(err));
                        _exit(125);
                }
        }
}

static _Noreturn void command_child(const init_cmd *c, const sigset_t *mask)
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
        /* While every capability is there: raising a hard limit needs
         * CAP_SYS_RESOURCE. */
        err_t e = {0};
        if (rlimits_apply(c->rlimits, c->nrlimits, &e) < 0) {
                report(c->err_fd, "%s", e.msg);
                _exit(125);
        }
        set_user(c);
        /* The directory init_open_workdir resolved inside the root, entered
         * through its fd (no path is looked up again), as the user. */
        const char *cwd = c->cwd ? c->cwd : "/";
        if ((c->cwd_fd >= 0 ? fchdir(c->cwd_fd) : chdir("/")) < 0) {
                report(c->err_fd, "working directory %s: %s", cwd, strerror(errno));
                _exit(125);
        }
        char here[PATH_MAX];
        const char *want = c->cwd_fd >= 0 && c->cwd_abs ? c->cwd_abs : "/";
        if (!getcwd(here, sizeof here) || strcmp(here, want) != 0) {
                report(c->err_fd, "working directory %s: not inside the container's root", cwd);
                _exit(125);
        }
        if (c->cwd_fd >= 0)
                close(c->cwd_fd);
        /* What child_main kept open (err_fd aside) is not the command's
         * business (CVE-2024-21626): close it; err_fd is close-on-exec. */
        int keep[] = {c->err_fd, c->ready_fd, c->keep_fd};
        if (init_close_fds_above(3 + c->preserve_fds, keep, ARRAY_SIZE(keep), &e) < 0 ||
            init_pass_fds(c->preserve_fds, &e) < 0) {
                report(c->err_fd, "%s", e.msg);
                _exit(125);
        }
        /* Before a filter of the command's own (a profile may refuse
         * sched_setattr); the built-in one, inherited, does not. */
        if (run_sched_restore(c->sched, &e) < 0) {
                report(c->err_fd, "%s", e.msg);
                _exit(125);
        }
        if (c->sec &&
            (c->filter_inherited ? sec_apply_shared(c->sec, &e) : sec_apply(c->sec, &e)) < 0) {
                report(c->err_fd, "%s", e.msg);
                _exit(125);
        }
        /* pid 1 gives up its privileges first: with CAP_SYS_PTRACE the
         * command could otherwise borrow them. */
        char go = 0;
        if (c->ready_fd >= 0) {
                if (read(c->ready_fd, &go, 1) != 1)
                        _exit(125);
                close(c->ready_fd);
        }
        /* A command that is not there fails create (and run) now, as
         * runc's does: run's is a failure of the setup (125, which
         * runroot reports as its own), not the command's status. */
        if (c->detach_fd > 0 || c->lookup_first) {
                int code = init_lookup(c->argv, c->envp, &e);
                if (code) {
                        report(c->err_fd, "%s", e.msg);
                        _exit(c->detach_fd > 0 ? code : 125);
                }
        }
        /* Set up: runroot may leave (err_fd is close-on-exec, so a
         * message after this still reaches it while it waits). */
        if (c->detach_fd > 0) {
                if (write(c->err_fd, INIT_READY_LINE, strlen(INIT_READY_LINE)) < 0)
                        _exit(125);
                /* Nobody reads err_fd once runroot has left: what goes
                 * wrong from here (the exec) goes to the command's stderr. */
                if (dup3(2, c->err_fd, O_CLOEXEC) < 0)
                        _exit(125);
        }
        if (c->before_exec)
                c->before_exec(c->before_exec_ctx);
        int err = 0;
        int code = exec_search(c->argv, c->envp, &err);
        report(c->err_fd, "%s: %s", c->argv[0],
               code == 127 && err == ENOENT ? "command not found" : strerror(err));
        _exit(code);
}

void init_exec_command(const init_cmd *c)
{
        sigset_t none;
        sigemptyset(&none);
        command_child(c, &none);
}

/* pid 1's stdin, stdout and stderr are the caller's (a terminal, a
 * file): the container's /dev/null instead. */
static int init_detach_stdio(err_t *e)
{
        _cleanup_close_ int fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "/dev/null");
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return err_set(e, -EINVAL, "/dev/null: not the null device");
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        return err_sys(e, errno, "/dev/null on fd %d", i);
        return 0;
}

/* runroot's 'D' on fd: true once heard; false when it is not, or when the
 * command ended first (it failed before it was set up, its error on
 * err_fd), so that pid 1 ends and runroot sees err_fd's end rather than
 * both waiting for the other. */
static bool detach_heard(int fd, pid_t cmd)
{
        /* Without pidfds, or with poll refused by the command's filter
         * (pid 1 runs under it): the read alone, as before. */
        _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, cmd, 0);
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
        int n = -1;
        while (pfd >= 0 && (n = poll(p, 2, -1)) < 0 && errno == EINTR)
                ;
        if (n > 0 && !p[0].revents)
                return false;
        char d = 0;
        return read(fd, &d, 1) == 1 && d == 'D';
}

/* Whether the command has a handler for sig (SigCgt in its status, read
 * now: it may set one late or drop it). The kernel gives a pid 1 a signal
 * from outside only then (pid_namespaces(7)), which is what runc's
 * command, pid 1 itself, gets. A status that cannot be read (a filter
 * refusing the open) passes the signal on, as without pid1_signals. */
static bool command_catches(pid_t cmd, int sig)
{
        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/status", (int)cmd);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return true;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return true;
        buf[n] = '\0';
        const char *l = strstr(buf, "\nSigCgt:");
        if (!l)
                return true;
        unsigned long long mask = strtoull(l + strlen("\nSigCgt:"), NULL, 16);
        return sig >= 1 && sig <= 64 && (mask >> (sig - 1) & 1);
}

int init_run(const init_cmd *c)
{
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < init_forward_signals_n; i++)
                sigaddset(&set, init_forward_signals[i]);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);

        int ready[2] = {-1, -1};
        if (c->sec && pipe2(ready, O_CLOEXEC) < 0) {
                report(c->err_fd, "pipe: %s", strerror(errno));
                return 125;
        }
        /* One filter load for both (sec_filter_shareable); a command with
         * a before_exec hook keeps its own, loaded after the hook's setup. */
        bool shared = c->sec && !c->before_exec && sec_filter_shareable(c->sec);
        if (shared) {
                err_t e = {0};
                if (sec_load_shared(c->sec, &e) < 0) {
                        report(c->err_fd, "pid 1: %s", e.msg);
                        return 125;
                }
        }
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
                init_cmd cc = *c;
                cc.filter_inherited = shared;
                if (ready[1] >= 0)
                        close(ready[1]);
                cc.ready_fd = ready[0];
                command_child(&cc, &none);
        }
        if (ready[0] >= 0)
                close(ready[0]);
        if (c->pty_slave_fd >= 0)
                close(c->pty_slave_fd);
        if (c->cwd_fd >= 0)
                close(c->cwd_fd);
        /* pid 1 never execs: what it holds stays reachable through
         * /proc/1/fd, and what it may do through ptrace. It keeps no
         * descriptor of the host (stdio becomes /dev/null), and drops to
         * CAP_KILL (to forward signals to any user) under the command's
         * no_new_privs and seccomp filter. The command waits for this. */
        err_t e = {0};
        int r = init_detach_stdio(&e);
        if (r == 0 && c->sec)
                r = shared ? sec_apply_init_shared(c->sec, &e) : sec_apply_init(c->sec, &e);
        if (r < 0) {
                report(c->err_fd, "pid 1: %s", e.msg);
                kill(cmd, SIGKILL);
                return 125;
        }
        if (ready[1] >= 0) {
                if (write(ready[1], "G", 1) != 1) {
                        report(c->err_fd, "pid 1: start the command: %s", strerror(errno));
                        kill(cmd, SIGKILL);
                        return 125;
                }
                close(ready[1]);
        }
        if (c->detach_fd > 0) {
                /* Until runroot has heard the command is set up: a runroot
                 * that dies before takes the container along. It leaves
                 * once err_fd is closed here, the PDEATHSIG gone. */
                if (!detach_heard(c->detach_fd, cmd)) {
                        kill(cmd, SIGKILL);
                        return 125;
                }
                close(c->detach_fd);
                if (prctl(PR_SET_PDEATHSIG, 0) < 0) {
                        report(c->err_fd, "pid 1: PR_SET_PDEATHSIG: %s", strerror(errno));
                        kill(cmd, SIGKILL);
                        return 125;
                }
        }
        close(c->err_fd);

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&set, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        if (!c->pid1_signals || command_catches(cmd, sig))
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
