/* Outbound access for a network namespace through pasta (package passt):
 * the namespace gets an interface of its own whose traffic pasta carries
 * through ordinary sockets of the host. For a download (mkroot's Include:)
 * nothing else — no port of the host's loopback (-T none, -U none), no
 * gateway address mapped to it (--no-map-gw), no port of the namespace
 * published (-t none, -u none). For runroot --net private the gateway
 * address reaches the host's loopback, and -p publishes the ports it names
 * (pasta -t/-u ADDR/HOSTPORT:PORT). Abstract unix sockets stay the
 * namespace's own, as in any network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

struct pasta {
        int pidfd; /* the daemon pasta left running */
        pid_t pid;
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

/* A docker -p spec, [IP:]HOSTPORT:PORT[/tcp|/udp] (IP may be an IPv6
 * address in brackets), taken apart. */
typedef struct publish_spec {
        char addr[INET6_ADDRSTRLEN]; /* "" for every address */
        unsigned host_port, port;
        bool udp;
} publish_spec;

static bool port_parse(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;
        if (n == 0 || n > 5)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *ret = v;
        return v >= 1 && v <= 65535;
}

static int publish_parse(const char *spec, publish_spec *p, err_t *e)
{
        memset(p, 0, sizeof *p);
        const char *end = strchrnul(spec, '/');
        if (*end && strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0)
                return err_set(e, -EINVAL, "-p %s: the protocol must be tcp or udp", spec);
        p->udp = !strcmp(end, "/udp");
        const char *last = NULL, *prev = NULL;
        for (const char *c = spec; c < end; c++)
                if (*c == ':') {
                        prev = last;
                        last = c;
                }
        if (!last)
                return err_set(e, -EINVAL,
                               "-p %s: expected [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp] (a host "
                               "port is needed)",
                               spec);
        const char *hp = prev ? prev + 1 : spec;
        if (!port_parse(hp, (size_t)(last - hp), &p->host_port) ||
            !port_parse(last + 1, (size_t)(end - last - 1), &p->port))
                return err_set(e, -EINVAL, "-p %s: a port is a number from 1 to 65535", spec);
        if (prev) {
                const char *a = spec;
                size_t n = (size_t)(prev - spec);
                if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
                        a++;
                        n -= 2;
                }
                unsigned char buf[sizeof(struct in6_addr)];
                if (n >= sizeof p->addr)
                        return err_set(e, -EINVAL, "-p %s: not an IP address", spec);
                memcpy(p->addr, a, n);
                p->addr[n] = '\0';
                if (inet_pton(AF_INET, p->addr, buf) != 1 && inet_pton(AF_INET6, p->addr, buf) != 1)
                        return err_set(e, -EINVAL, "-p %s: %s is not an IP address", spec, p->addr);
        }
        return 0;
}

int runner_publish_check(const char *spec, err_t *e)
{
        publish_spec p;
        return publish_parse(spec, &p, e);
}

/* Whether the host port of p is free: bound here and let go again, so
 * that a port in use is said in docker's terms rather than pasta's. */
static int publish_port_free(const char *spec, const publish_spec *p, err_t *e)
{
        struct sockaddr_storage ss = {0};
        socklen_t len;
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        if (p->addr[0] && inet_pton(AF_INET6, p->addr, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)p->host_port);
                len = sizeof *in6;
        } else {
                in->sin_family = AF_INET;
                in->sin_port = htons((uint16_t)p->host_port);
                if (p->addr[0])
                        inet_pton(AF_INET, p->addr, &in->sin_addr);
                len = sizeof *in;
        }
        int fd = socket(ss.ss_family, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_sys(e, errno, "-p %s: socket", spec);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int r = bind(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
        close(fd);
        if (r == -EADDRINUSE)
                return err_set(e, r, "-p %s: port %u%s%s is already in use on the host", spec,
                               p->host_port, p->addr[0] ? " of " : "", p->addr);
        if (r < 0)
                return err_set(e, r, "-p %s: %s", spec, strerror(-r));
        return 0;
}

/* pasta's command line, its pid written to pidfile. */
static int pasta_args(const pasta_opts *o, const char *pidfile, strv *ret, err_t *e)
{
        char netarg[32], userarg[32];
        snprintf(netarg, sizeof netarg, "/proc/self/fd/%d", NET_FD);
        snprintf(userarg, sizeof userarg, "/proc/self/fd/%d", USER_FD);
        const char *fixed[] = {"pasta", "--config-net",    "--quiet", "-T",    "none",    "-U",
                               "none",  "--no-netns-quit", "--pid",   pidfile, "--netns", netarg};
        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
                strv_push(ret, fixed[i]);
        if (!o->map_host)
                strv_push(ret, "--no-map-gw");
        bool tcp = false, udp = false;
        for (size_t i = 0; o->publish && i < o->publish->n; i++) {
                const char *spec = o->publish->v[i];
                publish_spec p;
                int r = publish_parse(spec, &p, e);
                if (r == 0)
                        r = publish_port_free(spec, &p, e);
                if (r < 0)
                        return r;
                strv_push(ret, p.udp ? "-u" : "-t");
                strv_push_take(ret, xasprintf("%s%s%u:%u", p.addr, p.addr[0] ? "/" : "",
                                              p.host_port, p.port));
                tcp |= !p.udp;
                udp |= p.udp;
        }
        if (!tcp) {
                strv_push(ret, "-t");
                strv_push(ret, "none");
        }
        if (!udp) {
                strv_push(ret, "-u");
                strv_push(ret, "none");
        }
        if (geteuid() == 0) {
                strv_push(ret, "--netns-only");
                strv_push(ret, "--runas");
                strv_push(ret, "0:0");
        } else {
                strv_push(ret, "--userns");
                strv_push(ret, userarg);
        }
        return 0;
}

/* The forked child: stdin/stdout on /dev/null, stderr on errfd, the
 * namespaces at NET_FD and USER_FD, nothing else open; then pasta (127:
 * not installed). */
static _Noreturn void pasta_exec(int netfd, int userfd, int errfd, char **argv)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
        }
        if (errfd >= 0)
                dup2(errfd, 2);
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

/* The last line of pasta's stderr that says something (not its "Failed to
 * send N bytes to syslog" where there is no syslog), or "". */
static char *pasta_said(const char *errfile)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        if (fs_read_file_at(AT_FDCWD, errfile, 1 << 16, &data, &len, &e2) < 0)
                return xstrdup("");
        const char *best = "";
        size_t best_n = 0;
        for (const char *l = data, *nl; *l; l = *nl ? nl + 1 : nl) {
                nl = strchrnul(l, '\n');
                size_t n = (size_t)(nl - l);
                if (n && !(n > 20 && !strncmp(l, "Failed to send ", 15) &&
                           !strncmp(nl - 9, "to syslog", 9))) {
                        best = l;
                        best_n = n;
                }
        }
        return xasprintf("%s%.*s", best_n ? ": " : "", (int)best_n, best);
}

/* What the pasta command left behind: its wait status st, what it said
 * on errfile, and (rr 0) the pid file's contents data of the daemon it
 * started, or rr < 0 and why in e2. */
static int pasta_daemon(const pasta_opts *o, int st, const char *errfile, int rr, const char *data,
                        const err_t *e2, pasta **ret, err_t *e)
{
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                return err_set(e, -ENOENT, "pasta not found: %s needs it (apt-get install passt)",
                               o->who);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                _cleanup_free_ char *said = pasta_said(errfile);
                return err_set(e, -EIO, "%s: pasta %s %d%s", o->who,
                               WIFEXITED(st) ? "exited with status" : "killed by signal",
                               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), said);
        }
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
        p->pid = (pid_t)pid;
        *ret = p;
        return 0;
}

int pasta_start(pid_t target, const pasta_opts *o, pasta **ret, err_t *e)
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
        _cleanup_free_ char *errfile = path_join(dir, "stderr");
        _cleanup_strv_ strv args = {0};
        int r = pasta_args(o, pidfile, &args, e);
        _cleanup_close_ int errfd =
                r < 0 ? -1 : open(errfile, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        pid_t c = r < 0 ? -1 : fork();
        if (c < 0) {
                if (r == 0)
                        r = err_sys(e, errno, "pasta: fork");
                unlink(errfile);
                rmdir(dir);
                return r;
        }
        if (c == 0)
                pasta_exec(netfd, userfd, errfd, args.v);
        int st = 0;
        while (waitpid(c, &st, 0) < 0 && errno == EINTR)
                ;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        int rr = -1;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                rr = fs_read_file_at(AT_FDCWD, pidfile, 64, &data, &len, &e2);
        r = pasta_daemon(o, st, errfile, rr, data, &e2, ret, e);
        unlink(pidfile);
        unlink(errfile);
        rmdir(dir);
        return r;
}

pid_t pasta_pid(const pasta *p)
{
        return p ? p->pid : 0;
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
