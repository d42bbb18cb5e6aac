#include <string.h>

#include "common.h"

static void *oom(void)
{
        static const char msg[] = "out of memory\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        return p ? p : oom();
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        return p ? p : oom();
}

void *xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);
        return q ? q : oom();
}

void *xreallocarray(void *p, size_t n, size_t size)
{
        void *q = reallocarray(p, n ? n : 1, size ? size : 1);
        return q ? q : oom();
}

char *xstrdup(const char *s)
{
        char *p = strdup(s);
        return p ? p : oom();
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);
        return p ? p : oom();
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? oom() : s;
}

static void sb_grow(strbuf *b, size_t extra)
{
        if (b->len + extra + 1 <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1)
                cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
}

void sb_appendn(strbuf *b, const char *s, size_t n)
{
        sb_grow(b, n);
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

void sb_append(strbuf *b, const char *s)
{
        sb_appendn(b, s, strlen(s));
}

void sb_appendf(strbuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        sb_grow(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

char *sb_steal(strbuf *b)
{
        char *s = b->s ? b->s : xstrdup("");
        b->s = NULL;
        b->len = b->cap = 0;
        return s;
}

void sb_free(strbuf *b)
{
        free(b->s);
        b->s = NULL;
        b->len = b->cap = 0;
}

void strv_push_take(strv *a, char *s)
{
        if (a->n + 2 > a->cap) {
                a->cap = a->cap ? a->cap * 2 : 8;
                a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
        }
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

void strv_push(strv *a, const char *s)
{
        strv_push_take(a, xstrdup(s));
}

char **strv_argv(strv *a)
{
        if (!a->v) {
                a->cap = 8;
                a->v = xcalloc(a->cap, sizeof *a->v);
        }
        return a->v;
}

bool strv_contains(const strv *a, const char *s)
{
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i], s) == 0)
                        return true;
        return false;
}

void strv_free(strv *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i]);
        free(a->v);
        a->v = NULL;
        a->n = a->cap = 0;
}
