/* pgz: gzip written and read on every core (libdeflate).
 *
 * The stream is a standard multi-member gzip file (RFC 1952: gzip, zlib,
 * GNU tar, bsdtar, Python and Go read it as one stream). The input is cut
 * into fixed chunks of PGZ_CHUNK bytes (the last one shorter; an empty
 * input is one empty member), each compressed on its own, so the bytes
 * depend on the input and the level only, never on the thread count.
 * Every member has the same 20-byte header, carrying its own size in an
 * extra subfield as BGZF does (BGZF's "BC" field holds 16 bits, too few
 * for 1 MiB chunks, hence a field of our own):
 *
 *   1f 8b 08 04        magic, deflate, FLG = FEXTRA
 *   00 00 00 00        MTIME: none
 *   00 03              XFL, OS = Unix
 *   08 00              XLEN = 8
 *   'M' 'R' 04 00      subfield "MR" (mkroot/runroot), 4 bytes of data:
 *   SIZE (u32, LE)     bytes of the whole member, this header to trailer
 *   deflate data, CRC32, ISIZE (RFC 1952)
 *
 * A reader finds every member by walking the sizes, and inflates them side
 * by side. A file whose first member lacks the field is not ours: callers
 * hand it to a streaming decompressor (libarchive's) instead. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common.h"

#define PGZ_CHUNK (1u << 20)
#define PGZ_HEADER_LEN 20
/* What a reader accepts of a member made elsewhere (memory stays bounded):
 * up to 16 MiB of output, and its compressed form. */
#define PGZ_MAX_ISIZE (16u << 20)
#define PGZ_MAX_MEMBER (PGZ_MAX_ISIZE + (1u << 16))
/* libdeflate's level when the caller says 0: its ratio is gzip -6's (a
 * little better) at a third of zlib's time per core. */
#define PGZ_DEFAULT_LEVEL 6
#define PGZ_MAX_THREADS 16

/* Threads to use when the caller says 0: the CPUs this process may run on,
 * at most PGZ_MAX_THREADS. */
unsigned pgz_default_threads(void);

/* Where compressed bytes go, in order: 0 or a negative errno. */
typedef int (*pgz_sink)(void *ud, const void *data, size_t len);

typedef struct pgz_writer pgz_writer;
/* level 0: PGZ_DEFAULT_LEVEL, else 1..12; threads 0: pgz_default_threads().
 * With 1 thread the caller's thread compresses; with more, worker threads
 * do, holding at most 2 * threads + 2 chunks in memory. label names the
 * output in messages. */
int pgz_writer_new(int level, unsigned threads, pgz_sink sink, void *ud, const char *label,
                   pgz_writer **ret, err_t *e);
int pgz_write(pgz_writer *w, const void *data, size_t len, err_t *e);
/* The last member and every member still in flight, written. */
int pgz_writer_finish(pgz_writer *w, err_t *e);
/* Stops the workers; what was not finished is dropped. */
void pgz_writer_free(pgz_writer *w);

/* Whether len bytes (at least PGZ_HEADER_LEN to say yes) start with the
 * header above. */
bool pgz_is_member(const void *head, size_t len);

/* Called with every byte read from the file, in order (a digest). */
typedef void (*pgz_raw_hook)(void *ud, const void *data, size_t len);

typedef struct pgz_reader pgz_reader;
/* Reads members from fd, whose first head_len bytes (at most
 * PGZ_HEADER_LEN, already read by the caller) are in head. raw sees every
 * byte of the file, head included (NULL: nobody). */
int pgz_reader_new(int fd, const void *head, size_t head_len, unsigned threads, pgz_raw_hook raw,
                   void *raw_ud, const char *label, pgz_reader **ret, err_t *e);
/* The next piece of the uncompressed stream in *ret_data (valid until the
 * next call): its length, 0 at the end of the file, or a negative errno
 * with e naming the file, the member and its offset (truncated, corrupt,
 * a member without the size field, data after the last member). */
ssize_t pgz_read(pgz_reader *r, const void **ret_data, err_t *e);
void pgz_reader_free(pgz_reader *r);
