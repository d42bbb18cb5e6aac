/* Image -> unpacked layer in the store, once. A warm run only stats the
 * image: its cheap key (device, inode, size, times) maps to the digest of
 * the unpacked layer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "oci.h"

static int unpack_new(store *s, int fd, const char *image, const char *key, char **ret_lower,
                      err_t *e)
{
        store_scratch *sc = NULL;
        int r = store_scratch_new(s, "tmp", &sc, e);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd =
                open(sc->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0) {
                r = err_sys(e, errno, "%s", sc->path);
                store_scratch_remove(s, sc, NULL);
                return r;
        }
        log_info("unpacking %s", image);
        char digest[DIGEST_HEX_LEN + 1];
        r = unpack_archive_fd(fd, rootfd, image, digest, NULL, e);
        if (r < 0) {
                store_scratch_remove(s, sc, NULL);
                return r;
        }
        /* Made once here rather than in each run's upper layer; a full
         * disk here too publishes nothing half made. */
        r = image_make_mountpoints(rootfd, image, e);
        if (r < 0) {
                store_scratch_remove(s, sc, NULL);
                return r;
        }
        r = store_tree_publish(s, sc, STORE_KIND_ROOTFS, digest, e);
        if (r < 0)
                return r;
        r = store_index_put(s, key, STORE_ENTRY_ROOTFS, digest, e);
        if (r < 0)
                return r;
        *ret_lower = store_tree_path(s, STORE_KIND_ROOTFS, digest);
        return 0;
}

/* What the index says the image was unpacked to, held for this run: 0,
 * -ENOENT (unpack it), or an error (an untrusted cache). */
static int resolve_indexed(store *s, const char *key, char **ret_lower, err_t *e)
{
        store_entry what;
        char name[STORE_NAME_MAX];
        int r = store_index_get(s, key, &what, name, e);
        if (r < 0)
                return r;
        if (what == STORE_ENTRY_STACK)
                return oci_resolve_warm(s, key, name, ret_lower) == 0 ? 0 : -ENOENT;
        r = store_tree_hold(s, STORE_KIND_ROOTFS, name, e);
        if (r < 0)
                return r;
        *ret_lower = store_tree_path(s, STORE_KIND_ROOTFS, name);
        return 0;
}

int image_make_mountpoints(int rootfd, const char *label, err_t *e)
{
        static const char *const mps[] = {"dev", "proc", "sys", "tmp"};
        for (size_t i = 0; i < ARRAY_SIZE(mps); i++) {
                if (mkdirat(rootfd, mps[i], 0755) < 0) {
                        if (errno != EEXIST)
                                return err_sys(e, errno, "%s: /%s", label, mps[i]);
                } else if (i == 3 && fchmodat(rootfd, mps[i], 01777, 0) < 0) {
                        return err_sys(e, errno, "%s: /%s", label, mps[i]);
                }
        }
        return 0;
}

int image_resolve(store *s, const char *image, char **ret_lower, err_t *e)
{
        /* Resolved already by runner_image_config_get in this process. */
        if (oci_memo_get(image, ret_lower))
                return 0;
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", image);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", image);
        if (S_ISDIR(st.st_mode)) {
                char real[PATH_MAX];
                if (!realpath(image, real))
                        return err_sys(e, errno, "%s", image);
                *ret_lower = xstrdup(real);
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return err_set(e, -EINVAL, "%s: not a file or directory", image);

        char key[STORE_KEY_MAX];
        int r = store_file_key(fd, key, e);
        if (r < 0)
                return err_prefix(e, "%s", image);
        r = resolve_indexed(s, key, ret_lower, e);
        if (r != -ENOENT)
                return r;
        /* Cold: one process unpacks, the others wait and then find it. */
        _cleanup_free_ char *lockname = xasprintf("unpack-%s", key);
        _cleanup_close_ int lockfd = -1;
        r = store_lock(s, lockname, true, &lockfd, e);
        if (r < 0)
                return r;
        r = resolve_indexed(s, key, ret_lower, e);
        if (r != -ENOENT)
                return r;
        /* OCI and docker-save archives: a stack of layers. */
        r = oci_resolve(s, fd, image, key, ret_lower, e);
        if (r == 1)
                r = unpack_new(s, fd, image, key, ret_lower, e);
        /* The lock file has done its job. A waiter still holding it
         * rechecks the index; at worst two processes unpack the same image
         * and the second publish is discarded. */
        store_lock_remove(s, lockname);
        return r;
}
