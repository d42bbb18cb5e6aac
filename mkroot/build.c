/* mkroot build MANIFEST: the manifest's layers built (each unchanged step
 * reused from the cache) and the image written (builder/layers/). */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder.h"
#include "mkroot.h"

static const char build_help[] =
        "Usage: mkroot build [OPTIONS] MANIFEST\n"
        "Build an image from a manifest (a base and steps, one layer each),\n"
        "reusing every unchanged layer from the cache.\n\n"
        "  -o, --output FILE   image to write (default image.tar.gz, image.oci.tar\n"
        "                      or image.docker.tar), as for mkroot -o: the name says\n"
        "                      the format, NAME.oci.tar, NAME.docker.tar,\n"
        "                      .tar[.gz|.zst|.xz|.bz2|.lz4|.lz] (a rootfs tarball) or\n"
        "                      .cpio[.gz|...] (an initramfs); another suffix is refused\n"
        "      --format FMT    tar (= rootfs, a flattened tarball), initramfs (= cpio,\n"
        "                      newc; the image needs an /init), oci (OCI image layout\n"
        "                      tar) or docker (for docker load). Default: what -o's\n"
        "                      name says; without -o, oci when the manifest sets\n"
        "                      Entrypoint, Cmd, Env, User, Workdir or Label (a rootfs\n"
        "                      tarball cannot keep them), rootfs otherwise\n"
        "      --deps all      copy libraries the base already provides too\n"
        "      --no-cache      rebuild every step\n"
        "      --cache-dir DIR the cache (default $MKROOT_CACHE or /var/cache/mkroot)\n"
        "      --compress ALG  rootfs compression, whatever the name says\n"
        "      --allow-missing warn about libraries that cannot be found\n"
        "      --network       give every Run: step the host's network\n"
        "                      (default: loopback only, unless the\n"
        "                      manifest says Network: yes)\n"
        "      --push REF      then push the image to docker://REGISTRY/NAME[:TAG]\n"
        "                      through skopeo, as mkroot push does (without -o or\n"
        "                      --format the image is written as "
        "image.oci.tar)\n" MKROOT_REGISTRY_HELP "  -q, --quiet / -v, --verbose\n";

static int build_write(store *st, const lay_manifest *m, const lay_build_opts *o, mkroot_format f,
                       const char *output, const image_opts *io, double t0)
{
        err_t e = {0};
        if (!output)
                output = mkroot_default_output(f);
        _cleanup_close_ int lock = -1;
        lay_image im = {0};
        unsigned built = 0, reused = 0;
        int r = lay_store_lock(st, false, &lock, &e);
        if (r == 0)
                r = lay_build(st, m, o, &im, &built, &reused, &e);
        if (r == 0)
                r = lay_write(st, &im, mkroot_lay_format(f), output, io, &e);
        if (r == 0 && log_get_level() >= LOG_WARN) {
                /* Said even without -v: whether the cache did its job. */
                if (built == 0)
                        fprintf(stderr,
                                "mkroot: nothing to build: every step reused from the cache\n");
                else
                        fprintf(stderr, "mkroot: built %u step%s, reused %u\n", built,
                                built == 1 ? "" : "s", reused);
                mkroot_wrote(output, im.n_layers, "layer", t0);
        } else if (r < 0)
                log_error("%s", e.msg);
        lay_image_free(&im);
        return r < 0 ? 1 : 0;
}

/* Without root the build runs in a child that is root of a user namespace
 * of its own (the user's subordinate ids mapped when there are any), so
 * that the layers carry the owners the namespace shows, as podman's
 * rootless builds do; this process stays as it was (a --push after it
 * runs skopeo as the user). The cache was opened by the user before. */
static int build_write_userns(store *st, const lay_manifest *m, const lay_build_opts *o,
                              mkroot_format f, const char *output, const image_opts *io, double t0)
{
        fflush(stdout);
        fflush(stderr);
        pid_t c = fork();
        if (c < 0) {
                log_error("build without root: fork: %s", strerror(errno));
                return 1;
        }
        if (c == 0) {
                lay_build_opts uo = *o;
                err_t e = {0};
                if (lay_build_enter_userns(&uo, &e) < 0) {
                        log_error("%s", e.msg);
                        _exit(1);
                }
                int r = build_write(st, m, &uo, f, output, io, t0);
                fflush(stdout);
                _exit(r);
        }
        int status;
        while (waitpid(c, &status, 0) < 0)
                if (errno != EINTR) {
                        log_error("build without root: waiting for the build: %s", strerror(errno));
                        return 1;
                }
        if (WIFSIGNALED(status)) {
                log_error("build without root: the build was killed by signal %d",
                          WTERMSIG(status));
                return 1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int mkroot_build_write(const lay_manifest *m, const lay_build_opts *o, mkroot_format f,
                       const char *output, const image_opts *io)
{
        double t0 = mkroot_now();
        err_t e = {0};
        store *st = NULL;
        if (store_open(o->cache_dir, &st, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        int r = geteuid() == 0 ? build_write(st, m, o, f, output, io, t0)
                               : build_write_userns(st, m, o, f, output, io, t0);
        store_free(st);
        return r;
}

typedef struct build_args {
        lay_build_opts o;
        mkroot_format format;
        bool format_set; /* --format given: it wins over what -o's name says */
        const char *output;
        image_compress compress;
        const char *manifest;
        const char *push; /* --push REF */
        registry_opts ro;
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
                {"push", required_argument, NULL, 'P'},
                {"tls-verify", optional_argument, NULL, MKROOT_OPT_TLS_VERIFY},
                {"authfile", required_argument, NULL, MKROOT_OPT_AUTHFILE},
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
                        if (mkroot_format_arg("build", optarg, &a->format) != MKROOT_CONTINUE)
                                return EXIT_USAGE;
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
                case 'P': {
                        int r = mkroot_registry_ref("build", optarg);
                        if (r != MKROOT_CONTINUE)
                                return r;
                        a->push = optarg;
                        break;
                }
                case MKROOT_OPT_TLS_VERIFY:
                case MKROOT_OPT_AUTHFILE: {
                        int r = mkroot_registry_opt("build", c, optarg, &a->ro);
                        if (r != MKROOT_CONTINUE)
                                return r;
                        break;
                }
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
        /* What -o's name says, as for mkroot --add: before anything is read. */
        return mkroot_output_name(a->output, a->format_set, a->compress, &a->format);
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

/* Without --format or -o, an OCI archive when the manifest has a config
 * a rootfs tarball would drop. Writing a tarball or an initramfs anyway
 * says on stderr what is left out. */
static void choose_format(build_args *a, const lay_manifest *m)
{
        _cleanup_sb_ strbuf fields = {0};
        config_fields(&m->config, &fields);
        if (!a->format_set && !a->output)
                a->format = fields.len || a->push ? MKROOT_FORMAT_OCI : MKROOT_FORMAT_ROOTFS;
        if (mkroot_lay_format(a->format) == LAY_FORMAT_ROOTFS && fields.len)
                log_warn("%s is %s: it leaves out the manifest's %s (--format oci keeps them)",
                         a->output ? a->output : mkroot_default_output(a->format),
                         a->format == MKROOT_FORMAT_INITRAMFS ? "an initramfs" : "a rootfs tarball",
                         fields.s);
}

int mkroot_build_main(int argc, char **argv)
{
        build_args a = {.format = MKROOT_FORMAT_ROOTFS,
                        .compress = IMAGE_COMPRESS_AUTO,
                        .ro = REGISTRY_OPTS_INIT};
        int r = parse_args(argc, argv, &a);
        if (r != MKROOT_CONTINUE)
                return r;
        image_opts io = {.compress = a.compress,
                         .init_hint = "a step such as Add: PROG:/init or Copy: FILE /init"};
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
        io.format = mkroot_image_format(a.format);
        r = mkroot_build_write(&m, &a.o, a.format, a.output, &io);
        lay_manifest_free(&m);
        if (r == 0 && a.push)
                r = mkroot_push_image(a.output ? a.output : mkroot_default_output(a.format), a.push,
                                      &a.ro, a.o.cache_dir);
        return r;
}
