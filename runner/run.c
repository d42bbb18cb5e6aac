/* A container's run, in DESIGN.md's order from the cgroup on: clone into
 * the namespaces, sync (id maps, cgroup membership), mounts and pivot_root
 * in the child, pid-1 init, then on the host side: relay the terminal,
 * forward signals, wait, clean up. runroot's runs get here from
 * run-config.c (runner_run); the builder's commands and the host sandbox
 * from runner_exec_in_tree and runner_sandbox_host below. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

static void child_fail(int fd, const err_t *e)
{
        char buf[ERR_MSG_MAX + 1];
        int n = snprintf(buf, sizeof buf, "%s\n", e->msg[0] ? e->msg : "container setup failed");
        if (n > 0 && write(fd, buf, (size_t)n) < 0)
                (void)!write(2, buf, (size_t)n);
        _exit(125);
}

/* The namespace of kind k that s joins instead of a new one (none: 0). */
static int join_ns(const run_spec *s, runner_ns_join k, int type, const char *what, err_t *e)
{
        int fd = s->join_fds ? s->join_fds[k] : -1;
        if (fd < 0)
                return 0;
        if (setns(fd, type) < 0)
                return err_sys(e, errno, "join the %s namespace", what);
        close(fd);
        return 0;
}

/* runroot's go on sync_fd; its end (a failed setup, or runroot gone)
 * ends the child. (detach: pid 1 keeps sync_fd, to hear when runroot
 * leaves.) */
static void wait_go(run_spec *s)
{
        char go = 0;
        ssize_t n;
        while ((n = read(s->sync_fd, &go, 1)) < 0 && errno == EINTR)
                ;
        if (n != 1 || go != 'G')
                _exit(125);
        if (!s->detach)
                close(s->sync_fd);
}

static void child_main(run_spec *s)
{
        err_t e = {0};
        /* The forwarded signals stay blocked (as inherited) until the init
         * waits for them: a pid namespace's init drops a SIGTERM it has no
         * handler for the moment it is unblocked, so one forwarded early
         * would be lost. */
        /* Nothing of the host's may stay open past this point, not even
         * close-on-exec (pid 1 never execs): runroot's own fds (the cache
         * directory) and whatever the caller left open. Only stdio and the
         * pipes to runroot are kept (CVE-2024-21626). */
        int keep[] = {s->sync_fd,
                      s->err_fd,
                      s->tty_sock,
                      s->before_exec ? s->keep_fd : -1,
                      s->born_ready ? s->parent_pidfd : -1,
                      s->netns_fd,
                      s->join_fds ? s->join_fds[RUNNER_NSJ_IPC] : -1,
                      s->join_fds ? s->join_fds[RUNNER_NSJ_UTS] : -1,
                      s->join_fds ? s->join_fds[RUNNER_NSJ_CGROUP] : -1,
                      s->hook_fd};
        if (init_close_fds_above(3 + s->preserve_fds, keep, ARRAY_SIZE(keep), &e) < 0)
                child_fail(s->err_fd, &e);
        if (s->netns_fd >= 0) {
                if (setns(s->netns_fd, CLONE_NEWNET) < 0) {
                        err_sys(&e, errno, "--net container: join its network namespace");
                        child_fail(s->err_fd, &e);
                }
                close(s->netns_fd);
        }
        if (join_ns(s, RUNNER_NSJ_IPC, CLONE_NEWIPC, "ipc", &e) < 0 ||
            join_ns(s, RUNNER_NSJ_UTS, CLONE_NEWUTS, "uts", &e) < 0)
                child_fail(s->err_fd, &e);
        /* runroot gone (even by SIGKILL) takes the whole pid namespace. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
                err_sys(&e, errno, "PR_SET_PDEATHSIG");
                child_fail(s->err_fd, &e);
        }
        if (s->born_ready) {
                /* Nothing to wait for yet; only whether runroot died
                 * before the PDEATHSIG above was set (its pidfd is
                 * readable then). Waiting here for a go that a loaded
                 * machine schedules late cost 0.6 ms on average. */
                struct pollfd pf = {.fd = s->parent_pidfd, .events = POLLIN};
                if (poll(&pf, 1, 0) != 0)
                        _exit(125);
                close(s->parent_pidfd);
        } else {
                wait_go(s);
        }
        /* A user namespace runroot made as root: runroot's ids are not in
         * its maps; become its root (the host's id that 0 maps to). */
        if (s->uid_map &&
            (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
                err_sys(&e, errno, "become root of the user namespace");
                child_fail(s->err_fd, &e);
        }
        if (ns_session_keyring(s->session_keyring, &e) < 0)
                child_fail(s->err_fd, &e);
        /* Joined the cgroup: a cgroup namespace rooted there (or the one
         * given, joined). */
        if (s->join_fds && s->join_fds[RUNNER_NSJ_CGROUP] >= 0) {
                if (join_ns(s, RUNNER_NSJ_CGROUP, CLONE_NEWCGROUP, "cgroup", &e) < 0)
                        child_fail(s->err_fd, &e);
        } else if (unshare(CLONE_NEWCGROUP) < 0)
                log_debug("cgroup namespace: %s", strerror(errno));
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
                err_sys(&e, errno, "hostname %s", s->hostname);
                child_fail(s->err_fd, &e);
        }
        if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
                err_sys(&e, errno, "domainname %s", s->domainname);
                child_fail(s->err_fd, &e);
        }
        /* Inherited by pid 1's command and kept across its exec. */
        if (s->personality_set && personality(s->personality) < 0) {
                err_sys(&e, errno, "personality 0x%lx", s->personality);
                child_fail(s->err_fd, &e);
        }
        if (s->net_none && ns_loopback_up(&e) < 0)
                child_fail(s->err_fd, &e);
        if (mounts_setup(&s->plan, &e) < 0)
                child_fail(s->err_fd, &e);
        /* Nothing in the container may open /proc/1/exe (runroot's binary)
         * or our fds (CVE-2019-5736): pid 1 and the command before exec are
         * not dumpable. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0) {
                err_sys(&e, errno, "PR_SET_DUMPABLE");
                child_fail(s->err_fd, &e);
        }

        run_user u = {0};
        if (user_resolve(s->user, &u, &e) < 0)
                child_fail(s->err_fd, &e);
        if (s->groups_exact) {
                u.groups = (gid_t *)s->groups;
                u.ngroups = s->ngroups;
        }
        strv env = {0};
        char **envp = s->envp;
        if (!envp) {
                if (env_build(s->image_env, s->env_files, s->env, environ, u.home, s->hostname,
                              s->term, &env, &e) < 0)
                        child_fail(s->err_fd, &e);
                envp = env.v;
        }
        int slave = -1;
        if (s->tty) {
                int master;
                if (tty_open_pty(&master, &slave, &e) < 0)
                        child_fail(s->err_fd, &e);
                if (tty_send_fd(s->tty_sock, master) < 0) {
                        err_sys(&e, errno, "pass the terminal to runroot");
                        child_fail(s->err_fd, &e);
                }
                close(master);
                close(s->tty_sock);
        }
        /* Resolved inside the new root, never as a host path. */
        _cleanup_free_ char *cwd_abs = NULL;
        int cwd_fd = -1;
        if (s->workdir && init_open_workdir(s->workdir, &cwd_abs, &cwd_fd, &e) < 0)
                child_fail(s->err_fd, &e);
        /* Nothing of the image has run: the device program runroot
         * attached while the mounts were made must be there before it
         * does (its go; by now it is usually waiting in the pipe). */
        if (s->born_ready)
                wait_go(s);
        init_cmd cmd = {
                .argv = s->argv,
                .envp = envp,
                .cwd = s->workdir,
                .cwd_abs = cwd_abs,
                .cwd_fd = cwd_fd,
                .user = &u,
                .sec = s->sec,
                .rlimits = s->rlimits,
                .nrlimits = s->nrlimits,
                .pty_slave_fd = slave,
                .err_fd = s->err_fd,
                .ready_fd = -1,
                .before_exec = s->before_exec,
                .before_exec_ctx = s->before_exec_ctx,
                .keep_fd = s->before_exec ? s->keep_fd : -1,
                .detach_fd = s->detach ? s->sync_fd : -1,
                .preserve_fds = s->preserve_fds,
                .pid1_signals = s->pid1_signals,
                .lookup_first = s->lookup_first,
                .sched = &s->sched,
        };
        _exit(init_run(&cmd));
}

/* mount_plan's before_pivot in the container, its mounts made: the host
 * side runs prestart and createRuntime (asked on hook_fd), then
 * createContainer runs here, in the container's namespaces, where the
 * host's paths still resolve. */
static int container_hooks(void *ctx, err_t *e)
{
        run_spec *s = ctx;
        if (s->hook_fd >= 0) {
                char c = 0;
                if (write(s->hook_fd, "H", 1) != 1 || read(s->hook_fd, &c, 1) != 1 || c != 'C')
                        _exit(125); /* the host side has the error */
                close(s->hook_fd);
                s->hook_fd = -1;
        }
        return runner_hooks_run(s->hooks, RUNNER_HOOK_CREATE_CONTAINER, "creating", getpid(), e);
}

/* The host side's part: once the child is at its hook point ('H'),
 * prestart then createRuntime in our namespaces with the container's pid,
 * then 'C' lets it go on. A child that ended first says why on errr. */
static int host_hooks(const run_spec *s, pid_t pid, int fd, err_t *e)
{
        char c = 0;
        ssize_t n;
        while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
                ;
        if (n != 1 || c != 'H')
                return 0;
        int r = runner_hooks_run(s->hooks, RUNNER_HOOK_PRESTART, "creating", pid, e);
        if (r == 0)
                r = runner_hooks_run(s->hooks, RUNNER_HOOK_CREATE_RUNTIME, "creating", pid, e);
        if (r == 0 && write(fd, "C", 1) != 1)
                r = err_sys(e, errno, "resume the container after its hooks");
        return r;
}

static void read_messages(int fd, err_t *e)
{
        char buf[ERR_MSG_MAX];
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len >= sizeof buf - 1)
                        break;
        }
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        if (len)
                snprintf(e->msg, sizeof e->msg, "%s", buf);
}

static int status_code(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 125;
}

static void closep_pair(int p[2])
{
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0) {
                        close(p[i]);
                        p[i] = -1;
                }
}

/* 32 random bits for a run's names (cgroup, hostname); the pid mixed when
 * the kernel has no randomness to give yet. */
uint32_t run_random(void)
{
        uint32_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                rnd = (uint32_t)getpid() * 2654435761u;
        return rnd;
}

/* The device policy applies to every run as root, with limits or without,
 * and to the builder's commands as well (DESIGN.md's threat model): when
 * the caller made no cgroup, one is made here for the device list alone.
 * Rootless runs cannot have one, nor root of a user namespace (a rootless
 * mkroot fetch); nodev mounts and the user namespace stop device nodes
 * there. */
static int device_cgroup(const mount_plan *plan, cgroup **ret, err_t *e)
{
        *ret = NULL;
        if (geteuid() != 0 || plan->privileged || runner_in_userns())
                return 0;
        cg_limits l;
        cg_limits_init(&l);
        l.device_policy = true;
        l.devices = plan->devices;
        l.ndevices = plan->ndevices;
        /* attached in run_container, while the child makes its mounts */
        l.devices_later = true;
        char name[48];
        snprintf(name, sizeof name, "runroot-%d-%08x", (int)getpid(), run_random());
        int r = cg_create("/sys/fs/cgroup", name, &l, ret, e);
        if (r < 0)
                return err_prefix(e, "device policy");
        return 0;
}

/* Block the forwarded signals and SIGCHLD (into set; the mask before into
 * old), for the signalfd the supervisor reads them from. */
static void signals_take(sigset_t *set, sigset_t *old)
{
        sigemptyset(set);
        for (size_t i = 0; i < init_forward_signals_n; i++)
                sigaddset(set, init_forward_signals[i]);
        sigaddset(set, SIGCHLD);
        sigprocmask(SIG_BLOCK, set, old);
        /* An inherited SIG_IGN (a shell's background job ignores SIGINT)
         * would drop the signal before the signalfd sees it. */
        for (size_t i = 0; i < init_forward_signals_n; i++)
                signal(init_forward_signals[i], SIG_DFL);
}

/* The host side of a started container: the terminal it passed back on
 * tsock, the supervision until it exits, then what it reported on errr.
 * Stops net and restores the signal mask old. Returns the exit status, or
 * a negative errno when the setup in the child failed. */
/* The caller's console socket gets the terminal: no relay here. */
static void console_pass(const run_spec *s, int tsock)
{
        int m = tty_recv_fd(tsock);
        if (m >= 0) {
                tty_set_size(m, s->console_rows, s->console_cols);
                if (tty_send_fd(s->console_fd, m) < 0)
                        log_warn("--console-socket: %s", strerror(errno));
                close(m);
        }
}

static int host_side(const run_spec *s, pid_t pid, int sfd, int tsock, int errr, pasta *net,
                     const sigset_t *old, err_t *e)
{
        _cleanup_close_ int master = -1;
        void *saved_tty = NULL;
        if (s->tty && s->console_fd >= 0) {
                console_pass(s, tsock);
        } else if (s->tty) {
                master = tty_recv_fd(tsock);
                if (master >= 0) {
                        tty_set_size(master, s->console_rows, s->console_cols);
                        tty_copy_winsize(0, master);
                        if (tty_raw(0, &saved_tty) < 0)
                                saved_tty = NULL;
                }
        }
        int st = tty_supervise(pid, sfd, master, true);
        pasta_stop(net);
        tty_restore(0, saved_tty);
        sigprocmask(SIG_SETMASK, old, NULL);

        int code = status_code(st);
        fcntl(errr, F_SETFL, O_NONBLOCK);
        read_messages(errr, e);
        if (code == 125 && e->msg[0]) {
                e->code = -EIO;
                return e->code;
        }
        return code;
}

/* run_spec's detach: the terminal handed on, then what the container
 * says on errr until the command's INIT_READY_LINE (then pid 1 hears 'D'
 * on syncw and stays) or its end (what it reported is the error, and it
 * is reaped). 0 or a negative errno. */
static int detach_side(const run_spec *s, pid_t pid, int tsock, int errr, int syncw, err_t *e)
{
        if (s->tty && s->console_fd >= 0)
                console_pass(s, tsock);
        const size_t k = strlen(INIT_READY_LINE);
        char buf[ERR_MSG_MAX];
        size_t len = 0;
        for (;;) {
                if (len >= k && !memcmp(buf + len - k, INIT_READY_LINE, k)) {
                        if (send(syncw, "D", 1, MSG_NOSIGNAL) != 1)
                                break;
                        /* pid 1 closes its end once it has no PDEATHSIG
                         * left; anything before the EOF is its error. */
                        len = 0;
                        for (;;) {
                                ssize_t n = read(errr, buf + len, sizeof buf - 1 - len);
                                if (n < 0 && errno == EINTR)
                                        continue;
                                if (n <= 0 || (len += (size_t)n) == sizeof buf - 1)
                                        break;
                        }
                        if (len == 0)
                                return 0;
                        break;
                }
                if (len == sizeof buf - 1) { /* warnings: keep the tail */
                        memmove(buf, buf + len - k, k);
                        len = k;
                }
                ssize_t n = read(errr, buf + len, sizeof buf - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        return err_set(e, -EIO, "%s", len ? buf : "container setup failed");
}

/* (internal.h) */
int run_container(run_spec *s, cgroup *cg, err_t *e)
{
        int syncp[2] = {-1, -1}, errp[2] = {-1, -1}, ttys[2] = {-1, -1};
        int r = 0;
        /* From here on every step is runroot's own and short: ask to be
         * scheduled promptly (the command gets the caller's back). */
        run_sched_short(&s->sched);
        _cleanup_cgroup_ cgroup *own_cg = NULL;
        if (!cg) {
                r = device_cgroup(&s->plan, &own_cg, e);
                if (r < 0)
                        return r;
                cg = own_cg;
        }
        /* sync: a socket, so that the go to a child that already failed
         * (its message is on errp) is an EPIPE, not a SIGPIPE. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, syncp) < 0 ||
            pipe2(errp, O_CLOEXEC) < 0 ||
            (s->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ttys) < 0)) {
                r = err_sys(e, errno, "pipe");
                closep_pair(syncp);
                closep_pair(errp);
                return r;
        }
        const runner_hooks *h = s->hooks;
        _cleanup_close_ int hookr = -1;
        s->hook_fd = -1;
        if (h && (h->n[RUNNER_HOOK_PRESTART] || h->n[RUNNER_HOOK_CREATE_RUNTIME])) {
                int hp[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hp) < 0) {
                        r = err_sys(e, errno, "socketpair");
                        closep_pair(syncp);
                        closep_pair(errp);
                        closep_pair(ttys);
                        return r;
                }
                hookr = hp[0];
                s->hook_fd = hp[1];
        }
        if (h && (s->hook_fd >= 0 || h->n[RUNNER_HOOK_CREATE_CONTAINER])) {
                s->plan.before_pivot = container_hooks;
                s->plan.before_pivot_ctx = s;
        }
        sigset_t set, old;
        signals_take(&set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);

        unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
        const int *j = s->join_fds;
        if (j && j[RUNNER_NSJ_IPC] >= 0)
                flags &= ~(unsigned long)CLONE_NEWIPC;
        if (j && j[RUNNER_NSJ_UTS] >= 0)
                flags &= ~(unsigned long)CLONE_NEWUTS;
        /* A pid namespace is joined by the parent: its children are born
         * in it (pid_for_children), and it goes back to its own after. */
        _cleanup_close_ int own_pidns = -1;
        if (j && j[RUNNER_NSJ_PID] >= 0) {
                flags &= ~(unsigned long)CLONE_NEWPID;
                own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                if (own_pidns < 0 || setns(j[RUNNER_NSJ_PID], CLONE_NEWPID) < 0) {
                        r = err_sys(e, errno, "join the pid namespace");
                        closep_pair(syncp);
                        closep_pair(errp);
                        closep_pair(ttys);
                        sigprocmask(SIG_SETMASK, &old, NULL);
                        return r;
                }
        }
        if (s->net_none)
                flags |= CLONE_NEWNET;
        if (s->userns)
                flags |= CLONE_NEWUSER;
        s->sync_fd = syncp[0];
        s->err_fd = errp[1];
        s->tty_sock = ttys[1];
        /* Born in the cgroup when it is v2: no cgroup.procs write, and
         * (without id maps or pasta to wait for) no go to wait for. */
        int cgfd = cg_clone_fd(cg);
        bool attached = false;
        pid_t pid = -1;
        _cleanup_close_ int self_pidfd = -1;
        if (cgfd >= 0) {
                if (!s->userns && !s->pasta)
                        self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
                s->born_ready = self_pidfd >= 0;
                s->parent_pidfd = self_pidfd;
                pid = ns_clone_into(flags, cgfd);
                attached = pid >= 0;
        }
        if (pid < 0) {
                s->born_ready = false;
                s->parent_pidfd = -1;
                pid = ns_clone(flags);
        }
        if (pid == 0) {
                close(syncp[1]);
                close(errp[0]);
                if (ttys[0] >= 0)
                        close(ttys[0]);
                child_main(s);
        }
        int saved = errno;
        if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
                log_warn("back to runroot's pid namespace: %s", strerror(errno));
        close(syncp[0]);
        close(errp[1]);
        if (ttys[1] >= 0)
                close(ttys[1]);
        if (s->hook_fd >= 0)
                close(s->hook_fd);
        _cleanup_close_ int syncw = syncp[1], errr = errp[0], tsock = ttys[0];
        if (pid < 0 || sfd < 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (pid < 0)
                        return err_sys(e, saved, "clone%s",
                                       saved == EPERM || saved == ENOSPC || saved == EINVAL
                                               ? " (namespaces not permitted here?)"
                                               : "");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return err_sys(e, errno, "signalfd");
        }
        if (s->userns)
                r = s->uid_map ? ns_write_maps(pid, s->uid_map, s->gid_map, e)
                               : ns_write_id_maps(pid, getuid(), getgid(), e);
        if (r == 0 && cg && !attached)
                r = cg_attach(cg, pid, e);
        if (r == 0)
                r = cg_devices_attach(cg, e);
        pasta *net = NULL;
        if (r == 0 && s->pasta)
                r = pasta_start(pid, s->pasta, &net, e);
        /* A born_ready child may have failed already: EPIPE, and its
         * message is read below. */
        if (r == 0 && send(syncw, "G", 1, MSG_NOSIGNAL) != 1 &&
            !(s->born_ready && (errno == EPIPE || errno == ECONNRESET)))
                r = err_sys(e, errno, "start the container");
        if (r == 0 && hookr >= 0)
                r = host_hooks(s, pid, hookr, e);
        if (r < 0) {
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                pasta_stop(net);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return r;
        }
        if (s->detach) {
                r = detach_side(s, pid, tsock, errr, syncw, e);
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (r < 0) {
                        pasta_stop(net);
                        return r;
                }
                /* The cgroup stays with the container. */
                cg_free(steal_pointer(&own_cg));
                if (s->on_start)
                        s->on_start(s->on_start_arg, pid, cg, pasta_pid(net));
                return 0;
        }
        close(steal_fd(&syncw));
        if (s->on_start)
                s->on_start(s->on_start_arg, pid, cg, pasta_pid(net));
        return host_side(s, pid, sfd, tsock, errr, net, &old, e);
}

static const pasta_opts download_net = {.who = "the network of a download"};

int runner_exec_in_tree(const char *root, char *const argv[], char *const envp[],
                        runner_tree_net net, err_t *e)
{
        if ((unsigned)net >= RUNNER_TREE_NET_MAX)
                return err_set(e, -EINVAL, "%s: unknown network mode %d", root, (int)net);
        if (!argv || !argv[0])
                return err_set(e, -EINVAL, "%s: no command", root);
        struct stat st;
        if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
                return err_set(e, -ENOTDIR, "%s: not a directory", root);
        static char *default_env[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                NULL};
        /* The tree may come from a hostile base: the command gets a
         * container's default profile (docker's capability set, no_new_privs,
         * the default seccomp filter), without CAP_MKNOD, which no build
         * step or maintainer script of a root file system needs. The filter
         * is compiled here, on the host side, without a cache: a build has
         * few steps. */
        sec_opts sec;
        sec_opts_init(&sec);
        strv_push(&sec.cap_drop, "MKNOD");
        sec_filter *filter = NULL;
        int r = sec_filter_prepare(&sec, -1, &filter, e);
        if (r < 0) {
                sec_opts_free(&sec);
                return err_prefix(e, "%s: seccomp filter", root);
        }
        sec.filter = filter;
        run_spec spec = {
                /* The tree's own /etc/resolv.conf: a bind over it would
                 * break package scripts that write it. */
                .plan = {.lower = root, .in_place = true, .userns = geteuid() != 0},
                .argv = (char **)argv,
                .envp = envp ? (char **)envp : default_env,
                .hostname = NULL,
                .sec = &sec,
                .net_none = net != RUNNER_TREE_NET_HOST,
                .pasta = net == RUNNER_TREE_NET_OUTBOUND ? &download_net : NULL,
                .netns_fd = -1,
                .userns = geteuid() != 0,
        };
        r = run_container(&spec, NULL, e);
        sec_filter_free(filter);
        sec_opts_free(&sec);
        return r;
}

int runner_sandbox_host(const runner_sandbox *sb, err_t *e)
{
        if (!sb->argv || !sb->argv[0])
                return err_set(e, -EINVAL, "no command");
        static char *default_env[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                "TERM=dumb", NULL};
        store *st = NULL;
        int r = store_open(sb->cache_dir, &st, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *rundir = NULL;
        r = store_area_dir(st, STORE_AREA_RUNS, &rundir, e);
        if (r < 0) {
                store_free(st);
                return r;
        }
        /* The host's programs, but a container's default profile all the
         * same: what is traced may be anything the user typed. */
        sec_opts sec;
        sec_opts_init(&sec);
        strv_push(&sec.cap_drop, "MKNOD");
        sec_filter *filter = NULL;
        r = sec_filter_prepare(&sec, -1, &filter, e);
        if (r < 0) {
                sec_opts_free(&sec);
                store_free(st);
                return err_prefix(e, "seccomp filter");
        }
        sec.filter = filter;
        strv tmpfs = {0};
        strv_push(&tmpfs, "/tmp");
        strv none = {0};
        run_spec spec = {
                /* The host's root read-only below a private tmpfs upper: a
                 * write or a removal lands there and goes with the run. */
                .plan = {.lower = "/",
                         .rundir = rundir,
                         .no_copy = true,
                         .userns = geteuid() != 0,
                         .net_host = sb->net,
                         .binds = &none,
                         .tmpfs = &tmpfs,
                         .add_hosts = &none,
                         .dns = &none},
                .argv = sb->argv,
                .envp = default_env,
                .workdir = sb->workdir,
                .sec = &sec,
                .net_none = !sb->net,
                .netns_fd = -1,
                .userns = geteuid() != 0,
                .before_exec = sb->before_exec,
                .before_exec_ctx = sb->ctx,
                .keep_fd = sb->keep_fd,
        };
        r = run_container(&spec, NULL, e);
        strv_free(&tmpfs);
        sec_filter_free(filter);
        sec_opts_free(&sec);
        store_free(st);
        return r;
}
