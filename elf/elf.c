/* elf: the ELF header, program headers and dynamic section, read the way
 * ld.so reads them (PT_DYNAMIC, DT_STRTAB through the PT_LOAD mapping;
 * section headers are never trusted, they may be stripped). Every read is
 * bounds-checked against the buffer first. */
#include "elfinfo.h"
#include "endian_load.h"

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
                B, sizeof(Elf##B##_Ehdr), offsetof(Elf##B##_Ehdr, e_type),                         \
                        offsetof(Elf##B##_Ehdr, e_machine), offsetof(Elf##B##_Ehdr, e_version),    \
                        offsetof(Elf##B##_Ehdr, e_phoff), offsetof(Elf##B##_Ehdr, e_flags),        \
                        offsetof(Elf##B##_Ehdr, e_ehsize), offsetof(Elf##B##_Ehdr, e_phentsize),   \
                        offsetof(Elf##B##_Ehdr, e_phnum), sizeof(Elf##B##_Phdr),                   \
                        offsetof(Elf##B##_Phdr, p_offset), offsetof(Elf##B##_Phdr, p_vaddr),       \
                        offsetof(Elf##B##_Phdr, p_filesz), offsetof(Elf##B##_Phdr, p_memsz),       \
                        sizeof(Elf##B##_Dyn), W                                                    \
        }
static const struct layout {
        int bits;
        size_t ehdr_size, e_type, e_machine, e_version, e_phoff, e_flags, e_ehsize, e_phentsize,
                e_phnum;
        size_t phdr_size, p_offset, p_vaddr, p_filesz, p_memsz;
        size_t dyn_size, word;
} layouts[2] = {LAYOUT(32, 4), LAYOUT(64, 8)};

/* The kernel reads at most 64 KiB of program headers (load_elf_phdrs) and
 * refuses an interpreter name longer than PATH_MAX. */
#define ELF_MAX_PHDRS_SIZE 65536
#define ELF_MAX_INTERP 4096
/* The smallest page size of any Linux port: a PT_LOAD's file offset and
 * address must agree modulo it, or mmap cannot map the segment. */
#define ELF_MIN_PAGE 4096
/* ld.so itself refuses nothing this large; the caps only bound our work on
 * hostile input. */
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

/* Loads at off in the file's byte order; callers have checked that the
 * bytes are in the buffer. */
static uint16_t ld16(const reader *r, size_t off)
{
        return load_u16(r->buf + off, r->swap);
}

static uint32_t ld32(const reader *r, size_t off)
{
        return load_u32(r->buf + off, r->swap);
}

/* A class-sized word (Addr/Off/Xword of the file's class). */
static uint64_t ldw(const reader *r, size_t off)
{
        return r->is64 ? load_u64(r->buf + off, r->swap) : ld32(r, off);
}

/* Whether [off, off+size) lies within the buffer, without overflow. */
static bool in_range(const reader *r, uint64_t off, uint64_t size)
{
        return span_in(r->len, off, size);
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

/* What the kernel or ld.so refuses to load: "NAME: not a valid ELF file: WHY". */
#define INVALID(r, e, fmt, ...)                                                                    \
        err_set(e, -EINVAL, "%s: not a valid ELF file: " fmt, (r)->name, ##__VA_ARGS__)

/* A copy of the NUL-terminated string at off in the table, or an error. */
static int strtab_get(const reader *r, const strtab *st, uint64_t off, const char *what, char **ret,
                      err_t *e)
{
        if (off >= st->size)
                return INVALID(r, e, "%s string offset %llu outside the string table", what,
                               (unsigned long long)off);
        const char *s = st->base + off;
        size_t max = (size_t)(st->size - off);
        size_t n = strnlen(s, max);
        if (n == max)
                return INVALID(r, e, "%s string not terminated in the string table", what);
        *ret = xstrndup(s, n);
        return 0;
}

static int parse_header(reader *r, err_t *e)
{
        const uint8_t *id = r->buf;

        if (r->len < EI_NIDENT || !elf_has_magic(r->buf, r->len))
                return err_set(e, -ENOEXEC, "%s: not an ELF file", r->name);
        if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
                return INVALID(r, e, "unknown ELF class %u", id[EI_CLASS]);
        if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
                return INVALID(r, e, "unknown ELF data encoding %u", id[EI_DATA]);
        if (id[EI_VERSION] != EV_CURRENT)
                return INVALID(r, e, "unknown ELF version %u in e_ident", id[EI_VERSION]);

        r->is64 = id[EI_CLASS] == ELFCLASS64;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        r->swap = id[EI_DATA] == ELFDATA2MSB;
#else
        r->swap = id[EI_DATA] == ELFDATA2LSB;
#endif
        r->l = &layouts[r->is64];
        const struct layout *l = r->l;
        if (r->len < l->ehdr_size)
                return INVALID(r, e, "ELF header cut short (%zu of %zu bytes)", r->len,
                               l->ehdr_size);

        /* A relocatable object or a core dump is ELF, but nothing the kernel
         * or ld.so loads: data to whoever asks for a program. */
        uint16_t type = ld16(r, l->e_type);
        if (type == ET_REL || type == ET_CORE)
                return err_set(e, -ENOEXEC, "%s: an ELF %s, not an executable or shared object",
                               r->name, type == ET_REL ? "relocatable object" : "core dump");
        if (type != ET_EXEC && type != ET_DYN)
                return INVALID(r, e, "e_type %u is neither an executable nor a shared object",
                               type);
        uint32_t version = ld32(r, l->e_version);
        if (version != EV_CURRENT)
                return INVALID(r, e, "e_version %u, not EV_CURRENT", version);
        /* e_ehsize is not checked: neither the kernel nor ld.so reads it,
         * so a file with a wrong one runs, and must be copied. */
        return 0;
}

/* The program header table, checked as the kernel's load_elf_phdrs checks
 * it: entries of exactly the class's size, at least one, at most 64 KiB,
 * all inside the file. PN_XNUM is for core dumps only: the kernel and
 * ld.so read e_phnum as it is. */
static int check_phdrs(const reader *r, uint64_t *ret_phoff, uint64_t *ret_phnum, err_t *e)
{
        const struct layout *l = r->l;
        uint64_t phoff = ldw(r, l->e_phoff);
        uint64_t phentsize = ld16(r, l->e_phentsize);
        uint64_t phnum = ld16(r, l->e_phnum);

        if (phentsize != l->phdr_size)
                return INVALID(r, e, "e_phentsize %llu, an ELF%d program header is %zu bytes",
                               (unsigned long long)phentsize, l->bits, l->phdr_size);
        if (phnum == 0)
                return INVALID(r, e, "no program headers (e_phnum 0)");
        uint64_t size = phnum * phentsize; /* both < 65536: no overflow */
        if (size > ELF_MAX_PHDRS_SIZE)
                return INVALID(r, e, "%llu program headers, more than the kernel reads (%d bytes)",
                               (unsigned long long)phnum, ELF_MAX_PHDRS_SIZE);
        if (!in_range(r, phoff, size))
                return INVALID(r, e,
                               "program headers (e_phoff 0x%llx, %llu bytes) past the end of the "
                               "file (%zu bytes)",
                               (unsigned long long)phoff, (unsigned long long)size, r->len);
        *ret_phoff = phoff;
        *ret_phnum = phnum;
        return 0;
}

static int parse_dynamic(const reader *r, elf_info *info, uint64_t dyn_off, uint64_t dyn_size,
                         const load_seg *segs, size_t n_segs, err_t *e)
{
        size_t entsize = r->l->dyn_size;
        size_t wsize = r->l->word;

        if (!in_range(r, dyn_off, dyn_size))
                return INVALID(r, e,
                               "PT_DYNAMIC (offset 0x%llx, %llu bytes) past the end of the file",
                               (unsigned long long)dyn_off, (unsigned long long)dyn_size);
        uint64_t n = dyn_size / entsize;
        if (n > ELF_MAX_DYNNUM)
                return INVALID(r, e, "too many dynamic entries (%llu)", (unsigned long long)n);

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
                                return INVALID(r, e, "too many DT_NEEDED entries");
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
                return INVALID(r, e, "dynamic section has strings but no DT_STRTAB");

        uint64_t st_off, st_avail;
        if (!vaddr_to_offset(segs, n_segs, strtab_addr, &st_off, &st_avail))
                return INVALID(r, e, "DT_STRTAB address 0x%llx is not in a loaded segment",
                               (unsigned long long)strtab_addr);
        if (have_strsz && strsz < st_avail)
                st_avail = strsz;
        /* PT_LOAD segments were checked to lie inside the file. */
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

/* PT_INTERP as the kernel reads it: 2 to PATH_MAX bytes inside the file,
 * the last one NUL; the name is what precedes the first NUL. */
static int parse_interp(const reader *r, uint64_t offset, uint64_t filesz, char **ret, err_t *e)
{
        if (filesz < 2 || filesz > ELF_MAX_INTERP)
                return INVALID(r, e, "PT_INTERP of %llu bytes (the kernel takes 2 to %d)",
                               (unsigned long long)filesz, ELF_MAX_INTERP);
        if (!in_range(r, offset, filesz))
                return INVALID(r, e,
                               "PT_INTERP (offset 0x%llx, %llu bytes) past the end of the file",
                               (unsigned long long)offset, (unsigned long long)filesz);
        const char *s = (const char *)r->buf + offset;
        if (s[filesz - 1] != '\0')
                return INVALID(r, e, "PT_INTERP not NUL-terminated");
        if (s[0] == '\0')
                return INVALID(r, e, "PT_INTERP is empty");
        *ret = xstrdup(s);
        return 0;
}

int elf_parse(const void *buf, size_t len, const char *name, elf_info **ret, err_t *e)
{
        reader r = {.buf = buf, .len = buf ? len : 0, .name = name ? name : "(elf)"};
        int k;

        k = parse_header(&r, e);
        if (k < 0)
                return k;

        _cleanup_(elf_info_freep) elf_info *info = xcalloc(1, sizeof *info);
        const uint8_t *id = r.buf;
        const struct layout *l = r.l;
        info->elf_class = id[EI_CLASS];
        info->data = id[EI_DATA];
        info->osabi = id[EI_OSABI];
        info->type = ld16(&r, l->e_type);
        info->machine = ld16(&r, l->e_machine);
        info->e_flags = ld32(&r, l->e_flags);

        uint64_t phoff = 0, phnum = 0;
        k = check_phdrs(&r, &phoff, &phnum, e);
        if (k < 0)
                return k;

        _cleanup_free_ load_seg *segs = xcalloc(phnum, sizeof *segs);
        size_t n_segs = 0;
        uint64_t dyn_off = 0, dyn_size = 0;

        for (uint64_t i = 0; i < phnum; i++) {
                size_t ph = (size_t)(phoff + i * l->phdr_size);
                uint32_t type = ld32(&r, ph); /* p_type is first in both classes */
                uint64_t offset = ldw(&r, ph + l->p_offset);
                uint64_t vaddr = ldw(&r, ph + l->p_vaddr);
                uint64_t filesz = ldw(&r, ph + l->p_filesz);
                uint64_t memsz = ldw(&r, ph + l->p_memsz);
                switch (type) {
                case PT_LOAD:
                        /* The kernel refuses a segment whose file part is larger
                         * than its memory image, and mmap one whose offset and
                         * address disagree within a page; one that runs past
                         * the end means the file was cut short. */
                        if (filesz > memsz)
                                return INVALID(&r, e,
                                               "PT_LOAD segment %llu: p_filesz 0x%llx larger "
                                               "than p_memsz 0x%llx",
                                               (unsigned long long)i, (unsigned long long)filesz,
                                               (unsigned long long)memsz);
                        if (!in_range(&r, offset, filesz))
                                return INVALID(&r, e,
                                               "PT_LOAD segment %llu (offset 0x%llx, %llu bytes) "
                                               "past the end of the file (%zu bytes)",
                                               (unsigned long long)i, (unsigned long long)offset,
                                               (unsigned long long)filesz, r.len);
                        if (filesz > 0 && (vaddr - offset) % ELF_MIN_PAGE != 0)
                                return INVALID(&r, e,
                                               "PT_LOAD segment %llu: p_offset 0x%llx and p_vaddr "
                                               "0x%llx differ within a page",
                                               (unsigned long long)i, (unsigned long long)offset,
                                               (unsigned long long)vaddr);
                        segs[n_segs++] = (load_seg){offset, vaddr, filesz};
                        break;
                case PT_INTERP:
                        /* The kernel uses the first one. */
                        if (info->interp)
                                break;
                        k = parse_interp(&r, offset, filesz, &info->interp, e);
                        if (k < 0)
                                return k;
                        break;
                case PT_DYNAMIC:
                        /* ld.so uses the last one it sees; so do we. */
                        info->dynamic = true;
                        dyn_off = offset;
                        dyn_size = filesz;
                        break;
                default: break;
                }
        }
        if (n_segs == 0)
                return INVALID(&r, e, "no PT_LOAD segment");

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

/* The dynamic symbol table through the section headers (ld.so uses
 * DT_HASH instead; the headers are enough to tell an import). */
int elf_imports(const void *buf, size_t len, const char *sym)
{
        reader r = {.buf = buf, .len = buf ? len : 0, .name = "(elf)"};
        err_t e = {0};
        int k = parse_header(&r, &e);
        if (k < 0)
                return k;
        size_t shoff_at = r.is64 ? 0x28 : 0x20, shentsize_at = r.is64 ? 0x3a : 0x2e;
        size_t shnum_at = shentsize_at + 2;
        uint64_t shoff = ldw(&r, shoff_at);
        uint16_t shentsize = ld16(&r, shentsize_at), shnum = ld16(&r, shnum_at);
        size_t want_ent = r.is64 ? 64 : 40;
        if (shoff == 0 || shnum == 0 || shentsize != want_ent ||
            !in_range(&r, shoff, (uint64_t)shnum * shentsize))
                return 0;
        /* sh_type at 4; sh_offset, sh_size, sh_link, sh_entsize by class. */
        size_t off_at = r.is64 ? 0x18 : 0x10, size_at = r.is64 ? 0x20 : 0x14,
               link_at = r.is64 ? 0x28 : 0x18, entsize_at = r.is64 ? 0x38 : 0x24;
        size_t symsize = r.is64 ? 24 : 16, shndx_at = r.is64 ? 6 : 14;
        size_t symlen = strlen(sym);
        for (uint16_t i = 0; i < shnum; i++) {
                uint64_t sh = shoff + (uint64_t)i * shentsize;
                if (ld32(&r, sh + 4) != SHT_DYNSYM)
                        continue;
                uint64_t soff = ldw(&r, sh + off_at), ssize = ldw(&r, sh + size_at);
                uint64_t ent = ldw(&r, sh + entsize_at);
                uint32_t link = ld32(&r, sh + link_at);
                if (ent != symsize || link >= shnum || !in_range(&r, soff, ssize))
                        return 0;
                uint64_t lsh = shoff + (uint64_t)link * shentsize;
                uint64_t stoff = ldw(&r, lsh + off_at), stsize = ldw(&r, lsh + size_at);
                if (!in_range(&r, stoff, stsize))
                        return 0;
                for (uint64_t s = soff; s + symsize <= soff + ssize; s += symsize) {
                        uint32_t name = ld32(&r, s);
                        if (ld16(&r, s + shndx_at) != SHN_UNDEF || name >= stsize)
                                continue;
                        if (stsize - name > symlen &&
                            !memcmp(r.buf + stoff + name, sym, symlen + 1))
                                return 1;
                }
                return 0;
        }
        return 0;
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
