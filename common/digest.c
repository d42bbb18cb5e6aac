#include <openssl/evp.h>

#include "common.h"

struct digest_ctx {
        EVP_MD_CTX *md;
};

digest_ctx *digest_new(void)
{
        digest_ctx *c = xmalloc(sizeof *c);
        c->md = EVP_MD_CTX_new();
        if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
                abort();
        return c;
}

void digest_update(digest_ctx *c, const void *data, size_t len)
{
        EVP_DigestUpdate(c->md, data, len);
}

void digest_free(digest_ctx *c)
{
        if (!c)
                return;
        EVP_MD_CTX_free(c->md);
        free(c);
}

void digest_final(digest_ctx *c, char hex[DIGEST_HEX_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(c->md, md, &n);
        static const char xd[] = "0123456789abcdef";
        for (unsigned int i = 0; i < n && i < 32; i++) {
                hex[2 * i] = xd[md[i] >> 4];
                hex[2 * i + 1] = xd[md[i] & 15];
        }
        hex[DIGEST_HEX_LEN] = '\0';
        digest_free(c);
}

void digest_buf(const void *data, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
        digest_ctx *c = digest_new();
        digest_update(c, data, len);
        digest_final(c, hex);
}

int digest_fd(int fd, char hex[DIGEST_HEX_LEN + 1], err_t *e)
{
        digest_ctx *c = digest_new();
        char buf[65536];
        for (;;) {
                ssize_t n = fd_read(fd, buf, sizeof buf);
                if (n < 0) {
                        digest_free(c);
                        return err_sys(e, (int)-n, "read");
                }
                if (n == 0)
                        break;
                digest_update(c, buf, (size_t)n);
        }
        digest_final(c, hex);
        return 0;
}
