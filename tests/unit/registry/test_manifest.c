/* registry/pull.c: the registry's manifest against the image skopeo
 * wrote. Its digest covers every byte, so it must be one JSON object with
 * nothing after it: trailing bytes or a NUL inside would be content the
 * check never saw. */
#include <string.h>

#include "internal.h"
#include "test.h"

#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MANIFEST                                                                                   \
        "{\"schemaVersion\": 2, \"config\": {\"digest\": \"sha256:" A "\"}, "                      \
        "\"layers\": [{\"digest\": \"sha256:" B "\"}]}"

static int match(const char *raw, size_t len, err_t *e)
{
        oci_layer layer = {.digest = B};
        oci_image im = {.kind = OCI_KIND_OCI, .layers = &layer, .n_layers = 1, .config_digest = A};
        return registry_match_manifest(&im, raw, len, "reg/app:1", e);
}

int main(void)
{
        err_t e = {0};
        CHECK_INT(match(MANIFEST, strlen(MANIFEST), &e), 0);
        CHECK_INT(match(MANIFEST "\n", strlen(MANIFEST) + 1, &e), 0);
        /* An index: skopeo chose the image in it. */
        CHECK_INT(match("{\"manifests\": []}", 17, &e), 0);
        /* Bytes after the object, a NUL inside it, a second value. */
        static const char trailing[] = MANIFEST "x";
        CHECK_INT(match(trailing, strlen(trailing), &e), -EBADMSG);
        CHECK_STR(e.msg, "reg/app:1: the registry's manifest is not a JSON object");
        static const char nul[] = MANIFEST "\0{\"manifests\": []}";
        CHECK_INT(match(nul, sizeof nul - 1, &e), -EBADMSG);
        static const char two[] = MANIFEST " {}";
        CHECK_INT(match(two, strlen(two), &e), -EBADMSG);
        /* What does not match is named. */
        static const char other[] = "{\"config\": {\"digest\": \"sha256:" B "\"}, \"layers\": []}";
        CHECK_INT(match(other, strlen(other), &e), -EBADMSG);
        CHECK_STR(e.msg, "reg/app:1: the pulled image's config is not the manifest's");
        static const char none[] = "[1]";
        CHECK_INT(match(none, strlen(none), &e), -EBADMSG);
        TEST_END();
}
