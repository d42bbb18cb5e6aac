/* debootstrap's scripts (DEBOOTSTRAP_DIR/scripts/SUITE) as data: the
 * default_mirror they name for a suite and an architecture. They are
 * shell, and never run: a small reader follows their `case $ARCH` and
 * `case $SUITE` statements and takes the default_mirror lines of the
 * branches those values select; anything it does not understand (other
 * variables, if/loops/functions) selects nothing. */
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt.h"

#define SCRIPT_MAX ((size_t)1 << 20)
#define CASE_DEPTH 16
#define URL_MAX 1024

typedef struct case_frame {
        const char *value; /* what the case tests, or NULL when not known */
        bool taken;        /* an earlier branch matched */
        bool in_branch;    /* between "pattern)" and ";;" */
        bool active;       /* the current branch is the one taken */
} case_frame;

typedef enum expect {
        EXPECT_COMMAND, /* a command starts */
        EXPECT_ARGS,    /* the rest of a command we skip */
        EXPECT_SUBJECT, /* after "case" */
        EXPECT_IN,      /* after "case WORD" */
        EXPECT_URL,     /* after "default_mirror" */
        EXPECT_MAX
} expect;

typedef struct reader {
        const char *suite, *arch;
        case_frame frames[CASE_DEPTH];
        size_t depth;
        size_t overflow; /* cases nested deeper than CASE_DEPTH */
        unsigned blocks; /* inside if/fi, {/}, do/done: never taken */
        const char *subject;
        expect ex;
        char *mirror; /* the last default_mirror taken (debootstrap's rule) */
        char pattern[4096];
        size_t pattern_len;
        bool in_pattern;
} reader;

static bool live(const reader *r)
{
        if (r->blocks || r->overflow)
                return false;
        for (size_t i = 0; i < r->depth; i++)
                if (!r->frames[i].in_branch || !r->frames[i].active)
                        return false;
        return true;
}

static case_frame *top(reader *r)
{
        return r->depth && !r->overflow ? &r->frames[r->depth - 1] : NULL;
}

/* The words of "$ARCH", "${SUITE}" and the like, quotes removed. */
static const char *subject_value(const reader *r, const char *w)
{
        if (!strcmp(w, "$ARCH") || !strcmp(w, "${ARCH}"))
                return r->arch;
        if (!strcmp(w, "$SUITE") || !strcmp(w, "${SUITE}"))
                return r->suite;
        return NULL;
}

static void unquote(char *w)
{
        size_t n = strlen(w), o = 0;
        for (size_t i = 0; i < n; i++)
                if (w[i] != '"' && w[i] != '\'')
                        w[o++] = w[i];
        w[o] = '\0';
}

/* "a|b|c" against the case's value; the branch is taken when it is the
 * first that matches. */
static void branch(reader *r, char *pats)
{
        case_frame *f = top(r);
        if (!f)
                return;
        bool match = false;
        char *p = pats;
        if (*p == '(')
                p++;
        char *save = NULL;
        for (char *alt = strtok_r(p, "|", &save); alt && f->value;
             alt = strtok_r(NULL, "|", &save)) {
                while (*alt == ' ' || *alt == '\t')
                        alt++;
                size_t n = strlen(alt);
                while (n && (alt[n - 1] == ' ' || alt[n - 1] == '\t'))
                        alt[--n] = '\0';
                unquote(alt);
                if (fnmatch(alt, f->value, 0) == 0)
                        match = true;
        }
        f->active = match && !f->taken;
        if (f->active)
                f->taken = true;
        f->in_branch = true;
}

static void push_case(reader *r, const char *value)
{
        if (r->depth == CASE_DEPTH || r->overflow) {
                r->overflow++;
                return;
        }
        r->frames[r->depth++] = (case_frame){.value = value};
}

static void pop_case(reader *r)
{
        if (r->overflow)
                r->overflow--;
        else if (r->depth)
                r->depth--;
}

static bool url_ok(const char *u)
{
        size_t n = strlen(u);
        if (n == 0 || n > URL_MAX || strpbrk(u, "$`\\\"'"))
                return false;
        /* One word: no blanks or control characters (a quoted value may
         * hold them), which would break the sources.list written. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
                        return false;
        return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8) || !strncmp(u, "file://", 7);
}

/* One word of the script, quotes kept (separators go to separator()). */
static void word(reader *r, char *w)
{
        case_frame *f = top(r);
        if (r->in_pattern || (r->ex == EXPECT_COMMAND && f && !f->in_branch)) {
                /* A pattern list up to ')', possibly over several words;
                 * or the case's "esac". */
                if (!r->in_pattern && !strcmp(w, "esac")) {
                        pop_case(r);
                        return;
                }
                char *close = strchr(w, ')');
                size_t n = close ? (size_t)(close - w) : strlen(w);
                if (r->pattern_len + n + 1 < sizeof(r->pattern)) {
                        memcpy(r->pattern + r->pattern_len, w, n);
                        r->pattern_len += n;
                }
                r->pattern[r->pattern_len] = '\0';
                r->in_pattern = !close;
                if (close) {
                        branch(r, r->pattern);
                        r->pattern_len = 0;
                        r->ex = EXPECT_COMMAND;
                        /* "pattern)command": the command starts here. */
                        if (close[1])
                                word(r, close + 1);
                }
                return;
        }
        switch (r->ex) {
        case EXPECT_COMMAND:
                if (!strcmp(w, "case")) {
                        r->ex = EXPECT_SUBJECT;
                } else if (!strcmp(w, "esac")) {
                        pop_case(r);
                } else if (!strcmp(w, "if") || !strcmp(w, "{") || !strcmp(w, "while") ||
                           !strcmp(w, "until") || !strcmp(w, "for")) {
                        /* for/while count at their do...done below. */
                        if (!strcmp(w, "if") || !strcmp(w, "{"))
                                r->blocks++;
                        else
                                r->ex = EXPECT_ARGS;
                } else if (!strcmp(w, "do")) {
                        r->blocks++;
                } else if (!strcmp(w, "fi") || !strcmp(w, "}") || !strcmp(w, "done")) {
                        if (r->blocks)
                                r->blocks--;
                } else if (!strcmp(w, "then") || !strcmp(w, "else") || !strcmp(w, "elif")) {
                        /* the next word starts a command */
                } else if (!strcmp(w, "default_mirror")) {
                        r->ex = EXPECT_URL;
                } else {
                        size_t n = strlen(w);
                        /* "name() {" opens a function body. */
                        if (n > 2 && !strcmp(w + n - 2, "()"))
                                r->ex = EXPECT_COMMAND;
                        else
                                r->ex = EXPECT_ARGS;
                }
                break;
        case EXPECT_SUBJECT:
                unquote(w);
                r->subject = subject_value(r, w);
                r->ex = EXPECT_IN;
                break;
        case EXPECT_IN:
                /* "in": the case opens (anything else is not shell). */
                if (!strcmp(w, "in"))
                        push_case(r, r->subject);
                r->ex = EXPECT_COMMAND;
                break;
        case EXPECT_URL:
                unquote(w);
                if (live(r) && url_ok(w)) {
                        free(r->mirror);
                        r->mirror = xstrdup(w);
                }
                r->ex = EXPECT_ARGS;
                break;
        default:
                /* "name () {": a function body follows. */
                if (!strcmp(w, "()"))
                        r->ex = EXPECT_COMMAND;
                break;
        }
}

static void separator(reader *r, bool double_semi)
{
        /* A "case WORD in" split over lines is still being read. */
        if (r->ex != EXPECT_SUBJECT && r->ex != EXPECT_IN)
                r->ex = EXPECT_COMMAND;
        if (double_semi) {
                case_frame *f = top(r);
                if (f)
                        f->in_branch = false;
                r->ex = EXPECT_COMMAND;
        }
}

char *apt_debootstrap_script_mirror(const char *text, size_t len, const char *suite,
                                    const char *arch)
{
        reader r = {.suite = suite, .arch = arch};
        strbuf w = {0};
        char quote = 0;
        bool comment = false;
        for (size_t i = 0; i <= len; i++) {
                char c = i < len ? text[i] : '\n';
                if (c == '\0')
                        c = '\n';
                if (comment) {
                        if (c != '\n')
                                continue;
                        comment = false;
                }
                if (quote) {
                        sb_appendn(&w, &c, 1);
                        if (c == quote)
                                quote = 0;
                        continue;
                }
                if (c == '"' || c == '\'') {
                        quote = c;
                        sb_appendn(&w, &c, 1);
                        continue;
                }
                if (c == '#' && w.len == 0) {
                        comment = true;
                        continue;
                }
                if (c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '\r') {
                        if (w.len) {
                                char *s = sb_steal(&w);
                                word(&r, s);
                                free(s);
                        }
                        if (c == ';' && i + 1 < len && text[i + 1] == ';') {
                                separator(&r, true);
                                i++;
                        } else if (c == ';' || c == '\n') {
                                if (!r.in_pattern)
                                        separator(&r, false);
                        }
                        continue;
                }
                sb_appendn(&w, &c, 1);
        }
        sb_free(&w);
        return r.mirror;
}

/* The distribution a script is for: its keyring line names the
 * distribution's keyring, or a default_mirror URL ends in /DIST. */
static bool script_of(const char *text, const char *dist)
{
        size_t dn = strlen(dist);
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t)(nl - line) : strlen(line);
                while (n && (*line == ' ' || *line == '\t')) {
                        line++;
                        n--;
                }
                _cleanup_free_ char *l = xstrndup(line, n);
                char *sp = strpbrk(l, " \t");
                if (sp) {
                        *sp = '\0';
                        char *arg = sp + 1;
                        arg += strspn(arg, " \t");
                        arg[strcspn(arg, " \t\r")] = '\0';
                        unquote(arg);
                        if (!strcmp(l, "keyring") && strcasestr(path_basename(arg), dist))
                                return true;
                        if (!strcmp(l, "default_mirror")) {
                                size_t an = strlen(arg);
                                while (an && arg[an - 1] == '/')
                                        an--;
                                if (an > dn && arg[an - dn - 1] == '/' &&
                                    !strncasecmp(arg + an - dn, dist, dn))
                                        return true;
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct script_file {
        dev_t dev;
        ino_t ino;
        size_t names;
        char *first; /* its first name, sorted */
        bool of_dist;
} script_file;

/* When there is no script named after the suite (a debootstrap older than
 * the suite), the distribution's current script: the file that most of
 * the distribution's suite names are (links to). */
static char *current_script(const char *dir, const char *dist)
{
        _cleanup_strv_ strv names = {0};
        if (fs_list_dir_at(AT_FDCWD, dir, &names) < 0)
                return NULL;
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
        script_file *files = NULL;
        size_t n_files = 0;
        for (size_t i = 0; i < names.n; i++) {
                if (names.v[i][0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(dir, names.v[i]);
                struct stat st;
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                size_t k = 0;
                while (k < n_files && (files[k].dev != st.st_dev || files[k].ino != st.st_ino))
                        k++;
                if (k == n_files) {
                        _cleanup_free_ char *text = NULL;
                        size_t len;
                        err_t e = {0};
                        if (fs_read_file_at(AT_FDCWD, p, SCRIPT_MAX, &text, &len, &e) < 0)
                                continue;
                        files = xreallocarray(files, n_files + 1, sizeof(*files));
                        files[n_files++] = (script_file){.dev = st.st_dev,
                                                         .ino = st.st_ino,
                                                         .first = xstrdup(names.v[i]),
                                                         .of_dist = script_of(text, dist)};
                }
                files[k].names++;
        }
        script_file *best = NULL;
        for (size_t k = 0; k < n_files; k++)
                if (files[k].of_dist && (!best || files[k].names > best->names))
                        best = &files[k];
        char *r = best ? path_join(dir, best->first) : NULL;
        for (size_t k = 0; k < n_files; k++)
                free(files[k].first);
        free(files);
        return r;
}

char *apt_debootstrap_mirror(const char *debootstrap_dir, const apt_suite *s, const char *arch)
{
        /* Only a plain suite name names a script (a manifest may say
         * anything in Suite:). */
        if (!*s->name || s->name[0] == '.' || strchr(s->name, '/') || !*s->distribution)
                return NULL;
        _cleanup_free_ char *dir = path_join(debootstrap_dir, "scripts");
        _cleanup_free_ char *own = path_join(dir, s->name);
        _cleanup_free_ char *script = NULL;
        if (access(own, R_OK) == 0)
                script = xstrdup(own);
        else if (!(script = current_script(dir, s->distribution)))
                return NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        err_t e = {0};
        if (fs_read_file_at(AT_FDCWD, script, SCRIPT_MAX, &text, &len, &e) < 0)
                return NULL;
        char *m = apt_debootstrap_script_mirror(text, len, s->name, arch);
        if (m)
                log_debug("%s: mirror %s from %s", s->name, m, script);
        return m;
}
