/* The container's file system, built in its own mount namespace: every
 * mount private, the per-run tmpfs, the overlay, /dev, /proc, /sys, bind
 * mounts and tmpfs mounts, then pivot_root and detach the old root.
 * Every mount target inside the new root is resolved through the root
 * (fs_resolve_in_root), so a symlink in the image cannot aim a mount at the
 * host. mounts-util.c holds the mount helpers, mounts-user.c the mounts
 * the user asks for (-v with its modes, --tmpfs); this file puts them
 * together. */
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
#include "mounts-setup.h"

/* --device: the host's node bound at its path; it must still be the node
 * that was checked and allowed in the device cgroup. */
static int setup_devices(const mount_plan *p, const char *root, err_t *e)
{
        for (size_t i = 0; i < p->ndevices; i++) {
                const cg_device *d = &p->devices[i];
                if (!d->host)
                        continue; /* a rule alone */
                _cleanup_free_ char *t = NULL;
                int r = mounts_target_in_root(root, d->path, false, &t, e);
                if (r < 0)
                        return err_prefix(e, "--device %s", d->host);
                r = mounts_do(d->host, t, NULL, MS_BIND, NULL, e);
                if (r < 0)
                        return err_prefix(e, "--device %s", d->host);
                struct stat st;
                if (stat(t, &st) < 0)
                        return err_sys(e, errno, "--device %s", d->host);
                if ((d->type == 'c' ? !S_ISCHR(st.st_mode) : !S_ISBLK(st.st_mode)) ||
                    (long)major(st.st_rdev) != d->major || (long)minor(st.st_rdev) != d->minor)
                        return err_set(e, -ENODEV, "--device %s: changed while starting", d->host);
        }
        return 0;
}

static int setup_dev(const char *root, bool userns, int64_t shm_size, err_t *e)
{
        _cleanup_free_ char *dev = NULL;
        int r = mounts_target_in_root(root, "/dev", true, &dev, e);
        if (r < 0)
                return r;
        r = mounts_do("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536k", e);
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
                r = mounts_do(host, p, NULL, MS_BIND, NULL, e);
                if (r < 0) {
                        umask(old_umask);
                        return r;
                }
        }
        umask(old_umask);
        if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0)
                return err_sys(e, errno, "/dev");
        _cleanup_free_ char *pts = path_join(dev, "pts");
        r = mounts_do("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
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
        r = mounts_do("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_opts, e);
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

/* OCI's linux.devices: each node made with its numbers, mode and owner
 * in runroot's /dev (the one tmpfs of the container that is not nodev),
 * its directories made as needed; a symlink on the way is refused. */
static int setup_nodes(const mount_plan *p, const char *root, err_t *e)
{
        if (!p->nnodes)
                return 0;
        _cleanup_free_ char *dev = path_join(root, "dev");
        _cleanup_close_ int dfd = open(dev, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return err_sys(e, errno, "/dev");
        mode_t old_umask = umask(0);
        int r = 0;
        for (size_t i = 0; r == 0 && i < p->nnodes; i++) {
                const runner_dev_node *n = &p->nodes[i];
                _cleanup_free_ char *rel = xstrdup(n->path + strlen("/dev/"));
                _cleanup_close_ int at = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
                char *name = rel, *slash;
                while (at >= 0 && (slash = strchr(name, '/'))) {
                        *slash = 0;
                        if (mkdirat(at, name, 0755) < 0 && errno != EEXIST) {
                                close(steal_fd(&at));
                                break;
                        }
                        int next = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        close(at);
                        at = next;
                        name = slash + 1;
                }
                mode_t type = n->type == 'b' ? S_IFBLK : n->type == 'p' ? S_IFIFO : S_IFCHR;
                if (at < 0 ||
                    mknodat(at, name, type | (n->mode & 07777), makedev(n->major, n->minor)) < 0 ||
                    fchownat(at, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
                        r = err_sys(e, errno, "linux.devices: %s", n->path);
        }
        umask(old_umask);
        return r;
}

/* Read-only unless privileged (as docker's). */
static int setup_sys(const char *root, bool writable, err_t *e)
{
        _cleanup_free_ char *t = NULL;
        int r = mounts_target_in_root(root, "/sys", true, &t, e);
        if (r < 0)
                return r;
        unsigned long fl = (writable ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (mount("sysfs", t, "sysfs", fl, NULL) == 0)
                return 0;
        /* Refused (a user namespace without its own network namespace):
         * the host's. */
        r = mounts_do("/sys", t, NULL, MS_BIND | MS_REC, NULL, e);
        if (r < 0 || writable)
                return r;
        return mounts_remount_ro(t, e);
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
                if (p->devices[i].path)
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
        int r = mounts_do(lower, root, NULL, MS_BIND | MS_REC, NULL, e);
        if (r < 0)
                return r;
        struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
        if (mount_setattr(AT_FDCWD, root, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) < 0)
                return err_sys(e, errno, "make %s read-only", root);
        *ret_root = xstrdup(root);
        return 0;
}

/* rootfsPropagation slave or rslave: the root's tree cloned before every
 * mount is made private, made a slave of the host's (its submounts too
 * with rslave), for setup_root to put in place. */
static int root_slave_tree(const mount_plan *p, int *ret_fd, err_t *e)
{
        *ret_fd = -1;
        if (!p->in_place || !p->root_slave)
                return 0;
        _cleanup_close_ int fd =
                open_tree(AT_FDCWD, p->lower, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd < 0)
                return err_sys(e, errno, "%s: clone the root", p->lower);
        struct mount_attr a = {.propagation = MS_SLAVE};
        if (mount_setattr(fd, "", AT_EMPTY_PATH | (p->root_slave == 2 ? AT_RECURSIVE : 0), &a,
                          sizeof a) < 0)
                return err_sys(e, errno, "%s: make the root a slave", p->lower);
        *ret_fd = steal_fd(&fd);
        return 0;
}

static int setup_root(const mount_plan *p, int slave_fd, char **ret_root, err_t *e)
{
        if (p->in_place) {
                /* pivot_root needs a mount point. */
                int r = slave_fd >= 0
                                ? (move_mount(slave_fd, "", AT_FDCWD, p->lower,
                                              MOVE_MOUNT_F_EMPTY_PATH) < 0
                                           ? err_sys(e, errno, "%s: put the root in place",
                                                     p->lower)
                                           : 0)
                                : mounts_do(p->lower, p->lower, NULL, MS_BIND | MS_REC, NULL, e);
                if (r == 0)
                        r = mounts_make_nodev(p->lower, e);
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
        int r = mounts_do("tmpfs", p->rundir, "tmpfs", MS_NOSUID | MS_NODEV, rundir_opts, e);
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
                r = mounts_do(root, root, NULL, MS_BIND | MS_REC, NULL, e);
                if (r == 0)
                        r = mounts_make_nodev(root, e);
                if (r < 0)
                        return r;
        }
        *ret_root = steal_pointer(&root);
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
        return mounts_bind_in_root(root, src, path, false, -1, 0, e);
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
        _cleanup_(mounts_user_free) user_mounts u = {0};
        int r = mounts_user_parse(p, &u, e);
        if (r == 0)
                r = mounts_user_slave_trees(&u, e);
        _cleanup_close_ int slave_fd = -1;
        if (r == 0)
                r = root_slave_tree(p, &slave_fd, e);
        if (r == 0)
                r = mounts_do(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = NULL;
        r = setup_root(p, slave_fd, &root, e);
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
        if ((r = setup_dev(root, p->userns, p->shm_size, e)) < 0 ||
            (r = setup_nodes(p, root, e)) < 0)
                return err_prefix(e, "/dev");
        if ((r = setup_devices(p, root, e)) < 0)
                return r;
        if (p->mqueue && (r = mounts_in_root(root, "mqueue", "/dev/mqueue", "mqueue",
                                             MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, e)) < 0)
                return r;
        if ((r = mounts_in_root(root, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                NULL, true, e)) < 0)
                return r;
        if ((r = setup_sys(root, p->privileged, e)) < 0)
                return r;
        if ((r = mounts_user_setup(p, root, &u, e)) < 0)
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
        if (p->before_pivot && (r = p->before_pivot(p->before_pivot_ctx, e)) < 0)
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
