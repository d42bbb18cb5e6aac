/* runner: run a command inside a root file system with namespaces,
 * pivot_root, a small init and (optionally) cgroup limits and the security
 * profile. runroot's main fills a runner_config; the builder uses
 * runner_exec_in_tree to run commands inside a tree it is building
 * (bootstrap second stage, Run: steps). */
#pragma once

#include <stdbool.h>

#include "cgroup.h"
#include "common.h"
#include "security.h"

/* Run argv inside the directory `root` (written in place: no overlay),
 * with new mount/pid/uts/ipc namespaces (and a user namespace when not
 * root), /proc, a minimal /dev and the host's network (package scripts may
 * need it; pass net_none to cut it). envp NULL means a clean default
 * environment. Returns the command's exit status (0..255, 128+N for a
 * signal) or a negative errno with e filled when it could not be run. */
int runner_exec_in_tree(const char *root, char *const argv[], char *const envp[], bool net_none,
                        err_t *e);
