#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "stage.h"
#include "test.h"

static char tmpdir[TEST_TMPL_MAX];

static char *mkfile(const char *name, const char *content)
{
        char *p = path_join(tmpdir, name);
        FILE *f = fopen(p, "we");
        fputs(content, f);
        fclose(f);
        return p;
}

static void test_paths(void)
{
        stage *s = stage_new();
        err_t e = {0};
        CHECK_INT(stage_add_dir(s, "/usr/bin", 0755, &e), 0);
        CHECK_INT(stage_add_data(s, "usr//bin/./x", 0644, "hi", 2, &e), 0);
        const stage_entry *x = stage_lookup(s, "/usr/bin/x");
        CHECK(x && strcmp(x->path, "usr/bin/x") == 0);
        CHECK(stage_lookup(s, "usr") && stage_lookup(s, "usr")->kind == STAGE_DIR);
        CHECK_INT(stage_lookup(s, "usr")->mode, S_IFDIR | 0755);
        CHECK_INT(stage_add_data(s, "../etc/passwd", 0644, "", 0, &e), -EINVAL);
        CHECK(strstr(e.msg, "../etc/passwd") != NULL);
        CHECK_INT(stage_add_data(s, "a/../../x", 0644, "", 0, &e), -EINVAL);
        CHECK_INT(stage_add_data(s, "", 0644, "", 0, &e), -EINVAL);
        CHECK_INT(stage_add_data(s, "/", 0644, "", 0, &e), -EINVAL);
        CHECK_INT(stage_add_data(s, "a/./b/../c", 0600, "", 0, &e), 0);
        CHECK(stage_lookup(s, "a/c") != NULL);
        CHECK_INT(stage_count(s), 5); /* usr usr/bin usr/bin/x a a/c */
        stage_free(s);
}

static void test_symlink_parents(void)
{
        stage *s = stage_new();
        err_t e = {0};
        CHECK_INT(stage_add_symlink(s, "bin", "usr/bin", &e), 0);
        CHECK_INT(stage_add_symlink(s, "lib64", "/usr/lib64", &e), 0);
        CHECK_INT(stage_add_data(s, "bin/x", 0755, "x", 1, &e), 0);
        CHECK(stage_lookup(s, "usr/bin/x") != NULL);
        CHECK(stage_lookup(s, "bin/x") == stage_lookup(s, "usr/bin/x"));
        CHECK_INT(stage_add_data(s, "/lib64/ld.so", 0755, "l", 1, &e), 0);
        CHECK(stage_lookup(s, "usr/lib64/ld.so") != NULL);
        /* relative target with ".." and a chain of links */
        CHECK_INT(stage_add_symlink(s, "usr/sbin", "../bin", &e), 0); /* -> /bin -> usr/bin */
        CHECK_INT(stage_add_data(s, "usr/sbin/y", 0755, "y", 1, &e), 0);
        CHECK(stage_lookup(s, "usr/bin/y") != NULL);
        /* loops are cut */
        CHECK_INT(stage_add_symlink(s, "l1", "l2", &e), 0);
        CHECK_INT(stage_add_symlink(s, "l2", "l1", &e), 0);
        CHECK_INT(stage_add_data(s, "l1/z", 0644, "", 0, &e), -ELOOP);
        /* a file as parent */
        CHECK_INT(stage_add_data(s, "usr/bin/x/z", 0644, "", 0, &e), -ENOTDIR);
        /* a directory over a symlink to a staged directory merges */
        CHECK_INT(stage_add_dir(s, "bin", 0755, &e), 0);
        CHECK_INT(stage_add_host(s, "bin", "/", &e), 0);
        CHECK_INT(stage_add_dir(s, "l1", 0755, &e), -EEXIST);
        /* the last component is not followed */
        CHECK(stage_lookup(s, "bin")->kind == STAGE_SYMLINK);
        stage_free(s);
}

static void test_conflicts_and_host(void)
{
        stage *s = stage_new();
        err_t e = {0};
        char *a = mkfile("a", "aaa"), *b = mkfile("b", "bbbb");
        CHECK_INT(chmod(a, 04755), 0);
        CHECK_INT(stage_add_host(s, "x/a", a, &e), 0);
        CHECK_INT(stage_add_host(s, "x/a", a, &e), 0); /* same source: no-op */
        CHECK_INT(stage_add_host(s, "x/a", b, &e), -EEXIST);
        CHECK(strstr(e.msg, "x/a") != NULL);
        CHECK_INT(stage_add_data(s, "x/a", 0644, "", 0, &e), -EEXIST);
        const stage_entry *ea = stage_lookup(s, "x/a");
        CHECK(ea && ea->kind == STAGE_FILE && ea->size == 3);
        CHECK_INT(ea->mode, S_IFREG | 04755);
        CHECK_STR(ea->host, a);
        CHECK(ea->host_ino != 0 && ea->host_nlink == 1);
        /* implied dir upgraded by a real host dir */
        CHECK_INT(chmod(tmpdir, 0711), 0);
        struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
        CHECK_INT(utimensat(AT_FDCWD, tmpdir, ts, 0), 0);
        CHECK_INT(stage_lookup(s, "x")->mtime, -1);
        CHECK_INT(stage_add_host(s, "x", tmpdir, &e), 0);
        CHECK_INT(stage_lookup(s, "x")->mode, S_IFDIR | 0711);
        CHECK_INT(stage_lookup(s, "x")->mtime, 1000000);
        /* dir over dir merges, first wins */
        CHECK_INT(stage_add_dir(s, "x", 0700, &e), 0);
        CHECK_INT(stage_lookup(s, "x")->mode, S_IFDIR | 0711);
        CHECK_INT(stage_add_dir(s, "x/a", 0755, &e), -EEXIST);
        /* symlink from host */
        char *l = path_join(tmpdir, "l");
        CHECK_INT(symlink("../target", l), 0);
        CHECK_INT(stage_add_host(s, "l", l, &e), 0);
        CHECK_STR(stage_lookup(s, "l")->target, "../target");
        CHECK_INT(stage_add_symlink(s, "m", "t", &e), 0);
        CHECK_INT(stage_add_symlink(s, "m", "t", &e), 0);
        CHECK_INT(stage_add_symlink(s, "m", "u", &e), -EEXIST);
        /* device */
        CHECK_INT(stage_add_host(s, "dev/null", "/dev/null", &e), 0);
        CHECK(S_ISCHR(stage_lookup(s, "dev/null")->mode));
        CHECK_INT(stage_lookup(s, "dev/null")->kind, STAGE_DEVICE);
        CHECK_INT(stage_add_host(s, "nope", "/nonexistent/really", &e), -ENOENT);
        CHECK(strstr(e.msg, "/nonexistent/really") != NULL);
        unlink(l);
        free(l);
        unlink(a);
        unlink(b);
        free(a);
        free(b);
        stage_free(s);
}

static void test_sorted_and_many(void)
{
        stage *s = stage_new();
        err_t e = {0};
        CHECK_INT(stage_add_data(s, "a-b", 0644, "", 0, &e), 0);
        CHECK_INT(stage_add_data(s, "a/b", 0644, "", 0, &e), 0);
        CHECK_INT(stage_add_data(s, "a.b/c", 0644, "", 0, &e), 0);
        for (int i = 0; i < 100000; i++) {
                char p[64];
                snprintf(p, sizeof(p), "many/d%d/f%d", i % 97, i);
                if (stage_add_data(s, p, 0644, "", 0, &e) < 0) {
                        CHECK(false);
                        break;
                }
        }
        const stage_entry *const *v = stage_sorted(s);
        size_t n = stage_count(s);
        CHECK_INT(n, 5 + 1 + 97 + 100000);
        bool ordered = true, parents = true;
        for (size_t i = 1; i < n; i++)
                if (strcmp(v[i - 1]->path, v[i]->path) >= 0)
                        ordered = false;
        for (size_t i = 0; i < n; i++) {
                const char *sl = strrchr(v[i]->path, '/');
                if (!sl)
                        continue;
                char parent[256];
                snprintf(parent, sizeof(parent), "%.*s", (int)(sl - v[i]->path), v[i]->path);
                const stage_entry *pe = stage_lookup(s, parent);
                bool before = false;
                for (size_t j = i; j-- > 0 && !before;)
                        if (v[j] == pe)
                                before = true;
                if (!before) {
                        parents = false;
                        break;
                }
                if (i > 2000)
                        break; /* the quadratic check on a prefix is enough */
        }
        CHECK(ordered);
        CHECK(parents);
        CHECK_STR(v[0]->path, "a");
        CHECK(v[n] == NULL);
        stage_free(s);
}

int main(void)
{
        if (!mkdtemp(test_tmpl(tmpdir, "test_stage"))) {
                perror("mkdtemp");
                return 1;
        }
        test_paths();
        test_symlink_parents();
        test_conflicts_and_host();
        test_sorted_and_many();
        rmdir(tmpdir);
        TEST_END();
}
