/* cgroup-utils: the bottom of the cgroup code, known to no cgroup version:
 * safe file I/O relative to a cgroup dir fd, runroot's own cgroup, the
 * processes in a cgroup, removing one, and the test hook that points it all
 * at a fake tree. cgroup_v1.c, cgroup_v2.c and cgroup_devices.c build on
 * it; it builds only on cgroup-limits.h and common/. Offered by
 * cgroup-utils.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup-limits.h"

/* Test hook. runroot never sets it. proc_self_cgroup replaces
 * /proc/self/cgroup; fake_fs skips the statfs magic checks (a fake tree
 * lives on tmpfs), creates files that the kernel would have created and
 * lets cg_rmdir remove the files the test put into a cgroup dir. */
typedef struct cg_test_hooks {
        const char *proc_self_cgroup;
        bool fake_fs;
        /* With fake_fs: sees every write first, to play the kernel's rules;
         * returns a negative errno to fail it, 1 when it did the write, 0
         * for the plain write. */
        int (*write_hook)(int dirfd, const char *file, const char *value);
} cg_test_hooks;
extern cg_test_hooks cg_test;

/* fd checks and I/O, all relative to a cgroup dir fd; dir is the dir's path
 * for messages. */
int cg_check_magic(int fd, bool v2, const char *what, err_t *e);
int cg_open_dir(int dirfd, const char *rel, bool v2, const char *what, err_t *e);
int cg_write(int dirfd, const char *dir, const char *file, const char *value, bool v2, err_t *e);
int cg_writef(int dirfd, const char *dir, const char *file, bool v2, err_t *e, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));
int cg_read(int dirfd, const char *dir, const char *file, bool v2, char **ret, err_t *e);
/* "key value" lines (memory.events, memory.oom_control, cpu.stat). */
int cg_kv_get(const char *data, const char *key, int64_t *ret);
/* Whether the comma-separated list has word ("cpu,cpuacct" has "cpu"). */
bool cg_list_has(const char *list, const char *word);
/* The runroot-* cgroup of the hierarchy whose controller list (the middle
 * field of /proc/PID/cgroup's lines) is ctl ("" for the unified one):
 * its path there, malloc'ed, or NULL. */
char *cg_proc_path(const char *proc_cgroup, const char *ctl);
/* Our own cgroup path on a hierarchy: controller NULL for v2 ("0::"),
 * else a v1 controller name. Returns -ENOENT when not listed. */
int cg_own_path(const char *controller, char **ret, err_t *e);
/* The pids listed in cgroup.procs; 0 when empty. */
int cg_procs(int dirfd, const char *dir, bool v2, pid_t **ret, size_t *ret_n, err_t *e);
/* rmdir name below parent_fd, waiting for the last processes to leave. */
int cg_rmdir(int parent_fd, const char *parent, const char *name, err_t *e);
/* rmdir path once: -EBUSY (or -ENOTEMPTY) while it holds a cgroup or a
 * process. */
int cg_rmdir_once(const char *path);
/* Swap exists on the host, so a memory limit without swap accounting
 * would leave swap unlimited. */
bool cg_host_has_swap(void);
/* Remove what runs killed with SIGKILL left below parent: siblings named
 * like name up to its first '-' and then "PID-", whose PID is gone and
 * which hold no process. */
void cg_gc_siblings(int parent_fd, const char *parent, const char *name, bool v2);
void cg_sleep_ms(long ms);
/* The directory a cgroups path's leaf goes in, relative to its
 * hierarchy's root ("" for the root): at's directory, below base (the
 * cgroup a relative at is relative to; NULL for an absolute at). */
char *cg_at_parent(const char *at, const char *base);
/* Called by cg_walk_make on its base (parent_fd -1, made false) and on
 * each directory after it, top down, before anything is made in it. */
typedef int (*cg_walk_fn)(int parent_fd, int fd, const char *path, bool made, void *ctx, err_t *e);
/* The directory rel ("a/b", "" for the base itself) below dirfd (whose
 * path is dir), each missing component made (0755) and pushed onto made
 * (its path) at once, so that a failure further down leaves the caller the
 * list to remove; fn (or NULL) prepares each one as it is reached (v2's
 * subtree_control, v1 cpuset's cpus and mems). Returns its fd. */
int cg_walk_make(int dirfd, const char *dir, const char *rel, bool v2, cg_walk_fn fn, void *ctx,
                 strv *made, err_t *e);
