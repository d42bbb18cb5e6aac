#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "add.h"

#define MAX_LINKS 40
#define MAX_SCRIPT_DEPTH 4

struct adder {
        resolver *r;
        stage *s;
        char *root; /* "" for the host, else the root without a trailing slash */
        add_opts o;
        strmap *scanned; /* physical paths whose dependencies are already in */
        const elf_info *first_elf;
};

adder *adder_new(resolver *r, stage *s, const char *root, const add_opts *o)
{
        adder *a = xcalloc(1, sizeof *a);
        a->r = r;
        a->s = s;
        if (!root || !strcmp(root, "/"))
                a->root = xstrdup("");
        else {
                a->root = xstrdup(root);
                size_t n = strlen(a->root);
                while (n > 1 && a->root[n - 1] == '/')
                        a->root[--n] = '\0';
        }
        if (o)
                a->o = *o;
        a->scanned = strmap_new();
        return a;
}

void adder_free(adder *a)
{
        if (!a)
                return;
        strmap_free(a->scanned);
        free(a->root);
        free(a);
}

static char *host_path(const adder *a, const char *phys)
{
        return xasprintf("%s%s", a->root, phys);
}

/* Walk `path` inside the root one component at a time, the way the kernel
 * does when ld.so opens it, staging (when stage_it) every symlink met on
 * the way and finally the object itself. *ret_phys is the physical path reached. */
static int copy_reached(adder *a, const char *path, bool stage_it, char **ret_phys, err_t *e)
{
        _cleanup_free_ char *todo = path[0] == '/' ? xstrdup(path) : xasprintf("/%s", path);
        _cleanup_sb_ strbuf cur = {0};
        int links = 0;
        for (;;) {
                char *s = todo;
                while (*s == '/')
                        s++;
                if (!*s) {
                        /* The path named a directory. */
                        char *phys = cur.len ? xstrdup(cur.s) : xstrdup("/");
                        *ret_phys = phys;
                        return 0;
                }
                char *slash = strchr(s, '/');
                _cleanup_free_ char *comp = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
                _cleanup_free_ char *rest = xstrdup(slash ? slash : "");
                if (!strcmp(comp, ".")) {
                        free(todo);
                        todo = steal_pointer(&rest);
                        continue;
                }
                if (!strcmp(comp, "..")) {
                        char *p = cur.len ? strrchr(cur.s, '/') : NULL;
                        if (p) {
                                cur.len = (size_t)(p - cur.s);
                                cur.s[cur.len] = '\0';
                        }
                        free(todo);
                        todo = steal_pointer(&rest);
                        continue;
                }
                _cleanup_free_ char *next = xasprintf("%s/%s", cur.len ? cur.s : "", comp);
                _cleanup_free_ char *host = host_path(a, next);
                struct stat st;
                if (lstat(host, &st) < 0)
                        return err_sys(e, errno, "%s", path);
                bool last = true;
                for (const char *q = rest; *q; q++)
                        if (*q != '/')
                                last = false;
                if (S_ISLNK(st.st_mode)) {
                        if (++links > MAX_LINKS)
                                return err_set(e, -ELOOP, "%s: too many levels of symbolic links",
                                               path);
                        if (stage_it) {
                                int r = stage_add_host(a->s, next, host, e);
                                if (r < 0)
                                        return r;
                        }
                        char target[PATH_MAX];
                        ssize_t n = readlink(host, target, sizeof target - 1);
                        if (n < 0)
                                return err_sys(e, errno, "%s", host);
                        target[n] = '\0';
                        free(todo);
                        if (target[0] == '/') {
                                todo = xasprintf("%s%s", target, rest);
                                sb_free(&cur);
                        } else {
                                todo = xasprintf("%s%s", target, rest);
                        }
                        continue;
                }
                if (last) {
                        /* A directory itself is staged by whoever adds its
                         * contents; here it is only a place. */
                        if (stage_it && !S_ISDIR(st.st_mode)) {
                                int r = stage_add_host(a->s, next, host, e);
                                if (r < 0)
                                        return r;
                        }
                        *ret_phys = steal_pointer(&next);
                        return 0;
                }
                if (!S_ISDIR(st.st_mode))
                        return err_set(e, -ENOTDIR, "%s: %s is not a directory", path, next);
                sb_free(&cur);
                sb_append(&cur, next);
                free(todo);
                todo = steal_pointer(&rest);
        }
}

/* Add what the ELF at phys (inside the root) loads. who: the name to
 * blame in messages. */
static int add_elf_deps(adder *a, const char *phys, err_t *e)
{
        if (strmap_has(a->scanned, phys))
                return 0;
        strmap_put(a->scanned, phys, (void *)1);
        dep_list *l = NULL;
        int r = resolver_resolve(a->r, phys, &l, e);
        if (r < 0)
                return r;
        if (!a->first_elf)
                a->first_elf = l->objs[0].elf;
        if (l->static_note) {
                dep_list_free(l);
                return 0;
        }
        const elf_info *m = l->objs[0].elf;
        if (m->interp) {
                _cleanup_free_ char *p = NULL;
                r = copy_reached(a, m->interp, true, &p, e);
                if (r < 0) {
                        err_prefix(e, "%s: program interpreter", phys);
                        dep_list_free(l);
                        return r;
                }
        }
        for (size_t i = 1; i < l->n; i++) {
                const dep_obj *o = &l->objs[i];
                if (!o->path) {
                        const char *who = l->objs[o->loader].path;
                        if (a->o.allow_missing) {
                                log_warn("%s: needs %s, which cannot be found", who, o->name);
                                continue;
                        }
                        r = err_set(e, -ENOENT, "%s: needs %s, which cannot be found", who,
                                    o->name);
                        dep_list_free(l);
                        return r;
                }
                _cleanup_free_ char *p = NULL;
                r = copy_reached(a, o->path, true, &p, e);
                if (r < 0) {
                        dep_list_free(l);
                        return r;
                }
                strmap_put(a->scanned, p, (void *)1);
        }
        dep_list_free(l);
        return 0;
}

static int read_head(const char *host, char *buf, size_t len, size_t *ret_n)
{
        _cleanup_close_ int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        ssize_t n = fd_read(fd, buf, len);
        if (n < 0)
                return (int)n;
        *ret_n = (size_t)n;
        return 0;
}

static int add_any(adder *a, const char *src, const char *dest, int depth, err_t *e);

/* Find NAME on a default PATH inside the root, as env(1) would. */
static char *find_on_path(adder *a, const char *name)
{
        static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                           "/usr/bin",        "/sbin",          "/bin"};
        for (size_t i = 0; i < ARRAY_SIZE(path); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", path[i], name);
                _cleanup_free_ char *h = host_path(a, p);
                struct stat st;
                if (stat(h, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                        return steal_pointer(&p);
        }
        return NULL;
}

static int add_script(adder *a, const char *phys, const char *buf, size_t n, int depth, err_t *e)
{
        if (depth >= MAX_SCRIPT_DEPTH)
                return err_set(e, -ELOOP, "%s: interpreter chain too deep", phys);
        const char *end = memchr(buf, '\n', n);
        size_t len = end ? (size_t)(end - buf) : n;
        _cleanup_free_ char *line = xstrndup(buf + 2, len - 2);
        char *save = NULL;
        char *interp = strtok_r(line, " \t\r", &save);
        if (!interp)
                return err_set(e, -ENOEXEC, "%s: empty #! line", phys);
        int r = add_any(a, interp, NULL, depth + 1, e);
        if (r < 0)
                return err_prefix(e, "%s: interpreter", phys);
        if (strcmp(path_basename(interp), "env") != 0)
                return 0;
        /* #!/usr/bin/env [-S] [-opts] NAME: add NAME as found on PATH. */
        for (char *arg; (arg = strtok_r(NULL, " \t\r", &save));) {
                if (arg[0] == '-')
                        continue;
                if (strchr(arg, '='))
                        continue; /* env's VAR=value */
                _cleanup_free_ char *found = find_on_path(a, arg);
                if (!found)
                        return err_set(e, -ENOENT, "%s: #!%s: %s not found on PATH", phys, interp,
                                       arg);
                return add_any(a, found, NULL, depth + 1, e);
        }
        return 0;
}

/* A regular file that is now staged: pull in what it needs. */
static int add_file_needs(adder *a, const char *phys, int depth, bool in_dir, err_t *e)
{
        _cleanup_free_ char *host = host_path(a, phys);
        char buf[512];
        size_t n = 0;
        int r = read_head(host, buf, sizeof buf, &n);
        if (r < 0)
                return err_sys(e, -r, "%s", host);
        if (n >= 4 && !memcmp(buf, ELFMAG, SELFMAG)) {
                const elf_info *info = NULL;
                err_t pe = {0};
                r = resolver_elf(a->r, phys, &info, &pe);
                /* ELF that nothing loads (an object file, a kernel module, a
                 * core dump) is data, like a text file. */
                if (r == -ENOEXEC)
                        return 0;
                if (r < 0) {
                        if (in_dir) {
                                /* An invalid ELF among many files (a test fixture, a
                                 * firmware image) is data; still say so. */
                                log_warn("%s", pe.msg);
                                return 0;
                        }
                        *e = pe;
                        return r;
                }
                if (!info->dynamic)
                        return 0;
                return add_elf_deps(a, phys, e);
        }
        if (!in_dir && n >= 2 && buf[0] == '#' && buf[1] == '!')
                return add_script(a, phys, buf, n, depth, e);
        return 0;
}

static int add_tree(adder *a, const char *phys, const char *dest, int depth, err_t *e)
{
        _cleanup_free_ char *host = host_path(a, phys);
        _cleanup_close_ int fd = open(host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "%s", host);
        _cleanup_strv_ strv names = {0};
        int r = fs_list_dir_at(fd, ".", &names);
        if (r < 0)
                return err_sys(e, -r, "%s", host);
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                _cleanup_free_ char *cp = path_join(phys, names.v[i]);
                _cleanup_free_ char *cd = path_join(dest, names.v[i]);
                _cleanup_free_ char *ch = host_path(a, cp);
                struct stat st;
                if (lstat(ch, &st) < 0) {
                        r = err_sys(e, errno, "%s", ch);
                        break;
                }
                r = stage_add_host(a->s, cd, ch, e);
                if (r < 0)
                        break;
                if (S_ISDIR(st.st_mode))
                        r = add_tree(a, cp, cd, depth, e);
                else if (S_ISREG(st.st_mode))
                        r = add_file_needs(a, cp, depth, true, e);
        }
        return r;
}

static int add_any(adder *a, const char *src, const char *dest, int depth, err_t *e)
{
        _cleanup_free_ char *phys = NULL;
        int r = copy_reached(a, src, dest == NULL, &phys, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *host = host_path(a, phys);
        struct stat st;
        if (lstat(host, &st) < 0)
                return err_sys(e, errno, "%s", src);
        if (dest) {
                r = stage_add_host(a->s, dest, host, e);
                if (r < 0)
                        return r;
        }
        if (S_ISDIR(st.st_mode)) {
                if (!dest) {
                        r = stage_add_host(a->s, phys, host, e);
                        if (r < 0)
                                return r;
                }
                return add_tree(a, phys, dest ? dest : phys, depth, e);
        }
        if (S_ISREG(st.st_mode))
                return add_file_needs(a, phys, depth, false, e);
        return 0;
}

/* Stage the symlinks the root has along dest's parent directories (e.g.
 * bin -> usr/bin), so that a file placed at /bin/x lands where both
 * spellings reach it and later adds through /bin agree with it. */
static void stage_dest_links(adder *a, const char *dest)
{
        _cleanup_free_ char *dir = path_dirname(dest[0] == '/' ? dest : "/");
        if (dest[0] != '/') {
                free(dir);
                _cleanup_free_ char *absd = xasprintf("/%s", dest);
                dir = path_dirname(absd);
        }
        _cleanup_free_ char *phys = NULL;
        err_t ignore = {0};
        /* Best effort: the directory need not exist in the root. */
        (void)copy_reached(a, dir, true, &phys, &ignore);
}

int adder_add(adder *a, const char *src, const char *dest, err_t *e)
{
        if (dest && !*dest)
                return err_set(e, -EINVAL, "%s: empty destination", src);
        _cleanup_free_ char *abs = NULL;
        if (src[0] != '/') {
                /* Relative to where the user stands on the host, to "/" in
                 * another root. */
                char cwd[PATH_MAX];
                if (!a->root[0] && getcwd(cwd, sizeof cwd))
                        abs = path_join(cwd, src);
                else
                        abs = xasprintf("/%s", src);
                src = abs;
        }
        if (dest)
                stage_dest_links(a, dest);
        return add_any(a, src, dest, 0, e);
}

int adder_add_nss(adder *a, err_t *e)
{
        static const char *const mods[] = {"libnss_files.so.2", "libnss_dns.so.2"};
        const elf_info *like = a->first_elf;
        if (!like) {
                /* Nothing added yet: take the root's libc as the model. */
                static const char *const shells[] = {"/bin/sh", "/usr/bin/sh", "/bin/bash"};
                for (size_t i = 0; i < ARRAY_SIZE(shells) && !like; i++) {
                        err_t ignore = {0};
                        if (resolver_elf(a->r, shells[i], &like, &ignore) < 0)
                                like = NULL;
                }
                if (!like)
                        return err_set(e, -ENOENT,
                                       "--nss: no ELF program to take the architecture from");
        }
        for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
                _cleanup_free_ char *p = NULL;
                int r = resolver_find_library(a->r, mods[i], like, &p, e);
                if (r < 0)
                        return r;
                if (!p) {
                        if (a->o.allow_missing) {
                                log_warn("--nss: %s cannot be found", mods[i]);
                                continue;
                        }
                        return err_set(e, -ENOENT, "--nss: %s cannot be found", mods[i]);
                }
                r = add_any(a, p, NULL, 0, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int adder_finish(adder *a, err_t *e)
{
        if (resolver_used_cache(a->r)) {
                /* Some library lives where only the cache points: the image
                 * needs the cache too. Entries for files the image lacks
                 * are harmless: ld.so falls back to its default dirs. */
                _cleanup_free_ char *cache = host_path(a, "/etc/ld.so.cache");
                if (access(cache, F_OK) == 0 && !stage_lookup(a->s, "etc/ld.so.cache")) {
                        _cleanup_free_ char *p = NULL;
                        int r = copy_reached(a, "/etc/ld.so.cache", true, &p, e);
                        if (r < 0)
                                return r;
                }
        }
        static const char *const top[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
        for (size_t i = 0; i < ARRAY_SIZE(top); i++) {
                _cleanup_free_ char *p = xasprintf("/%s", top[i]);
                _cleanup_free_ char *host = host_path(a, p);
                char target[PATH_MAX];
                ssize_t n = readlink(host, target, sizeof target - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                const char *t = target[0] == '/' ? target + 1 : target;
                if (strncmp(t, "usr/", 4) != 0)
                        continue;
                if (!stage_lookup(a->s, t))
                        continue; /* nothing there: the link would dangle */
                const stage_entry *have = stage_lookup(a->s, top[i]);
                if (have)
                        continue;
                int r = stage_add_host(a->s, top[i], host, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int skeleton_add(stage *s, err_t *e)
{
        static const struct {
                const char *path;
                mode_t mode;
        } dirs[] = {
                {"dev", 0755},  {"proc", 0555}, {"sys", 0555},
                {"tmp", 01777}, {"root", 0700}, {"etc", 0755},
        };
        static const struct {
                const char *path;
                const char *data;
        } files[] = {
                {"etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                               "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
                {"etc/group", "root:x:0:\nnobody:x:65534:\nnogroup:x:65534:\n"},
                {"etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n"
                                      "hosts: files dns\nnetworks: files\nprotocols: files\n"
                                      "services: files\n"},
                {"etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                const stage_entry *have = stage_lookup(s, dirs[i].path);
                if (have && have->kind != STAGE_DIR)
                        continue;
                if (have && have->host)
                        continue; /* a real directory from the host keeps its mode */
                int r = stage_add_dir(s, dirs[i].path, dirs[i].mode, e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                if (stage_lookup(s, files[i].path))
                        continue;
                int r = stage_add_data(s, files[i].path, 0644, files[i].data, strlen(files[i].data),
                                       e);
                if (r < 0)
                        return r;
        }
        return 0;
}
