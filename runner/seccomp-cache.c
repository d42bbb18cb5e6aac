/* seccomp-cache: the default filter compiled once per capability set and
 * kept as BPF in the cache, so that a warm start loads it with one
 * seccomp(2) call instead of building it with libseccomp (~2 ms). A
 * profile (--security-opt seccomp=FILE, an OCI bundle's linux.seccomp:
 * podman's takes ~10 ms to build) is kept the same way per profile text
 * and capability set.
 *
 * File: seccomp/GEN-CAPS: GEN is a CRC of what the program depends on
 * besides the capability set (format, libseccomp version, architecture,
 * rule tables; sec_filter_generation), CAPS the set; a profile's is
 * seccomp/GEN-CAPS-PROFILE, PROFILE a CRC of its text. runroot's gc passes
 * its GEN to store_gc, which removes the files of other generations. Content: the format line,
 * "crc32 HEX len N keylen K", the key text (compared whole on read, so a CRC collision cannot hand
 * out another set's program), then the program.
 *
 * The checksums are zlib's CRC-32, not sha256: libcrypto is loaded only
 * on a cold start (lazylib.h), and loading it costs ~1.3 ms, more than
 * the compile this saves. The CRC catches a damaged file; a forged one is
 * kept out by the owner and mode checks (whoever can write there could
 * write a matching sha256 just as well). */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <zlib.h>

#include "security-internal.h"

/* Bump when the file layout or the way the program is made changes. */
#define FORMAT "runroot-seccomp-bpf 2\n"
/* Bump when seccomp-profile.c builds a profile's program differently. */
#define PROFILE_FORMAT "profile 1\n"
#define KEY_MAX 16384

static uint32_t crc_of(const void *data, size_t len)
{
        return (uint32_t)crc32(crc32(0, NULL, 0), data, (uInt)len);
}

/* Everything the program depends on but the capability set: the file
 * format, libseccomp's version, the architecture, the rule tables. */
static char *generation_text(void)
{
        strbuf b = {0};
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        sb_appendf(&b, "%slibseccomp %u.%u.%u\narch %#x %s\n", FORMAT, v ? v->major : 0,
                   v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native(),
                   uname(&u) == 0 ? u.machine : "?");
        sec_seccomp_describe(&b);
        return sb_steal(&b);
}

void sec_filter_generation(char ret[SEC_FILTER_GEN_LEN + 1])
{
        _cleanup_free_ char *text = generation_text();
        snprintf(ret, SEC_FILTER_GEN_LEN + 1, "%08x", crc_of(text, strlen(text)));
}

char *sec_filter_key(uint64_t keep, char ret_name[SEC_FILTER_NAME_MAX])
{
        strbuf b = {0};
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        sb_appendf(&b, "libseccomp %u.%u.%u\narch %#x %s\ncaps %#llx\n", v ? v->major : 0,
                   v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native(),
                   uname(&u) == 0 ? u.machine : "?", (unsigned long long)keep);
        sec_seccomp_describe(&b);
        /* The generation first: store_gc removes the files of every other
         * generation (an older libseccomp or runroot) by name. */
        char gen[SEC_FILTER_GEN_LEN + 1];
        sec_filter_generation(gen);
        snprintf(ret_name, SEC_FILTER_NAME_MAX, "seccomp/%s-%016llx", gen,
                 (unsigned long long)keep);
        return sb_steal(&b);
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

/* 0 and *ret set when path holds a valid program for key; anything else
 * is a miss (the caller rewrites the file). */
static int cache_read(int dirfd, const char *path, const char *key, sec_filter **ret)
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
        if (st.st_size <= 0 || (size_t)st.st_size > 256 + strlen(key) + SEC_BPF_MAX)
                return -EBADMSG;
        size_t size = (size_t)st.st_size;
        _cleanup_free_ char *buf = xmalloc(size + 1);
        ssize_t n = pread(fd, buf, size, 0);
        if (n < 0 || (size_t)n != size)
                return -EBADMSG;
        buf[size] = 0;
        size_t flen = sizeof FORMAT - 1;
        if (size < flen || memcmp(buf, FORMAT, flen))
                return -EBADMSG;
        char *line = buf + flen;
        char *nl = memchr(line, '\n', size - flen);
        if (!nl)
                return -EBADMSG;
        *nl = 0;
        unsigned crc = 0;
        size_t len = 0, keylen = 0;
        int used = 0;
        if (sscanf(line, "crc32 %8x len %zu keylen %zu%n", &crc, &len, &keylen, &used) != 3 ||
            line + used != nl)
                return -EBADMSG;
        size_t off = (size_t)(nl + 1 - buf);
        if (!valid_len(len) || keylen != strlen(key) || off + keylen + len != size)
                return -EBADMSG;
        if (memcmp(buf + off, key, keylen))
                return -EBADMSG;
        const uint8_t *prog = (const uint8_t *)buf + off + keylen;
        if (crc_of(prog, len) != crc)
                return -EBADMSG;
        /* A hit is a use (store_gc's keep_days); once an hour is enough. */
        if (st.st_mtime + 3600 < time(NULL))
                futimens(fd, NULL);
        sec_filter *f = xmalloc(sizeof *f);
        f->prog = xmalloc(len);
        memcpy(f->prog, prog, len);
        f->len = len;
        f->from_cache = true;
        *ret = f;
        return 0;
}

static int cache_write(int dirfd, const char *path, const char *key, const sec_filter *f, err_t *e)
{
        int r = fs_mkdir_p_at(dirfd, "seccomp", 0755, e);
        if (r < 0)
                return r;
        strbuf b = {0};
        sb_appendf(&b, "%scrc32 %08x len %zu keylen %zu\n%s", FORMAT, crc_of(f->prog, f->len),
                   f->len, strlen(key), key);
        sb_appendn(&b, (const char *)f->prog, f->len);
        size_t size = b.len;
        _cleanup_free_ char *buf = sb_steal(&b);
        return fs_write_atomic_at(dirfd, path, buf, size, 0644, e);
}

/* A profile's key: the default's without its rules, then the profile's
 * text whole (compared on read: a CRC collision of two profiles cannot
 * hand out the other's program). */
static char *profile_key(uint64_t keep, const char *text, size_t len,
                         char ret_name[SEC_FILTER_NAME_MAX])
{
        strbuf b = {0};
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        sb_appendf(&b, "%slibseccomp %u.%u.%u\narch %#x %s\ncaps %#llx\n", PROFILE_FORMAT,
                   v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native(),
                   uname(&u) == 0 ? u.machine : "?", (unsigned long long)keep);
        sb_appendn(&b, text, len);
        char gen[SEC_FILTER_GEN_LEN + 1];
        sec_filter_generation(gen);
        snprintf(ret_name, SEC_FILTER_NAME_MAX, "seccomp/%s-%016llx-%08x", gen,
                 (unsigned long long)keep, crc_of(text, len));
        return sb_steal(&b);
}

static int profile_prepare(const char *path, uint64_t keep, int cache_dirfd, sec_filter **ret,
                           err_t *e)
{
        _cleanup_free_ char *data = NULL, *key = NULL;
        size_t len = 0;
        int r = sec_profile_read(path, &data, &len, e);
        if (r < 0)
                return r;
        char name[SEC_FILTER_NAME_MAX];
        /* A NUL inside is no JSON (the parser says so) and no key. */
        if (cache_dirfd >= 0 && !memchr(data, 0, len)) {
                key = profile_key(keep, data, len, name);
                if (cache_read(cache_dirfd, name, key, ret) == 0)
                        return 0;
        }
        sec_filter *f = xcalloc(1, sizeof *f);
        r = sec_profile_export_text(path, data, len, keep, &f->prog, &f->len, e);
        if (r < 0) {
                free(f);
                return r;
        }
        if (key) {
                err_t e2 = {0};
                if (cache_write(cache_dirfd, name, key, f, &e2) < 0)
                        log_debug("seccomp cache: %s", e2.msg);
        }
        *ret = f;
        return 0;
}

int sec_filter_prepare(const sec_opts *o, int cache_dirfd, sec_filter **ret, err_t *e)
{
        uint64_t keep;
        int r = sec_caps_compute(o, &keep, e);
        if (r < 0)
                return r;
        if (o->seccomp_profile)
                return profile_prepare(o->seccomp_profile, keep, cache_dirfd, ret, e);
        char path[SEC_FILTER_NAME_MAX];
        _cleanup_free_ char *key = sec_filter_key(keep, path);
        if (strlen(key) > KEY_MAX)
                return err_set(e, -E2BIG, "seccomp: key too long");
        if (cache_dirfd >= 0 && cache_read(cache_dirfd, path, key, ret) == 0)
                return 0;

        sec_filter *f = xmalloc(sizeof *f);
        *f = (sec_filter){0};
        r = sec_seccomp_export(keep, &f->prog, &f->len, e);
        if (r < 0) {
                free(f);
                return r;
        }
        if (cache_dirfd >= 0) {
                err_t e2 = {0};
                if (cache_write(cache_dirfd, path, key, f, &e2) < 0)
                        log_debug("seccomp cache: %s", e2.msg);
        }
        *ret = f;
        return 0;
}

int sec_filter_load(const sec_filter *f, unsigned flags, err_t *e)
{
        if (!valid_len(f->len))
                return err_set(e, -EINVAL, "seccomp: bad program length %zu", f->len);
        struct sock_fprog prog = {
                .len = (unsigned short)(f->len / sizeof(struct sock_filter)),
                .filter = (struct sock_filter *)f->prog,
        };
        /* Without flags, as seccomp_load does with default attributes (no
         * TSYNC, no LOG, no SPEC_ALLOW). Either no_new_privs is set or
         * CAP_SYS_ADMIN is effective (sec_apply's order). */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) == 0)
                return 0;
        if (errno == ENOSYS && !flags &&
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
                return 0;
        if (flags)
                return err_sys(e, errno, "seccomp: load the filter with flags %#x", flags);
        return err_sys(e, errno, "seccomp: load the filter");
}
