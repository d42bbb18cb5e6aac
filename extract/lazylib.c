/* Loading libarchive and libcrypto on first use (see lazylib.h for why). */
#include <dlfcn.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <string.h>

#define LA_NO_REDIRECT
#include "lazylib.h"

la_api la;

static int la_load_locked(void **handle, err_t *e)
{
        if (*handle)
                return 0;
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(e, -ENOENT, "libarchive: %s", dlerror());
        la_api t;
#define LA_RESOLVE(f)                                                                              \
        *(void **)&t.f = dlsym(h, #f);                                                             \
        if (!t.f) {                                                                                \
                dlclose(h);                                                                        \
                return err_set(e, -ENOENT, "libarchive: no %s", #f);                               \
        }
        LA_FUNCS(LA_RESOLVE)
#undef LA_RESOLVE
        la = t;
        /* Archive names in pax headers are UTF-8: a UTF-8 character type
         * lets libarchive hand them over unchanged. A program that set no
         * locale of its own (runroot, which so reads no locale files on a
         * warm start) gets it here, before any reader or writer thread
         * exists; one that did (mkroot, in main) keeps its own. */
        const char *ctype = setlocale(LC_CTYPE, NULL);
        if (ctype && !strcmp(ctype, "C") && !setlocale(LC_CTYPE, "C.UTF-8"))
                setlocale(LC_CTYPE, "");
        __atomic_store_n(handle, h, __ATOMIC_RELEASE);
        return 0;
}

/* mkroot's .deb unpackers call in from several threads at once. */
int la_load(err_t *e)
{
        static void *handle;
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        if (__atomic_load_n(&handle, __ATOMIC_ACQUIRE))
                return 0;
        pthread_mutex_lock(&lock);
        int r = la_load_locked(&handle, e);
        pthread_mutex_unlock(&lock);
        return r;
}

/* The few libcrypto entry points a sha256 needs. */
typedef struct evp_md_ctx evp_md_ctx;
static struct {
        evp_md_ctx *(*ctx_new)(void);
        void (*ctx_free)(evp_md_ctx *);
        const void *(*sha256)(void);
        int (*init)(evp_md_ctx *, const void *, void *);
        int (*update)(evp_md_ctx *, const void *, size_t);
        int (*final)(evp_md_ctx *, unsigned char *, unsigned int *);
} evp;

struct lz_sha256 {
        evp_md_ctx *md;
};

static int evp_load_locked(err_t *e)
{
        static void *handle;
        if (handle)
                return 0;
        void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(e, -ENOENT, "libcrypto: %s", dlerror());
        *(void **)&evp.ctx_new = dlsym(h, "EVP_MD_CTX_new");
        *(void **)&evp.ctx_free = dlsym(h, "EVP_MD_CTX_free");
        *(void **)&evp.sha256 = dlsym(h, "EVP_sha256");
        *(void **)&evp.init = dlsym(h, "EVP_DigestInit_ex");
        *(void **)&evp.update = dlsym(h, "EVP_DigestUpdate");
        *(void **)&evp.final = dlsym(h, "EVP_DigestFinal_ex");
        if (!evp.ctx_new || !evp.ctx_free || !evp.sha256 || !evp.init || !evp.update ||
            !evp.final) {
                dlclose(h);
                return err_set(e, -ENOENT, "libcrypto: sha256 functions missing");
        }
        handle = h;
        return 0;
}

static int evp_load(err_t *e)
{
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&lock);
        int r = evp_load_locked(e);
        pthread_mutex_unlock(&lock);
        return r;
}

int lz_sha256_new(lz_sha256 **ret, err_t *e)
{
        int r = evp_load(e);
        if (r < 0)
                return r;
        lz_sha256 *c = xmalloc(sizeof *c);
        c->md = evp.ctx_new();
        if (!c->md || evp.init(c->md, evp.sha256(), NULL) != 1) {
                lz_sha256_free(c);
                return err_set(e, -ENOMEM, "sha256: cannot initialise");
        }
        *ret = c;
        return 0;
}

void lz_sha256_update(lz_sha256 *c, const void *data, size_t len)
{
        evp.update(c->md, data, len);
}

void lz_sha256_free(lz_sha256 *c)
{
        if (!c)
                return;
        if (c->md)
                evp.ctx_free(c->md);
        free(c);
}

void lz_sha256_final(lz_sha256 *c, char hex[DIGEST_HEX_LEN + 1])
{
        unsigned char md[64];
        unsigned int n = 0;
        evp.final(c->md, md, &n);
        static const char xd[] = "0123456789abcdef";
        for (unsigned int i = 0; i < n && i < 32; i++) {
                hex[2 * i] = xd[md[i] >> 4];
                hex[2 * i + 1] = xd[md[i] & 15];
        }
        hex[DIGEST_HEX_LEN] = '\0';
        lz_sha256_free(c);
}
