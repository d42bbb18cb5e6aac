/* runner: run a command inside a root file system with namespaces,
 * pivot_root, a small init and (optionally) cgroup limits and the security
 * profile. runroot's main fills a runner_config; the builder uses
 * runner_exec_in_tree to run commands inside a tree it is building
 * (bootstrap second stage, Run: steps). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "cgroup.h"
#include "common.h"
#include "security.h"

/* The network of a command run inside a tree. */
typedef enum runner_tree_net {
        RUNNER_TREE_NET_NONE,     /* a network namespace of its own, loopback only */
        RUNNER_TREE_NET_OUTBOUND, /* a namespace of its own with outbound access through pasta:
                                     nothing of the host's loopback or its abstract sockets */
        RUNNER_TREE_NET_HOST,     /* the host's network (an explicit opt-in) */
        RUNNER_TREE_NET_MAX
} runner_tree_net;

/* Run argv inside the directory `root` (written in place: no overlay),
 * with new mount/pid/uts/ipc namespaces (and a user namespace when not
 * root), /proc, a minimal /dev, and runroot's default profile: docker's
 * capability set without CAP_MKNOD, no_new_privs, the default seccomp
 * filter (the tree may come from a hostile base), with the network net.
 * envp NULL means a clean default environment. Returns the command's exit
 * status (0..255, 128+N for a signal) or a negative errno with e filled
 * when it could not be run. */
int runner_exec_in_tree(const char *root, char *const argv[], char *const envp[],
                        runner_tree_net net, err_t *e);

/* The ids a rootless build needs below its root: 1..65535 ("nobody" is
 * 65534), as mmdebstrap's unshare mode asks for. */
#define RUNNER_USERNS_IDS 65536u

/* Make the calling process, which must not have started a thread, root
 * of a user namespace of its own: 0 is the caller's uid and gid, 1..N its
 * ranges in /etc/subuid and /etc/subgid (at least min_ids), written by
 * newuidmap and newgidmap (package uidmap) from a helper process, the
 * same ranges a rootless run maps. Files it creates belong to the caller
 * on the host, files it chowns to the ranges; later runner_exec_in_tree
 * calls run as root there. -ENOENT with the line to add when the caller
 * has no range of min_ids; min_ids 0: any range, else only the caller
 * (0 inside, nothing else mapped). */
int runner_userns_enter(unsigned long min_ids, err_t *e);
/* Whether this process is in a user namespace other than the initial one
 * (root there is not the host's: no device cgroup, only the mapped ids). */
bool runner_in_userns(void);

/* A command run in a sandbox made from the host's own root: an overlay
 * with the host's root read-only below and a private tmpfs upper, a tmpfs
 * /tmp, /proc, a minimal /dev, a network namespace of its own (loopback
 * only) unless net, and runroot's default profile. Nothing it writes or
 * removes reaches the host. before_exec, when set, runs in the command's
 * process right before it execs (keep_fd stays open for it): mkroot
 * --trace starts its tracer there. Returns the command's exit status or a
 * negative errno with e filled. */
typedef struct runner_sandbox {
        char **argv;
        const char *cache_dir; /* NULL: store_default_dir() */
        const char *workdir;   /* NULL: / */
        bool net;              /* the host's network */
        void (*before_exec)(void *ctx);
        void *ctx;
        int keep_fd;
} runner_sandbox;
int runner_sandbox_host(const runner_sandbox *sb, err_t *e);

/* ---- runroot ----------------------------------------------------------- */

/* --net: none (a namespace of its own, loopback only), host (the host's),
 * private (a namespace of its own with outbound access through pasta, the
 * host's loopback at the gateway address, the -p ports published),
 * container:NAME (a running container's namespace). */
typedef enum runner_net {
        RUNNER_NET_NONE,
        RUNNER_NET_HOST,
        RUNNER_NET_PRIVATE,
        RUNNER_NET_CONTAINER,
        RUNNER_NET_MAX
} runner_net;

/* Whether spec is a docker -p [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp];
 * an error naming it when not. */
int runner_publish_check(const char *spec, err_t *e);

/* Namespaces a container can join by path instead of making them
 * (runner_config's join_ns; the network's is netns_path). */
typedef enum runner_ns_join {
        RUNNER_NSJ_IPC,
        RUNNER_NSJ_UTS,
        RUNNER_NSJ_CGROUP,
        RUNNER_NSJ_PID,
        RUNNER_NSJ_MAX
} runner_ns_join;

/* A device node made in the container's /dev (OCI's linux.devices). */
typedef struct runner_dev_node {
        char *path; /* absolute, below /dev/ */
        char type;  /* 'c', 'b' or 'p' (a fifo) */
        unsigned major, minor;
        unsigned mode; /* permission bits */
        uid_t uid;
        gid_t gid;
} runner_dev_node;

/* ---- OCI hooks (hooks.c): config.json's hooks, as the runtime
 * specification runs them ---------------------------------------------- */

typedef enum runner_hook_kind {
        RUNNER_HOOK_PRESTART,         /* (deprecated) when createRuntime is */
        RUNNER_HOOK_CREATE_RUNTIME,   /* host side, the mounts made, before pivot_root */
        RUNNER_HOOK_CREATE_CONTAINER, /* in the container's namespaces, before pivot_root */
        RUNNER_HOOK_START_CONTAINER,  /* in the command's process, right before its exec */
        RUNNER_HOOK_POSTSTART,        /* host side, once the command runs */
        RUNNER_HOOK_POSTSTOP,         /* host side, once the container is deleted */
        RUNNER_HOOK_MAX
} runner_hook_kind;

/* config.json's name of each kind (hooks.NAME). */
extern const char *const runner_hook_names[RUNNER_HOOK_MAX];

typedef struct runner_hook {
        char *path;  /* absolute */
        strv args;   /* empty: path alone */
        strv env;    /* the whole environment (empty: none) */
        int timeout; /* seconds; 0: none */
} runner_hook;

/* The hooks of each kind in order, and what their state says (borrowed,
 * set by the caller: the container's id, its bundle, config.json's
 * annotations or NULL). */
typedef struct runner_hooks {
        runner_hook *v[RUNNER_HOOK_MAX];
        size_t n[RUNNER_HOOK_MAX];
        const char *id, *bundle;
        struct json_object *annotations;
} runner_hooks;

#define RUNNER_OCI_SPEC_VERSION "1.2.0"

void runner_hooks_free(runner_hooks *h);
/* The runtime specification's state of a container (a new json-c
 * object): pid only when > 0, annotations {} when NULL. */
struct json_object *runner_oci_state_new(const char *id, const char *status, pid_t pid,
                                         const char *bundle, struct json_object *annotations);
/* Run kind's hooks in order, each a child process with the state (status,
 * pid) on stdin, its stdout and stderr on our stderr, the whole process
 * group killed once it outlives its timeout. Before the container runs
 * (prestart to startContainer) the first failure stops: its error reads
 * "hooks.KIND[I]: PATH: what happened". poststart and poststop hooks all
 * run, each failure a warning, and 0 is returned. h NULL: nothing. */
int runner_hooks_run(const runner_hooks *h, runner_hook_kind kind, const char *status, pid_t pid,
                     err_t *e);

/* The command's environment is docker's: runroot's defaults (PATH, HOME,
 * HOSTNAME, TERM), then image_env, then each of env_files in the order
 * given, then env; each overrides the ones before (the last -e wins). */
typedef struct runner_config {
        const char *image; /* rootfs tarball (any compression) or directory */
        /* What a --name container records as its image (ps, inspect) when
         * image is not what the user named: for a registry's image, the
         * reference pinned to its digest (image is then the cache's
         * copy). NULL: image, made absolute. */
        const char *image_ref;
        char **argv;           /* NULL: /bin/sh */
        const char *cache_dir; /* NULL: store_default_dir() */
        const char *name;      /* --name: keep the writable layer under this name */
        const char *hostname;  /* NULL: a random one */
        const char *workdir;   /* -w */
        const char *user;      /* -u UID[:GID] or NAME[:GROUP] */
        runner_net net;
        const char *net_container; /* --net container:NAME: NAME */
        /* With RUNNER_NET_CONTAINER and no net_container: the network
         * namespace file to join (OCI's linux.namespaces network path). */
        const char *netns_path;
        /* OCI's linux.namespaces paths of the other kinds: the namespace
         * files (/proc/PID/ns/ipc, a bind of one) the container joins
         * instead of making new ones; NULL: a new one. */
        const char *join_ns[RUNNER_NSJ_MAX];
        strv publish; /* -p (with RUNNER_NET_PRIVATE) */
        bool read_only;
        int tty;          /* -1: when stdin and stdout are terminals; 0: never; 1: required */
        strv image_env;   /* the image config's Env (KEY=VALUE) */
        strv env;         /* -e KEY=VAL or KEY */
        strv env_files;   /* --env-file */
        strv binds;       /* -v SRC:DST[:ro] */
        strv tmpfs;       /* --tmpfs DST[:OPTIONS] */
        strv devices;     /* --device HOST[:CONTAINER[:PERMS]] */
        strv ulimits;     /* --ulimit NAME=SOFT[:HARD] */
        strv add_hosts;   /* --add-host NAME:IP (checked by the caller) */
        strv dns;         /* --dns IP (checked by the caller) */
        int64_t shm_size; /* --shm-size: bytes of /dev/shm; 0: RUNNER_TMPFS_SIZE_DEFAULT */
        /* --storage-opt size=: bytes of the writable layer; 0: the default */
        int64_t layer_size;
        cg_limits limits;
        /* Where the container's cgroup goes (OCI's linux.cgroupsPath, as
         * cg_create_at takes it), made or joined even without a limit;
         * NULL: runroot-RUN-ID below runroot's own cgroup. */
        const char *cgroups_path;
        /* With started_fd: its line comes after one line per cgroup
         * directory of the container, "CGROUP DIR" (each hierarchy's),
         * "CGROUP-MADE DIR" (those of them this run made) and
         * "CGROUP-PARENT DIR" (parents made for cgroups_path, in the order
         * made): what a later runroot finds it by and removes. */
        bool report_cgroups;
        sec_opts sec;
        /* --privileged: the host's devices, every device allowed, /proc
         * and /sys neither masked nor read-only (the caller sets sec to
         * every capability and no filter). */
        bool privileged;
        /* The container's id, recorded with a new --name layer (NULL:
         * one is made). */
        const char *id;
        /* >= 0: once the container's init runs, "OK PID\n" is written
         * there (runroot -d's monitor hears of the start so). */
        int started_fd;
        /* An OCI bundle's root (runroot's runtime command line): image is
         * a directory that becomes the root itself, written in place (no
         * overlay; read_only still applies), and the command's
         * environment is env alone (no defaults, no image_env). */
        bool in_place;
        /* >= 0: an O_PATH descriptor of a fifo that the command opens for
         * writing right before its exec, so it waits there until someone
         * opens the fifo for reading (the runtime's create, then start). */
        int start_fd;
        /* With start_fd, as runc's create: runner_run returns 0 once the
         * command waits at start_fd with its setup done (a failure of the
         * setup is its error), after started_fd's line. The container's
         * init outlives it: it goes to the caller's subreaper (conmon, a
         * containerd shim), which reaps it and gets its status; its
         * cgroups stay (runroot-PID-* under each hierarchy, for the caller
         * to remove once it has ended). */
        bool detach;
        /* >= 0 with tty 1: a connected unix socket that gets the pty's
         * master (SCM_RIGHTS), as runc's --console-socket; runroot then
         * relays nothing and needs no terminal of its own. */
        int console_fd;
        /* More /proc and /sys paths to mask or make read-only than
         * runroot's own (OCI's maskedPaths, readonlyPaths). */
        strv masked_paths, readonly_paths;
        /* KEY=VALUE sysctls of the container's namespaces (OCI's
         * linux.sysctl; the caller checks the keys). */
        strv sysctls;
        bool mqueue; /* an mqueue file system at /dev/mqueue */
        /* With in_place: the command's supplementary groups are these
         * alone (OCI's additionalGids), not the group file's. */
        const gid_t *groups;
        size_t ngroups;
        /* OCI's linux.personality: PER_LINUX or PER_LINUX32 for pid 1 and
         * the command; -1 keeps runroot's. */
        int personality;
        const char *domainname; /* NULL: the new uts namespace's "(none)" */
        /* OCI's process.consoleSize: the pty's size before the command
         * gets it (0: unset, a terminal of runroot's own gives its size). */
        unsigned short console_rows, console_cols;
        /* Device cgroup rules on top of the default list ("TYPE
         * MAJOR:MINOR ACCESS", cg_device_rule_parse's; OCI's
         * linux.resources.devices), and nodes made in /dev (made with
         * mknod as root; rootless runs cannot). */
        strv device_rules;
        const runner_dev_node *nodes;
        size_t nnodes;
        /* fds 3 .. 3+n-1 passed on to the command (runc's --preserve-fds;
         * the caller checks they are its own, open from the start). */
        unsigned preserve_fds;
        /* The command gets a signal sent to the container's init only as
         * a pid 1 of its own namespace would (runc's command is one, with
         * config.json's new pid namespace): when it has a handler for it
         * (SIGKILL and SIGSTOP reach init itself); false: every signal of
         * init_forward_signals is passed on. */
        bool pid1_signals;
        /* The command is looked up (init_lookup) before it waits for
         * start_fd, as runc's run does: one that is not there is
         * runner_run's error, in runc's words, not the command's 127. */
        bool lookup_first;
        /* As root: a user namespace of the container's own with these
         * maps (uid_map and gid_map text, "CONTAINER HOST SIZE" lines; OCI's
         * linux.uidMappings, gidMappings); NULL: none. */
        const char *uid_map, *gid_map;
        /* With in_place: the root a slave of the host's mount (OCI's
         * rootfsPropagation slave 1, rslave 2: its submounts too); 0:
         * private, as every other mount. */
        int root_slave;
        /* A new session keyring of this name for the container (runc's
         * default, so that it does not share the caller's keys); NULL: the
         * caller's (runc's --no-new-keyring). */
        const char *session_keyring;

        /* OCI hooks (NULL: none): prestart and createRuntime run on the
         * host side once the mounts are made, createContainer in the
         * container before pivot_root, startContainer in the command's
         * process after start_fd's fifo and before its exec; start_fd's
         * reader then gets "1" (they passed) or "E" and the error's line.
         * poststart and poststop are the caller's. */
        const runner_hooks *hooks;
} runner_config;

/* Default sizes (README's limits): the writable layer, a tmpfs unless
 * --name keeps it on disk, and each --tmpfs (docker's /dev/shm size). */
#define RUNNER_LAYER_SIZE_DEFAULT (INT64_C(1) << 30)
#define RUNNER_TMPFS_SIZE_DEFAULT (INT64_C(64) << 20)

void runner_config_init(runner_config *c);
/* docker's --mount type=bind|tmpfs,KEY=VALUE,... added to c as the -v or
 * --tmpfs entry it means; an unknown key or type, a missing target or a
 * bind source that does not exist is an error naming it. */
int runner_mount_add(runner_config *c, const char *spec, err_t *e);
void runner_config_free(runner_config *c);
/* Run the container. Returns the exit status to report (the command's,
 * 126/127 when it could not be executed, 128+N for a signal, 137 on an
 * out-of-memory kill) with e->msg holding a message to show when there is
 * one, or a negative errno with e filled when runroot itself failed. */
int runner_run(const runner_config *c, err_t *e);
/* Remove what runs killed with SIGKILL left in the cache. */
int runner_gc(const char *cache_dir, unsigned *ret_removed, err_t *e);

/* ---- containers: the kept layers of --name (runroot ps, rm) ----------- */

/* A container's id: 64 hex digits (ps shows the first 12). */
#define RUNNER_ID_LEN 64
void runner_new_id(char ret[RUNNER_ID_LEN + 1]);

typedef struct runner_container {
        char *name;
        char *id;  /* NULL for a layer of an older version not run since */
        pid_t pid; /* its init (as the host sees it) while running, else 0 */
        /* The image argument it was made from (absolute), or for a layer
         * made by an older version the cache path of the unpacked image;
         * NULL when unknown. */
        char *image;
        strv command;    /* of the last run; empty when unknown */
        time_t created;  /* 0: unknown */
        time_t started;  /* of the last run; 0: unknown */
        time_t finished; /* of the last run, when exit_code >= 0 */
        int exit_code;   /* of the last run; -1 while running or when unknown */
        bool running;    /* a run holds it now */
} runner_container;

/* The containers by name, the stopped ones only with all. */
int runner_containers_list(const char *cache_dir, bool all, runner_container **ret, size_t *ret_n,
                           err_t *e);
void runner_containers_free(runner_container *v, size_t n);
/* Remove a container's layer: -ENOENT when there is none, -EBUSY while it
 * runs; force stops it first (SIGTERM, SIGKILL 10 s later). */
int runner_container_remove(const char *cache_dir, const char *name, bool force, err_t *e);

/* ---- the lifecycle: runroot -d, logs, stop, kill, wait, exec, inspect -- */

typedef struct runner_detach_opts {
        bool remove;          /* --rm: removed once it exits */
        int64_t log_max_size; /* --log-opt max-size: bytes per log file; 0: no cap */
        int log_max_file;     /* --log-opt max-file: files kept, the current one included */
} runner_detach_opts;

/* Start c in the background under a monitor of its own (c->name, or a
 * generated name when NULL; c->read_only refused): returns once the
 * command runs, with the container's id and name. */
int runner_run_detached(runner_config *c, const runner_detach_opts *d, char **ret_id,
                        char **ret_name, err_t *e);

/* Each of these takes a container's name or the start of its id; one
 * that is not there is -ENOENT ("no such container: NAME"). */
/* SIGTERM to its init (which forwards it to the command), SIGKILL of its
 * whole cgroup after timeout seconds (-1: 10); done when it is stopped
 * already, as docker's. */
int runner_container_stop(const char *cache_dir, const char *name, int timeout, err_t *e);
/* sig to the container (SIGKILL: its whole cgroup): -ESRCH when it does
 * not run. */
int runner_container_kill(const char *cache_dir, const char *name, int sig, err_t *e);
/* The cgroup directories made for a container that has ended (an OCI
 * create's record), removed (EBUSY retried a while: its last tasks may
 * still be leaving); then parents (NULL: none), the parents made for them,
 * last first, each removed when empty. */
void runner_cgroups_remove(const strv *dirs, const strv *parents);
/* Until it does not run; its exit status. */
int runner_container_wait(const char *cache_dir, const char *name, int *ret_code, err_t *e);
/* docker inspect's JSON (an array of one object): config, state, mounts,
 * limits, network, log. */
int runner_container_inspect(const char *cache_dir, const char *name, char **ret_json, err_t *e);

typedef struct runner_logs_opts {
        bool follow;     /* -f: until the container stops */
        long tail;       /* --tail N: the last N lines; -1: all */
        bool timestamps; /* each line after its time */
} runner_logs_opts;
/* The log of a detached container to stdout and stderr, each line to the
 * stream it came from: -ENOENT too for a container without one. */
int runner_container_logs(const char *cache_dir, const char *name, const runner_logs_opts *o,
                          err_t *e);

typedef struct runner_exec_opts {
        char **argv;
        strv env;            /* -e KEY=VAL */
        const char *user;    /* -u; NULL: the container's */
        const char *workdir; /* -w; NULL: the container's */
        bool interactive;    /* -i: stdin reaches the command (else /dev/null) */
        bool tty;            /* -t: a terminal of its own */
        /* >= 0 with tty: the pty's master goes there (SCM_RIGHTS), as
         * runc's --console-socket, and nothing is relayed; -1: relayed. */
        int console_fd;
        /* >= 0: "PID\n" written there once the command's process is made
         * (its pid as the host sees it), then closed; -1: none. */
        int report_fd;
        bool env_exact; /* the environment is env alone (an OCI process) */
        /* As runc's exec --detach: the process outlives runroot (no
         * PDEATHSIG; the joiner leaves once report_fd has its pid), so it
         * goes to the caller's subreaper (conmon), which reaps it and gets
         * its status; returns 0 then. */
        bool detach;
        unsigned short console_rows, console_cols; /* the pty's size; 0: unset */
        /* fds 3 .. 3+n-1 passed on to the command (runc's --preserve-fds;
         * the caller checks they are its own, open from the start). */
        unsigned preserve_fds;
        const char *session_keyring; /* as runner_config's */
        /* groups_exact: the supplementary groups are these alone (an OCI
         * process's additionalGids, as create's), not the group file's. */
        bool groups_exact;
        const gid_t *groups;
        size_t ngroups;
        /* As runc's exec: a command that is not there (or cannot be
         * executed) is an error before any process is made, not the
         * process's 127 (or 126); with env_exact, for an absolute path or
         * a name looked up in PATH. */
        bool lookup_first;
} runner_exec_opts;
#define RUNNER_EXEC_OPTS_INIT                                                                      \
        {                                                                                          \
                .console_fd = -1, .report_fd = -1                                                  \
        }

/* A running container to exec in, as its caller knows it. */
typedef struct runner_exec_target {
        pid_t init_pid;             /* its init (runroot's pid 1), checked by the caller */
        const char *name;           /* for messages */
        const char *user, *workdir; /* when o's are NULL (NULL: root, /) */
        const sec_opts *sec;        /* its security, with the filter prepared */
        const strv *cgroups;        /* the cgroup dirs to join; NULL: the init's runroot-* */
} runner_exec_target;
/* runner_container_exec's joining, for a container given by its init (an
 * OCI runtime's container): the same namespaces, cgroups and last steps. */
int runner_exec_in_container(const runner_exec_target *t, const runner_exec_opts *o, err_t *e);
/* Run argv in the running container: every namespace of its init, its
 * cgroup, the capability bounding set, seccomp filter and no_new_privs of
 * its command. Returns the command's exit status as runner_run does, or a
 * negative errno (-ESRCH when it does not run). */
int runner_container_exec(const char *cache_dir, const char *name, const runner_exec_opts *o,
                          err_t *e);

/* ---- image config (OCI and docker-save archives) ------------------------ */

typedef struct runner_image_config {
        strv env; /* KEY=VALUE: runner_config's image_env */
        strv entrypoint, cmd;
        bool have_entrypoint, have_cmd;
        char *workdir, *user; /* NULL when the image sets none */
} runner_image_config;

/* The config of an OCI or docker-save archive (unpacking it into the cache
 * when needed); all empty for rootfs tarballs and directories. */
int runner_image_config_get(const char *cache_dir, const char *image, runner_image_config *ret,
                            err_t *e);
void runner_image_config_free(runner_image_config *c);

/* ---- OCI runtime bundles (ocispec.c) ------------------------------------ */

#define RUNNER_OCI_GROUPS_MAX 64
#define RUNNER_OCI_IDMAP_MAX 64

/* A bundle's config.json as the runner runs it: cfg runs the bundle's root
 * in place (its strings point into this struct). What the runner does not
 * do is refused with an error, or, where the container works without it,
 * named in warnings (one line each, for the caller to print). */
typedef struct runner_oci_spec {
        runner_config cfg;
        char *root; /* root.path, absolute */
        strv args;
        char *cwd, *user, *hostname, *domainname;
        char *netns_path;              /* a network namespace to join, or NULL */
        char *join_ns[RUNNER_NSJ_MAX]; /* cfg.join_ns's strings */
        runner_dev_node *nodes;        /* cfg.nodes */
        size_t nnodes;
        bool userns;                         /* as root: a user namespace asked for */
        char *uid_map, *gid_map;             /* cfg's, its maps */
        char *cgroups_path;                  /* linux.cgroupsPath, cleaned; NULL: none */
        gid_t groups[RUNNER_OCI_GROUPS_MAX]; /* process.user.additionalGids */
        size_t ngroups;
        int umask; /* process.user.umask; -1 when not given */
        bool terminal;
        bool have_oom_score_adj;
        int oom_score_adj;
        /* linux.seccomp as JSON (docker's profile has the same fields), for
         * cfg.sec.seccomp_profile; NULL when there is none (no filter). */
        char *seccomp;
        struct json_object *annotations; /* NULL when none */
        runner_hooks hooks;              /* config.json's (id, bundle unset) */
        strv warnings;
        char *text; /* config.json as read by runner_oci_spec_load (else NULL) */
} runner_oci_spec;

/* Parse config.json's text; bundle (absolute) resolves relative paths.
 * Errors read "config.json: JSON.PATH: problem". */
int runner_oci_spec_parse(const char *text, size_t len, const char *bundle, runner_oci_spec *ret,
                          err_t *e);
/* The same with config.json's process replaced by process (an OCI
 * process object's JSON, as runc exec --process reads; NULL: kept);
 * its errors read "--process: ..." or "config.json: process....". */
int runner_oci_spec_parse_process(const char *text, size_t len, const char *process, size_t plen,
                                  const char *bundle, runner_oci_spec *ret, err_t *e);
/* The same for the file BUNDLE/config.json. */
int runner_oci_spec_load(const char *bundle, runner_oci_spec *ret, err_t *e);
void runner_oci_spec_free(runner_oci_spec *s);
/* runc exec's --apparmor (selinux false) or --process-label, named opt:
 * a warning pushed onto ret_warnings on a host without that module, an
 * error on one that has it (runroot applies no labels). */
int runner_oci_lsm_option(const char *opt, bool selinux, strv *ret_warnings, err_t *e);
/* A linux.resources object's JSON alone (runc update --resources): the
 * limits runroot sets from it (ret's cpuset_cpus malloc'ed), what it
 * ignores pushed onto ret_warnings; errors name the JSON path. */
int runner_oci_resources_parse(const char *text, size_t len, cg_limits *ret, strv *ret_warnings,
                               err_t *e);
