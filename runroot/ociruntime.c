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

#include "ociruntime.h"

#define RUNROOT_VERSION "0.1.0"

oci_global oci_g;

static void log_to_file(log_level level, const char *line, size_t len, void *userdata)
{
        (void)userdata;
        /* The file gets every line, stderr only the error: create's
         * stderr is the container's own under containerd's shim (and
         * conmon), where a warning would read as the command's output.
         * runc writes its warnings only to --log too. */
        if (level == LOG_QUIET)
                (void)!fwrite(line, 1, len, stderr);
        if (!oci_g.logf)
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
        if (oci_g.log_json) {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "level", json_object_new_string(lv));
                json_object_object_add(j, "msg", json_object_new_string_len(line, (int)n));
                json_object_object_add(j, "time", json_object_new_string(ts));
                fprintf(oci_g.logf, "%s\n",
                        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                fprintf(oci_g.logf, "time=\"%s\" level=%s msg=\"%.*s\"\n", ts, lv, (int)n, line);
        fflush(oci_g.logf);
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

static void oci_help(void)
{
        printf("Usage: runroot [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
               "COMMAND ...\n"
               "runroot as an OCI runtime, with runc's command line (see runroot(1), \"as an "
               "OCI runtime\").\n"
               "\n"
               "Commands:\n"
               "  create --bundle DIR [--pid-file F] [--console-socket S] [--no-pivot]\n"
               "         [--no-new-keyring] [--preserve-fds N] ID\n"
               "                                         make the container; its process waits "
               "for start\n"
               "                                         (S gets the pty's master with "
               "process.terminal;\n"
               "                                         fds 3..3+N-1 passed on)\n"
               "  start ID                               let it run\n"
               "  run --bundle DIR [--pid-file F] ID     create and start, in the foreground\n"
               "  state ID                               the runtime specification's state JSON\n"
               "  kill [--all] ID [SIGNAL]               signal it (SIGTERM by default)\n"
               "  delete [--force] ID                    remove a stopped one (--force: any)\n"
               "  list [--format table|json] [-q]        the containers under --root\n"
               "  exec [--process FILE] [--detach] [--pid-file F] [--console-socket S] [--tty]\n"
               "       [--cwd DIR] [--env K=V] [--user UID[:GID]] [--cap CAP] [--no-new-privs]\n"
               "       [--apparmor P] [--process-label L] [--preserve-fds N] ID [ARGS]\n"
               "                                         a process in the container, with its\n"
               "                                         namespaces, cgroups and security\n"
               "                                         (--apparmor, --process-label: a\n"
               "                                         warning on a host without them)\n"
               "  ps [--format table|json] ID [PS-ARGS]  the processes of its cgroup\n"
               "  pause ID | resume ID                   freeze or thaw its cgroup\n"
               "  update [--memory B] [--cpu-quota N] [--cpu-period N] [--cpu-shares N]\n"
               "         [--pids-limit N] [--resources FILE] ID\n"
               "                                         change its cgroup's limits\n"
               "  features                               what runroot supports (the spec's JSON)\n"
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
        /* runroot's own commands of these names take a container's name:
         * one that is a container of the runtime's default state root is
         * that one's (podman, containerd's shim pass no --root). */
        static const char *const by_id[] = {"kill",   "exec",   "ps",    "pause",
                                            "resume", "update", "events"};
        bool named = false;
        for (size_t i = 0; i < ARRAY_SIZE(by_id); i++)
                named = named || !strcmp(a, by_id[i]);
        for (int i = 2; named && i < argc; i++) {
                if (argv[i][0] == '-' || !oci_id_ok(argv[i]))
                        continue;
                _cleanup_free_ char *dir = path_join(state_root_default(), argv[i]);
                _cleanup_free_ char *sf = path_join(dir, "state.json");
                if (stat(sf, &st) == 0)
                        return true;
        }
        return false;
}

int oci_preserve_fds(const char *cmd, const char *value, unsigned *ret)
{
        char *end = NULL;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (!*value || *end || errno || n < 0 || n > 1024)
                return oci_usage_error(cmd, "--preserve-fds: expected a number");
        if ((unsigned)n > oci_g.inherited_fds) {
                log_error("%s --preserve-fds %ld: fd %u is not open", cmd, n,
                          3 + oci_g.inherited_fds);
                return EXIT_RUNROOT;
        }
        *ret = (unsigned)n;
        return 0;
}

int runroot_oci_main(int argc, char **argv)
{
        /* Before runroot opens anything of its own. */
        while (oci_g.inherited_fds < 1024 && fcntl(3 + (int)oci_g.inherited_fds, F_GETFD) >= 0)
                oci_g.inherited_fds++;
        oci_g.root = state_root_default();
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
                                return oci_usage_error("--root", "empty");
                        oci_g.root = optarg;
                        break;
                case 'l': oci_g.log = optarg; break;
                case 'F':
                        if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                                log_error("--log-format %s: expected text or json", optarg);
                                return EXIT_OCI;
                        }
                        oci_g.log_json = !strcmp(optarg, "json");
                        break;
                case 'D': log_set_level(LOG_DEBUG); break;
                case 'S':
                        log_error("--systemd-cgroup: not supported (runroot manages its cgroups "
                                  "itself, through cgroupfs)");
                        return EXIT_OCI;
                case 'v': oci_version(); return 0;
                case 'h': oci_help(); return 0;
                default:
                        if (optopt && optopt != '?') {
                                log_error("%s: needs a value", argv[optind - 1]);
                                return EXIT_OCI;
                        }
                        log_error("%s: unknown option (see --help)", argv[optind - 1]);
                        return EXIT_OCI;
                }
        }
        if (oci_g.log) {
                oci_g.logf = fopen(oci_g.log, "ae");
                if (!oci_g.logf) {
                        log_error("--log %s: %s", oci_g.log, strerror(errno));
                        return EXIT_OCI;
                }
                log_set_sink(log_to_file, NULL);
        }
        if (optind >= argc) {
                oci_help();
                return EXIT_OCI;
        }
        char *root_abs = realpath(oci_g.root, NULL);
        if (root_abs)
                oci_g.root = root_abs;
        const char *cmd = argv[optind];
        int n = argc - optind;
        char **v = argv + optind;
        int r;
        if (!strcmp(cmd, "create"))
                r = oci_cmd_create(n, v, false);
        else if (!strcmp(cmd, "run"))
                r = oci_cmd_create(n, v, true);
        else if (!strcmp(cmd, "start"))
                r = oci_cmd_start(n, v);
        else if (!strcmp(cmd, "ps"))
                r = oci_cmd_ps(n, v);
        else if (!strcmp(cmd, "pause"))
                r = oci_cmd_pause(n, v);
        else if (!strcmp(cmd, "resume"))
                r = oci_cmd_resume(n, v);
        else if (!strcmp(cmd, "update"))
                r = oci_cmd_update(n, v);
        else if (!strcmp(cmd, "features"))
                r = oci_cmd_features(n, v);
        else if (!strcmp(cmd, "exec"))
                r = oci_cmd_exec(n, v);
        else if (!strcmp(cmd, "state"))
                r = oci_cmd_state(n, v);
        else if (!strcmp(cmd, "kill"))
                r = oci_cmd_kill(n, v);
        else if (!strcmp(cmd, "delete"))
                r = oci_cmd_delete(n, v);
        else if (!strcmp(cmd, "list"))
                r = oci_cmd_list(n, v);
        else {
                log_error("%s: not a command of runroot as an OCI runtime (see --root DIR --help)",
                          cmd);
                r = EXIT_OCI;
        }
        free(root_abs);
        if (oci_g.logf)
                fclose(oci_g.logf);
        return r;
}
