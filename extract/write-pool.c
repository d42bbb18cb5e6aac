/* The extractor's writer threads (xt-internal.h). Each file goes to one
 * writer, so its data and its last job stay in order there; the writer
 * with the fewest bytes queued takes the next file. Data is copied into
 * one ring of max_bytes, reused from its start again and again: a fresh
 * page costs a fault (and, in a VM that hands free memory back to its
 * host, much more), so the copies touch the same few megabytes. Space is
 * taken in order and given back in order once the oldest job is written;
 * the caller's thread waits for space, and for room under max_files open
 * files. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt-internal.h"

typedef struct wjob {
        struct wjob *next;  /* in its writer's queue */
        struct wjob *newer; /* in the ring's order */
        int fd;
        off_t off;
        size_t len;
        char *buf;    /* data (in the ring unless own), or NULL */
        bool own;     /* buf is the job's, larger than the ring */
        uint64_t end; /* in the ring: where its space ends */
        bool done;    /* written: its space can go back */
        void *file;   /* the caller's, for every job of the file */
        bool last;    /* the file's last job (no data) */
} wjob;

typedef struct writer {
        xt_wpool *p;
        pthread_t tid;
        wjob *head, *tail;
        size_t queued; /* bytes */
        pthread_cond_t work;
        bool started;
} writer;

struct xt_wpool {
        pthread_mutex_t mu;
        pthread_cond_t room; /* space or files freed, or a failure */
        writer *w;
        unsigned n;
        char *ring;
        size_t size;
        uint64_t head, tail;   /* the ring's bytes [tail, head) are in use */
        wjob *oldest, *newest; /* jobs holding ring space, oldest first */
        unsigned files, max_files;
        bool stop;
        int failed; /* the first failure; e says what */
        err_t e;
        xt_wfinish_fn finish;
        xt_werror_fn werror;
        void *ud;
};

static int write_all(int fd, const char *p, size_t len, off_t off)
{
        while (len) {
                ssize_t w = pwrite(fd, p, len, off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                if (w == 0)
                        return -EIO;
                p += w;
                len -= (size_t)w;
                off += w;
        }
        return 0;
}

/* Where len bytes fit in the ring (not across its end); false when they
 * do not yet. Called locked. */
static bool ring_fit(xt_wpool *p, size_t len, uint64_t *ret_start)
{
        if (!p->oldest && p->head % p->size) {
                /* Empty: start again at its beginning. */
                p->head += p->size - p->head % p->size;
                p->tail = p->head;
        }
        uint64_t start = p->head;
        if (start % p->size + len > p->size)
                start += p->size - start % p->size;
        if (start + len - p->tail > p->size)
                return false;
        *ret_start = start;
        return true;
}

/* A written job: its space back, in order. Called locked. */
static void job_release(xt_wpool *p, wjob *j)
{
        if (!j->buf || j->own) {
                free(j->own ? j->buf : NULL);
                free(j);
                return;
        }
        j->done = true;
        while (p->oldest && p->oldest->done) {
                wjob *o = p->oldest;
                p->tail = o->end;
                p->oldest = o->newer;
                free(o);
        }
        if (!p->oldest) {
                p->newest = NULL;
                p->tail = p->head;
        }
}

static void *writer_main(void *arg)
{
        writer *w = arg;
        xt_wpool *p = w->p;
        pthread_mutex_lock(&p->mu);
        for (;;) {
                while (!w->head && !p->stop)
                        pthread_cond_wait(&w->work, &p->mu);
                wjob *j = w->head;
                if (!j)
                        break; /* stopped, and nothing left to close */
                w->head = j->next;
                if (!w->head)
                        w->tail = NULL;
                bool skip = p->failed != 0;
                pthread_mutex_unlock(&p->mu);

                err_t e = {0};
                int r = 0;
                if (!skip && j->buf) {
                        r = write_all(j->fd, j->buf, j->len, j->off);
                        if (r < 0)
                                r = p->werror(p->ud, j->file, r, &e);
                }
                /* The file's end: its metadata, then its fd closed (only
                 * closed after a failure anywhere). */
                bool last = j->last;
                if (last)
                        r = p->finish(p->ud, j->fd, j->file, skip, &e);

                pthread_mutex_lock(&p->mu);
                w->queued -= j->len;
                if (last)
                        p->files--;
                if (r < 0 && !p->failed) {
                        p->failed = r;
                        p->e = e;
                }
                job_release(p, j);
                pthread_cond_broadcast(&p->room);
        }
        pthread_mutex_unlock(&p->mu);
        return NULL;
}

int xt_wpool_new(unsigned n, size_t max_bytes, unsigned max_files, xt_wfinish_fn finish,
                 xt_werror_fn werror, void *ud, xt_wpool **ret, err_t *e)
{
        xt_wpool *p = xcalloc(1, sizeof(*p));
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->room, NULL);
        p->w = xcalloc(n, sizeof(*p->w));
        p->size = max_bytes ? max_bytes : 1;
        p->ring = xmalloc(p->size);
        p->max_files = max_files ? max_files : 1;
        p->finish = finish;
        p->werror = werror;
        p->ud = ud;
        for (unsigned i = 0; i < n; i++) {
                writer *w = &p->w[i];
                w->p = p;
                pthread_cond_init(&w->work, NULL);
                p->n++;
                int r = pthread_create(&w->tid, NULL, writer_main, w);
                if (r != 0) {
                        xt_wpool_free(p);
                        return err_sys(e, r, "starting a writer thread");
                }
                w->started = true;
        }
        *ret = p;
        return 0;
}

static int pool_error(xt_wpool *p, err_t *e)
{
        if (e)
                *e = p->e;
        return p->failed;
}

/* Queue a job on writer wi; called locked. */
static void enqueue(xt_wpool *p, unsigned wi, wjob *j)
{
        writer *w = &p->w[wi];
        j->next = NULL;
        if (w->tail)
                w->tail->next = j;
        else
                w->head = j;
        w->tail = j;
        w->queued += j->len;
        pthread_cond_signal(&w->work);
}

int xt_wpool_file(xt_wpool *p, unsigned *ret_writer, err_t *e)
{
        pthread_mutex_lock(&p->mu);
        while (!p->failed && p->files >= p->max_files)
                pthread_cond_wait(&p->room, &p->mu);
        int r = 0;
        if (p->failed) {
                r = pool_error(p, e);
        } else {
                unsigned best = 0;
                for (unsigned i = 1; i < p->n; i++)
                        if (p->w[i].queued < p->w[best].queued)
                                best = i;
                p->files++;
                *ret_writer = best;
        }
        pthread_mutex_unlock(&p->mu);
        return r;
}

int xt_wpool_data(xt_wpool *p, unsigned wi, int fd, void *file, off_t off, const void *data,
                  size_t len, err_t *e)
{
        if (!len)
                return 0;
        wjob *j = xcalloc(1, sizeof(*j));
        j->fd = fd;
        j->file = file;
        j->off = off;
        j->len = len;
        pthread_mutex_lock(&p->mu);
        uint64_t start = 0;
        if (len > p->size) {
                /* Larger than the ring: a buffer of its own (a block
                 * that large is rare). */
                while (!p->failed && p->oldest)
                        pthread_cond_wait(&p->room, &p->mu);
                j->own = true;
        } else {
                while (!p->failed && !ring_fit(p, len, &start))
                        pthread_cond_wait(&p->room, &p->mu);
        }
        if (p->failed) {
                int r = pool_error(p, e);
                pthread_mutex_unlock(&p->mu);
                free(j);
                return r;
        }
        if (!j->own) {
                /* The space is this job's from here on. */
                j->buf = p->ring + start % p->size;
                j->end = start + len;
                p->head = j->end;
                if (p->newest)
                        p->newest->newer = j;
                else
                        p->oldest = j;
                p->newest = j;
        }
        pthread_mutex_unlock(&p->mu);
        if (j->own)
                j->buf = xmalloc(len);
        memcpy(j->buf, data, len);
        pthread_mutex_lock(&p->mu);
        enqueue(p, wi, j);
        pthread_mutex_unlock(&p->mu);
        return 0;
}

void xt_wpool_end(xt_wpool *p, unsigned wi, int fd, void *file)
{
        wjob *j = xcalloc(1, sizeof(*j));
        j->fd = fd;
        j->file = file;
        j->last = true;
        pthread_mutex_lock(&p->mu);
        enqueue(p, wi, j);
        pthread_mutex_unlock(&p->mu);
}

int xt_wpool_finish(xt_wpool *p, err_t *e)
{
        pthread_mutex_lock(&p->mu);
        while (p->files && !p->stop)
                pthread_cond_wait(&p->room, &p->mu);
        int r = p->failed ? pool_error(p, e) : 0;
        pthread_mutex_unlock(&p->mu);
        return r;
}

void xt_wpool_free(xt_wpool *p)
{
        if (!p)
                return;
        pthread_mutex_lock(&p->mu);
        /* What is still queued is closed, not written. */
        if (!p->failed)
                p->failed = err_set(&p->e, -ECANCELED, "unpacking stopped");
        p->stop = true;
        for (unsigned i = 0; i < p->n; i++)
                pthread_cond_signal(&p->w[i].work);
        pthread_mutex_unlock(&p->mu);
        for (unsigned i = 0; i < p->n; i++)
                if (p->w[i].started)
                        pthread_join(p->w[i].tid, NULL);
        for (unsigned i = 0; i < p->n; i++)
                pthread_cond_destroy(&p->w[i].work);
        /* Every job was queued, so every one went back. */
        free(p->ring);
        free(p->w);
        pthread_cond_destroy(&p->room);
        pthread_mutex_destroy(&p->mu);
        free(p);
}
