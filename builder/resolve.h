/* resolve: find the shared objects a program loads, the way glibc's ld.so
 * (2.36) would, without running anything: RPATH chain, LD_LIBRARY_PATH,
 * RUNPATH, ld.so.cache, default directories, glibc-hwcaps subdirectories,
 * class/machine checks, DF_1_NODEFLIB, and reuse of objects already loaded
 * (by name, soname or file identity). Works on the host or inside another
 * tree (--root). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "elfinfo.h"

typedef struct resolver resolver;

typedef struct resolver_opts {
        const char *root;         /* NULL or "/" = host */
        const char *library_path; /* LD_LIBRARY_PATH value, or NULL */
} resolver_opts;

/* One object in load order. */
typedef struct dep_obj {
        char *name;          /* first name it was requested by (ldd's left column) */
        char *path;          /* path as ld.so opened it, or NULL when not found */
        const elf_info *elf; /* NULL when not found */
        bool is_interp;      /* the program interpreter */
        size_t loader;       /* index of the object that first needed it */
        size_t *deps;        /* indices of its DT_NEEDED objects, in order */
        size_t n_deps;
} dep_obj;

typedef struct dep_list {
        dep_obj *objs; /* objs[0] is the object asked about */
        size_t n;
        /* "not a dynamic executable" / "statically linked", else NULL */
        const char *static_note;
} dep_list;

int resolver_new(const resolver_opts *o, resolver **ret, err_t *e);
void resolver_free(resolver *r);

/* True once a library was found through ld.so.cache outside the default
 * directories: an image then needs the cache to find it at run time. */
bool resolver_used_cache(const resolver *r);

/* Resolve everything `path` (a path inside the root) loads. Missing
 * libraries are entries with path NULL, as ldd reports them; the call
 * itself fails only when path cannot be read or parsed. */
int resolver_resolve(resolver *r, const char *path, dep_list **ret, err_t *e);
void dep_list_free(dep_list *l);

/* Find a library by soname the way dlopen from `like` (e.g. libc) would:
 * LD_LIBRARY_PATH, cache, default dirs. ret is NULL when absent. */
int resolver_find_library(resolver *r, const char *name, const elf_info *like, char **ret,
                          err_t *e);

/* Parse an ELF inside the root (cached); -ENOEXEC when not ELF. */
int resolver_elf(resolver *r, const char *path, const elf_info **ret, err_t *e);

/* Print in ldd's format (without addresses and without linux-vdso). */
void dep_list_print_ldd(const dep_list *l, FILE *out);
/* Print as a tree of who needs whom. */
void dep_list_print_tree(const dep_list *l, FILE *out);
