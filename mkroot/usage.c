/* The usage errors of every mkroot subcommand, and the size format that
 * inspect and cache ls share. */
#include <stdarg.h>
#include <stdio.h>

#include "mkroot.h"

int mkroot_try_help(const char *cmd)
{
        fprintf(stderr, "Try 'mkroot %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
        return EXIT_USAGE;
}

int mkroot_usage(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "mkroot: %s%s", cmd ? cmd : "", cmd ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return mkroot_try_help(cmd);
}

void mkroot_human_size(int64_t n, char buf[32])
{
        const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = (double)n;
        size_t i = 0;
        while (v >= 1024 && i + 1 < ARRAY_SIZE(u)) {
                v /= 1024;
                i++;
        }
        snprintf(buf, 32, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}
