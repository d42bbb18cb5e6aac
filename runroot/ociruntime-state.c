/* runroot as an OCI runtime: a container's directory under --root, its
 * state.json and the status worked out from its process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
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

bool oci_id_ok(const char *id)
{
        if (!*id || strlen(id) > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
                return false;
        for (const char *c = id; *c; c++)
                if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
                    !(*c >= '0' && *c <= '9') && !strchr("_+-.", *c))
                        return false;
        return true;
}

char *oci_cdir(const char *id)
{
        return path_join(oci_g.root, id);
}

unsigned long long oci_start_time(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        if (!p)
                return 0;
        /* Field 3 (state) is the first after the name: 22 is 19 further. */
        p += 2;
        if (*p == 'Z' || *p == 'X')
                return 0;
        for (int f = 3; f < 22 && p; f++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return p ? strtoull(p, NULL, 10) : 0;
}

void oci_ctr_free(ctr *c)
{
        free(c->id);
        free(c->dir);
        json_object_put(c->st);
}

int64_t oci_jint(json_object *j, const char *k)
{
        json_object *v = NULL;
        return json_object_object_get_ex(j, k, &v) ? json_object_get_int64(v) : 0;
}

void oci_jstrv(json_object *j, const char *k, strv *ret)
{
        json_object *a = NULL;
        if (!json_object_object_get_ex(j, k, &a) || !json_object_is_type(a, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *v = json_object_array_get_idx(a, i);
                if (json_object_is_type(v, json_type_string))
                        strv_push(ret, json_object_get_string(v));
        }
}

int oci_ctr_cgroup(const ctr *c, cgroup **ret, err_t *e)
{
        _cleanup_strv_ strv dirs = {0};
        oci_jstrv(c->st, "runroot.cgroup_dirs", &dirs);
        /* state.json of a runroot before the record: the runroot-* ones */
        if (!json_object_object_get_ex(c->st, "runroot.cgroup_dirs", NULL))
                return cg_open_pid(OCI_CG_ROOT, c->pid, ret, e);
        return cg_open_dirs(OCI_CG_ROOT, &dirs, ret, e);
}

/* The container id: 1 with the message printed when there is none. */
int oci_ctr_load(const char *id, ctr *ret)
{
        memset(ret, 0, sizeof *ret);
        if (!oci_id_ok(id)) {
                log_error("container \"%s\": not a valid container id", id);
                return 1;
        }
        ret->id = xstrdup(id);
        ret->dir = oci_cdir(id);
        _cleanup_free_ char *sf = path_join(ret->dir, "state.json");
        ret->st = json_object_from_file(sf);
        if (!ret->st) {
                log_error("container \"%s\" does not exist", id);
                oci_ctr_free(ret);
                return 1;
        }
        ret->pid = (pid_t)oci_jint(ret->st, "pid");
        unsigned long long want = (unsigned long long)oci_jint(ret->st, "runroot.starttime");
        bool alive = ret->pid > 0 && oci_start_time(ret->pid) == want && want;
        _cleanup_free_ char *fifo = path_join(ret->dir, "exec.fifo");
        ret->status = !alive ? "stopped" : access(fifo, F_OK) == 0 ? "created" : "running";
        /* Frozen by pause: paused until resume. */
        cgroup *cg = NULL;
        err_t e = {0};
        bool frozen = false;
        if (alive && oci_ctr_cgroup(ret, &cg, &e) == 0 && cg_is_frozen(cg, &frozen) == 0 && frozen)
                ret->status = "paused";
        cg_free(cg);
        return 0;
}

static const char *st_string(const ctr *c, const char *key)
{
        json_object *v = NULL;
        return json_object_object_get_ex(c->st, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* The specification's state (as hooks get it) with runc's members: pid
 * 0 once stopped, rootfs, created, owner empty (list fills it in), and
 * annotations only when there are some. */
json_object *oci_state_json(const ctr *c)
{
        json_object *an = NULL;
        json_object_object_get_ex(c->st, "annotations", &an);
        bool some = an && json_object_is_type(an, json_type_object) &&
                    json_object_object_length(an) > 0;
        json_object *j =
                runner_oci_state_new(c->id, c->status, 0, st_string(c, "bundle"), some ? an : NULL);
        if (!some)
                json_object_object_del(j, "annotations");
        json_object_object_add(j, "pid",
                               json_object_new_int(strcmp(c->status, "stopped") ? c->pid : 0));
        const char *rootfs = st_string(c, "runroot.rootfs");
        if (rootfs)
                json_object_object_add(j, "rootfs", json_object_new_string(rootfs));
        time_t created = (time_t)oci_jint(c->st, "runroot.created");
        char ts[40];
        struct tm tm;
        gmtime_r(&created, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_object_add(j, "created", json_object_new_string(ts));
        json_object_object_add(j, "owner", json_object_new_string(""));
        return j;
}

int oci_ctr_spec(const ctr *c, const char *process, size_t plen, runner_oci_spec *ret)
{
        _cleanup_free_ char *cf = path_join(c->dir, "config.json");
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, cf, 4 << 20, &text, &len, &e) < 0) {
                log_error("%s: %s", cf, e.msg);
                return EXIT_OCI;
        }
        const char *bundle = st_string(c, "bundle");
        if (runner_oci_spec_parse_process(text, len, process, plen, bundle ? bundle : "/", ret,
                                          &e) < 0) {
                log_error("%s", e.msg);
                return EXIT_OCI;
        }
        ret->hooks.id = c->id;
        ret->hooks.bundle = bundle;
        return 0;
}

int oci_remove_tree(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

int oci_usage_error(const char *cmd, const char *msg)
{
        log_error("%s: %s (see runroot --root DIR --help)", cmd, msg);
        return EXIT_OCI;
}

int oci_one_id(int argc, char **argv, const char *cmd, ctr *ret)
{
        if (argc != 2) {
                oci_usage_error(cmd, "expected one container id");
                return EXIT_OCI;
        }
        return oci_ctr_load(argv[1], ret);
}

int oci_console_connect(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path) {
                log_error("--console-socket %s: path too long", path);
                return -ENAMETOOLONG;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int r = -errno;
                log_error("--console-socket %s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        return fd;
}

int oci_write_pid_file(const char *file, pid_t pid)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", file);
        FILE *f = fopen(tmp, "we");
        if (!f || fprintf(f, "%d", (int)pid) < 0 || fclose(f) != 0 || rename(tmp, file) < 0) {
                log_error("--pid-file %s: %s", file, strerror(errno));
                unlink(tmp);
                return -1;
        }
        return 0;
}
