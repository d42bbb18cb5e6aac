/* mkroot [--add] PATH[:DEST]...: an image of host files with everything
 * they load (builder/add.h), written as a tarball, an initramfs or a
 * one-layer OCI/docker archive; with --base, a layer on a base image
 * (the one-line form of a manifest, built as mkroot build does). */
#include <getopt.h>
#include <string.h>

#include "add.h"
#include "builder.h"
#include "image.h"
#include "mkroot.h"
#include "resolve.h"
#include "stage.h"

typedef struct add_args {
        strv adds;            /* PATH[:DEST], from --add and the operands, in order */
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
        if (a->adds.n == 0 && !a->init)
                return mkroot_usage(NULL, "%s",
                                    "nothing to add: give paths (mkroot /bin/bash) or --add PATH");
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

/* Stage the paths, --init, --nss, the merged-/usr links and the skeleton. */
static int stage_all(const add_args *a, adder *ad, stage *s, err_t *e)
{
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
        if (adder_finish(ad, e) < 0)
                return -1;
        if (a->skeleton && skeleton_add(s, e) < 0)
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
        if (ret == 0 && lf != LAY_FORMAT_ROOTFS) {
                if (lay_write_stage(s, lf, a->output, "mkroot --add", NULL, &e) < 0)
                        ret = 1;
        } else if (ret == 0 && image_write(s, a->output, io, &e) < 0)
                ret = 1;
        if (ret == 0)
                mkroot_wrote(a->output, stage_count(s), "file", t0);
        else
                log_error("%s", e.msg);
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
