/* Where a suite's mirror comes from (apt_suite_mirror): --mirror,
 * $MKROOT_MIRROR, the host's apt sources, debootstrap's scripts (read as
 * data from fixture scripts shaped like debootstrap's, never run), the
 * manifest's URIs, else the error naming --mirror. The fixture hosts are
 * .example names: no mirror's host is written here. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt.h"
#include "test.h"

#define ARCHIVE "http://archive.example/ubuntu"
#define OLD "http://old.example/ubuntu"
#define PORTS "http://ports.example/ubuntu-ports"

static char *dir;

static void write_text(const char *path, const char *text)
{
        err_t e = {0};
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, &e), 0);
}

static apt_suite suite(const char *name, const char *dist, const char *uri)
{
        apt_suite s = {.name = xstrdup(name), .distribution = xstrdup(dist)};
        s.codename = xstrdup(name);
        s.path = xasprintf("%s/%s.deb822", dir, name);
        if (uri)
                s.uri = xstrdup(uri);
        return s;
}

/* The mirror apt_suite_mirror picks, or "ERROR: message". */
static char *choose(const apt_suite *s, const char *arch, const apt_mirror_sources *src)
{
        err_t e = {0};
        char *m = NULL;
        if (apt_suite_mirror(s, arch, src, &m, &e) < 0)
                return xasprintf("ERROR: %s", e.msg);
        return m;
}

#define CHECK_MIRROR(s, arch, src, want)                                                           \
        do {                                                                                       \
                char *_m = choose(s, arch, src);                                                   \
                CHECK_STR(_m, want);                                                               \
                free(_m);                                                                          \
        } while (0)

/* An older debootstrap: Ubuntu's current script (gutsy, with bionic,
 * focal and jammy linked to it, no noble), an old Ubuntu script of its
 * own, Debian's current script (sid, no mirror) and an old Debian one. */
static void make_scripts(const char *scripts, const char *ran)
{
        err_t e = {0};
        CHECK_INT(fs_mkdir_p_at(AT_FDCWD, scripts, 0755, &e), 0);
        _cleanup_free_ char *gutsy = path_join(scripts, "gutsy");
        _cleanup_free_ char *text =
                xasprintf("# never run: this would leave a file behind\n"
                          "touch %s\n"
                          "case $ARCH in\n"
                          "  amd64|i386)\n"
                          "\tcase $SUITE in\n"
                          "\t  gutsy|hardy|lucid)\n"
                          "\tdefault_mirror " OLD "\n"
                          "\t  ;;\n"
                          "\t  *)\n"
                          "\tdefault_mirror " ARCHIVE "\n"
                          "\t;;\n"
                          "\tesac\n"
                          "\t;;\n"
                          "  sparc)\n"
                          "\tcase $SUITE in gutsy) default_mirror " OLD
                          " ;; *) default_mirror " PORTS " ;; esac\n"
                          "\t;;\n"
                          "  *)\n"
                          "\tdefault_mirror " PORTS "\n"
                          "\t;;\n"
                          "esac\n"
                          "mirror_style release\n"
                          "keyring /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
                          "if doing_variant fakechroot; then\n"
                          "\tdefault_mirror http://wrong.example/if-block\n"
                          "fi\n"
                          "case $MIRRORS in\n"
                          "  *) default_mirror http://wrong.example/unknown-variable ;;\n"
                          "esac\n"
                          "work_out_debs () {\n"
                          "\tdefault_mirror http://wrong.example/function\n"
                          "}\n"
                          "# default_mirror http://wrong.example/comment\n"
                          "case $ARCH in\n"
                          "\talpha|ia64) LIBC=\"libc6.1\" ;;\n"
                          "\t*)          LIBC=\"libc6\" ;;\n"
                          "esac\n",
                          ran);
        write_text(gutsy, text);
        static const char *const links[] = {"bionic", "focal", "hardy", "jammy", "lucid"};
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                _cleanup_free_ char *l = path_join(scripts, links[i]);
                CHECK_INT(symlink("gutsy", l), 0);
        }
        _cleanup_free_ char *dapper = path_join(scripts, "dapper");
        write_text(dapper, "case $ARCH in\n"
                           "  \"amd64\" | i386 | powerpc)\n"
                           "    default_mirror " OLD "\n"
                           "    ;;\n"
                           "  *)\n"
                           "    default_mirror " OLD "-ports\n"
                           "    ;;\n"
                           "esac\n"
                           "mirror_style release\n");
        _cleanup_free_ char *sid = path_join(scripts, "sid");
        write_text(sid, "mirror_style release\n"
                        "keyring /usr/share/keyrings/debian-archive-keyring.gpg\n"
                        "if [ -e \"$DEBOOTSTRAP_DIR/scripts/debian-common\" ]; then\n"
                        " . \"$DEBOOTSTRAP_DIR/scripts/debian-common\"\n"
                        "fi\n");
        static const char *const deb[] = {"bookworm", "bullseye", "stable"};
        for (size_t i = 0; i < ARRAY_SIZE(deb); i++) {
                _cleanup_free_ char *l = path_join(scripts, deb[i]);
                CHECK_INT(symlink("sid", l), 0);
        }
        _cleanup_free_ char *etch = path_join(scripts, "etch");
        write_text(etch, "mirror_style release\n"
                         "default_mirror http://old.example/debian\n"
                         "keyring /usr/share/keyrings/debian-archive-removed-keys.gpg\n");
        _cleanup_free_ char *lenny = path_join(scripts, "lenny");
        CHECK_INT(symlink("etch", lenny), 0);
}

static void test_scripts(const char *dbs)
{
        _cleanup_free_ char *ran = path_join(dir, "ran");
        _cleanup_free_ char *scripts = path_join(dbs, "scripts");
        make_scripts(scripts, ran);
        apt_mirror_sources src = {.debootstrap_dir = dbs};

        apt_suite bionic = suite("bionic", "ubuntu", NULL);
        CHECK_MIRROR(&bionic, "amd64", &src, ARCHIVE);
        CHECK_MIRROR(&bionic, "i386", &src, ARCHIVE);
        /* The script's case on $ARCH: the ports mirror elsewhere. */
        CHECK_MIRROR(&bionic, "arm64", &src, PORTS);
        CHECK_MIRROR(&bionic, "sparc", &src, PORTS);
        apt_suite_free(&bionic);
        apt_suite lucid = suite("lucid", "ubuntu", NULL);
        CHECK_MIRROR(&lucid, "amd64", &src, OLD);
        apt_suite_free(&lucid);
        apt_suite dapper = suite("dapper", "ubuntu", NULL);
        CHECK_MIRROR(&dapper, "amd64", &src, OLD);
        CHECK_MIRROR(&dapper, "arm64", &src, OLD "-ports");
        apt_suite_free(&dapper);

        /* No noble script (debootstrap older than the suite): Ubuntu's
         * current script, the one most Ubuntu suites link to, for noble. */
        apt_suite noble = suite("noble", "ubuntu", NULL);
        CHECK_MIRROR(&noble, "amd64", &src, ARCHIVE);
        CHECK_MIRROR(&noble, "arm64", &src, PORTS);
        CHECK_MIRROR(&noble, "riscv64", &src, PORTS);
        char *m = apt_debootstrap_mirror(dbs, &noble, "amd64");
        CHECK_STR(m, ARCHIVE);
        free(m);
        apt_suite_free(&noble);

        /* Debian's scripts name no mirror (debootstrap's own default):
         * the manifest's URIs, else the error. An old Debian script's
         * archive is not taken for a new suite. */
        apt_suite trixie = suite("trixie", "debian", "http://manifest.example/debian/");
        CHECK_MIRROR(&trixie, "amd64", &src, "http://manifest.example/debian");
        apt_suite_free(&trixie);
        apt_suite bookworm = suite("bookworm", "debian", NULL);
        CHECK_MIRROR(&bookworm, "amd64", &src,
                     "ERROR: bookworm: no mirror (the host's apt sources do not serve debian "
                     "and debootstrap's scripts name none): pass --mirror URL or set "
                     "MKROOT_MIRROR");
        apt_suite_free(&bookworm);

        /* A Suite: that is no plain name reads no file outside scripts/. */
        _cleanup_free_ char *outside = path_join(dbs, "outside");
        write_text(outside, "default_mirror http://wrong.example/outside\n");
        apt_suite odd = suite("../outside", "ubuntu", NULL);
        m = apt_debootstrap_mirror(dbs, &odd, "amd64");
        CHECK(m == NULL);
        free(m);
        apt_suite_free(&odd);

        /* The scripts are data: nothing in them ran. */
        CHECK(access(ran, F_OK) < 0);
}

static void test_order(const char *dbs)
{
        _cleanup_free_ char *etc = path_join(dir, "etc-apt");
        _cleanup_free_ char *sld = path_join(etc, "sources.list.d");
        err_t e = {0};
        CHECK_INT(fs_mkdir_p_at(AT_FDCWD, sld, 0755, &e), 0);
        _cleanup_free_ char *f = path_join(sld, "ubuntu.sources");
        write_text(f, "Types: deb\nURIs: http://host.example/ubuntu/\nSuites: noble noble-updates\n"
                      "Components: main\n"
                      "Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n");
        _cleanup_free_ char *empty_etc = path_join(dir, "etc-apt-empty");
        CHECK_INT(fs_mkdir_p_at(AT_FDCWD, empty_etc, 0755, &e), 0);
        _cleanup_free_ char *no_dbs = path_join(dir, "no-debootstrap");

        apt_suite noble = suite("noble", "ubuntu", "http://manifest.example/ubuntu");
        apt_mirror_sources src = {.option = "http://option.example/ubuntu/",
                                  .env = "http://env.example/ubuntu",
                                  .etc_apt = etc,
                                  .debootstrap_dir = dbs};
        CHECK_MIRROR(&noble, "amd64", &src, "http://option.example/ubuntu");
        src.option = "";
        CHECK_MIRROR(&noble, "amd64", &src, "http://env.example/ubuntu");
        src.env = NULL;
        CHECK_MIRROR(&noble, "amd64", &src, "http://host.example/ubuntu");
        src.etc_apt = empty_etc;
        CHECK_MIRROR(&noble, "amd64", &src, ARCHIVE);
        src.debootstrap_dir = no_dbs;
        CHECK_MIRROR(&noble, "amd64", &src, "http://manifest.example/ubuntu");
        free(noble.uri);
        noble.uri = NULL;
        CHECK_MIRROR(&noble, "amd64", &src,
                     "ERROR: noble: no mirror (the host's apt sources do not serve ubuntu and "
                     "debootstrap's scripts name none): pass --mirror URL or set MKROOT_MIRROR");
        apt_suite_free(&noble);
}

/* The reader on its own: last default_mirror taken wins (as in
 * debootstrap), URLs that are not plain http/https/file are refused. */
static void test_reader(void)
{
        const char *two = "default_mirror http://a.example/x\ndefault_mirror http://b.example/y\n";
        char *m = apt_debootstrap_script_mirror(two, strlen(two), "s", "amd64");
        CHECK_STR(m, "http://b.example/y");
        free(m);
        const char *bad = "default_mirror $MIRROR\ndefault_mirror ftp://c.example/z\n"
                          "default_mirror \"http://d.example/a b\"\n";
        m = apt_debootstrap_script_mirror(bad, strlen(bad), "s", "amd64");
        CHECK(m == NULL);
        free(m);
        const char *quoted = "case \"${ARCH}\" in\n"
                             "  (arm*) default_mirror 'http://q.example/ports' ;;\n"
                             "esac\n";
        m = apt_debootstrap_script_mirror(quoted, strlen(quoted), "s", "armhf");
        CHECK_STR(m, "http://q.example/ports");
        free(m);
        m = apt_debootstrap_script_mirror(quoted, strlen(quoted), "s", "amd64");
        CHECK(m == NULL);
        free(m);
        /* Unbalanced input ends without a mirror and without harm. */
        const char *broken = "case $ARCH in\n  amd64) case $SUITE in\n";
        m = apt_debootstrap_script_mirror(broken, strlen(broken), "s", "amd64");
        CHECK(m == NULL);
        free(m);
}

int main(void)
{
        log_init("test_mirror");
        char tmpl[TEST_TMPL_MAX];
        dir = mkdtemp(test_tmpl(tmpl, "test-mirror"));
        CHECK(dir != NULL);
        if (!dir)
                TEST_END();
        _cleanup_free_ char *dbs = path_join(dir, "debootstrap");
        test_scripts(dbs);
        test_order(dbs);
        test_reader();
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, dir, &e);
        TEST_END();
}
