/* ldcache: /etc/ld.so.cache (glibc-ld.so.cache1.1, optionally after the
 * old "ld.so-1.7.0" table), parsed directly with every offset checked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct ldcache ldcache;

typedef struct ldcache_entry {
        int32_t flags;     /* FLAG_ELF_LIBC6 | arch bits */
        const char *key;   /* soname, e.g. "libc.so.6" */
        const char *value; /* path */
        uint64_t hwcap;    /* bit 62 set: low 32 bits index the glibc-hwcaps subdirs */
} ldcache_entry;

/* Copies buf. */
int ldcache_parse(const void *buf, size_t len, const char *name, ldcache **ret, err_t *e);
/* Read path relative to dirfd (AT_FDCWD for the host). */
int ldcache_load(int dirfd, const char *path, ldcache **ret, err_t *e);
void ldcache_free(ldcache *c);

size_t ldcache_count(const ldcache *c);
/* Entry i (0 <= i < count); the strings live as long as c. */
void ldcache_get(const ldcache *c, size_t i, ldcache_entry *ret);
/* glibc-hwcaps subdirectory names listed by the cache's extension
 * (e.g. "x86-64-v3"); NULL-terminated, lives as long as c. */
const char *const *ldcache_hwcaps_subdirs(const ldcache *c);

/* The flags value ld.so accepts for objects of this class/machine/e_flags
 * (e.g. 0x0303 for x86-64); -1 when unknown. */
int32_t ldcache_flags_for(uint8_t elf_class, uint16_t machine, uint32_t e_flags);

/* Look NAME up as ld.so does: entries whose flags equal `flags`; among
 * entries for glibc-hwcaps subdirectories, the one whose subdirectory comes
 * first in hwcaps_prio (most preferred first, NULL-terminated; NULL = none
 * supported) wins; otherwise the first plain entry. NULL when absent. */
const char *ldcache_lookup(const ldcache *c, const char *name, int32_t flags,
                           const char *const *hwcaps_prio);
