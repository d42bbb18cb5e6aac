/* common: what both programs share — error objects, logging, cleanup
 * helpers, allocation, path joining, sha256 digests and root-confined
 * file access. Library code reports through err_t and never prints except
 * through log_*(), which the program's main configures. */
#pragma once

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- errors ---------------------------------------------------------- */

#define ERR_MSG_MAX 1024

typedef struct err {
        int code;              /* negative errno, 0 when unset */
        char msg[ERR_MSG_MAX]; /* "file: what went wrong" */
} err_t;

/* Set the error and return code (a negative errno). */
int err_set(err_t *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like err_set, appending ": strerror(errnum)"; errnum is a positive errno;
 * returns -errnum. */
int err_sys(err_t *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message; returns e->code. */
int err_prefix(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(err_t *e);

/* ---- logging --------------------------------------------------------- */

/* Libraries report failures through err_t and may say more with
 * log_warn/log_info/log_debug; only the programs (mkroot/, runroot/) call
 * log_error, for the one message a failed command ends with. A line is
 * "PROG: [warning: |debug: ]MESSAGE\n" and goes to the sink the program
 * installed: log_init installs the stderr writer; without a sink (a
 * library used on its own, a unit test) nothing is written. */

typedef enum log_level { LOG_QUIET, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_LEVEL_MAX } log_level;

/* line is NUL-terminated and ends in '\n'; len counts the '\n'. level is
 * the message's (LOG_QUIET for log_error, shown at every level). */
typedef void (*log_sink_fn)(log_level level, const char *line, size_t len, void *userdata);

/* Name lines "prog: ..." and send them to stderr, one write(2) each. */
void log_init(const char *prog);
/* Another destination (NULL: none). */
void log_set_sink(log_sink_fn fn, void *userdata);
void log_set_level(log_level l);
log_level log_get_level(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For the programs: "PROG: MESSAGE", whatever the level. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- allocation (abort on exhaustion: nothing useful can follow) ------ */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable string. */
typedef struct strbuf {
        char *s;
        size_t len, cap;
} strbuf;
void sb_append(strbuf *b, const char *s);
void sb_appendn(strbuf *b, const char *s, size_t n);
void sb_appendf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_steal(strbuf *b); /* returns "" for an empty buffer */
void sb_free(strbuf *b);

/* A growable array of strings. Invariant: once anything was pushed,
 * v[n] == NULL always, and n counts the items, not the terminator. So v
 * can be passed as an argv/envp as it is: never push NULL to terminate
 * it (that makes n count the terminator). An empty strv has v == NULL;
 * strv_argv gives a terminated array for that case too. */
typedef struct strv {
        char **v;
        size_t n, cap;
} strv;
void strv_push(strv *a, const char *s); /* copies s */
void strv_push_take(strv *a, char *s);  /* takes ownership */
/* a->v, NULL-terminated even when a is empty (for execve and the like). */
char **strv_argv(strv *a);
bool strv_contains(const strv *a, const char *s);
void strv_free(strv *a);

/* ---- cleanup --------------------------------------------------------- */

#include <errno.h>

static inline void freep(void *p)
{
        free(*(void **)p);
}
static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}
static inline void strvp(strv *a)
{
        strv_free(a);
}
static inline void sbp(strbuf *b)
{
        sb_free(b);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(strvp)
#define _cleanup_sb_ _cleanup_(sbp)

/* Hand a cleanup-owned pointer or fd to someone else. */
#define steal_pointer(pp)                                                                          \
        ({                                                                                         \
                __typeof__(*(pp)) _tmp = *(pp);                                                    \
                *(pp) = NULL;                                                                      \
                _tmp;                                                                              \
        })
#define steal_fd(fdp)                                                                              \
        ({                                                                                         \
                int _tmp = *(fdp);                                                                 \
                *(fdp) = -1;                                                                       \
                _tmp;                                                                              \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- paths ----------------------------------------------------------- */

/* "a" + "/" + "b" with exactly one slash between; malloc'd. */
char *path_join(const char *a, const char *b);
/* prog in $PATH (default /usr/local/bin:/usr/bin:/bin) as execvp finds
 * it: the first executable of that name (malloc'd), NULL when none. */
char *path_find_program(const char *prog);
/* Lexically normalise an absolute or relative path: collapse "//" and ".",
 * resolve ".." without going above the start (for an absolute path, ".."
 * at "/" stays at "/"). Never touches the file system. malloc'd. */
char *path_normalize(const char *p);
/* The directory part ("/" for "/x", "." for "x"); malloc'd. */
char *path_dirname(const char *p);
/* Pointer to the last component inside p. */
const char *path_basename(const char *p);
/* true when a relative archive/image path has no "..", is not absolute and
 * is not empty. */
bool path_is_contained(const char *p);

/* ---- files ----------------------------------------------------------- */

/* Read a whole file (up to max bytes, else -EFBIG) relative to dirfd. */
int fs_read_file_at(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                    err_t *e);
/* Write data to path atomically: a temporary file in the same directory,
 * fsync'd and renamed over path. */
int fs_write_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                       err_t *e);
/* mkdir -p relative to dirfd (no symlink following for the components it
 * creates). */
int fs_mkdir_p_at(int dirfd, const char *path, mode_t mode, err_t *e);
/* rm -rf of path relative to dirfd, staying on its file system and never
 * following symlinks. Missing path is not an error. */
int fs_rm_rf_at(int dirfd, const char *path, err_t *e);
/* Open path inside the tree at rootfd as if rootfd were "/": symlinks
 * (absolute or with "..") are resolved within the root, magic links are
 * refused. Uses openat2(RESOLVE_IN_ROOT) and falls back to a
 * component-by-component walk on kernels without it. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, err_t *e);
/* Resolve path within rootfd like fs_open_in_root and return the resolved
 * absolute path (relative to the root, starting with "/"), following the
 * final symlink only when follow is true. The path need not exist past its
 * parent. */
int fs_resolve_in_root(int rootfd, const char *path, bool follow, char **ret, err_t *e);
/* The parent directory of path inside the tree at rootfd (resolved like
 * fs_open_in_root) as an O_PATH fd, and the last component in *ret_name
 * (malloc'd), for unlinkat/renameat/linkat/mkdirat of that entry itself:
 * never a path joined onto the root's name. */
int fs_open_parent_in_root(int rootfd, const char *path, char **ret_name, err_t *e);
/* mkdir -p of path inside the tree at rootfd, symlinks resolved within it. */
int fs_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, err_t *e);
/* fs_read_file_at for a regular file inside the tree at rootfd. */
int fs_read_file_in_root(int rootfd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                         err_t *e);
/* The names in directory path (relative to dirfd; "." for dirfd itself,
 * which the caller may have opened O_NOFOLLOW) but "." and "..", sorted
 * bytewise, into an empty *ret. 0 or a negative errno (no message: callers
 * name the directory). */
int fs_list_dir_at(int dirfd, const char *path, strv *ret);

/* ---- fd I/O (EINTR retried; 0 or bytes, else a negative errno) -------- */

/* One read(2). */
ssize_t fd_read(int fd, void *buf, size_t len);
/* Up to len bytes: fewer only at end of file. */
ssize_t fd_read_full(int fd, void *buf, size_t len);
/* Everything up to end of file (NUL-terminated, malloc'd); -EFBIG past
 * max bytes. */
int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len);
/* All of data, or an error (-EIO when write(2) makes no progress). */
int fd_write_all(int fd, const void *data, size_t len);

/* ---- digests --------------------------------------------------------- */

#define DIGEST_HEX_LEN 64

typedef struct digest_ctx digest_ctx;
digest_ctx *digest_new(void);
void digest_update(digest_ctx *c, const void *data, size_t len);
/* Writes 64 hex chars and a NUL into hex; frees c. */
void digest_final(digest_ctx *c, char hex[DIGEST_HEX_LEN + 1]);
void digest_free(digest_ctx *c);
void digest_buf(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1]);
int digest_fd(int fd, char hex[DIGEST_HEX_LEN + 1], err_t *e);

/* ---- misc ------------------------------------------------------------ */

/* Parse "80M", "1g", "512k", "1024" (bytes) into bytes. */
int parse_size(const char *s, int64_t *ret);
/* SOURCE_DATE_EPOCH from the environment: 1 and *ret set when valid,
 * 0 when unset, negative when set but malformed. */
int source_date_epoch(int64_t *ret);
/* The host's architecture as Debian names it (amd64, arm64, ...): the
 * ARCH of mkroot fetch's bases/SUITE_ARCH (cache/) and its default. */
const char *host_deb_arch(void);
/* raw (a name or string from an untrusted file) for a one-line message:
 * control bytes, DEL, bytes >= 0x80, '"' and backslash as C escapes (\n,
 * \x1b, ...), cut with "..." to fit buf (size >= 8). Returns buf. */
const char *str_esc(const char *raw, char *buf, size_t size);

/* ---- string map ------------------------------------------------------ */

/* A hash map from strings (copied) to pointers: not owned by a map from
 * strmap_new; a map from strmap_new_with_free owns them and strmap_free
 * passes each non-NULL value to free_value. */
typedef struct strmap strmap;
strmap *strmap_new(void);
strmap *strmap_new_with_free(void (*free_value)(void *));
void strmap_free(strmap *m);
/* Returns the previous value, or NULL; the caller owns what it returns
 * (it is not passed to free_value). */
void *strmap_put(strmap *m, const char *key, void *value);
void *strmap_get(const strmap *m, const char *key);
bool strmap_has(const strmap *m, const char *key);
size_t strmap_size(const strmap *m);
/* Iterate: *pos starts at 0; returns false when done. */
bool strmap_next(const strmap *m, size_t *pos, const char **ret_key, void **ret_value);
