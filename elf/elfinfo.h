/* elf: read what the dynamic loader reads from an ELF file, without
 * running it. Every offset and count is checked against the file size;
 * hostile input yields an error, never a crash. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct elf_info {
        uint8_t elf_class; /* ELFCLASS32 / ELFCLASS64 */
        uint8_t data;      /* ELFDATA2LSB / ELFDATA2MSB */
        uint8_t osabi;
        uint16_t type;    /* ET_EXEC, ET_DYN, ... */
        uint16_t machine; /* EM_* */
        uint32_t e_flags;
        bool dynamic;  /* has PT_DYNAMIC */
        char *interp;  /* PT_INTERP, or NULL */
        char **needed; /* DT_NEEDED in file order, NULL-terminated */
        size_t n_needed;
        char *rpath;      /* DT_RPATH string (unexpanded), or NULL */
        char *runpath;    /* DT_RUNPATH string (unexpanded), or NULL */
        char *soname;     /* DT_SONAME, or NULL */
        uint64_t flags_1; /* DT_FLAGS_1 (DF_1_NODEFLIB, ...) */
} elf_info;

/* 1 when the buffer starts with the ELF magic, else 0. */
bool elf_has_magic(const void *buf, size_t len);
/* Parse an ELF executable or shared object held in memory. name is used in
 * error messages. -ENOEXEC when it is not ELF, or ELF that nothing loads
 * (a relocatable object, a core dump): data, not a program. -EINVAL, with
 * "NAME: not a valid ELF file: WHY", for a file the kernel would refuse to
 * exec or ld.so to map: a header field, the program header table, a
 * PT_LOAD or PT_INTERP out of bounds or inconsistent, broken dynamic
 * section. Such a file is never reported as a static program. */
int elf_parse(const void *buf, size_t len, const char *name, elf_info **ret, err_t *e);
/* mmap and parse an open file; the same results as elf_parse. */
int elf_read_fd(int fd, const char *name, elf_info **ret, err_t *e);
void elf_info_free(elf_info *info);
/* 1 when the ELF in buf imports the dynamic symbol sym (an undefined
 * entry of its SHT_DYNSYM section), 0 when not or when it has no section
 * headers to tell; a negative errno for input that is not ELF. Every
 * offset is checked against len. */
int elf_imports(const void *buf, size_t len, const char *sym);
/* Whether a library of kind lib can be loaded into a process of kind obj
 * (the class/data/machine check by which ld.so skips e.g. /usr/lib32). */
bool elf_compatible(const elf_info *obj, const elf_info *lib);
