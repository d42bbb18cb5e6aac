/* runner internals shared between its files (not a public header). */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "cache.h"
#include "extract.h"
#include "runner.h"

/* ---- unpack.c: runroot's extraction policy (extract.h does the work) - */

typedef struct unpack_stats {
        unsigned long entries;
        unsigned long skipped_devices;
} unpack_stats;

/* Extract the rootfs archive read from fd (any compression libarchive
 * knows) into the empty directory rootfd, never creating or writing
 * anything outside it; device nodes are counted, not made. label names
 * the archive in messages. ret_digest gets the sha256 of every byte read
 * from fd (NULL to skip). Any failed write fails it: the caller discards
 * rootfd's directory. */
int unpack_archive_fd(int fd, int rootfd, const char *label, char *ret_digest,
                      unpack_stats *ret_stats, err_t *e);
/* The same for an OCI or docker-save layer: ".wh." entries become overlay
 * whiteouts. */
int unpack_oci_layer_fd(int fd, int rootfd, const char *label, char *ret_digest, err_t *e);

/* mkdir -p of path inside the tree at rootfd as if it were "/" (symlinks
 * followed within the tree, never out of it); *ret is the resolved
 * absolute path of the directory, relative to the tree. */
static inline int rootfs_mkdir_p(int rootfd, const char *path, char **ret, err_t *e)
{
        return xt_mkdir_in_root(rootfd, path, NULL, ret, e);
}

/* ---- image.c: image -> lower directory ------------------------------ */

/* The mount points every run needs (dev, proc, sys, and tmp 1777 when
 * made here) at the top of the tree rootfd; label names it in messages. */
int image_make_mountpoints(int rootfd, const char *label, err_t *e);
/* Resolve an image (rootfs tarball or directory) to the directory to use
 * as the overlay's lower layer, unpacking it into the store once. */
int image_resolve(store *s, const char *image, char **ret_lower, err_t *e);

/* ---- names.c: the kept layers of --name ----------------------------- */

/* Check that the layer at persist (the store's names/NAME/) was made over
 * lower, or record it as made from it and the image argument image (or
 * image_ref, when not NULL: runner_config's) when it is new; then record
 * the run of argv that starts. */
int name_prepare(const char *persist, const char *name, const char *lower, const char *image,
                 const char *image_ref, const char *id, char *const argv[], time_t started,
                 err_t *e);
/* Record in the layer at persist that the container's init (init_pid,
 * in cg_dir, a v2 path or NULL) runs, and its pasta net_pid (0: none, for
 * a gc to end when the monitor is gone), with what exec and inspect need
 * of c's configuration. */
int name_run_started(const char *persist, pid_t init_pid, const char *cg_dir, pid_t net_pid,
                     const runner_config *c, err_t *e);
/* When pid started (/proc/PID/stat's field 22), which a reused pid does
 * not share; 0 when it is gone. */
unsigned long long proc_start_time(pid_t pid);

/* A container (a name the store keeps) as the lifecycle commands see it:
 * its records (empty objects when absent) and whether it runs. */
typedef struct container_info {
        char *name;
        struct json_object *config, *run;
        bool running;   /* a run holds the name and its init is the recorded one */
        pid_t init_pid; /* that init while running (0 before it is recorded) */
} container_info;
/* The container named what, or whose id starts with what: -ENOENT
 * ("no such container: WHAT") when there is none. */
int container_find(store *s, const char *what, container_info *ret, err_t *e);
void container_info_free(container_info *c);
/* The cgroup directories of pid that runroot made (runroot-...), one per
 * hierarchy, from /proc/PID/cgroup as the host sees it. */
void container_cgroups_of(pid_t pid, strv *ret);
/* A string or an integer member of a record (NULL / false when absent). */
const char *container_str(struct json_object *j, const char *key);
bool container_int(struct json_object *j, const char *key, int64_t *ret);
/* An array of strings (pushed onto ret; nothing when absent). */
void container_strv(struct json_object *j, const char *key, strv *ret);
/* Record the run of argv in the layer at persist as ended (exit_code) or,
 * with -1, as started. */
int name_run_record(const char *persist, char *const argv[], time_t started, int exit_code,
                    err_t *e);

/* ---- user.c: environment and user ----------------------------------- */

typedef struct run_user {
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t ngroups;
        char *home;
} run_user;

/* Resolve "NAME", "UID", "UID:GID", "NAME:GROUP" against the passwd and
 * group files under the current root ("/"). */
int user_resolve(const char *spec, run_user *ret, err_t *e);
/* Build the command's environment, docker's order: defaults (PATH, HOME,
 * TERM, HOSTNAME) overridden by image_env (the image config's KEY=VALUE),
 * then env_files, then env (KEY=VAL, or KEY to copy the host's value taken
 * from host_env); a later setting of a key wins. Any of the three may be
 * NULL. */
int env_build(const strv *image_env, const strv *env_files, const strv *env, char *const host_env[],
              const char *home, const char *hostname, const char *term, strv *ret, err_t *e);
/* Read KEY=VAL lines of an --env-file into out (host side). */
int env_file_read(const char *path, strv *out, err_t *e);

/* ---- mounts.c: the container's file system --------------------------- */

typedef struct mount_plan {
        const char *lower;   /* image layer (or the tree itself when in_place) */
        const char *rundir;  /* per-run dir: the tmpfs and the mount point go here */
        const char *persist; /* --name dir (upper/work kept), or NULL */
        bool in_place;       /* runner_exec_in_tree: bind the tree, no overlay */
        int root_slave;      /* with in_place: runner_config's */
        bool no_copy;        /* an overlay or nothing: never copy lower (the host's root) */
        bool read_only;
        bool userns;
        bool net_host;
        /* --privileged: /sys writable, no /proc or /sys path masked or
         * read-only */
        bool privileged;
        const strv *binds;       /* "SRC:DST[:ro]" */
        const strv *tmpfs;       /* "DST[:OPTIONS]" (mounts_tmpfs_parse) */
        const char *warn_marker; /* exists once the copy fallback was announced */
        /* bytes of the per-run tmpfs; 0: RUNNER_LAYER_SIZE_DEFAULT */
        int64_t layer_size;
        /* bytes of /dev/shm; 0: RUNNER_TMPFS_SIZE_DEFAULT */
        int64_t shm_size;
        /* --add-host NAME:IP and --dns IP (NULL or empty: the image's files) */
        const strv *add_hosts, *dns;
        /* OCI's maskedPaths and readonlyPaths beyond runroot's own list
         * (NULL: none) */
        const strv *masked, *readonly_paths;
        /* OCI's linux.sysctl, KEY=VALUE (checked: namespaced keys only),
         * written before /proc/sys is made read-only */
        const strv *sysctls;
        bool mqueue; /* an mqueue file system at /dev/mqueue (OCI's mounts) */
        /* --device: bound at their path */
        const cg_device *devices;
        size_t ndevices;
        const runner_dev_node *nodes; /* made in /dev (OCI's linux.devices) */
        size_t nnodes;
        /* Called once every mount is made, before pivot_root (OCI's
         * createRuntime and createContainer hooks); NULL: none. */
        int (*before_pivot)(void *ctx, err_t *e);
        void *before_pivot_ctx;
} mount_plan;

/* One --tmpfs DST[:OPTIONS] (docker's options: size=N[kmg] or N%, mode=OCTAL,
 * uid=N, gid=N, nr_inodes=N[kmg], ro, rw, exec, noexec, suid, nosuid,
 * nodev): the destination, the mount flags and the tmpfs data string.
 * Defaults: nosuid, nodev, mode=1777, size=RUNNER_TMPFS_SIZE_DEFAULT. An
 * option it does not know, or a bad value, is an error naming it. */
typedef struct tmpfs_mount {
        char *dst;
        unsigned long flags;
        char *data;
} tmpfs_mount;
int mounts_tmpfs_parse(const char *spec, tmpfs_mount *ret, err_t *e);
void mounts_tmpfs_free(tmpfs_mount *t);

/* In the new mount namespace: build the root and pivot into it. */
int mounts_setup(const mount_plan *p, err_t *e);
/* Rootless fallback when the kernel refuses overlay: copy src to dst. */
int mounts_copy_tree(const char *src, const char *dst, err_t *e);

/* ---- ns.c: clone, id maps, sync --------------------------------------- */

int ns_write_id_maps(pid_t pid, uid_t uid, gid_t gid, err_t *e);
/* As root: pid's user namespace gets these uid_map and gid_map texts. */
int ns_write_maps(pid_t pid, const char *uid_map, const char *gid_map, err_t *e);
/* A new session keyring named name for this process and its children
 * (nothing on a kernel without keyrings); NULL: nothing. */
int ns_session_keyring(const char *name, err_t *e);
int ns_loopback_up(err_t *e);
pid_t ns_clone(unsigned long flags);
/* ns_clone, born in the v2 cgroup of cgroup_fd (clone3 CLONE_INTO_CGROUP;
 * -1: no cgroup, a plain ns_clone). Fails (ENOSYS, E2BIG, EINVAL...) where
 * clone3 or that flag is missing: the caller then clones and attaches. */
pid_t ns_clone_into(unsigned long flags, int cgroup_fd);

/* ---- pasta.c: outbound-only network for a namespace ------------------ */

typedef struct pasta pasta;
typedef struct pasta_opts {
        const char *who;     /* what needs it, for messages ("--net private") */
        bool map_host;       /* the gateway address reaches the host's loopback */
        const strv *publish; /* docker -p specs (checked by runner_publish_check) */
} pasta_opts;
/* Give the network namespace of target an interface with outbound access
 * (and what o adds); ready when this returns. A host port of o->publish
 * already in use is an error naming it, before pasta starts. */
int pasta_start(pid_t target, const pasta_opts *o, pasta **ret, err_t *e);
/* End it (NULL is fine). */
void pasta_stop(pasta *p);
/* Its daemon's pid (0 for NULL), for the record a gc ends it by. */
pid_t pasta_pid(const pasta *p);

/* ---- rlimit.c: --ulimit ---------------------------------------------- */

typedef struct run_rlimit {
        const char *spec;              /* as given, for messages (not owned) */
        int resource;                  /* RLIMIT_* */
        unsigned long long soft, hard; /* RLIM_INFINITY for none */
} run_rlimit;

/* One --ulimit NAME=SOFT[:HARD] with docker's names (HARD defaults to
 * SOFT; -1 or "unlimited" for no limit). */
int rlimit_parse(const char *spec, run_rlimit *ret, err_t *e);
/* setrlimit each, in order (a later one of the same name wins). */
int rlimits_apply(const run_rlimit *v, size_t n, err_t *e);

/* ---- init.c: pid 1 -------------------------------------------------- */

/* sched-hint.c: the shortest fair-scheduler slice for runroot's own
 * processes, and the caller's attributes back for the command. */
typedef struct run_sched {
        bool changed;
        unsigned policy;
        unsigned long long flags;
        int nice;
        unsigned long long runtime;
} run_sched;
void run_sched_short(run_sched *ret);
int run_sched_restore(const run_sched *s, err_t *e);

typedef struct init_cmd {
        char **argv;
        char **envp;
        const char *cwd;     /* the working directory as given (messages), or NULL */
        const char *cwd_abs; /* init_open_workdir's resolved path */
        int cwd_fd;          /* init_open_workdir's fd, or -1 for "/" */
        const run_user *user;
        const sec_opts *sec;       /* NULL: keep privileges */
        const run_rlimit *rlimits; /* --ulimit, set before the privileges go */
        size_t nrlimits;
        int pty_slave_fd; /* -1 without a terminal */
        int err_fd;       /* CLOEXEC pipe to runroot for exec errors */
        int ready_fd;     /* set by init_run for the command child; -1 */
        /* runner_sandbox_host: called in the command's process right
         * before the exec, with keep_fd left open; NULL otherwise. */
        void (*before_exec)(void *ctx);
        void *before_exec_ctx;
        bool filter_inherited; /* pid 1 loaded the filter before the fork */
        int keep_fd;           /* -1: none */
        /* > 0 (0 or -1: unset): the container outlives runroot (run_spec's
         * detach). The command says INIT_READY_LINE on err_fd before its
         * before_exec, and pid 1, once the command is released, waits here
         * for runroot's 'D' before it drops its PDEATHSIG (EOF: it ends),
         * then closes err_fd. */
        int detach_fd;
        unsigned preserve_fds; /* fds 3.. kept for the command (runc's --preserve-fds) */
        bool pid1_signals;     /* runner_config's: pass on only what the command catches */
        bool lookup_first;     /* runner_config's: init_lookup before before_exec */
        /* the caller's scheduling attributes, set back before the exec */
        const run_sched *sched;
} init_cmd;
#define INIT_READY_LINE "\001ready\n"

/* Close every descriptor above 2 except the n in keep (close_range, so
 * that nothing is merely close-on-exec: init never execs). */
#define INIT_KEEP_FDS_MAX 12
int init_close_fds(const int *keep, size_t n, err_t *e);
/* The same, every fd below first kept too (3 + runc's --preserve-fds). */
int init_close_fds_above(unsigned first, const int *keep, size_t n, err_t *e);
/* Fds 3 .. 3+n-1 kept open across the command's exec (not close-on-exec). */
int init_pass_fds(unsigned n, err_t *e);
/* After pivot_root: resolve dir (-w, WorkingDir) inside the new root,
 * making it when missing, symlinks followed within the root; /proc and
 * anything below it refused. Returns its symlink-free path and an O_PATH
 * fd of it. */
int init_open_workdir(const char *dir, char **ret_abs, int *ret_fd, err_t *e);

/* Whether argv[0] would be found and could be executed (as exec_search
 * looks for it, without running it): 0, or 127 (not there) or 126 (not
 * executable) with an error naming it in runc's words, which engines map
 * to those statuses ("executable file not found in $PATH", "no such file
 * or directory", "permission denied"). */
int init_lookup(char *const *argv, char *const *envp, err_t *e);

/* Run as pid 1: start the command, reap, forward signals; returns the
 * exit status to exit with. */
int init_run(const init_cmd *c);
/* The command's last steps as init_run's child takes them (a session of
 * its own, the terminal, the user, the working directory, descriptors
 * closed, the security profile), then exec: for runroot exec, whose
 * process is no child of the init. Never returns. */
_Noreturn void init_exec_command(const init_cmd *c);
/* Forwarded signals, shared by init and the host side. */
extern const int init_forward_signals[];
extern const size_t init_forward_signals_n;

/* ---- tty.c: pty relay on the host side --------------------------------- */

/* Open a new pty from the devpts mounted at /dev/pts (inside the container);
 * return master and slave. */
int tty_open_pty(int *ret_master, int *ret_slave, err_t *e);
int tty_send_fd(int sock, int fd);
int tty_recv_fd(int sock);
/* Put the host terminal in raw mode; tty_restore undoes it. */
int tty_raw(int fd, void **ret_saved);
void tty_restore(int fd, void *saved);
void tty_copy_winsize(int from, int to);
/* The pty's size rows x cols (OCI's consoleSize); nothing when both 0. */
void tty_set_size(int fd, unsigned short rows, unsigned short cols);
int tty_supervise(pid_t pid, int sfd, int master, bool forward_in);

/* ---- state.c: the runtime state of detached containers -------------- */

/* /run/runroot (root) or $XDG_RUNTIME_DIR/runroot, made when create. */
int state_root(bool create, char **ret, err_t *e);
/* The state directory of container id (made when create): -ENOENT when
 * there is none. */
int state_open(const char *id, bool create, int *ret_dfd, err_t *e);
int state_remove(const char *id, err_t *e);
/* state.json (NULL when absent), replaced whole by state_write;
 * state_update changes it under the directory's lock. */
struct json_object *state_read(int dfd);
int state_write(int dfd, struct json_object *j, err_t *e);
int state_update(int dfd, void (*change)(struct json_object *j, void *arg), void *arg, err_t *e);
/* Whether the container's monitor still lives (holds monitor.lock). */
bool state_monitor_alive(int dfd);

/* ---- monitor.c: runroot -d ------------------------------------------ */

#define RUNNER_LOG_FILE "container.log"
/* ts as docker's json-file writes it (RFC 3339, nanoseconds, UTC). */
void runner_log_time(const struct timespec *ts, char *buf, size_t len);

/* ---- lifecycle.c: stop, kill, wait, inspect; what a dead one leaves -- */

/* A pidfd of c's init, opened while it is still the recorded process
 * (-ESRCH when it is not running). */
int container_pidfd(const container_info *c);
/* The network namespace of the running container name (--net
 * container:NAME), opened; an error naming it when it is not running. */
int container_netns(store *s, const char *name, int *ret_fd, err_t *e);
/* The state directory of a detached container: -ENOENT for the others. */
int container_state_dir(const container_info *c, int *ret_dfd, err_t *e);
/* The cgroups a container that no longer runs left behind, removed. */
void container_reap(const container_info *c);
/* container_reap for every container of s, and a --rm one whose monitor
 * died removed (counted in *ret_removed). */
int container_gc(store *s, unsigned *ret_removed);

/* ---- run.c: a container's clone, setup and supervision -------------- */

/* What the child needs, host side and container side alike (run-config.c
 * and run.c's own callers fill it). */
typedef struct run_spec {
        mount_plan plan;
        char **argv;
        char **envp; /* fixed environment (exec_in_tree), or NULL */
        const strv *image_env, *env, *env_files;
        const char *hostname;
        const char *workdir;
        const char *user;
        const char *term;
        const sec_opts *sec;
        const run_rlimit *rlimits;
        size_t nrlimits;
        bool net_none; /* a network namespace of its own */
        /* with net_none: pasta gives the namespace outbound access */
        const pasta_opts *pasta;
        int netns_fd; /* >= 0: the network namespace to join (--net container:) */
        /* NULL, or RUNNER_NSJ_MAX fds (-1: a new namespace) to join
         * instead of new ipc, uts, cgroup and pid namespaces. */
        const int *join_fds;
        bool userns;
        bool tty;
        int sync_fd, err_fd, tty_sock;
        /* Born in its cgroup, with no id maps or pasta to wait for: the
         * child makes its mounts at once (parent_pidfd, runroot's pidfd,
         * tells it whether runroot died before its PDEATHSIG) and waits
         * for the go only before pid 1 starts, while runroot attaches the
         * device program meanwhile (cg_limits.devices_later). */
        bool born_ready;
        int parent_pidfd;
        run_sched sched; /* set by run_container */
        /* Called once the container's init runs (lifecycle.c's record). */
        void (*on_start)(void *arg, pid_t init_pid, const cgroup *cg, pid_t net_pid);
        void *on_start_arg;
        void (*before_exec)(void *ctx); /* runner_sandbox_host */
        void *before_exec_ctx;
        int keep_fd;    /* -1 or 0 when unset: kept open for before_exec */
        int console_fd; /* runner_config's (with tty), or -1 */
        unsigned short console_rows, console_cols; /* runner_config's */
        bool personality_set;                      /* personality for pid 1 and the command */
        unsigned long personality;
        const char *domainname;
        unsigned preserve_fds;         /* runner_config's */
        bool pid1_signals;             /* runner_config's */
        bool lookup_first;             /* runner_config's */
        const char *uid_map, *gid_map; /* with userns as root: runner_config's */
        const char *session_keyring;   /* runner_config's */
        bool groups_exact;             /* the supplementary groups are groups alone */
        const gid_t *groups;
        size_t ngroups;
        /* As runc's init: run_container returns once the command waits in
         * before_exec, its setup done (a failure of it is the error); the
         * init then outlives runroot, reparented to the caller's
         * subreaper (conmon, a containerd shim), which reaps it, and the
         * cgroups stay for the caller to remove. */
        bool detach;
        /* OCI hooks (runner_config's); with prestart or createRuntime
         * ones, hook_fd is the child's end of the socket it asks the host
         * side to run them on ('H', answered 'C'). */
        const runner_hooks *hooks;
        int hook_fd;
} run_spec;
/* Clone, sync, supervise. cg: the caller's cgroup (limits and device
 * policy), or NULL for one made here with the device policy alone, removed
 * before returning. Returns the exit status or a negative errno. */
int run_container(run_spec *s, cgroup *cg, err_t *e);
/* 32 random bits for a run's names (cgroup, hostname). */
uint32_t run_random(void);
/* Control characters of s made '?' (a message quoting a file's names stays
 * one printable line). */
void runner_printable(char *s);
