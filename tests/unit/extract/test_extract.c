/* extract/: the name cleaner, the in-root resolver and the writer. Each
 * hostile archive is unpacked into a fresh root next to an "outside"
 * directory and a victim file; nothing may change outside the root, and a
 * refusal must say which archive and which entry. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "extract.h"
#include "test.h"
#include "xt-internal.h"

static char tmp[TEST_TMPL_MAX];

typedef struct ent {
        const char *name;
        char type; /* 'f' file, 'd' dir, 'l' symlink, 'h' hardlink, 'c' char device, 'p' fifo */
        const char *data; /* content, symlink or hardlink target */
        int uid;
        mode_t perm;
        const char *xattr; /* "name=value" */
} ent;

static char *make_archive(const char *name, const ent *ents, size_t n)
{
        char *path = path_join(tmp, name);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_open_filename(a, path);
        for (size_t i = 0; i < n; i++) {
                const ent *t = &ents[i];
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, t->name);
                archive_entry_set_uid(e, t->uid);
                archive_entry_set_gid(e, t->uid);
                archive_entry_set_mtime(e, 1000000, 0);
                mode_t perm = t->perm ? t->perm : t->type == 'd' ? 0755 : 0644;
                archive_entry_set_perm(e, perm);
                size_t len = t->type == 'f' && t->data ? strlen(t->data) : 0;
                switch (t->type) {
                case 'f': archive_entry_set_filetype(e, AE_IFREG); break;
                case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
                case 'l':
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, t->data);
                        break;
                case 'h':
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, t->data);
                        break;
                case 'c':
                        archive_entry_set_filetype(e, AE_IFCHR);
                        archive_entry_set_rdev(e, makedev(1, 3));
                        break;
                case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
                default: fprintf(stderr, "test: unknown entry type '%c'\n", t->type); abort();
                }
                archive_entry_set_size(e, (la_int64_t)len);
                if (t->xattr) {
                        const char *eq = strchr(t->xattr, '=');
                        _cleanup_free_ char *xn = xstrndup(t->xattr, (size_t)(eq - t->xattr));
                        archive_entry_xattr_add_entry(e, xn, eq + 1, strlen(eq + 1));
                }
                archive_write_header(a, e);
                if (len)
                        archive_write_data(a, t->data, len);
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        return path;
}

static int n_roots;
/* Every test through extract() runs twice: regular files written by the
 * extractor's thread, then by writer threads. */
static unsigned writers;

static int open_fds(void)
{
        int n = 0;
        _cleanup_strv_ strv names = {0};
        if (fs_list_dir_at(AT_FDCWD, "/proc/self/fd", &names) == 0)
                n = (int)names.n;
        return n;
}

/* Unpack into a fresh root; *ret_dir is it. */
static int extract(const char *archive, const xt_opts *o, char **ret_dir, xt_stats *st, err_t *e)
{
        char *dir = xasprintf("%s/root%d", tmp, n_roots++);
        mkdir(dir, 0755);
        int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = open(archive, O_RDONLY | O_CLOEXEC);
        err_clear(e);
        xt_opts ow = *o;
        ow.writers = writers;
        int fds = open_fds();
        int r = xt_extract_fd(fd, rootfd, &ow, NULL, st, e);
        /* Every file closed, also after a failure. */
        CHECK_INT(open_fds(), fds);
        close(fd);
        close(rootfd);
        *ret_dir = dir;
        return r;
}

static char *slurp(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = path_join(dir, rel);
        char *data = NULL;
        size_t len;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, p, 1 << 20, &data, &len, &e) < 0)
                return NULL;
        return data;
}

static bool exists(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = path_join(dir, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

/* outside/ stays empty and victim keeps its contents. */
static bool outside_clean(void)
{
        _cleanup_free_ char *o = path_join(tmp, "outside");
        _cleanup_closedir_ DIR *d = opendir(o);
        struct dirent *de;
        int n = 0;
        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        _cleanup_free_ char *v = slurp(tmp, "victim");
        return d && n == 0 && v && !strcmp(v, "host") && !exists(tmp, "escaped");
}

static void test_cleaner(void)
{
        const struct {
                const char *raw, *want;
        } ok[] = {
                {"a/b", "a/b"},
                {"./a//b/", "a/b"},
                {"/abs/x", "abs/x"},
                {"//x", "x"},
                {".", ""},
                {"./", ""},
                {"a/../b", "b"},
                {"a/./b/../c", "a/c"},
                {"./././etc/passwd", "etc/passwd"},
                {"a/b/../../c", "c"},
                {"a/..", ""},
        };
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                err_t e = {0};
                char *c = NULL;
                CHECK_INT(xt_name_clean("t.tar", "entry", ok[i].raw, &c, &e), 0);
                CHECK_STR(c, ok[i].want);
                free(c);
        }
        const char *bad[] = {"../x", "a/../../x", "/../x", "..", "a/b/../../../x", "./../x"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                err_t e = {0};
                char *c = NULL;
                CHECK_INT(xt_name_clean("t.tar", "entry", bad[i], &c, &e), -EPERM);
                CHECK(c == NULL);
                _cleanup_free_ char *want =
                        xasprintf("t.tar: entry \"%s\": leaves the root", bad[i]);
                CHECK_STR(e.msg, want);
        }
        /* A name with a newline still gives a one-line message. */
        err_t e = {0};
        char *c = NULL;
        CHECK(xt_name_clean("t.tar", "entry", "../a\nb", &c, &e) < 0);
        CHECK(!strchr(e.msg, '\n'));
        CHECK(xt_name_clean("t.tar", "entry", "", &c, &e) == -EINVAL);
}

static void test_resolver(void)
{
        _cleanup_free_ char *root = path_join(tmp, "resolve");
        mkdir(root, 0755);
        int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *outside = path_join(tmp, "outside");
        _cleanup_free_ char *l1 = path_join(root, "abs");
        _cleanup_free_ char *l2 = path_join(root, "up");
        _cleanup_free_ char *l3 = path_join(root, "loop1");
        _cleanup_free_ char *l4 = path_join(root, "loop2");
        _cleanup_free_ char *l5 = path_join(root, "host");
        CHECK_INT(symlink("/x", l1), 0);
        CHECK_INT(symlink("../../../../..", l2), 0);
        CHECK_INT(symlink("loop2", l3), 0);
        CHECK_INT(symlink("loop1/", l4), 0);
        CHECK_INT(symlink(outside, l5), 0);
        err_t e = {0};
        char *p = NULL;
        CHECK_INT(xt_mkdir_in_root(rfd, "abs/y", NULL, &p, &e), 0);
        CHECK_STR(p, "/x/y");
        free(p);
        CHECK(exists(root, "x/y"));
        /* A plain existing path (the openat2 fast path), spelled loosely. */
        CHECK_INT(xt_open_dir_in_root(rfd, "x//y/", NULL, &p, &e), 0);
        CHECK_STR(p, "/x/y");
        free(p);
        CHECK_INT(xt_mkdir_in_root(rfd, "up/z", NULL, &p, &e), 0);
        CHECK_STR(p, "/z");
        free(p);
        CHECK_INT(xt_mkdir_in_root(rfd, "/host/in", NULL, &p, &e), 0);
        _cleanup_free_ char *want = xasprintf("%s/in", outside);
        CHECK_STR(p, want);
        free(p);
        CHECK(outside_clean());
        CHECK_INT(xt_mkdir_in_root(rfd, "loop1/x", NULL, &p, &e), -ELOOP);
        CHECK(strstr(e.msg, "too many levels of symbolic links") != NULL);
        CHECK_INT(xt_open_dir_in_root(rfd, "nothere/x", NULL, &p, &e), -ENOENT);
        CHECK(!exists(root, "nothere"));
        int fd = -1;
        CHECK_INT(xt_open_dir_in_root(rfd, "up/up/abs", &fd, &p, &e), 0);
        CHECK_STR(p, "/x");
        free(p);
        struct stat a, b;
        _cleanup_free_ char *xp = path_join(root, "x");
        CHECK(fstat(fd, &a) == 0 && stat(xp, &b) == 0 && a.st_ino == b.st_ino);
        close(fd);
        /* A file in the way of a directory: the directory wins. */
        _cleanup_free_ char *f = path_join(root, "file");
        fs_write_atomic_at(AT_FDCWD, f, "x", 1, 0644, &e);
        CHECK_INT(xt_mkdir_in_root(rfd, "file/sub", NULL, NULL, &e), 0);
        CHECK(exists(root, "file/sub"));
        CHECK_INT(xt_open_dir_in_root(rfd, "abs", NULL, NULL, &e), 0);
        close(rfd);
}

static void test_escapes(void)
{
        _cleanup_free_ char *outside = path_join(tmp, "outside");
        _cleanup_free_ char *victim = path_join(tmp, "victim");
        _cleanup_free_ char *abs_name = xasprintf("%s/escaped", tmp);
        xt_opts o = {.label = "hostile.tar"};
        err_t e = {0};

        /* Refused, with the archive and the entry named. */
        const struct {
                const char *what;
                ent e[4];
                size_t n;
                const char *msg;
        } bad[] = {
                {"dotdot", {{"../escaped", 'f', "x"}}, 1, "entry \"../escaped\": leaves the root"},
                {"dotdot-deep",
                 {{"a/../../escaped", 'f', "x"}},
                 1,
                 "entry \"a/../../escaped\": leaves the root"},
                {"hardlink-dotdot",
                 {{"hl", 'h', "../victim"}},
                 1,
                 "entry \"hl\": hardlink to \"../victim\": leaves the root"},
                {"hardlink-outside",
                 {{"hl", 'h', "../outside"}},
                 1,
                 "hardlink to \"../outside\": leaves the root"},
                {"hardlink-through-symlink",
                 {{"s", 'l', tmp}, {"hl", 'h', "s/victim"}},
                 2,
                 "hardlink to \"s/victim\""},
                {"hardlink-dir",
                 {{"d", 'd', NULL}, {"hl", 'h', "d"}},
                 2,
                 "entry \"hl\": hardlink to \"d\": a directory"},
                {"symlink-loop",
                 {{"a", 'l', "b"}, {"b", 'l', "a"}, {"a/f", 'f', "x"}},
                 3,
                 "too many levels of symbolic links"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                _cleanup_free_ char *name = xasprintf("%s.tar", bad[i].what);
                _cleanup_free_ char *ap = make_archive(name, bad[i].e, bad[i].n);
                _cleanup_free_ char *d = NULL;
                int r = extract(ap, &o, &d, NULL, &e);
                if (r >= 0 || !strstr(e.msg, bad[i].msg) || strncmp(e.msg, "hostile.tar: ", 13))
                        fprintf(stderr, "%s: r=%d msg=%s\n", bad[i].what, r, e.msg);
                CHECK(r < 0);
                CHECK(strncmp(e.msg, "hostile.tar: ", 13) == 0);
                CHECK(strstr(e.msg + 1, "hostile.tar") == NULL); /* named once */
                CHECK(strstr(e.msg, bad[i].msg) != NULL);
                CHECK(outside_clean());
        }

        /* Contained: an absolute name is relative to the root; symlinks,
         * also one put where a directory was, are followed inside it; a
         * symlink or hardlink at the final component is replaced, not
         * written through. */
        const ent cont[] = {
                {abs_name, 'f', "abs"},     {"link", 'l', outside},
                {"link/x", 'f', "in"},      {"rel", 'l', "../../../../../../../../.."},
                {"rel/escaped", 'f', "in"}, {"d", 'd', NULL},
                {"d/f", 'f', "f"},          {"d", 'l', "/"},
                {"d/victim", 'f', "in"},    {"d2", 'd', NULL},
                {"d2", 'l', tmp},           {"d2/victim", 'f', "in2"},
                {"vl", 'l', victim},        {"vl", 'f', "replaced"},
                {"orig", 'f', "orig"},      {"hl", 'h', "orig"},
                {"hl", 'f', "new"},
        };
        _cleanup_free_ char *ca = make_archive("contained.tar", cont, ARRAY_SIZE(cont));
        _cleanup_free_ char *cd = NULL;
        CHECK_INT(extract(ca, &o, &cd, NULL, &e), 0);
        CHECK(outside_clean());
        _cleanup_free_ char *c1 = slurp(cd, abs_name + 1);
        CHECK_STR(c1, "abs");
        _cleanup_free_ char *inx = xasprintf("%s/x", outside + 1);
        _cleanup_free_ char *c2 = slurp(cd, inx);
        CHECK_STR(c2, "in");
        _cleanup_free_ char *c3 = slurp(cd, "escaped");
        CHECK_STR(c3, "in");
        _cleanup_free_ char *c4 = slurp(cd, "victim");
        CHECK_STR(c4, "in");
        _cleanup_free_ char *inv = xasprintf("%s/victim", tmp + 1);
        _cleanup_free_ char *c5 = slurp(cd, inv);
        CHECK_STR(c5, "in2");
        _cleanup_free_ char *c6 = slurp(cd, "vl");
        CHECK_STR(c6, "replaced");
        _cleanup_free_ char *c7 = slurp(cd, "orig");
        CHECK_STR(c7, "orig");
        _cleanup_free_ char *c8 = slurp(cd, "hl");
        CHECK_STR(c8, "new");

        /* A refusal deep in the resolver still gives one line, whatever
         * the names hold. */
        const ent nl[] = {{"l\n1", 'l', "l\n1"}, {"l\n1/f", 'f', "x"}};
        _cleanup_free_ char *na = make_archive("newline.tar", nl, ARRAY_SIZE(nl));
        _cleanup_free_ char *nd = NULL;
        CHECK(extract(na, &o, &nd, NULL, &e) == -ELOOP);
        CHECK(e.msg[0] && !strchr(e.msg, '\n'));
}

static void test_options(void)
{
        err_t e = {0};
        xt_stats st;
        bool root = geteuid() == 0;

        /* Whiteouts: kept as files, made overlay's, or applied. */
        const ent wh[] = {{"d/", 'd', NULL},
                          {"d/.wh.gone", 'f', ""},
                          {"d/.wh..wh..opq", 'f', ""},
                          {"d/new", 'f', "n"}};
        _cleanup_free_ char *wa = make_archive("wh.tar", wh, ARRAY_SIZE(wh));
        _cleanup_free_ char *d1 = NULL, *d2 = NULL;
        xt_opts keep = {.label = "wh.tar"};
        CHECK_INT(extract(wa, &keep, &d1, NULL, &e), 0);
        CHECK(exists(d1, "d/.wh.gone"));
        xt_opts ov = {.label = "wh.tar", .whiteouts = XT_WHITEOUTS_OVERLAY};
        CHECK_INT(extract(wa, &ov, &d2, NULL, &e), 0);
        _cleanup_free_ char *gone = path_join(d2, "d/gone");
        struct stat sb;
        CHECK(lstat(gone, &sb) == 0 && S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(0, 0));
        CHECK(!exists(d2, "d/.wh.gone"));
        _cleanup_free_ char *dd = path_join(d2, "d");
        char v[4] = {0};
        CHECK(getxattr(dd, root ? "trusted.overlay.opaque" : "user.overlay.opaque", v, 3) == 1 &&
              v[0] == 'y');
        /* Applied onto a tree: the victim goes, an opaque directory keeps
         * only what this archive wrote. */
        _cleanup_free_ char *d3 = xasprintf("%s/apply", tmp);
        _cleanup_free_ char *old1 = xasprintf("%s/d/gone", d3);
        _cleanup_free_ char *old2 = xasprintf("%s/d/other", d3);
        fs_mkdir_p_at(AT_FDCWD, old1, 0755, &e);
        fs_write_atomic_at(AT_FDCWD, old2, "o", 1, 0644, &e);
        int afd = open(d3, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int wfd = open(wa, O_RDONLY | O_CLOEXEC);
        xt_opts ap = {.label = "wh.tar", .whiteouts = XT_WHITEOUTS_APPLY};
        CHECK_INT(xt_extract_fd(wfd, afd, &ap, NULL, NULL, &e), 0);
        close(wfd);
        close(afd);
        CHECK(!exists(d3, "d/gone") && !exists(d3, "d/other") && exists(d3, "d/new"));
        CHECK(!exists(d3, "d/.wh..wh..opq"));

        /* Device nodes: skipped and counted, or made. */
        const ent dev[] = {{"dev/null2", 'c', NULL}, {"f", 'f', "x"}};
        _cleanup_free_ char *da = make_archive("dev.tar", dev, ARRAY_SIZE(dev));
        _cleanup_free_ char *d4 = NULL, *d5 = NULL;
        xt_opts skip = {.label = "dev.tar", .devices = XT_DEVICES_SKIP};
        CHECK_INT(extract(da, &skip, &d4, &st, &e), 0);
        CHECK_INT(st.skipped_devices, 1);
        CHECK(!exists(d4, "dev/null2"));
        xt_opts mk = {.label = "dev.tar", .devices = XT_DEVICES_CREATE};
        CHECK_INT(extract(da, &mk, &d5, &st, &e), 0);
        CHECK_INT(st.skipped_devices, root ? 0 : 1);
        CHECK(exists(d5, "dev/null2") == root);

        /* Owners: kept (as root) or the caller's; set-id bits survive the
         * chown; overlay xattrs from the archive are dropped; a directory's
         * mode is set after its entries went in. */
        const ent own[] = {{"ro/", 'd', NULL, 1234, 0555},
                           {"ro/f", 'f', "x", 1234, 04755, "user.note=hi"},
                           {"o", 'f', "x", 0, 0644, "trusted.overlay.redirect=/etc"}};
        _cleanup_free_ char *oa = make_archive("own.tar", own, ARRAY_SIZE(own));
        _cleanup_free_ char *d6 = NULL, *d7 = NULL;
        xt_opts kp = {.label = "own.tar", .owners = root ? XT_OWNERS_KEEP : XT_OWNERS_CALLER};
        CHECK_INT(extract(oa, &kp, &d6, &st, &e), 0);
        _cleanup_free_ char *rof = path_join(d6, "ro/f");
        CHECK(stat(rof, &sb) == 0 && (sb.st_mode & 07777) == 04755);
        CHECK(sb.st_uid == (root ? 1234u : geteuid()));
        CHECK(getxattr(rof, "user.note", v, 3) == 2 || st.skipped_metadata > 0);
        _cleanup_free_ char *op = path_join(d6, "o");
        CHECK(getxattr(op, "trusted.overlay.redirect", v, 3) < 0);
        CHECK(st.skipped_metadata >= 1);
        _cleanup_free_ char *ro = path_join(d6, "ro");
        CHECK(stat(ro, &sb) == 0 && (sb.st_mode & 07777) == 0555 && sb.st_mtime == 1000000);
        xt_opts cl = {.label = "own.tar", .owners = XT_OWNERS_CALLER};
        CHECK_INT(extract(oa, &cl, &d7, NULL, &e), 0);
        _cleanup_free_ char *rof2 = path_join(d7, "ro/f");
        CHECK(stat(rof2, &sb) == 0 && sb.st_uid == geteuid());
}

/* merged-/usr as a rewrite: bin/x lands in usr/bin/x; a rewrite that
 * would leave the root is refused like any name. */
static int rw(void *ud, const char *name, char **ret)
{
        if (!strcmp(name, "bin"))
                return 1;
        if (!strncmp(name, "bin/", 4))
                *ret = xasprintf("usr/%s", name);
        if (!strcmp(name, "evil"))
                *ret = xstrdup("usr/../../evil");
        return 0;
}

static void test_rewrite_and_digest(void)
{
        err_t e = {0};
        const ent t[] = {
                {"./bin/", 'd', NULL}, {"./bin/tool", 'f', "t"}, {"./bin/tool2", 'h', "bin/tool"}};
        _cleanup_free_ char *a = make_archive("rw.tar", t, ARRAY_SIZE(t));
        _cleanup_free_ char *d = NULL;
        xt_opts o = {.label = "rw.tar", .rewrite = rw};
        CHECK_INT(extract(a, &o, &d, NULL, &e), 0);
        _cleanup_free_ char *c = slurp(d, "usr/bin/tool2");
        CHECK_STR(c, "t");
        CHECK(!exists(d, "bin"));
        const ent ev[] = {{"evil", 'f', "x"}};
        _cleanup_free_ char *ea = make_archive("evil.tar", ev, 1);
        _cleanup_free_ char *d2 = NULL;
        CHECK(extract(ea, &o, &d2, NULL, &e) < 0);
        CHECK(strstr(e.msg, "leaves the root") != NULL);
        CHECK(!exists(tmp, "evil"));

        /* The digest is the file's sha256; an empty archive is refused
         * when entries are required. */
        char dg[DIGEST_HEX_LEN + 1], want[DIGEST_HEX_LEN + 1];
        int fd = open(a, O_RDONLY | O_CLOEXEC);
        digest_fd(fd, want, &e);
        lseek(fd, 0, SEEK_SET);
        _cleanup_free_ char *d3 = xasprintf("%s/digest", tmp);
        mkdir(d3, 0755);
        int rfd = open(d3, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        xt_opts p = {.label = "rw.tar"};
        CHECK_INT(xt_extract_fd(fd, rfd, &p, dg, NULL, &e), 0);
        CHECK_STR(dg, want);
        close(fd);
        close(rfd);
        const ent only_root[] = {{"./", 'd', NULL}};
        _cleanup_free_ char *ra = make_archive("root.tar", only_root, 1);
        _cleanup_free_ char *d4 = NULL;
        xt_opts req = {.label = "root.tar", .require_entries = true};
        CHECK(extract(ra, &req, &d4, NULL, &e) == -EINVAL);
        CHECK_STR(e.msg, "root.tar: empty archive");
}

/* Every write checked: a file that cannot be written whole fails the
 * archive (here the file size limit; a full disk is the same path). */
static void test_write_errors(void)
{
        err_t e = {0};
        size_t big = 256 * 1024;
        char *data = xmalloc(big + 1);
        memset(data, 'x', big);
        data[big] = '\0';
        const ent t[] = {{"small", 'f', "s"}, {"big", 'f', data}, {"after", 'f', "a"}};
        _cleanup_free_ char *a = make_archive("big.tar", t, ARRAY_SIZE(t));
        free(data);
        struct rlimit old, lim;
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 64 * 1024;
        signal(SIGXFSZ, SIG_IGN);
        CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
        _cleanup_free_ char *d = NULL;
        xt_opts o = {.label = "big.tar"};
        int r = extract(a, &o, &d, NULL, &e);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, SIG_DFL);
        CHECK_INT(r, -EFBIG);
        CHECK_STR(e.msg, "big.tar: entry \"big\": write: File too large");
}

static bool same_node(const char *dir, const char *a, const char *b, mode_t type)
{
        _cleanup_free_ char *pa = path_join(dir, a), *pb = path_join(dir, b);
        struct stat sa, sb;
        return lstat(pa, &sa) == 0 && lstat(pb, &sb) == 0 && sa.st_ino == sb.st_ino &&
               sa.st_dev == sb.st_dev && (sa.st_mode & S_IFMT) == type;
}

/* Hardlinks to any non-directory, as real tarballs have them: a fifo, a
 * symlink (the link itself, also one pointing out of the root), a device
 * node; one to a device node that was not made is not made either, and
 * counted. */
static void test_hardlinks(void)
{
        err_t e = {0};
        xt_stats st;
        _cleanup_free_ char *victim = path_join(tmp, "victim");
        const ent t[] = {
                {"p", 'p', NULL},   {"hp", 'h', "p"},    {"s", 'l', victim},   {"hs", 'h', "s"},
                {"c", 'c', NULL},   {"hc", 'h', "c"},    {"hc2", 'h', "/c"},   {"hhc", 'h', "hc"},
                {"c2", 'c', NULL},  {"c2", 'f', "file"}, {"hc3", 'h', "c2"},   {"d/", 'd', NULL},
                {"d/p", 'p', NULL}, {"dl", 'l', "d"},    {"hdp", 'h', "dl/p"},
        };
        _cleanup_free_ char *a = make_archive("links.tar", t, ARRAY_SIZE(t));
        _cleanup_free_ char *d = NULL;
        xt_opts o = {.label = "links.tar"};
        int r = extract(a, &o, &d, &st, &e);
        if (r < 0)
                fprintf(stderr, "hardlinks: %s\n", e.msg);
        CHECK_INT(r, 0);
        CHECK(same_node(d, "p", "hp", S_IFIFO));
        CHECK(same_node(d, "s", "hs", S_IFLNK));
        CHECK(same_node(d, "d/p", "hdp", S_IFIFO));
        _cleanup_free_ char *hs = path_join(d, "hs");
        char buf[PATH_MAX];
        ssize_t n = readlink(hs, buf, sizeof buf - 1);
        CHECK(n > 0 && (size_t)n == strlen(victim) && !memcmp(buf, victim, (size_t)n));
        CHECK(outside_clean());
        CHECK(!exists(d, "c") && !exists(d, "hc") && !exists(d, "hc2") && !exists(d, "hhc"));
        _cleanup_free_ char *c3 = slurp(d, "hc3");
        CHECK_STR(c3, "file");
        CHECK(r < 0 || st.skipped_devices == 5); /* c, hc, hc2, hhc, the first c2 */

        if (geteuid() != 0)
                return;
        _cleanup_free_ char *d2 = NULL;
        xt_opts oc = {.label = "links.tar", .devices = XT_DEVICES_CREATE};
        CHECK_INT(extract(a, &oc, &d2, &st, &e), 0);
        CHECK(same_node(d2, "c", "hc", S_IFCHR));
        CHECK(same_node(d2, "c", "hhc", S_IFCHR));
}

/* Warnings carry the label (a .deb's or layer's name from a hostile
 * index) and libarchive's words: one line each, control characters
 * escaped. libarchive warns about junk between two cpio headers. */
static void test_warnings(void)
{
        err_t e = {0};
        char buf[4096];
        size_t used = 0;
        struct archive *w = archive_write_new();
        archive_write_set_format_cpio_newc(w);
        archive_write_open_memory(w, buf, sizeof buf, &used);
        const char *names[] = {"a\n\x1b[31m", "b"};
        for (size_t i = 0; i < 2; i++) {
                struct archive_entry *ae = archive_entry_new();
                archive_entry_set_pathname(ae, names[i]);
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_perm(ae, 0644);
                archive_entry_set_size(ae, 1);
                archive_write_header(w, ae);
                archive_write_data(w, "x", 1);
                archive_entry_free(ae);
        }
        archive_write_close(w);
        archive_write_free(w);
        /* Junk before the second header. */
        char *second = memmem(buf + 6, used - 6, "070701", 6);
        CHECK(second != NULL);
        if (!second)
                return;
        size_t off = (size_t)(second - buf);
        char junk[] = "\n\x1b[2Jjunk!!!"; /* 12 bytes */
        _cleanup_free_ char *path = path_join(tmp, "warn.cpio");
        _cleanup_free_ char *data = xmalloc(used + sizeof junk);
        memcpy(data, buf, off);
        memcpy(data + off, junk, 12);
        memcpy(data + off + 12, buf + off, used - off);
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, path, data, used + 12, 0644, &e), 0);

        _cleanup_free_ char *logp = path_join(tmp, "warn.log");
        int logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int saved = dup(2);
        fflush(stderr);
        dup2(logfd, 2);
        _cleanup_free_ char *d = NULL;
        xt_opts o = {.label = "evil\n\x1b[31m.deb"};
        int r = extract(path, &o, &d, NULL, &e);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(logfd);
        CHECK_INT(r, 0);
        _cleanup_free_ char *log = slurp(tmp, "warn.log");
        CHECK(log != NULL);
        if (!log)
                return;
        fprintf(stderr, "warnings: %s", log);
        CHECK(strstr(log, "evil??[31m.deb: ") != NULL);
        CHECK(strchr(log, '\x1b') == NULL);
        size_t lines = 0;
        for (const char *p = log; *p; p++)
                lines += *p == '\n';
        CHECK(lines >= 1);
        /* Every line is a whole warning: it starts with the program. */
        for (const char *p = log; *p; p = strchrnul(p, '\n') + (strchr(p, '\n') != NULL))
                CHECK(!strncmp(p, "test_extract", 12));
}

/* The race of parallel unpackers in one tree: right after the extractor
 * made a node, "another package" replaces it by a symlink to a file
 * outside the root. Nothing may change that file's mode, owner or time. */
static const char *swap_name; /* the node the hook replaces */
static const char *swap_target;
static int swap_skip; /* matching calls left alone first */

static void swap_hook(int dfd, const char *name)
{
        if (!swap_name || strcmp(name, swap_name) || swap_skip-- > 0)
                return;
        err_t e = {0};
        CHECK_INT(fs_rm_rf_at(dfd, name, &e), 0);
        CHECK_INT(symlinkat(swap_target, dfd, name), 0);
}

static void test_metadata_race(void)
{
        err_t e = {0};
        bool root = geteuid() == 0;
        _cleanup_free_ char *host = path_join(tmp, "host-file");
        _cleanup_free_ char *hostdir = path_join(tmp, "host-dir");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, host, "h", 1, 0644, &e), 0);
        CHECK_INT(mkdir(hostdir, 0755), 0);
        struct stat before, bdir, after, adir;
        CHECK_INT(stat(host, &before), 0);
        CHECK_INT(stat(hostdir, &bdir), 0);
        xt_test_hook = swap_hook;

        /* A fifo, a device node and a directory, each swapped between
         * being made and getting its mode (setuid, world-writable). */
        const struct {
                const char *what;
                ent e;
                const char *target;
                bool need_root;
        } cases[] = {
                {"fifo", {"node", 'p', NULL, 0, 04777}, host, false},
                {"device", {"node", 'c', NULL, 0, 06777}, host, true},
                {"directory", {"node", 'd', NULL, 0, 07777}, hostdir, false},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                if (cases[i].need_root && !root)
                        continue;
                _cleanup_free_ char *a = make_archive("race.tar", &cases[i].e, 1);
                _cleanup_free_ char *d = NULL;
                xt_opts o = {.label = "race.tar", .devices = XT_DEVICES_CREATE};
                swap_name = "node";
                swap_target = cases[i].target;
                int r = extract(a, &o, &d, NULL, &e);
                swap_name = NULL;
                if (r == 0)
                        fprintf(stderr, "%s: swapped node accepted\n", cases[i].what);
                CHECK(r < 0);
                CHECK_INT(stat(host, &after), 0);
                CHECK_INT(stat(hostdir, &adir), 0);
                if ((after.st_mode & 07777) != 0644 || (adir.st_mode & 07777) != 0755)
                        fprintf(stderr, "%s: host modes now %o %o\n", cases[i].what,
                                (unsigned)after.st_mode & 07777, (unsigned)adir.st_mode & 07777);
                CHECK_INT(after.st_mode & 07777, 0644);
                CHECK_INT(adir.st_mode & 07777, 0755);
                CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
                CHECK(adir.st_mtim.tv_sec == bdir.st_mtim.tv_sec);
                CHECK(strstr(e.msg, "race.tar: entry \"node\"") != NULL);
        }

        /* A symlink entry swapped for one pointing elsewhere: its owner and
         * time are set on the link, never on what it points to. */
        const ent l = {"link", 'l', "target", 0, 0};
        _cleanup_free_ char *la = make_archive("race-link.tar", &l, 1);
        _cleanup_free_ char *ld = NULL;
        xt_opts lo = {.label = "race-link.tar"};
        swap_name = "link";
        swap_target = host;
        CHECK_INT(extract(la, &lo, &ld, NULL, &e), 0);
        swap_name = NULL;
        CHECK_INT(stat(host, &after), 0);
        CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);

        /* A directory replaced after its entries went in, before its
         * deferred mode and time: they do not follow the symlink. */
        const ent dd[] = {{"dir/", 'd', NULL, 0, 07777}, {"dir/f", 'f', "x"}};
        _cleanup_free_ char *da = make_archive("race-dir.tar", dd, ARRAY_SIZE(dd));
        _cleanup_free_ char *d2 = NULL;
        xt_opts dopt = {.label = "race-dir.tar"};
        swap_name = "dir";
        swap_target = hostdir;
        swap_skip = 1; /* the first call is right after its mkdir */
        CHECK_INT(extract(da, &dopt, &d2, NULL, &e), 0);
        CHECK(swap_skip < 0); /* the swap happened */
        swap_name = NULL;
        xt_test_hook = NULL;
        CHECK_INT(stat(hostdir, &adir), 0);
        CHECK_INT(adir.st_mode & 07777, 0755);
}

int main(void)
{
        log_init("test_extract");
        test_cleaner();
        for (writers = 0; writers <= 2; writers += 2) {
                /* A fresh directory, outside/ and victim for each round. */
                CHECK(mkdtemp(test_tmpl(tmp, "test_extract")) != NULL);
                err_t e = {0};
                _cleanup_free_ char *outside = path_join(tmp, "outside");
                mkdir(outside, 0755);
                _cleanup_free_ char *victim = path_join(tmp, "victim");
                fs_write_atomic_at(AT_FDCWD, victim, "host", 4, 0644, &e);
                if (!writers)
                        test_resolver();
                test_escapes();
                test_options();
                test_rewrite_and_digest();
                test_write_errors();
                test_metadata_race();
                test_hardlinks();
                test_warnings();
                fs_rm_rf_at(AT_FDCWD, tmp, &e);
        }
        TEST_END();
}
