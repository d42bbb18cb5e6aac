/* The runtime state of detached containers: one directory per container
 * id under /run/runroot (root) or $XDG_RUNTIME_DIR/runroot, holding
 *   state.json     {"id", "name", "cache": the store's directory, "remove":
 *                  --rm, "log_max_size", "log_max_file", "monitor_pid",
 *                  "monitor_start", and once the command ended "exit",
 *                  "finished"}, always replaced whole (rename)
 *   monitor.lock   flock'd by the monitor for as long as it lives: a
 *                  monitor SIGKILLed, or a reboot, leaves it free
 *   lock           flock'd around every change of state.json
 *   container.log  the command's output in docker's json-file format, and
 *                  container.log.1 ... when rotated (newest first). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int state_root(bool create, char **ret, err_t *e)
{
        _cleanup_free_ char *root = NULL;
        if (geteuid() == 0) {
                root = xstrdup("/run/runroot");
        } else {
                const char *xdg = getenv("XDG_RUNTIME_DIR");
                if (!xdg || xdg[0] != '/')
                        return err_set(e, -ENOENT,
                                       "XDG_RUNTIME_DIR is not set: detached containers keep "
                                       "their state there (export XDG_RUNTIME_DIR=/run/user/%u)",
                                       (unsigned)getuid());
                root = path_join(xdg, "runroot");
        }
        if (create && mkdir(root, 0700) < 0 && errno != EEXIST)
                return err_sys(e, errno, "%s", root);
        struct stat st;
        if (lstat(root, &st) < 0)
                return err_sys(e, errno, "%s", root);
        /* Another user's directory there could lie about any container. */
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
                return err_set(e, -EPERM, "%s: not a directory of this user's alone", root);
        *ret = steal_pointer(&root);
        return 0;
}

static bool id_ok(const char *id)
{
        return strlen(id) == RUNNER_ID_LEN && strspn(id, "0123456789abcdef") == RUNNER_ID_LEN;
}

int state_open(const char *id, bool create, int *ret_dfd, err_t *e)
{
        if (!id || !id_ok(id))
                return err_set(e, -EINVAL, "container id \"%s\": expected %d hex digits",
                               id ? id : "", RUNNER_ID_LEN);
        _cleanup_free_ char *root = NULL;
        int r = state_root(create, &root, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = path_join(root, id);
        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return err_sys(e, errno, "%s", dir);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : err_sys(e, errno, "%s", dir);
        *ret_dfd = fd;
        return 0;
}

int state_remove(const char *id, err_t *e)
{
        _cleanup_free_ char *root = NULL;
        if (!id_ok(id))
                return 0;
        int r = state_root(false, &root, e);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return errno == ENOENT ? 0 : err_sys(e, errno, "%s", root);
        r = fs_rm_rf_at(rfd, id, e);
        return r < 0 ? err_prefix(e, "%s", root) : 0;
}

json_object *state_read(int dfd)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (fs_read_file_at(dfd, "state.json", 65536, &data, &len, NULL) < 0 || strlen(data) != len)
                return NULL;
        json_object *j = json_tokener_parse(data);
        if (j && !json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                return NULL;
        }
        return j;
}

int state_write(int dfd, json_object *j, err_t *e)
{
        const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *line = xasprintf("%s\n", s);
        return fs_write_atomic_at(dfd, "state.json", line, strlen(line), 0600, e);
}

int state_update(int dfd, void (*change)(json_object *j, void *arg), void *arg, err_t *e)
{
        _cleanup_close_ int lk =
                openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lk < 0)
                return err_sys(e, errno, "state lock");
        while (flock(lk, LOCK_EX) < 0)
                if (errno != EINTR)
                        return err_sys(e, errno, "state lock");
        json_object *j = state_read(dfd);
        if (!j)
                j = json_object_new_object();
        change(j, arg);
        int r = state_write(dfd, j, e);
        json_object_put(j);
        return r;
}

bool state_monitor_alive(int dfd)
{
        _cleanup_close_ int fd = openat(dfd, "monitor.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
                return false;
        return errno == EWOULDBLOCK;
}
