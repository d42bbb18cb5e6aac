/* The read(2)/write(2) loops every module needs once: EINTR retried,
 * short transfers continued. And the sorted listing of a directory. */
#include <fcntl.h>
#include <string.h>

#include "common.h"

ssize_t fd_read(int fd, void *buf, size_t len)
{
        for (;;) {
                ssize_t n = read(fd, buf, len);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return -errno;
        }
}

ssize_t fd_read_full(int fd, void *buf, size_t len)
{
        size_t got = 0;
        while (got < len) {
                ssize_t n = fd_read(fd, (char *)buf + got, len - got);
                if (n < 0)
                        return n;
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_sb_ strbuf b = {0};
        char buf[1 << 16];
        for (;;) {
                ssize_t n = fd_read(fd, buf, sizeof buf);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                if (b.len + (size_t)n > max)
                        return -EFBIG;
                sb_appendn(&b, buf, (size_t)n);
        }
        if (ret_len)
                *ret_len = b.len;
        *ret = sb_steal(&b);
        return 0;
}

int fd_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_list_dir_at(int dirfd, const char *path, strv *ret)
{
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        _cleanup_strv_ strv names = {0};
        struct dirent *de;
        while ((errno = 0, de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_push(&names, de->d_name);
        if (errno)
                return -errno;
        if (names.n > 1)
                qsort(names.v, names.n, sizeof *names.v, cmp_name);
        *ret = names;
        names = (strv){0};
        return 0;
}
