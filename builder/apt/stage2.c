/* Second stage: configure the unpacked tree from inside it, as debootstrap
 * and mmdebstrap do. dpkg installs the essential set first (with
 * --force-depends: its members depend on each other in cycles), then the
 * rest; maintainer scripts run with the tree as their root, through the
 * runner's namespaces, /proc and /dev. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "apt.h"
#include "runner.h"

/* A clean environment; SOURCE_DATE_EPOCH passes through, as shadow's
 * tools and others use it for reproducible output. */
static void stage2_env(strv *env)
{
        static const char *const base[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
                "DEBCONF_NONINTERACTIVE_SEEN=true",
                "LC_ALL=C",
                "LANG=C",
                "LANGUAGE=C",
                "HOME=/root",
        };
        for (size_t i = 0; i < ARRAY_SIZE(base); i++)
                strv_push(env, base[i]);
        int64_t epoch;
        if (source_date_epoch(&epoch) == 1)
                strv_push_take(env, xasprintf("SOURCE_DATE_EPOCH=%lld", (long long)epoch));
}

#define STAGE2_LOG "var/log/bootstrap.log"

/* dpkg's own explanation from the tree's log, on one line: its last
 * "dpkg: error ..." line and the one after it (or the last two lines). */
static char *log_tail(const char *root)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e = {0};
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || fs_read_file_in_root(rootfd, STAGE2_LOG, 16 << 20, &data, &len, &e) < 0 ||
            len == 0)
                return xstrdup("");
        strv lines = {0};
        char *save = NULL;
        for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                while (*l == ' ')
                        l++;
                if (*l)
                        strv_push(&lines, l);
        }
        size_t from = lines.n >= 2 ? lines.n - 2 : 0;
        for (size_t i = lines.n; i-- > 0;)
                if (!strncmp(lines.v[i], "dpkg: error", 11)) {
                        from = i;
                        break;
                }
        strbuf b = {0};
        for (size_t i = from; i < lines.n && i < from + 2; i++) {
                char sn[200];
                sb_appendf(&b, "%s%s", b.len ? " " : " (",
                           apt_snip(lines.v[i], 160, sn, sizeof(sn)));
        }
        if (b.len)
                sb_append(&b, ")");
        strv_free(&lines);
        return sb_steal(&b);
}

static int dpkg_install(const char *root, const strv *debs, const char *what, err_t *e)
{
        if (debs->n == 0)
                return 0;
        strv argv = {0};
        /* dpkg's chatter goes to the tree's log unless -v asked for it;
         * finish_tree removes the log. */
        if (log_get_level() < LOG_DEBUG) {
                strv_push(&argv, "/bin/sh");
                strv_push(&argv, "-c");
                strv_push(&argv, "exec \"$@\" >>/" STAGE2_LOG " 2>&1");
                strv_push(&argv, "sh");
        }
        strv_push(&argv, "/usr/bin/dpkg");
        strv_push(&argv, "--force-depends");
        strv_push(&argv, "--force-unsafe-io");
        strv_push(&argv, "--force-confold");
        strv_push(&argv, "--install");
        for (size_t i = 0; i < debs->n; i++)
                strv_push(&argv, debs->v[i]);
        strv env = {0};
        stage2_env(&env);
        /* dpkg installs the .debs placed in the tree: nothing to download,
         * so no network (a maintainer script reaches neither the host's
         * loopback nor anything else). */
        int rc = runner_exec_in_tree(root, argv.v, env.v, RUNNER_TREE_NET_NONE, e);
        strv_free(&argv);
        strv_free(&env);
        if (rc < 0)
                return err_prefix(e, "second stage (%s)", what);
        if (rc != 0) {
                _cleanup_free_ char *tail = log_tail(root);
                return err_set(e, -EIO, "second stage: dpkg --install (%s) exited with status %d%s",
                               what, rc, tail);
        }
        return 0;
}

int apt_stage2(const char *root, const strv *essential_debs, const strv *other_debs, err_t *e)
{
        int rc = dpkg_install(root, essential_debs, "essential packages", e);
        if (rc < 0)
                return rc;
        return dpkg_install(root, other_debs, "the rest", e);
}

/* Every selected package must be "install ok installed" in dpkg's status,
 * as `dpkg -l` would show it (ii). */
int apt_stage2_check(const char *root, const apt_selection *sel, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_free_ char *data = NULL;
        size_t len;
        int rc = fs_read_file_in_root(rootfd, "var/lib/dpkg/status", (size_t)64 << 20, &data, &len,
                                      e);
        if (rc < 0)
                return err_prefix(e, "second stage");
        _cleanup_deb822_ deb822 d = {0};
        rc = deb822_parse(data, len, "var/lib/dpkg/status", &d, e);
        if (rc < 0)
                return rc;
        strmap *ok = strmap_new();
        for (size_t i = 0; i < d.n_paras; i++) {
                const char *name = deb822_get(&d, i, "Package");
                const char *st = deb822_get(&d, i, "Status");
                if (name && st && !strcmp(st, "install ok installed"))
                        strmap_put(ok, name, (void *)name);
        }
        for (size_t i = 0; i < sel->n && rc == 0; i++)
                if (!strmap_has(ok, sel->pkgs[i]->name))
                        rc = err_set(e, -EIO, "second stage: %s is not configured",
                                     sel->pkgs[i]->name);
        strmap_free(ok);
        return rc;
}

int apt_tree_tidy(const char *root, const char *sources_list, err_t *e)
{
        static const char *const junk[] = {
                "var/log/dpkg.log",
                "var/log/alternatives.log",
                "var/log/bootstrap.log",
                "var/lib/dpkg/status-old",
                "var/lib/dpkg/diversions-old",
                "var/lib/dpkg/statoverride-old",
                "var/cache/debconf/config.dat-old",
                "var/cache/debconf/templates.dat-old",
                "var/cache/debconf/passwords.dat-old",
                "etc/resolv.conf",
                "etc/hostname",
                "etc/machine-id",
                "var/lib/dbus/machine-id",
                "etc/passwd-",
                "etc/group-",
                "etc/shadow-",
                "etc/gshadow-",
                "var/cache/ldconfig/aux-cache", /* differs from run to run */
        };
        /* Packages may have made any of these a link to the host's (say
         * var/lib/dbus -> /var/lib/dbus): each is resolved inside the tree
         * and only the entry itself is removed. */
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
                _cleanup_free_ char *name = NULL;
                _cleanup_close_ int pfd = fs_open_parent_in_root(rootfd, junk[i], &name, NULL);
                struct stat st;
                if (pfd >= 0 && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    !S_ISDIR(st.st_mode) && unlinkat(pfd, name, 0) < 0)
                        return err_sys(e, errno, "%s: %s", root, junk[i]);
        }
        _cleanup_close_ int afd =
                fs_open_in_root(rootfd, "var/cache/apt/archives", O_RDONLY | O_DIRECTORY, 0, NULL);
        _cleanup_strv_ strv names = {0};
        if (afd >= 0 && fs_list_dir_at(afd, ".", &names) == 0)
                for (size_t i = 0; i < names.n; i++) {
                        size_t n = strlen(names.v[i]);
                        if (n > 4 && !strcmp(names.v[i] + n - 4, ".deb"))
                                unlinkat(afd, names.v[i], 0);
                }
        return apt_write_file(root, "etc/apt/sources.list", sources_list, e);
}
