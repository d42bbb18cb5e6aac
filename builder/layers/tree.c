/* Layers onto trees: apply a layer archive to a directory (through the one
 * extractor: whiteouts, opaque directories, every path resolved inside the
 * root, every write checked), and find what a step changed in a tree
 * (snapshot, diff -> staged layer). */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "extract.h"
#include "layers.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* ---- applying an archive: the one extractor ----------------------------- */

void lay_fixups_apply(int rootfd, strmap *fx)
{
        xt_dir_times_apply(rootfd, fx);
}

static void owner_record(void *ud, const char *path, uid_t uid, gid_t gid)
{
        lay_owner *w = xmalloc(sizeof(*w));
        *w = (lay_owner){uid, gid};
        free(strmap_put(ud, path, w));
}

int lay_apply(int rootfd, const char *archive, const lay_apply_opts *o, strmap *fixups, err_t *e)
{
        _cleanup_close_ int fd = open(archive, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", archive);
        xt_opts xo = {
                .label = archive,
                .whiteouts = o->whiteouts ? XT_WHITEOUTS_APPLY : XT_WHITEOUTS_KEEP,
                .owners = geteuid() == 0 ? XT_OWNERS_TRY : XT_OWNERS_CALLER,
                .devices = XT_DEVICES_CREATE,
                .skip_existing = o->skip_existing,
                .keep = o->keep,
                .keep_dirs = o->keep_dirs,
                .dir_times = fixups,
                .on_owner = o->owners ? owner_record : NULL,
                .on_owner_ud = o->owners,
        };
        return xt_extract_fd(fd, rootfd, &xo, NULL, NULL, e);
}

/* ---- snapshots and diffs ----------------------------------------------- */

typedef struct sig {
        mode_t mode;
        uid_t uid;
        gid_t gid;
        off_t size;
        ino_t ino;
        dev_t rdev;
        struct timespec mtim, ctim;
} sig;

struct lay_snap {
        strmap *m; /* path -> sig */
        strv paths;
};

void lay_snap_free(lay_snap *s)
{
        if (!s)
                return;
        strmap_free(s->m);
        strv_free(&s->paths);
        free(s);
}

static int snap_walk(lay_snap *s, int dfd, const char *rel, dev_t dev, err_t *e)
{
        _cleanup_close_ int fd =
                openat(dfd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", rel);
        _cleanup_strv_ strv names = {0};
        int rd = fs_list_dir_at(fd, ".", &names);
        if (rd < 0)
                return err_sys(e, -rd, "%s", rel);
        _cleanup_strv_ strv subdirs = {0};
        for (size_t i = 0; i < names.n; i++) {
                const char *name = names.v[i];
                struct stat st;
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return err_sys(e, errno, "%s/%s", rel, name);
                if (st.st_dev != dev)
                        continue; /* a mount point's contents are not the tree's */
                char *p = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
                sig *g = xmalloc(sizeof(*g));
                *g = (sig){.mode = st.st_mode,
                           .uid = st.st_uid,
                           .gid = st.st_gid,
                           .size = S_ISDIR(st.st_mode) ? 0 : st.st_size,
                           .ino = st.st_ino,
                           .rdev = st.st_rdev,
                           .mtim = st.st_mtim,
                           .ctim = st.st_ctim};
                strmap_put(s->m, p, g);
                strv_push(&s->paths, p);
                if (S_ISDIR(st.st_mode))
                        strv_push(&subdirs, p);
                free(p);
        }
        for (size_t i = 0; i < subdirs.n; i++) {
                int r = snap_walk(s, dfd, subdirs.v[i], dev, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int lay_snap_take(const char *root, lay_snap **ret, err_t *e)
{
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return err_sys(e, errno, "%s", root);
        struct stat st;
        if (fstat(rfd, &st) < 0)
                return err_sys(e, errno, "%s", root);
        lay_snap *s = xcalloc(1, sizeof(*s));
        s->m = strmap_new_with_free(free);
        int r = snap_walk(s, rfd, "", st.st_dev, e);
        if (r < 0) {
                lay_snap_free(s);
                return r;
        }
        if (s->paths.n > 1) /* an empty tree has no array at all */
                qsort(s->paths.v, s->paths.n, sizeof(char *), cmp_str);
        *ret = s;
        return 0;
}

static bool sig_same(const sig *a, const sig *b)
{
        return a->mode == b->mode && a->uid == b->uid && a->gid == b->gid && a->size == b->size &&
               a->ino == b->ino && a->rdev == b->rdev && a->mtim.tv_sec == b->mtim.tv_sec &&
               a->mtim.tv_nsec == b->mtim.tv_nsec && a->ctim.tv_sec == b->ctim.tv_sec &&
               a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* Stage path and its ancestors (as they are in the tree). */
static int stage_with_parents(stage *s, const char *root, const char *path, err_t *e)
{
        _cleanup_free_ char *copy = xstrdup(path);
        for (char *c = strchr(copy, '/'); c; c = strchr(c + 1, '/')) {
                *c = '\0';
                _cleanup_free_ char *host = path_join(root, copy);
                int r = stage_add_host(s, copy, host, e);
                *c = '/';
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *host = path_join(root, path);
        return stage_add_host(s, path, host, e);
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return !strncmp(path, dir, n) && path[n] == '/';
}

int lay_snap_diff(const lay_snap *before, const lay_snap *after, const char *root, stage *s,
                  size_t *ret_n, err_t *e)
{
        size_t n = 0;
        const char *opaque = NULL; /* the replaced directory being walked */
        for (size_t i = 0; i < after->paths.n; i++) {
                const char *p = after->paths.v[i];
                const sig *a = strmap_get(after->m, p);
                const sig *b = strmap_get(before->m, p);
                if (opaque && !under(p, opaque))
                        opaque = NULL;
                if (!opaque && b && sig_same(a, b))
                        continue;
                int r = stage_with_parents(s, root, p, e);
                if (r < 0)
                        return r;
                n++;
                if (!opaque && b && S_ISDIR(a->mode) && S_ISDIR(b->mode) && a->ino != b->ino) {
                        /* Removed and made again: nothing below it survives. */
                        _cleanup_free_ char *wh = xasprintf("%s/" WH_OPAQUE, p);
                        r = stage_add_data(s, wh, 0, "", 0, e);
                        if (r < 0)
                                return r;
                        opaque = p;
                }
        }
        for (size_t i = 0; i < before->paths.n; i++) {
                const char *p = before->paths.v[i];
                if (strmap_has(after->m, p))
                        continue;
                /* Covered when an ancestor was removed, replaced by a
                 * non-directory or made opaque. */
                _cleanup_free_ char *dir = path_dirname(p);
                bool covered = false;
                if (strcmp(dir, ".")) {
                        const sig *pa = strmap_get(after->m, dir);
                        const sig *pb = strmap_get(before->m, dir);
                        covered = !pa || !S_ISDIR(pa->mode) || (pb && pa->ino != pb->ino);
                }
                if (covered)
                        continue;
                _cleanup_free_ char *wh =
                        strcmp(dir, ".") ? xasprintf("%s/" WH_PREFIX "%s", dir, path_basename(p))
                                         : xasprintf(WH_PREFIX "%s", p);
                if (strcmp(dir, ".")) {
                        int r = stage_with_parents(s, root, dir, e);
                        if (r < 0)
                                return r;
                }
                int r = stage_add_data(s, wh, 0, "", 0, e);
                if (r < 0)
                        return r;
                n++;
        }
        *ret_n = n;
        return 0;
}
