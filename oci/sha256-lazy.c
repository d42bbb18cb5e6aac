/* oci_sha256_ops through extract's lazily loaded libcrypto (lazylib.h):
 * common's digest_* (oci_sha256_common) links libcrypto, which every
 * runroot start would then load and initialise, whether it hashes
 * anything or not. */
#include "lazylib.h"
#include "ociopen.h"

static int start(void **ret, err_t *e)
{
        lz_sha256 *c = NULL;
        int r = lz_sha256_new(&c, e);
        if (r == 0)
                *ret = c;
        return r;
}

static void update(void *c, const void *p, size_t n)
{
        lz_sha256_update(c, p, n);
}

static void finish(void *c, char hex[DIGEST_HEX_LEN + 1])
{
        lz_sha256_final(c, hex);
}

static void discard(void *c)
{
        lz_sha256_free(c);
}

const oci_sha256_ops oci_sha256_lazy = {start, update, finish, discard};

int oci_sha256_lazy_buf(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1], err_t *e)
{
        void *c = NULL;
        int r = start(&c, e);
        if (r < 0)
                return r;
        update(c, data, len);
        finish(c, hex); /* (which frees c) */
        return 0;
}
