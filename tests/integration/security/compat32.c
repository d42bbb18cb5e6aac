/* compat32: a static i386 program (gcc -m32) that calls what runroot's
 * default seccomp filter refuses, through the 32-bit x86 ABI and its own
 * syscall numbers, with arguments that do nothing harmful if a call is let
 * through (invalid pointers, fd -1). One line per call: "NAME ERRNO"
 * (0 when it succeeded). "compat32 some" makes only the calls that are
 * harmless unfiltered too. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BAD 1L /* a pointer the kernel faults on */

static void call(const char *name, long nr, long a, long b, long c, long d, long e)
{
        long r = syscall(nr, a, b, c, d, e);
        if (r == 0 && !strcmp(name, "clone"))
                _exit(0); /* a child made after all: the line below says so */
        printf("%s %d\n", name, r < 0 ? errno : 0);
}

#define C(name, ...) call(#name, SYS_##name, __VA_ARGS__)

int main(int argc, char **argv)
{
        static unsigned int vsock[3] = {40 /* AF_VSOCK */, 1 /* SOCK_STREAM */, 0};
        C(keyctl, 0, 0, 0, 0, 0);
        C(io_uring_setup, 1, BAD, 0, 0, 0);
        C(unshare, CLONE_NEWUSER, 0, 0, 0, 0);
        call("socketcall_vsock", SYS_socketcall, 1 /* SYS_SOCKET */, (long)vsock, 0, 0, 0);
        call("socket_vsock", SYS_socket, 40, 1, 0, 0, 0);
        if (argc > 1 && !strcmp(argv[1], "some"))
                return 0;
        C(kexec_load, 0, 0, BAD, 0, 0);
        C(init_module, BAD, 0, BAD, 0, 0);
        C(finit_module, -1, BAD, 0, 0, 0);
        C(delete_module, BAD, 0, 0, 0, 0);
        C(reboot, 0, 0, 0, BAD, 0);
        C(add_key, BAD, BAD, BAD, 0, 0);
        C(request_key, BAD, BAD, BAD, 0, 0);
        C(open_by_handle_at, -1, BAD, 0, 0, 0);
        C(name_to_handle_at, -1, BAD, BAD, BAD, 0);
        C(bpf, 0, BAD, 0, 0, 0);
        C(perf_event_open, BAD, 0, -1, -1, 0);
        C(userfaultfd, 0, 0, 0, 0, 0);
        C(io_uring_enter, -1, 0, 0, 0, 0);
        C(io_uring_register, -1, 0, BAD, 0, 0);
        C(lookup_dcookie, 0, 0, BAD, 0, 0);
        C(fanotify_init, 0, 0, 0, 0, 0);
        C(kcmp, 1, 1, 0, 0, 0);
        C(mount, BAD, BAD, BAD, 0, BAD);
        C(umount, BAD, 0, 0, 0, 0);
        C(umount2, BAD, 0, 0, 0, 0);
        C(pivot_root, BAD, BAD, 0, 0, 0);
        C(fsopen, BAD, 0, 0, 0, 0);
        C(fsconfig, -1, 0, 0, 0, 0);
        C(fsmount, -1, 0, 0, 0, 0);
        C(fspick, -1, BAD, 0, 0, 0);
        C(move_mount, -1, BAD, -1, BAD, 0);
        C(open_tree, -1, BAD, 0, 0, 0);
        C(mount_setattr, -1, BAD, 0, BAD, 0);
        C(setns, -1, 0, 0, 0, 0);
        C(swapon, BAD, 0, 0, 0, 0);
        C(swapoff, BAD, 0, 0, 0, 0);
        C(acct, BAD, 0, 0, 0, 0);
        C(quotactl, 0, BAD, 0, BAD, 0);
        C(settimeofday, BAD, BAD, 0, 0, 0);
        C(stime, BAD, 0, 0, 0, 0);
        C(clock_settime, 0, BAD, 0, 0, 0);
        C(clock_settime64, 0, BAD, 0, 0, 0);
        C(clock_adjtime, 0, BAD, 0, 0, 0);
        C(clock_adjtime64, 0, BAD, 0, 0, 0);
        C(syslog, 0, BAD, 0, 0, 0);
        C(iopl, 0, 0, 0, 0, 0);
        C(ioperm, 0, 0, 0, 0, 0);
        C(get_mempolicy, BAD, BAD, 0, 0, 0);
        C(set_mempolicy, 0, BAD, 0, 0, 0);
        C(mbind, 0, 0, 0, BAD, 0);
        C(move_pages, 0, 0, BAD, BAD, BAD);
        C(uselib, BAD, 0, 0, 0, 0);
        C(ustat, 0, BAD, 0, 0, 0);
        C(sysfs, 0, 0, 0, 0, 0);
        C(_sysctl, BAD, 0, 0, 0, 0);
        C(vm86old, BAD, 0, 0, 0, 0);
        C(vm86, 0, BAD, 0, 0, 0);
        C(clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        C(ioctl, -1, TIOCSTI, BAD, 0, 0);
        call("clone3", SYS_clone3, BAD, 88, 0, 0, 0);
        return 0;
}
