/* The usage errors of every mkroot subcommand, and the size format that
 * inspect and cache ls share, and the closing "wrote" line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

double mkroot_now(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void mkroot_wrote(const char *path, size_t n, const char *what, double t0)
{
        if (log_get_level() < LOG_WARN)
                return;
        bool to_stdout = !strcmp(path, "-");
        struct stat st;
        char size[32] = "";
        if ((to_stdout ? fstat(STDOUT_FILENO, &st) : stat(path, &st)) == 0 && S_ISREG(st.st_mode))
                mkroot_human_size((int64_t)st.st_size, size);
        fprintf(stderr, "mkroot: wrote %s: %zu %s%s%s%s, %.1f s\n", to_stdout ? "stdout" : path, n,
                what, n == 1 ? "" : "s", *size ? ", " : "", size, mkroot_now() - t0);
}
