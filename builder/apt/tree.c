/* Tree helpers for the bootstrap: the merged-/usr layout per architecture,
 * and files placed into the tree. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apt.h"

/* Top-level directories that are symlinks into /usr on a merged-/usr
 * system, per architecture (the multilib ones only where they exist). */
void apt_merged_dirs(const char *arch, strv *out)
{
        static const struct {
                const char *arch, *extra;
        } map[] = {
                {"amd64", "lib32 lib64 libx32"},
                {"i386", "lib64 libx32"},
                {"ppc64el", "lib64"},
                {"s390x", "lib32"},
                {"mips64el", "lib32 lib64 libo32"},
                {"riscv64", ""},
                {"arm64", ""},
                {"armhf", ""},
        };
        strv_push(out, "bin");
        strv_push(out, "sbin");
        strv_push(out, "lib");
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (!strcmp(map[i].arch, arch)) {
                        _cleanup_free_ char *x = xstrdup(map[i].extra);
                        char *save = NULL;
                        for (char *w = strtok_r(x, " ", &save); w; w = strtok_r(NULL, " ", &save))
                                strv_push(out, w);
                }
}

/* Copy src to a new file dst, never a hardlink: what is placed in a tree
 * is written by the tree's own maintainer scripts, and images handed to
 * the user are edited; neither may change the cache's blob. */
int apt_copy_file(const char *src, const char *dst, err_t *e)
{
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return err_sys(e, errno, "%s", src);
        _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
                return err_sys(e, errno, "%s", dst);
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n < 0 &&
                    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                        break; /* across file systems, or not supported there */
                if (n < 0)
                        return err_sys(e, errno, "%s", dst);
        }
        /* From where copy_file_range stopped: both offsets moved along. */
        char buf[1 << 16];
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_sys(e, errno, "%s", src);
                if (n == 0)
                        return 0;
                int rc = fd_write_all(out, buf, (size_t)n);
                if (rc < 0)
                        return err_sys(e, -rc, "%s", dst);
        }
}

int apt_write_file(const char *root, const char *rel, const char *content, err_t *e)
{
        /* The tree may hold links planted by a package (etc/apt -> /etc):
         * everything is resolved inside it, never as root + "/" + rel. */
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_free_ char *d = path_dirname(rel);
        int rc = fs_mkdir_p_in_root(rootfd, d, 0755, e);
        if (rc < 0)
                return err_prefix(e, "%s", root);
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int pfd = fs_open_parent_in_root(rootfd, rel, &name, e);
        if (pfd < 0)
                return err_prefix(e, "%s", root);
        rc = fs_write_atomic_at(pfd, name, content, strlen(content), 0644, e);
        if (rc < 0)
                return err_prefix(e, "%s: %s", root, rel);
        return 0;
}

/* ---- where the tree lives --------------------------------------------- */

static int64_t mem_available(void)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, "/proc/meminfo", 1 << 20, &data, &len, &e) < 0)
                return -1;
        const char *p = strstr(data, "MemAvailable:");
        long long kib = 0;
        if (!p || sscanf(p + 13, "%lld", &kib) != 1 || kib <= 0)
                return -1;
        return (int64_t)kib * 1024;
}

static bool single_threaded(void)
{
        _cleanup_strv_ strv tasks = {0};
        if (fs_list_dir_at(AT_FDCWD, "/proc/self/task", &tasks) < 0)
                return false;
        size_t n = 0;
        for (size_t i = 0; i < tasks.n; i++)
                n += tasks.v[i][0] != '.';
        return n == 1;
}

int apt_tree_mount_tmpfs(const char *dir, int64_t need, err_t *e)
{
        int64_t avail = mem_available();
        if (avail < 0 || need > avail / 2) {
                log_debug("build tree on disk: about %lld MiB wanted, %lld MiB of memory "
                          "available",
                          (long long)(need >> 20), (long long)(avail >> 20));
                return 0;
        }
        /* The mount lives in a mount namespace of this process's own, so
         * a crash leaves nothing mounted (the empty directory goes with
         * the next fetch). unshare wants no other thread sharing the
         * process's file system information. */
        static bool unshared;
        if (!unshared) {
                if (!single_threaded() || unshare(CLONE_NEWNS) < 0) {
                        log_debug("build tree on disk: no mount namespace of its own (%s)",
                                  errno ? strerror(errno) : "threads running");
                        return 0;
                }
                unshared = true;
                /* Nothing mounted here reaches the host's namespace. */
                if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                        return err_sys(e, errno, "making this process's mounts private");
        }
        /* tmpfs takes memory only for what it holds; the limit keeps a
         * runaway package from eating what the machine needs. */
        _cleanup_free_ char *opts =
                xasprintf("mode=0755,size=%lldk", (long long)(avail / 4 * 3 / 1024));
        if (mount("mkroot-tree", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
                log_debug("build tree on disk: tmpfs: %s", strerror(errno));
                return 0;
        }
        log_debug("build tree on a tmpfs (about %lld MiB wanted, %lld MiB of memory available)",
                  (long long)(need >> 20), (long long)(avail >> 20));
        return 1;
}

void apt_tree_discard(const char *dir, bool tmpfs)
{
        err_t e = {0};
        if (tmpfs) {
                /* The namespace is ours alone: nothing else can be using
                 * it, and its memory goes back at once. */
                if (umount2(dir, MNT_DETACH) == 0) {
                        rmdir(dir);
                        return;
                }
                log_debug("%s: umount: %s", dir, strerror(errno));
        }
        /* On disk, removal takes seconds that the result need not wait
         * for: a grandchild removes it, fds closed (a caller reading
         * mkroot's output to its end is not held up). Killed halfway,
         * what is left goes with the next fetch, as any interrupted tree. */
        pid_t pid = fork();
        if (pid == 0) {
                if (fork() != 0)
                        _exit(0);
                close_range(0, ~0U, 0);
                fs_rm_rf_at(AT_FDCWD, dir, &e);
                _exit(0);
        }
        if (pid > 0) {
                int st;
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                return;
        }
        fs_rm_rf_at(AT_FDCWD, dir, &e);
}
