/* The read callback every archive reader of the project hands to libarchive
 * (the extractor, runroot's OCI reader): large reads from an fd, EINTR
 * retried, optionally hashed. */
#pragma once

#include "lazylib.h"

#define UNPACK_BUF (256 * 1024)

typedef struct unpack_reader {
        int fd;
        lz_sha256 *dg;  /* NULL: no digest */
        char *buf;      /* UNPACK_BUF bytes */
        int err;        /* errno of a failed read */
        size_t pre_len; /* bytes already in buf, handed out first */
} unpack_reader;

la_ssize_t unpack_reader_read(struct archive *a, void *ud, const void **ret);
