/* Logging: the level filter and the line format live here; where a line
 * goes is the program's choice (log_init installs the stderr writer).
 * Without a sink, as for a library used alone or a unit test that does
 * not ask for one, nothing is written. */
#include "common.h"

static const char *prog = "mkroot";
static log_level level = LOG_WARN;
static log_sink_fn sink;
static void *sink_data;

/* One write per line so lines from concurrent processes do not mix. */
static void stderr_sink(log_level l, const char *line, size_t len, void *userdata)
{
        ssize_t w = write(STDERR_FILENO, line, len);
        (void)w;
}

void log_init(const char *p)
{
        prog = p;
        log_set_sink(stderr_sink, NULL);
}
void log_set_sink(log_sink_fn fn, void *userdata)
{
        sink = fn;
        sink_data = userdata;
}
void log_set_level(log_level l)
{
        level = l;
}
log_level log_get_level(void)
{
        return level;
}

__attribute__((format(printf, 3, 0))) static void vlog(log_level l, const char *tag,
                                                       const char *fmt, va_list ap)
{
        if (!sink)
                return;
        char buf[4096];
        int n = snprintf(buf, sizeof buf, "%s: %s", prog, tag);
        if (n < 0 || (size_t)n >= sizeof buf)
                n = 0;
        int m = vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
        size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
        if (len >= sizeof buf - 1)
                len = sizeof buf - 2;
        buf[len++] = '\n';
        buf[len] = '\0';
        sink(l, buf, len, sink_data);
}

#define DEFINE_LOG(fn, lvl, tag)                                                                   \
        void fn(const char *fmt, ...)                                                              \
        {                                                                                          \
                if (level < (lvl))                                                                 \
                        return;                                                                    \
                va_list ap;                                                                        \
                va_start(ap, fmt);                                                                 \
                vlog(lvl, tag, fmt, ap);                                                           \
                va_end(ap);                                                                        \
        }

DEFINE_LOG(log_warn, LOG_WARN, "warning: ")
DEFINE_LOG(log_info, LOG_INFO, "")
DEFINE_LOG(log_debug, LOG_DEBUG, "debug: ")

void log_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vlog(LOG_QUIET, "", fmt, ap);
        va_end(ap);
}
