/* cgroup: one cgroup per container, made below runroot's own cgroup, on the
 * unified (v2) hierarchy when it offers the controllers asked for, else on
 * the v1 per-controller hierarchies. Every limit asked for is enforced or
 * the setup fails; nothing is silently dropped. The entry points here
 * (cgroup.c) pick the version and dispatch to cgroup-setup.h; the limit
 * values they take are in cgroup-limits.h. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup-limits.h"
#include "common.h"

typedef struct cgroup cgroup;

/* Create the container's cgroup named `name` under the calling process's
 * own cgroup. fsroot is "/sys/fs/cgroup" except in tests, which point it at
 * a fake tree. With no limits, no device policy and no usable hierarchy,
 * returns 0 with *ret = NULL (nothing to enforce). Empty siblings named PREFIX-PID-...
 * (PREFIX = name up to its first '-') whose PID is gone are removed:
 * what a SIGKILLed run left. */
int cg_create(const char *fsroot, const char *name, const cg_limits *l, cgroup **ret, err_t *e);
/* cg_create for a cgroup that the caller places (OCI's linux.cgroupsPath,
 * cleaned by cg_path_clean here), as runc's cgroupfs driver does: an
 * absolute path below the root of each hierarchy, a relative one below
 * runroot's own cgroup (v1) or below its parent (v2, whose own cgroup holds
 * processes). Missing parents are made (v2: with the controllers handed
 * down) and cg_destroy removes those that are empty then; a cgroup that is
 * there is joined: cg_destroy leaves it and its other processes alone. No
 * usable hierarchy is an error here, also with nothing to enforce. */
int cg_create_at(const char *fsroot, const char *at, const cg_limits *l, cgroup **ret, err_t *e);
/* Move pid into the cgroup (all hierarchies). */
int cg_attach(cgroup *cg, pid_t pid, err_t *e);
cg_mode cg_get_mode(const cgroup *cg);
/* The device program cg_create left for later (cg_limits.devices_later):
 * attached now; 0 when there is none to attach (v1, or already done). */
int cg_devices_attach(cgroup *cg, err_t *e);
/* The directory fd for clone3's CLONE_INTO_CGROUP (a v2 cgroup, which
 * then needs no cg_attach), or -1 (v1, or no cgroup). */
int cg_clone_fd(const cgroup *cg);
/* True when the kernel killed something in the cgroup for memory. */
bool cg_oom_killed(cgroup *cg);
/* Kill every process still in the cgroup and remove it; safe to call twice
 * and on NULL. */
int cg_destroy(cgroup *cg, err_t *e);
/* Release the object (after cg_destroy; does not remove the cgroup). */
void cg_free(cgroup *cg);
/* cg_destroy and cg_free for _cleanup_cgroup_ (a failed removal is logged
 * as a warning: there is no caller left to tell). */
void cg_destroy_freep(cgroup **p);
#define _cleanup_cgroup_ _cleanup_(cg_destroy_freep)
/* The cgroup runroot made for a running container, found from one of its
 * processes (the runroot-* directories of /proc/PID/cgroup): for another
 * runroot to list, freeze or change it. -ENOENT when pid is in none. It is
 * not this process's to remove: cg_free it, never cg_destroy. */
int cg_open_pid(const char *fsroot, pid_t pid, cgroup **ret, err_t *e);
/* The pids in it (as the host sees them; *ret malloc'ed). */
int cg_pids(cgroup *cg, pid_t **ret, size_t *ret_n, err_t *e);
/* Freeze (v1 freezer.state, v2 cgroup.freeze) or thaw it; returns once the
 * kernel says it is done (-ETIMEDOUT after 5 s). */
int cg_freeze(cgroup *cg, bool frozen, err_t *e);
/* Whether it is frozen (0), or a negative errno when that cannot be read. */
int cg_is_frozen(cgroup *cg, bool *ret);
/* Write the limits l asks for (the others stay): one whose controller the
 * cgroup lacks is an error naming it. */
int cg_update(cgroup *cg, const cg_limits *l, err_t *e);
/* The container's directories, one per hierarchy joined (a co-mounted
 * one once), pushed onto ret_dirs; those this run made (not joined) onto
 * ret_made; the parents cg_create_at made, in the order made, onto
 * ret_parents. Any may be NULL. For a later runroot to find the cgroup
 * (cg_open_dirs) and remove what was made. */
void cg_dirs(const cgroup *cg, strv *ret_dirs, strv *ret_made, strv *ret_parents);
/* A running container's cgroup from the directories cg_dirs gave, as
 * cg_open_pid: not owned, cg_free it. */
int cg_open_dirs(const char *fsroot, const strv *dirs, cgroup **ret, err_t *e);
/* The cgroup's directory on each hierarchy, for tests and diagnostics. */
const char *cg_path(const cgroup *cg);
