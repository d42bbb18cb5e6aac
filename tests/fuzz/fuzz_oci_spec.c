/* libFuzzer harness for runner/ocispec.c: read an OCI bundle's config.json
 * (nothing is run). A refused input must leave one line of error naming
 * config.json; an accepted one a command and an absolute root. */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        runner_oci_spec s;
        err_t e = {0};
        if (runner_oci_spec_parse((const char *)data, size, "/bundle", &s, &e) < 0) {
                if (strncmp(e.msg, "config.json: ", 13) != 0 || strchr(e.msg, '\n'))
                        abort();
                return 0;
        }
        if (!s.cfg.argv || !s.cfg.argv[0] || !s.cfg.image || s.cfg.image[0] != '/')
                abort();
        runner_oci_spec_free(&s);
        return 0;
}
