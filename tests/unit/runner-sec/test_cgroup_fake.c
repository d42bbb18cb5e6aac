/* cgroup v1 and v2 code paths against fake cgroup trees in a temp dir:
 * detection, limits written with the right values, attach, OOM detection,
 * removal. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-fake.h"
#include "test.h"

char tmp[TEST_TMPL_MAX];

static void test_parse_cpus(void)
{
        err_t e = {0};
        cg_limits l;
        cg_limits_init(&l);
        CHECK(!cg_limits_any(&l));
        CHECK_INT(cg_parse_cpus("0.05", &l, &e), 0);
        CHECK_INT(l.cpu_quota, 5000);
        CHECK_INT(l.cpu_period, 100000);
        CHECK(cg_limits_any(&l));
        CHECK_INT(cg_parse_cpus("1", &l, &e), 0);
        CHECK_INT(l.cpu_quota, 100000);
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        CHECK_INT(cg_parse_cpus("1.5", &l, &e), ncpu >= 2 ? 0 : -E2BIG);
        CHECK_INT(cg_parse_cpus(".5", &l, &e), 0);
        CHECK_INT(l.cpu_quota, 50000);
        CHECK_INT(cg_parse_cpus("0.001", &l, &e), -ERANGE);
        CHECK_STR(e.msg, "expected a number of CPUs such as 0.5");
        char want[64], more[32];
        snprintf(want, sizeof want, "this machine has %ld CPU%s", ncpu, ncpu == 1 ? "" : "s");
        snprintf(more, sizeof more, "%ld.5", ncpu);
        CHECK_INT(cg_parse_cpus(more, &l, &e), -E2BIG);
        CHECK_STR(e.msg, want);
        CHECK_INT(cg_parse_cpus("1000000", &l, &e), -E2BIG);
        CHECK_INT(cg_parse_cpus("99999999999999999999999", &l, &e), -E2BIG);
        CHECK_STR(e.msg, want);
        CHECK_INT(l.cpu_quota, 50000);
        CHECK_INT(cg_parse_cpus("abc", &l, &e), -EINVAL);
        CHECK_INT(cg_parse_cpus("1.2x", &l, &e), -EINVAL);
        CHECK_INT(cg_parse_cpus("", &l, &e), -EINVAL);
        CHECK_INT(cg_parse_cpus(".", &l, &e), -EINVAL);
        CHECK_INT(cg_parse_cpus("-1", &l, &e), -EINVAL);
}

static void test_cpuset_within(void)
{
        err_t e = {0};
        static const char *const ok[] = {"0", "1", "0-1", "0,1", "1,0", "0-0", "3", "0-3", "2-6"};
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
                CHECK_INT(cg_cpuset_within(ok[i], "0-3,4-5,6\n", &e), 0);
        static const char *const outside[] = {"7", "0-7", "5,7", "99999999999999999999", "4-100"};
        for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
                e.msg[0] = '\0';
                CHECK_INT(cg_cpuset_within(outside[i], "0-3,4-5,6\n", &e), -E2BIG);
                CHECK_STR(e.msg, "this machine has CPUs 0-3,4-5,6");
        }
        CHECK_INT(cg_cpuset_within("1", "0,2-3\n", &e), -E2BIG);
        CHECK_STR(e.msg, "this machine has CPUs 0,2-3");
        static const char *const bad[] = {"",     "-",   "1-", "-1", "1,",  ",1",
                                          "1,,2", "2-1", "a",  "1 ", "1\n", "0:1"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                CHECK_INT(cg_cpuset_within(bad[i], "0-3\n", &e), -EINVAL);
                CHECK_STR(e.msg, "expected a CPU list such as 0-1,3");
        }
        /* no readable online list: only the syntax is checked here */
        CHECK_INT(cg_cpuset_within("9", NULL, &e), 0);
        CHECK_INT(cg_cpuset_within("9", "garbage", &e), 0);
        CHECK_INT(cg_cpuset_within("x", NULL, &e), -EINVAL);
}

static void test_v2(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v2_tree("cpuset cpu io memory pids\n");
        full_limits(&l);
        CHECK_INT(cg_create(tmp, "rr-t1", &l, &cg, &e), 0);
        CHECK(cg != NULL);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                return;
        }
        CHECK_INT(cg_get_mode(cg), CG_V2);
        _cleanup_free_ char *want = xasprintf("%s/user.slice/me/rr-t1", tmp);
        CHECK_STR(cg_path(cg), want);
        const char *d = "user.slice/me/rr-t1";
        CHECK_STR(get("%s/memory.max", d), "83886080");
        CHECK_STR(get("%s/memory.swap.max", d), "0");
        CHECK_STR(get("%s/cpu.max", d), "5000 100000");
        CHECK_STR(get("%s/pids.max", d), "64");
        CHECK_STR(get("%s/cpuset.cpus", d), "0");
        CHECK_STR(get("%s/cpu.weight", d), "200");
        CHECK_STR(get("%s/io.weight", d), "default 300");
        CHECK_STR(get("user.slice/me/cgroup.subtree_control"), "+memory +cpu +pids +cpuset +io");

        CHECK_INT(cg_attach(cg, 4242, &e), 0);
        CHECK_STR(get("%s/cgroup.procs", d), "4242");

        CHECK(!cg_oom_killed(cg));
        put("user.slice/me/rr-t1/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
        CHECK(!cg_oom_killed(cg));
        put("user.slice/me/rr-t1/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
        CHECK(cg_oom_killed(cg));

        /* The kernel empties cgroup.procs once the processes are gone. */
        put("user.slice/me/rr-t1/cgroup.procs", "");
        CHECK_INT(cg_destroy(cg, &e), 0);
        CHECK(!exists(d));
        CHECK_INT(cg_destroy(cg, &e), 0); /* twice is fine */
        CHECK(!cg_oom_killed(cg));
        cg_free(cg);
        CHECK_INT(cg_destroy(NULL, &e), 0);
}

/* Weight from --cpu-shares; controllers already enabled are left alone. */
static void test_v2_shares(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v2_tree("cpu memory pids\n");
        put("user.slice/me/cgroup.subtree_control", "cpu memory\n");
        cg_limits_init(&l);
        l.cpu_shares = 1024;
        CHECK_INT(cg_create(tmp, "rr-t2", &l, &cg, &e), 0);
        if (!cg)
                return;
        CHECK_STR(get("user.slice/me/rr-t2/cpu.weight"), "39");
        CHECK_STR(get("user.slice/me/cgroup.subtree_control"), "cpu memory");
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        CHECK(!exists("user.slice/me/rr-t2"));
}

static void test_v2_missing(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v2_tree("cpu pids\n");
        cg_limits_init(&l);
        l.memory = 1 << 20;
        CHECK(cg_create(tmp, "rr-t3", &l, &cg, &e) < 0);
        CHECK(cg == NULL);
        CHECK(strstr(e.msg, "memory") != NULL);
        CHECK(strstr(e.msg, "not available") != NULL);
        CHECK(!exists("user.slice/me/rr-t3"));

        /* Nothing asked for: a cgroup anyway, for the kill-all. */
        err_clear(&e);
        cg_limits_init(&l);
        CHECK_INT(cg_create(tmp, "rr-t3", &l, &cg, &e), 0);
        CHECK(cg != NULL);
        CHECK(exists("user.slice/me/rr-t3"));
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        CHECK(!exists("user.slice/me/rr-t3"));

        /* Bad names never reach the file system. */
        CHECK(cg_create(tmp, "../x", &l, &cg, &e) == -EINVAL);
        CHECK(cg_create(tmp, "..", &l, &cg, &e) == -EINVAL);
        CHECK(cg_create(tmp, "", &l, &cg, &e) == -EINVAL);
}

/* ---- the kernel's v2 rules, played on the fake tree ---------------- */

static char *read_at(int dirfd, const char *file)
{
        char *data = NULL;
        err_t e = {0};
        if (fs_read_file_at(dirfd, file, 1 << 16, &data, NULL, &e) < 0)
                return xstrdup("");
        return data;
}

static void write_at(int dirfd, const char *file, const char *data)
{
        int fd = openat(dirfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        if (write(fd, data, strlen(data)) < 0)
                perror(file);
        close(fd);
}

static bool has_word(const char *list, const char *w)
{
        size_t n = strlen(w);
        for (const char *p = list; (p = strstr(p, w)); p += n)
                if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
                    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

/* Drop pid from the cgroup.procs of dirfd/rel. */
static void procs_remove(int dirfd, const char *rel, const char *pid)
{
        _cleanup_free_ char *file = path_join(rel, "cgroup.procs");
        _cleanup_free_ char *data = read_at(dirfd, file);
        strbuf b = {0};
        for (char *t = strtok(data, " \n"); t; t = strtok(NULL, " \n"))
                if (strcmp(t, pid) != 0)
                        sb_appendf(&b, "%s\n", t);
        _cleanup_free_ char *out = sb_steal(&b);
        if (faccessat(dirfd, file, F_OK, 0) == 0)
                write_at(dirfd, file, out);
}

static int v2_rules(int dirfd, const char *file, const char *value)
{
        if (strcmp(file, "cgroup.subtree_control") == 0) {
                _cleanup_free_ char *procs = read_at(dirfd, "cgroup.procs");
                _cleanup_free_ char *cur = read_at(dirfd, file);
                if (value[0] == '+' && strspn(procs, " \n") != strlen(procs))
                        return -EBUSY; /* no internal processes */
                static const char *const names[] = {"memory", "cpu", "pids", "cpuset", "io"};
                strbuf b = {0};
                for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                        _cleanup_free_ char *plus = xasprintf("+%s", names[i]);
                        _cleanup_free_ char *minus = xasprintf("-%s", names[i]);
                        bool on = (has_word(cur, names[i]) || has_word(value, plus)) &&
                                  !has_word(value, minus);
                        if (on)
                                sb_appendf(&b, "%s%s", b.len ? " " : "", names[i]);
                }
                _cleanup_free_ char *out = sb_steal(&b);
                write_at(dirfd, file, out);
                return 1;
        }
        if (strcmp(file, "cgroup.procs") == 0) {
                _cleanup_free_ char *sub = read_at(dirfd, "cgroup.subtree_control");
                if (strspn(sub, " \n") != strlen(sub))
                        return -EBUSY; /* a cgroup with controllers for children */
                /* A process lives in one cgroup: leave the parent and siblings. */
                procs_remove(dirfd, "..", value);
                _cleanup_close_ int pfd = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *d = fdopendir(fcntl(pfd, F_DUPFD_CLOEXEC, 3));
                struct dirent *de;
                while (d && (de = readdir(d)))
                        if (de->d_type == DT_DIR && de->d_name[0] != '.')
                                procs_remove(pfd, de->d_name, value);
                if (d)
                        closedir(d);
                _cleanup_free_ char *line = xasprintf("%s\n", value);
                write_at(dirfd, file, line);
                return 1;
        }
        return 0;
}

/* runroot alone in a cgroup with processes: it moves itself into a leaf,
 * enables the controllers, and on destroy undoes both. */
static void test_v2_no_internal_process(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};
        char me[32];

        snprintf(me, sizeof me, "%d\n", (int)getpid());
        v2_tree("cpu memory pids\n");
        put("user.slice/me/cgroup.procs", me);
        cg_test.write_hook = v2_rules;
        cg_limits_init(&l);
        l.memory = 1 << 26;
        l.pids = 10;
        CHECK_INT(cg_create(tmp, "rr-t5", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                cg_test.write_hook = NULL;
                return;
        }
        CHECK_STR(get("user.slice/me/cgroup.subtree_control"), "memory pids");
        CHECK_STR(get("user.slice/me/cgroup.procs"), "");
        me[strcspn(me, "\n")] = '\0';
        CHECK_STR(get("user.slice/me/rr-t5.runroot/cgroup.procs"), me);
        CHECK_STR(get("user.slice/me/rr-t5/memory.max"), "67108864");
        CHECK_STR(get("user.slice/me/rr-t5/pids.max"), "10");
        CHECK_INT(cg_attach(cg, 5555, &e), 0);
        CHECK_STR(get("user.slice/me/rr-t5/cgroup.procs"), "5555");
        put("user.slice/me/rr-t5/cgroup.procs", "");
        CHECK_INT(cg_destroy(cg, &e), 0);
        if (e.msg[0])
                fprintf(stderr, "%s\n", e.msg);
        cg_free(cg);
        CHECK(!exists("user.slice/me/rr-t5"));
        CHECK(!exists("user.slice/me/rr-t5.runroot"));
        CHECK_STR(get("user.slice/me/cgroup.procs"), me);
        CHECK_STR(get("user.slice/me/cgroup.subtree_control"), "");

        /* Someone else in the cgroup too: say why, leave nothing. */
        err_clear(&e);
        cg = NULL;
        _cleanup_free_ char *two = xasprintf("1\n%s\n", me);
        put("user.slice/me/cgroup.procs", two);
        put("user.slice/me/cgroup.subtree_control", "");
        CHECK_INT(cg_create(tmp, "rr-t6", &l, &cg, &e), -EBUSY);
        CHECK(cg == NULL);
        CHECK(strstr(e.msg, "other processes") != NULL);
        CHECK(!exists("user.slice/me/rr-t6"));
        CHECK(!exists("user.slice/me/rr-t6.runroot"));
        cg_test.write_hook = NULL;
}

/* Leftovers of SIGKILLed runs: removed when their runroot is gone, they
 * are empty and old; everything else stays. */
static void age(const char *rel)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        struct timespec t[2] = {{.tv_sec = time(NULL) - 3600}, {.tv_sec = time(NULL) - 3600}};
        utimensat(AT_FDCWD, p, t, 0);
}

static pid_t dead_pid(void)
{
        pid_t pid = fork();
        if (pid == 0)
                _exit(0);
        waitpid(pid, NULL, 0);
        return pid; /* reaped: no such process until reused */
}

static void test_gc(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};
        pid_t dead = dead_pid();
        char dead_empty[64], dead_busy[64], dead_young[64], mine[64], other[64], name[64];

        snprintf(dead_empty, sizeof dead_empty, "user.slice/me/runroot-%d-aaaa", (int)dead);
        snprintf(dead_busy, sizeof dead_busy, "user.slice/me/runroot-%d-bbbb", (int)dead);
        snprintf(dead_young, sizeof dead_young, "user.slice/me/runroot-%d-cccc", (int)dead);
        snprintf(mine, sizeof mine, "user.slice/me/runroot-%d-dddd", (int)getpid());
        snprintf(other, sizeof other, "user.slice/me/other-%d-eeee", (int)dead);
        snprintf(name, sizeof name, "runroot-%d-ffff", (int)getpid());

        v2_tree("memory pids\n");
        const char *all[] = {dead_empty, dead_busy, dead_young, mine, other};
        for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
                _cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", all[i]);
                put(procs, all[i] == dead_busy ? "4711\n" : "");
                if (all[i] != dead_young)
                        age(all[i]);
        }
        cg_limits_init(&l);
        l.pids = 5;
        CHECK_INT(cg_create(tmp, name, &l, &cg, &e), 0);
        CHECK(!exists(dead_empty));
        CHECK(exists(dead_busy));
        CHECK(exists(dead_young));
        CHECK(exists(mine));
        CHECK(exists(other));
        if (cg) {
                CHECK_INT(cg_destroy(cg, &e), 0);
                cg_free(cg);
        }
}

static void test_v1(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v1_tree();
        full_limits(&l);
        l.cpu_weight = -1;
        l.cpu_shares = 512;
        l.cpuset_cpus = (char *)"1";
        l.io_weight = 500;
        CHECK_INT(cg_create(tmp, "rr-v1", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                return;
        }
        CHECK_INT(cg_get_mode(cg), CG_V1);
        _cleanup_free_ char *want = xasprintf("%s/memory/a/b/rr-v1", tmp);
        CHECK_STR(cg_path(cg), want);
        CHECK_STR(get("memory/a/b/rr-v1/memory.limit_in_bytes"), "83886080");
        CHECK_STR(get("memory/a/b/rr-v1/memory.memsw.limit_in_bytes"), "83886080");
        CHECK_STR(get("cpu/rr-v1/cpu.cfs_quota_us"), "5000");
        CHECK_STR(get("cpu/rr-v1/cpu.cfs_period_us"), "100000");
        CHECK_STR(get("cpu/rr-v1/cpu.shares"), "512");
        CHECK_STR(get("pids/rr-v1/pids.max"), "64");
        CHECK_STR(get("cpuset/rr-v1/cpuset.cpus"), "1");
        CHECK_STR(get("cpuset/rr-v1/cpuset.mems"), "0");
        CHECK_STR(get("blkio/rr-v1/blkio.weight"), "500");
        CHECK(exists("cpuacct/rr-v1"));
        CHECK(exists("freezer/rr-v1"));
        CHECK(!exists("unified/rr-v1"));

        CHECK_INT(cg_attach(cg, 4343, &e), 0);
        static const char *const joined[] = {"memory/a/b", "cpu",   "cpuacct", "pids",
                                             "cpuset",     "blkio", "freezer"};
        for (size_t i = 0; i < ARRAY_SIZE(joined); i++)
                CHECK_STR(get("%s/rr-v1/cgroup.procs", joined[i]), "4343");

        CHECK(!cg_oom_killed(cg));
        put("memory/a/b/rr-v1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        put("memory/a/b/rr-v1/memory.failcnt", "17\n");
        CHECK(!cg_oom_killed(cg)); /* the counter wins over failcnt */
        put("memory/a/b/rr-v1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        CHECK(cg_oom_killed(cg));
        /* older kernels: no counter, failcnt is the evidence */
        put("memory/a/b/rr-v1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
        CHECK(cg_oom_killed(cg));
        put("memory/a/b/rr-v1/memory.failcnt", "0\n");
        CHECK(!cg_oom_killed(cg));

        for (size_t i = 0; i < ARRAY_SIZE(joined); i++) {
                _cleanup_free_ char *p = xasprintf("%s/rr-v1/cgroup.procs", joined[i]);
                put(p, "");
        }
        CHECK_INT(cg_destroy(cg, &e), 0);
        CHECK_STR(get("freezer/rr-v1/freezer.state"), ""); /* dir gone with it */
        for (size_t i = 0; i < ARRAY_SIZE(joined); i++) {
                _cleanup_free_ char *p = xasprintf("%s/rr-v1", joined[i]);
                CHECK(!exists(p));
        }
        CHECK(exists("memory/a/b"));
        cg_free(cg);
}

/* cpu and cpuacct co-mounted: one directory, joined once. */
static void test_v1_comount(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        reset();
        mkd("cpu,cpuacct");
        mkd("memory");
        _cleanup_free_ char *l1 = path_join(tmp, "cpu"), *l2 = path_join(tmp, "cpuacct");
        CHECK_INT(symlink("cpu,cpuacct", l1), 0);
        CHECK_INT(symlink("cpu,cpuacct", l2), 0);
        set_own("3:memory:/\n2:cpu,cpuacct:/\n");
        cg_limits_init(&l);
        cg_parse_cpus("0.5", &l, &e);
        CHECK_INT(cg_create(tmp, "rr-co", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                return;
        }
        CHECK_STR(get("cpu,cpuacct/rr-co/cpu.cfs_quota_us"), "50000");
        CHECK_INT(cg_attach(cg, 77, &e), 0);
        CHECK_STR(get("cpu,cpuacct/rr-co/cgroup.procs"), "77");
        put("cpu,cpuacct/rr-co/cgroup.procs", "");
        put("memory/rr-co/cgroup.procs", "");
        CHECK_INT(cg_destroy(cg, &e), 0);
        CHECK(!exists("cpu,cpuacct/rr-co"));
        CHECK(!exists("memory/rr-co"));
        cg_free(cg);
}

/* A limit whose controller is missing is an error, and nothing is left. */
static void test_v1_missing(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v1_tree();
        cg_limits_init(&l);
        l.memory = 1 << 24;
        l.pids = 10;
        _cleanup_free_ char *pids = path_join(tmp, "pids");
        err_t e2 = {0};
        fs_rm_rf_at(AT_FDCWD, pids, &e2);
        CHECK(cg_create(tmp, "rr-miss", &l, &cg, &e) < 0);
        CHECK(cg == NULL);
        CHECK(strstr(e.msg, "pids") != NULL);
        CHECK(!exists("memory/a/b/rr-miss"));
        CHECK(!exists("cpu/rr-miss"));
        CHECK(!exists("freezer/rr-miss"));

        /* The name is taken: an error, and the other run's cgroup stays. */
        err_clear(&e);
        mkd("memory/a/b/rr-taken");
        cg_limits_init(&l);
        l.memory = 1 << 24;
        CHECK(cg_create(tmp, "rr-taken", &l, &cg, &e) == -EEXIST);
        CHECK(exists("memory/a/b/rr-taken"));
}

/* Every write to devices.deny / devices.allow, in order ("deny a", "allow
 * c 1:3 rwm", ...): the fake file keeps only the last one. */

int main(void)
{
        if (!mkdtemp(test_tmpl(tmp, "rr-cgfake"))) {
                perror("mkdtemp");
                return 1;
        }
        cg_test.fake_fs = true;
        test_parse_cpus();
        test_cpuset_within();
        test_v2();
        test_v2_shares();
        test_v2_missing();
        test_v2_no_internal_process();
        test_gc();
        test_v1();
        test_v1_comount();
        test_v1_missing();
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, tmp, &e);
        TEST_END();
}
