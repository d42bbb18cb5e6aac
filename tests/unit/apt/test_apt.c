/* Unit tests for builder/apt: deb822, Debian versions (against dpkg),
 * relations, Release parsing and dates, armor, index and selection
 * (synthetic cases, and bookworm's minbase, default and --include sets
 * against debootstrap's lists for them). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include "apt.h"
#include "test.h"

static void test_deb822(void)
{
        const char *txt = "# comment\n"
                          "Package: a\n"
                          "Description: short\n"
                          " line one\n"
                          " .\n"
                          "# inside\n"
                          " line two  \n"
                          "X-Empty:\n"
                          "\n\n"
                          "package:   b  \r\n"
                          "Depends: c,\n"
                          "  d\n";
        deb822 d;
        err_t e = {0};
        CHECK_INT(deb822_parse(txt, strlen(txt), "t", &d, &e), 0);
        CHECK_INT(d.n_paras, 2);
        CHECK_STR(deb822_get(&d, 0, "package"), "a");
        CHECK_STR(deb822_get(&d, 0, "Description"), "short\nline one\n\nline two");
        CHECK_STR(deb822_get(&d, 0, "X-Empty"), "");
        CHECK_STR(deb822_get(&d, 1, "Package"), "b");
        CHECK_STR(deb822_get(&d, 1, "Depends"), "c,\nd");
        CHECK(deb822_get(&d, 1, "Description") == NULL);
        CHECK(deb822_get(&d, 5, "Package") == NULL);
        CHECK_INT(d.paras[1].line, 11);
        deb822_free(&d);

        /* Multi-line first value (Signed-By style). */
        const char *key = "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n";
        CHECK_INT(deb822_parse(key, strlen(key), "k", &d, &e), 0);
        CHECK_STR(deb822_get(&d, 0, "Signed-By"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc");
        deb822_free(&d);

        static const char *const bad[] = {
                " leading continuation\n", "NoColon\n", ": novalue\n", "A: 1\na: 2\n", "Na me: x\n",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                err_clear(&e);
                CHECK(deb822_parse(bad[i], strlen(bad[i]), "bad", &d, &e) < 0);
                CHECK(strncmp(e.msg, "bad:", 4) == 0);
        }
        const char nul[] = "A: b\0c\n";
        CHECK(deb822_parse(nul, sizeof(nul) - 1, "nul", &d, &e) == -EBADMSG);
        /* Empty input: no paragraphs. */
        CHECK_INT(deb822_parse("", 0, "empty", &d, &e), 0);
        CHECK_INT(d.n_paras, 0);
        deb822_free(&d);
}

static int dpkg_cmp(const char *a, const char *b)
{
        /* dpkg --compare-versions a lt b: 0 when true. */
        pid_t pid = fork();
        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY);
                dup2(fd, 2);
                execlp("dpkg", "dpkg", "--compare-versions", a, "lt", b, (char *)NULL);
                _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
                return 2;
        if (WEXITSTATUS(st) == 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                execlp("dpkg", "dpkg", "--compare-versions", a, "eq", b, (char *)NULL);
                _exit(127);
        }
        waitpid(pid, &st, 0);
        return WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int sign(int x)
{
        return x < 0 ? -1 : x > 0;
}

static void test_versions(void)
{
        static const struct {
                const char *a, *b;
                int r;
        } v[] = {
                {"1.0", "1.0", 0},
                {"1.0", "1.1", -1},
                {"1.0~rc1", "1.0", -1},
                {"1.0~~", "1.0~", -1},
                {"1.0~", "1.0", -1},
                {"1.0", "1.0+b1", -1},
                {"1:0.1", "2.0", 1},
                {"0:1.0", "1.0", 0},
                {"1.0-1", "1.0-2", -1},
                {"1.0-1", "1.0", 1},
                {"1.0a", "1.0", 1},
                {"1.0a", "1.0+", -1},
                {"1.10", "1.9", 1},
                {"1.001", "1.1", 0},
                {"2.36-9+deb12u4", "2.36-9", 1},
                {"5.36.0-7+deb12u1", "5.36.0-7", 1},
                {"1:2.38.1-5+deb12u3", "2.38.1-5", 1},
                {"1.2-3~bpo12+1", "1.2-3", -1},
                {"9.1", "10", -1},
                {"1.0.0", "1.0", 1},
                {"a", "b", -1},
        };
        for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
                int r = sign(debver_cmp(v[i].a, v[i].b));
                if (r != v[i].r)
                        fprintf(stderr, "debver_cmp(%s, %s) = %d, expected %d\n", v[i].a, v[i].b, r,
                                v[i].r);
                CHECK_INT(r, v[i].r);
                CHECK_INT(sign(debver_cmp(v[i].b, v[i].a)), -v[i].r);
        }
        CHECK(debver_valid("1:2.3-4"));
        CHECK(debver_valid("2.36-9+deb12u4"));
        CHECK(!debver_valid("abc"));
        CHECK(!debver_valid(":1"));
        CHECK(!debver_valid("1.0-"));
        CHECK(!debver_valid("1.0 2"));
        CHECK(debver_satisfies("1.0", APT_REL_GE, "1.0"));
        CHECK(!debver_satisfies("1.0", APT_REL_GT, "1.0"));
        CHECK(debver_satisfies("1.0~1", APT_REL_LT, "1.0"));
        CHECK(debver_satisfies("2", APT_REL_ANY, NULL));
        CHECK(!debver_satisfies(NULL, APT_REL_EQ, "1"));

        /* Against dpkg itself, on many pairs built from real versions. */
        if (access("/usr/bin/dpkg", X_OK) != 0) {
                TEST_SKIP("dpkg comparison: no /usr/bin/dpkg");
                return;
        }
        static const char *const parts[] = {
                "1.0",
                "1.0~rc1",
                "1:0.9",
                "1.0-1",
                "1.0-1~bpo1",
                "1.0+dfsg-2",
                "1.0.1",
                "1.0a",
                "1.0-1+b1",
                "2:1",
                "0.9.9-10",
                "1.0~~a",
                "1.0+",
                "1.0.",
                "10.0",
                "1.00-01",
                "1a1",
                "1.0-1.1",
                "7.88.1-10+deb12u5",
                "1:7.88.1",
                "3.0~git20200101.abcdef-1",
        };
        int mismatches = 0;
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
                for (size_t j = 0; j < ARRAY_SIZE(parts); j++) {
                        int want = dpkg_cmp(parts[i], parts[j]);
                        if (want == 2)
                                continue;
                        int got = sign(debver_cmp(parts[i], parts[j]));
                        if (got != want) {
                                fprintf(stderr, "debver_cmp(%s, %s) = %d, dpkg says %d\n", parts[i],
                                        parts[j], got, want);
                                mismatches++;
                        }
                }
        CHECK_INT(mismatches, 0);
}

static void test_relations(void)
{
        apt_rel_list l;
        err_t e = {0};
        CHECK_INT(
                apt_rel_parse("libc6 (>= 2.34), awk | mawk:any (<< 2:0)\n , x [amd64] <!nocheck>, "
                              "perl:native",
                              "t", &l, &e),
                0);
        CHECK_INT(l.n, 4);
        CHECK_STR(l.groups[0].alts[0].name, "libc6");
        CHECK_INT(l.groups[0].alts[0].op, APT_REL_GE);
        CHECK_STR(l.groups[0].alts[0].version, "2.34");
        CHECK_INT(l.groups[1].n, 2);
        CHECK_STR(l.groups[1].alts[1].name, "mawk");
        CHECK_STR(l.groups[1].alts[1].archq, "any");
        CHECK_INT(l.groups[1].alts[1].op, APT_REL_LT);
        CHECK_STR(l.groups[2].alts[0].name, "x");
        CHECK_STR(l.groups[3].alts[0].archq, "native");
        apt_rel_list_free(&l);
        CHECK_INT(apt_rel_parse("", "t", &l, &e), 0);
        CHECK_INT(l.n, 0);
        apt_rel_list_free(&l);
        CHECK_INT(apt_rel_parse("a (= 1)", "t", &l, &e), 0);
        CHECK_INT(l.groups[0].alts[0].op, APT_REL_EQ);
        apt_rel_list_free(&l);
        CHECK(apt_rel_parse("a (>= 1", "t", &l, &e) < 0);
        CHECK(apt_rel_parse("a (~ 1)", "t", &l, &e) < 0);
        CHECK(apt_rel_parse("a b", "t", &l, &e) < 0);
        CHECK(apt_rel_parse("a, , b", "t", &l, &e) < 0);
        CHECK(apt_rel_parse("a [amd64", "t", &l, &e) < 0);
}

static void test_release(void)
{
        const char *txt = "Origin: Test\nSuite: stable\nCodename: tst\n"
                          "Date: Sat, 10 Jun 2023 08:56:56 UTC\n"
                          "Valid-Until: Sat, 17 Jun 2023 08:56:56 +0000\n"
                          "Acquire-By-Hash: yes\n"
                          "MD5Sum:\n 0123 12 main/binary-amd64/Packages\n"
                          "SHA256:\n"
                          " 0000000000000000000000000000000000000000000000000000000000000001 123 "
                          "main/binary-amd64/Packages\n"
                          " 00000000000000000000000000000000000000000000000000000000000000ff 45 "
                          "main/binary-amd64/Packages.xz\n";
        apt_release r;
        err_t e = {0};
        CHECK_INT(apt_release_parse(txt, strlen(txt), "R", &r, &e), 0);
        CHECK_STR(r.codename, "tst");
        CHECK_STR(r.suite, "stable");
        CHECK_INT(r.date, 1686387416);
        CHECK_INT(r.valid_until, 1686387416 + 7 * 86400);
        CHECK(r.by_hash);
        CHECK_INT(r.n_files, 2);
        const apt_release_file *f = apt_release_find(&r, "main/binary-amd64/Packages.xz");
        CHECK(f && f->size == 45 && f->sha256[63] == 'f');
        CHECK(apt_release_find(&r, "main/binary-i386/Packages") == NULL);
        CHECK_INT(apt_release_check_dates(&r, 1686387416 + 100, false, "R", &e), 0);
        CHECK_INT(apt_release_check_dates(&r, 1686387416 + 8 * 86400, false, "R", &e),
                  -EKEYEXPIRED);
        CHECK(strstr(e.msg, "expired") != NULL);
        CHECK_INT(apt_release_check_dates(&r, 1686387416 + 8 * 86400, true, "R", &e), 0);
        CHECK(apt_release_check_dates(&r, 1686387416 - 86400, false, "R", &e) < 0);
        apt_release_free(&r);

        static const char *const bad[] = {
                "Suite: x\n",
                "SHA256:\n zz 1 a\n",
                "Date: yesterday\nSHA256:\n",
                "SHA256:\n 0000000000000000000000000000000000000000000000000000000000000001 -5 a\n",
                "A: 1\n\nB: 2\n",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                CHECK(apt_release_parse(bad[i], strlen(bad[i]), "R", &r, &e) < 0);

        int64_t t;
        CHECK_INT(apt_parse_date("Thu, 01 Jan 1970 00:00:10 GMT", &t), 0);
        CHECK_INT(t, 10);
        CHECK_INT(apt_parse_date("01 Jan 1970 01:00:00 +0100", &t), 0);
        CHECK_INT(t, 0);
        CHECK(apt_parse_date("Thu, 01 Jan 1970 00:00:10 PST", &t) < 0);

        void *bin;
        size_t len;
        CHECK_INT(
                apt_dearmor("-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: x\n\naGVsbG8=\n=abcd\n"
                            "-----END PGP PUBLIC KEY BLOCK-----\n",
                            &bin, &len, &e),
                0);
        CHECK_INT(len, 5);
        CHECK(memcmp(bin, "hello", 5) == 0);
        free(bin);
        CHECK(apt_dearmor("no armor", &bin, &len, &e) < 0);
        CHECK(apt_dearmor("-----BEGIN PGP X-----\n\naGV\n-----END", &bin, &len, &e) < 0);
}

#define PKG(name, ver, extra)                                                                      \
        "Package: " name "\nVersion: " ver "\nArchitecture: amd64\nFilename: pool/" name           \
        ".deb\nSize: 1\nSHA256: "                                                                  \
        "0000000000000000000000000000000000000000000000000000000000000000\n" extra "\n\n"

static bool selected(const apt_selection *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->pkgs[i]->name, name))
                        return true;
        return false;
}

static void test_select_synthetic(void)
{
        const char *idx = PKG(
                "base", "1",
                "Essential: yes\nPriority: required\nDepends: awk, libc (>= 2), "
                "gone | real-b | real-c\nPre-Depends: libz (>= 1.2~)") PKG("mawk", "1",
                                                                           "Priority: "
                                                                           "required\nProvides: "
                                                                           "awk") PKG("gawk", "1",
                                                                                      "Priority: "
                                                                                      "optional\nPr"
                                                                                      "ovides: awk")
                PKG("libc", "1", "Priority: optional") PKG("libc", "3", "Priority: optional") PKG(
                        "libz", "1.2~rc1", "Priority: optional") PKG("libz", "1.2",
                                                                     "Priority: optional")
                        PKG("real-b", "1", "Priority: optional\nDepends: vpkg (>= 2)") PKG(
                                "real-c", "1",
                                "Priority: optional") PKG("prov-old", "1",
                                                          "Priority: optional\nProvides: vpkg (= "
                                                          "1)") PKG("prov-new", "1",
                                                                    "Priority: optional\nProvides: "
                                                                    "vpkg (= 2)")
                                PKG("prov-any", "1", "Priority: optional\nProvides: vpkg")
                                        PKG("apt", "2",
                                            "Priority: important\nDepends: gpgv | gpgv2, libc (>= "
                                            "4) | libc") PKG("gpgv", "1", "Priority: optional")
                                                PKG("extra", "1", "Priority: important") PKG(
                                                        "needs-missing", "1",
                                                        "Priority: optional\nDepends: nothere (>= "
                                                        "1)") "Package: other-arch\nVersion: "
                                                              "1\nArchitecture: arm64\nPriority: "
                                                              "required\n";
        apt_index *x = apt_index_new("amd64");
        err_t e = {0};
        CHECK_INT(apt_index_add(x, idx, strlen(idx), "P", &e), 0);
        CHECK_INT(apt_index_count(x), 16);
        CHECK_STR(apt_index_candidate(x, "libc")->version, "3");
        CHECK(apt_index_candidate(x, "other-arch") == NULL);
        size_t n;
        apt_index_providers(x, "vpkg", &n);
        CHECK_INT(n, 3);

        apt_selection s;
        CHECK_INT(apt_select(x, APT_VARIANT_MINBASE, NULL, NULL, &s, &e), 0);
        CHECK(selected(&s, "base"));
        CHECK(selected(&s, "mawk")); /* required provider already chosen */
        CHECK(!selected(&s, "gawk"));
        CHECK(selected(&s, "libc"));
        CHECK(selected(&s, "libz"));
        CHECK(selected(&s, "real-b")); /* first satisfiable alternative */
        CHECK(!selected(&s, "real-c"));
        CHECK(selected(&s, "prov-new")); /* versioned virtual: only (= 2) fits */
        CHECK(!selected(&s, "prov-old"));
        CHECK(!selected(&s, "prov-any"));
        CHECK(selected(&s, "apt"));
        CHECK(selected(&s, "gpgv"));
        CHECK(!selected(&s, "extra"));
        CHECK_INT(s.n_required, 6); /* base mawk libc libz real-b prov-new */
        for (size_t i = 0; i < s.n; i++)
                if (!strcmp(s.pkgs[i]->name, "libc"))
                        CHECK_STR(s.pkgs[i]->version, "3");
        apt_selection_free(&s);

        CHECK_INT(apt_select(x, APT_VARIANT_REQUIRED, NULL, NULL, &s, &e), 0);
        CHECK(!selected(&s, "apt"));
        apt_selection_free(&s);
        CHECK_INT(apt_select(x, APT_VARIANT_IMPORTANT, NULL, NULL, &s, &e), 0);
        CHECK(selected(&s, "extra"));
        apt_selection_free(&s);
        /* essential: base and what it needs (mawk through awk), all of
         * it the first stage's; no apt. */
        CHECK_INT(apt_select(x, APT_VARIANT_ESSENTIAL, NULL, NULL, &s, &e), 0);
        CHECK(selected(&s, "base"));
        CHECK(selected(&s, "mawk"));
        CHECK(!selected(&s, "apt"));
        CHECK_INT(s.n, 6);
        CHECK_INT(s.n_required, 6);
        apt_selection_free(&s);
        /* buildd needs build-essential, which this index lacks. */
        CHECK(apt_select(x, APT_VARIANT_BUILDD, NULL, NULL, &s, &e) < 0);
        CHECK_STR(e.msg, "package build-essential: not in the index");
        apt_variant v;
        CHECK_INT(apt_variant_parse("buildd", &v), 0);
        CHECK_INT(v, APT_VARIANT_BUILDD);
        CHECK_INT(apt_variant_parse("essential", &v), 0);
        CHECK_INT(v, APT_VARIANT_ESSENTIAL);
        CHECK(apt_variant_parse("Essential", &v) < 0);

        /* --exclude steers alternatives; --include adds. */
        strv excl = {0}, incl = {0};
        strv_push(&excl, "real-b");
        strv_push(&incl, "gawk");
        CHECK_INT(apt_select(x, APT_VARIANT_MINBASE, &incl, &excl, &s, &e), 0);
        CHECK(!selected(&s, "real-b"));
        CHECK(selected(&s, "real-c"));
        CHECK(selected(&s, "gawk"));
        apt_selection_free(&s);
        /* Excluding the only provider that fits leaves the need unmet,
         * as asked, instead of failing. */
        strv_free(&excl);
        strv_push(&excl, "prov-new");
        CHECK_INT(apt_select(x, APT_VARIANT_MINBASE, NULL, &excl, &s, &e), 0);
        CHECK(selected(&s, "real-b"));
        CHECK(!selected(&s, "prov-new"));
        CHECK(!selected(&s, "prov-any"));
        apt_selection_free(&s);
        strv_free(&excl);

        strv_push(&incl, "needs-missing");
        CHECK(apt_select(x, APT_VARIANT_MINBASE, &incl, NULL, &s, &e) < 0);
        CHECK(strstr(e.msg, "needs-missing Depends nothere (>= 1)") != NULL);
        strv_free(&incl);
        strv_push(&incl, "no-such-package");
        CHECK(apt_select(x, APT_VARIANT_MINBASE, &incl, NULL, &s, &e) < 0);
        strv_free(&incl);
        apt_index_free(x);

        /* Hostile index entries. */
        static const char *const bad[] = {
                "Package: a\nVersion: 1\nArchitecture: amd64\nFilename: ../x.deb\nSize: 1\nSHA256: "
                "0000000000000000000000000000000000000000000000000000000000000000\n",
                "Package: a\nVersion: 1\nArchitecture: amd64\nFilename: x.deb\nSize: -1\nSHA256: "
                "0000000000000000000000000000000000000000000000000000000000000000\n",
                "Package: a\nVersion: 1\nArchitecture: amd64\nFilename: x.deb\nSize: 1\nSHA256: "
                "00\n",
                "Version: 1\nArchitecture: amd64\n",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                x = apt_index_new("amd64");
                CHECK(apt_index_add(x, bad[i], strlen(bad[i]), "P", &e) < 0);
                apt_index_free(x);
        }
}

/* One index over several pockets: a name's candidate is its highest
 * version in any of them, and knows the archive it is from. */
static void test_index_pockets(void)
{
        err_t e = {0};
        const char *sha = "0000000000000000000000000000000000000000000000000000000000000000";
        _cleanup_free_ char *rel = xasprintf(
                "Package: a\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/a_1.0.deb\n"
                "Size: 1\nSHA256: %s\n\nPackage: b\nVersion: 2\nArchitecture: all\n"
                "Filename: pool/b_2.deb\nSize: 1\nSHA256: %s\n",
                sha, sha);
        _cleanup_free_ char *upd = xasprintf(
                "Package: a\nVersion: 1.0+deb1u1\nArchitecture: amd64\n"
                "Filename: pool/a_1.0+deb1u1.deb\nSize: 1\nSHA256: %s\n\n"
                "Package: b\nVersion: 1:0.1\nArchitecture: all\nFilename: pool/b_0.1.deb\n"
                "Size: 1\nSHA256: %s\n",
                sha, sha);
        _cleanup_free_ char *sec =
                xasprintf("Package: a\nVersion: 1.0+deb1u0\nArchitecture: amd64\n"
                          "Filename: pool/a_1.0+deb1u0.deb\nSize: 1\nSHA256: %s\n",
                          sha);
        apt_index *x = apt_index_new("amd64");
        CHECK_INT(apt_index_add_from(x, rel, strlen(rel), "http://m.invalid/d", "R", &e), 0);
        CHECK_INT(apt_index_add_from(x, upd, strlen(upd), "http://m.invalid/d", "U", &e), 0);
        CHECK_INT(apt_index_add_from(x, sec, strlen(sec), "http://s.invalid/d-security", "S", &e),
                  0);
        const apt_pkg *a = apt_index_candidate(x, "a");
        CHECK(a && !strcmp(a->version, "1.0+deb1u1"));
        CHECK(a && a->origin && !strcmp(a->origin, "http://m.invalid/d"));
        /* The epoch in the updates pocket wins over the release's 2. */
        const apt_pkg *b = apt_index_candidate(x, "b");
        CHECK(b && !strcmp(b->version, "1:0.1"));
        apt_index_free(x);
        /* A security pocket's higher version names its own archive. */
        x = apt_index_new("amd64");
        CHECK_INT(apt_index_add_from(x, rel, strlen(rel), "http://m.invalid/d", "R", &e), 0);
        CHECK_INT(apt_index_add_from(x, sec, strlen(sec), "http://s.invalid/d-security", "S", &e),
                  0);
        a = apt_index_candidate(x, "a");
        CHECK(a && a->origin && !strcmp(a->origin, "http://s.invalid/d-security"));
        CHECK(apt_index_count(x) == 3);
        apt_index_free(x);
}

/* debootstrap's package list for a variant, computed offline from a saved
 * subset of bookworm's Packages (every package the closures visit, with
 * all the alternatives and providers they could choose from, and every
 * Essential, required and important one). */
static void check_bookworm(apt_variant v, const char *includes, const char *list_file)
{
        err_t e = {0};
        _cleanup_free_ char *pk = NULL, *list = NULL;
        size_t pl, ll;
        CHECK_INT(fs_read_file_at(AT_FDCWD, APT_TEST_DATA "/bookworm-Packages", 1 << 24, &pk, &pl,
                                  &e),
                  0);
        _cleanup_free_ char *lp = xasprintf("%s/%s", APT_TEST_DATA, list_file);
        CHECK_INT(fs_read_file_at(AT_FDCWD, lp, 1 << 20, &list, &ll, &e), 0);
        if (!pk || !list)
                return;
        apt_index *x = apt_index_new("amd64");
        CHECK_INT(apt_index_add(x, pk, pl, "bookworm-Packages", &e), 0);
        strv excl = {0}, incl = {0};
        strv_push(&excl, "usrmerge"); /* as mkroot does for a merged-/usr suite */
        _cleanup_free_ char *inc = xstrdup(includes);
        char *save = NULL;
        for (char *w = strtok_r(inc, ",", &save); w; w = strtok_r(NULL, ",", &save))
                strv_push(&incl, w);
        apt_selection s;
        CHECK_INT(apt_select(x, v, &incl, &excl, &s, &e), 0);
        strv want = {0};
        save = NULL;
        for (char *w = strtok_r(list, "\n", &save); w; w = strtok_r(NULL, "\n", &save))
                strv_push(&want, w);
        CHECK_INT(s.n, want.n);
        for (size_t i = 0; i < want.n; i++)
                if (!selected(&s, want.v[i])) {
                        fprintf(stderr, "%s: debootstrap has %s, mkroot does not\n", list_file,
                                want.v[i]);
                        CHECK(false);
                }
        for (size_t i = 0; i < s.n; i++)
                if (!strv_contains(&want, s.pkgs[i]->name)) {
                        fprintf(stderr, "%s: mkroot has %s, debootstrap does not\n", list_file,
                                s.pkgs[i]->name);
                        CHECK(false);
                }
        apt_selection_free(&s);
        strv_free(&want);
        strv_free(&excl);
        strv_free(&incl);
        apt_index_free(x);
}

static void write_text(const char *path, const char *text)
{
        err_t e = {0};
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, &e), 0);
}

static void test_suites_and_mirrors(void)
{
        char tmpl[TEST_TMPL_MAX];
        char *dir = mkdtemp(test_tmpl(tmpl, "test-apt"));
        CHECK(dir != NULL);
        if (!dir)
                return;
        err_t e = {0};
        _cleanup_free_ char *mdir = path_join(dir, "manifests");
        _cleanup_free_ char *etc = path_join(dir, "etc-apt");
        _cleanup_free_ char *sld = path_join(etc, "sources.list.d");
        CHECK_INT(fs_mkdir_p_at(AT_FDCWD, mdir, 0755, &e), 0);
        CHECK_INT(fs_mkdir_p_at(AT_FDCWD, sld, 0755, &e), 0);
        _cleanup_free_ char *m1 = path_join(mdir, "deb1.deb822");
        write_text(m1, "# a comment\nSuite: deb1\nDistribution: debian\nComponents: main contrib\n"
                       "Architectures: amd64 arm64\nMerged-Usr: yes\nSigned-By:\n"
                       " -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n");
        _cleanup_free_ char *m2 = path_join(mdir, "ubu1.deb822");
        write_text(m2, "Suite: ubu1\nDistribution: ubuntu\nComponents: main\n");
        setenv("MKROOT_MANIFESTS", mdir, 1);

        apt_suite s;
        CHECK_INT(apt_suite_load("deb1", &s, &e), 0);
        CHECK_STR(s.codename, "deb1");
        CHECK_INT(s.components.n, 2);
        CHECK(s.merged_usr);
        CHECK(s.signed_by && strncmp(s.signed_by, "-----BEGIN", 10) == 0);
        CHECK(strv_contains(&s.architectures, "arm64"));

        /* The host's sources: the security mirror (only -security) and a
         * foreign keyring are passed over; deb822 and one-line forms. */
        _cleanup_free_ char *f1 = path_join(sld, "a.sources");
        write_text(f1,
                   "Types: deb\nURIs: http://sec.invalid/debian-security\n"
                   "Suites: deb1-security\nComponents: main\n"
                   "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
                   "Types: deb-src\nURIs: http://src.invalid/debian\nSuites: deb1\n"
                   "Components: main\n\n"
                   "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: other other-updates\n"
                   "Components: main\n"
                   "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
        _cleanup_free_ char *f2 = path_join(sld, "b.list");
        write_text(f2, "# comment\ndeb [arch=amd64 signed-by=/k/ubuntu-archive-keyring.gpg] "
                       "http://ubu.invalid/ubuntu ubu1 main\n");
        char *m = apt_host_mirror(etc, &s);
        CHECK_STR(m, "http://mirror.invalid/debian");
        free(m);
        apt_suite u;
        CHECK_INT(apt_suite_load("ubu1", &u, &e), 0);
        m = apt_host_mirror(etc, &u);
        CHECK_STR(m, "http://ubu.invalid/ubuntu");
        free(m);
        /* The security archive: the source naming some SUITE-security
         * for the distribution, whichever suite that is; none for ubu1. */
        m = apt_host_security(etc, &s);
        CHECK_STR(m, "http://sec.invalid/debian-security");
        free(m);
        m = apt_host_security(etc, &u);
        CHECK(m == NULL);
        free(m);
        _cleanup_free_ char *f3 = path_join(sld, "c.list");
        write_text(f3, "deb http://sec2.invalid/debian-security/ old-security main\n");
        unlink(f1);
        m = apt_host_security(etc, &s);
        CHECK_STR(m, "http://sec2.invalid/debian-security");
        free(m);
        unsigned pk = 0;
        CHECK_INT(apt_pockets_parse("release,security", &pk, &e), 0);
        CHECK_INT(pk, (1u << APT_POCKET_RELEASE) | (1u << APT_POCKET_SECURITY));
        CHECK_INT(apt_pockets_parse("release", &pk, &e), 0);
        CHECK_INT(pk, 1u << APT_POCKET_RELEASE);
        CHECK(apt_pockets_parse("release,backports", &pk, &e) == -EINVAL);
        CHECK_STR(e.msg, "--pockets: unknown pocket \"backports\" (release, updates, security)");
        CHECK(apt_pockets_parse("updates", &pk, &e) == -EINVAL);
        CHECK(apt_pockets_parse("", &pk, &e) == -EINVAL);
        apt_suite_free(&u);
        apt_suite_free(&s);

        CHECK(apt_suite_load("nope", &s, &e) == -ENOENT);
        CHECK(strstr(e.msg, "known: ") && strstr(e.msg, "deb1") && strstr(e.msg, "ubu1"));
        CHECK(apt_suite_load("../x", &s, &e) < 0);
        strv all = {0};
        apt_suite_list(&all);
        CHECK(strv_contains(&all, "deb1"));
        strv_free(&all);
        _cleanup_free_ char *bad = path_join(mdir, "bad.deb822");
        write_text(bad, "Suite: bad\n");
        CHECK(apt_suite_load("bad", &s, &e) < 0);
        unsetenv("MKROOT_MANIFESTS");
        fs_rm_rf_at(AT_FDCWD, dir, &e);
}

/* ---- hostile .deb files ------------------------------------------------ */

typedef struct tentry {
        const char *path;
        char type; /* 'f' file, 'd' dir, 'l' symlink, 'h' hardlink */
        const char *target;
} tentry;

/* A data.tar.gz in memory with the given entries. */
static void *make_tar(const tentry *ents, size_t n, size_t *ret_len)
{
        size_t cap = 1 << 16;
        void *buf = xmalloc(cap);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
        size_t used = 0;
        archive_write_open_memory(a, buf, cap, &used);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *en = archive_entry_new();
                archive_entry_set_pathname(en, ents[i].path);
                archive_entry_set_perm(en, 0644);
                if (ents[i].type == 'd') {
                        archive_entry_set_filetype(en, AE_IFDIR);
                        archive_entry_set_perm(en, 0755);
                } else if (ents[i].type == 'l') {
                        archive_entry_set_filetype(en, AE_IFLNK);
                        archive_entry_set_symlink(en, ents[i].target);
                } else if (ents[i].type == 'h') {
                        archive_entry_set_filetype(en, AE_IFREG);
                        archive_entry_set_hardlink(en, ents[i].target);
                } else {
                        archive_entry_set_filetype(en, AE_IFREG);
                        archive_entry_set_size(en, 5);
                }
                archive_write_header(a, en);
                if (ents[i].type == 'f')
                        archive_write_data(a, "evil\n", 5);
                archive_entry_free(en);
        }
        archive_write_close(a);
        archive_write_free(a);
        *ret_len = used;
        return buf;
}

static void make_deb(const char *path, const tentry *ents, size_t n)
{
        size_t dlen;
        _cleanup_free_ void *data = make_tar(ents, n, &dlen);
        tentry ctl[] = {{"./control", 'f', NULL}};
        size_t clen;
        _cleanup_free_ void *control = make_tar(ctl, 1, &clen);
        struct archive *a = archive_write_new();
        archive_write_set_format_ar_svr4(a);
        archive_write_open_filename(a, path);
        const struct {
                const char *name;
                const void *data;
                size_t len;
        } m[] = {{"debian-binary", "2.0\n", 4},
                 {"control.tar.gz", control, clen},
                 {"data.tar.gz", data, dlen}};
        for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
                struct archive_entry *en = archive_entry_new();
                archive_entry_set_pathname(en, m[i].name);
                archive_entry_set_filetype(en, AE_IFREG);
                archive_entry_set_perm(en, 0644);
                archive_entry_set_size(en, (la_int64_t)m[i].len);
                archive_write_header(a, en);
                archive_write_data(a, m[i].data, m[i].len);
                archive_entry_free(en);
        }
        archive_write_close(a);
        archive_write_free(a);
}

static void test_deb_extract(void)
{
        char tmpl[TEST_TMPL_MAX];
        char *dir = mkdtemp(test_tmpl(tmpl, "test-apt-deb"));
        CHECK(dir != NULL);
        if (!dir)
                return;
        err_t e = {0};
        _cleanup_free_ char *root = path_join(dir, "root");
        _cleanup_free_ char *outside = path_join(dir, "outside");
        _cleanup_free_ char *deb = path_join(dir, "t.deb");
        mkdir(root, 0755);
        mkdir(outside, 0755);
        _cleanup_free_ char *usr_bin = path_join(root, "usr/bin");
        fs_mkdir_p_at(AT_FDCWD, usr_bin, 0755, &e);
        _cleanup_free_ char *binlink = path_join(root, "bin");
        CHECK_INT(symlink("usr/bin", binlink), 0);
        const char *const merged[] = {"bin", "sbin", "lib", NULL};

        /* A good package: bin/ entries land in usr/bin through the
         * merged-/usr redirection, the bin symlink stays. */
        tentry good[] = {{"./", 'd', NULL},
                         {"./bin/", 'd', NULL},
                         {"./bin/tool", 'f', NULL},
                         {"./bin/tool2", 'h', "./bin/tool"},
                         {"./usr/share/doc/x/", 'd', NULL},
                         {"./usr/share/doc/x/README", 'f', NULL}};
        make_deb(deb, good, ARRAY_SIZE(good));
        CHECK_INT(apt_deb_extract(deb, root, merged, &e), 0);
        _cleanup_free_ char *tool = path_join(root, "usr/bin/tool2");
        CHECK(access(tool, F_OK) == 0);
        struct stat st;
        CHECK(lstat(binlink, &st) == 0 && S_ISLNK(st.st_mode));
        char *ctl = NULL;
        size_t cl;
        CHECK_INT(apt_deb_control_file(deb, "control", &ctl, &cl, &e), 0);
        CHECK(ctl && cl == 5);
        free(ctl);
        CHECK(apt_deb_control_file(deb, "postinst", &ctl, &cl, &e) == -ENOENT);

        /* deb-dotdot-escape */
        tentry dotdot[] = {{"./../outside/pwned", 'f', NULL}};
        make_deb(deb, dotdot, ARRAY_SIZE(dotdot));
        CHECK(apt_deb_extract(deb, root, merged, &e) < 0);
        CHECK(strstr(e.msg, "t.deb: data.tar: entry \"./../outside/pwned\": leaves the root") !=
              NULL);
        _cleanup_free_ char *pwned = path_join(outside, "pwned");
        CHECK(access(pwned, F_OK) != 0);

        /* deb-symlink-escape: a symlink out of the root, then a file
         * written through it: the extractor follows the link inside the
         * root, so the file lands at ROOT/OUTSIDE/pwned. */
        tentry sym[] = {{"./usr/evil", 'l', outside}, {"./usr/evil/pwned", 'f', NULL}};
        make_deb(deb, sym, ARRAY_SIZE(sym));
        CHECK_INT(apt_deb_extract(deb, root, merged, &e), 0);
        CHECK(access(pwned, F_OK) != 0);
        _cleanup_free_ char *contained = xasprintf("%s%s/pwned", root, outside);
        CHECK(access(contained, F_OK) == 0);

        /* deb-hardlink-escape */
        tentry hl[] = {{"./usr/hl", 'h', "../../outside/x"}};
        make_deb(deb, hl, ARRAY_SIZE(hl));
        CHECK(apt_deb_extract(deb, root, merged, &e) < 0);
        CHECK(strstr(e.msg, "hardlink to \"../../outside/x\": leaves the root") != NULL);

        /* Not a .deb at all, and a truncated one. */
        write_text(deb, "!<arch>\nnonsense");
        CHECK(apt_deb_extract(deb, root, merged, &e) < 0);
        CHECK(e.msg[0] != '\0' && !strchr(e.msg, '\n'));
        fs_rm_rf_at(AT_FDCWD, dir, &e);
}

typedef struct dl_seen {
        size_t reports, finished, last_done, last_total;
        int64_t last_bytes;
        bool report_after_finish;
} dl_seen;

static void dl_progress(const apt_dl_progress *p, void *userdata)
{
        dl_seen *s = userdata;
        if (s->finished)
                s->report_after_finish = true;
        if (p->finished) {
                s->finished++;
                return;
        }
        s->reports++;
        s->last_done = p->done_files;
        s->last_total = p->total_files;
        s->last_bytes = p->done_bytes;
}

/* Downloads report through the caller's callback (the library draws
 * nothing): counts and bytes, then one call with finished set. A file
 * already in the cache is not counted again. */
static void test_download_progress(void)
{
        char tmpl[TEST_TMPL_MAX];
        char *dir = mkdtemp(test_tmpl(tmpl, "test-apt"));
        CHECK(dir != NULL);
        if (!dir)
                return;
        const char *body[] = {"first file\n", "the second one, longer\n"};
        apt_dl *items = xcalloc(2, sizeof(*items));
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *p = xasprintf("%s/f%zu", dir, i);
                write_text(p, body[i]);
                char hex[DIGEST_HEX_LEN + 1];
                digest_buf(body[i], strlen(body[i]), hex);
                items[i] = (apt_dl){.url = xasprintf("file://%s", p),
                                    .sha256 = xstrdup(hex),
                                    .size = (int64_t)strlen(body[i])};
        }
        _cleanup_free_ char *cache = path_join(dir, "cache");
        dl_seen seen = {0};
        apt_dl_opts o = {
                .dir = cache, .retries = 0, .progress = dl_progress, .progress_data = &seen};
        err_t e = {0};
        CHECK_INT(apt_download(items, 2, &o, &e), 0);
        CHECK(seen.reports >= 1);
        CHECK_INT(seen.finished, 1);
        CHECK(!seen.report_after_finish);
        CHECK_INT(seen.last_done, 2);
        CHECK_INT(seen.last_total, 2);
        CHECK_INT(seen.last_bytes, (int64_t)(strlen(body[0]) + strlen(body[1])));
        CHECK(items[1].path && access(items[1].path, R_OK) == 0);
        apt_dl_free(items, 2);

        /* Both in the cache now: nothing to fetch, nothing reported. */
        items = xcalloc(1, sizeof(*items));
        char hex[DIGEST_HEX_LEN + 1];
        digest_buf(body[0], strlen(body[0]), hex);
        items[0] = (apt_dl){.url = xasprintf("file://%s/gone", dir),
                            .sha256 = xstrdup(hex),
                            .size = (int64_t)strlen(body[0])};
        seen = (dl_seen){0};
        CHECK_INT(apt_download(items, 1, &o, &e), 0);
        CHECK_INT(seen.reports + seen.finished, 0);
        apt_dl_free(items, 1);

        /* A failed download still ends with the finished call. */
        items = xcalloc(1, sizeof(*items));
        items[0] = (apt_dl){.url = xasprintf("file://%s/missing", dir), .size = -1};
        seen = (dl_seen){0};
        CHECK(apt_download(items, 1, &o, &e) < 0);
        CHECK(strstr(e.msg, "missing") != NULL);
        CHECK_INT(seen.finished, 1);
        apt_dl_free(items, 1);
        fs_rm_rf_at(AT_FDCWD, dir, &e);
}

int main(void)
{
        log_init("test_apt");
        test_download_progress();
        test_deb822();
        test_versions();
        test_relations();
        test_release();
        test_select_synthetic();
        test_index_pockets();
        test_suites_and_mirrors();
        test_deb_extract();
        check_bookworm(APT_VARIANT_MINBASE, "", "bookworm-debootstrap-minbase.list");
        /* debootstrap's default variant is required + important. */
        check_bookworm(APT_VARIANT_IMPORTANT, "", "bookworm-debootstrap-important.list");
        check_bookworm(APT_VARIANT_MINBASE, "vim,curl",
                       "bookworm-debootstrap-minbase-vim-curl.list");
        /* sbuild's chroots: debootstrap --variant=buildd. */
        check_bookworm(APT_VARIANT_BUILDD, "", "bookworm-debootstrap-buildd.list");
        /* mmdebstrap --variant=essential, but for usrmerge: mmdebstrap
         * merges /usr by installing it (and the perl it needs), mkroot
         * makes the links first and takes usr-is-merged, as debootstrap
         * does. */
        check_bookworm(APT_VARIANT_ESSENTIAL, "", "bookworm-mmdebstrap-essential.list");
        TEST_END();
}
