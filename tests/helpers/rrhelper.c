/* rrhelper: a small static multi-call program baked into test images, so
 * runner tests need no distribution image. Each hostile or probing action
 * is one verb; the exit status says what happened.
 *
 *   rrhelper pid1                 print our pid and our parent's
 *   rrhelper zombies              count zombie processes in /proc
 *   rrhelper isatty               exit 0 when fds 0-2 are terminals
 *   rrhelper fds                  list open fds (but the one reading them)
 *   rrhelper ls DIR               list names in DIR
 *   rrhelper cat FILE             copy FILE to stdout
 *   rrhelper write FILE TEXT      create FILE with TEXT
 *   rrhelper sleep SECONDS        sleep
 *   rrhelper exit N               exit N
 *   rrhelper kill-self SIG        raise SIG
 *   rrhelper open-rw PATH         try to open PATH for writing: 0 if it worked
 *   rrhelper try-syscall NAME     try a syscall: prints "ok" or the errno name
 *   rrhelper tiocsti TEXT [FD]    push TEXT into the input of the terminal on FD (0)
 *   rrhelper env                  print the environment
 *   rrhelper trap-term            wait for SIGTERM, print "got TERM", exit 42
 *   rrhelper keyring              print the session keyring's serial and name
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;

static int verb_zombies(void)
{
        DIR *d = opendir("/proc");
        if (!d)
                return 2;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                char p[300], buf[512];
                snprintf(p, sizeof p, "/proc/%s/stat", de->d_name);
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t len = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (len <= 0)
                        continue;
                buf[len] = '\0';
                char *rp = strrchr(buf, ')');
                if (rp && rp[1] == ' ' && rp[2] == 'Z')
                        n++;
        }
        closedir(d);
        printf("%d\n", n);
        return 0;
}

static int verb_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return 2;
        int self = dirfd(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || atoi(de->d_name) == self)
                        continue;
                char p[300], t[512];
                snprintf(p, sizeof p, "/proc/self/fd/%s", de->d_name);
                ssize_t n = readlink(p, t, sizeof t - 1);
                t[n > 0 ? n : 0] = '\0';
                printf("%s %s\n", de->d_name, t);
        }
        closedir(d);
        return 0;
}

static int verb_cat(const char *f)
{
        int fd = open(f, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                perror(f);
                return 1;
        }
        char buf[8192];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
                if (write(1, buf, (size_t)n) != n)
                        return 1;
        close(fd);
        return n < 0;
}

static int verb_ls(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d) {
                perror(dir);
                return 1;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        printf("%s\n", de->d_name);
        closedir(d);
        return 0;
}

static int verb_try_syscall(const char *name)
{
        long r;
        if (!strcmp(name, "mount"))
                r = mount("none", "/tmp", "tmpfs", 0, NULL);
        else if (!strcmp(name, "unshare-user"))
                r = syscall(SYS_unshare, 0x10000000);
        else if (!strcmp(name, "reboot"))
                r = syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL at worst */
        else if (!strcmp(name, "keyctl"))
                r = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
        else if (!strcmp(name, "sethostname"))
                r = sethostname("x", 1);
        else if (!strcmp(name, "mknod"))
                r = mknod("/tmp/.rrhelper-null", S_IFCHR | 0600, makedev(1, 3));
        else {
                fprintf(stderr, "unknown syscall %s\n", name);
                return 2;
        }
        if (r == 0) {
                puts("ok");
                return 0;
        }
        printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "error");
        return 1;
}

static volatile sig_atomic_t got_term;
static void on_term(int s)
{
        got_term = s;
}

int main(int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : "";
        const char *a = argc > 2 ? argv[2] : NULL;
        setvbuf(stdout, NULL, _IONBF, 0);
        if (!strcmp(verb, "pid1")) {
                printf("%d %d\n", (int)getpid(), (int)getppid());
                return 0;
        }
        if (!strcmp(verb, "zombies"))
                return verb_zombies();
        if (!strcmp(verb, "isatty"))
                return isatty(0) && isatty(1) && isatty(2) ? 0 : 1;
        if (!strcmp(verb, "fds"))
                return verb_fds();
        if (!strcmp(verb, "ls") && a)
                return verb_ls(a);
        if (!strcmp(verb, "cat") && a)
                return verb_cat(a);
        if (!strcmp(verb, "write") && argc > 3) {
                int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        perror(a);
                        return 1;
                }
                ssize_t n = write(fd, argv[3], strlen(argv[3]));
                close(fd);
                return n == (ssize_t)strlen(argv[3]) ? 0 : 1;
        }
        if (!strcmp(verb, "sleep") && a) {
                sleep((unsigned)atoi(a));
                return 0;
        }
        if (!strcmp(verb, "exit") && a)
                return atoi(a);
        if (!strcmp(verb, "kill-self") && a) {
                signal(atoi(a), SIG_DFL);
                raise(atoi(a));
                return 1;
        }
        if (!strcmp(verb, "open-rw") && a) {
                int fd = open(a, O_WRONLY | O_CLOEXEC);
                if (fd < 0) {
                        printf("%s\n", strerrorname_np(errno));
                        return 1;
                }
                puts("opened");
                return 0;
        }
        if (!strcmp(verb, "try-syscall") && a)
                return verb_try_syscall(a);
        if (!strcmp(verb, "tiocsti") && a) {
                int ok = 1, fd = argc > 3 ? atoi(argv[3]) : 0;
                for (const char *p = a; *p; p++)
                        if (ioctl(fd, TIOCSTI, p) < 0)
                                ok = 0;
                printf("%s\n", ok ? "injected" : strerrorname_np(errno));
                return ok ? 0 : 1;
        }
        if (!strcmp(verb, "env")) {
                for (char **e = environ; *e; e++)
                        printf("%s\n", *e);
                return 0;
        }
        if (!strcmp(verb, "keyring")) {
                /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, then
                 * KEYCTL_DESCRIBE: "type;uid;gid;perm;name" */
                long id = syscall(SYS_keyctl, 0, -3L, 0L);
                char d[256] = "";
                if (id < 0) {
                        printf("%s\n", strerrorname_np(errno));
                        return 1;
                }
                long n = syscall(SYS_keyctl, 6, id, d, (long)sizeof d - 1);
                const char *name = n > 0 ? strrchr(d, ';') : NULL;
                printf("%ld %s\n", id, name ? name + 1 : "?");
                return 0;
        }
        if (!strcmp(verb, "trap-term")) {
                signal(SIGTERM, on_term);
                puts("ready");
                while (!got_term)
                        pause();
                puts("got TERM");
                return 42;
        }
        fprintf(stderr, "rrhelper: unknown verb \"%s\" (see the source)\n", verb);
        return 2;
}
