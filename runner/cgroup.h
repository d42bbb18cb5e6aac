/* cgroup: one cgroup per container, made below runroot's own cgroup, on the
 * unified (v2) hierarchy when it offers the controllers asked for, else on
 * the v1 per-controller hierarchies. Every limit asked for is enforced or
 * the setup fails; nothing is silently dropped. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/* Access bits of a device rule (the values of the kernel's
 * BPF_DEVCG_ACC_*). */
enum { CG_DEV_MKNOD = 1, CG_DEV_READ = 2, CG_DEV_WRITE = 4, CG_DEV_ALL = 7 };

/* A device handed in with --device HOST[:CONTAINER[:PERMS]]: allowed on
 * top of the default list, and bound at path inside the container. */
typedef struct cg_device {
        char type; /* 'c' or 'b' */
        unsigned major, minor;
        unsigned access; /* CG_DEV_* */
        char *host;      /* the node on the host, as given */
        char *path;      /* where it goes inside (normalised, absolute) */
} cg_device;

/* Parse docker's --device value; the host path must be a character or
 * block device node. */
int cg_device_parse(const char *spec, cg_device *ret, err_t *e);
void cg_device_free(cg_device *d);

typedef struct cg_limits {
        int64_t memory;     /* bytes, swap included; -1 = unset */
        int64_t cpu_quota;  /* microseconds per cpu_period; -1 = unset */
        int64_t cpu_period; /* microseconds (100000 by default) */
        int64_t pids;       /* -1 = unset */
        char *cpuset_cpus;  /* "0-1,3" or NULL */
        int64_t cpu_weight; /* 1..10000 (v2 scale); -1 = unset */
        int64_t cpu_shares; /* 2..262144 (v1 scale); -1 = unset */
        int64_t io_weight;  /* 1..10000 (v2) / 10..1000 (v1 blkio); -1 = unset */
        /* The device allow-list must be enforced (runs as root): the devices
         * hierarchy (v1) or a BPF device program (v2) that cannot be set up
         * is an error, also when no limit is asked for. Only root can have
         * one; rootless runs rely on nodev mounts and the user namespace. */
        bool device_policy;
        const cg_device *devices; /* allowed on top of the default list (not owned) */
        size_t ndevices;
} cg_limits;

typedef enum cg_mode { CG_NONE, CG_V1, CG_V2, CG_MODE_MAX } cg_mode;

typedef struct cgroup cgroup;

void cg_limits_init(cg_limits *l);
/* Whether any resource limit is asked for (the device policy is none). */
bool cg_limits_any(const cg_limits *l);
/* Parse docker's --cpus value ("0.05", "1.5") into quota/period. */
int cg_parse_cpus(const char *s, cg_limits *l);

/* Create the container's cgroup named `name` under the calling process's
 * own cgroup. fsroot is "/sys/fs/cgroup" except in tests, which point it at
 * a fake tree. With no limits, no device policy and no usable hierarchy,
 * returns 0 with *ret = NULL (nothing to enforce). Empty siblings named PREFIX-PID-...
 * (PREFIX = name up to its first '-') whose PID is gone are removed:
 * what a SIGKILLed run left. */
int cg_create(const char *fsroot, const char *name, const cg_limits *l, cgroup **ret, err_t *e);
/* Move pid into the cgroup (all hierarchies). */
int cg_attach(cgroup *cg, pid_t pid, err_t *e);
cg_mode cg_get_mode(const cgroup *cg);
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
/* The cgroup's directory on each hierarchy, for tests and diagnostics. */
const char *cg_path(const cgroup *cg);
