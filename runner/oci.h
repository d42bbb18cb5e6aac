/* runner internals: OCI image layout and docker-save archives as stacks of
 * layers (not a public header). */
#pragma once

#include <stdbool.h>

#include "cache.h"
#include "common.h"
#include "runner.h"

/* An image file that is an OCI layout or docker-save archive: every layer
 * unpacked once into the store's OCI trees (whiteouts turned into overlay
 * whiteouts, opaque markers into the opaque xattr), and *ret_lowers the
 * overlay lowerdir list, topmost first. Returns 0 when done, 1 when the
 * file is not such an archive (fd is rewound for the caller), or a
 * negative errno. key is the file's cheap store key. */
int oci_resolve(store *s, int fd, const char *image, const char *key, char **ret_lowers, err_t *e);
/* Warm path: the index maps key to a stack record; 0 and *ret_lowers when
 * it does and every layer is there, -ENOENT otherwise. */
int oci_resolve_warm(store *s, const char *key, const char *digest, char **ret_lowers);
/* The lower list runner_image_config_get resolved for image in this
 * process, if any (malloc'd copy). */
bool oci_memo_get(const char *image, char **ret_lowers);
/* The store runner_image_config_get opened on cache_dir (the same
 * argument, NULL for the default) and keeps for that memo, borrowed: the
 * run uses it rather than opening the cache a second time. NULL when
 * there is none. */
store *oci_memo_store(const char *cache_dir);
