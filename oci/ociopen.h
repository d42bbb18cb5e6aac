/* oci_archive_open_file: the one classification of an image file (runroot
 * and mkroot call it; it needs extract's lazily loaded libarchive, so it
 * is a library apart from oci/'s reader). */
#pragma once

#include "ociarchive.h"

/* Like oci_archive_open, and a compressed OCI layout or docker-save tar
 * (gzip, zstd, xz, bzip2) is one too: its member names are streamed
 * first, and only an OCI/docker archive is decompressed into an anonymous
 * file in $TMPDIR. 1: not one (a rootfs tarball), fd rewound to 0. */
int oci_archive_open_file(int fd, const char *name, const oci_sha256_ops *sha, oci_archive **ret,
                          err_t *e);

/* sha256 through extract's libcrypto, loaded on first use (lazylib.h),
 * for the callers in runroot: oci_sha256_common links libcrypto, which
 * every start would load. */
extern const oci_sha256_ops oci_sha256_lazy;
/* The hex sha256 of data that way; -errno when libcrypto cannot be loaded. */
int oci_sha256_lazy_buf(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1], err_t *e);
