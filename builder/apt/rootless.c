/* mkroot fetch without root, as mmdebstrap's unshare mode: the whole
 * fetch runs as root of a user namespace of its own (the runner's: 0 is
 * the user, 1..N the user's subordinate ids), so the unpack gives files
 * their owners, the second stage runs as root of the tree, and the pack
 * reads the ids as the namespace shows them (root's files are 0 in the
 * archive). */
#include <unistd.h>

#include "apt.h"
#include "cache.h"
#include "runner.h"

int apt_bootstrap_enter_userns(const apt_bootstrap_opts *o, store **ret_store, err_t *e)
{
        if (geteuid() == 0 || o->print_debs)
                return 0;
        /* The user's cache, opened and checked before this process is
         * root anywhere: in the namespace the directories above it that
         * the host's root owns show the overflow uid, as any other user's
         * do (and store_default_dir would name root's cache). */
        store *st = NULL;
        int rc = store_open(o->cache_dir, &st, e);
        if (rc < 0)
                return rc;
        unsigned uid = (unsigned)getuid();
        rc = runner_userns_enter(RUNNER_USERNS_IDS, e);
        if (rc < 0) {
                store_free(st);
                return err_prefix(e, "fetch without root");
        }
        log_debug("fetch without root: root of a user namespace mapping uid %u and the "
                  "subordinate ids of /etc/subuid and /etc/subgid",
                  uid);
        *ret_store = st;
        return 1;
}
