/* Namespaces: clone into them, write the id maps of a user namespace
 * (newuidmap/newgidmap with /etc/subuid ranges when present, else just
 * the caller as root), put the calling process itself into one (a
 * rootless build), bring up loopback in a new network namespace. */
#include <errno.h>
#include <linux/keyctl.h>
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
#include <sched.h>
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

/* 0, -ENOENT when the helper is not installed, else -EPERM. */
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
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                return -ENOENT;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EPERM;
}

/* The caller's subordinate ranges as 1..N of pid's user namespace, root
 * inside being uid/gid: 0, or -ENOENT when name has no range in either
 * file (*ret_missing names it), else the helper's failure. */
struct subids {
        unsigned long us, uc, gs, gc;
};

/* The file that lacks name's range of at least min ids, or NULL when both
 * have one (in *ids). */
static const char *subids_missing(const char *name, uid_t uid, unsigned long min,
                                  struct subids *ids)
{
        if (subid_range("/etc/subuid", name, uid, &ids->us, &ids->uc) < 0 || ids->uc < min)
                return "/etc/subuid";
        if (subid_range("/etc/subgid", name, uid, &ids->gs, &ids->gc) < 0 || ids->gc < min)
                return "/etc/subgid";
        return NULL;
}

static int map_subids(pid_t pid, uid_t uid, gid_t gid, const char *name, unsigned long min,
                      const char **ret_missing)
{
        struct subids ids;
        *ret_missing = subids_missing(name, uid, min, &ids);
        if (*ret_missing)
                return -ENOENT;
        int r = run_map_helper("newuidmap", pid, uid, ids.us, ids.uc);
        if (r == 0)
                r = run_map_helper("newgidmap", pid, gid, ids.gs, ids.gc);
        return r;
}

int ns_write_id_maps(pid_t pid, uid_t uid, gid_t gid, err_t *e)
{
        struct passwd *pw = getpwuid(uid);
        const char *missing;
        /* Root inside, plus the caller's subordinate ranges as 1..N. */
        if (map_subids(pid, uid, gid, pw ? pw->pw_name : NULL, 1, &missing) == 0)
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

int ns_write_maps(pid_t pid, const char *uid_map, const char *gid_map, err_t *e)
{
        int r = write_proc(pid, "uid_map", uid_map, e);
        return r < 0 ? r : write_proc(pid, "gid_map", gid_map, e);
}

int ns_session_keyring(const char *name, err_t *e)
{
        if (!name || syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) >= 0 || errno == ENOSYS)
                return 0;
        return err_sys(e, errno, "a session keyring of its own");
}

bool runner_in_userns(void)
{
        _cleanup_free_ char *map = NULL;
        size_t len = 0;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, &len, &e) < 0)
                return false; /* no user namespaces at all */
        unsigned long in, out, n;
        /* The initial namespace maps every id to itself. */
        return sscanf(map, "%lu %lu %lu", &in, &out, &n) != 3 || in != 0 || out != 0 ||
               n != 4294967295UL || strchr(map, '\n') != map + len - 1;
}

/* The helper's side of runner_userns_enter: once the parent has its new
 * namespace (a byte on sock), map it; the outcome (0, or the errno and
 * the file whose range is missing) goes back on sock. */
static void map_parent(pid_t parent, uid_t uid, gid_t gid, const char *name, unsigned long min,
                       int sock)
{
        char c;
        ssize_t n;
        while ((n = read(sock, &c, 1)) < 0 && errno == EINTR)
                ;
        if (n != 1)
                _exit(1);
        const char *missing = NULL;
        int r = map_subids(parent, uid, gid, name, min, &missing);
        char msg[64];
        snprintf(msg, sizeof msg, "%d %s", -r, missing ? missing : "-");
        _exit(write(sock, msg, strlen(msg)) > 0 ? 0 : 1);
}

/* The helper's answer as an error: 0 when the maps are written. */
static int map_outcome(const char *msg, const char *name, err_t *e)
{
        int code = -1;
        char file[32] = "";
        if (sscanf(msg, "%d %31s", &code, file) != 2 || code < 0)
                return err_set(e, -EIO, "newuidmap/newgidmap: the helper process failed");
        if (code == ENOENT && strcmp(file, "-") != 0)
                return err_set(e, -ENOENT, "%s: the subordinate range of %s changed", file, name);
        if (code == ENOENT)
                return err_set(e, -ENOENT,
                               "newuidmap/newgidmap not found: install the uidmap package");
        if (code)
                return err_set(e, -EPERM,
                               "newuidmap/newgidmap refused the ranges of %s in /etc/subuid and "
                               "/etc/subgid",
                               name);
        return 0;
}

/* Only the caller, as root of a namespace it just entered: a process may
 * map its own ids without a helper (its gid once setgroups is denied). */
static int map_self(uid_t uid, gid_t gid, err_t *e)
{
        char map[64];
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
        int r = write_proc(getpid(), "uid_map", map, e);
        if (r == 0)
                r = write_proc(getpid(), "setgroups", "deny", e);
        if (r == -ENOENT)
                r = 0;
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
        if (r == 0)
                r = write_proc(getpid(), "gid_map", map, e);
        return r;
}

int runner_userns_enter(unsigned long min_ids, err_t *e)
{
        uid_t uid = getuid();
        gid_t gid = getgid();
        struct passwd *pw = getpwuid(uid);
        _cleanup_free_ char *name = pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned)uid);
        struct subids ids;
        const char *missing = subids_missing(name, uid, min_ids ? min_ids : 1, &ids);
        if (missing && !min_ids) {
                if (unshare(CLONE_NEWUSER) < 0)
                        return err_sys(e, errno, "a user namespace of its own");
                return map_self(uid, gid, e);
        }
        if (missing)
                return err_set(e, -ENOENT,
                               "%s: no subordinate id range of %lu ids for %s: add the line "
                               "\"%s:100000:%u\" (a range no other user has) to /etc/subuid "
                               "and /etc/subgid, or run as root",
                               missing, min_ids, name, name, RUNNER_USERNS_IDS);
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return err_sys(e, errno, "socketpair");
        pid_t parent = getpid();
        pid_t c = fork();
        if (c == 0) {
                close(sp[0]);
                map_parent(parent, uid, gid, name, min_ids ? min_ids : 1, sp[1]);
        }
        close(sp[1]);
        _cleanup_close_ int sock = sp[0];
        if (c < 0)
                return err_sys(e, errno, "fork");
        /* A failure closes sock: the helper's read ends and so does it. */
        int r = unshare(CLONE_NEWUSER) < 0 ? -errno : 0;
        if (r == 0 && send(sock, "G", 1, MSG_NOSIGNAL) != 1)
                r = -errno;
        char msg[64] = "";
        ssize_t got = 0;
        while (r == 0 && (got = read(sock, msg, sizeof msg - 1)) < 0 && errno == EINTR)
                ;
        msg[got > 0 ? got : 0] = '\0';
        close(steal_fd(&sock));
        int st;
        while (waitpid(c, &st, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return err_sys(e, -r, "a user namespace of its own%s",
                               r == -EPERM || r == -ENOSPC
                                       ? " (unprivileged user namespaces disabled here?)"
                                       : "");
        r = map_outcome(msg, name, e);
        if (r < 0)
                return r;
        /* Root of the namespace now (uid and gid 0 inside); the host's
         * supplementary groups have no ids in it. */
        if (setgroups(0, NULL) < 0)
                return err_sys(e, errno, "setgroups in the new user namespace");
        return 0;
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
