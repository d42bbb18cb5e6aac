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

/* Writer threads for regular files' contents and metadata (write-pool.c),
 * so that the caller's thread only reads the archive and makes the names,
 * in the archive's order. A file is given to the pool with its fd (and a
 * caller's object, file) by xt_wpool_file; its data jobs and then its end
 * go to the same writer, in order. On its end the writer calls finish
 * (discard: a write failed somewhere, or the pool is stopping), which
 * sets the metadata and closes fd in every case; a failed pwrite goes
 * through werror (err: a negative errno) for its message. The first
 * failure stops the writing and every later call returns it. */
typedef struct xt_wpool xt_wpool;
typedef int (*xt_wfinish_fn)(void *ud, int fd, void *file, bool discard, err_t *e);
typedef int (*xt_werror_fn)(void *ud, void *file, int err, err_t *e);

/* n threads; the caller waits while max_bytes of data (the size of the
 * pool's one buffer) or max_files files are in flight. */
int xt_wpool_new(unsigned n, size_t max_bytes, unsigned max_files, xt_wfinish_fn finish,
                 xt_werror_fn werror, void *ud, xt_wpool **ret, err_t *e);
/* Room for one more file: *ret_writer is the writer it goes to. After
 * success, the file must end with xt_wpool_end. */
int xt_wpool_file(xt_wpool *p, unsigned *ret_writer, err_t *e);
/* A copy of data, written at off. */
int xt_wpool_data(xt_wpool *p, unsigned wi, int fd, void *file, off_t off, const void *data,
                  size_t len, err_t *e);
/* The file's last job: fd and file are the pool's from here on. */
void xt_wpool_end(xt_wpool *p, unsigned wi, int fd, void *file);
/* Every file ended: 0 or the first failure. */
int xt_wpool_finish(xt_wpool *p, err_t *e);
/* Stops the threads; whatever is still queued is closed unwritten. */
void xt_wpool_free(xt_wpool *p);
