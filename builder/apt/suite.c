/* Suites are data: manifests/SUITE.deb822. Also where a suite's mirror
 * comes from (the host's apt sources, debootstrap.c's reading of
 * debootstrap's scripts, the manifest) and where the cache lives. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "apt.h"
#include "cache.h"

#ifndef APT_MANIFEST_DIRS
#define APT_MANIFEST_DIRS "/usr/share/mkroot/manifests"
#endif
#ifndef APT_MANIFEST_REL
#define APT_MANIFEST_REL "../share/mkroot/manifests"
#endif

static void split_words(const char *s, strv *out)
{
        if (!s)
                return;
        const char *p = s;
        while (*p) {
                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')
                        p++;
                const char *w = p;
                while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != ',')
                        p++;
                if (p > w)
                        strv_push_take(out, xstrndup(w, (size_t)(p - w)));
        }
}

/* $MKROOT_MANIFESTS, then beside the running executable: installed
 * (BINDIR/APT_MANIFEST_REL, so a moved prefix still finds its own) and
 * in a build tree (BUILDDIR/manifests, a copy meson makes), then the
 * configured datadir. */
static void manifest_dirs(strv *dirs)
{
        const char *env = getenv("MKROOT_MANIFESTS");
        _cleanup_free_ char *all = xstrdup(env ? env : "");
        char *save = NULL;
        for (char *d = strtok_r(all, ":", &save); d; d = strtok_r(NULL, ":", &save))
                strv_push(dirs, d);
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0 && (size_t)n < sizeof(exe) - 1) {
                exe[n] = '\0';
                _cleanup_free_ char *bin = path_dirname(exe);
                strv_push_take(dirs, path_join(bin, APT_MANIFEST_REL));
                strv_push_take(dirs, path_join(bin, "manifests"));
        }
        strv_push(dirs, APT_MANIFEST_DIRS);
}

int apt_suite_list(strv *ret)
{
        _cleanup_strv_ strv dirs = {0};
        manifest_dirs(&dirs);
        for (size_t i = 0; i < dirs.n; i++) {
                _cleanup_strv_ strv names = {0};
                if (fs_list_dir_at(AT_FDCWD, dirs.v[i], &names) < 0)
                        continue;
                for (size_t k = 0; k < names.n; k++) {
                        size_t n = strlen(names.v[k]);
                        if (n > 7 && !strcmp(names.v[k] + n - 7, ".deb822")) {
                                _cleanup_free_ char *name = xstrndup(names.v[k], n - 7);
                                if (!strv_contains(ret, name))
                                        strv_push(ret, name);
                        }
                }
        }
        /* Sorted for a stable message. */
        for (size_t i = 1; i < ret->n; i++)
                for (size_t j = i; j > 0 && strcmp(ret->v[j - 1], ret->v[j]) > 0; j--) {
                        char *t = ret->v[j];
                        ret->v[j] = ret->v[j - 1];
                        ret->v[j - 1] = t;
                }
        return 0;
}

static bool yes(const char *v)
{
        return v && (!strcasecmp(v, "yes") || !strcasecmp(v, "true"));
}

static int suite_from_file(const char *path, apt_suite *ret, err_t *e)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int rc = fs_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, e);
        if (rc < 0)
                return rc;
        _cleanup_deb822_ deb822 d = {0};
        rc = deb822_parse(data, len, path, &d, e);
        if (rc < 0)
                return rc;
        if (d.n_paras != 1)
                return err_set(e, -EBADMSG, "%s: expected one paragraph", path);
        const char *suite = deb822_get(&d, 0, "Suite");
        const char *dist = deb822_get(&d, 0, "Distribution");
        const char *comps = deb822_get(&d, 0, "Components");
        if (!suite || !dist || !comps)
                return err_set(e, -EBADMSG, "%s: Suite, Distribution and Components are required",
                               path);
        apt_suite s = {
                .name = xstrdup(suite),
                .distribution = xstrdup(dist),
                .path = xstrdup(path),
        };
        const char *v = deb822_get(&d, 0, "Codename");
        s.codename = xstrdup(v ? v : suite);
        if ((v = deb822_get(&d, 0, "Release")) && *v)
                s.release = xstrdup(v);
        split_words(comps, &s.components);
        split_words(deb822_get(&d, 0, "Architectures"), &s.architectures);
        if ((v = deb822_get(&d, 0, "Signed-By")) && *v)
                s.signed_by = xstrdup(v);
        s.merged_usr = yes(deb822_get(&d, 0, "Merged-Usr"));
        if ((v = deb822_get(&d, 0, "URIs")) && *v) {
                strv u = {0};
                split_words(v, &u);
                if (u.n)
                        s.uri = xstrdup(u.v[0]);
                strv_free(&u);
        }
        *ret = s;
        return 0;
}

int apt_suite_load(const char *name, apt_suite *ret, err_t *e)
{
        if (strchr(name, '/'))
                return suite_from_file(name, ret, e);
        if (!*name || name[0] == '.')
                return err_set(e, -EINVAL, "bad suite name \"%s\"", name);
        _cleanup_strv_ strv dirs = {0};
        manifest_dirs(&dirs);
        for (size_t i = 0; i < dirs.n; i++) {
                _cleanup_free_ char *f = xasprintf("%s/%s.deb822", dirs.v[i], name);
                if (access(f, R_OK) == 0)
                        return suite_from_file(f, ret, e);
        }
        _cleanup_strv_ strv known = {0};
        apt_suite_list(&known);
        strbuf b = {0};
        for (size_t i = 0; i < known.n; i++)
                sb_appendf(&b, "%s%s", i ? ", " : "", known.v[i]);
        int rc = err_set(e, -ENOENT, "unknown suite \"%s\" (known: %s)", name,
                         b.len ? b.s : "none: no manifests found");
        sb_free(&b);
        return rc;
}

void apt_suite_free(apt_suite *s)
{
        free(s->name);
        free(s->distribution);
        free(s->codename);
        free(s->release);
        strv_free(&s->components);
        strv_free(&s->architectures);
        free(s->signed_by);
        free(s->uri);
        free(s->path);
        *s = (apt_suite){0};
}

/* ---- the host's mirror ------------------------------------------------ */

typedef struct host_source {
        strv uris, suites;
        char *signed_by;
} host_source;

/* Which distribution a host source serves: from its keyring's name, else
 * from the last path component of its URI. */
static bool source_serves(const host_source *h, const char *uri, const apt_suite *s)
{
        const char *dist = s->distribution;
        if (h->signed_by && strcasestr(h->signed_by, dist))
                return true;
        if (h->signed_by &&
            (strcasestr(h->signed_by, "debian") || strcasestr(h->signed_by, "ubuntu")))
                return false;
        size_t n = strlen(uri);
        while (n && uri[n - 1] == '/')
                n--;
        if (n > 9 && !strncasecmp(uri + n - 9, "-security", 9))
                n -= 9;
        size_t dn = strlen(dist);
        return n >= dn && !strncasecmp(uri + n - dn, dist, dn);
}

static bool is_security_suite(const char *suite)
{
        size_t n = strlen(suite);
        return n > 9 && !strcmp(suite + n - 9, "-security");
}

/* The URI of h for s's release pocket, or with security for the
 * distribution's security archive (a source listing some SUITE-security:
 * that archive carries every suite's). */
static char *pick(const host_source *h, const apt_suite *s, bool security)
{
        if (security) {
                bool any = false;
                for (size_t i = 0; i < h->suites.n && !any; i++)
                        any = is_security_suite(h->suites.v[i]);
                if (!any)
                        return NULL;
        } else if (!strv_contains(&h->suites, s->name)) {
                /* A mirror of the distribution that lists some plain
                 * codename (not -security/-updates) carries every suite. */
                bool plain = false;
                for (size_t i = 0; i < h->suites.n; i++)
                        if (!strchr(h->suites.v[i], '-') && !strchr(h->suites.v[i], '/'))
                                plain = true;
                if (!plain)
                        return NULL;
        }
        for (size_t i = 0; i < h->uris.n; i++)
                if (source_serves(h, h->uris.v[i], s))
                        return xstrdup(h->uris.v[i]);
        return NULL;
}

static void host_source_free(host_source *h)
{
        strv_free(&h->uris);
        strv_free(&h->suites);
        free(h->signed_by);
        *h = (host_source){0};
}

static char *from_sources_file(const char *path, const apt_suite *s, bool security)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &e) < 0)
                return NULL;
        _cleanup_deb822_ deb822 d = {0};
        if (deb822_parse(data, len, path, &d, &e) < 0)
                return NULL;
        for (size_t i = 0; i < d.n_paras; i++) {
                const char *types = deb822_get(&d, i, "Types");
                const char *en = deb822_get(&d, i, "Enabled");
                if (!types || !strstr(types, "deb") || (en && !yes(en)))
                        continue;
                strv t = {0};
                split_words(types, &t);
                bool deb = strv_contains(&t, "deb");
                strv_free(&t);
                if (!deb)
                        continue;
                host_source h = {0};
                split_words(deb822_get(&d, i, "URIs"), &h.uris);
                split_words(deb822_get(&d, i, "Suites"), &h.suites);
                const char *sb = deb822_get(&d, i, "Signed-By");
                if (sb)
                        h.signed_by = xstrdup(sb);
                char *r = pick(&h, s, security);
                host_source_free(&h);
                if (r)
                        return r;
        }
        return NULL;
}

static char *from_list_file(const char *path, const apt_suite *s, bool security)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char line[4096];
        while (fgets(line, sizeof(line), f)) {
                strv w = {0};
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                host_source h = {0};
                size_t i = 0;
                /* deb [opt=val ...] URI SUITE COMPONENT... */
                split_words(line, &w);
                if (w.n < 3 || strcmp(w.v[0], "deb")) {
                        strv_free(&w);
                        continue;
                }
                i = 1;
                if (w.v[i][0] == '[') {
                        for (; i < w.n; i++) {
                                if (!strncmp(w.v[i], "signed-by=", 10) ||
                                    !strncmp(w.v[i], "[signed-by=", 11))
                                        h.signed_by = xstrdup(strchr(w.v[i], '=') + 1);
                                if (strchr(w.v[i], ']')) {
                                        i++;
                                        break;
                                }
                        }
                }
                if (i + 1 < w.n) {
                        strv_push(&h.uris, w.v[i]);
                        strv_push(&h.suites, w.v[i + 1]);
                }
                strv_free(&w);
                char *r = h.uris.n ? pick(&h, s, security) : NULL;
                host_source_free(&h);
                if (r)
                        return r;
        }
        return NULL;
}

static char *host_source_for(const char *etc_apt, const apt_suite *s, bool security)
{
        _cleanup_free_ char *dir = path_join(etc_apt, "sources.list.d");
        _cleanup_strv_ strv names = {0}, files = {0};
        fs_list_dir_at(AT_FDCWD, dir, &names);
        for (size_t i = 0; i < names.n; i++)
                if (names.v[i][0] != '.')
                        strv_push_take(&files, path_join(dir, names.v[i]));
        _cleanup_free_ char *main_list = path_join(etc_apt, "sources.list");
        char *r = from_list_file(main_list, s, security);
        for (size_t i = 0; !r && i < files.n; i++) {
                size_t n = strlen(files.v[i]);
                if (n > 8 && !strcmp(files.v[i] + n - 8, ".sources"))
                        r = from_sources_file(files.v[i], s, security);
                else if (n > 5 && !strcmp(files.v[i] + n - 5, ".list"))
                        r = from_list_file(files.v[i], s, security);
        }
        return r;
}

char *apt_host_mirror(const char *etc_apt, const apt_suite *s)
{
        return host_source_for(etc_apt, s, false);
}

char *apt_host_security(const char *etc_apt, const apt_suite *s)
{
        char *r = host_source_for(etc_apt, s, true);
        size_t n = r ? strlen(r) : 0;
        while (n > 1 && r[n - 1] == '/')
                r[--n] = '\0';
        return r;
}

int apt_suite_mirror(const apt_suite *s, const char *arch, const apt_mirror_sources *src,
                     char **ret, err_t *e)
{
        return apt_suite_mirror_from(s, arch, src, ret, NULL, e);
}

int apt_suite_mirror_from(const apt_suite *s, const char *arch, const apt_mirror_sources *src,
                          char **ret, apt_mirror_from *ret_from, err_t *e)
{
        char *m = NULL;
        const char *from = NULL;
        apt_mirror_from kind;
        if (src->option && *src->option) {
                m = xstrdup(src->option);
                from = "--mirror";
                kind = APT_MIRROR_FROM_OPTION;
        } else if (src->env && *src->env) {
                m = xstrdup(src->env);
                from = "MKROOT_MIRROR";
                kind = APT_MIRROR_FROM_ENV;
        } else if (src->etc_apt && (m = apt_host_mirror(src->etc_apt, s))) {
                from = "the host's apt sources";
                kind = APT_MIRROR_FROM_HOST;
        } else if (src->debootstrap_dir &&
                   (m = apt_debootstrap_mirror(src->debootstrap_dir, s, arch))) {
                from = "debootstrap's scripts";
                kind = APT_MIRROR_FROM_DEBOOTSTRAP;
        } else if (s->uri) {
                m = xstrdup(s->uri);
                from = s->path;
                kind = APT_MIRROR_FROM_MANIFEST;
        } else {
                return err_set(e, -ENOENT,
                               "%s: no mirror (the host's apt sources do not serve %s and "
                               "debootstrap's scripts name none): pass --mirror URL or set "
                               "MKROOT_MIRROR",
                               s->name, s->distribution);
        }
        size_t n = strlen(m);
        while (n > 1 && m[n - 1] == '/')
                m[--n] = '\0';
        log_debug("%s: mirror %s (from %s)", s->name, m, from);
        *ret = m;
        if (ret_from)
                *ret_from = kind;
        return 0;
}

apt_keyring_state apt_suite_keyring_state(const apt_suite *s)
{
        if (!s->signed_by)
                return APT_KEYRING_UNNAMED;
        if (!strncmp(s->signed_by, "-----BEGIN", 10))
                return APT_KEYRING_EMBEDDED;
        return access(s->signed_by, R_OK) == 0 ? APT_KEYRING_PRESENT : APT_KEYRING_MISSING;
}

char *apt_cache_dir(const char *opt)
{
        /* The same directory runroot uses (cache/), made absolute: the
         * tree built below it is handed to the runner and to dpkg. */
        char *dir = opt && *opt ? xstrdup(opt) : store_default_dir();
        if (dir[0] != '/') {
                char *cwd = getcwd(NULL, 0);
                if (cwd) {
                        char *abs = path_join(cwd, dir);
                        free(dir);
                        dir = abs;
                        free(cwd);
                }
        }
        return dir;
}
