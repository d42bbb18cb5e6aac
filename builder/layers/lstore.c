/* The layer store inside the shared cache: gzip layer blobs under
 * blobs/sha256/, and step records under steps/KEY (JSON: the layer a step
 * made; the file's mtime is its last use). */
#include <archive.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "layers.h"
#include "pgz.h"

void lay_layer_clear(lay_layer *l)
{
        free(l->created_by);
        memset(l, 0, sizeof(*l));
}

void lay_image_free(lay_image *im)
{
        for (size_t i = 0; i < im->n_layers; i++)
                lay_layer_clear(&im->layers[i]);
        free(im->layers);
        lay_config_free(&im->config);
        memset(im, 0, sizeof(*im));
}

int lay_store_lock(store *st, bool exclusive, int *ret_fd, err_t *e)
{
        /* store_gc leaves steps and blobs alone while a build holds it. */
        return exclusive ? store_lock(st, "layers", true, ret_fd, e)
                         : store_lock_shared(st, "layers", true, ret_fd, e);
}

/* A layer blob: the tar through pgz (gzip on every core, the same bytes
 * for any number of them), both forms digested on the way. */
typedef struct gz_out {
        pgz_writer *w;
        int fd;
        digest_ctx *raw, *gz;
        int64_t usize, size;
} gz_out;

static int gz_sink(void *ud, const void *data, size_t len)
{
        gz_out *g = ud;
        digest_update(g->gz, data, len);
        g->size += (int64_t)len;
        return fd_write_all(g->fd, data, len);
}

static int gz_write(gz_out *g, const void *data, size_t len, err_t *e)
{
        digest_update(g->raw, data, len);
        g->usize += (int64_t)len;
        return pgz_write(g->w, data, len, e);
}

static int feed_raw(const char *path, bool decompress, gz_out *g, err_t *e)
{
        if (!decompress) {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return err_sys(e, errno, "%s", path);
                char buf[1 << 16];
                for (;;) {
                        ssize_t n = fd_read(fd, buf, sizeof(buf));
                        if (n < 0)
                                return err_sys(e, (int)-n, "%s", path);
                        if (n == 0)
                                return 0;
                        int r = gz_write(g, buf, (size_t)n, e);
                        if (r < 0)
                                return r;
                }
        }
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        struct archive_entry *ae;
        int r = 0;
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
            archive_read_next_header(a, &ae) != ARCHIVE_OK)
                r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
        while (r == 0) {
                char buf[1 << 16];
                la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
                if (n < 0)
                        r = err_set(e, -EIO, "%s: %s", path, archive_error_string(a));
                else if (n == 0)
                        break;
                else
                        r = gz_write(g, buf, (size_t)n, e);
        }
        archive_read_free(a);
        return r;
}

int lay_store_tar(store *st, const char *tar_path, bool raw_decompress, lay_layer *ret, err_t *e)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r = store_blob_tmp(st, &tmp, &fd, e);
        if (r < 0)
                return r;
        gz_out *g = xcalloc(1, sizeof(*g));
        g->fd = fd;
        g->raw = digest_new();
        g->gz = digest_new();
        r = pgz_writer_new(0, 0, gz_sink, g, tmp, &g->w, e);
        if (r == 0)
                r = feed_raw(tar_path, raw_decompress, g, e);
        if (r == 0)
                r = pgz_writer_finish(g->w, e);
        pgz_writer_free(g->w);
        lay_layer l = {0};
        digest_final(g->raw, l.diff);
        digest_final(g->gz, l.blob);
        l.size = g->size;
        l.usize = g->usize;
        free(g);
        if (r == 0 && fsync(fd) < 0)
                r = err_sys(e, errno, "%s", tmp);
        if (r == 0)
                r = store_blob_publish(st, tmp, fd, l.blob, e);
        else
                unlink(tmp);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

static json_object *layer_to_json(const lay_layer *l)
{
        json_object *j = json_object_new_object();
        json_object_object_add(j, "blob", json_object_new_string(l->blob));
        json_object_object_add(j, "diff", json_object_new_string(l->diff));
        json_object_object_add(j, "size", json_object_new_int64(l->size));
        json_object_object_add(j, "usize", json_object_new_int64(l->usize));
        json_object_object_add(j, "created_by",
                               json_object_new_string(l->created_by ? l->created_by : ""));
        if (l->rootfs)
                json_object_object_add(j, "rootfs", json_object_new_boolean(true));
        return j;
}

static bool hex64(const char *s)
{
        return s && strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}

static int layer_from_json(json_object *j, lay_layer *ret)
{
        json_object *v;
        const char *b = json_object_object_get_ex(j, "blob", &v) ? json_object_get_string(v) : NULL;
        const char *d = json_object_object_get_ex(j, "diff", &v) ? json_object_get_string(v) : NULL;
        if (!hex64(b) || !hex64(d))
                return -EBADMSG;
        lay_layer l = {0};
        memcpy(l.blob, b, DIGEST_HEX_LEN + 1);
        memcpy(l.diff, d, DIGEST_HEX_LEN + 1);
        l.size = json_object_object_get_ex(j, "size", &v) ? json_object_get_int64(v) : 0;
        l.usize = json_object_object_get_ex(j, "usize", &v) ? json_object_get_int64(v) : 0;
        l.created_by = xstrdup(
                json_object_object_get_ex(j, "created_by", &v) ? json_object_get_string(v) : "");
        l.rootfs = json_object_object_get_ex(j, "rootfs", &v) && json_object_get_boolean(v);
        *ret = l;
        return 0;
}

int lay_record_read(store *st, const char *name, bool mark_used, lay_image *ret)
{
        _cleanup_free_ char *data = NULL;
        err_t e = {0};
        /* The store's record: the blobs as references (for gc), this JSON
         * as payload. Last use: now, when asked (gc goes by these times). */
        if (store_record_get(st, STORE_RECORD_STEP, name, mark_used, NULL, &data, NULL) < 0)
                return -ENOENT;
        json_object *j = json_tokener_parse(data);
        json_object *ls, *cf;
        if (!j || !json_object_object_get_ex(j, "layers", &ls) ||
            !json_object_is_type(ls, json_type_array)) {
                json_object_put(j);
                return -EBADMSG;
        }
        lay_image im = {0};
        int r = 0;
        size_t n = json_object_array_length(ls);
        im.layers = xcalloc(n ? n : 1, sizeof(*im.layers));
        for (size_t i = 0; i < n && r == 0; i++) {
                r = layer_from_json(json_object_array_get_idx(ls, i), &im.layers[i]);
                if (r == 0) {
                        im.n_layers++;
                        _cleanup_free_ char *bp = store_blob_path(st, im.layers[i].blob);
                        if (access(bp, R_OK) < 0)
                                r = -ENOENT; /* pruned: the record is stale */
                }
        }
        if (r == 0 && json_object_object_get_ex(j, "config", &cf) &&
            oci_config_from_json(cf, name, &im.config, &e) < 0)
                r = -EBADMSG;
        json_object_put(j);
        if (r < 0) {
                lay_image_free(&im);
                return r;
        }
        for (size_t i = 0; mark_used && i < im.n_layers; i++) {
                _cleanup_free_ char *bp = store_blob_path(st, im.layers[i].blob);
                utimensat(AT_FDCWD, bp, NULL, 0);
        }
        *ret = im;
        return 0;
}

int lay_record_get(store *st, const char *name, lay_image *ret)
{
        return lay_record_read(st, name, true, ret);
}

int lay_record_put(store *st, const char *name, const lay_image *im, err_t *e)
{
        _cleanup_strv_ strv blobs = {0};
        for (size_t i = 0; i < im->n_layers; i++)
                strv_push(&blobs, im->layers[i].blob);
        json_object *j = json_object_new_object();
        json_object *ls = json_object_new_array();
        for (size_t i = 0; i < im->n_layers; i++)
                json_object_array_add(ls, layer_to_json(&im->layers[i]));
        json_object_object_add(j, "layers", ls);
        json_object_object_add(j, "config", oci_config_to_json(&im->config));
        const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
        int r = store_record_put(st, STORE_RECORD_STEP, name, &blobs, s, e);
        json_object_put(j);
        return r;
}

int lay_step_get(store *st, const char *key, lay_layer *ret)
{
        lay_image im = {0};
        int r = lay_record_get(st, key, &im);
        if (r < 0)
                return r;
        if (im.n_layers != 1) {
                lay_image_free(&im);
                return -EBADMSG;
        }
        *ret = im.layers[0];
        im.layers[0].created_by = NULL;
        lay_image_free(&im);
        return 0;
}

int lay_step_put(store *st, const char *key, const lay_layer *l, err_t *e)
{
        lay_image im = {.layers = (lay_layer *)l, .n_layers = 1};
        return lay_record_put(st, key, &im, e);
}
