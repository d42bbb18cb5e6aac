/* Outbound access for a network namespace through pasta (package passt):
 * the namespace gets an interface of its own whose traffic pasta carries
 * through ordinary sockets of the host, and nothing else — no port of the
 * host's loopback (-T none, -U none), no gateway address mapped to it
 * (--no-map-gw), no port of the namespace published (-t none, -u none).
 * Abstract unix sockets stay the namespace's own, as in any network
 * namespace. This is what a download from a mirror needs, and no more. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

struct pasta {
        int pidfd; /* the daemon pasta left running */
};

static int pidfd_open_(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0U);
}

static int pidfd_signal(int pidfd, int sig)
{
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0U);
}

/* In pasta, after the dup2s of pasta_exec: the descriptors it reopens. */
enum { NET_FD = 3, USER_FD = 4 };

/* pasta's command line: outbound access only, its pid written to pidfile. */
static void pasta_args(const char *pidfile, strv *ret)
{
        char netarg[32], userarg[32];
        snprintf(netarg, sizeof netarg, "/proc/self/fd/%d", NET_FD);
        snprintf(userarg, sizeof userarg, "/proc/self/fd/%d", USER_FD);
        const char *fixed[] = {"pasta",
                               "--config-net",
                               "--no-map-gw",
                               "--quiet",
                               "-t",
                               "none",
                               "-u",
                               "none",
                               "-T",
                               "none",
                               "-U",
                               "none",
                               "--no-netns-quit",
                               "--pid",
                               pidfile,
                               "--netns",
                               netarg};
        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
                strv_push(ret, fixed[i]);
        if (geteuid() == 0) {
                strv_push(ret, "--netns-only");
                strv_push(ret, "--runas");
                strv_push(ret, "0:0");
        } else {
                strv_push(ret, "--userns");
                strv_push(ret, userarg);
        }
}

/* The forked child: stdin/stdout on /dev/null, the namespaces at NET_FD
 * and USER_FD, nothing else open; then pasta (127: not installed). */
static _Noreturn void pasta_exec(int netfd, int userfd, char **argv)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
        }
        /* 3 and 4 are free after these: both sources are above 4 or are
         * moved there first. */
        int n = fcntl(netfd, F_DUPFD_CLOEXEC, 10);
        int u = userfd >= 0 ? fcntl(userfd, F_DUPFD_CLOEXEC, 10) : -1;
        if (n < 0 || dup2(n, NET_FD) < 0 || (u >= 0 && dup2(u, USER_FD) < 0))
                _exit(126);
        syscall(SYS_close_range, 5U, ~0U, 0U);
        execvp(argv[0], argv);
        _exit(errno == ENOENT ? 127 : 126);
}

/* What the pasta command left behind: its wait status st, and (rr 0) the
 * pid file's contents data of the daemon it started, or rr < 0 and why in
 * e2. */
static int pasta_daemon(int st, int rr, const char *data, const err_t *e2, pasta **ret, err_t *e)
{
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                return err_set(e, -ENOENT,
                               "pasta not found: the network of a download needs it (apt-get "
                               "install passt)");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return err_set(e, -EIO, "pasta %s %d",
                               WIFEXITED(st) ? "exited with status" : "killed by signal",
                               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        if (rr < 0)
                return err_set(e, rr, "pasta: its pid file: %s", e2->msg);
        long pid = strtol(data, NULL, 10);
        if (pid <= 1)
                return err_set(e, -EIO, "pasta: bad pid file");
        int pidfd = pidfd_open_((pid_t)pid);
        if (pidfd < 0)
                return err_sys(e, errno, "pasta: pid %ld", pid);
        pasta *p = xcalloc(1, sizeof *p);
        p->pidfd = pidfd;
        *ret = p;
        return 0;
}

int pasta_start(pid_t target, pasta **ret, err_t *e)
{
        /* pasta is handed the namespaces as descriptors opened here: it
         * drops its capabilities before it joins them, and then could not
         * open another process's /proc/PID/ns/ itself. As root it must stay
         * root (the default is nobody, who may not join a namespace). */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)target);
        _cleanup_close_ int netfd = open(path, O_RDONLY | O_CLOEXEC);
        if (netfd < 0)
                return err_sys(e, errno, "pasta: %s", path);
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)target);
        _cleanup_close_ int userfd = geteuid() == 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
        if (geteuid() != 0 && userfd < 0)
                return err_sys(e, errno, "pasta: %s", path);
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *dir = xasprintf("%s/runroot-pasta-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
                return err_sys(e, errno, "pasta: %s", dir);
        _cleanup_free_ char *pidfile = path_join(dir, "pid");
        _cleanup_strv_ strv args = {0};
        pasta_args(pidfile, &args);
        pid_t c = fork();
        if (c < 0) {
                int r = err_sys(e, errno, "pasta: fork");
                rmdir(dir);
                return r;
        }
        if (c == 0)
                pasta_exec(netfd, userfd, args.v);
        int st = 0;
        while (waitpid(c, &st, 0) < 0 && errno == EINTR)
                ;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        int rr = -1;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                rr = fs_read_file_at(AT_FDCWD, pidfile, 64, &data, &len, &e2);
        unlink(pidfile);
        rmdir(dir);
        return pasta_daemon(st, rr, data, &e2, ret, e);
}

void pasta_stop(pasta *p)
{
        if (!p)
                return;
        /* It would quit with the namespace too; asked, it goes now. */
        if (pidfd_signal(p->pidfd, SIGTERM) == 0) {
                struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
                if (poll(&pf, 1, 2000) == 0)
                        pidfd_signal(p->pidfd, SIGKILL);
        }
        close(p->pidfd);
        free(p);
}
