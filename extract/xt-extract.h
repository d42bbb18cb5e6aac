/* One extraction's state and what extract/'s files share about it (not a
 * public header): extract.c reads the archive and makes every name in its
 * order, write-files.c writes regular files (on this thread or on the
 * writer threads) and sets metadata through an fd, read-pgz.c hands a pgz
 * stream to libarchive. */
#pragma once

#include "lazylib.h"
#include "xt-internal.h"

typedef struct xt {
        struct archive *in;
        int rootfd;
        const xt_opts *o;
        const char *label;
        strmap *times; /* o->dir_times or our own */
        strmap *mine;  /* XT_WHITEOUTS_APPLY: paths this archive wrote */
        xt_dir_hooks hooks;
        /* The last parent resolved: tar streams list a directory's entries
         * together, so this saves most walks. Dropped whenever an entry
         * could change what a path resolves to. */
        char *last_dname, *last_rel;
        int last_fd;
        bool root; /* euid 0: trusted.overlay.* for overlay markers */
        /* Device nodes not made, by name and resolved path (non-NULL
         * values): a hardlink to one is not made either. */
        strmap *skipped;
        xt_stats st;          /* st.skipped_metadata: also counted by the writers */
        xt_wpool *pool;       /* NULL: regular files written on this thread */
        unsigned long pooled; /* files given to the pool */
} xt;

/* log_warn or log_debug of a message that holds an archive's text, as one
 * line. */
__attribute__((format(printf, 2, 3))) void xt_log(log_level lv, const char *fmt, ...);

/* A failed chown of entry name: 0 (counted in skipped_metadata) where
 * XT_OWNERS_TRY lets the kernel refuse, else the error. */
int xt_chown_err(xt *x, int err, const char *name, err_t *e);
/* Owner, xattrs, mode and time of entry ae through fd, the node just made
 * (dir: owner and xattrs; a directory's mode and time wait for the end). */
int xt_meta_set(xt *x, struct archive_entry *ae, int fd, const char *name, bool dir, err_t *e);
/* The regular file ae at pfd/base, created O_EXCL, its data and metadata
 * written here or (x->pool) on a writer thread. */
int xt_make_regular(xt *x, struct archive_entry *ae, int pfd, const char *base, const char *name,
                    err_t *e);
/* x->pool: the writer threads x->o->writers asks for. */
int xt_writers_start(xt *x, err_t *e);
/* Every file written (or, after a failure r, closed) and x->pool gone:
 * r, or the writers' first failure. */
int xt_writers_stop(xt *x, int r, err_t *e);

/* A pgz stream (pgz.h) from fd, whose first head_len bytes are in head,
 * inflated on every core and extracted; dg (NULL to skip) gets every byte
 * of the file. */
int xt_extract_pgz(int fd, const unsigned char *head, size_t head_len, lz_sha256 *dg, int rootfd,
                   const xt_opts *o, xt_stats *ret_stats, err_t *e);
