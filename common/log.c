#include "common.h"

static const char *prog = "mkroot";
static log_level level = LOG_WARN;

void log_init(const char *p)
{
        prog = p;
}
void log_set_level(log_level l)
{
        level = l;
}
log_level log_get_level(void)
{
        return level;
}
const char *log_prog(void)
{
        return prog;
}

__attribute__((format(printf, 2, 0))) static void vlog(const char *tag, const char *fmt, va_list ap)
{
        /* One write per line so lines from concurrent processes do not mix. */
        char buf[4096];
        int n = snprintf(buf, sizeof buf, "%s: %s", prog, tag);
        if (n < 0 || (size_t)n >= sizeof buf)
                n = 0;
        int m = vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
        size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
        if (len >= sizeof buf - 1)
                len = sizeof buf - 2;
        buf[len++] = '\n';
        ssize_t w = write(STDERR_FILENO, buf, len);
        (void)w;
}

#define DEFINE_LOG(fn, lvl, tag)                                                                   \
        void fn(const char *fmt, ...)                                                              \
        {                                                                                          \
                if (level < (lvl))                                                                 \
                        return;                                                                    \
                va_list ap;                                                                        \
                va_start(ap, fmt);                                                                 \
                vlog(tag, fmt, ap);                                                                \
                va_end(ap);                                                                        \
        }

DEFINE_LOG(log_warn, LOG_WARN, "warning: ")
DEFINE_LOG(log_info, LOG_INFO, "")
DEFINE_LOG(log_debug, LOG_DEBUG, "debug: ")

void log_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vlog("", fmt, ap);
        va_end(ap);
}
