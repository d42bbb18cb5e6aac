/* Image files: flatten layers into a rootfs tarball, write an OCI image
 * layout tar or a docker-save archive, and read OCI, docker-save and
 * rootfs archives back (through oci/, the one reader of those archives:
 * it checks their JSON and verifies every blob against its digest). */
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

#include "builder.h"
#include "layers.h"
#include "ociopen.h"

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

/* The JSON text of j (which is released). */
static char *json_take_text(json_object *j)
{
        char *s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        json_object_put(j);
        return s;
}

static char *config_json(const lay_image *im)
{
        json_object *j = json_object_new_object();
        _cleanup_free_ char *created = rfc3339(im->created);
        json_object_object_add(j, "created", json_object_new_string(created));
        json_object_object_add(j, "architecture", json_object_new_string(goarch()));
        json_object_object_add(j, "os", json_object_new_string("linux"));
        json_object_object_add(j, "config", oci_config_to_json(&im->config));
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
        return json_take_text(j);
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
                ssize_t n = fd_read(fd, buf, sizeof(buf));
                if (n <= 0)
                        return n < 0 ? err_sys(e, (int)-n, "%s", path)
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

static json_object *oci_descriptor(const char *media_type, const char *hex, int64_t size)
{
        json_object *d = json_object_new_object();
        json_object_object_add(d, "mediaType", json_object_new_string(media_type));
        _cleanup_free_ char *digest = xasprintf("sha256:%s", hex);
        json_object_object_add(d, "digest", json_object_new_string(digest));
        json_object_object_add(d, "size", json_object_new_int64(size));
        return d;
}

/* The image manifest: the config blob and the gzip layer blobs. */
static char *oci_manifest_json(const lay_image *im, const char *cfg, const char *cfg_hex)
{
        json_object *m = json_object_new_object();
        json_object_object_add(m, "schemaVersion", json_object_new_int(2));
        json_object_object_add(m, "mediaType", json_object_new_string(OCI_MT_MANIFEST));
        json_object_object_add(m, "config",
                               oci_descriptor(OCI_MT_CONFIG, cfg_hex, (int64_t)strlen(cfg)));
        json_object *ls = json_object_new_array();
        for (size_t i = 0; i < im->n_layers; i++)
                json_object_array_add(ls, oci_descriptor(OCI_MT_LAYER_GZ, im->layers[i].blob,
                                                         im->layers[i].size));
        json_object_object_add(m, "layers", ls);
        return json_take_text(m);
}

/* index.json: the one manifest, tagged localhost/NAME:latest. */
static char *oci_index_json(const char *man, const char *man_hex, const char *name)
{
        json_object *x = json_object_new_object();
        json_object_object_add(x, "schemaVersion", json_object_new_int(2));
        json_object_object_add(x, "mediaType", json_object_new_string(OCI_MT_INDEX));
        json_object *ms = json_object_new_array();
        json_object *md = oci_descriptor(OCI_MT_MANIFEST, man_hex, (int64_t)strlen(man));
        json_object *ann = json_object_new_object();
        _cleanup_free_ char *ref = xasprintf("localhost/%s:latest", name);
        json_object_object_add(ann, "org.opencontainers.image.ref.name",
                               json_object_new_string(ref));
        json_object_object_add(md, "annotations", ann);
        json_object_array_add(ms, md);
        json_object_object_add(x, "manifests", ms);
        return json_take_text(x);
}

/* An OCI image layout: oci-layout, index.json, and under blobs/sha256/ the
 * layer blobs as stored, the config and the manifest. */
static int write_oci_members(struct archive *a, store *st, const lay_image *im, const char *cfg,
                             const char *cfg_hex, const char *name, int64_t mt, err_t *e)
{
        _cleanup_free_ char *man = oci_manifest_json(im, cfg, cfg_hex);
        char man_hex[DIGEST_HEX_LEN + 1];
        digest_buf(man, strlen(man), man_hex);
        _cleanup_free_ char *idx = oci_index_json(man, man_hex, name);

        int r = w_mem(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", mt, e);
        if (r == 0)
                r = w_mem(a, "index.json", idx, mt, e);
        if (r == 0)
                r = w_header(a, "blobs", AE_IFDIR, 0755, 0, mt, e);
        if (r == 0)
                r = w_header(a, "blobs/sha256", AE_IFDIR, 0755, 0, mt, e);
        _cleanup_strv_ strv done = {0};
        for (size_t i = 0; i < im->n_layers && r == 0; i++) {
                if (strv_contains(&done, im->layers[i].blob))
                        continue; /* the same layer twice: one blob */
                strv_push(&done, im->layers[i].blob);
                _cleanup_free_ char *bp = store_blob_path(st, im->layers[i].blob);
                _cleanup_free_ char *n = xasprintf("blobs/sha256/%s", im->layers[i].blob);
                r = w_file(a, n, bp, mt, e);
        }
        _cleanup_free_ char *cn = xasprintf("blobs/sha256/%s", cfg_hex);
        _cleanup_free_ char *mn = xasprintf("blobs/sha256/%s", man_hex);
        if (r == 0)
                r = w_mem(a, cn, cfg, mt, e);
        if (r == 0)
                r = w_mem(a, mn, man, mt, e);
        return r;
}

/* manifest.json of `docker save`: the config member, the tag and each
 * layer's DIFF/layer.tar. */
static char *docker_manifest_json(const lay_image *im, const char *cfg_name, const char *name)
{
        json_object *arr = json_object_new_array();
        json_object *m = json_object_new_object();
        json_object_object_add(m, "Config", json_object_new_string(cfg_name));
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
        return json_take_text(arr);
}

/* A `docker load` archive: the config, each layer uncompressed under its
 * diff_id, then manifest.json. */
static int write_docker_members(struct archive *a, store *st, const lay_image *im, const char *cfg,
                                const char *cfg_hex, const char *name, int64_t mt, err_t *e)
{
        _cleanup_free_ char *cn = xasprintf("%s.json", cfg_hex);
        _cleanup_free_ char *man = docker_manifest_json(im, cn, name);
        int r = w_mem(a, cn, cfg, mt, e);
        _cleanup_strv_ strv done = {0};
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
        if (r == 0)
                r = w_mem(a, "manifest.json", man, mt, e);
        return r;
}

/* Written to PATH.tmp-PID and renamed over path when complete. */
static int write_archive(store *st, const lay_image *im, lay_format f, const char *path, err_t *e)
{
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
        int r = f == LAY_FORMAT_OCI
                        ? write_oci_members(a, st, im, cfg, cfg_hex, name, im->created, e)
                        : write_docker_members(a, st, im, cfg, cfg_hex, name, im->created, e);
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
        int r = 0;
        for (size_t i = 0; i < im->n_layers && r == 0; i++) {
                _cleanup_free_ char *bp = store_blob_path(st, im->layers[i].blob);
                /* As runroot and mkroot diff read a rootfs tarball. */
                lay_apply_opts ao = {.whiteouts = !im->layers[i].rootfs};
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

/* ---- reading (through oci/, which checks every value) ------------------------ */

static void strv_copy(const strv *from, strv *to)
{
        for (size_t i = 0; i < from->n; i++)
                strv_push(to, from->v[i]);
}

static void config_copy(const oci_config *from, lay_config *to)
{
        strv_copy(&from->env, &to->env);
        strv_copy(&from->cmd, &to->cmd);
        strv_copy(&from->entrypoint, &to->entrypoint);
        strv_copy(&from->labels, &to->labels);
        to->have_cmd = from->have_cmd;
        to->have_entrypoint = from->have_entrypoint;
        to->workdir = from->workdir ? xstrdup(from->workdir) : NULL;
        to->user = from->user ? xstrdup(from->user) : NULL;
}

static void image_from(const oci_image *oi, lay_image *im)
{
        im->layers = xcalloc(oi->n_layers ? oi->n_layers : 1, sizeof(*im->layers));
        for (size_t i = 0; i < oi->n_layers; i++) {
                const oci_layer *o = &oi->layers[i];
                lay_layer *L = &im->layers[im->n_layers++];
                memcpy(L->blob, o->digest, DIGEST_HEX_LEN + 1);
                memcpy(L->diff, o->diff_id, DIGEST_HEX_LEN + 1);
                L->size = o->size;
                /* A docker-save layer is its uncompressed tar. */
                L->usize = oi->kind == OCI_KIND_DOCKER ? o->size : 0;
                L->created_by = xstrdup(o->created_by);
        }
        config_copy(&oi->config, &im->config);
}

/* The layers out of the archive, each checked against its digest. */
static int extract_layers(oci_archive *ar, const char *dir, strv *ret_files, err_t *e)
{
        const oci_image *oi = oci_archive_image(ar);
        for (size_t i = 0; i < oi->n_layers; i++) {
                char *f = xasprintf("%s/layer-%zu", dir, i);
                strv_push_take(ret_files, f);
                _cleanup_close_ int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0)
                        return err_sys(e, errno, "%s", f);
                int r = oci_archive_copy_layer(ar, i, fd, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int lay_src_open(store *st, const char *path, bool layers, lay_src *ret, err_t *e)
{
        lay_src src = {0};
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", path);
        _cleanup_oci_archive_ oci_archive *ar = NULL;
        int r = oci_archive_open_file(fd, path, &oci_sha256_common, &ar, e);
        if (r == 0) {
                const oci_image *oi = oci_archive_image(ar);
                src.kind = oi->kind == OCI_KIND_OCI ? "oci" : "docker";
                image_from(oi, &src.im);
                if (layers)
                        r = store_scratch_new(st, "tmp", &src.sc, e);
                if (layers && r == 0)
                        r = extract_layers(ar, src.sc->path, &src.layer_files, e);
        } else if (r == 1) {
                /* Not an OCI or docker-save archive: a rootfs tarball. */
                src.kind = "rootfs";
                struct stat sb;
                lay_layer l = {0};
                r = fstat(fd, &sb) < 0 ? err_sys(e, errno, "%s", path) : 0;
                if (r == 0 && !S_ISREG(sb.st_mode))
                        r = err_set(e, -EINVAL, "%s: not a regular file", path);
                if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
                        r = err_sys(e, errno, "%s", path);
                if (r == 0)
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
