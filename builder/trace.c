#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace-syscalls.h"
#include "trace.h"

/* Per traced thread: the syscall it entered and the path it named. */
typedef struct tracee {
        pid_t tid;
        int op;       /* the trace_op of the syscall it is in, -1: none */
        char *path;   /* spelled path of an open or exec, made absolute */
        long fd;      /* getdents: the fd listed */
        bool started; /* its first stop (the attach's SIGSTOP) was seen */
} tracee;

typedef struct tracer {
        int log;
        strmap *seen; /* lines already written */
        tracee *t;
        size_t n, cap;
        uint32_t arch; /* of the first syscall stop (mkroot's own): the native one */
        bool have_arch;
} tracer;

static tracee *tracee_get(tracer *tr, pid_t tid, bool make)
{
        for (size_t i = 0; i < tr->n; i++)
                if (tr->t[i].tid == tid)
                        return &tr->t[i];
        if (!make)
                return NULL;
        if (tr->n == tr->cap) {
                tr->cap = tr->cap ? tr->cap * 2 : 16;
                tr->t = xrealloc(tr->t, tr->cap * sizeof *tr->t);
        }
        tr->t[tr->n] = (tracee){.tid = tid, .op = -1, .fd = -1};
        return &tr->t[tr->n++];
}

static void tracee_drop(tracer *tr, pid_t tid)
{
        for (size_t i = 0; i < tr->n; i++)
                if (tr->t[i].tid == tid) {
                        free(tr->t[i].path);
                        tr->t[i] = tr->t[--tr->n];
                        return;
                }
}

static void emit(tracer *tr, char kind, const char *path)
{
        if (!path || path[0] != '/' || strchr(path, '\n'))
                return;
        _cleanup_free_ char *line = xasprintf("%c %s\n", kind, path);
        if (strmap_has(tr->seen, line))
                return;
        strmap_put(tr->seen, line, NULL);
        size_t len = strlen(line);
        (void)!write(tr->log, line, len);
}

/* readlink of a /proc magic link, NULL when gone or not a path. */
static char *proc_link(pid_t tid, const char *what)
{
        char link[64], buf[PATH_MAX];
        snprintf(link, sizeof link, "/proc/%d/%s", (int)tid, what);
        ssize_t n = readlink(link, buf, sizeof buf - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        if (buf[0] != '/')
                return NULL; /* pipe:[..], socket:[..], anon_inode:... */
        static const char deleted[] = " (deleted)";
        size_t dl = sizeof deleted - 1;
        if ((size_t)n > dl && !strcmp(buf + n - dl, deleted))
                return NULL;
        return xstrdup(buf);
}

/* A NUL-terminated string from the tracee's memory. */
static char *read_string(pid_t tid, unsigned long addr)
{
        char buf[PATH_MAX];
        size_t got = 0;
        while (got < sizeof buf) {
                /* Up to the end of the page: the next one may be unmapped. */
                size_t chunk = 4096 - ((addr + got) & 4095);
                if (chunk > sizeof buf - got)
                        chunk = sizeof buf - got;
                struct iovec local = {buf + got, chunk};
                struct iovec remote = {(void *)(addr + got), chunk};
                ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
                if (n <= 0)
                        return NULL;
                char *z = memchr(buf + got, '\0', (size_t)n);
                if (z)
                        return xstrdup(buf);
                got += (size_t)n;
        }
        return NULL;
}

/* The path argument at addr made absolute against dirfd (AT_FDCWD: the
 * working directory) as the tracee sees them. */
static char *spelled(pid_t tid, long dirfd, unsigned long addr)
{
        _cleanup_free_ char *p = read_string(tid, addr);
        if (!p)
                return NULL;
        if (p[0] == '/')
                return steal_pointer(&p);
        char what[32];
        if (dirfd == AT_FDCWD)
                snprintf(what, sizeof what, "cwd");
        else
                snprintf(what, sizeof what, "fd/%ld", dirfd);
        _cleanup_free_ char *base = proc_link(tid, what);
        if (!base)
                return NULL;
        if (!p[0])
                return steal_pointer(&base);
        return path_join(base, p);
}

static void on_syscall_entry(tracer *tr, pid_t tid, const struct __ptrace_syscall_info *si)
{
        if (!tr->have_arch) {
                tr->arch = si->arch;
                tr->have_arch = true;
        }
        tracee *t = tracee_get(tr, tid, true);
        free(t->path);
        t->path = NULL;
        t->op = -1;
        trace_call c;
        if (!trace_decode(tr->arch, si->arch, si->entry.nr, &c))
                return;
        /* A 32-bit ABI's arguments are the low halves of the registers. */
        uint64_t a[6];
        for (size_t i = 0; i < ARRAY_SIZE(a); i++)
                a[i] = c.narrow ? (uint32_t)si->entry.args[i] : si->entry.args[i];
        if (c.op == TRACE_OP_LIST) {
                t->fd = (long)(int)a[c.arg];
        } else {
                long dirfd = c.dirfd < 0 ? AT_FDCWD : (long)(int)a[c.dirfd];
                t->path = spelled(tid, dirfd, a[c.arg]);
        }
        t->op = (int)c.op;
}

static void on_syscall_exit(tracer *tr, pid_t tid, const struct __ptrace_syscall_info *si)
{
        tracee *t = tracee_get(tr, tid, false);
        if (!t || t->op < 0)
                return;
        int op = t->op;
        t->op = -1;
        if (si->exit.is_error)
                return;
        char what[32];
        switch (op) {
        case TRACE_OP_OPEN: {
                emit(tr, 'o', t->path);
                snprintf(what, sizeof what, "fd/%lld", (long long)si->exit.rval);
                _cleanup_free_ char *reached = proc_link(tid, what);
                emit(tr, 'p', reached);
                break;
        }
        case TRACE_OP_LIST: {
                snprintf(what, sizeof what, "fd/%ld", t->fd);
                _cleanup_free_ char *dir = proc_link(tid, what);
                emit(tr, 'd', dir);
                break;
        }
        case TRACE_OP_STAT:
                /* stat, access, readlink: the path exists. Python, for
                 * one, only stats the source next to a cached module. */
                emit(tr, 's', t->path);
                break;
        default: break; /* an exec: recorded at its event */
        }
}

/* A successful exec: the path it was given and the program now running. */
static void on_exec(tracer *tr, pid_t pid)
{
        unsigned long former = 0;
        if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &former) < 0)
                former = (unsigned long)pid;
        tracee *t = tracee_get(tr, (pid_t)former, false);
        if (t && t->path)
                emit(tr, 'x', t->path);
        if ((pid_t)former != pid)
                tracee_drop(tr, (pid_t)former);
        t = tracee_get(tr, pid, true);
        t->op = -1;
        _cleanup_free_ char *exe = proc_link(pid, "exe");
        emit(tr, 'e', exe);
}

static int wait_status_code(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        return 128 + WTERMSIG(st);
}

static int trace_loop(tracer *tr, pid_t child)
{
        int st;
        if (waitpid(child, &st, __WALL) != child || !WIFSTOPPED(st))
                return 125;
        long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
        if (ptrace(PTRACE_SETOPTIONS, child, 0, opts) < 0 ||
            ptrace(PTRACE_SYSCALL, child, 0, 0) < 0) {
                kill(child, SIGKILL);
                return 125;
        }
        tracee_get(tr, child, true)->started = true;
        for (;;) {
                pid_t w = waitpid(-1, &st, __WALL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return 125;
                }
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                        tracee_drop(tr, w);
                        /* The command is done: what it left running goes
                         * with the tracer (PTRACE_O_EXITKILL). */
                        if (w == child)
                                return wait_status_code(st);
                        continue;
                }
                if (!WIFSTOPPED(st))
                        continue;
                int sig = WSTOPSIG(st), event = st >> 16, inject = 0;
                if (sig == (SIGTRAP | 0x80)) {
                        struct __ptrace_syscall_info si;
                        if (ptrace(PTRACE_GET_SYSCALL_INFO, w, sizeof si, &si) > 0) {
                                if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
                                        on_syscall_entry(tr, w, &si);
                                else if (si.op == PTRACE_SYSCALL_INFO_EXIT)
                                        on_syscall_exit(tr, w, &si);
                        }
                } else if (event == PTRACE_EVENT_EXEC) {
                        on_exec(tr, w);
                } else if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
                           event == PTRACE_EVENT_VFORK) {
                        unsigned long nt = 0;
                        if (ptrace(PTRACE_GETEVENTMSG, w, 0, &nt) == 0)
                                tracee_get(tr, (pid_t)nt, true);
                } else if (sig == SIGSTOP) {
                        /* A new thread's or child's first stop (it may come
                         * before the event that announces it) is the
                         * attach's own: swallowed, as strace does. */
                        tracee *t = tracee_get(tr, w, true);
                        if (t->started)
                                inject = sig;
                        t->started = true;
                } else if (sig != SIGTRAP) {
                        inject = sig;
                }
                ptrace(PTRACE_SYSCALL, w, 0, inject);
        }
}

void trace_before_exec(void *ctx)
{
        int log = *(int *)ctx;
        pid_t child = fork();
        if (child < 0)
                _exit(125);
        if (child == 0) {
                /* Dumpable again (the runner's init made the process tree
                 * non-dumpable): the tracer reads this process's path
                 * arguments before its first exec, which would do the same. */
                if (prctl(PR_SET_DUMPABLE, 1) < 0 || ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
                        _exit(125);
                /* mkroot's stdout may be the image (-o -): what the
                 * command prints goes to stderr. */
                if (dup2(2, 1) < 0)
                        _exit(125);
                raise(SIGSTOP);
                return; /* the caller execs, under the tracer */
        }
        tracer tr = {.log = log, .seen = strmap_new()};
        int code = trace_loop(&tr, child);
        _exit(code);
}

static bool pseudo(const char *p)
{
        static const char *const skip[] = {"/proc", "/sys", "/dev", "/tmp"};
        for (size_t i = 0; i < ARRAY_SIZE(skip); i++) {
                size_t n = strlen(skip[i]);
                if (!strncmp(p, skip[i], n) && (p[n] == '/' || p[n] == '\0'))
                        return true;
        }
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(strv *v)
{
        if (v->n < 2)
                return;
        qsort(v->v, v->n, sizeof *v->v, cmp_str);
        size_t o = 1;
        for (size_t i = 1; i < v->n; i++) {
                if (!strcmp(v->v[i], v->v[o - 1]))
                        free(v->v[i]);
                else
                        v->v[o++] = v->v[i];
        }
        v->n = o;
        v->v[o] = NULL;
}

/* Python imports a module only from its source's directory: the byte
 * code it reads from DIR/__pycache__/NAME.TAG.pyc is used only beside
 * DIR/NAME.py, which the run merely stat'ed. The source of traced byte
 * code comes with it, so that the image never has a module's byte code
 * without what makes Python find it (a single lost stat left
 * encodings/utf_8 unimportable: "unknown encoding: utf-8"). NULL: not
 * such a path. */
static char *pyc_source(const char *path)
{
        static const char cache[] = "/__pycache__/";
        const size_t cl = sizeof cache - 1;
        const char *name = strrchr(path, '/');
        if (!name || (size_t)(name + 1 - path) < cl || strncmp(name + 1 - cl, cache, cl))
                return NULL;
        name++;
        size_t n = strlen(name);
        const char *dot = strchr(name, '.');
        /* NAME.TAG.pyc: a module name has no dot, the tag is not empty. */
        if (n < 6 || strcmp(name + n - 4, ".pyc") || dot == name || dot >= name + n - 5)
                return NULL;
        return xasprintf("%.*s%.*s.py", (int)(name - cl - path) + 1, path, (int)(dot - name), name);
}

int trace_log_parse(const char *data, size_t len, const char *what, trace_log *ret, err_t *e)
{
        trace_log l = {0};
        unsigned line = 0;
        for (size_t i = 0; i < len;) {
                line++;
                const char *nl = memchr(data + i, '\n', len - i);
                if (!nl) {
                        trace_log_free(&l);
                        return err_set(e, -EINVAL, "%s:%u: line not terminated", what, line);
                }
                size_t n = (size_t)(nl - (data + i));
                const char *s = data + i;
                i += n + 1;
                if (n < 3 || s[1] != ' ' || s[2] != '/' || !strchr("opxeds", s[0]) ||
                    memchr(s, '\0', n)) {
                        trace_log_free(&l);
                        return err_set(e, -EINVAL, "%s:%u: not a trace record", what, line);
                }
                char *raw = xstrndup(s + 2, n - 2);
                _cleanup_free_ char *norm = path_normalize(raw);
                if (pseudo(norm)) {
                        free(raw);
                        continue;
                }
                /* ".." after a symbolic link is not lexical: such a path
                 * is kept as spelled, for the adder to walk as the kernel
                 * does. */
                bool dotdot =
                        strstr(raw, "/../") || (n >= 5 && !strcmp(raw + strlen(raw) - 3, "/.."));
                if (!dotdot) {
                        free(raw);
                        raw = steal_pointer(&norm);
                }
                char *source = s[0] == 'd' ? NULL : pyc_source(raw);
                strv_push_take(s[0] == 'd' ? &l.dirs : &l.paths, raw);
                if (source)
                        strv_push_take(&l.paths, source);
        }
        sort_unique(&l.paths);
        sort_unique(&l.dirs);
        *ret = l;
        return 0;
}

void trace_log_free(trace_log *l)
{
        strv_free(&l->paths);
        strv_free(&l->dirs);
}

int trace_split(const char *cmd, strv *ret, err_t *e)
{
        strv out = {0};
        _cleanup_sb_ strbuf w = {0};
        bool in_word = false;
        for (const char *p = cmd; *p; p++) {
                if (*p == ' ' || *p == '\t' || *p == '\n') {
                        if (in_word)
                                strv_push(&out, w.len ? w.s : "");
                        sb_free(&w);
                        in_word = false;
                        continue;
                }
                in_word = true;
                if (*p == '\\') {
                        if (!p[1]) {
                                strv_free(&out);
                                return err_set(e, -EINVAL, "'%s': ends in a backslash", cmd);
                        }
                        sb_appendf(&w, "%c", *++p);
                } else if (*p == '\'' || *p == '"') {
                        char q = *p;
                        const char *s = p + 1;
                        for (; *s && *s != q; s++) {
                                if (q == '"' && *s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                                        s++;
                                sb_appendf(&w, "%c", *s);
                        }
                        if (!*s) {
                                strv_free(&out);
                                return err_set(e, -EINVAL, "'%s': unterminated %c quote", cmd, q);
                        }
                        p = s;
                } else {
                        sb_appendf(&w, "%c", *p);
                }
        }
        if (in_word)
                strv_push(&out, w.len ? w.s : "");
        if (out.n == 0)
                return err_set(e, -EINVAL, "'%s': no command", cmd);
        *ret = out;
        return 0;
}
