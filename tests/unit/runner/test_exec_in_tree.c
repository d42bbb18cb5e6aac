/* runner_exec_in_tree: the builder's way to run a command inside a tree it
 * is building — written in place, own pid/mount namespaces, /proc and a
 * minimal /dev, the host's network unless net_none. Needs root and a
 * static busybox; skips (77) otherwise. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "test.h"

static const char *busybox(void)
{
        static const char *const c[] = {"/bin/busybox", "/usr/bin/busybox"};
        for (size_t i = 0; i < ARRAY_SIZE(c); i++)
                if (access(c[i], X_OK) == 0)
                        return c[i];
        return NULL;
}

int main(void)
{
        const char *bb = busybox();
        if (geteuid() != 0 || !bb) {
                printf("SKIP: needs root and busybox-static\n");
                return 77;
        }
        char tmp[TEST_TMPL_MAX];
        CHECK(mkdtemp(test_tmpl(tmp, "test_exec_in_tree")) != NULL);
        err_t e = {0};
        _cleanup_free_ char *bin = path_join(tmp, "bin");
        mkdir(bin, 0755);
        _cleanup_free_ char *cmd =
                xasprintf("cp %s %s/busybox && ln -s busybox %s/sh", bb, bin, bin);
        CHECK(system(cmd) == 0);

        char *argv[] = {"sh", "-c",
                        "echo $$ >/pid; ls /proc/1/status >/dev/null && echo ok >/dev/null && "
                        "busybox ls /sys/class/net | busybox wc -l >/nics; exit 4",
                        NULL};
        CHECK_INT(runner_exec_in_tree(tmp, argv, NULL, RUNNER_TREE_NET_HOST, &e), 4);
        _cleanup_free_ char *pidf = path_join(tmp, "pid");
        char *data = NULL;
        size_t len = 0;
        CHECK_INT(fs_read_file_at(AT_FDCWD, pidf, 64, &data, &len, &e), 0);
        CHECK_STR(data, "2\n"); /* pid 2 under runroot's init */
        free(data);
        _cleanup_free_ char *nics = path_join(tmp, "nics");
        CHECK_INT(fs_read_file_at(AT_FDCWD, nics, 64, &data, &len, &e), 0);
        CHECK(data && atoi(data) >= 1);
        int host_nics = 0;
        {
                DIR *d = opendir("/sys/class/net");
                struct dirent *de;
                while (d && (de = readdir(d)))
                        host_nics += de->d_name[0] != '.';
                if (d)
                        closedir(d);
        }
        CHECK_INT(atoi(data), host_nics);
        free(data);

        /* net_none: loopback only; envp passed through as given. */
        char *argv2[] = {"sh", "-c", "busybox ls /sys/class/net >/nics2; echo \"$FOO\" >/env",
                         NULL};
        char *envp[] = {"FOO=bar", "PATH=/bin", NULL};
        CHECK_INT(runner_exec_in_tree(tmp, argv2, envp, RUNNER_TREE_NET_NONE, &e), 0);
        _cleanup_free_ char *nics2 = path_join(tmp, "nics2");
        CHECK_INT(fs_read_file_at(AT_FDCWD, nics2, 64, &data, &len, &e), 0);
        CHECK_STR(data, "lo\n");
        free(data);
        _cleanup_free_ char *envf = path_join(tmp, "env");
        CHECK_INT(fs_read_file_at(AT_FDCWD, envf, 64, &data, &len, &e), 0);
        CHECK_STR(data, "bar\n");
        free(data);

        /* Statuses: not found, killed; a missing tree is an error. */
        char *argv3[] = {"/no/such", NULL};
        CHECK_INT(runner_exec_in_tree(tmp, argv3, NULL, RUNNER_TREE_NET_NONE, &e), 127);
        char *argv4[] = {"sh", "-c", "kill -9 $$", NULL};
        CHECK_INT(runner_exec_in_tree(tmp, argv4, NULL, RUNNER_TREE_NET_NONE, &e), 137);
        _cleanup_free_ char *missing = path_join(tmp, "missing");
        CHECK(runner_exec_in_tree(missing, argv, NULL, RUNNER_TREE_NET_NONE, &e) < 0);

        /* Nothing stays mounted on the tree. */
        _cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        bool mounted = false;
        while (mi && fgets(line, sizeof line, mi))
                if (strstr(line, tmp))
                        mounted = true;
        CHECK(!mounted);
        fs_rm_rf_at(AT_FDCWD, tmp, &e);
        TEST_END();
}
