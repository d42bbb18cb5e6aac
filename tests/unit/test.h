/* A tiny unit-test kit: CHECK records a failure and goes on; each check
 * prints on failure only. A test has three outcomes, as meson counts them
 * (exit 0 pass, 77 skip, else fail): TEST_SKIP says why something could
 * not be checked here, and a test that skipped anything is counted as a
 * skip, never as a pass. A program whose parts may skip on their own
 * holds them as cases, each registered as a test of its own (TEST_CASES). */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;
static int test_skips;

/* Something this test should check cannot be checked here: say why. */
#define TEST_SKIP(...)                                                                             \
        do {                                                                                       \
                test_skips++;                                                                      \
                printf("SKIP: ");                                                                  \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
                fflush(stdout);                                                                    \
        } while (0)

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                test_checks++;                                                                     \
                if (!(cond)) {                                                                     \
                        test_failures++;                                                           \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                test_checks++;                                                                     \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
                        test_failures++;                                                           \
                        fprintf(stderr, "%s:%d: CHECK_STR failed: %s = \"%s\", expected \"%s\"\n", \
                                __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");   \
                }                                                                                  \
        } while (0)

#define CHECK_INT(a, b)                                                                            \
        do {                                                                                       \
                long long _a = (long long)(a), _b = (long long)(b);                                \
                test_checks++;                                                                     \
                if (_a != _b) {                                                                    \
                        test_failures++;                                                           \
                        fprintf(stderr, "%s:%d: CHECK_INT failed: %s = %lld, expected %lld\n",     \
                                __FILE__, __LINE__, #a, _a, _b);                                   \
                }                                                                                  \
        } while (0)

/* A failure fails the test; else a skip makes it a skip (77); a test with
 * no checks and no skip is a defect: fail it. */
#define TEST_END()                                                                                 \
        do {                                                                                       \
                fprintf(stderr, "%d checks, %d failed, %d skipped\n", test_checks, test_failures,  \
                        test_skips);                                                               \
                if (test_failures)                                                                 \
                        return 1;                                                                  \
                if (test_skips)                                                                    \
                        return 77;                                                                 \
                if (test_checks == 0) {                                                            \
                        fprintf(stderr, "no checks ran\n");                                        \
                        return 1;                                                                  \
                }                                                                                  \
                return 0;                                                                          \
        } while (0)

/* The size of a buffer test_tmpl fills. */
#define TEST_TMPL_MAX 256

/* buf (TEST_TMPL_MAX bytes) gets "$TMPDIR/NAME.XXXXXX", with /tmp for an
 * unset or empty TMPDIR: a template for mkdtemp or mkstemp. Returns buf
 * (empty when the name does not fit: mkdtemp then fails with EINVAL). */
static inline char *test_tmpl(char *buf, const char *name)
{
        const char *dir = getenv("TMPDIR");
        int n = snprintf(buf, TEST_TMPL_MAX, "%s/%s.XXXXXX", dir && *dir ? dir : "/tmp", name);
        if (n < 0 || n >= TEST_TMPL_MAX)
                buf[0] = '\0';
        return buf;
}

typedef struct test_case {
        const char *name;
        void (*fn)(int argc, char **argv);
} test_case;

/* Run the case named by argv[1] (the others with no argument, for a run
 * by hand), then TEST_END. argv[2...] go to the case. */
#define TEST_CASES(argc, argv, ...)                                                                \
        do {                                                                                       \
                static const test_case _cases[] = {__VA_ARGS__};                                   \
                size_t _n = sizeof _cases / sizeof _cases[0];                                      \
                bool _found = false;                                                               \
                for (size_t _i = 0; _i < _n; _i++) {                                               \
                        if ((argc) > 1 && strcmp((argv)[1], _cases[_i].name) != 0)                 \
                                continue;                                                          \
                        _found = true;                                                             \
                        _cases[_i].fn((argc) > 1 ? (argc)-1 : 0, (argv) + 1);                      \
                }                                                                                  \
                if (!_found) {                                                                     \
                        fprintf(stderr, "no test case \"%s\"\n", (argv)[1]);                       \
                        return 1;                                                                  \
                }                                                                                  \
                TEST_END();                                                                        \
        } while (0)
