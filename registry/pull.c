/* registry: an image pulled into the cache by digest. The digest is the
 * sha256 of the manifest the registry gives for the reference (skopeo
 * inspect --raw), or the one the reference names; skopeo copies
 * NAME@sha256:HEX into an OCI archive in a scratch directory of the cache
 * (so a tag moved meanwhile changes nothing), which is checked here
 * against that manifest and every blob's sha256 before it is published as
 * pulled/HEX.tar by rename: a failure leaves nothing in pulled/. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ociarchive.h"
#include "ociopen.h"

static char *pulled_key(const char *hex)
{
        return xasprintf("%s.tar", hex);
}

/* 0 and the path when pulled/HEX.tar is there (marked used), 1 when not. */
static int pulled_find(store *s, const char *hex, char **ret_path, err_t *e)
{
        _cleanup_free_ char *key = pulled_key(hex);
        _cleanup_close_ int fd = -1;
        err_t e2 = {0};
        int r = store_area_open(s, STORE_AREA_PULLED, key, O_RDONLY, 0, &fd, &e2);
        if (r == -ENOENT)
                return 1;
        if (r < 0) {
                *e = e2;
                return r;
        }
        r = store_area_path(s, STORE_AREA_PULLED, key, ret_path, e);
        if (r == 0)
                store_area_mark_used(s, STORE_AREA_PULLED, key);
        return r;
}

static const char *json_str(json_object *o, const char *key)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static const char *descriptor_hex(json_object *d)
{
        const char *dg =
                d && json_object_is_type(d, json_type_object) ? json_str(d, "digest") : NULL;
        return dg ? oci_digest_hex(dg) : NULL;
}

/* The registry's manifest: one JSON object and nothing after it but
 * blanks (its digest covers every byte, so a NUL or a second value inside
 * would be bytes the check below never saw). NULL when it is not. */
static json_object *manifest_parse(const char *raw, size_t len)
{
        if (len > OCI_MAX_JSON || len > INT_MAX)
                return NULL;
        json_tokener *tok = json_tokener_new();
        if (!tok)
                return NULL;
        json_object *m = json_tokener_parse_ex(tok, raw, (int)len);
        size_t end = m && json_tokener_get_error(tok) == json_tokener_success
                             ? json_tokener_get_parse_end(tok)
                             : 0;
        json_tokener_free(tok);
        while (m && end < len && raw[end] && strchr(" \t\r\n", raw[end]))
                end++;
        if (m && (end != len || !json_object_is_type(m, json_type_object))) {
                json_object_put(m);
                m = NULL;
        }
        return m;
}

int registry_match_manifest(const oci_image *im, const char *raw, size_t len, const char *what,
                            err_t *e)
{
        json_object *m = manifest_parse(raw, len);
        if (!m)
                return err_set(e, -EBADMSG, "%s: the registry's manifest is not a JSON object",
                               what);
        json_object *layers = NULL, *config = NULL;
        int r = 0;
        if (json_object_object_get_ex(m, "manifests", NULL)) {
                r = 0;
        } else if (!json_object_object_get_ex(m, "config", &config) ||
                   !json_object_object_get_ex(m, "layers", &layers) ||
                   !json_object_is_type(layers, json_type_array)) {
                r = err_set(e, -EBADMSG, "%s: the registry's manifest has no config and layers",
                            what);
        } else {
                const char *ch = descriptor_hex(config);
                if (!ch || strcmp(ch, im->config_digest) != 0)
                        r = err_set(e, -EBADMSG,
                                    "%s: the pulled image's config is not the manifest's", what);
                size_t n = json_object_array_length(layers);
                if (r == 0 && n != im->n_layers)
                        r = err_set(e, -EBADMSG,
                                    "%s: the pulled image has %zu layers, the manifest %zu", what,
                                    im->n_layers, n);
                for (size_t i = 0; r == 0 && i < n; i++) {
                        const char *lh = descriptor_hex(json_object_array_get_idx(layers, i));
                        if (!lh || strcmp(lh, im->layers[i].digest) != 0)
                                r = err_set(e, -EBADMSG,
                                            "%s: the pulled image's layer %zu is not the "
                                            "manifest's",
                                            what, i + 1);
                }
        }
        json_object_put(m);
        return r;
}

/* What skopeo wrote: an OCI archive whose JSON blobs and layers hash to
 * their digests, as the manifest says. */
static int check_archive(const char *path, const char *raw, size_t len, const char *what, err_t *e)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s: what skopeo wrote", what);
        _cleanup_oci_archive_ oci_archive *a = NULL;
        int r = oci_archive_open(fd, what, &oci_sha256_lazy, &a, e);
        if (r == 1)
                return err_set(e, -EBADMSG, "%s: skopeo wrote no OCI archive", what);
        if (r < 0)
                return r;
        const oci_image *im = oci_archive_image(a);
        r = registry_match_manifest(im, raw, len, what, e);
        for (size_t i = 0; r == 0 && i < im->n_layers; i++)
                r = oci_archive_copy_layer(a, i, -1, e);
        return r;
}

static int inspect_raw(const char *name, const char *tag, const registry_ref *ref,
                       const registry_opts *o, const char *what, char **ret_raw, size_t *ret_len,
                       err_t *e)
{
        _cleanup_strv_ strv args = {0};
        strv_push(&args, "inspect");
        strv_push(&args, "--raw");
        skopeo_opts_push(&args, o, "");
        if (ref->digest[0])
                strv_push_take(&args, xasprintf("docker://%s@sha256:%s", name, ref->digest));
        else
                strv_push_take(&args, xasprintf("docker://%s:%s", name, tag));
        return skopeo_run(&args, NULL, what, ret_raw, ret_len, e);
}

/* skopeo copy NAME@sha256:HEX into a scratch dir, checked, published. */
static int pull_into(store *s, const char *name, const char *hex, const char *raw, size_t len,
                     const registry_opts *o, const char *what, err_t *e)
{
        _cleanup_close_ int lock = -1;
        _cleanup_free_ char *lock_name = xasprintf("pull-%s", hex);
        int r = store_lock(s, lock_name, true, &lock, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *done = NULL;
        r = pulled_find(s, hex, &done, e);
        if (r <= 0)
                return r; /* another pull published it meanwhile */
        store_scratch *sc = NULL;
        r = store_scratch_new(s, "tmp", &sc, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *tar = path_join(sc->path, "image.tar");
        _cleanup_strv_ strv args = {0};
        strv_push(&args, "copy");
        strv_push(&args, "--quiet");
        skopeo_opts_push(&args, o, "src-");
        strv_push_take(&args, xasprintf("docker://%s@sha256:%s", name, hex));
        strv_push_take(&args, xasprintf("oci-archive:%s", tar));
        r = skopeo_run(&args, sc->path, what, NULL, NULL, e);
        if (r == 0)
                r = check_archive(tar, raw, len, what, e);
        _cleanup_free_ char *key = pulled_key(hex), *dst = NULL;
        if (r == 0)
                r = store_area_path(s, STORE_AREA_PULLED, key, &dst, e);
        if (r == 0 && (chmod(tar, 0644) < 0 || rename(tar, dst) < 0))
                r = err_sys(e, errno, "%s: publishing %s", what, dst);
        store_scratch_remove(s, sc, NULL);
        store_lock_remove(s, lock_name);
        return r;
}

int registry_pull(const char *cache_dir, const char *arg, const registry_opts *o, char **ret_path,
                  char ret_digest[DIGEST_HEX_LEN + 1], err_t *e)
{
        registry_ref ref;
        int r = registry_ref_parse(arg, &ref, e);
        if (r < 0)
                return r;
        store *s = NULL;
        r = store_open(cache_dir, &s, e);
        _cleanup_free_ char *path = NULL, *raw = NULL;
        char hex[DIGEST_HEX_LEN + 1] = "";
        if (r == 0 && ref.digest[0]) {
                memcpy(hex, ref.digest, sizeof(hex));
                r = pulled_find(s, hex, &path, e);
        } else if (r == 0) {
                r = 1;
        }
        if (r == 1) {
                size_t len = 0;
                r = inspect_raw(ref.name, ref.tag ? ref.tag : "latest", &ref, o, arg, &raw, &len,
                                e);
                char got[DIGEST_HEX_LEN + 1];
                if (r == 0)
                        r = oci_sha256_lazy_buf(raw, len, got, e);
                if (r == 0 && hex[0] && strcmp(got, hex) != 0)
                        r = err_set(e, -EBADMSG, "%s: the registry's manifest is sha256:%s", arg,
                                    got);
                if (r == 0) {
                        memcpy(hex, got, sizeof(hex));
                        r = pulled_find(s, hex, &path, e);
                }
                if (r == 1) {
                        log_info("%s: pulling sha256:%s", arg, hex);
                        r = pull_into(s, ref.name, hex, raw, len, o, arg, e);
                        if (r == 0)
                                r = pulled_find(s, hex, &path, e);
                        if (r == 1)
                                r = err_set(e, -ENOENT, "%s: pulled, then gone", arg);
                }
        }
        store_free(s);
        registry_ref_free(&ref);
        if (r < 0)
                return r;
        memcpy(ret_digest, hex, sizeof(hex));
        *ret_path = steal_pointer(&path);
        return 0;
}
