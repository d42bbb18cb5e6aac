/* runner/unpack: runroot's extraction policy over extract/ (whose own
 * rules are tested in tests/unit/extract). Archives are written with
 * libarchive into a temp file, then unpacked into an empty directory;
 * nothing may appear outside it. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "test.h"

static char tmp[TEST_TMPL_MAX];

typedef struct ent {
        const char *name;
        mode_t type;      /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, or 0 for a hardlink */
        const char *data; /* content, symlink or hardlink target */
} ent;

static char *make_archive(const char *name, const ent *ents, size_t n, bool gzip)
{
        char *path = path_join(tmp, name);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (gzip)
                archive_write_add_filter_gzip(a);
        archive_write_open_filename(a, path);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, ents[i].name);
                if (ents[i].type == 0) {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, ents[i].data);
                        archive_entry_set_size(e, 0);
                } else {
                        archive_entry_set_filetype(e, ents[i].type);
                        archive_entry_set_perm(e, ents[i].type == AE_IFDIR ? 0755 : 0644);
                        if (ents[i].type == AE_IFLNK)
                                archive_entry_set_symlink(e, ents[i].data);
                        if (ents[i].type == AE_IFCHR)
                                archive_entry_set_rdev(e, makedev(1, 3));
                        if (ents[i].type == AE_IFREG)
                                archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
                }
                archive_write_header(a, e);
                if (ents[i].type == AE_IFREG)
                        archive_write_data(a, ents[i].data, strlen(ents[i].data));
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        return path;
}

/* Unpack into a fresh dir; returns the unpack result, *ret_dir the dir. */
static int unpack(const char *archive, char **ret_dir, char *digest, err_t *e)
{
        static int n;
        char *dir = xasprintf("%s/out%d", tmp, n++);
        mkdir(dir, 0755);
        int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = open(archive, O_RDONLY | O_CLOEXEC);
        int r = unpack_archive_fd(fd, rootfd, archive, digest, NULL, e);
        close(fd);
        close(rootfd);
        *ret_dir = dir;
        return r;
}

static char *read_at(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = path_join(dir, rel);
        char *data = NULL;
        size_t len;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, p, 4096, &data, &len, &e) < 0)
                return NULL;
        return data;
}

static bool outside_clean(void)
{
        _cleanup_free_ char *o = path_join(tmp, "outside");
        _cleanup_closedir_ DIR *d = opendir(o);
        struct dirent *de;
        int n = 0;
        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        _cleanup_free_ char *esc = path_join(tmp, "escaped");
        return n == 0 && access(esc, F_OK) < 0;
}

int main(void)
{
        CHECK(mkdtemp(test_tmpl(tmp, "test_unpack")) != NULL);
        _cleanup_free_ char *outside = path_join(tmp, "outside");
        mkdir(outside, 0755);
        _cleanup_free_ char *victim = path_join(tmp, "victim");
        err_t e = {0};
        fs_write_atomic_at(AT_FDCWD, victim, "host", 4, 0644, &e);

        /* An ordinary tree, gzip'd: files, dirs, symlinks, hardlinks,
         * entries before their parents; the digest is the file's sha256. */
        const ent ok[] = {
                {"./etc/", AE_IFDIR, NULL},
                {"./etc/passwd", AE_IFREG, "root:x:0:0::/root:/bin/sh\n"},
                {"usr/bin/tool", AE_IFREG, "tool"},
                {"bin", AE_IFLNK, "usr/bin"},
                {"etc/hl", 0, "etc/passwd"},
                {"./", AE_IFDIR, NULL},
        };
        _cleanup_free_ char *a = make_archive("ok.tar.gz", ok, ARRAY_SIZE(ok), true);
        _cleanup_free_ char *dir = NULL;
        char digest[DIGEST_HEX_LEN + 1], want[DIGEST_HEX_LEN + 1];
        CHECK_INT(unpack(a, &dir, digest, &e), 0);
        int afd = open(a, O_RDONLY | O_CLOEXEC);
        digest_fd(afd, want, &e);
        close(afd);
        CHECK_STR(digest, want);
        _cleanup_free_ char *t1 = read_at(dir, "bin/tool");
        CHECK_STR(t1, "tool");
        _cleanup_free_ char *hlp = path_join(dir, "etc/hl");
        struct stat st;
        CHECK(stat(hlp, &st) == 0 && st.st_nlink == 2);

        /* Refused: the unpack fails, nothing outside. */
        const struct {
                const char *what;
                ent e[3];
                size_t n;
        } bad[] = {
                {"dotdot", {{"../escaped", AE_IFREG, "x"}}, 1},
                {"dotdot-deep", {{"a/b/../../../escaped", AE_IFREG, "x"}}, 1},
                {"hardlink-abs", {{"hl", 0, "/etc/passwd"}}, 1},
                {"hardlink-dotdot", {{"hl", 0, "../victim"}}, 1},
                {"hardlink-missing", {{"hl", 0, "nothere"}}, 1},
                {"hardlink-dir", {{"d", AE_IFDIR, NULL}, {"hl", 0, "d"}}, 2},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                _cleanup_free_ char *name = xasprintf("%s.tar", bad[i].what);
                _cleanup_free_ char *ap = make_archive(name, bad[i].e, bad[i].n, false);
                _cleanup_free_ char *d = NULL;
                err_clear(&e);
                int r = unpack(ap, &d, NULL, &e);
                if (r >= 0)
                        fprintf(stderr, "not refused: %s\n", bad[i].what);
                CHECK(r < 0);
                CHECK(e.msg[0] != '\0');
                CHECK(outside_clean());
        }
        _cleanup_free_ char *vdata = read_at(tmp, "victim");
        CHECK_STR(vdata, "host");

        /* A hardlink to a symlink links the symlink itself, as tar makes
         * it, also one pointing out of the root: nothing is followed. */
        const ent hs[] = {{"s", AE_IFLNK, "/etc/passwd"}, {"hl", 0, "s"}};
        _cleanup_free_ char *hsa = make_archive("hardlink-symlink.tar", hs, 2, false);
        _cleanup_free_ char *hsd = NULL;
        CHECK_INT(unpack(hsa, &hsd, NULL, &e), 0);
        _cleanup_free_ char *hsl = path_join(hsd, "hl");
        char lt[64];
        ssize_t ln = readlink(hsl, lt, sizeof lt - 1);
        CHECK(ln == 11 && !memcmp(lt, "/etc/passwd", 11));
        CHECK(outside_clean());

        /* Contained: an absolute name is relative to the root (as tar and
         * docker take it); symlinks pointing out are followed inside it. */
        _cleanup_free_ char *out_abs = xasprintf("%s/x", outside);
        _cleanup_free_ char *abs_name = xasprintf("%s/escaped-abs", tmp);
        const ent cont[] = {
                {abs_name, AE_IFREG, "abs"},     {"link", AE_IFLNK, outside},
                {"link/x", AE_IFREG, "in"},      {"rel", AE_IFLNK, "../../../../../../../../.."},
                {"rel/escaped", AE_IFREG, "in"}, {"d", AE_IFDIR, NULL},
                {"d/f", AE_IFREG, "f"},          {"d", AE_IFLNK, "/"},
                {"d/victim", AE_IFREG, "in"},    {"vl", AE_IFLNK, victim},
                {"vl", AE_IFREG, "replaced"},
        };
        _cleanup_free_ char *ca = make_archive("contained.tar", cont, ARRAY_SIZE(cont), false);
        _cleanup_free_ char *cd = NULL;
        CHECK_INT(unpack(ca, &cd, NULL, &e), 0);
        CHECK(outside_clean());
        _cleanup_free_ char *inx = xasprintf("%s/x", outside + 1);
        _cleanup_free_ char *in1 = read_at(cd, inx);
        CHECK_STR(in1, "in");
        _cleanup_free_ char *in2 = read_at(cd, "escaped");
        CHECK_STR(in2, "in");
        _cleanup_free_ char *in3 = read_at(cd, "victim");
        CHECK_STR(in3, "in");
        _cleanup_free_ char *in4 = read_at(cd, "vl");
        CHECK_STR(in4, "replaced");
        _cleanup_free_ char *v2 = read_at(tmp, "victim");
        CHECK_STR(v2, "host");
        _cleanup_free_ char *in5 = read_at(cd, abs_name + 1);
        CHECK_STR(in5, "abs");
        CHECK(access(abs_name, F_OK) < 0);
        (void)out_abs;

        /* Device nodes: never made (a container's devices are runroot's
         * /dev), counted for --verbose. */
        const ent dev[] = {{"dev/null2", AE_IFCHR, NULL}, {"f", AE_IFREG, "x"}};
        _cleanup_free_ char *da = make_archive("dev.tar", dev, ARRAY_SIZE(dev), false);
        _cleanup_free_ char *dd = NULL;
        unpack_stats stats;
        mkdir((dd = xasprintf("%s/devout", tmp)), 0755);
        int rfd = open(dd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int dfd = open(da, O_RDONLY | O_CLOEXEC);
        CHECK_INT(unpack_archive_fd(dfd, rfd, "dev.tar", NULL, &stats, &e), 0);
        close(dfd);
        close(rfd);
        CHECK_INT(stats.skipped_devices, 1);
        CHECK_INT(stats.entries, 1); /* f: dev/ was made as its parent */
        _cleanup_free_ char *dn = path_join(dd, "dev/null2");
        CHECK(access(dn, F_OK) < 0);

        /* Not archives, truncated, empty. */
        _cleanup_free_ char *junk = path_join(tmp, "junk");
        fs_write_atomic_at(AT_FDCWD, junk, "this is not a tar archive at all, not even close....",
                           52, 0644, &e);
        _cleanup_free_ char *jd = NULL;
        CHECK(unpack(junk, &jd, NULL, &e) < 0);
        _cleanup_free_ char *trunc = path_join(tmp, "trunc.tar.gz");
        {
                char *data = NULL;
                size_t len;
                fs_read_file_at(AT_FDCWD, a, 1 << 20, &data, &len, &e);
                fs_write_atomic_at(AT_FDCWD, trunc, data, len / 2, 0644, &e);
                free(data);
        }
        _cleanup_free_ char *td = NULL;
        CHECK(unpack(trunc, &td, NULL, &e) < 0);
        _cleanup_free_ char *empty = path_join(tmp, "empty.tar");
        fs_write_atomic_at(AT_FDCWD, empty, "", 0, 0644, &e);
        _cleanup_free_ char *ed = NULL;
        CHECK(unpack(empty, &ed, NULL, &e) < 0);

        fs_rm_rf_at(AT_FDCWD, tmp, &e);
        TEST_END();
}
