/* runroot's command lines: running an image (main.c) and the subcommands
 * on the containers that --name keeps (containers.c). Each prints what the
 * runner reports and returns the process exit code. */
#pragma once

/* runroot's own failures and usage errors (DESIGN.md's exit status). */
#define EXIT_RUNROOT 125

/* The --cache-dir and --help lines of every subcommand's --help. */
#define RUNROOT_SUB_HELP_TAIL                                                                      \
        "      --cache-dir DIR     cache (default $MKROOT_CACHE, /var/cache/mkroot as\n"           \
        "                          root, else ~/.cache/mkroot)\n"                                  \
        "      --help              this help\n"

/* runroot ps [-a] [--format json|table] [--cache-dir DIR] and runroot rm
 * [-f] NAME... [--cache-dir DIR]: argv[0] is the subcommand, cache_dir the
 * --cache-dir given before it (or NULL). */
int runroot_ps_main(const char *cache_dir, int argc, char **argv);
int runroot_rm_main(const char *cache_dir, int argc, char **argv);

/* runroot logs|stop|kill|wait|inspect|exec (lifecycle.c), argv[0] the
 * subcommand, as docker's commands of those names. */
int runroot_logs_main(const char *cache_dir, int argc, char **argv);
int runroot_stop_main(const char *cache_dir, int argc, char **argv);
int runroot_kill_main(const char *cache_dir, int argc, char **argv);
int runroot_wait_main(const char *cache_dir, int argc, char **argv);
int runroot_inspect_main(const char *cache_dir, int argc, char **argv);
int runroot_exec_main(const char *cache_dir, int argc, char **argv);

/* runroot as an OCI runtime (ociruntime.c): runc's command line. Wanted
 * when runroot is called as runroot-oci, when the first argument is one of
 * runc's global options (--root, --log, --log-format, --systemd-cgroup), or
 * is create, start, state, delete or list (or run --bundle) and no file of
 * that name is there. */
#include <stdbool.h>
bool runroot_oci_wanted(int argc, char **argv);
int runroot_oci_main(int argc, char **argv);
