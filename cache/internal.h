/* cache/: what store.c, record.c and gc.c share; not for other modules. */
#pragma once

#include <sys/stat.h>

#include "cache.h"

struct store {
        char *root;
        int fd;
        strv held;     /* lock names this store holds shared */
        int *held_fds; /* one per name in held */
};

extern const char *const store_kind_dirs[STORE_KIND_MAX];
extern const char *const store_record_dirs[STORE_RECORD_MAX];
extern const char *const store_area_dirs[STORE_AREA_MAX];

bool store_name_ok(const char *n);
bool store_hex_ok(const char *h);
bool store_key_ok(const char *k);

/* mkdirat rel (mode past the umask) when missing, then check it. */
int store_area_make(store *s, const char *name, mode_t mode, err_t *e);
/* Refuse what the caller does not own or others may write (ssh's
 * StrictModes); type is S_IFDIR, S_IFREG or 0 for either. */
int store_trust_stat(const struct stat *st, const char *path, mode_t type, err_t *e);
/* openat below the root without following a final symlink, then
 * store_trust_stat on the opened fd. Returns the fd or a negative errno. */
int store_open_checked(store *s, const char *rel, int flags, mode_t mode, mode_t type, err_t *e);

/* Lock names: tree-KIND-HEX, stack-NAME. */
char *store_tree_lock_name(store_kind k, const char *digest);
char *store_stack_lock_name(const char *name);
/* Take locks/NAME.lock shared, retrying while gc removes it; does not
 * record the hold. */
int store_hold_lock(store *s, const char *name, int *ret_fd, err_t *e);
bool store_holds(const store *s, const char *name);
void store_held_add(store *s, const char *name, int fd);
/* The index entry at index/KEY without marking it used. */
int store_index_read(store *s, const char *key, store_entry *ret_what,
                     char ret_name[STORE_NAME_MAX], err_t *e);
/* Sorted names in an area dir (entries not starting with '.'). */
int store_list(store *s, const char *rel, strv *ret);

/* locks/use-AREA--KEY: the mark of a use of AREA/KEY (its mtime). */
char *store_area_use_name(store_area a, const char *key);
/* gc-areas.c: the areas of other modules (cache.h's store_gc), and
 * dot-named temporary files at least min_age old in rel. */
void store_gc_areas(store *s, const store_gc_opts *o, time_t cut, store_gc_stats *st);
void store_gc_dot_leftovers(store *s, const char *rel, time_t min_age, unsigned *n);
