/* mkroot's command lines: one entry point per subcommand, one file each
 * (argv[0] is the subcommand's name, or "mkroot" for --add). Each parses
 * its options, calls the libraries, prints what they report and returns
 * the process exit code. */
#pragma once

#include "layers.h"
#include "registry.h"

#define EXIT_USAGE 2
/* What an option parser returns when the command should go on; any other
 * value is the exit code (0 after --help or --version, EXIT_USAGE). */
#define MKROOT_CONTINUE (-1)

/* mkroot [--add] PATH... (add.c), deps PATH... (deps.c), ls IMAGE (ls.c),
 * build MANIFEST (build.c), inspect IMAGE (inspect.c), diff A B (diff.c),
 * cache ls|gc|path (cache.c), fetch SUITE (fetch.c). */
int mkroot_add_main(int argc, char **argv);
int mkroot_deps_main(int argc, char **argv);
int mkroot_ls_main(int argc, char **argv);
int mkroot_build_main(int argc, char **argv);
int mkroot_inspect_main(int argc, char **argv);
int mkroot_diff_main(int argc, char **argv);
int mkroot_cache_main(int argc, char **argv);
int fetch_main(int argc, char **argv);
/* mkroot push IMAGE REF (push.c). */
int mkroot_push_main(int argc, char **argv);

/* The registry options of push and build --push (push.c). */
enum { MKROOT_OPT_TLS_VERIFY = 0x100, MKROOT_OPT_AUTHFILE };
#define MKROOT_REGISTRY_HELP                                                                       \
        "      --tls-verify=false  talk to the registry over plain HTTP or without\n"              \
        "                        checking its certificate (default: true)\n"                       \
        "      --authfile FILE   skopeo's credentials (default: REGISTRY_AUTH_FILE, else\n"        \
        "                        $XDG_RUNTIME_DIR/containers/auth.json; skopeo login\n"            \
        "                        writes it)\n"
/* --tls-verify[=true|false] or --authfile FILE (c the option's value) into
 * ro: MKROOT_CONTINUE, or EXIT_USAGE after the message. */
int mkroot_registry_opt(const char *cmd, int c, const char *arg, registry_opts *ro);
/* A reference to push to: docker://REGISTRY/NAME[:TAG] (or bare with a
 * registry's host), not a digest. MKROOT_CONTINUE or EXIT_USAGE. */
int mkroot_registry_ref(const char *cmd, const char *ref);
/* Push image (any image mkroot reads; converted to an OCI archive in the
 * cache at cache_dir when it is not an OCI or docker-save tar) to ref;
 * prints its messages, returns an exit code. */
int mkroot_push_image(const char *image, const char *ref, const registry_opts *ro,
                      const char *cache_dir);

/* What an image is written as (format.c), from --format and -o's name,
 * for mkroot --add and mkroot build alike. */
typedef enum mkroot_format {
        MKROOT_FORMAT_ROOTFS,    /* tar, rootfs: a rootfs tarball */
        MKROOT_FORMAT_INITRAMFS, /* initramfs, cpio: a newc cpio */
        MKROOT_FORMAT_OCI,       /* an OCI image layout in a tar */
        MKROOT_FORMAT_DOCKER,    /* an archive docker load takes */
        MKROOT_FORMAT_MAX
} mkroot_format;
/* --format ARG of CMD (NULL: mkroot itself): MKROOT_CONTINUE with *ret
 * set, or EXIT_USAGE after the usage error. */
int mkroot_format_arg(const char *cmd, const char *arg, mkroot_format *ret);
image_format mkroot_image_format(mkroot_format f);
lay_format mkroot_lay_format(mkroot_format f);
/* initrd.gz, image.oci.tar, image.docker.tar, image.tar.gz. */
const char *mkroot_default_output(mkroot_format f);
/* What -o's name says, before anything is read or written: without
 * --format (format_set false), NAME.oci.tar and NAME.docker.tar are OCI
 * and docker archives, a .cpio name (.cpio.gz, ...) an initramfs, any
 * other a rootfs tarball (*format set). Unless --format names an archive
 * (oci, docker: the name is the user's), a suffix no format has (.zip) is
 * refused in one line naming it (EXIT_USAGE), except with --compress
 * (compress not IMAGE_COMPRESS_AUTO). MKROOT_CONTINUE otherwise; no -o
 * leaves *format as it is. */
int mkroot_output_name(const char *output, bool format_set, image_compress compress,
                       mkroot_format *format);

/* Build a manifest and write it as f (io->format: as
 * mkroot_image_format(f) says) to output (NULL: mkroot_default_output)
 * (build.c); prints its messages, returns an exit code. */
int mkroot_build_write(const lay_manifest *m, const lay_build_opts *o, mkroot_format f,
                       const char *output, const image_opts *io);

/* mkroot --help and --version (main.c); both return 0. */
int mkroot_help(void);
int mkroot_version(void);
/* mkroot fetch --help (fetch-help.c, in builds with or without fetch). */
void mkroot_fetch_help(FILE *f);

/* Usage errors (usage.c). mkroot_usage prints "mkroot: [CMD: ]MESSAGE" and
 * "Try 'mkroot [CMD ]--help'." to stderr; mkroot_try_help only the second
 * line (after getopt's own message). Both return EXIT_USAGE. CMD may be
 * NULL for mkroot itself. */
int mkroot_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mkroot_try_help(const char *cmd);

/* "1.5 MiB" (inspect, cache ls). */
void mkroot_human_size(int64_t n, char buf[32]);

/* Seconds on a monotonic clock, for mkroot_wrote's t0. */
double mkroot_now(void);
/* The closing line of a command that wrote a file, unless -q (the log
 * level is below LOG_WARN): "mkroot: wrote PATH: N WHAT, SIZE, T s", WHAT
 * a noun ("layer") given as one, with an "s" unless N is 1. */
void mkroot_wrote(const char *path, size_t n, const char *what, double t0);
