/* oci/: OCI layout and docker-save archives made by hand, good and hostile.
 * Every refusal is checked for its message: one line, naming the archive
 * and the problem. */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ociarchive.h"
#include "test.h"

/* ---- a tar writer that lets a test lie ------------------------------------ */

typedef struct tarw {
        strbuf b;
} tarw;

/* len - 1 octal digits and a NUL (the value must fit). */
static void octal(char *f, size_t len, uint64_t v)
{
        for (size_t i = len - 1; i-- > 0; v >>= 3)
                f[i] = (char)('0' + (v & 7));
        f[len - 1] = '\0';
}

static void header(tarw *t, const char *name, char type, uint64_t size, bool bad_sum)
{
        char h[512] = {0};
        snprintf(h, 100, "%s", name);
        octal(h + 100, 8, 0644);
        octal(h + 108, 8, 0);
        octal(h + 116, 8, 0);
        octal(h + 124, 12, size);
        octal(h + 136, 12, 0);
        h[156] = type;
        memcpy(h + 257,
               "ustar\0"
               "00",
               8);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (size_t i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        octal(h + 148, 7, sum + (bad_sum ? 1 : 0));
        sb_appendn(&t->b, h, 512);
}

static void pad(tarw *t)
{
        static const char z[512];
        if (t->b.len % 512)
                sb_appendn(&t->b, z, 512 - t->b.len % 512);
}

static void add(tarw *t, const char *name, const char *data, size_t len)
{
        if (strlen(name) >= 100) {
                /* a pax header carries the long name */
                char rec[1024];
                /* "LEN path=NAME\n", LEN counting its own digits */
                size_t n = strlen(name) + 7, total = n;
                for (int k = 0; k < 3; k++)
                        total = n + (size_t)snprintf(NULL, 0, "%zu", total);
                int rl = snprintf(rec, sizeof(rec), "%zu path=%s\n", total, name);
                header(t, "PaxHeaders/x", 'x', (uint64_t)rl, false);
                sb_appendn(&t->b, rec, (size_t)rl);
                pad(t);
                header(t, "placeholder", '0', len, false);
        } else
                header(t, name, '0', len, false);
        sb_appendn(&t->b, data, len);
        pad(t);
}

static void adds(tarw *t, const char *name, const char *s)
{
        add(t, name, s, strlen(s));
}

/* The blob's name and hex digest for data, added as blobs/sha256/HEX. */
static char *blob(tarw *t, const char *data, size_t len)
{
        char hex[DIGEST_HEX_LEN + 1];
        digest_buf(data, len, hex);
        char *n = xasprintf("blobs/sha256/%s", hex);
        add(t, n, data, len);
        free(n);
        return xstrdup(hex);
}

static char *blobs(tarw *t, const char *s)
{
        return blob(t, s, strlen(s));
}

static char *hex_of(const char *s)
{
        char hex[DIGEST_HEX_LEN + 1];
        digest_buf(s, strlen(s), hex);
        return xstrdup(hex);
}

static const char *tmpdir;

/* Write the tar (two zero blocks at the end) and open it. */
static int open_tar(tarw *t, const char *name, oci_archive **ret, err_t *e)
{
        static const char z[1024];
        sb_appendn(&t->b, z, sizeof(z));
        char *p = path_join(tmpdir, name);
        int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, t->b.s, t->b.len) != (ssize_t)t->b.len)
                abort();
        free(p);
        sb_free(&t->b);
        err_clear(e);
        int r = oci_archive_open(fd, name, &oci_sha256_common, ret, e);
        close(fd);
        return r;
}

/* Opening must fail with a one-line message naming the archive and want. */
#define CHECK_REFUSED(t, name, want)                                                               \
        do {                                                                                       \
                oci_archive *_a = NULL;                                                            \
                err_t _e = {0};                                                                    \
                int _r = open_tar(t, name, &_a, &_e);                                              \
                CHECK(_r < 0);                                                                     \
                if (_r < 0 &&                                                                      \
                    (!strstr(_e.msg, name) || !strstr(_e.msg, want) || strchr(_e.msg, '\n'))) {    \
                        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", _e.msg, want);          \
                        CHECK(!"message names the archive and the problem");                       \
                }                                                                                  \
                if (_r == 0)                                                                       \
                        oci_archive_free(_a);                                                      \
        } while (0)

/* ---- OCI images ------------------------------------------------------------- */

static const char l1[] = "layer one, a gzip blob in spirit";
static const char l2[] = "layer two";

typedef struct oci_parts {
        const char *layer_type; /* NULL: gzip */
        const char *env;        /* the config's Env value, JSON */
        const char *config_extra;
        const char *layer2_digest; /* NULL: the real one */
        const char *layer2_size;   /* NULL: the real one */
        const char *manifest_type; /* NULL: OCI */
        bool tamper_config;        /* content differs from its digest */
        bool tamper_layer;
        bool drop_config, drop_layer;
        int nest; /* indexes between index.json and the manifest */
} oci_parts;

static void make_oci(tarw *t, const oci_parts *p)
{
        adds(t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        char *h1 = blob(t, l1, sizeof(l1) - 1);
        char *h2 = p->tamper_layer ? hex_of(l2) : NULL;
        if (p->tamper_layer) {
                char *n = xasprintf("blobs/sha256/%s", h2);
                adds(t, n, "layer TWO");
                free(n);
        } else if (!p->drop_layer)
                h2 = blob(t, l2, sizeof(l2) - 1);
        else
                h2 = hex_of(l2);
        char *d1 = hex_of("diff one"), *d2 = hex_of("diff two");
        char *cfg = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":%s,"
                              "\"Entrypoint\":null,\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"],"
                              "\"WorkingDir\":\"/srv\",\"User\":\"42:43\","
                              "\"Labels\":{\"a\":\"b\"}},"
                              "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\","
                              "\"sha256:%s\"]},\"history\":[{\"created_by\":\"one\"},"
                              "{\"created_by\":\"env\",\"empty_layer\":true},"
                              "{\"created_by\":\"two\"}]%s}",
                              p->env ? p->env : "[\"PATH=/bin\",\"A=1\"]", d1, d2,
                              p->config_extra ? p->config_extra : "");
        char *ch = hex_of(cfg);
        if (p->tamper_config) {
                char *n = xasprintf("blobs/sha256/%s", ch);
                cfg[strlen(cfg) - 1] = ' ';
                add(t, n, cfg, strlen(cfg));
                free(n);
        } else if (!p->drop_config)
                free(blobs(t, cfg));
        const char *lt = p->layer_type ? p->layer_type : OCI_MT_LAYER_GZ;
        char *l2d = p->layer2_digest ? xstrdup(p->layer2_digest) : xasprintf("sha256:%s", h2);
        char *l2s = p->layer2_size ? xstrdup(p->layer2_size) : xasprintf("%zu", sizeof(l2) - 1);
        char *man = xasprintf(
                "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                "\"digest\":\"sha256:%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\","
                "\"digest\":\"sha256:%s\",\"size\":%zu},{\"mediaType\":\"%s\",\"digest\":\"%s\","
                "\"size\":%s}]}",
                p->manifest_type ? p->manifest_type : OCI_MT_MANIFEST, OCI_MT_CONFIG, ch,
                strlen(cfg), OCI_MT_LAYER_GZ, h1, sizeof(l1) - 1, lt, l2d, l2s);
        char *cur = blobs(t, man);
        size_t cur_len = strlen(man);
        const char *cur_type = OCI_MT_MANIFEST;
        for (int i = 0; i < p->nest; i++) {
                char *x = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{"
                                    "\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu}]}",
                                    OCI_MT_INDEX, cur_type, cur, cur_len);
                free(cur);
                cur = blobs(t, x);
                cur_len = strlen(x);
                cur_type = OCI_MT_INDEX;
                free(x);
        }
        char *idx = xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\","
                              "\"digest\":\"sha256:%s\",\"size\":%zu}]}",
                              cur_type, cur, cur_len);
        adds(t, "index.json", idx);
        free(idx);
        free(cur);
        free(man);
        free(l2d);
        free(l2s);
        free(ch);
        free(cfg);
        free(d1);
        free(d2);
        free(h1);
        free(h2);
}

static void test_oci_good(void)
{
        for (int nest = 0; nest <= 2; nest++) {
                tarw t = {0};
                oci_parts p = {.nest = nest,
                               .layer_type = "application/vnd.oci.image.layer.v1.tar"};
                make_oci(&t, &p);
                oci_archive *a = NULL;
                err_t e = {0};
                int r = open_tar(&t, "good.oci.tar", &a, &e);
                CHECK_INT(r, 0);
                if (r != 0) {
                        fprintf(stderr, "  %s\n", e.msg);
                        continue;
                }
                const oci_image *im = oci_archive_image(a);
                CHECK_INT(im->kind, OCI_KIND_OCI);
                CHECK_INT(im->n_layers, 2);
                CHECK_INT(im->layers[0].compression, OCI_COMPRESSION_GZIP);
                CHECK_INT(im->layers[1].compression, OCI_COMPRESSION_NONE);
                CHECK_INT(im->layers[0].size, sizeof(l1) - 1);
                char *d1 = hex_of("diff one");
                CHECK_STR(im->layers[0].diff_id, d1);
                free(d1);
                CHECK_STR(im->layers[0].created_by, "one");
                CHECK_STR(im->layers[1].created_by, "two"); /* the empty_layer entry skipped */
                CHECK_INT(im->config.env.n, 2);
                CHECK_STR(im->config.env.v[1], "A=1");
                CHECK(!im->config.have_entrypoint); /* null is unset */
                CHECK(im->config.have_cmd && im->config.cmd.n == 3);
                CHECK_STR(im->config.workdir, "/srv");
                CHECK_STR(im->config.user, "42:43");
                CHECK_INT(im->config.labels.n, 1);
                CHECK_STR(im->config.labels.v[0], "a=b");
                CHECK_INT(strlen(im->config_digest), DIGEST_HEX_LEN);
                /* The layer's bytes are where the reader says. */
                char *p2 = path_join(tmpdir, "good.oci.tar");
                int fd = open(p2, O_RDONLY | O_CLOEXEC);
                char buf[64] = {0};
                CHECK(pread(fd, buf, sizeof(l1) - 1, im->layers[0].offset) ==
                      (ssize_t)sizeof(l1) - 1);
                CHECK_STR(buf, l1);
                close(fd);
                free(p2);
                char *out = path_join(tmpdir, "layer.out");
                fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                CHECK_INT(oci_archive_copy_layer(a, 1, fd, &e), 0);
                memset(buf, 0, sizeof(buf));
                CHECK(pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(l2) - 1);
                CHECK_STR(buf, l2);
                close(fd);
                free(out);
                oci_archive_free(a);
        }
}

static void test_oci_hostile(void)
{
        static const char *const bad_digests[] = {
                "\"sha256:../../../etc/passwd\"",
                "\"sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000\"",
                "\"sha512:0000000000000000000000000000000000000000000000000000000000000000\"",
                "\"sha256:000000000000000000000000000000000000000000000000000000000000000\"",
                "\"sha256:00000000000000000000000000000000000000000000000000000000000000000\"",
                "7",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad_digests); i++) {
                tarw t = {0};
                char *d = xstrndup(bad_digests[i] + 1, strlen(bad_digests[i]) - 2);
                oci_parts p = {.layer2_digest = i == 5 ? "7" : d};
                /* layer2_digest is put in quotes by make_oci */
                make_oci(&t, &p);
                CHECK_REFUSED(&t, "bad-digest.tar",
                              i == 5 ? "not sha256" : "is not sha256:<64 hex>");
                free(d);
        }
        struct {
                oci_parts p;
                const char *want;
        } cases[] = {
                {{.tamper_config = true}, "content is sha256:"},
                {{.drop_config = true}, "no blobs/sha256/"},
                {{.drop_layer = true}, "no blobs/sha256/"},
                {{.layer2_size = "\"9\""}, "size is not an integer"},
                {{.layer2_size = "-1"}, "out of range"},
                {{.layer2_size = "9000000000000000000"}, "out of range"},
                {{.layer2_size = "10"}, "9 bytes, the descriptor says 10"},
                {{.layer2_size = "99999999999999999999"}, "out of range"},
                {{.layer2_size = "1e3"}, "size is not an integer"},
                {{.layer_type = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
                 "unknown layer media type"},
                {{.layer_type = "text/html"}, "unknown layer media type"},
                {{.manifest_type = "application/x-evil"}, "unknown media type"},
                {{.env = "\"PATH=/bin\""}, "config.Env is not an array"},
                {{.env = "[1]"}, "config.Env[0] is not a string"},
                {{.env = "[\"NOEQUALS\"]"}, "not KEY=VALUE"},
                {{.env = "[\"A\\u0000B=1\"]"}, "not a string"},
                {{.config_extra = ",\"history\":7"}, "config.history"},
                {{.nest = 5}, "nested deeper"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                tarw t = {0};
                make_oci(&t, &cases[i].p);
                CHECK_REFUSED(&t, "hostile.oci.tar", cases[i].want);
        }
        /* A layer that is not what its digest says opens (its bytes are not
         * read yet) but never copies out. */
        tarw t = {0};
        oci_parts p = {.tamper_layer = true};
        make_oci(&t, &p);
        oci_archive *a = NULL;
        err_t e = {0};
        CHECK_INT(open_tar(&t, "liar.oci.tar", &a, &e), 0);
        if (a) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                CHECK_INT(oci_archive_copy_layer(a, 1, fd, &e), -EBADMSG);
                CHECK(strstr(e.msg, "liar.oci.tar: layer 2") &&
                      strstr(e.msg, "content is sha256:"));
                close(fd);
                oci_archive_free(a);
        }
}

/* Hand-written index.json and friends: types, sizes, shapes. */
static void test_oci_shapes(void)
{
        static const char *const idx[][2] = {
                {"[]", "index.json: array, not object"},
                {"{\"manifests\":{}}", "manifests: object, not array"},
                {"{\"manifests\":[]}", "lists no manifest"},
                {"{\"manifests\":[7]}", "index.json.manifests[0]: int, not object"},
                {"{\"manifests\":[{\"digest\":\"sha256:"
                 "0000000000000000000000000000000000000000000000000000000000000000\","
                 "\"size\":2}]}",
                 "no blobs/sha256/0000"},
                {"{\"manifests\":[{\"digest\":\"sha256:"
                 "0000000000000000000000000000000000000000000000000000000000000000\","
                 "\"size\":999999999}]}",
                 "out of range"},
                {"{\"manifests\":[]} trailing", "not JSON"},
                {"{\"manifests\":[", "not JSON"},
                {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]"
                 "]]"
                 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                 "not JSON"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(idx); i++) {
                tarw t = {0};
                adds(&t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
                adds(&t, "index.json", idx[i][0]);
                CHECK_REFUSED(&t, "shape.tar", idx[i][1]);
        }
        /* A manifest blob that is not what index.json says. */
        tarw t = {0};
        adds(&t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        char *h = hex_of("{\"layers\":[]}");
        char *n = xasprintf("blobs/sha256/%s", h);
        adds(&t, n, "{\"layerz\":[]}");
        char *x = xasprintf("{\"manifests\":[{\"digest\":\"sha256:%s\",\"size\":13}]}", h);
        adds(&t, "index.json", x);
        CHECK_REFUSED(&t, "swapped.tar", "content is sha256:");
        free(x);
        free(n);
        free(h);
        /* oci-layout must say 1.x */
        tarw t2 = {0};
        adds(&t2, "oci-layout", "{\"imageLayoutVersion\":2}");
        adds(&t2, "index.json", "{}");
        CHECK_REFUSED(&t2, "layout.tar", "imageLayoutVersion");
        /* JSON members are bounded. */
        tarw t3 = {0};
        adds(&t3, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        size_t big = (size_t)OCI_MAX_JSON + 10;
        char *huge = xmalloc(big);
        memset(huge, ' ', big);
        huge[0] = '{';
        huge[big - 1] = '}';
        add(&t3, "index.json", huge, big);
        free(huge);
        CHECK_REFUSED(&t3, "huge.tar", "larger than");
}

/* ---- docker save --------------------------------------------------------------- */

static void make_docker(tarw *t, const char *layers_json, const char *config_name, bool lie)
{
        static const char lay[] = "docker layer bytes";
        char *h = hex_of(lay);
        char *cfg = xasprintf(
                "{\"config\":{\"Env\":[\"X=1\"]},\"rootfs\":{\"type\":\"layers\","
                "\"diff_ids\":[\"sha256:%s\"]}}",
                lie ? "1111111111111111111111111111111111111111111111111111111111111111" : h);
        char *ch = hex_of(cfg);
        char *cn = config_name ? xstrdup(config_name) : xasprintf("%s.json", ch);
        adds(t, cn, cfg);
        char *ln = xasprintf("%s/layer.tar", h);
        adds(t, ln, lay);
        char *m = xasprintf("[{\"Config\":\"%s\",\"RepoTags\":[\"x:latest\"],\"Layers\":%s}]", cn,
                            layers_json ? layers_json : "");
        if (!layers_json) {
                free(m);
                m = xasprintf("[{\"Config\":\"%s\",\"RepoTags\":null,\"Layers\":[\"%s\"]}]", cn,
                              ln);
        }
        adds(t, "manifest.json", m);
        adds(t, "repositories", "{\"x\":{\"latest\":\"abc\"}}");
        free(m);
        free(ln);
        free(cn);
        free(ch);
        free(cfg);
        free(h);
}

static void test_docker(void)
{
        tarw t = {0};
        make_docker(&t, NULL, NULL, false);
        oci_archive *a = NULL;
        err_t e = {0};
        int r = open_tar(&t, "good.docker.tar", &a, &e);
        CHECK_INT(r, 0);
        if (r == 0) {
                const oci_image *im = oci_archive_image(a);
                CHECK_INT(im->kind, OCI_KIND_DOCKER);
                CHECK_INT(im->n_layers, 1);
                CHECK_STR(im->layers[0].digest, im->layers[0].diff_id);
                CHECK_INT(im->layers[0].compression, OCI_COMPRESSION_NONE);
                CHECK_STR(im->config.env.v[0], "X=1");
                CHECK_INT(strlen(im->config_digest), DIGEST_HEX_LEN);
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                CHECK_INT(oci_archive_copy_layer(a, 0, fd, &e), 0);
                close(fd);
                oci_archive_free(a);
        } else
                fprintf(stderr, "  %s\n", e.msg);

        /* Layers and Config that leave the archive, spelled several ways. */
        static const char *const escapes[] = {
                "[\"../../x\"]",      "[\"/etc/passwd\"]",  "[\"a/../../x\"]",
                "[\"./../x\"]",       "[\"..\"]",           "[\"\"]",
                "[\"//etc/shadow\"]", "[\"a/b/../../..\"]", "[\".\"]",
                "[\"x/..\"]",
        };
        for (size_t i = 0; i < ARRAY_SIZE(escapes); i++) {
                tarw t2 = {0};
                make_docker(&t2, escapes[i], NULL, false);
                CHECK_REFUSED(&t2, "escape.docker.tar", "is not a path inside the archive");
        }
        static const char *const cfg_escapes[] = {"../c.json", "/c.json", "x/../../c.json"};
        for (size_t i = 0; i < ARRAY_SIZE(cfg_escapes); i++) {
                tarw t2 = {0};
                adds(&t2, "manifest.json", "[]");
                sb_free(&t2.b);
                char *m = xasprintf("[{\"Config\":\"%s\",\"Layers\":[]}]", cfg_escapes[i]);
                adds(&t2, "manifest.json", m);
                free(m);
                CHECK_REFUSED(&t2, "cfg.docker.tar", "Config: \"");
        }
        /* Types. */
        static const char *const shapes[][2] = {
                {"{}", "manifest.json: object, not array"},
                {"[]", "lists no image"},
                {"[7]", "manifest.json[0]: int, not object"},
                {"[{\"Config\":7,\"Layers\":[]}]", "Config: int, not string"},
                {"[{\"Config\":\"c.json\",\"Layers\":\"l.tar\"}]", "Layers: string, not array"},
                {"[{\"Config\":\"c.json\",\"Layers\":[7]}]", "Layers[0]: int, not string"},
                {"[{\"Config\":\"c.json\",\"RepoTags\":7,\"Layers\":[]}]", "RepoTags"},
                {"[{\"Config\":\"c.json\",\"Layers\":[\"l.tar\"]}]", "no l.tar in the archive"},
                {"[{\"Config\":\"c.json\",\"Layers\":[]}]", "0 layers but 1 diff_ids"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
                tarw t2 = {0};
                adds(&t2, "c.json",
                     "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                     "0000000000000000000000000000000000000000000000000000000000000000"
                     "\"]}}");
                adds(&t2, "manifest.json", shapes[i][0]);
                CHECK_REFUSED(&t2, "types.docker.tar", shapes[i][1]);
        }
        /* A config named by its digest must have it. */
        tarw t3 = {0};
        adds(&t3, "1111111111111111111111111111111111111111111111111111111111111111.json",
             "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        adds(&t3, "manifest.json",
             "[{\"Config\":\"1111111111111111111111111111111111111111111111111111111111111111."
             "json\","
             "\"Layers\":[]}]");
        CHECK_REFUSED(&t3, "cfgdigest.docker.tar", "content is sha256:");
        /* A layer that is not its diff_id. */
        tarw t4 = {0};
        make_docker(&t4, NULL, NULL, true);
        a = NULL;
        CHECK_INT(open_tar(&t4, "liar.docker.tar", &a, &e), 0);
        if (a) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                CHECK_INT(oci_archive_copy_layer(a, 0, fd, &e), -EBADMSG);
                CHECK(strstr(e.msg, "liar.docker.tar") && strstr(e.msg, "not sha256:1111"));
                close(fd);
                oci_archive_free(a);
        }
        /* A repositories file that is not an object. */
        tarw t5 = {0};
        adds(&t5, "c.json", "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        adds(&t5, "manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[]}]");
        adds(&t5, "repositories", "[1]");
        CHECK_REFUSED(&t5, "repos.docker.tar", "repositories: array, not object");
}

/* ---- the tar itself -------------------------------------------------------------- */

static void test_tar(void)
{
        /* Not an archive of either kind: 1, and no error. */
        tarw t = {0};
        adds(&t, "etc/passwd", "root:x:0:0::/:/bin/sh\n");
        oci_archive *a = NULL;
        err_t e = {0};
        CHECK_INT(open_tar(&t, "rootfs.tar", &a, &e), 1);
        tarw g = {0};
        sb_append(&g.b, "\x1f\x8b\x08\x00 not really gzip");
        CHECK_INT(open_tar(&g, "rootfs.tar.gz", &a, &e), 1);
        /* A member listed twice: readers would disagree on which counts. */
        tarw d = {0};
        adds(&d, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        adds(&d, "index.json", "{\"manifests\":[]}");
        adds(&d, "./index.json", "{\"manifests\":[]}");
        CHECK_REFUSED(&d, "twice.tar", "appears twice");
        /* A size past the end of the file. */
        tarw s = {0};
        adds(&s, "oci-layout", "{}");
        header(&s, "index.json", '0', (uint64_t)1 << 32, false);
        CHECK_REFUSED(&s, "short.tar", "size past the end");
        /* A corrupt header after a good one. */
        tarw c = {0};
        adds(&c, "oci-layout", "{}");
        header(&c, "index.json", '0', 0, true);
        CHECK_REFUSED(&c, "sum.tar", "bad tar header");
        /* Long names through pax headers are read. */
        tarw l = {0};
        oci_parts p = {0};
        make_oci(&l, &p);
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        adds(&l, longname, "x");
        CHECK_INT(open_tar(&l, "long.tar", &a, &e), 0);
        oci_archive_free(a);
        a = NULL;
        /* A pax size counts for any entry type: the data after a symlink
         * entry that has some is skipped, and the next member found. */
        tarw x = {0};
        adds(&x, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        header(&x, "PaxHeaders/s", 'x', 12, false);
        sb_appendn(&x.b, "12 size=512\n", 12);
        pad(&x);
        header(&x, "sl", '2', 0, false);
        char junk[512];
        memset(junk, 'A', sizeof(junk)); /* its data: not a header */
        sb_appendn(&x.b, junk, sizeof(junk));
        adds(&x, "index.json", "{\"manifests\":[]}");
        CHECK_REFUSED(&x, "paxsize.tar", "index.json lists no manifest");
        /* Too many layers. */
        tarw m = {0};
        adds(&m, "c.json", "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        adds(&m, "l.tar", "x");
        strbuf ls = {0};
        sb_append(&ls, "[{\"Config\":\"c.json\",\"Layers\":[");
        for (int i = 0; i <= OCI_MAX_LAYERS; i++)
                sb_append(&ls, i ? ",\"l.tar\"" : "\"l.tar\"");
        sb_append(&ls, "]}]");
        adds(&m, "manifest.json", ls.s);
        sb_free(&ls);
        CHECK_REFUSED(&m, "many.tar", "more than 128 layers");
}

static void test_config_json(void)
{
        oci_config c = {0};
        strv_push(&c.env, "A=1");
        c.have_cmd = true;
        strv_push(&c.cmd, "/bin/true");
        c.workdir = xstrdup("/w");
        strv_push(&c.labels, "k=v");
        json_object *j = oci_config_to_json(&c);
        oci_config back = {0};
        err_t e = {0};
        CHECK_INT(oci_config_from_json(j, "round trip", &back, &e), 0);
        CHECK_STR(back.env.v[0], "A=1");
        CHECK(back.have_cmd && !back.have_entrypoint);
        CHECK_STR(back.workdir, "/w");
        CHECK_STR(back.labels.v[0], "k=v");
        json_object_put(j);
        oci_config_free(&back);
        oci_config_free(&c);
        j = json_tokener_parse("{\"User\":[\"root\"]}");
        CHECK(oci_config_from_json(j, "rec", &back, &e) < 0);
        CHECK(strstr(e.msg, "rec: config.User is not a string") != NULL);
        json_object_put(j);
        j = json_tokener_parse("{\"Labels\":{\"k\":1}}");
        CHECK(oci_config_from_json(j, "rec", &back, &e) < 0);
        CHECK(strstr(e.msg, "config.Labels") != NULL);
        json_object_put(j);
        CHECK(oci_digest_hex(
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        CHECK(!oci_digest_hex(
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"));
        CHECK(!oci_digest_hex(NULL));
}

/* A plain tar that repeats a member (tar -rf appends) or has more headers
 * than the index keeps is a rootfs tarball, not an error; an OCI/docker
 * archive whose JSON names a repeated member, or one past the cap, is
 * refused. */
static void test_plain_dups(void)
{
        tarw t = {0};
        adds(&t, "etc/passwd", "root:x:0:0::/:/bin/sh\n");
        adds(&t, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        oci_archive *a = NULL;
        err_t e = {0};
        CHECK_INT(open_tar(&t, "appended.tar", &a, &e), 1);
        CHECK_STR(e.msg, "");
        /* A docker-save archive whose layer is listed twice. */
        tarw d = {0};
        make_docker(&d, NULL, NULL, false);
        char *ln = xasprintf("%s/layer.tar", hex_of("docker layer bytes"));
        adds(&d, ln, "other bytes");
        free(ln);
        CHECK_REFUSED(&d, "dup.docker.tar", "appears twice");
        /* The same member twice but not named by the JSON: fine. */
        tarw o = {0};
        make_docker(&o, NULL, NULL, false);
        adds(&o, "etc/hostname", "a");
        adds(&o, "etc/hostname", "b");
        CHECK_INT(open_tar(&o, "unused-dup.docker.tar", &a, &e), 0);
        oci_archive_free(a);
        a = NULL;
        /* More headers than the cap: a rootfs tarball ... */
        tarw m = {0};
        for (int i = 0; i <= 200000; i++)
                header(&m, "f", '0', 0, false);
        CHECK_INT(open_tar(&m, "many.tar", &a, &e), 1);
        /* ... unless it is an OCI layout. */
        tarw mo = {0};
        adds(&mo, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        adds(&mo, "index.json", "{\"manifests\":[]}");
        for (int i = 0; i <= 200000; i++)
                header(&mo, "f", '0', 0, false);
        CHECK_REFUSED(&mo, "many.oci.tar", "more than 200000 members");
}

/* Strings from the archive reach the message escaped: still one line, no
 * terminal escape. */
static void test_escaped(void)
{
        static const char *const layers[] = {
                "[\"x\\n\\u001b[31mred\"]",
                "[\"../\\n\\u001b[31m\"]",
                "[\"\\r\\u0007\\u009b2J\"]",
        };
        for (size_t i = 0; i < ARRAY_SIZE(layers); i++) {
                tarw t = {0};
                make_docker(&t, layers[i], NULL, false);
                oci_archive *a = NULL;
                err_t e = {0};
                CHECK(open_tar(&t, "esc.docker.tar", &a, &e) < 0);
                bool clean = true;
                for (const char *p = e.msg; *p; p++)
                        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                                clean = false;
                CHECK(clean);
                CHECK(strstr(e.msg, "esc.docker.tar") != NULL);
                CHECK(i == 2 ? strstr(e.msg, "\\r\\x07") != NULL
                             : strstr(e.msg, "\\n\\x1b[31m") != NULL);
                if (!clean || !strstr(e.msg, "\\x"))
                        fprintf(stderr, "  message \"%s\"\n", e.msg);
        }
        /* A member name with an escape, in the message about its content. */
        tarw c = {0};
        adds(&c, "c\x1b[2J.json", "not json");
        adds(&c, "manifest.json", "[{\"Config\":\"c\\u001b[2J.json\",\"Layers\":[]}]");
        oci_archive *a = NULL;
        err_t e = {0};
        CHECK(open_tar(&c, "esc2.docker.tar", &a, &e) < 0);
        CHECK(strstr(e.msg, "config c\\x1b[2J.json: not JSON") != NULL);
        CHECK(!strchr(e.msg, '\x1b'));
        /* The helper itself: escapes, and the cut. */
        char buf[32];
        CHECK_STR(str_esc("a\n\x1b\"\\\xc3", buf, sizeof buf), "a\\n\\x1b\\\"\\\\\\xc3");
        CHECK_STR(str_esc("0123456789abcdef0123456789", buf, 16), "0123456789ab...");
}

int main(void)
{
        char tmpl[TEST_TMPL_MAX];
        tmpdir = mkdtemp(test_tmpl(tmpl, "test_oci"));
        if (!tmpdir)
                return 1;
        test_oci_good();
        test_oci_hostile();
        test_oci_shapes();
        test_docker();
        test_tar();
        test_config_json();
        test_plain_dups();
        test_escaped();
        err_t e = {0};
        fs_rm_rf_at(AT_FDCWD, tmpdir, &e);
        TEST_END();
}
