/* mkroot fetch --help: in its own file so that a build without fetch
 * (nofetch.c) prints the same text. */
#include <stdio.h>

#include "mkroot.h"

void mkroot_fetch_help(FILE *f)
{
        fputs("Usage: mkroot fetch [OPTIONS] SUITE\n"
              "Bootstrap a Debian or Ubuntu minbase root file system from an apt mirror\n"
              "and write it as an image (default SUITE.tar.gz).\n"
              "\n"
              "  -o, --output FILE        image to write (.tar.gz, .tar.zst, .tar.xz, .tar)\n"
              "      --mirror URL         mirror (http, https or file); default: $MKROOT_MIRROR,\n"
              "                           then the host's apt sources, debootstrap's script\n"
              "                           for the suite, then the manifest\n"
              "      --keyring FILE       keyring to verify InRelease with (binary or armored)\n"
              "      --arch ARCH          Debian architecture (default: the host's); another\n"
              "                           one's programs run through qemu-user-static\n"
              "      --variant NAME       minbase (default: required, Essential and apt),\n"
              "                           required (without apt), important (and Priority:\n"
              "                           important), buildd (minbase and build-essential)\n"
              "                           or essential (Essential: yes packages only)\n"
              "      --include PKG,...    add packages (and their dependencies)\n"
              "      --exclude PKG,...    leave packages out\n"
              "      --components C,...   archive components (default: the manifest's;\n"
              "                           Ubuntu's universe: main,universe)\n"
              "      --pockets P,...      release, updates, security (default: every one the\n"
              "                           suite has; the newest version of each package wins)\n"
              "      --allow-expired      accept a Release past its Valid-Until (archives)\n"
              "      --no-verify          do NOT check the Release signature (unsafe)\n"
              "      --cache-dir DIR      cache directory (default: $MKROOT_CACHE, ...)\n"
              "  -j, --connections N      parallel downloads (default 8)\n"
              "      --print-debs         print the selected packages and stop\n"
              "      --list               list the known suites: distribution, release, and\n"
              "                           whether this host has a mirror and keyring for each\n"
              "      --rebuild            build anew even when the cache holds the image\n"
              "                           made from the same signed Release and options\n"
              "      --dpkg-unpack        let dpkg --install unpack the essential set again,\n"
              "                           as debootstrap does (slower; for comparisons)\n"
              "      --no-tmpfs           build the tree on disk in the cache (default: on a\n"
              "                           private tmpfs when it fits in half the free memory)\n"
              "  -q, --quiet              no progress display\n"
              "  -v, --verbose            explain what happens\n"
              "  -h, --help               show this help\n"
              "\n"
              "SUITE is a name from the manifests directory (e.g. bookworm, jammy) or a path\n"
              "to a .deb822 suite manifest.\n",
              f);
}
