/* runner_run: a runroot configuration made into a run, in DESIGN.md's
 * order up to the clone: the options checked, the --device nodes, the
 * --ulimit values and --env-file lines read, the image resolved to its
 * layer in the cache, the kept layer of --name prepared and its records
 * (the run's start and end, for ps, exec and inspect), the cgroup of the
 * limits, the seccomp filter; then run.c's run_container, and the OOM
 * report. Also the configuration's init/free and runner_gc. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "oci.h"

void runner_config_init(runner_config *c)
{
        memset(c, 0, sizeof *c);
        c->tty = -1;
        c->started_fd = -1;
        c->start_fd = -1;
        c->console_fd = -1;
        c->personality = -1;
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
        strv_free(&c->device_rules);
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
                               st.blobs + st.legacy + st.seccomp + st.apt + st.bases + st.pulled +
                               containers;
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
        for (size_t i = 0; r == 0 && i < c->device_rules.n; i++) {
                cg_device d;
                r = cg_device_rule_parse(c->device_rules.v[i], &d, e);
                if (r == 0)
                        device_list_push(devs, &d);
        }
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
        /* (devices_all alone: OCI's rule allowing every device) */
        ret_limits->devices_all = c->privileged || c->limits.devices_all;
        ret_limits->device_policy = geteuid() == 0 && !ret_limits->devices_all;
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
        int netns_fd;        /* --net container:NAME: its network namespace, or -1 */
        const int *join_fds; /* RUNNER_NSJ_MAX, -1 each when not joined */
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

/* runner_config's start_fd and startContainer hooks, in the command's
 * process right before its exec: it blocks in the open until the fifo has
 * a reader (the runtime's start) and writes "0"; with hooks, they run
 * then and the reader gets "1", or "E" and the error's line (the command
 * does not run then). The descriptor is O_PATH: the open through
 * /proc/self/fd reopens it; the end written stays open until the exec
 * closes it. */
typedef struct start_ctx {
        int fd;
        const runner_hooks *hooks;
} start_ctx;

/* A reader that is gone is no reason to end: no SIGPIPE for it. */
static void fifo_say(int fd, const char *s, size_t n)
{
        struct sigaction ign = {.sa_handler = SIG_IGN}, old;
        sigaction(SIGPIPE, &ign, &old);
        (void)!write(fd, s, n);
        sigaction(SIGPIPE, &old, NULL);
}

static void wait_start(void *ctx)
{
        const start_ctx *x = ctx;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", x->fd);
        int w = open(path, O_WRONLY | O_CLOEXEC);
        if (w < 0 || write(w, "0", 1) != 1)
                _exit(125);
        close(x->fd);
        if (!x->hooks || !x->hooks->n[RUNNER_HOOK_START_CONTAINER]) {
                close(w);
                return;
        }
        err_t e = {0};
        if (runner_hooks_run(x->hooks, RUNNER_HOOK_START_CONTAINER, "created", getpid(), &e) < 0) {
                char line[ERR_MSG_MAX + 2];
                int n = snprintf(line, sizeof line, "E%s\n", e.msg);
                fifo_say(w, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
                _exit(125);
        }
        fifo_say(w, "1", 1);
}

/* Run c's command over the image in p; cg holds the limits (or NULL). */
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
        start_ctx start = {.fd = c->start_fd, .hooks = c->hooks};
        run_spec spec = {
                .plan = {.lower = p->lower,
                         .rundir = p->rundir,
                         .in_place = c->in_place,
                         .root_slave = c->root_slave,
                         .masked = &c->masked_paths,
                         .readonly_paths = &c->readonly_paths,
                         .sysctls = &c->sysctls,
                         .mqueue = c->mqueue,
                         .persist = p->persist,
                         .read_only = c->read_only,
                         .userns = geteuid() != 0 || c->uid_map,
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
                         .nodes = c->nodes,
                         .nnodes = c->nnodes,
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
                .join_fds = p->join_fds,
                .userns = geteuid() != 0 || c->uid_map,
                .tty = tty,
                .on_start = p->on_start,
                .on_start_arg = p->on_start_arg,
                .before_exec = c->start_fd >= 0 ? wait_start : NULL,
                .before_exec_ctx = &start,
                .keep_fd = c->start_fd,
                .console_fd = c->console_fd,
                .console_rows = c->console_rows,
                .console_cols = c->console_cols,
                .personality_set = c->personality >= 0,
                .personality = (unsigned long)c->personality,
                .domainname = c->domainname,
                .preserve_fds = c->preserve_fds,
                .pid1_signals = c->pid1_signals,
                .lookup_first = c->lookup_first,
                .uid_map = c->uid_map,
                .session_keyring = c->session_keyring,
                .gid_map = c->gid_map,
                .groups_exact = c->in_place,
                .groups = c->groups,
                .ngroups = c->ngroups,
                .detach = c->detach && c->start_fd >= 0,
                .hooks = c->hooks,
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

/* runner_config's report_cgroups: a line per directory (a cgroup path
 * has no newline: cg_path_clean refuses control characters). */
static void report_cgroups(int fd, const cgroup *cg)
{
        _cleanup_strv_ strv dirs = {0}, made = {0}, parents = {0};
        cg_dirs(cg, &dirs, &made, &parents);
        _cleanup_sb_ strbuf b = {0};
        const struct {
                const char *key;
                const strv *v;
        } parts[] = {{"CGROUP", &dirs}, {"CGROUP-MADE", &made}, {"CGROUP-PARENT", &parents}};
        for (size_t k = 0; k < ARRAY_SIZE(parts); k++)
                for (size_t i = 0; i < parts[k].v->n; i++)
                        sb_appendf(&b, "%s %s\n", parts[k].key, parts[k].v->v[i]);
        int w = b.len ? fd_write_all(fd, b.s, b.len) : 0;
        if (w < 0)
                log_warn("tell the caller the container's cgroups: %s", strerror(-w));
}

/* The container runs: what exec, stop and inspect need goes into its
 * record, and runroot -d's monitor hears of it. */
static void run_started(void *arg, pid_t init_pid, const cgroup *cg, pid_t net_pid)
{
        const run_start_ctx *x = arg;
        err_t e = {0};
        const char *cgpath = cg && cg_get_mode(cg) == CG_V2 ? cg_path(cg) : NULL;
        if (x->persist && name_run_started(x->persist, init_pid, cgpath, net_pid, x->c, &e) < 0)
                log_warn("--name %s: %s", x->c->name, e.msg);
        if (x->c->started_fd >= 0 && x->c->report_cgroups)
                report_cgroups(x->c->started_fd, cg);
        if (x->c->started_fd >= 0) {
                char line[32];
                int n = snprintf(line, sizeof line, "OK %d\n", (int)init_pid);
                if (write(x->c->started_fd, line, (size_t)n) != n)
                        log_warn("tell the monitor the container started: %s", strerror(errno));
        }
}

/* A namespace file of kind type (/proc/PID/ns/net, a bind of one under
 * /run/netns) opened to be joined; anything else is refused. */
static int ns_file_open(const char *path, int type, const char *what, int *ret_fd, err_t *e)
{
        if (!path)
                return err_set(e, -EINVAL, "no %s namespace to join", what);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s namespace %s", what, path);
        int t = ioctl(fd, NS_GET_NSTYPE);
        if (t != type)
                return err_set(e, -EINVAL, "%s namespace %s: not a%s %s namespace", what, path,
                               what[0] == 'i' ? "n" : "", what);
        *ret_fd = steal_fd(&fd);
        return 0;
}

static int netns_open(const char *path, int *ret_fd, err_t *e)
{
        return ns_file_open(path, CLONE_NEWNET, "network", ret_fd, e);
}

typedef struct join_fds {
        int fd[RUNNER_NSJ_MAX];
} join_fds;
static void join_fds_close(join_fds *j)
{
        for (size_t i = 0; i < RUNNER_NSJ_MAX; i++)
                if (j->fd[i] >= 0)
                        close(j->fd[i]);
}

/* c's join_ns opened, each checked to be of its kind. */
static int join_open(const runner_config *c, join_fds *ret, err_t *e)
{
        static const struct {
                int type;
                const char *what;
        } kinds[RUNNER_NSJ_MAX] = {
                [RUNNER_NSJ_IPC] = {CLONE_NEWIPC, "ipc"},
                [RUNNER_NSJ_UTS] = {CLONE_NEWUTS, "uts"},
                [RUNNER_NSJ_CGROUP] = {CLONE_NEWCGROUP, "cgroup"},
                [RUNNER_NSJ_PID] = {CLONE_NEWPID, "pid"},
        };
        for (size_t i = 0; i < RUNNER_NSJ_MAX; i++)
                ret->fd[i] = -1;
        for (size_t i = 0; i < RUNNER_NSJ_MAX; i++) {
                if (!c->join_ns[i])
                        continue;
                int r = ns_file_open(c->join_ns[i], kinds[i].type, kinds[i].what, &ret->fd[i], e);
                if (r < 0) {
                        join_fds_close(ret);
                        return r;
                }
        }
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
        /* The cache runner_image_config_get opened for this image, when
         * it did: the store is opened once per run. */
        store *own = NULL, *s = oci_memo_store(c->cache_dir);
        if (!s) {
                r = store_open(c->cache_dir, &own, e);
                if (r < 0) {
                        strv_free(&env_files);
                        return r;
                }
                s = own;
        }
        /* Leftovers of runs that were SIGKILLed. */
        store_gc_leftovers(s, NULL, NULL);
        _cleanup_(join_fds_close) join_fds joins = {0};
        r = join_open(c, &joins, e);
        if (r < 0) {
                store_free(own);
                strv_free(&env_files);
                return r;
        }
        _cleanup_close_ int netns_fd = -1;
        if (c->net == RUNNER_NET_CONTAINER && !c->net_container) {
                r = netns_open(c->netns_path, &netns_fd, e);
                if (r < 0) {
                        store_free(own);
                        strv_free(&env_files);
                        return r;
                }
        } else if (c->net == RUNNER_NET_CONTAINER) {
                r = container_netns(s, c->net_container, &netns_fd, e);
                if (r < 0) {
                        store_free(own);
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
                r = name_prepare(persist, c->name, lower, c->image, c->image_ref, c->id, argv,
                                 started, e);
        bool recorded = r == 0 && persist;
        char hostname_buf[16];
        snprintf(hostname_buf, sizeof hostname_buf, "%08x", rnd);
        /* A uts namespace joined keeps its name unless one is asked for. */
        const char *hostname = c->hostname                  ? c->hostname
                               : c->join_ns[RUNNER_NSJ_UTS] ? NULL
                                                            : hostname_buf;
        /* Without a limit, run_container makes the cgroup of the device
         * policy. */
        if (r == 0 && c->cgroups_path) {
                r = cg_create_at("/sys/fs/cgroup", c->cgroups_path, &limits, &cg, e);
        } else if (r == 0 && cg_limits_any(&limits)) {
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
                        .join_fds = joins.fd,
                };
                r = run_image(c, &parts, cg, e);
        }
        /* How the run ended, for ps; the command's status matters more
         * than a record of it that could not be written. */
        err_t e2 = {0};
        if (recorded && name_run_record(persist, argv, started, r >= 0 ? r : 125, &e2) < 0)
                log_warn("--name %s: %s", c->name, e2.msg);
        /* A detached container is still in its cgroup. */
        if (r == 0 && c->detach && c->start_fd >= 0)
                cg_free(steal_pointer(&cg));
        cg_destroy_freep(&cg);
        sec_filter_free(filter);
        store_free(own);
        strv_free(&env_files);
        return r;
}
