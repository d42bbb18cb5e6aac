/* layers: the output formats' names and a staged tree written as a
 * one-layer image (mkroot --add --format oci|docker). */
#include <string.h>

#include "layers.h"

int lay_format_parse(const char *s, lay_format *ret)
{
        if (!strcmp(s, "rootfs") || !strcmp(s, "tar"))
                *ret = LAY_FORMAT_ROOTFS;
        else if (!strcmp(s, "oci"))
                *ret = LAY_FORMAT_OCI;
        else if (!strcmp(s, "docker"))
                *ret = LAY_FORMAT_DOCKER;
        else
                return -EINVAL;
        return 0;
}

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
