/* trace-syscalls: which syscalls the tracer records, decoded for every
 * ABI a traced program may call the kernel with. A 64-bit kernel runs
 * 32-bit programs too, with syscall numbers of their own: on x86-64, i386
 * (AUDIT_ARCH_I386) and x32 (native numbers with __X32_SYSCALL_BIT, its
 * own execve and execveat). A call of an ABI not decoded here is not
 * recorded. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum trace_op {
        TRACE_OP_OPEN, /* opened: the new descriptor names what it reached */
        TRACE_OP_EXEC, /* executed: recorded at the exec event */
        TRACE_OP_STAT, /* stat'ed, accessed or read as a link: it exists */
        TRACE_OP_LIST, /* a directory listed through a descriptor */
        TRACE_OP_MAX,
} trace_op;

typedef struct trace_call {
        trace_op op;
        int dirfd;   /* index of the directory fd argument; -1: the working directory */
        int arg;     /* index of the path argument (TRACE_OP_LIST: of the fd) */
        bool narrow; /* a 32-bit ABI: pointers and ints are the low 32 bits */
} trace_call;

/* native: the AUDIT_ARCH of the tracer's own syscalls; arch and nr: those
 * of the stop (PTRACE_GET_SYSCALL_INFO). False: a call the trace does
 * not record, or of an ABI it cannot decode. */
bool trace_decode(uint32_t native, uint32_t arch, uint64_t nr, trace_call *ret);
