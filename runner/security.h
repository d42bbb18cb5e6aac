/* security: what a container process gives up before exec — capabilities
 * cut to docker's default set (plus --cap-add, minus --cap-drop), ambient
 * cleared, no_new_privs, and a seccomp filter comparable to docker's
 * default profile — and the masked / read-only /proc and /sys paths. */
#pragma once

#include <stdbool.h>

#include "common.h"

typedef struct sec_opts {
        strv cap_add;     /* names as given ("NET_ADMIN", "CAP_NET_ADMIN", "ALL") */
        strv cap_drop;
        bool seccomp;     /* default true; --seccomp unconfined sets false */
} sec_opts;

void sec_opts_init(sec_opts *o);
void sec_opts_free(sec_opts *o);
/* Check the cap names early, so a typo is a usage error before anything
 * runs. */
int sec_opts_validate(const sec_opts *o, err_t *e);

/* In the container's mount namespace, after /proc and /sys are mounted in
 * the new root (root_fd is the new root): mask /proc/kcore, /proc/keys,
 * ... and make /proc/sys, /proc/sysrq-trigger, ... read-only. */
int sec_mask_paths(int root_fd, err_t *e);

/* Last step before exec in the container process: capabilities,
 * no_new_privs, seccomp. */
int sec_apply(const sec_opts *o, err_t *e);
