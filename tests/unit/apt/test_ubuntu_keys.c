/* The Ubuntu manifests' embedded Signed-By keys, read the way mkroot fetch
 * reads them (apt_suite_load, apt_dearmor), are the Ubuntu archive's
 * signing keys: each primary key's v4 fingerprint (SHA-1 over 0x99, a
 * two-byte length and the public-key packet body, RFC 4880 12.2) against
 * the fingerprints Ubuntu publishes. bionic's InRelease is signed by the
 * 2012 key, jammy's and noble's by the 2018 key, focal's by both. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "test.h"

#define KEY_2012 "790BC7277767219C42C86F933B4FE6ACC0B21F32"
#define KEY_2018 "F6ECB3762474EDA9D21B7022871920D1991BC93C"

/* The fingerprints of the primary keys (tag 6) in a binary keyring. */
static int fingerprints(const unsigned char *p, size_t len, strv *out)
{
        size_t i = 0;
        while (i < len) {
                unsigned char h = p[i++];
                if (!(h & 0x80))
                        return -1;
                unsigned tag;
                size_t body;
                if (h & 0x40) { /* new format */
                        tag = h & 0x3f;
                        if (i >= len)
                                return -1;
                        unsigned char l0 = p[i++];
                        if (l0 < 192) {
                                body = l0;
                        } else if (l0 < 224) {
                                if (i >= len)
                                        return -1;
                                body = ((size_t)(l0 - 192) << 8) + p[i++] + 192;
                        } else if (l0 == 255) {
                                if (i + 4 > len)
                                        return -1;
                                body = (size_t)p[i] << 24 | (size_t)p[i + 1] << 16 |
                                       (size_t)p[i + 2] << 8 | p[i + 3];
                                i += 4;
                        } else {
                                return -1; /* partial lengths: not in a key */
                        }
                } else { /* old format */
                        tag = (h >> 2) & 0x0f;
                        unsigned lt = h & 3;
                        size_t n = lt == 0 ? 1 : lt == 1 ? 2 : lt == 2 ? 4 : 0;
                        if (n == 0 || i + n > len)
                                return -1;
                        body = 0;
                        for (size_t k = 0; k < n; k++)
                                body = body << 8 | p[i + k];
                        i += n;
                }
                if (body > len - i)
                        return -1;
                if (tag == 6) {
                        if (body > 0xffff || body < 1 || p[i] != 4)
                                return -1;
                        unsigned char pre[3] = {0x99, (unsigned char)(body >> 8),
                                                (unsigned char)body};
                        unsigned char md[20];
                        unsigned int mdlen = 0;
                        EVP_MD_CTX *c = EVP_MD_CTX_new();
                        EVP_DigestInit_ex(c, EVP_sha1(), NULL);
                        EVP_DigestUpdate(c, pre, sizeof(pre));
                        EVP_DigestUpdate(c, p + i, body);
                        EVP_DigestFinal_ex(c, md, &mdlen);
                        EVP_MD_CTX_free(c);
                        char hex[41];
                        for (size_t k = 0; k < 20; k++)
                                snprintf(hex + 2 * k, 3, "%02X", md[k]);
                        strv_push(out, hex);
                }
                i += body;
        }
        return 0;
}

static void check_manifest(const char *name)
{
        err_t e = {0};
        apt_suite s;
        int rc = apt_suite_load(name, &s, &e);
        CHECK_INT(rc, 0);
        if (rc < 0) {
                fprintf(stderr, "%s: %s\n", name, e.msg);
                return;
        }
        CHECK_STR(s.distribution, "ubuntu");
        bool armored =
                s.signed_by && !strncmp(s.signed_by, "-----BEGIN PGP PUBLIC KEY BLOCK-----", 36);
        CHECK(armored);
        if (!armored) {
                fprintf(stderr, "%s: Signed-By is not an embedded key: %s\n", name,
                        s.signed_by ? s.signed_by : "(none)");
                apt_suite_free(&s);
                return;
        }
        _cleanup_free_ void *bin = NULL;
        size_t blen = 0;
        CHECK_INT(apt_dearmor(s.signed_by, &bin, &blen, &e), 0);
        strv fprs = {0};
        CHECK_INT(fingerprints(bin, blen, &fprs), 0);
        /* Both archive keys and nothing else, in every Ubuntu suite. */
        CHECK_INT(fprs.n, 2);
        CHECK(strv_contains(&fprs, KEY_2012));
        CHECK(strv_contains(&fprs, KEY_2018));
        for (size_t i = 0; i < fprs.n; i++)
                fprintf(stderr, "%s: key %s\n", name, fprs.v[i]);
        strv_free(&fprs);
        apt_suite_free(&s);
}

int main(void)
{
        log_init("test_ubuntu_keys");
        setenv("MKROOT_MANIFESTS", APT_MANIFESTS, 1);
        static const char *const ubuntu[] = {"bionic", "focal", "jammy", "noble"};
        for (size_t i = 0; i < ARRAY_SIZE(ubuntu); i++)
                check_manifest(ubuntu[i]);
        /* Any other Ubuntu manifest carries the same keys. */
        strv all = {0};
        apt_suite_list(&all);
        for (size_t i = 0; i < all.n; i++) {
                bool known = false;
                for (size_t k = 0; k < ARRAY_SIZE(ubuntu); k++)
                        known |= !strcmp(all.v[i], ubuntu[k]);
                apt_suite s;
                err_t e = {0};
                if (known || apt_suite_load(all.v[i], &s, &e) < 0)
                        continue;
                bool is_ubuntu = !strcmp(s.distribution, "ubuntu");
                apt_suite_free(&s);
                if (is_ubuntu)
                        check_manifest(all.v[i]);
        }
        strv_free(&all);
        TEST_END();
}
