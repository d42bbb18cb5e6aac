/* runroot logs, stop, kill, wait, inspect and exec: docker's commands on
 * a container (a name --name or -d keeps), with docker's exit codes: 1
 * when the container is not there or does not run, 125 when runroot
 * itself fails or the command line is wrong. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "runner.h"
#include "runroot.h"

enum { OPT_CACHE_DIR = 256, OPT_TIMESTAMPS, OPT_TAIL };

/* Each subcommand's --help after "Usage: ": its synopsis, what it does,
 * its options but the --cache-dir and --help every one takes. */
static const struct {
        const char *sub, *usage;
} sub_usage[] = {
        {"logs", "runroot logs [-f|--follow] [--tail N] [-t|--timestamps] [--cache-dir DIR] NAME\n"
                 "Write a detached container's log out, each line to the stream it came from.\n"
                 "\n"
                 "  -f, --follow            then follow it until the container stops\n"
                 "  -n, --tail N            the last N lines only (all: every one, the default)\n"
                 "  -t, --timestamps        each line after its time\n"},
        {"exec", "runroot exec [OPTIONS] NAME COMMAND [ARG...]\n"
                 "Run COMMAND in the running container, in every namespace of it, its cgroups\n"
                 "and its command's security profile; the exit status is the command's.\n"
                 "\n"
                 "  -i, --interactive       standard input reaches the command (else /dev/null)\n"
                 "  -t, --tty               give the command a terminal\n"
                 "  -e, --env KEY=VAL|KEY   set a variable on top of the container's environment\n"
                 "  -u, --user USER         run as this user of the container\n"
                 "  -w, --workdir DIR       working directory (an absolute path)\n"},
        {"stop", "runroot stop [-t|--time|--timeout SECONDS] [--cache-dir DIR] NAME...\n"
                 "SIGTERM through the container's init, SIGKILL of its cgroups SECONDS later.\n"
                 "\n"
                 "  -t, --time, --timeout SECONDS\n"
                 "                          how long to wait (0 to 86400, default 10)\n"},
        {"kill", "runroot kill [-s|--signal SIGNAL] [--cache-dir DIR] NAME...\n"
                 "Send SIGNAL to each running container.\n"
                 "\n"
                 "  -s, --signal SIGNAL     a name (TERM, SIGHUP) or a number; default KILL (to\n"
                 "                          the whole cgroup)\n"},
        {"wait", "runroot wait [--cache-dir DIR] NAME...\n"
                 "Wait until each container stops; print its exit status.\n"
                 "\n"},
        {"inspect", "runroot inspect [--cache-dir DIR] NAME...\n"
                    "Print docker inspect's JSON for each container.\n"
                    "\n"},
};

/* The subcommand's --help: its usage on stdout. */
static void sub_help(const char *sub)
{
        for (size_t i = 0; i < ARRAY_SIZE(sub_usage); i++)
                if (!strcmp(sub_usage[i].sub, sub))
                        printf("Usage: %s" RUNROOT_SUB_HELP_TAIL
                               "\nNAME: a container's name or the start of its id (see runroot "
                               "--help).\n",
                               sub_usage[i].usage);
}

/* getopt_long over a subcommand's arguments (argv[0] the subcommand):
 * -1 at the end, '?' after saying what is wrong, 'H' after --help. */
static int sub_getopt(const char *sub, int argc, char **argv, const char *shorts,
                      const struct option *longs)
{
        int idx = -1, at = optind > 0 ? optind : 1;
        if (at < argc && !strcmp(argv[at], "--help")) {
                sub_help(sub);
                optind = at + 1;
                return 'H';
        }
        int c = getopt_long(argc, argv, shorts, longs, &idx);
        if (c == '?' || c == ':') {
                const char *arg = argv[optind - 1];
                if (c == ':')
                        log_error("%s: %s: needs a value (see --help)", sub, arg);
                else if (optopt && strncmp(arg, "--", 2) != 0)
                        log_error("%s: -%c: unknown option (see --help)", sub, optopt);
                else
                        log_error("%s: %s: unknown option (see --help)", sub, arg);
                return '?';
        }
        /* A long option only spelled out in full, as docker takes it. */
        if (idx >= 0 && at < argc) {
                const char *arg = argv[at] + 2;
                size_t n = strcspn(arg, "=");
                if (n != strlen(longs[idx].name) || strncmp(arg, longs[idx].name, n) != 0) {
                        log_error("%s: --%.*s: unknown option (see --help)", sub, (int)n, arg);
                        return '?';
                }
        }
        return c;
}

static void sub_reset(void)
{
        optind = 0; /* glibc: start over, the argument list is another */
        opterr = 0;
}

/* The exit code for a container command that failed: 1 when the
 * container is not there or does not run, as docker; 125 otherwise. */
static int failed(const char *sub, int r, const err_t *e)
{
        log_error("%s: %s", sub, e->msg);
        return r == -ENOENT || r == -ESRCH ? 1 : EXIT_RUNROOT;
}

static bool parse_long(const char *s, long lo, long hi, long *ret)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

int runroot_logs_main(const char *cache_dir, int argc, char **argv)
{
        static const struct option longs[] = {
                {"follow", no_argument, NULL, 'f'},
                {"tail", required_argument, NULL, OPT_TAIL},
                {"timestamps", no_argument, NULL, OPT_TIMESTAMPS},
                {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
                {NULL, 0, NULL, 0},
        };
        runner_logs_opts o = {.tail = -1};
        sub_reset();
        int c;
        while ((c = sub_getopt("logs", argc, argv, "+:fn:t", longs)) != -1) {
                switch (c) {
                case 'f': o.follow = true; break;
                case 't':
                case OPT_TIMESTAMPS: o.timestamps = true; break;
                case 'n':
                case OPT_TAIL:
                        if (!strcmp(optarg, "all"))
                                o.tail = -1;
                        else if (!parse_long(optarg, 0, 1L << 30, &o.tail)) {
                                log_error("logs: --tail %s: expected a number or all", optarg);
                                return EXIT_RUNROOT;
                        }
                        break;
                case OPT_CACHE_DIR: cache_dir = optarg; break;
                case 'H': return fflush(stdout) == 0 ? 0 : EXIT_RUNROOT;
                default: return EXIT_RUNROOT;
                }
        }
        if (optind + 1 != argc) {
                log_error(optind >= argc ? "logs: no container name given (see --help)"
                                         : "logs: one container name only (see --help)");
                return EXIT_RUNROOT;
        }
        err_t e = {0};
        int r = runner_container_logs(cache_dir, argv[optind], &o, &e);
        return r < 0 ? failed("logs", r, &e) : 0;
}

/* Each NAME in turn, as docker stop/kill/wait do: 1 when one is not there
 * or does not run, 125 when runroot failed on one. */
static int each_name(const char *sub, int argc, char **argv, int (*fn)(const char *name, void *arg),
                     void *arg)
{
        if (optind >= argc) {
                log_error("%s: no container name given (see --help)", sub);
                return EXIT_RUNROOT;
        }
        int rc = 0;
        for (int i = optind; i < argc; i++) {
                int r = fn(argv[i], arg);
                if (r > rc)
                        rc = r;
        }
        if (fflush(stdout) != 0 && rc == 0)
                rc = EXIT_RUNROOT;
        return rc;
}

typedef struct name_args {
        const char *cache_dir;
        long value; /* -t seconds, -s signal */
} name_args;

static int stop_one(const char *name, void *arg)
{
        const name_args *a = arg;
        err_t e = {0};
        int r = runner_container_stop(a->cache_dir, name, (int)a->value, &e);
        if (r < 0)
                return failed("stop", r, &e);
        puts(name);
        return 0;
}

int runroot_stop_main(const char *cache_dir, int argc, char **argv)
{
        static const struct option longs[] = {
                {"time", required_argument, NULL, 't'},
                {"timeout", required_argument, NULL, 't'},
                {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
                {NULL, 0, NULL, 0},
        };
        name_args a = {.cache_dir = cache_dir, .value = 10};
        sub_reset();
        int c;
        while ((c = sub_getopt("stop", argc, argv, "+:t:", longs)) != -1) {
                switch (c) {
                case 't':
                        if (!parse_long(optarg, 0, 86400, &a.value)) {
                                log_error("stop: -t %s: expected seconds (0 to 86400)", optarg);
                                return EXIT_RUNROOT;
                        }
                        break;
                case OPT_CACHE_DIR: a.cache_dir = optarg; break;
                case 'H': return fflush(stdout) == 0 ? 0 : EXIT_RUNROOT;
                default: return EXIT_RUNROOT;
                }
        }
        return each_name("stop", argc, argv, stop_one, &a);
}

/* SIGNAL as docker kill -s takes it: KILL, SIGKILL, kill or 9. */
static int signal_number(const char *s)
{
        long n;
        if (parse_long(s, 1, NSIG - 1, &n))
                return (int)n;
        const char *name = !strncasecmp(s, "SIG", 3) ? s + 3 : s;
        for (int i = 1; i < NSIG; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && !strcasecmp(abbrev, name))
                        return i;
        }
        return -1;
}

static int kill_one(const char *name, void *arg)
{
        const name_args *a = arg;
        err_t e = {0};
        int r = runner_container_kill(a->cache_dir, name, (int)a->value, &e);
        if (r < 0)
                return failed("kill", r, &e);
        puts(name);
        return 0;
}

int runroot_kill_main(const char *cache_dir, int argc, char **argv)
{
        static const struct option longs[] = {
                {"signal", required_argument, NULL, 's'},
                {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
                {NULL, 0, NULL, 0},
        };
        name_args a = {.cache_dir = cache_dir, .value = SIGKILL};
        sub_reset();
        int c;
        while ((c = sub_getopt("kill", argc, argv, "+:s:", longs)) != -1) {
                switch (c) {
                case 's':
                        a.value = signal_number(optarg);
                        if (a.value < 0) {
                                log_error("kill: -s %s: not a signal (a name such as TERM, "
                                          "SIGHUP, or a number)",
                                          optarg);
                                return EXIT_RUNROOT;
                        }
                        break;
                case OPT_CACHE_DIR: a.cache_dir = optarg; break;
                case 'H': return fflush(stdout) == 0 ? 0 : EXIT_RUNROOT;
                default: return EXIT_RUNROOT;
                }
        }
        return each_name("kill", argc, argv, kill_one, &a);
}

static int wait_one(const char *name, void *arg)
{
        const name_args *a = arg;
        err_t e = {0};
        int code = 0;
        int r = runner_container_wait(a->cache_dir, name, &code, &e);
        if (r < 0)
                return failed("wait", r, &e);
        printf("%d\n", code);
        return 0;
}

/* Subcommands whose only option is --cache-dir: 0 to go on, HELP_GIVEN
 * after --help, else the exit status. */
#define HELP_GIVEN (-2)
static int only_cache_dir(const char *sub, int argc, char **argv, const char **cache_dir)
{
        static const struct option longs[] = {
                {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
                {NULL, 0, NULL, 0},
        };
        sub_reset();
        int c;
        while ((c = sub_getopt(sub, argc, argv, "+:", longs)) != -1) {
                if (c == 'H')
                        return fflush(stdout) == 0 ? HELP_GIVEN : EXIT_RUNROOT;
                if (c != OPT_CACHE_DIR)
                        return EXIT_RUNROOT;
                *cache_dir = optarg;
        }
        return 0;
}

int runroot_wait_main(const char *cache_dir, int argc, char **argv)
{
        name_args a = {.cache_dir = cache_dir};
        int r = only_cache_dir("wait", argc, argv, &a.cache_dir);
        return r == HELP_GIVEN ? 0 : r ? r : each_name("wait", argc, argv, wait_one, &a);
}

static int inspect_one(const char *name, void *arg)
{
        const name_args *a = arg;
        err_t e = {0};
        _cleanup_free_ char *json = NULL;
        int r = runner_container_inspect(a->cache_dir, name, &json, &e);
        if (r < 0)
                return failed("inspect", r, &e);
        puts(json);
        return 0;
}

int runroot_inspect_main(const char *cache_dir, int argc, char **argv)
{
        name_args a = {.cache_dir = cache_dir};
        int r = only_cache_dir("inspect", argc, argv, &a.cache_dir);
        return r == HELP_GIVEN ? 0 : r ? r : each_name("inspect", argc, argv, inspect_one, &a);
}

int runroot_exec_main(const char *cache_dir, int argc, char **argv)
{
        static const struct option longs[] = {
                {"interactive", no_argument, NULL, 'i'},
                {"tty", no_argument, NULL, 't'},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'},
                {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
                {NULL, 0, NULL, 0},
        };
        runner_exec_opts o = RUNNER_EXEC_OPTS_INIT;
        sub_reset();
        int c, rc = -1;
        while (rc < 0 && (c = sub_getopt("exec", argc, argv, "+:ite:u:w:", longs)) != -1) {
                switch (c) {
                case 'i': o.interactive = true; break;
                case 't': o.tty = true; break;
                case 'e':
                        if (optarg[0] == '=' || !optarg[0]) {
                                log_error("exec: -e %s: expected KEY=VALUE or KEY", optarg);
                                rc = EXIT_RUNROOT;
                        }
                        strv_push(&o.env, optarg);
                        break;
                case 'u': o.user = optarg; break;
                case 'w':
                        if (optarg[0] != '/') {
                                log_error("exec: -w %s: must be an absolute path", optarg);
                                rc = EXIT_RUNROOT;
                        }
                        o.workdir = optarg;
                        break;
                case OPT_CACHE_DIR: cache_dir = optarg; break;
                case 'H': rc = fflush(stdout) == 0 ? 0 : EXIT_RUNROOT; break;
                default: rc = EXIT_RUNROOT; break;
                }
        }
        if (rc < 0 && optind >= argc) {
                log_error("exec: no container name given (see --help)");
                rc = EXIT_RUNROOT;
        } else if (rc < 0 && optind + 1 >= argc) {
                log_error("exec: no command given (see --help)");
                rc = EXIT_RUNROOT;
        }
        if (rc < 0) {
                o.argv = argv + optind + 1;
                err_t e = {0};
                int r = runner_container_exec(cache_dir, argv[optind], &o, &e);
                if (r < 0)
                        rc = failed("exec", r, &e);
                else {
                        if (e.msg[0])
                                log_error("%s", e.msg);
                        rc = r;
                }
        }
        strv_free(&o.env);
        return rc;
}
