/* libFuzzer harness for runner/ocispec.c: read an OCI bundle's config.json
 * (nothing is run). A refused input must leave one line of error naming
 * config.json; an accepted one a command, an absolute root and hooks
 * with absolute paths. */
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
        /* Accepted hooks: absolute paths, a timeout of none or > 0. */
        for (int k = 0; k < RUNNER_HOOK_MAX; k++)
                for (size_t i = 0; i < s.hooks.n[k]; i++)
                        if (s.hooks.v[k][i].path[0] != '/' || s.hooks.v[k][i].timeout < 0)
                                abort();
        runner_oci_spec_free(&s);
        return 0;
}
