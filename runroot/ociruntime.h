/* runroot as an OCI runtime (ociruntime*.c): the parts of runc's command
 * line. ociruntime.c parses the global options and dispatches; the state
 * of each container (ociruntime-state.c) is a directory under --root with
 * state.json, exec.fifo while it waits for start, and exit once its
 * monitor has seen it end. Each oci_cmd_* gets argv from its command's
 * name and returns the exit status, having printed its message. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "runner.h"
#include "runroot.h"

#define OCI_SPEC_VERSION RUNNER_OCI_SPEC_VERSION

/* runc's exit statuses for its own failures, which engines expect: 1,
 * and 255 for exec's once its arguments are read (the process's own
 * status passes through). */
#define EXIT_OCI 1
#define EXIT_OCI_EXEC 255

typedef struct oci_global {
        const char *root; /* --root, absolute once it exists */
        const char *log;
        bool log_json;
        FILE *logf;
        /* fds 3 .. 3+n-1 were all open when runroot started: what
         * --preserve-fds may pass on (no fd of runroot's own among them). */
        unsigned inherited_fds;
} oci_global;

extern oci_global oci_g;

/* ---- ociruntime-state.c ---- */
typedef struct ctr {
        char *id, *dir;
        json_object *st; /* state.json */
        pid_t pid;
        const char *status; /* created, running, paused or stopped */
} ctr;

bool oci_id_ok(const char *id);
char *oci_cdir(const char *id);
/* /proc/PID/stat's start time; 0 for none or a zombie. */
unsigned long long oci_start_time(pid_t pid);
int64_t oci_jint(json_object *j, const char *k);
/* The strings of the array j[k], pushed onto ret (none when absent). */
void oci_jstrv(json_object *j, const char *k, strv *ret);
/* 0, or 1 with the message printed (bad id, no such container). */
int oci_ctr_load(const char *id, ctr *ret);
void oci_ctr_free(ctr *c);
#define OCI_CG_ROOT "/sys/fs/cgroup"
/* c's cgroup (not owned: cg_free it), from the directories create
 * recorded ("runroot.cgroup_dirs"), which a cgroups path chose. */
int oci_ctr_cgroup(const ctr *c, cgroup **ret, err_t *e);
/* The runtime specification's state of c (a new object). */
json_object *oci_state_json(const ctr *c);
/* c's config.json (the copy create made), its process replaced by
 * process when given (exec --process), its hooks' state set: 0, or
 * EXIT_RUNROOT with the message printed. */
int oci_ctr_spec(const ctr *c, const char *process, size_t plen, runner_oci_spec *ret);
int oci_remove_tree(const char *dir);
/* "CMD: MSG" printed; EXIT_OCI. */
int oci_usage_error(const char *cmd, const char *msg);
/* argv is CMD ID: loads it (EXIT_OCI for other argv). */
int oci_one_id(int argc, char **argv, const char *cmd, ctr *ret);

/* A unix socket connected to path (--console-socket), or a negative errno
 * with the message printed. */
int oci_console_connect(const char *path);
/* pid written to file (atomically): -1 with the message printed. */
int oci_write_pid_file(const char *file, pid_t pid);

/* --preserve-fds VALUE of cmd checked (a number, fds the caller left
 * open): 0 with *ret set, or EXIT_RUNROOT with the message printed. */
int oci_preserve_fds(const char *cmd, const char *value, unsigned *ret);

/* ---- the commands ---- */
int oci_cmd_create(int argc, char **argv, bool foreground); /* ociruntime-create.c */
int oci_cmd_start(int argc, char **argv);                   /* ociruntime-lifecycle.c */
/* start's part after the checks: until the process of id (pid, started
 * at starttime) has opened fifo and its startContainer hooks passed (1
 * with the message printed when they failed or it ended), then fifo
 * removed and the poststart hooks run (h; NULL: none). quiet: an end
 * before start is not reported (run's container says why itself). */
int oci_start_process(const char *id, pid_t pid, unsigned long long starttime, const char *fifo,
                      const runner_hooks *h, bool quiet);
int oci_cmd_kill(int argc, char **argv);
int oci_cmd_delete(int argc, char **argv);
/* Every process of init's pid namespace gets sig. */
int oci_kill_all(pid_t init, int sig);
int oci_cmd_exec(int argc, char **argv); /* ociruntime-exec.c */
int oci_cmd_ps(int argc, char **argv);   /* ociruntime-cgroup.c */
int oci_cmd_pause(int argc, char **argv);
int oci_cmd_resume(int argc, char **argv);
int oci_cmd_update(int argc, char **argv);
int oci_cmd_features(int argc, char **argv); /* ociruntime-features.c */
int oci_cmd_state(int argc, char **argv);    /* ociruntime-list.c */
int oci_cmd_list(int argc, char **argv);
