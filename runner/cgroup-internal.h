/* cgroup-internal: what cgroup.c, cgroup_v1.c, cgroup_v2.c and the unit
 * tests share — the cgroup object, the safe file helpers and the test hook
 * that points everything at a fake tree. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

/* Test hook. runroot never sets it. proc_self_cgroup replaces
 * /proc/self/cgroup; fake_fs skips the statfs magic checks (a fake tree
 * lives on tmpfs), creates files that the kernel would have created and
 * lets cg_destroy remove the files the test put into a cgroup dir. */
typedef struct cg_test_hooks {
        const char *proc_self_cgroup;
        bool fake_fs;
        /* With fake_fs: sees every write first, to play the kernel's rules;
         * returns a negative errno to fail it, 1 when it did the write, 0
         * for the plain write. */
        int (*write_hook)(int dirfd, const char *file, const char *value);
} cg_test_hooks;
extern cg_test_hooks cg_test;

/* Controllers a set of limits needs (bit mask). */
enum {
        CG_C_MEMORY = 1 << 0,
        CG_C_CPU = 1 << 1,
        CG_C_PIDS = 1 << 2,
        CG_C_CPUSET = 1 << 3,
        CG_C_IO = 1 << 4,
        /* Not a v2 controller: the v1 devices hierarchy, or on v2 a BPF
         * program. Set when the device policy is asked for. */
        CG_C_DEVICES = 1 << 5,
};
/* The controllers of cgroup.controllers / subtree_control (v2). */
#define CG_C_V2_CTLS (CG_C_MEMORY | CG_C_CPU | CG_C_PIDS | CG_C_CPUSET | CG_C_IO)

/* v1 hierarchies joined, in this order. */
typedef enum cg_v1_ctl {
        CG_V1_MEMORY,
        CG_V1_CPU,
        CG_V1_CPUACCT,
        CG_V1_PIDS,
        CG_V1_CPUSET,
        CG_V1_BLKIO,
        CG_V1_DEVICES,
        CG_V1_FREEZER,
        CG_V1_MAX
} cg_v1_ctl;

typedef struct cg_v1_dir {
        int dirfd; /* the container's directory; -1 when not joined */
        int parent_fd;
        char *path;
        bool owner; /* false for an alias of a co-mounted hierarchy */
} cg_v1_dir;

struct cgroup {
        cg_mode mode;
        char *name;
        /* v2 */
        char *path; /* container dir (v2) or first joined v1 dir */
        char *parent_path;
        int dirfd;
        int parent_fd;
        char *leaf_name;  /* runroot's own leaf, made for the no-internal-process rule */
        unsigned enabled; /* controllers this run enabled in the parent */
        /* v1 */
        cg_v1_dir v1[CG_V1_MAX];
        bool destroyed;
};

unsigned cg_needed(const cg_limits *l);
const char *cg_v1_name(cg_v1_ctl c);

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
/* Our own cgroup path on a hierarchy: controller NULL for v2 ("0::"),
 * else a v1 controller name. Returns -ENOENT when not listed. */
int cg_own_path(const char *controller, char **ret, err_t *e);
/* The pids listed in cgroup.procs; 0 when empty. */
int cg_procs(int dirfd, const char *dir, bool v2, pid_t **ret, size_t *ret_n, err_t *e);
/* rmdir name below parent_fd, waiting for the last processes to leave. */
int cg_rmdir(int parent_fd, const char *parent, const char *name, err_t *e);
/* Swap exists on the host, so a memory limit without swap accounting
 * would leave swap unlimited. */
bool cg_host_has_swap(void);
/* Remove what runs killed with SIGKILL left below parent: siblings named
 * like name up to its first '-' and then "PID-", whose PID is gone and
 * which hold no process. */
void cg_gc_siblings(int parent_fd, const char *parent, const char *name, bool v2);
void cg_sleep_ms(long ms);

/* The device list (cgroup_devices.c): docker's default list plus the
 * extra devices (NULL/0 for none). */
int cg_v1_devices_setup(int dirfd, const char *path, const cg_device *extra, size_t nextra,
                        err_t *e);
int cg_v2_devices_setup(int dirfd, const char *path, const cg_device *extra, size_t nextra,
                        err_t *e);
/* The v1 rules ("c 1:3 rwm", ...) written to devices.allow after "a" to
 * devices.deny, in order; for the tests. */
void cg_devices_v1_rules(const cg_device *extra, size_t nextra, strv *ret);

int cg_v2_probe(int rootfd, unsigned need, err_t *e);
int cg_v2_create(cgroup *cg, int rootfd, const char *root, const cg_limits *l, err_t *e);
int cg_v2_attach(cgroup *cg, pid_t pid, err_t *e);
bool cg_v2_oom_killed(cgroup *cg);
int cg_v2_destroy(cgroup *cg, err_t *e);

int cg_v1_create(cgroup *cg, const char *fsroot, const cg_limits *l, err_t *e);
int cg_v1_attach(cgroup *cg, pid_t pid, err_t *e);
bool cg_v1_oom_killed(cgroup *cg);
int cg_v1_destroy(cgroup *cg, err_t *e);
