/* seccomp: a default filter comparable to docker's default profile, for
 * the native ABI and its 32-bit compat ABI. It allows by default and
 * refuses with EPERM what a container has no business doing; as in
 * docker, some rules are lifted when the container keeps the capability
 * the syscall needs anyway. */
#include <linux/filter.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "security-internal.h"

#define ALWAYS (-1)

static const struct {
        const char *name;
        int cap; /* the rule is lifted when this capability is kept */
} blocked[] = {
        /* kernel images and modules */
        {"kexec_load", ALWAYS},
        {"kexec_file_load", ALWAYS},
        {"init_module", CAP_SYS_MODULE},
        {"finit_module", CAP_SYS_MODULE},
        {"delete_module", CAP_SYS_MODULE},
        {"create_module", ALWAYS},
        {"query_module", ALWAYS},
        {"get_kernel_syms", ALWAYS},
        {"reboot", CAP_SYS_BOOT},
        /* kernel keyring: not namespaced */
        {"keyctl", ALWAYS},
        {"add_key", ALWAYS},
        {"request_key", ALWAYS},
        /* file handles walk the whole file system ("shocker") */
        {"open_by_handle_at", ALWAYS},
        {"name_to_handle_at", CAP_SYS_ADMIN},
        /* kernel attack surface */
        {"bpf", CAP_SYS_ADMIN},
        {"perf_event_open", CAP_SYS_ADMIN},
        {"userfaultfd", CAP_SYS_PTRACE},
        {"io_uring_setup", ALWAYS},
        {"io_uring_enter", ALWAYS},
        {"io_uring_register", ALWAYS},
        {"lookup_dcookie", CAP_SYS_ADMIN},
        {"fanotify_init", CAP_SYS_ADMIN},
        {"kcmp", CAP_SYS_PTRACE},
        /* mounts and namespaces */
        {"mount", CAP_SYS_ADMIN},
        {"umount", CAP_SYS_ADMIN},
        {"umount2", CAP_SYS_ADMIN},
        {"pivot_root", CAP_SYS_ADMIN},
        {"fsopen", CAP_SYS_ADMIN},
        {"fsconfig", CAP_SYS_ADMIN},
        {"fsmount", CAP_SYS_ADMIN},
        {"fspick", CAP_SYS_ADMIN},
        {"move_mount", CAP_SYS_ADMIN},
        {"open_tree", CAP_SYS_ADMIN},
        {"mount_setattr", CAP_SYS_ADMIN},
        {"setns", CAP_SYS_ADMIN},
        /* host-wide state */
        {"swapon", CAP_SYS_ADMIN},
        {"swapoff", CAP_SYS_ADMIN},
        {"acct", CAP_SYS_PACCT},
        {"quotactl", CAP_SYS_ADMIN},
        {"quotactl_fd", CAP_SYS_ADMIN},
        {"settimeofday", CAP_SYS_TIME},
        {"stime", CAP_SYS_TIME},
        {"clock_settime", CAP_SYS_TIME},
        {"clock_settime64", CAP_SYS_TIME},
        {"clock_adjtime", CAP_SYS_TIME},
        {"clock_adjtime64", CAP_SYS_TIME},
        {"syslog", CAP_SYSLOG},
        {"vhangup", CAP_SYS_TTY_CONFIG},
        {"iopl", CAP_SYS_RAWIO},
        {"ioperm", CAP_SYS_RAWIO},
        {"get_mempolicy", CAP_SYS_NICE},
        {"set_mempolicy", CAP_SYS_NICE},
        {"mbind", CAP_SYS_NICE},
        {"move_pages", CAP_SYS_NICE},
        /* obsolete */
        {"uselib", ALWAYS},
        {"ustat", ALWAYS},
        {"sysfs", ALWAYS},
        {"_sysctl", ALWAYS},
        {"nfsservctl", ALWAYS},
        {"vm86", ALWAYS},
        {"vm86old", ALWAYS},
};

/* Namespace flags refused in clone/unshare without CAP_SYS_ADMIN; a new
 * user namespace is refused always (it would hand back every capability
 * dropped here, inside it). */
static const uint64_t ns_flags[] = {
        CLONE_NEWNS,  CLONE_NEWUTS,    CLONE_NEWIPC,  CLONE_NEWPID,
        CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

#define OPTIMIZE 2

/* Typing into the controlling terminal of whoever started us. */
static const unsigned long tty_ioctls[] = {TIOCSTI, TIOCLINUX};

/* Socket address families refused, as docker's default profile refuses
 * them (socket() is allowed there unless the family is AF_VSOCK): vsock
 * talks to the hypervisor and other VMs, and no network namespace
 * isolates it. */
static const int refused_families[] = {AF_VSOCK};

static bool has(uint64_t keep, int cap)
{
        return cap >= 0 && (keep & (UINT64_C(1) << cap));
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                    const struct scmp_arg_cmp *args, err_t *e)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0; /* unknown to this libseccomp: nothing to refuse */
        int r = seccomp_rule_add_array(ctx, action, nr, n, args);
        if (r < 0 && r != -EDOM && r != -EEXIST)
                return err_sys(e, -r, "seccomp: rule for %s", name);
        return 0;
}

static int add_compat_arches(scmp_filter_ctx ctx, err_t *e)
{
        uint32_t native = seccomp_arch_native();
        uint32_t extra[2] = {0, 0};
        if (native == SCMP_ARCH_X86_64) {
                extra[0] = SCMP_ARCH_X86;
                extra[1] = SCMP_ARCH_X32;
        } else if (native == SCMP_ARCH_AARCH64) {
                extra[0] = SCMP_ARCH_ARM;
        } else if (native == SCMP_ARCH_S390X) {
                extra[0] = SCMP_ARCH_S390;
        }
        for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
                if (!extra[i])
                        continue;
                int r = seccomp_arch_add(ctx, extra[i]);
                if (r < 0 && r != -EEXIST)
                        return err_sys(e, -r, "seccomp: add the compat architecture");
        }
        return 0;
}

static void ctx_release(scmp_filter_ctx *c)
{
        if (*c)
                seccomp_release(*c);
}

/* Build the filter for keep into ctx. */
static int build(scmp_filter_ctx ctx, uint64_t keep, err_t *e)
{
        const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        int r;

        /* A binary tree of syscall numbers instead of a list: the same
         * decisions, but the kernel's load (which evaluates the filter for
         * every syscall number to build its allow cache) takes ~150 us
         * instead of ~450. Older libseccomp refuses the attribute: then a
         * list it is. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE);
        if (r < 0 && r != -EINVAL && r != -EOPNOTSUPP)
                return err_sys(e, -r, "seccomp: optimize");
        r = add_compat_arches(ctx, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(blocked); i++) {
                if (has(keep, blocked[i].cap))
                        continue;
                r = add_rule(ctx, eperm, blocked[i].name, 0, NULL, e);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < ARRAY_SIZE(refused_families); i++) {
                /* socket() takes an int: the kernel ignores the upper 32
                 * bits of the register, so the filter must too (an EQ on
                 * all 64 let AF_VSOCK | 1 << 32 through). */
                struct scmp_arg_cmp a =
                        SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (scmp_datum_t)refused_families[i]);
                r = add_rule(ctx, eperm, "socket", 1, &a, e);
                if (r < 0)
                        return r;
        }

        bool admin = has(keep, CAP_SYS_ADMIN);
        /* clone3 passes its flags in memory the filter cannot read: report
         * it missing, so libc falls back to clone, whose flags it can. */
        r = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(ns_flags) + 1; i++) {
                uint64_t f = i < ARRAY_SIZE(ns_flags) ? ns_flags[i] : (uint64_t)CLONE_NEWUSER;
                if (admin && f != CLONE_NEWUSER)
                        continue;
                struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, f, f);
                r = add_rule(ctx, eperm, "clone", 1, &a, e);
                if (r < 0)
                        return r;
                if (admin) {
                        r = add_rule(ctx, eperm, "unshare", 1, &a, e);
                        if (r < 0)
                                return r;
                }
        }
        if (!admin) {
                r = add_rule(ctx, eperm, "unshare", 0, NULL, e);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls); i++) {
                        struct scmp_arg_cmp a =
                                SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_ioctls[i]);
                        r = add_rule(ctx, eperm, "ioctl", 1, &a, e);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int sec_seccomp_apply(uint64_t keep, err_t *e)
{
        __attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return err_set(e, -ENOMEM, "seccomp: init");
        int r = build(ctx, keep, e);
        if (r < 0)
                return r;
        /* libseccomp would set no_new_privs itself: sec_apply decides. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return err_sys(e, -r, "seccomp: keep no_new_privs as it is");
        r = seccomp_load(ctx);
        if (r < 0)
                return err_sys(e, -r, "seccomp: load the filter");
        return 0;
}

int sec_seccomp_export(uint64_t keep, uint8_t **ret_prog, size_t *ret_len, err_t *e)
{
        __attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return err_set(e, -ENOMEM, "seccomp: init");
        int r = build(ctx, keep, e);
        if (r < 0)
                return r;
        return sec_seccomp_ctx_export(ctx, ret_prog, ret_len, e);
}

int sec_seccomp_ctx_export(void *ctx, uint8_t **ret_prog, size_t *ret_len, err_t *e)
{
        int r;
        /* libseccomp 2.5 exports only to an fd. */
        _cleanup_close_ int fd = memfd_create("runroot-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "seccomp: memfd");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return err_sys(e, -r, "seccomp: export the filter");
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size > SEC_BPF_MAX || size % sizeof(struct sock_filter))
                return err_set(e, -EINVAL, "seccomp: exported filter has a bad size (%lld)",
                               (long long)size);
        _cleanup_free_ uint8_t *prog = xmalloc((size_t)size);
        ssize_t n = pread(fd, prog, (size_t)size, 0);
        if (n != size)
                return err_sys(e, n < 0 ? errno : EIO, "seccomp: read the exported filter");
        *ret_prog = steal_pointer(&prog);
        *ret_len = (size_t)size;
        return 0;
}

void sec_seccomp_describe(strbuf *out)
{
        /* Everything build() reads besides keep, so that a changed table
         * changes the cache key. */
        for (size_t i = 0; i < ARRAY_SIZE(blocked); i++)
                sb_appendf(out, "%s %d\n", blocked[i].name, blocked[i].cap);
        for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++)
                sb_appendf(out, "ns %#llx\n", (unsigned long long)ns_flags[i]);
        for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls); i++)
                sb_appendf(out, "ioctl %#lx\n", tty_ioctls[i]);
        for (size_t i = 0; i < ARRAY_SIZE(refused_families); i++)
                sb_appendf(out, "socket family %d masked 0xffffffff\n", refused_families[i]);
        sb_appendf(out, "user %#llx eperm %d enosys %d optimize %d\n",
                   (unsigned long long)CLONE_NEWUSER, EPERM, ENOSYS, OPTIMIZE);
}
