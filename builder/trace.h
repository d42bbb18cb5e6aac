/* trace: what a command really opens, executes and lists, recorded with
 * ptrace from inside the sandbox it runs in (runner_sandbox_host), and
 * read back as paths for the adder. ptrace, not seccomp user notification
 * or fanotify: only at the syscall's exit is it known whether the open
 * succeeded, and there the new descriptor names the file the kernel
 * reached (/proc/PID/fd/N), whatever relative path, chdir, directory fd or
 * symlink led there; PTRACE_O_TRACECLONE/FORK/VFORK attach every thread
 * and child before it runs, and PTRACE_EVENT_EXEC tells each program
 * executed. fanotify would need a mount mark on the sandbox's overlay and
 * sees neither the spelling of a path (its symlink chain) nor the #!
 * script behind an exec. */
#pragma once

#include <stdbool.h>

#include "common.h"

/* The runner's before_exec hook; ctx points at the int fd of the log.
 * Forks: the child returns, stopped under the tracer until it is let go,
 * with its stdout on its stderr, and execs the command; the parent traces it and every descendant,
 * writes one line per path to the log and exits with the command's
 * status. Lines: "o PATH" (opened, as spelled, made absolute), "p PATH"
 * (the file that open reached), "x PATH" (executed, as spelled), "e PATH"
 * (the program that exec ran), "d PATH" (a directory listed), "s PATH"
 * (stat'ed, accessed or read as a link: it exists; Python, for one, only
 * stats the source of a module whose cached byte code it opens). */
void trace_before_exec(void *ctx);

/* What a log holds, each list sorted and without duplicates. Paths under
 * /proc, /sys, /dev and /tmp (the sandbox's own) are left out. */
typedef struct trace_log {
        strv paths; /* opened, executed and stat'ed, spelled and reached */
        strv dirs;  /* listed */
} trace_log;

/* Parse a log (untrusted: it comes from the traced run); a malformed line
 * is an error naming what and the line. */
int trace_log_parse(const char *data, size_t len, const char *what, trace_log *ret, err_t *e);
void trace_log_free(trace_log *l);

/* Split a command line as a shell would split words (no expansion):
 * blanks separate, '...' and "..." quote, backslash escapes. */
int trace_split(const char *cmd, strv *ret, err_t *e);
