/* Foreign architectures: the second stage runs the new tree's own
 * programs (sh, dpkg, maintainer scripts), which on another architecture
 * the kernel hands to a binfmt_misc handler, qemu-user-static's. A
 * handler serves when it is enabled, its magic and mask match an ELF
 * header of the architecture, and it has the F flag: the kernel opened
 * its interpreter when it was registered, so the host's emulator runs
 * inside the tree, which has none of its own. The emulated program's
 * system calls are the host's (qemu translates them), so the runner's
 * seccomp filter for the host's architecture applies as it is. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"
#define HEADER_LEN 64

typedef struct arch_elf {
        const char *deb;
        const char *name; /* what qemu and the kernel call it */
        uint8_t class;    /* ELFCLASS32 1, ELFCLASS64 2 */
        uint8_t data;     /* ELFDATA2LSB 1, ELFDATA2MSB 2 */
        uint16_t machine; /* e_machine */
} arch_elf;

static const arch_elf arches[] = {
        {"amd64", "x86_64", 2, 1, 62},
        {"arm64", "aarch64", 2, 1, 183},
        {"armhf", "arm", 1, 1, 40},
        {"armel", "arm", 1, 1, 40},
        {"i386", "i386", 1, 1, 3},
        {"ppc64el", "ppc64le", 2, 1, 21},
        {"s390x", "s390x", 2, 2, 22},
        {"riscv64", "riscv64", 2, 1, 243},
        {"mips64el", "mips64el", 2, 1, 8},
        {"mipsel", "mipsel", 1, 1, 8},
        {"loong64", "loongarch64", 2, 1, 258},
};

static const arch_elf *arch_find(const char *deb)
{
        for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
                if (!strcmp(arches[i].deb, deb))
                        return &arches[i];
        return NULL;
}

/* The first bytes of a position-independent executable of arch (ld.so
 * and Debian's programs are ET_DYN), zeros after e_version. */
static void elf_header(const arch_elf *a, uint8_t h[HEADER_LEN])
{
        static const uint8_t elfmag[4] = {0x7f, 'E', 'L', 'F'};
        static const uint16_t et_dyn = 3;
        memset(h, 0, HEADER_LEN);
        memcpy(h, elfmag, sizeof(elfmag));
        h[4] = a->class;
        h[5] = a->data;
        h[6] = 1; /* EV_CURRENT */
        bool be = a->data == 2;
        h[16] = be ? 0 : (uint8_t)et_dyn;
        h[17] = be ? (uint8_t)et_dyn : 0;
        h[18] = (uint8_t)(be ? a->machine >> 8 : a->machine & 0xff);
        h[19] = (uint8_t)(be ? a->machine & 0xff : a->machine >> 8);
        h[20] = be ? 0 : 1; /* e_version, 32 bits */
        h[23] = be ? 1 : 0;
}

/* "7f454c46..." -> bytes; the number of bytes, or -1. */
static int unhex(const char *s, uint8_t *out, size_t max)
{
        size_t n = 0;
        for (; s[0] && s[0] != '\n'; s += 2) {
                char pair[3] = {s[0], s[1], 0};
                char *end;
                if (!s[1] || n == max)
                        return -1;
                unsigned long v = strtoul(pair, &end, 16);
                if (*end)
                        return -1;
                out[n++] = (uint8_t)v;
        }
        return (int)n;
}

/* The value of the line "key value" (or "key: value") in text, or NULL;
 * points into text, up to the end of its line. */
static const char *entry_field(const char *text, const char *key)
{
        size_t k = strlen(key);
        for (const char *l = text; l && *l;) {
                if (!strncmp(l, key, k) && (l[k] == ' ' || l[k] == ':')) {
                        const char *v = l + k + (l[k] == ':');
                        while (*v == ' ')
                                v++;
                        return v;
                }
                l = strchr(l, '\n');
                if (l)
                        l++;
        }
        return NULL;
}

typedef enum handler_state {
        HANDLER_NONE,     /* no entry matches */
        HANDLER_DISABLED, /* one matches, switched off */
        HANDLER_NO_FIX,   /* enabled, but the interpreter is looked up at exec */
        HANDLER_OK,
        HANDLER_STATE_MAX
} handler_state;

/* What the entry text (a file of binfmt_misc) makes of header h. */
static handler_state entry_state(const char *text, const uint8_t h[HEADER_LEN])
{
        const char *magic_s = entry_field(text, "magic");
        const char *mask_s = entry_field(text, "mask");
        const char *off_s = entry_field(text, "offset");
        if (!magic_s) /* an extension (.jar) entry */
                return HANDLER_NONE;
        uint8_t magic[HEADER_LEN], mask[HEADER_LEN];
        int n = unhex(magic_s, magic, sizeof(magic));
        if (n <= 0)
                return HANDLER_NONE;
        if (!mask_s)
                memset(mask, 0xff, sizeof(mask));
        else if (unhex(mask_s, mask, sizeof(mask)) != n)
                return HANDLER_NONE;
        char *end;
        unsigned long off = off_s ? strtoul(off_s, &end, 10) : 0;
        if (off > HEADER_LEN || (size_t)n > HEADER_LEN - off)
                return HANDLER_NONE;
        for (int i = 0; i < n; i++)
                if ((h[off + (size_t)i] & mask[i]) != (magic[i] & mask[i]))
                        return HANDLER_NONE;
        if (strncmp(text, "enabled", 7) != 0)
                return HANDLER_DISABLED;
        const char *flags = entry_field(text, "flags");
        size_t fl = flags ? strcspn(flags, "\n") : 0;
        if (!flags || !memchr(flags, 'F', fl))
                return HANDLER_NO_FIX;
        return HANDLER_OK;
}

int apt_arch_check_runs(const char *arch, err_t *e)
{
        if (!strcmp(arch, host_deb_arch()))
                return 0;
        /* amd64 runs i386 programs itself (a kernel without IA32
         * emulation fails the second stage with its own error). */
        if (!strcmp(arch, "i386") && !strcmp(host_deb_arch(), "amd64"))
                return 0;
        const arch_elf *a = arch_find(arch);
        if (!a)
                return err_set(e, -ENOEXEC,
                               "%s programs cannot be run on this %s host (no known emulator)",
                               arch, host_deb_arch());
        /* For tests only: a directory laid out as binfmt_misc is. */
        const char *dir = getenv("MKROOT_TEST_BINFMT_DIR");
        if (!dir || !*dir)
                dir = BINFMT_DIR;
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || faccessat(dfd, "status", F_OK, 0) < 0)
                return err_set(e, -ENOEXEC,
                               "no binfmt handler for %s programs: install qemu-user-static "
                               "(binfmt_misc is not mounted on %s: binfmt-support's "
                               "update-binfmts --enable mounts it and registers the handlers)",
                               a->name, dir);
        uint8_t h[HEADER_LEN];
        elf_header(a, h);
        _cleanup_strv_ strv names = {0};
        fs_list_dir_at(dfd, ".", &names);
        handler_state best = HANDLER_NONE;
        _cleanup_free_ char *best_name = NULL;
        for (size_t i = 0; i < names.n && best != HANDLER_OK; i++) {
                if (!strcmp(names.v[i], "status") || !strcmp(names.v[i], "register"))
                        continue;
                _cleanup_free_ char *text = NULL;
                size_t len;
                if (fs_read_file_at(dfd, names.v[i], 1 << 16, &text, &len, NULL) < 0)
                        continue;
                handler_state s = entry_state(text, h);
                if (s > best) {
                        best = s;
                        free(best_name);
                        best_name = xstrdup(names.v[i]);
                }
        }
        _cleanup_free_ char *status = NULL;
        size_t slen;
        bool all_off = fs_read_file_at(dfd, "status", 64, &status, &slen, NULL) == 0 &&
                       !strncmp(status, "disabled", 8);
        if (best == HANDLER_OK && !all_off)
                return 0;
        if (best == HANDLER_OK)
                return err_set(e, -ENOEXEC,
                               "binfmt_misc is disabled (%s/status), so %s programs do not run: "
                               "update-binfmts --enable",
                               dir, a->name);
        if (best == HANDLER_NO_FIX)
                return err_set(e, -ENOEXEC,
                               "the binfmt handler for %s programs (%s/%s) has no F flag, so its "
                               "interpreter would be looked for inside the new tree: install "
                               "qemu-user-static, whose handlers have it",
                               a->name, dir, best_name);
        if (best == HANDLER_DISABLED)
                return err_set(e, -ENOEXEC,
                               "the binfmt handler for %s programs (%s/%s) is disabled: "
                               "update-binfmts --enable %s",
                               a->name, dir, best_name, best_name);
        return err_set(e, -ENOEXEC, "no binfmt handler for %s programs: install qemu-user-static",
                       a->name);
}
