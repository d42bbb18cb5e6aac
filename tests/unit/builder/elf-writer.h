/* The ELF writer of test_elf.c: small synthetic images of both classes
 * and byte orders (spec in, image out) that the hostile cases then break
 * one field at a time. Included once, by test_elf.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DF_1_NODEFLIB 0x800
#define EM_386 3
#define EM_486 6
#define EM_PPC 20
#define EM_S390 22
#define EM_ARM 40
#define EM_X86_64 62

typedef struct spec {
        bool is64, be;
        uint16_t machine;
        const char *interp;
        const char *needed[4];
        const char *rpath, *runpath, *soname;
        uint64_t flags_1;
} spec;

typedef struct image {
        uint8_t *buf;
        size_t len;
        bool is64, be;
        size_t phoff, dyn_off, strtab_off, interp_off;
        size_t n_dyn;
} image;

static void put(image *im, size_t off, uint64_t v, size_t width)
{
        for (size_t i = 0; i < width; i++) {
                size_t shift = im->be ? (width - 1 - i) * 8 : i * 8;
                im->buf[off + i] = (uint8_t)(v >> shift);
        }
}

static void putword(image *im, size_t off, uint64_t v)
{
        put(im, off, v, im->is64 ? 8 : 4);
}

static uint64_t get(const image *im, size_t off, size_t width)
{
        uint64_t v = 0;
        for (size_t i = 0; i < width; i++) {
                size_t shift = im->be ? (width - 1 - i) * 8 : i * 8;
                v |= (uint64_t)im->buf[off + i] << shift;
        }
        return v;
}

#define VBASE 0x400000u

/* Layout: ehdr, 3 phdrs (LOAD of the whole file, INTERP, DYNAMIC), interp,
 * string table, dynamic section. */
static image make_elf(const spec *s)
{
        image im = {.is64 = s->is64, .be = s->be};
        size_t ehsize = s->is64 ? 64 : 52, phsize = s->is64 ? 56 : 32, dsize = s->is64 ? 16 : 8;
        strbuf strs = {0};
        sb_appendn(&strs, "", 1);
        size_t needed_off[4] = {0}, rpath_off = 0, runpath_off = 0, soname_off = 0;
        size_t n_needed = 0;
        for (; n_needed < 4 && s->needed[n_needed]; n_needed++) {
                needed_off[n_needed] = strs.len;
                sb_appendn(&strs, s->needed[n_needed], strlen(s->needed[n_needed]) + 1);
        }
#define ADDSTR(field, off)                                                                         \
        if (s->field) {                                                                            \
                off = strs.len;                                                                    \
                sb_appendn(&strs, s->field, strlen(s->field) + 1);                                 \
        }
        ADDSTR(rpath, rpath_off);
        ADDSTR(runpath, runpath_off);
        ADDSTR(soname, soname_off);

        im.phoff = ehsize;
        im.interp_off = im.phoff + 3 * phsize;
        size_t interp_len = s->interp ? strlen(s->interp) + 1 : 0;
        im.strtab_off = im.interp_off + interp_len;
        im.dyn_off = (im.strtab_off + strs.len + 7) & ~(size_t)7;
        im.n_dyn = n_needed + !!s->rpath + !!s->runpath + !!s->soname +
                   4; /* STRTAB STRSZ FLAGS_1 NULL */
        im.len = im.dyn_off + im.n_dyn * dsize;
        im.buf = xcalloc(1, im.len);

        memcpy(im.buf, "\177ELF", 4);
        im.buf[4] = s->is64 ? 2 : 1;
        im.buf[5] = s->be ? 2 : 1;
        im.buf[6] = 1;
        put(&im, 16, 3, 2); /* ET_DYN */
        put(&im, 18, s->machine, 2);
        put(&im, 20, 1, 4);
        if (s->is64) {
                put(&im, 32, im.phoff, 8);
                put(&im, 52, ehsize, 2);
                put(&im, 54, phsize, 2);
                put(&im, 56, 3, 2);
        } else {
                put(&im, 28, im.phoff, 4);
                put(&im, 40, ehsize, 2);
                put(&im, 42, phsize, 2);
                put(&im, 44, 3, 2);
        }
        /* p_type, p_offset, p_vaddr, p_filesz for each class */
        struct {
                uint32_t type;
                uint64_t off, size;
        } ph[3] = {
                {1, 0, im.len}, {3, im.interp_off, interp_len}, {2, im.dyn_off, im.n_dyn * dsize}};
        for (size_t i = 0; i < 3; i++) {
                size_t p = im.phoff + i * phsize;
                put(&im, p, ph[i].type, 4);
                if (i == 1 && !s->interp)
                        put(&im, p, 6, 4); /* PT_PHDR instead */
                putword(&im, p + (s->is64 ? 8 : 4), ph[i].off);
                putword(&im, p + (s->is64 ? 16 : 8), VBASE + ph[i].off);
                putword(&im, p + (s->is64 ? 32 : 16), ph[i].size);
                putword(&im, p + (s->is64 ? 40 : 20), ph[i].size);
        }
        if (s->interp)
                memcpy(im.buf + im.interp_off, s->interp, interp_len);
        memcpy(im.buf + im.strtab_off, strs.s, strs.len);

        size_t d = im.dyn_off;
#define DYN(tag, val)                                                                              \
        do {                                                                                       \
                putword(&im, d, tag);                                                              \
                putword(&im, d + dsize / 2, val);                                                  \
                d += dsize;                                                                        \
        } while (0)
        for (size_t i = 0; i < n_needed; i++)
                DYN(1, needed_off[i]);
        DYN(5, VBASE + im.strtab_off);
        DYN(10, strs.len);
        if (s->rpath)
                DYN(15, rpath_off);
        if (s->runpath)
                DYN(29, runpath_off);
        if (s->soname)
                DYN(14, soname_off);
        DYN(0x6ffffffb, s->flags_1);
        DYN(0, 0);
        sb_free(&strs);
        return im;
}

static const spec base_spec = {
        .is64 = true,
        .machine = EM_X86_64,
        .interp = "/lib64/ld-linux-x86-64.so.2",
        .needed = {"libfoo.so.1", "libc.so.6"},
        .rpath = "/opt/r",
        .runpath = "$ORIGIN/../lib",
        .soname = "libme.so.3",
        .flags_1 = DF_1_NODEFLIB,
};
