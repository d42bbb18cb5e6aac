/* oci: the one reader of OCI image layout archives (oci-layout, index.json,
 * blobs/sha256/...) and docker-save archives (manifest.json, Config,
 * Layers), both plain tar files. Everything in them is untrusted: the tar
 * headers are bounds-checked, member names cleaned, JSON types, digests
 * (sha256:64 lowercase hex), sizes and media types checked, and every blob
 * read is hashed and compared with the digest that names it. Errors are one
 * line naming the archive and the problem. Writing archives stays with the
 * builder; the config <-> JSON helpers here are shared with it. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"

#define OCI_MAX_LAYERS 128
#define OCI_MAX_JSON ((int64_t)4 << 20) /* index, manifest, config */
#define OCI_MAX_BLOB ((int64_t)1 << 40) /* a layer */

#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"

/* sha256 as the caller computes it (runroot loads libcrypto lazily):
 * start allocates a context, finish writes 64 hex digits and frees it. */
typedef struct oci_sha256_ops {
        int (*start)(void **ret_ctx, err_t *e);
        void (*update)(void *ctx, const void *data, size_t len);
        void (*finish)(void *ctx, char hex[DIGEST_HEX_LEN + 1]);
        void (*discard)(void *ctx);
} oci_sha256_ops;
/* Through common's digest_* (links libcrypto). */
extern const oci_sha256_ops oci_sha256_common;

typedef enum oci_kind { OCI_KIND_OCI, OCI_KIND_DOCKER, OCI_KIND_MAX } oci_kind;
typedef enum oci_compression {
        OCI_COMPRESSION_NONE,
        OCI_COMPRESSION_GZIP,
        OCI_COMPRESSION_ZSTD,
        OCI_COMPRESSION_MAX
} oci_compression;

/* The image's runtime defaults (the config's "config" object). */
typedef struct oci_config {
        strv env; /* KEY=VALUE */
        strv cmd, entrypoint;
        bool have_cmd, have_entrypoint;
        char *workdir, *user; /* NULL when unset or empty */
        strv labels;          /* KEY=VALUE */
} oci_config;

typedef struct oci_layer {
        char digest[DIGEST_HEX_LEN + 1];  /* sha256 of the member as stored */
        char diff_id[DIGEST_HEX_LEN + 1]; /* sha256 of the uncompressed tar */
        const char *media_type;           /* a known one (static string) */
        oci_compression compression;
        int64_t size;     /* member bytes */
        int64_t offset;   /* where they start in the archive file */
        char *member;     /* its name in the archive */
        char *created_by; /* from the config's history; "" when none */
} oci_layer;

typedef struct oci_image {
        oci_kind kind;
        oci_layer *layers; /* bottom first */
        size_t n_layers;
        oci_config config;
        char config_digest[DIGEST_HEX_LEN + 1]; /* "" when the archive names none */
} oci_image;

typedef struct oci_archive oci_archive;

/* Read the archive at fd (not consumed; the reader keeps a dup). name is
 * the archive's name in messages. 0 and *ret: an OCI layout or docker-save
 * archive, its JSON checked and the JSON blobs verified; 1: a file that is
 * not one of those (a rootfs tarball, compressed or not); else -errno. */
int oci_archive_open(int fd, const char *name, const oci_sha256_ops *sha, oci_archive **ret,
                     err_t *e);
const oci_image *oci_archive_image(const oci_archive *a);
/* Copy layer i to out_fd (at its current offset), hashing on the way: a
 * layer whose content is not its digest fails with -EBADMSG (the caller
 * discards what was written). */
int oci_archive_copy_layer(oci_archive *a, size_t i, int out_fd, err_t *e);
void oci_archive_free(oci_archive *a);
static inline void oci_archive_freep(oci_archive **a)
{
        oci_archive_free(*a);
}
#define _cleanup_oci_archive_ _cleanup_(oci_archive_freep)

/* "sha256:HEX" -> HEX (a pointer into s), NULL unless well-formed. */
const char *oci_digest_hex(const char *s);

/* The config object <-> oci_config. from_json checks every type (null is
 * "unset", as Go writes it) and names what is wrong after what. */
json_object *oci_config_to_json(const oci_config *c);
int oci_config_from_json(json_object *j, const char *what, oci_config *ret, err_t *e);
void oci_config_free(oci_config *c);
