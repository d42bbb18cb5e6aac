/* The container's file system, built in its own mount namespace: every
 * mount private, the per-run tmpfs, the overlay, /dev, /proc, /sys, bind
 * mounts and tmpfs mounts, then pivot_root and detach the old root.
 * Every mount target inside the new root is resolved through the root
 * (fs_resolve_in_root), so a symlink in the image cannot aim a mount at the
 * host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                    const char *data, err_t *e)
{
        if (mount(src, dst, type, flags, data) < 0)
                return err_sys(e, errno, "mount %s on %s",
                               type                   ? type
                               : src                  ? src
                               : (flags & MS_REMOUNT) ? "(remount)"
                                                      : "?",
                               dst);
        return 0;
}

/* Make the missing path dst inside the tree at rootfd as a directory or
 * an empty file: parents first, and when dst itself is a dangling symlink,
 * what it points to (resolved within the tree). */
static int make_in_root(int rootfd, const char *dst, bool dir, err_t *e)
{
        _cleanup_free_ char *abs = NULL;
        if (dir)
                return rootfs_mkdir_p(rootfd, dst, &abs, e);
        _cleanup_free_ char *cur = path_normalize(dst);
        for (int hops = 0; hops <= 40; hops++) {
                _cleanup_free_ char *parent = path_dirname(cur);
                _cleanup_free_ char *pabs = NULL;
                int r = rootfs_mkdir_p(rootfd, parent, &pabs, e);
                if (r < 0)
                        return err_prefix(e, "mount point %s", dst);
                _cleanup_free_ char *prel = xasprintf(".%s", pabs);
                _cleanup_close_ int pfd =
                        openat(rootfd, prel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (pfd < 0)
                        return err_sys(e, errno, "mount point %s", dst);
                const char *base = path_basename(cur);
                char target[PATH_MAX];
                ssize_t tl = readlinkat(pfd, base, target, sizeof target - 1);
                if (tl >= 0) {
                        target[tl] = '\0';
                        _cleanup_free_ char *next =
                                target[0] == '/' ? xstrdup(target) : path_join(pabs, target);
                        free(cur);
                        cur = path_normalize(next);
                        continue;
                }
                int fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                                0644);
                if (fd < 0 && errno != EEXIST)
                        return err_sys(e, errno, "mount point %s", dst);
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        return err_set(e, -ELOOP, "mount point %s: too many levels of symbolic links", dst);
}

/* Find (making it when missing) the mount point dst inside the tree whose
 * host path is root; *ret is the host path of the resolved target. */
static int target_in_root(const char *root, const char *dst, bool dir, char **ret, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_free_ char *abs = NULL;
        err_t e2 = {0};
        int r = fs_resolve_in_root(rootfd, dst, true, &abs, &e2);
        _cleanup_free_ char *rel = r == 0 ? xasprintf(".%s", abs) : NULL;
        struct stat st;
        if (r == -ENOENT ||
            (r == 0 && fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)) {
                r = make_in_root(rootfd, dst, dir, e);
                if (r < 0)
                        return r;
                free(abs);
                abs = NULL;
                r = fs_resolve_in_root(rootfd, dst, true, &abs, &e2);
                free(rel);
                rel = r == 0 ? xasprintf(".%s", abs) : NULL;
        }
        if (r < 0)
                return err_set(e, r, "mount point %s: %s", dst, e2.msg);
        if (fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return err_sys(e, errno, "mount point %s", dst);
        if (S_ISLNK(st.st_mode))
                return err_set(e, -ELOOP, "mount point %s: a symbolic link", dst);
        if (dir != !!S_ISDIR(st.st_mode))
                return err_set(e, -ENOTDIR, "mount point %s: %s", dst,
                               dir ? "not a directory" : "is a directory");
        *ret = xasprintf("%s%s", root, abs);
        return 0;
}

static int mount_in_root(const char *root, const char *src, const char *dst, const char *type,
                         unsigned long flags, const char *data, bool dir, err_t *e)
{
        _cleanup_free_ char *t = NULL;
        int r = target_in_root(root, dst, dir, &t, e);
        if (r < 0)
                return r;
        return do_mount(src, t, type, flags, data, e);
}

/* Device nodes work only in runroot's own /dev: the image's tree (overlay,
 * in place or copied) and every bind mount get nodev, with every mount
 * below them, so a node shipped in an image or a host directory opens
 * nothing (--device is the way to hand one in). */
static int make_nodev(const char *t, err_t *e)
{
        struct mount_attr a = {.attr_set = MOUNT_ATTR_NODEV};
        if (mount_setattr(AT_FDCWD, t, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) == 0)
                return 0;
        if (errno != ENOSYS)
                return err_sys(e, errno, "make %s nodev", t);
        /* Before 5.12: the top mount alone. */
        struct statvfs sv;
        unsigned long keep = 0;
        if (statvfs(t, &sv) == 0) {
                if (sv.f_flag & ST_NOSUID)
                        keep |= MS_NOSUID;
                if (sv.f_flag & ST_NOEXEC)
                        keep |= MS_NOEXEC;
                if (sv.f_flag & ST_RDONLY)
                        keep |= MS_RDONLY;
        }
        return do_mount(NULL, t, NULL, MS_BIND | MS_REMOUNT | MS_NODEV | keep, NULL, e);
}

/* A bind mount made read-only; keep the flags the kernel locked on it
 * (in a user namespace a remount may not clear nosuid/nodev/...). */
static int remount_ro(const char *t, err_t *e)
{
        struct statvfs sv;
        unsigned long keep = 0;
        if (statvfs(t, &sv) == 0) {
                if (sv.f_flag & ST_NOSUID)
                        keep |= MS_NOSUID;
                if (sv.f_flag & ST_NODEV)
                        keep |= MS_NODEV;
                if (sv.f_flag & ST_NOEXEC)
                        keep |= MS_NOEXEC;
                if (sv.f_flag & ST_NOATIME)
                        keep |= MS_NOATIME;
                if (sv.f_flag & ST_RELATIME)
                        keep |= MS_RELATIME;
        }
        return do_mount(NULL, t, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL, e);
}

/* Bind src (or, when tree_fd is not -1, the detached copy of it that
 * slave_tree made) at dst inside root. */
static int bind_in_root(const char *root, const char *src, const char *dst, bool ro, int tree_fd,
                        uint64_t attrs, err_t *e)
{
        struct stat st;
        if (stat(src, &st) < 0)
                return err_sys(e, errno, "bind source %s", src);
        _cleanup_free_ char *t = NULL;
        int r = target_in_root(root, dst, S_ISDIR(st.st_mode), &t, e);
        if (r < 0)
                return r;
        if (tree_fd >= 0 && move_mount(tree_fd, "", AT_FDCWD, t, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                r = err_sys(e, errno, "bind %s on %s", src, t);
        else if (tree_fd < 0)
                r = do_mount(src, t, NULL, MS_BIND | MS_REC, NULL, e);
        if (r == 0)
                r = make_nodev(t, e);
        if (r == 0 && attrs) {
                /* -v's nosuid, noexec: the whole tree bound. */
                struct mount_attr a = {.attr_set = attrs};
                if (mount_setattr(AT_FDCWD, t, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) <
                    0)
                        r = err_sys(e, errno, "bind %s on %s: nosuid, noexec", src, t);
        }
        if (r < 0 || !ro)
                return r;
        return remount_ro(t, e);
}

/* --device: the host's node bound at its path; it must still be the node
 * that was checked and allowed in the device cgroup. */
static int setup_devices(const mount_plan *p, const char *root, err_t *e)
{
        for (size_t i = 0; i < p->ndevices; i++) {
                const cg_device *d = &p->devices[i];
                _cleanup_free_ char *t = NULL;
                int r = target_in_root(root, d->path, false, &t, e);
                if (r < 0)
                        return err_prefix(e, "--device %s", d->host);
                r = do_mount(d->host, t, NULL, MS_BIND, NULL, e);
                if (r < 0)
                        return err_prefix(e, "--device %s", d->host);
                struct stat st;
                if (stat(t, &st) < 0)
                        return err_sys(e, errno, "--device %s", d->host);
                if ((d->type == 'c' ? !S_ISCHR(st.st_mode) : !S_ISBLK(st.st_mode)) ||
                    major(st.st_rdev) != d->major || minor(st.st_rdev) != d->minor)
                        return err_set(e, -ENODEV, "--device %s: changed while starting", d->host);
        }
        return 0;
}

static int setup_dev(const char *root, bool userns, int64_t shm_size, err_t *e)
{
        _cleanup_free_ char *dev = NULL;
        int r = target_in_root(root, "/dev", true, &dev, e);
        if (r < 0)
                return r;
        r = do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536k", e);
        if (r < 0)
                return r;
        static const struct {
                const char *name;
                unsigned maj, min;
        } nodes[] = {
                {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
        };
        _cleanup_close_ int dfd = open(dev, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "%s", dev);
        mode_t old_umask = umask(0);
        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
                /* mknod is refused in a user namespace: bind the host's. */
                if (!userns && mknodat(dfd, nodes[i].name, S_IFCHR | 0666,
                                       makedev(nodes[i].maj, nodes[i].min)) == 0)
                        continue;
                if (mknodat(dfd, nodes[i].name, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
                        return err_sys(e, errno, "/dev/%s", nodes[i].name);
                _cleanup_free_ char *host = path_join("/dev", nodes[i].name);
                _cleanup_free_ char *p = path_join(dev, nodes[i].name);
                r = do_mount(host, p, NULL, MS_BIND, NULL, e);
                if (r < 0) {
                        umask(old_umask);
                        return r;
                }
        }
        umask(old_umask);
        if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0)
                return err_sys(e, errno, "/dev");
        _cleanup_free_ char *pts = path_join(dev, "pts");
        r = do_mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
                     userns ? "newinstance,ptmxmode=0666,mode=0620"
                            : "newinstance,ptmxmode=0666,mode=0620,gid=5",
                     e);
        if (r < 0)
                return r;
        _cleanup_free_ char *shm = path_join(dev, "shm");
        /* --shm-size, else docker's 64m */
        _cleanup_free_ char *shm_opts =
                xasprintf("mode=1777,size=%lld",
                          (long long)(shm_size > 0 ? shm_size : RUNNER_TMPFS_SIZE_DEFAULT));
        r = do_mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_opts, e);
        if (r < 0)
                return r;
        static const char *const links[][2] = {
                {"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
                {"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
                {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(links) - 1; i++)
                if (symlinkat(links[i][1], dfd, links[i][0]) < 0)
                        return err_sys(e, errno, "/dev/%s", links[i][0]);
        return 0;
}

/* Read-only unless privileged (as docker's). */
static int setup_sys(const char *root, bool writable, err_t *e)
{
        _cleanup_free_ char *t = NULL;
        int r = target_in_root(root, "/sys", true, &t, e);
        if (r < 0)
                return r;
        unsigned long fl = (writable ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (mount("sysfs", t, "sysfs", fl, NULL) == 0)
                return 0;
        /* Refused (a user namespace without its own network namespace):
         * the host's. */
        r = do_mount("/sys", t, NULL, MS_BIND | MS_REC, NULL, e);
        if (r < 0 || writable)
                return r;
        return remount_ro(t, e);
}

static int overlay_opts_path_ok(const char *p, err_t *e)
{
        if (strpbrk(p, ",:\\"))
                return err_set(e, -EINVAL, "%s: overlay cannot use a path with ',' ':' or '\\'", p);
        return 0;
}

/* The read-only root cannot grow mount points: make those of -v, --tmpfs
 * and --net host in the skeleton lower layer instead. */
static int skel_mount_points(const mount_plan *p, const char *skel, err_t *e)
{
        _cleanup_close_ int sfd = open(skel, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0)
                return err_sys(e, errno, "%s", skel);
        strv want = {0};
        strv dirs = {0};
        for (size_t i = 0; p->binds && i < p->binds->n; i++) {
                _cleanup_free_ char *spec = xstrdup(p->binds->v[i]);
                char *dst = strchr(spec, ':');
                if (!dst)
                        continue;
                *dst++ = '\0';
                char *mode = strchr(dst, ':');
                if (mode)
                        *mode = '\0';
                struct stat st;
                if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode))
                        strv_push(&dirs, dst);
                else
                        strv_push(&want, dst);
        }
        for (size_t i = 0; p->tmpfs && i < p->tmpfs->n; i++) {
                const char *spec = p->tmpfs->v[i];
                strv_push_take(&dirs, xstrndup(spec, strcspn(spec, ":")));
        }
        for (size_t i = 0; i < p->ndevices; i++)
                strv_push(&want, p->devices[i].path);
        if (p->net_host || (p->dns && p->dns->n))
                strv_push(&want, "/etc/resolv.conf");
        if (p->net_host || (p->add_hosts && p->add_hosts->n))
                strv_push(&want, "/etc/hosts");
        int r = 0;
        for (size_t i = 0; r == 0 && i < dirs.n; i++) {
                _cleanup_free_ char *n = path_normalize(dirs.v[i]);
                if (strcmp(n, "/") != 0)
                        r = fs_mkdir_p_at(sfd, n + 1, 0755, e);
        }
        for (size_t i = 0; r == 0 && i < want.n; i++) {
                _cleanup_free_ char *n = path_normalize(want.v[i]);
                _cleanup_free_ char *d = path_dirname(n);
                if (strcmp(d, "/") != 0)
                        r = fs_mkdir_p_at(sfd, d + 1, 0755, e);
                if (r == 0 && mknodat(sfd, n + 1, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
                        r = err_sys(e, errno, "%s", n);
        }
        strv_free(&want);
        strv_free(&dirs);
        return r;
}

/* runner_sandbox_host without overlay: a user namespace may not put
 * one over a tree with mounts it does not own below it (the host's /proc,
 * /sys, ...: "failed to clone lowerpath"). The host's tree then comes
 * read-only as it is (a recursive bind): writes fail instead of landing
 * in a private layer, and the host still cannot change. */
static int readonly_view(const char *lower, char *root, int why, char **ret_root, err_t *e)
{
        log_debug("overlay on the host's root refused (%s): a read-only view instead",
                  strerror(why));
        int r = do_mount(lower, root, NULL, MS_BIND | MS_REC, NULL, e);
        if (r < 0)
                return r;
        struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
        if (mount_setattr(AT_FDCWD, root, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) < 0)
                return err_sys(e, errno, "make %s read-only", root);
        *ret_root = xstrdup(root);
        return 0;
}

static int setup_root(const mount_plan *p, char **ret_root, err_t *e)
{
        if (p->in_place) {
                /* pivot_root needs a mount point. */
                int r = do_mount(p->lower, p->lower, NULL, MS_BIND | MS_REC, NULL, e);
                if (r == 0)
                        r = make_nodev(p->lower, e);
                if (r < 0)
                        return r;
                *ret_root = xstrdup(p->lower);
                return 0;
        }
        /* Upper and work live here: its size is the writable layer's
         * (--storage-opt size=). */
        _cleanup_free_ char *rundir_opts = xasprintf(
                "mode=0755,size=%lld",
                (long long)(p->layer_size > 0 ? p->layer_size : RUNNER_LAYER_SIZE_DEFAULT));
        int r = do_mount("tmpfs", p->rundir, "tmpfs", MS_NOSUID | MS_NODEV, rundir_opts, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = path_join(p->rundir, "root");
        if (mkdir(root, 0755) < 0)
                return err_sys(e, errno, "%s", root);
        const char *base = p->persist ? p->persist : p->rundir;
        _cleanup_free_ char *upper = path_join(base, "upper");
        _cleanup_free_ char *work = path_join(base, "work");
        _cleanup_free_ char *skel = path_join(p->rundir, "skel");
        /* p->lower may be a stack of layers, "top:...:bottom" (OCI images). */
        _cleanup_strv_ strv lowers = {0};
        for (const char *q = p->lower, *c; *q; q = *c ? c + 1 : c) {
                c = strchrnul(q, ':');
                strv_push_take(&lowers, xstrndup(q, (size_t)(c - q)));
        }
        for (size_t i = 0; i < lowers.n; i++)
                if ((r = overlay_opts_path_ok(lowers.v[i], e)) < 0)
                        return r;
        if ((r = overlay_opts_path_ok(base, e)) < 0)
                return r;
        _cleanup_free_ char *opts = NULL;
        if (p->read_only) {
                /* No upper: a second, tmpfs lower supplies the mount points
                 * the image may lack. */
                static const char *const mps[] = {"skel", "skel/dev", "skel/proc", "skel/sys",
                                                  "skel/tmp"};
                for (size_t i = 0; i < ARRAY_SIZE(mps); i++) {
                        _cleanup_free_ char *d = path_join(p->rundir, mps[i]);
                        if (mkdir(d, 0755) < 0)
                                return err_sys(e, errno, "%s", d);
                }
                r = skel_mount_points(p, skel, e);
                if (r < 0)
                        return r;
                opts = xasprintf("lowerdir=%s:%s", skel, p->lower);
        } else {
                if ((mkdir(upper, 0755) < 0 && errno != EEXIST) ||
                    (mkdir(work, 0700) < 0 && errno != EEXIST))
                        return err_sys(e, errno, "%s", upper);
                opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s", p->lower, upper, work,
                                 p->userns ? ",userxattr" : "");
        }
        /* RUNROOT_TEST_NO_OVERLAY: the tests' way to exercise the fallback
         * on kernels that do allow overlay in a user namespace. */
        bool refuse = p->userns && getenv("RUNROOT_TEST_NO_OVERLAY");
        if (refuse || mount("overlay", root, "overlay", MS_NODEV, opts) < 0) {
                int saved = refuse ? EPERM : errno;
                if (p->no_copy && p->userns)
                        return readonly_view(p->lower, root, saved, ret_root, e);
                if (!p->userns || p->read_only || p->persist || p->no_copy)
                        return err_sys(e, saved, "mount overlay on %s%s", root,
                                       saved == ENODEV ? " (no overlay support in this kernel)"
                                                       : "");
                /* Said once per cache; later runs copy quietly. */
                if (p->warn_marker && access(p->warn_marker, F_OK) < 0) {
                        log_warn("overlay refused in a user namespace (%s): each run uses a "
                                 "private copy of the image",
                                 strerror(saved));
                        close(open(p->warn_marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
                }
                if (lowers.n > 1)
                        return err_sys(e, saved, "mount overlay on %s (a layered image needs it)",
                                       root);
                r = mounts_copy_tree(p->lower, root, e);
                if (r < 0)
                        return r;
                /* pivot_root needs a mount point. */
                r = do_mount(root, root, NULL, MS_BIND | MS_REC, NULL, e);
                if (r == 0)
                        r = make_nodev(root, e);
                if (r < 0)
                        return r;
        }
        *ret_root = steal_pointer(&root);
        return 0;
}

void mounts_tmpfs_free(tmpfs_mount *t)
{
        free(t->dst);
        free(t->data);
        t->dst = t->data = NULL;
}

static bool all_digits(const char *s, const char *set)
{
        return *s && strspn(s, set) == strlen(s);
}

/* One option of --tmpfs: flags, or a key=value stored in its slot. */
static int tmpfs_option(const char *spec, const char *o, unsigned long *flags, char **size,
                        char **mode, char **uid, char **gid, char **inodes, err_t *e)
{
        static const struct {
                const char *name;
                unsigned long set, clear;
        } words[] = {
                {"ro", MS_RDONLY, 0},   {"rw", 0, MS_RDONLY},     {"noexec", MS_NOEXEC, 0},
                {"exec", 0, MS_NOEXEC}, {"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID},
                {"nodev", MS_NODEV, 0},
        };
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (!strcmp(o, words[i].name)) {
                        *flags = (*flags | words[i].set) & ~words[i].clear;
                        return 0;
                }
        if (!strcmp(o, "dev"))
                return err_set(e, -EINVAL,
                               "--tmpfs %s: dev: device nodes work only in /dev (use --device)",
                               spec);
        const char *eq = strchr(o, '=');
        if (!eq)
                return err_set(e, -EINVAL, "--tmpfs %s: unknown option \"%s\"", spec, o);
        _cleanup_free_ char *key = xstrndup(o, (size_t)(eq - o));
        const char *v = eq + 1;
        int64_t n = 0;
        if (!strcmp(key, "size")) {
                size_t len = strlen(v);
                if (len > 1 && v[len - 1] == '%') {
                        _cleanup_free_ char *pct = xstrndup(v, len - 1);
                        if (!all_digits(pct, "0123456789") || atoi(pct) < 1 || atoi(pct) > 100)
                                return err_set(
                                        e, -EINVAL,
                                        "--tmpfs %s: size=%s: expected 1%% to 100%% of memory",
                                        spec, v);
                        free(*size);
                        *size = xstrdup(v);
                        return 0;
                }
                if (parse_size(v, &n) < 0)
                        return err_set(e, -EINVAL,
                                       "--tmpfs %s: size=%s: expected a size such as 64m (k, m, g)",
                                       spec, v);
                /* tmpfs takes 0 as "no limit" */
                if (n < 4096)
                        return err_set(e, -EINVAL, "--tmpfs %s: size=%s: at least 4k", spec, v);
                free(*size);
                *size = xasprintf("%lld", (long long)n);
                return 0;
        }
        if (!strcmp(key, "mode")) {
                if (!all_digits(v, "01234567") || strlen(v) > 5 || strtol(v, NULL, 8) > 07777)
                        return err_set(e, -EINVAL,
                                       "--tmpfs %s: mode=%s: expected an octal mode such as 1777",
                                       spec, v);
                free(*mode);
                *mode = xasprintf("%lo", strtol(v, NULL, 8));
                return 0;
        }
        if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
                errno = 0;
                unsigned long long id = strtoull(v, NULL, 10);
                if (!all_digits(v, "0123456789") || errno || id >= UINT32_MAX)
                        return err_set(e, -EINVAL, "--tmpfs %s: %s=%s: expected a number", spec,
                                       key, v);
                char **slot = key[0] == 'u' ? uid : gid;
                free(*slot);
                *slot = xasprintf("%llu", id);
                return 0;
        }
        if (!strcmp(key, "nr_inodes")) {
                if (parse_size(v, &n) < 0 || n < 1)
                        return err_set(e, -EINVAL,
                                       "--tmpfs %s: nr_inodes=%s: expected a positive number "
                                       "(k, m, g)",
                                       spec, v);
                free(*inodes);
                *inodes = xasprintf("%lld", (long long)n);
                return 0;
        }
        return err_set(e, -EINVAL, "--tmpfs %s: unknown option \"%s\"", spec, key);
}

int mounts_tmpfs_parse(const char *spec, tmpfs_mount *ret, err_t *e)
{
        const char *colon = strchr(spec, ':');
        _cleanup_free_ char *dst = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
        if (dst[0] != '/')
                return err_set(e, -EINVAL, "--tmpfs %s: must be absolute", spec);
        unsigned long flags = MS_NOSUID | MS_NODEV;
        _cleanup_free_ char *size = xasprintf("%lld", (long long)RUNNER_TMPFS_SIZE_DEFAULT);
        _cleanup_free_ char *mode = xstrdup("1777"), *uid = NULL, *gid = NULL, *inodes = NULL;
        if (colon) {
                const char *q = colon + 1;
                for (;;) {
                        size_t len = strcspn(q, ",");
                        _cleanup_free_ char *o = xstrndup(q, len);
                        if (!*o)
                                return err_set(e, -EINVAL, "--tmpfs %s: empty option", spec);
                        int r = tmpfs_option(spec, o, &flags, &size, &mode, &uid, &gid, &inodes, e);
                        if (r < 0)
                                return r;
                        if (!q[len])
                                break;
                        q += len + 1;
                }
        }
        strbuf b = {0};
        sb_appendf(&b, "mode=%s,size=%s", mode, size);
        if (uid)
                sb_appendf(&b, ",uid=%s", uid);
        if (gid)
                sb_appendf(&b, ",gid=%s", gid);
        if (inodes)
                sb_appendf(&b, ",nr_inodes=%s", inodes);
        *ret = (tmpfs_mount){.dst = steal_pointer(&dst), .flags = flags, .data = sb_steal(&b)};
        return 0;
}

typedef struct user_mount {
        char *src; /* NULL for a tmpfs */
        char *dst;
        bool ro;
        bool slave;     /* rslave (or slave): the host's mounts below src propagate in */
        uint64_t attrs; /* MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOEXEC (binds are always nodev) */
        int tree_fd;    /* slave: the detached copy of src made before anything is private */
        unsigned long tmpfs_flags;
        char *tmpfs_data;
        size_t depth;
        size_t order;
} user_mount;

typedef struct user_mounts {
        user_mount *v;
        size_t n;
} user_mounts;

static void user_mounts_free(user_mounts *u)
{
        for (size_t i = 0; i < u->n; i++) {
                free(u->v[i].src);
                free(u->v[i].dst);
                free(u->v[i].tmpfs_data);
                if (u->v[i].tree_fd >= 0)
                        close(u->v[i].tree_fd);
        }
        free(u->v);
        u->v = NULL;
        u->n = 0;
}

/* The mode field of -v SRC:DST:MODE, docker's comma-separated list: ro or
 * rw, and a propagation: private or rprivate (what every mount here is),
 * slave or rslave. Shared ones would let the container's mounts reach the
 * host: refused. */
static int bind_modes(const char *spec, const char *modes, user_mount *m, err_t *e)
{
        if (!*modes)
                return err_set(e, -EINVAL, "-v %s: unknown mode \"\"", spec);
        _cleanup_free_ char *copy = xstrdup(modes);
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (!strcmp(w, "ro") || !strcmp(w, "rw"))
                        m->ro = w[1] == 'o';
                else if (!strcmp(w, "slave") || !strcmp(w, "rslave"))
                        m->slave = true;
                else if (!strcmp(w, "nosuid"))
                        m->attrs |= MOUNT_ATTR_NOSUID;
                else if (!strcmp(w, "noexec"))
                        m->attrs |= MOUNT_ATTR_NOEXEC;
                else if (!strcmp(w, "nodev"))
                        ; /* every bind is */
                else if (!strcmp(w, "private") || !strcmp(w, "rprivate"))
                        m->slave = false;
                else if (!strcmp(w, "shared") || !strcmp(w, "rshared"))
                        return err_set(e, -ENOTSUP,
                                       "-v %s: %s: not supported (the container's mounts never "
                                       "reach the host: private, rprivate, slave or rslave)",
                                       spec, w);
                else
                        return err_set(e, -EINVAL, "-v %s: unknown mode \"%s\"", spec, w);
        }
        return 0;
}

static size_t path_depth(const char *p)
{
        _cleanup_free_ char *n = path_normalize(p);
        size_t d = 0;
        for (const char *c = n; *c; c++)
                d += *c == '/';
        return strcmp(n, "/") ? d : 0;
}

static int user_mount_cmp(const void *a, const void *b)
{
        const user_mount *x = a, *y = b;
        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

/* -v and --tmpfs, shallowest destination first (as docker does), so that
 * --tmpfs /data -v X:/data/x puts the bind inside the tmpfs. */
static int parse_user_mounts(const mount_plan *p, user_mounts *ret, err_t *e)
{
        size_t nb = p->binds ? p->binds->n : 0, nt = p->tmpfs ? p->tmpfs->n : 0, n = 0;
        user_mount *m = xcalloc(nb + nt + 1, sizeof *m);
        for (size_t i = 0; i < nb + nt; i++)
                m[i].tree_fd = -1;
        int r = 0;
        for (size_t i = 0; i < nb && r == 0; i++) {
                const char *spec = p->binds->v[i];
                const char *c1 = strchr(spec, ':');
                if (!c1) {
                        r = err_set(e, -EINVAL, "-v %s: expected SRC:DST[:ro]", spec);
                        break;
                }
                const char *c2 = strchr(c1 + 1, ':');
                m[n].src = xstrndup(spec, (size_t)(c1 - spec));
                m[n].dst = c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
                if (c2)
                        r = bind_modes(spec, c2 + 1, &m[n], e);
                if (r == 0 && m[n].dst[0] != '/')
                        r = err_set(e, -EINVAL, "-v %s: destination must be absolute", spec);
                m[n].depth = path_depth(m[n].dst);
                m[n].order = n;
                n++;
        }
        for (size_t i = 0; i < nt && r == 0; i++) {
                tmpfs_mount t = {0};
                r = mounts_tmpfs_parse(p->tmpfs->v[i], &t, e);
                if (r < 0)
                        break;
                m[n].dst = steal_pointer(&t.dst);
                m[n].tmpfs_data = steal_pointer(&t.data);
                m[n].tmpfs_flags = t.flags;
                m[n].depth = path_depth(m[n].dst);
                m[n].order = n;
                n++;
        }
        qsort(m, n, sizeof *m, user_mount_cmp);
        *ret = (user_mounts){.v = m, .n = n};
        return r;
}

/* For the slave binds, while the mount namespace is still the host's copy
 * (its mounts peers of the host's): a detached copy of each source, made
 * a slave, so that what the host mounts below it later shows inside and
 * nothing goes the other way. Everything else is made private next. */
static int slave_trees(user_mounts *u, err_t *e)
{
        for (size_t i = 0; i < u->n; i++) {
                user_mount *m = &u->v[i];
                if (!m->slave)
                        continue;
                m->tree_fd = open_tree(AT_FDCWD, m->src,
                                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (m->tree_fd < 0)
                        return err_sys(e, errno, "bind source %s", m->src);
                struct mount_attr a = {.propagation = MS_SLAVE};
                if (mount_setattr(m->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
                        return err_sys(e, errno, "bind source %s: make it a slave", m->src);
        }
        return 0;
}

static int setup_binds(const mount_plan *p, const char *root, const user_mounts *u, err_t *e)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < u->n; i++) {
                const user_mount *m = &u->v[i];
                if (m->src)
                        r = bind_in_root(root, m->src, m->dst, m->ro, m->tree_fd, m->attrs, e);
                else
                        r = mount_in_root(root, "tmpfs", m->dst, "tmpfs", m->tmpfs_flags,
                                          m->tmpfs_data, true, e);
        }
        if (r < 0)
                return r;
        if (p->net_host) {
                static const char *const files[] = {"/etc/resolv.conf", "/etc/hosts"};
                for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                        if (access(files[i], R_OK) < 0)
                                continue;
                        r = bind_in_root(root, files[i], files[i], true, -1, 0, e);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The tree's file path (what the image, -v or --net host put there), or
 * an empty string when it has none. */
static char *read_in_root(const char *root, const char *path)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        if (rootfd < 0 || fs_read_file_in_root(rootfd, path, 1 << 20, &data, &len, &e2) < 0)
                return xstrdup("");
        if (strlen(data) != len) /* a NUL inside: not a text file */
                data[0] = '\0';
        return data;
}

/* Write text as the file name in the run's tmpfs and bind it over path
 * in the tree (writable, as docker's). */
static int bind_generated(const mount_plan *p, const char *root, const char *name, const char *path,
                          const char *text, err_t *e)
{
        _cleanup_free_ char *src = path_join(p->rundir, name);
        _cleanup_close_ int fd =
                open(src, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return err_sys(e, errno, "%s", src);
        int r = fd_write_all(fd, text, strlen(text));
        if (r < 0)
                return err_set(e, r, "%s: %s", src, strerror(-r));
        return bind_in_root(root, src, path, false, -1, 0, e);
}

/* --add-host and --dns: the tree's /etc/hosts with "IP NAME" lines added
 * (localhost's lines when it has none), its /etc/resolv.conf with the
 * nameserver lines replaced by the --dns ones. */
static int setup_etc_files(const mount_plan *p, const char *root, err_t *e)
{
        int r = 0;
        if (p->add_hosts && p->add_hosts->n) {
                _cleanup_free_ char *base = read_in_root(root, "/etc/hosts");
                _cleanup_(sb_free) strbuf text = {0};
                sb_append(&text, *base ? base
                                       : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                         "ip6-loopback\n");
                if (text.s[text.len - 1] != '\n')
                        sb_append(&text, "\n");
                for (size_t i = 0; i < p->add_hosts->n; i++) {
                        const char *spec = p->add_hosts->v[i];
                        const char *colon = strchrnul(spec, ':');
                        sb_appendf(&text, "%s\t%.*s\n", *colon ? colon + 1 : "",
                                   (int)(colon - spec), spec);
                }
                r = bind_generated(p, root, "hosts", "/etc/hosts", text.s, e);
                if (r < 0)
                        return err_prefix(e, "--add-host");
        }
        if (p->dns && p->dns->n) {
                _cleanup_free_ char *base = read_in_root(root, "/etc/resolv.conf");
                _cleanup_(sb_free) strbuf text = {0};
                for (const char *l = base, *nl; *l; l = *nl ? nl + 1 : nl) {
                        nl = strchrnul(l, '\n');
                        const char *w = l + strspn(l, " \t");
                        if (!strncmp(w, "nameserver", 10) && w[10] && strchr(" \t", w[10]))
                                continue;
                        sb_appendn(&text, l, (size_t)(nl - l));
                        sb_append(&text, "\n");
                }
                for (size_t i = 0; i < p->dns->n; i++)
                        sb_appendf(&text, "nameserver %s\n", p->dns->v[i]);
                r = bind_generated(p, root, "resolv.conf", "/etc/resolv.conf", text.s, e);
                if (r < 0)
                        return err_prefix(e, "--dns");
        }
        return 0;
}

int mounts_setup(const mount_plan *p, err_t *e)
{
        _cleanup_(user_mounts_free) user_mounts u = {0};
        int r = parse_user_mounts(p, &u, e);
        if (r == 0)
                r = slave_trees(&u, e);
        if (r == 0)
                r = do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = NULL;
        r = setup_root(p, &root, e);
        if (r < 0)
                return r;
        /* The kernel's file systems go on real directories: an image
         * whose /proc, /sys or /dev is a symlink is refused (as runc does),
         * since the masking of /proc paths works on the path itself. */
        static const char *const fixed[] = {"dev", "proc", "sys"};
        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
                _cleanup_free_ char *fp = path_join(root, fixed[i]);
                struct stat st;
                if (lstat(fp, &st) == 0 && !S_ISDIR(st.st_mode))
                        return err_set(e, -EINVAL, "image: /%s is not a directory", fixed[i]);
        }
        if ((r = setup_dev(root, p->userns, p->shm_size, e)) < 0)
                return err_prefix(e, "/dev");
        if ((r = setup_devices(p, root, e)) < 0)
                return r;
        if (p->mqueue && (r = mount_in_root(root, "mqueue", "/dev/mqueue", "mqueue",
                                            MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, e)) < 0)
                return r;
        if ((r = mount_in_root(root, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               NULL, true, e)) < 0)
                return r;
        if ((r = setup_sys(root, p->privileged, e)) < 0)
                return r;
        if ((r = setup_binds(p, root, &u, e)) < 0)
                return r;
        if ((r = setup_etc_files(p, root, e)) < 0)
                return r;
        if (p->in_place && p->read_only) {
                /* The root's own mount only: /dev, /proc and the binds on
                 * it keep their flags. */
                struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
                if (mount_setattr(AT_FDCWD, root, AT_SYMLINK_NOFOLLOW, &a, sizeof a) < 0)
                        return err_sys(e, errno, "make %s read-only", root);
        }

        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0 || fchdir(rfd) < 0)
                return err_sys(e, errno, "%s", root);
        /* Stack the old root under the new one, then detach it. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return err_sys(e, errno, "pivot_root %s", root);
        if (umount2(".", MNT_DETACH) < 0)
                return err_sys(e, errno, "detach the old root");
        if (chdir("/") < 0)
                return err_sys(e, errno, "chdir /");
        for (size_t i = 0; p->sysctls && i < p->sysctls->n; i++) {
                const char *kv = p->sysctls->v[i];
                const char *eq = strchr(kv, '=');
                if (!eq)
                        continue;
                _cleanup_free_ char *path = xasprintf("/proc/sys/%.*s", (int)(eq - kv), kv);
                for (char *c = path + 10; *c; c++)
                        if (*c == '.')
                                *c = '/';
                _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                size_t n = strlen(eq + 1);
                if (fd < 0 || write(fd, eq + 1, n) != (ssize_t)n)
                        return err_sys(e, errno, "linux.sysctl %.*s", (int)(eq - kv), kv);
        }
        if (p->privileged)
                return 0;
        _cleanup_close_ int nfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (nfd < 0)
                return err_sys(e, errno, "/");
        r = sec_mask_paths(nfd, e);
        if (r < 0)
                return err_prefix(e, "mask /proc paths");
        if ((p->masked && p->masked->n) || (p->readonly_paths && p->readonly_paths->n)) {
                r = sec_mask_more(nfd, p->masked, p->readonly_paths, e);
                if (r < 0)
                        return err_prefix(e, "maskedPaths, readonlyPaths");
        }
        return 0;
}
