/* cache/: the areas other modules keep files in (paths inside the root,
 * keys that stay single names, the trust checks), blobs made through the
 * store, and the one gc across every area: references, generations, age
 * of use, and the fetch's lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "test.h"

#define DAY 86400

static bool exists(const char *root, const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

/* A file at root/rel last used days ago. */
static void put(const char *root, const char *rel, int days)
{
        _cleanup_free_ char *p = path_join(root, rel);
        _cleanup_free_ char *dir = path_dirname(p);
        err_t e = {0};
        CHECK_INT(fs_mkdir_p_at(AT_FDCWD, dir, 0755, &e), 0);
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, p, "x", 1, 0644, &e), 0);
        time_t t = time(NULL) - (time_t)days * DAY;
        struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
        CHECK(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static char *hex(char c)
{
        char *h = xmalloc(DIGEST_HEX_LEN + 1);
        memset(h, c, DIGEST_HEX_LEN);
        h[DIGEST_HEX_LEN] = '\0';
        return h;
}

static bool starts(const char *s, const char *prefix)
{
        return s && !strncmp(s, prefix, strlen(prefix));
}

static void test_areas(const char *root)
{
        err_t e = {0};
        store *s = NULL;
        CHECK_INT(store_open(root, &s, &e), 0);
        if (!s)
                return;
        _cleanup_free_ char *inside = xasprintf("%s/", root);
        for (int a = 0; a < STORE_AREA_MAX; a++) {
                _cleanup_free_ char *dir = NULL, *p = NULL;
                CHECK_INT(store_area_dir(s, (store_area)a, &dir, &e), 0);
                CHECK(starts(dir, inside));
                CHECK_INT(store_area_path(s, (store_area)a, "k.1", &p, &e), 0);
                _cleanup_free_ char *want = dir ? path_join(dir, "k.1") : NULL;
                CHECK_STR(p, want);
                struct stat st;
                CHECK(dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & 022));
        }
        _cleanup_free_ char *images = NULL;
        CHECK_INT(store_area_dir(s, STORE_AREA_APT_IMAGES, &images, &e), 0);
        _cleanup_free_ char *want_images = path_join(root, "apt/images");
        CHECK_STR(images, want_images);
        _cleanup_free_ char *marker = store_marker_path(s, STORE_MARKER_OVERLAY_REFUSED);
        _cleanup_free_ char *want_marker = path_join(root, "overlay-refused");
        CHECK_STR(marker, want_marker);

        /* Keys are single names: nothing that leaves the area. */
        static const char *const bad[] = {"a/b", "..", "../x", ".", ".hidden", "", "x/../../y"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char *p = NULL;
                int fd = -1;
                CHECK_INT(store_area_path(s, STORE_AREA_BASES, bad[i], &p, &e), -EINVAL);
                CHECK_INT(store_area_open(s, STORE_AREA_SECCOMP, bad[i], O_RDONLY, 0, &fd, &e),
                          -EINVAL);
                CHECK(p == NULL && fd == -1);
        }
        char *p = NULL;
        CHECK_INT(store_area_path(s, STORE_AREA_BASES, NULL, &p, &e), -EINVAL);
        CHECK_INT(store_area_path(s, STORE_AREA_MAX, "k", &p, &e), -EINVAL);

        /* Files opened in an area are checked as the areas are. */
        int fd = -1;
        CHECK_INT(store_area_open(s, STORE_AREA_APT, "lock", O_RDWR | O_CREAT, 0644, &fd, &e), 0);
        CHECK(fd >= 0);
        close(fd);
        _cleanup_free_ char *lock = path_join(root, "apt/lock");
        CHECK(chmod(lock, 0666) == 0);
        fd = -1;
        CHECK(store_area_open(s, STORE_AREA_APT, "lock", O_RDWR, 0, &fd, &e) == -EPERM &&
              strstr(e.msg, lock));
        CHECK(chmod(lock, 0644) == 0);

        /* An area writable by its group or others, or not a directory. */
        CHECK(chmod(images, 0775) == 0);
        p = NULL;
        CHECK(store_area_path(s, STORE_AREA_APT_IMAGES, "k", &p, &e) == -EPERM &&
              strstr(e.msg, images) && strstr(e.msg, "its group"));
        CHECK(chmod(images, 0757) == 0);
        CHECK(store_area_dir(s, STORE_AREA_APT_IMAGES, &p, &e) == -EPERM &&
              strstr(e.msg, "others"));
        CHECK(chmod(images, 0755) == 0);
        _cleanup_free_ char *seccomp = path_join(root, "seccomp");
        _cleanup_free_ char *elsewhere = path_join(root, "tmp/elsewhere");
        CHECK(mkdir(elsewhere, 0755) == 0);
        CHECK(rmdir(seccomp) == 0 && symlink(elsewhere, seccomp) == 0);
        CHECK(store_area_dir(s, STORE_AREA_SECCOMP, &p, &e) < 0 && strstr(e.msg, seccomp) &&
              strstr(e.msg, "symbolic link"));
        CHECK(unlink(seccomp) == 0 && rmdir(elsewhere) == 0);
        CHECK(p == NULL);
        /* Another user's area (only root can make one). */
        if (geteuid() == 0) {
                _cleanup_free_ char *bases = path_join(root, "bases");
                CHECK(chown(bases, 65534, 65534) == 0);
                CHECK(store_area_path(s, STORE_AREA_BASES, "k", &p, &e) == -EPERM &&
                      strstr(e.msg, bases) && strstr(e.msg, "uid 65534"));
                CHECK(chown(bases, 0, 0) == 0);
        } else {
                TEST_SKIP("an area of another user needs root");
        }

        /* Blobs: made in a dot-named temporary file, published by digest. */
        char *tmp = NULL;
        fd = -1;
        CHECK_INT(store_blob_tmp(s, &tmp, &fd, &e), 0);
        _cleanup_free_ char *blobs = path_join(root, "blobs/sha256/.tmp-");
        CHECK(starts(tmp, blobs));
        CHECK(write(fd, "blob", 4) == 4);
        _cleanup_free_ char *d = hex('b');
        CHECK_INT(store_blob_publish(s, tmp, fd, d, &e), 0);
        _cleanup_free_ char *bp = store_blob_path(s, d);
        struct stat st;
        CHECK(stat(bp, &st) == 0 && (st.st_mode & 07777) == 0644 && access(tmp, F_OK) < 0);
        close(fd);
        free(tmp);
        CHECK(unlink(bp) == 0);
        /* A bad digest publishes nothing and leaves no temporary file. */
        CHECK_INT(store_blob_tmp(s, &tmp, &fd, &e), 0);
        CHECK_INT(store_blob_publish(s, tmp, fd, "../../x", &e), -EINVAL);
        CHECK(access(tmp, F_OK) < 0);
        close(fd);
        free(tmp);
        store_free(s);
}

/* Two OCI trees A and B, a stack naming A, an index entry naming the
 * stack. The store that made them holds them; it is freed. */
static void make_stack(const char *root, const char *image)
{
        err_t e = {0};
        store *s = NULL;
        CHECK_INT(store_open(root, &s, &e), 0);
        if (!s)
                return;
        _cleanup_free_ char *a = hex('a'), *b = hex('b');
        const char *ds[] = {a, b};
        for (size_t i = 0; i < ARRAY_SIZE(ds); i++) {
                store_scratch *sc = NULL;
                CHECK_INT(store_scratch_new(s, "tmp", &sc, &e), 0);
                CHECK_INT(store_tree_publish(s, sc, STORE_KIND_OCI, ds[i], &e), 0);
        }
        strv refs = {0};
        strv_push(&refs, a);
        CHECK_INT(store_record_put(s, STORE_RECORD_STACK, "stk", &refs, "{}", &e), 0);
        strv_free(&refs);
        int fd = open(image, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        char key[STORE_KEY_MAX];
        CHECK_INT(store_file_key(fd, key, &e), 0);
        close(fd);
        CHECK_INT(store_index_put(s, key, STORE_ENTRY_STACK, "stk", &e), 0);
        store_free(s);
}

static store_gc_stats gc(const char *root, int keep_days, const char *gen)
{
        err_t e = {0};
        store *s = NULL;
        store_gc_stats st = {0};
        CHECK_INT(store_open(root, &s, &e), 0);
        if (!s)
                return st;
        store_gc_opts o = {.keep_days = keep_days, .seccomp_generation = gen};
        int r = store_gc(s, &o, &st, &e);
        if (r < 0)
                fprintf(stderr, "gc: %s\n", e.msg);
        CHECK_INT(r, 0);
        store_free(s);
        return st;
}

static void test_gc(const char *root, const char *image)
{
        make_stack(root, image);
        _cleanup_free_ char *a = hex('a'), *b = hex('b'), *c = hex('c'), *d = hex('d');
        _cleanup_free_ char *tree_a = xasprintf("layers/oci/sha256/%s", a);
        _cleanup_free_ char *tree_b = xasprintf("layers/oci/sha256/%s", b);
        CHECK(exists(root, tree_a) && exists(root, tree_b));

        /* Every area, old and new. */
        put(root, "seccomp/aaaaaaaa-0000000000000001", 0);
        put(root, "seccomp/aaaaaaaa-00000000000000ff", 10);
        put(root, "seccomp/bbbbbbbb-0000000000000001", 0);
        put(root, "seccomp/0000000000000001-12345678", 0);          /* format before generations */
        put(root, "seccomp/aaaaaaaa-0000000000000001-0123abcd", 0); /* a profile's */
        put(root, "seccomp/bbbbbbbb-0000000000000001-0123abcd", 0);
        put(root, "seccomp/aaaaaaaa-0000000000000001-0123abcdx", 0);
        _cleanup_free_ char *img_old = xasprintf("apt/images/%s", c);
        _cleanup_free_ char *img_new = xasprintf("apt/images/%s", d);
        _cleanup_free_ char *img_tmp = xasprintf("apt/images/%s.tmp-123", d);
        put(root, img_old, 10);
        put(root, img_new, 1);
        put(root, img_tmp, 0);
        _cleanup_free_ char *deb_old = xasprintf("apt/sha256/%s", c);
        _cleanup_free_ char *deb_new = xasprintf("apt/sha256/%s", d);
        put(root, deb_old, 10);
        put(root, deb_new, 0);
        _cleanup_free_ char *partial = xasprintf("apt/partial/%s", c);
        put(root, partial, 0);
        put(root, "apt/partial/unverified-abc", 0);
        put(root, "apt/tmp/root-abc/etc/x", 0);
        put(root, "bases/old_amd64.tar.gz", 10);
        put(root, "bases/new_amd64.tar.gz", 0);
        put(root, "bases/new_amd64.tar.gz.tmp-99", 0);
        put(root, "apt/bases/old.tar.gz", 10);
        put(root, "apt/bases/used.tar.gz", 10);
        put(root, "apt/bases/gone.tar.gz", 0);
        put(root, "apt/bases/.old-99.tar.gz", 2);
        put(root, "blobs/sha256/.tmp-99-abcdef", 2);

        /* A build used this base just now; its times (part of its index
         * key) stay as they are. */
        err_t e = {0};
        store *s = NULL;
        CHECK_INT(store_open(root, &s, &e), 0);
        _cleanup_free_ char *used = path_join(root, "apt/bases/used.tar.gz");
        struct stat before, after;
        CHECK(stat(used, &before) == 0);
        CHECK_INT(store_area_mark_used(s, STORE_AREA_APT_BASES, "used.tar.gz"), 0);
        CHECK_INT(store_area_mark_used(s, STORE_AREA_APT_BASES, "gone.tar.gz"), 0);
        CHECK_INT(store_area_mark_used(s, STORE_AREA_APT_BASES, "../x"), -EINVAL);
        CHECK(stat(used, &after) == 0 && after.st_mtime == before.st_mtime &&
              after.st_ctime == before.st_ctime);
        store_free(s);
        _cleanup_free_ char *gone = path_join(root, "apt/bases/gone.tar.gz");
        CHECK(unlink(gone) == 0);

        /* Only what nothing references; the generation unknown (mkroot). */
        store_gc_stats st = gc(root, -1, NULL);
        CHECK(exists(root, tree_a));  /* the stack names it */
        CHECK(!exists(root, tree_b)); /* nothing names it */
        CHECK_INT(st.trees, 1);
        CHECK_INT(st.seccomp, 0);
        CHECK(exists(root, "seccomp/bbbbbbbb-0000000000000001") &&
              exists(root, "seccomp/0000000000000001-12345678"));
        CHECK(exists(root, img_old) && exists(root, deb_old) && exists(root, partial));
        CHECK(exists(root, "bases/old_amd64.tar.gz") && exists(root, "apt/bases/old.tar.gz"));
        /* What an interrupted fetch or build left. */
        CHECK(!exists(root, img_tmp) && !exists(root, "apt/partial/unverified-abc") &&
              !exists(root, "apt/tmp/root-abc") && !exists(root, "bases/new_amd64.tar.gz.tmp-99") &&
              !exists(root, "apt/bases/.old-99.tar.gz") &&
              !exists(root, "blobs/sha256/.tmp-99-abcdef"));
        /* The use mark of a file that is gone. */
        CHECK(!exists(root, "locks/use-apt-bases--gone.tar.gz"));

        /* runroot's gc knows its generation: the others go. */
        st = gc(root, -1, "aaaaaaaa");
        CHECK_INT(st.seccomp, 4);
        CHECK(!exists(root, "seccomp/bbbbbbbb-0000000000000001") &&
              !exists(root, "seccomp/0000000000000001-12345678") &&
              !exists(root, "seccomp/bbbbbbbb-0000000000000001-0123abcd") &&
              !exists(root, "seccomp/aaaaaaaa-0000000000000001-0123abcdx"));
        CHECK(exists(root, "seccomp/aaaaaaaa-0000000000000001") &&
              exists(root, "seccomp/aaaaaaaa-00000000000000ff") &&
              exists(root, "seccomp/aaaaaaaa-0000000000000001-0123abcd"));
        CHECK(exists(root, tree_a));

        /* A running fetch holds apt/lock: apt/ and bases/ stay whole. */
        _cleanup_free_ char *lock = path_join(root, "apt/lock");
        int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        CHECK(lfd >= 0 && flock(lfd, LOCK_EX) == 0);
        st = gc(root, 5, "aaaaaaaa");
        CHECK(st.busy >= 1);
        CHECK_INT(st.apt, 0);
        CHECK_INT(st.bases, 0);
        CHECK(exists(root, img_old) && exists(root, deb_old) &&
              exists(root, "bases/old_amd64.tar.gz") && exists(root, "apt/bases/old.tar.gz"));
        /* The seccomp filter not used for 10 days is not the fetch's. */
        CHECK(!exists(root, "seccomp/aaaaaaaa-00000000000000ff"));
        CHECK(exists(root, "seccomp/aaaaaaaa-0000000000000001"));
        close(lfd);

        /* The fetch is done: by age of use. */
        st = gc(root, 5, "aaaaaaaa");
        CHECK(!exists(root, img_old) && exists(root, img_new));
        CHECK(!exists(root, deb_old) && exists(root, deb_new));
        CHECK(exists(root, partial)); /* a resumable download, recent */
        CHECK(!exists(root, "bases/old_amd64.tar.gz") && exists(root, "bases/new_amd64.tar.gz"));
        CHECK(!exists(root, "apt/bases/old.tar.gz"));
        CHECK(exists(root, "apt/bases/used.tar.gz") &&
              exists(root, "locks/use-apt-bases--used.tar.gz"));
        CHECK_INT(st.apt, 3);
        CHECK_INT(st.bases, 1);
        CHECK(exists(root, tree_a)); /* referenced and just used */
        CHECK(exists(root, "seccomp/aaaaaaaa-0000000000000001"));
}

/* pulled/HEX.tar (registry/): kept until unused for keep_days; another
 * name there is not of this format. */
static void test_gc_pulled(const char *root)
{
        _cleanup_free_ char *a = hex('a'), *b = hex('b');
        _cleanup_free_ char *old = xasprintf("pulled/%s.tar", a);
        _cleanup_free_ char *fresh = xasprintf("pulled/%s.tar", b);
        put(root, old, 10);
        put(root, fresh, 0);
        put(root, "pulled/image.tar", 0);
        store_gc_stats st = gc(root, -1, NULL);
        CHECK_INT(st.pulled, 1);
        CHECK(exists(root, old) && exists(root, fresh) && !exists(root, "pulled/image.tar"));
        st = gc(root, 5, NULL);
        CHECK_INT(st.pulled, 1);
        CHECK(!exists(root, old) && exists(root, fresh));
}

int main(void)
{
        char tmpl[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(tmpl, "test_gc")) != NULL);
        err_t e = {0};
        _cleanup_free_ char *root = path_join(tmpl, "cache");
        _cleanup_free_ char *image = path_join(tmpl, "image.tar");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, image, "img", 3, 0644, &e), 0);
        test_areas(root);
        test_gc(root, image);
        test_gc_pulled(root);
        fs_rm_rf_at(AT_FDCWD, tmpl, &e);
        TEST_END();
}
