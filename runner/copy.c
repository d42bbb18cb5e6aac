/* A private copy of a layer, for kernels that refuse overlay inside a user
 * namespace: libarchive reads the tree from disk (no following of
 * symlinks, no crossing of mounts) and the one extractor writes it at dst
 * (owners where the namespace maps them, modes, times, xattrs), so the
 * copy obeys the same rules and checks every write like an unpack. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "internal.h"
#include "lazylib.h"

/* Entries come back as SRC/...: named relative to SRC. */
static int strip_src(void *ud, const char *name, char **ret)
{
        const char *src = ud; /* cleaned, no leading slash */
        size_t n = strlen(src);
        if (strncmp(name, src, n) || (name[n] && name[n] != '/'))
                return 1; /* not below src: nothing of the layer */
        *ret = xstrdup(name[n] ? name + n + 1 : ".");
        return 0;
}

int mounts_copy_tree(const char *src, const char *dst, err_t *e)
{
        int r = la_load(e);
        if (r < 0)
                return r;
        _cleanup_close_ int dstfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dstfd < 0)
                return err_sys(e, errno, "copy to %s", dst);
        _cleanup_free_ char *label = xasprintf("copy of %s", src);
        _cleanup_free_ char *clean = NULL;
        r = xt_name_clean(label, "source", src, &clean, e);
        if (r < 0)
                return r;
        struct archive *in = archive_read_disk_new();
        archive_read_disk_set_symlink_physical(in);
        archive_read_disk_set_behavior(in, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
        if (archive_read_disk_open(in, src) != ARCHIVE_OK) {
                r = err_set(e, -EIO, "copy %s: %s", src, archive_error_string(in));
                archive_read_free(in);
                return r;
        }
        xt_opts o = {
                .label = label,
                .owners = XT_OWNERS_TRY,
                .devices = XT_DEVICES_CREATE,
                .read_disk = true,
                .rewrite = strip_src,
                .rewrite_ud = clean,
        };
        r = xt_extract_archive(in, dstfd, &o, NULL, e);
        archive_read_free(in);
        return r;
}
