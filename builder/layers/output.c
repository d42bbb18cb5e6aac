/* layers: a staged tree written as a one-layer image (mkroot --add
 * --format oci|docker) and an image's files listed (mkroot ls). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "layers.h"
#include "ociopen.h"

int lay_write_stage(stage *s, lay_format f, const char *output, const char *created_by,
                    const char *cache_dir, err_t *e)
{
        store *st = NULL;
        int r = store_open(cache_dir, &st, e);
        if (r < 0)
                return r;
        _cleanup_close_ int lock = -1;
        lay_image im = {0};
        r = lay_store_lock(st, false, &lock, e);
        if (r == 0)
                r = lay_image_from_stage(st, s, created_by, &im, e);
        if (r == 0)
                r = lay_write(st, &im, f, output, NULL, e);
        lay_image_free(&im);
        store_free(st);
        return r;
}

/* The owner the image gives path: what its last layer to write it
 * recorded, else root's (a parent directory no layer listed, made by
 * the extractor, is root's when root flattens the image). */
static void owner_of(void *ud, const char *path, uid_t *uid, gid_t *gid)
{
        const lay_owner *w = strmap_get(ud, path);
        *uid = w ? w->uid : 0;
        *gid = w ? w->gid : 0;
}

/* The image's layers applied in scratch/root and packed, uncompressed,
 * as scratch/flat.tar, with the owners the layers record: without root
 * every file of the tree is the caller's. */
static int flatten_to_tar(store *st, const char *path, store_scratch *sc, char **ret_tar, err_t *e)
{
        lay_src src = {0};
        int r = lay_src_open(st, path, true, &src, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = path_join(sc->path, "root");
        if (mkdir(root, 0755) < 0)
                r = err_sys(e, errno, "%s", root);
        _cleanup_close_ int rootfd = -1;
        if (r == 0 && (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                r = err_sys(e, errno, "%s", root);
        strmap *owners = strmap_new_with_free(free);
        if (r == 0) {
                strmap *fx = strmap_new();
                lay_apply_opts ao = {.whiteouts = true, .owners = owners};
                for (size_t i = 0; i < src.layer_files.n && r == 0; i++)
                        r = lay_apply(rootfd, src.layer_files.v[i], &ao, fx, e);
                lay_fixups_apply(rootfd, fx);
                strmap_free(fx);
        }
        lay_src_close(st, &src);
        _cleanup_free_ char *tar = path_join(sc->path, "flat.tar");
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = IMAGE_COMPRESS_NONE};
        stage *s = stage_new();
        if (r == 0)
                r = build_stage_tree(s, "/", root, e);
        if (r == 0) {
                stage_set_owners(s, owner_of, owners);
                r = image_write(s, tar, &io, e);
        }
        stage_free(s);
        strmap_free(owners);
        if (r == 0)
                *ret_tar = steal_pointer(&tar);
        return r;
}

int lay_list(const char *path, const char *cache_dir, FILE *out, err_t *e)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat sb;
        /* Anything but a regular file: image_list says what it is. */
        if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
                return image_list(path, out, e);
        _cleanup_oci_archive_ oci_archive *ar = NULL;
        int r = oci_archive_open_file(fd, path, &oci_sha256_common, &ar, e);
        if (r == 1)
                return image_list(path, out, e);
        if (r < 0)
                return r;
        store *st = NULL;
        r = store_open(cache_dir, &st, e);
        if (r < 0)
                return r;
        _cleanup_close_ int lock = -1;
        store_scratch *sc = NULL;
        r = lay_store_lock(st, false, &lock, e);
        if (r == 0)
                r = store_scratch_new(st, "tmp", &sc, e);
        _cleanup_free_ char *tar = NULL;
        if (r == 0)
                r = flatten_to_tar(st, path, sc, &tar, e);
        /* Listed from an open descriptor once the scratch tree is gone, so
         * that a reader that stops early (| head) leaves nothing behind. */
        _cleanup_close_ int tfd = -1;
        if (r == 0 && (tfd = open(tar, O_RDONLY | O_CLOEXEC)) < 0)
                r = err_sys(e, errno, "%s", tar);
        if (sc)
                store_scratch_remove(st, sc, NULL);
        store_free(st);
        _cleanup_free_ char *fdpath = r == 0 ? xasprintf("/proc/self/fd/%d", tfd) : NULL;
        if (r == 0)
                r = image_list(fdpath, out, e);
        return r;
}
