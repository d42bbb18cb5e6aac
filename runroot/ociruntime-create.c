/* runroot as an OCI runtime: create (the process waits on exec.fifo for
 * start) and run (create and start in the foreground). */
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

typedef struct create_opts {
        const char *bundle, *pid_file, *console_socket;
        unsigned preserve_fds;
        bool no_new_keyring;
        bool foreground; /* run */
} create_opts;

static void write_self(const char *file, int value)
{
        FILE *f = fopen(file, "we");
        if (f) {
                fprintf(f, "%d\n", value);
                fclose(f);
        }
}

static volatile pid_t fwd_child;
static void forward(int sig)
{
        if (fwd_child > 0)
                kill(fwd_child, sig);
}

static json_object *strv_json(const strv *v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

/* The container's parent's report on fd: its cgroup lines (runner.h's
 * report_cgroups) onto the three lists, then "OK PID". The pid, or 0 when
 * it could not start (fd closed before OK). */
static int read_started(int fd, strv *dirs, strv *made, strv *parents)
{
        _cleanup_sb_ strbuf b = {0};
        size_t done = 0; /* b.s[0..done) is parsed */
        for (;;) {
                char *nl = b.len > done ? memchr(b.s + done, '\n', b.len - done) : NULL;
                if (!nl) {
                        char buf[4096];
                        ssize_t n = read(fd, buf, sizeof buf);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0 || b.len > (1 << 20))
                                return 0;
                        sb_appendn(&b, buf, (size_t)n);
                        continue;
                }
                *nl = '\0';
                const char *line = b.s + done;
                done = (size_t)(nl - b.s) + 1;
                int pid = 0;
                if (sscanf(line, "OK %d", &pid) == 1)
                        return pid > 0 ? pid : 0;
                if (!strncmp(line, "CGROUP ", 7))
                        strv_push(dirs, line + 7);
                else if (!strncmp(line, "CGROUP-MADE ", 12))
                        strv_push(made, line + 12);
                else if (!strncmp(line, "CGROUP-PARENT ", 14))
                        strv_push(parents, line + 14);
        }
}

static int do_create(const char *id, const create_opts *o)
{
        const char *cmd = o->foreground ? "run" : "create";
        if (!oci_id_ok(id))
                return oci_usage_error(cmd, "not a valid container id");
        /* With its parents, as runc does: containerd's shim passes
         * ROOT/NAMESPACE and makes neither. */
        err_t me = {0};
        if (fs_mkdir_p_at(AT_FDCWD, oci_g.root, 0700, &me) < 0) {
                log_error("--root %s", me.msg);
                return EXIT_OCI;
        }
        _cleanup_free_ char *dir = oci_cdir(id);
        if (mkdir(dir, 0711) < 0) {
                if (errno == EEXIST)
                        log_error("container with given ID already exists: %s", id);
                else
                        log_error("%s: %s", dir, strerror(errno));
                return EXIT_OCI;
        }
        err_t e = {0};
        runner_oci_spec s;
        if (runner_oci_spec_load(o->bundle, &s, &e) < 0) {
                log_error("%s", e.msg);
                oci_remove_tree(dir);
                return EXIT_OCI;
        }
        for (size_t i = 0; i < s.warnings.n; i++)
                log_warn("%s", s.warnings.v[i]);
        log_debug("%s %s: %s/config.json read, root %s", cmd, id, o->bundle, s.root);
        char bundle[PATH_MAX];
        if (!realpath(o->bundle, bundle))
                snprintf(bundle, sizeof bundle, "%s", o->bundle);
        s.hooks.id = id;
        s.hooks.bundle = bundle;
        /* run waits at the fifo too when it has hooks for start to run */
        const runner_hooks *h = &s.hooks;
        bool use_fifo =
                !o->foreground || h->n[RUNNER_HOOK_START_CONTAINER] || h->n[RUNNER_HOOK_POSTSTART];
        bool made = false; /* a container was made: poststop runs at the end */
        int rc = EXIT_OCI;
        int fifo_fd = -1, console_fd = -1, pfd[2] = {-1, -1};
        /* before the first goto out */
        _cleanup_strv_ strv cg_dirs = {0}, cg_made = {0}, cg_parents = {0};
        _cleanup_free_ char *fifo = path_join(dir, "exec.fifo");
        _cleanup_free_ char *scf = path_join(dir, "seccomp.json");
        _cleanup_free_ char *sf = path_join(dir, "state.json");
        _cleanup_free_ char *cf = path_join(dir, "config.json");
        _cleanup_free_ char *tmp = path_join(dir, ".state.json");
        if (s.terminal && !o->foreground && !o->console_socket) {
                log_error("config.json: process.terminal: true needs --console-socket");
                goto out;
        }
        if (o->console_socket && !s.terminal) {
                log_error("--console-socket: config.json's process.terminal is false");
                goto out;
        }
        if (o->console_socket) {
                if ((console_fd = oci_console_connect(o->console_socket)) < 0)
                        goto out;
                s.cfg.console_fd = console_fd;
        }
        /* The config the container was made with, for exec. */
        FILE *cfile = fopen(cf, "wxe");
        if (!cfile || fputs(s.text, cfile) < 0 || fclose(cfile) != 0) {
                log_error("%s: %s", cf, strerror(errno));
                goto out;
        }
        if (s.seccomp) {
                FILE *f = fopen(scf, "wxe");
                if (!f || fputs(s.seccomp, f) < 0 || fclose(f) != 0) {
                        log_error("%s: %s", scf, strerror(errno));
                        goto out;
                }
                s.cfg.sec.seccomp = true;
                s.cfg.sec.seccomp_profile = scf;
        }
        if (use_fifo) {
                if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0 ||
                    (fifo_fd = open(fifo, O_PATH | O_CLOEXEC)) < 0) {
                        log_error("%s: %s", fifo, strerror(errno));
                        goto out;
                }
                s.cfg.start_fd = fifo_fd;
                /* As runc's init: the container's process goes to the
                 * caller's subreaper (conmon, a containerd shim), which
                 * reaps it and so gets its exit status. */
                s.cfg.detach = !o->foreground;
        }
        /* Which cgroups it is in, for ps, exec, update and delete. */
        s.cfg.report_cgroups = true;
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                goto out;
        }
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
                log_error("fork: %s", strerror(errno));
                goto out;
        }
        if (child == 0) {
                /* The container's parent: runs it to its end and records
                 * the exit status. */
                close(pfd[0]);
                if (!o->foreground)
                        setsid();
                if (s.have_oom_score_adj) {
                        char v[16];
                        snprintf(v, sizeof v, "%d", s.oom_score_adj);
                        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                        if (fd < 0 || write(fd, v, strlen(v)) < 0) {
                                log_error("process.oomScoreAdj: %s", strerror(errno));
                                _exit(EXIT_OCI);
                        }
                        close(fd);
                }
                if (s.umask >= 0)
                        umask((mode_t)s.umask);
                s.cfg.started_fd = pfd[1];
                s.cfg.preserve_fds = o->preserve_fds;
                s.cfg.lookup_first = true; /* runc's run looks first too */
                /* as runc: a keyring of its own unless --no-new-keyring */
                s.cfg.session_keyring = o->no_new_keyring ? NULL : id;
                err_t ce = {0};
                int r = runner_run(&s.cfg, &ce);
                if (r < 0)
                        log_error("%s", ce.msg);
                else if (ce.msg[0])
                        log_error("%s", ce.msg);
                int code = r < 0 ? EXIT_OCI : r;
                if (s.cfg.detach)
                        _exit(code); /* 0: it runs, no longer ours */
                _cleanup_free_ char *ef = path_join(dir, "exit");
                write_self(ef, code);
                _exit(code);
        }
        close(pfd[1]);
        pfd[1] = -1;
        made = true;
        if (o->foreground) {
                fwd_child = child;
                static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
                for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                        signal(sigs[i], forward);
        }
        int pid = read_started(pfd[0], &cg_dirs, &cg_made, &cg_parents);
        if (pid <= 0) {
                /* It could not start: the child said why. */
                int st = 0;
                while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                        ;
                rc = WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : EXIT_OCI;
                if (!o->foreground)
                        rc = EXIT_OCI;
                goto out;
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "ociVersion", json_object_new_string(OCI_SPEC_VERSION));
        json_object_object_add(j, "id", json_object_new_string(id));
        json_object_object_add(j, "pid", json_object_new_int(pid));
        json_object_object_add(j, "bundle", json_object_new_string(bundle));
        unsigned long long started = oci_start_time(pid);
        json_object_object_add(j, "runroot.starttime", json_object_new_int64((int64_t)started));
        if (o->foreground)
                json_object_object_add(j, "runroot.monitor", json_object_new_int(child));
        /* Where the commands on its cgroup find it, and what delete
         * removes once it has ended (run's monitor does it itself): the
         * cgroups made, then the parents made for them if empty. */
        json_object_object_add(j, "runroot.cgroup_dirs", strv_json(&cg_dirs));
        json_object_object_add(j, "runroot.cgroups", strv_json(&cg_made));
        json_object_object_add(j, "runroot.cgroup_parents", strv_json(&cg_parents));
        json_object_object_add(j, "runroot.created", json_object_new_int64((int64_t)time(NULL)));
        json_object_object_add(j, "runroot.rootfs", json_object_new_string(s.root));
        /* for exec, which joins a keyring of its own the same way */
        json_object_object_add(j, "runroot.noNewKeyring",
                               json_object_new_boolean(o->no_new_keyring));
        json_object_object_add(j, "annotations",
                               s.annotations ? json_object_get(s.annotations)
                                             : json_object_new_object());
        int w = json_object_to_file_ext(tmp, j,
                                        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        json_object_put(j);
        if (w < 0 || rename(tmp, sf) < 0) {
                log_error("%s: %s", sf, strerror(errno));
                kill(pid, SIGKILL);
                goto out;
        }
        log_debug("%s %s: its process is %d, state in %s", cmd, id, pid, dir);
        if (o->pid_file) {
                if (oci_write_pid_file(o->pid_file, pid) < 0) {
                        kill(pid, SIGKILL);
                        goto out;
                }
        }
        if (!o->foreground) {
                rc = 0;
                /* It has left (the container is reparented) or leaves now. */
                while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                        ;
                /* The state stays for start, state, kill and delete. */
                close(pfd[0]);
                if (fifo_fd >= 0)
                        close(fifo_fd);
                if (console_fd >= 0)
                        close(console_fd);
                runner_oci_spec_free(&s);
                return rc;
        }
        /* run's start: the startContainer hooks, the command, poststart
         * (a failure there ends the container, which says why) */
        if (use_fifo)
                oci_start_process(id, pid, started, fifo, h, true);
        int st = 0;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                ;
        rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
out:
        /* run removes its container at the end, as runc's does. */
        if (pfd[0] >= 0)
                close(pfd[0]);
        if (pfd[1] >= 0)
                close(pfd[1]);
        if (fifo_fd >= 0)
                close(fifo_fd);
        if (console_fd >= 0)
                close(console_fd);
        oci_remove_tree(dir);
        /* As runc: a container that was made and is gone (run's end, a
         * create that failed) has its poststop hooks run. */
        if (made)
                runner_hooks_run(h, RUNNER_HOOK_POSTSTOP, "stopped", 0, &e);
        runner_oci_spec_free(&s);
        return rc;
}

int oci_cmd_create(int argc, char **argv, bool foreground)
{
        static const struct option opts[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"pid-file", required_argument, NULL, 'p'},
                {"console-socket", required_argument, NULL, 'c'},
                {"no-pivot", no_argument, NULL, 'P'},
                {"no-new-keyring", no_argument, NULL, 'k'},
                {"preserve-fds", required_argument, NULL, 'f'},
                {"detach", no_argument, NULL, 'd'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        create_opts o = {.bundle = ".", .foreground = foreground};
        const char *cmd = argv[0];
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
                switch (c) {
                case 'b': o.bundle = optarg; break;
                case 'p': o.pid_file = optarg; break;
                case 'c': o.console_socket = optarg; break;
                case 'P':
                        /* pivot_root is what runroot does: a root where it
                         * cannot work is refused by the runner anyway. */
                        log_warn("%s --no-pivot: ignored (runroot always uses pivot_root)", cmd);
                        break;
                case 'k': o.no_new_keyring = true; break;
                case 'f': {
                        int r = oci_preserve_fds(cmd, optarg, &o.preserve_fds);
                        if (r)
                                return r;
                        break;
                }
                case 'd':
                        if (!foreground)
                                return oci_usage_error(cmd, "--detach: unknown option");
                        return oci_usage_error(cmd, "--detach: use create and start");
                case 'h':
                        printf("Usage: runroot [GLOBAL OPTIONS] %s --bundle DIR [--pid-file F] "
                               "ID\n",
                               cmd);
                        return 0;
                default:
                        if (optopt && optopt != '?')
                                return oci_usage_error(cmd, "an option needs a value");
                        {
                                char m[128];
                                snprintf(m, sizeof m, "%.64s: unknown option", argv[optind - 1]);
                                return oci_usage_error(cmd, m);
                        }
                }
        }
        if (optind != argc - 1)
                return oci_usage_error(cmd, "expected one container id");
        return do_create(argv[optind], &o);
}
