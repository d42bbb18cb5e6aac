/* runroot as an OCI runtime: the commands on a container's cgroup, as
 * runc's: ps (its pids), pause and resume (the freezer), update (its
 * limits). The cgroup is the one create recorded for the container: the
 * one runroot made, or the one config.json's cgroupsPath named. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ociruntime.h"

/* The cgroup of a container that is not stopped: 1 with the message
 * printed otherwise. */
static int open_cgroup(const ctr *c, cgroup **ret)
{
        if (!strcmp(c->status, "stopped")) {
                log_error("container %s: container not running", c->id);
                return 1;
        }
        err_t e = {0};
        if (oci_ctr_cgroup(c, ret, &e) < 0) {
                log_error("container %s: %s", c->id, e.msg);
                return 1;
        }
        return 0;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

/* ps's table (ps -ef, or the options given) for those pids only. */
static int ps_table(const pid_t *pids, size_t n, char **ps_args)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                return 1;
        }
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
                dup2(p[1], 1);
                static char *def[] = {"ps", "-ef", NULL};
                char *argv[66] = {"ps"};
                size_t k = 1;
                for (char **a = ps_args; a && *a && k < 65; a++)
                        argv[k++] = *a;
                execvp("ps", ps_args && *ps_args ? argv : def);
                log_error("ps: %s", strerror(errno));
                _exit(127);
        }
        close(p[1]);
        FILE *f = child > 0 ? fdopen(p[0], "re") : NULL;
        if (!f) {
                close(p[0]);
                log_error("ps: %s", strerror(errno));
                return 1;
        }
        char *line = NULL;
        size_t cap = 0;
        int col = -1;
        for (bool first = true; getline(&line, &cap, f) > 0; first = false) {
                /* The header says which column the pid is in. */
                char *save = NULL, *copy = xstrdup(line);
                int i = 0;
                long pid = -1;
                for (char *w = strtok_r(copy, " \t\n", &save); w;
                     w = strtok_r(NULL, " \t\n", &save), i++) {
                        if (first && !strcmp(w, "PID"))
                                col = i;
                        else if (!first && i == col)
                                pid = strtol(w, NULL, 10);
                }
                free(copy);
                if (first ||
                    (pid > 0 && bsearch(&(pid_t){(pid_t)pid}, pids, n, sizeof *pids, cmp_pid)))
                        fputs(line, stdout);
                if (first && col < 0) {
                        log_error("ps: no PID column in its output");
                        break;
                }
        }
        free(line);
        fclose(f);
        int st = 0;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
                ;
        return col < 0 || !WIFEXITED(st) || WEXITSTATUS(st) ? 1 : 0;
}

int oci_cmd_ps(int argc, char **argv)
{
        bool json = false;
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc) {
                        const char *f = argv[++i];
                        if (strcmp(f, "json") && strcmp(f, "table"))
                                return oci_usage_error("ps", "--format: expected json or table");
                        json = !strcmp(f, "json");
                } else if (!strcmp(argv[i], "--format=json") || !strcmp(argv[i], "--format=table"))
                        json = !strcmp(argv[i], "--format=json");
                else if (!strcmp(argv[i], "--")) {
                        i++;
                        break;
                } else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[i]);
                        return oci_usage_error("ps", m);
                }
        }
        if (i >= argc)
                return oci_usage_error("ps", "expected a container id");
        if (json && argc > i + 1)
                return oci_usage_error("ps", "ps options go with --format table");
        ctr c;
        int r = oci_ctr_load(argv[i], &c);
        if (r)
                return r;
        /* A stopped one has no processes: ps's header alone, or runc's
         * null. */
        if (!strcmp(c.status, "stopped")) {
                pid_t none = 0;
                if (json)
                        printf("null\n");
                r = json ? 0 : ps_table(&none, 0, argv + i + 1);
                oci_ctr_free(&c);
                return r;
        }
        cgroup *cg = NULL;
        r = open_cgroup(&c, &cg);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        err_t e = {0};
        if (r == 0 && cg_pids(cg, &pids, &n, &e) < 0) {
                log_error("container %s: %s", c.id, e.msg);
                r = 1;
        }
        if (r == 0 && n)
                qsort(pids, n, sizeof *pids, cmp_pid);
        if (r == 0 && json) {
                printf("[");
                for (size_t k = 0; k < n; k++)
                        printf("%s%d", k ? "," : "", (int)pids[k]);
                printf("]\n");
        } else if (r == 0) {
                r = ps_table(pids, n, argv + i + 1);
        }
        cg_free(cg);
        oci_ctr_free(&c);
        return r;
}

/* pause and resume. */
static int freeze_cmd(int argc, char **argv, bool frozen)
{
        const char *cmd = frozen ? "pause" : "resume";
        ctr c;
        int r = oci_one_id(argc, argv, cmd, &c);
        if (r)
                return r;
        bool paused = !strcmp(c.status, "paused");
        if (frozen && paused)
                log_error("container %s: container already paused", c.id);
        else if (!frozen && !paused)
                log_error("container %s: container not paused", c.id);
        cgroup *cg = NULL;
        r = frozen == paused ? 1 : open_cgroup(&c, &cg);
        err_t e = {0};
        if (r == 0 && cg_freeze(cg, frozen, &e) < 0) {
                log_error("%s %s: %s", cmd, c.id, e.msg);
                r = 1;
        }
        cg_free(cg);
        oci_ctr_free(&c);
        return r;
}

int oci_cmd_pause(int argc, char **argv)
{
        return freeze_cmd(argc, argv, true);
}

int oci_cmd_resume(int argc, char **argv)
{
        return freeze_cmd(argc, argv, false);
}

/* A byte count as runc takes it: a number with an optional k, m, g or t
 * (binary multiples, with or without b). */
static int parse_bytes(const char *s, int64_t *ret)
{
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*s || errno || v < -1 || end == s)
                return -EINVAL;
        const char *units = "kmgt";
        const char *u = *end ? strchr(units, *end | 0x20) : NULL;
        if (*end && !u)
                return -EINVAL;
        if (u) {
                end++;
                if (*end == 'b' || *end == 'B')
                        end++;
                for (const char *x = units; x <= u; x++) {
                        if (v > INT64_MAX / 1024)
                                return -ERANGE;
                        v *= 1024;
                }
        }
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_num(const char *opt, const char *s, int64_t min, int64_t max, int64_t *ret)
{
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*s || *end || errno || v < min || v > max) {
                char m[128];
                snprintf(m, sizeof m, "--%s %.32s: expected a number from %lld to %lld", opt, s,
                         (long long)min, (long long)max);
                return oci_usage_error("update", m);
        }
        *ret = v;
        return 0;
}

static int update_opts(int argc, char **argv, cg_limits *l, const char **ret_id)
{
        static const struct option opts[] = {
                {"memory", required_argument, NULL, 'm'},
                {"cpu-quota", required_argument, NULL, 'q'},
                {"cpu-period", required_argument, NULL, 'p'},
                {"cpu-shares", required_argument, NULL, 's'},
                {"pids-limit", required_argument, NULL, 'P'},
                {"resources", required_argument, NULL, 'r'},
                {NULL, 0, NULL, 0},
        };
        optind = 1;
        opterr = 0;
        int c, r = 0;
        bool period = false;
        const char *file = NULL;
        while (r == 0 && (c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        if (parse_bytes(optarg, &l->memory) < 0)
                                return oci_usage_error("update", "--memory: expected bytes "
                                                                 "(a number, k, m or g after it)");
                        break;
                case 'q': r = parse_num("cpu-quota", optarg, -1, INT64_MAX, &l->cpu_quota); break;
                case 'p':
                        r = parse_num("cpu-period", optarg, 1000, 1000000, &l->cpu_period);
                        period = true;
                        break;
                case 's': r = parse_num("cpu-shares", optarg, 2, 262144, &l->cpu_shares); break;
                case 'P': r = parse_num("pids-limit", optarg, -1, INT64_MAX, &l->pids); break;
                case 'r': file = optarg; break;
                default:
                        if (optopt && optopt != '?')
                                return oci_usage_error("update", "an option needs a value");
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown option", argv[optind - 1]);
                        return oci_usage_error("update", m);
                }
        }
        if (r)
                return r;
        if (optind != argc - 1)
                return oci_usage_error("update", "expected one container id");
        *ret_id = argv[optind];
        if (period && l->cpu_quota < 0)
                return oci_usage_error("update", "--cpu-period: give --cpu-quota with it");
        if (file) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                err_t e = {0};
                int fr = !strcmp(file, "-")
                                 ? fd_read_all(0, 1 << 20, &text, &len)
                                 : fs_read_file_at(AT_FDCWD, file, 1 << 20, &text, &len, &e);
                if (fr < 0) {
                        log_error("update: --resources %s: %s", file,
                                  e.msg[0] ? e.msg : strerror(-fr));
                        return EXIT_OCI;
                }
                _cleanup_strv_ strv warnings = {0};
                cg_limits fl;
                if (runner_oci_resources_parse(text, len, &fl, &warnings, &e) < 0) {
                        log_error("update: --resources %s: %s", file, e.msg);
                        return EXIT_OCI;
                }
                for (size_t i = 0; i < warnings.n; i++)
                        log_warn("--resources %s: %s", file, warnings.v[i]);
                /* The command line's options win over the file's. */
                if (l->memory < 0)
                        l->memory = fl.memory;
                if (l->cpu_quota < 0) {
                        l->cpu_quota = fl.cpu_quota;
                        l->cpu_period = fl.cpu_period;
                }
                if (l->cpu_shares < 0)
                        l->cpu_shares = fl.cpu_shares;
                if (l->pids < 0)
                        l->pids = fl.pids;
                /* (no option of its own for these) */
                l->cpuset_cpus = fl.cpuset_cpus;
                memcpy(l->cpuset_mems, fl.cpuset_mems, sizeof l->cpuset_mems);
                l->memory_low = fl.memory_low;
                l->memory_swap = fl.memory_swap;
                l->swappiness = fl.swappiness;
                l->oom_kill_disable = fl.oom_kill_disable;
                l->cpu_burst = fl.cpu_burst;
                l->cpu_idle = fl.cpu_idle;
                l->cpu_rt_set = fl.cpu_rt_set;
                l->cpu_rt_period = fl.cpu_rt_period;
                l->cpu_rt_runtime = fl.cpu_rt_runtime;
                l->io_weight = fl.io_weight;
                l->io_weight_blkio = fl.io_weight_blkio;
                memcpy(l->throttle, fl.throttle, sizeof l->throttle);
                l->nthrottle = fl.nthrottle;
        }
        return 0;
}

int oci_cmd_update(int argc, char **argv)
{
        cg_limits l;
        cg_limits_init(&l);
        const char *id = NULL;
        int r = update_opts(argc, argv, &l, &id);
        /* --resources' cpus string, freed on every return */
        _cleanup_free_ char *cpus __attribute__((unused)) = l.cpuset_cpus;
        if (r)
                return r;
        ctr c;
        if ((r = oci_ctr_load(id, &c)))
                return r;
        cgroup *cg = NULL;
        r = open_cgroup(&c, &cg);
        err_t e = {0};
        if (r == 0 && cg_update(cg, &l, &e) < 0) {
                log_error("update %s: %s", c.id, e.msg);
                r = 1;
        }
        cg_free(cg);
        oci_ctr_free(&c);
        return r;
}
