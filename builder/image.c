/* image: write a staged tree as a deterministic tar or cpio archive
 * through libarchive, and list any archive libarchive can read.
 *
 * Determinism: entries in bytewise path order (parents first), numeric
 * owners only, mtime only (clamped to SOURCE_DATE_EPOCH when given), gzip
 * header without name or timestamp, hardlinks and inode numbers derived
 * from the sorted order rather than from the host. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "image-test.h"
#include "image.h"
#include "pgz.h"

#define IMAGE_READ_BLOCK (256 * 1024)
#define IMAGE_WRITE_BLOCK (64 * 1024)

static const char *image_compress_name[IMAGE_COMPRESS_MAX] = {
        [IMAGE_COMPRESS_AUTO] = "auto", [IMAGE_COMPRESS_NONE] = "none",
        [IMAGE_COMPRESS_GZIP] = "gzip", [IMAGE_COMPRESS_ZSTD] = "zstd",
        [IMAGE_COMPRESS_XZ] = "xz",     [IMAGE_COMPRESS_BZIP2] = "bzip2",
        [IMAGE_COMPRESS_LZ4] = "lz4",   [IMAGE_COMPRESS_LZIP] = "lzip",
};

int image_compress_parse(const char *name, image_compress *ret)
{
        static const struct {
                const char *name;
                image_compress c;
        } map[] = {
                {"gzip", IMAGE_COMPRESS_GZIP}, {"gz", IMAGE_COMPRESS_GZIP},
                {"zstd", IMAGE_COMPRESS_ZSTD}, {"zst", IMAGE_COMPRESS_ZSTD},
                {"xz", IMAGE_COMPRESS_XZ},     {"bzip2", IMAGE_COMPRESS_BZIP2},
                {"bz2", IMAGE_COMPRESS_BZIP2}, {"lz4", IMAGE_COMPRESS_LZ4},
                {"lzip", IMAGE_COMPRESS_LZIP}, {"lz", IMAGE_COMPRESS_LZIP},
                {"none", IMAGE_COMPRESS_NONE},
        };
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (strcmp(name, map[i].name) == 0) {
                        *ret = map[i].c;
                        return 0;
                }
        return -EINVAL;
}

/* Whether the first len bytes of s end in suffix. */
static bool image_ends_with(const char *s, size_t len, const char *suffix)
{
        size_t b = strlen(suffix);
        return len >= b && memcmp(s + len - b, suffix, b) == 0;
}

/* A suffix as people write one: a word of letters and digits after the
 * last dot, not a version number ("os-12.5" has none). */
static const char *image_word_suffix(const char *base, size_t len)
{
        const char *dot = NULL;
        for (size_t i = len; i > 1; i--)
                if (base[i - 1] == '.') {
                        dot = base + i - 1;
                        break;
                }
        if (!dot || len - (size_t)(dot - base) > 9)
                return NULL;
        bool letter = false;
        for (const char *c = dot + 1; c < base + len; c++) {
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9')))
                        return NULL;
                letter |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        }
        return letter ? dot : NULL;
}

/* The name's compression and format, or the suffix no format has in
 * *ret_bad (then the compression is gzip, as it always was). */
static void image_name_split(const char *base, image_compress *ret_c, bool *ret_cpio,
                             const char **ret_bad)
{
        static const struct {
                const char *suffix;
                image_compress c;
                bool tar; /* .tgz and the like: ".tar" and the compression at once */
        } map[] = {
                {".gz", IMAGE_COMPRESS_GZIP, false},   {".tgz", IMAGE_COMPRESS_GZIP, true},
                {".zst", IMAGE_COMPRESS_ZSTD, false},  {".tzst", IMAGE_COMPRESS_ZSTD, true},
                {".xz", IMAGE_COMPRESS_XZ, false},     {".txz", IMAGE_COMPRESS_XZ, true},
                {".bz2", IMAGE_COMPRESS_BZIP2, false}, {".tbz2", IMAGE_COMPRESS_BZIP2, true},
                {".tbz", IMAGE_COMPRESS_BZIP2, true},  {".lz4", IMAGE_COMPRESS_LZ4, false},
                {".lz", IMAGE_COMPRESS_LZIP, false},
        };
        size_t len = strlen(base);
        *ret_c = IMAGE_COMPRESS_NONE;
        *ret_cpio = false;
        *ret_bad = NULL;
        bool compressed = false;
        for (size_t i = 0; i < ARRAY_SIZE(map) && !compressed; i++)
                if (image_ends_with(base, len, map[i].suffix)) {
                        if (map[i].tar) {
                                *ret_c = map[i].c;
                                return;
                        }
                        *ret_c = map[i].c;
                        len -= strlen(map[i].suffix);
                        compressed = true;
                }
        if (image_ends_with(base, len, ".cpio"))
                *ret_cpio = true;
        if (*ret_cpio || compressed || image_ends_with(base, len, ".tar"))
                return;
        /* Without a suffix (and as initrd.img): gzip, as it always was. */
        *ret_c = IMAGE_COMPRESS_GZIP;
        if (!image_ends_with(base, len, ".img"))
                *ret_bad = image_word_suffix(base, len);
}

image_compress image_compress_from_name(const char *path)
{
        image_compress c;
        bool cpio;
        const char *bad;
        image_name_split(path_basename(path), &c, &cpio, &bad);
        return c;
}

int image_name_parse(const char *path, image_compress *ret_compress, bool *ret_cpio, err_t *e)
{
        image_compress c;
        bool cpio;
        const char *bad;
        image_name_split(path_basename(path), &c, &cpio, &bad);
        if (bad)
                return err_set(e, -EINVAL,
                               "%s: unknown suffix '%s': name the image .tar or .cpio, alone or "
                               "followed by .gz, .zst, .xz, .bz2, .lz4 or .lz (or .tgz, .tzst, "
                               ".txz, .tbz2)",
                               path, bad);
        *ret_compress = c;
        if (ret_cpio)
                *ret_cpio = cpio;
        return 0;
}

/* ---- temporary output and signals ------------------------------------ */

/* While an image is being written, SIGINT/SIGTERM/SIGHUP unlink the
 * temporary file and then re-deliver the signal to the previous
 * disposition. The handler only calls unlink, sigaction and raise, which
 * are async-signal-safe. One image_write at a time per process. */
static const int image_signals[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction image_old_action[ARRAY_SIZE(image_signals)];
static char image_tmp_path[PATH_MAX];
static volatile sig_atomic_t image_tmp_active;

static void image_on_signal(int sig)
{
        if (image_tmp_active)
                unlink(image_tmp_path);
        image_tmp_active = 0;
        for (size_t i = 0; i < ARRAY_SIZE(image_signals); i++)
                if (image_signals[i] == sig)
                        sigaction(sig, &image_old_action[i], NULL);
        raise(sig); /* pending until this handler returns */
}

static void image_block_signals(sigset_t *old)
{
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < ARRAY_SIZE(image_signals); i++)
                sigaddset(&set, image_signals[i]);
        sigprocmask(SIG_BLOCK, &set, old);
}

static void image_install_handlers(void)
{
        struct sigaction sa = {.sa_handler = image_on_signal};
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ARRAY_SIZE(image_signals); i++) {
                sigaction(image_signals[i], &sa, &image_old_action[i]);
                /* A signal the caller ignores stays ignored. */
                if (image_old_action[i].sa_handler == SIG_IGN)
                        sigaction(image_signals[i], &image_old_action[i], NULL);
        }
}

static void image_restore_handlers(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(image_signals); i++)
                sigaction(image_signals[i], &image_old_action[i], NULL);
}

/* Create the temporary file next to path; signals are blocked between
 * creating it and recording its name so none can leave it behind. */
static int image_tmp_create(const char *path, err_t *e)
{
        _cleanup_free_ char *dir = path_dirname(path);
        const char *base = path_basename(path);
        sigset_t old;
        for (int attempt = 0; attempt < 100; attempt++) {
                uint64_t rnd = 0;
                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = (uint64_t)getpid() * 1000003u + (uint64_t)attempt;
                int n = snprintf(image_tmp_path, sizeof(image_tmp_path), "%s/.%s.%016llx.tmp", dir,
                                 base, (unsigned long long)rnd);
                if (n < 0 || (size_t)n >= sizeof(image_tmp_path))
                        return err_set(e, -ENAMETOOLONG, "%s: path too long", path);
                image_block_signals(&old);
                int fd = open(image_tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                int saved = errno;
                if (fd >= 0) {
                        image_tmp_active = 1;
                        image_install_handlers();
                }
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (fd >= 0)
                        return fd;
                if (saved != EEXIST)
                        return err_sys(e, saved, "%s: creating temporary file in %s", path, dir);
        }
        return err_set(e, -EEXIST, "%s: cannot find a free temporary name", path);
}

/* Either rename the finished temporary file over path, or remove it. */
static int image_tmp_finish(const char *path, bool keep, err_t *e)
{
        sigset_t old;
        int r = 0;
        image_block_signals(&old);
        if (keep && rename(image_tmp_path, path) < 0) {
                r = err_sys(e, errno, "%s: renaming temporary file into place", path);
                keep = false;
        }
        if (!keep)
                unlink(image_tmp_path);
        image_tmp_active = 0;
        image_restore_handlers();
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

/* ---- writing ------------------------------------------------------- */

static void archive_write_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}
static void archive_read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}
static void archive_entry_freep(struct archive_entry **e)
{
        if (*e)
                archive_entry_free(*e);
}

typedef struct image_link {
        dev_t dev;
        ino_t ino;
        size_t idx; /* position in sorted order */
} image_link;

static int image_link_cmp(const void *a, const void *b)
{
        const image_link *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* For each entry i: link_first[i] = sorted index of the first staged path
 * of the same host inode (i itself when alone), link_last[i] = the last
 * one, link_count[i] = how many staged paths share it. */
typedef struct image_links {
        size_t *first, *last, *count;
} image_links;

static void image_links_free(image_links *l)
{
        free(l->first);
        free(l->last);
        free(l->count);
}

static void image_links_build(const stage_entry *const *ents, size_t n, image_links *l)
{
        l->first = xreallocarray(NULL, n + 1, sizeof(size_t));
        l->last = xreallocarray(NULL, n + 1, sizeof(size_t));
        l->count = xreallocarray(NULL, n + 1, sizeof(size_t));
        _cleanup_free_ image_link *v = xreallocarray(NULL, n + 1, sizeof(*v));
        size_t nv = 0;
        for (size_t i = 0; i < n; i++) {
                l->first[i] = l->last[i] = i;
                l->count[i] = 1;
                const stage_entry *e = ents[i];
                if (e->kind == STAGE_FILE && e->host && e->host_nlink > 1 &&
                    (e->host_dev != 0 || e->host_ino != 0))
                        v[nv++] = (image_link){e->host_dev, e->host_ino, i};
        }
        qsort(v, nv, sizeof(*v), image_link_cmp);
        for (size_t a = 0; a < nv;) {
                size_t b = a + 1;
                while (b < nv && v[b].dev == v[a].dev && v[b].ino == v[a].ino)
                        b++;
                for (size_t k = a; k < b; k++) {
                        l->first[v[k].idx] = v[a].idx;
                        l->last[v[k].idx] = v[b - 1].idx;
                        l->count[v[k].idx] = b - a;
                }
                a = b;
        }
}

static int image_arch_err(struct archive *a, const char *path, const char *what, err_t *e)
{
        int code = archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
        const char *msg = archive_error_string(a);
        return err_set(e, code, "%s: %s: %s", path, what, msg ? msg : "libarchive error");
}

/* gzip'd tar goes through pgz (gzip on every core). A gzip'd cpio stays
 * one libarchive member: the kernel's initramfs unpacker counts cpio
 * alignment per compressed member, and one archive cut across members is
 * not what it expects. */
static bool image_uses_pgz(const image_opts *o, image_compress c)
{
        return c == IMAGE_COMPRESS_GZIP && o->format == IMAGE_FORMAT_TAR;
}

static int image_setup(struct archive *a, const char *path, const image_opts *o, image_compress c,
                       err_t *e)
{
        int r = o->format == IMAGE_FORMAT_CPIO ? archive_write_set_format_cpio_newc(a)
                                               : archive_write_set_format_pax_restricted(a);
        if (r != ARCHIVE_OK)
                return image_arch_err(a, path, "setting format", e);
        /* xattrs once, as GNU tar and star write them */
        if (o->format == IMAGE_FORMAT_TAR &&
            archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK)
                return image_arch_err(a, path, "setting xattr header", e);
        /* libarchive's writer of each compression, and its filter's name
         * for options (none for AUTO/NONE). */
        static const struct {
                int (*add)(struct archive *);
                const char *name;
        } filters[IMAGE_COMPRESS_MAX] = {
                [IMAGE_COMPRESS_GZIP] = {archive_write_add_filter_gzip, "gzip"},
                [IMAGE_COMPRESS_ZSTD] = {archive_write_add_filter_zstd, "zstd"},
                [IMAGE_COMPRESS_XZ] = {archive_write_add_filter_xz, "xz"},
                [IMAGE_COMPRESS_BZIP2] = {archive_write_add_filter_bzip2, "bzip2"},
                [IMAGE_COMPRESS_LZ4] = {archive_write_add_filter_lz4, "lz4"},
                [IMAGE_COMPRESS_LZIP] = {archive_write_add_filter_lzip, "lzip"},
        };
        /* pgz's gzip is opened by image_open_output; zstd uses libzstd's
         * workers, whose output is the same for any number of them (but
         * not the same as without any: hence at least one). */
        const char *filter =
                c < IMAGE_COMPRESS_MAX && !image_uses_pgz(o, c) ? filters[c].name : NULL;
        r = filter ? filters[c].add(a) : ARCHIVE_OK;
        if (r < ARCHIVE_WARN)
                return image_arch_err(a, path, "adding compression", e);
        if (c == IMAGE_COMPRESS_ZSTD) {
                char n[16];
                snprintf(n, sizeof(n), "%u", pgz_default_threads());
                /* ARCHIVE_WARN: a libarchive without the option, one thread */
                if (archive_write_set_filter_option(a, filter, "threads", n) < ARCHIVE_WARN)
                        return image_arch_err(a, path, "zstd threads", e);
        }
        if (c == IMAGE_COMPRESS_GZIP && filter &&
            archive_write_set_filter_option(a, "gzip", "timestamp", NULL) < ARCHIVE_WARN)
                return image_arch_err(a, path, "gzip without timestamp", e);
        if (filter && o->level != 0) {
                char lvl[16];
                snprintf(lvl, sizeof(lvl), "%d", o->level);
                if (archive_write_set_filter_option(a, filter, "compression-level", lvl) !=
                    ARCHIVE_OK)
                        return image_arch_err(a, path, "setting compression level", e);
        }
        /* Big writes to the file; no padding of the last block (every
         * reader copes, and it keeps .tar outputs byte-for-byte stable). */
        archive_write_set_bytes_per_block(a, IMAGE_WRITE_BLOCK);
        archive_write_set_bytes_in_last_block(a, 1);
        return 0;
}

/* ---- host files, read at pack time --------------------------------- */

/* A host file may change between staging and packing (useradd rewrites
 * /etc/passwd while a trace runs) or while it is read. A tar or cpio
 * header carries the size before the data, and the compressed stream
 * cannot be rewound, so a small file is read before its header is
 * written: up to IMAGE_SNAPSHOT_MAX it is read whole through one
 * descriptor, and read again from the start when fstat says it changed
 * during the read (size, mtime or ctime), up to IMAGE_SNAPSHOT_TRIES
 * times; the header then has the length of the read whose bytes follow,
 * and the image never holds half of an old file and half of a new one.
 *
 * The bound is 1 MiB: the files rewritten in place while a build runs
 * are small (passwd, group, shadow, ld.so.cache: tens of KB), a package
 * manager replaces a library by rename (the open descriptor keeps the
 * old inode), and the buffer is held for the whole pack: 1 MiB keeps a
 * pack's peak RSS where it was before files were read whole (64 MiB
 * took it from 16 to 74 MB packing /usr/lib).
 *
 * A bigger file is streamed in IMAGE_READ_BLOCKs with the size fstat
 * gave when it was opened, as GNU tar does: when it shrinks under the
 * read the rest is zeros and a warning says by how much, when it grows
 * only the header's size is written and a warning says so. No change of
 * a host file fails a pack. */
#define IMAGE_SNAPSHOT_MAX ((size_t)1 << 20)
#define IMAGE_SNAPSHOT_TRIES 4

void (*image_test_read_hook)(const char *host, size_t done, size_t len);

typedef struct image_src {
        int fd;
        size_t len;     /* bytes of the entry */
        bool streamed;  /* too big for a snapshot: read from fd after the header */
        struct stat st; /* when a streamed source was sized */
} image_src;

static void image_src_done(image_src *src)
{
        if (src->fd >= 0)
                close(src->fd);
        src->fd = -1;
}

static bool image_same_file_state(const struct stat *a, const struct stat *b)
{
        return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
               a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
               a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* One read of the whole file from offset 0 into *buf (grown as needed,
 * never past IMAGE_SNAPSHOT_MAX + 1); *ret_len = its length, or SIZE_MAX
 * when it went past the bound. */
static int image_src_read_once(image_src *src, char **buf, size_t *cap, size_t *ret_len,
                               const char *out, const char *host, err_t *e)
{
        size_t got = 0;
        for (;;) {
                if (got == *cap) {
                        if (*cap > IMAGE_SNAPSHOT_MAX) {
                                *ret_len = SIZE_MAX;
                                return 0;
                        }
                        *cap = *cap * 2 > IMAGE_SNAPSHOT_MAX + 1 ? IMAGE_SNAPSHOT_MAX + 1
                                                                 : *cap * 2;
                        *buf = xrealloc(*buf, *cap);
                }
                ssize_t n = pread(src->fd, *buf + got, *cap - got, (off_t)got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_sys(e, errno, "%s: reading %s", out, host);
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        *ret_len = got;
        return 0;
}

/* Open the host file of se and, when it is small enough, read it
 * consistently into *buf (see above). */
static int image_src_open(const stage_entry *se, char **buf, size_t *cap, image_src *src,
                          const char *out, err_t *e)
{
        src->fd = open(se->host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (src->fd < 0)
                return err_sys(e, errno, "%s: opening %s", out, se->host);
        struct stat before;
        if (fstat(src->fd, &before) < 0)
                return err_sys(e, errno, "%s: %s", out, se->host);
        if (!S_ISREG(before.st_mode))
                return err_set(e, -EINVAL, "%s: %s is no longer a regular file", out, se->host);
        for (int attempt = 1; attempt <= IMAGE_SNAPSHOT_TRIES; attempt++) {
                if ((uint64_t)before.st_size > IMAGE_SNAPSHOT_MAX)
                        break;
                size_t len = 0;
                int r = image_src_read_once(src, buf, cap, &len, out, se->host, e);
                if (r < 0)
                        return r;
                struct stat after;
                if (fstat(src->fd, &after) < 0)
                        return err_sys(e, errno, "%s: %s", out, se->host);
                if (len != SIZE_MAX &&
                    ((image_same_file_state(&before, &after) && (uint64_t)after.st_size == len) ||
                     attempt == IMAGE_SNAPSHOT_TRIES)) {
                        if (attempt == IMAGE_SNAPSHOT_TRIES &&
                            !image_same_file_state(&before, &after))
                                log_warn("%s: %s kept changing while being read; the image has "
                                         "the last of %d reads",
                                         out, se->host, IMAGE_SNAPSHOT_TRIES);
                        src->len = len;
                        return 0;
                }
                before = after;
        }
        /* Too big to hold, or it grew past the cap while being read. */
        src->st = before;
        src->streamed = true;
        src->len = (size_t)before.st_size;
        (void)posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        return 0;
}

/* len bytes of an entry's data, in blocks. */
static int image_write_data(struct archive *a, const void *data, size_t len, const char *out,
                            const char *what, err_t *e)
{
        for (size_t done = 0; done < len;) {
                size_t n = len - done < IMAGE_READ_BLOCK ? len - done : IMAGE_READ_BLOCK;
                la_ssize_t w = archive_write_data(a, (const char *)data + done, n);
                if (w <= 0)
                        return image_arch_err(a, out, what, e);
                done += (size_t)w;
        }
        return 0;
}

/* The data of a streamed source: exactly src->len bytes from offset 0,
 * zeros for what a shrink took away (see above). */
static int image_src_stream(struct archive *a, image_src *src, void *buf, const char *out,
                            const char *host, err_t *e)
{
        size_t done = 0;
        bool shrank = false;
        while (done < src->len) {
                size_t want =
                        src->len - done < IMAGE_READ_BLOCK ? src->len - done : IMAGE_READ_BLOCK;
                if (image_test_read_hook)
                        image_test_read_hook(host, done, src->len);
                ssize_t n = shrank ? 0 : pread(src->fd, buf, want, (off_t)done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return err_sys(e, errno, "%s: reading %s", out, host);
                if (n == 0) {
                        if (!shrank)
                                log_warn("%s: %s: file shrank by %zu bytes; padding with zeros",
                                         out, host, src->len - done);
                        shrank = true;
                        memset(buf, 0, want);
                        n = (ssize_t)want;
                }
                if (archive_write_data(a, buf, (size_t)n) < 0)
                        return image_arch_err(a, out, host, e);
                done += (size_t)n;
        }
        struct stat after;
        if (shrank || fstat(src->fd, &after) < 0 || image_same_file_state(&src->st, &after))
                return 0;
        if ((uint64_t)after.st_size > src->len)
                log_warn("%s: %s: file grew by %llu bytes while being read; the image has its "
                         "first %zu",
                         out, host, (unsigned long long)after.st_size - src->len, src->len);
        else
                log_warn("%s: %s: file changed as we read it", out, host);
        return 0;
}

static int image_write_entries(struct archive *a, stage *s, const char *path, const image_opts *o,
                               err_t *e)
{
        const stage_entry *const *ents = stage_sorted(s);
        size_t n = stage_count(s);
        bool cpio = o->format == IMAGE_FORMAT_CPIO;

        int64_t gen_mtime = 0;
        if (o->have_epoch)
                gen_mtime = o->epoch;
        else
                for (size_t i = 0; i < n; i++)
                        if (ents[i]->host && ents[i]->mtime > gen_mtime)
                                gen_mtime = ents[i]->mtime;

        _cleanup_(image_links_free) image_links links = {0};
        image_links_build(ents, n, &links);

        _cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();
        size_t cap = IMAGE_READ_BLOCK;
        _cleanup_free_ char *buf = xmalloc(cap);
        for (size_t i = 0; i < n; i++) {
                const stage_entry *se = ents[i];
                _cleanup_(image_src_done) image_src src = {.fd = -1};
                int r;
                if (S_ISSOCK(se->mode)) {
                        log_warn("%s: skipping socket %s", path, se->path);
                        continue;
                }
                archive_entry_clear(ae);
                archive_entry_set_pathname(ae, se->path);
                archive_entry_set_mode(ae, se->mode);
                archive_entry_set_uid(ae, se->uid);
                archive_entry_set_gid(ae, se->gid);
                archive_entry_set_size(ae, 0); /* cpio wants it on every entry */
                int64_t mt = se->mtime < 0 ? gen_mtime : se->mtime;
                if (o->have_epoch && mt > o->epoch)
                        mt = o->epoch;
                archive_entry_set_mtime(ae, (time_t)mt, 0);
                if (cpio) {
                        /* Inode numbers from the sorted order, not the host. */
                        archive_entry_set_ino64(ae, (int64_t)links.first[i] + 1);
                        archive_entry_set_nlink(ae, (unsigned)links.count[i]);
                }
                bool data = false;
                switch (se->kind) {
                case STAGE_DIR: break;
                case STAGE_SYMLINK: archive_entry_set_symlink(ae, se->target); break;
                case STAGE_DEVICE: archive_entry_set_rdev(ae, se->rdev); break;
                case STAGE_FILE:
                        if (!cpio && links.first[i] != i) {
                                archive_entry_set_hardlink(ae, ents[links.first[i]]->path);
                                archive_entry_set_size(ae, 0);
                        } else if (cpio && links.last[i] != i) {
                                /* newc: only the last link carries data */
                                archive_entry_set_size(ae, 0);
                        } else if (se->host) {
                                /* the size of what is read now, not of what was staged */
                                r = image_src_open(se, &buf, &cap, &src, path, e);
                                if (r < 0)
                                        return r;
                                archive_entry_set_size(ae, (la_int64_t)src.len);
                                data = src.len > 0;
                        } else {
                                archive_entry_set_size(ae, (la_int64_t)se->size);
                                data = se->size > 0;
                        }
                        break;
                default: return err_set(e, -EINVAL, "%s: %s: bad entry kind", path, se->path);
                }
                for (size_t x = 0; x < se->n_xattrs && !cpio; x++)
                        archive_entry_xattr_add_entry(ae, se->xattrs[x].name, se->xattrs[x].value,
                                                      se->xattrs[x].size);
                r = archive_write_header(a, ae);
                if (r == ARCHIVE_WARN)
                        log_warn("%s: %s: %s", path, se->path, archive_error_string(a));
                else if (r != ARCHIVE_OK)
                        return image_arch_err(a, path, se->path, e);
                if (!data)
                        continue;
                if (src.streamed)
                        r = image_src_stream(a, &src, buf, path, se->host, e);
                else if (se->host)
                        r = image_write_data(a, buf, src.len, path, se->host, e);
                else
                        r = image_write_data(a, se->data, se->size, path, se->path, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* gzip output: libarchive writes the tar into pgz, which writes the file. */
typedef struct image_gz {
        int fd;
        pgz_writer *w;
        err_t err; /* what failed, when pgz did */
        bool failed;
} image_gz;

static int image_gz_sink(void *ud, const void *data, size_t len)
{
        return fd_write_all(((image_gz *)ud)->fd, data, len);
}

static la_ssize_t image_gz_write(struct archive *a, void *ud, const void *buf, size_t len)
{
        image_gz *g = ud;
        if (pgz_write(g->w, buf, len, &g->err) < 0) {
                g->failed = true;
                archive_set_error(a, -g->err.code, "%s", g->err.msg);
                return -1;
        }
        return (la_ssize_t)len;
}

static void image_gz_done(image_gz *g)
{
        pgz_writer_free(g->w);
}

/* The one place an image's compressed output is opened. */
static int image_open_output(struct archive *a, int fd, const char *path, const image_opts *o,
                             image_compress c, image_gz *g, err_t *e)
{
        if (!image_uses_pgz(o, c)) {
                if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
                        return image_arch_err(a, path, "opening output", e);
                return 0;
        }
        g->fd = fd;
        int r = pgz_writer_new(o->level, 0, image_gz_sink, g, path, &g->w, e);
        if (r < 0)
                return r;
        if (archive_write_open(a, g, NULL, image_gz_write, NULL) != ARCHIVE_OK)
                return image_arch_err(a, path, "opening output", e);
        return 0;
}

/* The error of a failed libarchive call: pgz's own when it was pgz's. */
static int image_out_err(struct archive *a, const image_gz *g, const char *path, const char *what,
                         err_t *e)
{
        if (g->failed) {
                *e = g->err;
                return g->err.code;
        }
        return image_arch_err(a, path, what, e);
}

int image_write(stage *s, const char *path, const image_opts *o, err_t *e)
{
        image_compress c =
                o->compress == IMAGE_COMPRESS_AUTO ? image_compress_from_name(path) : o->compress;
        if (c <= IMAGE_COMPRESS_AUTO || c >= IMAGE_COMPRESS_MAX)
                return err_set(e, -EINVAL, "%s: bad compression %d", path, (int)c);
        if (o->format == IMAGE_FORMAT_CPIO && o->init_hint) {
                const stage_entry *init = stage_lookup(s, "init");
                if (!init || init->kind == STAGE_DIR)
                        return err_set(e, -ENOENT,
                                       "initramfs: no /init in the image: add one with %s",
                                       o->init_hint);
        }
        log_debug("writing %s (%s, %zu entries)", path, image_compress_name[c], stage_count(s));

        int fd = image_tmp_create(path, e);
        if (fd < 0)
                return fd;
        int r;
        {
                _cleanup_close_ int tfd = fd;
                _cleanup_(image_gz_done) image_gz g = {.fd = -1};
                _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
                r = image_setup(a, path, o, c, e);
                if (r == 0)
                        r = image_open_output(a, tfd, path, o, c, &g, e);
                if (r == 0)
                        r = image_write_entries(a, s, path, o, e);
                if (r < 0 && g.failed) {
                        *e = g.err;
                        r = g.err.code;
                }
                if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
                        r = image_out_err(a, &g, path, "finishing", e);
                if (r == 0 && g.w)
                        r = pgz_writer_finish(g.w, e);
                if (r == 0 && fsync(tfd) < 0)
                        r = err_sys(e, errno, "%s: fsync", path);
                if (r == 0) {
                        int cfd = steal_fd(&tfd);
                        if (close(cfd) < 0)
                                r = err_sys(e, errno, "%s: close", path);
                }
        }
        int r2 = image_tmp_finish(path, r == 0, e);
        return r < 0 ? r : r2;
}

/* ---- listing ------------------------------------------------------- */

static void image_mode_string(struct archive_entry *ae, char out[11])
{
        mode_t m = archive_entry_mode(ae);
        char t;
        switch (archive_entry_filetype(ae)) {
        case AE_IFDIR: t = 'd'; break;
        case AE_IFLNK: t = 'l'; break;
        case AE_IFCHR: t = 'c'; break;
        case AE_IFBLK: t = 'b'; break;
        case AE_IFIFO: t = 'p'; break;
        case AE_IFSOCK: t = 's'; break;
        default: t = '-'; break;
        }
        if (archive_entry_hardlink(ae))
                t = 'h';
        out[0] = t;
        const char *rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
                out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
        if (m & S_ISUID)
                out[3] = (m & S_IXUSR) ? 's' : 'S';
        if (m & S_ISGID)
                out[6] = (m & S_IXGRP) ? 's' : 'S';
        if (m & S_ISVTX)
                out[9] = (m & S_IXOTH) ? 't' : 'T';
        out[10] = '\0';
}

/* Names as GNU tar prints them in the C locale: backslash escapes for
 * the backslash and for bytes that are not printable ASCII. */
static void image_put_name(FILE *out, const char *name)
{
        for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
                switch (*c) {
                case '\\': fputs("\\\\", out); break;
                case '\n': fputs("\\n", out); break;
                case '\t': fputs("\\t", out); break;
                default:
                        if (*c < 0x20 || *c >= 0x7f)
                                fprintf(out, "\\%03o", *c);
                        else
                                fputc(*c, out);
                }
        }
}

int image_list(const char *path, FILE *out, err_t *e)
{
        /* Opened here, so that a missing file is said as such. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_sys(e, errno, "%s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", path);
        if (S_ISDIR(st.st_mode))
                return err_sys(e, EISDIR, "%s", path);
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_cpio(a);
        if (archive_read_open_fd(a, fd, IMAGE_READ_BLOCK) != ARCHIVE_OK)
                return image_arch_err(a, path, "not a readable archive", e);

        /* GNU tar's column: owner/group and size share a width that only
         * grows, so the dates line up. */
        size_t ugswidth = 19;
        for (;;) {
                struct archive_entry *ae;
                int r = archive_read_next_header(a, &ae);
                if (r == ARCHIVE_EOF)
                        break;
                if (r == ARCHIVE_WARN)
                        log_warn("%s: %s", path, archive_error_string(a));
                else if (r != ARCHIVE_OK)
                        return image_arch_err(a, path, "reading entry header", e);

                char mode[11], owner[64], size[64], when[32];
                image_mode_string(ae, mode);
                snprintf(owner, sizeof(owner), "%lld/%lld", (long long)archive_entry_uid(ae),
                         (long long)archive_entry_gid(ae));
                unsigned ft = archive_entry_filetype(ae);
                if (ft == AE_IFCHR || ft == AE_IFBLK)
                        snprintf(size, sizeof(size), "%lu,%lu",
                                 (unsigned long)archive_entry_rdevmajor(ae),
                                 (unsigned long)archive_entry_rdevminor(ae));
                else
                        snprintf(size, sizeof(size), "%lld",
                                 archive_entry_hardlink(ae) ? 0LL
                                                            : (long long)archive_entry_size(ae));
                time_t mt = archive_entry_mtime(ae);
                struct tm tm;
                if (!gmtime_r(&mt, &tm) || strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
                        snprintf(when, sizeof(when), "%lld", (long long)mt);
                size_t pad = strlen(owner) + 1 + strlen(size);
                if (pad > ugswidth)
                        ugswidth = pad;
                const char *name = archive_entry_pathname(ae);
                fprintf(out, "%s %s %*s %s ", mode, owner, (int)(ugswidth - pad + strlen(size)),
                        size, when);
                image_put_name(out, name ? name : "");
                if (archive_entry_hardlink(ae)) {
                        fputs(" link to ", out);
                        image_put_name(out, archive_entry_hardlink(ae));
                } else if (ft == AE_IFLNK && archive_entry_symlink(ae)) {
                        fputs(" -> ", out);
                        image_put_name(out, archive_entry_symlink(ae));
                }
                fputc('\n', out);

                /* Skipping the data is what finds a truncated member. */
                r = archive_read_data_skip(a);
                if (r == ARCHIVE_WARN)
                        log_warn("%s: %s", path, archive_error_string(a));
                else if (r != ARCHIVE_OK)
                        return image_arch_err(a, path, name ? name : "entry", e);
        }
        if (fflush(out) != 0 || ferror(out))
                return err_sys(e, errno ? errno : EIO, "%s: writing the listing", path);
        return 0;
}
