/* registry: what its files share (skopeo.c runs skopeo for pull.c). */
#pragma once

#include "registry.h"

/* skopeo's stdout kept for a caller (inspect --raw: a manifest). */
#define SKOPEO_OUT_MAX ((size_t)4 << 20)

/* Run skopeo ARGS... (TMPDIR=tmpdir unless NULL), stdin /dev/null. 0 when
 * it succeeds, with its stdout in *ret_out (malloc'd, NUL-terminated) when
 * ret_out is not NULL; else the message "WHAT: skopeo ARGV1: REASON".
 * -ENOENT when there is no skopeo in $PATH. */
int skopeo_run(const strv *args, const char *tmpdir, const char *what, char **ret_out,
               size_t *ret_len, err_t *e);
/* --{side}tls-verify and --{side}authfile as o says (side: "", "src-",
 * "dest-"). */
void skopeo_opts_push(strv *args, const registry_opts *o, const char *side);
