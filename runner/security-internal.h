/* security-internal: what caps.c, seccomp.c and security.c share. */
#pragma once

#include <stdint.h>

#include "security.h"

/* One capability name ("NET_ADMIN", "cap_net_admin") to its number. */
int sec_cap_from_name(const char *name, int *ret);
/* The set kept: docker's default, then --cap-add, then --cap-drop ("ALL"
 * in either list starts from everything / nothing). Bit n = capability n. */
int sec_caps_compute(const sec_opts *o, uint64_t *ret, err_t *e);
/* Cut bounding, permitted, effective and inheritable to keep; clear
 * ambient. */
int sec_caps_apply(uint64_t keep, err_t *e);
/* Load the default filter; rules that docker ties to a capability are
 * lifted when keep holds it. */
int sec_seccomp_apply(uint64_t keep, err_t *e);
