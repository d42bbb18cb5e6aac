/* registry: skopeo run as a child, its stdout and stderr caught in memory
 * files; a failure is told by skopeo's own reason in one line. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define SKOPEO_ERR_MAX ((size_t)64 << 10)

void skopeo_reason(const char *err, size_t len, strbuf *ret)
{
        const char *end = err + len;
        while (end > err && (end[-1] == '\n' || end[-1] == ' '))
                end--;
        const char *line = end;
        while (line > err && line[-1] != '\n')
                line--;
        const char *msg = memmem(line, (size_t)(end - line), "msg=\"", 5);
        const char *p = msg ? msg + 5 : line;
        for (; p < end; p++) {
                if (msg && *p == '"')
                        break;
                if (msg && *p == '\\' && p + 1 < end)
                        p++;
                unsigned char c = (unsigned char)*p;
                sb_appendn(ret, c >= 0x20 && c != 0x7f ? (const char *)p : "?", 1);
        }
        if (!ret->len)
                sb_append(ret, "failed without saying why");
}

static int memfd(const char *name, err_t *e)
{
        int fd = memfd_create(name, MFD_CLOEXEC);
        return fd < 0 ? err_sys(e, errno, "memfd_create") : fd;
}

static _Noreturn void skopeo_exec(const char *exe, char **argv, int outfd, int errfd,
                                  const char *tmpdir)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
                _exit(126);
        if (tmpdir && setenv("TMPDIR", tmpdir, 1) < 0)
                _exit(126);
        execv(exe, argv);
        _exit(127);
}

int skopeo_run(const strv *args, const char *tmpdir, const char *what, char **ret_out,
               size_t *ret_len, err_t *e)
{
        _cleanup_free_ char *exe = path_find_program("skopeo");
        if (!exe)
                return err_set(e, -ENOENT,
                               "%s: skopeo: not found in $PATH (install the package "
                               "skopeo)",
                               what);
        _cleanup_strv_ strv argv = {0};
        strv_push(&argv, "skopeo");
        for (size_t i = 0; i < args->n; i++)
                strv_push(&argv, args->v[i]);
        _cleanup_close_ int outfd = memfd("skopeo-out", e);
        if (outfd < 0)
                return outfd;
        _cleanup_close_ int errfd = memfd("skopeo-err", e);
        if (errfd < 0)
                return errfd;
        pid_t pid = fork();
        if (pid < 0)
                return err_sys(e, errno, "%s: skopeo: fork", what);
        if (pid == 0)
                skopeo_exec(exe, argv.v, outfd, errfd, tmpdir);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return err_sys(e, errno, "%s: skopeo: waitpid", what);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                char *out = NULL;
                size_t n = 0;
                if (ret_out && (lseek(outfd, 0, SEEK_SET) < 0 ||
                                fd_read_all(outfd, SKOPEO_OUT_MAX, &out, &n) < 0))
                        return err_set(e, -EBADMSG,
                                       "%s: skopeo %s: output unreadable or over "
                                       "%zu bytes",
                                       what, args->v[0], SKOPEO_OUT_MAX);
                if (ret_out) {
                        *ret_out = out;
                        *ret_len = n;
                }
                return 0;
        }
        _cleanup_free_ char *err = NULL;
        size_t n = 0;
        off_t size = lseek(errfd, 0, SEEK_END);
        off_t from = size > (off_t)SKOPEO_ERR_MAX ? size - (off_t)SKOPEO_ERR_MAX : 0;
        if (size < 0 || lseek(errfd, from, SEEK_SET) < 0 ||
            fd_read_all(errfd, SKOPEO_ERR_MAX, &err, &n) < 0)
                n = 0;
        _cleanup_sb_ strbuf why = {0};
        if (WIFSIGNALED(status))
                sb_appendf(&why, "killed by signal %d", WTERMSIG(status));
        else if (WEXITSTATUS(status) == 127 && !n)
                sb_appendf(&why, "%s: cannot be run", exe);
        else
                skopeo_reason(err ? err : "", n, &why);
        return err_set(e, -EIO, "%s: skopeo %s: %s", what, args->v[0], why.s);
}

void skopeo_opts_push(strv *args, const registry_opts *o, const char *side)
{
        if (o && o->tls_verify >= 0)
                strv_push_take(args, xasprintf("--%stls-verify=%s", side,
                                               o->tls_verify ? "true" : "false"));
        if (o && o->authfile)
                strv_push_take(args, xasprintf("--%sauthfile=%s", side, o->authfile));
}

int registry_push(const char *path, bool docker, const char *arg, const registry_opts *o, err_t *e)
{
        registry_ref ref;
        int r = registry_ref_parse(arg, &ref, e);
        if (r < 0)
                return r;
        bool by_digest = ref.digest[0];
        _cleanup_free_ char *dst =
                xasprintf("docker://%s:%s", ref.name, ref.tag ? ref.tag : "latest");
        registry_ref_free(&ref);
        if (by_digest)
                return err_set(e, -EINVAL, "%s: push to a tag (NAME:TAG), not a digest", arg);
        _cleanup_strv_ strv args = {0};
        strv_push(&args, "copy");
        strv_push(&args, "--quiet");
        skopeo_opts_push(&args, o, "dest-");
        strv_push_take(&args, xasprintf("%s:%s", docker ? "docker-archive" : "oci-archive", path));
        strv_push(&args, dst);
        return skopeo_run(&args, NULL, arg, NULL, NULL, e);
}
