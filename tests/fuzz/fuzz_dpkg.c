/* libFuzzer harness for builder/dpkg.c and builder/trace.c's log reader:
 * a dpkg status file (with a diversions file after a NUL), the closure
 * of the first package it names, a .list file, a trace log. Any input must
 * parse or fail with a one-line message. The first byte picks the target. */
#include <stdlib.h>
#include <string.h>

#include "dpkg.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const err_t *e)
{
        if (e->msg[0] == '\0' || strchr(e->msg, '\n'))
                abort();
}

static void fuzz_status(const char *in, size_t len)
{
        err_t e = {0};
        const char *nul = memchr(in, '\0', len);
        size_t slen = nul ? (size_t)(nul - in) : len;
        const char *div = nul ? nul + 1 : NULL;
        size_t dlen = nul ? len - slen - 1 : 0;
        dpkg_db *db = NULL;
        if (dpkg_db_parse(in, slen, "status", div, dlen, "diversions", &db, &e) < 0) {
                check_err(&e);
                return;
        }
        /* Ask for a name taken from the input: "Package: NAME". */
        strv names = {0};
        const char *p = memmem(in, slen, "Package:", 8);
        if (p) {
                p += 8;
                while (p < in + slen && *p == ' ')
                        p++;
                size_t n = 0;
                while (p + n < in + slen && p[n] != '\n' && p[n] != '\0' && n < 64)
                        n++;
                strv_push_take(&names, xstrndup(p, n));
        } else {
                strv_push(&names, "x");
        }
        strv out = {0};
        if (dpkg_closure(db, &names, true, &out, &e) < 0)
                check_err(&e);
        for (size_t i = 0; i < out.n; i++)
                if (!strchr(out.v[i], ':'))
                        abort(); /* always NAME:ARCH */
        strv_free(&out);
        strv_free(&names);
        dpkg_db_free(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        const char *in = (const char *)data + 1;
        size_t len = size - 1;
        err_t e = {0};
        switch (data[0] % 3) {
        case 0: fuzz_status(in, len); break;
        case 1: {
                strv l = {0};
                if (dpkg_list_parse(in, len, "fuzz.list", &l, &e) < 0) {
                        check_err(&e);
                        break;
                }
                for (size_t i = 0; i < l.n; i++)
                        if (l.v[i][0] != '/')
                                abort();
                strv_free(&l);
                break;
        }
        default: {
                trace_log t = {0};
                if (trace_log_parse(in, len, "fuzz log", &t, &e) < 0) {
                        check_err(&e);
                        break;
                }
                for (size_t i = 0; i < t.paths.n; i++)
                        if (t.paths.v[i][0] != '/')
                                abort();
                trace_log_free(&t);
                break;
        }
        }
        return 0;
}
