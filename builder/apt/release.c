/* InRelease: signature check through gpgv (or sqv, as apt does), then the
 * Release fields that matter: dates and the SHA256 list. Only the text the
 * verifier itself printed is parsed, so nothing outside the signed part
 * can be smuggled in. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "apt.h"

extern char **environ;

#define RELEASE_MAX ((size_t)64 << 20)

/* Run argv with stdout captured (up to RELEASE_MAX) and stderr dropped;
 * returns the exit status or a negative errno. */
static int run_capture(char *const argv[], char **ret_out, size_t *ret_len, err_t *e)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return err_sys(e, errno, "pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[1]);
        if (rc != 0) {
                close(pfd[0]);
                return err_sys(e, rc, "%s", argv[0]);
        }
        strbuf out = {0};
        char buf[65536];
        for (;;) {
                ssize_t n = fd_read(pfd[0], buf, sizeof(buf));
                if (n <= 0)
                        break;
                if (out.len + (size_t)n <= RELEASE_MAX)
                        sb_appendn(&out, buf, (size_t)n);
        }
        close(pfd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        sb_free(&out);
                        return err_sys(e, errno, "waitpid");
                }
        *ret_len = out.len;
        *ret_out = sb_steal(&out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int apt_dearmor(const char *armored, void **ret, size_t *ret_len, err_t *e)
{
        const char *begin = strstr(armored, "-----BEGIN PGP");
        if (!begin)
                return err_set(e, -EBADMSG, "no \"-----BEGIN PGP\" line");
        const char *p = strchr(begin, '\n');
        if (!p)
                return err_set(e, -EBADMSG, "truncated armor");
        p++;
        /* Armor headers ("Version: ...") end at the first empty line; a
         * block without headers starts right away. */
        const char *blank = strstr(p, "\n\n");
        const char *colon = strchr(p, ':');
        const char *eol = strchr(p, '\n');
        if (colon && eol && colon < eol && blank)
                p = blank + 2;
        else if (*p == '\n')
                p++;
        strbuf b64 = {0};
        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                if (n >= 5 && !strncmp(p, "-----", 5))
                        break;
                if (n > 0 && p[0] != '=') /* '=' starts the CRC24 line */
                        for (size_t i = 0; i < n; i++)
                                if (p[i] != '\r' && p[i] != ' ')
                                        sb_appendn(&b64, p + i, 1);
                if (!nl) {
                        sb_free(&b64);
                        return err_set(e, -EBADMSG, "armor without an END line");
                }
                p = nl + 1;
        }
        if (b64.len == 0 || b64.len % 4) {
                sb_free(&b64);
                return err_set(e, -EBADMSG, "bad base64 in armor");
        }
        unsigned char *out = xmalloc(b64.len / 4 * 3 + 1);
        int n = EVP_DecodeBlock(out, (const unsigned char *)b64.s, (int)b64.len);
        if (n < 0) {
                free(out);
                sb_free(&b64);
                return err_set(e, -EBADMSG, "bad base64 in armor");
        }
        /* EVP_DecodeBlock counts padding as data. */
        size_t len = (size_t)n;
        if (b64.s[b64.len - 1] == '=')
                len--;
        if (b64.s[b64.len - 2] == '=')
                len--;
        sb_free(&b64);
        *ret = out;
        *ret_len = len;
        return 0;
}

/* A keyring gpgv can read: binary files as they are, armored ones (as
 * apt's Signed-By allows) decoded to a temporary file next to tmpdir. */
static int keyring_for_gpgv(const char *keyring, const char *tmpdir, char **ret_path,
                            bool *ret_temp, err_t *e)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int rc = fs_read_file_at(AT_FDCWD, keyring, 16 << 20, &data, &len, e);
        if (rc < 0)
                return err_prefix(e, "keyring");
        if (len < 14 || strncmp(data, "-----BEGIN PGP", 14) != 0) {
                *ret_path = realpath(keyring, NULL);
                if (!*ret_path)
                        return err_sys(e, errno, "%s", keyring);
                *ret_temp = false;
                return 0;
        }
        _cleanup_free_ void *bin = NULL;
        size_t blen;
        rc = apt_dearmor(data, &bin, &blen, e);
        if (rc < 0)
                return err_prefix(e, "%s", keyring);
        char *tmp = xasprintf("%s/keyring-XXXXXX", tmpdir);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                rc = err_sys(e, errno, "%s", tmp);
                free(tmp);
                return rc;
        }
        rc = fd_write_all(fd, bin, blen);
        if (rc < 0) {
                rc = err_sys(e, -rc, "%s", tmp);
                unlink(tmp);
                free(tmp);
                return rc;
        }
        *ret_path = tmp;
        *ret_temp = true;
        return 0;
}

static const char *status_reason(const char *status)
{
        if (strstr(status, "[GNUPG:] NO_PUBKEY"))
                return "signed by a key that is not in the keyring";
        if (strstr(status, "[GNUPG:] BADSIG"))
                return "bad signature";
        if (strstr(status, "[GNUPG:] EXPKEYSIG"))
                return "signed by an expired key";
        if (strstr(status, "[GNUPG:] REVKEYSIG"))
                return "signed by a revoked key";
        if (strstr(status, "[GNUPG:] NODATA"))
                return "not signed";
        return "signature verification failed";
}

/* apt's rule: at least one good signature by a valid key of the keyring
 * and no bad one; a signature by a key we do not have is ignored
 * (archives are signed by several keys). */
static int gpgv_verdict(const char *status, err_t *e)
{
        /* GOODSIG is only given for a key that is neither expired nor
         * revoked (those get EXPKEYSIG/REVKEYSIG instead). */
        bool bad = strstr(status, "[GNUPG:] BADSIG") != NULL;
        bool good = strstr(status, "[GNUPG:] GOODSIG") && strstr(status, "[GNUPG:] VALIDSIG");
        if (bad || !good)
                return err_set(e, -EBADMSG, "%s", status_reason(status));
        return 0;
}

static int verify_gpgv(const char *gpgv, const char *key, const char *inrelease, const char *dir,
                       char **ret_text, size_t *ret_len, err_t *e)
{
        _cleanup_free_ char *tmp = xasprintf("%s/verified-XXXXXX", dir);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", tmp);
        /* gpgv writes only the signed text to --output, and refuses to
         * overwrite: the name is reserved, then freed for it. */
        unlink(tmp);
        char *argv[] = {(char *)gpgv, "--status-fd",     "1", "--keyring", (char *)key, "--output",
                        tmp,          (char *)inrelease, NULL};
        _cleanup_free_ char *status = NULL;
        size_t status_len;
        int rc = run_capture(argv, &status, &status_len, e);
        if (rc >= 0)
                rc = gpgv_verdict(status, e);
        if (rc == 0)
                rc = fs_read_file_at(AT_FDCWD, tmp, RELEASE_MAX, ret_text, ret_len, e);
        unlink(tmp);
        return rc;
}

static int verify_sqv(const char *sqv, const char *key, const char *inrelease, char **ret_text,
                      size_t *ret_len, err_t *e)
{
        char *argv[] = {(char *)sqv, "--keyring",       (char *)key,
                        "--message", (char *)inrelease, NULL};
        _cleanup_free_ char *text = NULL;
        size_t len;
        int rc = run_capture(argv, &text, &len, e);
        if (rc < 0)
                return rc;
        if (rc != 0)
                return err_set(e, -EBADMSG, "signature verification failed (sqv)");
        *ret_text = steal_pointer(&text);
        *ret_len = len;
        return 0;
}

int apt_release_verify(const char *inrelease, const char *keyring, char **ret_text, size_t *ret_len,
                       err_t *e)
{
        _cleanup_free_ char *gpgv = path_find_program("gpgv");
        _cleanup_free_ char *sqv = gpgv ? NULL : path_find_program("sqv");
        if (!gpgv && !sqv)
                return err_set(e, -ENOENT,
                               "neither gpgv nor sqv found: cannot verify (install gpgv)");
        _cleanup_free_ char *dir = path_dirname(inrelease);
        _cleanup_free_ char *key = NULL;
        bool key_temp = false;
        int rc = keyring_for_gpgv(keyring, dir, &key, &key_temp, e);
        if (rc < 0)
                return rc;
        if (gpgv)
                rc = verify_gpgv(gpgv, key, inrelease, dir, ret_text, ret_len, e);
        else
                rc = verify_sqv(sqv, key, inrelease, ret_text, ret_len, e);
        if (key_temp)
                unlink(key);
        return rc;
}

int apt_release_cleartext(const char *inrelease, char **ret_text, size_t *ret_len, err_t *e)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int rc = fs_read_file_at(AT_FDCWD, inrelease, RELEASE_MAX, &data, &len, e);
        if (rc < 0)
                return rc;
        const char *hdr = "-----BEGIN PGP SIGNED MESSAGE-----";
        if (strncmp(data, hdr, strlen(hdr)) != 0) {
                *ret_text = steal_pointer(&data);
                *ret_len = len;
                return 0;
        }
        const char *p = strstr(data, "\n\n");
        if (!p)
                return err_set(e, -EBADMSG, "%s: malformed signed message", inrelease);
        p += 2;
        strbuf b = {0};
        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                if (!strncmp(p, "-----BEGIN PGP SIGNATURE-----", 29))
                        break;
                if (n >= 2 && p[0] == '-' && p[1] == ' ')
                        sb_appendn(&b, p + 2, n - 2);
                else
                        sb_appendn(&b, p, n);
                sb_append(&b, "\n");
                if (!nl)
                        break;
                p = nl + 1;
        }
        *ret_len = b.len;
        *ret_text = sb_steal(&b);
        return 0;
}

int apt_parse_date(const char *s, int64_t *ret)
{
        struct tm tm = {0};
        const char *p = s;
        while (*p == ' ')
                p++;
        /* The weekday is optional and informative only. */
        const char *comma = strchr(p, ',');
        if (comma && comma - p <= 9)
                p = comma + 1;
        const char *end = strptime(p, " %d %b %Y %H:%M:%S", &tm);
        if (!end)
                return -EINVAL;
        while (*end == ' ')
                end++;
        long off = 0;
        if (*end == '+' || *end == '-') {
                int hh = 0, mm = 0;
                if (sscanf(end + 1, "%2d%2d", &hh, &mm) != 2)
                        return -EINVAL;
                off = (hh * 3600L + mm * 60L) * (*end == '-' ? -1 : 1);
        } else if (*end && strcasecmp(end, "UTC") && strcasecmp(end, "GMT") && strcmp(end, "Z")) {
                return -EINVAL;
        }
        *ret = (int64_t)timegm(&tm) - off;
        return 0;
}

int apt_release_parse(const char *text, size_t len, const char *what, apt_release *ret, err_t *e)
{
        _cleanup_deb822_ deb822 d = {0};
        int rc = deb822_parse(text, len, what, &d, e);
        if (rc < 0)
                return rc;
        if (d.n_paras != 1)
                return err_set(e, -EBADMSG, "%s: expected one paragraph, found %zu", what,
                               d.n_paras);
        apt_release r = {0};
        const char *v;
        if ((v = deb822_get(&d, 0, "Suite")))
                r.suite = xstrdup(v);
        if ((v = deb822_get(&d, 0, "Codename")))
                r.codename = xstrdup(v);
        if ((v = deb822_get(&d, 0, "Date")) && apt_parse_date(v, &r.date) < 0) {
                apt_release_free(&r);
                char sn[48];
                return err_set(e, -EBADMSG, "%s: bad Date \"%s\"", what,
                               apt_snip(v, 40, sn, sizeof(sn)));
        }
        if ((v = deb822_get(&d, 0, "Valid-Until")) && apt_parse_date(v, &r.valid_until) < 0) {
                apt_release_free(&r);
                char sn[48];
                return err_set(e, -EBADMSG, "%s: bad Valid-Until \"%s\"", what,
                               apt_snip(v, 40, sn, sizeof(sn)));
        }
        v = deb822_get(&d, 0, "Acquire-By-Hash");
        r.by_hash = v && !strcasecmp(v, "yes");
        v = deb822_get(&d, 0, "SHA256");
        if (!v) {
                apt_release_free(&r);
                return err_set(e, -EBADMSG, "%s: no SHA256 field", what);
        }
        size_t cap = 0;
        const char *p = v;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                if (n > 0) {
                        _cleanup_free_ char *line = xstrndup(p, n);
                        char hex[65], path[1024];
                        long long size;
                        if (sscanf(line, "%64s %lld %1023s", hex, &size, path) != 3 ||
                            strlen(hex) != 64 || size < 0 ||
                            strspn(hex, "0123456789abcdef") != 64) {
                                apt_release_free(&r);
                                char sn[88];
                                return err_set(e, -EBADMSG, "%s: bad SHA256 line \"%s\"", what,
                                               apt_snip(line, 80, sn, sizeof(sn)));
                        }
                        if (r.n_files == cap) {
                                cap = cap ? cap * 2 : 64;
                                r.files = xreallocarray(r.files, cap, sizeof(*r.files));
                        }
                        apt_release_file *f = &r.files[r.n_files++];
                        f->path = xstrdup(path);
                        memcpy(f->sha256, hex, 65);
                        f->size = size;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        *ret = r;
        return 0;
}

int apt_release_check_dates(const apt_release *r, int64_t now, bool allow_expired, const char *what,
                            err_t *e)
{
        /* apt tolerates small clock skew; a Release dated far ahead is a
         * replay or a broken clock either way. */
        if (r->date > now + 3600)
                return err_set(e, -EBADMSG, "%s: Date is in the future (check the clock)", what);
        if (r->valid_until && r->valid_until < now && !allow_expired)
                return err_set(e, -EKEYEXPIRED,
                               "%s: expired (Valid-Until passed); --allow-expired accepts it",
                               what);
        return 0;
}

const apt_release_file *apt_release_find(const apt_release *r, const char *path)
{
        for (size_t i = 0; i < r->n_files; i++)
                if (!strcmp(r->files[i].path, path))
                        return &r->files[i];
        return NULL;
}

void apt_release_free(apt_release *r)
{
        free(r->suite);
        free(r->codename);
        for (size_t i = 0; i < r->n_files; i++)
                free(r->files[i].path);
        free(r->files);
        *r = (apt_release){0};
}
