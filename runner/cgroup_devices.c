/* cgroup devices: which device nodes a container may open, whatever nodes
 * its image or its mknod put in its file system — docker's default list
 * (null, zero, full, random, urandom, tty, console, ptmx, pts; mknod of
 * anything). v1 writes devices.deny/allow; v2 attaches a small
 * BPF_PROG_TYPE_CGROUP_DEVICE program to the container's cgroup. */
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>

#include "cgroup-internal.h"

static const struct {
        unsigned major;
        int minor; /* -1: any */
} allowed_char[] = {
        {1, 3},    {1, 5}, {1, 7}, {1, 8}, {1, 9}, /* null zero full random urandom */
        {5, 0},    {5, 1}, {5, 2},                 /* tty console ptmx */
        {136, -1},                                 /* pts */
};

int cg_v1_devices_setup(int dirfd, const char *path, err_t *e)
{
        int r = cg_write(dirfd, path, "devices.deny", "a", false, e);
        if (r < 0)
                return r;
        static const char *const mknod_any[] = {"c *:* m", "b *:* m"};
        for (size_t i = 0; i < ARRAY_SIZE(mknod_any); i++) {
                r = cg_write(dirfd, path, "devices.allow", mknod_any[i], false, e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(allowed_char); i++) {
                char rule[48];
                if (allowed_char[i].minor < 0)
                        snprintf(rule, sizeof rule, "c %u:* rwm", allowed_char[i].major);
                else
                        snprintf(rule, sizeof rule, "c %u:%d rwm", allowed_char[i].major,
                                 allowed_char[i].minor);
                r = cg_write(dirfd, path, "devices.allow", rule, false, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A few instruction builders (the kernel's filter.h macros are not UAPI). */
static struct bpf_insn ldx_w(int dst, int src, short off)
{
        return (struct bpf_insn){
                .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = dst, .src_reg = src, .off = off};
}
static struct bpf_insn alu_imm(int op, int dst, int imm)
{
        return (struct bpf_insn){.code = BPF_ALU64 | op | BPF_K, .dst_reg = dst, .imm = imm};
}
static struct bpf_insn mov_reg(int dst, int src)
{
        return (struct bpf_insn){
                .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = dst, .src_reg = src};
}
/* jump forward by off when reg (op) imm */
static struct bpf_insn jmp_imm(int op, int reg, int imm, short off)
{
        return (struct bpf_insn){
                .code = BPF_JMP | op | BPF_K, .dst_reg = reg, .imm = imm, .off = off};
}
static struct bpf_insn ret(int v)
{
        return (struct bpf_insn){
                .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = v};
}
static struct bpf_insn exit_insn(void)
{
        return (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
}

#define MAX_INSNS 64

/* r2 = type, r3 = access, r4 = major, r5 = minor; 1 allows, 0 denies. */
static size_t build_program(struct bpf_insn *p)
{
        size_t n = 0;
        p[n++] = ldx_w(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        p[n++] = mov_reg(BPF_REG_3, BPF_REG_2);
        p[n++] = alu_imm(BPF_AND, BPF_REG_2, 0xffff);
        p[n++] = alu_imm(BPF_RSH, BPF_REG_3, 16);
        p[n++] = ldx_w(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
        p[n++] = ldx_w(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
        /* mknod alone is fine: opening is what the list decides */
        p[n++] = jmp_imm(BPF_JNE, BPF_REG_3, BPF_DEVCG_ACC_MKNOD, 2);
        p[n++] = ret(1);
        p[n++] = exit_insn();
        /* block devices: never */
        p[n++] = jmp_imm(BPF_JEQ, BPF_REG_2, BPF_DEVCG_DEV_CHAR, 2);
        p[n++] = ret(0);
        p[n++] = exit_insn();
        for (size_t i = 0; i < ARRAY_SIZE(allowed_char); i++) {
                if (allowed_char[i].minor < 0) {
                        p[n++] = jmp_imm(BPF_JNE, BPF_REG_4, (int)allowed_char[i].major, 2);
                } else {
                        p[n++] = jmp_imm(BPF_JNE, BPF_REG_4, (int)allowed_char[i].major, 3);
                        p[n++] = jmp_imm(BPF_JNE, BPF_REG_5, allowed_char[i].minor, 2);
                }
                p[n++] = ret(1);
                p[n++] = exit_insn();
        }
        p[n++] = ret(0);
        p[n++] = exit_insn();
        return n;
}

int cg_v2_devices_setup(int dirfd, const char *path, err_t *e)
{
        struct bpf_insn prog[MAX_INSNS];
        size_t n = build_program(prog);
        char log[4096] = "";
        union bpf_attr load;

        memset(&load, 0, sizeof load);
        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (uintptr_t)prog;
        load.insn_cnt = (unsigned)n;
        load.license = (uintptr_t) "GPL";
        load.log_buf = (uintptr_t)log;
        load.log_size = sizeof log;
        load.log_level = 1;
        _cleanup_close_ int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
        if (pfd < 0) {
                int saved = errno;
                log[strcspn(log, "\n")] = '\0';
                return err_set(e, -saved, "%s: device filter: load: %s%s%s", path, strerror(saved),
                               log[0] ? ": " : "", log);
        }
        union bpf_attr att;
        memset(&att, 0, sizeof att);
        att.target_fd = (unsigned)dirfd;
        att.attach_bpf_fd = (unsigned)pfd;
        att.attach_type = BPF_CGROUP_DEVICE;
        att.attach_flags = BPF_F_ALLOW_MULTI;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &att, sizeof att) < 0)
                return err_sys(e, errno, "%s: device filter: attach", path);
        /* The cgroup holds the program now; our fd can go. */
        return 0;
}
