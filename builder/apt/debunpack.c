/* .deb reading with libarchive: the outer ar archive, then the control or
 * data tarball (gz, xz, zst, bz2 or none) streamed from inside it. The data
 * member goes through the one extractor (extract.h: names cleaned, every
 * path resolved inside the root, every write checked, so a full disk fails
 * the package instead of leaving a truncated file), with the merged-/usr
 * redirection as its path rewrite. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>

#include "apt.h"
#include "extract.h"
#include "runner.h"

typedef struct inner_src {
        struct archive *outer;
} inner_src;

static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
        inner_src *s = data;
        const void *b;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(s->outer, &b, &len, &off);
        if (r == ARCHIVE_EOF)
                return 0;
        if (r < ARCHIVE_WARN) {
                archive_set_error(a, EIO, "%s", archive_error_string(s->outer));
                return -1;
        }
        *buf = b;
        return (la_ssize_t)len;
}

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}
#define _cleanup_archive_ _cleanup_(archive_freep)

/* One member of a .deb open for reading: the ar archive, and the member's
 * tarball streamed from it. */
typedef struct deb_member {
        struct archive *outer, *in;
        inner_src src;
} deb_member;

static void deb_member_close(deb_member *m)
{
        archive_freep(&m->in);
        archive_freep(&m->outer);
}
#define _cleanup_member_ _cleanup_(deb_member_close)

/* The next member of deb's ar archive outer that is not debian-binary:
 * 1 with its name, 0 at the end. debian-binary is checked where it comes
 * (*saw_binary: it came). */
static int next_member(struct archive *outer, const char *deb, bool *saw_binary,
                       const char **ret_name, err_t *e)
{
        for (;;) {
                struct archive_entry *ent;
                int r = archive_read_next_header(outer, &ent);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EBADMSG, "%s: %s", deb, archive_error_string(outer));
                const char *name = archive_entry_pathname(ent);
                if (!name)
                        continue;
                if (strcmp(name, "debian-binary") != 0) {
                        *ret_name = name;
                        return 1;
                }
                char v[8] = {0};
                if (archive_read_data(outer, v, sizeof(v) - 1) < 2 || v[0] != '2' || v[1] != '.')
                        return err_set(e, -EBADMSG, "%s: not a format 2.x .deb", deb);
                *saw_binary = true;
        }
}

/* The tarball of member name (of outer, at its data), ready to read
 * entries. */
static int open_inner(struct archive *outer, inner_src *src, const char *deb, const char *name,
                      struct archive **ret_inner, err_t *e)
{
        struct archive *inner = archive_read_new();
        archive_read_support_filter_all(inner);
        archive_read_support_format_tar(inner);
        src->outer = outer;
        if (archive_read_open(inner, src, NULL, inner_read, NULL) != ARCHIVE_OK) {
                int rc = err_set(e, -EBADMSG, "%s: %s: %s", deb, name, archive_error_string(inner));
                archive_read_free(inner);
                return rc;
        }
        *ret_inner = inner;
        return 0;
}

/* Open deb and position at the member whose name starts with prefix: *m
 * (which the caller closes) has its tarball, ready to read entries. */
static int open_member(const char *deb, const char *prefix, deb_member *m, err_t *e)
{
        _cleanup_archive_ struct archive *outer = archive_read_new();
        archive_read_support_format_ar(outer);
        if (archive_read_open_filename(outer, deb, 1 << 16) != ARCHIVE_OK)
                return err_set(e, -EBADMSG, "%s: %s", deb, archive_error_string(outer));
        bool saw_binary = false;
        const char *name;
        int r;
        while ((r = next_member(outer, deb, &saw_binary, &name, e)) == 1) {
                if (strncmp(name, prefix, strlen(prefix)) != 0)
                        continue;
                if (!saw_binary)
                        return err_set(e, -EBADMSG, "%s: debian-binary is not the first member",
                                       deb);
                r = open_inner(outer, &m->src, deb, name, &m->in, e);
                if (r < 0)
                        return r;
                m->outer = steal_pointer(&outer);
                return 0;
        }
        if (r < 0)
                return r;
        return err_set(e, -EBADMSG, "%s: no %s member", deb, prefix);
}

/* "./usr/bin/x" -> "usr/bin/x"; "" for the root itself (control.tar
 * member names only: data entries go through the extractor's cleaner). */
static const char *strip_dot(const char *p)
{
        while (p[0] == '.' && p[1] == '/')
                p += 2;
        while (*p == '/')
                p++;
        if (!strcmp(p, "."))
                return "";
        return p;
}

/* The path in the tree for a (cleaned) archive path: merged top-level
 * directories are redirected under usr/; the merged directory itself is
 * skipped (the symlink stays). */
static int merged_usr(void *ud, const char *rel, char **ret)
{
        const char *const *merged = ud;
        for (size_t i = 0; merged && merged[i]; i++) {
                size_t n = strlen(merged[i]);
                if (strncmp(rel, merged[i], n) != 0)
                        continue;
                if (rel[n] == '\0')
                        return 1;
                if (rel[n] == '/') {
                        *ret = xasprintf("usr/%s", rel);
                        return 0;
                }
        }
        return 0;
}

/* Root gives entries the package's owners where the kernel lets it; root
 * of a rootless fetch's namespace must give every one (an id outside the
 * user's range fails the unpack: the image root builds, or none). */
static xt_owners deb_owners(void)
{
        if (geteuid() != 0)
                return XT_OWNERS_CALLER;
        return runner_in_userns() ? XT_OWNERS_KEEP : XT_OWNERS_TRY;
}

/* What every unpack of a data member shares: messages name it, owners
 * as deb_owners says, device nodes made where it lets us, and a
 * directory entry leaves a symlink there alone, as dpkg does. */
static void data_opts(xt_opts *o, const char *label)
{
        o->label = label;
        o->owners = deb_owners();
        o->devices = XT_DEVICES_CREATE;
        o->keep_dirs = true;
}

/* deb's data member into root with o (and data_opts). */
static int extract_data(const char *deb, const char *root, xt_opts *o, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_member_ deb_member m = {0};
        int rc = open_member(deb, "data.tar", &m, e);
        if (rc < 0)
                return rc;
        _cleanup_free_ char *label = xasprintf("%s: data.tar", deb);
        data_opts(o, label);
        return xt_extract_archive(m.in, rootfd, o, NULL, e);
}

int apt_deb_extract(const char *deb, const char *root, const char *const *merged_dirs, err_t *e)
{
        /* No times: packages unpack in parallel, so a shared directory's
         * mtime would depend on which came last; dpkg sets the files'
         * times when it unpacks them again, and directories keep the
         * build time (clamped by SOURCE_DATE_EPOCH). */
        xt_opts o = {
                .no_times = true,
                .rewrite = merged_dirs ? merged_usr : NULL,
                .rewrite_ud = (void *)merged_dirs,
        };
        return extract_data(deb, root, &o, e);
}

int apt_deb_control_file(const char *deb, const char *member, char **ret, size_t *ret_len, err_t *e)
{
        _cleanup_member_ deb_member m = {0};
        int rc = open_member(deb, "control.tar", &m, e);
        if (rc < 0)
                return rc;
        struct archive_entry *ent;
        for (;;) {
                int r = archive_read_next_header(m.in, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EBADMSG, "%s: control.tar: %s", deb,
                                       archive_error_string(m.in));
                if (strcmp(strip_dot(archive_entry_pathname(ent)), member) != 0)
                        continue;
                int64_t size = archive_entry_size(ent);
                if (size < 0 || size > (16 << 20))
                        return err_set(e, -EFBIG, "%s: %s: too large", deb, member);
                char *buf = xmalloc((size_t)size + 1);
                la_ssize_t n = archive_read_data(m.in, buf, (size_t)size);
                if (n != size) {
                        free(buf);
                        return err_set(e, -EBADMSG, "%s: %s: short read", deb, member);
                }
                buf[size] = '\0';
                *ret = buf;
                *ret_len = (size_t)size;
                return 0;
        }
        return err_set(e, -ENOENT, "%s: no %s in control.tar", deb, member);
}

/* ---- one pass: control and data, for dpkg's database ------------------ */

void apt_deb_info_free(apt_deb_info *i)
{
        if (!i)
                return;
        free(i->deb);
        free(i->package);
        free(i->arch);
        free(i->version);
        free(i->control);
        for (size_t k = 0; k < i->n_files; k++) {
                free(i->files[k].name);
                free(i->files[k].data);
        }
        free(i->files);
        strv_free(&i->list);
        strv_free(&i->conffiles);
        free(i);
}

#define CONTROL_MAX ((size_t)64 << 20)

/* Every regular file of the control member (but "control" itself, kept
 * apart) in memory: dpkg keeps them in its database as PKG.NAME. */
static int read_control(struct archive *in, const char *deb, apt_deb_info *i, err_t *e)
{
        size_t total = 0;
        for (;;) {
                struct archive_entry *ent;
                int r = archive_read_next_header(in, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EBADMSG, "%s: control.tar: %s", deb,
                                       archive_error_string(in));
                const char *name = strip_dot(archive_entry_pathname(ent));
                if (archive_entry_filetype(ent) != AE_IFREG || !*name)
                        continue;
                if (strchr(name, '/') || !strcmp(name, ".."))
                        return err_set(e, -EBADMSG, "%s: control.tar: \"%s\": not a plain name",
                                       deb, name);
                int64_t size = archive_entry_size(ent);
                if (size < 0 || (size_t)size > CONTROL_MAX - total)
                        return err_set(e, -EFBIG, "%s: control.tar: too large", deb);
                total += (size_t)size;
                char *buf = xmalloc((size_t)size + 1);
                la_ssize_t n = size ? archive_read_data(in, buf, (size_t)size) : 0;
                if (n != size) {
                        free(buf);
                        return err_set(e, -EBADMSG, "%s: control.tar: %s: short read", deb, name);
                }
                buf[size] = '\0';
                if (!strcmp(name, "control")) {
                        free(i->control);
                        i->control = buf;
                        continue;
                }
                i->files = xreallocarray(i->files, i->n_files + 1, sizeof(*i->files));
                i->files[i->n_files++] = (apt_deb_file){.name = xstrdup(name),
                                                        .mode = archive_entry_perm(ent) & 07777,
                                                        .mtime = archive_entry_mtime(ent),
                                                        .data = buf,
                                                        .len = (size_t)size};
        }
        if (!i->control)
                return err_set(e, -EBADMSG, "%s: no control in control.tar", deb);
        _cleanup_deb822_ deb822 d = {0};
        int rc = deb822_parse(i->control, strlen(i->control), deb, &d, e);
        if (rc < 0)
                return rc;
        const char *pkg = d.n_paras ? deb822_get(&d, 0, "Package") : NULL;
        const char *arch = d.n_paras ? deb822_get(&d, 0, "Architecture") : NULL;
        const char *ver = d.n_paras ? deb822_get(&d, 0, "Version") : NULL;
        const char *ma = d.n_paras ? deb822_get(&d, 0, "Multi-Arch") : NULL;
        if (!pkg || !arch || !ver)
                return err_set(e, -EBADMSG, "%s: control: no Package, Architecture or Version",
                               deb);
        /* The names end up in file names and in a shell script. */
        for (const char *p = pkg; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+-.", *p)))
                        return err_set(e, -EBADMSG, "%s: control: bad package name", deb);
        for (const char *p = arch; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return err_set(e, -EBADMSG, "%s: control: bad architecture", deb);
        i->package = xstrdup(pkg);
        i->arch = xstrdup(arch);
        i->version = xstrdup(ver);
        i->ma_same = ma && !strcmp(ma, "same");
        for (size_t k = 0; k < i->n_files; k++) {
                if (strcmp(i->files[k].name, "conffiles") != 0)
                        continue;
                char *save = NULL;
                _cleanup_free_ char *c = xstrdup(i->files[k].data);
                for (char *l = strtok_r(c, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        while (*l == ' ' || *l == '\t')
                                l++;
                        size_t n = strlen(l);
                        while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
                                l[--n] = '\0';
                        /* "remove-on-upgrade /etc/x" flags an upgrade's
                         * business; the path is the last word. */
                        char *sp = strrchr(l, ' ');
                        if (sp)
                                l = sp + 1;
                        if (l[0] == '/')
                                strv_push(&i->conffiles, l);
                }
        }
        return 0;
}

static int gen_md5sums(const char *deb, apt_deb_info *i, err_t *e);

typedef struct unpack_ctx {
        const char *const *merged;
        const strv *conffiles; /* "/etc/x" */
        strv *list;
} unpack_ctx;

/* Merged /usr, then the package's conffiles as NAME.dpkg-new: that is
 * where dpkg leaves them until it configures the package. */
static int unpack_rewrite(void *ud, const char *rel, char **ret)
{
        unpack_ctx *c = ud;
        char *m = NULL;
        if (c->merged && merged_usr((void *)c->merged, rel, &m) == 1)
                return 1;
        for (size_t k = 0; k < c->conffiles->n; k++)
                if (!strcmp(c->conffiles->v[k] + 1, rel)) {
                        *ret = xasprintf("%s.dpkg-new", m ? m : rel);
                        free(m);
                        return 0;
                }
        *ret = m;
        return 0;
}

/* dpkg's file list: "/." for the root, then every entry as "/NAME". */
static void unpack_entry(void *ud, const char *name)
{
        unpack_ctx *c = ud;
        strv_push_take(c->list, name[0] ? xasprintf("/%s", name) : xstrdup("/."));
}

int apt_deb_unpack(const char *deb, const char *root, const char *const *merged_dirs,
                   apt_deb_info **ret, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_archive_ struct archive *outer = archive_read_new();
        archive_read_support_format_ar(outer);
        if (archive_read_open_filename(outer, deb, 1 << 16) != ARCHIVE_OK)
                return err_set(e, -EBADMSG, "%s: %s", deb, archive_error_string(outer));
        apt_deb_info *i = xcalloc(1, sizeof(*i));
        i->deb = xstrdup(deb);
        bool saw_binary = false, saw_data = false;
        const char *name;
        int rc = 0;
        while (!saw_data && (rc = next_member(outer, deb, &saw_binary, &name, e)) == 1) {
                bool is_control = !strncmp(name, "control.tar", 11);
                bool is_data = !strncmp(name, "data.tar", 8);
                if (!is_control && !is_data)
                        continue;
                if (!saw_binary) {
                        rc = err_set(e, -EBADMSG, "%s: debian-binary is not the first member", deb);
                        break;
                }
                if (is_data && !i->control) {
                        rc = err_set(e, -EBADMSG, "%s: data.tar before control.tar", deb);
                        break;
                }
                inner_src src;
                _cleanup_archive_ struct archive *in = NULL;
                rc = open_inner(outer, &src, deb, name, &in, e);
                if (rc < 0)
                        break;
                if (is_control) {
                        rc = read_control(in, deb, i, e);
                        if (rc < 0)
                                break;
                        continue;
                }
                saw_data = true;
                /* Files get the package's times, as dpkg gives them;
                 * directories keep the build's (packages share them and
                 * unpack side by side). */
                _cleanup_free_ char *label = xasprintf("%s: data.tar", deb);
                unpack_ctx c = {
                        .merged = merged_dirs, .conffiles = &i->conffiles, .list = &i->list};
                xt_opts o = {
                        .no_dir_times = true,
                        .rewrite = unpack_rewrite,
                        .rewrite_ud = &c,
                        .on_entry = unpack_entry,
                        .on_entry_ud = &c,
                };
                data_opts(&o, label);
                rc = xt_extract_archive(in, rootfd, &o, NULL, e);
                if (rc < 0)
                        break;
        }
        if (rc == 0 && !saw_data)
                rc = err_set(e, -EBADMSG, "%s: no data.tar member", deb);
        bool has_md5 = false;
        for (size_t k = 0; k < i->n_files; k++)
                has_md5 |= !strcmp(i->files[k].name, "md5sums");
        if (rc == 0 && !has_md5)
                rc = gen_md5sums(deb, i, e);
        if (rc < 0) {
                apt_deb_info_free(i);
                return rc;
        }
        *ret = i;
        return 0;
}

/* dpkg computes md5sums for a package that ships none: the regular files'
 * digests, in archive order, named without the leading "/". Read from the
 * .deb, not the tree: another package may share a path. */
static int gen_md5sums(const char *deb, apt_deb_info *i, err_t *e)
{
        _cleanup_member_ deb_member m = {0};
        int rc = open_member(deb, "data.tar", &m, e);
        if (rc < 0)
                return rc;
        strbuf b = {0};
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        char *buf = xmalloc(1 << 16);
        for (;;) {
                struct archive_entry *ent;
                int r = archive_read_next_header(m.in, &ent);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        rc = err_set(e, -EBADMSG, "%s: data.tar: %s", deb,
                                     archive_error_string(m.in));
                        break;
                }
                if (archive_entry_filetype(ent) != AE_IFREG || archive_entry_hardlink(ent))
                        continue;
                _cleanup_free_ char *name = NULL;
                rc = xt_name_clean(deb, "entry", archive_entry_pathname(ent), &name, e);
                if (rc < 0)
                        break;
                EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
                la_ssize_t n;
                while ((n = archive_read_data(m.in, buf, 1 << 16)) > 0)
                        EVP_DigestUpdate(ctx, buf, (size_t)n);
                if (n < 0) {
                        rc = err_set(e, -EBADMSG, "%s: data.tar: %s", deb,
                                     archive_error_string(m.in));
                        break;
                }
                unsigned char md[EVP_MAX_MD_SIZE];
                unsigned int len = 0;
                EVP_DigestFinal_ex(ctx, md, &len);
                for (unsigned k = 0; k < len; k++)
                        sb_appendf(&b, "%02x", md[k]);
                sb_appendf(&b, "  %s\n", name);
        }
        free(buf);
        EVP_MD_CTX_free(ctx);
        if (rc < 0) {
                sb_free(&b);
                return rc;
        }
        i->files = xreallocarray(i->files, i->n_files + 1, sizeof(*i->files));
        size_t len = b.len;
        i->files[i->n_files++] = (apt_deb_file){.name = xstrdup("md5sums"),
                                                .mode = 0644,
                                                .mtime = -1,
                                                .data = sb_steal(&b),
                                                .len = len,
                                                .generated = true};
        return 0;
}

typedef struct one_ctx {
        const char *const *merged;
        const char *entry, *dest;
} one_ctx;

static int one_rewrite(void *ud, const char *rel, char **ret)
{
        one_ctx *c = ud;
        if (strcmp(rel, c->entry) != 0)
                return 1;
        char *m = NULL;
        if (c->merged && merged_usr((void *)c->merged, c->dest, &m) == 1)
                return 1;
        *ret = m ? m : xstrdup(c->dest);
        return 0;
}

int apt_deb_extract_one(const char *deb, const char *root, const char *const *merged_dirs,
                        const char *entry, const char *dest, err_t *e)
{
        one_ctx c = {.merged = merged_dirs, .entry = entry, .dest = dest};
        xt_opts o = {.no_dir_times = true, .rewrite = one_rewrite, .rewrite_ud = &c};
        return extract_data(deb, root, &o, e);
}
