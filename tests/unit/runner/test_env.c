/* runner/user.c: the command's environment. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test.h"

static const char *get(const strv *env, const char *key)
{
        size_t n = strlen(key);
        for (size_t i = 0; i < env->n; i++)
                if (!strncmp(env->v[i], key, n) && env->v[i][n] == '=')
                        return env->v[i] + n + 1;
        return NULL;
}

int main(void)
{
        err_t e = {0};
        char *host[] = {"SECRET=host", "TERM=vt100", "KEEP=me", NULL};
        strv env = {0};
        CHECK_INT(env_build(NULL, NULL, NULL, host, "/root", "box", NULL, &env, &e), 0);
        CHECK_INT(env.n, 3);
        CHECK(env.v[env.n] == NULL);
        CHECK_STR(get(&env, "HOME"), "/root");
        CHECK_STR(get(&env, "HOSTNAME"), "box");
        CHECK(get(&env, "PATH") != NULL);
        CHECK(get(&env, "SECRET") == NULL);
        CHECK(get(&env, "TERM") == NULL);
        strv_free(&env);

        strv files = {0}, args = {0};
        strv_push(&files, "A=file");
        strv_push(&files, "B=file");
        strv_push(&args, "A=arg");
        strv_push(&args, "KEEP");
        strv_push(&args, "MISSING");
        strv_push(&args, "PATH=/bin");
        strv_push(&args, "EMPTY=");
        CHECK_INT(env_build(NULL, &files, &args, host, "/", "h", "xterm", &env, &e), 0);
        CHECK_STR(get(&env, "A"), "arg");
        CHECK_STR(get(&env, "B"), "file");
        CHECK_STR(get(&env, "KEEP"), "me");
        CHECK(get(&env, "MISSING") == NULL);
        CHECK_STR(get(&env, "PATH"), "/bin");
        CHECK_STR(get(&env, "EMPTY"), "");
        CHECK_STR(get(&env, "TERM"), "xterm");
        strv_free(&env);

        /* docker's order: the image's Env < --env-file < -e */
        strv image = {0}, files2 = {0}, args2 = {0};
        strv_push(&image, "FOO=image");
        strv_push(&image, "ONLY=image");
        strv_push(&image, "BAR=image");
        strv_push(&image, "PATH=/image/bin");
        strv_push(&files2, "FOO=file1");
        strv_push(&files2, "BAR=file");
        strv_push(&files2, "FOO=file2");
        strv_push(&args2, "FOO=cli1");
        strv_push(&args2, "FOO=cli2");
        CHECK_INT(env_build(&image, &files2, NULL, host, "/", "h", NULL, &env, &e), 0);
        CHECK_STR(get(&env, "FOO"), "file2");
        CHECK_STR(get(&env, "BAR"), "file");
        CHECK_STR(get(&env, "ONLY"), "image");
        CHECK_STR(get(&env, "PATH"), "/image/bin");
        strv_free(&env);
        CHECK_INT(env_build(&image, &files2, &args2, host, "/", "h", NULL, &env, &e), 0);
        CHECK_STR(get(&env, "FOO"), "cli2");
        CHECK_STR(get(&env, "BAR"), "file");
        CHECK_STR(get(&env, "ONLY"), "image");
        strv_free(&env);
        CHECK_INT(env_build(&image, NULL, NULL, host, "/", "h", NULL, &env, &e), 0);
        CHECK_STR(get(&env, "FOO"), "image");
        strv_free(&env);
        strv_free(&image);
        strv_free(&files2);
        strv_free(&args2);

        strv bad = {0};
        strv_push(&bad, "=x");
        CHECK(env_build(NULL, NULL, &bad, host, "/", "h", NULL, &env, &e) < 0);
        CHECK(strstr(e.msg, "=x") != NULL);
        strv_free(&bad);
        strv_free(&files);
        strv_free(&args);
        TEST_END();
}
