/* runroot's command line for running an image, private to runroot/:
 * options.c parses it, usage.c has the --help texts, main.c dispatches. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "registry.h"
#include "runner.h"

/* What the command line says beyond the runner's config. */
typedef struct cli_opts {
        const char *entrypoint; /* --entrypoint: NULL when not given, "" to clear */
        bool detach;            /* -d */
        bool log_opt;           /* a --log-opt was given */
        runner_detach_opts d;   /* --rm, --log-opt */
        const char *net;        /* --net as given, NULL when not */
        registry_opts reg;      /* --tls-verify, --authfile */
} cli_opts;

/* Parse the options before IMAGE into cfg and cli (getopt_long, long
 * options only in full): -1 to go on with optind at IMAGE, else the exit
 * status (0 after --help or --version, EXIT_RUNROOT after the message). */
int runroot_parse_opts(int argc, char **argv, runner_config *cfg, cli_opts *cli);

/* runroot --help and runroot gc --help. */
void runroot_usage(FILE *f);
void runroot_gc_usage(void);
