/* elf: the ELF header, program headers and dynamic section, read the way
 * ld.so reads them (PT_DYNAMIC, DT_STRTAB through the PT_LOAD mapping;
 * section headers are never trusted, they may be stripped). Every read is
 * bounds-checked against the buffer first. */
#include "elfinfo.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <elf.h>
#include <stddef.h>

#ifndef EM_486
#define EM_486 6 /* reserved in <elf.h> now; old binaries still carry it */
#endif
#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif
#ifndef EF_LARCH_ABI_MODIFIER_MASK
#define EF_LARCH_ABI_MODIFIER_MASK 0x7
#endif
#ifndef EF_RISCV_FLOAT_ABI
#define EF_RISCV_FLOAT_ABI 0x6
#endif

/* Field offsets and sizes: [0] for ELFCLASS32, [1] for ELFCLASS64. */
#define LAYOUT(B, W)                                                                               \
        {                                                                                          \
                sizeof(Elf##B##_Ehdr), offsetof(Elf##B##_Ehdr, e_type),                            \
                        offsetof(Elf##B##_Ehdr, e_machine), offsetof(Elf##B##_Ehdr, e_phoff),      \
                        offsetof(Elf##B##_Ehdr, e_shoff), offsetof(Elf##B##_Ehdr, e_flags),        \
                        offsetof(Elf##B##_Ehdr, e_phentsize), offsetof(Elf##B##_Ehdr, e_phnum),    \
                        sizeof(Elf##B##_Phdr), offsetof(Elf##B##_Phdr, p_offset),                  \
                        offsetof(Elf##B##_Phdr, p_vaddr), offsetof(Elf##B##_Phdr, p_filesz),       \
                        sizeof(Elf##B##_Shdr), offsetof(Elf##B##_Shdr, sh_info),                   \
                        sizeof(Elf##B##_Dyn), W                                                    \
        }
static const struct layout {
        size_t ehdr_size, e_type, e_machine, e_phoff, e_shoff, e_flags, e_phentsize, e_phnum;
        size_t phdr_size, p_offset, p_vaddr, p_filesz;
        size_t shdr_size, sh_info;
        size_t dyn_size, word;
} layouts[2] = {LAYOUT(32, 4), LAYOUT(64, 8)};

/* ld.so itself refuses nothing this large; the caps only bound our work on
 * hostile input. */
#define ELF_MAX_PHNUM 65536
#define ELF_MAX_DYNNUM 65536
#define ELF_MAX_NEEDED 4096

typedef struct reader {
        const uint8_t *buf;
        size_t len;
        const char *name;
        bool is64;
        bool swap;
        const struct layout *l;
} reader;

/* Unaligned, endian-aware loads; callers have checked off + width <= len. */
static uint16_t ld16(const reader *r, size_t off)
{
        uint16_t v;
        memcpy(&v, r->buf + off, sizeof v);
        return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t ld32(const reader *r, size_t off)
{
        uint32_t v;
        memcpy(&v, r->buf + off, sizeof v);
        return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t ld64(const reader *r, size_t off)
{
        uint64_t v;
        memcpy(&v, r->buf + off, sizeof v);
        return r->swap ? __builtin_bswap64(v) : v;
}

/* A class-sized word (Addr/Off/Xword of the file's class). */
static uint64_t ldw(const reader *r, size_t off)
{
        return r->is64 ? ld64(r, off) : ld32(r, off);
}

/* Whether [off, off+size) lies within the buffer, without overflow. */
static bool in_range(const reader *r, uint64_t off, uint64_t size)
{
        return off <= r->len && size <= r->len - off;
}

bool elf_has_magic(const void *buf, size_t len)
{
        return buf && len >= 4 && memcmp(buf, "\177ELF", 4) == 0;
}

void elf_info_free(elf_info *info)
{
        if (!info)
                return;
        free(info->interp);
        if (info->needed)
                for (size_t i = 0; i < info->n_needed; i++)
                        free(info->needed[i]);
        free(info->needed);
        free(info->rpath);
        free(info->runpath);
        free(info->soname);
        free(info);
}

static void elf_info_freep(elf_info **p)
{
        elf_info_free(*p);
}

typedef struct load_seg {
        uint64_t offset, vaddr, filesz;
} load_seg;

typedef struct strtab {
        const char *base;
        uint64_t size;
} strtab;

/* Map a virtual address to a file offset through the PT_LOAD segments, as
 * the loader's mapping would; *ret_avail is how many file bytes follow it
 * within that segment. */
static bool vaddr_to_offset(const load_seg *segs, size_t n, uint64_t vaddr, uint64_t *ret_off,
                            uint64_t *ret_avail)
{
        for (size_t i = 0; i < n; i++) {
                if (vaddr < segs[i].vaddr || vaddr - segs[i].vaddr >= segs[i].filesz)
                        continue;
                uint64_t delta = vaddr - segs[i].vaddr;
                *ret_off = segs[i].offset + delta;
                *ret_avail = segs[i].filesz - delta;
                return true;
        }
        return false;
}

/* A copy of the NUL-terminated string at off in the table, or an error. */
static int strtab_get(const reader *r, const strtab *st, uint64_t off, const char *what, char **ret,
                      err_t *e)
{
        if (off >= st->size)
                return err_set(e, -EINVAL, "%s: %s string offset %llu outside the string table",
                               r->name, what, (unsigned long long)off);
        const char *s = st->base + off;
        size_t max = (size_t)(st->size - off);
        size_t n = strnlen(s, max);
        if (n == max)
                return err_set(e, -EINVAL, "%s: %s string not terminated in the string table",
                               r->name, what);
        *ret = xstrndup(s, n);
        return 0;
}

static int parse_header(reader *r, const char *name, err_t *e)
{
        const uint8_t *id = r->buf;

        if (r->len < EI_NIDENT || !elf_has_magic(r->buf, r->len))
                return err_set(e, -ENOEXEC, "%s: not an ELF file", name);
        if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
                return err_set(e, -EINVAL, "%s: unknown ELF class %u", name, id[EI_CLASS]);
        if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
                return err_set(e, -EINVAL, "%s: unknown ELF data encoding %u", name, id[EI_DATA]);
        if (id[EI_VERSION] != EV_CURRENT)
                return err_set(e, -EINVAL, "%s: unknown ELF version %u", name, id[EI_VERSION]);

        r->is64 = id[EI_CLASS] == ELFCLASS64;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        r->swap = id[EI_DATA] == ELFDATA2MSB;
#else
        r->swap = id[EI_DATA] == ELFDATA2LSB;
#endif
        r->l = &layouts[r->is64];
        if (r->len < r->l->ehdr_size)
                return err_set(e, -EINVAL, "%s: truncated ELF header", name);
        return 0;
}

/* e_phnum, including the PN_XNUM escape (real count in section 0's
 * sh_info). */
static int get_phnum(const reader *r, uint64_t *ret, err_t *e)
{
        uint64_t phnum = ld16(r, r->l->e_phnum);
        if (phnum != PN_XNUM) {
                *ret = phnum;
                return 0;
        }
        uint64_t shoff = ldw(r, r->l->e_shoff);
        if (shoff == 0 || !in_range(r, shoff, r->l->shdr_size))
                return err_set(e, -EINVAL, "%s: extended program header count unreadable", r->name);
        *ret = ld32(r, (size_t)shoff + r->l->sh_info);
        return 0;
}

static int parse_dynamic(const reader *r, elf_info *info, uint64_t dyn_off, uint64_t dyn_size,
                         const load_seg *segs, size_t n_segs, err_t *e)
{
        size_t entsize = r->l->dyn_size;
        size_t wsize = r->l->word;

        if (!in_range(r, dyn_off, dyn_size))
                return err_set(e, -EINVAL, "%s: truncated dynamic section", r->name);
        uint64_t n = dyn_size / entsize;
        if (n > ELF_MAX_DYNNUM)
                return err_set(e, -EINVAL, "%s: too many dynamic entries (%llu)", r->name,
                               (unsigned long long)n);

        uint64_t strtab_addr = 0, strsz = 0, rpath = 0, runpath = 0, soname = 0;
        bool have_strtab = false, have_strsz = false, have_rpath = false, have_runpath = false,
             have_soname = false;
        size_t n_needed = 0;
        _cleanup_free_ uint64_t *needed = NULL;

        for (uint64_t i = 0; i < n; i++) {
                size_t off = (size_t)(dyn_off + i * entsize);
                int64_t tag = (int64_t)ldw(r, off);
                uint64_t val = ldw(r, off + wsize);
                if (!r->is64)
                        tag = (int32_t)(uint32_t)tag;
                if (tag == DT_NULL)
                        break;
                switch (tag) {
                case DT_NEEDED:
                        if (n_needed >= ELF_MAX_NEEDED)
                                return err_set(e, -EINVAL, "%s: too many DT_NEEDED entries",
                                               r->name);
                        needed = xreallocarray(needed, n_needed + 1, sizeof *needed);
                        needed[n_needed++] = val;
                        break;
                case DT_STRTAB:
                        strtab_addr = val;
                        have_strtab = true;
                        break;
                case DT_STRSZ:
                        strsz = val;
                        have_strsz = true;
                        break;
                case DT_RPATH:
                        rpath = val;
                        have_rpath = true;
                        break;
                case DT_RUNPATH:
                        runpath = val;
                        have_runpath = true;
                        break;
                case DT_SONAME:
                        soname = val;
                        have_soname = true;
                        break;
                case DT_FLAGS_1: info->flags_1 = val; break;
                default: break;
                }
        }

        if (n_needed == 0 && !have_rpath && !have_runpath && !have_soname)
                return 0;
        if (!have_strtab)
                return err_set(e, -EINVAL, "%s: dynamic section has strings but no DT_STRTAB",
                               r->name);

        uint64_t st_off, st_avail;
        if (!vaddr_to_offset(segs, n_segs, strtab_addr, &st_off, &st_avail))
                return err_set(e, -EINVAL,
                               "%s: DT_STRTAB address 0x%llx is not in a loaded segment", r->name,
                               (unsigned long long)strtab_addr);
        if (have_strsz && strsz < st_avail)
                st_avail = strsz;
        /* The segment may claim more than the file holds. */
        if (st_off >= r->len)
                return err_set(e, -EINVAL, "%s: truncated string table", r->name);
        if (st_avail > r->len - st_off)
                st_avail = r->len - st_off;
        strtab st = {.base = (const char *)r->buf + st_off, .size = st_avail};

        int k;
        info->needed = xcalloc(n_needed + 1, sizeof(char *));
        for (size_t i = 0; i < n_needed; i++) {
                k = strtab_get(r, &st, needed[i], "DT_NEEDED", &info->needed[i], e);
                if (k < 0)
                        return k;
                info->n_needed++;
        }
        if (have_rpath && (k = strtab_get(r, &st, rpath, "DT_RPATH", &info->rpath, e)) < 0)
                return k;
        if (have_runpath && (k = strtab_get(r, &st, runpath, "DT_RUNPATH", &info->runpath, e)) < 0)
                return k;
        if (have_soname && (k = strtab_get(r, &st, soname, "DT_SONAME", &info->soname, e)) < 0)
                return k;
        return 0;
}

int elf_parse(const void *buf, size_t len, const char *name, elf_info **ret, err_t *e)
{
        reader r = {.buf = buf, .len = buf ? len : 0, .name = name ? name : "(elf)"};
        int k;

        k = parse_header(&r, r.name, e);
        if (k < 0)
                return k;

        _cleanup_(elf_info_freep) elf_info *info = xcalloc(1, sizeof *info);
        const uint8_t *id = r.buf;
        info->elf_class = id[EI_CLASS];
        info->data = id[EI_DATA];
        info->osabi = id[EI_OSABI];
        uint64_t phoff;
        size_t phentsize;
        const struct layout *l = r.l;
        info->type = ld16(&r, l->e_type);
        info->machine = ld16(&r, l->e_machine);
        info->e_flags = ld32(&r, l->e_flags);
        phoff = ldw(&r, l->e_phoff);
        phentsize = ld16(&r, l->e_phentsize);

        uint64_t phnum = 0;
        k = get_phnum(&r, &phnum, e);
        if (k < 0)
                return k;
        if (phnum > ELF_MAX_PHNUM)
                return err_set(e, -EINVAL, "%s: too many program headers (%llu)", r.name,
                               (unsigned long long)phnum);

        _cleanup_free_ load_seg *segs = NULL;
        size_t n_segs = 0;
        uint64_t dyn_off = 0, dyn_size = 0;

        if (phnum > 0) {
                if (phentsize < l->phdr_size)
                        return err_set(e, -EINVAL, "%s: program header entry size %zu too small",
                                       r.name, phentsize);
                /* phnum <= 65536 and phentsize < 65536: no overflow. */
                if (!in_range(&r, phoff, phnum * phentsize))
                        return err_set(e, -EINVAL, "%s: truncated program header table", r.name);
                segs = xcalloc(phnum, sizeof *segs);
        }

        for (uint64_t i = 0; i < phnum; i++) {
                size_t ph = (size_t)(phoff + i * phentsize);
                uint32_t type = ld32(&r, ph); /* p_type is first in both classes */
                uint64_t offset = ldw(&r, ph + l->p_offset);
                uint64_t vaddr = ldw(&r, ph + l->p_vaddr);
                uint64_t filesz = ldw(&r, ph + l->p_filesz);
                switch (type) {
                case PT_LOAD:
                        /* The loader maps these from the file: one that runs past
                         * the end means the file was cut short. */
                        if (!in_range(&r, offset, filesz))
                                return err_set(e, -EINVAL,
                                               "%s: truncated: PT_LOAD segment past end of file",
                                               r.name);
                        segs[n_segs++] = (load_seg){offset, vaddr, filesz};
                        break;
                case PT_INTERP: {
                        /* The kernel uses the first one. */
                        if (info->interp)
                                break;
                        if (!in_range(&r, offset, filesz) || filesz == 0)
                                return err_set(e, -EINVAL, "%s: truncated PT_INTERP", r.name);
                        const char *s = (const char *)r.buf + offset;
                        size_t n = strnlen(s, (size_t)filesz);
                        if (n == filesz)
                                return err_set(e, -EINVAL, "%s: PT_INTERP not NUL-terminated",
                                               r.name);
                        info->interp = xstrndup(s, n);
                        break;
                }
                case PT_DYNAMIC:
                        /* ld.so uses the last one it sees; so do we. */
                        info->dynamic = true;
                        dyn_off = offset;
                        dyn_size = filesz;
                        break;
                default: break;
                }
        }

        if (info->dynamic) {
                k = parse_dynamic(&r, info, dyn_off, dyn_size, segs, n_segs, e);
                if (k < 0)
                        return k;
        }
        if (!info->needed)
                info->needed = xcalloc(1, sizeof(char *));

        *ret = steal_pointer(&info);
        return 0;
}

int elf_read_fd(int fd, const char *name, elf_info **ret, err_t *e)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return err_sys(e, errno, "%s: stat", name);
        if (!S_ISREG(st.st_mode))
                return err_set(e, -ENOEXEC, "%s: not a regular file", name);
        if ((uint64_t)st.st_size < EI_NIDENT)
                return err_set(e, -ENOEXEC, "%s: not an ELF file", name);
        if ((uint64_t)st.st_size > SIZE_MAX)
                return err_set(e, -EFBIG, "%s: file too large", name);

        size_t len = (size_t)st.st_size;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return err_sys(e, errno, "%s: mmap", name);
        int k = elf_parse(map, len, name, ret, e);
        (void)munmap(map, len);
        return k;
}

/* The e_flags bits that make two objects of one machine ABI-incompatible
 * (the ones ld.so's elf_machine_matches_host and ldconfig look at). */
static uint32_t abi_flags(uint16_t machine, uint32_t e_flags)
{
        switch (machine) {
        case EM_ARM: return e_flags & EF_ARM_ABI_FLOAT_HARD;
        case EM_MIPS: return e_flags & (EF_MIPS_ABI2 | EF_MIPS_NAN2008);
        case EM_RISCV: return e_flags & EF_RISCV_FLOAT_ABI;
        case EM_LOONGARCH: return e_flags & EF_LARCH_ABI_MODIFIER_MASK;
        default: return 0;
        }
}

bool elf_compatible(const elf_info *obj, const elf_info *lib)
{
        if (!obj || !lib)
                return false;
        if (obj->elf_class != lib->elf_class || obj->data != lib->data)
                return false;
        uint16_t m1 = obj->machine == EM_486 ? EM_386 : obj->machine;
        uint16_t m2 = lib->machine == EM_486 ? EM_386 : lib->machine;
        if (m1 != m2)
                return false;
        return abi_flags(m1, obj->e_flags) == abi_flags(m1, lib->e_flags);
}
