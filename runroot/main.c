/* runroot: parse the command line (docker run's flags) and call the
 * runner library. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "runner.h"

#define EXIT_RUNROOT 125

static void usage(FILE *f)
{
        fputs("Usage: runroot [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
              "       runroot gc [--cache-dir DIR]\n"
              "Run COMMAND (default /bin/sh) in a container made from IMAGE: a rootfs\n"
              "tarball (.tar, .tar.gz, .tar.zst, .tar.xz, ...), a directory, or an OCI or\n"
              "docker-save archive (its layers stacked; its Cmd, Entrypoint, Env, WorkingDir\n"
              "and User are defaults the options override). The image is unpacked once\n"
              "into the cache; each run gets its own writable layer.\n"
              "\n"
              "  -e, --env KEY=VAL|KEY   set a variable (KEY alone: the host's value)\n"
              "      --env-file FILE     read KEY=VAL lines\n"
              "  -w, --workdir DIR       working directory inside\n"
              "  -u, --user USER[:GROUP] name or number, from the image's /etc/passwd\n"
              "      --entrypoint CMD    run CMD (one word) instead of the image's Entrypoint,\n"
              "                          without its Cmd; '' for none: COMMAND runs alone\n"
              "      --hostname NAME     host name inside\n"
              "      --net none|host     network: none (loopback only, default) or the host's\n"
              "  -v, --bind SRC:DST[:ro] bind mount a host path (also --volume)\n"
              "      --tmpfs DST[:OPTS]  mount a tmpfs; OPTS as docker's: size=N (default\n"
              "                          64m), mode=OCTAL, uid=N, gid=N, nr_inodes=N, ro, rw,\n"
              "                          exec, noexec, suid, nosuid, nodev\n"
              "      --device HOST[:CONTAINER[:PERMS]]\n"
              "                          hand in a device node (PERMS: letters of rwm)\n"
              "      --storage-opt size=N  size of the writable layer (default 1g)\n"
              "      --read-only         no writable layer\n"
              "      --name NAME         keep the writable layer for the next run with NAME\n"
              "  -t, --tty               give the command a terminal (default: one when stdin\n"
              "                          and stdout are terminals)\n"
              "  -T, --no-tty            never allocate a terminal\n"
              "  -i, --interactive       accepted for docker compatibility (stdin always\n"
              "                          reaches the command)\n"
              "      --rm                accepted for docker compatibility (always on)\n"
              "  -m, --memory SIZE       memory limit (swap included), e.g. 80M\n"
              "      --cpus N            CPU limit, e.g. 0.5\n"
              "      --pids N            process limit (also --pids-limit)\n"
              "      --cpuset-cpus LIST  CPUs to run on, e.g. 0-1\n"
              "      --cpu-weight N      relative CPU weight (1-10000)\n"
              "      --cpu-shares N      relative CPU weight, v1 scale (2-262144)\n"
              "      --io-weight N       relative I/O weight\n"
              "      --cap-add CAP       add a capability (ALL for all)\n"
              "      --cap-drop CAP      drop a capability (ALL for all)\n"
              "      --seccomp unconfined  no seccomp filter\n"
              "      --security-opt OPT  as docker's: no-new-privileges[=true|false] (setuid\n"
              "                          and file capabilities give nothing; default off),\n"
              "                          seccomp=FILE.json (docker's JSON seccomp profile\n"
              "                          instead of the default filter), seccomp=unconfined\n"
              "                          (no filter)\n"
              "      --cache-dir DIR     cache (default $MKROOT_CACHE, /var/cache/mkroot as\n"
              "                          root, else ~/.cache/mkroot)\n"
              "  -q, --quiet             only errors\n"
              "      --verbose           explain what happens\n"
              "  -h, --help              this help\n"
              "      --version           version\n"
              "\n"
              "Exit status: the command's; 125 when runroot fails, 126 when the command\n"
              "cannot be executed, 127 when it is not found, 128+N when killed by signal N.\n",
              f);
}

enum {
        OPT_ENV_FILE = 256,
        OPT_HOSTNAME,
        OPT_NET,
        OPT_TMPFS,
        OPT_READ_ONLY,
        OPT_NAME,
        OPT_CPUS,
        OPT_PIDS,
        OPT_CPUSET,
        OPT_CPU_WEIGHT,
        OPT_CPU_SHARES,
        OPT_IO_WEIGHT,
        OPT_CAP_ADD,
        OPT_CAP_DROP,
        OPT_SECCOMP,
        OPT_SECURITY_OPT,
        OPT_CACHE_DIR,
        OPT_VERBOSE,
        OPT_VERSION,
        OPT_RM,
        OPT_DEVICE,
        OPT_STORAGE_OPT,
        OPT_ENTRYPOINT,
};

static const struct option long_opts[] = {
        {"env", required_argument, NULL, 'e'},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
        {"hostname", required_argument, NULL, OPT_HOSTNAME},
        {"net", required_argument, NULL, OPT_NET},
        {"network", required_argument, NULL, OPT_NET},
        {"bind", required_argument, NULL, 'v'},
        {"volume", required_argument, NULL, 'v'},
        {"tmpfs", required_argument, NULL, OPT_TMPFS},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"storage-opt", required_argument, NULL, OPT_STORAGE_OPT},
        {"read-only", no_argument, NULL, OPT_READ_ONLY},
        {"name", required_argument, NULL, OPT_NAME},
        {"tty", no_argument, NULL, 't'},
        {"no-tty", no_argument, NULL, 'T'},
        {"interactive", no_argument, NULL, 'i'},
        {"rm", no_argument, NULL, OPT_RM},
        {"memory", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"pids", required_argument, NULL, OPT_PIDS},
        {"pids-limit", required_argument, NULL, OPT_PIDS},
        {"cpuset-cpus", required_argument, NULL, OPT_CPUSET},
        {"cpu-weight", required_argument, NULL, OPT_CPU_WEIGHT},
        {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
        {"io-weight", required_argument, NULL, OPT_IO_WEIGHT},
        {"cap-add", required_argument, NULL, OPT_CAP_ADD},
        {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
        {"seccomp", required_argument, NULL, OPT_SECCOMP},
        {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
};

static int bad_value(const char *opt, const char *val, const char *why)
{
        log_error("%s %s: %s (see --help)", opt, val, why);
        return EXIT_RUNROOT;
}

static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

/* The option as the user wrote it, for messages. */
static const char *opt_name(int c, int idx, char *buf, size_t len)
{
        if (idx >= 0)
                snprintf(buf, len, "--%s", long_opts[idx].name);
        else
                snprintf(buf, len, "-%c", c);
        return buf;
}

/* Apply one resource limit option (-m, --cpus, --pids, ...) to cfg: -1
 * to go on, else the exit status. */
static int apply_limit_opt(int c, const char *o, runner_config *cfg)
{
        switch (c) {
        case 'm':
                if (parse_size(optarg, &cfg->limits.memory) < 0 || cfg->limits.memory < 4096)
                        return bad_value(o, optarg, "expected a size such as 80M");
                break;
        case OPT_CPUS:
                if (cg_parse_cpus(optarg, &cfg->limits) < 0)
                        return bad_value(o, optarg, "expected a number of CPUs such as 0.5");
                break;
        case OPT_PIDS:
                if (!parse_int(optarg, 1, INT32_MAX, &cfg->limits.pids))
                        return bad_value(o, optarg, "expected a positive number");
                break;
        case OPT_CPUSET:
                if (!*optarg || strspn(optarg, "0123456789,-") != strlen(optarg))
                        return bad_value(o, optarg, "expected a CPU list such as 0-1,3");
                free(cfg->limits.cpuset_cpus);
                cfg->limits.cpuset_cpus = xstrdup(optarg);
                break;
        case OPT_CPU_WEIGHT:
                if (!parse_int(optarg, 1, 10000, &cfg->limits.cpu_weight))
                        return bad_value(o, optarg, "expected 1 to 10000");
                break;
        case OPT_CPU_SHARES:
                if (!parse_int(optarg, 2, 262144, &cfg->limits.cpu_shares))
                        return bad_value(o, optarg, "expected 2 to 262144");
                break;
        case OPT_IO_WEIGHT:
                if (!parse_int(optarg, 1, 10000, &cfg->limits.io_weight))
                        return bad_value(o, optarg, "expected 1 to 10000");
                break;
        default: break;
        }
        return -1;
}

/* --security-opt, as docker's (KEY=VALUE, or its older KEY:VALUE): -1
 * to go on, else the exit status. */
static int apply_security_opt(const char *o, const char *val, runner_config *cfg)
{
        size_t klen = strcspn(val, "=:");
        const char *v = val[klen] ? val + klen + 1 : NULL;
        if (klen == strlen("no-new-privileges") && !strncmp(val, "no-new-privileges", klen)) {
                if (!v || !strcmp(v, "true"))
                        cfg->sec.no_new_privs = true;
                else if (!strcmp(v, "false"))
                        cfg->sec.no_new_privs = false;
                else
                        return bad_value(o, val, "expected no-new-privileges[=true|false]");
                return -1;
        }
        if (klen == strlen("seccomp") && !strncmp(val, "seccomp", klen) && v) {
                if (!*v)
                        return bad_value(o, val,
                                         "expected seccomp=FILE.json or seccomp=unconfined");
                if (strcmp(v, "unconfined") != 0) {
                        /* docker's JSON profile, read and checked before
                         * anything runs (runner_run). */
                        cfg->sec.seccomp = true;
                        cfg->sec.seccomp_profile = v;
                        return -1;
                }
                log_warn("%s %s: the command runs without a seccomp filter", o, val);
                cfg->sec.seccomp = false;
                cfg->sec.seccomp_profile = NULL;
                return -1;
        }
        return bad_value(o, val,
                         "expected no-new-privileges[=true|false], seccomp=FILE.json or "
                         "seccomp=unconfined "
                         "(apparmor and label are not supported)");
}

/* What the command line says beyond the runner's config. */
typedef struct cli_opts {
        const char *entrypoint; /* --entrypoint: NULL when not given, "" to clear */
} cli_opts;

/* Apply one parsed option to cfg (or cli): -1 to go on, else the exit
 * status. */
static int apply_opt(int c, int idx, char **argv, runner_config *cfg, cli_opts *cli)
{
        char on[64];
        const char *o = opt_name(c, idx, on, sizeof on);
        switch (c) {
        case 'e': strv_push(&cfg->env, optarg); break;
        case OPT_ENV_FILE: strv_push(&cfg->env_files, optarg); break;
        case 'w':
                if (optarg[0] != '/')
                        return bad_value(o, optarg, "must be an absolute path");
                cfg->workdir = optarg;
                break;
        case 'u': cfg->user = optarg; break;
        case OPT_ENTRYPOINT: cli->entrypoint = optarg; break;
        case OPT_HOSTNAME:
                if (!*optarg || strlen(optarg) > 64)
                        return bad_value(o, optarg, "1 to 64 characters");
                cfg->hostname = optarg;
                break;
        case OPT_NET:
                if (!strcmp(optarg, "none"))
                        cfg->net = RUNNER_NET_NONE;
                else if (!strcmp(optarg, "host"))
                        cfg->net = RUNNER_NET_HOST;
                else
                        return bad_value(o, optarg, "expected none or host");
                break;
        case 'v':
                if (!strchr(optarg, ':'))
                        return bad_value(o, optarg, "expected SRC:DST[:ro]");
                strv_push(&cfg->binds, optarg);
                break;
        case OPT_TMPFS: strv_push(&cfg->tmpfs, optarg); break;
        case OPT_DEVICE: strv_push(&cfg->devices, optarg); break;
        case OPT_STORAGE_OPT:
                /* podman's; size is the one a tmpfs layer can have */
                if (strncmp(optarg, "size=", 5) != 0)
                        return bad_value(o, optarg, "only size=N is supported");
                if (parse_size(optarg + 5, &cfg->layer_size) < 0 || cfg->layer_size < 4096)
                        return bad_value(o, optarg, "expected a size of at least 4k, such as 2g");
                break;
        case OPT_READ_ONLY: cfg->read_only = true; break;
        case OPT_NAME: cfg->name = optarg; break;
        case 't': cfg->tty = 1; break;
        case 'T': cfg->tty = 0; break;
        case 'i':
        case OPT_RM: break;
        case 'm':
        case OPT_CPUS:
        case OPT_PIDS:
        case OPT_CPUSET:
        case OPT_CPU_WEIGHT:
        case OPT_CPU_SHARES:
        case OPT_IO_WEIGHT: return apply_limit_opt(c, o, cfg);
        case OPT_CAP_ADD: strv_push(&cfg->sec.cap_add, optarg); break;
        case OPT_CAP_DROP: strv_push(&cfg->sec.cap_drop, optarg); break;
        case OPT_SECCOMP:
                if (strcmp(optarg, "unconfined") != 0)
                        return bad_value(o, optarg, "only \"unconfined\" is supported");
                cfg->sec.seccomp = false;
                break;
        case OPT_SECURITY_OPT: return apply_security_opt(o, optarg, cfg);
        case OPT_CACHE_DIR: cfg->cache_dir = optarg; break;
        case 'q': log_set_level(LOG_QUIET); break;
        case OPT_VERBOSE: log_set_level(log_get_level() >= LOG_INFO ? LOG_DEBUG : LOG_INFO); break;
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: puts("runroot 0.1.0"); return 0;
        case ':':
                if (strncmp(argv[optind - 1], "--", 2) != 0 && optopt)
                        log_error("-%c: needs a value (see --help)", optopt);
                else
                        log_error("%s: needs a value (see --help)", argv[optind - 1]);
                return EXIT_RUNROOT;
        default:
                if (optopt && optopt != '?')
                        log_error("-%c: unknown option (see --help)", optopt);
                else
                        log_error("%s: unknown option or missing value (see --help)",
                                  argv[optind - 1]);
                return EXIT_RUNROOT;
        }
        return -1;
}

static int run_gc(const runner_config *cfg, int argc, char **argv)
{
        if (optind + 1 != argc) {
                log_error("gc: unexpected argument \"%s\"", argv[optind + 1]);
                return EXIT_RUNROOT;
        }
        err_t e = {0};
        unsigned removed = 0;
        if (runner_gc(cfg->cache_dir, &removed, &e) < 0) {
                log_error("gc: %s", e.msg);
                return EXIT_RUNROOT;
        }
        log_info("gc: removed %u unused cache entr%s", removed, removed == 1 ? "y" : "ies");
        return 0;
}

/* The command to run, as docker makes it: the Entrypoint (the image's, or
 * --entrypoint's one word, or none for "") followed by the command line's
 * arguments, or when there are none by the image's Cmd (dropped when
 * --entrypoint is given). Leaves cfg->argv as it is when nothing changes
 * it; else points it into args. */
static void image_argv(const runner_image_config *ic, const char *entrypoint, runner_config *cfg,
                       strv *args)
{
        bool have_cmd = ic->have_cmd && !entrypoint;
        if (entrypoint) {
                if (*entrypoint)
                        strv_push(args, entrypoint);
        } else if (ic->have_entrypoint) {
                for (size_t i = 0; i < ic->entrypoint.n; i++)
                        strv_push(args, ic->entrypoint.v[i]);
        } else if (!(have_cmd && !cfg->argv)) {
                return;
        }
        for (char **a = cfg->argv; a && *a; a++)
                strv_push(args, *a);
        for (size_t i = 0; have_cmd && !cfg->argv && i < ic->cmd.n; i++)
                strv_push(args, ic->cmd.v[i]);
        if (args->n)
                cfg->argv = args->v; /* NULL-terminated: the strv invariant */
}

static int run_main(int argc, char **argv, runner_config *cfg)
{
        cli_opts cli = {0};
        opterr = 0;
        /* docker's default: setuid and file capabilities work (within the
         * bounding set and the filter); --security-opt no-new-privileges. */
        cfg->sec.no_new_privs = false;
        for (;;) {
                int idx = -1;
                int c = getopt_long(argc, argv, "+:e:w:u:v:tTim:qh", long_opts, &idx);
                if (c == -1)
                        break;
                int r = apply_opt(c, idx, argv, cfg, &cli);
                if (r >= 0)
                        return r;
        }
        if (optind >= argc) {
                log_error("no image given (see --help)");
                return EXIT_RUNROOT;
        }
        struct stat st;
        if (!strcmp(argv[optind], "gc") && stat(argv[optind], &st) < 0)
                return run_gc(cfg, argc, argv);
        cfg->image = argv[optind];
        cfg->argv = optind + 1 < argc ? argv + optind + 1 : NULL;
        if (cfg->argv && !cfg->argv[0][0]) {
                log_error("empty command name");
                return EXIT_RUNROOT;
        }
        err_t e = {0};
        /* An OCI or docker-save image's config gives the defaults; the
         * command line wins. */
        runner_image_config ic = {0};
        if (runner_image_config_get(cfg->cache_dir, cfg->image, &ic, &e) < 0) {
                log_error("%s", e.msg);
                return EXIT_RUNROOT;
        }
        _cleanup_strv_ strv args = {0};
        image_argv(&ic, cli.entrypoint, cfg, &args);
        if (ic.env.n) {
                strv env = {0};
                for (size_t i = 0; i < ic.env.n; i++)
                        strv_push(&env, ic.env.v[i]);
                for (size_t i = 0; i < cfg->env.n; i++)
                        strv_push(&env, cfg->env.v[i]);
                strv_free(&cfg->env);
                cfg->env = env;
        }
        if (!cfg->workdir)
                cfg->workdir = ic.workdir;
        if (!cfg->user)
                cfg->user = ic.user;
        int r = runner_run(cfg, &e);
        runner_image_config_free(&ic);
        if (r < 0) {
                log_error("%s", e.msg);
                return EXIT_RUNROOT;
        }
        if (e.msg[0])
                log_error("%s", e.msg);
        return r;
}

int main(int argc, char **argv)
{
        log_init("runroot");
        /* Archive names in pax headers are UTF-8: a UTF-8 character type
         * lets libarchive hand them over unchanged. */
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
                setlocale(LC_CTYPE, "");
        runner_config cfg;
        runner_config_init(&cfg);
        int r = run_main(argc, argv, &cfg);
        runner_config_free(&cfg);
        return r;
}
