/* mkroot build MANIFEST: the manifest's layers built (each unchanged step
 * reused from the cache) and the image written (builder/layers/). */
#include <getopt.h>
#include <string.h>

#include "builder.h"
#include "mkroot.h"

static const char build_help[] =
        "Usage: mkroot build [OPTIONS] MANIFEST\n"
        "Build an image from a manifest (a base and steps, one layer each),\n"
        "reusing every unchanged layer from the cache.\n\n"
        "  -o, --output FILE   image to write (default image.tar.gz, image.oci.tar\n"
        "                      or image.docker.tar)\n"
        "      --format FMT    rootfs (flattened tarball), oci (OCI image layout\n"
        "                      tar) or docker (for docker load). Default: what -o's\n"
        "                      name says (NAME.oci.tar, NAME.docker.tar, a tarball);\n"
        "                      without one, oci when the manifest sets Entrypoint,\n"
        "                      Cmd, Env, User, Workdir or Label (a rootfs tarball\n"
        "                      cannot keep them), rootfs otherwise\n"
        "      --deps all      copy libraries the base already provides too\n"
        "      --no-cache      rebuild every step\n"
        "      --cache-dir DIR the cache (default $MKROOT_CACHE or /var/cache/mkroot)\n"
        "      --compress ALG  rootfs compression, whatever the name says\n"
        "      --allow-missing warn about libraries that cannot be found\n"
        "      --network       give every Run: step the host's network\n"
        "                      (default: loopback only, unless the\n"
        "                      manifest says Network: yes)\n"
        "  -q, --quiet / -v, --verbose\n";

static const char *default_output(lay_format f)
{
        return f == LAY_FORMAT_OCI      ? "image.oci.tar"
               : f == LAY_FORMAT_DOCKER ? "image.docker.tar"
                                        : "image.tar.gz";
}

int mkroot_build_write(const lay_manifest *m, const lay_build_opts *o, lay_format f,
                       const char *output, const image_opts *io)
{
        double t0 = mkroot_now();
        err_t e = {0};
        store *st = NULL;
        if (store_open(o->cache_dir, &st, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        if (!output)
                output = default_output(f);
        _cleanup_close_ int lock = -1;
        lay_image im = {0};
        unsigned built = 0, reused = 0;
        int r = lay_store_lock(st, false, &lock, &e);
        if (r == 0)
                r = lay_build(st, m, o, &im, &built, &reused, &e);
        if (r == 0)
                r = lay_write(st, &im, f, output, io, &e);
        if (r == 0 && log_get_level() >= LOG_WARN) {
                /* Said even without -v: whether the cache did its job. */
                if (built == 0)
                        fprintf(stderr,
                                "mkroot: nothing to build: every step reused from the cache\n");
                else
                        fprintf(stderr, "mkroot: built %u step%s, reused %u\n", built,
                                built == 1 ? "" : "s", reused);
                mkroot_wrote(output, im.n_layers, "layers", t0);
        } else if (r < 0)
                log_error("%s", e.msg);
        lay_image_free(&im);
        store_free(st);
        return r < 0 ? 1 : 0;
}

typedef struct build_args {
        lay_build_opts o;
        lay_format format;
        bool format_set; /* --format given */
        const char *output;
        image_compress compress;
        const char *manifest;
} build_args;

static int parse_args(int argc, char **argv, build_args *a)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"format", required_argument, NULL, 'f'},
                {"cache-dir", required_argument, NULL, 'C'},
                {"deps", required_argument, NULL, 'd'},
                {"no-cache", no_argument, NULL, 'n'},
                {"allow-missing", no_argument, NULL, 'm'},
                {"network", no_argument, NULL, 'N'},
                {"compress", required_argument, NULL, 'c'},
                {"quiet", no_argument, NULL, 'q'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
                switch (c) {
                case 'o': a->output = optarg; break;
                case 'f':
                        if (lay_format_parse(optarg, &a->format) < 0)
                                return mkroot_usage(
                                        "build",
                                        "--format: unknown format '%s' (rootfs, oci, docker)",
                                        optarg);
                        a->format_set = true;
                        break;
                case 'C': a->o.cache_dir = optarg; break;
                case 'd':
                        if (strcmp(optarg, "all") && strcmp(optarg, "missing"))
                                return mkroot_usage("build", "--deps: '%s' (all or missing)",
                                                    optarg);
                        a->o.deps_all = !strcmp(optarg, "all");
                        break;
                case 'n': a->o.no_cache = true; break;
                case 'm': a->o.allow_missing = true; break;
                case 'N': a->o.network = true; break;
                case 'c':
                        if (image_compress_parse(optarg, &a->compress) < 0)
                                return mkroot_usage("build", "--compress: unknown compression '%s'",
                                                    optarg);
                        break;
                case 'q': log_set_level(LOG_QUIET); break;
                case 'v': log_set_level(LOG_DEBUG); break;
                case 'h': fputs(build_help, stdout); return 0;
                default: return mkroot_try_help("build");
                }
        }
        if (optind != argc - 1)
                return mkroot_usage("build", "%s", "give exactly one MANIFEST");
        a->manifest = argv[optind];
        return MKROOT_CONTINUE;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && !strcmp(s + n - k, suffix);
}

/* The config fields a rootfs tarball leaves out, as the manifest names
 * them ("Entrypoint, Cmd, Env"); empty when there are none. */
static void config_fields(const lay_config *c, strbuf *ret)
{
        const struct {
                bool set;
                const char *name;
        } f[] = {
                {c->have_entrypoint, "Entrypoint"},
                {c->have_cmd, "Cmd"},
                {c->env.n > 0, "Env"},
                {c->user != NULL, "User"},
                {c->workdir != NULL, "Workdir"},
                {c->labels.n > 0, "Label"},
        };
        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
                if (f[i].set)
                        sb_appendf(ret, "%s%s", ret->len ? ", " : "", f[i].name);
}

/* Without --format: what -o's name says (.oci.tar, .docker.tar, a
 * tarball's suffix); a name that says none, or no -o, is an OCI archive
 * when the manifest has a config a rootfs tarball would drop. Writing a
 * rootfs anyway says on stderr what is left out. */
static void choose_format(build_args *a, const lay_manifest *m)
{
        _cleanup_sb_ strbuf fields = {0};
        config_fields(&m->config, &fields);
        if (!a->format_set && a->output) {
                image_compress c;
                bool cpio = false;
                err_t e = {0};
                if (ends_with(a->output, ".oci.tar"))
                        a->format = LAY_FORMAT_OCI;
                else if (ends_with(a->output, ".docker.tar"))
                        a->format = LAY_FORMAT_DOCKER;
                else if (image_name_parse(a->output, &c, &cpio, &e) == 0)
                        a->format = LAY_FORMAT_ROOTFS;
                else
                        a->format = fields.len ? LAY_FORMAT_OCI : LAY_FORMAT_ROOTFS;
        } else if (!a->format_set)
                a->format = fields.len ? LAY_FORMAT_OCI : LAY_FORMAT_ROOTFS;
        if (a->format == LAY_FORMAT_ROOTFS && fields.len)
                log_warn("%s is a rootfs tarball: it leaves out the manifest's %s "
                         "(--format oci keeps them)",
                         a->output ? a->output : default_output(a->format), fields.s);
}

int mkroot_build_main(int argc, char **argv)
{
        build_args a = {.format = LAY_FORMAT_ROOTFS, .compress = IMAGE_COMPRESS_AUTO};
        int r = parse_args(argc, argv, &a);
        if (r != MKROOT_CONTINUE)
                return r;
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = a.compress};
        int64_t epoch;
        if (source_date_epoch(&epoch) == 1) {
                io.have_epoch = true;
                io.epoch = epoch;
        }
        err_t e = {0};
        lay_manifest m = {0};
        if (lay_manifest_load(a.manifest, &m, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        choose_format(&a, &m);
        r = mkroot_build_write(&m, &a.o, a.format, a.output, &io);
        lay_manifest_free(&m);
        return r;
}
