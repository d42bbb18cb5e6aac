/* Image files: flatten layers into a rootfs tarball, write an OCI image
 * layout tar or a docker-save archive, and read OCI, docker-save and
 * rootfs archives back (JSON from them is untrusted: types, digests and
 * member names are checked before use). */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <zlib.h>

#include "../builder.h"
#include "layers.h"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MAX_JSON ((size_t)4 << 20)

/* ---- config JSON -------------------------------------------------------- */

static json_object *strv_json(const strv *v)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

void *lay_config_to_json(const lay_config *c)
{
        json_object *j = json_object_new_object();
        if (c->user)
                json_object_object_add(j, "User", json_object_new_string(c->user));
        if (c->env.n)
                json_object_object_add(j, "Env", strv_json(&c->env));
        if (c->have_entrypoint)
                json_object_object_add(j, "Entrypoint", strv_json(&c->entrypoint));
        if (c->have_cmd)
                json_object_object_add(j, "Cmd", strv_json(&c->cmd));
        if (c->workdir)
                json_object_object_add(j, "WorkingDir", json_object_new_string(c->workdir));
        if (c->labels.n) {
                json_object *l = json_object_new_object();
                for (size_t i = 0; i < c->labels.n; i++) {
                        const char *eq = strchr(c->labels.v[i], '=');
                        _cleanup_free_ char *k =
                                xstrndup(c->labels.v[i], (size_t)(eq - c->labels.v[i]));
                        json_object_object_add(l, k, json_object_new_string(eq + 1));
                }
                json_object_object_add(j, "Labels", l);
        }
        return j;
}

static bool json_strv(json_object *a, strv *ret)
{
        if (!a || !json_object_is_type(a, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *it = json_object_array_get_idx(a, i);
                if (json_object_is_type(it, json_type_string))
                        strv_push(ret, json_object_get_string(it));
        }
        return true;
}

static json_object *jget(json_object *o, const char *k)
{
        json_object *v = NULL;
        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
                return NULL;
        return v;
}

static const char *jstr(json_object *o, const char *k)
{
        json_object *v = jget(o, k);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

void lay_config_from_json(void *jobj, lay_config *ret)
{
        json_object *j = jobj;
        lay_config c = {0};
        json_strv(jget(j, "Env"), &c.env);
        c.have_cmd = json_strv(jget(j, "Cmd"), &c.cmd);
        c.have_entrypoint = json_strv(jget(j, "Entrypoint"), &c.entrypoint);
        const char *s;
        if ((s = jstr(j, "WorkingDir")) && *s)
                c.workdir = xstrdup(s);
        if ((s = jstr(j, "User")) && *s)
                c.user = xstrdup(s);
        json_object *l = jget(j, "Labels");
        if (l && json_object_is_type(l, json_type_object)) {
                json_object_object_foreach(l, k, v)
                {
                        if (json_object_is_type(v, json_type_string))
                                strv_push_take(&c.labels,
                                               xasprintf("%s=%s", k, json_object_get_string(v)));
                }
        }
        *ret = c;
}

static const char *goarch(void)
{
        struct utsname u;
        if (uname(&u) < 0)
                return "amd64";
        static const struct {
                const char *m, *a;
        } map[] = {{"x86_64", "amd64"}, {"aarch64", "arm64"},  {"armv7l", "arm"},
                   {"i686", "386"},     {"i386", "386"},       {"ppc64le", "ppc64le"},
                   {"s390x", "s390x"},  {"riscv64", "riscv64"}};
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (!strcmp(u.machine, map[i].m))
                        return map[i].a;
        return "amd64";
}

static char *rfc3339(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;
        char buf[64];
        gmtime_r(&tt, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return xstrdup(buf);
}

static char *config_json(const lay_image *im)
{
        json_object *j = json_object_new_object();
        _cleanup_free_ char *created = rfc3339(im->created);
        json_object_object_add(j, "created", json_object_new_string(created));
        json_object_object_add(j, "architecture", json_object_new_string(goarch()));
        json_object_object_add(j, "os", json_object_new_string("linux"));
        json_object_object_add(j, "config", lay_config_to_json(&im->config));
        json_object *rootfs = json_object_new_object();
        json_object_object_add(rootfs, "type", json_object_new_string("layers"));
        json_object *ids = json_object_new_array();
        json_object *hist = json_object_new_array();
        for (size_t i = 0; i < im->n_layers; i++) {
                _cleanup_free_ char *d = xasprintf("sha256:%s", im->layers[i].diff);
                json_object_array_add(ids, json_object_new_string(d));
                json_object *h = json_object_new_object();
                json_object_object_add(h, "created", json_object_new_string(created));
                json_object_object_add(h, "created_by",
                                       json_object_new_string(im->layers[i].created_by
                                                                      ? im->layers[i].created_by
                                                                      : ""));
                json_object_array_add(hist, h);
        }
        json_object_object_add(rootfs, "diff_ids", ids);
        json_object_object_add(j, "rootfs", rootfs);
        json_object_object_add(j, "history", hist);
        char *s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        json_object_put(j);
        return s;
}

/* ---- writing ------------------------------------------------------------ */

static int w_header(struct archive *a, const char *name, mode_t type, mode_t perm, int64_t size,
                    int64_t mtime, err_t *e)
{
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, name);
        archive_entry_set_filetype(ae, type);
        archive_entry_set_perm(ae, perm);
        archive_entry_set_size(ae, type == AE_IFREG ? size : 0);
        archive_entry_set_mtime(ae, (time_t)mtime, 0);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        int r = archive_write_header(a, ae);
        archive_entry_free(ae);
        if (r != ARCHIVE_OK)
                return err_set(e, -EIO, "%s: %s", name, archive_error_string(a));
        return 0;
}

static int w_data(struct archive *a, const void *p, size_t n, err_t *e)
{
        if (n && archive_write_data(a, p, n) != (la_ssize_t)n)
                return err_set(e, -EIO, "write: %s", archive_error_string(a));
        return 0;
}

static int w_mem(struct archive *a, const char *name, const char *data, int64_t mtime, err_t *e)
{
        size_t n = strlen(data);
        int r = w_header(a, name, AE_IFREG, 0644, (int64_t)n, mtime, e);
        return r < 0 ? r : w_data(a, data, n, e);
}

static int w_file(struct archive *a, const char *name, const char *path, int64_t mtime, err_t *e)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", path);
        int r = w_header(a, name, AE_IFREG, 0644, st.st_size, mtime, e);
        char buf[1 << 16];
        int64_t left = st.st_size;
        while (r == 0 && left > 0) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        return n < 0 ? err_sys(e, errno, "%s", path)
                                     : err_set(e, -EIO, "%s: shrank", path);
                if ((int64_t)n > left)
                        n = (ssize_t)left;
                r = w_data(a, buf, (size_t)n, e);
                left -= n;
        }
        return r;
}

static int w_gunzip(struct archive *a, const char *name, const char *blob_path, int64_t usize,
                    int64_t mtime, err_t *e)
{
        int fd = open(blob_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", blob_path);
        gzFile gz = gzdopen(fd, "rb");
        if (!gz) {
                close(fd);
                return err_set(e, -ENOMEM, "%s", blob_path);
        }
        int r = w_header(a, name, AE_IFREG, 0644, usize, mtime, e);
        char buf[1 << 16];
        int64_t done = 0;
        while (r == 0) {
                int n = gzread(gz, buf, sizeof(buf));
                if (n < 0)
                        r = err_set(e, -EIO, "%s: corrupt gzip stream", blob_path);
                if (n <= 0)
                        break;
                if (done + n > usize) {
                        r = err_set(e, -EIO, "%s: larger than recorded", blob_path);
                        break;
                }
                r = w_data(a, buf, (size_t)n, e);
                done += n;
        }
        gzclose(gz);
        if (r == 0 && done != usize)
                r = err_set(e, -EIO, "%s: %lld bytes, %lld recorded", blob_path, (long long)done,
                            (long long)usize);
        return r;
}

/* "app" for ".../app.oci.tar": a name podman and docker accept. */
static char *ref_name(const char *path)
{
        const char *b = path_basename(path);
        size_t n = strcspn(b, ".");
        _cleanup_sb_ strbuf s = {0};
        for (size_t i = 0; i < n; i++) {
                char c = (char)tolower((unsigned char)b[i]);
                if (!isalnum((unsigned char)c) && c != '-' && c != '_')
                        c = '-';
                sb_appendn(&s, &c, 1);
        }
        if (!s.len || !isalnum((unsigned char)s.s[0]))
                return xstrdup("image");
        return sb_steal(&s);
}

static int write_archive(store *st, const lay_image *im, lay_format f, const char *path, err_t *e)
{
        int64_t mt = im->created;
        _cleanup_free_ char *cfg = config_json(im);
        char cfg_hex[DIGEST_HEX_LEN + 1];
        digest_buf(cfg, strlen(cfg), cfg_hex);
        _cleanup_free_ char *name = ref_name(path);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
                int r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
                archive_write_free(a);
                return r;
        }
        int r = 0;
        if (f == LAY_FORMAT_OCI) {
                json_object *m = json_object_new_object();
                json_object_object_add(m, "schemaVersion", json_object_new_int(2));
                json_object_object_add(m, "mediaType", json_object_new_string(MT_MANIFEST));
                json_object *c = json_object_new_object();
                json_object_object_add(c, "mediaType", json_object_new_string(MT_CONFIG));
                _cleanup_free_ char *cd = xasprintf("sha256:%s", cfg_hex);
                json_object_object_add(c, "digest", json_object_new_string(cd));
                json_object_object_add(c, "size", json_object_new_int64((int64_t)strlen(cfg)));
                json_object_object_add(m, "config", c);
                json_object *ls = json_object_new_array();
                for (size_t i = 0; i < im->n_layers; i++) {
                        json_object *l = json_object_new_object();
                        json_object_object_add(l, "mediaType", json_object_new_string(MT_LAYER_GZ));
                        _cleanup_free_ char *d = xasprintf("sha256:%s", im->layers[i].blob);
                        json_object_object_add(l, "digest", json_object_new_string(d));
                        json_object_object_add(l, "size",
                                               json_object_new_int64(im->layers[i].size));
                        json_object_array_add(ls, l);
                }
                json_object_object_add(m, "layers", ls);
                _cleanup_free_ char *man =
                        xstrdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN));
                json_object_put(m);
                char man_hex[DIGEST_HEX_LEN + 1];
                digest_buf(man, strlen(man), man_hex);

                json_object *x = json_object_new_object();
                json_object_object_add(x, "schemaVersion", json_object_new_int(2));
                json_object_object_add(x, "mediaType", json_object_new_string(MT_INDEX));
                json_object *ms = json_object_new_array();
                json_object *md = json_object_new_object();
                json_object_object_add(md, "mediaType", json_object_new_string(MT_MANIFEST));
                _cleanup_free_ char *mdg = xasprintf("sha256:%s", man_hex);
                json_object_object_add(md, "digest", json_object_new_string(mdg));
                json_object_object_add(md, "size", json_object_new_int64((int64_t)strlen(man)));
                json_object *ann = json_object_new_object();
                _cleanup_free_ char *ref = xasprintf("localhost/%s:latest", name);
                json_object_object_add(ann, "org.opencontainers.image.ref.name",
                                       json_object_new_string(ref));
                json_object_object_add(md, "annotations", ann);
                json_object_array_add(ms, md);
                json_object_object_add(x, "manifests", ms);
                _cleanup_free_ char *idx =
                        xstrdup(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN));
                json_object_put(x);

                r = w_mem(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", mt, e);
                if (r == 0)
                        r = w_mem(a, "index.json", idx, mt, e);
                if (r == 0)
                        r = w_header(a, "blobs", AE_IFDIR, 0755, 0, mt, e);
                if (r == 0)
                        r = w_header(a, "blobs/sha256", AE_IFDIR, 0755, 0, mt, e);
                strv done = {0};
                for (size_t i = 0; i < im->n_layers && r == 0; i++) {
                        if (strv_contains(&done, im->layers[i].blob))
                                continue; /* the same layer twice: one blob */
                        strv_push(&done, im->layers[i].blob);
                        _cleanup_free_ char *bp = store_blob_path(st, im->layers[i].blob);
                        _cleanup_free_ char *n = xasprintf("blobs/sha256/%s", im->layers[i].blob);
                        r = w_file(a, n, bp, mt, e);
                }
                strv_free(&done);
                _cleanup_free_ char *cn = xasprintf("blobs/sha256/%s", cfg_hex);
                _cleanup_free_ char *mn = xasprintf("blobs/sha256/%s", man_hex);
                if (r == 0)
                        r = w_mem(a, cn, cfg, mt, e);
                if (r == 0)
                        r = w_mem(a, mn, man, mt, e);
        } else {
                json_object *arr = json_object_new_array();
                json_object *m = json_object_new_object();
                _cleanup_free_ char *cn = xasprintf("%s.json", cfg_hex);
                json_object_object_add(m, "Config", json_object_new_string(cn));
                json_object *tags = json_object_new_array();
                _cleanup_free_ char *tag = xasprintf("localhost/%s:latest", name);
                json_object_array_add(tags, json_object_new_string(tag));
                json_object_object_add(m, "RepoTags", tags);
                json_object *ls = json_object_new_array();
                for (size_t i = 0; i < im->n_layers; i++) {
                        _cleanup_free_ char *ln = xasprintf("%s/layer.tar", im->layers[i].diff);
                        json_object_array_add(ls, json_object_new_string(ln));
                }
                json_object_object_add(m, "Layers", ls);
                json_object_array_add(arr, m);
                _cleanup_free_ char *man =
                        xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
                json_object_put(arr);
                r = w_mem(a, cn, cfg, mt, e);
                strv done = {0};
                for (size_t i = 0; i < im->n_layers && r == 0; i++) {
                        if (strv_contains(&done, im->layers[i].diff))
                                continue;
                        strv_push(&done, im->layers[i].diff);
                        r = w_header(a, im->layers[i].diff, AE_IFDIR, 0755, 0, mt, e);
                        _cleanup_free_ char *ln = xasprintf("%s/layer.tar", im->layers[i].diff);
                        _cleanup_free_ char *bp = store_blob_path(st, im->layers[i].blob);
                        if (r == 0)
                                r = w_gunzip(a, ln, bp, im->layers[i].usize, mt, e);
                }
                strv_free(&done);
                if (r == 0)
                        r = w_mem(a, "manifest.json", man, mt, e);
        }
        if (archive_write_close(a) != ARCHIVE_OK && r == 0)
                r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
        archive_write_free(a);
        if (r == 0 && rename(tmp, path) < 0)
                r = err_sys(e, errno, "%s", path);
        if (r < 0)
                unlink(tmp);
        return r;
}

int lay_flatten(store *st, const lay_image *im, const char *dir, err_t *e)
{
        _cleanup_close_ int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", dir);
        strmap *fx = strmap_new();
        lay_apply_opts ao = {.whiteouts = true};
        int r = 0;
        for (size_t i = 0; i < im->n_layers && r == 0; i++) {
                _cleanup_free_ char *bp = store_blob_path(st, im->layers[i].blob);
                r = lay_apply(rootfd, bp, &ao, fx, e);
        }
        lay_fixups_apply(rootfd, fx);
        strmap_free(fx);
        return r;
}

int lay_write(store *st, const lay_image *im, lay_format f, const char *path, const image_opts *io,
              err_t *e)
{
        if (f != LAY_FORMAT_ROOTFS)
                return write_archive(st, im, f, path, e);
        store_scratch *sc = NULL;
        int r = store_scratch_new(st, "tmp", &sc, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = path_join(sc->path, "root");
        if (mkdir(root, 0755) < 0)
                r = err_sys(e, errno, "%s", root);
        if (r == 0)
                r = lay_flatten(st, im, root, e);
        if (r == 0)
                r = build_pack_dir(root, path, io, e);
        store_scratch_remove(st, sc, NULL);
        return r;
}

/* ---- reading -------------------------------------------------------------- */

static char *member_clean(const char *raw)
{
        while (raw[0] == '.' && raw[1] == '/')
                raw += 2;
        while (*raw == '/')
                raw++;
        if (!*raw || !path_is_contained(raw))
                return NULL;
        return path_normalize(raw);
}

/* "sha256:HEX" -> HEX (pointer into s), or NULL. */
static const char *digest_hex(const char *s)
{
        if (!s || strncmp(s, "sha256:", 7))
                return NULL;
        s += 7;
        if (strlen(s) != DIGEST_HEX_LEN)
                return NULL;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
                        return NULL;
        return s;
}

typedef struct member {
        char *data; /* small members, read whole */
        size_t len;
        int64_t size;
} member;

static void members_free(strmap *m)
{
        size_t pos = 0;
        const char *k;
        void *v;
        while (strmap_next(m, &pos, &k, &v)) {
                member *mb = v;
                free(mb->data);
                free(mb);
        }
        strmap_free(m);
}

static int read_members(const char *path, strmap *m, err_t *e)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                int r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
                archive_read_free(a);
                return r;
        }
        struct archive_entry *ae;
        int r = 0, s;
        while ((s = archive_read_next_header(a, &ae)) == ARCHIVE_OK || s == ARCHIVE_WARN) {
                if (archive_entry_filetype(ae) != AE_IFREG)
                        continue;
                _cleanup_free_ char *n = member_clean(archive_entry_pathname(ae));
                if (!n)
                        continue;
                member *mb = xcalloc(1, sizeof(*mb));
                mb->size = archive_entry_size(ae);
                /* JSON is small; layers are not read here. */
                bool js = !strcmp(n, "index.json") || !strcmp(n, "manifest.json") ||
                          !strcmp(n, "oci-layout") ||
                          (mb->size >= 0 && (size_t)mb->size < MAX_JSON &&
                           (strstr(n, ".json") || !strncmp(n, "blobs/", 6)));
                if (js && mb->size >= 0 && (size_t)mb->size < MAX_JSON) {
                        mb->data = xmalloc((size_t)mb->size + 1);
                        la_ssize_t got = archive_read_data(a, mb->data, (size_t)mb->size);
                        if (got != mb->size) {
                                free(mb->data);
                                free(mb);
                                r = err_set(e, -EIO, "%s: %s: short read", path, n);
                                break;
                        }
                        mb->data[mb->size] = '\0';
                        mb->len = (size_t)mb->size;
                }
                member *old = strmap_put(m, n, mb);
                if (old) {
                        free(old->data);
                        free(old);
                }
        }
        if (r == 0 && s != ARCHIVE_EOF && s != ARCHIVE_OK && s != ARCHIVE_WARN)
                r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
        archive_read_free(a);
        return r;
}

static json_object *member_json(strmap *m, const char *name, const char *path, err_t *e)
{
        member *mb = strmap_get(m, name);
        if (!mb || !mb->data) {
                err_set(e, -ENOENT, "%s: no %s", path, name);
                return NULL;
        }
        json_object *j = json_tokener_parse(mb->data);
        if (!j)
                err_set(e, -EBADMSG, "%s: %s: not JSON", path, name);
        return j;
}

static int parse_config(json_object *cfg, lay_image *im, strv *diffs, const char *path, err_t *e)
{
        if (!cfg || !json_object_is_type(cfg, json_type_object))
                return err_set(e, -EBADMSG, "%s: config is not an object", path);
        json_object *c = jget(cfg, "config");
        if (c)
                lay_config_from_json(c, &im->config);
        json_object *ids = jget(jget(cfg, "rootfs"), "diff_ids");
        if (!ids || !json_object_is_type(ids, json_type_array))
                return err_set(e, -EBADMSG, "%s: config has no rootfs.diff_ids", path);
        for (size_t i = 0; i < json_object_array_length(ids); i++) {
                const char *h =
                        digest_hex(json_object_get_string(json_object_array_get_idx(ids, i)));
                if (!h)
                        return err_set(e, -EBADMSG, "%s: config: bad diff_id", path);
                strv_push(diffs, h);
        }
        return 0;
}

static void history_into(json_object *cfg, lay_image *im)
{
        json_object *h = jget(cfg, "history");
        if (!h || !json_object_is_type(h, json_type_array))
                return;
        size_t k = 0;
        for (size_t i = 0; i < json_object_array_length(h) && k < im->n_layers; i++) {
                json_object *it = json_object_array_get_idx(h, i);
                json_object *el = jget(it, "empty_layer");
                if (el && json_object_get_boolean(el))
                        continue;
                const char *by = jstr(it, "created_by");
                free(im->layers[k].created_by);
                im->layers[k].created_by = xstrdup(by ? by : "");
                k++;
        }
}

static int open_oci(strmap *m, const char *path, lay_image *im, strv *members, err_t *e)
{
        json_object *idx = member_json(m, "index.json", path, e);
        if (!idx)
                return e->code;
        json_object *man = NULL, *cfg = NULL;
        int r = 0;
        /* index -> (nested index ->) manifest, first entry each time. */
        json_object *cur = idx;
        for (int depth = 0; depth < 4 && r == 0; depth++) {
                json_object *ms = jget(cur, "manifests");
                if (!ms || !json_object_is_type(ms, json_type_array) ||
                    !json_object_array_length(ms)) {
                        r = err_set(e, -EBADMSG, "%s: index lists no manifest", path);
                        break;
                }
                json_object *d0 = json_object_array_get_idx(ms, 0);
                const char *h = digest_hex(jstr(d0, "digest"));
                if (!h) {
                        r = err_set(e, -EBADMSG, "%s: index: bad digest", path);
                        break;
                }
                _cleanup_free_ char *bn = xasprintf("blobs/sha256/%s", h);
                json_object *j = member_json(m, bn, path, e);
                if (!j) {
                        r = e->code;
                        break;
                }
                if (jget(j, "manifests")) {
                        if (cur != idx)
                                json_object_put(cur);
                        cur = j;
                        continue;
                }
                man = j;
                break;
        }
        if (cur != idx)
                json_object_put(cur);
        json_object_put(idx);
        if (r < 0)
                return r;
        if (!man)
                return err_set(e, -EBADMSG, "%s: no image manifest", path);
        const char *ch = digest_hex(jstr(jget(man, "config"), "digest"));
        json_object *ls = jget(man, "layers");
        _cleanup_strv_ strv diffs = {0};
        if (!ch || !ls || !json_object_is_type(ls, json_type_array))
                r = err_set(e, -EBADMSG, "%s: manifest without config or layers", path);
        if (r == 0) {
                _cleanup_free_ char *cn = xasprintf("blobs/sha256/%s", ch);
                cfg = member_json(m, cn, path, e);
                r = cfg ? parse_config(cfg, im, &diffs, path, e) : e->code;
        }
        size_t n = r == 0 ? json_object_array_length(ls) : 0;
        if (r == 0 && n != diffs.n)
                r = err_set(e, -EBADMSG, "%s: %zu layers but %zu diff_ids", path, n, diffs.n);
        if (r == 0) {
                im->layers = xcalloc(n ? n : 1, sizeof(*im->layers));
                for (size_t i = 0; i < n && r == 0; i++) {
                        json_object *l = json_object_array_get_idx(ls, i);
                        const char *h = digest_hex(jstr(l, "digest"));
                        if (!h) {
                                r = err_set(e, -EBADMSG, "%s: layer %zu: bad digest", path, i + 1);
                                break;
                        }
                        lay_layer *L = &im->layers[im->n_layers++];
                        memcpy(L->blob, h, DIGEST_HEX_LEN + 1);
                        memcpy(L->diff, diffs.v[i], DIGEST_HEX_LEN + 1);
                        json_object *sz = jget(l, "size");
                        L->size = sz ? json_object_get_int64(sz) : 0;
                        L->created_by = xstrdup("");
                        strv_push_take(members, xasprintf("blobs/sha256/%s", h));
                }
                history_into(cfg, im);
        }
        json_object_put(cfg);
        json_object_put(man);
        return r;
}

static int open_docker(strmap *m, const char *path, lay_image *im, strv *members, err_t *e)
{
        json_object *arr = member_json(m, "manifest.json", path, e);
        if (!arr)
                return e->code;
        int r = 0;
        json_object *m0 = json_object_is_type(arr, json_type_array) && json_object_array_length(arr)
                                  ? json_object_array_get_idx(arr, 0)
                                  : NULL;
        const char *cn = jstr(m0, "Config");
        json_object *ls = jget(m0, "Layers");
        json_object *cfg = NULL;
        _cleanup_strv_ strv diffs = {0};
        if (!cn || !ls || !json_object_is_type(ls, json_type_array))
                r = err_set(e, -EBADMSG, "%s: manifest.json without Config or Layers", path);
        if (r == 0) {
                _cleanup_free_ char *c = member_clean(cn);
                cfg = c ? member_json(m, c, path, e) : NULL;
                r = cfg ? parse_config(cfg, im, &diffs, path, e) : (c ? e->code : -EBADMSG);
        }
        size_t n = r == 0 ? json_object_array_length(ls) : 0;
        if (r == 0 && n != diffs.n)
                r = err_set(e, -EBADMSG, "%s: %zu layers but %zu diff_ids", path, n, diffs.n);
        if (r == 0) {
                im->layers = xcalloc(n ? n : 1, sizeof(*im->layers));
                for (size_t i = 0; i < n && r == 0; i++) {
                        const char *ln = json_object_get_string(json_object_array_get_idx(ls, i));
                        _cleanup_free_ char *c = ln ? member_clean(ln) : NULL;
                        member *mb = c ? strmap_get(m, c) : NULL;
                        if (!mb) {
                                r = err_set(e, -EBADMSG, "%s: layer %zu: no member '%s'", path,
                                            i + 1, ln ? ln : "?");
                                break;
                        }
                        lay_layer *L = &im->layers[im->n_layers++];
                        memcpy(L->blob, diffs.v[i], DIGEST_HEX_LEN + 1);
                        memcpy(L->diff, diffs.v[i], DIGEST_HEX_LEN + 1);
                        L->size = L->usize = mb->size;
                        L->created_by = xstrdup("");
                        strv_push(members, c);
                }
                history_into(cfg, im);
        }
        json_object_put(cfg);
        json_object_put(arr);
        return r;
}

/* Extract the named members to files in dir (layer-0, layer-1, ...). */
static int extract_members(const char *path, const strv *members, const char *dir, strv *ret_files,
                           err_t *e)
{
        for (size_t i = 0; i < members->n; i++)
                strv_push_take(ret_files, xasprintf("%s/layer-%zu", dir, i));
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                int r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
                archive_read_free(a);
                return r;
        }
        bool *got = xcalloc(members->n + 1, sizeof(bool));
        struct archive_entry *ae;
        int r = 0, s;
        while (r == 0 &&
               ((s = archive_read_next_header(a, &ae)) == ARCHIVE_OK || s == ARCHIVE_WARN)) {
                if (archive_entry_filetype(ae) != AE_IFREG)
                        continue;
                _cleanup_free_ char *n = member_clean(archive_entry_pathname(ae));
                if (!n)
                        continue;
                int first = -1;
                for (size_t i = 0; i < members->n; i++)
                        if (!strcmp(members->v[i], n) && !got[i]) {
                                first = (int)i;
                                break;
                        }
                if (first < 0)
                        continue;
                _cleanup_close_ int fd =
                        open(ret_files->v[first], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0) {
                        r = err_sys(e, errno, "%s", ret_files->v[first]);
                        break;
                }
                if (archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
                        r = err_set(e, -EIO, "%s: %s: %s", path, n, archive_error_string(a));
                got[first] = true;
                /* The same member listed twice: the later copies link it. */
                for (size_t i = (size_t)first + 1; i < members->n && r == 0; i++)
                        if (!strcmp(members->v[i], n) && !got[i]) {
                                if (link(ret_files->v[first], ret_files->v[i]) < 0)
                                        r = err_sys(e, errno, "%s", ret_files->v[i]);
                                got[i] = true;
                        }
        }
        for (size_t i = 0; i < members->n && r == 0; i++)
                if (!got[i])
                        r = err_set(e, -EBADMSG, "%s: member %s missing", path, members->v[i]);
        free(got);
        archive_read_free(a);
        return r;
}

int lay_src_open(store *st, const char *path, bool layers, lay_src *ret, err_t *e)
{
        lay_src src = {0};
        strmap *m = strmap_new();
        int r = read_members(path, m, e);
        _cleanup_strv_ strv members = {0};
        if (r == 0 && strmap_has(m, "index.json")) {
                src.kind = "oci";
                r = open_oci(m, path, &src.im, &members, e);
        } else if (r == 0 && strmap_has(m, "manifest.json")) {
                src.kind = "docker";
                r = open_docker(m, path, &src.im, &members, e);
        } else if (r == 0) {
                src.kind = "rootfs";
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                struct stat sb;
                lay_layer l = {0};
                if (fd < 0 || fstat(fd, &sb) < 0)
                        r = err_sys(e, errno, "%s", path);
                else
                        r = digest_fd(fd, l.blob, e);
                if (r == 0) {
                        memcpy(l.diff, l.blob, sizeof(l.diff));
                        l.size = sb.st_size;
                        l.created_by = xasprintf("rootfs %s", path_basename(path));
                        src.im.layers = xcalloc(1, sizeof(lay_layer));
                        src.im.layers[0] = l;
                        src.im.n_layers = 1;
                        if (layers)
                                strv_push(&src.layer_files, path);
                }
        }
        members_free(m);
        if (r == 0 && layers && members.n) {
                r = store_scratch_new(st, "tmp", &src.sc, e);
                if (r == 0)
                        r = extract_members(path, &members, src.sc->path, &src.layer_files, e);
        }
        if (r < 0) {
                lay_src_close(st, &src);
                return r;
        }
        *ret = src;
        return 0;
}

void lay_src_close(store *st, lay_src *src)
{
        lay_image_free(&src->im);
        strv_free(&src->layer_files);
        if (src->sc)
                store_scratch_remove(st, src->sc, NULL);
        memset(src, 0, sizeof(*src));
}
