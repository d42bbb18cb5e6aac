/* seccomp-cache: the default filter compiled once per capability set and
 * kept as BPF in the cache, so that a warm start loads it with one
 * seccomp(2) call instead of building it with libseccomp (~2 ms).
 *
 * File: seccomp/KEY, where KEY digests everything the program depends on
 * (format, libseccomp version, architecture, rule tables, capabilities).
 * Content: the header line, the sha256 of the program, the program. */
/* The low-level SHA-256 calls, not EVP: EVP's first digest sets up
 * OpenSSL's providers and config (~1 ms), which a warm start otherwise
 * never pays. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <fcntl.h>
#include <linux/filter.h>
#include <openssl/sha.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "security-internal.h"

/* Bump when the file layout or the way the program is made changes. */
#define FORMAT "runroot-seccomp-bpf 1\n"
#define HEADER_LEN (sizeof FORMAT - 1 + DIGEST_HEX_LEN + 1)

static void hex_of(const unsigned char md[SHA256_DIGEST_LENGTH], char ret[DIGEST_HEX_LEN + 1])
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
                ret[2 * i] = digits[md[i] >> 4];
                ret[2 * i + 1] = digits[md[i] & 15];
        }
        ret[DIGEST_HEX_LEN] = 0;
}

static void sha256_hex(const void *data, size_t len, char ret[DIGEST_HEX_LEN + 1])
{
        /* Not SHA256(): in OpenSSL 3 that goes through EVP too. */
        SHA256_CTX c;
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256_Init(&c);
        SHA256_Update(&c, data, len);
        SHA256_Final(md, &c);
        hex_of(md, ret);
}

void sec_filter_key(uint64_t keep, char ret[DIGEST_HEX_LEN + 1])
{
        strbuf b = { 0 };
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        sb_appendf(&b, "%slibseccomp %u.%u.%u\narch %#x %s\ncaps %#llx\n", FORMAT,
                   v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native(),
                   uname(&u) == 0 ? u.machine : "?", (unsigned long long)keep);
        sec_seccomp_describe(&b);
        _cleanup_free_ char *text = sb_steal(&b);
        sha256_hex(text, strlen(text), ret);
}

void sec_filter_free(sec_filter *f)
{
        if (!f)
                return;
        free(f->prog);
        free(f);
}

static bool valid_len(size_t len)
{
        return len > 0 && len <= SEC_BPF_MAX && len % sizeof(struct sock_filter) == 0;
}

/* 0 and *ret set when path holds a valid program; anything else is a
 * miss (the caller rewrites the file). */
static int cache_read(int dirfd, const char *path, sec_filter **ret)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Only our own regular file: anyone else's could be any program. */
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))
                return -EPERM;
        if (st.st_size <= (off_t)HEADER_LEN || st.st_size > (off_t)(HEADER_LEN + SEC_BPF_MAX))
                return -EBADMSG;
        size_t size = (size_t)st.st_size;
        _cleanup_free_ uint8_t *buf = xmalloc(size);
        ssize_t n = pread(fd, buf, size, 0);
        if (n < 0 || (size_t)n != size)
                return -EBADMSG;
        const char *hex = (const char *)buf + sizeof FORMAT - 1;
        if (memcmp(buf, FORMAT, sizeof FORMAT - 1) || hex[DIGEST_HEX_LEN] != '\n')
                return -EBADMSG;
        size_t len = size - HEADER_LEN;
        if (!valid_len(len))
                return -EBADMSG;
        char got[DIGEST_HEX_LEN + 1];
        sha256_hex(buf + HEADER_LEN, len, got);
        if (memcmp(got, hex, DIGEST_HEX_LEN))
                return -EBADMSG;
        sec_filter *f = xmalloc(sizeof *f);
        f->prog = xmalloc(len);
        memcpy(f->prog, buf + HEADER_LEN, len);
        f->len = len;
        f->from_cache = true;
        *ret = f;
        return 0;
}

static int cache_write(int dirfd, const char *path, const sec_filter *f, err_t *e)
{
        int r = fs_mkdir_p_at(dirfd, "seccomp", 0755, e);
        if (r < 0)
                return r;
        char hex[DIGEST_HEX_LEN + 1];
        sha256_hex(f->prog, f->len, hex);
        size_t size = HEADER_LEN + f->len;
        _cleanup_free_ uint8_t *buf = xmalloc(size);
        memcpy(buf, FORMAT, sizeof FORMAT - 1);
        memcpy(buf + sizeof FORMAT - 1, hex, DIGEST_HEX_LEN);
        buf[HEADER_LEN - 1] = '\n';
        memcpy(buf + HEADER_LEN, f->prog, f->len);
        return fs_write_atomic_at(dirfd, path, buf, size, 0644, e);
}

int sec_filter_prepare(const sec_opts *o, int cache_dirfd, sec_filter **ret, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        char key[DIGEST_HEX_LEN + 1];
        sec_filter_key(keep, key);
        _cleanup_free_ char *path = xasprintf("seccomp/%s", key);
        if (cache_dirfd >= 0 && cache_read(cache_dirfd, path, ret) == 0)
                return 0;

        sec_filter *f = xmalloc(sizeof *f);
        *f = (sec_filter){ 0 };
        r = sec_seccomp_export(keep, &f->prog, &f->len, e);
        if (r < 0) {
                free(f);
                return r;
        }
        if (cache_dirfd >= 0) {
                err_t e2 = { 0 };
                if (cache_write(cache_dirfd, path, f, &e2) < 0)
                        log_debug("seccomp cache: %s", e2.msg);
        }
        *ret = f;
        return 0;
}

int sec_filter_load(const sec_filter *f, err_t *e)
{
        if (!valid_len(f->len))
                return err_set(e, -EINVAL, "seccomp: bad program length %zu", f->len);
        struct sock_fprog prog = {
                .len = (unsigned short)(f->len / sizeof(struct sock_filter)),
                .filter = (struct sock_filter *)f->prog,
        };
        /* As seccomp_load does with default attributes: no flags (no
         * TSYNC, no LOG, no SPEC_ALLOW); no_new_privs is already set. */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
                return 0;
        if (errno == ENOSYS && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
                return 0;
        return err_sys(e, errno, "seccomp: load the filter");
}
