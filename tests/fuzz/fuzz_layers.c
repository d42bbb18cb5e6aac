/* libFuzzer harness for the readers of untrusted layer input: the
 * manifest reader, the OCI/docker-save archive reader (oci/: tar index and
 * JSON) directly and through mkroot's lay_src_open, and the layer applier
 * (whiteouts, symlinks planted by the archive). The first byte picks the
 * target; the rest is the input. The applier works in a fresh directory
 * inside a parent that must hold nothing else after. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/layers.h"
#include "ociarchive.h"

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
        unsigned mode = data[0] % 4;
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
        if (mode == 3) {
                /* The reader itself: what it returns is in bounds, every
                 * layer copies out or fails with one line. */
                oci_archive *a = NULL;
                int r = oci_archive_open(fd, "fuzz.tar", &oci_sha256_common, &a, &e);
                if (r < 0)
                        check_err(&e);
                else if (r == 0) {
                        const oci_image *im = oci_archive_image(a);
                        if (im->n_layers > OCI_MAX_LAYERS || (im->n_layers && !im->layers))
                                abort();
                        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                        for (size_t i = 0; i < im->n_layers; i++) {
                                const oci_layer *l = &im->layers[i];
                                if (l->offset < 0 || l->size < 0 ||
                                    l->offset + l->size > (int64_t)len ||
                                    strlen(l->digest) != DIGEST_HEX_LEN || !l->member ||
                                    !l->created_by)
                                        abort();
                                err_t e2 = {0};
                                if (oci_archive_copy_layer(a, i, null, &e2) < 0)
                                        check_err(&e2);
                        }
                        close(null);
                        oci_archive_free(a);
                }
        } else if (mode == 1) {
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
