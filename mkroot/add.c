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

int mkroot_add_main(int argc, char **argv)
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
        _cleanup_strv_ strv adds = {0};
        const char *base = NULL;
        bool deps_all = false;
        lay_format layfmt = LAY_FORMAT_ROOTFS;
        const char *output = NULL, *root = NULL, *init = NULL;
        const char *library_path = getenv("LD_LIBRARY_PATH");
        bool nss = false, skeleton = true;
        add_opts ao = {0};
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = IMAGE_COMPRESS_AUTO};
        int c;
        while ((c = getopt_long(argc, argv, "a:o:qvh", opts, NULL)) != -1) {
                switch (c) {
                case 'a': strv_push(&adds, optarg); break;
                case 'o': output = optarg; break;
                case OPT_COMPRESS:
                        if (image_compress_parse(optarg, &io.compress) < 0) {
                                return mkroot_usage(
                                        NULL,
                                        "--compress: unknown compression '%s' (gzip, zstd, xz, "
                                        "none)",
                                        optarg);
                        }
                        break;
                case OPT_LEVEL: {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || v < 1 || v > 22) {
                                return mkroot_usage(
                                        NULL, "--level: '%s' is not a level from 1 to 22", optarg);
                        }
                        io.level = (int)v;
                        break;
                }
                case OPT_FORMAT:
                        if (!strcmp(optarg, "tar") || !strcmp(optarg, "rootfs"))
                                io.format = IMAGE_FORMAT_TAR;
                        else if (!strcmp(optarg, "initramfs") || !strcmp(optarg, "cpio"))
                                io.format = IMAGE_FORMAT_CPIO;
                        else if (lay_format_parse(optarg, &layfmt) == 0)
                                io.format = IMAGE_FORMAT_TAR;
                        else {
                                return mkroot_usage(NULL,
                                                    "--format: unknown format '%s' (tar, rootfs, "
                                                    "initramfs, oci, docker)",
                                                    optarg);
                        }
                        break;
                case OPT_INIT: init = optarg; break;
                case OPT_BASE: base = optarg; break;
                case OPT_DEPS:
                        if (strcmp(optarg, "all") && strcmp(optarg, "missing")) {
                                return mkroot_usage(NULL, "--deps: '%s' (all or missing)", optarg);
                        }
                        deps_all = !strcmp(optarg, "all");
                        break;
                case OPT_ROOT: root = optarg; break;
                case OPT_LIBPATH: library_path = optarg; break;
                case OPT_NSS: nss = true; break;
                case OPT_NO_SKELETON: skeleton = false; break;
                case OPT_ALLOW_MISSING: ao.allow_missing = true; break;
                case 'q': log_set_level(LOG_QUIET); break;
                case 'v': log_set_level(LOG_DEBUG); break;
                case 'h': return mkroot_help();
                case OPT_VERSION: return mkroot_version();
                default: return mkroot_try_help(NULL);
                }
        }
        for (int i = optind; i < argc; i++)
                strv_push(&adds, argv[i]);
        if (adds.n == 0 && !init) {
                return mkroot_usage(NULL, "%s",
                                    "nothing to add: give paths (mkroot /bin/bash) or --add PATH");
        }
        if (init && io.format != IMAGE_FORMAT_CPIO) {
                return mkroot_usage(NULL, "%s", "--init needs --format initramfs");
        }
        if (base && (init || root || nss || io.format == IMAGE_FORMAT_CPIO)) {
                return mkroot_usage(
                        NULL, "%s",
                        "--base builds layers: not with --init, --root, --nss or initramfs");
        }
        if (!output)
                output = io.format == IMAGE_FORMAT_CPIO ? "initrd.gz"
                         : layfmt == LAY_FORMAT_OCI     ? "image.oci.tar"
                         : layfmt == LAY_FORMAT_DOCKER  ? "image.docker.tar"
                                                        : "image.tar.gz";
        int64_t epoch = 0;
        int er = source_date_epoch(&epoch);
        if (er < 0) {
                log_error("SOURCE_DATE_EPOCH: '%s' is not a number of seconds",
                          getenv("SOURCE_DATE_EPOCH"));
                return 1;
        }
        io.have_epoch = er > 0;
        io.epoch = epoch;

        if (base) {
                /* The one-line form of a manifest: Base, one Add step. */
                _cleanup_sb_ strbuf text = {0};
                sb_append(&text, "Add:");
                for (size_t i = 0; i < adds.n; i++)
                        sb_appendf(&text, " %s", adds.v[i]);
                lay_step step = {.kind = LAY_STEP_ADD,
                                 .args = adds,
                                 .text = text.s,
                                 .skeleton = !strcmp(base, "scratch") && skeleton};
                lay_manifest m = {
                        .base = (char *)base, .dir = (char *)".", .steps = &step, .n_steps = 1};
                lay_build_opts bo = {.deps_all = deps_all, .allow_missing = ao.allow_missing};
                return mkroot_build_write(&m, &bo, layfmt, output, &io);
        }

        err_t e = {0};
        resolver *r = NULL;
        resolver_opts ro = {.root = root, .library_path = library_path};
        if (resolver_new(&ro, &r, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        stage *s = stage_new();
        adder *a = adder_new(r, s, root, &ao);
        int ret = 0;
        for (size_t i = 0; i < adds.n && ret == 0; i++) {
                _cleanup_free_ char *src = NULL, *dest = NULL;
                split_add(adds.v[i], &src, &dest);
                log_info("adding %s", src);
                if (adder_add(a, src, dest, &e) < 0)
                        ret = 1;
        }
        if (ret == 0 && init && adder_add(a, init, "/init", &e) < 0)
                ret = 1;
        if (ret == 0 && nss && adder_add_nss(a, &e) < 0)
                ret = 1;
        if (ret == 0 && adder_finish(a, &e) < 0)
                ret = 1;
        if (ret == 0 && skeleton && skeleton_add(s, &e) < 0)
                ret = 1;
        if (ret == 0 && layfmt != LAY_FORMAT_ROOTFS) {
                if (lay_write_stage(s, layfmt, output, "mkroot --add", NULL, &e) < 0)
                        ret = 1;
        } else if (ret == 0 && image_write(s, output, &io, &e) < 0)
                ret = 1;
        if (ret == 0)
                log_info("wrote %s (%zu entries)", output, stage_count(s));
        else
                log_error("%s", e.msg);
        adder_free(a);
        stage_free(s);
        resolver_free(r);
        return ret;
}
