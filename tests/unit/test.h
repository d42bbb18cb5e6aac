/* A tiny unit-test kit: CHECK records a failure and goes on; main returns
 * the number of failures (0 = pass). Each check prints on failure only. */
#pragma once

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

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

/* A test with no checks is a defect: fail it. */
#define TEST_END()                                                                                 \
        do {                                                                                       \
                if (test_checks == 0) {                                                            \
                        fprintf(stderr, "no checks ran\n");                                        \
                        return 1;                                                                  \
                }                                                                                  \
                fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);             \
                return test_failures ? 1 : 0;                                                      \
        } while (0)
