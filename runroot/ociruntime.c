/* runroot as an OCI runtime: runc's command line (create, start, state,
 * kill, delete, run, list, --version) over a bundle's config.json, which
 * the runner reads (runner_oci_spec). Each container has a directory under
 * the state root (--root): state.json (what `state` prints but the status,
 * which is worked out each time), exec.fifo while it waits for `start`,
 * seccomp.json when config.json has a filter. A container is "created"
 * while its process runs and exec.fifo is there, "running" once start has
 * opened the fifo, "stopped" when its process is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
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

#include "runner.h"
#include "runroot.h"

#define OCI_SPEC_VERSION "1.2.0"
#define RUNROOT_VERSION "0.1.0"

typedef struct oci_global {
        const char *root;
        const char *log;
        bool log_json;
        FILE *logf;
} oci_global;

static oci_global G;

static void log_to_file(log_level level, const char *line, size_t len, void *userdata)
{
        (void)userdata;
        /* stderr keeps what a caller shows; the file gets every line. */
        if (level <= LOG_WARN || log_get_level() >= LOG_DEBUG)
                (void)!fwrite(line, 1, len, stderr);
        if (!G.logf)
                return;
        size_t n = len;
        while (n && line[n - 1] == '\n')
                n--;
        /* The level says what the prefixes of the stderr line do. */
        static const char *const prefixes[] = {"runroot: ", "warning: "};
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
                size_t k = strlen(prefixes[i]);
                if (n >= k && !strncmp(line, prefixes[i], k)) {
                        line += k;
                        n -= k;
                }
        }
        const char *lv = level == LOG_QUIET  ? "error"
                         : level == LOG_WARN ? "warning"
                         : level == LOG_INFO ? "info"
                                             : "debug";
        char ts[40];
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (G.log_json) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "level", json_object_new_string(lv));
                json_object_object_add(j, "msg", json_object_new_string_len(line, (int)n));
                json_object_object_add(j, "time", json_object_new_string(ts));
                fprintf(G.logf, "%s\n",
                        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                fprintf(G.logf, "time=\"%s\" level=%s msg=\"%.*s\"\n", ts, lv, (int)n, line);
        fflush(G.logf);
}

static const char *state_root_default(void)
{
        static char buf[PATH_MAX];
        if (geteuid() == 0)
                return "/run/runroot-oci";
        const char *x = getenv("XDG_RUNTIME_DIR");
        snprintf(buf, sizeof buf, "%s/runroot-oci", x && *x ? x : "/tmp");
        return buf;
}

static bool id_ok(const char *id)
{
        if (!*id || strlen(id) > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
                return false;
        for (const char *c = id; *c; c++)
                if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
                    !(*c >= '0' && *c <= '9') && !strchr("_+-.", *c))
                        return false;
        return true;
}

static char *cdir(const char *id)
{
        return path_join(G.root, id);
}

static unsigned long long start_time(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        if (!p)
                return 0;
        /* Field 3 (state) is the first after the name: 22 is 19 further. */
        p += 2;
        if (*p == 'Z' || *p == 'X')
                return 0;
        for (int f = 3; f < 22 && p; f++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return p ? strtoull(p, NULL, 10) : 0;
}

typedef struct ctr {
        char *id, *dir;
        json_object *st; /* state.json */
        pid_t pid;
        const char *status;
} ctr;

static void ctr_free(ctr *c)
{
        free(c->id);
        free(c->dir);
        json_object_put(c->st);
}

static int64_t jint(json_object *j, const char *k)
{
        json_object *v = NULL;
        return json_object_object_get_ex(j, k, &v) ? json_object_get_int64(v) : 0;
}

/* The container id: 1 with the message printed when there is none. */
static int ctr_load(const char *id, ctr *ret)
{
        memset(ret, 0, sizeof *ret);
        if (!id_ok(id)) {
                log_error("container \"%s\": not a valid container id", id);
                return 1;
        }
        ret->id = xstrdup(id);
        ret->dir = cdir(id);
        _cleanup_free_ char *sf = path_join(ret->dir, "state.json");
        ret->st = json_object_from_file(sf);
        if (!ret->st) {
                log_error("container \"%s\" does not exist", id);
                ctr_free(ret);
                return 1;
        }
        ret->pid = (pid_t)jint(ret->st, "pid");
        unsigned long long want = (unsigned long long)jint(ret->st, "runroot.starttime");
        bool alive = ret->pid > 0 && start_time(ret->pid) == want && want;
        _cleanup_free_ char *fifo = path_join(ret->dir, "exec.fifo");
        ret->status = !alive ? "stopped" : access(fifo, F_OK) == 0 ? "created" : "running";
        return 0;
}

static json_object *state_json(const ctr *c)
{
        json_object *j = json_object_new_object();
        static const char *const keys[] = {"ociVersion", "id"};
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                json_object *v = NULL;
                if (json_object_object_get_ex(c->st, keys[i], &v))
                        json_object_object_add(j, keys[i], json_object_get(v));
        }
        json_object_object_add(j, "status", json_object_new_string(c->status));
        if (strcmp(c->status, "stopped") != 0)
                json_object_object_add(j, "pid", json_object_new_int(c->pid));
        json_object *v = NULL;
        if (json_object_object_get_ex(c->st, "bundle", &v))
                json_object_object_add(j, "bundle", json_object_get(v));
        if (json_object_object_get_ex(c->st, "annotations", &v))
                json_object_object_add(j, "annotations", json_object_get(v));
        return j;
}

static int remove_tree(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

static int usage_error(const char *cmd, const char *msg)
{
        log_error("%s: %s (see runroot --root DIR --help)", cmd, msg);
        return EXIT_RUNROOT;
}

/* ---- create and run -------------------------------------------------- */

typedef struct create_opts {
        const char *bundle, *pid_file, *console_socket;
        int preserve_fds;
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

static int do_create(const char *id, const create_opts *o)
{
        const char *cmd = o->foreground ? "run" : "create";
        if (!id_ok(id))
                return usage_error(cmd, "not a valid container id");
        if (mkdir(G.root, 0700) < 0 && errno != EEXIST) {
                log_error("--root %s: %s", G.root, strerror(errno));
                return EXIT_RUNROOT;
        }
        _cleanup_free_ char *dir = cdir(id);
        if (mkdir(dir, 0711) < 0) {
                if (errno == EEXIST)
                        log_error("container with id exists: %s", id);
                else
                        log_error("%s: %s", dir, strerror(errno));
                return EXIT_RUNROOT;
        }
        err_t e = {0};
        runner_oci_spec s;
        if (runner_oci_spec_load(o->bundle, &s, &e) < 0) {
                log_error("%s", e.msg);
                remove_tree(dir);
                return EXIT_RUNROOT;
        }
        for (size_t i = 0; i < s.warnings.n; i++)
                log_warn("%s", s.warnings.v[i]);
        int rc = EXIT_RUNROOT;
        int fifo_fd = -1, console_fd = -1, pfd[2] = {-1, -1};
        _cleanup_free_ char *fifo = path_join(dir, "exec.fifo");
        _cleanup_free_ char *scf = path_join(dir, "seccomp.json");
        _cleanup_free_ char *sf = path_join(dir, "state.json");
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
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                if (strlen(o->console_socket) >= sizeof sa.sun_path) {
                        log_error("--console-socket %s: path too long", o->console_socket);
                        goto out;
                }
                strcpy(sa.sun_path, o->console_socket);
                console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (console_fd < 0 || connect(console_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                        log_error("--console-socket %s: %s", o->console_socket, strerror(errno));
                        goto out;
                }
                s.cfg.console_fd = console_fd;
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
        if (!o->foreground) {
                if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0 ||
                    (fifo_fd = open(fifo, O_PATH | O_CLOEXEC)) < 0) {
                        log_error("%s: %s", fifo, strerror(errno));
                        goto out;
                }
                s.cfg.start_fd = fifo_fd;
        }
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
                                _exit(EXIT_RUNROOT);
                        }
                        close(fd);
                }
                if (s.umask >= 0)
                        umask((mode_t)s.umask);
                s.cfg.started_fd = pfd[1];
                err_t ce = {0};
                int r = runner_run(&s.cfg, &ce);
                if (r < 0)
                        log_error("%s", ce.msg);
                else if (ce.msg[0])
                        log_error("%s", ce.msg);
                int code = r < 0 ? EXIT_RUNROOT : r;
                _cleanup_free_ char *ef = path_join(dir, "exit");
                write_self(ef, code);
                _exit(code);
        }
        close(pfd[1]);
        pfd[1] = -1;
        if (o->foreground) {
                fwd_child = child;
                static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
                for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                        signal(sigs[i], forward);
        }
        char line[64] = {0};
        size_t len = 0;
        while (len < sizeof line - 1) {
                ssize_t n = read(pfd[0], line + len, sizeof line - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (memchr(line, '\n', len))
                        break;
        }
        int pid = 0;
        if (sscanf(line, "OK %d", &pid) != 1 || pid <= 0) {
                /* It could not start: the child said why. */
                int st = 0;
                while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                        ;
                rc = WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : EXIT_RUNROOT;
                if (!o->foreground)
                        rc = EXIT_RUNROOT;
                goto out;
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "ociVersion", json_object_new_string(OCI_SPEC_VERSION));
        json_object_object_add(j, "id", json_object_new_string(id));
        json_object_object_add(j, "pid", json_object_new_int(pid));
        char bundle[PATH_MAX];
        json_object_object_add(
                j, "bundle",
                json_object_new_string(realpath(o->bundle, bundle) ? bundle : o->bundle));
        json_object_object_add(j, "runroot.starttime",
                               json_object_new_int64((int64_t)start_time(pid)));
        json_object_object_add(j, "runroot.monitor", json_object_new_int(child));
        json_object_object_add(j, "runroot.created", json_object_new_int64((int64_t)time(NULL)));
        json_object_object_add(j, "runroot.rootfs", json_object_new_string(s.root));
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
        if (o->pid_file) {
                _cleanup_free_ char *ptmp = xasprintf("%s.tmp", o->pid_file);
                FILE *f = fopen(ptmp, "we");
                if (!f || fprintf(f, "%d", pid) < 0 || fclose(f) != 0 ||
                    rename(ptmp, o->pid_file) < 0) {
                        log_error("--pid-file %s: %s", o->pid_file, strerror(errno));
                        unlink(ptmp);
                        kill(pid, SIGKILL);
                        goto out;
                }
        }
        if (!o->foreground) {
                rc = 0;
                /* The state stays for start, state, kill and delete. */
                close(pfd[0]);
                if (fifo_fd >= 0)
                        close(fifo_fd);
                if (console_fd >= 0)
                        close(console_fd);
                runner_oci_spec_free(&s);
                return rc;
        }
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
        remove_tree(dir);
        runner_oci_spec_free(&s);
        return rc;
}

static int parse_create(int argc, char **argv, bool foreground)
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
                case 'k': break; /* runroot makes no session keyring */
                case 'f': {
                        char *end = NULL;
                        long n = strtol(optarg, &end, 10);
                        if (!*optarg || *end || n < 0 || n > 1024)
                                return usage_error(cmd, "--preserve-fds: expected a number");
                        if (n > 0)
                                return usage_error(cmd, "--preserve-fds: only 0 is supported "
                                                        "by runroot");
                        o.preserve_fds = (int)n;
                        break;
                }
                case 'd':
                        if (!foreground)
                                return usage_error(cmd, "--detach: unknown option");
                        return usage_error(cmd, "--detach: use create and start");
                case 'h':
                        printf("Usage: runroot [GLOBAL OPTIONS] %s --bundle DIR [--pid-file F] "
                               "ID\n",
                               cmd);
                        return 0;
                default:
                        if (optopt && optopt != '?')
                                return usage_error(cmd, "an option needs a value");
                        {
                                char m[128];
                                snprintf(m, sizeof m, "%.64s: unknown option", argv[optind - 1]);
                                return usage_error(cmd, m);
                        }
                }
        }
        if (optind != argc - 1)
                return usage_error(cmd, "expected one container id");
        return do_create(argv[optind], &o);
}

/* ---- start, state, kill, delete, list -------------------------------- */

static int one_id(int argc, char **argv, const char *cmd, ctr *ret)
{
        if (argc != 2) {
                usage_error(cmd, "expected one container id");
                return EXIT_RUNROOT;
        }
        return ctr_load(argv[1], ret);
}

static int cmd_start(int argc, char **argv)
{
        ctr c;
        int r = one_id(argc, argv, "start", &c);
        if (r)
                return r;
        if (strcmp(c.status, "created") != 0) {
                log_error("cannot start a container that is %s: %s", c.status, c.id);
                ctr_free(&c);
                return 1;
        }
        _cleanup_free_ char *fifo = path_join(c.dir, "exec.fifo");
        int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        r = 1;
        if (fd < 0)
                log_error("%s: %s", fifo, strerror(errno));
        else {
                /* Until the process has opened its end and written its byte;
                 * one that ends first never will. */
                unsigned long long want = (unsigned long long)jint(c.st, "runroot.starttime");
                for (;;) {
                        char b;
                        ssize_t n = read(fd, &b, 1);
                        if (n == 1) {
                                r = 0;
                                break;
                        }
                        if (start_time(c.pid) != want) {
                                log_error("container %s: its process ended before start", c.id);
                                break;
                        }
                        poll(NULL, 0, 2);
                }
                close(fd);
                if (r == 0 && unlink(fifo) < 0)
                        log_warn("%s: %s", fifo, strerror(errno));
        }
        ctr_free(&c);
        return r;
}

static int cmd_state(int argc, char **argv)
{
        ctr c;
        int r = one_id(argc, argv, "state", &c);
        if (r)
                return r;
        json_object *j = state_json(&c);
        printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE |
                                                                 JSON_C_TO_STRING_SPACED));
        json_object_put(j);
        ctr_free(&c);
        return 0;
}

static int signal_parse(const char *s)
{
        char *end = NULL;
        long n = strtol(s, &end, 10);
        if (*s && !*end)
                return n > 0 && n < NSIG ? (int)n : -1;
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
static int kill_all(pid_t init, int sig)
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

static int cmd_kill(int argc, char **argv)
{
        bool all = false;
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
                        all = true;
                else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[i]);
                        return usage_error("kill", m);
                }
        }
        if (argc - i < 1 || argc - i > 2)
                return usage_error("kill", "expected a container id and a signal");
        int sig = argc - i == 2 ? signal_parse(argv[i + 1]) : SIGTERM;
        if (sig < 0) {
                char m[128];
                snprintf(m, sizeof m, "%.64s: unknown signal", argv[i + 1]);
                return usage_error("kill", m);
        }
        ctr c;
        int r = ctr_load(argv[i], &c);
        if (r)
                return r;
        if (!strcmp(c.status, "stopped")) {
                log_error("container %s: container not running", c.id);
                ctr_free(&c);
                return 1;
        }
        r = 0;
        if (all)
                r = kill_all(c.pid, sig);
        if (!all || r < 0)
                r = kill(c.pid, sig) < 0 ? -errno : 0;
        if (r < 0)
                log_error("kill %s: %s", c.id, strerror(-r));
        ctr_free(&c);
        return r < 0 ? 1 : 0;
}

static int cmd_delete(int argc, char **argv)
{
        bool force = false;
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
                        force = true;
                else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[i]);
                        return usage_error("delete", m);
                }
        }
        if (argc - i != 1)
                return usage_error("delete", "expected one container id");
        ctr c;
        int r = ctr_load(argv[i], &c);
        if (r) {
                /* runc: --force of one that is not there is done. */
                return force && id_ok(argv[i]) ? 0 : r;
        }
        if (strcmp(c.status, "stopped") != 0) {
                if (!force) {
                        log_error("cannot delete container %s that is not stopped: %s", c.id,
                                  c.status);
                        ctr_free(&c);
                        return 1;
                }
                unsigned long long want = (unsigned long long)jint(c.st, "runroot.starttime");
                kill_all(c.pid, SIGKILL);
                kill(c.pid, SIGKILL);
                for (int k = 0; k < 1000 && start_time(c.pid) == want; k++)
                        poll(NULL, 0, 10);
        }
        /* Its monitor ends with the container: wait a little for it, so
         * its exit record is not written into a directory made again. */
        pid_t mon = (pid_t)jint(c.st, "runroot.monitor");
        _cleanup_free_ char *ef = path_join(c.dir, "exit");
        for (int k = 0; k < 500 && mon > 0 && kill(mon, 0) == 0 && access(ef, F_OK) < 0; k++)
                poll(NULL, 0, 10);
        r = remove_tree(c.dir);
        if (r < 0)
                log_error("delete %s: %s", c.id, strerror(-r));
        ctr_free(&c);
        return r < 0 ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_list(int argc, char **argv)
{
        bool json = false, quiet = false;
        for (int i = 1; i < argc; i++) {
                if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc) {
                        const char *f = argv[++i];
                        if (strcmp(f, "json") && strcmp(f, "table"))
                                return usage_error("list", "--format: expected json or table");
                        json = !strcmp(f, "json");
                } else if (!strcmp(argv[i], "--format=json"))
                        json = true;
                else if (!strcmp(argv[i], "--format=table"))
                        json = false;
                else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
                        quiet = true;
                else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown argument", argv[i]);
                        return usage_error("list", m);
                }
        }
        json_object *arr = json_object_new_array();
        DIR *d = opendir(G.root);
        if (!d && errno != ENOENT) {
                log_error("--root %s: %s", G.root, strerror(errno));
                json_object_put(arr);
                return 1;
        }
        _cleanup_strv_ strv ids = {0};
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (id_ok(de->d_name))
                        strv_push(&ids, de->d_name);
        if (d)
                closedir(d);
        if (ids.n)
                qsort(ids.v, ids.n, sizeof *ids.v, cmp_str);
        if (!json && !quiet)
                printf("%-12s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
        for (size_t i = 0; i < ids.n; i++) {
                ctr c;
                if (ctr_load(ids.v[i], &c))
                        continue;
                json_object *j = state_json(&c);
                time_t created = (time_t)jint(c.st, "runroot.created");
                char ts[40];
                struct tm tm;
                gmtime_r(&created, &tm);
                strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
                json_object *v = NULL;
                const char *bundle = json_object_object_get_ex(c.st, "bundle", &v)
                                             ? json_object_get_string(v)
                                             : "";
                if (quiet)
                        printf("%s\n", c.id);
                else if (!json)
                        printf("%-12s %-8d %-10s %-40s %s\n", c.id,
                               strcmp(c.status, "stopped") ? c.pid : 0, c.status, bundle, ts);
                json_object_object_add(j, "created", json_object_new_string(ts));
                if (json_object_object_get_ex(c.st, "runroot.rootfs", &v))
                        json_object_object_add(j, "rootfs", json_object_get(v));
                json_object_array_add(arr, j);
                ctr_free(&c);
        }
        if (json)
                printf("%s\n",
                       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return 0;
}

static void oci_help(void)
{
        printf("Usage: runroot [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
               "COMMAND ...\n"
               "runroot as an OCI runtime, with runc's command line (see runroot(1), \"as an "
               "OCI runtime\").\n"
               "\n"
               "Commands:\n"
               "  create --bundle DIR [--pid-file F] [--console-socket S] ID\n"
               "                                         make the container; its process waits "
               "for start\n"
               "                                         (S gets the pty's master with "
               "process.terminal)\n"
               "  start ID                               let it run\n"
               "  run --bundle DIR [--pid-file F] ID     create and start, in the foreground\n"
               "  state ID                               the runtime specification's state JSON\n"
               "  kill [--all] ID [SIGNAL]               signal it (SIGTERM by default)\n"
               "  delete [--force] ID                    remove a stopped one (--force: any)\n"
               "  list [--format table|json] [-q]        the containers under --root\n"
               "\n"
               "Global options:\n"
               "  --root DIR          the state directory (default /run/runroot-oci, or\n"
               "                      $XDG_RUNTIME_DIR/runroot-oci when not root)\n"
               "  --log FILE          also write messages to FILE\n"
               "  --log-format FMT    text or json, for --log\n"
               "  --debug             debug messages too\n"
               "  --systemd-cgroup    refused: runroot manages its cgroups itself\n"
               "  -v, --version       runroot's version and the specification's\n");
}

static void oci_version(void)
{
        const struct scmp_version *v = seccomp_version();
        printf("runroot version %s\nspec: %s\n", RUNROOT_VERSION, OCI_SPEC_VERSION);
        if (v)
                printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

bool runroot_oci_wanted(int argc, char **argv)
{
        const char *b = strrchr(argv[0], '/');
        b = b ? b + 1 : argv[0];
        if (!strcmp(b, "runroot-oci"))
                return true;
        if (argc < 2)
                return false;
        const char *a = argv[1];
        static const char *const globals[] = {"--root", "--log", "--log-format",
                                              "--systemd-cgroup"};
        for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
                size_t n = strlen(globals[i]);
                if (!strncmp(a, globals[i], n) && (!a[n] || a[n] == '='))
                        return true;
        }
        /* The runtime's commands that are no image's name here: runroot's
         * own IMAGE argument is always a file that exists. */
        static const char *const cmds[] = {"create", "start", "state", "delete", "list"};
        struct stat st;
        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
                if (!strcmp(a, cmds[i]) && stat(a, &st) < 0)
                        return true;
        if (!strcmp(a, "run") && argc > 2 && stat(a, &st) < 0 &&
            (!strncmp(argv[2], "--bundle", 8) || !strcmp(argv[2], "-b")))
                return true;
        return false;
}

int runroot_oci_main(int argc, char **argv)
{
        G.root = state_root_default();
        static const struct option opts[] = {
                {"root", required_argument, NULL, 'r'},
                {"log", required_argument, NULL, 'l'},
                {"log-format", required_argument, NULL, 'F'},
                {"debug", no_argument, NULL, 'D'},
                {"systemd-cgroup", no_argument, NULL, 'S'},
                {"version", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        opterr = 0;
        optind = 1;
        int c;
        while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        if (!*optarg)
                                return usage_error("--root", "empty");
                        G.root = optarg;
                        break;
                case 'l': G.log = optarg; break;
                case 'F':
                        if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                                log_error("--log-format %s: expected text or json", optarg);
                                return EXIT_RUNROOT;
                        }
                        G.log_json = !strcmp(optarg, "json");
                        break;
                case 'D': log_set_level(LOG_DEBUG); break;
                case 'S':
                        log_error("--systemd-cgroup: not supported (runroot manages its cgroups "
                                  "itself, through cgroupfs)");
                        return EXIT_RUNROOT;
                case 'v': oci_version(); return 0;
                case 'h': oci_help(); return 0;
                default:
                        if (optopt && optopt != '?') {
                                log_error("%s: needs a value", argv[optind - 1]);
                                return EXIT_RUNROOT;
                        }
                        log_error("%s: unknown option (see --help)", argv[optind - 1]);
                        return EXIT_RUNROOT;
                }
        }
        if (G.log) {
                G.logf = fopen(G.log, "ae");
                if (!G.logf) {
                        log_error("--log %s: %s", G.log, strerror(errno));
                        return EXIT_RUNROOT;
                }
                log_set_sink(log_to_file, NULL);
        }
        if (optind >= argc) {
                oci_help();
                return EXIT_RUNROOT;
        }
        char *root_abs = realpath(G.root, NULL);
        if (root_abs)
                G.root = root_abs;
        const char *cmd = argv[optind];
        int n = argc - optind;
        char **v = argv + optind;
        int r;
        if (!strcmp(cmd, "create"))
                r = parse_create(n, v, false);
        else if (!strcmp(cmd, "run"))
                r = parse_create(n, v, true);
        else if (!strcmp(cmd, "start"))
                r = cmd_start(n, v);
        else if (!strcmp(cmd, "state"))
                r = cmd_state(n, v);
        else if (!strcmp(cmd, "kill"))
                r = cmd_kill(n, v);
        else if (!strcmp(cmd, "delete"))
                r = cmd_delete(n, v);
        else if (!strcmp(cmd, "list"))
                r = cmd_list(n, v);
        else {
                log_error("%s: not a command of runroot as an OCI runtime (see --root DIR --help)",
                          cmd);
                r = EXIT_RUNROOT;
        }
        free(root_abs);
        if (G.logf)
                fclose(G.logf);
        return r;
}
