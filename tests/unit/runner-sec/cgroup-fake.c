/* The fake cgroup tree of cgroup-fake.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-fake.h"

void put(const char *rel, const char *content)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        _cleanup_free_ char *dir = path_dirname(p);
        err_t e = {0};
        fs_mkdir_p_at(AT_FDCWD, dir, 0755, &e);
        FILE *f = fopen(p, "we");
        if (!f) {
                perror(p);
                return;
        }
        fputs(content, f);
        fclose(f);
}

void mkd(const char *rel)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        err_t e = {0};
        fs_mkdir_p_at(AT_FDCWD, p, 0755, &e);
}

char *get(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *rel = NULL;
        if (vasprintf(&rel, fmt, ap) < 0)
                abort();
        va_end(ap);
        _cleanup_free_ char *p = path_join(tmp, rel);
        static char *ring[8];
        static unsigned slot;
        char *data = NULL;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, p, 1 << 16, &data, NULL, &e) < 0)
                data = xstrdup("");
        slot = (slot + 1) % ARRAY_SIZE(ring);
        free(ring[slot]);
        ring[slot] = data;
        size_t n = strlen(data);
        while (n && data[n - 1] == '\n')
                data[--n] = '\0';
        return data;
}

bool exists(const char *rel)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        return access(p, F_OK) == 0;
}

void reset(void)
{
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, tmp, &e);
        mkdir(tmp, 0700);
}

void set_own(const char *content)
{
        put("self-cgroup", content);
        static char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/self-cgroup", tmp);
        cg_test.proc_self_cgroup = path;
}

void full_limits(cg_limits *l)
{
        cg_limits_init(l);
        l->memory = 80 << 20;
        cg_parse_cpus("0.05", l, NULL);
        l->pids = 64;
        l->cpuset_cpus = (char *)"0";
        l->cpu_weight = 200;
        l->io_weight = 300;
}

void v2_tree(const char *controllers)
{
        reset();
        put("cgroup.controllers", controllers);
        put("user.slice/me/cgroup.controllers", controllers);
        put("user.slice/me/cgroup.subtree_control", "");
        put("user.slice/me/cgroup.procs", "");
        set_own("0::/user.slice/me\n");
}

void v1_tree(void)
{
        static const char *const ctls[] = {"memory", "cpu", "cpuacct", "pids", "blkio", "freezer"};
        reset();
        for (size_t i = 0; i < ARRAY_SIZE(ctls); i++)
                mkd(ctls[i]);
        mkd("memory/a/b");
        put("cpuset/cpuset.cpus", "0-1\n");
        put("cpuset/cpuset.mems", "0\n");
        /* hybrid: an empty unified hierarchy must not be chosen */
        put("unified/cgroup.controllers", "");
        set_own("9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n4:memory:/a/b\n"
                "3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n");
}
