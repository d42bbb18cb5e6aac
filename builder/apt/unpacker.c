/* Unpack .deb data tarballs into one tree from worker threads, fed as the
 * downloads finish. Packages of one set may share directories; the
 * extractor (extract.h) works through directory fds, never the working
 * directory, and copes with a parent or file made by another thread
 * meanwhile. Recording, each package is unpacked for good (dpkg's
 * database is written from what was read); else the stage-1 contents are
 * replaced by dpkg in the second stage. The first error (a full disk
 * included) fails the set. */
#include <pthread.h>
#include <string.h>

#include "apt.h"

struct apt_unpacker {
        char *root;
        strv merged; /* NULL-terminated, or empty */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        strv queue; /* .deb paths */
        size_t head;
        bool record;
        apt_deb_info **infos; /* per queue entry, when recording */
        bool closing;
        int rc;
        err_t err;
        pthread_t *threads;
        size_t n_threads;
};

static void *worker(void *arg)
{
        apt_unpacker *u = arg;
        for (;;) {
                pthread_mutex_lock(&u->lock);
                while (u->head == u->queue.n && !u->closing)
                        pthread_cond_wait(&u->cond, &u->lock);
                if (u->head == u->queue.n || u->rc < 0) {
                        pthread_mutex_unlock(&u->lock);
                        return NULL;
                }
                size_t k = u->head++;
                _cleanup_free_ char *deb = xstrdup(u->queue.v[k]);
                pthread_mutex_unlock(&u->lock);

                err_t e = {0};
                const char *const *merged = u->merged.n ? (const char *const *)u->merged.v : NULL;
                apt_deb_info *info = NULL;
                int rc = u->record ? apt_deb_unpack(deb, u->root, merged, &info, &e)
                                   : apt_deb_extract(deb, u->root, merged, &e);
                if (info) {
                        pthread_mutex_lock(&u->lock);
                        u->infos[k] = info;
                        pthread_mutex_unlock(&u->lock);
                }
                if (rc < 0) {
                        pthread_mutex_lock(&u->lock);
                        if (u->rc == 0) {
                                u->rc = rc;
                                u->err = e;
                        }
                        pthread_mutex_unlock(&u->lock);
                }
        }
}

apt_unpacker *apt_unpacker_start(const char *root, const char *const *merged_dirs, bool record)
{
        apt_unpacker *u = xcalloc(1, sizeof(*u));
        u->record = record;
        u->root = xstrdup(root);
        for (size_t i = 0; merged_dirs && merged_dirs[i]; i++)
                strv_push(&u->merged, merged_dirs[i]);
        pthread_mutex_init(&u->lock, NULL);
        pthread_cond_init(&u->cond, NULL);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n = cpus < 2 ? 2 : cpus > 8 ? 8 : (size_t)cpus;
        u->threads = xcalloc(n, sizeof(*u->threads));
        for (size_t t = 0; t < n; t++) {
                if (pthread_create(&u->threads[t], NULL, worker, u) != 0)
                        break;
                u->n_threads++;
        }
        return u;
}

void apt_unpacker_add(apt_unpacker *u, const char *deb)
{
        pthread_mutex_lock(&u->lock);
        strv_push(&u->queue, deb);
        u->infos = xreallocarray(u->infos, u->queue.n, sizeof(*u->infos));
        u->infos[u->queue.n - 1] = NULL;
        pthread_cond_signal(&u->cond);
        pthread_mutex_unlock(&u->lock);
}

int apt_unpacker_finish(apt_unpacker *u, apt_deb_info ***ret_infos, size_t *ret_n, err_t *e)
{
        pthread_mutex_lock(&u->lock);
        u->closing = true;
        pthread_cond_broadcast(&u->cond);
        pthread_mutex_unlock(&u->lock);
        for (size_t t = 0; t < u->n_threads; t++)
                pthread_join(u->threads[t], NULL);
        int rc = u->rc;
        if (rc < 0)
                *e = u->err;
        else if (u->n_threads == 0)
                rc = err_set(e, -EAGAIN, "could not start unpacking threads");
        if (rc == 0 && ret_infos) {
                *ret_infos = steal_pointer(&u->infos);
                *ret_n = u->queue.n;
        }
        for (size_t k = 0; u->infos && k < u->queue.n; k++)
                apt_deb_info_free(u->infos[k]);
        free(u->infos);
        free(u->threads);
        free(u->root);
        strv_free(&u->merged);
        strv_free(&u->queue);
        pthread_mutex_destroy(&u->lock);
        pthread_cond_destroy(&u->cond);
        free(u);
        return rc;
}
