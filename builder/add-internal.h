/* The adder's state, shared by add.c (what is added and why) and
 * add-warn.c (the warnings on what was added). Private to builder/. */
#pragma once

#include "add.h"

#define MAX_LINKS 40 /* symlinks followed in one path */

struct adder {
        resolver *r;
        stage *s;
        char *root; /* "" for the host, else the root without a trailing slash */
        add_opts o;
        strmap *scanned; /* physical paths whose dependencies are already in */
        const elf_info *first_elf;
        const char *reason; /* why what is staged now is staged (--trace-report) */
        strmap *reasons;    /* image path -> reason (owned) */
        strmap *trees;      /* directories whose contents are in */
        int lenient;        /* > 0: a missing #! interpreter is a warning, and what
                             * cannot be read is left out with a warning */
        strmap *unreadable; /* what was said about what could not be read */
        /* What the rules (adder_rules) look at: */
        bool links_libc, links_tls, links_iconv, links_locale;
        char *libc; /* the physical path of libc, for its gconv directory */
};
