/* registry: what its files share (skopeo.c runs skopeo for pull.c; the
 * parsers of what skopeo and the registry say, for the fuzz harness). */
#pragma once

#include "ociarchive.h"
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
/* skopeo's reason for a failure, from its stderr (err, len bytes, any
 * content): the msg="..." of its last logrus line (quotes and backslashes
 * unescaped), else its last line; unprintable bytes as '?', appended to
 * ret as one line. */
void skopeo_reason(const char *err, size_t len, strbuf *ret);

/* The archive skopeo wrote (im) has the config and layers the registry's
 * manifest (raw, len bytes: one JSON object) names, unless that manifest
 * is an index (skopeo chose this machine's image in it). -EBADMSG with
 * the message "what: ..." when not. */
int registry_match_manifest(const oci_image *im, const char *raw, size_t len, const char *what,
                            err_t *e);
