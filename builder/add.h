/* add: put host paths into a stage with everything they load — ELF
 * dependencies as the loader resolves them, script interpreters, NSS
 * modules — copying every path exactly as it is reached (symlink chains
 * stay symlinks). */
#pragma once

#include <stdbool.h>

#include "common.h"
#include "resolve.h"
#include "stage.h"

typedef struct add_opts {
        bool allow_missing; /* warn about a missing library instead of failing */
} add_opts;

typedef struct adder adder;

/* root: the tree sources are read from ("/" for the host); r must have
 * been made for the same root. */
adder *adder_new(resolver *r, stage *s, const char *root, const add_opts *o);
void adder_free(adder *a);

/* Add src (a file, script, symlink or directory inside the root) and what
 * it needs. dest NULL: at its own path, symlink chain included; else src's
 * contents are placed at dest. */
int adder_add(adder *a, const char *src, const char *dest, err_t *e);
/* The NSS modules glibc dlopens for passwd/group/hosts (files, dns). */
int adder_add_nss(adder *a, err_t *e);
/* Reproduce the root's top-level merged-/usr links (bin -> usr/bin, ...)
 * for the directories the stage uses. */
int adder_finish(adder *a, err_t *e);

/* What adder_put records as the reason of what it stages from now on
 * (--trace-report): "add", "trace", "package NAME"; the libraries of an
 * ELF are "static closure", a rule's files "rule NAME". reason must live
 * as long as the adder. */
void adder_set_reason(adder *a, const char *reason);
/* Paths a package's .list or a trace names: a directory becomes a
 * directory (not its contents), a file comes with what it needs, a path
 * that is not there is skipped, a missing #! interpreter or library is a
 * warning. */
int adder_add_listed(adder *a, const strv *paths, err_t *e);
/* Directories a trace listed: each as a directory. */
int adder_add_dirs(adder *a, const strv *dirs, err_t *e);

/* What the loader never sees (rules a user can read in mkroot(1)):
 * "gconv" (libc's gconv/ when something imports iconv_open), "locale"
 * (C.UTF-8 when something calls setlocale or newlocale), "tz"
 * (/usr/share/zoneinfo when asked), "ca-certificates" (/etc/ssl/certs and
 * /usr/lib/ssl when something links libssl or libgnutls and tls is set). */
typedef struct adder_rule_opts {
        bool tz;  /* --tz, or a trace opened a zone file */
        bool tls; /* a trace or --package ran */
} adder_rule_opts;
int adder_rules(adder *a, const adder_rule_opts *o, err_t *e);
/* Warnings before the image is written: a symbolic link that dangles in
 * the image; an interpreter (python, perl, ruby, lua, node, tcl) without
 * its library directory. */
void adder_warn(adder *a);
/* One line per staged path, sorted: "/PATH<TAB>REASON". */
int adder_report(adder *a, const char *file, err_t *e);

/* The minimal skeleton: /dev /proc /sys /tmp /root, passwd, group,
 * nsswitch.conf, hosts. Paths already staged are left alone. */
int skeleton_add(stage *s, err_t *e);
