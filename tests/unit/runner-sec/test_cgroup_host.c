/* The real cgroup file system of this host (v1 or v2): a cgroup made below
 * the test's own, limits read back, a child attached, an OOM kill seen,
 * the kill-all and the removal; the device list; a hybrid host's unified
 * hierarchy. Each is a case of its own (meson.build), a skip with its
 * reason when there is nothing to test with, never a pass. */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "test.h"

static char *read_str(const char *path)
{
        char *data = NULL;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, path, 1 << 16, &data, NULL, &e) < 0)
                return NULL;
        data[strcspn(data, "\n")] = '\0';
        return data;
}

/* A child that waits on a pipe (or, with hog, allocates until killed). */
static pid_t spawn(int *ret_wfd, int hog_mb)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                char c;
                close(p[1]);
                if (read(p[0], &c, 1) < 0)
                        _exit(2);
                if (hog_mb) {
                        for (int i = 0; i < hog_mb; i++) {
                                char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                                if (m == MAP_FAILED)
                                        _exit(3);
                                memset(m, 1, 1 << 20);
                        }
                        _exit(0);
                }
                pause();
                _exit(0);
        }
        close(p[0]);
        *ret_wfd = p[1];
        return pid;
}

/* The device list: a child in the cgroup may open /dev/null but not a
 * kmsg node (1:11) made in /tmp, which the test itself can open. */
static void check_devices(const char *fsroot, const char *label)
{
        char node[TEST_TMPL_MAX];
        int tfd = mkstemp(test_tmpl(node, "rr-unit-dev"));
        CHECK(tfd >= 0);
        if (tfd < 0)
                return;
        close(tfd);
        unlink(node);
        if (geteuid() != 0) {
                TEST_SKIP("%s: device list: needs root to make a device node", label);
                return;
        }
        if (mknod(node, S_IFCHR | 0600, makedev(1, 11)) < 0) {
                TEST_SKIP("%s: device list: mknod 1:11 in /tmp: %s", label, strerror(errno));
                return;
        }
        int fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                TEST_SKIP("%s: device list: the host itself cannot open a kmsg node in /tmp: %s",
                          label, strerror(errno));
                unlink(node);
                return;
        }
        close(fd);

        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};
        char name[64];
        cg_limits_init(&l);
        snprintf(name, sizeof name, "rr-unit-dev-%d", (int)getpid());
        CHECK_INT(cg_create(fsroot, name, &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "%s: %s\n", label, e.msg);
                unlink(node);
                return;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                char c;
                close(p[1]);
                if (read(p[0], &c, 1) != 1)
                        _exit(2);
                int k = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                int n = open("/dev/null", O_WRONLY | O_CLOEXEC);
                _exit(k < 0 && errno != EPERM ? 3 : k >= 0 ? 4 : n < 0 ? 5 : 0);
        }
        close(p[0]);
        CHECK_INT(cg_attach(cg, pid, &e), 0);
        CHECK(write(p[1], "x", 1) == 1);
        close(p[1]);
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fprintf(stderr, "%s: device check child status %d\n", label, status);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_INT(cg_destroy(cg, &e), 0);
        cg_free(cg);
        unlink(node);
}

static const char unified[] = "/sys/fs/cgroup/unified";

/* Whether this is a hybrid host with a cgroup2 unified hierarchy we may
 * write to; else the skip's reason. */
static bool have_unified(void)
{
        struct statfs sfs;
        if (statfs(unified, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
                TEST_SKIP("no hybrid unified hierarchy at %s (the host hierarchy is case 'host')",
                          unified);
                return false;
        }
        if (geteuid() != 0) {
                TEST_SKIP("%s: needs root", unified);
                return false;
        }
        return true;
}

/* A hybrid host's unified hierarchy has no controllers, but it is a real
 * cgroup2: the v2 code creates, attaches, kills (cgroup.kill) and removes
 * there for real, and refuses a limit it cannot enforce. */
static void test_v2_unified(void)
{
        const char *root = unified;
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};
        char name[64];

        if (!have_unified())
                return;
        cg_limits_init(&l);
        snprintf(name, sizeof name, "rr-unit-v2-%d", (int)getpid());
        CHECK_INT(cg_create(root, name, &l, &cg, &e), 0);
        if (!cg) {
                fprintf(stderr, "cg_create v2: %s\n", e.msg);
                return;
        }
        CHECK_INT(cg_get_mode(cg), CG_V2);
        _cleanup_free_ char *dir = xstrdup(cg_path(cg));
        int wfd;
        pid_t pid = spawn(&wfd, 0);
        CHECK_INT(cg_attach(cg, pid, &e), 0);
        _cleanup_free_ char *procfile = xasprintf("/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *cgs = NULL;
        fs_read_file_at(AT_FDCWD, procfile, 1 << 16, &cgs, NULL, &e);
        _cleanup_free_ char *want = xasprintf("\n0::/%s\n", name);
        CHECK(cgs && strstr(cgs, want) != NULL);
        CHECK(!cg_oom_killed(cg));
        CHECK_INT(cg_destroy(cg, &e), 0);
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        close(wfd);
        struct stat st;
        CHECK(stat(dir, &st) < 0 && errno == ENOENT);
        cg_free(cg);

        /* pids belongs to v1 here: asking for it on v2 is an error. */
        _cleanup_free_ char *ctls = read_str("/sys/fs/cgroup/unified/cgroup.controllers");
        if (ctls && !strstr(ctls, "pids")) {
                cg = NULL;
                err_clear(&e);
                l.pids = 10;
                CHECK(cg_create(root, name, &l, &cg, &e) < 0);
                CHECK(cg == NULL);
                CHECK(strstr(e.msg, "pids") && strstr(e.msg, "not available"));
                CHECK(stat(dir, &st) < 0 && errno == ENOENT);
        }
}

static const char fsroot[] = "/sys/fs/cgroup";

static bool have_fsroot(void)
{
        if (access(fsroot, F_OK) == 0)
                return true;
        TEST_SKIP("no %s", fsroot);
        return false;
}

static void test_host(void)
{
        cg_limits l;
        cgroup *cg = NULL;
        err_t e = {0};
        char name[64];

        if (!have_fsroot())
                return;
        cg_limits_init(&l);
        l.memory = 64 << 20;
        l.pids = 16;
        cg_parse_cpus("0.5", &l, NULL);
        snprintf(name, sizeof name, "rr-unit-%d", (int)getpid());
        int r = cg_create(fsroot, name, &l, &cg, &e);
        if (r < 0 && geteuid() != 0) {
                /* rootless without delegation: the error must say so */
                CHECK(strstr(e.msg, "delegat") != NULL || strstr(e.msg, "not available") != NULL);
                TEST_SKIP("rootless without a delegated cgroup (the error was checked): %s", e.msg);
                return;
        }
        CHECK_INT(r, 0);
        if (!cg) {
                fprintf(stderr, "cg_create: %s\n", e.msg);
                return;
        }
        const char *dir = cg_path(cg);
        fprintf(stderr, "cgroup %s (%s)\n", dir, cg_get_mode(cg) == CG_V2 ? "v2" : "v1");
        struct stat st;
        CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
        _cleanup_free_ char *memfile =
                path_join(dir, cg_get_mode(cg) == CG_V2 ? "memory.max" : "memory.limit_in_bytes");
        _cleanup_free_ char *mem = read_str(memfile);
        CHECK_STR(mem, "67108864");

        /* attach, then the kill-all on destroy */
        int wfd;
        pid_t pid = spawn(&wfd, 0);
        CHECK_INT(cg_attach(cg, pid, &e), 0);
        _cleanup_free_ char *procfile = xasprintf("/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *cgs = NULL;
        fs_read_file_at(AT_FDCWD, procfile, 1 << 16, &cgs, NULL, &e);
        CHECK(cgs && strstr(cgs, name) != NULL);
        CHECK(!cg_oom_killed(cg));
        CHECK_INT(cg_destroy(cg, &e), 0);
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        close(wfd);
        CHECK(stat(dir, &st) < 0 && errno == ENOENT);
        cg_free(cg);

        /* OOM: a child that allocates past the limit is killed and seen. */
        cg = NULL;
        snprintf(name, sizeof name, "rr-unit-oom-%d", (int)getpid());
        CHECK_INT(cg_create(fsroot, name, &l, &cg, &e), 0);
        if (!cg)
                return;
        pid = spawn(&wfd, 256);
        CHECK_INT(cg_attach(cg, pid, &e), 0);
        CHECK(write(wfd, "x", 1) == 1);
        close(wfd);
        CHECK_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        CHECK(cg_oom_killed(cg));
        _cleanup_free_ char *dir2 = xstrdup(cg_path(cg));
        CHECK_INT(cg_destroy(cg, &e), 0);
        CHECK(stat(dir2, &st) < 0 && errno == ENOENT);
        cg_free(cg);
}

static void case_host(int argc, char **argv)
{
        test_host();
}

static void case_devices(int argc, char **argv)
{
        if (have_fsroot())
                check_devices(fsroot, "host hierarchy");
}

static void case_unified(int argc, char **argv)
{
        test_v2_unified();
}

static void case_unified_devices(int argc, char **argv)
{
        if (have_unified())
                check_devices(unified, "v2 (unified)");
}

int main(int argc, char **argv)
{
        TEST_CASES(argc, argv, {"host", case_host}, {"devices", case_devices},
                   {"unified", case_unified}, {"unified-devices", case_unified_devices});
}
