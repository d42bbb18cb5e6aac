/* A static multi-call helper baked into the hardening tests' image: each
 * verb is one hostile (or heavy) action, run both inside a container and
 * on the host. Prints "VERB: ok" and exits 0 when the action worked,
 * "VERB: failed: REASON" and exits 1 when it did not, 2 on misuse. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *verb;

static int ok(void)
{
        printf("%s: ok\n", verb);
        return 0;
}

static int failed(const char *why)
{
        printf("%s: failed: %s\n", verb, why);
        return 1;
}

static int check(int r)
{
        return r < 0 ? failed(strerror(errno)) : ok();
}

static int forkn(long n, int hold)
{
        pid_t *kids = calloc((size_t)n, sizeof *kids);
        long k;
        int err = 0;
        for (k = 0; k < n; k++) {
                pid_t p = fork();
                if (p == 0) {
                        pause();
                        _exit(0);
                }
                if (p < 0) {
                        err = errno;
                        break;
                }
                kids[k] = p;
        }
        printf("%s: forked %ld\n", verb, k);
        fflush(stdout);
        if (hold)
                sleep((unsigned)hold);
        for (long i = 0; i < k; i++)
                kill(kids[i], SIGKILL);
        for (long i = 0; i < k; i++)
                waitpid(kids[i], NULL, 0);
        free(kids);
        if (err == 0)
                return ok();
        return failed(strerror(err));
}

static int memhog(long mb)
{
        for (long i = 0; i < mb; i++) {
                char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
                if (m == MAP_FAILED)
                        return failed(strerror(errno));
                memset(m, 0x5a, 1 << 20);
        }
        return ok();
}

/* The classic escape: chroot into a subdir while keeping the cwd outside
 * it, then walk up. Works from a plain chroot, not past pivot_root. */
static int chroot_escape(const char *marker)
{
        char dir[] = "/tmp/escape-XXXXXX";
        if (!mkdtemp(dir))
                return failed(strerror(errno));
        if (chroot(dir) < 0) {
                int saved = errno;
                rmdir(dir);
                return failed(strerror(saved));
        }
        for (int i = 0; i < 256; i++)
                if (chdir("..") < 0)
                        break;
        if (chroot(".") < 0)
                return failed(strerror(errno));
        if (access(marker, F_OK) < 0)
                return failed("host marker not visible");
        return ok();
}

static int capraise(const char *name)
{
        int cap = strcmp(name, "SYS_ADMIN") == 0    ? CAP_SYS_ADMIN
                  : strcmp(name, "SYS_MODULE") == 0 ? CAP_SYS_MODULE
                  : strcmp(name, "NET_ADMIN") == 0  ? CAP_NET_ADMIN
                                                    : -1;
        if (cap < 0)
                return failed("unknown capability");
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
                return failed(strerror(errno));
        /* Lower it first (a no-op when absent), then raise it. */
        d[cap / 32].effective &= ~(1u << (cap % 32));
        if (syscall(SYS_capset, &h, d) < 0)
                return failed(strerror(errno));
        d[cap / 32].effective |= 1u << (cap % 32);
        d[cap / 32].permitted |= 1u << (cap % 32);
        if (syscall(SYS_capset, &h, d) < 0)
                return failed(strerror(errno));
        if (syscall(SYS_capget, &h, d) < 0 || !(d[cap / 32].effective & (1u << (cap % 32))))
                return failed("not raised");
        return ok();
}

static int readfile(const char *path)
{
        char buf[64];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return failed(strerror(errno));
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        if (n < 0)
                return failed(strerror(errno));
        if (n == 0)
                return failed("empty");
        return ok();
}

/* CVE-2019-5736: hold /proc/PID/exe and reopen it for writing once the
 * process no longer runs it (a running executable is ETXTBSY). Opening
 * is proof enough: nothing is written. */
static int exe_overwrite(const char *pid)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/exe", pid);
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return failed(strerror(errno));
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        for (int i = 0; i < 50; i++) {
                int w = open(path, O_WRONLY | O_CLOEXEC);
                if (w >= 0) {
                        close(w);
                        return ok();
                }
                if (errno != ETXTBSY)
                        return failed(strerror(errno));
                usleep(100000);
        }
        return failed("still busy after 5 s");
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        verb = argv[1];
        const char *a = argc > 2 ? argv[2] : NULL;
        setvbuf(stdout, NULL, _IOLBF, 0);

        if (strcmp(verb, "forkn") == 0 && a)
                return forkn(atol(a), argc > 3 ? atoi(argv[3]) : 0);
        if (strcmp(verb, "memhog") == 0 && a)
                return memhog(atol(a));
        if (strcmp(verb, "mount") == 0 && a)
                return check(mount("none", a, "tmpfs", 0, "size=1m"));
        if (strcmp(verb, "umount") == 0 && a)
                return check(umount2(a, MNT_DETACH));
        if (strcmp(verb, "chroot-escape") == 0 && a)
                return chroot_escape(a);
        if (strcmp(verb, "write") == 0 && a && argc > 3) {
                int fd = open(a, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return failed(strerror(errno));
                ssize_t n = write(fd, argv[3], strlen(argv[3]));
                close(fd);
                return check(n < 0 ? -1 : 0);
        }
        if (strcmp(verb, "openw") == 0 && a) {
                int fd = open(a, O_WRONLY | O_CLOEXEC);
                if (fd >= 0)
                        close(fd);
                return check(fd);
        }
        if (strcmp(verb, "read") == 0 && a)
                return readfile(a);
        if (strcmp(verb, "modload") == 0) {
                /* A bogus image: the kernel's loader rejects it (ENOEXEC,
                 * EINVAL, ENOSYS), but only after the permission check. */
                static char image[64];
                long r = syscall(SYS_init_module, image, sizeof image, "");
                if (r < 0 && errno == EPERM)
                        return failed(strerror(errno));
                printf("%s: reached the module loader (%s)\n", verb,
                       r < 0 ? strerror(errno) : "loaded");
                return ok();
        }
        if (strcmp(verb, "unshare-user") == 0)
                return check(unshare(CLONE_NEWUSER));
        if (strcmp(verb, "capraise") == 0 && a)
                return capraise(a);
        if (strcmp(verb, "kill") == 0 && a)
                return check(kill(atoi(a), SIGTERM));
        if (strcmp(verb, "readfd") == 0 && a) {
                char buf[64];
                ssize_t n = pread(atoi(a), buf, sizeof buf, 0);
                if (n < 0)
                        return failed(strerror(errno));
                return n > 0 ? ok() : failed("empty");
        }
        if (strcmp(verb, "mknod-open") == 0 && a && argc > 4) {
                unlink(a);
                if (mknod(a, S_IFCHR | 0600, makedev(atoi(argv[3]), atoi(argv[4]))) < 0)
                        return failed(strerror(errno));
                int fd = open(a, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                int saved = errno;
                unlink(a);
                if (fd < 0)
                        return failed(strerror(saved));
                close(fd);
                return ok();
        }
        if (strcmp(verb, "openrw") == 0 && a) {
                int fd = open(a, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd >= 0)
                        close(fd);
                return check(fd);
        }
        if (strcmp(verb, "kvm") == 0 && a) {
                /* KVM_CREATE_VM: _IO(KVMIO 0xae, 0x01) */
                int fd = open(a, O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        return failed(strerror(errno));
                int vm = ioctl(fd, _IO(0xae, 0x01), 0);
                int saved = errno;
                close(fd);
                if (vm < 0)
                        return failed(strerror(saved));
                close(vm);
                return ok();
        }
        if (strcmp(verb, "exe-overwrite") == 0 && a)
                return exe_overwrite(a);
        if (strcmp(verb, "sleep") == 0 && a) {
                sleep((unsigned)atoi(a));
                return ok();
        }
        fprintf(stderr, "sec-helper: unknown verb or missing argument: %s\n", verb);
        return 2;
}
