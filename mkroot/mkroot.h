/* mkroot's command lines: one entry point per subcommand, one file each
 * (argv[0] is the subcommand's name, or "mkroot" for --add). Each parses
 * its options, calls the libraries, prints what they report and returns
 * the process exit code. */
#pragma once

#include "layers.h"

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

/* Build a manifest and write it (build.c); prints its messages, returns an
 * exit code. */
int mkroot_build_write(const lay_manifest *m, const lay_build_opts *o, lay_format f,
                       const char *output, const image_opts *io);

/* mkroot --help and --version (main.c); both return 0. */
int mkroot_help(void);
int mkroot_version(void);

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
 * level is below LOG_WARN): "mkroot: wrote PATH: N WHAT, SIZE, T s". */
void mkroot_wrote(const char *path, size_t n, const char *what, double t0);
