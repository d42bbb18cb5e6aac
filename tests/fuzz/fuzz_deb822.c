/* libFuzzer harness for builder/apt's parsers of untrusted text: deb822
 * (Packages, Release, sources), Release fields, relations, Debian versions,
 * the Packages index + selection on whatever parsed, and debootstrap's
 * scripts read as data. The first byte picks the target; the rest is the
 * input. */
#include <stdlib.h>
#include <string.h>

#include "apt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const err_t *e)
{
        /* A failure always explains itself on one line. */
        if (e->msg[0] == '\0' || strchr(e->msg, '\n'))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        unsigned mode = data[0] % 6;
        const char *in = (const char *)data + 1;
        size_t len = size - 1;
        err_t e = {0};
        switch (mode) {
        case 0: {
                deb822 d;
                if (deb822_parse(in, len, "fuzz", &d, &e) < 0) {
                        check_err(&e);
                        break;
                }
                size_t total = 0;
                for (size_t p = 0; p < d.n_paras; p++) {
                        if (d.paras[p].first + d.paras[p].n > d.n_fields)
                                abort();
                        for (size_t f = 0; f < d.paras[p].n; f++) {
                                const deb822_field *fl = &d.fields[d.paras[p].first + f];
                                total += strlen(fl->name) + strlen(fl->value);
                                if (deb822_get(&d, p, fl->name) == NULL)
                                        abort();
                        }
                }
                if (total > len)
                        abort(); /* the parser only ever shrinks its input */
                /* A manifest's Signed-By may be an armored key. */
                const char *sb = deb822_get(&d, 0, "Signed-By");
                void *bin = NULL;
                size_t blen = 0;
                if (sb && apt_dearmor(sb, &bin, &blen, &e) == 0) {
                        if (blen > strlen(sb))
                                abort();
                        free(bin);
                } else if (sb) {
                        check_err(&e);
                }
                deb822_free(&d);
                break;
        }
        case 1: {
                apt_release r;
                if (apt_release_parse(in, len, "fuzz", &r, &e) < 0) {
                        check_err(&e);
                        break;
                }
                for (size_t i = 0; i < r.n_files; i++)
                        if (strlen(r.files[i].sha256) != 64 || r.files[i].size < 0)
                                abort();
                apt_release_check_dates(&r, 1700000000, false, "fuzz", &e);
                apt_release_free(&r);
                break;
        }
        case 2: {
                char *s = strndup(in, len);
                apt_rel_list l;
                if (apt_rel_parse(s, "fuzz", &l, &e) < 0)
                        check_err(&e);
                else
                        apt_rel_list_free(&l);
                free(s);
                break;
        }
        case 3: {
                /* Two versions split at the first NUL: antisymmetry. */
                const char *nul = memchr(in, '\0', len);
                char *va = strndup(in, nul ? (size_t)(nul - in) : len);
                char *vb = nul ? strndup(nul + 1, len - (size_t)(nul - in) - 1) : strdup("1.0");
                int x = debver_cmp(va, vb), y = debver_cmp(vb, va);
                if ((x < 0 && y <= 0) || (x > 0 && y >= 0) || (x == 0 && y != 0))
                        abort();
                (void)debver_valid(va);
                free(va);
                free(vb);
                break;
        }
        case 4: {
                apt_index *x = apt_index_new("amd64");
                if (apt_index_add(x, in, len, "fuzz", &e) < 0) {
                        check_err(&e);
                } else {
                        apt_selection s;
                        if (apt_select(x, APT_VARIANT_MINBASE, NULL, NULL, &s, &e) == 0) {
                                if (s.n_required > s.n)
                                        abort();
                                apt_selection_free(&s);
                        } else {
                                check_err(&e);
                        }
                }
                apt_index_free(x);
                break;
        }
        case 5: {
                /* Whatever a script says, a mirror taken is a plain URL. */
                static const char *const arches[] = {"amd64", "arm64", "riscv64"};
                const char *arch = arches[len % 3];
                char *m = apt_debootstrap_script_mirror(in, len, "bionic", arch);
                if (m && ((strncmp(m, "http://", 7) && strncmp(m, "https://", 8) &&
                           strncmp(m, "file://", 7)) ||
                          strpbrk(m, "$`\\\"' \t\r\n")))
                        abort();
                free(m);
                break;
        }
        }
        return 0;
}
