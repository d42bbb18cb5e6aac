/* cache/store: layout, locks, index, staging and publish, gc of what dead
 * processes left. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <signal.h>
#include <string.h>
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
        char tmpl[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(tmpl, "test_store")) != NULL);
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
        CHECK(exists(root, "layers") && exists(root, "index") && exists(root, "tmp") &&
              exists(root, "runs") && exists(root, "locks") && exists(root, "blobs/sha256"));
        CHECK_STR(store_root(s), root);
        CHECK(exists(root, "layers/rootfs/sha256") && exists(root, "layers/oci/sha256") &&
              exists(root, "stacks") && exists(root, "steps"));
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

        /* Index: an entry says what the file was unpacked as. */
        char dg[STORE_NAME_MAX];
        store_entry what;
        const char *digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        CHECK_INT(store_index_get(s, k1, &what, dg, &e), -ENOENT);
        CHECK_INT(store_index_put(s, k1, STORE_ENTRY_ROOTFS, digest, &e), 0);
        CHECK_INT(store_index_get(s, k1, &what, dg, &e), 0);
        CHECK_STR(dg, digest);
        CHECK_INT(what, STORE_ENTRY_ROOTFS);
        CHECK(store_index_put(s, "../../x", STORE_ENTRY_ROOTFS, digest, &e) < 0);
        CHECK(store_index_put(s, k1, STORE_ENTRY_ROOTFS, "nothex", &e) < 0);
        CHECK_INT(store_index_get(s, "../etc", &what, dg, &e), -ENOENT);
        /* A format 1 entry (v1- key, bare digest) is never read. */
        _cleanup_free_ char *v1 = path_join(root, "index/v1-1-2-3-4.5-6.7");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, v1, digest, strlen(digest), 0644, &e), 0);
        CHECK_INT(store_index_get(s, "v1-1-2-3-4.5-6.7", &what, dg, &e), -ENOENT);

        /* Staging and publish; a second publish of the same digest is
         * discarded, not an error. */
        store_scratch *sc = NULL;
        CHECK_INT(store_scratch_new(s, "tmp", &sc, &e), 0);
        _cleanup_free_ char *staged = path_join(sc->path, "file");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, staged, "1", 1, 0644, &e), 0);
        _cleanup_free_ char *sc_rel = xasprintf("tmp/%s", sc->id);
        CHECK(!store_tree_exists(s, STORE_KIND_ROOTFS, digest));
        CHECK_INT(store_tree_publish(s, sc, STORE_KIND_ROOTFS, digest, &e), 0);
        CHECK(store_tree_exists(s, STORE_KIND_ROOTFS, digest));
        CHECK(!exists(root, sc_rel));
        _cleanup_free_ char *lp = store_tree_path(s, STORE_KIND_ROOTFS, digest);
        _cleanup_free_ char *lfile = path_join(lp, "file");
        CHECK(access(lfile, F_OK) == 0);
        CHECK_INT(store_scratch_new(s, "tmp", &sc, &e), 0);
        CHECK_INT(store_tree_publish(s, sc, STORE_KIND_ROOTFS, digest, &e), 0);
        CHECK(access(lfile, F_OK) == 0);
        CHECK_INT(store_index_get(s, k1, &what, dg, &e), 0);

        /* Kinds apart: the same digest as an OCI layer is another tree. */
        CHECK(!store_tree_exists(s, STORE_KIND_OCI, digest));
        CHECK_INT(store_tree_hold(s, STORE_KIND_OCI, digest, &e), -ENOENT);
        _cleanup_free_ char *op = store_tree_path(s, STORE_KIND_OCI, digest);
        CHECK(strcmp(op, lp) != 0);
        CHECK_INT(store_scratch_new(s, "tmp", &sc, &e), 0);
        CHECK_INT(store_tree_publish(s, sc, STORE_KIND_OCI, digest, &e), 0);
        _cleanup_free_ char *ofile = path_join(op, "file");
        CHECK(access(ofile, F_OK) < 0 && access(lfile, F_OK) == 0);

        /* Records: references and payload; stacks name OCI trees. */
        strv refs = {0};
        strv_push(&refs, digest);
        const char *stack = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
        CHECK_INT(store_record_put(s, STORE_RECORD_STACK, stack, &refs, "{\"Env\":[]}", &e), 0);
        strv_free(&refs);
        _cleanup_free_ char *payload = NULL;
        CHECK_INT(store_record_get(s, STORE_RECORD_STACK, stack, true, &refs, &payload, &e), 0);
        CHECK_INT(refs.n, 1);
        CHECK_STR(refs.n ? refs.v[0] : NULL, digest);
        CHECK_STR(payload, "{\"Env\":[]}");
        strv_free(&refs);
        CHECK(store_record_put(s, STORE_RECORD_STACK, "../x", NULL, "", &e) < 0);
        _cleanup_free_ char *legacy = path_join(root, "stacks/old.json");
        CHECK_INT(fs_write_atomic_at(AT_FDCWD, legacy, "{}", 2, 0644, &e), 0);
        CHECK_INT(store_record_get(s, STORE_RECORD_STACK, "old.json", false, NULL, NULL, &e),
                  -ENOENT);
        char k4[STORE_KEY_MAX];
        snprintf(k4, sizeof k4, "%s", k3);
        k4[3] = k4[3] == '1' ? '2' : '1';
        CHECK_INT(store_index_put(s, k4, STORE_ENTRY_STACK, stack, &e), 0);
        store_free(s);
        s = NULL;

        /* gc: a dead process's staging dir goes, a live one's stays. */
        CHECK_INT(store_open(root, &s, &e), 0);
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
        CHECK_INT(store_gc_leftovers(s, &removed, &e), 0);
        CHECK_INT(removed, 2);
        CHECK(exists(root, live_rel));
        CHECK(!exists(root, "tmp/1-00000000"));
        CHECK_INT(store_scratch_remove(s, live, &e), 0);
        CHECK(!exists(root, live_rel));

        /* A full gc keeps what the index names (the rootfs tree, the stack
         * and its OCI tree) and drops a dangling entry and format 1 ones. */
        CHECK_INT(store_index_put(
                          s, k3, STORE_ENTRY_ROOTFS,
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &e),
                  0);
        store_gc_stats gs = {0};
        CHECK_INT(store_gc(s, &(store_gc_opts){.keep_days = -1}, &gs, &e), 0);
        CHECK_INT(store_index_get(s, k3, &what, dg, &e), -ENOENT);
        CHECK_INT(store_index_get(s, k1, &what, dg, &e), 0);
        CHECK_INT(store_index_get(s, k4, &what, dg, &e), 0);
        CHECK(!exists(root, "index/v1-1-2-3-4.5-6.7"));
        CHECK(!exists(root, "stacks/old.json"));
        CHECK(store_tree_exists(s, STORE_KIND_ROOTFS, digest));
        CHECK(store_tree_exists(s, STORE_KIND_OCI, digest));

        /* A held tree survives gc --keep-days 0; released, it goes, and
         * then the index entries that named it. */
        int pfd[2];
        CHECK(pipe(pfd) == 0);
        pid_t holder = fork();
        if (holder == 0) {
                store *s2 = NULL;
                err_t e2 = {0};
                if (store_open(root, &s2, &e2) < 0 ||
                    store_tree_hold(s2, STORE_KIND_OCI, digest, &e2) < 0)
                        _exit(1);
                close(pfd[0]);
                if (write(pfd[1], "h", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(pfd[1]);
        char c = 0;
        CHECK(read(pfd[0], &c, 1) == 1 && c == 'h');
        close(pfd[0]);
        CHECK_INT(store_gc(s, &(store_gc_opts){.keep_days = 0}, &gs, &e), 0);
        CHECK(store_tree_exists(s, STORE_KIND_OCI, digest));
        CHECK(!store_tree_exists(s, STORE_KIND_ROOTFS, digest));
        CHECK_INT(store_index_get(s, k1, &what, dg, &e), -ENOENT);
        CHECK_INT(store_index_get(s, k4, &what, dg, &e), 0);
        CHECK(gs.busy >= 1);
        kill(holder, SIGKILL);
        waitpid(holder, &st, 0);
        CHECK_INT(store_gc(s, &(store_gc_opts){.keep_days = 0}, &gs, &e), 0);
        CHECK(!store_tree_exists(s, STORE_KIND_OCI, digest));
        CHECK_INT(store_index_get(s, k4, &what, dg, &e), -ENOENT);
        CHECK(!exists(root,
                      "stacks/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"));

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
        s = NULL;

        /* Trust: a new cache is private; a writable or symlinked part of
         * it, or one that is not the caller's, is refused by name. */
        struct stat rst;
        CHECK(stat(root, &rst) == 0 && (rst.st_mode & 07777) == 0700);
        _cleanup_free_ char *idx = path_join(root, "index");
        CHECK(chmod(idx, 0775) == 0);
        CHECK(store_open(root, &s, &e) == -EPERM && strstr(e.msg, idx) &&
              strstr(e.msg, "writable by its group"));
        CHECK(chmod(idx, 0755) == 0);
        CHECK(chmod(root, 0777) == 0);
        CHECK(store_open(root, &s, &e) == -EPERM && strstr(e.msg, root) &&
              strstr(e.msg, "writable by others"));
        CHECK(chmod(root, 0700) == 0);
        _cleanup_free_ char *locks = path_join(root, "locks");
        _cleanup_free_ char *elsewhere = path_join(tmpl, "elsewhere");
        CHECK(mkdir(elsewhere, 0700) == 0);
        CHECK(fs_rm_rf_at(AT_FDCWD, locks, &e) == 0 && symlink(elsewhere, locks) == 0);
        CHECK(store_open(root, &s, &e) < 0 && strstr(e.msg, locks) &&
              strstr(e.msg, "symbolic link"));
        CHECK(unlink(locks) == 0);
        CHECK_INT(store_open(root, &s, &e), 0);
        /* A lock file that is not the caller's alone. */
        _cleanup_free_ char *lk = path_join(root, "locks/x.lock");
        CHECK(close(open(lk, O_CREAT | O_WRONLY | O_CLOEXEC, 0666)) == 0 && chmod(lk, 0666) == 0);
        CHECK(store_lock(s, "x", false, &lfd, &e) == -EPERM && strstr(e.msg, lk));
        if (geteuid() == 0) {
                CHECK(chmod(lk, 0600) == 0 && chown(lk, 65534, 65534) == 0);
                CHECK(store_lock(s, "x", false, &lfd, &e) == -EPERM && strstr(e.msg, "uid 65534"));
                store_free(s);
                s = NULL;
                CHECK(chown(root, 65534, 65534) == 0);
                CHECK(store_open(root, &s, &e) == -EPERM && strstr(e.msg, root) &&
                      strstr(e.msg, "owned by uid 65534"));
                /* And below a directory someone else may replace. */
                _cleanup_free_ char *parent = path_join(tmpl, "p");
                _cleanup_free_ char *below = path_join(parent, "cache");
                CHECK(mkdir(parent, 0755) == 0 && chown(parent, 65534, 65534) == 0);
                CHECK(store_open(below, &s, &e) < 0 && strstr(e.msg, parent));
        }
        store_free(s);
        fs_rm_rf_at(AT_FDCWD, tmpl, &e);
        TEST_END();
}
