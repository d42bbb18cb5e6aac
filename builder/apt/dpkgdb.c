/* dpkg's database for packages mkroot unpacked itself, as dpkg --unpack
 * leaves it: info/PKG.* (the control member's files and the file list),
 * a status entry "install ok unpacked" per package with its conffiles
 * still to be put in place ("newconffile"), and the trigger interests.
 * dpkg --configure takes it from there and rewrites status its own way. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "apt.h"

/* The name dpkg gives a package's files: PKG:ARCH when Multi-Arch: same. */
static char *db_name(const apt_deb_info *p)
{
        return p->ma_same ? xasprintf("%s:%s", p->package, p->arch) : xstrdup(p->package);
}

/* A new file in dirfd, with mode and (when mtime >= 0) time. */
static int put_file(int dirfd, const char *dir, const char *name, const void *data, size_t len,
                    mode_t mode, int64_t mtime, err_t *e)
{
        _cleanup_close_ int fd =
                openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return err_sys(e, errno, "%s/%s", dir, name);
        int rc = fd_write_all(fd, data, len);
        if (rc < 0)
                return err_sys(e, -rc, "%s/%s", dir, name);
        if (fchmod(fd, mode) < 0)
                return err_sys(e, errno, "%s/%s", dir, name);
        struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
        if (mtime >= 0 && futimens(fd, ts) < 0)
                return err_sys(e, errno, "%s/%s", dir, name);
        if (close(steal_fd(&fd)) < 0)
                return err_sys(e, errno, "%s/%s", dir, name);
        return 0;
}

/* One field of a control paragraph, as written: "Name: value" and its
 * continuation lines. */
typedef struct ctl_field {
        const char *start;
        size_t len; /* through the last line's newline */
        size_t name_len;
} ctl_field;

static size_t ctl_fields(const char *text, ctl_field **ret)
{
        ctl_field *f = NULL;
        size_t n = 0;
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                const char *end = nl ? nl + 1 : p + strlen(p);
                if (*p == ' ' || *p == '\t') {
                        if (n)
                                f[n - 1].len = (size_t)(end - f[n - 1].start);
                } else if (*p != '\n') {
                        const char *colon = memchr(p, ':', (size_t)(end - p));
                        if (colon) {
                                f = xreallocarray(f, n + 1, sizeof(*f));
                                f[n++] = (ctl_field){p, (size_t)(end - p), (size_t)(colon - p)};
                        }
                } else if (n) {
                        break; /* one paragraph */
                }
                p = end;
        }
        *ret = f;
        return n;
}

static bool field_is(const ctl_field *f, const char *name)
{
        return f->name_len == strlen(name) && !strncasecmp(f->start, name, f->name_len);
}

static void put_field(strbuf *b, const ctl_field *f)
{
        sb_appendn(b, f->start, f->len);
        if (f->len && f->start[f->len - 1] != '\n')
                sb_append(b, "\n");
}

/* The status entry, fields in the order dpkg writes them, the fields it
 * does not know after in their own order. */
static void status_entry(strbuf *b, const apt_deb_info *p)
{
        static const char *const order[] = {
                "Package",    "Essential",   "Protected",        "Status",
                "Priority",   "Section",     "Installed-Size",   "Origin",
                "Maintainer", "Bugs",        "Architecture",     "Multi-Arch",
                "Source",     "Version",     "Config-Version",   "Replaces",
                "Provides",   "Depends",     "Pre-Depends",      "Recommends",
                "Suggests",   "Breaks",      "Conflicts",        "Enhances",
                "Conffiles",  "Description", "Triggers-Pending", "Triggers-Awaited",
        };
        _cleanup_free_ ctl_field *f = NULL;
        size_t n = ctl_fields(p->control, &f);
        _cleanup_free_ bool *done = xcalloc(n ? n : 1, sizeof(*done));
        for (size_t o = 0; o < ARRAY_SIZE(order); o++) {
                if (!strcmp(order[o], "Status")) {
                        sb_append(b, "Status: install ok unpacked\n");
                        continue;
                }
                if (!strcmp(order[o], "Conffiles") && p->conffiles.n) {
                        sb_append(b, "Conffiles:\n");
                        for (size_t k = 0; k < p->conffiles.n; k++)
                                sb_appendf(b, " %s newconffile\n", p->conffiles.v[k]);
                        continue;
                }
                for (size_t k = 0; k < n; k++)
                        if (!done[k] && field_is(&f[k], order[o])) {
                                /* The database's own fields are never
                                 * taken from a package. */
                                if (strcmp(order[o], "Config-Version") != 0 &&
                                    strncmp(order[o], "Triggers-", 9) != 0)
                                        put_field(b, &f[k]);
                                done[k] = true;
                        }
        }
        for (size_t k = 0; k < n; k++)
                if (!done[k] && !field_is(&f[k], "Status") && !field_is(&f[k], "Conffiles"))
                        put_field(b, &f[k]);
        sb_append(b, "\n");
}

static int cmp_pkg(const void *a, const void *b)
{
        const apt_deb_info *x = *(apt_deb_info *const *)a, *y = *(apt_deb_info *const *)b;
        int c = strcmp(x->package, y->package);
        return c ? c : strcmp(x->arch, y->arch);
}

/* Interests from the triggers control files: "PATH PKG[/noawait]" lines
 * of triggers/File, "PKG[/noawait]" lines of triggers/NAME. */
static void trigger_interests(const apt_deb_info *p, const char *name, strbuf *file, strmap *named)
{
        for (size_t k = 0; k < p->n_files; k++) {
                if (strcmp(p->files[k].name, "triggers") != 0)
                        continue;
                _cleanup_free_ char *t = xstrdup(p->files[k].data);
                char *save = NULL;
                for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        char *w_save = NULL;
                        const char *kw = strtok_r(l, " \t", &w_save);
                        const char *what = kw ? strtok_r(NULL, " \t", &w_save) : NULL;
                        if (!kw || !what || kw[0] == '#')
                                continue;
                        const char *suffix;
                        if (!strcmp(kw, "interest") || !strcmp(kw, "interest-await"))
                                suffix = "";
                        else if (!strcmp(kw, "interest-noawait"))
                                suffix = "/noawait";
                        else
                                continue; /* activations: nothing is configured yet */
                        if (what[0] == '/') {
                                sb_appendf(file, "%s %s%s\n", what, name, suffix);
                                continue;
                        }
                        strbuf *nb = strmap_get(named, what);
                        if (!nb) {
                                nb = xcalloc(1, sizeof(*nb));
                                strmap_put(named, what, nb);
                        }
                        sb_appendf(nb, "%s%s\n", name, suffix);
                }
        }
}

static void strbuf_freev(void *v)
{
        strbuf *b = v;
        sb_free(b);
        free(b);
}

int apt_dpkgdb_write(const char *root, apt_deb_info *const *pkgs, size_t n, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        int rc = fs_mkdir_p_in_root(rootfd, "var/lib/dpkg/info", 0755, e);
        if (rc == 0)
                rc = fs_mkdir_p_in_root(rootfd, "var/lib/dpkg/triggers", 0755, e);
        if (rc < 0)
                return err_prefix(e, "%s", root);
        _cleanup_close_ int admin =
                fs_open_in_root(rootfd, "var/lib/dpkg", O_PATH | O_DIRECTORY, 0, e);
        _cleanup_close_ int info =
                fs_open_in_root(rootfd, "var/lib/dpkg/info", O_PATH | O_DIRECTORY, 0, e);
        _cleanup_close_ int trig =
                fs_open_in_root(rootfd, "var/lib/dpkg/triggers", O_PATH | O_DIRECTORY, 0, e);
        if (admin < 0 || info < 0 || trig < 0)
                return err_prefix(e, "%s", root);
        _cleanup_free_ char *dir = xasprintf("%s/var/lib/dpkg/info", root);
        strbuf file = {0};
        strmap *named = strmap_new_with_free(strbuf_freev);
        for (size_t i = 0; i < n && rc == 0; i++) {
                const apt_deb_info *p = pkgs[i];
                _cleanup_free_ char *name = db_name(p);
                for (size_t k = 0; k < p->n_files && rc == 0; k++) {
                        _cleanup_free_ char *fn = xasprintf("%s.%s", name, p->files[k].name);
                        rc = put_file(info, dir, fn, p->files[k].data, p->files[k].len,
                                      p->files[k].mode, p->files[k].mtime, e);
                }
                strbuf l = {0};
                for (size_t k = 0; k < p->list.n; k++)
                        sb_appendf(&l, "%s\n", p->list.v[k]);
                _cleanup_free_ char *fn = xasprintf("%s.list", name);
                if (rc == 0)
                        rc = put_file(info, dir, fn, l.s ? l.s : "", l.len, 0644, -1, e);
                sb_free(&l);
                trigger_interests(p, name, &file, named);
        }
        if (rc == 0 && file.len)
                rc = put_file(trig, "var/lib/dpkg/triggers", "File", file.s, file.len, 0644, -1, e);
        size_t pos = 0;
        const char *k;
        void *v;
        while (rc == 0 && strmap_next(named, &pos, &k, &v)) {
                const strbuf *nb = v;
                if (strchr(k, '/') || k[0] == '.') /* a name dpkg would refuse */
                        continue;
                rc = put_file(trig, "var/lib/dpkg/triggers", k, nb->s, nb->len, 0644, -1, e);
        }
        sb_free(&file);
        strmap_free(named);
        if (rc < 0)
                return rc;

        /* dpkg keeps status sorted by name. */
        _cleanup_free_ apt_deb_info **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
        memcpy(sorted, pkgs, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), cmp_pkg);
        strbuf st = {0};
        for (size_t i = 0; i < n; i++)
                status_entry(&st, sorted[i]);
        rc = put_file(admin, "var/lib/dpkg", "status", st.s ? st.s : "", st.len, 0644, -1, e);
        sb_free(&st);
        return rc;
}
