/* deb822: the RFC 822-like control format of Debian (Packages, Release,
 * .sources, manifests). A parsed document owns one buffer that every field
 * name and value points into; nothing is allocated per field. */
#pragma once

#include <stddef.h>

#include "common.h"

typedef struct deb822_field {
        const char *name;
        /* The first line trimmed, then each continuation line as "\n" plus
         * the line without its leading blanks; a continuation line that is
         * a lone "." becomes an empty line. */
        const char *value;
        unsigned line; /* line number of the "Name:" line (1-based) */
} deb822_field;

typedef struct deb822_para {
        size_t first;  /* index of the first field in deb822.fields */
        size_t n;      /* number of fields */
        unsigned line; /* line number where the paragraph starts (1-based) */
} deb822_para;

typedef struct deb822 {
        char *buf;
        deb822_field *fields;
        size_t n_fields;
        deb822_para *paras;
        size_t n_paras;
} deb822;

/* Largest input accepted (an uncompressed Packages file is ~50 MiB). */
#define DEB822_MAX_INPUT ((size_t)512 << 20)

/* Parse data (need not be NUL-terminated). Lines starting with '#' are
 * comments. Errors name `what` and the line ("Release:12: ..."). */
int deb822_parse(const char *data, size_t len, const char *what, deb822 *ret, err_t *e);
/* The value of a field of paragraph `para` (names compare
 * case-insensitively), or NULL. */
const char *deb822_get(const deb822 *d, size_t para, const char *name);
void deb822_free(deb822 *d);

static inline void deb822_freep(deb822 *d)
{
        deb822_free(d);
}
#define _cleanup_deb822_ _cleanup_(deb822_freep)
