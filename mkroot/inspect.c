/* mkroot inspect IMAGE: an image's layers (size, digests, the step that
 * made each) and its config. */
#include <string.h>

#include "builder.h"
#include "mkroot.h"

static void print_argv(const char *label, const strv *v)
{
        printf("  %s: [", label);
        for (size_t i = 0; i < v->n; i++)
                printf("%s\"%s\"", i ? ", " : "", v->v[i]);
        printf("]\n");
}

static void print_config(const lay_config *c)
{
        printf("Config:\n");
        for (size_t i = 0; i < c->env.n; i++)
                printf("  Env: %s\n", c->env.v[i]);
        if (c->have_entrypoint)
                print_argv("Entrypoint", &c->entrypoint);
        if (c->have_cmd)
                print_argv("Cmd", &c->cmd);
        if (c->workdir)
                printf("  WorkingDir: %s\n", c->workdir);
        if (c->user)
                printf("  User: %s\n", c->user);
        for (size_t i = 0; i < c->labels.n; i++)
                printf("  Label: %s\n", c->labels.v[i]);
}

int mkroot_inspect_main(int argc, char **argv)
{
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
                puts("Usage: mkroot inspect IMAGE\n"
                     "Show an image's layers (size, digest, the step that made each) and config.\n"
                     "IMAGE: an OCI layout archive, a docker-save archive or a rootfs tarball.");
                return 0;
        }
        if (argc != 2)
                return mkroot_usage("inspect", "%s", "give exactly one IMAGE");
        err_t e = {0};
        lay_src src = {0};
        if (lay_src_open(NULL, argv[1], false, &src, &e) < 0) {
                log_error("%s", e.msg);
                return 1;
        }
        printf("%s: %s image, %zu layer%s\n", argv[1], src.kind, src.im.n_layers,
               src.im.n_layers == 1 ? "" : "s");
        printf("Layers:\n");
        for (size_t i = 0; i < src.im.n_layers; i++) {
                const lay_layer *l = &src.im.layers[i];
                char sz[32];
                mkroot_human_size(l->size, sz);
                printf("  %2zu  %10s  sha256:%s\n      diff_id sha256:%s\n      %s\n", i + 1, sz,
                       l->blob, l->diff, l->created_by && *l->created_by ? l->created_by : "-");
        }
        print_config(&src.im.config);
        lay_src_close(NULL, &src);
        if (fflush(stdout) != 0) {
                log_error("stdout: write error");
                return 1;
        }
        return 0;
}
