/* builder: what mkroot's subcommands call. */
#pragma once

#include "common.h"
#include "image.h"
#include "stage.h"

/* Add the host directory tree at host_dir (recursively, nothing outside
 * it, no ELF dependency scan) to the stage under image path dest. */
int build_stage_tree(stage *s, const char *dest, const char *host_dir, err_t *e);

/* Pack a directory tree (e.g. a bootstrapped root) into an image file. */
int build_pack_dir(const char *dir, const char *out_path, const image_opts *o, err_t *e);

/* Subcommand entry points (argv[0] is the subcommand name); they print
 * their own errors and return the process exit code. */
int fetch_main(int argc, char **argv);

/* Layers (builder/layers/layers.h): mkroot build MANIFEST, inspect IMAGE,
 * diff A B, cache ls|gc|path. */
int lay_build_main(int argc, char **argv);
int lay_inspect_main(int argc, char **argv);
int lay_diff_main(int argc, char **argv);
int lay_cache_main(int argc, char **argv);
