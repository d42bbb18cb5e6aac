/* Libraries only a cold start needs, loaded on first use: libarchive (it
 * pulls in libxml2, ICU and libstdc++, whose loading alone costs more than
 * a whole warm container start) and libcrypto's sha256 (the content digest
 * of a new image). Include this instead of <archive.h>: the archive_*
 * names below then call through the loaded table. Call la_load() before
 * any of them (the extractor does so itself). A program that links
 * libarchive too (mkroot) gets the same library back from dlopen, so an
 * archive opened through either can be handed to the other. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "common.h"

#define LA_FUNCS(X)                                                                                \
        X(archive_read_new)                                                                        \
        X(archive_read_free)                                                                       \
        X(archive_read_support_filter_all)                                                         \
        X(archive_read_support_format_tar)                                                         \
        X(archive_read_support_format_cpio)                                                        \
        X(archive_read_open)                                                                       \
        X(archive_read_next_header)                                                                \
        X(archive_read_data_block)                                                                 \
        X(archive_read_disk_new)                                                                   \
        X(archive_read_disk_open)                                                                  \
        X(archive_read_disk_descend)                                                               \
        X(archive_read_disk_set_symlink_physical)                                                  \
        X(archive_read_disk_set_behavior)                                                          \
        X(archive_error_string)                                                                    \
        X(archive_set_error)                                                                       \
        X(archive_entry_pathname)                                                                  \
        X(archive_entry_hardlink)                                                                  \
        X(archive_entry_filetype)                                                                  \
        X(archive_entry_size)                                                                      \
        X(archive_entry_symlink)                                                                   \
        X(archive_entry_perm)                                                                      \
        X(archive_entry_uid)                                                                       \
        X(archive_entry_gid)                                                                       \
        X(archive_entry_mtime)                                                                     \
        X(archive_entry_mtime_nsec)                                                                \
        X(archive_entry_rdev)                                                                      \
        X(archive_entry_xattr_reset)                                                               \
        X(archive_entry_xattr_next)

#define LA_MEMBER(f) __typeof__(f) *f;
typedef struct la_api {
        LA_FUNCS(LA_MEMBER)
} la_api;
#undef LA_MEMBER

extern la_api la;

/* dlopen libarchive and resolve the table; idempotent and thread-safe. */
int la_load(err_t *e);

/* sha256 of a stream through libcrypto, loaded on first use. */
typedef struct lz_sha256 lz_sha256;
int lz_sha256_new(lz_sha256 **ret, err_t *e);
void lz_sha256_update(lz_sha256 *c, const void *data, size_t len);
/* Writes 64 hex digits and a NUL; frees c. */
void lz_sha256_final(lz_sha256 *c, char hex[DIGEST_HEX_LEN + 1]);
void lz_sha256_free(lz_sha256 *c);

#ifndef LA_NO_REDIRECT
#define archive_read_new la.archive_read_new
#define archive_read_free la.archive_read_free
#define archive_read_support_filter_all la.archive_read_support_filter_all
#define archive_read_support_format_tar la.archive_read_support_format_tar
#define archive_read_support_format_cpio la.archive_read_support_format_cpio
#define archive_read_open la.archive_read_open
#define archive_read_next_header la.archive_read_next_header
#define archive_read_data_block la.archive_read_data_block
#define archive_read_disk_new la.archive_read_disk_new
#define archive_read_disk_open la.archive_read_disk_open
#define archive_read_disk_descend la.archive_read_disk_descend
#define archive_read_disk_set_symlink_physical la.archive_read_disk_set_symlink_physical
#define archive_read_disk_set_behavior la.archive_read_disk_set_behavior
#define archive_error_string la.archive_error_string
#define archive_set_error la.archive_set_error
#define archive_entry_pathname la.archive_entry_pathname
#define archive_entry_hardlink la.archive_entry_hardlink
#define archive_entry_filetype la.archive_entry_filetype
#define archive_entry_size la.archive_entry_size
#define archive_entry_symlink la.archive_entry_symlink
#define archive_entry_perm la.archive_entry_perm
#define archive_entry_uid la.archive_entry_uid
#define archive_entry_gid la.archive_entry_gid
#define archive_entry_mtime la.archive_entry_mtime
#define archive_entry_mtime_nsec la.archive_entry_mtime_nsec
#define archive_entry_rdev la.archive_entry_rdev
#define archive_entry_xattr_reset la.archive_entry_xattr_reset
#define archive_entry_xattr_next la.archive_entry_xattr_next
#endif
