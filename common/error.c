#include <string.h>

#include "common.h"

__attribute__((format(printf, 2, 0))) static void vset(err_t *e, const char *fmt, va_list ap)
{
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int err_set(err_t *e, int code, const char *fmt, ...)
{
        if (code > 0)
                code = -code;
        if (code == 0)
                code = -EINVAL;
        if (e) {
                va_list ap;
                va_start(ap, fmt);
                vset(e, fmt, ap);
                va_end(ap);
                e->code = code;
        }
        return code;
}

int err_sys(err_t *e, int errnum, const char *fmt, ...)
{
        if (errnum < 0)
                errnum = -errnum;
        if (errnum == 0)
                errnum = EIO;
        if (e) {
                va_list ap;
                va_start(ap, fmt);
                vset(e, fmt, ap);
                va_end(ap);
                size_t n = strlen(e->msg);
                snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
                e->code = -errnum;
        }
        return -errnum;
}

int err_prefix(err_t *e, const char *fmt, ...)
{
        if (!e)
                return -EINVAL;
        char pre[ERR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pre, sizeof pre, fmt, ap);
        va_end(ap);
        char old[ERR_MSG_MAX];
        memcpy(old, e->msg, sizeof old);
        size_t n = strlen(pre);
        if (n > sizeof e->msg - 3)
                n = sizeof e->msg - 3;
        memcpy(e->msg, pre, n);
        memcpy(e->msg + n, ": ", 3);
        size_t room = sizeof e->msg - n - 3;
        size_t ol = strnlen(old, room);
        memcpy(e->msg + n + 2, old, ol);
        e->msg[n + 2 + ol] = '\0';
        if (e->code == 0)
                e->code = -EINVAL;
        return e->code;
}

void err_clear(err_t *e)
{
        if (e) {
                e->code = 0;
                e->msg[0] = '\0';
        }
}
