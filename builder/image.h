/* image: write a staged tree as a deterministic archive, and list one. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "stage.h"

typedef enum image_compress {
        IMAGE_COMPRESS_AUTO, /* from the output name */
        IMAGE_COMPRESS_NONE,
        IMAGE_COMPRESS_GZIP,
        IMAGE_COMPRESS_ZSTD,
        IMAGE_COMPRESS_XZ,
        IMAGE_COMPRESS_BZIP2,
        IMAGE_COMPRESS_LZ4,
        IMAGE_COMPRESS_LZIP,
        IMAGE_COMPRESS_MAX
} image_compress;

typedef enum image_format {
        IMAGE_FORMAT_TAR,  /* pax (restricted) tar */
        IMAGE_FORMAT_CPIO, /* newc, for initramfs */
        IMAGE_FORMAT_MAX
} image_format;

typedef struct image_opts {
        image_format format;
        image_compress compress;
        int level;       /* compression level, 0 = library default */
        bool have_epoch; /* SOURCE_DATE_EPOCH: clamp every mtime to it */
        int64_t epoch;
        /* cpio: refuse a tree without an /init (a file or a link: what the
         * kernel runs), before anything is written, with "initramfs: no
         * /init in the image: add one with INIT_HINT". NULL: no check. */
        const char *init_hint;
} image_opts;

/* "gzip"/"gz", "zstd"/"zst", "xz", "bzip2"/"bz2", "lz4", "lzip"/"lz",
 * "none" -> enum; -EINVAL otherwise. */
int image_compress_parse(const char *name, image_compress *ret);
/* From a file name: .tar.gz/.tgz, .tar.zst, .tar.xz, .tar.bz2/.tbz2,
 * .tar.lz4, .tar.lz, .tar, .cpio.gz, .gz, ...; IMAGE_COMPRESS_GZIP when
 * nothing matches. */
image_compress image_compress_from_name(const char *path);
/* What an output name says, strictly: its compression (as above) and
 * whether it names a cpio (.cpio, .cpio.gz, ...). A name without a
 * suffix (or one that is not a word, as in "os-12.5") is a gzip'd tar,
 * as image_compress_from_name has it; a suffix that names no format this
 * writes (.zip, .rar, .foo) is -EINVAL, with a message naming the file
 * and the suffixes that are known. ret_cpio may be NULL. */
int image_name_parse(const char *path, image_compress *ret_compress, bool *ret_cpio, err_t *e);

/* Write the tree to path (IMAGE_COMPRESS_AUTO: as image_compress_from_name
 * says; a caller that refuses unknown suffixes asks image_name_parse
 * first) through a temporary file in the same directory, renamed into
 * place only when complete. While writing, SIGINT/SIGTERM/SIGHUP handlers
 * remove the temporary file and re-raise the signal to the previous
 * disposition (one image_write at a time per process). cpio (newc) cannot
 * hold xattrs; they are dropped there. */
int image_write(stage *s, const char *path, const image_opts *o, err_t *e);
/* Print an archive's entries like `tar -tvf`. */
int image_list(const char *path, FILE *out, err_t *e);
