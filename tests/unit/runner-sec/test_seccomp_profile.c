/* docker's JSON seccomp profile (--security-opt seccomp=FILE): the parser's
 * checks and messages, and a profile loaded in a forked child (mkdir
 * refused with EPERM, everything else works; a rule included only with
 * CAP_SYS_ADMIN applies only when the set keeps it). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "security-internal.h"
#include "test.h"

static char dir[TEST_TMPL_MAX];

static char *write_profile(const char *name, const char *text)
{
        char *path = path_join(dir, name);
        err_t e = {0};
        if (fs_write_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, &e) < 0)
                abort();
        return path;
}

/* The message for text, or "" when it parses. */
static char *parse_msg(const char *text)
{
        sec_profile *p = NULL;
        err_t e = {0};
        int r = sec_profile_parse(text, strlen(text), "seccomp profile p.json", &p, &e);
        if (r == 0) {
                CHECK(p != NULL);
                sec_profile_free(p);
                return xstrdup("");
        }
        CHECK(p == NULL);
        CHECK(strchr(e.msg, '\n') == NULL);
        return xstrdup(e.msg);
}

/* text's message holds want and names the file ("" for none: it parses). */
static void check_msg(const char *text, const char *want, int line)
{
        _cleanup_free_ char *m = parse_msg(text);
        bool ok = *want ? strstr(m, want) && strstr(m, "p.json") : !*m;
        if (!ok)
                fprintf(stderr, "line %d: message \"%s\", want \"%s\"\n", line, m, want);
        CHECK(ok);
}
#define CHECK_MSG(text, want) check_msg(text, want, __LINE__)

static void case_parse(int argc, char **argv)
{
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", "");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"no_such_call\"], \"action\": \"SCMP_ACT_ERRNO\"}], \"comment\": 1}",
                  "");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_NOPE\"}", "unknown action \"SCMP_ACT_NOPE\"");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"mkdir\"], \"action\": \"SCMP_ACT_EPERM\"}]}",
                  "syscalls[0]: unknown action \"SCMP_ACT_EPERM\"");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
                  "syscalls: expected an array");
        CHECK_MSG("{\"defaultAction\": 3}", "defaultAction: expected a string");
        CHECK_MSG("[]", "expected a JSON object");
        CHECK_MSG("{\"defaultAction\": ", "not valid JSON");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", "not valid JSON");
        CHECK_MSG("{}", "no defaultAction");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\", "
                  "\"names\": [\"b\"], \"action\": \"SCMP_ACT_LOG\"}]}",
                  "both name and names");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}", "negative");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"kill\"], "
                  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, "
                  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
                  "too large");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"kill\"], "
                  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"LT\"}]}]}",
                  "unknown op \"LT\"");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY is not supported");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86_64\"]}",
                  "unknown architecture \"x86_64\"");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                  "[\"SCMP_ARCH_NOSUCH\"]}",
                  "");
        CHECK_MSG("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"bpf\"], "
                  "\"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": \"CAP_SYS_ADMIN\"}}]}",
                  "expected an array");

        /* A file that is not there names it. */
        sec_opts o;
        sec_opts_init(&o);
        o.seccomp_profile = "/nonexistent/p.json";
        err_t e = {0};
        CHECK(sec_opts_validate(&o, &e) < 0);
        CHECK(strstr(e.msg, "/nonexistent/p.json") != NULL);
        sec_opts_free(&o);
}

static const char mkdir_profile[] =
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
        " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],\n"
        " \"syscalls\": [\n"
        "  {\"names\": [\"mkdir\", \"mkdirat\", \"no_such_call\"], \"action\": "
        "\"SCMP_ACT_ERRNO\",\n"
        "   \"errnoRet\": 1},\n"
        "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,\n"
        "   \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}\n";

/* In a child: apply o, then "mkdir=ERRNO open=ERRNO getppid=ERRNO". */
static char *probe(const sec_opts *o, const char *sub)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                err_t e = {0};
                if (sec_apply(o, &e) < 0) {
                        dprintf(p[1], "apply-error=%s", e.msg);
                        _exit(0);
                }
                int m = mkdir(sub, 0755) < 0 ? errno : 0;
                int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int op = fd < 0 ? errno : 0;
                /* glibc's getppid does not set errno */
                int pp = syscall(SYS_getppid) < 0 ? errno : 0;
                dprintf(p[1], "mkdir=%d open=%d getppid=%d", m, op, pp);
                _exit(0);
        }
        close(p[1]);
        char buf[512] = "";
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        return xstrdup(buf);
}

static void case_load(int argc, char **argv)
{
        if (geteuid() != 0) {
                TEST_SKIP("needs root (capabilities are cut in the child)");
                return;
        }
        _cleanup_free_ char *path = write_profile("p.json", mkdir_profile);
        _cleanup_free_ char *sub = path_join(dir, "sub");
        sec_opts o;
        sec_opts_init(&o);
        o.seccomp_profile = path;
        err_t e = {0};
        CHECK_INT(sec_opts_validate(&o, &e), 0);
        /* With and without no_new_privs (the filter goes in before or after
         * the capabilities are cut). */
        for (int nnp = 0; nnp < 2; nnp++) {
                o.no_new_privs = nnp;
                _cleanup_free_ char *out = probe(&o, sub);
                fprintf(stderr, "nnp=%d: %s\n", nnp, out);
                CHECK_STR(out, "mkdir=1 open=0 getppid=0");
        }
        /* Compiled on the host side beforehand, as runner_run does. */
        sec_filter *f = NULL;
        CHECK_INT(sec_filter_prepare(&o, -1, &f, &e), 0);
        o.filter = f;
        _cleanup_free_ char *pre = probe(&o, sub);
        CHECK_STR(pre, "mkdir=1 open=0 getppid=0");
        o.filter = NULL;
        sec_filter_free(f);
        /* includes.caps: the getppid rule only with CAP_SYS_ADMIN kept. */
        strv_push(&o.cap_add, "SYS_ADMIN");
        _cleanup_free_ char *admin = probe(&o, sub);
        CHECK_STR(admin, "mkdir=1 open=0 getppid=13");
        /* The same calls without a filter: the profile is what refuses. */
        o.seccomp = false;
        _cleanup_free_ char *none = probe(&o, sub);
        CHECK_STR(none, "mkdir=0 open=0 getppid=0");
        rmdir(sub);
        sec_opts_free(&o);
}

static void remove_dir(void)
{
        _cleanup_free_ char *p = path_join(dir, "p.json");
        _cleanup_free_ char *sub = path_join(dir, "sub");
        unlink(p);
        rmdir(sub);
        rmdir(dir);
}

int main(int argc, char **argv)
{
        if (!mkdtemp(test_tmpl(dir, "test-seccomp-profile")))
                return 1;
        atexit(remove_dir);
        TEST_CASES(argc, argv, {"parse", case_parse}, {"load", case_load});
}
