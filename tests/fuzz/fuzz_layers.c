/* libFuzzer harness for builder/layers' readers of untrusted input: the
 * manifest reader, the OCI/docker-save archive reader (JSON inside a tar)
 * and the layer applier (whiteouts, symlinks planted by the archive). The
 * first byte picks the target; the rest is the input. The applier works in
 * a fresh directory inside a parent that must hold nothing else after. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/layers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const err_t *e)
{
        if (e->msg[0] == '\0' || strchr(e->msg, '\n'))
                abort();
}

static char *as_file(const uint8_t *data, size_t len, int *ret_fd)
{
        int fd = memfd_create("fuzz", MFD_CLOEXEC);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len)
                abort();
        *ret_fd = fd;
        return xasprintf("/proc/self/fd/%d", fd);
}

static size_t entries(const char *dir)
{
        DIR *d = opendir(dir);
        size_t n = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        if (d)
                closedir(d);
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        unsigned mode = data[0] % 3;
        const uint8_t *in = data + 1;
        size_t len = size - 1;
        err_t e = {0};
        if (mode == 0) {
                lay_manifest m = {0};
                if (lay_manifest_parse((const char *)in, len, "fuzz", "/", &m, &e) < 0)
                        check_err(&e);
                else
                        lay_manifest_free(&m);
                return 0;
        }
        int fd;
        char *path = as_file(in, len, &fd);
        if (mode == 1) {
                lay_src src = {0};
                if (lay_src_open(NULL, path, false, &src, &e) < 0)
                        check_err(&e);
                else {
                        if (!src.kind || (src.im.n_layers && !src.im.layers))
                                abort();
                        lay_src_close(NULL, &src);
                }
        } else {
                char tmpl[] = "/tmp/fuzz_layers.XXXXXX";
                char *top = mkdtemp(tmpl);
                if (!top)
                        abort();
                char *root = path_join(top, "root");
                if (mkdir(root, 0755) < 0)
                        abort();
                int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                strmap *fx = strmap_new();
                lay_apply_opts ao = {.whiteouts = true};
                if (lay_apply(rfd, path, &ao, fx, &e) < 0)
                        check_err(&e);
                lay_fixups_apply(rfd, fx);
                strmap_free(fx);
                close(rfd);
                /* Nothing may land beside the root. */
                if (entries(top) != 1)
                        abort();
                err_t e2 = {0};
                fs_rm_rf_at(AT_FDCWD, top, &e2);
                free(root);
        }
        close(fd);
        free(path);
        return 0;
}
