/* registry: images to and from a container registry through skopeo (the
 * real tool, found in $PATH; no registry client is written here). A pull
 * lands in the cache by the digest of the manifest the reference names
 * (cache.h's pulled/ area, one OCI archive per digest), checked by skopeo
 * and again here before it is published; a push hands skopeo an OCI or
 * docker-save archive. Messages are one line: skopeo's own reason (its
 * msg="..."), after the reference and the step. */
#pragma once

#include <stdbool.h>

#include "cache.h"
#include "common.h"

/* What skopeo is told beyond the reference. */
typedef struct registry_opts {
        int tls_verify;       /* -1: skopeo's default (verify); 0 or 1: --tls-verify=false|true */
        const char *authfile; /* NULL: skopeo's default (REGISTRY_AUTH_FILE, then
                                 $XDG_RUNTIME_DIR/containers/auth.json) */
} registry_opts;
#define REGISTRY_OPTS_INIT                                                                         \
        {                                                                                          \
                .tls_verify = -1, .authfile = NULL                                                 \
        }

/* A reference taken apart: docker://NAME[:TAG][@sha256:HEX]. */
typedef struct registry_ref {
        char *name;                      /* [HOST[:PORT]/]PATH, as written */
        char *tag;                       /* NULL when none */
        char digest[DIGEST_HEX_LEN + 1]; /* "" when none */
} registry_ref;

/* Whether arg is meant as a registry's image: "docker://..." always;
 * bare, when its first component is a registry's host (it holds a '.' or
 * a ':', or is localhost) followed by a path, as docker tells them apart,
 * and the whole follows the reference grammar (lowercase path components,
 * TAG of letters, digits, '_', '.', '-'). The caller checks first that no
 * file of that name exists. */
bool registry_ref_wanted(const char *arg);
/* Take arg ("docker://..." or bare) apart; the message names arg and what
 * is wrong with it. */
int registry_ref_parse(const char *arg, registry_ref *ret, err_t *e);
void registry_ref_free(registry_ref *r);
/* arg pinned to the digest hex it resolved to, as ps and inspect show a
 * pulled image: docker://NAME[:TAG]@sha256:HEX (the tag as arg gave it).
 * malloc'd; NULL when arg is no reference. */
char *registry_ref_pinned(const char *arg, const char hex[DIGEST_HEX_LEN + 1]);

/* The image arg names, pulled into the cache at cache_dir (NULL: the
 * default) unless the digest it resolves to is there already: with
 * @sha256:HEX nothing is asked of the registry then, with a tag only its
 * manifest. *ret_path: the OCI archive (malloc'd), *ret_digest its
 * manifest's digest. Nothing is published unless skopeo and the checks
 * here (manifest digest, config and layers as the manifest names them,
 * every blob's sha256) agree. -ENOENT when skopeo is not installed. */
int registry_pull(const char *cache_dir, const char *arg, const registry_opts *o, char **ret_path,
                  char ret_digest[DIGEST_HEX_LEN + 1], err_t *e);

/* Copy the archive at path (an OCI layout tar when docker is false, else
 * a docker-save tar) to the reference arg (a tag, not a digest). */
int registry_push(const char *path, bool docker, const char *arg, const registry_opts *o, err_t *e);
