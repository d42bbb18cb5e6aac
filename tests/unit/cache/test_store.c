/* cache/store: layout, locks, index, staging and publish, gc of what dead
 * processes left. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "test.h"

static bool exists(const char *root, const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

int main(void)
{
        char tmpl[] = "/tmp/test_store.XXXXXX";
        CHECK(mkdtemp(tmpl) != NULL);
        err_t e = {0};

        /* Resolution: $MKROOT_CACHE first. */
        setenv("MKROOT_CACHE", "/some/where", 1);
        _cleanup_free_ char *d = store_default_dir();
        CHECK_STR(d, "/some/where");
        unsetenv("MKROOT_CACHE");
        _cleanup_free_ char *d2 = store_default_dir();
        if (geteuid() == 0)
                CHECK_STR(d2, "/var/cache/mkroot");

        _cleanup_free_ char *root = path_join(tmpl, "cache");
        store *s = NULL;
        CHECK_INT(store_open(root, &s, &e), 0);
        CHECK(exists(root, "layers/sha256") && exists(root, "index") && exists(root, "tmp") &&
              exists(root, "runs") && exists(root, "locks") && exists(root, "blobs/sha256"));
        CHECK_STR(store_root(s), root);
        /* The unpacked trees (setuid files and all) are private. */
        struct stat lst;
        _cleanup_free_ char *layers = path_join(root, "layers");
        CHECK(stat(layers, &lst) == 0 && (lst.st_mode & 077) == 0);

        /* Locks: exclusive between processes. */
        int lfd = -1;
        CHECK_INT(store_lock(s, "unpack-x", true, &lfd, &e), 0);
        pid_t pid = fork();
        if (pid == 0) {
                int fd2 = -1;
                err_t e2 = {0};
                _exit(store_lock(s, "unpack-x", false, &fd2, &e2) == -EWOULDBLOCK ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(lfd);
        CHECK(store_lock(s, "../evil", true, &lfd, &e) == -EINVAL);

        /* Keys: a rewrite of the file changes the key. */
        _cleanup_free_ char *img = path_join(tmpl, "img");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, img, "abc", 3, 0644, &e), 0);
        char k1[STORE_KEY_MAX], k2[STORE_KEY_MAX], k3[STORE_KEY_MAX];
        int fd = open(img, O_RDONLY | O_CLOEXEC);
        CHECK_INT(store_file_key(fd, k1, &e), 0);
        CHECK_INT(store_file_key(fd, k2, &e), 0);
        CHECK_STR(k1, k2);
        close(fd);
        fd = open(img, O_WRONLY | O_CLOEXEC);
        CHECK(write(fd, "x", 1) == 1);
        close(fd);
        fd = open(img, O_RDONLY | O_CLOEXEC);
        CHECK_INT(store_file_key(fd, k3, &e), 0);
        close(fd);
        CHECK(strcmp(k1, k3) != 0);

        /* Index. */
        char dg[DIGEST_HEX_LEN + 1];
        const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        CHECK_INT(store_index_get(s, k1, dg), -ENOENT);
        CHECK_INT(store_index_put(s, k1, digest, &e), 0);
        CHECK_INT(store_index_get(s, k1, dg), 0);
        CHECK_STR(dg, digest);
        CHECK(store_index_put(s, "../../x", digest, &e) < 0);
        CHECK(store_index_put(s, k1, "nothex", &e) < 0);
        CHECK_INT(store_index_get(s, "../etc", dg), -EINVAL);

        /* Staging and publish; a second publish of the same digest is
         * discarded, not an error. */
        store_scratch *sc = NULL;
        CHECK_INT(store_scratch_new(s, "tmp", &sc, &e), 0);
        _cleanup_free_ char *staged = path_join(sc->path, "file");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, staged, "1", 1, 0644, &e), 0);
        _cleanup_free_ char *sc_rel = xasprintf("tmp/%s", sc->id);
        CHECK(!store_layer_exists(s, digest));
        CHECK_INT(store_layer_publish(s, sc, digest, &e), 0);
        CHECK(store_layer_exists(s, digest));
        CHECK(!exists(root, sc_rel));
        _cleanup_free_ char *lp = store_layer_path(s, digest);
        _cleanup_free_ char *lfile = path_join(lp, "file");
        CHECK(access(lfile, F_OK) == 0);
        CHECK_INT(store_scratch_new(s, "tmp", &sc, &e), 0);
        CHECK_INT(store_layer_publish(s, sc, digest, &e), 0);
        CHECK(access(lfile, F_OK) == 0);
        CHECK_INT(store_index_get(s, k1, dg), 0);

        /* gc: a dead process's staging dir goes, a live one's stays. */
        pid = fork();
        if (pid == 0) {
                store_scratch *dead = NULL;
                err_t e2 = {0};
                _exit(store_scratch_new(s, "tmp", &dead, &e2) == 0 ? 0 : 1);
        }
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        store_scratch *live = NULL;
        CHECK_INT(store_scratch_new(s, "tmp", &live, &e), 0);
        _cleanup_free_ char *live_rel = xasprintf("tmp/%s", live->id);
        /* A staging dir whose lock file never got made. */
        _cleanup_free_ char *orphan = path_join(root, "tmp/1-00000000");
        CHECK(mkdir(orphan, 0700) == 0);
        unsigned removed = 0;
        CHECK_INT(store_gc(s, true, &removed, &e), 0);
        CHECK_INT(removed, 2);
        CHECK(exists(root, live_rel));
        CHECK(!exists(root, "tmp/1-00000000"));
        CHECK_INT(store_scratch_remove(s, live, &e), 0);
        CHECK(!exists(root, live_rel));
        /* An index entry whose layer is gone is dropped by a full gc. */
        CHECK_INT(store_index_put(
                          s, k3, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
                          &e),
                  0);
        CHECK_INT(store_gc(s, true, &removed, &e), 0);
        CHECK_INT(store_index_get(s, k3, dg), -ENOENT);
        CHECK_INT(store_index_get(s, k1, dg), 0);

        /* Names: one user at a time. */
        char *np = NULL;
        int nfd = -1, nfd2 = -1;
        CHECK_INT(store_name_open(s, "web", &np, &nfd, &e), 0);
        pid = fork();
        if (pid == 0) {
                char *np2 = NULL;
                err_t e2 = {0};
                _exit(store_name_open(s, "web", &np2, &nfd2, &e2) == -EBUSY ? 0 : 1);
        }
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK(store_name_open(s, "../x", &np, &nfd2, &e) == -EINVAL);
        free(np);
        close(nfd);

        store_free(s);
        fs_rm_rf_at(AT_FDCWD, tmpl, &e);
        TEST_END();
}
