/* runroot as an OCI runtime: exec, a process in a created or running
 * container, as runc's. The process is config.json's (the copy create
 * kept) with the command line's changes, or --process FILE's; it joins the
 * container through the runner's exec (runner_exec_in_container), which
 * gives it the container's namespaces, cgroups, capabilities within its
 * sets, no_new_privs and seccomp filter. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ociruntime.h"

typedef struct exec_cli {
        const char *process, *pid_file, *console_socket, *cwd, *user;
        bool detach, tty, no_new_privs, apparmor, process_label;
        unsigned preserve_fds;
        strv env, caps;
        char **args; /* after the id; NULL with --process */
} exec_cli;

static int parse_exec(int argc, char **argv, exec_cli *o, const char **ret_id)
{
        static const struct option opts[] = {
                {"process", required_argument, NULL, 'p'},
                {"detach", no_argument, NULL, 'd'},
                {"pid-file", required_argument, NULL, 'P'},
                {"console-socket", required_argument, NULL, 's'},
                {"tty", no_argument, NULL, 't'},
                {"cwd", required_argument, NULL, 'w'},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"cap", required_argument, NULL, 'c'},
                {"no-new-privs", no_argument, NULL, 'n'},
                {"apparmor", required_argument, NULL, 'A'},
                {"preserve-fds", required_argument, NULL, 'F'},
                {"process-label", required_argument, NULL, 'L'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+p:dte:u:c:h", opts, NULL)) != -1) {
                switch (c) {
                case 'p': o->process = optarg; break;
                case 'd': o->detach = true; break;
                case 'P': o->pid_file = optarg; break;
                case 's': o->console_socket = optarg; break;
                case 't': o->tty = true; break;
                case 'w': o->cwd = optarg; break;
                case 'e':
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return oci_usage_error("exec", "--env: expected KEY=VALUE");
                        strv_push(&o->env, optarg);
                        break;
                case 'u': o->user = optarg; break;
                case 'c': strv_push(&o->caps, optarg); break;
                case 'n': o->no_new_privs = true; break;
                case 'A': o->apparmor = *optarg != 0; break;
                case 'F': {
                        int r = oci_preserve_fds("exec", optarg, &o->preserve_fds);
                        if (r)
                                return r;
                        break;
                }
                case 'L': o->process_label = *optarg != 0; break;
                case 'h':
                        printf("Usage: runroot [GLOBAL OPTIONS] exec [--process FILE | ID ARGS...] "
                               "[--detach] [--pid-file F] [--console-socket S] [--tty] [--cwd DIR] "
                               "[--env K=V] [--user UID[:GID]] [--cap CAP] [--no-new-privs] "
                               "[--apparmor P] [--process-label L] [--preserve-fds N] ID\n");
                        return -1;
                default:
                        if (optopt && optopt != '?')
                                return oci_usage_error("exec", "an option needs a value");
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[optind - 1]);
                        return oci_usage_error("exec", m);
                }
        }
        if (optind >= argc)
                return oci_usage_error("exec", "expected a container id");
        *ret_id = argv[optind];
        if (!o->process && optind + 1 >= argc) {
                /* runc finds it when it reads the process: exec's 255. */
                oci_usage_error("exec", "args must not be empty (or give --process)");
                return EXIT_OCI_EXEC;
        }
        o->args = o->process ? NULL : argv + optind + 1;
        if (o->user) {
                unsigned long u, g;
                char extra;
                int n = sscanf(o->user, "%lu:%lu%c", &u, &g, &extra);
                if (n != 1 && n != 2)
                        return oci_usage_error("exec", "--user: expected UID[:GID]");
        }
        return 0;
}

/* The process to run: config.json's with the command line's changes. */
static int exec_spec(const ctr *c, const exec_cli *o, runner_oci_spec *ret)
{
        _cleanup_free_ char *proc = NULL;
        size_t plen = 0;
        err_t e = {0};
        if (o->process && fs_read_file_at(AT_FDCWD, o->process, 1 << 20, &proc, &plen, &e) < 0) {
                log_error("--process %s: %s", o->process, e.msg);
                return EXIT_OCI_EXEC;
        }
        int r = oci_ctr_spec(c, proc, plen, ret);
        if (r)
                return EXIT_OCI_EXEC;
        if (!o->process) {
                strv_free(&ret->args);
                for (char **a = o->args; *a; a++)
                        strv_push(&ret->args, *a);
                ret->terminal = o->tty;
        }
        for (size_t i = 0; i < o->env.n; i++)
                strv_push(&ret->cfg.env, o->env.v[i]);
        if (o->cwd) {
                free(ret->cwd);
                ret->cwd = xstrdup(o->cwd);
        }
        if (o->user) {
                free(ret->user);
                ret->user = strchr(o->user, ':') ? xstrdup(o->user) : xasprintf("%s:0", o->user);
        }
        sec_opts *sec = &ret->cfg.sec;
        for (size_t i = 0; i < o->caps.n; i++) {
                int cap = 0;
                if (sec_cap_from_name(o->caps.v[i], &cap) < 0 || cap < 0 || cap >= 64) {
                        log_error("exec: --cap %s: unknown capability", o->caps.v[i]);
                        runner_oci_spec_free(ret);
                        return EXIT_OCI_EXEC;
                }
                strv_push(&sec->cap_add, o->caps.v[i]);
                uint64_t bit = UINT64_C(1) << cap;
                sec->cap_permitted |= bit;
                sec->cap_effective |= bit;
        }
        if (o->no_new_privs)
                sec->no_new_privs = true;
        _cleanup_strv_ strv warn = {0};
        if ((o->apparmor && runner_oci_lsm_option("exec --apparmor", false, &warn, &e) < 0) ||
            (o->process_label &&
             runner_oci_lsm_option("exec --process-label", true, &warn, &e) < 0)) {
                log_error("%s", e.msg);
                runner_oci_spec_free(ret);
                return EXIT_OCI_EXEC;
        }
        for (size_t i = 0; i < warn.n; i++)
                log_warn("%s", warn.v[i]);
        ret->cfg.preserve_fds = o->preserve_fds;
        ret->cfg.argv = ret->args.v;
        ret->cfg.workdir = ret->cwd;
        ret->cfg.user = ret->user;
        return 0;
}

static volatile pid_t exec_child;
static void exec_forward(int sig)
{
        if (exec_child > 0)
                kill(exec_child, sig);
}

/* In a child of runroot: the runner's exec; its exit status. */
static _Noreturn void exec_run(const ctr *c, runner_oci_spec *s, int console_fd, int report_fd,
                               bool detach)
{
        if (detach)
                setsid();
        err_t e = {0};
        sec_opts *sec = &s->cfg.sec;
        _cleanup_free_ char *scf = path_join(c->dir, "seccomp.json");
        if (s->seccomp) {
                sec->seccomp = true;
                sec->seccomp_profile = scf;
        }
        sec_filter *filter = NULL;
        if (sec->seccomp && sec_filter_prepare(sec, -1, &filter, &e) < 0) {
                log_error("%s", e.msg);
                _exit(EXIT_OCI_EXEC);
        }
        sec->filter = filter;
        runner_exec_opts o = RUNNER_EXEC_OPTS_INIT;
        o.argv = s->args.v;
        o.env = s->cfg.env;
        o.env_exact = true;
        o.lookup_first = true;
        o.user = s->user;
        o.workdir = s->cwd;
        o.interactive = true;
        o.tty = s->terminal;
        o.console_fd = console_fd;
        o.report_fd = report_fd;
        o.detach = detach;
        o.groups_exact = true;
        o.groups = s->groups;
        o.ngroups = s->ngroups;
        o.preserve_fds = s->cfg.preserve_fds;
        /* runc's exec joins a new one too, unless create had
         * --no-new-keyring */
        json_object *nk = NULL;
        bool keep = json_object_object_get_ex(c->st, "runroot.noNewKeyring", &nk) &&
                    json_object_get_boolean(nk);
        o.session_keyring = keep ? NULL : c->id;
        o.console_rows = s->cfg.console_rows;
        o.console_cols = s->cfg.console_cols;
        /* The cgroups create recorded (absent in an older runroot's
         * state: the init's runroot-* ones). */
        _cleanup_strv_ strv cgs = {0};
        oci_jstrv(c->st, "runroot.cgroup_dirs", &cgs);
        bool recorded = json_object_object_get_ex(c->st, "runroot.cgroup_dirs", NULL);
        runner_exec_target t = {
                .init_pid = c->pid, .name = c->id, .sec = sec, .cgroups = recorded ? &cgs : NULL};
        int r = runner_exec_in_container(&t, &o, &e);
        if (e.msg[0])
                log_error("%s", e.msg);
        _exit(r < 0 ? EXIT_OCI_EXEC : r);
}

static int exec_wait(pid_t child)
{
        int st = 0;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int exec_start(const ctr *c, runner_oci_spec *s, const exec_cli *o)
{
        if (s->terminal && o->detach && !o->console_socket) {
                log_error("exec: --tty with --detach needs --console-socket");
                return EXIT_OCI_EXEC;
        }
        if (o->console_socket && !s->terminal) {
                log_error("exec: --console-socket needs --tty (or process.terminal)");
                return EXIT_OCI_EXEC;
        }
        _cleanup_close_ int console_fd =
                o->console_socket ? oci_console_connect(o->console_socket) : -1;
        if (o->console_socket && console_fd < 0)
                return EXIT_OCI_EXEC;
        int rep[2];
        if (pipe2(rep, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                return EXIT_OCI_EXEC;
        }
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
                log_error("fork: %s", strerror(errno));
                close(rep[0]);
                close(rep[1]);
                return EXIT_OCI_EXEC;
        }
        if (child == 0) {
                close(rep[0]);
                exec_run(c, s, console_fd, rep[1], o->detach);
        }
        close(rep[1]);
        exec_child = child;
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                signal(sigs[i], exec_forward);
        char line[32] = {0};
        ssize_t n;
        while ((n = read(rep[0], line, sizeof line - 1)) < 0 && errno == EINTR)
                ;
        close(rep[0]);
        int pid = 0;
        if (n <= 0 || sscanf(line, "%d", &pid) != 1 || pid <= 0) {
                /* It did not start: the child said why (runc's 255 for
                 * any failure before the process runs). */
                exec_wait(child);
                return EXIT_OCI_EXEC;
        }
        if (o->detach) {
                /* The child leaves once the process has exec'd its
                 * command (then it is the caller's), or says why it
                 * could not: no pid file for one that did not start. */
                if (exec_wait(child))
                        return EXIT_OCI_EXEC;
        }
        if (o->pid_file && oci_write_pid_file(o->pid_file, pid) < 0) {
                kill(pid, SIGKILL);
                if (!o->detach)
                        exec_wait(child);
                return EXIT_OCI_EXEC;
        }
        return o->detach ? 0 : exec_wait(child);
}

int oci_cmd_exec(int argc, char **argv)
{
        exec_cli o = {0};
        const char *id = NULL;
        int r = parse_exec(argc, argv, &o, &id);
        if (r) {
                strv_free(&o.env);
                strv_free(&o.caps);
                return r < 0 ? 0 : r;
        }
        ctr c;
        r = oci_ctr_load(id, &c) ? EXIT_OCI_EXEC : 0;
        bool loaded = r == 0;
        if (r == 0 && !strcmp(c.status, "stopped")) {
                log_error("cannot exec in a stopped container");
                r = EXIT_OCI_EXEC;
        }
        runner_oci_spec s;
        bool have_spec = false;
        if (r == 0) {
                r = exec_spec(&c, &o, &s);
                have_spec = r == 0;
        }
        if (r == 0)
                r = exec_start(&c, &s, &o);
        if (have_spec)
                runner_oci_spec_free(&s);
        if (loaded)
                oci_ctr_free(&c);
        strv_free(&o.env);
        strv_free(&o.caps);
        return r;
}
