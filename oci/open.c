/* The one classification of an image file, for runroot and mkroot alike:
 * a plain OCI layout or docker-save tar, the same compressed, or anything
 * else (a rootfs tarball). A compressed file is first streamed for its
 * member names only; it is decompressed into a temporary file (oci/ reads
 * plain tars) only when they say it is an OCI/docker archive. libarchive
 * comes through extract's lazy table (runroot loads it on first use). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "lazylib.h"
#include "ociopen.h"

#define BUF (1 << 16)
#define MAX_PLAIN ((int64_t)64 << 30)

typedef struct src {
        int fd;
        char buf[BUF];
} src;

static la_ssize_t src_read(struct archive *a, void *ud, const void **ret)
{
        src *s = ud;
        ssize_t n = fd_read(s->fd, s->buf, sizeof(s->buf));
        if (n < 0) {
                archive_set_error(a, (int)-n, "read: %s", strerror((int)-n));
                n = -1;
        }
        *ret = s->buf;
        return n;
}

static bool compressed(int fd)
{
        unsigned char m[6] = {0};
        if (pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
                return false;
        return (m[0] == 0x1f && m[1] == 0x8b) || !memcmp(m, "\x28\xb5\x2f\xfd", 4) ||
               !memcmp(m, "\xfd\x37\x7a\x58\x5a", 5) || !memcmp(m, "BZh", 3);
}

/* Not in extract's table: looked up in the library la_load loaded. */
static int (*format_raw)(struct archive *);

static int load_raw(err_t *e)
{
        if (format_raw)
                return 0;
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
        void *f = h ? dlsym(h, "archive_read_support_format_raw") : NULL;
        if (!f)
                return err_set(e, -ENOSYS, "libarchive: no archive_read_support_format_raw");
        format_raw = (int (*)(struct archive *))f;
        return 0;
}

static struct archive *reader(int fd, bool raw, src *s, err_t *e)
{
        if (lseek(fd, 0, SEEK_SET) < 0) {
                err_sys(e, errno, "seek");
                return NULL;
        }
        s->fd = fd;
        struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        if (raw)
                format_raw(a);
        else
                archive_read_support_format_tar(a);
        if (archive_read_open(a, s, NULL, src_read, NULL) != ARCHIVE_OK) {
                err_set(e, -EBADMSG, "%s", archive_error_string(a) ?: "unreadable");
                archive_read_free(a);
                return NULL;
        }
        return a;
}

/* A top-level name an OCI layout or docker save can hold. */
static bool archive_name(const char *n)
{
        size_t l = strcspn(n, "/");
        static const char *const top[] = {"oci-layout", "index.json", "manifest.json",
                                          "repositories", "blobs"};
        for (size_t i = 0; i < ARRAY_SIZE(top); i++)
                if (l == strlen(top[i]) && !memcmp(n, top[i], l))
                        return true;
        /* HEX/..., HEX.json */
        size_t h = strspn(n, "0123456789abcdef");
        return h == DIGEST_HEX_LEN && (l == h || (l == h + 5 && !memcmp(n + h, ".json", 5)));
}

/* 1 when the names say OCI layout or docker save, 0 when not (a name no
 * such archive holds, or none of their index files), < 0 unreadable. */
static int scan_names(int fd, const char *name, err_t *e)
{
        _cleanup_free_ src *s = xmalloc(sizeof(*s));
        err_t e2 = {0};
        struct archive *a = reader(fd, false, s, &e2);
        if (!a)
                return err_set(e, -EBADMSG, "%s: %s", name, e2.msg);
        bool layout = false, index = false, manifest = false;
        int r = 0;
        for (;;) {
                struct archive_entry *ae;
                int k = archive_read_next_header(a, &ae);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN) {
                        r = err_set(e, -EBADMSG, "%s: %s", name,
                                    archive_error_string(a) ?: "unreadable");
                        break;
                }
                _cleanup_free_ char *n = oci_member_clean(archive_entry_pathname(ae));
                if (!n)
                        continue;
                if (!archive_name(n))
                        break;
                layout |= !strcmp(n, "oci-layout");
                index |= !strcmp(n, "index.json");
                manifest |= !strcmp(n, "manifest.json");
                if ((layout && index) || manifest) {
                        r = 1;
                        break;
                }
        }
        archive_read_free(a);
        return r;
}

/* The whole decompressed stream into an anonymous file in $TMPDIR. */
static int spill(int fd, const char *name, int *ret, err_t *e)
{
        const char *tmpdir = getenv("TMPDIR");
        _cleanup_close_ int out =
                open(tmpdir && *tmpdir ? tmpdir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (out < 0)
                return err_sys(e, errno, "%s: temporary file", name);
        _cleanup_free_ src *s = xmalloc(sizeof(*s));
        err_t e2 = {0};
        struct archive *a = reader(fd, true, s, &e2);
        if (!a)
                return err_set(e, -EBADMSG, "%s: %s", name, e2.msg);
        struct archive_entry *ae;
        int r = 0;
        if (archive_read_next_header(a, &ae) != ARCHIVE_OK)
                r = err_set(e, -EBADMSG, "%s: %s", name, archive_error_string(a) ?: "unreadable");
        /* Bounded: a small hostile file must not fill the temporary
         * directory. */
        for (int64_t total = 0; r == 0;) {
                const void *p;
                size_t n;
                la_int64_t off;
                int k = archive_read_data_block(a, &p, &n, &off);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK) {
                        r = err_set(e, -EBADMSG, "%s: %s", name,
                                    archive_error_string(a) ?: "unreadable");
                        break;
                }
                total += (int64_t)n;
                if (total > MAX_PLAIN) {
                        r = err_set(e, -EFBIG, "%s: more than %lld GiB uncompressed", name,
                                    (long long)(MAX_PLAIN >> 30));
                        break;
                }
                int w = fd_write_all(out, p, n);
                if (w < 0)
                        r = err_sys(e, -w, "%s: temporary file", name);
        }
        archive_read_free(a);
        if (r < 0)
                return r;
        *ret = steal_fd(&out);
        return 0;
}

int oci_archive_open_file(int fd, const char *name, const oci_sha256_ops *sha, oci_archive **ret,
                          err_t *e)
{
        _cleanup_close_ int plain = -1;
        int r = oci_archive_open(fd, name, sha, ret, e);
        if (r != 1 || !compressed(fd))
                goto done;
        r = la_load(e);
        if (r < 0)
                return r;
        /* A stream libarchive cannot read is no OCI archive; the rootfs
         * extractor names its problem. */
        err_t e2 = {0};
        r = scan_names(fd, name, &e2);
        if (r <= 0) {
                r = 1;
                goto done;
        }
        r = load_raw(e);
        if (r == 0)
                r = spill(fd, name, &plain, e);
        if (r < 0)
                return r;
        r = oci_archive_open(plain, name, sha, ret, e);
done:
        if (r == 1 && lseek(fd, 0, SEEK_SET) < 0)
                return err_sys(e, errno, "%s", name);
        return r;
}
