/* mkroot cache ls|gc|path: what the cache holds, pruning it (the one gc
 * of cache/gc.c) and where it is. */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder.h"
#include "mkroot.h"
#include "security.h"

/* Bytes a file or tree takes on disk (what cannot be read counts 0: this
 * is an estimate for a listing). */
static int64_t du(int dfd, const char *name)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return st.st_blocks * 512;
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_strv_ strv names = {0};
        if (fd < 0 || fs_list_dir_at(fd, ".", &names) < 0)
                return 0;
        int64_t sum = st.st_blocks * 512;
        for (size_t i = 0; i < names.n; i++)
                sum += du(fd, names.v[i]);
        return sum;
}

static void when(time_t t, char buf[32])
{
        struct tm tm;
        if (!localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, 32, "-");
}

/* One line per step record; its layers' size is added to *total. */
static void ls_record(store *st, const char *name, int64_t *total)
{
        time_t used;
        if (store_record_used(st, STORE_RECORD_STEP, name, &used) < 0)
                return;
        /* Read without marking it used. */
        lay_image im = {0};
        if (lay_record_read(st, name, false, &im) < 0) {
                printf("%-16s  %10s  %.12s  (stale: a blob is gone)\n", "-", "-", name);
                return;
        }
        int64_t size = 0;
        for (size_t k = 0; k < im.n_layers; k++)
                size += im.layers[k].size;
        char w[32], s[32];
        when(used, w);
        mkroot_human_size(size, s);
        const char *what =
                im.n_layers == 1 && im.layers[0].created_by ? im.layers[0].created_by : "";
        _cleanup_free_ char *one = xstrndup(what, strcspn(what, "\n"));
        if (!strncmp(name, "base-", 5))
                printf("%-16s  %10s  %.12s  base, %zu layer%s\n", w, s, name + 5, im.n_layers,
                       im.n_layers == 1 ? "" : "s");
        else
                printf("%-16s  %10s  %.12s  %s\n", w, s, name, one);
        *total += size;
        lay_image_free(&im);
}

/* One line per unpacked tree; sizes added to *total, count to *n. */
static int ls_trees(store *st, int64_t *total, size_t *n, err_t *e)
{
        static const char *const kinds[STORE_KIND_MAX] = {
                [STORE_KIND_ROOTFS] = "unpacked rootfs",
                [STORE_KIND_OCI] = "unpacked layer",
        };
        for (int k = 0; k < STORE_KIND_MAX; k++) {
                _cleanup_strv_ strv trees = {0};
                int r = store_tree_list(st, (store_kind)k, &trees);
                if (r < 0 && r != -ENOENT) /* none of the kind yet */
                        return err_sys(e, -r, "%s: %s trees", store_root(st), kinds[k]);
                for (size_t i = 0; i < trees.n; i++) {
                        _cleanup_free_ char *p = store_tree_path(st, (store_kind)k, trees.v[i]);
                        time_t used;
                        if (store_tree_used(st, (store_kind)k, trees.v[i], &used) < 0)
                                continue;
                        int64_t size = du(AT_FDCWD, p);
                        char w[32], s[32];
                        when(used, w);
                        mkroot_human_size(size, s);
                        printf("%-16s  %10s  %.12s  %s\n", w, s, trees.v[i], kinds[k]);
                        *total += size;
                        (*n)++;
                }
        }
        return 0;
}

static int cache_ls(store *st)
{
        _cleanup_strv_ strv recs = {0};
        err_t e = {0};
        int r = store_record_list(st, STORE_RECORD_STEP, &recs, &e);
        if (r < 0 && r != -ENOENT) { /* ENOENT: no step recorded yet */
                log_error("%s", e.msg);
                return 1;
        }
        printf("Cache %s\n", store_root(st));
        printf("%-16s  %10s  %-12s  %s\n", "LAST USED", "SIZE", "KEY", "WHAT");
        int64_t total = 0, ltotal = 0;
        for (size_t i = 0; i < recs.n; i++)
                ls_record(st, recs.v[i], &total);
        size_t n_trees = 0;
        if (ls_trees(st, &ltotal, &n_trees, &e) < 0) {
                fflush(stdout);
                log_error("%s", e.msg);
                return 1;
        }
        char a[32], b[32];
        mkroot_human_size(total, a);
        mkroot_human_size(ltotal, b);
        printf("%zu step records (%s of layers), %zu unpacked trees (%s)\n", recs.n, a, n_trees, b);
        if (fflush(stdout) != 0) {
                log_error("stdout: write error");
                return 1;
        }
        return 0;
}

/* The one gc of the cache (cache/gc.c), runroot gc's as well. */
static int cache_gc(store *st, int keep_days)
{
        err_t e = {0};
        store_gc_stats gs = {0};
        /* runroot's seccomp filters of another generation go too: both
         * programs run the same runner/ code. */
        char gen[SEC_FILTER_GEN_LEN + 1];
        sec_filter_generation(gen);
        store_gc_opts o = {.keep_days = keep_days, .seccomp_generation = gen};
        if (store_gc(st, &o, &gs, &e) < 0)
                log_warn("%s", e.msg);
        printf("removed %u step records, %u blobs, %u unpacked trees, %u stacks, %u index "
               "entries, %u leftovers, %u seccomp filters, %u fetch files, %u base images, %u "
               "pulled images\n",
               gs.steps, gs.blobs, gs.trees, gs.stacks, gs.index, gs.leftovers + gs.legacy,
               gs.seccomp, gs.apt, gs.bases, gs.pulled);
        if (gs.busy)
                printf("kept %u in use\n", gs.busy);
        return 0;
}

typedef struct cache_args {
        const char *dir;
        int keep_days;
        const char *sub;
} cache_args;

static int parse_args(int argc, char **argv, cache_args *a)
{
        static const struct option opts[] = {
                {"keep-days", required_argument, NULL, 'k'},
                {"cache-dir", required_argument, NULL, 'C'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        int c;
        char *end;
        long v;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'k':
                        v = strtol(optarg, &end, 10);
                        if (*end || v < 0 || v > 100000)
                                return mkroot_usage("cache",
                                                    "--keep-days: '%s' is not a number of days",
                                                    optarg);
                        a->keep_days = (int)v;
                        break;
                case 'C': a->dir = optarg; break;
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
                default: return mkroot_try_help("cache");
                }
        }
        if (optind != argc - 1)
                return mkroot_usage("cache", "%s", "give ls, gc or path");
        a->sub = argv[optind];
        return MKROOT_CONTINUE;
}

int mkroot_cache_main(int argc, char **argv)
{
        cache_args a = {.keep_days = -1};
        int r = parse_args(argc, argv, &a);
        if (r != MKROOT_CONTINUE)
                return r;
        err_t e = {0};
        store *st = NULL;
        if (store_open(a.dir, &st, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        if (!strcmp(a.sub, "ls"))
                r = cache_ls(st);
        else if (!strcmp(a.sub, "gc"))
                r = cache_gc(st, a.keep_days);
        else if (!strcmp(a.sub, "path")) {
                puts(store_root(st));
                r = 0;
        } else
                r = mkroot_usage("cache", "unknown subcommand '%s' (ls, gc, path)", a.sub);
        store_free(st);
        return r;
}
