/* mkroot build / inspect / diff / cache: argument parsing and output for
 * the layer commands; the work is in the rest of this folder. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder.h"
#include "mkroot.h"

static int __attribute__((format(printf, 2, 3))) usage(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "mkroot: %s: ", cmd);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'mkroot %s --help'.\n", cmd);
        return EXIT_USAGE;
}

static const char *default_output(lay_format f)
{
        return f == LAY_FORMAT_OCI      ? "image.oci.tar"
               : f == LAY_FORMAT_DOCKER ? "image.docker.tar"
                                        : "image.tar.gz";
}

int lay_build_write(const lay_manifest *m, const lay_build_opts *o, lay_format f,
                    const char *output, const image_opts *io)
{
        err_t e = {0};
        store *st = NULL;
        if (store_open(o->cache_dir, &st, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        _cleanup_close_ int lock = -1;
        lay_image im = {0};
        unsigned built = 0, reused = 0;
        int r = lay_store_lock(st, false, &lock, &e);
        if (r == 0)
                r = lay_build(st, m, o, &im, &built, &reused, &e);
        if (r == 0)
                r = lay_write(st, &im, f, output ? output : default_output(f), io, &e);
        if (r == 0 && log_get_level() >= LOG_WARN) {
                /* Said even without -v: whether the cache did its job. */
                if (built == 0)
                        fprintf(stderr,
                                "mkroot: nothing to build: every step reused from the cache\n");
                else
                        fprintf(stderr, "mkroot: built %u step%s, reused %u\n", built,
                                built == 1 ? "" : "s", reused);
                fprintf(stderr, "mkroot: wrote %s (%zu layers)\n",
                        output ? output : default_output(f), im.n_layers);
        } else if (r < 0)
                log_error("%s", e.msg);
        lay_image_free(&im);
        store_free(st);
        return r < 0 ? 1 : 0;
}

/* ---- build ------------------------------------------------------------------ */

int lay_build_main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"format", required_argument, NULL, 'f'},
                {"cache-dir", required_argument, NULL, 'C'},
                {"deps", required_argument, NULL, 'd'},
                {"no-cache", no_argument, NULL, 'n'},
                {"allow-missing", no_argument, NULL, 'm'},
                {"network", no_argument, NULL, 'N'},
                {"compress", required_argument, NULL, 'c'},
                {"quiet", no_argument, NULL, 'q'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        lay_build_opts o = {0};
        lay_format f = LAY_FORMAT_ROOTFS;
        const char *output = NULL;
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = IMAGE_COMPRESS_AUTO};
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
                switch (c) {
                case 'o': output = optarg; break;
                case 'f':
                        if (lay_format_parse(optarg, &f) < 0)
                                return usage("build",
                                             "--format: unknown format '%s' (rootfs, oci, docker)",
                                             optarg);
                        break;
                case 'C': o.cache_dir = optarg; break;
                case 'd':
                        if (strcmp(optarg, "all") && strcmp(optarg, "missing"))
                                return usage("build", "--deps: '%s' (all or missing)", optarg);
                        o.deps_all = !strcmp(optarg, "all");
                        break;
                case 'n': o.no_cache = true; break;
                case 'm': o.allow_missing = true; break;
                case 'N': o.network = true; break;
                case 'c':
                        if (image_compress_parse(optarg, &io.compress) < 0)
                                return usage("build", "--compress: unknown compression '%s'",
                                             optarg);
                        break;
                case 'q': log_set_level(LOG_QUIET); break;
                case 'v': log_set_level(LOG_DEBUG); break;
                case 'h':
                        puts("Usage: mkroot build [OPTIONS] MANIFEST\n"
                             "Build an image from a manifest (a base and steps, one layer each),\n"
                             "reusing every unchanged layer from the cache.\n\n"
                             "  -o, --output FILE   image to write (default image.tar.gz, "
                             "image.oci.tar\n"
                             "                      or image.docker.tar)\n"
                             "      --format FMT    rootfs (flattened tarball, default), oci (OCI "
                             "image\n"
                             "                      layout tar) or docker (for docker load)\n"
                             "      --deps all      copy libraries the base already provides too\n"
                             "      --no-cache      rebuild every step\n"
                             "      --cache-dir DIR the cache (default $MKROOT_CACHE or "
                             "/var/cache/mkroot)\n"
                             "      --compress ALG  rootfs compression, whatever the name says\n"
                             "      --allow-missing warn about libraries that cannot be found\n"
                             "      --network       give every Run: step the host's network\n"
                             "                      (default: loopback only, unless the\n"
                             "                      manifest says Network: yes)\n"
                             "  -q, --quiet / -v, --verbose");
                        return 0;
                default: fprintf(stderr, "Try 'mkroot build --help'.\n"); return EXIT_USAGE;
                }
        }
        if (optind != argc - 1)
                return usage("build", "%s", "give exactly one MANIFEST");
        int64_t epoch;
        if (source_date_epoch(&epoch) == 1) {
                io.have_epoch = true;
                io.epoch = epoch;
        }
        err_t e = {0};
        lay_manifest m = {0};
        if (lay_manifest_load(argv[optind], &m, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        int r = lay_build_write(&m, &o, f, output, &io);
        lay_manifest_free(&m);
        return r;
}

/* ---- inspect ------------------------------------------------------------------ */

static void human(int64_t n, char buf[32])
{
        const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = (double)n;
        size_t i = 0;
        while (v >= 1024 && i + 1 < ARRAY_SIZE(u)) {
                v /= 1024;
                i++;
        }
        snprintf(buf, 32, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void print_argv(const char *label, const strv *v)
{
        printf("  %s: [", label);
        for (size_t i = 0; i < v->n; i++)
                printf("%s\"%s\"", i ? ", " : "", v->v[i]);
        printf("]\n");
}

int lay_inspect_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                puts("Usage: mkroot inspect IMAGE\n"
                     "Show an image's layers (size, digest, the step that made each) and config.\n"
                     "IMAGE: an OCI layout archive, a docker-save archive or a rootfs tarball.");
                return 0;
        }
        if (argc != 2)
                return usage("inspect", "%s", "give exactly one IMAGE");
        err_t e = {0};
        lay_src src = {0};
        if (lay_src_open(NULL, argv[1], false, &src, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        printf("%s: %s image, %zu layer%s\n", argv[1], src.kind, src.im.n_layers,
               src.im.n_layers == 1 ? "" : "s");
        printf("Layers:\n");
        for (size_t i = 0; i < src.im.n_layers; i++) {
                const lay_layer *l = &src.im.layers[i];
                char sz[32];
                human(l->size, sz);
                printf("  %2zu  %10s  sha256:%s\n      diff_id sha256:%s\n      %s\n", i + 1, sz,
                       l->blob, l->diff, l->created_by && *l->created_by ? l->created_by : "-");
        }
        const lay_config *c = &src.im.config;
        printf("Config:\n");
        for (size_t i = 0; i < c->env.n; i++)
                printf("  Env: %s\n", c->env.v[i]);
        if (c->have_entrypoint)
                print_argv("Entrypoint", &c->entrypoint);
        if (c->have_cmd)
                print_argv("Cmd", &c->cmd);
        if (c->workdir)
                printf("  WorkingDir: %s\n", c->workdir);
        if (c->user)
                printf("  User: %s\n", c->user);
        for (size_t i = 0; i < c->labels.n; i++)
                printf("  Label: %s\n", c->labels.v[i]);
        lay_src_close(NULL, &src);
        return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- diff --------------------------------------------------------------------- */

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

int lay_diff_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                puts("Usage: mkroot diff A B\n"
                     "List paths added (+), removed (-) and changed (M) from image A to image B\n"
                     "(OCI or docker-save archives, rootfs tarballs or directories).");
                return 0;
        }
        if (argc != 3)
                return usage("diff", "%s", "give two images");
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

/* ---- cache ls / gc -------------------------------------------------------------- */

static int64_t du(int dfd, const char *name)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return st.st_blocks * 512;
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int64_t sum = st.st_blocks * 512;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        sum += du(dirfd(d), de->d_name);
        return sum;
}

static void when(time_t t, char buf[32])
{
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, 32, "%Y-%m-%d %H:%M", &tm);
}

static int cache_ls(store *st)
{
        _cleanup_strv_ strv recs = {0};
        err_t e = {0};
        store_record_list(st, STORE_RECORD_STEP, &recs, &e);
        printf("Cache %s\n", store_root(st));
        printf("%-16s  %10s  %-12s  %s\n", "LAST USED", "SIZE", "KEY", "WHAT");
        int64_t total = 0;
        for (size_t i = 0; i < recs.n; i++) {
                time_t used;
                if (store_record_used(st, STORE_RECORD_STEP, recs.v[i], &used) < 0)
                        continue;
                /* Read without marking it used. */
                lay_image im = {0};
                if (lay_record_read(st, recs.v[i], false, &im) < 0) {
                        printf("%-16s  %10s  %.12s  (stale: a blob is gone)\n", "-", "-",
                               recs.v[i]);
                        continue;
                }
                int64_t size = 0;
                for (size_t k = 0; k < im.n_layers; k++)
                        size += im.layers[k].size;
                char w[32], s[32];
                when(used, w);
                human(size, s);
                const char *what =
                        im.n_layers == 1 && im.layers[0].created_by ? im.layers[0].created_by : "";
                _cleanup_free_ char *one = xstrndup(what, strcspn(what, "\n"));
                if (!strncmp(recs.v[i], "base-", 5))
                        printf("%-16s  %10s  %.12s  base, %zu layer%s\n", w, s, recs.v[i] + 5,
                               im.n_layers, im.n_layers == 1 ? "" : "s");
                else
                        printf("%-16s  %10s  %.12s  %s\n", w, s, recs.v[i], one);
                total += size;
                lay_image_free(&im);
        }
        static const char *const kinds[STORE_KIND_MAX] = {
                [STORE_KIND_ROOTFS] = "unpacked rootfs",
                [STORE_KIND_OCI] = "unpacked layer",
        };
        int64_t ltotal = 0;
        size_t n_trees = 0;
        for (int k = 0; k < STORE_KIND_MAX; k++) {
                _cleanup_strv_ strv trees = {0};
                store_tree_list(st, (store_kind)k, &trees);
                for (size_t i = 0; i < trees.n; i++) {
                        _cleanup_free_ char *p = store_tree_path(st, (store_kind)k, trees.v[i]);
                        time_t used;
                        if (store_tree_used(st, (store_kind)k, trees.v[i], &used) < 0)
                                continue;
                        int64_t size = du(AT_FDCWD, p);
                        char w[32], s[32];
                        when(used, w);
                        human(size, s);
                        printf("%-16s  %10s  %.12s  %s\n", w, s, trees.v[i], kinds[k]);
                        ltotal += size;
                        n_trees++;
                }
        }
        char a[32], b[32];
        human(total, a);
        human(ltotal, b);
        printf("%zu step records (%s of layers), %zu unpacked trees (%s)\n", recs.n, a, n_trees, b);
        return 0;
}

/* The one gc of the cache (cache/gc.c), runroot gc's as well. */
static int cache_gc(store *st, int keep_days)
{
        err_t e = {0};
        store_gc_stats gs = {0};
        if (store_gc(st, &(store_gc_opts){.keep_days = keep_days}, &gs, &e) < 0)
                log_warn("%s", e.msg);
        printf("removed %u step records, %u blobs, %u unpacked trees, %u stacks, %u index "
               "entries, %u leftovers\n",
               gs.steps, gs.blobs, gs.trees, gs.stacks, gs.index, gs.leftovers + gs.legacy);
        if (gs.busy)
                printf("kept %u in use\n", gs.busy);
        return 0;
}

int lay_cache_main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"keep-days", required_argument, NULL, 'k'},
                {"cache-dir", required_argument, NULL, 'C'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        const char *dir = NULL;
        int keep = -1, c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'k': {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || v < 0 || v > 100000)
                                return usage("cache", "--keep-days: '%s' is not a number of days",
                                             optarg);
                        keep = (int)v;
                        break;
                }
                case 'C': dir = optarg; break;
                case 'h':
                        puts("Usage: mkroot cache ls|gc|path [--keep-days N] [--cache-dir DIR]\n"
                             "  ls    list step records (last use, size, step) and unpacked "
                             "layers\n"
                             "  gc    remove what is unreferenced; with --keep-days N also what "
                             "was\n"
                             "        not used for N days (never a layer a running container "
                             "uses)\n"
                             "  path  print the cache directory");
                        return 0;
                default: fprintf(stderr, "Try 'mkroot cache --help'.\n"); return EXIT_USAGE;
                }
        }
        if (optind != argc - 1)
                return usage("cache", "%s", "give ls, gc or path");
        const char *sub = argv[optind];
        err_t e = {0};
        store *st = NULL;
        if (store_open(dir, &st, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        int r;
        if (!strcmp(sub, "ls"))
                r = cache_ls(st);
        else if (!strcmp(sub, "gc"))
                r = cache_gc(st, keep);
        else if (!strcmp(sub, "path")) {
                puts(store_root(st));
                r = 0;
        } else
                r = usage("cache", "unknown subcommand '%s' (ls, gc, path)", sub);
        store_free(st);
        return r;
}
