/* A fake cgroup tree in a temp dir (tmp, made by each test program's
 * main), shared by the fake-tree cgroup tests: files put and read back
 * relative to it, and the v1 and v2 trees they start from. */
#pragma once

#include <stdbool.h>

#include "cgroup-internal.h"

/* The tree's root: each test program's own (TEST_TMPL_MAX bytes, filled
 * by test_tmpl in its main). */
extern char tmp[];

void put(const char *rel, const char *content);
void mkd(const char *rel);
/* File content with the trailing newline cut; "" when missing. The
 * result lives until eight more calls. */
char *get(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool exists(const char *rel);
void reset(void);
/* The process's own cgroup file (cg_test.proc_self_cgroup) with content. */
void set_own(const char *content);
void full_limits(cg_limits *l);
void v2_tree(const char *controllers);
void v1_tree(void);
