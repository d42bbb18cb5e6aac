/* OCI hooks (config.json's hooks): each one a child process with the
 * container's state on stdin (a memfd: a hook that never reads it cannot
 * block us), its stdout and stderr on our stderr, in a process group of its
 * own so that a timeout kills whatever it started as well. Which process
 * calls them (the host side, the container before pivot_root, the command
 * before its exec) is the caller's choice. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

const char *const runner_hook_names[RUNNER_HOOK_MAX] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

void runner_hooks_free(runner_hooks *h)
{
        for (int k = 0; k < RUNNER_HOOK_MAX; k++) {
                for (size_t i = 0; i < h->n[k]; i++) {
                        free(h->v[k][i].path);
                        strv_free(&h->v[k][i].args);
                        strv_free(&h->v[k][i].env);
                }
                free(h->v[k]);
        }
        memset(h, 0, sizeof *h);
}

json_object *runner_oci_state_new(const char *id, const char *status, pid_t pid, const char *bundle,
                                  json_object *annotations)
{
        json_object *j = json_object_new_object();
        json_object_object_add(j, "ociVersion", json_object_new_string(RUNNER_OCI_SPEC_VERSION));
        json_object_object_add(j, "id", json_object_new_string(id ? id : ""));
        json_object_object_add(j, "status", json_object_new_string(status));
        if (pid > 0)
                json_object_object_add(j, "pid", json_object_new_int(pid));
        if (bundle)
                json_object_object_add(j, "bundle", json_object_new_string(bundle));
        json_object_object_add(j, "annotations",
                               annotations ? json_object_get(annotations)
                                           : json_object_new_object());
        return j;
}

/* The state as a file at offset 0, for the hook's stdin. */
static int state_fd(const char *state, err_t *e)
{
        _cleanup_close_ int fd = memfd_create("oci-state", MFD_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "the state for its stdin");
        size_t len = strlen(state), off = 0;
        while (off < len) {
                ssize_t n = write(fd, state + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return err_sys(e, n < 0 ? errno : EIO, "the state for its stdin");
                off += (size_t)n;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return err_sys(e, errno, "the state for its stdin");
        return steal_fd(&fd);
}

static _Noreturn void hook_exec(const runner_hook *h, int in, int report)
{
        /* Nothing of ours: the caller's blocked or ignored signals would
         * survive the exec. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < 32; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        int err = 0;
        if (setpgid(0, 0) < 0 || dup2(in, 0) < 0 || dup2(2, 1) < 0)
                err = errno;
        if (!err) {
                char *alone[] = {h->path, NULL};
                static char *no_env[] = {NULL};
                execve(h->path, h->args.n ? h->args.v : alone, h->env.n ? h->env.v : no_env);
                err = errno;
        }
        (void)!write(report, &err, sizeof err);
        _exit(127);
}

static long ms_left(const struct timespec *end)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (long)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Until pid ends (its wait status), or -ETIMEDOUT once timeout seconds
 * (0: none) have passed: its process group is killed then. */
static int hook_wait(pid_t pid, int timeout, int *ret_status)
{
        if (timeout > 0) {
                struct timespec end;
                clock_gettime(CLOCK_MONOTONIC, &end);
                end.tv_sec += timeout;
                _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
                bool ended = false;
                long ms;
                while (!ended && (ms = ms_left(&end)) > 0) {
                        if (pfd >= 0) {
                                struct pollfd p = {.fd = pfd, .events = POLLIN};
                                int n = poll(&p, 1, (int)ms);
                                ended = n > 0;
                                if (n < 0 && errno != EINTR)
                                        close(steal_fd(&pfd)); /* polled below */
                                continue;
                        }
                        /* No pidfd (before Linux 5.3): asked every 10 ms. */
                        int st = 0;
                        if (waitpid(pid, &st, WNOHANG) == pid) {
                                *ret_status = st;
                                return 0;
                        }
                        poll(NULL, 0, ms < 10 ? (int)ms : 10);
                }
                if (!ended) {
                        kill(-pid, SIGKILL);
                        kill(pid, SIGKILL);
                        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                        return -ETIMEDOUT;
                }
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_status = st;
        return 0;
}

static int hook_run(const runner_hook *h, const char *state, err_t *e)
{
        _cleanup_close_ int in = state_fd(state, e);
        if (in < 0)
                return in;
        int rep[2];
        if (pipe2(rep, O_CLOEXEC) < 0)
                return err_sys(e, errno, "pipe");
        pid_t pid = fork();
        if (pid < 0) {
                int err = errno;
                close(rep[0]);
                close(rep[1]);
                return err_sys(e, err, "fork");
        }
        if (pid == 0) {
                close(rep[0]);
                hook_exec(h, in, rep[1]);
        }
        close(rep[1]);
        /* The exec's errno, or nothing once it ran. */
        int err = 0;
        ssize_t n;
        while ((n = read(rep[0], &err, sizeof err)) < 0 && errno == EINTR)
                ;
        close(rep[0]);
        int st = 0;
        int r = hook_wait(pid, h->timeout, &st);
        if (n == (ssize_t)sizeof err && err)
                return err_sys(e, err, "%s", h->path);
        if (r == -ETIMEDOUT)
                return err_set(e, r, "%s: timed out after %d s (killed)", h->path, h->timeout);
        if (r < 0)
                return err_sys(e, -r, "%s: wait", h->path);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFEXITED(st))
                return err_set(e, -EIO, "%s: exited with status %d", h->path, WEXITSTATUS(st));
        const char *sig = WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : NULL;
        return err_set(e, -EIO, "%s: killed by SIG%s", h->path, sig ? sig : "?");
}

int runner_hooks_run(const runner_hooks *h, runner_hook_kind kind, const char *status, pid_t pid,
                     err_t *e)
{
        if (!h || (unsigned)kind >= RUNNER_HOOK_MAX || !h->n[kind])
                return 0;
        json_object *j = runner_oci_state_new(h->id, status, pid, h->bundle, h->annotations);
        _cleanup_free_ char *state = xstrdup(json_object_to_json_string_ext(
                j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        bool after = kind == RUNNER_HOOK_POSTSTART || kind == RUNNER_HOOK_POSTSTOP;
        for (size_t i = 0; i < h->n[kind]; i++) {
                err_t e2 = {0};
                int r = hook_run(&h->v[kind][i], state, &e2);
                if (r == 0)
                        continue;
                err_t why = {0};
                err_set(&why, r, "hooks.%s[%zu]: %s", runner_hook_names[kind], i, e2.msg);
                runner_printable(why.msg);
                if (!after)
                        return err_set(e, r, "%s", why.msg);
                log_warn("%s", why.msg);
        }
        return 0;
}
