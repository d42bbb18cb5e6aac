/* libFuzzer harness for registry/: what the registry and skopeo hand
 * runroot. The input is, in turn, the registry's manifest checked against
 * a pulled image (registry_match_manifest), skopeo's stderr taken for its
 * reason (skopeo_reason) and a reference (registry_ref_parse). A refused
 * manifest or reference must leave one line naming what it was; a reason
 * is one printable line; an accepted reference has a name and a digest
 * of 64 lowercase hex digits or none. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void one_line(const char *msg, const char *prefix)
{
        if (strncmp(msg, prefix, strlen(prefix)) != 0 || strchr(msg, '\n'))
                abort();
}

static void check_manifest(const char *raw, size_t size)
{
        oci_layer layers[2] = {{.digest = HEX_B}, {.digest = HEX_C}};
        oci_image im = {
                .kind = OCI_KIND_OCI, .layers = layers, .n_layers = 2, .config_digest = HEX_A};
        err_t e = {0};
        if (registry_match_manifest(&im, raw, size, "reg", &e) < 0)
                one_line(e.msg, "reg: ");
}

static void check_reason(const char *err, size_t size)
{
        _cleanup_sb_ strbuf why = {0};
        skopeo_reason(err, size, &why);
        if (!why.len || strlen(why.s) != why.len)
                abort();
        for (size_t i = 0; i < why.len; i++)
                if ((unsigned char)why.s[i] < 0x20 || why.s[i] == 0x7f)
                        abort();
}

static void check_ref(const char *arg)
{
        (void)registry_ref_wanted(arg);
        registry_ref r;
        err_t e = {0};
        if (registry_ref_parse(arg, &r, &e) < 0) {
                if (!e.msg[0] || strchr(e.msg, '\n'))
                        abort();
                return;
        }
        size_t n = strlen(r.digest);
        if (!r.name || !r.name[0] || (n != 0 && n != DIGEST_HEX_LEN) ||
            strspn(r.digest, "0123456789abcdef") != n)
                abort();
        registry_ref_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* NUL-terminated, as skopeo's output is handed over. */
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        check_manifest(s, size);
        check_reason(s, size);
        check_ref(s);
        free(s);
        return 0;
}
