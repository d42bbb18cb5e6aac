/* security: the options, the masked and read-only /proc and /sys paths,
 * and sec_apply, which runs seccomp, capabilities and no_new_privs in the
 * order each needs. */
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "security-internal.h"

void sec_opts_init(sec_opts *o)
{
        *o = (sec_opts){.seccomp = true, .no_new_privs = true};
}

void sec_opts_free(sec_opts *o)
{
        strv_free(&o->cap_add);
        strv_free(&o->cap_drop);
}

int sec_opts_validate(const sec_opts *o, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r == 0 && o->seccomp && o->seccomp_profile)
                r = sec_profile_export_file(o->seccomp_profile, keep, NULL, NULL, e);
        return r;
}

static int load_filter(const sec_opts *o, uint64_t keep, err_t *e)
{
        if (o->filter)
                return sec_filter_load(o->filter, o->seccomp_flags, e);
        if (!o->seccomp_profile)
                return sec_seccomp_apply(keep, e);
        sec_filter f = {0};
        int r = sec_profile_export_file(o->seccomp_profile, keep, &f.prog, &f.len, e);
        if (r == 0)
                r = sec_filter_load(&f, o->seccomp_flags, e);
        free(f.prog);
        return r;
}

int sec_apply(const sec_opts *o, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN:
         * load it while the capabilities are all still there. */
        if (o->seccomp && !o->no_new_privs) {
                r = load_filter(o, keep, e);
                if (r < 0)
                        return r;
        }
        r = sec_caps_apply_sets(keep, o, e);
        if (r < 0)
                return r;
        if (!o->no_new_privs)
                return 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_sys(e, errno, "no_new_privs");
        /* With it, as late as possible: fewer syscalls run under the
         * filter before exec. */
        return o->seccomp ? load_filter(o, keep, e) : 0;
}

int sec_apply_init(const sec_opts *o, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        r = sec_caps_apply(UINT64_C(1) << CAP_KILL, e);
        if (r < 0)
                return r;
        /* pid 1 never execs: no_new_privs whatever o says. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_sys(e, errno, "no_new_privs");
        return o->seccomp ? load_filter(o, keep, e) : 0;
}

bool sec_filter_shareable(const sec_opts *o)
{
        return o->seccomp && !o->seccomp_profile;
}

int sec_load_shared(const sec_opts *o, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        /* The command's bounding set, cut once here for both: the
         * command inherits it, pid 1 cuts the rest of its own after the
         * fork (sec_apply_shared, sec_apply_init_shared). */
        r = sec_caps_bound(keep, e);
        if (r < 0)
                return r;
        /* no_new_privs only when the command is to have it (pid 1 sets it
         * for itself in sec_apply_init_shared); without it the load needs
         * CAP_SYS_ADMIN, which pid 1 still has here. */
        if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_sys(e, errno, "no_new_privs");
        return load_filter(o, keep, e);
}

int sec_apply_shared(const sec_opts *o, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        r = sec_caps_apply_sets_within(keep, keep, o, e);
        if (r < 0)
                return r;
        if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_sys(e, errno, "no_new_privs");
        return 0;
}

int sec_apply_init_shared(const sec_opts *o, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        r = sec_caps_apply_within(UINT64_C(1) << CAP_KILL, keep, e);
        if (r < 0)
                return r;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return err_sys(e, errno, "no_new_privs");
        return 0;
}

/* ---- masked and read-only paths -------------------------------------- */

static const char *const proc_masked[] = {
        "kcore",       "keys",          "timer_list", "timer_stats",
        "sched_debug", "latency_stats", "scsi",       "acpi",
};
static const char *const sys_masked[] = {"firmware", "devices/virtual/powercap"};
static const char *const proc_readonly[] = {"sys", "sysrq-trigger", "irq", "bus", "fs", "asound"};

static int check_fs(int fd, unsigned long magic, const char *what, err_t *e)
{
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return err_sys(e, errno, "%s: statfs", what);
        if ((unsigned long)sfs.f_type != magic)
                return err_set(e, -EXDEV, "%s: not on %s", what,
                               magic == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
        return 0;
}

static char *fd_path(int fd)
{
        return xasprintf("/proc/self/fd/%d", fd);
}

/* Attach a detached mount (from open_tree or fsmount) on top of target. */
static int attach(int mnt_fd, int target_fd, const char *what, err_t *e)
{
        if (move_mount(mnt_fd, "", target_fd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return err_sys(e, errno, "%s: move_mount", what);
        return 0;
}

static int mask_file(int devnull_fd, int target_fd, const char *what, err_t *e)
{
        _cleanup_close_ int tree =
                open_tree(devnull_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree >= 0)
                return attach(tree, target_fd, what, e);
        if (errno != ENOSYS)
                return err_sys(e, errno, "%s: clone /dev/null", what);
        _cleanup_free_ char *src = fd_path(devnull_fd), *dst = fd_path(target_fd);
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
                return err_sys(e, errno, "%s: bind /dev/null", what);
        return 0;
}

/* An empty read-only tmpfs over a directory. *empty_fd: the one an
 * earlier mask made (a mount of it is cloned: one superblock for every
 * directory masked, each one more to make and to tear down at the end),
 * or -1, and then the one made here. */
static int mask_dir(int target_fd, int *empty_fd, const char *what, err_t *e)
{
        if (*empty_fd >= 0) {
                _cleanup_close_ int tree = open_tree(
                        *empty_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree < 0)
                        return err_sys(e, errno, "%s: clone the empty tmpfs", what);
                return attach(tree, target_fd, what, e);
        }
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs >= 0) {
                if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
                    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                        return err_sys(e, errno, "%s: make an empty tmpfs", what);
                _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                                                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                          MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
                if (mnt < 0)
                        return err_sys(e, errno, "%s: fsmount", what);
                int r = attach(mnt, target_fd, what, e);
                if (r == 0)
                        *empty_fd = steal_fd(&mnt);
                return r;
        }
        if (errno != ENOSYS)
                return err_sys(e, errno, "%s: fsopen tmpfs", what);
        _cleanup_free_ char *dst = fd_path(target_fd);
        if (mount("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") <
            0)
                return err_sys(e, errno, "%s: mount an empty tmpfs", what);
        return 0;
}

static int make_readonly(int dirfd, const char *rel, int target_fd, const char *what, err_t *e)
{
        _cleanup_close_ int tree = open_tree(
                target_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        if (tree >= 0) {
                struct mount_attr attr = {
                        .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                    MOUNT_ATTR_NOEXEC,
                };
                if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0)
                        return attach(tree, target_fd, what, e);
                if (errno != ENOSYS)
                        return err_sys(e, errno, "%s: make read-only", what);
        } else if (errno != ENOSYS) {
                return err_sys(e, errno, "%s: clone mount", what);
        }
        /* Kernels before 5.12: bind, then remount the new bind read-only
         * through a fresh fd (the old one still names the mount below). */
        _cleanup_free_ char *dst = fd_path(target_fd);
        if (mount(dst, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return err_sys(e, errno, "%s: bind", what);
        _cleanup_close_ int fd = openat(dirfd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s: reopen", what);
        _cleanup_free_ char *p = fd_path(fd);
        if (mount(NULL, p, NULL,
                  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return err_sys(e, errno, "%s: remount read-only", what);
        return 0;
}

/* Open rel below dirfd for mounting over; 0 with *ret = -1 when absent.
 * The target must still be on the file system it came from: nothing the
 * image put there (a symlink, a bind to elsewhere) is mounted over. */
static int open_target(int dirfd, const char *rel, unsigned long magic, const char *what, int *ret,
                       err_t *e)
{
        _cleanup_close_ int fd = openat(dirfd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        *ret = -1;
        if (fd < 0)
                return errno == ENOENT ? 0 : err_sys(e, errno, "%s", what);
        int r = check_fs(fd, magic, what, e);
        if (r < 0)
                return r;
        *ret = steal_fd(&fd);
        return 0;
}

static int open_devnull(int root_fd, err_t *e)
{
        static const char *const candidates[] = {"dev/null", "/dev/null"};
        for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
                int fd = openat(root_fd, candidates[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0)
                        continue;
                if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
                        return fd;
                close(fd);
        }
        return err_set(e, -ENOENT, "/dev/null: not found (needed to mask /proc files)");
}

static int mask_list(int dirfd, const char *dir, unsigned long magic, const char *const *list,
                     size_t n, int devnull_fd, int *empty_fd, err_t *e)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *what = path_join(dir, list[i]);
                _cleanup_close_ int fd = -1;
                int r = open_target(dirfd, list[i], magic, what, &fd, e);
                if (r < 0)
                        return r;
                if (fd < 0)
                        continue;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return err_sys(e, errno, "%s", what);
                r = S_ISDIR(st.st_mode) ? mask_dir(fd, empty_fd, what, e)
                                        : mask_file(devnull_fd, fd, what, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sec_mask_paths(int root_fd, err_t *e)
{
        _cleanup_close_ int proc_fd =
                openat(root_fd, "proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (proc_fd < 0)
                return err_sys(e, errno, "/proc in the container");
        int r = check_fs(proc_fd, PROC_SUPER_MAGIC, "/proc in the container", e);
        if (r < 0)
                return r;
        _cleanup_close_ int devnull_fd = open_devnull(root_fd, e);
        if (devnull_fd < 0)
                return devnull_fd;
        _cleanup_close_ int empty_fd = -1;

        r = mask_list(proc_fd, "/proc", PROC_SUPER_MAGIC, proc_masked, ARRAY_SIZE(proc_masked),
                      devnull_fd, &empty_fd, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(proc_readonly); i++) {
                _cleanup_free_ char *what = path_join("/proc", proc_readonly[i]);
                _cleanup_close_ int fd = -1;
                r = open_target(proc_fd, proc_readonly[i], PROC_SUPER_MAGIC, what, &fd, e);
                if (r < 0)
                        return r;
                if (fd < 0)
                        continue;
                r = make_readonly(proc_fd, proc_readonly[i], fd, what, e);
                if (r < 0)
                        return r;
        }

        /* /sys is optional; when it is there it must be sysfs to be touched. */
        _cleanup_close_ int sys_fd =
                openat(root_fd, "sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sys_fd < 0)
                return 0;
        struct statfs sfs;
        if (fstatfs(sys_fd, &sfs) < 0 || sfs.f_type != SYSFS_MAGIC) {
                log_debug("/sys in the container is not sysfs: nothing to mask there");
                return 0;
        }
        return mask_list(sys_fd, "/sys", SYSFS_MAGIC, sys_masked, ARRAY_SIZE(sys_masked),
                         devnull_fd, &empty_fd, e);
}

/* path ("/proc/x/y" or "/sys/x") as the fd of its file system's root and
 * the rest; false when it is below neither. */
static bool kernel_path(const char *path)
{
        return !strncmp(path, "/proc/", 6) || !strncmp(path, "/sys/", 5) ||
               !strcmp(path, "/proc") || !strcmp(path, "/sys");
}

static bool split_kernel_path(const char *path, int proc_fd, int sys_fd, int *ret_fd,
                              unsigned long *ret_magic, const char **ret_rel)
{
        if (!strncmp(path, "/proc/", 6) && path[6] && proc_fd >= 0) {
                *ret_fd = proc_fd;
                *ret_magic = PROC_SUPER_MAGIC;
                *ret_rel = path + 6;
                return true;
        }
        if (!strncmp(path, "/sys/", 5) && path[5] && sys_fd >= 0) {
                *ret_fd = sys_fd;
                *ret_magic = SYSFS_MAGIC;
                *ret_rel = path + 5;
                return true;
        }
        return false;
}

/* Whether sec_mask_paths did path already (masked or read-only). */
static bool in_own_lists(const char *path)
{
        for (size_t i = 0; i < ARRAY_SIZE(proc_masked); i++)
                if (!strncmp(path, "/proc/", 6) && !strcmp(path + 6, proc_masked[i]))
                        return true;
        for (size_t i = 0; i < ARRAY_SIZE(proc_readonly); i++)
                if (!strncmp(path, "/proc/", 6) && !strcmp(path + 6, proc_readonly[i]))
                        return true;
        for (size_t i = 0; i < ARRAY_SIZE(sys_masked); i++)
                if (!strncmp(path, "/sys/", 5) && !strcmp(path + 5, sys_masked[i]))
                        return true;
        return false;
}

/* A path of the container's own tree (not /proc or /sys): resolved in
 * the root (symlinks stay inside it), its parent and last name; *ret_fd -1
 * when it is not there (nothing to mask, as runc skips it). */
static int open_tree_path(int root_fd, const char *path, int *ret_dir, char **ret_name, int *ret_fd,
                          err_t *e)
{
        *ret_fd = -1;
        _cleanup_free_ char *abs = NULL;
        int r = fs_resolve_in_root(root_fd, path, true, &abs, e);
        if (r == -ENOENT) {
                err_clear(e);
                return 0;
        }
        if (r < 0)
                return err_prefix(e, "%s", path);
        if (!strcmp(abs, "/"))
                return err_set(e, -EINVAL, "%s: the root itself", path);
        _cleanup_close_ int dir = -1;
        _cleanup_free_ char *name = NULL;
        if ((r = fs_open_parent_in_root(root_fd, abs, &name, e)) < 0) {
                if (r == -ENOENT) {
                        err_clear(e);
                        return 0;
                }
                return err_prefix(e, "%s", path);
        }
        dir = r;
        int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : err_sys(e, errno, "%s", path);
        *ret_fd = fd;
        *ret_dir = steal_fd(&dir);
        *ret_name = steal_pointer(&name);
        return 0;
}

/* sec_mask_more for one path of the tree: masked (/dev/null over a file,
 * an empty read-only tmpfs over a directory) or made read-only. */
static int mask_tree_path(int root_fd, const char *path, bool ro, int *devnull_fd, int *empty_fd,
                          err_t *e)
{
        _cleanup_close_ int dir = -1, fd = -1;
        _cleanup_free_ char *name = NULL;
        int r = open_tree_path(root_fd, path, &dir, &name, &fd, e);
        if (r < 0 || fd < 0)
                return r;
        if (ro)
                return make_readonly(dir, name, fd, path, e);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", path);
        if (S_ISDIR(st.st_mode))
                return mask_dir(fd, empty_fd, path, e);
        if (*devnull_fd < 0 && (*devnull_fd = open_devnull(root_fd, e)) < 0)
                return *devnull_fd;
        return mask_file(*devnull_fd, fd, path, e);
}

int sec_mask_more(int root_fd, const strv *masked, const strv *readonly, err_t *e)
{
        _cleanup_close_ int proc_fd =
                openat(root_fd, "proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int sys_fd =
                openat(root_fd, "sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct statfs sfs;
        if (proc_fd >= 0 && (fstatfs(proc_fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)) {
                close(proc_fd);
                proc_fd = -1;
        }
        if (sys_fd >= 0 && (fstatfs(sys_fd, &sfs) < 0 || sfs.f_type != SYSFS_MAGIC)) {
                close(sys_fd);
                sys_fd = -1;
        }
        _cleanup_close_ int devnull_fd = -1, empty_fd = -1;
        for (size_t i = 0; masked && i < masked->n; i++) {
                int dfd = -1;
                unsigned long magic = 0;
                const char *rel = NULL;
                if (in_own_lists(masked->v[i]))
                        continue;
                if (!kernel_path(masked->v[i])) {
                        int r = mask_tree_path(root_fd, masked->v[i], false, &devnull_fd, &empty_fd,
                                               e);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!split_kernel_path(masked->v[i], proc_fd, sys_fd, &dfd, &magic, &rel))
                        continue;
                if (devnull_fd < 0 && (devnull_fd = open_devnull(root_fd, e)) < 0)
                        return devnull_fd;
                const char *const one[] = {rel};
                int r = mask_list(dfd, magic == SYSFS_MAGIC ? "/sys" : "/proc", magic, one, 1,
                                  devnull_fd, &empty_fd, e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; readonly && i < readonly->n; i++) {
                int dfd = -1;
                unsigned long magic = 0;
                const char *rel = NULL;
                if (in_own_lists(readonly->v[i]))
                        continue;
                if (!kernel_path(readonly->v[i])) {
                        int r = mask_tree_path(root_fd, readonly->v[i], true, &devnull_fd,
                                               &empty_fd, e);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!split_kernel_path(readonly->v[i], proc_fd, sys_fd, &dfd, &magic, &rel))
                        continue;
                _cleanup_close_ int fd = -1;
                int r = open_target(dfd, rel, magic, readonly->v[i], &fd, e);
                if (r < 0)
                        return r;
                if (fd >= 0 && (r = make_readonly(dfd, rel, fd, readonly->v[i], e)) < 0)
                        return r;
        }
        return 0;
}
