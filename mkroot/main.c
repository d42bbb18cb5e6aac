/* mkroot: the overall help and version, and dispatch to the subcommands
 * (one file each in this folder); without a subcommand's name, mkroot
 * adds host files (add.c). */
#include <errno.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>

#include "mkroot.h"

static const char usage_text[] =
        "Usage: mkroot [OPTIONS] [--add] PATH[:DEST]...   build an image from host files\n"
        "       mkroot deps [--tree] [--root DIR] PATH...  what a program loads, like ldd\n"
        "       mkroot ls IMAGE                            list an image like tar -tvf\n"
        "       mkroot fetch SUITE [OPTIONS]               bootstrap a Debian/Ubuntu minbase\n"
        "       mkroot fetch --list                        the suites, and what this host has\n"
        "       mkroot build MANIFEST [OPTIONS]            build an image from layers\n"
        "       mkroot inspect IMAGE                       layers and config of an image\n"
        "       mkroot diff A B                            paths added, removed, changed\n"
        "       mkroot cache ls|gc|path                    list or prune the cache\n"
        "       mkroot push IMAGE docker://REG/NAME:TAG    publish an image (skopeo)\n"
        "\n"
        "Build options:\n"
        "  -a, --add PATH[:DEST]   add a file, script or directory with everything it loads;\n"
        "                          with :DEST, place it at DEST in the image\n"
        "  -o, --output FILE       image to write (default image.tar.gz); the name gives the\n"
        "                          compression: .tar[.gz|.zst|.xz|.bz2|.lz4|.lz]; a name in\n"
        "                          .cpio[.gz|...] makes an initramfs, NAME.oci.tar an OCI\n"
        "                          and NAME.docker.tar a docker archive (unless --format)\n"
        "      --compress ALG      gzip, zstd, xz, bzip2, lz4, lzip or none, whatever the\n"
        "                          name says\n"
        "      --level N           compression level\n"
        "      --format FMT        tar (= rootfs, default), initramfs (newc cpio), oci (OCI\n"
        "                          image layout tar) or docker (an archive docker load takes)\n"
        "      --base SUITE|IMAGE  put the added files in a layer on this base (a suite,\n"
        "                          an image file or scratch); see mkroot build\n"
        "      --deps all          with --base: copy libraries the base already has too\n"
        "      --init PATH         with --format initramfs: PATH becomes /init (an\n"
        "                          initramfs needs one, or --add PROG:/init)\n"
        "      --root DIR          read files and resolve libraries inside DIR, not the host\n"
        "      --library-path P    LD_LIBRARY_PATH for resolving (default: the environment's)\n"
        "      --nss               add the NSS modules glibc loads for passwd/group/hosts\n"
        "      --no-skeleton       no /dev /proc /sys /tmp /root /etc/{passwd,group,...}\n"
        "      --allow-missing     warn about libraries or #! interpreters that cannot be\n"
        "                          found, go on\n"
        "      --package NAME      every file of an installed dpkg package and of what it\n"
        "                          Depends/Pre-Depends on, with their libraries\n"
        "      --package-no-deps   only the named packages\n"
        "      --trace 'CMD ARGS'  run CMD in a sandbox of the host (read-only, no network)\n"
        "                          and add what it opened, executed and listed\n"
        "      --trace-net         the traced commands get the host's network\n"
        "      --trace-report FILE each path in the image and why it is there\n"
        "      --tz                add /usr/share/zoneinfo\n"
        "  -q, --quiet             only errors\n"
        "  -v, --verbose           say what is done\n"
        "  -h, --help              this text\n"
        "      --version           print the version\n"
        "\n"
        "SOURCE_DATE_EPOCH, when set, clamps every mtime in the image.\n";

int mkroot_help(void)
{
        fputs(usage_text, stdout);
        return 0;
}

int mkroot_version(void)
{
        puts("mkroot " MKROOT_VERSION);
        return 0;
}

static const struct {
        const char *name;
        int (*main)(int argc, char **argv);
} subcommands[] = {
        {"deps", mkroot_deps_main},   {"ls", mkroot_ls_main},           {"fetch", fetch_main},
        {"build", mkroot_build_main}, {"inspect", mkroot_inspect_main}, {"diff", mkroot_diff_main},
        {"cache", mkroot_cache_main}, {"push", mkroot_push_main},
};

/* Edits (insert, delete, change, swap two neighbours) from a to b; more
 * than any typo for long words. */
static size_t edit_distance(const char *a, const char *b)
{
        enum { N = 16 };
        size_t la = strlen(a), lb = strlen(b);
        if (la >= N || lb >= N)
                return N;
        size_t d[N][N];
        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
                        if (d[i - 1][j] + 1 < v)
                                v = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < v)
                                v = d[i][j - 1] + 1;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < v)
                                v = d[i - 2][j - 2] + 1;
                        d[i][j] = v;
                }
        return d[la][lb];
}

/* The subcommand a first word was likely meant to be ("dep": "deps"), or
 * NULL. Only for a word that is not a path mkroot could add: no option,
 * no '/' or ':', no file here, no --root to look in; and only one edit
 * away for a word of up to three letters, two for longer ones. */
static const char *near_subcommand(int argc, char **argv)
{
        const char *w = argv[1];
        struct stat st;
        if (w[0] == '-' || w[0] == '\0' || strpbrk(w, "/:") || lstat(w, &st) == 0 ||
            errno != ENOENT)
                return NULL;
        for (int i = 2; i < argc; i++)
                if (!strncmp(argv[i], "--r", 3))
                        return NULL;
        size_t best = strlen(w) <= 3 ? 1 : 2;
        const char *found = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
                size_t d = edit_distance(w, subcommands[i].name);
                if (d <= best && (!found || d < best)) {
                        best = d;
                        found = subcommands[i].name;
                }
        }
        return found;
}

int main(int argc, char **argv)
{
        log_init("mkroot");
        /* libarchive stores non-ASCII names as UTF-8 in pax headers, which
         * takes a UTF-8 character type; the rest of the locale stays "C". */
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
                setlocale(LC_CTYPE, "");
        if (argc >= 2)
                for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                        if (!strcmp(argv[1], subcommands[i].name))
                                return subcommands[i].main(argc - 1, argv + 1);
        const char *near = argc >= 2 ? near_subcommand(argc, argv) : NULL;
        if (near) {
                log_error("unknown command '%s'; did you mean '%s'?", argv[1], near);
                return EXIT_USAGE;
        }
        return mkroot_add_main(argc, argv);
}
