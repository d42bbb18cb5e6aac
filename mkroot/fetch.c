/* `mkroot fetch SUITE`: argument parsing only; apt_bootstrap does the work. */
#include <getopt.h>
#include <string.h>

#include "apt.h"
#include "mkroot.h"

static void usage(FILE *f)
{
        fputs("Usage: mkroot fetch [OPTIONS] SUITE\n"
              "Bootstrap a Debian or Ubuntu minbase root file system from an apt mirror\n"
              "and write it as an image (default SUITE.tar.gz).\n"
              "\n"
              "  -o, --output FILE        image to write (.tar.gz, .tar.zst, .tar.xz, .tar)\n"
              "      --mirror URL         mirror (http, https or file); default: $MKROOT_MIRROR,\n"
              "                           then the host's apt sources, then the manifest\n"
              "      --keyring FILE       keyring to verify InRelease with (binary or armored)\n"
              "      --arch ARCH          Debian architecture (default: the host's)\n"
              "      --variant NAME       minbase (default), required or important\n"
              "      --include PKG,...    add packages (and their dependencies)\n"
              "      --exclude PKG,...    leave packages out\n"
              "      --components C,...   archive components (default: the manifest's)\n"
              "      --allow-expired      accept a Release past its Valid-Until (archives)\n"
              "      --no-verify          do NOT check the Release signature (unsafe)\n"
              "      --cache-dir DIR      cache directory (default: $MKROOT_CACHE, ...)\n"
              "  -j, --connections N      parallel downloads (default 8)\n"
              "      --print-debs         print the selected packages and stop\n"
              "      --rebuild            build anew even when the cache holds the image\n"
              "                           made from the same signed Release and options\n"
              "  -q, --quiet              no progress display\n"
              "  -v, --verbose            explain what happens\n"
              "  -h, --help               show this help\n"
              "\n"
              "SUITE is a name from the manifests directory (e.g. bookworm, jammy) or a path\n"
              "to a .deb822 suite manifest.\n",
              f);
}

static void split_list(const char *s, strv *out)
{
        _cleanup_free_ char *c = xstrdup(s);
        char *save = NULL;
        for (char *w = strtok_r(c, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
                strv_push(out, w);
}

enum {
        OPT_MIRROR = 256,
        OPT_KEYRING,
        OPT_ARCH,
        OPT_VARIANT,
        OPT_INCLUDE,
        OPT_EXCLUDE,
        OPT_COMPONENTS,
        OPT_ALLOW_EXPIRED,
        OPT_NO_VERIFY,
        OPT_CACHE_DIR,
        OPT_PRINT_DEBS,
        OPT_REBUILD,
};

/* The download progress line, redrawn in place on the terminal. */
typedef struct progress_line {
        bool drawn;
} progress_line;

static void human(int64_t b, char *buf, size_t n)
{
        if (b >= 1 << 20)
                snprintf(buf, n, "%.1f MB", (double)b / (1 << 20));
        else
                snprintf(buf, n, "%.0f kB", (double)b / 1024);
}

static void draw_progress(const apt_dl_progress *p, void *userdata)
{
        progress_line *l = userdata;
        if (p->finished) {
                if (l->drawn)
                        fprintf(stderr, "\r\033[K");
                l->drawn = false;
                return;
        }
        double speed = p->bytes_per_sec;
        char done[32], total[32], sp[32], eta[32] = "";
        human(p->done_bytes, done, sizeof(done));
        human(p->total_bytes, total, sizeof(total));
        human((int64_t)speed, sp, sizeof(sp));
        if (speed > 0 && p->total_bytes > p->done_bytes)
                snprintf(eta, sizeof(eta), "  %.0fs left",
                         (double)(p->total_bytes - p->done_bytes) / speed);
        fprintf(stderr, "\r\033[KGet: %zu/%zu files  %s/%s  %s/s%s", p->done_files, p->total_files,
                done, total, sp, eta);
        l->drawn = true;
}

static const struct option fetch_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"mirror", required_argument, NULL, OPT_MIRROR},
        {"keyring", required_argument, NULL, OPT_KEYRING},
        {"arch", required_argument, NULL, OPT_ARCH},
        {"variant", required_argument, NULL, OPT_VARIANT},
        {"include", required_argument, NULL, OPT_INCLUDE},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"components", required_argument, NULL, OPT_COMPONENTS},
        {"allow-expired", no_argument, NULL, OPT_ALLOW_EXPIRED},
        {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"connections", required_argument, NULL, 'j'},
        {"print-debs", no_argument, NULL, OPT_PRINT_DEBS},
        {"rebuild", no_argument, NULL, OPT_REBUILD},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
};

/* One option into o: 0, or 2 after a usage error (reported). */
static int parse_opt(int c, char **argv, apt_bootstrap_opts *o, bool *quiet)
{
        switch (c) {
        case 'o': o->output = optarg; break;
        case OPT_MIRROR: o->mirror = optarg; break;
        case OPT_KEYRING: o->keyring = optarg; break;
        case OPT_ARCH: o->arch = optarg; break;
        case OPT_VARIANT:
                if (apt_variant_parse(optarg, &o->variant) < 0) {
                        log_error("--variant: unknown variant \"%s\" (minbase, required, "
                                  "important)",
                                  optarg);
                        return 2;
                }
                break;
        case OPT_INCLUDE: split_list(optarg, &o->include); break;
        case OPT_EXCLUDE: split_list(optarg, &o->exclude); break;
        case OPT_COMPONENTS: split_list(optarg, &o->components); break;
        case OPT_ALLOW_EXPIRED: o->allow_expired = true; break;
        case OPT_NO_VERIFY: o->no_verify = true; break;
        case OPT_CACHE_DIR: o->cache_dir = optarg; break;
        case OPT_PRINT_DEBS: o->print_debs = true; break;
        case OPT_REBUILD: o->rebuild = true; break;
        case 'j': {
                char *end;
                long n = strtol(optarg, &end, 10);
                o->connections = (int)n;
                if (*end || n < 1 || n > 64) {
                        log_error("--connections: expected 1..64, got \"%s\"", optarg);
                        return 2;
                }
                break;
        }
        case 'q': *quiet = true; break;
        case 'v': log_set_level(LOG_DEBUG); break;
        case ':': log_error("fetch: option %s needs a value", argv[optind - 1]); return 2;
        default:
                log_error("fetch: unknown option %s (try mkroot fetch --help)", argv[optind - 1]);
                return 2;
        }
        return 0;
}

/* SUITE.tar.gz for SUITE, a manifest path's name without ".deb822". */
static char *default_output(const char *suite)
{
        char *out = xasprintf("%s.tar.gz", path_basename(suite));
        char *dot = strstr(out, ".deb822");
        if (dot)
                memmove(dot, dot + 7, strlen(dot + 7) + 1);
        return out;
}

static int run_fetch(apt_bootstrap_opts *o, bool quiet)
{
        _cleanup_free_ char *out_default = NULL;
        if (!o->output)
                o->output = out_default = default_output(o->suite);
        if (quiet && log_get_level() < LOG_DEBUG)
                log_set_level(LOG_WARN);
        progress_line line = {0};
        if (!quiet && isatty(STDERR_FILENO)) {
                o->progress = draw_progress;
                o->progress_data = &line;
        }
        _cleanup_strv_ strv debs = {0};
        o->debs = &debs;
        err_t e = {0};
        if (apt_bootstrap(o, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        if (o->print_debs)
                for (size_t i = 0; i < debs.n; i++)
                        printf("%s\n", debs.v[i]);
        else
                log_info("wrote %s", o->output);
        return 0;
}

int fetch_main(int argc, char **argv)
{
        apt_bootstrap_opts o = {.variant = APT_VARIANT_MINBASE};
        bool quiet = false;
        int c, rc = 0;
        optind = 1;
        opterr = 0; /* errors are reported as "mkroot: ..." below */
        while ((c = getopt_long(argc, argv, ":o:j:qvh", fetch_opts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        rc = -1;
                        break;
                }
                int r = parse_opt(c, argv, &o, &quiet);
                if (r)
                        rc = r;
        }
        if (rc == 0 && optind != argc - 1) {
                log_error("fetch: expected one SUITE (try mkroot fetch --help)");
                rc = 2;
        }
        if (rc == 0) {
                o.suite = argv[optind];
                rc = run_fetch(&o, quiet);
        }
        strv_free(&o.include);
        strv_free(&o.exclude);
        strv_free(&o.components);
        return rc < 0 ? 0 : rc;
}
