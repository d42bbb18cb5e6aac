/* mounts-setup: the pieces of the container's file system that mounts.c
 * (mounts_setup) puts together. mounts-util.c: mount helpers resolving
 * every target inside the new root; mounts-user.c: -v and --tmpfs, built
 * on those helpers alone. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* ---- mounts-util.c ------------------------------------------------- */

int mounts_do(const char *src, const char *dst, const char *type, unsigned long flags,
              const char *data, err_t *e);
/* The mount point dst inside the tree at root (made when missing, a
 * directory or a file), as a path that stays inside it. */
int mounts_target_in_root(const char *root, const char *dst, bool dir, char **ret, err_t *e);
int mounts_in_root(const char *root, const char *src, const char *dst, const char *type,
                   unsigned long flags, const char *data, bool dir, err_t *e);
int mounts_make_nodev(const char *t, err_t *e);
int mounts_remount_ro(const char *t, err_t *e);
/* Bind src (or the detached tree tree_fd when not -1) at dst inside root,
 * nodev, with ro and the MOUNT_ATTR_* in attrs. */
int mounts_bind_in_root(const char *root, const char *src, const char *dst, bool ro, int tree_fd,
                        uint64_t attrs, err_t *e);

/* ---- mounts-user.c ------------------------------------------------- */

/* In user_mount's attrs: bind src alone, not the mounts below it (-v's
 * mode bind, OCI's "bind" option; rbind, the default, takes them too). */
#define MOUNTS_BIND_ONE (UINT64_C(1) << 63)

typedef struct user_mount {
        char *src; /* NULL for a tmpfs */
        char *dst;
        bool ro;
        bool slave;     /* rslave (or slave): the host's mounts below src propagate in */
        uint64_t attrs; /* MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOEXEC (binds are always nodev),
                           MOUNTS_BIND_ONE */
        int tree_fd;    /* slave: the detached copy of src made before anything is private */
        unsigned long tmpfs_flags;
        char *tmpfs_data;
        size_t depth;
        size_t order;
} user_mount;

typedef struct user_mounts {
        user_mount *v;
        size_t n;
} user_mounts;

/* -v and --tmpfs of p, shallowest destination first (as docker does), so
 * that --tmpfs /data -v X:/data/x puts the bind inside the tmpfs. */
int mounts_user_parse(const mount_plan *p, user_mounts *ret, err_t *e);
/* The slave binds' sources detached while the namespace is the host's
 * copy (before "/" is made private). */
int mounts_user_slave_trees(user_mounts *u, err_t *e);
/* Mount them inside root (and --net host's files). */
int mounts_user_setup(const mount_plan *p, const char *root, const user_mounts *u, err_t *e);
void mounts_user_free(user_mounts *u);
