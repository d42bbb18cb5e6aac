/* security: what a container process gives up before exec — capabilities
 * cut to docker's default set (plus --cap-add, minus --cap-drop), ambient
 * cleared, no_new_privs, and a seccomp filter comparable to docker's
 * default profile — and the masked / read-only /proc and /sys paths. */
#pragma once

#include <stdbool.h>

#include "common.h"

typedef struct sec_opts {
        strv cap_add; /* names as given ("NET_ADMIN", "CAP_NET_ADMIN", "ALL") */
        strv cap_drop;
        bool seccomp; /* default true; --seccomp unconfined sets false */
        /* no_new_privs for the command: true here (build steps keep it);
         * runroot's default is docker's, false (--security-opt
         * no-new-privileges sets it), so setuid and file-capability
         * programs work within the bounding set. pid 1 sets it always. */
        bool no_new_privs;
        /* --security-opt seccomp=FILE: docker's JSON profile instead of
         * the default filter (not owned; read on the host side). */
        const char *seccomp_profile;
        /* The default filter compiled beforehand by sec_filter_prepare
         * (not owned); NULL: sec_apply compiles it with libseccomp. */
        const struct sec_filter *filter;
        /* OCI's capability sets (when cap_sets): the command's permitted,
         * effective, inheritable and ambient sets, each within the bounding
         * set that cap_add and cap_drop make. Otherwise permitted and
         * effective are the bounding set, inheritable and ambient empty. */
        bool cap_sets;
        uint64_t cap_permitted, cap_effective, cap_inheritable, cap_ambient;
        /* SECCOMP_FILTER_FLAG_* the profile's filter is loaded with (OCI's
         * linux.seccomp.flags: TSYNC, LOG, SPEC_ALLOW); 0: none. */
        unsigned seccomp_flags;
} sec_opts;

/* One capability name ("NET_ADMIN", "cap_net_admin") to its number. */
int sec_cap_from_name(const char *name, int *ret);

void sec_opts_init(sec_opts *o);
void sec_opts_free(sec_opts *o);
/* Check the cap names and the seccomp profile early, so a typo is a
 * usage error before anything runs. */
int sec_opts_validate(const sec_opts *o, err_t *e);

/* In the container's mount namespace, after /proc and /sys are mounted in
 * the new root (root_fd is the new root): mask /proc/kcore, /proc/keys,
 * ... and make /proc/sys, /proc/sysrq-trigger, ... read-only. */
int sec_mask_paths(int root_fd, err_t *e);
/* More of the same (OCI's maskedPaths, readonlyPaths): each an absolute
 * path, masked or made read-only as sec_mask_paths does its own list (one
 * of the container's tree resolved inside root_fd, symlinks kept there);
 * one that is absent is skipped. */
int sec_mask_more(int root_fd, const strv *masked, const strv *readonly, err_t *e);

/* Last step before exec in the container process: capabilities,
 * no_new_privs (when o asks for it), seccomp. The inheritable and ambient
 * sets end empty. Without no_new_privs the filter is loaded first, while
 * CAP_SYS_ADMIN is still effective (the kernel wants one or the other),
 * and it must allow what follows: prctl, capset, execve. */
int sec_apply(const sec_opts *o, err_t *e);
/* pid 1 (which never execs) once the command is forked: every
 * capability but CAP_KILL gone, no_new_privs, and o's seccomp filter. */
int sec_apply_init(const sec_opts *o, err_t *e);

/* One filter for pid 1 and the command: with the built-in profile (which
 * allows every call the command makes before its exec: setgroups,
 * setres[ug]id, capset, prctl, prlimit64, ioctl, close_range, ...), pid 1
 * loads it before forking the command, which inherits it (and
 * no_new_privs with it when o asks for that); each load of the ~275
 * instructions costs ~0.4 ms on a small machine. sec_filter_shareable says whether o allows that;
 * sec_load_shared is pid 1's load (the command's bounding set, which the
 * command inherits, then no_new_privs, then the filter);
 * sec_apply_shared and sec_apply_init_shared are sec_apply and
 * sec_apply_init without the load. */
bool sec_filter_shareable(const sec_opts *o);
int sec_load_shared(const sec_opts *o, err_t *e);
int sec_apply_shared(const sec_opts *o, err_t *e);
int sec_apply_init_shared(const sec_opts *o, err_t *e);

/* The default seccomp filter for o's capability set (or o's profile for
 * it) as a BPF program, prepared on the host side so that a warm start
 * does not compile it:
 * read from cache_dirfd's seccomp/ when a valid copy is there, else
 * compiled with libseccomp and stored there (best effort: a cache that is
 * not writable only costs the compile). cache_dirfd -1: no cache. */
typedef struct sec_filter sec_filter;
int sec_filter_prepare(const sec_opts *o, int cache_dirfd, sec_filter **ret, err_t *e);
void sec_filter_free(sec_filter *f);
/* The generation of the filters this runroot caches (8 hex digits, the
 * first part of their names): runroot's gc has store_gc remove the rest. */
#define SEC_FILTER_GEN_LEN 8
void sec_filter_generation(char ret[SEC_FILTER_GEN_LEN + 1]);
