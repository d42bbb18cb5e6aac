/* cache: the content-addressed store mkroot and runroot share.
 *
 * Layout under the cache root:
 *   blobs/sha256/HEX        compressed images and layers, by content
 *   layers/sha256/HEX/      unpacked trees, by the digest of their archive
 *   index/KEY               cheap key of an image file -> "HEX\n"
 *   names/NAME/             persistent writable layers (runroot --name)
 *   tmp/ID/, runs/ID/       staging and per-run dirs; each has a sibling
 *                           ID.lock that its owner holds flock'd while alive
 *   locks/NAME.lock         flock points for concurrent users
 *   seccomp/CAPS-CRC        runroot's compiled seccomp filter per capability
 *                           set (runner/seccomp-cache.c)
 * Everything is published by rename once complete; a crash leaves only
 * staging dirs whose lock nobody holds, which store_gc removes. */
#pragma once

#include <stdbool.h>

#include "common.h"

typedef struct store store;

/* The directory store_open uses when dir is NULL: $MKROOT_CACHE, else
 * /var/cache/mkroot for root, else $XDG_CACHE_HOME/mkroot or
 * ~/.cache/mkroot. malloc'd. */
char *store_default_dir(void);
/* Open (creating when missing) the store at dir, or the default. */
int store_open(const char *dir, store **ret, err_t *e);
void store_free(store *s);
const char *store_root(const store *s);
int store_dirfd(const store *s);

/* Take an exclusive flock on locks/NAME.lock (waiting when wait is true,
 * else -EWOULDBLOCK). The lock lasts until *ret_fd is closed. */
int store_lock(store *s, const char *name, bool wait, int *ret_fd, err_t *e);

/* The index maps a cheap key of an image file (device, inode, size,
 * mtime, ctime: any rewrite changes it) to the digest of its content. */
#define STORE_KEY_MAX 128
int store_file_key(int fd, char ret_key[STORE_KEY_MAX], err_t *e);
/* 0 and *ret_digest set when found, -ENOENT otherwise. */
int store_index_get(store *s, const char *key, char ret_digest[DIGEST_HEX_LEN + 1]);
int store_index_put(store *s, const char *key, const char *digest, err_t *e);

/* Absolute paths of a blob and of an unpacked layer; malloc'd. */
char *store_blob_path(const store *s, const char *digest);
char *store_layer_path(const store *s, const char *digest);
bool store_layer_exists(const store *s, const char *digest);

/* A directory owned by this process (and the children it forks or clones
 * without CLONE_FILES) in area "tmp" or "runs". */
typedef struct store_scratch {
        char *path; /* absolute */
        char *area;
        char *id;
        int lock_fd;
} store_scratch;

int store_scratch_new(store *s, const char *area, store_scratch **ret, err_t *e);
/* Remove the directory and its lock, free sc. NULL is fine. */
int store_scratch_remove(store *s, store_scratch *sc, err_t *e);
/* Move a complete staging dir to layers/sha256/DIGEST. When that layer
 * already exists (someone else published it first), the staging dir is
 * discarded instead. Frees sc either way. */
int store_layer_publish(store *s, store_scratch *sc, const char *digest, err_t *e);

/* names/NAME/ for a persistent upper layer, locked for the caller's use
 * (-EBUSY when another run holds it). */
int store_name_open(store *s, const char *name, char **ret_path, int *ret_lock_fd, err_t *e);

/* Remove what dead processes left: staging and run dirs whose lock is
 * free; with full, also index entries whose layer is gone. */
int store_gc(store *s, bool full, unsigned *ret_removed, err_t *e);
