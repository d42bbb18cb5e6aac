/* security-internal: what caps.c, seccomp.c and security.c share. */
#pragma once

#include <stdint.h>

#include "security.h"

/* The set kept: docker's default, then --cap-add, then --cap-drop ("ALL"
 * in either list starts from everything / nothing). Bit n = capability n. */
int sec_caps_compute(const sec_opts *o, uint64_t *ret, err_t *e);
/* Cut bounding, permitted and effective to keep; empty inheritable and
 * ambient. */
int sec_caps_apply(uint64_t keep, err_t *e);
/* The same with the sets of o->cap_sets (each cut to keep). */
int sec_caps_apply_sets(uint64_t keep, const sec_opts *o, err_t *e);
/* Those two when the bounding set is known to hold no more than bound
 * and the ambient set to be empty (cut before a fork, inherited): only
 * the capabilities of bound outside keep are dropped. */
int sec_caps_apply_within(uint64_t keep, uint64_t bound, err_t *e);
int sec_caps_apply_sets_within(uint64_t keep, uint64_t bound, const sec_opts *o, err_t *e);
/* Cut the bounding set to keep and clear the ambient set, and nothing
 * else (the part of sec_caps_apply a child inherits across fork). */
int sec_caps_bound(uint64_t keep, err_t *e);
/* Load the default filter; rules that docker ties to a capability are
 * lifted when keep holds it. */
int sec_seccomp_apply(uint64_t keep, err_t *e);

/* Largest BPF program the kernel takes (BPF_MAXINSNS instructions). */
#define SEC_BPF_MAX (4096 * 8)
/* The default filter for keep, compiled and exported as BPF (all ABIs in
 * one program), malloc'd. */
int sec_seccomp_export(uint64_t keep, uint8_t **ret_prog, size_t *ret_len, err_t *e);
/* ctx (a scmp_filter_ctx) exported as BPF, malloc'd. */
int sec_seccomp_ctx_export(void *ctx, uint8_t **ret_prog, size_t *ret_len, err_t *e);
/* The rule tables as text (part of the cache key). */
void sec_seccomp_describe(strbuf *out);

/* seccomp-profile.c: docker's JSON seccomp profile. */
typedef struct sec_profile sec_profile;
/* Parse len bytes of text (what names it in messages: "seccomp profile
 * FILE"); every type, action, op and architecture is checked here. */
int sec_profile_parse(const char *text, size_t len, const char *what, sec_profile **ret, err_t *e);
void sec_profile_free(sec_profile *p);
/* The profile for the capability set keep (its includes and excludes),
 * built with libseccomp and exported as BPF, malloc'd. */
int sec_profile_export(const sec_profile *p, uint64_t keep, uint8_t **ret_prog, size_t *ret_len,
                       err_t *e);
/* Read and parse path; when ret_prog is not NULL, export it too. */
int sec_profile_export_file(const char *path, uint64_t keep, uint8_t **ret_prog, size_t *ret_len,
                            err_t *e);
/* The two halves of it: path's text (malloc'd, NUL-terminated), and that
 * text (len bytes) parsed and, with ret_prog, exported. */
int sec_profile_read(const char *path, char **ret, size_t *ret_len, err_t *e);
int sec_profile_export_text(const char *path, const char *data, size_t len, uint64_t keep,
                            uint8_t **ret_prog, size_t *ret_len, err_t *e);

/* seccomp-cache.c */
struct sec_filter {
        uint8_t *prog; /* struct sock_filter[] */
        size_t len;    /* bytes */
        bool from_cache;
};
/* The key text of keep's program (malloc'd) and its cache file name,
 * relative to the cache root ("seccomp/..."). */
#define SEC_FILTER_NAME_MAX 64
char *sec_filter_key(uint64_t keep, char ret_name[SEC_FILTER_NAME_MAX]);
/* Load a program with flags (SECCOMP_FILTER_FLAG_*; seccomp_load's
 * default is none). */
int sec_filter_load(const sec_filter *f, unsigned flags, err_t *e);
