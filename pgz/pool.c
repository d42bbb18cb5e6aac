/* The ordered work pool both directions share (internal.h). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

unsigned pgz_default_threads(void)
{
        cpu_set_t set;
        int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
        if (n < 1)
                n = 1;
        return n > PGZ_MAX_THREADS ? PGZ_MAX_THREADS : (unsigned)n;
}

void pgz_reserve(unsigned char **buf, size_t *cap, size_t n)
{
        if (*cap >= n)
                return;
        free(*buf);
        *buf = xmalloc(n);
        *cap = n;
}

uint32_t pgz_le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The oldest queued slot; called locked. */
static pgz_slot *pool_next_queued(pgz_pool *p)
{
        for (uint64_t i = p->head; i < p->tail; i++) {
                pgz_slot *s = &p->slots[i % p->depth];
                if (s->state == PGZ_SLOT_QUEUED)
                        return s;
        }
        return NULL;
}

typedef struct pool_worker_arg {
        pgz_pool *p;
        void *ctx;
} pool_worker_arg;

static void *pool_worker(void *arg)
{
        pgz_pool *p = ((pool_worker_arg *)arg)->p;
        void *ctx = ((pool_worker_arg *)arg)->ctx;
        free(arg);
        pthread_mutex_lock(&p->mu);
        for (;;) {
                pgz_slot *s;
                while (!p->stop && !(s = pool_next_queued(p)))
                        pthread_cond_wait(&p->work, &p->mu);
                if (p->stop)
                        break;
                s->state = PGZ_SLOT_BUSY;
                pthread_mutex_unlock(&p->mu);
                s->res = p->job(ctx, s);
                pthread_mutex_lock(&p->mu);
                s->state = PGZ_SLOT_DONE;
                pthread_cond_broadcast(&p->done);
        }
        pthread_mutex_unlock(&p->mu);
        return NULL;
}

int pgz_pool_init(pgz_pool *p, unsigned threads, pgz_job job, void *(*ctx_new)(void *),
                  void (*ctx_free)(void *), void *ud, err_t *e)
{
        if (threads == 0)
                threads = pgz_default_threads();
        if (threads > PGZ_MAX_THREADS)
                threads = PGZ_MAX_THREADS;
        memset(p, 0, sizeof(*p));
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->work, NULL);
        pthread_cond_init(&p->done, NULL);
        p->job = job;
        p->ctx_free = ctx_free;
        unsigned workers = threads > 1 ? threads : 0;
        p->depth = workers ? 2 * (size_t)threads + 2 : 1;
        p->slots = xcalloc(p->depth, sizeof(*p->slots));
        p->n_ctx = workers + 1;
        p->ctx = xcalloc(p->n_ctx, sizeof(*p->ctx));
        p->workers = xcalloc(workers + 1, sizeof(*p->workers));
        for (unsigned i = 0; i <= workers; i++)
                if (!(p->ctx[i] = ctx_new(ud)))
                        return err_set(e, -ENOMEM, "gzip: cannot allocate a (de)compressor");
        for (unsigned i = 0; i < workers; i++) {
                pool_worker_arg *a = xmalloc(sizeof(*a));
                *a = (pool_worker_arg){p, p->ctx[i + 1]};
                int r = pthread_create(&p->workers[i], NULL, pool_worker, a);
                if (r != 0) {
                        free(a);
                        return err_sys(e, r, "gzip: starting a thread");
                }
                p->n_workers++;
        }
        return 0;
}

void pgz_pool_fini(pgz_pool *p)
{
        if (!p->slots)
                return;
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mu);
        for (unsigned i = 0; i < p->n_workers; i++)
                pthread_join(p->workers[i], NULL);
        for (unsigned i = 0; i < p->n_ctx; i++)
                if (p->ctx[i])
                        p->ctx_free(p->ctx[i]);
        for (size_t i = 0; i < p->depth; i++) {
                free(p->slots[i].in);
                free(p->slots[i].out);
        }
        free(p->slots);
        free(p->ctx);
        free(p->workers);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->done);
        pthread_mutex_destroy(&p->mu);
        memset(p, 0, sizeof(*p));
}

pgz_slot *pgz_pool_tail(pgz_pool *p)
{
        /* Only the caller's thread moves head and tail. */
        if (p->tail - p->head >= p->depth)
                return NULL;
        return &p->slots[p->tail % p->depth];
}

void pgz_pool_submit(pgz_pool *p)
{
        pthread_mutex_lock(&p->mu);
        p->slots[p->tail % p->depth].state = PGZ_SLOT_QUEUED;
        p->tail++;
        pthread_cond_signal(&p->work);
        pthread_mutex_unlock(&p->mu);
}

pgz_slot *pgz_pool_head(pgz_pool *p)
{
        if (p->head == p->tail)
                return NULL;
        pgz_slot *s = &p->slots[p->head % p->depth];
        pthread_mutex_lock(&p->mu);
        if (s->state == PGZ_SLOT_QUEUED) {
                s->state = PGZ_SLOT_BUSY;
                pthread_mutex_unlock(&p->mu);
                s->res = p->job(p->ctx[0], s);
                pthread_mutex_lock(&p->mu);
                s->state = PGZ_SLOT_DONE;
        }
        while (s->state != PGZ_SLOT_DONE)
                pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
        return s;
}

void pgz_pool_release(pgz_pool *p)
{
        pthread_mutex_lock(&p->mu);
        p->slots[p->head % p->depth].state = PGZ_SLOT_FREE;
        p->head++;
        pthread_mutex_unlock(&p->mu);
}

bool pgz_pool_empty(const pgz_pool *p)
{
        return p->head == p->tail;
}
