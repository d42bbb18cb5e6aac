/* Device rules and policies (linux.devices, resources.devices, the v1
 * devices controller and the v2 device program's inputs) and
 * linux.cgroupsPath (cgroups placed at a path, joined or made), against
 * fake cgroup trees in a temp dir (cgroup-fake.h). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-fake.h"
#include "test.h"

char tmp[TEST_TMPL_MAX];

static strbuf dev_writes;
static int record_devices(int dirfd, const char *file, const char *value)
{
        if (!strcmp(file, "devices.deny") || !strcmp(file, "devices.allow"))
                sb_appendf(&dev_writes, "%s %s\n", file + 8, value);
        return 0;
}

/* OCI's linux.resources.devices rules, as runroot writes them. */
static void test_device_rule_parse(void)
{
        cg_device d = {0};
        err_t e = {0};
        CHECK_INT(cg_device_rule_parse("c 10:200 rw", &d, &e), 0);
        CHECK_INT(d.type, 'c');
        CHECK_INT(d.major, 10);
        CHECK_INT(d.minor, 200);
        CHECK_INT(d.access, CG_DEV_READ | CG_DEV_WRITE);
        CHECK(d.host == NULL && d.path == NULL);
        CHECK_INT(cg_device_rule_parse("a *:* m", &d, &e), 0);
        CHECK_INT(d.major, -1);
        CHECK_INT(d.minor, -1);
        CHECK_INT(d.access, CG_DEV_MKNOD);
        CHECK_INT(cg_device_rule_parse("b 8:* rwm", &d, &e), 0);
        CHECK_INT(d.minor, -1);
        static const char *const bad[] = {"x 1:3 r",  "c 1:3",    "c 1 r",
                                          "c 1:3 rr", "c 1:3 rx", "c 99999999:3 r",
                                          "c :3 r",   "",         "c 1:3  r"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                CHECK_INT(cg_device_rule_parse(bad[i], &d, &e), -EINVAL);
                CHECK(strstr(e.msg, "expected TYPE MAJOR:MINOR ACCESS") != NULL);
        }
        /* v1 writes it as given, after the default list */
        cg_device rules[] = {{.type = 'c', .major = 10, .minor = 200, .access = CG_DEV_READ},
                             {.type = 'b', .major = 8, .minor = -1, .access = CG_DEV_ALL}};
        _cleanup_strv_ strv w = {0};
        cg_devices_v1_rules(rules, 2, &w);
        CHECK(w.n >= 2);
        CHECK_STR(w.v[w.n - 2], "c 10:200 r");
        CHECK_STR(w.v[w.n - 1], "b 8:* rwm");
}

static void test_device_parse(void)
{
        cg_device d = {0};
        err_t e = {0};
        CHECK_INT(cg_device_parse("/dev/null", &d, &e), 0);
        CHECK_INT(d.type, 'c');
        CHECK_INT(d.major, 1);
        CHECK_INT(d.minor, 3);
        CHECK_INT(d.access, CG_DEV_READ | CG_DEV_WRITE | CG_DEV_MKNOD);
        CHECK_STR(d.host, "/dev/null");
        CHECK_STR(d.path, "/dev/null");
        cg_device_free(&d);
        CHECK_INT(cg_device_parse("/dev/null:/dev//mydev/:rw", &d, &e), 0);
        CHECK_STR(d.path, "/dev/mydev");
        CHECK_INT(d.access, CG_DEV_READ | CG_DEV_WRITE);
        cg_device_free(&d);
        /* docker's HOST:PERMS */
        CHECK_INT(cg_device_parse("/dev/zero:r", &d, &e), 0);
        CHECK_STR(d.path, "/dev/zero");
        CHECK_INT(d.minor, 5);
        CHECK_INT(d.access, CG_DEV_READ);
        cg_device_free(&d);

        static const struct {
                const char *spec, *want;
        } bad[] = {
                {"/etc/passwd", "/etc/passwd is not a device node"},
                {"/dev", "/dev is not a device node"},
                {"/nonexistent-rr", "/nonexistent-rr: No such file"},
                {"dev/null", "the host path must be absolute"},
                {"/dev/null:mydev", "the container path must be absolute"},
                {"/dev/null:/", "cannot be /"},
                {"/dev/null:/dev/x:rwx", "permissions \"rwx\""},
                {"/dev/null:/dev/x:", "permissions \"\""},
                {"/dev/null:/dev/x:r:w", "expected HOST[:CONTAINER[:PERMS]]"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                err_clear(&e);
                CHECK(cg_device_parse(bad[i].spec, &d, &e) < 0);
                if (!strstr(e.msg, bad[i].want) || !strstr(e.msg, bad[i].spec))
                        fprintf(stderr, "%s: got \"%s\"\n", bad[i].spec, e.msg);
                CHECK(strstr(e.msg, bad[i].want) != NULL);
                CHECK(strncmp(e.msg, "--device ", 9) == 0);
        }
}

/* The device policy alone (no limit) makes a cgroup in the devices
 * hierarchy: "a" denied, then docker's list and the --device extras;
 * never "a" in devices.allow (that would allow everything). */
static void test_v1_device_policy(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v1_tree();
        mkd("devices");
        set_own("9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
                "4:memory:/a/b\n2:cpuacct:/\n1:cpu:/\n0::/\n");
        cg_limits_init(&l);
        l.device_policy = true;
        CHECK(!cg_limits_any(&l));
        cg_device extra[] = {
                {.type = 'c', .major = 10, .minor = 232, .access = CG_DEV_READ | CG_DEV_WRITE},
                {.type = 'b', .major = 8, .minor = 0, .access = CG_DEV_READ},
        };
        l.devices = extra;
        l.ndevices = ARRAY_SIZE(extra);
        sb_free(&dev_writes);
        cg_test.write_hook = record_devices;
        CHECK_INT(cg_create(tmp, "rr-dev", &l, &cg, &e), 0);
        cg_test.write_hook = NULL;
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                CHECK(cg != NULL);
                return;
        }
        const char *want = "deny a\n"
                           "allow c *:* m\n"
                           "allow b *:* m\n"
                           "allow c 1:3 rwm\n"
                           "allow c 1:5 rwm\n"
                           "allow c 1:7 rwm\n"
                           "allow c 1:8 rwm\n"
                           "allow c 1:9 rwm\n"
                           "allow c 5:0 rwm\n"
                           "allow c 5:2 rwm\n"
                           "allow c 136:* rwm\n"
                           "allow c 10:232 rw\n"
                           "allow b 8:0 r\n";
        CHECK_STR(dev_writes.s ? dev_writes.s : "", want);
        CHECK(exists("devices/rr-dev"));
        CHECK_INT(cg_attach(cg, 4545, &e), 0);
        CHECK_STR(get("devices/rr-dev/cgroup.procs"), "4545");
        put("devices/rr-dev/cgroup.procs", "");
        static const char *const joined[] = {"memory/a/b", "cpu",   "cpuacct",
                                             "pids",       "blkio", "freezer"};
        for (size_t i = 0; i < ARRAY_SIZE(joined); i++) {
                _cleanup_free_ char *pp = xasprintf("%s/rr-dev/cgroup.procs", joined[i]);
                put(pp, "");
        }
        CHECK_INT(cg_destroy(cg, &e), 0);
        CHECK(!exists("devices/rr-dev"));
        cg_free(cg);
        sb_free(&dev_writes);
}

/* Asked for and impossible: an error naming the devices hierarchy, and
 * nothing left behind. Not asked for: no cgroup, no error. */
static void test_v1_device_policy_missing(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v1_tree();
        cg_limits_init(&l);
        l.device_policy = true;
        CHECK(cg_create(tmp, "rr-nodev", &l, &cg, &e) < 0);
        CHECK(cg == NULL);
        CHECK(strstr(e.msg, "devices") != NULL);
        CHECK(!exists("memory/a/b/rr-nodev"));
        CHECK(!exists("freezer/rr-nodev"));

        /* no cgroup file system at all */
        err_clear(&e);
        _cleanup_free_ char *none = path_join(tmp, "no-such-dir");
        CHECK(cg_create(none, "rr-nodev", &l, &cg, &e) < 0);
        CHECK(cg == NULL);
        CHECK(strstr(e.msg, "no-such-dir") != NULL);
        err_clear(&e);
        l.device_policy = false;
        CHECK_INT(cg_create(none, "rr-nodev", &l, &cg, &e), 0);
        CHECK(cg == NULL);
}

/* v2: the device policy is a BPF program, not a controller: nothing is
 * enabled in subtree_control for it and no controller is "missing". */
static void test_v2_device_policy(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v2_tree("memory pids\n");
        cg_limits_init(&l);
        l.device_policy = true;
        CHECK_INT(cg_create(tmp, "rr-v2dev", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                CHECK(cg != NULL);
                return;
        }
        CHECK_INT(cg_get_mode(cg), CG_V2);
        CHECK(exists("user.slice/me/rr-v2dev"));
        CHECK_STR(get("user.slice/me/cgroup.subtree_control"), "");
        put("user.slice/me/rr-v2dev/cgroup.procs", "");
        CHECK_INT(cg_destroy(cg, &e), 0);
        CHECK(!exists("user.slice/me/rr-v2dev"));
        cg_free(cg);

        /* with a limit: only its controller is enabled */
        cg = NULL;
        l.pids = 5;
        CHECK_INT(cg_create(tmp, "rr-v2dev", &l, &cg, &e), 0);
        CHECK_STR(get("user.slice/me/cgroup.subtree_control"), "+pids");
        if (cg) {
                put("user.slice/me/rr-v2dev/cgroup.procs", "");
                CHECK_INT(cg_destroy(cg, &e), 0);
                cg_free(cg);
        }
}

/* ---- a cgroups path (OCI's linux.cgroupsPath) ----------------------- */

static void test_path_clean(void)
{
        static const char *const cases[][2] = {
                {"/a/b", "/a/b"}, {"/a/../b", "/b"},   {"//a//b/", "/a/b"}, {"a/b", "a/b"},
                {"../../x", "x"}, {"./a/./b/..", "a"}, {"/../../x", "/x"},  {"a:b", "a:b"},
        };
        err_t e = {0};
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *got = NULL;
                CHECK_INT(cg_path_clean(cases[i][0], &got, &e), 0);
                CHECK_STR(got ? got : "(null)", cases[i][1]);
                free(got);
        }
        char *got = NULL;
        CHECK_INT(cg_path_clean("/", &got, &e), -EINVAL);
        CHECK_STR(e.msg, "the root cgroup, not one of the container's own");
        CHECK_INT(cg_path_clean("/..", &got, &e), -EINVAL);
        CHECK_INT(cg_path_clean("a/../..", &got, &e), -EINVAL);
        CHECK_STR(e.msg, "names no cgroup below the one it is relative to");
        CHECK_INT(cg_path_clean(".", &got, &e), -EINVAL);
        CHECK_INT(cg_path_clean("a\nb", &got, &e), -EINVAL);
        CHECK_STR(e.msg, "a control character in the path");
        CHECK(got == NULL);
        static const char *const parents[][3] = {
                {"/p/q/c", NULL, "p/q"}, {"/c", NULL, ""}, {"r/s", "/a/b", "a/b/r"},
                {"s", "/a/b", "a/b"},    {"s", "/", ""},
        };
        for (size_t i = 0; i < ARRAY_SIZE(parents); i++) {
                _cleanup_free_ char *p = cg_at_parent(parents[i][0], parents[i][1]);
                CHECK_STR(p, parents[i][2]);
        }
}

static bool listed(const strv *v, const char *rel)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        return strv_contains(v, p);
}

/* v1: below each hierarchy's root; parents made and removed again, one
 * that was there kept; cpuset's values copied down each made level. */
static void test_v1_at(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v1_tree();
        mkd("pids/p"); /* there before: kept */
        full_limits(&l);
        l.cpu_weight = -1;
        l.cpu_shares = 512;
        l.cpuset_cpus = (char *)"1";
        l.join_all = true;
        CHECK_INT(cg_create_at(tmp, "/p/q/../q/c", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                return;
        }
        CHECK_INT(cg_get_mode(cg), CG_V1);
        CHECK_STR(get("memory/p/q/c/memory.limit_in_bytes"), "83886080");
        CHECK_STR(get("cpu/p/q/c/cpu.shares"), "512");
        CHECK_STR(get("pids/p/q/c/pids.max"), "64");
        CHECK_STR(get("cpuset/p/cpuset.cpus"), "0-1");
        CHECK_STR(get("cpuset/p/q/cpuset.mems"), "0");
        CHECK_STR(get("cpuset/p/q/c/cpuset.cpus"), "1");
        CHECK(!exists("memory/a/b/p")); /* absolute: not below runroot's own */
        _cleanup_strv_ strv dirs = {0}, made = {0}, parents = {0};
        cg_dirs(cg, &dirs, &made, &parents);
        CHECK(listed(&dirs, "memory/p/q/c") && listed(&dirs, "freezer/p/q/c"));
        CHECK(listed(&made, "memory/p/q/c") && made.n == dirs.n);
        CHECK(listed(&parents, "memory/p") && listed(&parents, "memory/p/q"));
        CHECK(listed(&parents, "pids/p/q") && !listed(&parents, "pids/p"));

        /* another runroot finds it from those directories */
        cgroup *other = NULL;
        CHECK_INT(cg_open_dirs(tmp, &dirs, &other, &e), 0);
        if (other) {
                cg_limits u;
                cg_limits_init(&u);
                u.pids = 99;
                CHECK_INT(cg_update(other, &u, &e), 0);
                CHECK_STR(get("pids/p/q/c/pids.max"), "99");
                cg_free(other);
        }
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        static const char *const gone[] = {"memory/p", "cpu/p", "cpuset/p", "freezer/p",
                                           "pids/p/q"};
        for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
                CHECK(!exists(gone[i]));
        CHECK(exists("pids/p"));

        /* relative: below runroot's own cgroup of each hierarchy */
        cg_limits_init(&l);
        l.memory = 1 << 20;
        CHECK_INT(cg_create_at(tmp, "r/s", &l, &cg, &e), 0);
        if (!cg)
                return;
        CHECK_STR(get("memory/a/b/r/s/memory.limit_in_bytes"), "1048576");
        CHECK(exists("freezer/r/s"));
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        CHECK(!exists("memory/a/b/r") && exists("memory/a/b") && !exists("freezer/r"));
}

/* v1: a cgroup that is there is joined; its processes are not killed and
 * it stays. */
static void test_v1_at_joined(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v1_tree();
        static const char *const ctls[] = {"memory", "cpu", "cpuacct", "pids", "blkio", "freezer"};
        for (size_t i = 0; i < ARRAY_SIZE(ctls); i++) {
                _cleanup_free_ char *f = xasprintf("%s/x/j/cgroup.procs", ctls[i]);
                put(f, "2147483646\n"); /* no such process */
        }
        cg_limits_init(&l);
        l.pids = 7;
        CHECK_INT(cg_create_at(tmp, "/x/j", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                return;
        }
        CHECK_STR(get("pids/x/j/pids.max"), "7");
        _cleanup_strv_ strv dirs = {0}, made = {0}, parents = {0};
        cg_dirs(cg, &dirs, &made, &parents);
        CHECK(listed(&dirs, "pids/x/j"));
        CHECK(!listed(&made, "pids/x/j") && !listed(&made, "memory/x/j"));
        CHECK(listed(&made, "cpuset/x/j")); /* not there before: made */
        CHECK(listed(&parents, "cpuset/x") && !listed(&parents, "pids/x"));
        put("cpuset/x/j/cgroup.procs", "");
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        CHECK_STR(get("memory/x/j/cgroup.procs"), "2147483646");
        CHECK(exists("pids/x/j"));
        CHECK(!exists("cpuset/x"));
}

/* v2: the controllers handed down every level made; the parent of
 * runroot's own cgroup for a relative path. */
static void test_v2_at(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};

        v2_tree("cpu memory pids\n");
        put("cgroup.subtree_control", "memory\n");
        cg_limits_init(&l);
        l.memory = 1 << 20;
        l.join_all = true;
        CHECK_INT(cg_create_at(tmp, "/p/q/c", &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s\n", e.msg);
                return;
        }
        CHECK_INT(cg_get_mode(cg), CG_V2);
        CHECK_STR(get("cgroup.subtree_control"), "+cpu +pids"); /* memory was on */
        CHECK_STR(get("p/cgroup.subtree_control"), "+memory +cpu +pids");
        CHECK_STR(get("p/q/cgroup.subtree_control"), "+memory +cpu +pids");
        CHECK_STR(get("p/q/c/memory.max"), "1048576");
        _cleanup_strv_ strv dirs = {0}, made = {0}, parents = {0};
        cg_dirs(cg, &dirs, &made, &parents);
        CHECK(dirs.n == 1 && listed(&dirs, "p/q/c") && listed(&made, "p/q/c"));
        CHECK(parents.n == 2 && listed(&parents, "p") && listed(&parents, "p/q"));
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        CHECK(!exists("p"));

        /* relative: below user.slice, the parent of runroot's own */
        put("user.slice/cgroup.controllers", "cpu memory pids\n");
        put("user.slice/cgroup.subtree_control", "cpu memory pids\n");
        CHECK_INT(cg_create_at(tmp, "r", &l, &cg, &e), 0);
        if (!cg)
                return;
        CHECK_STR(get("user.slice/r/memory.max"), "1048576");
        CHECK(!exists("user.slice/me/r"));
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        CHECK(!exists("user.slice/r"));

        /* a controller asked for that a level lacks: an error naming it,
         * and what was made on the way removed */
        v2_tree("memory pids\n");
        put("cgroup.subtree_control", "memory pids\n");
        put("p/cgroup.controllers", "pids\n");
        put("p/cgroup.subtree_control", "");
        CHECK(cg_create_at(tmp, "/p/q/c", &l, &cg, &e) < 0);
        CHECK(cg == NULL);
        _cleanup_free_ char *want = xasprintf("cgroups path /p/q/c: %s/p: cgroup v2 controller(s) "
                                              "memory not available",
                                              tmp);
        CHECK_STR(e.msg, want);
        CHECK(exists("p") && !exists("p/q"));
}

int main(void)
{
        if (!mkdtemp(test_tmpl(tmp, "rr-cgfake-paths"))) {
                perror("mkdtemp");
                return 1;
        }
        cg_test.fake_fs = true;
        test_device_parse();
        test_device_rule_parse();
        test_v1_device_policy();
        test_v1_device_policy_missing();
        test_v2_device_policy();
        test_path_clean();
        test_v1_at();
        test_v1_at_joined();
        test_v2_at();
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, tmp, &e);
        TEST_END();
}
