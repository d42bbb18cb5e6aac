/* mkroot diff A B: paths added (+), removed (-) and changed (M) from
 * image A to image B, each unpacked (or taken as it is, a directory) and
 * walked. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "mkroot.h"

typedef struct dent {
        mode_t mode;
        uid_t uid;
        gid_t gid;
        off_t size;
        dev_t rdev;
        char *target;
        char *host;
} dent;

static void walk_tree(const char *root, const char *rel, strmap *m, strv *paths)
{
        _cleanup_free_ char *dir = rel[0] ? path_join(root, rel) : xstrdup(root);
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *p =
                        rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
                _cleanup_free_ char *h = path_join(root, p);
                struct stat st;
                if (lstat(h, &st) < 0)
                        continue;
                dent *x = xcalloc(1, sizeof(*x));
                *x = (dent){.mode = st.st_mode,
                            .uid = st.st_uid,
                            .gid = st.st_gid,
                            .size = S_ISREG(st.st_mode) ? st.st_size : 0,
                            .rdev = st.st_rdev};
                if (S_ISLNK(st.st_mode)) {
                        char t[4096];
                        ssize_t n = readlink(h, t, sizeof(t) - 1);
                        t[n > 0 ? n : 0] = '\0';
                        x->target = xstrdup(t);
                }
                x->host = xstrdup(h);
                strmap_put(m, p, x);
                strv_push(paths, p);
                if (S_ISDIR(st.st_mode))
                        walk_tree(root, p, m, paths);
        }
}

static bool same_content(const char *a, const char *b)
{
        _cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int fb = open(b, O_RDONLY | O_CLOEXEC);
        char ha[DIGEST_HEX_LEN + 1], hb[DIGEST_HEX_LEN + 1];
        err_t e = {0};
        if (fa < 0 || fb < 0 || digest_fd(fa, ha, &e) < 0 || digest_fd(fb, hb, &e) < 0)
                return false;
        return !strcmp(ha, hb);
}

static bool dent_same(const dent *a, const dent *b)
{
        if (a->mode != b->mode || a->uid != b->uid || a->gid != b->gid || a->size != b->size ||
            a->rdev != b->rdev)
                return false;
        if (S_ISLNK(a->mode))
                return !strcmp(a->target, b->target);
        if (S_ISREG(a->mode))
                return same_content(a->host, b->host);
        return true;
}

static int materialize(store *st, const char *image, store_scratch **ret_sc, char **ret_root,
                       err_t *e)
{
        struct stat sb;
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
        if (r == 0) {
                _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

static void dents_free(strmap *m)
{
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(m, &pos, &k, &v)) {
                dent *d = v;
                free(d->target);
                free(d->host);
                free(d);
        }
        strmap_free(m);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
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
        if (r == 0) {
                strmap *ma = strmap_new(), *mb = strmap_new();
                _cleanup_strv_ strv pa = {0}, pb = {0}, all = {0};
                walk_tree(ra, "", ma, &pa);
                walk_tree(rb, "", mb, &pb);
                for (size_t i = 0; i < pa.n; i++)
                        strv_push(&all, pa.v[i]);
                for (size_t i = 0; i < pb.n; i++)
                        if (!strmap_has(ma, pb.v[i]))
                                strv_push(&all, pb.v[i]);
                qsort(all.v, all.n, sizeof(char *), cmp_str);
                for (size_t i = 0; i < all.n; i++) {
                        dent *x = strmap_get(ma, all.v[i]), *y = strmap_get(mb, all.v[i]);
                        if (!x)
                                printf("+ /%s\n", all.v[i]);
                        else if (!y)
                                printf("- /%s\n", all.v[i]);
                        else if (!dent_same(x, y))
                                printf("M /%s\n", all.v[i]);
                }
                dents_free(ma);
                dents_free(mb);
        } else
                log_error("%s", e.msg);
        store_scratch_remove(st, sa, NULL);
        store_scratch_remove(st, sb, NULL);
        store_free(st);
        return r < 0 ? 1 : 0;
}
