/* What an image is written as, from --format and -o's name: one rule for
 * mkroot --add and mkroot build. */
#include <string.h>

#include "mkroot.h"

int mkroot_format_arg(const char *cmd, const char *arg, mkroot_format *ret)
{
        static const struct {
                const char *name;
                mkroot_format format;
        } names[] = {
                {"tar", MKROOT_FORMAT_ROOTFS},
                {"rootfs", MKROOT_FORMAT_ROOTFS},
                {"initramfs", MKROOT_FORMAT_INITRAMFS},
                {"cpio", MKROOT_FORMAT_INITRAMFS},
                {"oci", MKROOT_FORMAT_OCI},
                {"docker", MKROOT_FORMAT_DOCKER},
        };
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (!strcmp(arg, names[i].name)) {
                        *ret = names[i].format;
                        return MKROOT_CONTINUE;
                }
        return mkroot_usage(
                cmd, "--format: unknown format '%s' (tar, rootfs, initramfs, oci, docker)", arg);
}

image_format mkroot_image_format(mkroot_format f)
{
        return f == MKROOT_FORMAT_INITRAMFS ? IMAGE_FORMAT_CPIO : IMAGE_FORMAT_TAR;
}

lay_format mkroot_lay_format(mkroot_format f)
{
        return f == MKROOT_FORMAT_OCI      ? LAY_FORMAT_OCI
               : f == MKROOT_FORMAT_DOCKER ? LAY_FORMAT_DOCKER
                                           : LAY_FORMAT_ROOTFS;
}

const char *mkroot_default_output(mkroot_format f)
{
        return f == MKROOT_FORMAT_INITRAMFS ? "initrd.gz"
               : f == MKROOT_FORMAT_OCI     ? "image.oci.tar"
               : f == MKROOT_FORMAT_DOCKER  ? "image.docker.tar"
                                            : "image.tar.gz";
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && !strcmp(s + n - k, suffix);
}

int mkroot_output_name(const char *output, bool format_set, image_compress compress,
                       mkroot_format *format)
{
        if (!output || (format_set && mkroot_lay_format(*format) != LAY_FORMAT_ROOTFS))
                return MKROOT_CONTINUE;
        if (!format_set && ends_with(output, ".oci.tar")) {
                *format = MKROOT_FORMAT_OCI;
                return MKROOT_CONTINUE;
        }
        if (!format_set && ends_with(output, ".docker.tar")) {
                *format = MKROOT_FORMAT_DOCKER;
                return MKROOT_CONTINUE;
        }
        err_t e = {0};
        image_compress c;
        bool cpio = false;
        if (image_name_parse(output, &c, &cpio, &e) < 0 && compress == IMAGE_COMPRESS_AUTO) {
                log_error("%s", e.msg);
                return EXIT_USAGE;
        }
        if (!format_set)
                *format = cpio ? MKROOT_FORMAT_INITRAMFS : MKROOT_FORMAT_ROOTFS;
        return MKROOT_CONTINUE;
}
