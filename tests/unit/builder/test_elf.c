/* Unit tests for builder/elf.c: fixtures built by meson (argv), ELF images
 * synthesised here (both classes, both byte orders, hostile variants),
 * every prefix of real files, and the host's own binaries.
 * Cases (each its own test in meson.build): main fx_exe libfxa.so libfxb.so;
 * elf32 fx_exe32|"" fx_exe and static fx_static|"", which are skips when
 * the toolchain could not build their fixture. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "elfinfo.h"
#include "test.h"

#include "elf-writer.h"

static int parse_img(const image *im, elf_info **ret, err_t *e)
{
        return elf_parse(im->buf, im->len, "img", ret, e);
}

static void test_synthetic(bool is64, bool be, uint16_t machine)
{
        spec s = base_spec;
        s.is64 = is64;
        s.be = be;
        s.machine = machine;
        image im = make_elf(&s);
        elf_info *info = NULL;
        err_t e = {0};
        int k = parse_img(&im, &info, &e);
        CHECK_INT(k, 0);
        if (k < 0) {
                fprintf(stderr, "%s\n", e.msg);
                free(im.buf);
                return;
        }
        CHECK_INT(info->elf_class, is64 ? 2 : 1);
        CHECK_INT(info->data, be ? 2 : 1);
        CHECK_INT(info->machine, machine);
        CHECK_INT(info->type, 3);
        CHECK(info->dynamic);
        CHECK_STR(info->interp, "/lib64/ld-linux-x86-64.so.2");
        CHECK_INT(info->n_needed, 2);
        CHECK_STR(info->needed[0], "libfoo.so.1");
        CHECK_STR(info->needed[1], "libc.so.6");
        CHECK(info->needed[2] == NULL);
        CHECK_STR(info->rpath, "/opt/r");
        CHECK_STR(info->runpath, "$ORIGIN/../lib");
        CHECK_STR(info->soname, "libme.so.3");
        CHECK_INT(info->flags_1, DF_1_NODEFLIB);
        elf_info_free(info);

        /* Every strict prefix is cut short somewhere the loader looks. */
        for (size_t n = 0; n < im.len; n++) {
                info = NULL;
                k = elf_parse(im.buf, n, "img", &info, &e);
                CHECK(k < 0);
                CHECK(info == NULL);
                elf_info_free(info);
        }
        free(im.buf);
}

/* Parse an odd copy the kernel and ld.so still load: it must be accepted. */
static void expect_ok(image *im, const char *what)
{
        elf_info *info = NULL;
        err_t e = {0};
        int k = parse_img(im, &info, &e);
        if (k < 0)
                fprintf(stderr, "case \"%s\" was refused: %s\n", what, e.msg);
        CHECK(k >= 0);
        CHECK(info != NULL);
        elf_info_free(info);
}

/* Parse a corrupted copy; it must fail with a one-line message that
 * names the file and the problem (want). */
static void expect_fail(image *im, const char *what, int code, const char *want)
{
        elf_info *info = NULL;
        err_t e = {0};
        int k = parse_img(im, &info, &e);
        if (k >= 0)
                fprintf(stderr, "hostile case \"%s\" was accepted\n", what);
        CHECK(k < 0);
        if (code)
                CHECK_INT(k, code);
        CHECK(info == NULL);
        CHECK(strchr(e.msg, '\n') == NULL);
        CHECK(strncmp(e.msg, "img: ", 5) == 0);
        /* An invalid file says so; ENOEXEC is "not ELF" or "not a program". */
        if (k == -EINVAL)
                CHECK(strncmp(e.msg, "img: not a valid ELF file: ", 27) == 0);
        if (!strstr(e.msg, want))
                fprintf(stderr, "hostile case \"%s\": message \"%s\" lacks \"%s\"\n", what, e.msg,
                        want);
        CHECK(strstr(e.msg, want) != NULL);
        elf_info_free(info);
}

static void test_hostile(void)
{
        image im;
        size_t dyn_entry = 16;

#define FRESH() (free(im.buf), im = make_elf(&base_spec))
        im = make_elf(&base_spec);

        im.buf[0] = 0x7e;
        expect_fail(&im, "bad magic", -ENOEXEC, "not an ELF file");
        FRESH();
        im.buf[4] = 3;
        expect_fail(&im, "bad class", -EINVAL, "unknown ELF class 3");
        FRESH();
        im.buf[5] = 0;
        expect_fail(&im, "bad data", -EINVAL, "unknown ELF data encoding 0");
        FRESH();
        im.buf[6] = 2;
        expect_fail(&im, "bad version", -EINVAL, "unknown ELF version 2");
        FRESH();
        put(&im, 54, 8, 2);
        expect_fail(&im, "phentsize too small", -EINVAL, "e_phentsize 8,");
        FRESH();
        put(&im, 32, UINT64_MAX - 16, 8);
        expect_fail(&im, "phoff wraps", -EINVAL, "program headers (e_phoff 0xffffffffffffffef");
        FRESH();
        put(&im, 56, 0xfffe, 2);
        expect_fail(&im, "phnum past end", -EINVAL, "65534 program headers, more than");
        FRESH();
        put(&im, 56, 0xffff, 2); /* PN_XNUM: core dumps only */
        expect_fail(&im, "PN_XNUM", -EINVAL, "65535 program headers");
        FRESH();
        put(&im, 40, im.len - 8, 8); /* PN_XNUM with a cut-off section header */
        put(&im, 56, 0xffff, 2);
        expect_fail(&im, "PN_XNUM cut", -EINVAL, "65535 program headers");
        FRESH();
        /* PT_LOAD offset near the top of the address space */
        put(&im, im.phoff + 8, UINT64_MAX - 4, 8);
        expect_fail(&im, "PT_LOAD wraps", -EINVAL, "PT_LOAD segment 0 (offset 0xfffffffffffffffb");
        FRESH();
        put(&im, im.phoff + 56 + 32, strlen(base_spec.interp), 8); /* no NUL in PT_INTERP */
        expect_fail(&im, "interp unterminated", -EINVAL, "PT_INTERP not NUL-terminated");
        FRESH();
        put(&im, im.phoff + 56 + 8, UINT64_MAX, 8);
        expect_fail(&im, "interp offset", -EINVAL, "PT_INTERP (offset 0xffffffffffffffff");
        FRESH();
        put(&im, im.phoff + 2 * 56 + 32, UINT64_MAX - 2, 8);
        expect_fail(&im, "dynamic size", -EINVAL, "PT_DYNAMIC (offset");
        FRESH();
        put(&im, im.dyn_off + 8, 100000, 8); /* DT_NEEDED past the table */
        expect_fail(&im, "needed offset", -EINVAL, "DT_NEEDED string offset 100000");
        FRESH();
        put(&im, im.dyn_off + 2 * dyn_entry + 8, 0x1000, 8); /* DT_STRTAB unmapped */
        expect_fail(&im, "strtab vaddr", -EINVAL, "DT_STRTAB address 0x1000");
        FRESH();
        put(&im, im.dyn_off + 2 * dyn_entry, 7, 8); /* no DT_STRTAB at all */
        expect_fail(&im, "no strtab", -EINVAL, "no DT_STRTAB");
        FRESH();
        /* DT_STRSZ one short: the soname (last string) loses its NUL. */
        put(&im, im.dyn_off + 3 * dyn_entry + 8, get(&im, im.dyn_off + 3 * dyn_entry + 8, 8) - 1,
            8);
        expect_fail(&im, "string unterminated", -EINVAL, "DT_SONAME string not terminated");
        free(im.buf);

        /* Too many dynamic entries: a buffer big enough to hold them. */
        im = make_elf(&base_spec);
        size_t big = im.dyn_off + 65537 * dyn_entry;
        im.buf = xrealloc(im.buf, big);
        memset(im.buf + im.len, 0, big - im.len);
        im.len = big;
        put(&im, im.phoff + 32, big, 8);
        put(&im, im.phoff + 40, big, 8);
        put(&im, im.phoff + 2 * 56 + 32, 65537 * dyn_entry, 8);
        expect_fail(&im, "too many dynamic entries", -EINVAL, "too many dynamic entries (65537)");
        free(im.buf);

        /* No DT_NULL terminator: the count bounds the walk. */
        im = make_elf(&base_spec);
        put(&im, im.dyn_off + (im.n_dyn - 1) * dyn_entry, 0x6ffffef5, 8);
        elf_info *info = NULL;
        err_t e = {0};
        CHECK_INT(parse_img(&im, &info, &e), 0);
        elf_info_free(info);
        free(im.buf);

        /* Not ELF at all, and NULL. */
        CHECK_INT(elf_parse("#!/bin/sh\n", 10, "img", &info, &e), -ENOEXEC);
        CHECK_INT(elf_parse(NULL, 0, "img", &info, &e), -ENOEXEC);
        CHECK(!elf_has_magic("\177EL", 3));
        CHECK(elf_has_magic("\177ELF", 4));
}

/* What the kernel checks before it execs a file (fs/binfmt_elf.c) and
 * ld.so before it maps a library: each one broken alone makes the file
 * invalid, never a "static" program. The ELF header first. */
static void test_kernel_header_checks(void)
{
        image im;
        im = make_elf(&base_spec);
        /* The hostile file of the report: e_phoff past the end, with and
         * without program headers counted. */
        put(&im, 32, im.len + 4096, 8);
        expect_fail(&im, "phoff past end", -EINVAL, "program headers (e_phoff 0x");
        put(&im, 56, 0, 2);
        expect_fail(&im, "phoff past end, phnum 0", -EINVAL, "no program headers (e_phnum 0)");
        FRESH();
        put(&im, 32, im.len - 8, 8);
        expect_fail(&im, "phdrs straddle the end", -EINVAL, "past the end of the file");
        FRESH();
        put(&im, 56, 0, 2);
        expect_fail(&im, "phnum 0", -EINVAL, "no program headers (e_phnum 0)");
        FRESH();
        put(&im, 54, 64, 2); /* larger than Elf64_Phdr: the kernel wants it exact */
        expect_fail(&im, "phentsize too large", -EINVAL, "e_phentsize 64, an ELF64 program header");
        FRESH();
        put(&im, 54, 0, 2);
        expect_fail(&im, "phentsize 0", -EINVAL, "e_phentsize 0,");
        FRESH();
        put(&im, 52, 52, 2); /* a 32-bit header size in a 64-bit file: nothing reads it */
        expect_ok(&im, "ehsize 52");
        FRESH();
        put(&im, 52, 0, 2);
        expect_ok(&im, "ehsize 0");
        FRESH();
        put(&im, 20, 0, 4);
        expect_fail(&im, "e_version 0", -EINVAL, "e_version 0, not EV_CURRENT");
        FRESH();
        put(&im, 20, 2, 4);
        expect_fail(&im, "e_version 2", -EINVAL, "e_version 2");
        FRESH();
        /* e_type: only executables and shared objects are loaded; objects
         * and core dumps are ELF but no program (ENOEXEC, as for data). */
        put(&im, 16, 0, 2);
        expect_fail(&im, "ET_NONE", -EINVAL, "e_type 0 is neither an executable nor");
        FRESH();
        put(&im, 16, 0xfe00, 2);
        expect_fail(&im, "ET_LOOS", -EINVAL, "e_type 65024");
        FRESH();
        put(&im, 16, 1, 2);
        expect_fail(&im, "ET_REL", -ENOEXEC, "img: an ELF relocatable object, not an executable");
        FRESH();
        put(&im, 16, 4, 2);
        expect_fail(&im, "ET_CORE", -ENOEXEC, "img: an ELF core dump, not an executable");
        free(im.buf);
}

static void test_kernel_interp_checks(void)
{
        size_t interp_len = strlen(base_spec.interp) + 1;
        size_t ph_interp = 56;
        image im = make_elf(&base_spec);

        /* PT_INTERP: 2..PATH_MAX bytes inside the file, the last one NUL
         * (a NUL earlier does not do). */
        im.buf[im.interp_off + 5] = '\0';
        im.buf[im.interp_off + interp_len - 1] = 'x';
        expect_fail(&im, "interp NUL inside, not last", -EINVAL, "PT_INTERP not NUL-terminated");
        FRESH();
        put(&im, im.phoff + ph_interp + 32, 1, 8);
        expect_fail(&im, "interp 1 byte", -EINVAL, "PT_INTERP of 1 bytes");
        FRESH();
        put(&im, im.phoff + ph_interp + 32, 0, 8);
        expect_fail(&im, "interp 0 bytes", -EINVAL, "PT_INTERP of 0 bytes");
        FRESH();
        put(&im, im.phoff + ph_interp + 32, 4097, 8);
        expect_fail(&im, "interp too long", -EINVAL, "PT_INTERP of 4097 bytes");
        FRESH();
        put(&im, im.phoff + ph_interp + 8, im.len - 4, 8);
        expect_fail(&im, "interp past end", -EINVAL, "past the end of the file");
        FRESH();
        im.buf[im.interp_off] = '\0';
        expect_fail(&im, "interp empty", -EINVAL, "PT_INTERP is empty");
        free(im.buf);
}

static void test_kernel_load_checks(void)
{
        size_t ph_load = 0;
        image im = make_elf(&base_spec);

        /* PT_LOAD: p_filesz <= p_memsz, inside the file, offset and address
         * congruent modulo the page size; at least one. */
        put(&im, im.phoff + ph_load + 40, im.len - 1, 8);
        expect_fail(&im, "filesz > memsz", -EINVAL, "PT_LOAD segment 0: p_filesz 0x");
        FRESH();
        put(&im, im.phoff + ph_load + 32, im.len + 1, 8);
        put(&im, im.phoff + ph_load + 40, im.len + 1, 8);
        expect_fail(&im, "load past end", -EINVAL, "PT_LOAD segment 0 (offset 0x0,");
        FRESH();
        put(&im, im.phoff + ph_load + 16, VBASE + 0x10, 8);
        expect_fail(&im, "load misaligned", -EINVAL, "differ within a page");
        FRESH();
        put(&im, im.phoff + ph_load, 4, 4); /* PT_NOTE */
        expect_fail(&im, "no PT_LOAD", -EINVAL, "no PT_LOAD segment");
        free(im.buf);
}

static void test_kernel_checks_32(void)
{
        image im;

        /* The same header checks in the 32-bit layout. */
        spec s32 = base_spec;
        s32.is64 = false;
        s32.machine = EM_386;
        im = make_elf(&s32);
        put(&im, 42, 56, 2);
        expect_fail(&im, "32-bit phentsize", -EINVAL, "e_phentsize 56, an ELF32 program header");
        free(im.buf);
        im = make_elf(&s32);
        put(&im, 40, 64, 2);
        expect_ok(&im, "32-bit ehsize 64");
        free(im.buf);
        im = make_elf(&s32);
        put(&im, 28, im.len, 4);
        expect_fail(&im, "32-bit phoff past end", -EINVAL, "program headers (e_phoff 0x");
        free(im.buf);
        im = make_elf(&s32);
        put(&im, 52 + 20, 1, 4); /* p_memsz of the PT_LOAD */
        expect_fail(&im, "32-bit filesz > memsz", -EINVAL, "p_filesz");
        free(im.buf);
}

static void test_kernel_phdr_limit(void)
{
        image im;

        /* The kernel's limit on the table, 64 KiB: 1170 entries of 56
         * bytes pass, 1171 do not (a buffer big enough for both). */
        im = make_elf(&base_spec);
        size_t big = 64 + 1171 * 56;
        size_t old_len = im.len;
        im.buf = xrealloc(im.buf, big + old_len);
        memset(im.buf + old_len, 0, big);
        memcpy(im.buf + old_len, im.buf + im.phoff, 3 * 56); /* the 3 real ones, moved */
        im.len = old_len + big;
        put(&im, 32, old_len, 8);
        put(&im, 56, 1170, 2);
        elf_info *info = NULL;
        err_t e = {0};
        CHECK_INT(parse_img(&im, &info, &e), 0);
        if (!info)
                fprintf(stderr, "1170 program headers: %s\n", e.msg);
        elf_info_free(info);
        put(&im, 56, 1171, 2);
        expect_fail(&im, "1171 phdrs", -EINVAL, "1171 program headers, more than the kernel");
        free(im.buf);
#undef FRESH
}

static void test_kernel_checks(void)
{
        test_kernel_header_checks();
        test_kernel_interp_checks();
        test_kernel_load_checks();
        test_kernel_checks_32();
        test_kernel_phdr_limit();
}

/* A static program: one PT_LOAD, no PT_DYNAMIC, no interp. */
static void test_no_dynamic(void)
{
        uint8_t buf[64 + 56] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        image im = {.buf = buf, .len = sizeof buf, .is64 = true};
        put(&im, 16, 2, 2); /* ET_EXEC */
        put(&im, 18, EM_X86_64, 2);
        put(&im, 20, 1, 4);
        put(&im, 32, 64, 8);
        put(&im, 52, 64, 2);
        put(&im, 54, 56, 2);
        put(&im, 56, 1, 2);
        put(&im, 64, 1, 4);               /* PT_LOAD */
        put(&im, 64 + 16, VBASE, 8);      /* p_vaddr */
        put(&im, 64 + 32, sizeof buf, 8); /* p_filesz */
        put(&im, 64 + 40, 0x10000, 8);    /* p_memsz: bss */
        elf_info *info = NULL;
        err_t e = {0};
        CHECK_INT(elf_parse(buf, sizeof buf, "img", &info, &e), 0);
        if (info) {
                CHECK(!info->dynamic);
                CHECK(info->interp == NULL);
                CHECK_INT(info->n_needed, 0);
                CHECK(info->needed && info->needed[0] == NULL);
                CHECK_INT(info->type, 2);
        } else {
                fprintf(stderr, "static image: %s\n", e.msg);
        }
        elf_info_free(info);
}

/* ---- real files -------------------------------------------------------- */

static elf_info *read_file(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        if (fd < 0)
                return NULL;
        elf_info *info = NULL;
        err_t e = {0};
        int k = elf_read_fd(fd, path, &info, &e);
        CHECK_INT(k, 0);
        if (k < 0)
                fprintf(stderr, "%s\n", e.msg);
        return info;
}

static bool maps_mention(const char *path)
{
        char *data = NULL;
        size_t len = 0;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, "/proc/self/maps", 1 << 24, &data, &len, &e) < 0)
                return false;
        bool found = strstr(data, path) != NULL;
        free(data);
        return found;
}

/* End of the last PT_LOAD of a little-endian ELF64 file (read here by
 * hand, independently of the code under test). */
static size_t load_end64(const uint8_t *b, size_t len)
{
        image im = {.buf = (uint8_t *)b, .len = len, .is64 = true};
        size_t phoff = get(&im, 32, 8), phent = get(&im, 54, 2), phnum = get(&im, 56, 2);
        size_t end = phoff + phent * phnum;
        for (size_t i = 0; i < phnum; i++) {
                size_t p = phoff + i * phent;
                if (get(&im, p, 4) == 1 && get(&im, p + 8, 8) + get(&im, p + 32, 8) > end)
                        end = get(&im, p + 8, 8) + get(&im, p + 32, 8);
        }
        return end;
}

/* Every prefix: an error, or (once everything the loader maps is there)
 * the same answer as the whole file. */
static void test_prefixes(const char *path, const elf_info *full)
{
        char *data = NULL;
        size_t len = 0;
        err_t e = {0};
        CHECK_INT(fs_read_file_at(AT_FDCWD, path, 1 << 26, &data, &len, &e), 0);
        if (!data)
                return;
        size_t end = full->elf_class == 2 && full->data == 1 ? load_end64((uint8_t *)data, len) : 0;
        int bad = 0;
        for (size_t n = 0; n < len; n++) {
                elf_info *info = NULL;
                int k = elf_parse(data, n, path, &info, &e);
                if (n < end && k >= 0)
                        bad++;
                if (k >= 0 &&
                    (info->n_needed != full->n_needed ||
                     (full->interp && (!info->interp || strcmp(info->interp, full->interp) != 0))))
                        bad++;
                if (k < 0 && (e.msg[0] == '\0' || strchr(e.msg, '\n')))
                        bad++;
                elf_info_free(info);
        }
        CHECK_INT(bad, 0);
        free(data);
}

static int compare_readelf(const char *path, const elf_info *info);

static void test_fixtures(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: test_elf main fx_exe libfxa.so libfxb.so\n");
                CHECK(false);
                return;
        }
        elf_info *exe = read_file(argv[1]);
        elf_info *liba = read_file(argv[2]);
        elf_info *libb = read_file(argv[3]);
        CHECK(!maps_mention(argv[1]));
        /* readelf (binutils) comes with the compiler: -1 is a failure too */
        if (exe)
                CHECK_INT(compare_readelf(argv[1], exe), 0);
        if (liba)
                CHECK_INT(compare_readelf(argv[2], liba), 0);
        if (libb)
                CHECK_INT(compare_readelf(argv[3], libb), 0);
        if (exe) {
                CHECK(exe->dynamic);
                CHECK(exe->interp != NULL);
#if defined(__x86_64__) && !defined(__ILP32__)
                CHECK_STR(exe->interp, "/lib64/ld-linux-x86-64.so.2");
                CHECK_INT(exe->machine, EM_X86_64);
                CHECK_INT(exe->elf_class, 2);
#endif
                CHECK_INT(exe->n_needed, 4);
                CHECK_STR(exe->needed[0], "libfxa.so.1");
                CHECK_STR(exe->needed[1], "libfxb.so.2");
                CHECK_STR(exe->needed[2], "libm.so.6");
                CHECK_STR(exe->needed[3], "libc.so.6");
                CHECK_STR(exe->runpath, "$ORIGIN/../lib");
                CHECK(exe->rpath == NULL);
                CHECK(exe->soname == NULL);
                test_prefixes(argv[1], exe);
        }
        if (liba) {
                CHECK_STR(liba->soname, "libfxa.so.1");
                CHECK_STR(liba->rpath, "/opt/fx/lib:$ORIGIN/../lib");
                CHECK(liba->runpath == NULL);
                CHECK(liba->interp == NULL);
                CHECK_INT(liba->type, 3);
                CHECK(!(liba->flags_1 & DF_1_NODEFLIB));
                test_prefixes(argv[2], liba);
        }
        if (libb) {
                CHECK_STR(libb->soname, "libfxb.so.2");
                CHECK_STR(libb->runpath, "$ORIGIN/../lib");
                CHECK(libb->rpath == NULL);
                CHECK(libb->flags_1 & DF_1_NODEFLIB);
                CHECK_INT(libb->n_needed, 1);
                CHECK_STR(libb->needed[0], "libc.so.6");
        }
        if (exe && liba)
                CHECK(elf_compatible(exe, liba));
        elf_info_free(exe);
        elf_info_free(liba);
        elf_info_free(libb);
}

/* argv: fx_exe32 (or "" when -m32 does not link here) fx_exe */
static void test_fixture32(int argc, char **argv)
{
        if (argc < 3 || !argv[1][0]) {
                TEST_SKIP("no 32-bit fixture: -m32 does not link here (gcc-multilib)");
                return;
        }
        elf_info *e32 = read_file(argv[1]);
        elf_info *exe = read_file(argv[2]);
        if (e32) {
                CHECK_INT(e32->elf_class, 1);
                CHECK_INT(e32->machine, EM_386);
                CHECK_STR(e32->interp, "/lib/ld-linux.so.2");
                CHECK_INT(e32->n_needed, 2);
                CHECK_STR(e32->needed[0], "libm.so.6");
                CHECK_STR(e32->needed[1], "libc.so.6");
                if (exe)
                        CHECK(!elf_compatible(exe, e32));
                CHECK_INT(compare_readelf(argv[1], e32), 0);
                test_prefixes(argv[1], e32);
        }
        elf_info_free(e32);
        elf_info_free(exe);
}

/* argv: fx_static (or "" when -static does not link here) */
static void test_fixture_static(int argc, char **argv)
{
        if (argc < 2 || !argv[1][0]) {
                TEST_SKIP("no static fixture: -static does not link here (libc6-dev's libc.a)");
                return;
        }
        elf_info *st = read_file(argv[1]);
        if (st) {
                CHECK(st->interp == NULL);
                CHECK_INT(st->n_needed, 0);
        }
        elf_info_free(st);
}

static void test_read_fd_errors(void)
{
        char path[TEST_TMPL_MAX];
        int fd = mkostemp(test_tmpl(path, "test_elf"), O_CLOEXEC);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        elf_info *info = NULL;
        err_t e = {0};
        CHECK_INT(elf_read_fd(fd, path, &info, &e), -ENOEXEC); /* empty */
        CHECK(write(fd, "#!/bin/sh\necho hi\n", 18) == 18);
        CHECK_INT(elf_read_fd(fd, path, &info, &e), -ENOEXEC);
        CHECK(strstr(e.msg, path) != NULL);
        close(fd);
        unlink(path);

        _cleanup_close_ int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(elf_read_fd(dfd, "/", &info, &e) < 0);
        CHECK(info == NULL);
}

static void test_compatible(void)
{
        elf_info a = {.elf_class = 2, .data = 1, .machine = EM_X86_64};
        elf_info b = a;
        CHECK(elf_compatible(&a, &b));
        b.elf_class = 1; /* x32 */
        CHECK(!elf_compatible(&a, &b));
        b = a;
        b.data = 2;
        CHECK(!elf_compatible(&a, &b));
        elf_info i386 = {.elf_class = 1, .data = 1, .machine = EM_386};
        elf_info i486 = {.elf_class = 1, .data = 1, .machine = EM_486};
        CHECK(elf_compatible(&i386, &i486));
        CHECK(elf_compatible(&i486, &i386));
        CHECK(!elf_compatible(&i386, &a));
        elf_info hf = {.elf_class = 1, .data = 1, .machine = EM_ARM, .e_flags = 0x05000400};
        elf_info sf = {.elf_class = 1, .data = 1, .machine = EM_ARM, .e_flags = 0x05000200};
        CHECK(elf_compatible(&hf, &hf));
        CHECK(elf_compatible(&sf, &sf));
        CHECK(!elf_compatible(&hf, &sf));
        CHECK(!elf_compatible(&sf, &hf));
        CHECK(!elf_compatible(NULL, &a));
        /* riscv64: lp64d vs lp64 */
        elf_info rvd = {.elf_class = 2, .data = 1, .machine = 243, .e_flags = 0x5};
        elf_info rvs = {.elf_class = 2, .data = 1, .machine = 243, .e_flags = 0x1};
        CHECK(!elf_compatible(&rvd, &rvs));
        rvs.e_flags = 0x4; /* same ABI, no RVC */
        CHECK(elf_compatible(&rvd, &rvs));
        /* mips: o32 vs n32, legacy NaN vs nan2008 */
        elf_info o32 = {.elf_class = 1, .data = 2, .machine = 8, .e_flags = 0x70001005};
        elf_info n32 = o32;
        n32.e_flags |= 0x20;
        CHECK(!elf_compatible(&o32, &n32));
        elf_info o32n = o32;
        o32n.e_flags |= 0x400;
        CHECK(!elf_compatible(&o32, &o32n));
        CHECK(elf_compatible(&o32, &o32));
        /* unrelated flag bits do not matter elsewhere */
        elf_info x1 = a, x2 = a;
        x2.e_flags = 0x1234;
        CHECK(elf_compatible(&x1, &x2));
}

/* What readelf (binutils, which reads the section headers) says about the
 * same file: interp, NEEDED in order, SONAME, RPATH, RUNPATH. Returns the
 * number of differences, or -1 when readelf cannot be run. */
static int compare_readelf(const char *path, const elf_info *info)
{
        if (strchr(path, '\'') || access("/usr/bin/readelf", X_OK) < 0)
                return -1;
        _cleanup_free_ char *cmd =
                xasprintf("LC_ALL=C /usr/bin/readelf -dlW '%s' 2>/dev/null", path);
        FILE *p = popen(cmd, "re");
        if (!p)
                return -1;
        char *line = NULL;
        size_t cap = 0, n_needed = 0;
        int diff = 0;
        bool saw_interp = false, saw_soname = false, saw_rpath = false, saw_runpath = false;
        while (getline(&line, &cap, p) > 0) {
                char *open = strchr(line, '[');
                char *close = open ? strchr(open, ']') : NULL;
                if (!open || !close)
                        continue;
                *close = '\0';
                char *val = open + 1;
                if (strstr(line, "Requesting program interpreter: ")) {
                        val += strlen("Requesting program interpreter: ");
                        saw_interp = true;
                        diff += !info->interp || strcmp(info->interp, val) != 0;
                } else if (strstr(line, "(NEEDED)")) {
                        diff += n_needed >= info->n_needed ||
                                strcmp(info->needed[n_needed], val) != 0;
                        n_needed++;
                } else if (strstr(line, "(SONAME)")) {
                        saw_soname = true;
                        diff += !info->soname || strcmp(info->soname, val) != 0;
                } else if (strstr(line, "(RPATH)")) {
                        saw_rpath = true;
                        diff += !info->rpath || strcmp(info->rpath, val) != 0;
                } else if (strstr(line, "(RUNPATH)")) {
                        saw_runpath = true;
                        diff += !info->runpath || strcmp(info->runpath, val) != 0;
                }
        }
        free(line);
        pclose(p);
        diff += n_needed != info->n_needed;
        diff += saw_interp != (info->interp != NULL);
        diff += saw_soname != (info->soname != NULL);
        diff += saw_rpath != (info->rpath != NULL);
        diff += saw_runpath != (info->runpath != NULL);
        if (diff)
                fprintf(stderr, "%s: %d differences from readelf\n", path, diff);
        return diff;
}

/* Every regular file in a host directory reads as ELF or as -ENOEXEC; the
 * first few ELF files are also checked against readelf. */
static void test_host_dir(const char *dir, size_t *n_elf, size_t *n_readelf, double *secs)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        CHECK(d != NULL);
        if (!d)
                return;
        struct timespec t0, t1;
        struct dirent *de;
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = openat(dirfd(d), de->d_name,
                                                O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                elf_info *info = NULL;
                err_t e = {0};
                clock_gettime(CLOCK_MONOTONIC, &t0);
                int k = elf_read_fd(fd, de->d_name, &info, &e);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                *secs += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
                if (k < 0 && k != -ENOEXEC)
                        fprintf(stderr, "%s/%s: %s\n", dir, de->d_name, e.msg);
                CHECK(k == 0 || k == -ENOEXEC);
                if (k == 0)
                        (*n_elf)++;
                if (k == 0 && *n_readelf < 150) {
                        _cleanup_free_ char *full = path_join(dir, de->d_name);
                        int diff = compare_readelf(full, info);
                        if (diff >= 0) {
                                CHECK_INT(diff, 0);
                                (*n_readelf)++;
                        }
                }
                elf_info_free(info);
        }
}

static void case_main(int argc, char **argv)
{
        test_synthetic(true, false, EM_X86_64);
        test_synthetic(true, true, EM_S390);
        test_synthetic(false, false, EM_386);
        test_synthetic(false, true, EM_PPC);
        test_hostile();
        test_kernel_checks();
        test_no_dynamic();
        test_compatible();
        test_read_fd_errors();
        test_fixtures(argc, argv);

        size_t n_elf = 0, n_readelf = 0;
        double secs = 0;
        test_host_dir("/usr/bin", &n_elf, &n_readelf, &secs);
        n_readelf = n_readelf > 100 ? 100 : n_readelf; /* leave room for libraries */
        test_host_dir("/usr/lib/x86_64-linux-gnu", &n_elf, &n_readelf, &secs);
        fprintf(stderr, "host: %zu ELF files parsed in %.3f s (%zu checked against readelf)\n",
                n_elf, secs, n_readelf);
}

int main(int argc, char **argv)
{
        TEST_CASES(argc, argv, {"main", case_main}, {"elf32", test_fixture32},
                   {"static", test_fixture_static});
}
