/* registry/ref.c: which arguments are registry references (docker's
 * rule for a bare one), and how they are taken apart or refused. */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "test.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_wanted(void)
{
        static const char *const yes[] = {
                "docker://alpine",
                "docker://127.0.0.1:5000/app:1",
                "127.0.0.1:5000/app",
                "127.0.0.1:5000/app:1",
                "localhost/app",
                "localhost:5000/team/app:v1.2-rc_3",
                "registry.example/a/b/c",
                "registry.example/app@sha256:" HEX,
                "registry.example/app:1@sha256:" HEX,
                "reg-1.example/my__app.x-y",
        };
        static const char *const no[] = {
                "image.tar.gz",                /* no '/' */
                "bookworm",                    /* a suite's name */
                "out/image.tar",               /* first component no host */
                "./image.oci.tar",             /* "." is no host */
                "../x/app",                    /* ".." neither */
                "/tmp/app.tar",                /* absolute */
                "build.d/App.tar",             /* uppercase path component */
                "reg.example/",                /* no path */
                "reg.example/app:",            /* empty tag */
                "reg.example/app:-x",          /* tag starts with '-' */
                "reg.example/a..b",            /* '..' in a component */
                "reg.example/a/",              /* empty component */
                "reg.example/app@sha256:0123", /* short digest */
                ("reg.example/app@md5:" HEX),  /* not sha256 */
                "-reg.example/app",            /* host starts with '-' */
                "reg.example:99999x/app",      /* port */
                "localhostx/app",              /* not localhost, no '.' or ':' */
        };
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
                if (!registry_ref_wanted(yes[i])) {
                        fprintf(stderr, "not taken as a reference: %s\n", yes[i]);
                        CHECK(!"a reference");
                }
        for (size_t i = 0; i < ARRAY_SIZE(no); i++)
                if (registry_ref_wanted(no[i])) {
                        fprintf(stderr, "taken as a reference: %s\n", no[i]);
                        CHECK(!"not a reference");
                }
}

static void test_parse(void)
{
        err_t e = {0};
        registry_ref r;
        CHECK_INT(registry_ref_parse("docker://127.0.0.1:5000/team/app:v1@sha256:" HEX, &r, &e), 0);
        CHECK_STR(r.name, "127.0.0.1:5000/team/app");
        CHECK_STR(r.tag, "v1");
        CHECK_STR(r.digest, HEX);
        registry_ref_free(&r);
        CHECK_INT(registry_ref_parse("localhost:5000/app", &r, &e), 0);
        CHECK_STR(r.name, "localhost:5000/app");
        CHECK(r.tag == NULL && r.digest[0] == 0);
        registry_ref_free(&r);
        /* docker:// needs no host: skopeo completes docker.io's names. */
        CHECK_INT(registry_ref_parse("docker://library/alpine:3", &r, &e), 0);
        CHECK_STR(r.name, "library/alpine");
        CHECK_STR(r.tag, "3");
        registry_ref_free(&r);
        /* Refusals name the argument and the part that is wrong. */
        CHECK_INT(registry_ref_parse("docker://reg.example/App", &r, &e), -EINVAL);
        CHECK(strstr(e.msg, "docker://reg.example/App: \"App\" is not a name component"));
        CHECK_INT(registry_ref_parse("reg.example/app:a b", &r, &e), -EINVAL);
        CHECK(strstr(e.msg, "tag \"a b\""));
        CHECK_INT(registry_ref_parse("out/app", &r, &e), -EINVAL);
        CHECK(strstr(e.msg, "out/app: not HOST/NAME"));
        CHECK_INT(registry_ref_parse("docker://reg.example/app@sha256:abc", &r, &e), -EINVAL);
        CHECK(strstr(e.msg, "@sha256: and 64 lowercase hex"));
        /* A control byte is refused in one line, escaped (the fuzz
         * harness found a newline kept in the message). */
        CHECK_INT(registry_ref_parse("docker://reg.example/a\nb", &r, &e), -EINVAL);
        CHECK_STR(e.msg, "\"docker://reg.example/a\\nb\": a control character in a reference");
        CHECK_INT(registry_ref_parse("reg.example/app:1\x1b[2J", &r, &e), -EINVAL);
        CHECK(strchr(e.msg, '\x1b') == NULL);
        CHECK(!registry_ref_wanted("reg.example/a\tb"));
}

/* What ps and inspect show of a pulled image: docker:// and the tag as
 * given, pinned to the digest. */
static void test_pinned(void)
{
        char *s = registry_ref_pinned("127.0.0.1:5000/app:1", HEX);
        CHECK_STR(s, "docker://127.0.0.1:5000/app:1@sha256:" HEX);
        free(s);
        s = registry_ref_pinned("docker://reg.example/team/app", HEX);
        CHECK_STR(s, "docker://reg.example/team/app@sha256:" HEX);
        free(s);
        s = registry_ref_pinned("docker://reg.example/app:v2@sha256:" HEX, HEX);
        CHECK_STR(s, "docker://reg.example/app:v2@sha256:" HEX);
        free(s);
        CHECK(registry_ref_pinned("out/app", HEX) == NULL);
}

int main(void)
{
        test_wanted();
        test_parse();
        test_pinned();
        TEST_END();
}
