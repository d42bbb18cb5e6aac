/* The cached seccomp program: the same bytes libseccomp exports, one file
 * per capability set, refused and rewritten when damaged, optional when
 * the cache cannot be written, and refusing in a child what the compiled
 * filter refuses. */
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "security-internal.h"
#include "test.h"

static uint64_t keep_of(const sec_opts *o)
{
        uint64_t keep = 0;
        err_t e = {0};
        CHECK_INT(sec_caps_compute(o, &keep, &e), 0);
        return keep;
}

static sec_filter *prepare(const sec_opts *o, int dirfd)
{
        sec_filter *f = NULL;
        err_t e = {0};
        int r = sec_filter_prepare(o, dirfd, &f, &e);
        if (r < 0)
                fprintf(stderr, "prepare: %s\n", e.msg);
        CHECK_INT(r, 0);
        return f;
}

static bool same(const sec_filter *f, const uint8_t *prog, size_t len)
{
        return f && f->len == len && memcmp(f->prog, prog, len) == 0;
}

static char *cache_path(const sec_opts *o)
{
        char name[SEC_FILTER_NAME_MAX];
        free(sec_filter_key(keep_of(o), name));
        return xstrdup(name);
}

/* Write the cache file by hand: header line, then the given checksum,
 * key text and program. */
static void forge(int dirfd, const char *path, const char *key, const uint8_t *prog, size_t len,
                  uint32_t crc)
{
        err_t e = {0};
        strbuf b = {0};
        sb_appendf(&b, "runroot-seccomp-bpf 2\ncrc32 %08x len %zu keylen %zu\n%s", crc, len,
                   strlen(key), key);
        sb_appendn(&b, (const char *)prog, len);
        size_t size = b.len;
        _cleanup_free_ char *text = sb_steal(&b);
        CHECK_INT(fs_write_atomic_at(dirfd, path, text, size, 0644, &e), 0);
}

static uint32_t crc_of(const void *p, size_t n)
{
        return (uint32_t)crc32(crc32(0, NULL, 0), p, (uInt)n);
}

static void damage(int dirfd, const char *path, off_t at, int truncate_to)
{
        int fd = openat(dirfd, path, O_RDWR | O_CLOEXEC);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        if (truncate_to >= 0) {
                CHECK(ftruncate(fd, truncate_to) == 0);
        } else {
                uint8_t b = 0;
                off_t size = lseek(fd, 0, SEEK_END);
                CHECK(pread(fd, &b, 1, size + at) == 1);
                b ^= 0x40;
                CHECK(pwrite(fd, &b, 1, size + at) == 1);
        }
        close(fd);
}

/* Miss, then hit with the same bytes as a fresh export. */
static void check_round(const sec_opts *o, int dirfd, const char *what)
{
        uint8_t *fresh = NULL;
        size_t len = 0;
        err_t e = {0};
        CHECK_INT(sec_seccomp_export(keep_of(o), &fresh, &len, &e), 0);
        sec_filter *again = prepare(o, dirfd);
        if (!again || !again->from_cache || !same(again, fresh, len))
                fprintf(stderr, "%s: not served from the cache as exported\n", what);
        CHECK(again && again->from_cache);
        CHECK(same(again, fresh, len));
        sec_filter_free(again);
        free(fresh);
}

static void test_cache(int dirfd)
{
        sec_opts o;
        sec_opts_init(&o);
        uint8_t *fresh = NULL;
        size_t len = 0;
        err_t e = {0};
        CHECK_INT(sec_seccomp_export(keep_of(&o), &fresh, &len, &e), 0);
        CHECK(len > 0 && len % 8 == 0);

        sec_filter *first = prepare(&o, dirfd);
        CHECK(first && !first->from_cache);
        CHECK(same(first, fresh, len));
        sec_filter_free(first);
        check_round(&o, dirfd, "default");

        _cleanup_free_ char *path = cache_path(&o);
        struct stat st;
        CHECK(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode));

        /* Another capability set is another program in another file. */
        sec_opts all;
        sec_opts_init(&all);
        strv_push(&all.cap_add, "ALL");
        _cleanup_free_ char *path_all = cache_path(&all);
        CHECK(strcmp(path, path_all) != 0);
        sec_filter *fa = prepare(&all, dirfd);
        CHECK(fa && !fa->from_cache && !same(fa, fresh, len));
        sec_filter_free(fa);
        check_round(&all, dirfd, "cap-add ALL");
        sec_opts_free(&all);

        /* A flipped byte in the program, in the recorded digest, in the
         * header; a length that is not whole instructions: each is refused
         * (a miss that compiles afresh) and the file rewritten. */
        static const struct {
                off_t at;
                int truncate_to;
                const char *what;
        } damages[] = {
                {-3, -1, "program byte"},
                {0, 30, "header cut"},
                {-1, -1, "last byte"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(damages); i++) {
                damage(dirfd, path, damages[i].at, damages[i].truncate_to);
                sec_filter *f = prepare(&o, dirfd);
                CHECK(f && !f->from_cache);
                CHECK(same(f, fresh, len));
                sec_filter_free(f);
                check_round(&o, dirfd, damages[i].what);
        }
        /* The file as this test writes it is accepted: the format is the
         * one forge() writes, so the refusals below are for the damage. */
        char name[SEC_FILTER_NAME_MAX];
        _cleanup_free_ char *key = sec_filter_key(keep_of(&o), name);
        forge(dirfd, path, key, fresh, len, crc_of(fresh, len));
        sec_filter *f = prepare(&o, dirfd);
        CHECK(f && f->from_cache && same(f, fresh, len));
        sec_filter_free(f);

        /* Each forged file below is refused (compiled afresh) and
         * rewritten. A wrong checksum: */
        forge(dirfd, path, key, fresh, len, crc_of(fresh, len) ^ 1);
        f = prepare(&o, dirfd);
        CHECK(f && !f->from_cache && same(f, fresh, len));
        sec_filter_free(f);
        check_round(&o, dirfd, "checksum");
        /* Another key text under this name (a name collision): */
        _cleanup_free_ char *other = xstrdup(key);
        other[0] ^= 1;
        forge(dirfd, path, other, fresh, len, crc_of(fresh, len));
        f = prepare(&o, dirfd);
        CHECK(f && !f->from_cache && same(f, fresh, len));
        sec_filter_free(f);
        check_round(&o, dirfd, "key");
        /* Not whole instructions, with a checksum that matches: */
        _cleanup_free_ uint8_t *odd = xmalloc(len + 3);
        memcpy(odd, fresh, len);
        memcpy(odd + len, "xyz", 3);
        forge(dirfd, path, key, odd, len + 3, crc_of(odd, len + 3));
        f = prepare(&o, dirfd);
        CHECK(f && !f->from_cache && same(f, fresh, len));
        sec_filter_free(f);
        check_round(&o, dirfd, "odd length");

        /* A symlink in its place is not followed. */
        f = NULL;
        CHECK(unlinkat(dirfd, path, 0) == 0);
        CHECK(symlinkat("/etc/hostname", dirfd, path) == 0);
        f = prepare(&o, dirfd);
        CHECK(f && !f->from_cache && same(f, fresh, len));
        sec_filter_free(f);
        CHECK(fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode));

        /* No cache, or one that cannot be written: compiled every time. */
        f = prepare(&o, -1);
        CHECK(f && !f->from_cache && same(f, fresh, len));
        sec_filter_free(f);
        free(fresh);
        sec_opts_free(&o);
}

static void test_unwritable(void)
{
        char dir[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(dir, "rr-seccache-ro")) != NULL);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* seccomp/ cannot be made: a file is in its way (root ignores
         * permissions, so a mode would not do). */
        int fd = openat(dfd, "seccomp", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        close(fd);
        sec_opts o;
        sec_opts_init(&o);
        for (int i = 0; i < 2; i++) {
                sec_filter *f = prepare(&o, dfd);
                CHECK(f && !f->from_cache && f->len > 0);
                sec_filter_free(f);
        }
        sec_opts_free(&o);
        unlinkat(dfd, "seccomp", 0);
        close(dfd);
        rmdir(dir);
}

static void probe(int out, const char *name, long r)
{
        dprintf(out, "%s=%d\n", name, r < 0 ? errno : 0);
}

/* The cached program, loaded the way the container loads it. */
static char *run_cached(int dirfd)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                sec_opts o;
                sec_opts_init(&o);
                sec_filter *f = NULL;
                err_t e = {0};
                if (sec_filter_prepare(&o, dirfd, &f, &e) < 0 || !f->from_cache)
                        _exit(2);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sec_filter_load(f, 0, &e) < 0) {
                        dprintf(p[1], "load-error=%s\n", e.msg);
                        _exit(3);
                }
                probe(p[1], "keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, 0, 0));
                probe(p[1], "kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
                probe(p[1], "unshare_user", unshare(CLONE_NEWUSER));
                probe(p[1], "getppid", getppid());
#if defined(__x86_64__)
                long r;
                __asm__ volatile("int $0x80" : "=a"(r) : "a"(288L), "b"(0L), "c"(0L) : "memory");
                dprintf(p[1], "compat_keyctl=%ld\n", r < 0 ? -r : 0);
#endif
                _exit(0);
        }
        close(p[1]);
        strbuf b = {0};
        char buf[1024];
        ssize_t n;
        while ((n = read(p[0], buf, sizeof buf)) > 0)
                sb_appendn(&b, buf, (size_t)n);
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        sb_appendf(&b, "status=%d\n", status);
        return sb_steal(&b);
}

static void test_child(int dirfd)
{
        _cleanup_free_ char *out = run_cached(dirfd);
        fprintf(stderr, "cached filter:\n%s", out);
        CHECK(strstr(out, "keyctl=1\n"));
        CHECK(strstr(out, "kexec_load=1\n"));
        CHECK(strstr(out, "unshare_user=1\n"));
        CHECK(strstr(out, "getppid=0\n"));
#if defined(__x86_64__)
        CHECK(strstr(out, "compat_keyctl=1\n"));
#endif
        CHECK(strstr(out, "status=0\n"));
}

int main(void)
{
        char dir[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(dir, "rr-seccache")) != NULL);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        test_cache(dfd);
        test_child(dfd);
        test_unwritable();
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, dir, &e);
        close(dfd);
        TEST_END();
}
