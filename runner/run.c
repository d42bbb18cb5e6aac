/* Orchestration, in DESIGN.md's order: image -> layer, cgroup, clone into
 * the namespaces, sync (id maps, cgroup membership), mounts and pivot_root
 * in the child, pid-1 init, then on the host side: relay the terminal,
 * forward signals, wait, report OOM, clean up. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

void runner_config_init(runner_config *c)
{
        memset(c, 0, sizeof *c);
        c->tty = -1;
        c->started_fd = -1;
        c->start_fd = -1;
        c->console_fd = -1;
        cg_limits_init(&c->limits);
        sec_opts_init(&c->sec);
}

void runner_config_free(runner_config *c)
{
        strv_free(&c->image_env);
        strv_free(&c->env);
        strv_free(&c->env_files);
        strv_free(&c->binds);
        strv_free(&c->tmpfs);
        strv_free(&c->devices);
        strv_free(&c->ulimits);
        strv_free(&c->add_hosts);
        strv_free(&c->dns);
        strv_free(&c->publish);
        strv_free(&c->masked_paths);
        strv_free(&c->readonly_paths);
        strv_free(&c->sysctls);
        free(c->limits.cpuset_cpus);
        c->limits.cpuset_cpus = NULL;
        sec_opts_free(&c->sec);
}

/* What the child needs, host side and container side alike. */
typedef struct run_spec {
        mount_plan plan;
        char **argv;
        char **envp; /* fixed environment (exec_in_tree), or NULL */
        const strv *image_env, *env, *env_files;
        const char *hostname;
        const char *workdir;
        const char *user;
        const char *term;
        const sec_opts *sec;
        const run_rlimit *rlimits;
        size_t nrlimits;
        bool net_none; /* a network namespace of its own */
        /* with net_none: pasta gives the namespace outbound access */
        const pasta_opts *pasta;
        int netns_fd; /* >= 0: the network namespace to join (--net container:) */
        bool userns;
        bool tty;
        int sync_fd, err_fd, tty_sock;
        /* Born with all it needs (in its cgroup, no id maps, no pasta): the
         * child does not wait for the parent's go; parent_pidfd (runroot's
         * pidfd) tells it whether runroot died before its PDEATHSIG. */
        bool born_ready;
        int parent_pidfd;
        /* Called once the container's init runs (lifecycle.c's record). */
        void (*on_start)(void *arg, pid_t init_pid, const cgroup *cg, pid_t net_pid);
        void *on_start_arg;
        void (*before_exec)(void *ctx); /* runner_sandbox_host */
        void *before_exec_ctx;
        int keep_fd;       /* -1 or 0 when unset: kept open for before_exec */
        int console_fd;    /* runner_config's (with tty), or -1 */
        bool groups_exact; /* the supplementary groups are groups alone */
        const gid_t *groups;
        size_t ngroups;
} run_spec;

static void child_fail(int fd, const err_t *e)
{
        char buf[ERR_MSG_MAX + 1];
        int n = snprintf(buf, sizeof buf, "%s\n", e->msg[0] ? e->msg : "container setup failed");
        if (n > 0 && write(fd, buf, (size_t)n) < 0)
                (void)!write(2, buf, (size_t)n);
        _exit(125);
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
                      s->netns_fd};
        if (init_close_fds(keep, ARRAY_SIZE(keep), &e) < 0)
                child_fail(s->err_fd, &e);
        if (s->netns_fd >= 0) {
                if (setns(s->netns_fd, CLONE_NEWNET) < 0) {
                        err_sys(&e, errno, "--net container: join its network namespace");
                        child_fail(s->err_fd, &e);
                }
                close(s->netns_fd);
        }
        /* runroot gone (even by SIGKILL) takes the whole pid namespace. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
                err_sys(&e, errno, "PR_SET_PDEATHSIG");
                child_fail(s->err_fd, &e);
        }
        if (s->born_ready) {
                /* Nothing to wait for; only whether runroot died before
                 * the PDEATHSIG above was set (its pidfd is readable then).
                 * Waiting for a go that a loaded machine schedules late
                 * cost 0.6 ms on average here. */
                struct pollfd pf = {.fd = s->parent_pidfd, .events = POLLIN};
                if (poll(&pf, 1, 0) != 0)
                        _exit(125);
                close(s->parent_pidfd);
        } else {
                char go = 0;
                if (read(s->sync_fd, &go, 1) != 1 || go != 'G')
                        _exit(125);
        }
        close(s->sync_fd);
        /* Joined the cgroup: a cgroup namespace rooted there. */
        if (unshare(CLONE_NEWCGROUP) < 0)
                log_debug("cgroup namespace: %s", strerror(errno));
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
                err_sys(&e, errno, "hostname %s", s->hostname);
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
        };
        _exit(init_run(&cmd));
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
static uint32_t run_random(void)
{
        uint32_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                rnd = (uint32_t)getpid() * 2654435761u;
        return rnd;
}

/* The device policy applies to every run as root, with limits or without,
 * and to the builder's commands as well (DESIGN.md's threat model): when
 * the caller made no cgroup, one is made here for the device list alone.
 * Rootless runs cannot have one; nodev mounts and the user namespace stop
 * device nodes there. */
static int device_cgroup(const mount_plan *plan, cgroup **ret, err_t *e)
{
        *ret = NULL;
        if (geteuid() != 0 || plan->privileged)
                return 0;
        cg_limits l;
        cg_limits_init(&l);
        l.device_policy = true;
        l.devices = plan->devices;
        l.ndevices = plan->ndevices;
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
static int host_side(const run_spec *s, pid_t pid, int sfd, int tsock, int errr, pasta *net,
                     const sigset_t *old, err_t *e)
{
        _cleanup_close_ int master = -1;
        void *saved_tty = NULL;
        if (s->tty && s->console_fd >= 0) {
                /* The caller's console socket gets the terminal: no relay
                 * here. */
                int m = tty_recv_fd(tsock);
                if (m >= 0) {
                        if (tty_send_fd(s->console_fd, m) < 0)
                                log_warn("--console-socket: %s", strerror(errno));
                        close(m);
                }
        } else if (s->tty) {
                master = tty_recv_fd(tsock);
                if (master >= 0) {
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

/* Clone, sync, supervise. cg: the caller's cgroup (limits and device
 * policy), or NULL for one made here with the device policy alone, removed
 * before returning. Returns the exit status or a negative errno. */
static int run_container(run_spec *s, cgroup *cg, err_t *e)
{
        int syncp[2] = {-1, -1}, errp[2] = {-1, -1}, ttys[2] = {-1, -1};
        int r = 0;
        _cleanup_cgroup_ cgroup *own_cg = NULL;
        if (!cg) {
                r = device_cgroup(&s->plan, &own_cg, e);
                if (r < 0)
                        return r;
                cg = own_cg;
        }
        if (pipe2(syncp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            (s->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ttys) < 0)) {
                r = err_sys(e, errno, "pipe");
                closep_pair(syncp);
                closep_pair(errp);
                return r;
        }
        sigset_t set, old;
        signals_take(&set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);

        unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
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
        close(syncp[0]);
        close(errp[1]);
        if (ttys[1] >= 0)
                close(ttys[1]);
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
                r = ns_write_id_maps(pid, getuid(), getgid(), e);
        if (r == 0 && cg && !attached)
                r = cg_attach(cg, pid, e);
        pasta *net = NULL;
        if (r == 0 && s->pasta)
                r = pasta_start(pid, s->pasta, &net, e);
        /* (a born_ready child reads nothing: a write could be EPIPE) */
        if (r == 0 && !s->born_ready && write(syncw, "G", 1) != 1)
                r = err_sys(e, errno, "start the container");
        if (r < 0) {
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                pasta_stop(net);
                sigprocmask(SIG_SETMASK, &old, NULL);
                return r;
        }
        close(steal_fd(&syncw));
        if (s->on_start)
                s->on_start(s->on_start_arg, pid, cg, pasta_pid(net));
        return host_side(s, pid, sfd, tsock, errr, net, &old, e);
}

/* Whether this kernel can mount overlay at all: listed, loaded, or
 * available as a module to load. Checked before anything is unpacked, so
 * that such a host gets one clear line and an untouched cache. */
static bool overlay_available(void)
{
        _cleanup_free_ char *fs = NULL;
        size_t len = 0;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, "/proc/filesystems", 1 << 16, &fs, &len, &e) < 0)
                return true; /* cannot tell: let the mount say */
        if (strstr(fs, "\toverlay\n") || access("/sys/module/overlay", F_OK) == 0)
                return true;
        struct utsname u;
        if (uname(&u) < 0)
                return true;
        static const char *const mods[] = {"overlay.ko", "overlay.ko.xz", "overlay.ko.zst",
                                           "overlay.ko.gz"};
        for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
                _cleanup_free_ char *p =
                        xasprintf("/lib/modules/%s/kernel/fs/overlayfs/%s", u.release, mods[i]);
                if (access(p, F_OK) == 0)
                        return true;
        }
        return false;
}

static int check_config(const runner_config *c, err_t *e)
{
        struct stat st;
        if (!c->image)
                return err_set(e, -EINVAL, "no image given");
        if (stat(c->image, &st) < 0)
                return err_sys(e, errno, "%s", c->image);
        for (size_t i = 0; i < c->env_files.n; i++)
                if (access(c->env_files.v[i], R_OK) < 0)
                        return err_sys(e, errno, "--env-file %s", c->env_files.v[i]);
        if (c->tty == 1 && c->console_fd < 0 && !isatty(0))
                return err_set(e, -ENOTTY, "-t: the input is not a terminal");
        for (size_t i = 0; i < c->tmpfs.n; i++) {
                tmpfs_mount t = {0};
                int r = mounts_tmpfs_parse(c->tmpfs.v[i], &t, e);
                if (r < 0)
                        return r;
                mounts_tmpfs_free(&t);
        }
        if (c->layer_size && c->name && !c->read_only)
                return err_set(e, -EINVAL,
                               "--storage-opt size: not with --name (its writable layer is kept "
                               "on disk)");
        /* Rootless runs can fall back to a private copy. */
        if (geteuid() == 0 && !overlay_available())
                return err_set(e, -ENODEV,
                               "this kernel has no overlay file system (CONFIG_OVERLAY_FS)");
        return sec_opts_validate(&c->sec, e);
}

int runner_gc(const char *cache_dir, unsigned *ret_removed, err_t *e)
{
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        store_gc_stats st = {0};
        char gen[SEC_FILTER_GEN_LEN + 1];
        sec_filter_generation(gen);
        r = store_gc(s, &(store_gc_opts){.keep_days = -1, .seccomp_generation = gen}, &st, e);
        /* Containers whose runroot was killed: their cgroups, and a
         * --rm one whose monitor died. */
        unsigned containers = 0;
        if (r == 0)
                container_gc(s, &containers);
        if (ret_removed)
                *ret_removed = st.leftovers + st.trees + st.stacks + st.index + st.steps +
                               st.blobs + st.legacy + st.seccomp + st.apt + st.bases + containers;
        store_free(s);
        return r;
}

typedef struct device_list {
        cg_device *v;
        size_t n, cap;
} device_list;

static void device_list_push(device_list *l, const cg_device *d)
{
        if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 16;
                l->v = xrealloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n++] = *d;
}

static void device_list_free(device_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                cg_device_free(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
}

static int device_list_parse(const strv *specs, device_list *ret, err_t *e)
{
        for (size_t i = 0; i < specs->n; i++) {
                cg_device d;
                int r = cg_device_parse(specs->v[i], &d, e);
                if (r < 0)
                        return r;
                device_list_push(ret, &d);
        }
        return 0;
}

/* --privileged: every device node under the host's dir (as --device
 * PATH), in its subdirectories too, but for what runroot's /dev makes
 * itself (null, zero, full, random, urandom, tty, ptmx, pts, shm) and
 * the host's console (as docker leaves them out). */
static int device_list_add_host(const char *dir, device_list *l, err_t *e)
{
        static const char *const own[] = {
                "/dev/null", "/dev/zero", "/dev/full", "/dev/random",  "/dev/urandom", "/dev/tty",
                "/dev/ptmx", "/dev/pts",  "/dev/shm",  "/dev/console", "/dev/mqueue"};
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return err_sys(e, errno, "--privileged: %s", dir);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
                        continue;
                _cleanup_free_ char *p = path_join(dir, de->d_name);
                bool skip = false;
                for (size_t i = 0; i < ARRAY_SIZE(own) && !skip; i++)
                        skip = !strcmp(p, own[i]);
                struct stat st;
                if (skip || lstat(p, &st) < 0)
                        continue;
                int r = 0;
                if (S_ISDIR(st.st_mode)) {
                        r = device_list_add_host(p, l, e);
                } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                        cg_device dev;
                        r = cg_device_parse(p, &dev, e);
                        if (r == 0)
                                device_list_push(l, &dev);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct rlimit_list {
        run_rlimit *v;
        size_t n;
} rlimit_list;

static void rlimit_list_free(rlimit_list *l)
{
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

/* What runner_run reads before it touches the cache: the configuration
 * checked, the --device nodes (into devs, which the limits point at; the
 * host's with --privileged), the limits with the device policy of every
 * run as root but a privileged one, the --ulimit values, the --env-file
 * lines. */
static int run_inputs(const runner_config *c, device_list *devs, rlimit_list *rlimits,
                      cg_limits *ret_limits, strv *ret_env_files, err_t *e)
{
        int r = check_config(c, e);
        if (r < 0)
                return r;
        r = device_list_parse(&c->devices, devs, e);
        if (r == 0 && c->privileged)
                r = device_list_add_host("/dev", devs, e);
        if (r < 0)
                return r;
        rlimits->v = xcalloc(c->ulimits.n + 1, sizeof *rlimits->v);
        for (size_t i = 0; i < c->ulimits.n; i++) {
                r = rlimit_parse(c->ulimits.v[i], &rlimits->v[i], e);
                if (r < 0)
                        return r;
                rlimits->n++;
        }
        *ret_limits = c->limits;
        ret_limits->device_policy = geteuid() == 0 && !c->privileged;
        ret_limits->devices_all = c->privileged;
        ret_limits->devices = devs->v;
        ret_limits->ndevices = devs->n;
        for (size_t i = 0; i < c->env_files.n; i++) {
                r = env_file_read(c->env_files.v[i], ret_env_files, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A run the kernel killed for memory says so, with the limit it reached. */
static void oom_message(int64_t memory, err_t *e)
{
        char lim[32];
        if (memory > 0 && memory % (1024 * 1024) == 0)
                snprintf(lim, sizeof lim, "%lldM", (long long)(memory >> 20));
        else
                snprintf(lim, sizeof lim, "%lld bytes", (long long)memory);
        snprintf(e->msg, sizeof e->msg, "killed: memory limit %s reached", lim);
}

/* What runner_run gathered for the container: the image's layer, where
 * the run's tmpfs goes, the kept layer of --name, the devices, the
 * environment files and the security profile with its filter. */
typedef struct run_parts {
        const char *lower, *rundir, *persist, *marker, *hostname;
        const device_list *devs;
        const rlimit_list *rlimits;
        const strv *env_files;
        const sec_opts *sec;
        void (*on_start)(void *arg, pid_t init_pid, const cgroup *cg, pid_t net_pid);
        void *on_start_arg;
        int netns_fd; /* --net container:NAME: its network namespace, or -1 */
} run_parts;

/* The host's default IPv4 gateway (what pasta gives the namespace), as
 * text in ret; false when the host has none. */
static bool host_gateway(char ret[INET_ADDRSTRLEN])
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        if (fs_read_file_at(AT_FDCWD, "/proc/net/route", 1 << 20, &data, &len, &e2) < 0)
                return false;
        for (const char *l = data, *nl; *l; l = *nl ? nl + 1 : nl) {
                nl = strchrnul(l, '\n');
                char ifname[32];
                unsigned dst, gw, flags;
                if (sscanf(l, "%31s %x %x %x", ifname, &dst, &gw, &flags) == 4 && dst == 0 &&
                    (flags & 2U) && gw) {
                        struct in_addr a = {.s_addr = gw};
                        return inet_ntop(AF_INET, &a, ret, INET_ADDRSTRLEN) != NULL;
                }
        }
        return false;
}

/* --net private's name servers: the --dns ones, or else the host's, a
 * loopback one (a local resolver) replaced by the gateway address, which
 * pasta maps to the host's loopback. Empty: the image's resolv.conf. */
static void private_dns(const strv *given, strv *ret)
{
        for (size_t i = 0; given && i < given->n; i++)
                strv_push(ret, given->v[i]);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        if (ret->n || fs_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &data, &len, &e2) < 0)
                return;
        char gw[INET_ADDRSTRLEN];
        bool have_gw = host_gateway(gw);
        for (const char *l = data, *nl; *l; l = *nl ? nl + 1 : nl) {
                nl = strchrnul(l, '\n');
                char addr[64];
                if (sscanf(l, " nameserver %63s", addr) != 1)
                        continue;
                if (!strncmp(addr, "127.", 4) || !strcmp(addr, "::1")) {
                        if (have_gw && !strv_contains(ret, gw))
                                strv_push(ret, gw);
                } else
                        strv_push(ret, addr);
        }
}

/* Run c's command over the image in p; cg holds the limits (or NULL). */
/* runner_config's start_fd: the command blocks in the open until the
 * fifo has a reader (the runtime's start), then goes on to its exec. The
 * descriptor is O_PATH: the open through /proc/self/fd reopens it. */
static void wait_start(void *ctx)
{
        int fd = *(const int *)ctx;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        int w = open(path, O_WRONLY | O_CLOEXEC);
        if (w < 0 || write(w, "0", 1) != 1)
                _exit(125);
        close(w);
        close(fd);
}

static int run_image(const runner_config *c, const run_parts *p, cgroup *cg, err_t *e)
{
        /* A pty only when asked, or when both ends are a terminal: with
         * stdout on a file or a pipe, the command's three streams stay the
         * separate, byte-exact fds they are (no CRLF, no stderr merged). */
        bool tty = c->tty == 1 || (c->tty < 0 && isatty(0) && isatty(1));
        static char *default_argv[] = {"/bin/sh", NULL};
        static char *no_env[] = {NULL};
        const char *term = getenv("TERM");
        bool private_net = c->net == RUNNER_NET_PRIVATE;
        _cleanup_strv_ strv dns = {0};
        if (private_net)
                private_dns(&c->dns, &dns);
        const pasta_opts net = {.who = "--net private", .map_host = true, .publish = &c->publish};
        run_spec spec = {
                .plan = {.lower = p->lower,
                         .rundir = p->rundir,
                         .in_place = c->in_place,
                         .masked = &c->masked_paths,
                         .readonly_paths = &c->readonly_paths,
                         .sysctls = &c->sysctls,
                         .mqueue = c->mqueue,
                         .persist = p->persist,
                         .read_only = c->read_only,
                         .userns = geteuid() != 0,
                         .net_host = c->net == RUNNER_NET_HOST,
                         .binds = &c->binds,
                         .tmpfs = &c->tmpfs,
                         .warn_marker = p->marker,
                         .layer_size = c->layer_size,
                         .shm_size = c->shm_size,
                         .add_hosts = &c->add_hosts,
                         .dns = private_net ? &dns : &c->dns,
                         .devices = p->devs->v,
                         .ndevices = p->devs->n,
                         .privileged = c->privileged},
                .argv = c->argv && c->argv[0] ? c->argv : default_argv,
                .envp = c->in_place ? (c->env.v ? c->env.v : no_env) : NULL,
                .image_env = &c->image_env,
                .env = &c->env,
                .env_files = p->env_files,
                .hostname = p->hostname,
                .workdir = c->workdir,
                .user = c->user,
                .term = tty ? (term && *term ? term : "xterm") : NULL,
                .sec = p->sec,
                .rlimits = p->rlimits->v,
                .nrlimits = p->rlimits->n,
                .net_none = c->net == RUNNER_NET_NONE || private_net,
                .pasta = private_net ? &net : NULL,
                .netns_fd = p->netns_fd,
                .userns = geteuid() != 0,
                .tty = tty,
                .on_start = p->on_start,
                .on_start_arg = p->on_start_arg,
                .before_exec = c->start_fd >= 0 ? wait_start : NULL,
                .before_exec_ctx = (void *)&c->start_fd,
                .keep_fd = c->start_fd,
                .console_fd = c->console_fd,
                .groups_exact = c->in_place,
                .groups = c->groups,
                .ngroups = c->ngroups,
        };
        int r = run_container(&spec, cg, e);
        if (r == 137 && cg && cg_oom_killed(cg))
                oom_message(c->limits.memory, e);
        return r;
}

typedef struct run_start_ctx {
        const runner_config *c;
        const char *persist;
} run_start_ctx;

/* The container runs: what exec, stop and inspect need goes into its
 * record, and runroot -d's monitor hears of it. */
static void run_started(void *arg, pid_t init_pid, const cgroup *cg, pid_t net_pid)
{
        const run_start_ctx *x = arg;
        err_t e = {0};
        const char *cgpath = cg && cg_get_mode(cg) == CG_V2 ? cg_path(cg) : NULL;
        if (x->persist && name_run_started(x->persist, init_pid, cgpath, net_pid, x->c, &e) < 0)
                log_warn("--name %s: %s", x->c->name, e.msg);
        if (x->c->started_fd >= 0) {
                char line[32];
                int n = snprintf(line, sizeof line, "OK %d\n", (int)init_pid);
                if (write(x->c->started_fd, line, (size_t)n) != n)
                        log_warn("tell the monitor the container started: %s", strerror(errno));
        }
}

/* A network namespace file (/proc/PID/ns/net, a bind of one under
 * /run/netns) opened to be joined; anything else is refused. */
static int netns_open(const char *path, int *ret_fd, err_t *e)
{
        if (!path)
                return err_set(e, -EINVAL, "no network namespace to join");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "network namespace %s", path);
        int t = ioctl(fd, NS_GET_NSTYPE);
        if (t != CLONE_NEWNET)
                return err_set(e, -EINVAL, "network namespace %s: not a network namespace", path);
        *ret_fd = steal_fd(&fd);
        return 0;
}

int runner_run(const runner_config *c, err_t *e)
{
        _cleanup_(device_list_free) device_list devs = {0};
        _cleanup_(rlimit_list_free) rlimit_list rlimits = {0};
        cg_limits limits;
        strv env_files = {0};
        int r = run_inputs(c, &devs, &rlimits, &limits, &env_files, e);
        if (r < 0) {
                strv_free(&env_files);
                return r;
        }
        store *s = NULL;
        r = store_open(c->cache_dir, &s, e);
        if (r < 0) {
                strv_free(&env_files);
                return r;
        }
        /* Leftovers of runs that were SIGKILLed. */
        store_gc_leftovers(s, NULL, NULL);
        _cleanup_close_ int netns_fd = -1;
        if (c->net == RUNNER_NET_CONTAINER && !c->net_container) {
                r = netns_open(c->netns_path, &netns_fd, e);
                if (r < 0) {
                        store_free(s);
                        strv_free(&env_files);
                        return r;
                }
        } else if (c->net == RUNNER_NET_CONTAINER) {
                r = container_netns(s, c->net_container, &netns_fd, e);
                if (r < 0) {
                        store_free(s);
                        strv_free(&env_files);
                        return r;
                }
        }

        _cleanup_free_ char *lower = NULL, *persist = NULL;
        _cleanup_close_ int name_lock = -1;
        cgroup *cg = NULL;
        /* The per-run tmpfs (upper, work, mount point) is mounted on the
         * store's runs/ inside the container's own mount namespace: a run
         * makes no directory on disk, so nothing is left if it is killed. */
        _cleanup_free_ char *rundir = NULL;
        _cleanup_free_ char *marker = store_marker_path(s, STORE_MARKER_OVERLAY_REFUSED);
        uint32_t rnd = run_random();
        char run_id[32];
        snprintf(run_id, sizeof run_id, "%d-%08x", (int)getpid(), rnd);
        r = store_area_dir(s, STORE_AREA_RUNS, &rundir, e);
        if (r == 0 && c->in_place) {
                lower = xstrdup(c->image);
                _cleanup_close_ int rfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = rfd < 0 ? err_sys(e, errno, "%s", lower)
                            : image_make_mountpoints(rfd, lower, e);
        } else if (r == 0)
                r = image_resolve(s, c->image, &lower, e);
        if (r == 0 && c->name && !c->read_only)
                r = store_name_open(s, c->name, &persist, &name_lock, e);
        static char *default_argv[] = {"/bin/sh", NULL};
        char **argv = c->argv && c->argv[0] ? c->argv : default_argv;
        time_t started = time(NULL);
        /* A kept writable layer belongs to the image it was made on:
         * reusing it over another image would mix two trees. */
        if (r == 0 && persist)
                r = name_prepare(persist, c->name, lower, c->image, c->id, argv, started, e);
        bool recorded = r == 0 && persist;
        char hostname_buf[16];
        snprintf(hostname_buf, sizeof hostname_buf, "%08x", rnd);
        const char *hostname = c->hostname ? c->hostname : hostname_buf;
        /* Without a limit, run_container makes the cgroup of the device
         * policy. */
        if (r == 0 && cg_limits_any(&limits)) {
                _cleanup_free_ char *cgname = xasprintf("runroot-%s", run_id);
                r = cg_create("/sys/fs/cgroup", cgname, &limits, &cg, e);
        }
        /* The seccomp program is made (or read from the cache) here, where
         * the cache is reachable; the container only loads it. */
        sec_opts sec = c->sec;
        sec_filter *filter = NULL;
        if (r == 0 && sec.seccomp) {
                /* Its files live at the root's seccomp/ (cached only when
                 * the area is the caller's alone). */
                err_t e2 = {0};
                int cfd =
                        store_area_dir(s, STORE_AREA_SECCOMP, NULL, &e2) == 0 ? store_dirfd(s) : -1;
                if (cfd < 0)
                        log_debug("seccomp cache: %s", e2.msg);
                r = sec_filter_prepare(&c->sec, cfd, &filter, e);
                sec.filter = filter;
        }
        if (r == 0) {
                run_parts parts = {
                        .lower = lower,
                        .rundir = rundir,
                        .persist = persist,
                        .marker = marker,
                        .hostname = hostname,
                        .devs = &devs,
                        .rlimits = &rlimits,
                        .env_files = &env_files,
                        .sec = &sec,
                        .on_start = run_started,
                        .on_start_arg = &(run_start_ctx){.c = c, .persist = persist},
                        .netns_fd = netns_fd,
                };
                r = run_image(c, &parts, cg, e);
        }
        /* How the run ended, for ps; the command's status matters more
         * than a record of it that could not be written. */
        err_t e2 = {0};
        if (recorded && name_run_record(persist, argv, started, r >= 0 ? r : 125, &e2) < 0)
                log_warn("--name %s: %s", c->name, e2.msg);
        cg_destroy_freep(&cg);
        sec_filter_free(filter);
        store_free(s);
        strv_free(&env_files);
        return r;
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
