/* registry: references, docker://NAME[:TAG][@sha256:HEX], checked against
 * the grammar of docker's reference package (domain, lowercase path
 * components, tag, digest) before anything is handed to skopeo. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define DOCKER_PREFIX "docker://"

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
        return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* HOST[:PORT]: components of letters, digits and inner '-', joined by
 * '.'. */
static bool host_ok(const char *s, size_t n)
{
        const char *colon = memchr(s, ':', n);
        size_t hn = colon ? (size_t)(colon - s) : n;
        if (colon) {
                size_t pn = n - hn - 1;
                if (pn == 0 || pn > 5 || strspn(colon + 1, "0123456789") < pn)
                        return false;
        }
        if (hn == 0)
                return false;
        for (size_t i = 0; i < hn; i++) {
                bool edge = i == 0 || i == hn - 1 || s[i - 1] == '.' || s[i + 1] == '.';
                if (alnum(s[i]) || (s[i] == '-' && !edge))
                        continue;
                if (s[i] == '.' && i > 0 && i < hn - 1 && s[i - 1] != '.')
                        continue;
                return false;
        }
        return true;
}

/* A path component: [a-z0-9]+ joined by '.', '_', "__" or dashes. */
static bool component_ok(const char *s, size_t n)
{
        if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i < n; i++) {
                if (lower_alnum(s[i]))
                        continue;
                if (s[i] == '.' || s[i] == '_') {
                        bool dunder = s[i] == '_' && s[i + 1] == '_';
                        if (!lower_alnum(s[i - 1]) || (!dunder && !lower_alnum(s[i + 1])))
                                return false;
                        i += dunder;
                        continue;
                }
                if (s[i] != '-')
                        return false;
        }
        return true;
}

static bool tag_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 128 || !(alnum(s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!alnum(s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

/* The first component is a registry's host (docker's rule). */
static bool names_host(const char *name, size_t n)
{
        return memchr(name, '.', n) || memchr(name, ':', n) ||
               (n == 9 && !strncmp(name, "localhost", 9));
}

static int ref_split(const char *arg, bool need_host, registry_ref *ret, err_t *e)
{
        /* No reference holds a control byte; the messages below quote
         * parts of arg, which must stay one line. */
        for (const char *c = arg; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                        char shown[256];
                        return err_set(e, -EINVAL, "\"%s\": a control character in a reference",
                                       str_esc(arg, shown, sizeof shown));
                }
        const char *s = arg;
        if (!strncmp(s, DOCKER_PREFIX, strlen(DOCKER_PREFIX)))
                s += strlen(DOCKER_PREFIX);
        registry_ref r = {0};
        const char *at = strchr(s, '@');
        if (at) {
                if (strncmp(at + 1, "sha256:", 7) != 0 || strlen(at + 8) != DIGEST_HEX_LEN ||
                    strspn(at + 8, "0123456789abcdef") != DIGEST_HEX_LEN)
                        return err_set(e, -EINVAL, "%s: a digest is @sha256: and 64 lowercase hex",
                                       arg);
                memcpy(r.digest, at + 8, DIGEST_HEX_LEN + 1);
        }
        size_t len = at ? (size_t)(at - s) : strlen(s);
        const char *slash = memchr(s, '/', len);
        size_t first = slash ? (size_t)(slash - s) : len;
        bool host = slash && names_host(s, first);
        if (need_host && !host)
                return err_set(e, -EINVAL,
                               "%s: not HOST/NAME (a registry's host has a '.' or a "
                               "':', or is localhost)",
                               arg);
        if (host && !host_ok(s, first))
                return err_set(e, -EINVAL, "%s: \"%.*s\" is not a registry's HOST[:PORT]", arg,
                               (int)first, s);
        /* The tag's ':' comes after the last '/'. */
        const char *path = host ? slash + 1 : s;
        size_t plen = len - (size_t)(path - s), last = 0;
        for (size_t i = 0; i < plen; i++)
                if (path[i] == '/')
                        last = i + 1;
        const char *colon = NULL;
        for (size_t i = last; i < plen && !colon; i++)
                if (path[i] == ':')
                        colon = path + i;
        const char *end = colon ? colon : path + plen;
        if (colon) {
                _cleanup_free_ char *tag = xstrndup(colon + 1, (size_t)(path + plen - colon - 1));
                if (!tag_ok(tag))
                        return err_set(e, -EINVAL,
                                       "%s: tag \"%s\" is not 1 to 128 letters, digits, '_', '.' "
                                       "or '-'",
                                       arg, tag);
                r.tag = steal_pointer(&tag);
        }
        for (const char *p = path; p <= end;) {
                const char *q = memchr(p, '/', (size_t)(end - p));
                size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
                if (!component_ok(p, n)) {
                        free(r.tag);
                        return err_set(e, -EINVAL,
                                       "%s: \"%.*s\" is not a name component (lowercase letters "
                                       "and digits, joined by '.', '_' or '-')",
                                       arg, (int)n, p);
                }
                if (!q)
                        break;
                p = q + 1;
        }
        r.name = xstrndup(s, (size_t)(end - s));
        *ret = r;
        return 0;
}

bool registry_ref_wanted(const char *arg)
{
        if (!strncmp(arg, DOCKER_PREFIX, strlen(DOCKER_PREFIX)))
                return true;
        registry_ref r;
        err_t e = {0};
        if (ref_split(arg, true, &r, &e) < 0)
                return false;
        registry_ref_free(&r);
        return true;
}

int registry_ref_parse(const char *arg, registry_ref *ret, err_t *e)
{
        bool prefixed = !strncmp(arg, DOCKER_PREFIX, strlen(DOCKER_PREFIX));
        return ref_split(arg, !prefixed, ret, e);
}

void registry_ref_free(registry_ref *r)
{
        free(r->name);
        free(r->tag);
        memset(r, 0, sizeof(*r));
}

char *registry_ref_pinned(const char *arg, const char hex[DIGEST_HEX_LEN + 1])
{
        registry_ref r;
        err_t e = {0};
        if (registry_ref_parse(arg, &r, &e) < 0)
                return NULL;
        char *s = xasprintf(DOCKER_PREFIX "%s%s%s@sha256:%s", r.name, r.tag ? ":" : "",
                            r.tag ? r.tag : "", hex);
        registry_ref_free(&r);
        return s;
}
