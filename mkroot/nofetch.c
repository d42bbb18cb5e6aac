/* `mkroot fetch SUITE` in a build without libcurl (meson -Dfetch=disabled,
 * or auto with no libcurl): meson.build builds this file in place of
 * fetch.c, so the subcommand exists and says why it cannot run. */
#include "mkroot.h"

int fetch_main(int argc, char **argv)
{
        log_error("fetch: mkroot was built without fetch (-Dfetch=enabled)");
        return 1;
}
