/* runroot ps and runroot rm: the containers are the writable layers that
 * --name keeps (running while a run holds one), shown and removed as
 * docker ps -a and docker rm show and remove stopped containers. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "runner.h"
#include "runroot.h"

/* A span of time as docker says it ("5 seconds", "About an hour"). */
static void human_duration(time_t secs, char *buf, size_t len)
{
        long long s = secs < 0 ? 0 : (long long)secs;
        long long m = s / 60, h = s / 3600;
        if (s < 1)
                snprintf(buf, len, "Less than a second");
        else if (s == 1)
                snprintf(buf, len, "1 second");
        else if (s < 60)
                snprintf(buf, len, "%lld seconds", s);
        else if (m == 1)
                snprintf(buf, len, "About a minute");
        else if (m < 60)
                snprintf(buf, len, "%lld minutes", m);
        else if (h == 1)
                snprintf(buf, len, "About an hour");
        else if (h < 48)
                snprintf(buf, len, "%lld hours", h);
        else if (h < 24 * 7 * 2)
                snprintf(buf, len, "%lld days", h / 24);
        else if (h < 24 * 30 * 2)
                snprintf(buf, len, "%lld weeks", h / 24 / 7);
        else if (h < 24 * 365 * 2)
                snprintf(buf, len, "%lld months", h / 24 / 30);
        else
                snprintf(buf, len, "%lld years", h / 24 / 365);
}

/* What ps shows of one container. */
typedef struct ps_row {
        char *id, *name, *image, *command, *created, *created_at, *state, *status, *pid;
} ps_row;

static void ps_row_free(ps_row *r)
{
        free(r->id);
        free(r->pid);
        free(r->name);
        free(r->image);
        free(r->command);
        free(r->created);
        free(r->created_at);
        free(r->state);
        free(r->status);
}

static ps_row ps_row_make(const runner_container *c, time_t now)
{
        ps_row r = {0};
        char d[64], at[96] = "";
        r.id = xasprintf("%.12s", c->id ? c->id : "");
        r.pid = c->running && c->pid > 0 ? xasprintf("%d", (int)c->pid) : xstrdup("");
        r.name = xstrdup(c->name);
        r.image = xstrdup(c->image ? c->image : "");
        _cleanup_sb_ strbuf cmd = {0};
        for (size_t i = 0; i < c->command.n; i++)
                sb_appendf(&cmd, "%s%s", i ? " " : "", c->command.v[i]);
        r.command = sb_steal(&cmd);
        if (c->created > 0) {
                human_duration(now - c->created, d, sizeof d);
                r.created = xasprintf("%s ago", d);
                struct tm tm;
                if (localtime_r(&c->created, &tm))
                        strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
        } else {
                r.created = xstrdup("");
        }
        r.created_at = xstrdup(at);
        r.state = xstrdup(c->running ? "running" : "exited");
        if (c->running && c->started > 0) {
                human_duration(now - c->started, d, sizeof d);
                r.status = xasprintf("Up %s", d);
        } else if (c->running) {
                r.status = xstrdup("Up");
        } else if (c->exit_code >= 0 && c->finished > 0) {
                human_duration(now - c->finished, d, sizeof d);
                r.status = xasprintf("Exited (%d) %s ago", c->exit_code, d);
        } else if (c->exit_code >= 0) {
                r.status = xasprintf("Exited (%d)", c->exit_code);
        } else {
                r.status = xstrdup("stopped"); /* ended without a record (killed) */
        }
        return r;
}

/* The command as the table shows it: quoted, cut at 20 characters. */
static char *command_cell(const char *cmd)
{
        size_t n = strlen(cmd);
        if (n <= 20)
                return xasprintf("\"%s\"", cmd);
        n = 19;
        while (n > 0 && ((unsigned char)cmd[n] & 0xc0) == 0x80)
                n--; /* not inside a UTF-8 character */
        return xasprintf("\"%.*s\xe2\x80\xa6\"", (int)n, cmd);
}

static void print_json(const ps_row *r)
{
        json_object *j = json_object_new_object();
        json_object_object_add(j, "ID", json_object_new_string(r->id));
        json_object_object_add(j, "Names", json_object_new_string(r->name));
        json_object_object_add(j, "Image", json_object_new_string(r->image));
        json_object_object_add(j, "Command", json_object_new_string(r->command));
        json_object_object_add(j, "CreatedAt", json_object_new_string(r->created_at));
        json_object_object_add(j, "RunningFor", json_object_new_string(r->created));
        json_object_object_add(j, "State", json_object_new_string(r->state));
        json_object_object_add(j, "Status", json_object_new_string(r->status));
        json_object_object_add(j, "Pid", json_object_new_int(r->pid[0] ? atoi(r->pid) : 0));
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
}

enum { COL_ID, COL_NAME, COL_IMAGE, COL_COMMAND, COL_CREATED, COL_STATUS, COL_PID, COL_MAX };

/* Columns a cell takes: its UTF-8 characters (the cut command's "..." is
 * one), not its bytes. */
static size_t cell_width(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xc0) != 0x80;
        return n;
}

/* Columns as docker ps aligns them: as wide as their widest cell, three
 * spaces apart. */
static void print_table(const ps_row *rows, size_t n)
{
        static const char *const head[COL_MAX] = {"CONTAINER ID", "NAME",   "IMAGE", "COMMAND",
                                                  "CREATED",      "STATUS", "PID"};
        size_t w[COL_MAX];
        char **cmds = xcalloc(n + 1, sizeof *cmds);
        for (int k = 0; k < COL_MAX; k++)
                w[k] = strlen(head[k]);
        for (size_t i = 0; i < n; i++) {
                cmds[i] = command_cell(rows[i].command);
                const char *cell[COL_MAX] = {rows[i].id, rows[i].name,    rows[i].image,
                                             cmds[i],    rows[i].created, rows[i].status,
                                             rows[i].pid};
                for (int k = 0; k < COL_MAX; k++)
                        if (cell_width(cell[k]) > w[k])
                                w[k] = cell_width(cell[k]);
        }
        for (size_t i = 0; i <= n; i++) {
                const char *const *cell =
                        i == 0 ? head
                               : (const char *const[COL_MAX]){
                                         rows[i - 1].id, rows[i - 1].name,    rows[i - 1].image,
                                         cmds[i - 1],    rows[i - 1].created, rows[i - 1].status,
                                         rows[i - 1].pid};
                /* The last cell unpadded: no trailing blanks. */
                int last = COL_MAX - 1;
                while (last > 0 && !cell[last][0])
                        last--;
                for (int k = 0; k < last; k++)
                        printf("%s%*s", cell[k], (int)(w[k] - cell_width(cell[k]) + 3), "");
                printf("%s\n", cell[last]);
        }
        for (size_t i = 0; i < n; i++)
                free(cmds[i]);
        free(cmds);
}

/* --cache-dir DIR or --cache-dir=DIR at argv[*i]: true (and *dir set,
 * *i past it) when it is one. */
static bool cache_dir_arg(int argc, char **argv, int *i, const char **dir)
{
        if (!strcmp(argv[*i], "--cache-dir") && *i + 1 < argc) {
                *dir = argv[++*i];
                return true;
        }
        if (!strncmp(argv[*i], "--cache-dir=", 12) && argv[*i][12]) {
                *dir = argv[*i] + 12;
                return true;
        }
        return false;
}

static const char ps_help[] =
        "Usage: runroot ps [-a|--all] [--format json|table] [--cache-dir DIR]\n"
        "List the running containers (the writable layers kept by name).\n"
        "\n"
        "  -a, --all               the stopped ones too\n"
        "      --format json|table one JSON object per line, or docker's columns (the\n"
        "                          default)\n" RUNROOT_SUB_HELP_TAIL;

static const char rm_help[] =
        "Usage: runroot rm [-f|--force] [--cache-dir DIR] NAME...\n"
        "Remove each container NAME (a writable layer kept by name).\n"
        "\n"
        "  -f, --force             stop a running one first (SIGTERM, then SIGKILL 10\n"
        "                          seconds later)\n" RUNROOT_SUB_HELP_TAIL;

int runroot_ps_main(const char *cache_dir, int argc, char **argv)
{
        bool all = false, json = false;
        for (int i = 1; i < argc; i++) {
                const char *fmt = NULL;
                if (!strcmp(argv[i], "--help")) {
                        fputs(ps_help, stdout);
                        return 0;
                }
                if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))
                        all = true;
                else if (!strcmp(argv[i], "--format") && i + 1 < argc)
                        fmt = argv[++i];
                else if (!strncmp(argv[i], "--format=", 9))
                        fmt = argv[i] + 9;
                else if (!cache_dir_arg(argc, argv, &i, &cache_dir)) {
                        log_error("ps: unexpected argument \"%s\" (see --help)", argv[i]);
                        return EXIT_RUNROOT;
                }
                if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "table") != 0) {
                        log_error("ps: --format %s: expected json or table", fmt);
                        return EXIT_RUNROOT;
                }
                if (fmt)
                        json = !strcmp(fmt, "json");
        }
        err_t e = {0};
        runner_container *v = NULL;
        size_t n = 0;
        if (runner_containers_list(cache_dir, all, &v, &n, &e) < 0) {
                log_error("ps: %s", e.msg);
                return EXIT_RUNROOT;
        }
        time_t now = time(NULL);
        ps_row *rows = xcalloc(n + 1, sizeof *rows);
        for (size_t i = 0; i < n; i++)
                rows[i] = ps_row_make(&v[i], now);
        runner_containers_free(v, n);
        if (json)
                for (size_t i = 0; i < n; i++)
                        print_json(&rows[i]);
        else
                print_table(rows, n);
        for (size_t i = 0; i < n; i++)
                ps_row_free(&rows[i]);
        free(rows);
        return fflush(stdout) == 0 ? 0 : EXIT_RUNROOT;
}

int runroot_rm_main(const char *cache_dir, int argc, char **argv)
{
        bool force = false;
        strv names = {0};
        bool opts = true;
        for (int i = 1; i < argc; i++) {
                if (opts && !strcmp(argv[i], "--help")) {
                        fputs(rm_help, stdout);
                        strv_free(&names);
                        return 0;
                }
                if (opts && !strcmp(argv[i], "--"))
                        opts = false;
                else if (opts && (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")))
                        force = true;
                else if (opts && cache_dir_arg(argc, argv, &i, &cache_dir))
                        continue;
                else if (opts && argv[i][0] == '-') {
                        log_error("rm: unknown option \"%s\" (see --help)", argv[i]);
                        strv_free(&names);
                        return EXIT_RUNROOT;
                } else
                        strv_push(&names, argv[i]);
        }
        if (!names.n) {
                log_error("rm: no container name given (see --help)");
                return EXIT_RUNROOT;
        }
        /* As docker rm: each name in turn; 1 when one of them is not
         * there or runs, 125 when runroot failed on one. */
        int rc = 0;
        for (size_t i = 0; i < names.n; i++) {
                err_t e = {0};
                int r = runner_container_remove(cache_dir, names.v[i], force, &e);
                if (r == 0) {
                        puts(names.v[i]);
                        continue;
                }
                if (r == -ENOENT && force)
                        continue; /* -f: gone is what was asked */
                log_error("rm: %s", e.msg);
                if (r != -ENOENT && r != -EBUSY)
                        rc = EXIT_RUNROOT;
                else if (rc == 0)
                        rc = 1;
        }
        strv_free(&names);
        if (fflush(stdout) != 0 && rc == 0)
                rc = EXIT_RUNROOT;
        return rc;
}
