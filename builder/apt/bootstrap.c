/* mkroot fetch: manifest -> mirror and keyring -> verified InRelease ->
 * verified Packages -> selection -> verified .debs in the cache -> tree
 * (merged /usr, essential set unpacked) -> dpkg second stage -> image. The
 * tree lives in the cache's tmp/ and is removed on every path; the image
 * is written atomically only at the very end. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "apt.h"
#include "cache.h"
#include "builder.h"

#define INDEX_MAX ((size_t)512 << 20)

/* ---- the bootstrap ---------------------------------------------------- */

/* One pocket of the suite: its dists/ name, the archive it is on, and its
 * verified Release once fetched (used: it exists and is in the image). */
typedef struct pocket {
        char *suite;  /* bookworm, bookworm-updates, bookworm-security */
        char *mirror; /* NULL: not asked for, or no archive for it */
        apt_release rel;
        char release_digest[DIGEST_HEX_LEN + 1];
        bool used;
} pocket;

typedef struct boot {
        const apt_bootstrap_opts *o;
        apt_suite suite;
        const char *arch;
        char *mirror;
        store *st;   /* the cache, which owns the paths below */
        char *cache; /* <cache>/apt */
        char *keyring;
        pocket pockets[APT_POCKET_MAX];
        char *image_key; /* cached finished image for these inputs, or NULL */
        char image_hex[DIGEST_HEX_LEN + 1];
        bool keyring_temp;
        char *tree;
        bool tree_tmpfs; /* tree is a tmpfs mounted in our own namespace */
        strv merged;     /* NULL-terminated when the suite merges /usr */
        strv components;
        apt_index *index;
        apt_selection sel;
        apt_dl *debs;
        size_t n_debs;
        int lock_fd;
} boot;

static void boot_free(boot *b)
{
        if (b->tree) {
                apt_tree_discard(b->tree, b->tree_tmpfs);
                free(b->tree);
        }
        if (b->keyring_temp)
                unlink(b->keyring);
        free(b->keyring);
        free(b->image_key);
        strv_free(&b->merged);
        free(b->mirror);
        free(b->cache);
        strv_free(&b->components);
        for (size_t i = 0; i < APT_POCKET_MAX; i++) {
                free(b->pockets[i].suite);
                free(b->pockets[i].mirror);
                apt_release_free(&b->pockets[i].rel);
        }
        apt_index_free(b->index);
        apt_selection_free(&b->sel);
        if (b->debs)
                apt_dl_free(b->debs, b->n_debs);
        apt_suite_free(&b->suite);
        if (b->lock_fd >= 0)
                close(b->lock_fd);
        if (b->st != b->o->store)
                store_free(b->st);
}

/* With the cache lock held, anything temporary left in tmp/ or partial/
 * belongs to a fetch that was killed: trees and unverified downloads go
 * (resumable partials named by their digest stay). */
static void remove_stale(const char *tmp, const char *partial)
{
        const char *dirs[] = {tmp, partial};
        for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
                _cleanup_strv_ strv names = {0};
                if (fs_list_dir_at(AT_FDCWD, dirs[d], &names) < 0)
                        continue;
                for (size_t i = 0; i < names.n; i++) {
                        const char *n = names.v[i];
                        if (n[0] == '.' || strlen(n) == DIGEST_HEX_LEN)
                                continue;
                        err_t e = {0};
                        _cleanup_free_ char *p = path_join(dirs[d], n);
                        if (fs_rm_rf_at(AT_FDCWD, p, &e) == 0)
                                log_debug("removed %s, left by an interrupted fetch", p);
                }
        }
}

static void note(boot *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(boot *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;
        if (b->o->note)
                b->o->note(msg, b->o->progress_data);
        else
                log_info("%s", msg);
}

/* Which pockets to fetch and from where: updates on the release's mirror;
 * security from --security-mirror, else on the release's mirror, except
 * for Debian with a mirror not given explicitly (the host's or
 * debootstrap's): there the security archive the host's apt sources name
 * (none named: left out, saying so). An explicit --mirror is the only
 * archive asked, as debootstrap and mmdebstrap users expect; a mirror that
 * lacks SUITE-security gets it left out with a note (fetch_releases). */
static int setup_pockets(boot *b, const char *etc_apt, bool explicit_mirror, err_t *e)
{
        unsigned want = b->o->pockets ? b->o->pockets : ~0u;
        const char *cn = b->suite.codename;
        for (int k = 0; k < APT_POCKET_MAX; k++) {
                pocket *p = &b->pockets[k];
                p->suite = k == APT_POCKET_RELEASE ? xstrdup(cn)
                                                   : xasprintf("%s-%s", cn, apt_pocket_name(k));
                if (!(want & (1u << k)))
                        continue;
                if (k == APT_POCKET_SECURITY && b->o->security_mirror && *b->o->security_mirror) {
                        p->mirror = xstrdup(b->o->security_mirror);
                        size_t n = strlen(p->mirror);
                        while (n > 1 && p->mirror[n - 1] == '/')
                                p->mirror[--n] = '\0';
                        continue;
                }
                if (k != APT_POCKET_SECURITY || explicit_mirror ||
                    strcasecmp(b->suite.distribution, "debian")) {
                        p->mirror = xstrdup(b->mirror);
                        continue;
                }
                p->mirror = apt_host_security(etc_apt, &b->suite);
                if (p->mirror)
                        continue;
                if (b->o->pockets)
                        return err_set(e, -ENOENT,
                                       "--pockets security: the host's apt sources (%s) name no "
                                       "%s security archive (pass --security-mirror URL)",
                                       etc_apt, b->suite.distribution);
                note(b, "%s left out: the host's apt sources (%s) name no %s security archive",
                     p->suite, etc_apt, b->suite.distribution);
        }
        return 0;
}

static int setup(boot *b, err_t *e)
{
        const apt_bootstrap_opts *o = b->o;
        int rc = apt_suite_load(o->suite, &b->suite, e);
        if (rc < 0)
                return rc;
        b->arch = o->arch ? o->arch : host_deb_arch();
        if (b->suite.architectures.n && !strv_contains(&b->suite.architectures, b->arch))
                return err_set(e, -EINVAL, "%s: architecture %s is not in the manifest's list",
                               b->suite.name, b->arch);
        /* mkroot fetch is root of a user namespace by now
         * (apt_bootstrap_enter_userns); another caller without root is not. */
        if (!o->print_debs && (geteuid() != 0 || o->not_host_root))
                return err_set(e, -EPERM,
                               "fetching %s needs root here: the second stage gives files their "
                               "owners (\"mkroot fetch %s\" does it without root, in a user "
                               "namespace of its own, and keeps the image in the cache)",
                               b->suite.name, b->suite.name);
        /* The second stage runs the tree's programs: refused before
         * anything is fetched when this host cannot. */
        if (!o->print_debs && (rc = apt_arch_check_runs(b->arch, e)) < 0)
                return err_prefix(e, "fetch %s --arch %s", o->suite, b->arch);
        const strv *comps = o->components.n ? &o->components : &b->suite.components;
        for (size_t i = 0; i < comps->n; i++)
                strv_push(&b->components, comps->v[i]);

        const char *dbs = getenv("DEBOOTSTRAP_DIR");
        apt_mirror_sources src = {
                .option = o->mirror,
                .env = getenv("MKROOT_MIRROR"),
                .etc_apt = "/etc/apt",
                .debootstrap_dir = dbs && *dbs ? dbs : "/usr/share/debootstrap",
        };
        apt_mirror_from from = APT_MIRROR_FROM_MAX;
        rc = apt_suite_mirror_from(&b->suite, b->arch, &src, &b->mirror, &from, e);
        if (rc == 0)
                rc = setup_pockets(b, src.etc_apt,
                                   from == APT_MIRROR_FROM_OPTION || from == APT_MIRROR_FROM_ENV,
                                   e);
        if (rc < 0)
                return rc;

        /* The cache's apt area, once the cache is known to be the
         * caller's alone (cache/ checks the root and the area). */
        b->st = o->store;
        rc = b->st ? 0 : store_open(o->cache_dir, &b->st, e);
        if (rc == 0)
                rc = store_area_dir(b->st, STORE_AREA_APT, &b->cache, e);
        if (rc < 0)
                return rc;
        _cleanup_free_ char *tmp = NULL, *partial = NULL;
        rc = store_area_dir(b->st, STORE_AREA_APT_TMP, &tmp, e);
        if (rc == 0)
                rc = store_area_dir(b->st, STORE_AREA_APT_PARTIAL, &partial, e);
        if (rc < 0)
                return err_prefix(e, "cache");
        /* One fetch at a time per cache: partial files are shared (and
         * store_gc leaves apt/ alone while a fetch holds the lock). */
        _cleanup_free_ char *lock = path_join(b->cache, "lock");
        rc = store_area_open(b->st, STORE_AREA_APT, "lock", O_RDWR | O_CREAT, 0644, &b->lock_fd, e);
        if (rc < 0)
                return rc;
        if (flock(b->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return err_sys(e, errno, "%s", lock);
                log_warn("waiting for another fetch using %s", b->cache);
                if (flock(b->lock_fd, LOCK_EX) < 0)
                        return err_sys(e, errno, "%s", lock);
        }
        remove_stale(tmp, partial);

        if (o->keyring) {
                if (access(o->keyring, R_OK) < 0)
                        return err_sys(e, errno, "keyring %s", o->keyring);
                b->keyring = xstrdup(o->keyring);
        } else if (b->suite.signed_by && !strncmp(b->suite.signed_by, "-----BEGIN", 10)) {
                b->keyring = xasprintf("%s/embedded-key-XXXXXX", tmp);
                _cleanup_close_ int fd = mkostemp(b->keyring, O_CLOEXEC);
                if (fd < 0)
                        return err_sys(e, errno, "%s", b->keyring);
                b->keyring_temp = true;
                rc = fd_write_all(fd, b->suite.signed_by, strlen(b->suite.signed_by));
                if (rc < 0)
                        return err_sys(e, -rc, "%s", b->keyring);
        } else if (b->suite.signed_by) {
                if (access(b->suite.signed_by, R_OK) < 0)
                        return err_set(e, -ENOENT,
                                       "%s: keyring %s not found (install the %s archive keyring "
                                       "package or pass --keyring FILE)",
                                       b->suite.name, b->suite.signed_by, b->suite.distribution);
                b->keyring = xstrdup(b->suite.signed_by);
        } else if (!o->no_verify) {
                return err_set(e, -ENOENT,
                               "%s: the manifest names no keyring: pass --keyring FILE (the %s "
                               "archive signing keyring)",
                               b->suite.name, b->suite.distribution);
        }
        return 0;
}

/* One pocket's InRelease, verified and parsed into p->rel. 1 when the
 * pocket is not on its archive (no InRelease there), which only the
 * release pocket may not be. */
static int fetch_release(boot *b, pocket *p, err_t *e)
{
        apt_dl *it = xcalloc(1, sizeof(*it));
        it->url = xasprintf("%s/dists/%s/InRelease", p->mirror, p->suite);
        it->size = -1;
        apt_dl_opts dlo = {.dir = b->cache, .retries = -1, .connections = 1};
        int rc = apt_download(it, 1, &dlo, e);
        if (rc < 0) {
                apt_dl_free(it, 1);
                return rc == -ENOENT && p != &b->pockets[APT_POCKET_RELEASE] ? 1 : rc;
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (b->o->no_verify) {
                if (p == &b->pockets[APT_POCKET_RELEASE])
                        log_warn("WARNING: --no-verify: the Release files' signatures are "
                                 "NOT checked; anyone on the path to %s can choose what gets "
                                 "installed",
                                 p->mirror);
                rc = apt_release_cleartext(it->path, &text, &len, e);
        } else {
                rc = apt_release_verify(it->path, b->keyring, &text, &len, e);
        }
        unlink(it->path);
        _cleanup_free_ char *what = xasprintf("%s/dists/%s/InRelease", p->mirror, p->suite);
        apt_dl_free(it, 1);
        if (rc < 0)
                return err_prefix(e, "%s", what);
        digest_buf(text, len, p->release_digest);
        rc = apt_release_parse(text, len, what, &p->rel, e);
        if (rc < 0)
                return rc;
        rc = apt_release_check_dates(&p->rel, (int64_t)time(NULL), b->o->allow_expired, what, e);
        if (rc < 0)
                return rc;
        bool name_ok = (p->rel.codename && !strcmp(p->rel.codename, p->suite)) ||
                       (p->rel.suite && !strcmp(p->rel.suite, p->suite));
        if (!name_ok)
                return err_set(e, -EBADMSG, "%s: is for %s, not %s", what,
                               p->rel.codename ? p->rel.codename : "(no codename)", p->suite);
        return 0;
}

/* Every pocket asked for that has an archive: a missing one is left out
 * with a note (an error when --pockets named it); one that fails its
 * checks stops the fetch. */
static int fetch_releases(boot *b, err_t *e)
{
        strbuf used = {0};
        int rc = 0;
        for (int k = 0; k < APT_POCKET_MAX && rc == 0; k++) {
                pocket *p = &b->pockets[k];
                if (!p->mirror)
                        continue;
                rc = fetch_release(b, p, e);
                if (rc == 1 && b->o->pockets) {
                        rc = err_set(e, -ENOENT, "--pockets %s: %s/dists/%s/InRelease: not found",
                                     apt_pocket_name(k), p->mirror, p->suite);
                } else if (rc == 1) {
                        note(b, "%s left out: not on %s", p->suite, p->mirror);
                        rc = 0;
                } else if (rc == 0) {
                        p->used = true;
                        sb_appendf(&used, "%s%s (%s)", used.len ? ", " : "", p->suite, p->mirror);
                }
        }
        if (rc == 0)
                log_debug("pockets: %s", used.s);
        sb_free(&used);
        return rc;
}

/* The Packages file of each component in each pocket used, best
 * compression first; *ret_from[i] is the pocket item i belongs to. The
 * release must list every component; the other pockets hold only what
 * changed, and may lack one. */
static int index_items(boot *b, bool plain, apt_dl **ret, pocket ***ret_from, size_t *ret_n,
                       err_t *e)
{
        static const char *const exts[] = {".xz", ".gz", ".zst", ".bz2", ""};
        size_t cap = b->components.n * APT_POCKET_MAX, n = 0;
        apt_dl *items = xcalloc(cap ? cap : 1, sizeof(*items));
        pocket **from = xcalloc(cap ? cap : 1, sizeof(*from));
        for (int k = 0; k < APT_POCKET_MAX; k++) {
                pocket *p = &b->pockets[k];
                for (size_t i = 0; p->used && i < b->components.n; i++) {
                        const apt_release_file *f = NULL;
                        _cleanup_free_ char *path = NULL;
                        for (size_t x = 0; x < ARRAY_SIZE(exts) && !f; x++) {
                                free(path);
                                path = xasprintf("%s/binary-%s/Packages%s", b->components.v[i],
                                                 b->arch, exts[x]);
                                f = apt_release_find(&p->rel, path);
                        }
                        if (!f && k != APT_POCKET_RELEASE) {
                                log_debug("%s: no Packages for %s/%s", p->suite, b->components.v[i],
                                          b->arch);
                                continue;
                        }
                        if (!f) {
                                apt_dl_free(items, n);
                                free(from);
                                return err_set(e, -ENOENT,
                                               "%s: the Release lists no Packages for %s/%s",
                                               p->suite, b->components.v[i], b->arch);
                        }
                        if (p->rel.by_hash && !plain) {
                                _cleanup_free_ char *dir = path_dirname(path);
                                items[n].url = xasprintf("%s/dists/%s/%s/by-hash/SHA256/%s",
                                                         p->mirror, p->suite, dir, f->sha256);
                        } else {
                                items[n].url =
                                        xasprintf("%s/dists/%s/%s", p->mirror, p->suite, path);
                        }
                        items[n].sha256 = xstrdup(f->sha256);
                        items[n].size = f->size;
                        from[n++] = p;
                }
        }
        *ret = items;
        *ret_from = from;
        *ret_n = n;
        return 0;
}

static int fetch_indexes(boot *b, err_t *e)
{
        size_t n = 0;
        apt_dl *items = NULL;
        _cleanup_free_ pocket **from = NULL;
        apt_dl_opts dlo = {.dir = b->cache, .retries = -1, .connections = b->o->connections};
        bool by_hash = false;
        for (size_t k = 0; k < APT_POCKET_MAX; k++)
                by_hash |= b->pockets[k].used && b->pockets[k].rel.by_hash;
        int rc = index_items(b, false, &items, &from, &n, e);
        if (rc < 0)
                return rc;
        rc = apt_download(items, n, &dlo, e);
        if (rc < 0 && rc != -EBADMSG && by_hash) {
                /* A mirror may lag behind on by-hash/: the plain name is
                 * checked against the same digest. */
                log_debug("%s; trying the plain file names", e->msg);
                apt_dl_free(items, n);
                free(from);
                from = NULL;
                rc = index_items(b, true, &items, &from, &n, e);
                if (rc < 0)
                        return rc;
                rc = apt_download(items, n, &dlo, e);
        }
        /* Pockets in order, release first: at equal versions the
         * release's entry stays the candidate. */
        b->index = apt_index_new(b->arch);
        for (size_t i = 0; rc == 0 && i < n; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                rc = apt_read_compressed(items[i].path, items[i].url, INDEX_MAX, &data, &len, e);
                if (rc == 0)
                        rc = apt_index_add_from(b->index, data, len, from[i]->mirror, items[i].url,
                                                e);
        }
        apt_dl_free(items, n);
        return rc;
}

typedef struct ready_ctx {
        boot *b;
        apt_unpacker *u;
} ready_ctx;

/* Each essential package is unpacked as soon as it is verified. */
static void unpack_ready(size_t i, void *userdata)
{
        ready_ctx *c = userdata;
        if (i < c->b->sel.n_required)
                apt_unpacker_add(c->u, c->b->debs[i].path);
}

static int fetch_debs(boot *b, apt_unpacker *u, err_t *e)
{
        b->n_debs = b->sel.n;
        b->debs = xcalloc(b->n_debs ? b->n_debs : 1, sizeof(*b->debs));
        for (size_t i = 0; i < b->sel.n; i++) {
                const apt_pkg *p = b->sel.pkgs[i];
                b->debs[i].url = xasprintf("%s/%s", p->origin ? p->origin : b->mirror, p->filename);
                b->debs[i].sha256 = xstrdup(p->sha256);
                b->debs[i].size = p->size;
        }
        apt_dl_opts dlo = {.dir = b->cache,
                           .retries = -1,
                           .connections = b->o->connections,
                           .progress = b->o->progress,
                           .progress_data = b->o->progress_data,
                           .on_ready = unpack_ready,
                           .userdata = &(ready_ctx){.b = b, .u = u}};
        return apt_download(b->debs, b->n_debs, &dlo, e);
}

static void to_front(strv *l, const char *prefix)
{
        for (size_t i = 0; i < l->n; i++)
                if (!strncmp(path_basename(l->v[i]), prefix, strlen(prefix))) {
                        char *x = l->v[i];
                        memmove(l->v + 1, l->v, i * sizeof(char *));
                        l->v[0] = x;
                        return;
                }
}

/* The empty tree: merged-/usr links, dpkg's database, mount points. */
static int make_skeleton(boot *b, err_t *e)
{
        b->tree = xasprintf("%s/tmp/root-XXXXXX", b->cache);
        if (!mkdtemp(b->tree)) {
                int rc = err_sys(e, errno, "%s", b->tree);
                free(b->tree);
                b->tree = NULL;
                return rc;
        }
        if (!b->o->no_tmpfs) {
                /* Installed sizes, the rest's .debs placed in the tree,
                 * and room for dpkg's database and logs. */
                int64_t need = 64 << 20;
                for (size_t i = 0; i < b->sel.n; i++)
                        need += b->sel.pkgs[i]->installed_kib * 1024 +
                                (i >= b->sel.n_required ? b->sel.pkgs[i]->size : 0);
                int rc = apt_tree_mount_tmpfs(b->tree, need + need / 4, e);
                if (rc < 0)
                        return rc;
                b->tree_tmpfs = rc == 1;
        } else {
                log_debug("build tree on disk (--no-tmpfs)");
        }
        chmod(b->tree, 0755);
        /* Every path below is taken relative to the tree's fd, as every
         * later access to the tree is. */
        _cleanup_close_ int rootfd = open(b->tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", b->tree);
        if (b->suite.merged_usr) {
                apt_merged_dirs(b->arch, &b->merged);
                for (size_t i = 0; i < b->merged.n; i++) {
                        _cleanup_free_ char *target = xasprintf("usr/%s", b->merged.v[i]);
                        int rc = fs_mkdir_p_in_root(rootfd, target, 0755, e);
                        if (rc < 0)
                                return err_prefix(e, "%s", b->tree);
                        if (symlinkat(target, rootfd, b->merged.v[i]) < 0)
                                return err_sys(e, errno, "%s/%s", b->tree, b->merged.v[i]);
                }
        }
        static const char *const dirs[] = {"var/lib/dpkg/info",
                                           "var/lib/dpkg/updates",
                                           "var/cache/apt/archives/partial",
                                           "var/log",
                                           "etc/apt",
                                           "proc",
                                           "dev",
                                           "tmp"};
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                int rc = fs_mkdir_p_in_root(rootfd, dirs[i], 0755, e);
                if (rc < 0)
                        return err_prefix(e, "%s", b->tree);
        }
        if (fchmodat(rootfd, "tmp", 01777, 0) < 0)
                return err_sys(e, errno, "%s/tmp", b->tree);
        int rc = apt_write_file(b->tree, "var/lib/dpkg/status", "", e);
        if (rc == 0)
                rc = apt_write_file(b->tree, "var/lib/dpkg/available", "", e);
        return rc;
}

/* Put the .debs dpkg inside the tree installs where it finds them, in
 * install order: all, or (with_essential false) those of the rest. */
static int place_debs(boot *b, bool with_essential, strv *essential, strv *others, err_t *e)
{
        /* The unpacked packages may have made var/cache/apt/archives (or a
         * parent) a link to a host directory: the directory is resolved
         * inside the tree, and each .deb is copied there through that fd
         * (O_CREAT|O_EXCL never follows the last component). A copy, not a
         * link: a maintainer script that writes it must not change the
         * cache's blob, which later fetches reuse. */
        _cleanup_close_ int rootfd = open(b->tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", b->tree);
        int rc = fs_mkdir_p_in_root(rootfd, "var/cache/apt/archives", 0755, e);
        if (rc < 0)
                return err_prefix(e, "%s", b->tree);
        _cleanup_close_ int archives =
                fs_open_in_root(rootfd, "var/cache/apt/archives", O_PATH | O_DIRECTORY, 0, e);
        if (archives < 0)
                return err_prefix(e, "%s", b->tree);
        for (size_t i = with_essential ? 0 : b->sel.n_required; i < b->sel.n; i++) {
                const apt_pkg *p = b->sel.pkgs[i];
                const char *name = path_basename(p->filename);
                if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
                        return err_set(e, -EINVAL, "%s: not a .deb file name", p->filename);
                _cleanup_free_ char *inside = xasprintf("/var/cache/apt/archives/%s", name);
                _cleanup_free_ char *at = xasprintf("/proc/self/fd/%d/%s", archives, name);
                rc = apt_copy_file(b->debs[i].path, at, e);
                if (rc < 0)
                        return err_prefix(e, "%s: %s", b->tree, inside);
                strv_push(i < b->sel.n_required ? essential : others, inside);
        }
        /* base-passwd, then base-files first: later preinsts need
         * /etc/passwd and the base layout. */
        to_front(essential, "base-files_");
        to_front(essential, "base-passwd_");
        return 0;
}

/* The essential set's unpacked packages in the order dpkg --install
 * would take them (place_debs'). */
static apt_deb_info **install_order(boot *b, apt_deb_info **infos, size_t n)
{
        apt_deb_info **v = xcalloc(b->sel.n_required ? b->sel.n_required : 1, sizeof(*v));
        size_t m = 0;
        for (size_t i = 0; i < b->sel.n_required; i++)
                for (size_t k = 0; k < n; k++)
                        if (infos[k] && !strcmp(infos[k]->deb, b->debs[i].path))
                                v[m++] = infos[k];
        static const char *const first[] = {"base-files", "base-passwd"};
        for (size_t f = 0; f < ARRAY_SIZE(first); f++)
                for (size_t i = 0; i < m; i++)
                        if (!strcmp(v[i]->package, first[f])) {
                                apt_deb_info *x = v[i];
                                memmove(v + 1, v, i * sizeof(*v));
                                v[0] = x;
                                break;
                        }
        return v;
}

static int finish_tree(boot *b, err_t *e)
{
        strbuf sl = {0};
        for (size_t k = 0; k < APT_POCKET_MAX; k++) {
                const pocket *p = &b->pockets[k];
                if (!p->used)
                        continue;
                sb_appendf(&sl, "deb %s %s", p->mirror, p->suite);
                for (size_t i = 0; i < b->components.n; i++)
                        sb_appendf(&sl, " %s", b->components.v[i]);
                sb_append(&sl, "\n");
        }
        int rc = apt_tree_tidy(b->tree, sl.s, e);
        sb_free(&sl);
        return rc;
}

static int publish_copy(const char *src, const char *dst, err_t *e);

/* bases/SUITE_ARCH holds the same bytes as images/HEX: a second name of
 * that file (both are the store's, never written in place: replaced by
 * rename), not a second copy; a copy of image when images/ has none. */
static int keep_base(boot *b, const char *image, err_t *e)
{
        const char *ext = strstr(path_basename(image), ".tar");
        _cleanup_free_ char *key =
                xasprintf("%s_%s%s", b->suite.name, b->arch, ext ? ext : ".tar.gz");
        _cleanup_free_ char *dst = NULL;
        int rc = store_area_path(b->st, STORE_AREA_BASES, key, &dst, e);
        if (rc < 0)
                return rc;
        if (b->image_key) {
                _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", dst, (int)getpid());
                unlink(tmp);
                if (link(b->image_key, tmp) == 0) {
                        if (rename(tmp, dst) == 0)
                                return 0;
                        unlink(tmp);
                }
        }
        return publish_copy(image, dst, e);
}

static double elapsed(void)
{
        static struct timespec t0;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (!t0.tv_sec)
                t0 = t;
        return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

/* A finished image depends only on the signed Releases of the pockets
 * used (which pin every Packages file and so every .deb), the options that shape the tree and
 * the output format: the same inputs reuse the image built before. NULL
 * when the cache's images/ cannot be used. */
static char *image_cache_path(boot *b)
{
        const apt_bootstrap_opts *o = b->o;
        strbuf k = {0};
        sb_appendf(&k, "v2\n%s\n%s\n%s\n%d\n%d\n", b->arch, b->mirror, b->suite.codename,
                   (int)o->variant, (int)b->suite.merged_usr);
        for (size_t i = 0; i < APT_POCKET_MAX; i++)
                if (b->pockets[i].used)
                        sb_appendf(&k, "p:%s:%s:%s\n", b->pockets[i].suite, b->pockets[i].mirror,
                                   b->pockets[i].release_digest);
        for (size_t i = 0; i < b->components.n; i++)
                sb_appendf(&k, "c:%s\n", b->components.v[i]);
        for (size_t i = 0; i < o->include.n; i++)
                sb_appendf(&k, "i:%s\n", o->include.v[i]);
        for (size_t i = 0; i < o->exclude.n; i++)
                sb_appendf(&k, "x:%s\n", o->exclude.v[i]);
        int64_t epoch = 0;
        int have = source_date_epoch(&epoch);
        sb_appendf(&k, "epoch:%d:%lld\nlevel:%d\nverified:%d\n", have, (long long)epoch,
                   o->compress_level, !o->no_verify);
        const char *ext = strstr(path_basename(o->output), ".tar");
        sb_appendf(&k, "format:%s:%d\n", ext ? ext : "", (int)image_compress_from_name(o->output));
        if (o->dpkg_unpack)
                sb_append(&k, "dpkg-unpack\n");
        digest_buf(k.s, k.len, b->image_hex);
        sb_free(&k);
        char *path = NULL;
        err_t e = {0};
        if (store_area_path(b->st, STORE_AREA_APT_IMAGES, b->image_hex, &path, &e) < 0)
                log_warn("%s", e.msg);
        return path;
}

/* Copy (or hardlink) src to dst atomically. */
static int publish_copy(const char *src, const char *dst, err_t *e)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", dst, (int)getpid());
        unlink(tmp);
        int rc = apt_copy_file(src, tmp, e);
        if (rc == 0 && rename(tmp, dst) < 0)
                rc = err_sys(e, errno, "%s", dst);
        if (rc < 0)
                unlink(tmp);
        return rc;
}

static int step(int rc, const char *what)
{
        if (rc == 0)
                log_debug("%6.2fs  %s", elapsed(), what);
        return rc;
}

static int select_packages(boot *b, err_t *e)
{
        const apt_bootstrap_opts *o = b->o;
        /* The tree's /usr is merged before unpacking, so the usrmerge
         * package (which would convert it) is not wanted: usr-is-merged,
         * its alternative, is. debootstrap does the same. */
        strv excl = {0};
        for (size_t i = 0; i < o->exclude.n; i++)
                strv_push(&excl, o->exclude.v[i]);
        if (b->suite.merged_usr && !strv_contains(&o->include, "usrmerge"))
                strv_push(&excl, "usrmerge");
        int rc = apt_select(b->index, o->variant, &o->include, &excl, &b->sel, e);
        strv_free(&excl);
        return rc;
}

static int pack(boot *b, err_t *e)
{
        image_opts io = {.format = IMAGE_FORMAT_TAR,
                         .compress = image_compress_from_name(b->o->output),
                         .level = b->o->compress_level};
        int64_t epoch;
        if (source_date_epoch(&epoch) == 1) {
                io.have_epoch = true;
                io.epoch = epoch;
        }
        return build_pack_dir(b->tree, b->o->output, &io, e);
}

/* Tell the caller that phase p begins. */
static void report(boot *b, apt_phase p, bool reused)
{
        const apt_bootstrap_opts *o = b->o;
        if (!o->phase)
                return;
        apt_phase_report r = {.phase = p,
                              .suite = b->suite.name,
                              .arch = b->arch,
                              .mirror = b->mirror,
                              .n_packages = b->sel.n,
                              .n_essential = b->sel.n_required,
                              .reused = reused};
        for (size_t i = 0; p == APT_PHASE_DOWNLOAD && i < b->sel.n; i++)
                r.download_bytes += b->sel.pkgs[i]->size;
        o->phase(&r, o->progress_data);
}

/* The image built before from the same inputs, copied to the output:
 * 1 when it was, 0 when there is none (or --rebuild), or an error. */
static int reuse_image(boot *b, err_t *e)
{
        const apt_bootstrap_opts *o = b->o;
        b->image_key = image_cache_path(b);
        if (o->rebuild || !b->image_key || access(b->image_key, R_OK) < 0)
                return 0;
        report(b, APT_PHASE_PACK, true);
        store_area_mark_used(b->st, STORE_AREA_APT_IMAGES, b->image_hex);
        int rc = publish_copy(b->image_key, o->output, e);
        if (rc < 0)
                return rc;
        log_info("the signed Release is unchanged: reusing the image built from it (--rebuild "
                 "makes a new one)");
        return 1;
}

int apt_bootstrap(const apt_bootstrap_opts *o, err_t *e)
{
        elapsed();
        boot b = {.o = o, .lock_fd = -1};
        strv ess = {0}, rest = {0};
        apt_deb_info **infos = NULL;
        size_t n_infos = 0;
        int rc = step(setup(&b, e), "setup");
        if (rc == 0) {
                log_info("fetching %s (%s) from %s", b.suite.name, b.arch, b.mirror);
                report(&b, APT_PHASE_RESOLVE, false);
                rc = step(fetch_releases(&b, e), "InRelease files verified");
        }
        /* The Packages files are in the cache when the image is: read
         * anyway, they tell how many packages the image holds. */
        if (rc == 0)
                rc = step(fetch_indexes(&b, e), "Packages verified and read");
        if (rc == 0)
                rc = step(select_packages(&b, e), "selection");
        if (rc == 0 && o->print_debs) {
                for (size_t i = 0; o->debs && i < b.sel.n; i++)
                        strv_push(o->debs, b.sel.pkgs[i]->name);
                boot_free(&b);
                return 0;
        }
        if (rc == 0 && (rc = reuse_image(&b, e)) != 0) {
                boot_free(&b);
                return rc < 0 ? rc : 0;
        }
        if (rc == 0) {
                log_info("%zu packages (%zu essential)", b.sel.n, b.sel.n_required);
                rc = make_skeleton(&b, e);
        }
        if (rc == 0) {
                /* The essential set is unpacked by worker threads while
                 * the downloads go on. */
                apt_unpacker *u = apt_unpacker_start(
                        b.tree, b.merged.n ? (const char *const *)b.merged.v : NULL,
                        !o->dpkg_unpack);
                report(&b, APT_PHASE_DOWNLOAD, false);
                rc = step(fetch_debs(&b, u, e), "packages downloaded and verified");
                if (rc == 0)
                        report(&b, APT_PHASE_UNPACK, false);
                err_t e2 = {0};
                int prc = apt_unpacker_finish(u, &infos, &n_infos, &e2);
                if (rc == 0 && prc < 0) {
                        *e = e2;
                        rc = prc;
                }
                step(rc, "essential set unpacked");
        }
        if (rc == 0)
                rc = place_debs(&b, o->dpkg_unpack, &ess, &rest, e);
        if (rc == 0) {
                report(&b, APT_PHASE_CONFIGURE, false);
                if (o->dpkg_unpack) {
                        rc = apt_stage2(b.tree, &ess, &rest, e);
                } else {
                        _cleanup_free_ apt_deb_info **order = install_order(&b, infos, n_infos);
                        rc = apt_stage2_unpacked(
                                b.tree, b.merged.n ? (const char *const *)b.merged.v : NULL, order,
                                b.sel.n_required, &rest, e);
                }
                step(rc, "second stage");
        }
        for (size_t k = 0; k < n_infos; k++)
                apt_deb_info_free(infos[k]);
        free(infos);
        strv_free(&ess);
        strv_free(&rest);
        if (rc == 0)
                rc = apt_stage2_check(b.tree, &b.sel, e);
        if (rc == 0)
                rc = finish_tree(&b, e);
        if (rc == 0) {
                report(&b, APT_PHASE_PACK, false);
                rc = step(pack(&b, e), "image written");
        }
        /* Only a verified build may become a base layer or be reused. */
        if (rc == 0 && !o->no_verify) {
                err_t e2 = {0};
                if (b.image_key && publish_copy(o->output, b.image_key, &e2) < 0) {
                        log_warn("could not keep the image in the cache: %s", e2.msg);
                        free(b.image_key);
                        b.image_key = NULL;
                }
                if (keep_base(&b, o->output, &e2) < 0)
                        log_warn("could not keep the base layer in the cache: %s", e2.msg);
                step(0, "image kept in the cache");
        }
        boot_free(&b);
        step(rc, "tree removed");
        return rc;
}
