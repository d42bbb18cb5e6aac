/* libFuzzer harness for pgz/'s member parser: any input read as a stream
 * of sized gzip members (with one thread or two, by the input's length)
 * must end in its uncompressed bytes or in a one-line message naming the
 * file; every byte of the input goes by the digest hook, in order. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pgz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
        const uint8_t *data;
        size_t size, at;
} seen;

static void raw(void *ud, const void *p, size_t len)
{
        seen *s = ud;
        if (s->at + len > s->size || memcmp(s->data + s->at, p, len) != 0)
                abort(); /* the digest would not be of the file */
        s->at += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz_pgz", MFD_CLOEXEC);
        if (fd < 0 || fd_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
                abort();
        size_t head = size < PGZ_HEADER_LEN ? size : PGZ_HEADER_LEN;
        if (lseek(fd, (off_t)head, SEEK_SET) != (off_t)head)
                abort();
        seen s = {data, size, 0};
        err_t e = {0};
        pgz_reader *r = NULL;
        if (pgz_reader_new(fd, data, head, 1 + (size & 1), raw, &s, "fuzz.gz", &r, &e) < 0)
                abort();
        ssize_t n;
        do {
                const void *p;
                n = pgz_read(r, &p, &e);
                if (n > (ssize_t)PGZ_MAX_ISIZE)
                        abort(); /* more than a member may hold */
                if (n > 0) {
                        volatile unsigned char first = *(const unsigned char *)p;
                        volatile unsigned char last = ((const unsigned char *)p)[n - 1];
                        (void)first;
                        (void)last;
                }
        } while (n > 0);
        if (n < 0 && (strncmp(e.msg, "fuzz.gz: ", 9) != 0 || strchr(e.msg, '\n')))
                abort();
        if (n == 0 && s.at != size)
                abort(); /* a clean end leaves nothing unread */
        pgz_reader_free(r);
        close(fd);
        return 0;
}
