/* libFuzzer harness for extract/, the one extractor: any input, unpacked
 * into a fresh directory with the options its first byte picks (whiteout
 * mode, device policy, owners, a merged-/usr rewrite), must succeed or
 * fail with a one-line message, and never create anything outside that
 * directory (an escape aborts). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[] = "/tmp/fuzz_unpack.XXXXXX";
static int basefd = -1;

static size_t count_entries(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fdopendir(fd);
        size_t n = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        if (d)
                closedir(d);
        return n;
}

static void remove_base(void)
{
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, base, &e);
}

static int merged_usr(void *ud, const char *name, char **ret)
{
        if (!strcmp(name, "bin"))
                return 1;
        if (!strncmp(name, "bin/", 4))
                *ret = xasprintf("usr/%s", name);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (basefd < 0) {
                if (!mkdtemp(base))
                        abort();
                basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                atexit(remove_base);
                log_set_level(LOG_QUIET);
        }
        if (size < 1)
                return 0;
        uint8_t sel = data[0];
        data++;
        size--;
        /* base/ holds only "root" while an input is unpacked into it: any
         * other name appearing there is an escape. */
        if (mkdirat(basefd, "root", 0755) < 0)
                abort();
        int rootfd = openat(basefd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int in = memfd_create("fuzz", MFD_CLOEXEC);
        if (rootfd < 0 || in < 0 || write(in, data, size) != (ssize_t)size)
                abort();
        lseek(in, 0, SEEK_SET);
        xt_opts o = {
                .label = "fuzz",
                .whiteouts = (xt_whiteouts)(sel % XT_WHITEOUTS_MAX),
                .devices = (sel >> 2) & 1 ? XT_DEVICES_CREATE : XT_DEVICES_SKIP,
                .owners = (sel >> 3) & 1 ? XT_OWNERS_TRY : XT_OWNERS_CALLER,
                .rewrite = (sel >> 4) & 1 ? merged_usr : NULL,
                .keep_dirs = (sel >> 5) & 1,
                .skip_existing = (sel >> 6) & 1,
                .require_entries = (sel >> 7) & 1,
        };
        err_t e = {0};
        char digest[DIGEST_HEX_LEN + 1];
        int r = xt_extract_fd(in, rootfd, &o, digest, NULL, &e);
        if (r < 0 && (e.msg[0] == '\0' || strchr(e.msg, '\n')))
                abort();
        if (count_entries(basefd) != 1)
                abort();
        close(in);
        close(rootfd);
        err_t e2 = {0};
        if (fs_rm_rf_at(basefd, "root", &e2) < 0)
                abort();
        return 0;
}
