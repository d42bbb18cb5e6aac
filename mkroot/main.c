/* mkroot: argument parsing and dispatch only; the work is in the builder
 * library. */
#include <getopt.h>
#include <locale.h>
#include <string.h>

#include "add.h"
#include "builder.h"
#include "image.h"
#include "mkroot.h"
#include "resolve.h"
#include "stage.h"

static const char usage_text[] =
        "Usage: mkroot [OPTIONS] [--add] PATH[:DEST]...   build an image from host files\n"
        "       mkroot deps [--tree] [--root DIR] PATH...  what a program loads, like ldd\n"
        "       mkroot ls IMAGE                            list an image like tar -tvf\n"
        "       mkroot fetch SUITE [OPTIONS]               bootstrap a Debian/Ubuntu minbase\n"
        "       mkroot build MANIFEST [OPTIONS]            build an image from layers\n"
        "       mkroot inspect IMAGE                       layers and config of an image\n"
        "       mkroot diff A B                            paths added, removed, changed\n"
        "       mkroot cache ls|gc|path                    list or prune the cache\n"
        "\n"
        "Build options:\n"
        "  -a, --add PATH[:DEST]   add a file, script or directory with everything it loads;\n"
        "                          with :DEST, place it at DEST in the image\n"
        "  -o, --output FILE       image to write (default image.tar.gz; compression from\n"
        "                          the name: .tar.gz .tar.zst .tar.xz .tar, .cpio[.gz])\n"
        "      --compress ALG      gzip, zstd, xz or none, whatever the name says\n"
        "      --level N           compression level\n"
        "      --format FMT        tar (= rootfs, default), initramfs (newc cpio), oci (OCI\n"
        "                          image layout tar) or docker (an archive docker load takes)\n"
        "      --base SUITE|IMAGE  put the added files in a layer on this base (a suite,\n"
        "                          an image file or scratch); see mkroot build\n"
        "      --deps all          with --base: copy libraries the base already has too\n"
        "      --init PATH         with --format initramfs: PATH becomes /init\n"
        "      --root DIR          read files and resolve libraries inside DIR, not the host\n"
        "      --library-path P    LD_LIBRARY_PATH for resolving (default: the environment's)\n"
        "      --nss               add the NSS modules glibc loads for passwd/group/hosts\n"
        "      --no-skeleton       no /dev /proc /sys /tmp /root /etc/{passwd,group,...}\n"
        "      --allow-missing     warn about libraries that cannot be found, go on\n"
        "  -q, --quiet             only errors\n"
        "  -v, --verbose           say what is done\n"
        "  -h, --help              this text\n"
        "      --version           print the version\n"
        "\n"
        "SOURCE_DATE_EPOCH, when set, clamps every mtime in the image.\n";

static void __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "mkroot: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\nTry 'mkroot --help'.\n");
        va_end(ap);
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
        OPT_TREE,
        OPT_BASE,
        OPT_DEPS,
};

static int build_main(int argc, char **argv)
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
                                usage_error("--compress: unknown compression '%s' (gzip, zstd, xz, "
                                            "none)",
                                            optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_LEVEL: {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || v < 1 || v > 22) {
                                usage_error("--level: '%s' is not a level from 1 to 22", optarg);
                                return EXIT_USAGE;
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
                                usage_error("--format: unknown format '%s' (tar, rootfs, "
                                            "initramfs, oci, docker)",
                                            optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_INIT: init = optarg; break;
                case OPT_BASE: base = optarg; break;
                case OPT_DEPS:
                        if (strcmp(optarg, "all") && strcmp(optarg, "missing")) {
                                usage_error("--deps: '%s' (all or missing)", optarg);
                                return EXIT_USAGE;
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
                case 'h': fputs(usage_text, stdout); return 0;
                case OPT_VERSION: puts("mkroot " MKROOT_VERSION); return 0;
                default: fprintf(stderr, "Try 'mkroot --help'.\n"); return EXIT_USAGE;
                }
        }
        for (int i = optind; i < argc; i++)
                strv_push(&adds, argv[i]);
        if (adds.n == 0 && !init) {
                usage_error("%s", "nothing to add: give paths (mkroot /bin/bash) or --add PATH");
                return EXIT_USAGE;
        }
        if (init && io.format != IMAGE_FORMAT_CPIO) {
                usage_error("%s", "--init needs --format initramfs");
                return EXIT_USAGE;
        }
        if (base && (init || root || nss || io.format == IMAGE_FORMAT_CPIO)) {
                usage_error("%s",
                            "--base builds layers: not with --init, --root, --nss or initramfs");
                return EXIT_USAGE;
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
                return lay_build_write(&m, &bo, layfmt, output, &io);
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

static int deps_main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"tree", no_argument, NULL, OPT_TREE},
                {"root", required_argument, NULL, OPT_ROOT},
                {"library-path", required_argument, NULL, OPT_LIBPATH},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        bool tree = false;
        const char *root = NULL, *library_path = getenv("LD_LIBRARY_PATH");
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_TREE: tree = true; break;
                case OPT_ROOT: root = optarg; break;
                case OPT_LIBPATH: library_path = optarg; break;
                case 'h':
                        puts("Usage: mkroot deps [--tree] [--root DIR] [--library-path P] PATH...\n"
                             "Print the shared objects each PATH loads, resolved as ld.so would\n"
                             "(without running it), in ldd's format or, with --tree, as a tree.");
                        return 0;
                default: fprintf(stderr, "Try 'mkroot deps --help'.\n"); return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage_error("%s", "deps: give at least one PATH");
                return EXIT_USAGE;
        }
        err_t e = {0};
        resolver *r = NULL;
        resolver_opts ro = {.root = root, .library_path = library_path};
        if (resolver_new(&ro, &r, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        int ret = 0;
        bool several = argc - optind > 1;
        for (int i = optind; i < argc; i++) {
                dep_list *l = NULL;
                if (several && !tree)
                        printf("%s:\n", argv[i]);
                if (resolver_resolve(r, argv[i], &l, &e) < 0) {
                        fflush(stdout);
                        log_error("%s", e.msg);
                        ret = 1;
                        continue;
                }
                if (tree)
                        dep_list_print_tree(l, stdout);
                else
                        dep_list_print_ldd(l, stdout);
                for (size_t k = 1; k < l->n; k++)
                        if (!l->objs[k].path)
                                ret = ret ? ret : 1;
                dep_list_free(l);
        }
        resolver_free(r);
        if (fflush(stdout) != 0) {
                log_error("stdout: write error");
                return 1;
        }
        return ret;
}

static int ls_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                puts("Usage: mkroot ls IMAGE\nList an image's entries like tar -tvf.");
                return 0;
        }
        if (argc != 2) {
                usage_error("%s", "ls: give exactly one IMAGE");
                return EXIT_USAGE;
        }
        err_t e = {0};
        if (image_list(argv[1], stdout, &e) < 0) {
                fflush(stdout);
                log_error("%s", e.msg);
                return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        log_init("mkroot");
        /* libarchive stores non-ASCII names as UTF-8 in pax headers, which
         * takes a UTF-8 character type; the rest of the locale stays "C". */
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
                setlocale(LC_CTYPE, "");
        if (argc >= 2) {
                const char *cmd = argv[1];
                if (!strcmp(cmd, "deps"))
                        return deps_main(argc - 1, argv + 1);
                if (!strcmp(cmd, "ls"))
                        return ls_main(argc - 1, argv + 1);
                if (!strcmp(cmd, "fetch"))
                        return fetch_main(argc - 1, argv + 1);
                if (!strcmp(cmd, "build"))
                        return lay_build_main(argc - 1, argv + 1);
                if (!strcmp(cmd, "inspect"))
                        return lay_inspect_main(argc - 1, argv + 1);
                if (!strcmp(cmd, "diff"))
                        return lay_diff_main(argc - 1, argv + 1);
                if (!strcmp(cmd, "cache"))
                        return lay_cache_main(argc - 1, argv + 1);
        }
        return build_main(argc, argv);
}
