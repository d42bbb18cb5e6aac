/* ocispec's parts (ocispec*.c): config.json read member by member into a
 * runner_oci_spec. ocispec-json.c has the typed getters; each part parses
 * one area (mounts, namespaces, resources, security) and ocispec.c puts
 * them together. Every getter and part returns 0 or a negative errno with
 * the message in p->e: "config.json: JSON.PATH: problem". */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "internal.h"

#define WHAT "config.json"

typedef struct parser {
        runner_oci_spec *s;
        err_t *e;
} parser;

/* An error naming the member's JSON path; a warning kept in s->warnings.
 * Names quoted from the file are made printable (one line each). */
int spec_bad(parser *p, const char *path, const char *msg);
void spec_warn(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The member key of obj: NULL when absent or null (or obj NULL). */
json_object *spec_member(json_object *obj, const char *key);
/* Absent, null, or an empty array, object or string. */
bool spec_empty(json_object *v);

int spec_want_object(parser *p, json_object *v, const char *path);
int spec_get_string(parser *p, json_object *v, const char *path, const char **ret);
int spec_get_bool(parser *p, json_object *v, const char *path, bool *ret);
int spec_get_int(parser *p, json_object *v, const char *path, int64_t min, int64_t max,
                 int64_t *ret);
/* An array of strings pushed onto ret (absent: nothing). */
int spec_get_strv(parser *p, json_object *v, const char *path, strv *ret);
/* Members of obj other than those in known[] (NULL-terminated): refused. */
int spec_only_known(parser *p, json_object *obj, const char *path, const char *const *known);

/* An LSM label (process.apparmorProfile, process.selinuxLabel,
 * linux.mountLabel, exec's --apparmor and --process-label): a warning
 * where the host has no such module, refused where it has. */
typedef enum spec_lsm { SPEC_LSM_APPARMOR, SPEC_LSM_SELINUX, SPEC_LSM_MAX } spec_lsm;
int spec_lsm_label(parser *p, json_object *v, const char *path, spec_lsm lsm);

/* The parts, each given its member (NULL when absent). */
int spec_parse_mounts(parser *p, json_object *v, const char *bundle); /* ocispec-mounts.c */
int spec_parse_namespaces(parser *p, json_object *v);                 /* ocispec-ns.c */
int spec_parse_idmap(parser *p, json_object *v, const char *path, unsigned long host);
int spec_parse_resources(parser *p, json_object *res); /* ocispec-resources.c */
int spec_parse_devices(parser *p, json_object *v);
int spec_parse_caps(parser *p, json_object *c); /* ocispec-security.c */
int spec_parse_seccomp(parser *p, json_object *sc);
int spec_parse_paths(parser *p, json_object *v, const char *path, strv *ret);
int spec_parse_sysctl(parser *p, json_object *sy);
int spec_parse_hooks(parser *p, json_object *v); /* ocispec-hooks.c */
