/* Namespaces: clone into them, write the id maps of a user namespace
 * (newuidmap/newgidmap with /etc/subuid ranges when present, else just
 * the caller as root), bring up loopback in a new network namespace. */
#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

pid_t ns_clone(unsigned long flags)
{
        /* A raw clone with no new stack behaves like fork (x86-64 and
         * arm64 agree on the first two arguments). */
        return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

pid_t ns_clone_into(unsigned long flags, int cgroup_fd)
{
        if (cgroup_fd < 0)
                return ns_clone(flags);
        struct clone_args a = {
                .flags = flags | CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgroup_fd,
        };
        return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

static int write_proc(pid_t pid, const char *file, const char *data, err_t *e)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", path);
        if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
                return err_sys(e, errno, "%s", path);
        return 0;
}

/* The first /etc/subuid-style range for name or id: 0 when found. */
static int subid_range(const char *file, const char *name, unsigned long id, unsigned long *start,
                       unsigned long *count)
{
        _cleanup_fclose_ FILE *f = fopen(file, "re");
        if (!f)
                return -ENOENT;
        char line[512];
        char idstr[32];
        snprintf(idstr, sizeof idstr, "%lu", id);
        while (fgets(line, sizeof line, f)) {
                char *c1 = strchr(line, ':');
                if (!c1)
                        continue;
                *c1 = '\0';
                if (strcmp(line, idstr) != 0 && (!name || strcmp(line, name) != 0))
                        continue;
                char *end;
                unsigned long s = strtoul(c1 + 1, &end, 10);
                if (*end != ':')
                        continue;
                unsigned long n = strtoul(end + 1, &end, 10);
                if (n == 0)
                        continue;
                *start = s;
                *count = n;
                return 0;
        }
        return -ENOENT;
}

static int run_map_helper(const char *helper, pid_t pid, unsigned long id, unsigned long start,
                          unsigned long count)
{
        char spid[16], sid[24], sstart[24], scount[24];
        snprintf(spid, sizeof spid, "%d", (int)pid);
        snprintf(sid, sizeof sid, "%lu", id);
        snprintf(sstart, sizeof sstart, "%lu", start);
        snprintf(scount, sizeof scount, "%lu", count);
        pid_t c = fork();
        if (c < 0)
                return -errno;
        if (c == 0) {
                int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (nul >= 0)
                        dup2(nul, 2);
                execlp(helper, helper, spid, "0", sid, "1", "1", sstart, scount, (char *)NULL);
                _exit(127);
        }
        int st;
        while (waitpid(c, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EPERM;
}

int ns_write_id_maps(pid_t pid, uid_t uid, gid_t gid, err_t *e)
{
        struct passwd *pw = getpwuid(uid);
        const char *name = pw ? pw->pw_name : NULL;
        unsigned long us, uc, gs, gc;
        /* Root inside, plus the caller's subordinate ranges as 1..N. */
        if (subid_range("/etc/subuid", name, uid, &us, &uc) == 0 &&
            subid_range("/etc/subgid", name, uid, &gs, &gc) == 0 &&
            run_map_helper("newuidmap", pid, uid, us, uc) == 0 &&
            run_map_helper("newgidmap", pid, gid, gs, gc) == 0)
                return 0;
        char map[64];
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
        int r = write_proc(pid, "uid_map", map, e);
        if (r < 0)
                return r;
        r = write_proc(pid, "setgroups", "deny", e);
        if (r < 0 && r != -ENOENT)
                return r;
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
        return write_proc(pid, "gid_map", map, e);
}

int ns_loopback_up(err_t *e)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return err_sys(e, errno, "socket");
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return err_sys(e, errno, "lo: get flags");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return err_sys(e, errno, "lo: up");
        return 0;
}
