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

/* Run argv in the tree, its chatter to the tree's log unless -v asked
 * for it (finish_tree removes the log); what names it in messages. */
static int run_logged(const char *root, const strv *cmd, const char *what, err_t *e)
{
        strv argv = {0};
        if (log_get_level() < LOG_DEBUG) {
                strv_push(&argv, "/bin/sh");
                strv_push(&argv, "-c");
                strv_push(&argv, "exec \"$@\" >>/" STAGE2_LOG " 2>&1");
                strv_push(&argv, "sh");
        }
        for (size_t i = 0; i < cmd->n; i++)
                strv_push(&argv, cmd->v[i]);
        strv env = {0};
        stage2_env(&env);
        /* Everything needed is in the tree: no network (a maintainer
         * script reaches neither the host's loopback nor anything else). */
        int rc = runner_exec_in_tree(root, argv.v, env.v, RUNNER_TREE_NET_NONE, e);
        strv_free(&argv);
        strv_free(&env);
        if (rc < 0)
                return err_prefix(e, "second stage (%s)", what);
        return rc;
}

static void dpkg_argv(strv *argv, const char *action)
{
        strv_push(argv, "/usr/bin/dpkg");
        strv_push(argv, "--force-depends");
        strv_push(argv, "--force-unsafe-io");
        strv_push(argv, "--force-confold");
        strv_push(argv, action);
}

static int dpkg_install(const char *root, const strv *debs, const char *what, err_t *e)
{
        if (debs->n == 0)
                return 0;
        strv argv = {0};
        dpkg_argv(&argv, "--install");
        for (size_t i = 0; i < debs->n; i++)
                strv_push(&argv, debs->v[i]);
        int rc = run_logged(root, &argv, what, e);
        strv_free(&argv);
        if (rc > 0) {
                _cleanup_free_ char *tail = log_tail(root);
                return err_set(e, -EIO, "second stage: dpkg --install (%s) exited with status %d%s",
                               what, rc, tail);
        }
        return rc;
}

int apt_stage2(const char *root, const strv *essential_debs, const strv *other_debs, err_t *e)
{
        int rc = dpkg_install(root, essential_debs, "essential packages", e);
        if (rc < 0)
                return rc;
        return dpkg_install(root, other_debs, "the rest", e);
}

#define CI_STAGE "var/lib/dpkg/mkroot-ci"

/* Each package's control files in CI_STAGE/N/, and a script that runs
 * the preinsts in order, each from var/lib/dpkg/tmp.ci/ as dpkg runs a
 * new package's: "preinst install", DPKG_MAINTSCRIPT_* set. A preinst
 * that fails makes the script exit 100 + its index. */
static int stage_preinsts(const char *root, apt_deb_info *const *pkgs, size_t n, size_t *ret_n,
                          err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        const char *dpkg_version = NULL;
        for (size_t i = 0; i < n; i++)
                if (!strcmp(pkgs[i]->package, "dpkg"))
                        dpkg_version = pkgs[i]->version;
        strbuf sh = {0};
        sb_append(&sh, "cd /\nA=/var/lib/dpkg\nexport DPKG_ADMINDIR=$A DPKG_ROOT=\n");
        /* A version goes into the script: only dpkg's own characters. */
        if (dpkg_version &&
            strspn(dpkg_version, "0123456789abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+~:-") == strlen(dpkg_version))
                sb_appendf(&sh, "export DPKG_RUNNING_VERSION=%s\n", dpkg_version);
        sb_append(&sh, "run() {\n"
                       "\trm -rf $A/tmp.ci && mv $A/mkroot-ci/$1 $A/tmp.ci &&\n"
                       "\tDPKG_MAINTSCRIPT_PACKAGE=$2 DPKG_MAINTSCRIPT_ARCH=$3 "
                       "DPKG_MAINTSCRIPT_NAME=preinst DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT=1 "
                       "$A/tmp.ci/preinst install\n"
                       "}\n");
        size_t count = 0;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
                const apt_deb_info *p = pkgs[i];
                bool has = false;
                for (size_t k = 0; k < p->n_files; k++)
                        has |= !strcmp(p->files[k].name, "preinst");
                if (!has)
                        continue;
                if (i > 150) {
                        rc = err_set(e, -E2BIG, "second stage: too many packages with a preinst");
                        break;
                }
                _cleanup_free_ char *d = xasprintf(CI_STAGE "/%zu", i);
                rc = fs_mkdir_p_in_root(rootfd, d, 0755, e);
                _cleanup_close_ int dfd =
                        rc < 0 ? -1 : fs_open_in_root(rootfd, d, O_PATH | O_DIRECTORY, 0, e);
                if (rc == 0 && dfd < 0)
                        rc = -EIO;
                for (size_t k = 0; rc == 0 && k <= p->n_files; k++) {
                        if (k < p->n_files && p->files[k].generated)
                                continue;
                        const char *name = k < p->n_files ? p->files[k].name : "control";
                        const char *data = k < p->n_files ? p->files[k].data : p->control;
                        size_t len = k < p->n_files ? p->files[k].len : strlen(p->control);
                        mode_t mode = k < p->n_files ? p->files[k].mode : 0644;
                        _cleanup_close_ int fd =
                                openat(dfd, name,
                                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                        if (fd < 0 || (rc = fd_write_all(fd, data, len)) < 0 ||
                            fchmod(fd, mode) < 0)
                                rc = err_sys(e, rc < 0 ? -rc : errno, "%s/%s/%s", root, d, name);
                }
                sb_appendf(&sh, "run %zu %s %s || exit %zu\n", i, p->package, p->arch, 100 + i);
                count++;
        }
        sb_append(&sh, "rm -rf $A/tmp.ci $A/mkroot-ci\n");
        if (rc == 0)
                rc = apt_write_file(root, CI_STAGE "/run.sh", sh.s, e);
        sb_free(&sh);
        if (rc == 0)
                *ret_n = count;
        return rc;
}

static int run_preinsts(const char *root, apt_deb_info *const *pkgs, size_t n, err_t *e)
{
        size_t count = 0;
        int rc = stage_preinsts(root, pkgs, n, &count, e);
        if (rc == 0 && count) {
                strv argv = {0};
                strv_push(&argv, "/bin/sh");
                strv_push(&argv, "/" CI_STAGE "/run.sh");
                rc = run_logged(root, &argv, "preinst", e);
                strv_free(&argv);
                if (rc > 0) {
                        _cleanup_free_ char *tail = log_tail(root);
                        if (rc >= 100 && (size_t)rc - 100 < n)
                                rc = err_set(e, -EIO,
                                             "second stage: %s's preinst install exited with an "
                                             "error%s",
                                             pkgs[rc - 100]->package, tail);
                        else
                                rc = err_set(e, -EIO,
                                             "second stage: preinst exited with status %d%s", rc,
                                             tail);
                }
        }
        /* Gone on every path (the script removes it when it succeeds),
         * resolved inside the tree like everything else in it. */
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int pfd =
                rootfd < 0 ? -1 : fs_open_parent_in_root(rootfd, CI_STAGE, &name, NULL);
        err_t e2 = {0};
        if (pfd >= 0)
                fs_rm_rf_at(pfd, name, &e2);
        return rc;
}

/* A preinst's dpkg-divert found the packages' files unpacked already
 * (and with --rename moved what was there): each package's copy of a
 * diverted path goes where dpkg would have put it, the diverting
 * package's to the path itself, any other's to the diversion. */
static int apply_diversions(const char *root, const char *const *merged, apt_deb_info *const *pkgs,
                            size_t n, err_t *e)
{
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", root);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        err_t e2 = {0};
        if (fs_read_file_in_root(rootfd, "var/lib/dpkg/diversions", 16 << 20, &data, &len, &e2) < 0)
                return 0; /* none */
        strv l = {0};
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                strv_push(&l, line);
        int rc = 0;
        /* The others' copies first, so the diverter's is the last word. */
        for (int pass = 0; pass < 2 && rc == 0; pass++)
                for (size_t d = 0; d + 2 < l.n && rc == 0; d += 3) {
                        const char *from = l.v[d], *to = l.v[d + 1], *by = l.v[d + 2];
                        if (from[0] != '/' || to[0] != '/')
                                continue;
                        for (size_t i = 0; i < n && rc == 0; i++) {
                                bool mine = !strcmp(pkgs[i]->package, by);
                                if (mine != (pass == 1) || !strv_contains(&pkgs[i]->list, from))
                                        continue;
                                log_debug("%s: %s of %s to %s", root, from, pkgs[i]->package,
                                          mine ? from : to);
                                rc = apt_deb_extract_one(pkgs[i]->deb, root, merged, from + 1,
                                                         mine ? from + 1 : to + 1, e);
                        }
                }
        strv_free(&l);
        return rc;
}

int apt_stage2_unpacked(const char *root, const char *const *merged_dirs, apt_deb_info *const *pkgs,
                        size_t n, const strv *other_debs, err_t *e)
{
        int rc = run_preinsts(root, pkgs, n, e);
        if (rc == 0)
                rc = apply_diversions(root, merged_dirs, pkgs, n, e);
        if (rc == 0)
                rc = apt_dpkgdb_write(root, pkgs, n, e);
        if (rc < 0)
                return rc;
        /* Configured in the order dpkg --install would take them (it
         * unpacks them all, then configures them in that order, each
         * after what it depends on). */
        strv argv = {0};
        dpkg_argv(&argv, "--configure");
        for (size_t i = 0; i < n; i++)
                strv_push_take(&argv, pkgs[i]->ma_same
                                              ? xasprintf("%s:%s", pkgs[i]->package, pkgs[i]->arch)
                                              : xstrdup(pkgs[i]->package));
        if (n)
                rc = run_logged(root, &argv, "essential packages", e);
        strv_free(&argv);
        if (rc > 0) {
                _cleanup_free_ char *tail = log_tail(root);
                return err_set(e, -EIO,
                               "second stage: dpkg --configure (essential packages) exited with "
                               "status %d%s",
                               rc, tail);
        }
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
