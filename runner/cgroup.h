/* cgroup: one cgroup per container, made below runroot's own cgroup, on the
 * unified (v2) hierarchy when it offers the controllers asked for, else on
 * the v1 per-controller hierarchies. Every limit asked for is enforced or
 * the setup fails; nothing is silently dropped. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

typedef struct cg_limits {
        int64_t memory;     /* bytes, swap included; -1 = unset */
        int64_t cpu_quota;  /* microseconds per cpu_period; -1 = unset */
        int64_t cpu_period; /* microseconds (100000 by default) */
        int64_t pids;       /* -1 = unset */
        char *cpuset_cpus;  /* "0-1,3" or NULL */
        int64_t cpu_weight; /* 1..10000 (v2 scale); -1 = unset */
        int64_t cpu_shares; /* 2..262144 (v1 scale); -1 = unset */
        int64_t io_weight;  /* 1..10000 (v2) / 10..1000 (v1 blkio); -1 = unset */
} cg_limits;

typedef enum cg_mode { CG_NONE, CG_V1, CG_V2, CG_MODE_MAX } cg_mode;

typedef struct cgroup cgroup;

void cg_limits_init(cg_limits *l);
bool cg_limits_any(const cg_limits *l);
/* Parse docker's --cpus value ("0.05", "1.5") into quota/period. */
int cg_parse_cpus(const char *s, cg_limits *l);

/* Create the container's cgroup named `name` under the calling process's
 * own cgroup. fsroot is "/sys/fs/cgroup" except in tests, which point it at
 * a fake tree. With no limits and no usable hierarchy, returns 0 with
 * *ret = NULL (nothing to enforce). Empty siblings named PREFIX-PID-...
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
/* The cgroup's directory on each hierarchy, for tests and diagnostics. */
const char *cg_path(const cgroup *cg);
