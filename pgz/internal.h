/* pgz's ordered work pool: slots filled in order by the caller's thread,
 * worked on by any thread, handed back in order. The caller's thread works
 * on the oldest slot itself rather than wait for it, so one thread needs
 * no workers at all. */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "pgz.h"

typedef enum pgz_slot_state {
        PGZ_SLOT_FREE,
        PGZ_SLOT_QUEUED,
        PGZ_SLOT_BUSY,
        PGZ_SLOT_DONE,
        PGZ_SLOT_STATE_MAX,
} pgz_slot_state;

typedef struct pgz_slot {
        pgz_slot_state state;
        unsigned char *in, *out;
        size_t in_len, in_cap, out_len, out_cap;
        int res;         /* the job's result: 0, or its own code */
        uint64_t offset; /* of the member in the file */
        size_t index;    /* of the member, from 0 */
} pgz_slot;

/* A job works on one slot with its thread's context. */
typedef int (*pgz_job)(void *ctx, pgz_slot *s);

typedef struct pgz_pool {
        pthread_mutex_t mu;
        pthread_cond_t work, done;
        pgz_slot *slots;
        size_t depth;
        uint64_t head, tail; /* slots [head, tail) are in flight */
        pthread_t *workers;
        void **ctx; /* ctx[0]: the caller's, then one per worker */
        unsigned n_ctx;
        unsigned n_workers;
        bool stop;
        pgz_job job;
        void (*ctx_free)(void *);
} pgz_pool;

/* threads 1: no workers; more: that many, and room for 2 * threads + 2
 * slots. ctx_new makes one context per thread (NULL: out of memory). */
int pgz_pool_init(pgz_pool *p, unsigned threads, pgz_job job, void *(*ctx_new)(void *),
                  void (*ctx_free)(void *), void *ud, err_t *e);
void pgz_pool_fini(pgz_pool *p);
/* The slot at the tail to fill, or NULL when every slot is in flight. */
pgz_slot *pgz_pool_tail(pgz_pool *p);
void pgz_pool_submit(pgz_pool *p);
/* The oldest slot, its job done (here if no worker took it yet); NULL when
 * none is in flight. */
pgz_slot *pgz_pool_head(pgz_pool *p);
void pgz_pool_release(pgz_pool *p);
bool pgz_pool_empty(const pgz_pool *p);

/* Grow *buf to at least n bytes. */
void pgz_reserve(unsigned char **buf, size_t *cap, size_t n);
uint32_t pgz_le32(const unsigned char *p);
