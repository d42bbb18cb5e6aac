/* runroot exec: a command in a running container, as docker exec runs
 * one. The process that joins (host side, in runroot's pid namespace):
 * moves into the container's cgroups, closes every descriptor it has but
 * stdio and its pipes to runroot, and enters every namespace of the
 * container (those of its command, the init's first child, which are the
 * init's; a rootless caller may not reach the init's, which never execs)
 * at once through a pidfd (setns with namespace flags;
 * one /proc/PID/ns/ file at a time, all opened before the first setns, on
 * kernels before 5.8). From there nothing of the host is opened: its child,
 * in the container's pid namespace, resolves the user, the working
 * directory and the terminal inside the container, and goes through the
 * same last steps as the container's command (init.c): capabilities cut to
 * the same bounding set, no_new_privs when the container has it, the same
 * seccomp filter, then exec. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

static const struct {
        const char *name;
        int flag;
} ns_kinds[] = {
        /* the user namespace first: the others are entered with its rights */
        {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"uts", CLONE_NEWUTS},
        {"ipc", CLONE_NEWIPC},   {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
        {"pid", CLONE_NEWPID},
};

/* The namespaces of pid that are not ours (entering one's own user
 * namespace is an error, the others a no-op). */
static int ns_flags(pid_t pid)
{
        int flags = 0;
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
                char theirs[64], ours[64];
                snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns_kinds[i].name);
                snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns_kinds[i].name);
                struct stat a, b;
                if (stat(theirs, &a) < 0 || stat(ours, &b) < 0)
                        continue;
                if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        flags |= ns_kinds[i].flag;
        }
        return flags;
}

/* The container's command: the init's first child, as a pidfd opened
 * while it still is that child. Its namespaces are the init's (the init
 * forks it once they are all made), and unlike the init (which never
 * execs, and is not dumpable) a rootless caller may reach them. */
static int command_pidfd(pid_t init, pid_t *ret_pid)
{
        char path[96];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
        _cleanup_free_ char *kids = NULL;
        size_t len = 0;
        if (fs_read_file_at(AT_FDCWD, path, 4096, &kids, &len, NULL) < 0)
                return -ESRCH;
        long cmd = strtol(kids, NULL, 10);
        if (cmd <= 1 || cmd > INT_MAX)
                return -ESRCH;
        /* Before 5.3 there are no pidfds: the namespace files alone,
         * opened after the check below. */
        int fd = (int)syscall(SYS_pidfd_open, (pid_t)cmd, 0);
        if (fd < 0 && errno != ENOSYS)
                return -ESRCH;
        /* Opened, then checked: still the init's child. */
        snprintf(path, sizeof path, "/proc/%ld/stat", cmd);
        _cleanup_free_ char *stat = NULL;
        const char *p = NULL;
        if (fs_read_file_at(AT_FDCWD, path, 4096, &stat, &len, NULL) == 0)
                p = strrchr(stat, ')');
        long ppid = 0;
        if (p && sscanf(p + 1, " %*c %ld", &ppid) != 1)
                ppid = 0;
        if (ppid != init) {
                if (fd >= 0)
                        close(fd);
                return -ESRCH;
        }
        *ret_pid = (pid_t)cmd;
        return fd >= 0 ? fd : -ENOSYS;
}

/* The environment the container's command started with, as the
 * defaults of the exec'd one. */
static void command_env(pid_t cmd, strv *ret)
{
        char path[64];
        size_t len = 0;
        snprintf(path, sizeof path, "/proc/%d/environ", (int)cmd);
        _cleanup_free_ char *env = NULL;
        if (fs_read_file_at(AT_FDCWD, path, 1 << 20, &env, &len, NULL) < 0)
                return;
        for (size_t i = 0; i < len;) {
                size_t n = strnlen(env + i, len - i);
                if (n && memchr(env + i, '=', n))
                        strv_push_take(ret, xstrndup(env + i, n));
                i += n + 1;
        }
}

/* The container's security profile as its run recorded it. */
static void sec_from_record(json_object *run, sec_opts *ret)
{
        sec_opts_init(ret);
        json_object *sec = NULL, *b = NULL;
        json_object_object_get_ex(run, "security", &sec);
        container_strv(sec, "cap_add", &ret->cap_add);
        container_strv(sec, "cap_drop", &ret->cap_drop);
        if (sec && json_object_object_get_ex(sec, "seccomp", &b))
                ret->seccomp = json_object_get_boolean(b);
        ret->no_new_privs = sec && json_object_object_get_ex(sec, "no_new_privs", &b) &&
                            json_object_get_boolean(b);
        ret->seccomp_profile = container_str(sec, "seccomp_profile");
}

typedef struct exec_plan {
        const runner_exec_opts *o;
        const sec_opts *sec;
        const strv *cenv;
        const char *user, *workdir, *term;
        int pidfd;    /* of the container's command */
        pid_t ns_pid; /* that command */
        int flags;
        strv cgroups;
        int err_fd, tty_sock, null_fd;
} exec_plan;

static _Noreturn void fail_to(int fd, const err_t *e)
{
        char buf[ERR_MSG_MAX + 2];
        int n = snprintf(buf, sizeof buf, "%s\n", e->msg[0] ? e->msg : "exec failed");
        if (n > 0)
                (void)!write(fd, buf, (size_t)n);
        _exit(125);
}

/* Enter the namespaces of the init: by the pidfd, or one file at a time. */
static int enter_namespaces(const exec_plan *p, int *nsfds, err_t *e)
{
        if (p->pidfd >= 0 && setns(p->pidfd, p->flags) == 0)
                return 0;
        /* EINVAL: a kernel before 5.8, whose setns takes no pidfd */
        if (p->pidfd >= 0 && errno != EINVAL)
                return err_sys(e, errno, "enter the container's namespaces");
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
                if (!(p->flags & ns_kinds[i].flag))
                        continue;
                if (nsfds[i] < 0)
                        return err_set(e, -ENOENT, "the container's %s namespace is gone",
                                       ns_kinds[i].name);
                if (setns(nsfds[i], ns_kinds[i].flag) < 0)
                        return err_sys(e, errno, "enter the container's %s namespace",
                                       ns_kinds[i].name);
        }
        return 0;
}

/* In the container's pid namespace: the terminal, the user, the working
 * directory, then init.c's last steps and exec. */
static _Noreturn void exec_child(const exec_plan *p)
{
        err_t e = {0};
        if (!p->o->detach && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
                err_sys(&e, errno, "PR_SET_PDEATHSIG");
                fail_to(p->err_fd, &e);
        }
        int slave = -1;
        if (p->o->tty) {
                int master;
                if (tty_open_pty(&master, &slave, &e) < 0)
                        fail_to(p->err_fd, &e);
                if (tty_send_fd(p->tty_sock, master) < 0) {
                        err_sys(&e, errno, "pass the terminal to runroot");
                        fail_to(p->err_fd, &e);
                }
                close(master);
                close(p->tty_sock);
        }
        if (ns_session_keyring(p->o->session_keyring, &e) < 0)
                fail_to(p->err_fd, &e);
        run_user u = {0};
        if (user_resolve(p->user, &u, &e) < 0)
                fail_to(p->err_fd, &e);
        if (p->o->groups_exact) {
                free(u.groups);
                u.groups = (gid_t *)p->o->groups;
                u.ngroups = p->o->ngroups;
        }
        strv env = {0};
        if (p->o->env_exact)
                for (size_t i = 0; i < p->o->env.n; i++)
                        strv_push(&env, p->o->env.v[i]);
        else if (env_build(p->cenv, NULL, &p->o->env, environ, u.home, NULL, p->term, &env, &e) < 0)
                fail_to(p->err_fd, &e);
        _cleanup_free_ char *cwd_abs = NULL;
        int cwd_fd = -1;
        if (p->workdir && init_open_workdir(p->workdir, &cwd_abs, &cwd_fd, &e) < 0)
                fail_to(p->err_fd, &e);
        init_cmd cmd = {
                .argv = p->o->argv,
                .envp = env.v,
                .cwd = p->workdir,
                .cwd_abs = cwd_abs,
                .cwd_fd = cwd_fd,
                .user = &u,
                .sec = p->sec,
                .pty_slave_fd = slave,
                .err_fd = p->err_fd,
                .ready_fd = -1,
                .preserve_fds = p->o->preserve_fds,
        };
        init_exec_command(&cmd);
}

static int status_code(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 125;
}

/* Host side, joining: cgroups, descriptors, namespaces; then the child
 * and its status, signals forwarded to it (blocked since runroot). */
static _Noreturn void joiner(exec_plan *p, const sigset_t *set)
{
        err_t e = {0};
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0) {
                err_sys(&e, errno, "prctl");
                fail_to(p->err_fd, &e);
        }
        if (!p->o->interactive && dup2(p->null_fd, 0) < 0) {
                err_sys(&e, errno, "stdin");
                fail_to(p->err_fd, &e);
        }
        for (size_t i = 0; i < p->cgroups.n; i++) {
                _cleanup_free_ char *procs = path_join(p->cgroups.v[i], "cgroup.procs");
                _cleanup_close_ int fd = open(procs, O_WRONLY | O_CLOEXEC);
                char pid[24];
                int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
                if (fd < 0 || write(fd, pid, (size_t)n) != n) {
                        err_sys(&e, errno, "join the container's cgroup %s", p->cgroups.v[i]);
                        fail_to(p->err_fd, &e);
                }
        }
        /* The fallback's namespace files, all opened before the first
         * setns: nothing of the host is opened after it. */
        int nsfds[ARRAY_SIZE(ns_kinds)];
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)p->ns_pid, ns_kinds[i].name);
                nsfds[i] = p->flags & ns_kinds[i].flag ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        }
        int keep[4 + ARRAY_SIZE(ns_kinds)] = {p->err_fd, p->tty_sock, p->pidfd, p->o->report_fd};
        size_t nkeep = 4;
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++)
                if (nsfds[i] >= 0)
                        keep[nkeep++] = nsfds[i];
        _Static_assert(4 + ARRAY_SIZE(ns_kinds) <= INIT_KEEP_FDS_MAX, "too many fds to keep");
        if (init_close_fds_above(3 + p->o->preserve_fds, keep, nkeep, &e) < 0)
                fail_to(p->err_fd, &e);
        if (enter_namespaces(p, nsfds, &e) < 0)
                fail_to(p->err_fd, &e);
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++)
                if (nsfds[i] >= 0)
                        close(nsfds[i]);
        if (p->pidfd >= 0)
                close(p->pidfd);
        /* In the container's mount namespace now: its root is ours. */
        const char *cmd0 = p->o->argv[0];
        if (p->o->lookup_first && p->o->env_exact && (cmd0[0] == '/' || !strchr(cmd0, '/')) &&
            init_lookup(p->o->argv, p->o->env.v, &e) != 0)
                fail_to(p->err_fd, &e);
        pid_t child = fork();
        if (child < 0) {
                err_sys(&e, errno, "fork");
                fail_to(p->err_fd, &e);
        }
        if (child == 0)
                exec_child(p);
        if (p->o->report_fd >= 0) {
                char line[24];
                int n = snprintf(line, sizeof line, "%d\n", (int)child);
                (void)!write(p->o->report_fd, line, (size_t)n);
                close(p->o->report_fd);
        }
        close(p->err_fd);
        if (p->tty_sock >= 0)
                close(p->tty_sock);
        if (p->o->detach)
                _exit(0); /* the caller's subreaper gets the process */
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(set, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        kill(child, sig);
                        continue;
                }
                int st;
                if (waitpid(child, &st, WNOHANG) == child)
                        _exit(status_code(st));
        }
}

static int exec_in(exec_plan *p, err_t *e)
{
        int errp[2] = {-1, -1}, ttys[2] = {-1, -1};
        if (pipe2(errp, O_CLOEXEC) < 0)
                return err_sys(e, errno, "pipe");
        if (p->o->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ttys) < 0) {
                int r = err_sys(e, errno, "socketpair");
                close(errp[0]);
                close(errp[1]);
                return r;
        }
        _cleanup_close_ int errr = errp[0], tsock = ttys[0];
        sigset_t set, old;
        sigemptyset(&set);
        for (size_t i = 0; i < init_forward_signals_n; i++)
                sigaddset(&set, init_forward_signals[i]);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        p->err_fd = errp[1];
        p->tty_sock = ttys[1];
        pid_t pid = sfd < 0 ? -1 : fork();
        if (pid == 0) {
                close(errr);
                if (tsock >= 0)
                        close(tsock);
                joiner(p, &set);
        }
        int saved = errno;
        close(errp[1]);
        if (ttys[1] >= 0)
                close(ttys[1]);
        if (pid < 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                return err_sys(e, saved, sfd < 0 ? "signalfd" : "fork");
        }
        _cleanup_close_ int master = -1;
        void *saved_tty = NULL;
        if (p->o->tty && p->o->console_fd >= 0) {
                /* The caller's console socket gets the master: nothing
                 * is relayed here. */
                _cleanup_close_ int m = tty_recv_fd(tsock);
                if (m >= 0)
                        tty_set_size(m, p->o->console_rows, p->o->console_cols);
                if (m >= 0 && tty_send_fd(p->o->console_fd, m) < 0)
                        log_warn("--console-socket: %s", strerror(errno));
        } else if (p->o->tty) {
                master = tty_recv_fd(tsock);
                if (master >= 0) {
                        tty_set_size(master, p->o->console_rows, p->o->console_cols);
                        tty_copy_winsize(0, master);
                        if (tty_raw(0, &saved_tty) < 0)
                                saved_tty = NULL;
                }
        }
        int st = tty_supervise(pid, sfd, master, p->o->interactive);
        tty_restore(0, saved_tty);
        sigprocmask(SIG_SETMASK, &old, NULL);
        int code = status_code(st);
        char buf[ERR_MSG_MAX];
        ssize_t n;
        if (p->o->detach) {
                /* The joiner has left, the command's process is not ours:
                 * it holds the pipe until its exec closes it (O_CLOEXEC).
                 * Nothing read is a command that runs; a message is one
                 * that could not start, which only this side can still
                 * tell (runc's exec --detach fails then too). */
                while ((n = read(errr, buf, sizeof buf - 1)) < 0 && errno == EINTR)
                        ;
        } else {
                fcntl(errr, F_SETFL, O_NONBLOCK);
                n = read(errr, buf, sizeof buf - 1);
        }
        if (n > 0) {
                while (n > 0 && buf[n - 1] == '\n')
                        n--;
                buf[n] = '\0';
                snprintf(e->msg, sizeof e->msg, "%s", buf);
                if (code == 125 || p->o->detach) {
                        e->code = -EIO;
                        return e->code;
                }
        }
        return code;
}

int runner_exec_in_container(const runner_exec_target *t, const runner_exec_opts *o, err_t *e)
{
        if (!o->argv || !o->argv[0] || !o->argv[0][0])
                return err_set(e, -EINVAL, "no command given");
        if (o->tty && o->console_fd < 0 && !isatty(0))
                return err_set(e, -ENOTTY, "-t: the input is not a terminal");
        pid_t cmd = 0;
        _cleanup_close_ int pidfd = t->init_pid > 0 ? command_pidfd(t->init_pid, &cmd) : -ESRCH;
        if (pidfd < 0 && pidfd != -ENOSYS)
                return err_set(e, -ESRCH, "%s: not running", t->name);
        /* A container has a mount and a pid namespace of its own, always:
         * not seeing them is not seeing the container, and going on would
         * run the command on the host. */
        int flags = ns_flags(cmd);
        if ((flags & (CLONE_NEWNS | CLONE_NEWPID)) != (CLONE_NEWNS | CLONE_NEWPID))
                return err_set(e, -EPERM, "%s: cannot reach the namespaces of its command (pid %d)",
                               t->name, (int)cmd);
        _cleanup_strv_ strv cenv = {0};
        if (!o->env_exact)
                command_env(cmd, &cenv);
        /* Another user's HOME is its own (from the container's /etc/passwd),
         * not the one the command started with. */
        if (o->user)
                for (size_t i = 0; i < cenv.n; i++)
                        if (!strncmp(cenv.v[i], "HOME=", 5)) {
                                free(cenv.v[i]);
                                memmove(&cenv.v[i], &cenv.v[i + 1], (cenv.n - i) * sizeof *cenv.v);
                                cenv.n--;
                                break;
                        }
        _cleanup_close_ int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        const char *term = getenv("TERM");
        exec_plan p = {
                .o = o,
                .sec = t->sec,
                .cenv = &cenv,
                .user = o->user ? o->user : t->user,
                .workdir = o->workdir ? o->workdir : t->workdir,
                .term = o->tty ? (term && *term ? term : "xterm") : NULL,
                .pidfd = pidfd,
                .ns_pid = cmd,
                .flags = flags,
                .null_fd = null_fd,
        };
        if (t->cgroups)
                for (size_t i = 0; i < t->cgroups->n; i++)
                        strv_push(&p.cgroups, t->cgroups->v[i]);
        else
                container_cgroups_of(t->init_pid, &p.cgroups);
        int r = exec_in(&p, e);
        strv_free(&p.cgroups);
        return r;
}

int runner_container_exec(const char *cache_dir, const char *name, const runner_exec_opts *o,
                          err_t *e)
{
        if (!o->argv || !o->argv[0] || !o->argv[0][0])
                return err_set(e, -EINVAL, "no command given");
        if (o->tty && o->console_fd < 0 && !isatty(0))
                return err_set(e, -ENOTTY, "-t: the input is not a terminal");
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        container_info c = {0};
        r = container_find(s, name, &c, e);
        if (r < 0) {
                store_free(s);
                return r;
        }
        /* Held while joining: the recorded init, not a reused pid. */
        _cleanup_close_ int initfd = c.running ? container_pidfd(&c) : -ESRCH;
        if ((initfd < 0 && initfd != -ENOSYS) || !c.init_pid) {
                r = err_set(e, -ESRCH, "%s: not running", c.name);
                container_info_free(&c);
                store_free(s);
                return r;
        }
        sec_opts sec;
        sec_from_record(c.run, &sec);
        /* The same filter the container's command got (runner_run makes it
         * so, from the same options). */
        sec_filter *filter = NULL;
        if (sec.seccomp) {
                err_t e2 = {0};
                int cfd =
                        store_area_dir(s, STORE_AREA_SECCOMP, NULL, &e2) == 0 ? store_dirfd(s) : -1;
                r = sec_filter_prepare(&sec, cfd, &filter, e);
                sec.filter = filter;
        }
        if (r == 0) {
                _cleanup_strv_ strv cgroups = {0};
                container_strv(c.run, "cgroups", &cgroups);
                runner_exec_target t = {
                        .init_pid = c.init_pid,
                        .name = c.name,
                        .user = container_str(c.run, "user"),
                        .workdir = container_str(c.run, "workdir"),
                        .sec = &sec,
                        .cgroups = &cgroups,
                };
                r = runner_exec_in_container(&t, o, e);
        }
        sec_filter_free(filter);
        /* the strings of sec point into c.run */
        sec.seccomp_profile = NULL;
        sec_opts_free(&sec);
        container_info_free(&c);
        store_free(s);
        return r;
}
