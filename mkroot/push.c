/* mkroot push IMAGE docker://REGISTRY/NAME:TAG: an image published to a
 * registry through skopeo (registry/). A plain OCI layout tar or docker-save
 * tar goes as it is; any other image mkroot reads (a rootfs tarball, a
 * compressed archive) is first written as an OCI archive by the layer
 * writer, as `Base: IMAGE` with no steps would be, in a scratch directory
 * of the cache. mkroot build --push uses the same. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkroot.h"
#include "registry.h"

static const char push_help[] =
        "Usage: mkroot push [OPTIONS] IMAGE docker://REGISTRY/NAME[:TAG]\n"
        "Publish IMAGE to a registry through skopeo (package skopeo). An OCI archive\n"
        "or a docker-save archive goes as it is; a rootfs tarball or a compressed\n"
        "archive is written as an OCI archive first (one layer per layer it has).\n"
        "The reference may leave out docker:// when its first component is a\n"
        "registry's host (it has a '.' or a ':', or is localhost); TAG defaults to\n"
        "latest.\n\n" MKROOT_REGISTRY_HELP
        "      --cache-dir DIR   the cache, for the conversion (default $MKROOT_CACHE\n"
        "                        or /var/cache/mkroot)\n"
        "  -q, --quiet / -v, --verbose\n";

/* IMAGE as OCI through the layer writer, at scratch/image.oci.tar. */
static int convert_to_oci(store *st, const char *image, store_scratch *sc, char **ret, err_t *e)
{
        char abs[PATH_MAX];
        if (!realpath(image, abs))
                return err_sys(e, errno, "%s", image);
        _cleanup_free_ char *text = xasprintf("Base: %s\n", abs);
        lay_manifest m = {0};
        int r = lay_manifest_parse(text, strlen(text), image, sc->path, &m, e);
        if (r < 0)
                return r;
        _cleanup_close_ int lock = -1;
        lay_image im = {0};
        lay_build_opts o = {0};
        unsigned built = 0, reused = 0;
        _cleanup_free_ char *out = path_join(sc->path, "image.oci.tar");
        r = lay_store_lock(st, false, &lock, e);
        if (r == 0)
                r = lay_build(st, &m, &o, &im, &built, &reused, e);
        if (r == 0)
                r = lay_write(st, &im, LAY_FORMAT_OCI, out, NULL, e);
        lay_image_free(&im);
        lay_manifest_free(&m);
        if (r == 0)
                *ret = steal_pointer(&out);
        return r;
}

int mkroot_push_image(const char *image, const char *ref, const registry_opts *ro,
                      const char *cache_dir)
{
        double t0 = mkroot_now();
        err_t e = {0};
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                log_error("%s: %s", image, strerror(errno));
                return 1;
        }
        _cleanup_oci_archive_ oci_archive *a = NULL;
        int r = oci_archive_open(fd, image, &oci_sha256_common, &a, &e);
        if (r == 0) {
                bool docker = oci_archive_image(a)->kind == OCI_KIND_DOCKER;
                r = registry_push(image, docker, ref, ro, &e);
        } else if (r == 1) {
                store *st = NULL;
                store_scratch *sc = NULL;
                _cleanup_free_ char *oci = NULL;
                r = store_open(cache_dir, &st, &e);
                if (r == 0)
                        r = store_scratch_new(st, "tmp", &sc, &e);
                if (r == 0)
                        r = convert_to_oci(st, image, sc, &oci, &e);
                if (r == 0) {
                        log_info("%s: pushing it as an OCI archive", image);
                        r = registry_push(oci, false, ref, ro, &e);
                }
                if (sc)
                        store_scratch_remove(st, sc, NULL);
                store_free(st);
        }
        if (r < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        if (log_get_level() >= LOG_WARN)
                fprintf(stderr, "mkroot: pushed %s to %s, %.1f s\n", image, ref, mkroot_now() - t0);
        return 0;
}

int mkroot_registry_opt(const char *cmd, int c, const char *arg, registry_opts *ro)
{
        if (c == MKROOT_OPT_TLS_VERIFY) {
                if (arg && strcmp(arg, "true") != 0 && strcmp(arg, "false") != 0)
                        return mkroot_usage(cmd, "--tls-verify=%s: true or false", arg);
                ro->tls_verify = !arg || !strcmp(arg, "true");
        } else {
                ro->authfile = arg;
        }
        return MKROOT_CONTINUE;
}

int mkroot_registry_ref(const char *cmd, const char *ref)
{
        registry_ref r;
        err_t e = {0};
        if (!registry_ref_wanted(ref))
                return mkroot_usage(cmd,
                                    "%s: not docker://REGISTRY/NAME[:TAG] (a bare reference's "
                                    "first component is a registry's host)",
                                    ref);
        if (registry_ref_parse(ref, &r, &e) < 0)
                return mkroot_usage(cmd, "%s", e.msg);
        bool digest = r.digest[0];
        registry_ref_free(&r);
        if (digest)
                return mkroot_usage(cmd, "%s: push to a tag (NAME:TAG), not a digest", ref);
        return MKROOT_CONTINUE;
}

int mkroot_push_main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"tls-verify", optional_argument, NULL, MKROOT_OPT_TLS_VERIFY},
                {"authfile", required_argument, NULL, MKROOT_OPT_AUTHFILE},
                {"cache-dir", required_argument, NULL, 'C'},
                {"quiet", no_argument, NULL, 'q'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        registry_opts ro = REGISTRY_OPTS_INIT;
        const char *cache_dir = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
                switch (c) {
                case MKROOT_OPT_TLS_VERIFY:
                case MKROOT_OPT_AUTHFILE: {
                        int r = mkroot_registry_opt("push", c, optarg, &ro);
                        if (r != MKROOT_CONTINUE)
                                return r;
                        break;
                }
                case 'C': cache_dir = optarg; break;
                case 'q': log_set_level(LOG_QUIET); break;
                case 'v': log_set_level(LOG_DEBUG); break;
                case 'h': fputs(push_help, stdout); return 0;
                default: return mkroot_try_help("push");
                }
        }
        if (optind != argc - 2)
                return mkroot_usage("push", "%s", "give an IMAGE and a docker://REGISTRY/NAME:TAG");
        int r = mkroot_registry_ref("push", argv[optind + 1]);
        if (r != MKROOT_CONTINUE)
                return r;
        return mkroot_push_image(argv[optind], argv[optind + 1], &ro, cache_dir);
}
