/* builder: the core of mkroot: host trees staged and packed into images
 * (stage.h, image.h, resolve.h and add.h say the rest). */
#pragma once

#include "common.h"
#include "image.h"
#include "stage.h"

/* Add the host directory tree at host_dir (recursively, nothing outside
 * it, no ELF dependency scan) to the stage under image path dest. */
int build_stage_tree(stage *s, const char *dest, const char *host_dir, err_t *e);

/* Pack a directory tree (e.g. a bootstrapped root) into an image file. */
int build_pack_dir(const char *dir, const char *out_path, const image_opts *o, err_t *e);
