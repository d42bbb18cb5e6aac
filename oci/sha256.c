/* oci_sha256_ops through common's digest_* (its own file, so that a
 * program that brings its own, like runroot, does not link libcrypto). */
#include "ociarchive.h"

static int start(void **ret, err_t *e)
{
        *ret = digest_new();
        return 0;
}

static void update(void *c, const void *p, size_t n)
{
        digest_update(c, p, n);
}

static void finish(void *c, char hex[DIGEST_HEX_LEN + 1])
{
        digest_final(c, hex);
}

static void discard(void *c)
{
        digest_free(c);
}

const oci_sha256_ops oci_sha256_common = {start, update, finish, discard};
