/* runroot's options (docker run's flags): the table, their values checked
 * and applied to the runner's config, and docker's options runroot lacks
 * named with what to use instead. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "runner.h"
#include "runroot.h"

enum {
        OPT_ENV_FILE = 256,
        OPT_HELP,
        OPT_INIT,
        OPT_ADD_HOST,
        OPT_DNS,
        OPT_SHM_SIZE,
        OPT_UNSUPPORTED, /* a docker run option runroot lacks: docker_unsupported */
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
        OPT_ULIMIT,
        OPT_MOUNT,
        OPT_PRIVILEGED,
        OPT_LOG_OPT,
        OPT_TLS_VERIFY,
        OPT_AUTHFILE,
};

static const struct option long_opts[] = {
        {"env", required_argument, NULL, 'e'},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
        {"hostname", required_argument, NULL, 'h'},
        {"add-host", required_argument, NULL, OPT_ADD_HOST},
        {"dns", required_argument, NULL, OPT_DNS},
        {"shm-size", required_argument, NULL, OPT_SHM_SIZE},
        {"init", no_argument, NULL, OPT_INIT},
        {"label", required_argument, NULL, 'l'},
        {"publish", required_argument, NULL, 'p'},
        {"publish-all", optional_argument, NULL, 'P'},
        {"detach", no_argument, NULL, 'd'},
        {"attach", optional_argument, NULL, 'a'},
        {"restart", optional_argument, NULL, OPT_UNSUPPORTED},
        {"expose", optional_argument, NULL, OPT_UNSUPPORTED},
        {"link", optional_argument, NULL, OPT_UNSUPPORTED},
        {"ip", optional_argument, NULL, OPT_UNSUPPORTED},
        {"ip6", optional_argument, NULL, OPT_UNSUPPORTED},
        {"mac-address", optional_argument, NULL, OPT_UNSUPPORTED},
        {"dns-search", optional_argument, NULL, OPT_UNSUPPORTED},
        {"dns-option", optional_argument, NULL, OPT_UNSUPPORTED},
        {"pid", optional_argument, NULL, OPT_UNSUPPORTED},
        {"ipc", optional_argument, NULL, OPT_UNSUPPORTED},
        {"uts", optional_argument, NULL, OPT_UNSUPPORTED},
        {"userns", optional_argument, NULL, OPT_UNSUPPORTED},
        {"cgroupns", optional_argument, NULL, OPT_UNSUPPORTED},
        {"platform", optional_argument, NULL, OPT_UNSUPPORTED},
        {"pull", optional_argument, NULL, OPT_UNSUPPORTED},
        {"log-driver", optional_argument, NULL, OPT_UNSUPPORTED},
        {"log-opt", required_argument, NULL, OPT_LOG_OPT},
        {"cidfile", optional_argument, NULL, OPT_UNSUPPORTED},
        {"memory-swap", optional_argument, NULL, OPT_UNSUPPORTED},
        {"cpu-quota", optional_argument, NULL, OPT_UNSUPPORTED},
        {"cpu-period", optional_argument, NULL, OPT_UNSUPPORTED},
        {"blkio-weight", optional_argument, NULL, OPT_UNSUPPORTED},
        {"group-add", optional_argument, NULL, OPT_UNSUPPORTED},
        {"sysctl", optional_argument, NULL, OPT_UNSUPPORTED},
        {"gpus", optional_argument, NULL, OPT_UNSUPPORTED},
        {"volumes-from", optional_argument, NULL, OPT_UNSUPPORTED},
        {"net", required_argument, NULL, OPT_NET},
        {"network", required_argument, NULL, OPT_NET},
        {"bind", required_argument, NULL, 'v'},
        {"volume", required_argument, NULL, 'v'},
        {"tmpfs", required_argument, NULL, OPT_TMPFS},
        {"mount", required_argument, NULL, OPT_MOUNT},
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
        {"ulimit", required_argument, NULL, OPT_ULIMIT},
        {"privileged", no_argument, NULL, OPT_PRIVILEGED},
        {"cap-add", required_argument, NULL, OPT_CAP_ADD},
        {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
        {"seccomp", required_argument, NULL, OPT_SECCOMP},
        {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
        {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},
        {"authfile", required_argument, NULL, OPT_AUTHFILE},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, OPT_HELP},
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

/* The runner's verdict r on a limit's value: -1 to go on, else the exit
 * status. A value beyond this machine (more CPUs than it has) is not a
 * matter of spelling: no "see --help". */
static int limit_value(const char *o, const char *val, int r, const err_t *e)
{
        if (r == 0)
                return -1;
        if (r != -E2BIG)
                return bad_value(o, val, e->msg);
        log_error("%s %s: %s", o, val, e->msg);
        return EXIT_RUNROOT;
}

/* Apply one resource limit option (-m, --cpus, --pids, ...) to cfg: -1
 * to go on, else the exit status. */
static int apply_limit_opt(int c, const char *o, runner_config *cfg)
{
        err_t e = {0};
        switch (c) {
        case 'm':
                if (parse_size(optarg, &cfg->limits.memory) < 0 || cfg->limits.memory < 4096)
                        return bad_value(o, optarg, "expected a size such as 80M");
                break;
        case OPT_CPUS: return limit_value(o, optarg, cg_parse_cpus(optarg, &cfg->limits, &e), &e);
        case OPT_PIDS:
                if (!parse_int(optarg, 1, INT32_MAX, &cfg->limits.pids))
                        return bad_value(o, optarg, "expected a positive number");
                break;
        case OPT_CPUSET:
                return limit_value(o, optarg, cg_parse_cpuset(optarg, &cfg->limits, &e), &e);
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

/* docker run's options runroot lacks, and what to do instead: said in one
 * line rather than "unknown option". */
static const struct {
        char short_opt;
        const char *name, *why;
} docker_unsupported[] = {
        {'P', "publish-all", "not supported; publish each port with -p HOSTPORT:CONTAINERPORT"},
        {'a', "attach",
         "not needed: stdin, stdout and stderr always reach the command; leave it out"},
        {0, "restart",
         "restart policies are not supported yet (the lifecycle issue); run it under "
         "systemd-run -p Restart=on-failure"},
        {0, "expose", "not needed: publish a port with -p HOSTPORT:CONTAINERPORT"},
        {0, "link",
         "container networks are not supported yet (the networking issue); use --net host"},
        {0, "ip",
         "container networks are not supported yet (the networking issue); use --net host"},
        {0, "ip6",
         "container networks are not supported yet (the networking issue); use --net host"},
        {0, "mac-address",
         "container networks are not supported yet (the networking issue); use --net host"},
        {0, "dns-search", "not supported yet; use --dns IP, or -v FILE:/etc/resolv.conf"},
        {0, "dns-option", "not supported yet; use --dns IP, or -v FILE:/etc/resolv.conf"},
        {0, "pid", "sharing a PID namespace is not supported; each run has its own"},
        {0, "ipc", "sharing an IPC namespace is not supported; each run has its own"},
        {0, "uts", "sharing a UTS namespace is not supported; set the host name with -h NAME"},
        {0, "userns", "not supported; runroot maps the caller's ids itself"},
        {0, "cgroupns", "not supported; each run has its own cgroup namespace"},
        {0, "platform", "not supported; the image runs on this machine's architecture"},
        {0, "pull", "not supported; runroot runs a local archive or directory (see mkroot fetch)"},
        {0, "log-driver",
         "not supported; a detached container's output goes to its json-file log (runroot "
         "logs NAME), a foreground one's to runroot's stdout and stderr"},
        {0, "cidfile",
         "not supported; runroot -d prints the container's id (runroot ps and inspect show "
         "it)"},
        {0, "memory-swap", "not supported; -m SIZE limits memory and swap together"},
        {0, "cpu-quota", "not supported; use --cpus N"},
        {0, "cpu-period", "not supported; use --cpus N"},
        {0, "blkio-weight", "not supported; use --io-weight N"},
        {0, "group-add", "not supported yet; use -u USER:GROUP or the image's /etc/group"},
        {0, "sysctl", "not supported yet"},
        {0, "gpus", "not supported; hand the device nodes in with --device"},
        {0, "volumes-from", "not supported; use -v SRC:DST with the same paths"},
};

static int unsupported(int c, const char *name, const char *o)
{
        for (size_t i = 0; i < ARRAY_SIZE(docker_unsupported); i++)
                if ((c != OPT_UNSUPPORTED && docker_unsupported[i].short_opt == c) ||
                    (c == OPT_UNSUPPORTED && name && !strcmp(docker_unsupported[i].name, name))) {
                        log_error("%s: %s", o, docker_unsupported[i].why);
                        return EXIT_RUNROOT;
                }
        log_error("%s: not supported", o);
        return EXIT_RUNROOT;
}

/* A host name of /etc/hosts: letters, digits, '.', '-' and '_', not
 * starting with '-' or '.'. */
static bool host_name_ok(const char *s, size_t len)
{
        if (!len || len > 253 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
                            s[i]))
                        return false;
        return true;
}

static bool ip_ok(const char *s)
{
        unsigned char buf[sizeof(struct in6_addr)];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* docker's options that need no daemon (--add-host, --dns, --shm-size,
 * --label, --init) and those runroot lacks: -1 to go on, else the exit
 * status. */
static int apply_docker_opt(int c, int idx, const char *o, runner_config *cfg)
{
        switch (c) {
        case OPT_ADD_HOST: {
                const char *colon = strchr(optarg, ':');
                if (!colon || !host_name_ok(optarg, (size_t)(colon - optarg)))
                        return bad_value(o, optarg,
                                         "expected NAME:IP, NAME of letters, digits, "
                                         "'.', '-' and '_'");
                if (!ip_ok(colon + 1))
                        return bad_value(o, optarg, "not an IPv4 or IPv6 address after NAME:");
                strv_push(&cfg->add_hosts, optarg);
                break;
        }
        case OPT_DNS:
                if (!ip_ok(optarg))
                        return bad_value(o, optarg, "expected an IPv4 or IPv6 address");
                strv_push(&cfg->dns, optarg);
                break;
        case OPT_SHM_SIZE:
                if (parse_size(optarg, &cfg->shm_size) < 0 || cfg->shm_size < 4096)
                        return bad_value(o, optarg, "expected a size of at least 4k, such as 64m");
                break;
        case 'l':
                if (optarg[0] == '=' || !strchr(optarg, '=') || strchr(optarg, '\n'))
                        return bad_value(o, optarg, "expected KEY=VALUE");
                break;
        case OPT_INIT: break;
        default: return unsupported(c, idx >= 0 ? long_opts[idx].name : NULL, o);
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

/* --log-opt max-size=SIZE,max-file=N (repeatable, comma-separated as
 * well): -1 to go on, else the exit status. */
static int apply_log_opt(const char *o, const char *val, cli_opts *cli)
{
        _cleanup_free_ char *copy = xstrdup(val);
        char *save = NULL;
        cli->log_opt = true;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                int64_t v;
                if (!strncmp(kv, "max-size=", 9)) {
                        if (parse_size(kv + 9, &v) < 0 || v < 1)
                                return bad_value(o, val, "max-size: expected a size such as 10m");
                        cli->d.log_max_size = v;
                } else if (!strncmp(kv, "max-file=", 9)) {
                        if (!parse_int(kv + 9, 1, 1000, &v))
                                return bad_value(o, val, "max-file: expected 1 to 1000");
                        cli->d.log_max_file = (int)v;
                } else {
                        return bad_value(o, val,
                                         "expected max-size=SIZE or max-file=N (json-file's "
                                         "options)");
                }
        }
        return -1;
}

/* --NAME=VALUE for an option that takes none (getopt_long's '?' with
 * optopt the option's value): said so when NAME is spelled in full, an
 * unknown option otherwise. */
static int long_opt_with_value(const char *arg, int val)
{
        size_t n = strcspn(arg + 2, "=");
        for (size_t i = 0; long_opts[i].name; i++)
                if (long_opts[i].val == val && strlen(long_opts[i].name) == n &&
                    !strncmp(long_opts[i].name, arg + 2, n)) {
                        log_error("--%s: takes no value (see --help)", long_opts[i].name);
                        return EXIT_RUNROOT;
                }
        log_error("%.*s: unknown option (see --help)", (int)(n + 2), arg);
        return EXIT_RUNROOT;
}

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
        case 'h':
                if (!*optarg || strlen(optarg) > 64)
                        return bad_value(o, optarg, "1 to 64 characters");
                cfg->hostname = optarg;
                break;
        case OPT_NET:
                cli->net = optarg;
                if (!strcmp(optarg, "none"))
                        cfg->net = RUNNER_NET_NONE;
                else if (!strcmp(optarg, "host"))
                        cfg->net = RUNNER_NET_HOST;
                else if (!strcmp(optarg, "private"))
                        cfg->net = RUNNER_NET_PRIVATE;
                else if (!strncmp(optarg, "container:", 10) && optarg[10]) {
                        cfg->net = RUNNER_NET_CONTAINER;
                        cfg->net_container = optarg + 10;
                } else
                        return bad_value(o, optarg,
                                         "expected none, host, private or container:NAME");
                break;
        case 'p': {
                err_t e = {0};
                if (runner_publish_check(optarg, &e) < 0) {
                        log_error("%s (see --help)", e.msg);
                        return EXIT_RUNROOT;
                }
                strv_push(&cfg->publish, optarg);
                break;
        }
        case 'v':
                if (!strchr(optarg, ':'))
                        return bad_value(o, optarg, "expected SRC:DST[:OPTS]");
                strv_push(&cfg->binds, optarg);
                break;
        case OPT_TMPFS: strv_push(&cfg->tmpfs, optarg); break;
        case OPT_MOUNT: {
                err_t e = {0};
                if (runner_mount_add(cfg, optarg, &e) < 0) {
                        log_error("%s", e.msg);
                        return EXIT_RUNROOT;
                }
                break;
        }
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
        case 'i': break;
        case OPT_RM: cli->d.remove = true; break;
        case 'd': cli->detach = true; break;
        case OPT_LOG_OPT: return apply_log_opt(o, optarg, cli);
        case 'm':
        case OPT_CPUS:
        case OPT_PIDS:
        case OPT_CPUSET:
        case OPT_CPU_WEIGHT:
        case OPT_CPU_SHARES:
        case OPT_IO_WEIGHT: return apply_limit_opt(c, o, cfg);
        case OPT_ULIMIT: strv_push(&cfg->ulimits, optarg); break;
        case OPT_PRIVILEGED: cfg->privileged = true; break;
        case OPT_CAP_ADD: strv_push(&cfg->sec.cap_add, optarg); break;
        case OPT_CAP_DROP: strv_push(&cfg->sec.cap_drop, optarg); break;
        case OPT_SECCOMP:
                if (strcmp(optarg, "unconfined") != 0)
                        return bad_value(o, optarg, "only \"unconfined\" is supported");
                cfg->sec.seccomp = false;
                break;
        case OPT_SECURITY_OPT: return apply_security_opt(o, optarg, cfg);
        case OPT_TLS_VERIFY:
                if (optarg && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0)
                        return bad_value(o, optarg, "expected true or false");
                cli->reg.tls_verify = !optarg || !strcmp(optarg, "true");
                break;
        case OPT_AUTHFILE: cli->reg.authfile = optarg; break;
        case OPT_CACHE_DIR: cfg->cache_dir = optarg; break;
        case 'q': log_set_level(LOG_QUIET); break;
        case OPT_VERBOSE: log_set_level(log_get_level() >= LOG_INFO ? LOG_DEBUG : LOG_INFO); break;
        case OPT_ADD_HOST:
        case OPT_DNS:
        case OPT_SHM_SIZE:
        case OPT_INIT:
        case 'l':
        case 'P':
        case 'a':
        case OPT_UNSUPPORTED: return apply_docker_opt(c, idx, o, cfg);
        case OPT_HELP: runroot_usage(stdout); return 0;
        case OPT_VERSION: puts("runroot 0.1.0"); return 0;
        case ':':
                if (strncmp(argv[optind - 1], "--", 2) != 0 && optopt)
                        log_error("-%c: needs a value (see --help)", optopt);
                else
                        log_error("%s: needs a value (see --help)", argv[optind - 1]);
                return EXIT_RUNROOT;
        default:
                if (!strncmp(argv[optind - 1], "--", 2) && optopt)
                        return long_opt_with_value(argv[optind - 1], optopt);
                if (optopt && optopt != '?')
                        log_error("-%c: unknown option (see --help)", optopt);
                else
                        log_error("%s: unknown option or missing value (see --help)",
                                  argv[optind - 1]);
                return EXIT_RUNROOT;
        }
        return -1;
}

/* getopt_long takes any unambiguous abbreviation (--pid for --pids):
 * only the name spelled out in full is, as docker does. */
static bool long_opt_in_full(const char *arg, const char *name)
{
        if (arg && !strncmp(arg, "--", 2)) {
                size_t n = strcspn(arg + 2, "=");
                if (n == strlen(name) && !strncmp(arg + 2, name, n))
                        return true;
                log_error("%.*s: unknown option (see --help)", (int)(n + 2), arg);
                return false;
        }
        log_error("%s: unknown option (see --help)", arg ? arg : "?");
        return false;
}

/* Parse the options before IMAGE into cfg and cli: -1 to go on (optind
 * at IMAGE), else the exit status (0 after --help or --version). */
int runroot_parse_opts(int argc, char **argv, runner_config *cfg, cli_opts *cli)
{
        opterr = 0;
        for (;;) {
                int idx = -1, at = optind;
                int c = getopt_long(argc, argv, "+:e:w:u:v:tTim:qh:l:p:P::da::", long_opts, &idx);
                if (c == -1)
                        break;
                if (idx >= 0 && !long_opt_in_full(argv[at], long_opts[idx].name))
                        return EXIT_RUNROOT;
                int r = apply_opt(c, idx, argv, cfg, cli);
                if (r >= 0)
                        return r;
        }
        if (optind >= argc) {
                log_error("no image given (see --help)");
                return EXIT_RUNROOT;
        }
        /* docker's -p works with its default network; runroot's default
         * has none to publish on, so -p alone selects --net private. */
        if (cfg->publish.n && !cli->net)
                cfg->net = RUNNER_NET_PRIVATE;
        if (cfg->publish.n && cfg->net != RUNNER_NET_PRIVATE) {
                log_error("-p: not with --net %s (published ports need --net private)", cli->net);
                return EXIT_RUNROOT;
        }
        if (cli->log_opt && !cli->detach) {
                log_error("--log-opt: only with -d (a foreground run's output goes to runroot's "
                          "stdout and stderr)");
                return EXIT_RUNROOT;
        }
        return -1;
}
