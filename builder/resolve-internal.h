/* resolve internals shared between its files (not a public header):
 * resolve.c (the resolver, its file and directory caches), resolve-system.c
 * (CPU features, ld.so.conf), resolve-search.c (search paths, ld.so.cache)
 * and resolve-walk.c (the dependency walk). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "ldcache.h"
#include "resolve.h"

/* What we know about one path inside the root: its parsed ELF or the
 * reason it could not be used. Negative results are kept too, so that
 * scanning thousands of programs does not repeat failed opens. */
typedef struct file_rec {
        int err; /* 0, or negative errno (elf_read_fd's: -ENOEXEC, -EINVAL) */
        elf_info *elf;
        dev_t dev;
        ino_t ino;
} file_rec;

typedef struct cpu_caps {
        const char *hwcaps[4]; /* supported glibc-hwcaps subdirs, best first */
        strv legacy;           /* legacy hwcap subdirs ("tls/haswell", ...), best first */
        const char *platform;  /* $PLATFORM */
} cpu_caps;

struct resolver {
        int rootfd;
        char *root;
        bool host;
        char *cwd;
        char *library_path;
        ldcache *cache;
        strv conf_dirs; /* ld.so.conf dirs when there is no cache */
        strmap *files;  /* path -> file_rec */
        strmap *dirs;   /* dir -> (void*)1 exists / (void*)2 missing */
        cpu_caps x86_64;
        bool used_cache_outside_defaults;
};

/* ---- resolve.c: files and directories inside the root, cached ---------- */

/* The path to hand to fs_open_in_root (absolute, inside the root). */
char *resolver_abs_path(const resolver *r, const char *path);
/* The record of path (opened and parsed the first time; never NULL). */
file_rec *resolver_load_file(resolver *r, const char *path);
bool resolver_dir_exists(resolver *r, const char *dir);

/* ---- resolve-system.c: what ld.so learns from the machine -------------- */

/* The x86-64 glibc-hwcaps levels, legacy hwcap subdirectories and
 * $PLATFORM of this CPU (the host's: ld.so runs there too). */
void cpu_caps_detect(cpu_caps *c);
/* r->conf_dirs from the root's /etc/ld.so.conf and its includes (used
 * when the root has no usable ld.so.cache). */
void resolver_read_ldso_conf(resolver *r);

/* ---- resolve-search.c: search paths and ld.so.cache lookups ------------ */

typedef struct search_ctx {
        resolver *r;
        const elf_info *like; /* the main program: what a library must match */
} search_ctx;

/* Split an RPATH/RUNPATH/LD_LIBRARY_PATH list into out (DSTs expanded with
 * origin, each directory ending in one "/", duplicates dropped). */
void resolver_split_path_list(const resolver *r, const char *list, const char *seps,
                              const char *origin, const elf_info *like, strv *out);
/* name in each of dirs (with its hwcaps subdirectories): the first match
 * for c->like, or NULL. */
char *resolver_search_dirs(search_ctx *c, const strv *dirs, const char *name);
/* name through ld.so.cache (or ld.so.conf), then the default directories. */
char *resolver_search_system(search_ctx *c, const char *name, bool nodeflib);
