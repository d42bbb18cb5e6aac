/* dpkg: what dpkg says is installed in a root — /var/lib/dpkg/status
 * (packages, their Depends, Pre-Depends, Provides and conffiles), the
 * info/NAME[:ARCH].list of each package and the diversions file. All of
 * it is read as untrusted text (the root may be any tree). Versions in
 * relations are not compared: of installed packages only presence
 * matters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

typedef struct dpkg_db dpkg_db;

/* Parse a status file and a diversions file (NULL/0: none); errors name
 * them as status_name and div_name. */
int dpkg_db_parse(const char *status, size_t len, const char *status_name, const char *diversions,
                  size_t dlen, const char *div_name, dpkg_db **ret, err_t *e);
/* Read root's (NULL or "/" = the host) status and diversions. */
int dpkg_db_open(const char *root, dpkg_db **ret, err_t *e);
void dpkg_db_free(dpkg_db *db);

/* The installed packages `names` ask for (NAME, NAME:ARCH, or a virtual
 * name some installed package Provides), with (deps) the closure of their
 * Depends and Pre-Depends among the installed packages (of alternatives
 * the first one installed), as "NAME:ARCH" in the order met. A name
 * nothing installed answers is an error naming it. */
int dpkg_closure(const dpkg_db *db, const strv *names, bool deps, strv *ret, err_t *e);

/* The paths package pkg (as dpkg_closure names it) owns: its .list with
 * the diversions applied (a file another package diverted is where dpkg
 * moved it), then its conffiles; directories included (the caller
 * looks at what each path is). */
int dpkg_files(const dpkg_db *db, const char *root, const char *pkg, strv *ret, err_t *e);

/* One .list file: absolute paths, one a line ("/." for the root). */
int dpkg_list_parse(const char *data, size_t len, const char *what, strv *ret, err_t *e);

/* The package whose .list in root names path (exactly), as NAME or
 * NAME:ARCH the way its list file is called; NULL when none does. The
 * lists are searched in name order. */
char *dpkg_owner(const char *root, const char *path);
