/* OCI image layout archives and docker-save archives as overlay stacks.
 * Each layer is unpacked once (by the same secure unpacker as rootfs
 * images) into the store's OCI trees (layers/oci/sha256/DIGEST, never a
 * rootfs tree of the same file), DIGEST being the sha256 of the layer
 * as stored in the archive and checked against what the archive's JSON
 * claims; images sharing a base share its directories. OCI whiteouts
 * become overlay whiteouts (".wh.NAME" -> a 0/0 character device NAME,
 * ".wh..wh..opq" -> the opaque xattr on its directory). The stack and the
 * image config are recorded in the stack record stacks/DIGEST, which the index entry
 * of the image file names, so a warm start reads no archive. */
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
#include "oci.h"
#include "ociarchive.h"
#include "ociopen.h"

#define MAX_JSON ((size_t)4 << 20)
#define MAX_LAYERS 64

/* ---- the archive, through oci/ (every value checked there) --------------- */

/* 0 and *ret for an OCI or docker-save archive, 1 for any other file (fd
 * rewound for the caller), else -errno. */
static int archive_open(int fd, const char *image, oci_archive **ret, err_t *e)
{
        int r = oci_archive_open_file(fd, image, &oci_sha256_lazy, ret, e);
        if (r == 0 && oci_archive_image(*ret)->n_layers > MAX_LAYERS) {
                oci_archive_free(*ret);
                return err_set(e, -E2BIG, "%s: more than %d layers", image, MAX_LAYERS);
        }
        return r;
}

static json_object *jget(json_object *o, const char *k)
{
        json_object *v = NULL;
        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
                return NULL;
        return v;
}

static bool hex64(const char *s)
{
        return s && strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
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
        return store_tree_publish(s, sc, STORE_KIND_OCI, hex, e);
}

/* Layer i out of the archive into dir/DIGEST (its digest checked on the
 * way); 0 also when an earlier entry of the same layer put it there. */
static int copy_layer(oci_archive *ar, size_t i, const char *dir, err_t *e)
{
        const oci_layer *l = &oci_archive_image(ar)->layers[i];
        _cleanup_free_ char *f = xasprintf("%s/%s", dir, l->digest);
        _cleanup_close_ int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return errno == EEXIST ? 0 : err_sys(e, errno, "%s", f);
        int r = oci_archive_copy_layer(ar, i, fd, e);
        if (r < 0)
                unlink(f);
        return r;
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
        r = store_tree_hold(s, STORE_KIND_OCI, ret, e);
        if (r != -ENOENT)
                return r;
        store_scratch *sc = NULL;
        r = store_scratch_new(s, "tmp", &sc, e);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = open(sc->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = dfd < 0 ? err_sys(e, errno, "%s", sc->path) : image_make_mountpoints(dfd, sc->path, e);
        if (r < 0) {
                store_scratch_remove(s, sc, NULL);
                return r;
        }
        return store_tree_publish(s, sc, STORE_KIND_OCI, ret, e);
}

/* ---- stacks ---------------------------------------------------------------- */

static int lowers_of(store *s, json_object *layers, char **ret, err_t *e)
{
        strbuf b = {0};
        size_t n = json_object_array_length(layers);
        strv seen = {0};
        for (size_t i = n; i-- > 0;) {
                const char *h = json_object_get_string(json_object_array_get_idx(layers, i));
                /* Held until runroot exits: gc leaves it alone. */
                int r = hex64(h) ? store_tree_hold(s, STORE_KIND_OCI, h, e) : -ENOENT;
                if (r < 0) {
                        sb_free(&b);
                        strv_free(&seen);
                        return r;
                }
                /* overlay refuses a directory twice; the topmost copy wins. */
                if (strv_contains(&seen, h))
                        continue;
                strv_push(&seen, h);
                _cleanup_free_ char *p = store_tree_path(s, STORE_KIND_OCI, h);
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
static char *memo_image, *memo_lowers, *memo_cache_dir;
static store *memo_store;
static pid_t memo_pid;
static dev_t memo_dev;
static ino_t memo_ino;

bool oci_memo_get(const char *image, char **ret_lowers)
{
        if (!memo_image || strcmp(memo_image, image))
                return false;
        *ret_lowers = xstrdup(memo_lowers);
        return true;
}

store *oci_memo_store(const char *cache_dir)
{
        if (!memo_store || (cache_dir ? !memo_cache_dir || strcmp(cache_dir, memo_cache_dir)
                                      : memo_cache_dir != NULL))
                return NULL;
        /* Not in a child that closed the store's descriptor (runroot -d's
         * monitor closes every one): the same process, the same directory. */
        struct stat st;
        if (getpid() != memo_pid || fstat(store_dirfd(memo_store), &st) < 0 ||
            st.st_dev != memo_dev || st.st_ino != memo_ino)
                return NULL;
        return memo_store;
}

/* The stack record (the store's: its layers, and the config as payload)
 * as {"layers": [...], "config": {...}}. */
static json_object *stack_read(store *s, const char *hex)
{
        _cleanup_strv_ strv refs = {0};
        _cleanup_free_ char *payload = NULL;
        if (store_record_get(s, STORE_RECORD_STACK, hex, true, &refs, &payload, NULL) < 0 ||
            strlen(payload) > MAX_JSON)
                return NULL;
        json_object *j = json_object_new_object();
        json_object *ls = json_object_new_array();
        for (size_t i = 0; i < refs.n; i++)
                json_object_array_add(ls, json_object_new_string(refs.v[i]));
        json_object_object_add(j, "layers", ls);
        json_object *cf = *payload ? json_tokener_parse(payload) : NULL;
        if (cf)
                json_object_object_add(j, "config", cf);
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

/* Hold every layer of the image; unpack the ones the store does not have
 * yet (out of the archive into a scratch dir, then through the unpacker). */
/* The layer from mkroot's blob of the same digest when the store has one
 * (runroot of a build's output): one copy of the compressed layer serves
 * both programs, and none is made out of the archive. A blob that does
 * not unpack to its digest leaves the work to the archive's copy. */
static bool unpack_from_blob(store *s, const char *hex, const char *image)
{
        _cleanup_free_ char *blob = store_blob_path(s, hex);
        struct stat st;
        if (lstat(blob, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        err_t e = {0};
        if (unpack_layer(s, blob, hex, image, &e) < 0) {
                log_debug("%s: %s", blob, e.msg);
                return false;
        }
        log_debug("layer %.12s unpacked from the cache's blob", hex);
        return true;
}

static int unpack_missing(store *s, oci_archive *ar, const char *image, err_t *e)
{
        const oci_image *im = oci_archive_image(ar);
        size_t missing = 0;
        for (size_t i = 0; i < im->n_layers; i++) {
                /* Held from here: a gc cannot take it before the run. */
                int r = store_tree_hold(s, STORE_KIND_OCI, im->layers[i].digest, e);
                if (r == -ENOENT)
                        missing++;
                else if (r < 0)
                        return r;
        }
        if (!missing)
                return 0;
        store_scratch *sc = NULL;
        int r = store_scratch_new(s, "tmp", &sc, e);
        if (r == 0)
                log_info("unpacking %zu layer%s of %s", missing, missing == 1 ? "" : "s", image);
        for (size_t i = 0; r == 0 && i < im->n_layers; i++) {
                const char *hex = im->layers[i].digest;
                if (store_tree_hold(s, STORE_KIND_OCI, hex, e) == 0 ||
                    unpack_from_blob(s, hex, image))
                        continue;
                r = copy_layer(ar, i, sc->path, e);
                _cleanup_free_ char *f = xasprintf("%s/%s", sc->path, hex);
                if (r == 0)
                        r = unpack_layer(s, f, hex, image, e);
        }
        if (sc)
                store_scratch_remove(s, sc, NULL);
        return r;
}

/* The stack record: layers bottom first (the mount-point layer mp, then the
 * image's), then the config (as checked, not as the archive spelled it);
 * recorded under its digest, the index entry key naming it. */
static int stack_put(store *s, const oci_image *im, const char *mp, const char *key,
                     const char *image, char **ret_lowers, err_t *e)
{
        json_object *rec = json_object_new_object();
        json_object *ls = json_object_new_array();
        json_object_array_add(ls, json_object_new_string(mp));
        for (size_t i = 0; i < im->n_layers; i++)
                json_object_array_add(ls, json_object_new_string(im->layers[i].digest));
        json_object_object_add(rec, "layers", ls);
        json_object_object_add(rec, "config", oci_config_to_json(&im->config));
        const char *txt = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
        char hex[DIGEST_HEX_LEN + 1];
        int r = sha256_text(txt, hex, e);
        if (r == 0) {
                _cleanup_strv_ strv refs = {0};
                for (size_t i = 0; i < json_object_array_length(ls); i++)
                        strv_push(&refs, json_object_get_string(json_object_array_get_idx(ls, i)));
                json_object *cf = jget(rec, "config");
                r = store_record_put(
                        s, STORE_RECORD_STACK, hex, &refs,
                        cf ? json_object_to_json_string_ext(cf, JSON_C_TO_STRING_PLAIN) : "", e);
        }
        if (r == 0)
                r = store_index_put(s, key, STORE_ENTRY_STACK, hex, e);
        if (r == 0) {
                r = lowers_of(s, ls, ret_lowers, e);
                if (r == -ENOENT)
                        r = err_set(e, -ENOENT, "%s: a layer vanished while unpacking", image);
        }
        json_object_put(rec);
        return r;
}

int oci_resolve(store *s, int fd, const char *image, const char *key, char **ret_lowers, err_t *e)
{
        _cleanup_oci_archive_ oci_archive *ar = NULL;
        int r = archive_open(fd, image, &ar, e);
        if (r != 0)
                return r;
        r = unpack_missing(s, ar, image, e);
        if (r < 0)
                return r;
        char mp[DIGEST_HEX_LEN + 1];
        r = mountpoint_layer(s, mp, e);
        if (r < 0)
                return r;
        return stack_put(s, oci_archive_image(ar), mp, key, image, ret_lowers, e);
}

/* ---- the image's config, for runroot's defaults ------------------------- */

void runner_image_config_free(runner_image_config *c)
{
        strv_free(&c->env);
        strv_free(&c->entrypoint);
        strv_free(&c->cmd);
        free(c->workdir);
        free(c->user);
        memset(c, 0, sizeof(*c));
}

static void strv_copy(const strv *from, strv *to)
{
        for (size_t i = 0; i < from->n; i++)
                strv_push(to, from->v[i]);
}

static void config_take(const oci_config *o, runner_image_config *c)
{
        strv_copy(&o->env, &c->env);
        strv_copy(&o->entrypoint, &c->entrypoint);
        strv_copy(&o->cmd, &c->cmd);
        c->have_entrypoint = o->have_entrypoint;
        c->have_cmd = o->have_cmd;
        c->workdir = o->workdir ? xstrdup(o->workdir) : NULL;
        c->user = o->user ? xstrdup(o->user) : NULL;
}

/* A stack record's config (written by oci_resolve, read back as untrusted
 * as any cache file). */
static int config_from(json_object *cf, runner_image_config *c)
{
        oci_config o = {0};
        err_t e = {0};
        int r = oci_config_from_json(cf, "stack record", &o, &e);
        if (r == 0)
                config_take(&o, c);
        oci_config_free(&o);
        return r;
}

/* Cold: the config straight from the archive, nothing written (runner_run
 * checks its options before it unpacks). Errors are left to runner_run. */
static void config_cold(int fd, const char *image, runner_image_config *c)
{
        _cleanup_oci_archive_ oci_archive *ar = NULL;
        err_t e = {0};
        if (archive_open(fd, image, &ar, &e) == 0)
                config_take(&oci_archive_image(ar)->config, c);
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
        char key[STORE_KEY_MAX], hex[STORE_NAME_MAX];
        store_entry what;
        err_t e2 = {0};
        char *lowers = NULL;
        json_object *j = NULL;
        bool warm = false;
        if (store_file_key(fd, key, &e2) == 0 && store_index_get(s, key, &what, hex, &e2) == 0) {
                if (what == STORE_ENTRY_ROOTFS) {
                        if (store_tree_hold(s, STORE_KIND_ROOTFS, hex, &e2) == 0) {
                                lowers = store_tree_path(s, STORE_KIND_ROOTFS, hex);
                                warm = true;
                        }
                } else if ((j = stack_read(s, hex)) &&
                           lowers_of(s, jget(j, "layers"), &lowers, &e2) == 0) {
                        warm = config_from(jget(j, "config"), &c) == 0;
                        if (!warm) {
                                free(lowers);
                                lowers = NULL;
                        }
                }
        }
        json_object_put(j);
        if (warm) {
                free(memo_image);
                free(memo_lowers);
                free(memo_cache_dir);
                memo_image = xstrdup(image);
                memo_lowers = lowers;
                memo_cache_dir = cache_dir ? xstrdup(cache_dir) : NULL;
                struct stat mst = {0};
                memo_pid = fstat(store_dirfd(s), &mst) == 0 ? getpid() : 0;
                memo_dev = mst.st_dev;
                memo_ino = mst.st_ino;
                /* It holds the trees for runner_run, until exit. */
                store_free(memo_store);
                memo_store = s;
        } else {
                config_cold(fd, image, &c);
                store_free(s);
        }
        *ret = c;
        return 0;
}
