/* mkroot deps PATH...: the shared objects each PATH loads, resolved as
 * ld.so would (builder/resolve.h), in ldd's format or as a tree. */
#include <getopt.h>
#include <string.h>

#include "builder.h"
#include "mkroot.h"
#include "resolve.h"

enum {
        OPT_TREE = 256,
        OPT_ROOT,
        OPT_LIBPATH,
};

/* Print one PATH's dependencies; 1 when it or one of them is missing. */
static int print_deps(resolver *r, const char *path, bool tree, bool several)
{
        err_t e = {0};
        dep_list *l = NULL;
        if (several && !tree)
                printf("%s:\n", path);
        if (resolver_resolve(r, path, &l, &e) < 0) {
                fflush(stdout);
                log_error("%s", e.msg);
                return 1;
        }
        if (tree)
                dep_list_print_tree(l, stdout);
        else
                dep_list_print_ldd(l, stdout);
        int ret = 0;
        for (size_t k = 1; k < l->n; k++)
                if (!l->objs[k].path)
                        ret = 1;
        dep_list_free(l);
        return ret;
}

int mkroot_deps_main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"tree", no_argument, NULL, OPT_TREE},
                {"root", required_argument, NULL, OPT_ROOT},
                {"library-path", required_argument, NULL, OPT_LIBPATH},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        bool tree = false;
        const char *root = NULL, *library_path = getenv("LD_LIBRARY_PATH");
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_TREE: tree = true; break;
                case OPT_ROOT: root = optarg; break;
                case OPT_LIBPATH: library_path = optarg; break;
                case 'h':
                        puts("Usage: mkroot deps [--tree] [--root DIR] [--library-path P] PATH...\n"
                             "Print the shared objects each PATH loads, resolved as ld.so would\n"
                             "(without running it), in ldd's format or, with --tree, as a tree.");
                        return 0;
                default: return mkroot_try_help("deps");
                }
        }
        if (optind >= argc)
                /* Said as mkroot's own usage error, as it always was. */
                return mkroot_usage(NULL, "%s", "deps: give at least one PATH");
        err_t e = {0};
        resolver *r = NULL;
        resolver_opts ro = {.root = root, .library_path = library_path};
        if (resolver_new(&ro, &r, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        int ret = 0;
        bool several = argc - optind > 1;
        for (int i = optind; i < argc; i++)
                if (print_deps(r, argv[i], tree, several) != 0)
                        ret = 1;
        resolver_free(r);
        if (fflush(stdout) != 0) {
                log_error("stdout: write error");
                return 1;
        }
        return ret;
}
