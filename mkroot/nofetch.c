/* `mkroot fetch SUITE` in a build without libcurl (meson -Dfetch=disabled,
 * or auto with no libcurl): meson.build builds this file in place of
 * fetch.c, so the subcommand exists, says why it cannot run, and its
 * --help is the one of a build with fetch. */
#include <string.h>

#include "mkroot.h"

int fetch_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                mkroot_fetch_help(stdout);
                return 0;
        }
        log_error("fetch: mkroot was built without fetch (-Dfetch=enabled)");
        return 1;
}
