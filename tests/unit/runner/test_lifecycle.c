/* runner/monitor.c and names.c: the json-file log's time stamps (Go's
 * RFC3339Nano, as docker writes them: trailing zeros cut, no fraction at
 * all for a whole second) and container ids (64 hex digits, never the
 * same twice). */
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test.h"

static void stamp(time_t s, long ns, const char *want)
{
        struct timespec ts = {.tv_sec = s, .tv_nsec = ns};
        char buf[64];
        runner_log_time(&ts, buf, sizeof buf);
        CHECK_STR(buf, want);
}

int main(void)
{
        stamp(0, 0, "1970-01-01T00:00:00Z");
        stamp(1796224927, 774978904, "2026-12-02T15:22:07.774978904Z");
        stamp(1796224927, 500000000, "2026-12-02T15:22:07.5Z");
        stamp(1796224927, 120, "2026-12-02T15:22:07.00000012Z");
        stamp(1796224927, 1, "2026-12-02T15:22:07.000000001Z");

        char a[RUNNER_ID_LEN + 1], b[RUNNER_ID_LEN + 1];
        runner_new_id(a);
        runner_new_id(b);
        CHECK_INT(strlen(a), RUNNER_ID_LEN);
        CHECK_INT(strspn(a, "0123456789abcdef"), RUNNER_ID_LEN);
        CHECK(strcmp(a, b) != 0);
        TEST_END();
}
