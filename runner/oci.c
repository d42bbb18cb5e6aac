/* OCI image layout archives and docker-save archives as overlay stacks.
 * Each layer is unpacked once (by the same secure unpacker as rootfs
 * images) into layers/sha256/DIGEST, DIGEST being the sha256 of the layer
 * as stored in the archive and checked against what the archive's JSON
 * claims; images sharing a base share its directories. OCI whiteouts
 * become overlay whiteouts (".wh.NAME" -> a 0/0 character device NAME,
 * ".wh..wh..opq" -> the opaque xattr on its directory). The stack and the
 * image config are recorded in stacks/DIGEST.json, which the index entry
 * of the image file names, so a warm start reads no archive. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "internal.h"
#include "lazylib.h"
#include "unpack-reader.h"
#include "oci.h"

#define MAX_JSON ((size_t)4 << 20)
#define MAX_LAYERS 64

typedef struct member {
        char *data; /* small members only */
        size_t len;
} member;

static char *member_clean(const char *raw)
{
        while (raw[0] == '.' && raw[1] == '/')
                raw += 2;
        if (!*raw || raw[0] == '/' || !path_is_contained(raw))
                return NULL;
        return path_normalize(raw);
}

static bool want_small(const char *n)
{
        if (!strcmp(n, "index.json") || !strcmp(n, "manifest.json") || !strcmp(n, "oci-layout"))
                return true;
        if (!strchr(n, '/') && strlen(n) > 5 && !strcmp(n + strlen(n) - 5, ".json"))
                return true;
        return !strncmp(n, "blobs/sha256/", 13);
}

typedef int (*member_fn)(struct archive *a, const char *name, int64_t size, void *ud, err_t *e);

static int copy_member(struct archive *a, int out, err_t *e)
{
        const void *buf;
        size_t len;
        la_int64_t off;
        for (;;) {
                int r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return err_set(e, -EIO, "%s", archive_error_string(a));
                if (out < 0)
                        continue;
                if (lseek(out, (off_t)off, SEEK_SET) < 0)
                        return err_sys(e, errno, "seek");
                const char *p = buf;
                while (len) {
                        ssize_t w = write(out, p, len);
                        if (w < 0)
                                return err_sys(e, errno, "write");
                        p += w;
                        len -= (size_t)w;
                }
        }
}

/* Call fn for every regular member of the archive at fd (from the start). */
static int each_member(int fd, const char *image, member_fn fn, void *ud, err_t *e)
{
        if (lseek(fd, 0, SEEK_SET) < 0)
                return err_sys(e, errno, "%s", image);
        struct archive *a = archive_read_new();
        archive_read_support_format_tar(a);
        unpack_reader r = {.fd = fd, .buf = xmalloc(UNPACK_BUF)};
        int rc = 0;
        if (archive_read_open(a, &r, NULL, unpack_reader_read, NULL) != ARCHIVE_OK)
                rc = err_set(e, -EINVAL, "%s: %s", image, archive_error_string(a) ?: "not a tar");
        while (rc == 0) {
                struct archive_entry *ae;
                int s = archive_read_next_header(a, &ae);
                if (s == ARCHIVE_EOF)
                        break;
                if (s < ARCHIVE_WARN) {
                        rc = err_set(e, -EINVAL, "%s: %s", image, archive_error_string(a));
                        break;
                }
                if (archive_entry_filetype(ae) != AE_IFREG)
                        continue;
                _cleanup_free_ char *n = member_clean(archive_entry_pathname(ae) ?: "");
                if (n)
                        rc = fn(a, n, archive_entry_size(ae), ud, e);
        }
        archive_read_free(a);
        free(r.buf);
        return rc;
}

static int collect_small(struct archive *a, const char *name, int64_t size, void *ud, err_t *e)
{
        strmap *m = ud;
        if (!want_small(name) || size < 0 || (size_t)size >= MAX_JSON || strmap_has(m, name))
                return 0;
        member *mb = xcalloc(1, sizeof(*mb));
        mb->data = xmalloc((size_t)size + 1);
        size_t got = 0;
        const void *buf;
        size_t len;
        la_int64_t off;
        for (;;) {
                int r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN || off < 0 || (size_t)off + len > (size_t)size) {
                        free(mb->data);
                        free(mb);
                        return err_set(e, -EIO, "%s: %s", name,
                                       archive_error_string(a) ?: "bad data");
                }
                memcpy(mb->data + off, buf, len);
                if ((size_t)off + len > got)
                        got = (size_t)off + len;
        }
        mb->data[got] = '\0';
        mb->len = got;
        strmap_put(m, name, mb);
        return 0;
}

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

/* ---- the archive's JSON (untrusted) --------------------------------------- */

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

static bool hex64(const char *s)
{
        if (!s || strlen(s) != DIGEST_HEX_LEN)
                return false;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
                        return false;
        return true;
}

static const char *sha256_of(const char *s)
{
        return s && !strncmp(s, "sha256:", 7) && hex64(s + 7) ? s + 7 : NULL;
}

static json_object *member_json(strmap *m, const char *name, const char *image, err_t *e)
{
        member *mb = strmap_get(m, name);
        if (!mb) {
                err_set(e, -EINVAL, "%s: no %s in the archive", image, name);
                return NULL;
        }
        json_object *j = json_tokener_parse(mb->data);
        if (!j)
                err_set(e, -EINVAL, "%s: %s: not JSON", image, name);
        return j;
}

typedef struct layer_ref {
        char *member; /* the layer's name in the archive */
        char hex[DIGEST_HEX_LEN + 1];
} layer_ref;

typedef struct plan {
        layer_ref l[MAX_LAYERS];
        size_t n;
        json_object *config; /* the image config's "config" object, owned */
} plan;

static void plan_free(plan *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->l[i].member);
        json_object_put(p->config);
        memset(p, 0, sizeof(*p));
}

static int plan_add(plan *p, const char *name, const char *hex, const char *image, err_t *e)
{
        if (p->n >= MAX_LAYERS)
                return err_set(e, -E2BIG, "%s: more than %d layers", image, MAX_LAYERS);
        p->l[p->n].member = xstrdup(name);
        memcpy(p->l[p->n].hex, hex, DIGEST_HEX_LEN + 1);
        p->n++;
        return 0;
}

static int take_config(plan *p, json_object *cfg, size_t n_layers, const char *image, err_t *e)
{
        json_object *ids = jget(jget(cfg, "rootfs"), "diff_ids");
        if (!ids || !json_object_is_type(ids, json_type_array) ||
            json_object_array_length(ids) != n_layers)
                return err_set(e, -EINVAL, "%s: config: rootfs.diff_ids does not match the layers",
                               image);
        json_object *c = jget(cfg, "config");
        if (c && json_object_is_type(c, json_type_object))
                p->config = json_object_get(c);
        return 0;
}

static int plan_oci(strmap *m, const char *image, plan *p, err_t *e)
{
        json_object *cur = member_json(m, "index.json", image, e);
        if (!cur)
                return e->code;
        int r = 0;
        json_object *man = NULL;
        for (int depth = 0; depth < 4 && !man; depth++) {
                json_object *ms = jget(cur, "manifests");
                json_object *d0 = ms && json_object_is_type(ms, json_type_array) &&
                                                  json_object_array_length(ms) > 0
                                          ? json_object_array_get_idx(ms, 0)
                                          : NULL;
                const char *h = sha256_of(jstr(d0, "digest"));
                if (!h) {
                        r = err_set(e, -EINVAL, "%s: index without a manifest digest", image);
                        break;
                }
                _cleanup_free_ char *bn = xasprintf("blobs/sha256/%s", h);
                json_object *j = member_json(m, bn, image, e);
                json_object_put(cur);
                cur = NULL;
                if (!j) {
                        r = e->code;
                        break;
                }
                if (jget(j, "manifests"))
                        cur = j; /* a nested index */
                else
                        man = j;
        }
        json_object_put(cur);
        if (r == 0 && !man)
                r = err_set(e, -EINVAL, "%s: no image manifest", image);
        if (r < 0)
                return r;
        const char *ch = sha256_of(jstr(jget(man, "config"), "digest"));
        json_object *ls = jget(man, "layers");
        if (!ch || !ls || !json_object_is_type(ls, json_type_array))
                r = err_set(e, -EINVAL, "%s: manifest without config or layers", image);
        for (size_t i = 0; r == 0 && i < json_object_array_length(ls); i++) {
                json_object *l = json_object_array_get_idx(ls, i);
                const char *h = sha256_of(jstr(l, "digest"));
                if (!h) {
                        r = err_set(e, -EINVAL, "%s: layer %zu: bad digest", image, i + 1);
                        break;
                }
                _cleanup_free_ char *mn = xasprintf("blobs/sha256/%s", h);
                r = plan_add(p, mn, h, image, e);
        }
        if (r == 0) {
                _cleanup_free_ char *cn = xasprintf("blobs/sha256/%s", ch);
                json_object *cfg = member_json(m, cn, image, e);
                r = cfg ? take_config(p, cfg, p->n, image, e) : e->code;
                json_object_put(cfg);
        }
        json_object_put(man);
        return r;
}

static int plan_docker(strmap *m, const char *image, plan *p, err_t *e)
{
        json_object *arr = member_json(m, "manifest.json", image, e);
        if (!arr)
                return e->code;
        json_object *m0 = json_object_is_type(arr, json_type_array) && json_object_array_length(arr)
                                  ? json_object_array_get_idx(arr, 0)
                                  : NULL;
        const char *cn = jstr(m0, "Config");
        json_object *ls = jget(m0, "Layers");
        int r = 0;
        _cleanup_free_ char *cclean = cn ? member_clean(cn) : NULL;
        if (!cclean || !ls || !json_object_is_type(ls, json_type_array))
                r = err_set(e, -EINVAL, "%s: manifest.json without Config or Layers", image);
        json_object *cfg = r == 0 ? member_json(m, cclean, image, e) : NULL;
        if (r == 0 && !cfg)
                r = e->code;
        json_object *ids = jget(jget(cfg, "rootfs"), "diff_ids");
        if (r == 0 && (!ids || !json_object_is_type(ids, json_type_array) ||
                       json_object_array_length(ids) != json_object_array_length(ls)))
                r = err_set(e, -EINVAL, "%s: config: rootfs.diff_ids does not match the layers",
                            image);
        for (size_t i = 0; r == 0 && i < json_object_array_length(ls); i++) {
                const char *ln = json_object_get_string(json_object_array_get_idx(ls, i));
                _cleanup_free_ char *c = ln ? member_clean(ln) : NULL;
                const char *h =
                        sha256_of(json_object_get_string(json_object_array_get_idx(ids, i)));
                if (!c || !h) {
                        r = err_set(e, -EINVAL, "%s: layer %zu: bad name or diff_id", image, i + 1);
                        break;
                }
                /* A layer's member is its uncompressed tar, so its digest
                 * is the diff_id; a compressed member fails the check. */
                r = plan_add(p, c, h, image, e);
        }
        if (r == 0)
                r = take_config(p, cfg, p->n, image, e);
        json_object_put(cfg);
        json_object_put(arr);
        return r;
}

/* ---- unpacking layers ----------------------------------------------------- */

static int unpack_layer(store *s, const char *file, const char *hex, const char *image, err_t *e)
{
        store_scratch *sc = NULL;
        int r = store_scratch_new(s, "tmp", &sc, e);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd =
                open(sc->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (rootfd < 0 || fd < 0)
                r = err_sys(e, errno, "%s", rootfd < 0 ? sc->path : file);
        _cleanup_free_ char *label = xasprintf("%s: layer %.12s", image, hex);
        char digest[DIGEST_HEX_LEN + 1];
        if (r == 0)
                r = unpack_oci_layer_fd(fd, rootfd, label, digest, e);
        if (r == 0 && strcmp(digest, hex))
                r = err_set(e, -EINVAL, "%s: content is sha256:%s, not what the archive says",
                            label, digest);
        if (r < 0) {
                store_scratch_remove(s, sc, NULL);
                return r;
        }
        return store_layer_publish(s, sc, hex, e);
}

typedef struct extract_ctx {
        plan *p;
        bool *need;
        const char *dir;
} extract_ctx;

static int extract_needed(struct archive *a, const char *name, int64_t size, void *ud, err_t *e)
{
        extract_ctx *x = ud;
        for (size_t i = 0; i < x->p->n; i++) {
                if (!x->need[i] || strcmp(x->p->l[i].member, name))
                        continue;
                _cleanup_free_ char *f = xasprintf("%s/%s", x->dir, x->p->l[i].hex);
                _cleanup_close_ int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0)
                        return errno == EEXIST ? 0 : err_sys(e, errno, "%s", f);
                return copy_member(a, fd, e);
        }
        return 0;
}

/* sha256 through the lazily loaded libcrypto: common's digest_buf would
 * make every runroot start load it. */
static int sha256_text(const char *text, char ret[DIGEST_HEX_LEN + 1], err_t *e)
{
        lz_sha256 *c = NULL;
        int r = lz_sha256_new(&c, e);
        if (r < 0)
                return r;
        lz_sha256_update(c, text, strlen(text));
        lz_sha256_final(c, ret);
        return 0;
}

/* The bottom layer of every stack: the mount points a run needs. */
static int mountpoint_layer(store *s, char ret[DIGEST_HEX_LEN + 1], err_t *e)
{
        static const char tag[] = "runroot mount points v1: dev proc sys tmp";
        int r = sha256_text(tag, ret, e);
        if (r < 0)
                return r;
        if (store_layer_exists(s, ret))
                return 0;
        store_scratch *sc = NULL;
        r = store_scratch_new(s, "tmp", &sc, e);
        if (r < 0)
                return r;
        static const char *const mps[] = {"dev", "proc", "sys", "tmp"};
        for (size_t i = 0; i < ARRAY_SIZE(mps); i++) {
                _cleanup_free_ char *p = path_join(sc->path, mps[i]);
                if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                        r = err_sys(e, errno, "%s", p);
                        break;
                }
                if (i == 3)
                        chmod(p, 01777);
        }
        if (r < 0) {
                store_scratch_remove(s, sc, NULL);
                return r;
        }
        return store_layer_publish(s, sc, ret, e);
}

/* ---- stacks ---------------------------------------------------------------- */

static int lowers_of(store *s, json_object *layers, char **ret, err_t *e)
{
        strbuf b = {0};
        size_t n = json_object_array_length(layers);
        strv seen = {0};
        for (size_t i = n; i-- > 0;) {
                const char *h = json_object_get_string(json_object_array_get_idx(layers, i));
                if (!hex64(h) || !store_layer_exists(s, h)) {
                        sb_free(&b);
                        strv_free(&seen);
                        return -ENOENT;
                }
                /* overlay refuses a directory twice; the topmost copy wins. */
                if (strv_contains(&seen, h))
                        continue;
                strv_push(&seen, h);
                _cleanup_free_ char *p = store_layer_path(s, h);
                if (b.len)
                        sb_append(&b, ":");
                sb_append(&b, p);
        }
        strv_free(&seen);
        char *out = sb_steal(&b);
        if (strlen(out) > 3500) {
                free(out);
                return err_set(e, -E2BIG, "too many layers for one overlay mount");
        }
        *ret = out;
        return 0;
}

/* The lower list runner_image_config_get found warm, so that runner_run
 * does not open the image a second time. */
static char *memo_image, *memo_lowers;

bool oci_memo_get(const char *image, char **ret_lowers)
{
        if (!memo_image || strcmp(memo_image, image))
                return false;
        *ret_lowers = xstrdup(memo_lowers);
        return true;
}

static char *stack_path(store *s, const char *hex)
{
        return xasprintf("%s/stacks/%s.json", store_root(s), hex);
}

static json_object *stack_read(store *s, const char *hex)
{
        _cleanup_free_ char *p = stack_path(s, hex);
        _cleanup_free_ char *data = NULL;
        size_t len;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, p, MAX_JSON, &data, &len, &e) < 0)
                return NULL;
        json_object *j = json_tokener_parse(data);
        json_object *ls = jget(j, "layers");
        if (!ls || !json_object_is_type(ls, json_type_array)) {
                json_object_put(j);
                return NULL;
        }
        return j;
}

int oci_resolve_warm(store *s, const char *key, const char *digest, char **ret_lowers)
{
        json_object *j = stack_read(s, digest);
        if (!j)
                return -ENOENT;
        err_t e = {0};
        int r = lowers_of(s, jget(j, "layers"), ret_lowers, &e);
        json_object_put(j);
        return r;
}

int oci_resolve(store *s, int fd, const char *image, const char *key, char **ret_lowers, err_t *e)
{
        unsigned char magic[6] = {0};
        ssize_t n = pread(fd, magic, sizeof(magic), 0);
        if (n < 0)
                return err_sys(e, errno, "%s", image);
        /* A compressed file is a rootfs tarball: OCI and docker-save
         * archives are plain tars. */
        if (n < 6 || (magic[0] == 0x1f && magic[1] == 0x8b) ||
            !memcmp(magic, "\x28\xb5\x2f\xfd", 4) ||
            !memcmp(magic,
                    "\xfd"
                    "7zXZ",
                    5) ||
            !memcmp(magic, "BZh", 3))
                return 1;
        int r = la_load(e);
        if (r < 0)
                return r;
        strmap *m = strmap_new();
        r = each_member(fd, image, collect_small, m, e);
        plan p = {0};
        bool layered = false;
        if (r == 0 && strmap_has(m, "index.json") && strmap_has(m, "oci-layout")) {
                layered = true;
                r = plan_oci(m, image, &p, e);
        } else if (r == 0 && strmap_has(m, "manifest.json")) {
                layered = true;
                r = plan_docker(m, image, &p, e);
        }
        members_free(m);
        if (r < 0 || !layered) {
                plan_free(&p);
                if (lseek(fd, 0, SEEK_SET) < 0 && r == 0)
                        r = err_sys(e, errno, "%s", image);
                return r < 0 ? r : 1;
        }

        /* Layers not yet in the store: out of the archive, then unpacked. */
        bool need[MAX_LAYERS] = {0};
        size_t missing = 0;
        for (size_t i = 0; i < p.n; i++)
                if (!store_layer_exists(s, p.l[i].hex)) {
                        need[i] = true;
                        missing++;
                }
        if (missing) {
                store_scratch *sc = NULL;
                r = store_scratch_new(s, "tmp", &sc, e);
                if (r == 0) {
                        log_info("unpacking %zu layer%s of %s", missing, missing == 1 ? "" : "s",
                                 image);
                        extract_ctx x = {.p = &p, .need = need, .dir = sc->path};
                        r = each_member(fd, image, extract_needed, &x, e);
                }
                for (size_t i = 0; r == 0 && i < p.n; i++) {
                        if (!need[i] || store_layer_exists(s, p.l[i].hex))
                                continue;
                        _cleanup_free_ char *f = xasprintf("%s/%s", sc->path, p.l[i].hex);
                        if (access(f, F_OK) < 0)
                                r = err_set(e, -EINVAL, "%s: layer %s is not in the archive", image,
                                            p.l[i].member);
                        else
                                r = unpack_layer(s, f, p.l[i].hex, image, e);
                }
                if (sc)
                        store_scratch_remove(s, sc, NULL);
        }
        char mp[DIGEST_HEX_LEN + 1];
        if (r == 0)
                r = mountpoint_layer(s, mp, e);

        /* The stack record: layers bottom first, then the config. */
        json_object *rec = json_object_new_object();
        json_object *ls = json_object_new_array();
        json_object_array_add(ls, json_object_new_string(mp));
        for (size_t i = 0; i < p.n; i++)
                json_object_array_add(ls, json_object_new_string(p.l[i].hex));
        json_object_object_add(rec, "layers", ls);
        if (p.config)
                json_object_object_add(rec, "config", json_object_get(p.config));
        const char *txt = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
        char hex[DIGEST_HEX_LEN + 1];
        if (r == 0)
                r = sha256_text(txt, hex, e);
        if (r == 0) {
                _cleanup_free_ char *dir = xasprintf("%s/stacks", store_root(s));
                _cleanup_free_ char *sp = stack_path(s, hex);
                r = fs_mkdir_p_at(AT_FDCWD, dir, 0755, e);
                if (r == 0)
                        r = fs_write_atomic_at(AT_FDCWD, sp, txt, strlen(txt), 0644, e);
        }
        if (r == 0)
                r = store_index_put(s, key, hex, e);
        if (r == 0) {
                r = lowers_of(s, ls, ret_lowers, e);
                if (r == -ENOENT)
                        r = err_set(e, -ENOENT, "%s: a layer vanished while unpacking", image);
        }
        json_object_put(rec);
        plan_free(&p);
        return r;
}

/* ---- the image's config, for runroot's defaults ------------------------- */

static void strv_from(json_object *a, strv *ret, bool *ret_have)
{
        if (!a || !json_object_is_type(a, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *it = json_object_array_get_idx(a, i);
                if (json_object_is_type(it, json_type_string))
                        strv_push(ret, json_object_get_string(it));
        }
        if (ret_have)
                *ret_have = true;
}

void runner_image_config_free(runner_image_config *c)
{
        strv_free(&c->env);
        strv_free(&c->entrypoint);
        strv_free(&c->cmd);
        free(c->workdir);
        free(c->user);
        memset(c, 0, sizeof(*c));
}

static void config_from(json_object *cf, runner_image_config *c)
{
        if (!cf || !json_object_is_type(cf, json_type_object))
                return;
        strv_from(jget(cf, "Env"), &c->env, NULL);
        strv_from(jget(cf, "Entrypoint"), &c->entrypoint, &c->have_entrypoint);
        strv_from(jget(cf, "Cmd"), &c->cmd, &c->have_cmd);
        const char *v;
        if ((v = jstr(cf, "WorkingDir")) && *v)
                c->workdir = xstrdup(v);
        if ((v = jstr(cf, "User")) && *v)
                c->user = xstrdup(v);
}

/* Cold: the config straight from the archive, nothing written (runner_run
 * checks its options before it unpacks). Errors are left to runner_run. */
static void config_cold(int fd, const char *image, runner_image_config *c)
{
        unsigned char magic[6] = {0};
        if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) || magic[0] == 0x1f ||
            !memcmp(magic, "\x28\xb5\x2f\xfd", 4) ||
            !memcmp(magic,
                    "\xfd"
                    "7zXZ",
                    5) ||
            !memcmp(magic, "BZh", 3))
                return;
        err_t e = {0};
        if (la_load(&e) < 0)
                return;
        strmap *m = strmap_new();
        plan p = {0};
        int r = each_member(fd, image, collect_small, m, &e);
        if (r == 0 && strmap_has(m, "index.json") && strmap_has(m, "oci-layout"))
                r = plan_oci(m, image, &p, &e);
        else if (r == 0 && strmap_has(m, "manifest.json"))
                r = plan_docker(m, image, &p, &e);
        if (r == 0)
                config_from(p.config, c);
        members_free(m);
        plan_free(&p);
}

int runner_image_config_get(const char *cache_dir, const char *image, runner_image_config *ret,
                            err_t *e)
{
        runner_image_config c = {0};
        struct stat st;
        /* Directories and errors (runner_run reports them): no config. */
        if (stat(image, &st) < 0 || !S_ISREG(st.st_mode)) {
                *ret = c;
                return 0;
        }
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                *ret = c;
                return 0;
        }
        store *s = NULL;
        int r = store_open(cache_dir, &s, e);
        if (r < 0)
                return r;
        /* Warm: the index names the unpacked image; runner_run takes the
         * lower list from the memo and does not open the image again. */
        char key[STORE_KEY_MAX], hex[DIGEST_HEX_LEN + 1];
        err_t e2 = {0};
        char *lowers = NULL;
        json_object *j = NULL;
        bool warm = false;
        if (store_file_key(fd, key, &e2) == 0 && store_index_get(s, key, hex) == 0) {
                if (store_layer_exists(s, hex)) {
                        lowers = store_layer_path(s, hex);
                        warm = true;
                } else if ((j = stack_read(s, hex)) &&
                           lowers_of(s, jget(j, "layers"), &lowers, &e2) == 0) {
                        config_from(jget(j, "config"), &c);
                        warm = true;
                }
        }
        json_object_put(j);
        if (warm) {
                free(memo_image);
                free(memo_lowers);
                memo_image = xstrdup(image);
                memo_lowers = lowers;
        } else
                config_cold(fd, image, &c);
        store_free(s);
        *ret = c;
        return 0;
}
