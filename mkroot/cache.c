/* mkroot cache ls|gc|path: what the cache holds, pruning it (the one gc
 * of cache/gc.c) and where it is. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder.h"
#include "mkroot.h"

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
                mkroot_human_size(size, s);
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
                        mkroot_human_size(size, s);
                        printf("%-16s  %10s  %.12s  %s\n", w, s, trees.v[i], kinds[k]);
                        ltotal += size;
                        n_trees++;
                }
        }
        char a[32], b[32];
        mkroot_human_size(total, a);
        mkroot_human_size(ltotal, b);
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

int mkroot_cache_main(int argc, char **argv)
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
                                return mkroot_usage("cache",
                                                    "--keep-days: '%s' is not a number of days",
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
                default: return mkroot_try_help("cache");
                }
        }
        if (optind != argc - 1)
                return mkroot_usage("cache", "%s", "give ls, gc or path");
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
                r = mkroot_usage("cache", "unknown subcommand '%s' (ls, gc, path)", sub);
        store_free(st);
        return r;
}
