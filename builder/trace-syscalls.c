#include <linux/audit.h>
#include <sys/syscall.h>

#include "trace-syscalls.h"

#define AT(o, d, p) ((trace_call){.op = (o), .dirfd = (d), .arg = (p)})
#define CWD(o, p) AT(o, -1, p)

/* The native ABI, by the numbers of <sys/syscall.h>. */
static bool decode_native(uint64_t nr, trace_call *c)
{
        switch (nr) {
#ifdef SYS_open
        case SYS_open: *c = CWD(TRACE_OP_OPEN, 0); return true;
#endif
        case SYS_openat:
#ifdef SYS_openat2
        case SYS_openat2:
#endif
                *c = AT(TRACE_OP_OPEN, 0, 1);
                return true;
        case SYS_execve: *c = CWD(TRACE_OP_EXEC, 0); return true;
        case SYS_execveat: *c = AT(TRACE_OP_EXEC, 0, 1); return true;
#ifdef SYS_stat
        case SYS_stat:
        case SYS_lstat:
        case SYS_access:
        case SYS_readlink: *c = CWD(TRACE_OP_STAT, 0); return true;
#endif
#ifdef SYS_newfstatat
        case SYS_newfstatat:
#endif
#ifdef SYS_fstatat64
        case SYS_fstatat64:
#endif
        case SYS_statx:
        case SYS_faccessat:
#ifdef SYS_faccessat2
        case SYS_faccessat2:
#endif
        case SYS_readlinkat: *c = AT(TRACE_OP_STAT, 0, 1); return true;
#ifdef SYS_getdents
        case SYS_getdents:
#endif
        case SYS_getdents64: *c = CWD(TRACE_OP_LIST, 0); return true;
        default: return false;
        }
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* i386's numbers (the kernel's arch/x86/entry/syscalls/syscall_32.tbl):
 * <asm/unistd_32.h> cannot be included beside the native one. */
enum {
        I386_OPEN = 5,
        I386_EXECVE = 11,
        I386_OLDSTAT = 18,
        I386_ACCESS = 33,
        I386_OLDLSTAT = 84,
        I386_READLINK = 85,
        I386_READDIR = 89,
        I386_STAT = 106,
        I386_LSTAT = 107,
        I386_GETDENTS = 141,
        I386_STAT64 = 195,
        I386_LSTAT64 = 196,
        I386_GETDENTS64 = 220,
        I386_OPENAT = 295,
        I386_FSTATAT64 = 300,
        I386_READLINKAT = 305,
        I386_FACCESSAT = 307,
        I386_EXECVEAT = 358,
        I386_STATX = 383,
        I386_OPENAT2 = 437,
        I386_FACCESSAT2 = 439,
};

static bool decode_i386(uint64_t nr, trace_call *c)
{
        switch (nr) {
        case I386_OPEN: *c = CWD(TRACE_OP_OPEN, 0); break;
        case I386_OPENAT:
        case I386_OPENAT2: *c = AT(TRACE_OP_OPEN, 0, 1); break;
        case I386_EXECVE: *c = CWD(TRACE_OP_EXEC, 0); break;
        case I386_EXECVEAT: *c = AT(TRACE_OP_EXEC, 0, 1); break;
        case I386_OLDSTAT:
        case I386_OLDLSTAT:
        case I386_STAT:
        case I386_LSTAT:
        case I386_STAT64:
        case I386_LSTAT64:
        case I386_ACCESS:
        case I386_READLINK: *c = CWD(TRACE_OP_STAT, 0); break;
        case I386_FSTATAT64:
        case I386_STATX:
        case I386_FACCESSAT:
        case I386_FACCESSAT2:
        case I386_READLINKAT: *c = AT(TRACE_OP_STAT, 0, 1); break;
        case I386_READDIR: /* old readdir(2): one entry per call */
        case I386_GETDENTS:
        case I386_GETDENTS64: *c = CWD(TRACE_OP_LIST, 0); break;
        default: return false;
        }
        c->narrow = true;
        return true;
}

/* x32: the native numbers with __X32_SYSCALL_BIT, except the calls that
 * pass pointers to pointers (execve, execveat), which have their own. */
#define X32_SYSCALL_BIT 0x40000000u
enum { X32_EXECVE = 520, X32_EXECVEAT = 545, X32_FIRST_OWN = 512 };

static bool decode_x32(uint64_t nr, trace_call *c)
{
        nr &= ~(uint64_t)X32_SYSCALL_BIT;
        if (nr == X32_EXECVE)
                *c = CWD(TRACE_OP_EXEC, 0);
        else if (nr == X32_EXECVEAT)
                *c = AT(TRACE_OP_EXEC, 0, 1);
        else if (nr >= X32_FIRST_OWN || nr == SYS_execve || nr == SYS_execveat ||
                 !decode_native(nr, c))
                return false;
        c->narrow = true;
        return true;
}
#endif

bool trace_decode(uint32_t native, uint32_t arch, uint64_t nr, trace_call *ret)
{
        trace_call c = {0};
        bool ok = false;
#if defined(__x86_64__) && !defined(__ILP32__)
        if (native == AUDIT_ARCH_X86_64 && arch == AUDIT_ARCH_I386)
                ok = decode_i386(nr, &c);
        else if (arch == native && (nr & X32_SYSCALL_BIT))
                ok = decode_x32(nr, &c);
        else if (arch == native)
                ok = decode_native(nr, &c);
#else
        if (arch == native)
                ok = decode_native(nr, &c);
#endif
        if (ok)
                *ret = c;
        return ok;
}
