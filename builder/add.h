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

/* The minimal skeleton: /dev /proc /sys /tmp /root, passwd, group,
 * nsswitch.conf, hosts. Paths already staged are left alone. */
int skeleton_add(stage *s, err_t *e);
