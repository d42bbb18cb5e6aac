/* Second stage: configure the unpacked tree from inside it, as debootstrap
 * and mmdebstrap do. dpkg installs the essential set first (with
 * --force-depends: its members depend on each other in cycles), then the
 * rest; maintainer scripts run with the tree as their root, through the
 * runner's namespaces, /proc and /dev. */
#include <string.h>

#include "apt.h"
#include "runner.h"

static char *const stage2_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "DEBIAN_FRONTEND=noninteractive",
    "DEBCONF_NONINTERACTIVE_SEEN=true",
    "LC_ALL=C",
    "LANG=C",
    "LANGUAGE=C",
    "HOME=/root",
    NULL,
};

static int dpkg_install(const char *root, const strv *debs, const char *what, err_t *e)
{
        if (debs->n == 0)
                return 0;
        strv argv = {0};
        strv_push(&argv, "/usr/bin/dpkg");
        strv_push(&argv, "--force-depends");
        strv_push(&argv, "--force-unsafe-io");
        strv_push(&argv, "--force-confold");
        strv_push(&argv, "--install");
        for (size_t i = 0; i < debs->n; i++)
                strv_push(&argv, debs->v[i]);
        strv_push_take(&argv, NULL);
        int rc = runner_exec_in_tree(root, argv.v, stage2_env, false, e);
        strv_free(&argv);
        if (rc < 0)
                return err_prefix(e, "second stage (%s)", what);
        if (rc != 0)
                return err_set(e, -EIO, "second stage: dpkg --install (%s) exited with status %d",
                               what, rc);
        return 0;
}

int apt_stage2(const char *root, const strv *essential_debs, const strv *other_debs, err_t *e)
{
        int rc = dpkg_install(root, essential_debs, "essential packages", e);
        if (rc < 0)
                return rc;
        return dpkg_install(root, other_debs, "the rest", e);
}
