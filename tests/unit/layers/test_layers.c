/* builder/layers: manifest reader, layer diffs (whiteouts, opaque
 * directories) applied back onto a tree, containment of hostile entries. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/layers.h"
#include "test.h"

static void test_manifest(void)
{
        static const char ok[] = "# an app\n"
                                 "Base: scratch\n"
                                 "Env: A=1 B=2\n"
                                 "Label: org.example=yes\n"
                                 "\n"
                                 "Add: /bin/sh\n"
                                 "\n"
                                 "Copy: files/ /opt/app/\n"
                                 "Env: A=3\n"
                                 "\n"
                                 "Run: echo one\n"
                                 " echo two\n"
                                 "\n"
                                 "Remove: /usr/share/doc\n"
                                 " /tmp/x\n"
                                 "\n"
                                 "Cmd: [\"/bin/sh\", \"-c\", \"echo hi there\"]\n"
                                 "Entrypoint: /bin/env -i\n"
                                 "Workdir: /opt/app\n"
                                 "User: 1000:1000\n";
        lay_manifest m = {0};
        err_t e = {0};
        CHECK_INT(lay_manifest_parse(ok, strlen(ok), "t.manifest", "/src", &m, &e), 0);
        CHECK_STR(m.base, "scratch");
        CHECK_STR(m.dir, "/src");
        CHECK_INT(m.n_steps, 4);
        if (m.n_steps == 4) {
                CHECK_INT(m.steps[0].kind, LAY_STEP_ADD);
                CHECK_STR(m.steps[0].text, "Add: /bin/sh");
                CHECK_INT(m.steps[0].env.n, 2);
                CHECK_INT(m.steps[1].kind, LAY_STEP_COPY);
                CHECK_STR(m.steps[1].args.v[1], "/opt/app/");
                /* Env in the step's own paragraph applies to it. */
                CHECK_STR(m.steps[1].env.v[0], "A=3");
                CHECK_INT(m.steps[2].kind, LAY_STEP_RUN);
                CHECK_STR(m.steps[2].args.v[0], "echo one\necho two");
                CHECK_INT(m.steps[3].kind, LAY_STEP_REMOVE);
                CHECK_INT(m.steps[3].args.n, 2);
        }
        CHECK(m.config.have_cmd);
        CHECK_INT(m.config.cmd.n, 3);
        if (m.config.cmd.n == 3)
                CHECK_STR(m.config.cmd.v[2], "echo hi there");
        CHECK_INT(m.config.entrypoint.n, 2);
        CHECK_STR(m.config.workdir, "/opt/app");
        CHECK_STR(m.config.user, "1000:1000");
        CHECK_INT(m.config.labels.n, 1);
        CHECK_INT(m.config.env.n, 2);
        lay_manifest_free(&m);
}

/* Each bad manifest is refused with a message that names the file, the
 * line (of the field at fault, else of the paragraph) and the problem. */
static void test_manifest_bad(void)
{
        static const struct {
                const char *text, *want;
        } bad[] = {
                {"Add: /bin/sh\n", "bad:1: the first paragraph needs Base:"},
                {"Base:\n", "bad:1: the first paragraph needs Base:"},
                {"", "bad: empty manifest"},
                {"Base: scratch\n\nAdd: /bin/sh\nRun: true\n",
                 "bad:4: Add and Run in one paragraph"},
                {"Base: scratch\n\nFrob: x\n", "bad:3: unknown field 'Frob'"},
                {"Base: scratch\n\nCopy: onlyone\n", "bad:3: Copy: 'onlyone': give SRC DEST"},
                {"Base: scratch\n\n\n# c\nCopy: a b c\n", "bad:5: Copy: 'a b c': give SRC DEST"},
                {"Base: scratch\n\nCopy: a relative/dest\n",
                 "bad:3: Copy: DEST 'relative/dest' is not absolute"},
                {"Base: scratch\n\nRemove: relative\n",
                 "bad:3: Remove: 'relative' is not an absolute path"},
                {"Base: scratch\n\nRemove: /a/../../etc\n", "bad:3: Remove: '/a/../../etc' is not"},
                {"Base: scratch\n\nRemove: /ok /a/..\n", "bad:3: Remove: '/a/..' is not"},
                {"Base: scratch\n\nAdd:\n", "bad:3: Add: empty"},
                {"Base: scratch\n\nRun:\n", "bad:3: Run: empty"},
                {"Base: scratch\n\nInclude:\n", "bad:3: Include: empty"},
                {"Base: scratch\nEnv: NOEQUALS\n", "bad:2: Env: 'NOEQUALS' is not KEY=VALUE"},
                {"Base: scratch\nEnv: A=1\n =B\n", "bad:2: Env: '=B' is not KEY=VALUE"},
                {"Base: scratch\nLabel: =x\n", "bad:2: Label: '=x' is not KEY=VALUE"},
                {"Base: scratch\nDeps: some\n", "bad:2: Deps: 'some' (all or missing)"},
                {"Base: scratch\nCmd: [\"a\", 1]\n",
                 "bad:2: Cmd: '[\"a\", 1]': not a JSON array of strings"},
                {"Base: scratch\nCmd: [\"a\"\n", "bad:2: Cmd: '[\"a\"': not a JSON array"},
                {"Base: scratch\nEntrypoint: [1]\n", "bad:2: Entrypoint: '[1]': not a JSON array"},
                {"Base: scratch\nWorkdir: rel\n", "bad:2: Workdir: 'rel' is not absolute"},
                {"Base: scratch\n\nBase: other\n", "bad:3: Base belongs in the first paragraph"},
                {"Base: scratch\n\n# c\nRun: true\nRunn: x\n", "bad:5: unknown field 'Runn'"},
                {"Base: scratch\nRunn: x\n", "bad:2: unknown field 'Runn'"},
                {"Base: scratch\n\nUser: 1\nBase: other\n",
                 "bad:4: Base belongs in the first paragraph"},
                {"Base: scratch\n\nComment: x\n y\nCopy: a b c\n",
                 "bad:5: Copy: 'a b c': give SRC DEST"},
                {"Base: scratch\nComment: x\nNetwork: maybe\n",
                 "bad:3: Network: 'maybe' (yes or no)"},
                {"Base: scratch\n\n Continuation: first\n",
                 "bad:3: continuation line outside a field"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                lay_manifest b = {0};
                err_t be = {0};
                int r = lay_manifest_parse(bad[i].text, strlen(bad[i].text), "bad", ".", &b, &be);
                CHECK(r < 0);
                if (r == 0) {
                        fprintf(stderr, "bad manifest %zu accepted: \"%s\"\n", i, bad[i].text);
                        lay_manifest_free(&b);
                        continue;
                }
                if (!strstr(be.msg, bad[i].want))
                        fprintf(stderr, "bad manifest %zu: message \"%s\", wanted \"%s\"\n", i,
                                be.msg, bad[i].want);
                CHECK(strstr(be.msg, bad[i].want) != NULL);
                CHECK(strchr(be.msg, '\n') == NULL);
        }
}

static void w(const char *root, const char *rel, const char *data)
{
        char *p = path_join(root, rel);
        FILE *f = fopen(p, "w");
        if (f) {
                fputs(data, f);
                fclose(f);
        }
        free(p);
}

static bool exists(const char *root, const char *rel)
{
        char *p = path_join(root, rel);
        struct stat st;
        bool r = lstat(p, &st) == 0;
        free(p);
        return r;
}

static char *slurp(const char *root, const char *rel)
{
        char *p = path_join(root, rel), *data = NULL;
        size_t len;
        err_t e = {0};
        fs_read_file_at(AT_FDCWD, p, 1 << 20, &data, &len, &e);
        free(p);
        return data;
}

/* Make the same starting tree in dir. */
static void start_tree(const char *dir)
{
        char *p;
        mkdir(dir, 0755);
        p = path_join(dir, "etc"), mkdir(p, 0755), free(p);
        p = path_join(dir, "gone"), mkdir(p, 0755), free(p);
        p = path_join(dir, "remade"), mkdir(p, 0755), free(p);
        w(dir, "etc/keep", "keep\n");
        w(dir, "etc/change", "old\n");
        w(dir, "etc/del", "del\n");
        w(dir, "gone/a", "a\n");
        w(dir, "remade/old", "old\n");
}

static void test_diff_apply(const char *tmp)
{
        char *a = path_join(tmp, "a"), *b = path_join(tmp, "b");
        start_tree(a);
        start_tree(b);
        err_t e = {0};
        lay_snap *before = NULL, *after = NULL;
        CHECK_INT(lay_snap_take(a, &before, &e), 0);
        /* The step. */
        sleep(0); /* ctime granularity is fine: inode and size change too */
        w(a, "etc/change", "new contents\n");
        w(a, "etc/new", "new\n");
        char *p = path_join(a, "etc/del");
        unlink(p);
        free(p);
        p = path_join(a, "gone");
        fs_rm_rf_at(AT_FDCWD, p, &e);
        free(p);
        /* A directory removed and made again: made before the old one goes,
         * so that it cannot reuse the old inode number (which the diff
         * takes for the same directory, and the opaque check below would
         * fail at random). */
        p = path_join(a, "remade.new");
        char *q = path_join(a, "remade");
        CHECK_INT(mkdir(p, 0700), 0);
        w(a, "remade.new/fresh", "fresh\n");
        fs_rm_rf_at(AT_FDCWD, q, &e);
        CHECK_INT(rename(p, q), 0);
        free(p);
        free(q);
        p = path_join(a, "link");
        symlink("etc/keep", p);
        free(p);
        CHECK_INT(lay_snap_take(a, &after, &e), 0);
        stage *s = stage_new();
        size_t n = 0;
        CHECK_INT(lay_snap_diff(before, after, a, s, &n, &e), 0);
        CHECK(n >= 7);
        CHECK(stage_lookup(s, "etc/.wh.del") != NULL);
        CHECK(stage_lookup(s, ".wh.gone") != NULL);
        CHECK(stage_lookup(s, "gone/.wh.a") == NULL); /* covered by .wh.gone */
        CHECK(stage_lookup(s, "remade/.wh..wh..opq") != NULL);
        CHECK(stage_lookup(s, "etc/keep") == NULL);
        char *tar = path_join(tmp, "layer.tar");
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = IMAGE_COMPRESS_NONE};
        CHECK_INT(image_write(s, tar, &io, &e), 0);
        stage_free(s);

        /* The layer applied onto the old tree gives the new one. */
        int bfd = open(b, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        lay_apply_opts ao = {.whiteouts = true};
        strmap *fx = strmap_new();
        CHECK_INT(lay_apply(bfd, tar, &ao, fx, &e), 0);
        lay_fixups_apply(bfd, fx);
        strmap_free(fx);
        CHECK(exists(b, "etc/keep"));
        CHECK(!exists(b, "etc/del"));
        CHECK(!exists(b, "gone"));
        CHECK(exists(b, "etc/new"));
        CHECK(!exists(b, "remade/old"));
        CHECK(exists(b, "remade/fresh"));
        CHECK(exists(b, "link"));
        CHECK(!exists(b, "etc/.wh.del"));
        char *c = slurp(b, "etc/change");
        CHECK_STR(c, "new contents\n");
        free(c);
        struct stat st;
        char *rp = path_join(b, "remade");
        CHECK(stat(rp, &st) == 0 && (st.st_mode & 07777) == 0700);
        free(rp);
        close(bfd);
        lay_snap_free(before);
        lay_snap_free(after);
        free(tar);
        free(a);
        free(b);
}

typedef struct tent {
        const char *name;
        mode_t type;
        const char *data; /* file contents or symlink target */
} tent;

static void make_tar(const char *path, const tent *t, size_t n)
{
        struct archive *ar = archive_write_new();
        archive_write_set_format_pax_restricted(ar);
        archive_write_open_filename(ar, path);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *ae = archive_entry_new();
                archive_entry_set_pathname(ae, t[i].name);
                archive_entry_set_filetype(ae, t[i].type);
                archive_entry_set_perm(ae, t[i].type == AE_IFDIR ? 0755 : 0644);
                if (t[i].type == AE_IFLNK)
                        archive_entry_set_symlink(ae, t[i].data);
                size_t len = t[i].type == AE_IFREG && t[i].data ? strlen(t[i].data) : 0;
                archive_entry_set_size(ae, (la_int64_t)len);
                archive_write_header(ar, ae);
                if (len)
                        archive_write_data(ar, t[i].data, len);
                archive_entry_free(ae);
        }
        archive_write_close(ar);
        archive_write_free(ar);
}

/* layer-symlink-escape: a symlink from one layer and a later layer writing
 * through it stay inside the root. */
static void test_symlink_escape(const char *tmp)
{
        char *top = path_join(tmp, "esc");
        mkdir(top, 0755);
        char *root = path_join(top, "root");
        mkdir(root, 0755);
        char *l1 = path_join(tmp, "l1.tar"), *l2 = path_join(tmp, "l2.tar");
        const tent one[] = {{"etc", AE_IFDIR, NULL},
                            {"x", AE_IFLNK, "/etc"},
                            {"y", AE_IFLNK, "../../.."},
                            {"z", AE_IFLNK, "/nonexistent/deeper"}};
        const tent two[] = {{"x/file", AE_IFREG, "via x\n"},
                            {"y/file", AE_IFREG, "via y\n"},
                            {"z/file", AE_IFREG, "via z\n"}};
        make_tar(l1, one, ARRAY_SIZE(one));
        make_tar(l2, two, ARRAY_SIZE(two));
        int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        lay_apply_opts ao = {.whiteouts = true};
        err_t e = {0};
        strmap *fx = strmap_new();
        CHECK_INT(lay_apply(rfd, l1, &ao, fx, &e), 0);
        CHECK_INT(lay_apply(rfd, l2, &ao, fx, &e), 0);
        lay_fixups_apply(rfd, fx);
        strmap_free(fx);
        char *c = slurp(root, "etc/file");
        CHECK_STR(c, "via x\n");
        free(c);
        c = slurp(root, "file");
        CHECK_STR(c, "via y\n");
        free(c);
        CHECK(exists(root, "nonexistent/deeper/file"));
        CHECK(!exists(top, "file"));
        CHECK(!exists(tmp, "file"));

        /* Entries that leave the root or name nothing are refused. */
        const tent dots[] = {{"../evil", AE_IFREG, "x"}};
        const tent hard[] = {{"a/../../evil", AE_IFREG, "x"}};
        const tent wh[] = {{"etc/.wh..", AE_IFREG, ""}};
        const tent *bad[] = {dots, hard, wh};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char *p = path_join(tmp, "bad.tar");
                make_tar(p, bad[i], 1);
                strmap *f2 = strmap_new();
                err_t be = {0};
                CHECK(lay_apply(rfd, p, &ao, f2, &be) < 0);
                CHECK(be.msg[0] != '\0');
                lay_fixups_apply(rfd, f2);
                strmap_free(f2);
                free(p);
        }
        CHECK(!exists(top, "evil"));
        CHECK(!exists(tmp, "evil"));
        CHECK(exists(root, "etc")); /* the bad whiteout removed nothing */
        close(rfd);
        free(l1);
        free(l2);
        free(root);
        free(top);
}

/* OCI/docker JSON is untrusted: bad digests, member names that leave the
 * archive, counts that do not match are refused with a message. */
static void test_hostile_archives(const char *tmp)
{
        static const char cfg[] =
                "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                "0000000000000000000000000000000000000000000000000000000000000000\"]}}";
        const tent docker_dotdot[] = {
                {"c.json", AE_IFREG, cfg},
                {"manifest.json", AE_IFREG,
                 "[{\"Config\":\"c.json\",\"Layers\":[\"../../etc/passwd\"]}]"}};
        const tent docker_count[] = {
                {"c.json", AE_IFREG, cfg},
                {"l.tar", AE_IFREG, ""},
                {"manifest.json", AE_IFREG,
                 "[{\"Config\":\"c.json\",\"Layers\":[\"l.tar\",\"l.tar\"]}]"}};
        const tent docker_type[] = {{"manifest.json", AE_IFREG, "{\"Config\":7}"}};
        const tent oci_digest[] = {
                {"oci-layout", AE_IFREG, "{}"},
                {"index.json", AE_IFREG, "{\"manifests\":[{\"digest\":\"sha256:../../x\"}]}"}};
        const tent oci_loop[] = {{"oci-layout", AE_IFREG, "{}"},
                                 {"index.json", AE_IFREG, "{\"manifests\":[]}"}};
        struct {
                const tent *t;
                size_t n;
        } cases[] = {{docker_dotdot, 2},
                     {docker_count, 3},
                     {docker_type, 1},
                     {oci_digest, 2},
                     {oci_loop, 2}};
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *p = path_join(tmp, "hostile.tar");
                make_tar(p, cases[i].t, cases[i].n);
                lay_src src = {0};
                err_t e = {0};
                int r = lay_src_open(NULL, p, false, &src, &e);
                CHECK(r < 0);
                CHECK(strstr(e.msg, "hostile.tar") != NULL);
                if (r == 0)
                        lay_src_close(NULL, &src);
                free(p);
        }
}

int main(void)
{
        char tmpl[TEST_TMPL_MAX];
        char *tmp = mkdtemp(test_tmpl(tmpl, "test_layers"));
        if (!tmp)
                return 1;
        test_manifest();
        test_manifest_bad();
        test_diff_apply(tmp);
        test_symlink_escape(tmp);
        test_hostile_archives(tmp);
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, tmp, &e);
        TEST_END();
}
