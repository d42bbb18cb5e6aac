/* `mkroot fetch SUITE`: argument parsing and what the user sees (phases,
 * a status line on a terminal, the closing line); apt_bootstrap does the
 * work. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "apt.h"
#include "cache.h"
#include "mkroot.h"

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
        OPT_POCKETS,
        OPT_LIST,
        OPT_DPKG_UNPACK,
        OPT_NO_TMPFS,
        OPT_SECURITY_MIRROR,
};

/* What the user sees of a fetch: one line per phase on stderr (unless -q)
 * and, on a terminal, a status line redrawn in place through the whole
 * run by a ticker thread (the downloads' callback only updates it). */
typedef struct fetch_ui {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool tty, stop, drawn;
        apt_phase phase;
        bool started; /* a phase has begun */
        double t0;
        size_t n_packages;
        apt_dl_progress dl;
        bool have_dl;
} fetch_ui;

static const char *const phase_names[APT_PHASE_MAX] = {
        [APT_PHASE_RESOLVE] = "resolve", [APT_PHASE_DOWNLOAD] = "download",
        [APT_PHASE_UNPACK] = "unpack",   [APT_PHASE_CONFIGURE] = "configure",
        [APT_PHASE_PACK] = "pack",
};

static void human(int64_t b, char *buf, size_t n)
{
        if (b >= 1 << 20)
                snprintf(buf, n, "%.1f MB", (double)b / (1 << 20));
        else
                snprintf(buf, n, "%.0f kB", (double)b / 1024);
}

static void clear_line(fetch_ui *u)
{
        if (u->drawn)
                fputs("\r\033[K", stderr);
        u->drawn = false;
}

/* The status line; the lock is held. */
static void draw(fetch_ui *u)
{
        if (!u->tty || !u->started)
                return;
        double now = mkroot_now();
        fprintf(stderr, "\r\033[K%s  %.0fs", phase_names[u->phase], now - u->t0);
        const apt_dl_progress *p = &u->dl;
        if (u->phase == APT_PHASE_DOWNLOAD && u->have_dl) {
                double speed = p->bytes_per_sec;
                char done[32], total[32], sp[32];
                human(p->done_bytes, done, sizeof(done));
                human(p->total_bytes, total, sizeof(total));
                human((int64_t)speed, sp, sizeof(sp));
                fprintf(stderr, "  Get: %zu/%zu files  %s/%s  %s/s", p->done_files, p->total_files,
                        done, total, sp);
                if (speed > 0 && p->total_bytes > p->done_bytes)
                        fprintf(stderr, "  %.0fs left",
                                (double)(p->total_bytes - p->done_bytes) / speed);
        }
        u->drawn = true;
}

static void on_progress(const apt_dl_progress *p, void *userdata)
{
        fetch_ui *u = userdata;
        pthread_mutex_lock(&u->lock);
        if (!p->finished) {
                u->dl = *p;
                u->have_dl = true;
                draw(u);
        }
        pthread_mutex_unlock(&u->lock);
}

static void on_phase(const apt_phase_report *r, void *userdata)
{
        fetch_ui *u = userdata;
        pthread_mutex_lock(&u->lock);
        clear_line(u);
        u->phase = r->phase;
        u->started = true;
        u->n_packages = r->n_packages;
        char size[32];
        switch (r->phase) {
        case APT_PHASE_RESOLVE:
                fprintf(stderr, "mkroot: fetch: resolving %s (%s) from %s\n", r->suite, r->arch,
                        r->mirror);
                break;
        case APT_PHASE_DOWNLOAD:
                mkroot_human_size(r->download_bytes, size);
                fprintf(stderr, "mkroot: fetch: downloading %zu packages (%s)\n", r->n_packages,
                        size);
                break;
        case APT_PHASE_UNPACK:
                fprintf(stderr, "mkroot: fetch: unpacking %zu essential packages\n",
                        r->n_essential);
                break;
        case APT_PHASE_CONFIGURE:
                fprintf(stderr, "mkroot: fetch: configuring %zu packages\n", r->n_packages);
                break;
        default:
                fprintf(stderr, "mkroot: fetch: packing%s\n",
                        r->reused ? " (the image built before from this Release)" : "");
                break;
        }
        draw(u);
        pthread_mutex_unlock(&u->lock);
}

static void on_note(const char *note, void *userdata)
{
        fetch_ui *u = userdata;
        pthread_mutex_lock(&u->lock);
        clear_line(u);
        fprintf(stderr, "mkroot: fetch: %s\n", note);
        draw(u);
        pthread_mutex_unlock(&u->lock);
}

/* Redraws the status line (elapsed time) while the library works. */
static void *ticker(void *arg)
{
        fetch_ui *u = arg;
        pthread_mutex_lock(&u->lock);
        while (!u->stop) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 250 * 1000 * 1000;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&u->cond, &u->lock, &ts);
                if (!u->stop)
                        draw(u);
        }
        clear_line(u);
        pthread_mutex_unlock(&u->lock);
        return NULL;
}

static const struct option fetch_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"mirror", required_argument, NULL, OPT_MIRROR},
        {"security-mirror", required_argument, NULL, OPT_SECURITY_MIRROR},
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
        {"pockets", required_argument, NULL, OPT_POCKETS},
        {"list", no_argument, NULL, OPT_LIST},
        {"dpkg-unpack", no_argument, NULL, OPT_DPKG_UNPACK},
        {"no-tmpfs", no_argument, NULL, OPT_NO_TMPFS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
};

/* One option into o: 0, or 2 after a usage error (reported). */
static int parse_opt(int c, char **argv, apt_bootstrap_opts *o, bool *quiet, bool *list)
{
        switch (c) {
        case OPT_LIST: *list = true; break;
        case 'o': o->output = optarg; break;
        case OPT_MIRROR: o->mirror = optarg; break;
        case OPT_SECURITY_MIRROR: o->security_mirror = optarg; break;
        case OPT_KEYRING: o->keyring = optarg; break;
        case OPT_ARCH: o->arch = optarg; break;
        case OPT_VARIANT:
                if (apt_variant_parse(optarg, &o->variant) < 0) {
                        log_error("--variant: unknown variant \"%s\" (" APT_VARIANT_NAMES ")",
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
        case OPT_POCKETS: {
                err_t e = {0};
                if (apt_pockets_parse(optarg, &o->pockets, &e) < 0) {
                        log_error("%s", e.msg);
                        return 2;
                }
                break;
        }
        case OPT_DPKG_UNPACK: o->dpkg_unpack = true; break;
        case OPT_NO_TMPFS: o->no_tmpfs = true; break;
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

/* The ticker takes no signal: the runner waits for its children's
 * SIGCHLD on a signalfd, which a thread not blocking it would swallow. */
static bool start_ticker(pthread_t *t, fetch_ui *u)
{
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        bool ok = pthread_create(t, NULL, ticker, u) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return ok;
}

static int run_fetch(apt_bootstrap_opts *o, bool quiet)
{
        _cleanup_free_ char *out_default = NULL;
        if (!o->output)
                o->output = out_default = default_output(o->suite);
        err_t e = {0};
        /* Without root: in a user namespace of its own before any thread. */
        store *user_store = NULL;
        int rc = apt_bootstrap_enter_userns(o, &user_store, &e);
        if (rc < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        o->store = user_store;
        if (quiet && log_get_level() < LOG_DEBUG)
                log_set_level(LOG_WARN);
        fetch_ui u = {.t0 = mkroot_now()};
        pthread_mutex_init(&u.lock, NULL);
        pthread_cond_init(&u.cond, NULL);
        /* -v's messages are not drawn over. */
        u.tty = isatty(STDERR_FILENO) && log_get_level() < LOG_DEBUG;
        pthread_t tick;
        bool ticking = false;
        if (!quiet) {
                o->note = on_note;
                o->progress_data = &u;
        }
        if (!quiet && !o->print_debs) {
                o->phase = on_phase;
                o->progress = u.tty ? on_progress : NULL;
                o->progress_data = &u;
                ticking = u.tty && start_ticker(&tick, &u);
        }
        _cleanup_strv_ strv debs = {0};
        o->debs = &debs;
        rc = apt_bootstrap(o, &e);
        store_free(user_store);
        o->store = NULL;
        pthread_mutex_lock(&u.lock);
        u.stop = true;
        pthread_cond_signal(&u.cond);
        pthread_mutex_unlock(&u.lock);
        if (ticking)
                pthread_join(tick, NULL);
        pthread_cond_destroy(&u.cond);
        pthread_mutex_destroy(&u.lock);
        if (rc < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        if (o->print_debs)
                for (size_t i = 0; i < debs.n; i++)
                        printf("%s\n", debs.v[i]);
        else if (!quiet)
                mkroot_wrote(o->output, u.n_packages, "package", u.t0);
        return 0;
}

/* One row of --list; NULL for a manifest that cannot be read (said). */
static char **list_row(const char *name, const apt_bootstrap_opts *o)
{
        static const char *const from_names[APT_MIRROR_FROM_MAX] = {
                [APT_MIRROR_FROM_OPTION] = "--mirror",
                [APT_MIRROR_FROM_ENV] = "MKROOT_MIRROR",
                [APT_MIRROR_FROM_HOST] = "host apt sources",
                [APT_MIRROR_FROM_DEBOOTSTRAP] = "debootstrap",
                [APT_MIRROR_FROM_MANIFEST] = "manifest",
        };
        static const char *const keyring_names[APT_KEYRING_STATE_MAX] = {
                [APT_KEYRING_EMBEDDED] = "embedded",
                [APT_KEYRING_PRESENT] = "present",
                [APT_KEYRING_MISSING] = "missing",
                [APT_KEYRING_UNNAMED] = "none",
        };
        err_t e = {0};
        apt_suite s;
        if (apt_suite_load(name, &s, &e) < 0) {
                log_error("%s", e.msg);
                return NULL;
        }
        const char *dbs = getenv("DEBOOTSTRAP_DIR");
        apt_mirror_sources src = {
                .option = o->mirror,
                .env = getenv("MKROOT_MIRROR"),
                .etc_apt = "/etc/apt",
                .debootstrap_dir = dbs && *dbs ? dbs : "/usr/share/debootstrap",
        };
        char *mirror = NULL;
        apt_mirror_from from = APT_MIRROR_FROM_MAX;
        const char *arch = o->arch ? o->arch : host_deb_arch();
        char **row = xcalloc(5, sizeof(*row));
        row[0] = xstrdup(s.name);
        row[1] = xstrdup(s.distribution);
        row[2] = xstrdup(s.release ? s.release : "-");
        if (o->keyring)
                row[3] = xstrdup(access(o->keyring, R_OK) == 0 ? "--keyring" : "missing");
        else
                row[3] = xstrdup(keyring_names[apt_suite_keyring_state(&s)]);
        if (apt_suite_mirror_from(&s, arch, &src, &mirror, &from, &e) == 0)
                row[4] = xasprintf("%s (%s)", mirror, from_names[from]);
        else
                row[4] = xstrdup("none (pass --mirror URL)");
        free(mirror);
        apt_suite_free(&s);
        return row;
}

static void print_row(const char *const *cols, const size_t *width)
{
        for (size_t c = 0; c < 4; c++)
                printf("%-*s  ", (int)width[c], cols[c]);
        printf("%s\n", cols[4]);
}

/* --list: a table of every suite in the manifest directories. */
static int list_suites(const apt_bootstrap_opts *o)
{
        static const char *const head[5] = {"SUITE", "DISTRIBUTION", "RELEASE", "KEYRING",
                                            "MIRROR"};
        _cleanup_strv_ strv names = {0};
        apt_suite_list(&names);
        char ***rows = xcalloc(names.n ? names.n : 1, sizeof(*rows));
        size_t width[5];
        for (size_t c = 0; c < 5; c++)
                width[c] = strlen(head[c]);
        int rc = 0;
        for (size_t i = 0; i < names.n; i++) {
                rows[i] = list_row(names.v[i], o);
                if (!rows[i]) {
                        rc = 1;
                        continue;
                }
                for (size_t c = 0; c < 5; c++)
                        if (strlen(rows[i][c]) > width[c])
                                width[c] = strlen(rows[i][c]);
        }
        if (!names.n) {
                log_error("fetch --list: no suite manifests found");
                rc = 1;
        } else {
                print_row(head, width);
        }
        for (size_t i = 0; i < names.n; i++) {
                if (rows[i])
                        print_row((const char *const *)rows[i], width);
                for (size_t c = 0; rows[i] && c < 5; c++)
                        free(rows[i][c]);
                free(rows[i]);
        }
        free(rows);
        return rc;
}

int fetch_main(int argc, char **argv)
{
        apt_bootstrap_opts o = {.variant = APT_VARIANT_MINBASE};
        bool quiet = false, list = false;
        int c, rc = 0;
        optind = 1;
        opterr = 0; /* errors are reported as "mkroot: ..." below */
        while ((c = getopt_long(argc, argv, ":o:j:qvh", fetch_opts, NULL)) != -1) {
                if (c == 'h') {
                        mkroot_fetch_help(stdout);
                        rc = -1;
                        break;
                }
                int r = parse_opt(c, argv, &o, &quiet, &list);
                if (r)
                        rc = r;
        }
        if (rc == 0 && list) {
                if (optind != argc) {
                        log_error("fetch: --list takes no SUITE (try mkroot fetch --help)");
                        rc = 2;
                } else {
                        rc = list_suites(&o);
                }
                if (rc == 0)
                        rc = -1;
        } else if (rc == 0 && optind != argc - 1) {
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
