/* Parallel downloads with libcurl's multi interface: several connections,
 * resume of partial files, retries with exponential backoff, proxies from
 * the environment (libcurl reads them), progress reported to the caller.
 * Files with a known sha256 are published into DIR/sha256/ only after the
 * digest matched, so the cache never holds an unverified blob. */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "apt.h"

#define DL_DEFAULT_CONNECTIONS 8
#define DL_DEFAULT_RETRIES 4

typedef struct dl_state dl_state;

typedef struct xfer {
        dl_state *state;
        apt_dl *item;
        CURL *h;
        int fd;
        char *partial;
        int64_t resume_from;
        int attempts;
        int64_t not_before; /* ms, for backoff */
        int werr;           /* errno of a failed write */
        char errbuf[CURL_ERROR_SIZE];
} xfer;

struct dl_state {
        const apt_dl_opts *o;
        CURLM *multi;
        xfer *x;
        size_t n;
        size_t *waiting; /* indices into x, FIFO */
        size_t n_waiting, head;
        size_t active;
        int64_t total_bytes, done_bytes;
        size_t total_files, done_files;
        int64_t started_ms, last_report_ms;
};

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
        xfer *t = userdata;
        size_t len = size * nmemb;
        int r = fd_write_all(t->fd, data, len);
        if (r < 0) {
                t->werr = -r;
                return 0;
        }
        t->state->done_bytes += (int64_t)len;
        return len;
}

/* Tell the caller how far the downloads are, at most every 200 ms
 * unless force (the last report of a successful run). */
static void report(dl_state *s, bool force)
{
        if (!s->o->progress)
                return;
        int64_t t = now_ms();
        if (!force && t - s->last_report_ms < 200)
                return;
        s->last_report_ms = t;
        double secs = (double)(t - s->started_ms) / 1000.0;
        apt_dl_progress p = {.done_files = s->done_files,
                             .total_files = s->total_files,
                             .done_bytes = s->done_bytes,
                             .total_bytes = s->total_bytes,
                             .bytes_per_sec = secs > 0 ? (double)s->done_bytes / secs : 0};
        s->o->progress(&p, s->o->progress_data);
}

static void report_end(dl_state *s)
{
        if (s->o->progress)
                s->o->progress(&(apt_dl_progress){.finished = true}, s->o->progress_data);
}

static bool transient(CURLcode c, long http)
{
        switch (c) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM: return true;
        case CURLE_HTTP_RETURNED_ERROR: return http >= 500 || http == 408 || http == 429;
        default: return false;
        }
}

static char *blob_path(const char *dir, const char *hex)
{
        return xasprintf("%s/sha256/%s", dir, hex);
}

static int open_partial(dl_state *s, xfer *t, err_t *e)
{
        if (t->item->sha256) {
                if (!t->partial)
                        t->partial = xasprintf("%s/partial/%s", s->o->dir, t->item->sha256);
                t->fd = open(t->partial, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (t->fd < 0)
                        return err_sys(e, errno, "%s", t->partial);
                struct stat st;
                if (fstat(t->fd, &st) < 0)
                        return err_sys(e, errno, "%s", t->partial);
                t->resume_from = st.st_size;
                /* A partial at least as long as the file is stale or bad. */
                if (t->item->size >= 0 && t->resume_from >= t->item->size) {
                        if (ftruncate(t->fd, 0) < 0)
                                return err_sys(e, errno, "%s", t->partial);
                        t->resume_from = 0;
                }
                if (lseek(t->fd, t->resume_from, SEEK_SET) < 0)
                        return err_sys(e, errno, "%s", t->partial);
        } else {
                if (!t->partial) {
                        t->partial = xasprintf("%s/partial/unverified-XXXXXX", s->o->dir);
                        t->fd = mkostemp(t->partial, O_CLOEXEC);
                } else {
                        t->fd = open(t->partial, O_WRONLY | O_TRUNC | O_CLOEXEC);
                }
                if (t->fd < 0)
                        return err_sys(e, errno, "%s", t->partial);
                t->resume_from = 0;
        }
        s->done_bytes += t->resume_from;
        return 0;
}

static int start(dl_state *s, xfer *t, err_t *e)
{
        int rc = open_partial(s, t, e);
        if (rc < 0)
                return rc;
        if (!t->h)
                t->h = curl_easy_init();
        else
                curl_easy_reset(t->h);
        if (!t->h)
                return err_set(e, -ENOMEM, "curl_easy_init failed");
        CURL *h = t->h;
        t->werr = 0;
        t->errbuf[0] = '\0';
        curl_easy_setopt(h, CURLOPT_URL, t->item->url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(h, CURLOPT_PRIVATE, t);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 512L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "mkroot-fetch/0.1");
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        if (t->resume_from > 0)
                curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->resume_from);
        CURLMcode mc = curl_multi_add_handle(s->multi, h);
        if (mc != CURLM_OK)
                return err_set(e, -EIO, "%s: %s", t->item->url, curl_multi_strerror(mc));
        s->active++;
        return 0;
}

static void requeue(dl_state *s, size_t idx)
{
        s->waiting[s->n_waiting++ % s->n] = idx;
}

/* Check the finished file and publish it. */
static int finish_ok(dl_state *s, xfer *t, err_t *e)
{
        apt_dl *it = t->item;
        if (!it->sha256) {
                it->path = steal_pointer(&t->partial);
                return 0;
        }
        _cleanup_close_ int fd = open(t->partial, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", t->partial);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s", t->partial);
        char hex[DIGEST_HEX_LEN + 1];
        int rc = digest_fd(fd, hex, e);
        if (rc < 0)
                return rc;
        if (strcmp(hex, it->sha256) != 0 || (it->size >= 0 && st.st_size != it->size)) {
                unlink(t->partial);
                return err_set(e, -EBADMSG, "%s: SHA256 mismatch (expected %.12s…, got %.12s…)",
                               it->url, it->sha256, hex);
        }
        char *dst = blob_path(s->o->dir, it->sha256);
        if (rename(t->partial, dst) < 0) {
                rc = err_sys(e, errno, "%s", dst);
                free(dst);
                return rc;
        }
        it->path = dst;
        return 0;
}

static int handle_done(dl_state *s, CURLMsg *m, err_t *e)
{
        xfer *t = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode c = m->data.result;
        long http = 0;
        curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &http);
        curl_multi_remove_handle(s->multi, t->h);
        s->active--;
        close(t->fd);
        t->fd = -1;
        size_t idx = (size_t)(t - s->x);

        if (c == CURLE_OK) {
                int rc = finish_ok(s, t, e);
                if (rc < 0)
                        return rc;
                s->done_files++;
                if (s->o->on_ready)
                        s->o->on_ready(idx, s->o->userdata);
                report(s, false);
                return 0;
        }
        if (c == CURLE_WRITE_ERROR && t->werr) {
                if (t->werr == ENOSPC)
                        return err_set(e, -ENOSPC, "%s: disk full", s->o->dir);
                return err_sys(e, t->werr, "%s", t->partial);
        }
        if (c == CURLE_RANGE_ERROR || (c == CURLE_HTTP_RETURNED_ERROR && http == 416)) {
                /* The server cannot resume: start over from byte 0. */
                if (truncate(t->partial, 0) < 0)
                        return err_sys(e, errno, "%s", t->partial);
                if (t->attempts++ < (s->o->retries < 0 ? DL_DEFAULT_RETRIES : s->o->retries)) {
                        t->not_before = 0;
                        requeue(s, idx);
                        return 0;
                }
        }
        int retries = s->o->retries < 0 ? DL_DEFAULT_RETRIES : s->o->retries;
        if (transient(c, http) && t->attempts < retries) {
                t->not_before = now_ms() + (250LL << t->attempts);
                t->attempts++;
                requeue(s, idx);
                return 0;
        }
        /* Not there (-ENOENT) is told apart from a failure: a pocket the
         * suite does not have is left out, one that fails is an error. */
        if (c == CURLE_HTTP_RETURNED_ERROR)
                return err_set(e, http == 404 || http == 410 ? -ENOENT : -EIO, "%s: HTTP %ld",
                               t->item->url, http);
        if (c == CURLE_FILE_COULDNT_READ_FILE)
                return err_set(e, -ENOENT, "%s: not found", t->item->url);
        return err_set(e, -EIO, "%s: %s", t->item->url,
                       t->errbuf[0] ? t->errbuf : curl_easy_strerror(c));
}

static int mkdirs(const char *dir, err_t *e)
{
        _cleanup_free_ char *a = path_join(dir, "sha256");
        _cleanup_free_ char *b = path_join(dir, "partial");
        int rc = fs_mkdir_p_at(AT_FDCWD, a, 0755, e);
        if (rc == 0)
                rc = fs_mkdir_p_at(AT_FDCWD, b, 0755, e);
        return rc;
}

static int global_init(err_t *e)
{
        static bool inited;
        if (inited)
                return 0;
        CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (c != CURLE_OK)
                return err_set(e, -EIO, "libcurl: cannot initialise: %s", curl_easy_strerror(c));
        inited = true;
        return 0;
}

/* Items already in the cache are ready at once; the others are queued
 * and counted for the progress report. */
static void queue_items(dl_state *s, apt_dl *items)
{
        const apt_dl_opts *o = s->o;
        for (size_t i = 0; i < s->n; i++) {
                s->x[i] = (xfer){.state = s, .item = &items[i], .fd = -1};
                if (items[i].sha256) {
                        char *p = blob_path(o->dir, items[i].sha256);
                        struct stat st;
                        if (stat(p, &st) == 0 &&
                            (items[i].size < 0 || st.st_size == items[i].size)) {
                                items[i].path = p;
                                if (o->on_ready)
                                        o->on_ready(i, o->userdata);
                                continue;
                        }
                        free(p);
                }
                s->total_files++;
                if (items[i].size > 0)
                        s->total_bytes += items[i].size;
                requeue(s, i);
        }
}

/* Run the transfers until every queued item is done or one failed. */
static int transfer_all(dl_state *s, err_t *e)
{
        int conns = s->o->connections > 0 ? s->o->connections : DL_DEFAULT_CONNECTIONS;
        curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
        curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conns);
        s->started_ms = now_ms();
        while (s->head < s->n_waiting || s->active > 0) {
                /* Start what may start: FIFO, but a backing-off entry
                 * waits its turn at the front only until it is due. */
                while (s->active < (size_t)conns && s->head < s->n_waiting) {
                        size_t idx = s->waiting[s->head % s->n];
                        if (s->x[idx].not_before > now_ms())
                                break;
                        s->head++;
                        int rc = start(s, &s->x[idx], e);
                        if (rc < 0)
                                return rc;
                }
                int running = 0;
                curl_multi_perform(s->multi, &running);
                CURLMsg *m;
                int left;
                while ((m = curl_multi_info_read(s->multi, &left)))
                        if (m->msg == CURLMSG_DONE) {
                                int rc = handle_done(s, m, e);
                                if (rc < 0)
                                        return rc;
                        }
                report(s, false);
                if (s->active > 0)
                        curl_multi_poll(s->multi, NULL, 0, 100, NULL);
                else if (s->head < s->n_waiting)
                        usleep(20000);
        }
        report(s, true);
        return 0;
}

/* Release the transfers; after a failure, nothing unverified stays. */
static void dl_state_free(dl_state *s, apt_dl *items, bool failed)
{
        for (size_t i = 0; i < s->n; i++) {
                xfer *t = &s->x[i];
                if (t->h) {
                        curl_multi_remove_handle(s->multi, t->h);
                        curl_easy_cleanup(t->h);
                }
                if (t->fd >= 0)
                        close(t->fd);
                /* Unverified downloads never outlive a failure. */
                if (t->partial && !t->item->sha256)
                        unlink(t->partial);
                free(t->partial);
        }
        if (s->multi)
                curl_multi_cleanup(s->multi);
        free(s->x);
        free(s->waiting);
        if (failed)
                for (size_t i = 0; i < s->n; i++)
                        if (!items[i].sha256 && items[i].path) {
                                unlink(items[i].path);
                                free(items[i].path);
                                items[i].path = NULL;
                        }
}

int apt_download(apt_dl *items, size_t n, const apt_dl_opts *o, err_t *e)
{
        int rc = mkdirs(o->dir, e);
        if (rc == 0)
                rc = global_init(e);
        if (rc < 0)
                return rc;
        dl_state s = {.o = o, .n = n};
        s.x = xcalloc(n ? n : 1, sizeof(*s.x));
        s.waiting = xcalloc(n ? n : 1, sizeof(*s.waiting));
        queue_items(&s, items);
        if (s.total_files > 0) {
                s.multi = curl_multi_init();
                if (!s.multi)
                        rc = err_set(e, -ENOMEM, "curl_multi_init failed");
                else
                        rc = transfer_all(&s, e);
                report_end(&s);
        }
        dl_state_free(&s, items, rc < 0);
        return rc;
}

void apt_dl_free(apt_dl *items, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(items[i].url);
                free(items[i].sha256);
                free(items[i].path);
        }
        free(items);
}
