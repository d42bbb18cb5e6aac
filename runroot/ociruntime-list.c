/* runroot as an OCI runtime: state and list. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ociruntime.h"

int oci_cmd_state(int argc, char **argv)
{
        ctr c;
        int r = oci_one_id(argc, argv, "state", &c);
        if (r)
                return r;
        json_object *j = oci_state_json(&c);
        printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE |
                                                                 JSON_C_TO_STRING_SPACED));
        json_object_put(j);
        oci_ctr_free(&c);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int oci_cmd_list(int argc, char **argv)
{
        bool json = false, quiet = false;
        for (int i = 1; i < argc; i++) {
                if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc) {
                        const char *f = argv[++i];
                        if (strcmp(f, "json") && strcmp(f, "table"))
                                return oci_usage_error("list", "--format: expected json or table");
                        json = !strcmp(f, "json");
                } else if (!strcmp(argv[i], "--format=json"))
                        json = true;
                else if (!strcmp(argv[i], "--format=table"))
                        json = false;
                else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
                        quiet = true;
                else {
                        char m[128];
                        snprintf(m, sizeof m, "%.64s: unknown argument", argv[i]);
                        return oci_usage_error("list", m);
                }
        }
        json_object *arr = json_object_new_array();
        DIR *d = opendir(oci_g.root);
        if (!d && errno != ENOENT) {
                log_error("--root %s: %s", oci_g.root, strerror(errno));
                json_object_put(arr);
                return 1;
        }
        _cleanup_strv_ strv ids = {0};
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (oci_id_ok(de->d_name))
                        strv_push(&ids, de->d_name);
        if (d)
                closedir(d);
        if (ids.n)
                qsort(ids.v, ids.n, sizeof *ids.v, cmp_str);
        if (!json && !quiet)
                printf("%-12s %-8s %-10s %-40s %-20s %s\n", "ID", "PID", "STATUS", "BUNDLE",
                       "CREATED", "OWNER");
        for (size_t i = 0; i < ids.n; i++) {
                ctr c;
                if (oci_ctr_load(ids.v[i], &c))
                        continue;
                json_object *j = oci_state_json(&c);
                time_t created = (time_t)oci_jint(c.st, "runroot.created");
                char ts[40];
                struct tm tm;
                gmtime_r(&created, &tm);
                strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
                json_object *v = NULL;
                const char *bundle = json_object_object_get_ex(c.st, "bundle", &v)
                                             ? json_object_get_string(v)
                                             : "";
                /* The state directory's owner, as runc's list says. */
                char owner[256] = "";
                struct stat st;
                if (stat(c.dir, &st) == 0) {
                        struct passwd *pw = getpwuid(st.st_uid);
                        if (pw)
                                snprintf(owner, sizeof owner, "%s", pw->pw_name);
                        else
                                snprintf(owner, sizeof owner, "#%u", (unsigned)st.st_uid);
                }
                if (quiet)
                        printf("%s\n", c.id);
                else if (!json)
                        printf("%-12s %-8d %-10s %-40s %-20s %s\n", c.id,
                               strcmp(c.status, "stopped") ? c.pid : 0, c.status, bundle, ts,
                               owner);
                json_object_object_add(j, "owner", json_object_new_string(owner));
                json_object_array_add(arr, j);
                oci_ctr_free(&c);
        }
        /* runc's json of no containers is null. */
        if (json)
                printf("%s\n", json_object_array_length(arr) == 0
                                       ? "null"
                                       : json_object_to_json_string_ext(
                                                 arr, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return 0;
}
