/* runroot: the dispatcher. The options (options.c) fill the runner's
 * config; the first word after them picks a subcommand (containers.c,
 * lifecycle.c) unless a file of that name is there, else it is the image,
 * whose config gives the defaults before the runner runs it. runc's
 * command line (ociruntime.c) is taken when it is wanted. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "cli.h"
#include "common.h"
#include "config.h"
#include "registry.h"
#include "runner.h"
#include "runroot.h"
#if MKROOT_HAVE_FETCH
#include "apt.h"
#endif

/* runroot gc [--cache-dir DIR]: the option is taken after "gc" too, as
 * --help writes it. */
static int run_gc(const runner_config *cfg, int argc, char **argv)
{
        const char *dir = cfg->cache_dir;
        for (int i = optind + 1; i < argc; i++) {
                if (!strcmp(argv[i], "--help")) {
                        runroot_gc_usage();
                        return 0;
                }
                if (!strcmp(argv[i], "--cache-dir") && i + 1 < argc)
                        dir = argv[++i];
                else if (!strncmp(argv[i], "--cache-dir=", 12) && argv[i][12])
                        dir = argv[i] + 12;
                else {
                        log_error("gc: unexpected argument \"%s\"", argv[i]);
                        return EXIT_RUNROOT;
                }
        }
        err_t e = {0};
        unsigned removed = 0;
        if (runner_gc(dir, &removed, &e) < 0) {
                log_error("gc: %s", e.msg);
                return EXIT_RUNROOT;
        }
        log_info("gc: removed %u unused cache entr%s", removed, removed == 1 ? "y" : "ies");
        return 0;
}

/* IMAGE given as a suite's name (bookworm), with no file of that name
 * here: what mkroot fetch keeps of it in the cache (cache/), as Base:
 * bookworm takes it. 0 with *ret_path set when found (else left NULL),
 * or EXIT_RUNROOT after the message. The cache is only read, and not made
 * when it is not there. */
static int image_from_suite(const runner_config *cfg, char **ret_path)
{
        const char *name = cfg->image;
        struct stat st;
        if (stat(name, &st) == 0 || errno != ENOENT || strpbrk(name, "/."))
                return 0;
        _cleanup_free_ char *dir = cfg->cache_dir ? xstrdup(cfg->cache_dir) : store_default_dir();
        err_t e = {0};
        int r = -ENOENT;
        if (stat(dir, &st) == 0) {
                store *s = NULL;
                r = store_open(dir, &s, &e);
                if (r == 0)
                        r = store_base_find(s, name, ret_path, &e);
                store_free(s);
        }
        if (r == 0)
                return 0;
        if (r != -ENOENT) {
                log_error("%s", e.msg);
                return EXIT_RUNROOT;
        }
#if MKROOT_HAVE_FETCH
        _cleanup_strv_ strv suites = {0};
        apt_suite_list(&suites);
        if (strv_contains(&suites, name)) {
                log_error("%s: no such file, and no fetched suite of that name (run: mkroot "
                          "fetch %s)",
                          name, name);
                return EXIT_RUNROOT;
        }
#endif
        return 0; /* the image's own "No such file or directory" follows */
}

/* IMAGE given as docker://REF, or as a bare REGISTRY/NAME[:TAG] with no
 * file of that name (registry_ref_wanted): pulled into the cache by digest
 * (registry/) unless it is there, then run as the OCI archive it is.
 * 0 with *ret_path set when pulled (else left NULL) and *ret_ref the
 * reference pinned to the digest (what ps and inspect show), or
 * EXIT_RUNROOT after the message. */
static int image_from_registry(const runner_config *cfg, const cli_opts *cli, char **ret_path,
                               char **ret_ref)
{
        struct stat st;
        if (stat(cfg->image, &st) == 0 || errno != ENOENT || !registry_ref_wanted(cfg->image))
                return 0;
        err_t e = {0};
        char digest[DIGEST_HEX_LEN + 1];
        if (registry_pull(cfg->cache_dir, cfg->image, &cli->reg, ret_path, digest, &e) < 0) {
                log_error("%s", e.msg);
                return EXIT_RUNROOT;
        }
        log_info("%s: sha256:%s", cfg->image, digest);
        *ret_ref = registry_ref_pinned(cfg->image, digest);
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

/* runroot -d: the id on stdout once the command runs. */
static int run_detached(runner_config *cfg, cli_opts *cli)
{
        if (cfg->tty == 1) {
                log_error("-t: not with -d (a detached container's output goes to its log; "
                          "runroot exec -it NAME sh gives a terminal)");
                return EXIT_RUNROOT;
        }
        err_t e = {0};
        _cleanup_free_ char *id = NULL, *name = NULL;
        if (runner_run_detached(cfg, &cli->d, &id, &name, &e) < 0) {
                log_error("%s", e.msg);
                return EXIT_RUNROOT;
        }
        puts(id);
        cfg->name = NULL;
        cfg->id = NULL;
        return fflush(stdout) == 0 ? 0 : EXIT_RUNROOT;
}
static int run_main(int argc, char **argv, runner_config *cfg)
{
        cli_opts cli = {.reg = REGISTRY_OPTS_INIT};
        /* docker's default: setuid and file capabilities work (within the
         * bounding set and the filter); --security-opt no-new-privileges. */
        cfg->sec.no_new_privs = false;
        int r = runroot_parse_opts(argc, argv, cfg, &cli);
        if (r >= 0)
                return r;
        struct stat st;
        /* A file of that name in the working directory is an image. */
        if (!strcmp(argv[optind], "gc") && stat(argv[optind], &st) < 0)
                return run_gc(cfg, argc, argv);
        if (!strcmp(argv[optind], "ps") && stat(argv[optind], &st) < 0)
                return runroot_ps_main(cfg->cache_dir, argc - optind, argv + optind);
        if (!strcmp(argv[optind], "rm") && stat(argv[optind], &st) < 0)
                return runroot_rm_main(cfg->cache_dir, argc - optind, argv + optind);
        static const struct {
                const char *name;
                int (*fn)(const char *cache_dir, int argc, char **argv);
        } subs[] = {
                {"logs", runroot_logs_main},       {"stop", runroot_stop_main},
                {"kill", runroot_kill_main},       {"wait", runroot_wait_main},
                {"inspect", runroot_inspect_main}, {"exec", runroot_exec_main},
        };
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
                if (!strcmp(argv[optind], subs[i].name) && stat(argv[optind], &st) < 0)
                        return subs[i].fn(cfg->cache_dir, argc - optind, argv + optind);
        cfg->image = argv[optind];
        cfg->argv = optind + 1 < argc ? argv + optind + 1 : NULL;
        if (cfg->argv && !cfg->argv[0][0]) {
                log_error("empty command name");
                return EXIT_RUNROOT;
        }
        if (cfg->privileged) {
                /* docker's: every capability (a --cap-drop still drops,
                 * as podman's), no seccomp filter whatever --security-opt
                 * said; the runner adds the host's devices and leaves
                 * /proc and /sys unmasked. */
                strv_push(&cfg->sec.cap_add, "ALL");
                cfg->sec.seccomp = false;
                cfg->sec.seccomp_profile = NULL;
                log_warn("--privileged: the container has every capability, no seccomp filter, "
                         "the host's devices and a writable /sys");
        }
        _cleanup_free_ char *fetched = NULL;
        r = image_from_suite(cfg, &fetched);
        if (r != 0)
                return r;
        if (fetched)
                cfg->image = fetched;
        _cleanup_free_ char *pulled = NULL, *pinned = NULL;
        r = image_from_registry(cfg, &cli, &pulled, &pinned);
        if (r != 0)
                return r;
        if (pulled) {
                cfg->image = pulled;
                cfg->image_ref = pinned;
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
        /* Under --env-file and -e (runner_config's order). */
        for (size_t i = 0; i < ic.env.n; i++)
                strv_push(&cfg->image_env, ic.env.v[i]);
        if (!cfg->workdir)
                cfg->workdir = ic.workdir;
        if (!cfg->user)
                cfg->user = ic.user;
        if (cli.detach) {
                r = run_detached(cfg, &cli);
                runner_image_config_free(&ic);
                return r;
        }
        r = runner_run(cfg, &e);
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
        /* The UTF-8 character type libarchive needs is set by extract/ when
         * it loads libarchive (la_load): a warm start, which unpacks
         * nothing, reads no locale files and maps none. */
        if (runroot_oci_wanted(argc, argv))
                return runroot_oci_main(argc, argv);
        runner_config cfg;
        runner_config_init(&cfg);
        int r = run_main(argc, argv, &cfg);
        runner_config_free(&cfg);
        return r;
}
