/* OCI image layout and docker-save archives: from index.json (through
 * nested indexes) or manifest.json to the layer list and the config, every
 * JSON blob verified against its digest before it is parsed. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_DEPTH 4 /* index -> nested indexes -> manifest */
#define JSON_DEPTH 32

struct oci_archive {
        int fd;
        char *name;
        const oci_sha256_ops *sha;
        oci_tar tar;
        oci_image im;
};

typedef struct media_type {
        const char *name;
        oci_compression comp;
} media_type;

static const media_type layer_types[] = {
        {"application/vnd.oci.image.layer.v1.tar", OCI_COMPRESSION_NONE},
        {"application/vnd.oci.image.layer.v1.tar+gzip", OCI_COMPRESSION_GZIP},
        {"application/vnd.oci.image.layer.v1.tar+zstd", OCI_COMPRESSION_ZSTD},
        {"application/vnd.docker.image.rootfs.diff.tar", OCI_COMPRESSION_NONE},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_COMPRESSION_GZIP},
};
static const char *const index_types[] = {
        OCI_MT_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json"};
static const char *const manifest_types[] = {
        OCI_MT_MANIFEST, "application/vnd.docker.distribution.manifest.v2+json"};
static const char *const config_types[] = {OCI_MT_CONFIG,
                                           "application/vnd.docker.container.image.v1+json"};
static const char docker_layer_type[] = "application/vnd.docker.image.rootfs.diff.tar";

static bool one_of(const char *s, const char *const *set, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(s, set[i]))
                        return true;
        return false;
}

/* ---- reading members ------------------------------------------------------ */

static int hash_range(oci_archive *a, const oci_member *m, int out_fd, char hex[DIGEST_HEX_LEN + 1],
                      char *ret_buf, err_t *e)
{
        void *c = NULL;
        int r = a->sha->start(&c, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = ret_buf ? NULL : xmalloc(1 << 16);
        int64_t done = 0;
        while (done < m->size) {
                size_t want =
                        ret_buf ? (size_t)(m->size - done)
                                : (size_t)(m->size - done < (1 << 16) ? m->size - done : (1 << 16));
                char *p = ret_buf ? ret_buf + done : buf;
                ssize_t n = pread(a->fd, p, want, (off_t)(m->offset + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        a->sha->discard(c);
                        return n < 0 ? err_sys(e, errno, "%s: %s", a->name, OCI_ESC(m->name))
                                     : err_set(e, -EIO, "%s: %s: shorter than its header says",
                                               a->name, OCI_ESC(m->name));
                }
                a->sha->update(c, p, (size_t)n);
                int w = out_fd >= 0 ? fd_write_all(out_fd, p, (size_t)n) : 0;
                if (w < 0) {
                        a->sha->discard(c);
                        return err_sys(e, -w, "%s: %s: write", a->name, OCI_ESC(m->name));
                }
                done += n;
        }
        a->sha->finish(c, hex);
        return 0;
}

static int check_digest(oci_archive *a, const char *what, const char *got, const char *want,
                        err_t *e)
{
        if (!want || !strcmp(got, want))
                return 0;
        return err_set(e, -EBADMSG, "%s: %s: content is sha256:%s, not sha256:%s", a->name, what,
                       got, want);
}

/* A member the JSON names: present, and listed once (readers would
 * disagree on which copy counts). */
static int find_member(oci_archive *a, const char *name, const char *what, const oci_member **ret,
                       err_t *e)
{
        const oci_member *m = oci_tar_find(&a->tar, name);
        if (!m)
                return err_set(e, -ENOENT, "%s: %s: no %s in the archive", a->name, what,
                               OCI_ESC(name));
        if (m->dup)
                return err_set(e, -EBADMSG, "%s: %s: member \"%s\" appears twice", a->name, what,
                               OCI_ESC(name));
        *ret = m;
        return 0;
}

/* A JSON member, whole: its size bounded, its digest checked when known. */
static int read_json(oci_archive *a, const char *member, const char *want_hex, int64_t want_size,
                     const char *what, json_object **ret, err_t *e)
{
        const oci_member *m = NULL;
        int r = find_member(a, member, what, &m, e);
        if (r < 0)
                return r;

        if (want_size >= 0 && m->size != want_size)
                return err_set(e, -EBADMSG, "%s: %s: %lld bytes, the descriptor says %lld", a->name,
                               what, (long long)m->size, (long long)want_size);
        if (m->size > OCI_MAX_JSON)
                return err_set(e, -EFBIG, "%s: %s: larger than %lld bytes", a->name, what,
                               (long long)OCI_MAX_JSON);
        _cleanup_free_ char *data = xmalloc((size_t)m->size + 1);
        char hex[DIGEST_HEX_LEN + 1];
        r = hash_range(a, m, -1, hex, data, e);
        if (r < 0)
                return r;
        data[m->size] = '\0';
        r = check_digest(a, what, hex, want_hex, e);
        if (r < 0)
                return r;
        if (strlen(data) != (size_t)m->size)
                return err_set(e, -EBADMSG, "%s: %s: not JSON (a NUL byte)", a->name, what);
        struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *j = json_tokener_parse_ex(tok, data, (int)m->size);
        enum json_tokener_error je = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        while (j && end < (size_t)m->size && strchr(" \t\r\n", data[end]))
                end++;
        if (!j || je != json_tokener_success || end != (size_t)m->size) {
                json_object_put(j);
                return err_set(e, -EBADMSG, "%s: %s: not JSON (%s)", a->name, what,
                               j || je == json_tokener_success ? "trailing data"
                                                               : json_tokener_error_desc(je));
        }
        *ret = j;
        return 0;
}

/* ---- JSON shapes ------------------------------------------------------------ */

static json_object *field(json_object *o, const char *k)
{
        json_object *v = NULL;
        return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static int want_type(oci_archive *a, json_object *v, json_type t, const char *what, err_t *e)
{
        if (v && json_object_is_type(v, t))
                return 0;
        return err_set(e, -EBADMSG, "%s: %s: %s, not %s", a->name, what,
                       v ? json_type_to_name(json_object_get_type(v)) : "missing",
                       json_type_to_name(t));
}

/* A string field; NULL allowed only when optional. */
static int get_string(oci_archive *a, json_object *o, const char *k, bool optional,
                      const char *what, const char **ret, err_t *e)
{
        json_object *v = field(o, k);
        if (!v && optional) {
                *ret = NULL;
                return 0;
        }
        _cleanup_free_ char *w = xasprintf("%s.%s", what, k);
        int r = want_type(a, v, json_type_string, w, e);
        if (r < 0)
                return r;
        const char *s = json_object_get_string(v);
        if (strlen(s) != (size_t)json_object_get_string_len(v))
                return err_set(e, -EBADMSG, "%s: %s: a NUL byte", a->name, w);
        *ret = s;
        return 0;
}

typedef struct descriptor {
        const char *media_type; /* NULL when absent */
        char hex[DIGEST_HEX_LEN + 1];
        int64_t size;
} descriptor;

static int get_descriptor(oci_archive *a, json_object *o, const char *what, int64_t max_size,
                          descriptor *ret, err_t *e)
{
        int r = want_type(a, o, json_type_object, what, e);
        const char *dg = NULL;
        if (r == 0)
                r = get_string(a, o, "mediaType", true, what, &ret->media_type, e);
        if (r == 0)
                r = get_string(a, o, "digest", false, what, &dg, e);
        if (r < 0)
                return r;
        const char *hex = oci_digest_hex(dg);
        if (!hex)
                return err_set(e, -EBADMSG, "%s: %s: digest \"%s\" is not sha256:<64 hex>", a->name,
                               what, OCI_ESC(dg));
        memcpy(ret->hex, hex, DIGEST_HEX_LEN + 1);
        json_object *sz = field(o, "size");
        if (!sz || !json_object_is_type(sz, json_type_int))
                return err_set(e, -EBADMSG, "%s: %s: size is not an integer", a->name, what);
        errno = 0;
        int64_t n = json_object_get_int64(sz);
        if (errno == EINVAL || n < 0 || n > max_size)
                return err_set(e, -EBADMSG, "%s: %s: size %lld out of range", a->name, what,
                               (long long)n);
        ret->size = n;
        return 0;
}

/* ---- the config blob (both kinds) --------------------------------------------- */

static int take_config(oci_archive *a, json_object *cfg, err_t *e)
{
        oci_image *im = &a->im;
        int r = want_type(a, cfg, json_type_object, "config", e);
        json_object *rootfs = r == 0 ? field(cfg, "rootfs") : NULL;
        if (r == 0)
                r = want_type(a, rootfs, json_type_object, "config.rootfs", e);
        const char *type = NULL;
        if (r == 0)
                r = get_string(a, rootfs, "type", false, "config.rootfs", &type, e);
        if (r == 0 && strcmp(type, "layers"))
                r = err_set(e, -EBADMSG, "%s: config.rootfs.type is \"%s\", not \"layers\"",
                            a->name, OCI_ESC(type));
        json_object *ids = r == 0 ? field(rootfs, "diff_ids") : NULL;
        if (r == 0)
                r = want_type(a, ids, json_type_array, "config.rootfs.diff_ids", e);
        if (r == 0 && json_object_array_length(ids) != im->n_layers)
                r = err_set(e, -EBADMSG, "%s: %zu layers but %zu diff_ids", a->name, im->n_layers,
                            json_object_array_length(ids));
        for (size_t i = 0; r == 0 && i < im->n_layers; i++) {
                json_object *v = json_object_array_get_idx(ids, i);
                const char *h = json_object_is_type(v, json_type_string)
                                        ? oci_digest_hex(json_object_get_string(v))
                                        : NULL;
                if (!h)
                        r = err_set(e, -EBADMSG,
                                    "%s: config.rootfs.diff_ids[%zu]: not a sha256 "
                                    "digest",
                                    a->name, i);
                else
                        memcpy(im->layers[i].diff_id, h, DIGEST_HEX_LEN + 1);
        }
        if (r < 0)
                return r;
        _cleanup_free_ char *what = xasprintf("%s", a->name);
        r = oci_config_from_json(field(cfg, "config"), what, &im->config, e);
        if (r < 0)
                return r;
        /* history: one entry per layer, but empty_layer entries made none. */
        json_object *h = field(cfg, "history");
        if (!h)
                return 0;
        r = want_type(a, h, json_type_array, "config.history", e);
        for (size_t i = 0, k = 0; r == 0 && i < json_object_array_length(h); i++) {
                json_object *it = json_object_array_get_idx(h, i);
                _cleanup_free_ char *w = xasprintf("config.history[%zu]", i);
                r = want_type(a, it, json_type_object, w, e);
                json_object *el = r == 0 ? field(it, "empty_layer") : NULL;
                if (r == 0 && el && !json_object_is_type(el, json_type_boolean))
                        r = err_set(e, -EBADMSG, "%s: %s.empty_layer is not a boolean", a->name, w);
                const char *by = NULL;
                if (r == 0)
                        r = get_string(a, it, "created_by", true, w, &by, e);
                if (r < 0 || (el && json_object_get_boolean(el)) || k >= im->n_layers)
                        continue;
                free(im->layers[k].created_by);
                im->layers[k].created_by = xstrdup(by ? by : "");
                k++;
        }
        return r;
}

static oci_layer *new_layers(oci_archive *a, size_t n)
{
        a->im.layers = xcalloc(n ? n : 1, sizeof(oci_layer));
        a->im.n_layers = n;
        for (size_t i = 0; i < n; i++)
                a->im.layers[i].created_by = xstrdup("");
        return a->im.layers;
}

/* ---- OCI image layout ---------------------------------------------------------- */

static int check_layout(oci_archive *a, err_t *e)
{
        json_object *lay = NULL;
        int r = read_json(a, "oci-layout", NULL, -1, "oci-layout", &lay, e);
        const char *ver = NULL;
        if (r == 0)
                r = want_type(a, lay, json_type_object, "oci-layout", e);
        if (r == 0)
                r = get_string(a, lay, "imageLayoutVersion", false, "oci-layout", &ver, e);
        if (r == 0 && strncmp(ver, "1.", 2))
                r = err_set(e, -EBADMSG, "%s: oci-layout: version \"%s\" is not 1.x", a->name,
                            OCI_ESC(ver));
        json_object_put(lay);
        return r;
}

/* The manifest index.json leads to: the first one each index lists,
 * through nested indexes. */
static int find_manifest(oci_archive *a, json_object **ret_man, err_t *e)
{
        json_object *cur = NULL;
        int r = read_json(a, "index.json", NULL, -1, "index.json", &cur, e);
        json_object *man = NULL;
        _cleanup_free_ char *where = xstrdup("index.json");
        for (int depth = 0; r == 0 && !man; depth++) {
                if (depth == MAX_DEPTH) {
                        r = err_set(e, -ELOOP, "%s: indexes nested deeper than %d", a->name,
                                    MAX_DEPTH);
                        break;
                }
                r = want_type(a, cur, json_type_object, where, e);
                json_object *ms = r == 0 ? field(cur, "manifests") : NULL;
                _cleanup_free_ char *wm = xasprintf("%s.manifests", where);
                if (r == 0)
                        r = want_type(a, ms, json_type_array, wm, e);
                if (r == 0 && json_object_array_length(ms) == 0)
                        r = err_set(e, -EBADMSG, "%s: %s lists no manifest", a->name, where);
                descriptor d = {0};
                _cleanup_free_ char *wd = xasprintf("%s[0]", wm);
                if (r == 0)
                        r = get_descriptor(a, json_object_array_get_idx(ms, 0), wd, OCI_MAX_JSON,
                                           &d, e);
                bool is_index = false;
                if (r == 0 && d.media_type) {
                        is_index = one_of(d.media_type, index_types, ARRAY_SIZE(index_types));
                        if (!is_index &&
                            !one_of(d.media_type, manifest_types, ARRAY_SIZE(manifest_types)))
                                r = err_set(e, -EBADMSG, "%s: %s: unknown media type \"%s\"",
                                            a->name, wd, OCI_ESC(d.media_type));
                }
                json_object *j = NULL;
                _cleanup_free_ char *member = xasprintf("blobs/sha256/%s", d.hex);
                _cleanup_free_ char *what =
                        xasprintf("%s %s", is_index ? "index" : "manifest", member);
                if (r == 0)
                        r = read_json(a, member, d.hex, d.size, what, &j, e);
                if (r == 0 && !d.media_type && json_object_is_type(j, json_type_object) &&
                    field(j, "manifests"))
                        is_index = true;
                json_object_put(cur);
                cur = NULL;
                if (is_index) {
                        cur = j;
                        free(where);
                        where = xasprintf("index %s", member);
                } else
                        man = j;
        }
        json_object_put(cur);
        if (r < 0) {
                json_object_put(man);
                return r;
        }
        *ret_man = man;
        return 0;
}

/* The manifest's media type, and its config's descriptor. */
static int check_manifest(oci_archive *a, json_object *man, descriptor *ret_config, err_t *e)
{
        const char *mt = NULL;
        int r = want_type(a, man, json_type_object, "manifest", e);
        if (r == 0)
                r = get_string(a, man, "mediaType", true, "manifest", &mt, e);
        if (r == 0 && mt && !one_of(mt, manifest_types, ARRAY_SIZE(manifest_types)))
                r = err_set(e, -EBADMSG, "%s: manifest: unknown media type \"%s\"", a->name,
                            OCI_ESC(mt));
        descriptor cd = {0};
        if (r == 0)
                r = get_descriptor(a, field(man, "config"), "manifest.config", OCI_MAX_JSON, &cd,
                                   e);
        if (r == 0 && cd.media_type &&
            !one_of(cd.media_type, config_types, ARRAY_SIZE(config_types)))
                r = err_set(e, -EBADMSG, "%s: manifest.config: unknown media type \"%s\"", a->name,
                            OCI_ESC(cd.media_type));
        if (r < 0)
                return r;
        *ret_config = cd;
        return 0;
}

/* The layer descriptor jd (W in messages), and its blob in the archive. */
static int get_layer(oci_archive *a, json_object *jd, const char *w, oci_layer *ret, err_t *e)
{
        descriptor d = {0};
        int r = get_descriptor(a, jd, w, OCI_MAX_BLOB, &d, e);
        const media_type *t = NULL;
        for (size_t k = 0; r == 0 && d.media_type && k < ARRAY_SIZE(layer_types); k++)
                if (!strcmp(d.media_type, layer_types[k].name))
                        t = &layer_types[k];
        if (r == 0 && !t)
                r = err_set(e, -EBADMSG, "%s: %s: unknown layer media type \"%s\"", a->name, w,
                            d.media_type ? OCI_ESC(d.media_type) : "(none)");
        if (r < 0)
                return r;
        _cleanup_free_ char *member = xasprintf("blobs/sha256/%s", d.hex);
        const oci_member *m = NULL;
        r = find_member(a, member, w, &m, e);
        if (r == 0 && m->size != d.size)
                r = err_set(e, -EBADMSG, "%s: %s: %lld bytes, the descriptor says %lld", a->name, w,
                            (long long)m->size, (long long)d.size);
        if (r < 0)
                return r;
        memcpy(ret->digest, d.hex, DIGEST_HEX_LEN + 1);
        ret->media_type = t->name;
        ret->compression = t->comp;
        ret->size = m->size;
        ret->offset = m->offset;
        ret->member = steal_pointer(&member);
        return 0;
}

/* manifest.layers into a->im.layers. */
static int get_layers(oci_archive *a, json_object *man, err_t *e)
{
        json_object *ls = field(man, "layers");
        int r = want_type(a, ls, json_type_array, "manifest.layers", e);
        size_t n = r == 0 ? json_object_array_length(ls) : 0;
        if (n > OCI_MAX_LAYERS)
                r = err_set(e, -E2BIG, "%s: more than %d layers", a->name, OCI_MAX_LAYERS);
        if (r < 0)
                return r;
        oci_layer *L = new_layers(a, n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *w = xasprintf("manifest.layers[%zu]", i);
                r = get_layer(a, json_object_array_get_idx(ls, i), w, &L[i], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int open_oci(oci_archive *a, err_t *e)
{
        int r = check_layout(a, e);
        if (r < 0)
                return r;
        json_object *man = NULL;
        r = find_manifest(a, &man, e);
        if (r < 0)
                return r;
        descriptor cd = {0};
        r = check_manifest(a, man, &cd, e);
        if (r == 0)
                r = get_layers(a, man, e);
        json_object *cfg = NULL;
        _cleanup_free_ char *cm = xasprintf("blobs/sha256/%s", cd.hex);
        _cleanup_free_ char *cw = xasprintf("config %s", cm);
        if (r == 0)
                r = read_json(a, cm, cd.hex, cd.size, cw, &cfg, e);
        if (r == 0) {
                memcpy(a->im.config_digest, cd.hex, DIGEST_HEX_LEN + 1);
                r = take_config(a, cfg, e);
        }
        json_object_put(cfg);
        json_object_put(man);
        return r;
}

/* ---- docker save ----------------------------------------------------------------- */

/* The digest a docker-save name carries: "HEX.json" or "blobs/sha256/HEX". */
static const char *name_digest(const char *n, char buf[DIGEST_HEX_LEN + 1])
{
        const char *h = NULL;
        if (strlen(n) == DIGEST_HEX_LEN + 5 && !strcmp(n + DIGEST_HEX_LEN, ".json"))
                h = n;
        else if (!strncmp(n, "blobs/sha256/", 13) && strlen(n + 13) == DIGEST_HEX_LEN)
                h = n + 13;
        if (!h)
                return NULL;
        _cleanup_free_ char *d = xasprintf("sha256:%.64s", h);
        const char *x = oci_digest_hex(d);
        if (!x)
                return NULL;
        memcpy(buf, x, DIGEST_HEX_LEN + 1);
        return buf;
}

static int docker_name(oci_archive *a, json_object *v, const char *what, char **ret, err_t *e)
{
        int r = want_type(a, v, json_type_string, what, e);
        if (r < 0)
                return r;
        const char *raw = json_object_get_string(v);
        char *c =
                strlen(raw) == (size_t)json_object_get_string_len(v) ? oci_member_clean(raw) : NULL;
        if (!c)
                return err_set(e, -EBADMSG, "%s: %s: \"%s\" is not a path inside the archive",
                               a->name, what, OCI_ESC(raw));
        const oci_member *m = NULL;
        r = find_member(a, c, what, &m, e);
        if (r < 0) {
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

static int open_docker(oci_archive *a, err_t *e)
{
        json_object *arr = NULL;
        int r = read_json(a, "manifest.json", NULL, -1, "manifest.json", &arr, e);
        if (r == 0)
                r = want_type(a, arr, json_type_array, "manifest.json", e);
        if (r == 0 && json_object_array_length(arr) == 0)
                r = err_set(e, -EBADMSG, "%s: manifest.json lists no image", a->name);
        json_object *m0 = r == 0 ? json_object_array_get_idx(arr, 0) : NULL;
        if (r == 0)
                r = want_type(a, m0, json_type_object, "manifest.json[0]", e);
        json_object *tags = r == 0 ? field(m0, "RepoTags") : NULL;
        if (r == 0 && tags && !json_object_is_type(tags, json_type_null)) {
                r = want_type(a, tags, json_type_array, "manifest.json[0].RepoTags", e);
                for (size_t i = 0; r == 0 && i < json_object_array_length(tags); i++)
                        if (!json_object_is_type(json_object_array_get_idx(tags, i),
                                                 json_type_string))
                                r = err_set(e, -EBADMSG,
                                            "%s: manifest.json[0].RepoTags[%zu] is not a string",
                                            a->name, i);
        }
        _cleanup_free_ char *cn = NULL;
        if (r == 0)
                r = docker_name(a, field(m0, "Config"), "manifest.json[0].Config", &cn, e);
        json_object *ls = r == 0 ? field(m0, "Layers") : NULL;
        if (r == 0)
                r = want_type(a, ls, json_type_array, "manifest.json[0].Layers", e);
        size_t n = r == 0 ? json_object_array_length(ls) : 0;
        if (n > OCI_MAX_LAYERS)
                r = err_set(e, -E2BIG, "%s: more than %d layers", a->name, OCI_MAX_LAYERS);
        oci_layer *L = r == 0 ? new_layers(a, n) : NULL;
        for (size_t i = 0; r == 0 && i < n; i++) {
                _cleanup_free_ char *w = xasprintf("manifest.json[0].Layers[%zu]", i);
                r = docker_name(a, json_object_array_get_idx(ls, i), w, &L[i].member, e);
                if (r < 0)
                        break;
                const oci_member *m = oci_tar_find(&a->tar, L[i].member);
                L[i].media_type = docker_layer_type;
                L[i].compression = OCI_COMPRESSION_NONE;
                L[i].size = m->size;
                L[i].offset = m->offset;
        }
        json_object *cfg = NULL;
        char buf[DIGEST_HEX_LEN + 1];
        const char *want = r == 0 ? name_digest(cn, buf) : NULL;
        _cleanup_free_ char *cw = r == 0 ? xasprintf("config %s", OCI_ESC(cn)) : NULL;
        if (r == 0)
                r = read_json(a, cn, want, -1, cw, &cfg, e);
        if (r == 0) {
                if (want)
                        memcpy(a->im.config_digest, want, DIGEST_HEX_LEN + 1);
                r = take_config(a, cfg, e);
        }
        /* A docker-save layer is its uncompressed tar: its digest is its
         * diff_id. */
        for (size_t i = 0; r == 0 && i < n; i++)
                memcpy(L[i].digest, L[i].diff_id, DIGEST_HEX_LEN + 1);
        json_object_put(cfg);
        json_object_put(arr);
        if (r == 0 && oci_tar_find(&a->tar, "repositories")) {
                json_object *rep = NULL;
                r = read_json(a, "repositories", NULL, -1, "repositories", &rep, e);
                if (r == 0)
                        r = want_type(a, rep, json_type_object, "repositories", e);
                json_object_put(rep);
        }
        return r;
}

/* ---- the archive --------------------------------------------------------------------- */

void oci_archive_free(oci_archive *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->im.n_layers; i++) {
                free(a->im.layers[i].member);
                free(a->im.layers[i].created_by);
        }
        free(a->im.layers);
        oci_config_free(&a->im.config);
        oci_tar_free(&a->tar);
        if (a->fd >= 0)
                close(a->fd);
        free(a->name);
        free(a);
}

const oci_image *oci_archive_image(const oci_archive *a)
{
        return &a->im;
}

int oci_archive_open(int fd, const char *name, const oci_sha256_ops *sha, oci_archive **ret,
                     err_t *e)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", name);
        if (!S_ISREG(st.st_mode))
                return 1;
        oci_archive *a = xcalloc(1, sizeof(*a));
        a->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        a->name = xstrdup(name);
        a->sha = sha;
        if (a->fd < 0) {
                int r = err_sys(e, errno, "%s", name);
                oci_archive_free(a);
                return r;
        }
        int r = oci_tar_index(a->fd, (int64_t)st.st_size, name, &a->tar, e);
        bool oci_or_docker =
                r == 0 &&
                ((oci_tar_find(&a->tar, "oci-layout") && oci_tar_find(&a->tar, "index.json")) ||
                 oci_tar_find(&a->tar, "manifest.json"));
        if (oci_or_docker && a->tar.capped)
                r = err_set(e, -E2BIG, "%s: more than %d members", name, OCI_TAR_MAX_MEMBERS);
        if (r == 0) {
                if (oci_tar_find(&a->tar, "oci-layout") && oci_tar_find(&a->tar, "index.json")) {
                        a->im.kind = OCI_KIND_OCI;
                        r = open_oci(a, e);
                } else if (oci_tar_find(&a->tar, "manifest.json")) {
                        a->im.kind = OCI_KIND_DOCKER;
                        r = open_docker(a, e);
                } else
                        r = 1;
        }
        if (r != 0) {
                oci_archive_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

int oci_archive_copy_layer(oci_archive *a, size_t i, int out_fd, err_t *e)
{
        if (i >= a->im.n_layers)
                return err_set(e, -EINVAL, "%s: no layer %zu", a->name, i + 1);
        const oci_layer *l = &a->im.layers[i];
        const oci_member m = {.name = l->member, .offset = l->offset, .size = l->size};
        char hex[DIGEST_HEX_LEN + 1];
        int r = hash_range(a, &m, out_fd, hex, NULL, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *what = xasprintf("layer %zu (%s)", i + 1, OCI_ESC(l->member));
        return check_digest(a, what, hex, l->digest, e);
}
