/* extract internals shared between its files (not a public header). */
#pragma once

#include "extract.h"

/* raw as it may appear in a one-line message: fits in size (at least 8)
 * bytes, control characters as '?', "..." when cut. */
const char *xt_snip(const char *raw, char *buf, size_t size);

/* Tests only (NULL otherwise): called right after the extractor made a
 * node (dfd, its name) and before its metadata is set, and before each
 * deferred directory mode and time (the root fd, the directory's path), so
 * a test can swap the node as a parallel unpacker of the same tree could. */
extern void (*xt_test_hook)(int dfd, const char *name);

/* Called by the resolver before it changes a directory's contents (its fd
 * and its path relative to the root, "" for the root) and after it made
 * one. */
typedef struct xt_dir_hooks {
        void (*touch)(void *ud, int dfd, const char *dir);
        void (*made)(void *ud, const char *dir);
        void *ud;
} xt_dir_hooks;

/* Resolve dir (relative or absolute, as if rootfd were "/") to an O_PATH fd
 * and its resolved path relative to the root without a leading slash ("" for
 * the root). create: make what is missing, replace a non-directory in the
 * way. */
int xt_resolve_dir(int rootfd, const char *dir, bool create, const xt_dir_hooks *h, int *ret_fd,
                   char **ret_rel, err_t *e);
