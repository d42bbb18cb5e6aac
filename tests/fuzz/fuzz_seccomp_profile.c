/* libFuzzer harness for runner/seccomp-profile.c: parse docker's JSON
 * seccomp profile (no filter is built or loaded). A refused input must
 * leave one line of error and no profile. */
#include <stdlib.h>
#include <string.h>

#include "security-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sec_profile *p = NULL;
        err_t e = {0};
        if (sec_profile_parse((const char *)data, size, "fuzz", &p, &e) < 0) {
                if (p || e.msg[0] == '\0' || strchr(e.msg, '\n'))
                        abort();
                return 0;
        }
        if (!p)
                abort();
        sec_profile_free(p);
        return 0;
}
