/* mkroot's command lines: one entry point per subcommand (argv[0] is the
 * subcommand's name). Each parses its options, calls the libraries, prints
 * what they report and returns the process exit code. */
#pragma once

#include "layers.h"

#define EXIT_USAGE 2

/* mkroot build MANIFEST, inspect IMAGE, diff A B, cache ls|gc|path
 * (layers.c), mkroot fetch SUITE (fetch.c). */
int lay_build_main(int argc, char **argv);
int lay_inspect_main(int argc, char **argv);
int lay_diff_main(int argc, char **argv);
int lay_cache_main(int argc, char **argv);
int fetch_main(int argc, char **argv);
/* Build a manifest and write it; prints its messages, returns an exit code. */
int lay_build_write(const lay_manifest *m, const lay_build_opts *o, lay_format f,
                    const char *output, const image_opts *io);
