/* extract: the one extractor of untrusted archives. Rootfs tarballs and OCI
 * layers for runroot, a build's base and layers for mkroot build, .deb data
 * members for mkroot fetch, and runroot's private copy of a layer all go
 * through it, so its rules hold everywhere:
 *
 * - Names: one cleaner. A leading "/" is dropped (the entry is relative to
 *   the root, as GNU tar and docker treat it), "." and empty components
 *   go, ".." is resolved lexically and refused when it climbs above the
 *   root ("LABEL: entry \"NAME\": leaves the root").
 * - Paths: one in-root resolver. Each component is opened O_NOFOLLOW from
 *   the one before; a symlink met on the way is read and resolved as if
 *   the tree were "/" (absolute targets and ".." stop at the root), so no
 *   parent, file, symlink, hardlink or metadata change ever lands outside.
 *   The final component is created with O_EXCL/O_NOFOLLOW after whatever
 *   was there is removed: nothing is written through a symlink or an old
 *   hardlink. A hardlink names any non-directory inside the tree (the node
 *   itself: a symlink is not followed); one to a device node that was not
 *   made is not made either, and counted in skipped_devices.
 * - Metadata: owner, mode and times of a node that is not opened for
 *   writing (symlink, fifo, device) go through one O_PATH|O_NOFOLLOW fd
 *   after checking it is still the node made (a parallel unpacker of the
 *   same tree may have swapped it for a symlink): nothing is chmod'ed,
 *   chown'ed or touched through a symlink. A symlink has no mode.
 * - Messages: names and libarchive's words in errors and warnings are one
 *   line, control characters as '?'.
 * - Writes: every status is checked. A failed or short write, mkdir,
 *   mknod, link, chown or chmod fails the whole archive (libarchive's
 *   ARCHIVE_WARN from a data write, which used to be taken for success,
 *   no longer exists here: the writer is ours). The caller then discards
 *   its staging directory and publishes nothing.
 * - Threads (writers): names, directories, links and every other node are
 *   made on the caller's thread in the archive's order; a regular file is
 *   created there too (O_EXCL), and its data, owner, xattrs, mode and time
 *   then go through that fd on a writer thread, data first (a write drops
 *   a file capability). The call returns once every writer is done, with
 *   the first failure of any.
 *
 * libarchive is loaded lazily (lazylib.h), so runroot pays for it only on
 * a cold start. Functions never print except through log_debug/log_warn;
 * they return 0 or a negative errno with e filled. */
#pragma once

#include <stdbool.h>

#include "common.h"

struct archive;

typedef enum xt_whiteouts {
        XT_WHITEOUTS_KEEP,    /* ".wh.*" entries are ordinary files (rootfs tarballs) */
        XT_WHITEOUTS_OVERLAY, /* become overlay's: a 0/0 character device, the opaque xattr */
        XT_WHITEOUTS_APPLY,   /* applied to the tree: the victim removed, an opaque
                                 directory emptied of what this archive did not write */
        XT_WHITEOUTS_MAX
} xt_whiteouts;

typedef enum xt_owners {
        XT_OWNERS_KEEP,   /* the archive's numeric uid/gid; a failed chown fails */
        XT_OWNERS_TRY,    /* the archive's ids where the kernel lets us (EPERM, or an id
                             unmapped in this user namespace, leaves the caller's) */
        XT_OWNERS_CALLER, /* everything owned by the caller (rootless) */
        XT_OWNERS_MAX
} xt_owners;

typedef enum xt_devices {
        XT_DEVICES_SKIP,   /* character and block devices are not made, only counted */
        XT_DEVICES_CREATE, /* made; counted as skipped when the kernel refuses (EPERM) */
        XT_DEVICES_MAX
} xt_devices;

/* A caller's rename of an entry (after cleaning; the result is cleaned
 * again). Return 0 with *ret NULL to keep the name, 0 with *ret a malloc'd
 * name to use instead, or 1 to skip the entry (for a hardlink target, 1
 * keeps the name). */
typedef int (*xt_rewrite_fn)(void *ud, const char *name, char **ret);

typedef struct xt_opts {
        const char *label; /* names the archive in messages */
        xt_whiteouts whiteouts;
        xt_owners owners;
        xt_devices devices;
        xt_rewrite_fn rewrite;
        void *rewrite_ud;
        bool require_entries; /* an archive with nothing but "./" is an error */
        bool read_disk;       /* in is an archive_read_disk: descend into directories */
        bool no_times;        /* leave mtimes at "now" (parallel .deb unpacking) */
        bool no_dir_times;    /* only directories keep "now" (their contents change) */
        bool skip_existing;   /* leave an existing path alone unless listed in keep */
        const strv *keep;
        bool keep_dirs; /* a directory entry leaves an existing dir or symlink alone */
        /* Threads that write regular files' data and metadata while this
         * one reads the archive and makes every name in its order (0:
         * this one writes too). */
        unsigned writers;
        /* Directory modes and times, set once the archive is written (a
         * directory's time changes while its entries go in). NULL: the
         * extractor keeps its own and applies it on success; else the
         * caller's map collects them over several archives and the caller
         * calls xt_dir_times_apply. */
        strmap *dir_times;
        /* Called with every entry's cleaned name ("" for the root itself)
         * before the rewrite, skipped ones included (dpkg's file lists). */
        void (*on_entry)(void *ud, const char *name);
        void *on_entry_ud;
        /* Called with the path from the root (resolved, as it is in the
         * tree) of every node an entry made, and the owner the entry gives
         * it, whatever owners says: how a caller that unpacks without
         * privilege (XT_OWNERS_CALLER) knows whose each one is. A
         * directory the archive did not list is not reported. */
        void (*on_owner)(void *ud, const char *path, uid_t uid, gid_t gid);
        void *on_owner_ud;
} xt_opts;

typedef struct xt_stats {
        unsigned long entries;
        unsigned long skipped_devices;
        unsigned long skipped_metadata; /* xattrs the file system or privilege refused */
} xt_stats;

/* Extract the archive read from fd (tar or cpio, any compression libarchive
 * knows) into the directory rootfd. ret_digest (NULL to skip) gets the
 * sha256 of every byte of fd from its offset on, also past the archive's
 * end-of-archive marker. */
int xt_extract_fd(int fd, int rootfd, const xt_opts *o, char *ret_digest, xt_stats *ret_stats,
                  err_t *e);
/* The same for an archive the caller opened (a .deb's data member, a
 * directory read with archive_read_disk); positioned before its first
 * header. */
int xt_extract_archive(struct archive *in, int rootfd, const xt_opts *o, xt_stats *ret_stats,
                       err_t *e);

/* writers for an archive that has the machine to itself: one per CPU (at
 * most 4). */
unsigned xt_default_writers(void);

/* Apply and free what a caller's dir_times map collected. */
void xt_dir_times_apply(int rootfd, strmap *dir_times);

/* The name cleaner: *ret is the cleaned relative name ("" for the root
 * itself); -EPERM "LABEL: WHAT \"RAW\": leaves the root" when ".." climbs
 * above it. what is "entry" or "hardlink to". */
int xt_name_clean(const char *label, const char *what, const char *raw, char **ret, err_t *e);

/* The resolver: the directory path inside rootfd as if rootfd were "/",
 * made when missing (a non-directory in the way is replaced: the
 * directory wins, as in an overlay). *ret_fd (O_PATH) and *ret_path (the
 * resolved path, "/" for the root) are optional. */
int xt_mkdir_in_root(int rootfd, const char *path, int *ret_fd, char **ret_path, err_t *e);
/* The same without making anything: -ENOENT/-ENOTDIR when it is not
 * there. */
int xt_open_dir_in_root(int rootfd, const char *path, int *ret_fd, char **ret_path, err_t *e);
