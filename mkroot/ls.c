/* mkroot ls IMAGE: an image's entries like tar -tvf (builder/image.h); an
 * OCI or docker archive's as the files of its flattened layers. */
#include <string.h>

#include "image.h"
#include "layers.h"
#include "mkroot.h"

int mkroot_ls_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                puts("Usage: mkroot ls IMAGE\n"
                     "List an image's entries like tar -tvf (an OCI or docker archive:\n"
                     "the files of its layers, flattened).");
                return 0;
        }
        if (argc != 2)
                /* Said as mkroot's own usage error, as it always was. */
                return mkroot_usage(NULL, "%s", "ls: give exactly one IMAGE");
        err_t e = {0};
        if (lay_list(argv[1], NULL, stdout, &e) < 0) {
                fflush(stdout);
                log_error("%s", e.msg);
                return 1;
        }
        return 0;
}
