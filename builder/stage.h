/* stage: the tree an image will hold, kept in memory. Entries are image
 * paths (relative, normalised, no ".." — e.g. "usr/bin/bash"); file
 * contents stay on the host until the image writer streams them. Missing
 * parent directories are implied (0755). A parent that is a staged symlink
 * is followed inside the staged tree, so "bin/x" lands in "usr/bin/x" when
 * "bin" -> "usr/bin". */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common.h"

typedef enum stage_kind {
        STAGE_DIR,
        STAGE_FILE, /* regular file, contents from host path or data */
        STAGE_SYMLINK,
        STAGE_DEVICE, /* char/block device, fifo, socket: from host lstat */
        STAGE_KIND_MAX
} stage_kind;

typedef struct stage_xattr {
        char *name;
        void *value;
        size_t size;
} stage_xattr;

typedef struct stage_entry {
        char *path; /* image path, relative */
        stage_kind kind;
        mode_t mode; /* full st_mode incl. type bits */
        uid_t uid;
        gid_t gid;
        int64_t mtime; /* seconds; -1 = generated (writer chooses) */
        char *host;    /* host path to read contents from, or NULL */
        void *data;    /* generated contents, or NULL */
        size_t size;
        char *target; /* symlink target */
        dev_t rdev;
        dev_t host_dev; /* host identity for hardlink detection (0/0 = none) */
        ino_t host_ino;
        nlink_t host_nlink;
        stage_xattr *xattrs;
        size_t n_xattrs;
} stage_entry;

typedef struct stage stage;

stage *stage_new(void);
void stage_free(stage *s);

/* Add the host object at `host` (lstat: a directory adds only itself, not
 * its contents) under image path `dest`; mode, owner, mtime, xattrs and
 * (for hardlinks) identity come from the host. Re-adding the same source
 * to the same dest is a no-op; a different source is -EEXIST. */
int stage_add_host(stage *s, const char *dest, const char *host, err_t *e);
int stage_add_dir(stage *s, const char *dest, mode_t perm, err_t *e);
int stage_add_symlink(stage *s, const char *dest, const char *target, err_t *e);
int stage_add_data(stage *s, const char *dest, mode_t perm, const void *data, size_t len, err_t *e);
/* The entry at dest (after following staged parent symlinks), or NULL. */
const stage_entry *stage_lookup(const stage *s, const char *dest);

/* Host entries owned by uid get to_uid, those of group gid to_gid: a
 * build in a user namespace records the host files that namespace does
 * not map (the overflow ids there) as root's, as a build by root does. */
void stage_map_owner(stage *s, uid_t uid, gid_t gid, uid_t to_uid, gid_t to_gid);

/* Each host entry gets the owner fn gives for its image path: a tree
 * unpacked without privilege (every file the caller's) staged with the
 * owners its archives recorded. */
void stage_set_owners(stage *s, void (*fn)(void *ud, const char *path, uid_t *uid, gid_t *gid),
                      void *ud);

size_t stage_count(const stage *s);
/* Entries sorted by path (bytewise), valid until the next add. */
const stage_entry *const *stage_sorted(stage *s);
