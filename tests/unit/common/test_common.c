#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "test.h"

static void test_paths(void)
{
        char *p;
        CHECK_STR((p = path_normalize("/a/./b//c/../d")), "/a/b/d");
        free(p);
        CHECK_STR((p = path_normalize("/../../x")), "/x");
        free(p);
        CHECK_STR((p = path_normalize("a/../../b")), "../b");
        free(p);
        CHECK_STR((p = path_normalize("./")), ".");
        free(p);
        CHECK_STR((p = path_normalize("/")), "/");
        free(p);
        CHECK_STR((p = path_join("/", "usr/bin")), "/usr/bin");
        free(p);
        CHECK_STR((p = path_join("/a/", "/b")), "/a/b");
        free(p);
        CHECK_STR((p = path_dirname("/usr/bin/x")), "/usr/bin");
        free(p);
        CHECK_STR((p = path_dirname("/x")), "/");
        free(p);
        CHECK_STR((p = path_dirname("x")), ".");
        free(p);
        CHECK_STR(path_basename("/usr/bin/x"), "x");
        CHECK(path_is_contained("a/b"));
        CHECK(!path_is_contained("a/../b"));
        CHECK(!path_is_contained("/etc"));
        CHECK(!path_is_contained(""));
        CHECK(path_is_contained("a/..b"));
}

static void test_sizes(void)
{
        int64_t v = 0;
        CHECK(parse_size("80M", &v) == 0 && v == 80 * 1024 * 1024);
        CHECK(parse_size("1g", &v) == 0 && v == 1024LL * 1024 * 1024);
        CHECK(parse_size("512", &v) == 0 && v == 512);
        CHECK(parse_size("1.5k", &v) == 0 && v == 1536);
        CHECK(parse_size("12x", &v) < 0);
        CHECK(parse_size("", &v) < 0);
        CHECK(parse_size("-1", &v) < 0);
}

static void test_digest(void)
{
        char hex[DIGEST_HEX_LEN + 1];
        digest_buf("abc", 3, hex);
        CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_errors(void)
{
        err_t e = {0};
        CHECK(err_set(&e, ENOENT, "%s: missing", "x") == -ENOENT);
        CHECK_STR(e.msg, "x: missing");
        err_prefix(&e, "image %d", 1);
        CHECK_STR(e.msg, "image 1: x: missing");
        CHECK(err_sys(&e, EACCES, "f") == -EACCES);
        CHECK_STR(e.msg, "f: Permission denied");
}

static void test_root_resolution(void)
{
        char tmpl[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(tmpl, "test-common")) != NULL);
        int root = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(root >= 0);
        err_t e = {0};
        CHECK(fs_mkdir_p_at(root, "usr/bin", 0755, &e) == 0);
        CHECK(symlinkat("usr/bin", root, "bin") == 0);
        CHECK(symlinkat("/../../../../etc", root, "escape") == 0);
        CHECK(symlinkat("../../../..", root, "usr/up") == 0);
        char *r = NULL;
        CHECK(fs_resolve_in_root(root, "/bin/sh", true, &r, &e) == 0);
        CHECK_STR(r, "/usr/bin/sh");
        free(r), r = NULL;
        CHECK(fs_resolve_in_root(root, "escape/passwd", true, &r, &e) < 0 ||
              (r && !strcmp(r, "/etc/passwd")));
        free(r), r = NULL;
        CHECK(fs_resolve_in_root(root, "usr/up", true, &r, &e) == 0);
        CHECK_STR(r, "/");
        free(r), r = NULL;
        CHECK(fs_resolve_in_root(root, "bin", false, &r, &e) == 0);
        CHECK_STR(r, "/bin");
        free(r), r = NULL;
        /* Creating through a symlink that points out of the root stays inside. */
        int fd = fs_open_in_root(root, "usr/up/created", O_WRONLY | O_CREAT, 0644, &e);
        CHECK(fd >= 0);
        if (fd >= 0)
                close(fd);
        struct stat st;
        CHECK(fstatat(root, "created", &st, 0) == 0);
        CHECK(fs_rm_rf_at(AT_FDCWD, tmpl, &e) == 0);
        CHECK(access(tmpl, F_OK) < 0);
        close(root);
}

static void test_strbuf(void)
{
        strbuf b = {0};
        sb_append(&b, "a");
        sb_appendf(&b, "%d-%s", 12, "x");
        char *s = sb_steal(&b);
        CHECK_STR(s, "a12-x");
        free(s);
        strv v = {0};
        strv_push(&v, "one");
        strv_push(&v, "two");
        CHECK(strv_contains(&v, "two"));
        CHECK(!strv_contains(&v, "three"));
        CHECK(v.v[2] == NULL);
        strv_free(&v);
}

static void test_strmap(void)
{
        strmap *m = strmap_new();
        char *vals[1000];
        for (int i = 0; i < 1000; i++) {
                vals[i] = xasprintf("k%d", i);
                CHECK(strmap_put(m, vals[i], vals[i]) == NULL);
        }
        CHECK_INT(strmap_size(m), 1000);
        CHECK(strmap_get(m, "k517") == vals[517]);
        CHECK(strmap_get(m, "nope") == NULL);
        CHECK(strmap_put(m, "k1", vals[2]) == vals[1]);
        size_t pos = 0, n = 0;
        const char *k;
        while (strmap_next(m, &pos, &k, NULL))
                n++;
        CHECK_INT(n, 1000);
        strmap_free(m);
        for (int i = 0; i < 1000; i++)
                free(vals[i]);
}

static void test_fd_io(void)
{
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        CHECK_INT(fd_write_all(p[1], "hello, world", 12), 0);
        close(p[1]);
        char buf[8];
        CHECK_INT(fd_read_full(p[0], buf, 5), 5);
        CHECK(!memcmp(buf, "hello", 5));
        char *rest = NULL;
        size_t len = 0;
        CHECK_INT(fd_read_all(p[0], 100, &rest, &len), 0);
        CHECK_INT(len, 7);
        CHECK_STR(rest, ", world");
        free(rest);
        CHECK_INT(fd_read_full(p[0], buf, sizeof buf), 0); /* end of file */
        close(p[0]);

        CHECK(pipe2(p, O_CLOEXEC) == 0);
        CHECK_INT(fd_write_all(p[1], "0123456789", 10), 0);
        close(p[1]);
        rest = NULL;
        CHECK_INT(fd_read_all(p[0], 9, &rest, &len), -EFBIG);
        CHECK(rest == NULL);
        close(p[0]);
        CHECK_INT(fd_write_all(-1, "x", 1), -EBADF);
}

static void test_list_dir(void)
{
        char tmpl[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(tmpl, "test-common")) != NULL);
        int dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        const char *names[] = {"b", ".hidden", "a", "c-dir"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                CHECK(mkdirat(dfd, names[i], 0755) == 0);
        strv l = {0};
        CHECK_INT(fs_list_dir_at(AT_FDCWD, tmpl, &l), 0);
        CHECK_INT(l.n, 4);
        if (l.n == 4) {
                CHECK_STR(l.v[0], ".hidden");
                CHECK_STR(l.v[1], "a");
                CHECK_STR(l.v[2], "b");
                CHECK_STR(l.v[3], "c-dir");
                CHECK(l.v[4] == NULL);
        }
        strv_free(&l);
        CHECK_INT(fs_list_dir_at(dfd, "a", &l), 0);
        CHECK_INT(l.n, 0);
        CHECK_INT(fs_list_dir_at(dfd, "missing", &l), -ENOENT);
        err_t e = {0};
        CHECK(fs_rm_rf_at(AT_FDCWD, tmpl, &e) == 0);
        close(dfd);
}

static int freed;
static void count_free(void *p)
{
        freed++;
        free(p);
}

static void test_strmap_owning(void)
{
        strmap *m = strmap_new_with_free(count_free);
        for (int i = 0; i < 100; i++) {
                char *k = xasprintf("k%d", i);
                strmap_put(m, k, xstrdup(k));
                free(k);
        }
        strmap_put(m, "null", NULL);
        char *prev = strmap_put(m, "k7", xstrdup("new"));
        CHECK_STR(prev, "k7"); /* handed back, not freed by the map */
        free(prev);
        CHECK_INT(freed, 0);
        strmap_free(m);
        CHECK_INT(freed, 100);
}

static char sunk[256];
static log_level sunk_level;
static void capture(log_level l, const char *line, size_t len, void *userdata)
{
        snprintf(sunk, sizeof sunk, "%s%s", (const char *)userdata, line);
        sunk_level = l;
        CHECK_INT(len, strlen(line));
}

/* Without log_init nothing reaches stderr; with it, one line each. */
static void test_log_sink(void)
{
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
        int saved = dup(2);
        CHECK(dup2(p[1], 2) == 2);
        log_warn("unseen %d", 1);
        char buf[256];
        CHECK(read(p[0], buf, sizeof buf) < 0 && errno == EAGAIN);
        log_init("test_common");
        log_warn("seen %d", 2);
        log_debug("below the level");
        log_error("failed");
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        CHECK(n > 0);
        buf[n > 0 ? n : 0] = '\0';
        CHECK_STR(buf, "test_common: warning: seen 2\ntest_common: failed\n");
        dup2(saved, 2);
        close(saved);
        close(p[0]);
        close(p[1]);

        log_set_sink(capture, "> ");
        log_set_level(LOG_DEBUG);
        log_debug("x=%s", "y");
        CHECK_STR(sunk, "> test_common: debug: x=y\n");
        CHECK_INT(sunk_level, LOG_DEBUG);
        log_set_level(LOG_WARN);
        log_set_sink(NULL, NULL);
        sunk[0] = '\0';
        log_warn("nowhere");
        CHECK_STR(sunk, "");
}

int main(void)
{
        test_log_sink();
        test_strmap();
        test_strmap_owning();
        test_paths();
        test_sizes();
        test_digest();
        test_errors();
        test_root_resolution();
        test_strbuf();
        test_fd_io();
        test_list_dir();
        TEST_END();
}
