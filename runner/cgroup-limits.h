/* cgroup-limits: the values the cgroup code is about: what a run asks of
 * its cgroup (the resource limits, the devices handed in with --device, and
 * the parsing of docker's spellings of both) and which version a cgroup is
 * on. No cgroup file system is touched here; the rest of the cgroup code
 * builds on these types. Offered by cgroup-limits.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/* Access bits of a device rule (the values of the kernel's
 * BPF_DEVCG_ACC_*). */
enum { CG_DEV_MKNOD = 1, CG_DEV_READ = 2, CG_DEV_WRITE = 4, CG_DEV_ALL = 7 };

/* A device handed in with --device HOST[:CONTAINER[:PERMS]]: allowed on
 * top of the default list, and bound at path inside the container. Or a
 * rule alone (cg_device_rule_parse: OCI's linux.resources.devices), with
 * no node: host and path NULL. */
typedef struct cg_device {
        char type;         /* 'c' or 'b'; 'a' (both) for a rule alone */
        long major, minor; /* -1: any (a rule alone) */
        unsigned access;   /* CG_DEV_* */
        char *host;        /* the node on the host, as given; NULL for a rule */
        char *path;        /* where it goes inside (normalised, absolute); NULL for a rule */
} cg_device;

/* A rule alone, "TYPE MAJOR:MINOR ACCESS" (the devices cgroup's syntax:
 * TYPE a, c or b, MAJOR and MINOR numbers or *, ACCESS of r, w, m). */
int cg_device_rule_parse(const char *rule, cg_device *ret, err_t *e);

/* Parse docker's --device value; the host path must be a character or
 * block device node. */
int cg_device_parse(const char *spec, cg_device *ret, err_t *e);
void cg_device_free(cg_device *d);

/* One of OCI's blockIO throttles: a device's rate, bytes or I/Os per
 * second (v1 blkio.throttle.*_device, v2 io.max). */
typedef enum cg_throttle_kind {
        CG_READ_BPS,
        CG_WRITE_BPS,
        CG_READ_IOPS,
        CG_WRITE_IOPS,
        CG_THROTTLE_KIND_MAX
} cg_throttle_kind;
typedef struct cg_throttle {
        unsigned major, minor;
        cg_throttle_kind kind;
        uint64_t rate;
} cg_throttle;
#define CG_THROTTLE_MAX 16

typedef struct cg_limits {
        int64_t memory;       /* bytes, swap included; -1 = unset */
        int64_t cpu_quota;    /* microseconds per cpu_period; -1 = unset */
        int64_t cpu_period;   /* microseconds (100000 by default) */
        int64_t pids;         /* -1 = unset */
        char *cpuset_cpus;    /* "0-1,3" or NULL */
        int64_t cpu_weight;   /* 1..10000 (v2 scale); -1 = unset */
        int64_t cpu_shares;   /* 2..262144 (v1 scale); -1 = unset */
        int64_t io_weight;    /* 1..10000 (v2) / 10..1000 (v1 blkio); -1 = unset */
        bool io_weight_blkio; /* io_weight is on blkio's scale (OCI's), converted for v2 */
        /* Bytes kept from reclaim: v1 memory.soft_limit_in_bytes, v2
         * memory.low; -1 = unset. */
        int64_t memory_low;
        /* With memory: memory and swap together (OCI's memory.swap: v1
         * memory.memsw.limit_in_bytes, v2 memory.swap.max = this - memory);
         * -1 = unset (as much as memory: no swap), -2 = swap not limited. */
        int64_t memory_swap;
        /* v1 only (memory.swappiness, memory.oom_control; cgroup v2 has
         * neither: refused there): 0..100, -1 = unset; the OOM killer off. */
        int64_t swappiness;
        bool oom_kill_disable;
        /* OCI's cpu.burst (µs above the quota: v1 cpu.cfs_burst_us, v2
         * cpu.max.burst) and cpu.idle (0 or 1); -1 = unset. The realtime
         * budget (v1 cpu.rt_period_us, cpu.rt_runtime_us; v2 has none:
         * refused there) when cpu_rt_set. */
        int64_t cpu_burst, cpu_idle;
        bool cpu_rt_set;
        int64_t cpu_rt_period, cpu_rt_runtime; /* period 0: the kernel's */
        char cpuset_mems[64];                  /* memory nodes, "0-1"; empty = unset */
        cg_throttle throttle[CG_THROTTLE_MAX];
        size_t nthrottle;
        /* The device allow-list must be enforced (runs as root): the devices
         * hierarchy (v1) or a BPF device program (v2) that cannot be set up
         * is an error, also when no limit is asked for. Only root can have
         * one; rootless runs rely on nodev mounts and the user namespace. */
        bool device_policy;
        /* --privileged: every device may be opened; no list is written and
         * no device program attached (device_policy is false). */
        bool devices_all;
        const cg_device *devices; /* allowed on top of the default list (not owned) */
        size_t ndevices;
        /* Also join (v1) or enable (v2) the memory, cpu and pids controllers
         * that are there without a limit asked for, so that cg_update can
         * set one later (an OCI runtime's update); none is required. */
        bool join_all;
        /* v2: the device program is attached by cg_devices_attach, not by
         * cg_create, so that its load (the verifier and the JIT, ~0.1 ms)
         * overlaps the container's own setup; the caller must attach it
         * before anything of the image runs. v1 writes its list at once. */
        bool devices_later;
} cg_limits;

void cg_limits_init(cg_limits *l);
/* Whether any resource limit is asked for (the device policy is none), or
 * join_all (a cgroup of all controllers, for limits set later). */
bool cg_limits_any(const cg_limits *l);
/* Parse docker's --cpus value ("0.05", "1.5") into quota/period:
 * -EINVAL when it is not a number, -ERANGE when below the kernel's
 * minimum (0.01), -E2BIG when above the machine's online CPUs; e says
 * which ("this machine has 2 CPUs"), without the value. */
int cg_parse_cpus(const char *s, cg_limits *l, err_t *e);
/* Take --cpuset-cpus LIST into l: -EINVAL when it is not a CPU list
 * ("0-1,3"), -E2BIG when it names a CPU that is not online (e then quotes
 * the kernel's list of online CPUs). */
int cg_parse_cpuset(const char *list, cg_limits *l, err_t *e);
/* The check of cg_parse_cpuset against online, the text of the kernel's
 * list of online CPUs (NULL or unreadable: no check beyond the syntax). */
int cg_cpuset_within(const char *list, const char *online, err_t *e);
/* A cgroup's place as OCI's linux.cgroupsPath gives it, made safe as
 * runc's cgroupfs driver makes it: "." and ".." resolved by the text alone,
 * never above the hierarchy's root (absolute) or the cgroup it is relative
 * to (relative), runs of '/' squeezed. *ret: "/a/b" or "a/b" (malloc'ed).
 * -EINVAL for a control character or a path that leaves no cgroup of its
 * own ("/", "..", "."), e saying which without the path. */
int cg_path_clean(const char *in, char **ret, err_t *e);

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

unsigned cg_needed(const cg_limits *l);

/* Which hierarchy a cgroup is on (cg_get_mode). */
typedef enum cg_mode { CG_NONE, CG_V1, CG_V2, CG_MODE_MAX } cg_mode;
