/* runroot's extraction policy, in one place, over the one extractor
 * (extract.h): numeric owners kept as root and the caller's when rootless,
 * device nodes never made (the image's layers are not where a container's
 * devices come from: they are counted and reported with --verbose), a
 * rootfs tarball's ".wh.*" names kept as files, an OCI layer's turned into
 * overlay whiteouts. */
#include <unistd.h>

#include "extract.h"
#include "internal.h"

static int unpack(int fd, int rootfd, const char *label, xt_whiteouts wh, char *ret_digest,
                  unpack_stats *ret_stats, err_t *e)
{
        xt_opts o = {
                .label = label,
                .whiteouts = wh,
                .owners = geteuid() == 0 ? XT_OWNERS_KEEP : XT_OWNERS_CALLER,
                .devices = XT_DEVICES_SKIP,
                .require_entries = wh == XT_WHITEOUTS_KEEP,
                .writers = xt_default_writers(),
        };
        xt_stats st = {0};
        int r = xt_extract_fd(fd, rootfd, &o, ret_digest, &st, e);
        if (r < 0)
                return r;
        if (st.skipped_devices)
                log_info("%s: %lu device node(s) not unpacked: a container's devices are "
                         "runroot's /dev only",
                         label, st.skipped_devices);
        if (ret_stats)
                *ret_stats = (unpack_stats){.entries = st.entries,
                                            .skipped_devices = st.skipped_devices};
        return 0;
}

int unpack_archive_fd(int fd, int rootfd, const char *label, char *ret_digest,
                      unpack_stats *ret_stats, err_t *e)
{
        return unpack(fd, rootfd, label, XT_WHITEOUTS_KEEP, ret_digest, ret_stats, e);
}

int unpack_oci_layer_fd(int fd, int rootfd, const char *label, char *ret_digest, err_t *e)
{
        return unpack(fd, rootfd, label, XT_WHITEOUTS_OVERLAY, ret_digest, NULL, e);
}
