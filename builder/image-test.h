/* image.c's test hook (not a public header): tests/unit/image changes a
 * streamed host file while it is read, at a point of its own choosing,
 * with no sleeps. */
#pragma once

#include <stddef.h>

/* When set, called before each read of a streamed host file's data with
 * the host path, the bytes read so far and the size its header has. */
extern void (*image_test_read_hook)(const char *host, size_t done, size_t len);
