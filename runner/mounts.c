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

static int bind_in_root(const char *root, const char *src, const char *dst, bool ro, err_t *e)
{
        struct stat st;
        if (stat(src, &st) < 0)
                return err_sys(e, errno, "bind source %s", src);
        _cleanup_free_ char *t = NULL;
        int r = target_in_root(root, dst, S_ISDIR(st.st_mode), &t, e);
        if (r < 0)
                return r;
        r = do_mount(src, t, NULL, MS_BIND | MS_REC, NULL, e);
        if (r < 0 || !ro)
                return r;
        return remount_ro(t, e);
}

static int setup_dev(const char *root, bool userns, err_t *e)
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
        r = do_mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
                     e);
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

static int setup_sys(const char *root, err_t *e)
{
        _cleanup_free_ char *t = NULL;
        int r = target_in_root(root, "/sys", true, &t, e);
        if (r < 0)
                return r;
        unsigned long fl = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (mount("sysfs", t, "sysfs", fl, NULL) == 0)
                return 0;
        /* Refused (a user namespace without its own network namespace):
         * the host's, read-only. */
        r = do_mount("/sys", t, NULL, MS_BIND | MS_REC, NULL, e);
        if (r < 0)
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
        for (size_t i = 0; p->tmpfs && i < p->tmpfs->n; i++)
                strv_push(&dirs, p->tmpfs->v[i]);
        if (p->net_host) {
                strv_push(&want, "/etc/resolv.conf");
                strv_push(&want, "/etc/hosts");
        }
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

static int setup_root(const mount_plan *p, char **ret_root, err_t *e)
{
        if (p->in_place) {
                /* pivot_root needs a mount point. */
                int r = do_mount(p->lower, p->lower, NULL, MS_BIND | MS_REC, NULL, e);
                if (r < 0)
                        return r;
                *ret_root = xstrdup(p->lower);
                return 0;
        }
        int r = do_mount("tmpfs", p->rundir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", e);
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
        if (refuse || mount("overlay", root, "overlay", 0, opts) < 0) {
                int saved = refuse ? EPERM : errno;
                if (!p->userns || p->read_only || p->persist)
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
                if (r < 0)
                        return r;
        }
        *ret_root = steal_pointer(&root);
        return 0;
}

typedef struct user_mount {
        char *src; /* NULL for a tmpfs */
        char *dst;
        bool ro;
        size_t depth;
        size_t order;
} user_mount;

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
static int parse_user_mounts(const mount_plan *p, user_mount **ret, size_t *ret_n, err_t *e)
{
        size_t nb = p->binds ? p->binds->n : 0, nt = p->tmpfs ? p->tmpfs->n : 0, n = 0;
        user_mount *m = xcalloc(nb + nt + 1, sizeof *m);
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
                if (c2 && !strcmp(c2 + 1, "ro"))
                        m[n].ro = true;
                else if (c2 && strcmp(c2 + 1, "rw") != 0)
                        r = err_set(e, -EINVAL, "-v %s: unknown mode \"%s\"", spec, c2 + 1);
                else if (m[n].dst[0] != '/')
                        r = err_set(e, -EINVAL, "-v %s: destination must be absolute", spec);
                m[n].depth = path_depth(m[n].dst);
                m[n].order = n;
                n++;
        }
        for (size_t i = 0; i < nt && r == 0; i++) {
                m[n].dst = xstrdup(p->tmpfs->v[i]);
                if (m[n].dst[0] != '/')
                        r = err_set(e, -EINVAL, "--tmpfs %s: must be absolute", m[n].dst);
                m[n].depth = path_depth(m[n].dst);
                m[n].order = n;
                n++;
        }
        qsort(m, n, sizeof *m, user_mount_cmp);
        *ret = m;
        *ret_n = n;
        return r;
}

static int setup_binds(const mount_plan *p, const char *root, err_t *e)
{
        user_mount *m = NULL;
        size_t n = 0;
        int r = parse_user_mounts(p, &m, &n, e);
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (m[i].src)
                        r = bind_in_root(root, m[i].src, m[i].dst, m[i].ro, e);
                else
                        r = mount_in_root(root, "tmpfs", m[i].dst, "tmpfs", MS_NOSUID | MS_NODEV,
                                          "mode=1777", true, e);
        }
        for (size_t i = 0; i < n; i++) {
                free(m[i].src);
                free(m[i].dst);
        }
        free(m);
        if (r < 0)
                return r;
        if (p->net_host) {
                static const char *const files[] = {"/etc/resolv.conf", "/etc/hosts"};
                for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                        if (access(files[i], R_OK) < 0)
                                continue;
                        r = bind_in_root(root, files[i], files[i], true, e);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int mounts_setup(const mount_plan *p, err_t *e)
{
        int r = do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, e);
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
        if ((r = setup_dev(root, p->userns, e)) < 0)
                return err_prefix(e, "/dev");
        if ((r = mount_in_root(root, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               NULL, true, e)) < 0)
                return r;
        if ((r = setup_sys(root, e)) < 0)
                return r;
        if ((r = setup_binds(p, root, e)) < 0)
                return r;

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
        _cleanup_close_ int nfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (nfd < 0)
                return err_sys(e, errno, "/");
        r = sec_mask_paths(nfd, e);
        if (r < 0)
                return err_prefix(e, "mask /proc paths");
        return 0;
}
