/* A static multi-call helper baked into the hardening tests' image: each
 * verb is one hostile (or heavy) action, run both inside a container and
 * on the host. Prints "VERB: ok" and exits 0 when the action worked,
 * "VERB: failed: REASON" and exits 1 when it did not, 2 on misuse. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
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
#include <sys/socket.h>
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

/* socket(family, SOCK_STREAM, 0) through the native ABI, or (compat) the
 * 32-bit x86 one: its direct socket syscall (359) and socketcall (102),
 * which passes the arguments in memory. */
static int socket_family(const char *fam, int compat)
{
        long family = strtol(fam, NULL, 0);
        long r;
        if (!compat) {
                r = socket((int)family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        } else {
#if defined(__x86_64__)
                static unsigned int args[3];
                args[0] = (unsigned int)family;
                args[1] = SOCK_STREAM;
                args[2] = 0;
                long nr = compat == 1 ? 359 : 102;
                long a1 = compat == 1 ? family : 1; /* SYS_SOCKET */
                long a2 = compat == 1 ? SOCK_STREAM : (long)(unsigned long)args;
                long a3 = 0;
                if (compat == 2 && (unsigned long)args > 0xffffffffUL)
                        return failed("arguments above 4 GiB");
                __asm__ volatile("int $0x80"
                                 : "=a"(r)
                                 : "0"(nr), "b"(a1), "c"(a2), "d"(a3)
                                 : "memory");
                if (r < 0 && r > -4096) {
                        errno = (int)-r;
                        r = -1;
                }
#else
                return failed("no 32-bit x86 ABI here");
#endif
        }
        if (r < 0)
                return failed(strerror(errno));
        close((int)r);
        return ok();
}

/* The capability sets of this process, as "VERB: inh=... prm=... eff=...
 * amb=..." from /proc/self/status; ok when inheritable, permitted,
 * effective and ambient are all empty. */
static int capsets(void)
{
        FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return failed(strerror(errno));
        char line[256], out[256] = "";
        int empty = 1;
        while (fgets(line, sizeof line, f)) {
                static const char *const keys[] = {"CapInh:", "CapPrm:", "CapEff:", "CapAmb:"};
                for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                        size_t kl = strlen(keys[i]);
                        if (strncmp(line, keys[i], kl))
                                continue;
                        unsigned long long v = strtoull(line + kl, NULL, 16);
                        size_t ol = strlen(out);
                        snprintf(out + ol, sizeof out - ol, " %.3s=%llx", keys[i] + 3, v);
                        if (v)
                                empty = 0;
                }
        }
        fclose(f);
        printf("%s:%s\n", verb, out);
        return empty ? ok() : failed("capabilities held");
}

/* The descriptors this process holds (the listing's own aside), one
 * "fd N -> TARGET" line each; ok when only 0, 1 and 2 are open. */
static int fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return failed(strerror(errno));
        int extra = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                int fd = atoi(de->d_name);
                if (fd == dirfd(d))
                        continue;
                char p[64], t[4096];
                snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
                ssize_t n = readlink(p, t, sizeof t - 1);
                t[n < 0 ? 0 : n] = '\0';
                printf("%s: fd %d -> %s\n", verb, fd, t);
                if (fd > 2)
                        extra = 1;
        }
        closedir(d);
        return extra ? failed("descriptors above 2 open") : ok();
}

/* setuid(0), then create path (O_EXCL): ok when both worked. */
static int become_root(const char *path)
{
        if (setuid(0) < 0)
                return failed(strerror(errno));
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return failed(strerror(errno));
        close(fd);
        return ok();
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
        if (strcmp(verb, "socket") == 0 && a)
                return socket_family(a, 0);
        if (strcmp(verb, "socket-hi") == 0 && a) {
                /* the family with bits above the int set: the kernel
                 * truncates the register, a careless filter compares 64 */
                long fam = strtol(a, NULL, 0) | (long)(1UL << 32);
                long r = syscall(SYS_socket, fam, (long)(SOCK_STREAM | SOCK_CLOEXEC), 0L);
                if (r >= 0)
                        close((int)r);
                return check(r < 0 ? -1 : 0);
        }
        if (strcmp(verb, "socket32") == 0 && a)
                return socket_family(a, 1);
        if (strcmp(verb, "socketcall32") == 0 && a)
                return socket_family(a, 2);
        if (strcmp(verb, "fds") == 0)
                return fds();
        if (strcmp(verb, "capsets") == 0)
                return capsets();
        if (strcmp(verb, "become-root") == 0 && a)
                return become_root(a);
        if (strcmp(verb, "sleep") == 0 && a) {
                sleep((unsigned)atoi(a));
                return ok();
        }
        fprintf(stderr, "sec-helper: unknown verb or missing argument: %s\n", verb);
        return 2;
}
