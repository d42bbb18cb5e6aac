/* runroot as an OCI runtime: features, the runtime specification's
 * features document (features.md) of what this runroot does with a
 * config.json: only what runner/ocispec*.c applies is listed. */
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "ociruntime.h"

static json_object *str_array(const char *const *v, size_t n)
{
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

/* Every capability the kernel and libcap here know, as CAP_NAME. */
static json_object *capabilities(void)
{
        json_object *a = json_object_new_array();
        for (int i = 0; i < 64 && cap_valid(i); i++) {
                char *n = cap_to_name((cap_value_t)i);
                if (!n)
                        continue;
                char up[64];
                size_t k = 0;
                for (const char *c = n; *c && k < sizeof up - 1; c++)
                        up[k++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
                up[k] = 0;
                cap_free(n);
                if (!strncmp(up, "CAP_", 4))
                        json_object_array_add(a, json_object_new_string(up));
        }
        return a;
}

static json_object *seccomp_features(void)
{
        json_object *s = json_object_new_object();
        json_object_object_add(s, "enabled", json_object_new_boolean(true));
        static const char *const actions[] = {
                "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS",
                "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",   "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};
        json_object_object_add(s, "actions", str_array(actions, ARRAY_SIZE(actions)));
        static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                          "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                                          "SCMP_CMP_NE"};
        json_object_object_add(s, "operators", str_array(ops, ARRAY_SIZE(ops)));
        /* The architectures this libseccomp resolves. */
        static const char *const archs[] = {"x86_64",  "x86",    "x32",    "aarch64",  "arm",
                                            "ppc64le", "ppc64",  "ppc",    "s390x",    "s390",
                                            "mips",    "mipsel", "mips64", "mipsel64", "riscv64"};
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
                if (seccomp_arch_resolve_name(archs[i])) {
                        char n[48];
                        snprintf(n, sizeof n, "SCMP_ARCH_");
                        size_t k = strlen(n);
                        for (const char *c = archs[i]; *c && k < sizeof n - 1; c++)
                                n[k++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
                        n[k] = 0;
                        json_object_array_add(a, json_object_new_string(n));
                }
        json_object_object_add(s, "archs", a);
        /* the flags linux.seccomp.flags takes, passed to seccomp() */
        static const char *const flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                            "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
        json_object_object_add(s, "knownFlags", str_array(flags, ARRAY_SIZE(flags)));
        json_object_object_add(s, "supportedFlags", str_array(flags, ARRAY_SIZE(flags)));
        return s;
}

static json_object *enabled(bool on)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(on));
        return o;
}

int oci_cmd_features(int argc, char **argv)
{
        if (argc != 1)
                return oci_usage_error("features", "takes no argument");
        (void)argv;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "ociVersionMin", json_object_new_string("1.0.0"));
        json_object_object_add(j, "ociVersionMax", json_object_new_string(OCI_SPEC_VERSION));
        json_object_object_add(j, "hooks", str_array(runner_hook_names, RUNNER_HOOK_MAX));
        /* Those config.json's mounts take (binds and tmpfs). */
        static const char *const mopts[] = {"bind",    "exec",  "nodev",    "noexec", "nosuid",
                                            "private", "rbind", "rexec",    "rnodev", "rnoexec",
                                            "rnosuid", "ro",    "rprivate", "rro",    "rslave",
                                            "rsuid",   "rw",    "slave",    "suid"};
        json_object_object_add(j, "mountOptions", str_array(mopts, ARRAY_SIZE(mopts)));
        json_object *lx = json_object_new_object();
        /* A user namespace: the rootless runroot's always, root's with
         * config.json's maps. */
        static const char *const ns[] = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"};
        json_object_object_add(lx, "namespaces", str_array(ns, ARRAY_SIZE(ns)));
        json_object_object_add(lx, "capabilities", capabilities());
        json_object *cg = json_object_new_object();
        json_object_object_add(cg, "v1", json_object_new_boolean(true));
        json_object_object_add(cg, "v2", json_object_new_boolean(true));
        json_object_object_add(cg, "systemd", json_object_new_boolean(false));
        json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
        json_object_object_add(cg, "rdma", json_object_new_boolean(false));
        json_object_object_add(lx, "cgroup", cg);
        json_object_object_add(lx, "seccomp", seccomp_features());
        json_object_object_add(lx, "apparmor", enabled(false));
        json_object_object_add(lx, "selinux", enabled(false));
        json_object_object_add(lx, "intelRdt", enabled(false));
        json_object_object_add(j, "linux", lx);
        json_object *an = json_object_new_object();
        const struct scmp_version *v = seccomp_version();
        if (v) {
                char buf[32];
                snprintf(buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
                json_object_object_add(an, "io.github.seccomp.libseccomp.version",
                                       json_object_new_string(buf));
        }
        json_object_object_add(j, "annotations", an);
        printf("%s\n",
               json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return 0;
}
