/* layers: images as stacks of content-addressed layers. A manifest (deb822)
 * names a base and steps; each step's result is a layer (the difference to
 * the layers below, deletions as OCI whiteouts) stored by digest in the
 * cache and reused while the step's inputs are unchanged. Images are
 * written as a flattened rootfs tarball, an OCI image layout tar or a
 * `docker load` archive, and read back from OCI and docker-save archives. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "image.h"
#include "stage.h"
#include "cache.h"
#include "common.h"
#include "ociarchive.h"

/* ---- manifests --------------------------------------------------------- */

typedef enum lay_step_kind {
        LAY_STEP_ADD,     /* host paths with their ELF dependencies */
        LAY_STEP_COPY,    /* SRC DEST */
        LAY_STEP_INCLUDE, /* packages through the base's apt */
        LAY_STEP_RUN,     /* a shell command inside the image */
        LAY_STEP_REMOVE,  /* paths, as whiteouts */
        LAY_STEP_KIND_MAX
} lay_step_kind;

typedef struct lay_step {
        lay_step_kind kind;
        strv args;     /* Add/Include/Remove: items; Copy: SRC DEST; Run: the script */
        char *text;    /* "Add: /bin/sh" as written (history, cache key) */
        strv env;      /* Env in force for Run/Include */
        char *workdir; /* Workdir in force for Run */
        bool skeleton; /* Add only: also the minimal skeleton (scratch base) */
        bool network;  /* Run only: Network: yes (its own or the first paragraph's) */
} lay_step;

/* An image's runtime defaults: the OCI config's "config" object, read and
 * written through oci/ (ociarchive.h). */
typedef oci_config lay_config;

typedef struct lay_manifest {
        char *base; /* "scratch", a suite name or an image file */
        char *dir;  /* the manifest's directory: Copy/Add sources are relative to it */
        lay_step *steps;
        size_t n_steps;
        lay_config config;
        bool deps_all; /* Deps: all */
        int64_t mtime; /* the manifest file's (0 when parsed from memory) */
} lay_manifest;

int lay_manifest_parse(const char *data, size_t len, const char *what, const char *dir,
                       lay_manifest *ret, err_t *e);
int lay_manifest_load(const char *path, lay_manifest *ret, err_t *e);
void lay_manifest_free(lay_manifest *m);
void lay_config_free(lay_config *c);
/* Parse a Cmd/Entrypoint value: a JSON array of strings or words split
 * on blanks. */
int lay_parse_argv(const char *value, strv *ret, err_t *e);
const char *lay_step_kind_name(lay_step_kind k);

/* ---- layers and images ------------------------------------------------- */

typedef struct lay_layer {
        char blob[DIGEST_HEX_LEN + 1]; /* sha256 of the gzip blob */
        char diff[DIGEST_HEX_LEN + 1]; /* sha256 of the uncompressed tar (diff_id) */
        int64_t size;                  /* blob bytes */
        int64_t usize;                 /* uncompressed bytes */
        char *created_by;
        bool rootfs; /* a rootfs tarball Base:: its ".wh.*" are files, not whiteouts */
} lay_layer;

typedef struct lay_image {
        lay_layer *layers;
        size_t n_layers;
        lay_config config;
        int64_t created; /* seconds: SOURCE_DATE_EPOCH, else the newest input's mtime */
} lay_image;

void lay_image_free(lay_image *im);

typedef enum lay_format {
        LAY_FORMAT_ROOTFS,
        LAY_FORMAT_OCI,
        LAY_FORMAT_DOCKER,
        LAY_FORMAT_MAX
} lay_format;

typedef struct lay_build_opts {
        const char *cache_dir; /* NULL: the default store */
        bool deps_all;         /* copy libraries the base already has */
        bool allow_missing;
        bool no_cache; /* rebuild every step (still stores the results) */
        bool network;  /* --network: every Run step gets the host's network */
        /* Without root: the build is root of a user namespace of its own
         * (runner_userns_enter), so that the tree and its layers have the
         * owners the namespace shows; host files it adds that the
         * namespace does not map are recorded as root's. */
        bool userns;
} lay_build_opts;

/* Without root: make this process, which must not have started a thread,
 * root of a user namespace of its own (runner_userns_enter: the user's
 * subordinate ids when there are any, else only the user) and set
 * o->userns; 1 then, 0 for root (nothing done). Open the store before. */
int lay_build_enter_userns(lay_build_opts *o, err_t *e);
/* Build the manifest's layers (reusing cached steps). Counts of built and
 * reused steps are returned for the caller's message. */
int lay_build(store *st, const lay_manifest *m, const lay_build_opts *o, lay_image *ret,
              unsigned *ret_built, unsigned *ret_reused, err_t *e);
/* A single-layer image from a staged tree (mkroot --add --format oci). */
int lay_image_from_stage(store *st, stage *s, const char *created_by, lay_image *ret, err_t *e);

/* Write the image. rootfs: layers flattened (whiteouts applied) into one
 * tarball written with io; oci/docker: the archive at path (a plain tar). */
int lay_write(store *st, const lay_image *im, lay_format f, const char *path, const image_opts *io,
              err_t *e);

/* An image file opened for reading: an OCI layout archive, a docker-save
 * archive or a rootfs tarball (one layer). With layers, each layer member
 * is extracted to a temporary file (layer_files, parallel to im.layers). */
typedef struct lay_src {
        lay_image im;
        const char *kind; /* "oci", "docker", "rootfs" */
        strv layer_files;
        store_scratch *sc;
} lay_src;
int lay_src_open(store *st, const char *path, bool layers, lay_src *ret, err_t *e);
void lay_src_close(store *st, lay_src *src);

/* ---- trees ------------------------------------------------------------- */

/* Apply a layer archive (any compression) onto the directory at rootfd:
 * whiteouts remove, opaque markers clear lower contents, every path is
 * resolved inside the root (a symlink planted by a lower layer never leads
 * outside). Directory times are recorded in fixups (a strmap owned by the
 * caller, see lay_fixups_apply). With skip_existing, entries whose path
 * already exists are left alone unless listed in keep; with keep_dirs,
 * directory entries never replace what is there (a Copy into /x/ where x
 * is a symlink writes through it, inside the root). */
typedef struct lay_apply_opts {
        bool whiteouts;
        bool skip_existing;
        bool keep_dirs; /* a directory entry leaves an existing dir or symlink alone */
        const strv *keep;
        /* When set: path -> lay_owner, the owner each archive's entry gave
         * the node at that path (the last archive's wins). */
        strmap *owners;
} lay_apply_opts;
typedef struct lay_owner {
        uid_t uid;
        gid_t gid;
} lay_owner;
int lay_apply(int rootfd, const char *archive, const lay_apply_opts *o, strmap *fixups, err_t *e);
/* Set the recorded directory times and free the map's values. */
void lay_fixups_apply(int rootfd, strmap *fixups);

/* A snapshot of a tree's metadata (path -> signature). */
typedef struct lay_snap lay_snap;
int lay_snap_take(const char *root, lay_snap **ret, err_t *e);
void lay_snap_free(lay_snap *s);
/* Stage what changed in root since `before` (changed and new entries with
 * their parent directories, whiteouts for removed ones, an opaque marker
 * for a directory that was replaced). *ret_n is the number of changes. */
int lay_snap_diff(const lay_snap *before, const lay_snap *after, const char *root, stage *s,
                  size_t *ret_n, err_t *e);

/* Flatten an image's layers into a directory (created empty by caller). */
int lay_flatten(store *st, const lay_image *im, const char *dir, err_t *e);

/* ---- the layer store ---------------------------------------------------- */

/* Turn an uncompressed tar (or any archive libarchive reads, as a raw
 * stream) into a gzip blob in the store, filling digests and sizes. */
int lay_store_tar(store *st, const char *tar_path, bool raw_decompress, lay_layer *ret, err_t *e);
/* Records under steps/NAME: layers and config (a step's record holds the
 * one layer it made). Reading one marks it and its blobs used now. */
int lay_record_get(store *st, const char *name, lay_image *ret);
/* The same, marking it used only when mark_used (mkroot cache ls). */
int lay_record_read(store *st, const char *name, bool mark_used, lay_image *ret);
int lay_record_put(store *st, const char *name, const lay_image *im, err_t *e);
int lay_step_get(store *st, const char *key, lay_layer *ret);
int lay_step_put(store *st, const char *key, const lay_layer *l, err_t *e);
void lay_layer_clear(lay_layer *l);
/* Shared while building/reading, exclusive for gc: gc never removes what
 * a build in progress uses. */
int lay_store_lock(store *st, bool exclusive, int *ret_fd, err_t *e);

/* List an image file like tar -tvf: an OCI or docker archive as the files
 * of its flattened layers (whiteouts applied), anything else as
 * image_list does. cache_dir (NULL: the default) holds the scratch tree. */
int lay_list(const char *path, const char *cache_dir, FILE *out, err_t *e);
/* A staged tree as a one-layer OCI/docker archive. */
int lay_write_stage(stage *s, lay_format f, const char *output, const char *created_by,
                    const char *cache_dir, err_t *e);
