/* mkroot [--add] PATH[:DEST]...: an image of host files with everything
 * they load (builder/add.h), written as a tarball, an initramfs or a
 * one-layer OCI/docker archive; with --base, a layer on a base image
 * (the one-line form of a manifest, built as mkroot build does). */
#include <getopt.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "add.h"
#include "builder.h"
#include "dpkg.h"
#include "image.h"
#include "mkroot.h"
#include "resolve.h"
#include "runner.h"
#include "stage.h"
#include "trace.h"

typedef struct add_args {
        strv adds;     /* PATH[:DEST], from --add and the operands, in order */
        strv packages; /* --package NAME */
        strv traces;   /* --trace 'CMD ARGS' */
        const char *trace_report;
        bool package_no_deps, tz, trace_net;
        mkroot_format format; /* the image writer's and the layer format follow from it */
        bool format_set;      /* --format given: it wins over what -o's name says */
        const char *output, *init, *base, *root, *library_path;
        bool deps_all, nss, skeleton, allow_missing;
        image_compress compress;
        int level;
} add_args;

static void add_args_done(add_args *a)
{
        strv_free(&a->adds);
        strv_free(&a->packages);
        strv_free(&a->traces);
}

enum {
        OPT_COMPRESS = 256,
        OPT_LEVEL,
        OPT_FORMAT,
        OPT_INIT,
        OPT_ROOT,
        OPT_LIBPATH,
        OPT_NSS,
        OPT_NO_SKELETON,
        OPT_ALLOW_MISSING,
        OPT_VERSION,
        OPT_BASE,
        OPT_DEPS,
        OPT_PACKAGE,
        OPT_PACKAGE_NO_DEPS,
        OPT_TZ,
        OPT_TRACE,
        OPT_TRACE_REPORT,
        OPT_TRACE_NET,
};

/* The value of one option that takes an argument it checks. */
static int parse_value(int opt, const char *arg, add_args *a)
{
        char *end;
        long v;
        switch (opt) {
        case OPT_COMPRESS:
                if (image_compress_parse(arg, &a->compress) < 0)
                        return mkroot_usage(
                                NULL,
                                "--compress: unknown compression '%s' (gzip, zstd, xz, bzip2, "
                                "lz4, lzip, none)",
                                arg);
                break;
        case OPT_LEVEL:
                v = strtol(arg, &end, 10);
                if (*end || v < 1 || v > 22)
                        return mkroot_usage(NULL, "--level: '%s' is not a level from 1 to 22", arg);
                a->level = (int)v;
                break;
        case OPT_FORMAT:
                if (mkroot_format_arg(NULL, arg, &a->format) != MKROOT_CONTINUE)
                        return EXIT_USAGE;
                a->format_set = true;
                break;
        case OPT_DEPS:
                if (strcmp(arg, "all") && strcmp(arg, "missing"))
                        return mkroot_usage(NULL, "--deps: '%s' (all or missing)", arg);
                a->deps_all = !strcmp(arg, "all");
                break;
        default: abort();
        }
        return MKROOT_CONTINUE;
}

static int parse_args(int argc, char **argv, add_args *a)
{
        static const struct option opts[] = {
                {"add", required_argument, NULL, 'a'},
                {"output", required_argument, NULL, 'o'},
                {"compress", required_argument, NULL, OPT_COMPRESS},
                {"level", required_argument, NULL, OPT_LEVEL},
                {"format", required_argument, NULL, OPT_FORMAT},
                {"init", required_argument, NULL, OPT_INIT},
                {"root", required_argument, NULL, OPT_ROOT},
                {"library-path", required_argument, NULL, OPT_LIBPATH},
                {"nss", no_argument, NULL, OPT_NSS},
                {"no-skeleton", no_argument, NULL, OPT_NO_SKELETON},
                {"allow-missing", no_argument, NULL, OPT_ALLOW_MISSING},
                {"quiet", no_argument, NULL, 'q'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {"base", required_argument, NULL, OPT_BASE},
                {"deps", required_argument, NULL, OPT_DEPS},
                {"package", required_argument, NULL, OPT_PACKAGE},
                {"package-no-deps", no_argument, NULL, OPT_PACKAGE_NO_DEPS},
                {"tz", no_argument, NULL, OPT_TZ},
                {"trace", required_argument, NULL, OPT_TRACE},
                {"trace-report", required_argument, NULL, OPT_TRACE_REPORT},
                {"trace-net", no_argument, NULL, OPT_TRACE_NET},
                {0},
        };
        int c, r;
        while ((c = getopt_long(argc, argv, "a:o:qvh", opts, NULL)) != -1) {
                switch (c) {
                case 'a': strv_push(&a->adds, optarg); break;
                case 'o': a->output = optarg; break;
                case OPT_COMPRESS:
                case OPT_LEVEL:
                case OPT_FORMAT:
                case OPT_DEPS:
                        if ((r = parse_value(c, optarg, a)) != MKROOT_CONTINUE)
                                return r;
                        break;
                case OPT_INIT: a->init = optarg; break;
                case OPT_BASE: a->base = optarg; break;
                case OPT_ROOT: a->root = optarg; break;
                case OPT_LIBPATH: a->library_path = optarg; break;
                case OPT_NSS: a->nss = true; break;
                case OPT_NO_SKELETON: a->skeleton = false; break;
                case OPT_ALLOW_MISSING: a->allow_missing = true; break;
                case OPT_PACKAGE: strv_push(&a->packages, optarg); break;
                case OPT_PACKAGE_NO_DEPS: a->package_no_deps = true; break;
                case OPT_TZ: a->tz = true; break;
                case OPT_TRACE: strv_push(&a->traces, optarg); break;
                case OPT_TRACE_REPORT: a->trace_report = optarg; break;
                case OPT_TRACE_NET: a->trace_net = true; break;
                case 'q': log_set_level(LOG_QUIET); break;
                case 'v': log_set_level(LOG_DEBUG); break;
                case 'h': return mkroot_help();
                case OPT_VERSION: return mkroot_version();
                default: return mkroot_try_help(NULL);
                }
        }
        for (int i = optind; i < argc; i++)
                strv_push(&a->adds, argv[i]);
        return MKROOT_CONTINUE;
}

/* Combinations the options do not allow. */
static int validate(const add_args *a)
{
        if (a->adds.n == 0 && !a->init && a->packages.n == 0 && a->traces.n == 0)
                return mkroot_usage(NULL, "%s",
                                    "nothing to add: give paths (mkroot /bin/bash) or --add PATH");
        bool extras = a->packages.n || a->traces.n || a->tz || a->trace_report;
        if (a->base && extras)
                return mkroot_usage(NULL, "%s",
                                    "--package, --trace, --tz and --trace-report: not with --base");
        if (a->root && a->traces.n)
                return mkroot_usage(NULL, "%s",
                                    "--trace runs the host's programs: not with --root");
        if (a->trace_net && !a->traces.n)
                return mkroot_usage(NULL, "%s", "--trace-net needs --trace");
        if (a->package_no_deps && !a->packages.n)
                return mkroot_usage(NULL, "%s", "--package-no-deps needs --package");
        for (size_t i = 0; i < a->packages.n; i++)
                if (!a->packages.v[i][0])
                        return mkroot_usage(NULL, "%s", "--package: empty name");
        if (a->init && a->format != MKROOT_FORMAT_INITRAMFS)
                return mkroot_usage(NULL, "%s", "--init needs --format initramfs");
        if (a->base && (a->init || a->root || a->nss || a->format == MKROOT_FORMAT_INITRAMFS))
                return mkroot_usage(
                        NULL, "%s",
                        "--base builds layers: not with --init, --root, --nss or initramfs");
        return MKROOT_CONTINUE;
}

/* With --base: a manifest of the base and one Add step. */
static int add_on_base(const add_args *a, const image_opts *io)
{
        _cleanup_sb_ strbuf text = {0};
        sb_append(&text, "Add:");
        for (size_t i = 0; i < a->adds.n; i++)
                sb_appendf(&text, " %s", a->adds.v[i]);
        lay_step step = {.kind = LAY_STEP_ADD,
                         .args = a->adds,
                         .text = text.s,
                         .skeleton = !strcmp(a->base, "scratch") && a->skeleton};
        lay_manifest m = {
                .base = (char *)a->base, .dir = (char *)".", .steps = &step, .n_steps = 1};
        lay_build_opts bo = {.deps_all = a->deps_all, .allow_missing = a->allow_missing};
        return mkroot_build_write(&m, &bo, a->format, a->output, io);
}

/* "SRC:DEST" when DEST is absolute, else just SRC. */
static void split_add(const char *arg, char **ret_src, char **ret_dest)
{
        const char *colon = strrchr(arg, ':');
        if (colon && colon[1] == '/' && colon != arg) {
                *ret_src = xstrndup(arg, (size_t)(colon - arg));
                *ret_dest = xstrdup(colon + 1);
        } else {
                *ret_src = xstrdup(arg);
                *ret_dest = NULL;
        }
}

/* --package: each package of the closure with its files. */
static int stage_packages(const add_args *a, adder *ad, err_t *e)
{
        dpkg_db *db = NULL;
        int r = dpkg_db_open(a->root, &db, e);
        if (r < 0)
                return r;
        _cleanup_strv_ strv pkgs = {0};
        r = dpkg_closure(db, &a->packages, !a->package_no_deps, &pkgs, e);
        _cleanup_strv_ strv reasons = {0};
        for (size_t i = 0; r == 0 && i < pkgs.n; i++)
                strv_push_take(&reasons, xasprintf("package %s", pkgs.v[i]));
        for (size_t i = 0; r == 0 && i < pkgs.n; i++) {
                _cleanup_strv_ strv files = {0};
                log_info("adding package %s", pkgs.v[i]);
                r = dpkg_files(db, a->root, pkgs.v[i], &files, e);
                if (r < 0)
                        break;
                adder_set_reason(ad, reasons.v[i]);
                r = adder_add_listed(ad, &files, e);
        }
        adder_set_reason(ad, NULL);
        dpkg_db_free(db);
        /* The reasons are copied into the adder's map as it stages. */
        return r;
}

/* --trace: run each command in a sandbox of the host under the tracer,
 * then add what it opened, executed and listed. *ret_tz: a zone file was
 * among them. */
static int stage_traces(const add_args *a, adder *ad, bool *ret_tz, err_t *e)
{
        char cwd[PATH_MAX];
        const char *workdir = getcwd(cwd, sizeof cwd) ? cwd : "/";
        adder_set_reason(ad, "trace");
        for (size_t i = 0; i < a->traces.n; i++) {
                const char *cmd = a->traces.v[i];
                _cleanup_strv_ strv argv = {0};
                int r = trace_split(cmd, &argv, e);
                if (r < 0)
                        return err_prefix(e, "--trace");
                _cleanup_close_ int fd = memfd_create("mkroot-trace", MFD_CLOEXEC);
                if (fd < 0)
                        return err_sys(e, errno, "--trace '%s': memfd", cmd);
                log_info("tracing %s", cmd);
                runner_sandbox sb = {.argv = argv.v,
                                     .workdir = workdir,
                                     .net = a->trace_net,
                                     .before_exec = trace_before_exec,
                                     .ctx = &fd,
                                     .keep_fd = fd};
                e->msg[0] = '\0';
                r = runner_sandbox_host(&sb, e);
                if (r < 0)
                        return err_prefix(e, "--trace '%s'", cmd);
                /* Nothing ran: nothing to learn from the trace. */
                if ((r == 126 || r == 127) && e->msg[0])
                        return err_prefix(e, "--trace '%s'", cmd);
                if (r != 0 && e->msg[0])
                        log_warn("--trace '%s': %s (what it opened is added all the same)", cmd,
                                 e->msg);
                else if (r != 0)
                        log_warn("--trace '%s': exited with status %d (what it opened is "
                                 "added all the same)",
                                 cmd, r);
                off_t len = lseek(fd, 0, SEEK_END);
                if (len < 0 || lseek(fd, 0, SEEK_SET) < 0)
                        return err_sys(e, errno, "--trace '%s': its log", cmd);
                _cleanup_free_ char *data = xmalloc((size_t)len + 1);
                ssize_t got = fd_read(fd, data, (size_t)len);
                if (got != len)
                        return err_sys(e, got < 0 ? (int)-got : EIO, "--trace '%s': its log", cmd);
                trace_log l = {0};
                r = trace_log_parse(data, (size_t)len, "trace log", &l, e);
                if (r < 0)
                        return err_prefix(e, "--trace '%s'", cmd);
                for (size_t k = 0; k < l.paths.n; k++)
                        if (!strncmp(l.paths.v[k], "/usr/share/zoneinfo/", 20))
                                *ret_tz = true;
                r = adder_add_listed(ad, &l.paths, e);
                if (r == 0)
                        r = adder_add_dirs(ad, &l.dirs, e);
                trace_log_free(&l);
                if (r < 0)
                        return err_prefix(e, "--trace '%s'", cmd);
        }
        adder_set_reason(ad, NULL);
        return 0;
}

/* Stage the paths, --init, --nss, the merged-/usr links and the skeleton. */
static int stage_all(const add_args *a, adder *ad, stage *s, err_t *e)
{
        adder_set_reason(ad, "add");
        for (size_t i = 0; i < a->adds.n; i++) {
                _cleanup_free_ char *src = NULL, *dest = NULL;
                split_add(a->adds.v[i], &src, &dest);
                log_info("adding %s", src);
                if (adder_add(ad, src, dest, e) < 0)
                        return -1;
        }
        if (a->init && adder_add(ad, a->init, "/init", e) < 0)
                return -1;
        if (a->nss && adder_add_nss(ad, e) < 0)
                return -1;
        adder_set_reason(ad, NULL);
        if (a->packages.n && stage_packages(a, ad, e) < 0)
                return -1;
        bool tz = a->tz;
        if (a->traces.n && stage_traces(a, ad, &tz, e) < 0)
                return -1;
        adder_rule_opts ro = {.tz = tz, .tls = a->packages.n || a->traces.n};
        if (adder_rules(ad, &ro, e) < 0)
                return -1;
        adder_set_reason(ad, "merged /usr link");
        if (adder_finish(ad, e) < 0)
                return -1;
        adder_set_reason(ad, NULL);
        if (a->skeleton && skeleton_add(s, e) < 0)
                return -1;
        adder_warn(ad);
        if (a->trace_report && adder_report(ad, a->trace_report, e) < 0)
                return -1;
        return 0;
}

/* Without --base: the host's files (or --root's) staged and written. */
static int add_from_root(const add_args *a, const image_opts *io)
{
        double t0 = mkroot_now();
        err_t e = {0};
        resolver *r = NULL;
        resolver_opts ro = {.root = a->root, .library_path = a->library_path};
        if (resolver_new(&ro, &r, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        stage *s = stage_new();
        adder *ad = adder_new(r, s, a->root, &(add_opts){.allow_missing = a->allow_missing});
        lay_format lf = mkroot_lay_format(a->format);
        int ret = stage_all(a, ad, s, &e) < 0 ? 1 : 0;
        bool reported = ret == 0 && a->trace_report;
        if (ret == 0 && lf != LAY_FORMAT_ROOTFS) {
                if (lay_write_stage(s, lf, a->output, "mkroot --add", NULL, &e) < 0)
                        ret = 1;
        } else if (ret == 0 && image_write(s, a->output, io, &e) < 0)
                ret = 1;
        if (ret == 0)
                mkroot_wrote(a->output, stage_count(s), "file", t0);
        else
                log_error("%s", e.msg);
        /* The report went out before the image: no report of an image that
         * is not there. */
        if (ret != 0 && reported)
                (void)unlink(a->trace_report);
        adder_free(ad);
        stage_free(s);
        resolver_free(r);
        return ret;
}

int mkroot_add_main(int argc, char **argv)
{
        _cleanup_(add_args_done) add_args a = {.format = MKROOT_FORMAT_ROOTFS,
                                               .library_path = getenv("LD_LIBRARY_PATH"),
                                               .skeleton = true,
                                               .compress = IMAGE_COMPRESS_AUTO};
        int r = parse_args(argc, argv, &a);
        if (r != MKROOT_CONTINUE)
                return r;
        if ((r = mkroot_output_name(a.output, a.format_set, a.compress, &a.format)) !=
            MKROOT_CONTINUE)
                return r;
        if ((r = validate(&a)) != MKROOT_CONTINUE)
                return r;
        if (!a.output)
                a.output = mkroot_default_output(a.format);
        /* An initramfs the kernel runs nothing from is no image. */
        image_opts io = {.format = mkroot_image_format(a.format),
                         .compress = a.compress,
                         .level = a.level,
                         .init_hint = "--init PATH or --add PROG:/init"};
        int64_t epoch = 0;
        int er = source_date_epoch(&epoch);
        if (er < 0) {
                log_error("SOURCE_DATE_EPOCH: '%s' is not a number of seconds",
                          getenv("SOURCE_DATE_EPOCH"));
                return 1;
        }
        io.have_epoch = er > 0;
        io.epoch = epoch;
        return a.base ? add_on_base(&a, &io) : add_from_root(&a, &io);
}
