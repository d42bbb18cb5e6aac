/* libFuzzer harness for builder/elf.c: any input must parse or fail with a
 * one-line message, never crash or read out of bounds. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elfinfo.h"
#include "ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s)
{
        return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        elf_info *info = NULL;
        err_t e = {0};
        /* The import check reads the section headers: bounded too. */
        if (elf_imports(data, size, "iconv_open") > 1)
                abort();
        int k = elf_parse(data, size, "fuzz", &info, &e);
        if (k < 0) {
                /* Failure must come with a message and no result: not ELF or
                 * not a program (ENOEXEC), or an invalid one that says so. */
                if (info || e.msg[0] == '\0' || strchr(e.msg, '\n'))
                        abort();
                if (k != -ENOEXEC && k != -EINVAL)
                        abort();
                if (k == -EINVAL && !strstr(e.msg, ": not a valid ELF file: "))
                        abort();
                return 0;
        }
        /* Only what the kernel and ld.so load is accepted. */
        if (info->type != ET_EXEC && info->type != ET_DYN)
                abort();
        size_t n = touch(info->interp) + touch(info->rpath) + touch(info->runpath) +
                   touch(info->soname);
        for (size_t i = 0; i < info->n_needed; i++)
                n += touch(info->needed[i]);
        if (info->needed[info->n_needed] != NULL)
                abort();
        if (!elf_compatible(info, info))
                abort();
        (void)ldcache_flags_for(info->elf_class, info->machine, info->e_flags);
        (void)n;
        elf_info_free(info);
        return 0;
}
