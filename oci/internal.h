/* oci internals: the tar member index (not a public header). */
#pragma once

#include "ociarchive.h"

/* An untrusted string for a message: escaped, at most 80 bytes shown (the
 * buffer lives until the end of the enclosing full expression's block). */
#define OCI_ESC(s) str_esc((s), (char[96]){0}, 96)

/* A regular member of a plain tar: its data is size bytes at offset. */
typedef struct oci_member {
        char *name; /* cleaned: relative, no "..", no "./" */
        int64_t offset, size;
        bool dup; /* listed more than once: offset/size are the last copy's */
} oci_member;

typedef struct oci_tar {
        oci_member *m;
        size_t n, cap;
        strmap *by_name; /* name -> oci_member index + 1 (as a pointer) */
        bool capped;     /* more headers than OCI_TAR_MAX_MEMBERS: the rest not indexed */
} oci_tar;

#define OCI_TAR_MAX_MEMBERS 200000

/* Index the regular members of the tar at fd (size bytes). 0: done;
 * 1: not a tar (the first header does not check out); else -errno. A
 * regular member listed twice is marked dup (a rootfs tarball may append
 * one; an OCI/docker reader refuses a name it uses that is a dup: readers
 * would disagree on which copy counts). Past OCI_TAR_MAX_MEMBERS headers,
 * indexing stops and capped is set (not an error here). */
int oci_tar_index(int fd, int64_t size, const char *label, oci_tar *ret, err_t *e);
const oci_member *oci_tar_find(const oci_tar *t, const char *name);
void oci_tar_free(oci_tar *t);
/* A name from the archive (a member, or a path in docker's manifest.json)
 * as a member name: leading "./" dropped, "//" and "." collapsed; NULL for
 * an absolute path, one with "..", or an empty one. */
char *oci_member_clean(const char *raw);
