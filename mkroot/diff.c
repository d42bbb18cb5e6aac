/* mkroot diff A B: paths added (+), removed (-) and changed (M) from
 * image A to image B, each unpacked (or taken as it is, a directory) and
 * walked. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "mkroot.h"

/* What is compared of one path. */
typedef struct dent {
        mode_t mode;
        uid_t uid;
        gid_t gid;
        off_t size;
        dev_t rdev;
        char *target; /* a symlink's */
        char *host;   /* where it is, to compare contents */
} dent;

static void dent_free(void *p)
{
        dent *d = p;
        free(d->target);
        free(d->host);
        free(d);
}

static int dent_new(const char *host, dent **ret, err_t *e)
{
        struct stat st;
        if (lstat(host, &st) < 0)
                return err_sys(e, errno, "%s", host);
        char t[PATH_MAX + 1] = "";
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlink(host, t, sizeof(t));
                if (n < 0)
                        return err_sys(e, errno, "%s", host);
                if ((size_t)n >= sizeof(t))
                        return err_sys(e, ENAMETOOLONG, "%s", host);
                t[n] = '\0';
        }
        dent *x = xcalloc(1, sizeof(*x));
        *x = (dent){.mode = st.st_mode,
                    .uid = st.st_uid,
                    .gid = st.st_gid,
                    .size = S_ISREG(st.st_mode) ? st.st_size : 0,
                    .rdev = st.st_rdev,
                    .target = S_ISLNK(st.st_mode) ? xstrdup(t) : NULL,
                    .host = xstrdup(host)};
        *ret = x;
        return 0;
}

/* Every path under root/rel into m (path -> dent) and paths. */
static int walk_tree(const char *root, const char *rel, strmap *m, strv *paths, err_t *e)
{
        _cleanup_free_ char *dir = rel[0] ? path_join(root, rel) : xstrdup(root);
        _cleanup_strv_ strv names = {0};
        int r = fs_list_dir_at(AT_FDCWD, dir, &names);
        if (r < 0)
                return err_sys(e, -r, "%s", dir);
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *p =
                        rel[0] ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
                _cleanup_free_ char *h = path_join(root, p);
                dent *x = NULL;
                r = dent_new(h, &x, e);
                if (r == -ENOENT) { /* gone since it was listed */
                        err_clear(e);
                        continue;
                }
                if (r < 0)
                        return r;
                strmap_put(m, p, x);
                strv_push(paths, p);
                if (S_ISDIR(x->mode) && (r = walk_tree(root, p, m, paths, e)) < 0)
                        return r;
        }
        return 0;
}

/* 1 when both files hold the same bytes, 0 when not, <0 on error. */
static int same_content(const char *a, const char *b, err_t *e)
{
        _cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC);
        if (fa < 0)
                return err_sys(e, errno, "%s", a);
        _cleanup_close_ int fb = open(b, O_RDONLY | O_CLOEXEC);
        if (fb < 0)
                return err_sys(e, errno, "%s", b);
        char ha[DIGEST_HEX_LEN + 1], hb[DIGEST_HEX_LEN + 1];
        int r = digest_fd(fa, ha, e);
        if (r == 0)
                r = digest_fd(fb, hb, e);
        return r < 0 ? r : !strcmp(ha, hb);
}

/* 1 when a and b are the same, 0 when not, <0 on error. */
static int dent_same(const dent *a, const dent *b, err_t *e)
{
        if (a->mode != b->mode || a->uid != b->uid || a->gid != b->gid || a->size != b->size ||
            a->rdev != b->rdev)
                return 0;
        if (S_ISLNK(a->mode))
                return !strcmp(a->target, b->target);
        if (S_ISREG(a->mode))
                return same_content(a->host, b->host, e);
        return 1;
}

/* image as a directory: itself if it is one, else its layers applied in
 * a scratch directory of the store (*ret_sc, for the caller to remove). */
static int materialize(store *st, const char *image, store_scratch **ret_sc, char **ret_root,
                       err_t *e)
{
        struct stat sb;
        /* When stat fails, lay_src_open says why. */
        if (stat(image, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                *ret_root = xstrdup(image);
                return 0;
        }
        lay_src src = {0};
        int r = lay_src_open(st, image, true, &src, e);
        if (r < 0)
                return r;
        store_scratch *sc = NULL;
        r = store_scratch_new(st, "tmp", &sc, e);
        _cleanup_free_ char *root = sc ? path_join(sc->path, "root") : NULL;
        if (r == 0 && mkdir(root, 0755) < 0)
                r = err_sys(e, errno, "%s", root);
        _cleanup_close_ int rootfd = -1;
        if (r == 0 && (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = err_sys(e, errno, "%s", root);
        if (r == 0) {
                strmap *fx = strmap_new();
                lay_apply_opts ao = {.whiteouts = strcmp(src.kind, "rootfs") != 0};
                for (size_t i = 0; i < src.layer_files.n && r == 0; i++)
                        r = lay_apply(rootfd, src.layer_files.v[i], &ao, fx, e);
                lay_fixups_apply(rootfd, fx);
                strmap_free(fx);
        }
        lay_src_close(st, &src);
        if (r < 0) {
                store_scratch_remove(st, sc, NULL);
                return r;
        }
        *ret_sc = sc;
        *ret_root = steal_pointer(&root);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the difference of the trees at ra and rb, sorted by path. */
static int diff_trees(const char *ra, const char *rb, err_t *e)
{
        strmap *ma = strmap_new_with_free(dent_free), *mb = strmap_new_with_free(dent_free);
        _cleanup_strv_ strv pa = {0}, pb = {0}, all = {0};
        int r = walk_tree(ra, "", ma, &pa, e);
        if (r == 0)
                r = walk_tree(rb, "", mb, &pb, e);
        for (size_t i = 0; i < pa.n && r == 0; i++)
                strv_push(&all, pa.v[i]);
        for (size_t i = 0; i < pb.n && r == 0; i++)
                if (!strmap_has(ma, pb.v[i]))
                        strv_push(&all, pb.v[i]);
        if (r == 0 && all.n > 1) /* two empty trees: no array at all */
                qsort(all.v, all.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < all.n && r == 0; i++) {
                dent *x = strmap_get(ma, all.v[i]), *y = strmap_get(mb, all.v[i]);
                int same = x && y ? dent_same(x, y, e) : 0;
                if (same < 0)
                        r = same;
                else if (!x)
                        printf("+ /%s\n", all.v[i]);
                else if (!y)
                        printf("- /%s\n", all.v[i]);
                else if (!same)
                        printf("M /%s\n", all.v[i]);
        }
        strmap_free(ma);
        strmap_free(mb);
        if (r == 0 && fflush(stdout) != 0)
                r = err_set(e, -EIO, "stdout: write error");
        return r;
}

int mkroot_diff_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                puts("Usage: mkroot diff A B\n"
                     "List paths added (+), removed (-) and changed (M) from image A to image B\n"
                     "(OCI or docker-save archives, rootfs tarballs or directories).");
                return 0;
        }
        if (argc != 3)
                return mkroot_usage("diff", "%s", "give two images");
        err_t e = {0};
        store *st = NULL;
        if (store_open(NULL, &st, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        store_scratch *sa = NULL, *sb = NULL;
        _cleanup_free_ char *ra = NULL, *rb = NULL;
        int r = materialize(st, argv[1], &sa, &ra, &e);
        if (r == 0)
                r = materialize(st, argv[2], &sb, &rb, &e);
        if (r == 0)
                r = diff_trees(ra, rb, &e);
        if (r < 0) {
                fflush(stdout);
                log_error("%s", e.msg);
        }
        store_scratch_remove(st, sa, NULL);
        store_scratch_remove(st, sb, NULL);
        store_free(st);
        return r < 0 ? 1 : 0;
}
