/* Capabilities, no_new_privs, seccomp and the masked paths, each applied
 * in a forked child and checked from /proc/self/status and syscall
 * results; the same calls without the filter show it is what refuses. */
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "security-internal.h"
#include "test.h"

/* docker's default set without CAP_MKNOD (bit 27) */
#define DEFAULT_CAPS UINT64_C(0x00000000a00425fb)

/* Run fn in a child; it writes its findings as text to the pipe. */
static char *in_child(void (*fn)(const sec_opts *o, int out), const sec_opts *o)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                fn(o, p[1]);
                _exit(0);
        }
        close(p[1]);
        strbuf b = {0};
        char buf[4096];
        ssize_t n;
        while ((n = read(p[0], buf, sizeof buf)) > 0)
                sb_appendn(&b, buf, (size_t)n);
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                sb_appendf(&b, "child-status=%d\n", status);
        return sb_steal(&b);
}

static void emit(int out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(int out, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdprintf(out, fmt, ap);
        va_end(ap);
}

static void status_child(const sec_opts *o, int out)
{
        err_t e = {0};
        if (sec_apply(o, &e) < 0) {
                emit(out, "apply-error=%s\n", e.msg);
                return;
        }
        char *data = NULL;
        if (fs_read_file_at(AT_FDCWD, "/proc/self/status", 1 << 16, &data, NULL, &e) < 0)
                return;
        static const char *const keys[] = {
                "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
        for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n"))
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                        if (strncmp(line, keys[i], strlen(keys[i])) == 0)
                                emit(out, "%s\n", line);
        free(data);
}

static bool has_line(const char *out, const char *key, const char *value)
{
        _cleanup_free_ char *want = xasprintf("%s\t%s\n", key, value);
        return strstr(out, want) != NULL;
}

static void test_names(void)
{
        int c = -1;
        CHECK_INT(sec_cap_from_name("NET_ADMIN", &c), 0);
        CHECK_INT(c, 12);
        CHECK_INT(sec_cap_from_name("cap_sys_admin", &c), 0);
        CHECK_INT(c, 21);
        CHECK_INT(sec_cap_from_name("CAP_CHOWN", &c), 0);
        CHECK_INT(c, 0);
        CHECK(sec_cap_from_name("NOPE", &c) < 0);
        CHECK(sec_cap_from_name("12", &c) < 0);
        CHECK(sec_cap_from_name("", &c) < 0);

        sec_opts o;
        uint64_t keep = 0;
        err_t e = {0};
        sec_opts_init(&o);
        CHECK(o.seccomp);
        CHECK_INT(sec_caps_compute(&o, &keep, &e), 0);
        CHECK_INT(keep, DEFAULT_CAPS);
        strv_push(&o.cap_add, "NET_ADMIN");
        strv_push(&o.cap_drop, "chown");
        CHECK_INT(sec_caps_compute(&o, &keep, &e), 0);
        CHECK_INT(keep, (DEFAULT_CAPS | (UINT64_C(1) << 12)) & ~UINT64_C(1));
        strv_push(&o.cap_drop, "ALL");
        CHECK_INT(sec_caps_compute(&o, &keep, &e), 0);
        CHECK_INT(keep, UINT64_C(1) << 12);
        sec_opts_free(&o);

        sec_opts_init(&o);
        strv_push(&o.cap_add, "all");
        strv_push(&o.cap_drop, "SYS_ADMIN");
        CHECK_INT(sec_caps_compute(&o, &keep, &e), 0);
        CHECK(keep & (UINT64_C(1) << 19)); /* SYS_PTRACE */
        CHECK(!(keep & (UINT64_C(1) << 21)));
        strv_push(&o.cap_add, "SYS_ADNIM");
        CHECK(sec_opts_validate(&o, &e) == -EINVAL);
        CHECK(strstr(e.msg, "--cap-add SYS_ADNIM") != NULL);
        sec_opts_free(&o);
}

static void test_caps_status(void)
{
        sec_opts o;
        sec_opts_init(&o);
        _cleanup_free_ char *out = in_child(status_child, &o);
        fprintf(stderr, "%s", out);
        CHECK(has_line(out, "CapBnd:", "00000000a00425fb"));
        CHECK(has_line(out, "CapEff:", "00000000a00425fb"));
        CHECK(has_line(out, "CapPrm:", "00000000a00425fb"));
        /* Inheritable empty (CVE-2022-24769), whatever is kept. */
        CHECK(has_line(out, "CapInh:", "0000000000000000"));
        CHECK(has_line(out, "CapAmb:", "0000000000000000"));
        CHECK(has_line(out, "NoNewPrivs:", "1"));
        CHECK(has_line(out, "Seccomp:", "2"));

        strv_push(&o.cap_drop, "ALL");
        strv_push(&o.cap_add, "NET_ADMIN");
        o.seccomp = false;
        _cleanup_free_ char *out2 = in_child(status_child, &o);
        CHECK(has_line(out2, "CapBnd:", "0000000000001000"));
        CHECK(has_line(out2, "CapEff:", "0000000000001000"));
        CHECK(has_line(out2, "CapInh:", "0000000000000000"));
        CHECK(has_line(out2, "CapAmb:", "0000000000000000"));
        CHECK(has_line(out2, "NoNewPrivs:", "1"));
        CHECK(has_line(out2, "Seccomp:", "0"));
        sec_opts_free(&o);

        /* Without no_new_privs (runroot's default, docker's): the filter
         * goes in first, while CAP_SYS_ADMIN is there, then the cut. */
        sec_opts_init(&o);
        o.no_new_privs = false;
        _cleanup_free_ char *out3 = in_child(status_child, &o);
        fprintf(stderr, "%s", out3);
        CHECK(has_line(out3, "CapBnd:", "00000000a00425fb"));
        CHECK(has_line(out3, "CapEff:", "00000000a00425fb"));
        CHECK(has_line(out3, "CapInh:", "0000000000000000"));
        CHECK(has_line(out3, "NoNewPrivs:", "0"));
        CHECK(has_line(out3, "Seccomp:", "2"));
        sec_opts_free(&o);
}

/* Each probe prints "name=errno" (0 for success). */
static void probe(int out, const char *name, long r)
{
        emit(out, "%s=%d\n", name, r < 0 ? errno : 0);
}

static void syscall_child(const sec_opts *o, int out)
{
        err_t e = {0};
        if (sec_apply(o, &e) < 0) {
                emit(out, "apply-error=%s\n", e.msg);
                return;
        }
        probe(out, "keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, 0, 0));
        /* Bad flags: the kernel itself would say EINVAL (or EPERM without
         * CAP_SYS_BOOT), never load anything. */
        probe(out, "kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
        probe(out, "unshare_user", unshare(CLONE_NEWUSER));
        probe(out, "mount", mount("none", "/nonexistent-rr", "tmpfs", 0, NULL));
        probe(out, "init_module", syscall(SYS_init_module, NULL, 0, ""));
        probe(out, "open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0));
        probe(out, "bpf", syscall(SYS_bpf, 0, NULL, 0));
        probe(out, "clone3", syscall(SYS_clone3, NULL, 0));
#if defined(__x86_64__)
        /* The i386 ABI through int 0x80: keyctl is 288 there. */
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(288L), "b"(0L), "c"(0L) : "memory");
        emit(out, "compat_keyctl=%ld\n", r < 0 ? -r : 0);
#endif
}

static bool has_kv(const char *out, const char *key, int value)
{
        _cleanup_free_ char *want = xasprintf("%s=%d\n", key, value);
        return strstr(out, want) != NULL;
}

static void test_seccomp(void)
{
        sec_opts o;
        sec_opts_init(&o);
        _cleanup_free_ char *on = in_child(syscall_child, &o);
        fprintf(stderr, "default:\n%s", on);
        static const char *const refused[] = {"keyctl", "kexec_load",  "unshare_user",
                                              "mount",  "init_module", "open_by_handle_at",
                                              "bpf"};
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
                CHECK(has_kv(on, refused[i], EPERM));
        CHECK(has_kv(on, "clone3", ENOSYS));

        /* With every capability, the always-refused calls still are: the
         * filter, not the capabilities, does it. */
        strv_push(&o.cap_add, "ALL");
        _cleanup_free_ char *all = in_child(syscall_child, &o);
        fprintf(stderr, "cap-add ALL:\n%s", all);
        CHECK(has_kv(all, "keyctl", EPERM));
        CHECK(has_kv(all, "kexec_load", EPERM));
        CHECK(has_kv(all, "unshare_user", EPERM));
        CHECK(has_kv(all, "open_by_handle_at", EPERM));
        CHECK(has_kv(all, "mount", ENOENT)); /* lifted with CAP_SYS_ADMIN */

        o.seccomp = false;
        _cleanup_free_ char *off = in_child(syscall_child, &o);
        fprintf(stderr, "unconfined, cap-add ALL:\n%s", off);
        CHECK(!has_kv(off, "keyctl", EPERM));
        CHECK(!has_kv(off, "kexec_load", EPERM)); /* EINVAL, or ENOSYS without kexec */
        CHECK(has_kv(off, "unshare_user", 0));
        CHECK(has_kv(off, "mount", ENOENT));
        CHECK(!has_kv(off, "open_by_handle_at", EPERM));
        CHECK(!has_kv(off, "clone3", ENOSYS));
        sec_opts_free(&o);
}

/* The i386 ABI through int 0x80 is filtered as well. A kernel without
 * IA32 emulation answers ENOSYS even unconfined: nothing to check there. */
static void test_seccomp_i386(void)
{
#if defined(__x86_64__)
        sec_opts o;
        sec_opts_init(&o);
        _cleanup_free_ char *on = in_child(syscall_child, &o);
        strv_push(&o.cap_add, "ALL");
        o.seccomp = false;
        _cleanup_free_ char *off = in_child(syscall_child, &o);
        fprintf(stderr, "default:\n%sunconfined, cap-add ALL:\n%s", on, off);
        if (has_kv(off, "compat_keyctl", ENOSYS)) {
                TEST_SKIP("no IA32 emulation in this kernel: int 0x80 is ENOSYS unconfined");
        } else {
                CHECK(has_kv(on, "compat_keyctl", EPERM));
                CHECK(!has_kv(off, "compat_keyctl", EPERM));
        }
        sec_opts_free(&o);
#else
        TEST_SKIP("the i386 ABI exists on x86_64 only");
#endif
}

/* sec_mask_paths in a private mount namespace on a scratch root. */
static char root[TEST_TMPL_MAX];

static void mask_child(const sec_opts *o, int out)
{
        err_t e = {0};
        char p[512];

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                emit(out, "setup=%d\n", errno);
                return;
        }
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* /proc not procfs yet: refused */
        emit(out, "notproc=%d\n", -sec_mask_paths(rootfd, &e));
        snprintf(p, sizeof p, "%s/proc", root);
        if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                emit(out, "mountproc=%d\n", errno);
                return;
        }
        snprintf(p, sizeof p, "%s/sys", root);
        if (mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
                emit(out, "mountsys=%d\n", errno);
        int r = sec_mask_paths(rootfd, &e);
        emit(out, "mask=%d\n", -r);
        if (r < 0)
                emit(out, "mask-error=%s\n", e.msg);

        snprintf(p, sizeof p, "%s/proc/sysrq-trigger", root);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        emit(out, "sysrq=%d\n", fd < 0 ? errno : 0);
        snprintf(p, sizeof p, "%s/proc/sys/kernel/hostname", root);
        fd = open(p, O_WRONLY | O_CLOEXEC);
        emit(out, "procsys=%d\n", fd < 0 ? errno : 0);
        snprintf(p, sizeof p, "%s/proc/keys", root);
        char *data = NULL;
        size_t len = 99;
        r = fs_read_file_at(AT_FDCWD, p, 1 << 20, &data, &len, &e);
        emit(out, "keys=%d len=%zu\n", -r, len);
        free(data);
        snprintf(p, sizeof p, "%s/sys/firmware", root);
        struct statfs sfs;
        emit(out, "firmware-tmpfs=%d\n", statfs(p, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
        snprintf(p, sizeof p, "%s/proc/uptime", root);
        emit(out, "uptime=%d\n", access(p, R_OK) == 0 ? 0 : errno);
}

static void test_mask(void)
{
        if (!mkdtemp(test_tmpl(root, "rr-mask")))
                abort();
        char p[512];
        snprintf(p, sizeof p, "%s/proc", root);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/sys", root);
        mkdir(p, 0755);
        _cleanup_free_ char *out = in_child(mask_child, NULL);
        fprintf(stderr, "mask:\n%s", out);
        CHECK(has_kv(out, "notproc", EXDEV));
        CHECK(has_kv(out, "mask", 0));
        if (access("/proc/sysrq-trigger", F_OK) == 0)
                CHECK(has_kv(out, "sysrq", EROFS));
        CHECK(has_kv(out, "procsys", EROFS));
        CHECK(strstr(out, "keys=0 len=0\n") != NULL);
        CHECK(has_kv(out, "firmware-tmpfs", 1));
        CHECK(has_kv(out, "uptime", 0));
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, root, &e);
}

/* Each case is a test of its own (meson.build): those that need root are
 * skips without it, never passes. */
static bool have_root(void)
{
        if (geteuid() == 0)
                return true;
        TEST_SKIP("needs root (capability sets, seccomp, mount namespaces)");
        return false;
}

static void case_names(int argc, char **argv)
{
        test_names();
}

static void case_caps(int argc, char **argv)
{
        if (have_root())
                test_caps_status();
}

static void case_seccomp(int argc, char **argv)
{
        if (have_root())
                test_seccomp();
}

static void case_seccomp_i386(int argc, char **argv)
{
        if (have_root())
                test_seccomp_i386();
}

static void case_mask(int argc, char **argv)
{
        if (have_root())
                test_mask();
}

int main(int argc, char **argv)
{
        TEST_CASES(argc, argv, {"names", case_names}, {"caps", case_caps},
                   {"seccomp", case_seccomp}, {"seccomp-i386", case_seccomp_i386},
                   {"mask", case_mask});
}
