/* cache: the content-addressed store mkroot and runroot share.
 *
 * Layout under the cache root (format 2):
 *   blobs/sha256/HEX          compressed images and layers, by content
 *   layers/rootfs/sha256/HEX/ rootfs tarballs unpacked as they are
 *   layers/oci/sha256/HEX/    OCI and docker layers, whiteouts converted
 *   stacks/NAME               record: an image of OCI layers (trees, config)
 *   steps/NAME                record: a build step of mkroot (blobs, layer)
 *   index/KEY                 cheap key of an image file -> "rootfs HEX\n"
 *                             or "stack NAME\n"
 *   names/NAME/               persistent writable layers (runroot --name)
 *   tmp/ID/, runs/ID/         staging and per-run dirs; each has a sibling
 *                             ID.lock that its owner holds flock'd while alive
 *   locks/NAME.lock           flock points: unpack-KEY (one unpacker per
 *                             image), tree-KIND-HEX and stack-NAME (shared
 *                             by every run using it, exclusive for gc)
 *   locks/use-AREA--KEY       last use of AREA/KEY (store_area_mark_used)
 *   seccomp/GEN-CAPS          runroot (runner/seccomp-cache.c): compiled
 *                             seccomp filters; GEN names the libseccomp
 *                             version, architecture and rules they came from;
 *   seccomp/GEN-CAPS-PROFILE  those of a seccomp profile (PROFILE: a CRC of
 *                             its text)
 *   apt/                      mkroot fetch (builder/apt/): lock (flock'd by
 *                             a running fetch), sha256/HEX (verified .debs
 *                             and Packages by digest), partial/ (downloads
 *                             in progress), tmp/ (the tree being built),
 *                             images/HEX (finished images by their inputs),
 *                             bases/ (where older mkroot builds kept the
 *                             bases they fetched: read, never written)
 *   bases/SUITE_ARCH.tar.*    mkroot fetch: the latest verified image of
 *                             each suite, one file per suite and arch (a
 *                             second name of its apt/images/HEX); mkroot
 *                             build's Base: SUITE uses it
 *   pulled/HEX.tar            runroot's images pulled from a registry
 *                             (registry/): OCI archives by the sha256 of
 *                             their manifest, published whole by rename
 *   overlay-refused           marker: the kernel refused overlayfs here
 *                             once (runroot warns only the first time)
 * Each of these is a store_area below; modules get paths and fds from the
 * store and never build them from the root.
 * The two kinds of trees never share a directory: the same file unpacked
 * as a rootfs and as an OCI layer gives two different trees. Format 1
 * (one layers/sha256/ for both, v1- index keys, stacks/HEX.json) is never
 * read; store_gc removes what is left of it.
 *
 * Trust: the root, every area and every file opened in them must belong to
 * the caller and be writable by nobody else, else the call fails with a
 * message naming the path (as ssh's StrictModes). The root's ancestors may
 * also belong to root, and be writable by others when sticky (/tmp).
 *
 * Everything is published by rename once complete; a crash leaves only
 * staging dirs whose lock nobody holds and dot-named temporary files,
 * which store_gc removes. */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "common.h"

typedef struct store store;

/* What a tree was unpacked as: the same archive gives different trees. */
typedef enum store_kind {
        STORE_KIND_ROOTFS, /* a rootfs tarball, entries as they are */
        STORE_KIND_OCI,    /* an OCI or docker layer, .wh.* made whiteouts */
        STORE_KIND_MAX,
} store_kind;

/* What an index entry names. */
typedef enum store_entry {
        STORE_ENTRY_ROOTFS, /* a tree of kind STORE_KIND_ROOTFS */
        STORE_ENTRY_STACK,  /* a stack record */
        STORE_ENTRY_MAX,
} store_entry;

/* Records: a list of references (what gc must keep while the record
 * stays) and an opaque payload. */
typedef enum store_record_kind {
        STORE_RECORD_STACK, /* refs: trees of kind STORE_KIND_OCI, bottom first */
        STORE_RECORD_STEP,  /* refs: blobs */
        STORE_RECORD_MAX,
} store_record_kind;

/* The directory store_open uses when dir is NULL: $MKROOT_CACHE, else
 * /var/cache/mkroot for root, else $XDG_CACHE_HOME/mkroot or
 * ~/.cache/mkroot. malloc'd. */
char *store_default_dir(void);
/* Open (creating when missing, mode 0700) the store at dir, or the
 * default, after checking who owns it (see Trust above). */
int store_open(const char *dir, store **ret, err_t *e);
/* Also releases every tree and stack this store holds. */
void store_free(store *s);
/* For messages only (mkroot cache path): paths come from the calls below. */
const char *store_root(const store *s);
/* The root's fd, for sec_filter_prepare, which keeps its files at
 * seccomp/NAME below it (check the area with store_area_dir first). */
int store_dirfd(const store *s);

/* Areas whose files other modules manage. Keys are single names
 * (letters, digits, '-', '_', '.'; no leading '.', so no '/' and no
 * ".."); the module picks them, the store keeps them inside the area. */
typedef enum store_area {
        STORE_AREA_RUNS,        /* runs/: the per-run tmpfs is mounted here */
        STORE_AREA_SECCOMP,     /* seccomp/ */
        STORE_AREA_APT,         /* apt/: the fetcher's root, and its lock */
        STORE_AREA_APT_DEBS,    /* apt/sha256/ */
        STORE_AREA_APT_PARTIAL, /* apt/partial/ */
        STORE_AREA_APT_TMP,     /* apt/tmp/ */
        STORE_AREA_APT_IMAGES,  /* apt/images/ */
        STORE_AREA_APT_BASES,   /* apt/bases/: older builds' bases, read only */
        STORE_AREA_BASES,       /* bases/ */
        STORE_AREA_PULLED,      /* pulled/ */
        STORE_AREA_MAX,
} store_area;

/* Make the area when missing (and its parents), check it (see Trust) and
 * give its absolute path (malloc'd; ret_path may be NULL). */
int store_area_dir(store *s, store_area a, char **ret_path, err_t *e);
/* The absolute path of AREA/KEY after store_area_dir (malloc'd). */
int store_area_path(store *s, store_area a, const char *key, char **ret_path, err_t *e);
/* openat AREA/KEY (O_CLOEXEC, never following a symlink) and check the
 * file as the areas are checked. */
int store_area_open(store *s, store_area a, const char *key, int flags, mode_t mode, int *ret_fd,
                    err_t *e);
/* Mark AREA/KEY used now (gc's keep_days go by use): the mtime of
 * locks/use-AREA--KEY, so that the file itself stays as it is. */
int store_area_mark_used(store *s, store_area a, const char *key);
/* What mkroot fetch SUITE keeps for this host: bases/SUITE_ARCH.tar[.EXT]
 * (ARCH: host_deb_arch), else bases/SUITE.tar[.EXT], else the same in
 * apt/bases/; of several, the newest. Marks it used, for gc's keep_days.
 * Creates nothing. 0 and its absolute path (malloc'd), -ENOENT when there
 * is none (suite not a key: no message), another negative errno when an
 * area or the file is not trusted (see Trust). mkroot build's Base: SUITE
 * and runroot SUITE both ask this. */
int store_base_find(store *s, const char *suite, char **ret_path, err_t *e);

/* Marker files at the root. */
typedef enum store_marker {
        STORE_MARKER_OVERLAY_REFUSED, /* overlay-refused */
        STORE_MARKER_MAX,
} store_marker;
/* Absolute path of the marker (malloc'd), for whoever creates it. */
char *store_marker_path(const store *s, store_marker m);

/* Take an flock on locks/NAME.lock, exclusive or shared (waiting when wait
 * is true, else -EWOULDBLOCK). The lock lasts until *ret_fd is closed. */
int store_lock(store *s, const char *name, bool wait, int *ret_fd, err_t *e);
int store_lock_shared(store *s, const char *name, bool wait, int *ret_fd, err_t *e);
/* Remove locks/NAME.lock once it has done its job. */
void store_lock_remove(store *s, const char *name);

/* The index maps a cheap key of an image file (device, inode, size,
 * mtime, ctime: any rewrite changes it) to what it was unpacked to. */
#define STORE_KEY_MAX 128
#define STORE_NAME_MAX 201
int store_file_key(int fd, char ret_key[STORE_KEY_MAX], err_t *e);
/* 0 and the results set when found, -ENOENT when absent or unreadable,
 * another negative errno (e filled) when the entry is not trusted. */
int store_index_get(store *s, const char *key, store_entry *ret_what, char ret_name[STORE_NAME_MAX],
                    err_t *e);
int store_index_put(store *s, const char *key, store_entry what, const char *name, err_t *e);

/* Absolute path of a blob (malloc'd). */
char *store_blob_path(const store *s, const char *digest);
/* A new temporary file in blobs/sha256/ (dot-named: no listing shows it,
 * gc removes it once a day old); *ret_tmp is its absolute path. */
int store_blob_tmp(store *s, char **ret_tmp, int *ret_fd, err_t *e);
/* Make the complete temporary file the blob DIGEST (mode 0644), or remove
 * it on a failure; frees nothing. */
int store_blob_publish(store *s, const char *tmp, int fd, const char *digest, err_t *e);

/* Trees: unpacked archives by the digest of the archive and their kind. */
char *store_tree_path(const store *s, store_kind k, const char *digest);
bool store_tree_exists(const store *s, store_kind k, const char *digest);
/* Last use of a tree: when it was last held (or made). */
int store_tree_used(store *s, store_kind k, const char *digest, time_t *ret);
/* Digests of the trees of a kind, sorted. */
int store_tree_list(store *s, store_kind k, strv *ret);
/* Take a shared lock on the tree (gc removes only what it can lock
 * exclusively) and mark it used. Held until store_free; holding twice is
 * one hold. -ENOENT when the tree is not there. */
int store_tree_hold(store *s, store_kind k, const char *digest, err_t *e);

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
/* Move a complete staging dir to the tree KIND/DIGEST, held as by
 * store_tree_hold. When that tree already exists (someone else published
 * it first), the staging dir is discarded instead. Frees sc either way. */
int store_tree_publish(store *s, store_scratch *sc, store_kind k, const char *digest, err_t *e);

/* Records by name (letters, digits, '-', '_', '.'). put replaces
 * atomically; a stack is held (as a tree) from put to store_free, so gc
 * leaves it while the index entry naming it is being written. get fills
 * what is asked (either may be NULL) and, with mark_used, marks it used;
 * -ENOENT when absent or not in this format. */
int store_record_put(store *s, store_record_kind k, const char *name, const strv *refs,
                     const char *payload, err_t *e);
int store_record_get(store *s, store_record_kind k, const char *name, bool mark_used,
                     strv *ret_refs, char **ret_payload, err_t *e);
/* Names of the records of a kind, sorted. */
int store_record_list(store *s, store_record_kind k, strv *ret, err_t *e);
/* Last use of a record (its mtime); -ENOENT when absent. */
int store_record_used(store *s, store_record_kind k, const char *name, time_t *ret);

/* names/NAME/ for a persistent upper layer, locked for the caller's use
 * (-EBUSY when another run holds it), made when missing. */
int store_name_open(store *s, const char *name, char **ret_path, int *ret_lock_fd, err_t *e);
/* Names of the kept layers, sorted. */
int store_name_list(store *s, strv *ret, err_t *e);
/* An fd of names/NAME/ (O_DIRECTORY; -ENOENT when there is none). */
int store_name_dir(store *s, const char *name, int *ret_fd, err_t *e);
/* Whether a run holds NAME now (looks without getting in its way). */
int store_name_running(store *s, const char *name, bool *ret, err_t *e);
/* Remove names/NAME/ and everything in it (never following a symlink,
 * never leaving its file system): -ENOENT when there is none, -EBUSY
 * while a run holds it (a run starting meanwhile gets -EBUSY). */
int store_name_remove(store *s, const char *name, err_t *e);

/* Remove what dead processes left: staging and run dirs whose lock is
 * free. Cheap; every run does it. */
int store_gc_leftovers(store *s, unsigned *ret_removed, err_t *e);

/* The one gc of both programs. Roots: index entries (-> rootfs trees and
 * stacks -> OCI trees) and step records (-> blobs). Removes leftovers,
 * trees and stacks nothing references, index entries whose referents are
 * gone (never one whose referents are present), blobs no step names, and
 * format 1 leftovers; with keep_days >= 0 also trees and step records not
 * used for that many days. Never a tree or stack some process holds, nor
 * blobs and steps while a build holds the "layers" lock.
 *
 * The areas of other modules, which nothing references (they are caches
 * of what a network fetch or a compile gives again):
 *   seccomp/   filters of another generation than seccomp_generation
 *              (both programs pass runner/'s sec_filter_generation; NULL
 *              keeps every generation); with keep_days, also those not
 *              used for that long
 *   apt/       with keep_days: sha256/ files (debs, Packages), images/,
 *              bases/ and resumable partial/ downloads not used for that
 *              long; always: what an interrupted fetch left (tmp/, the
 *              other partial/ files, publish copies' .tmp- files).
 *              Nothing of apt/ or bases/ while a fetch holds apt/lock
 *              (counted busy; gc holds it meanwhile, so none starts).
 *   bases/     with keep_days: images not replaced or used for that long.
 *              Each is the latest of its suite (a fetch replaces it), so
 *              without keep_days they stay: getting one back costs a fetch.
 *   pulled/    with keep_days: images not used for that long (a pull gets
 *              them back); always: names not of the form HEX.tar.
 * Use: the latest of a file's mtime, atime and store_area_mark_used.
 * Dot-named temporary files (an atomic write or a blob being made) a day
 * old are leftovers in every area. */
typedef struct store_gc_opts {
        int keep_days;                  /* -1: only what nothing references */
        const char *seccomp_generation; /* NULL: unknown, keep every generation */
} store_gc_opts;
typedef struct store_gc_stats {
        unsigned leftovers, trees, stacks, index, steps, blobs, legacy, busy;
        unsigned seccomp, apt, bases, pulled;
} store_gc_stats;
int store_gc(store *s, const store_gc_opts *o, store_gc_stats *ret, err_t *e);
