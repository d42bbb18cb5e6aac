/* cgroup-setup: the two cgroup versions and the device policy, each
 * making, joining, watching and removing the container's cgroup its own
 * way: cgroup_v1.c (cg_v1_*), cgroup_v2.c (cg_v2_*) and cgroup_devices.c
 * (the device list for both). They build on cgroup-utils.h only; cgroup.c
 * picks the version and is the only caller. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup-utils.h"

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
        bool owner;  /* false for an alias of a co-mounted hierarchy */
        bool joined; /* it was there (a cgroups path): joined, not made */
} cg_v1_dir;

/* The container's cgroup: made by cgroup.c, filled by the version that
 * creates it. */
struct cgroup {
        cg_mode mode;
        char *name; /* the leaf's name */
        /* cg_create_at's path (absolute, or relative to runroot's own
         * cgroup); NULL for a cgroup named by runroot below its own. */
        char *at;
        /* The directories made above the leaf for at, in the order made:
         * removed by cg_destroy when empty, last first. */
        strv made_parents;
        /* v2 */
        char *path; /* container dir (v2) or first joined v1 dir */
        char *parent_path;
        int dirfd;
        int parent_fd;
        char *leaf_name;  /* runroot's own leaf, made for the no-internal-process rule */
        unsigned enabled; /* controllers this run enabled in the parent */
        bool joined;      /* the leaf was there (a cgroups path): joined, not made */
        /* v1 */
        cg_v1_dir v1[CG_V1_MAX];
        bool destroyed;
        /* v2 with cg_limits.devices_later: the list cg_devices_attach
         * still has to enforce (not owned). */
        bool devices_pending;
        const cg_device *pending_devices;
        size_t npending_devices;
};
typedef struct cgroup cgroup;

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

/* An existing cgroup (cg_open_pid): its directories of proc_cgroup (the
 * text of /proc/PID/cgroup) whose last component is runroot-*, opened, not
 * owned. 1 when found, 0 when there is none of that version. */
int cg_v1_open(cgroup *cg, const char *fsroot, const char *proc_cgroup, err_t *e);
int cg_v2_open(cgroup *cg, const char *v2root, const char *proc_cgroup, err_t *e);
/* The same from the directories cg_dirs listed (those below fsroot/H of a
 * v1 hierarchy H; the v2 one is cgroup.c's): 1 when any, else 0. */
int cg_v1_open_dirs(cgroup *cg, const char *fsroot, const strv *dirs, err_t *e);
int cg_v1_pids(cgroup *cg, pid_t **ret, size_t *ret_n, err_t *e);
int cg_v2_pids(cgroup *cg, pid_t **ret, size_t *ret_n, err_t *e);
int cg_v1_freeze(cgroup *cg, bool frozen, err_t *e);
int cg_v2_freeze(cgroup *cg, bool frozen, err_t *e);
int cg_v1_is_frozen(cgroup *cg, bool *ret);
int cg_v2_is_frozen(cgroup *cg, bool *ret);
int cg_v1_update(cgroup *cg, const cg_limits *l, err_t *e);
int cg_v2_update(cgroup *cg, const cg_limits *l, err_t *e);
