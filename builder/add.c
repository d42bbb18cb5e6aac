#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "add-internal.h"
#include "dpkg.h"

#define MAX_SCRIPT_DEPTH 4

/* Stage host object `host` at dest, remembering why. */
static int put(adder *a, const char *dest, const char *host, err_t *e)
{
        int r = stage_add_host(a->s, dest, host, e);
        if (r < 0)
                return r;
        const stage_entry *en = stage_lookup(a->s, dest);
        if (en && !strmap_has(a->reasons, en->path))
                strmap_put(a->reasons, en->path, xstrdup(a->reason ? a->reason : "static closure"));
        return 0;
}

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
        a->reasons = strmap_new_with_free(free);
        a->trees = strmap_new();
        a->unreadable = strmap_new();
        return a;
}

void adder_free(adder *a)
{
        if (!a)
                return;
        strmap_free(a->scanned);
        strmap_free(a->reasons);
        strmap_free(a->trees);
        strmap_free(a->unreadable);
        free(a->libc);
        free(a->root);
        free(a);
}

static char *host_path(const adder *a, const char *phys)
{
        return xasprintf("%s%s", a->root, phys);
}

/* A file the image writer must read, or a directory whose entries are to
 * be listed: -EACCES naming it when this user may not (a rootless build
 * meets /etc/ssl/private, root's own), so that nothing is staged that
 * cannot be packed. */
static int check_readable(const char *host, const struct stat *st, bool list, err_t *e)
{
        int mode = S_ISREG(st->st_mode) ? R_OK : S_ISDIR(st->st_mode) && list ? R_OK | X_OK : 0;
        if (mode && faccessat(AT_FDCWD, host, mode, AT_EACCESS) < 0 && errno == EACCES)
                return err_sys(e, EACCES, "%s", host);
        return 0;
}

/* In a lenient add (a trace's paths, a rule), what cannot be read is
 * left out: said once per path, then 0. Anything else stays an error. */
static int left_out(adder *a, int r, err_t *pe, err_t *e)
{
        if (r != -EACCES || !a->lenient) {
                if (r < 0)
                        *e = *pe;
                return r;
        }
        if (!strmap_has(a->unreadable, pe->msg)) {
                strmap_put(a->unreadable, pe->msg, (void *)1);
                log_warn("%s: left out of the image", pe->msg);
        }
        return 0;
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
                                int r = put(a, next, host, e);
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
                                int r = check_readable(host, &st, false, e);
                                if (r == 0)
                                        r = put(a, next, host, e);
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
static int add_elf_deps_of(adder *a, const char *phys, err_t *e);

/* Note what the rules need to know about an ELF object in the image: the
 * libc it uses, a TLS library, an import of iconv_open. */
static void note_object(adder *a, const char *phys)
{
        const char *base = path_basename(phys);
        if (!strncmp(base, "libc.so.", 8) && !a->libc) {
                a->links_libc = true;
                a->libc = xstrdup(phys);
        }
        if (!strncmp(base, "libssl.so", 9) || !strncmp(base, "libgnutls.so", 12))
                a->links_tls = true;
        if (a->links_iconv && a->links_locale)
                return;
        _cleanup_free_ char *host = host_path(a, phys);
        _cleanup_close_ int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
                return;
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
                return;
        if (!a->links_iconv && elf_imports(m, (size_t)st.st_size, "iconv_open") == 1)
                a->links_iconv = true;
        if (!a->links_locale && (elf_imports(m, (size_t)st.st_size, "setlocale") == 1 ||
                                 elf_imports(m, (size_t)st.st_size, "newlocale") == 1))
                a->links_locale = true;
        munmap(m, (size_t)st.st_size);
}

static int add_elf_deps(adder *a, const char *phys, err_t *e)
{
        if (strmap_has(a->scanned, phys))
                return 0;
        note_object(a, phys);
        const char *why = a->reason;
        a->reason = "static closure";
        int r = add_elf_deps_of(a, phys, e);
        a->reason = why;
        return r;
}

static int add_elf_deps_of(adder *a, const char *phys, err_t *e)
{
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
                        if (a->o.allow_missing || a->lenient) {
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
                if (!strmap_has(a->scanned, p))
                        note_object(a, p);
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
        if (r == -ENOENT && (a->o.allow_missing || a->lenient)) {
                log_warn("%s: #! interpreter %s is not on the host: the script is copied "
                         "without it",
                         phys, interp);
                return 0;
        }
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
                if (!found && (a->o.allow_missing || a->lenient)) {
                        log_warn("%s: #!%s: %s not found on PATH: the script is copied without "
                                 "it",
                                 phys, interp, arg);
                        return 0;
                }
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
                        if (in_dir || a->lenient) {
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

/* A symlink met inside a directory being added, at its own path: what it
 * points to inside the root comes too (as the links on the way and the
 * target), so the image's link resolves wherever the host's does. A link
 * that dangles on the host stays as it is. */
static int follow_link(adder *a, const char *phys, int depth, err_t *e)
{
        _cleanup_free_ char *host = host_path(a, phys);
        struct stat st;
        if (stat(host, &st) < 0)
                return 0;
        err_t pe = {0};
        int r = add_any(a, phys, NULL, depth, &pe);
        if (r == -ENOENT || r == -ELOOP || r == -ENOTDIR) {
                log_debug("%s: %s", phys, pe.msg);
                return 0;
        }
        return left_out(a, r, &pe, e);
}

static int add_tree(adder *a, const char *phys, const char *dest, int depth, err_t *e)
{
        if (strmap_has(a->trees, dest))
                return 0;
        strmap_put(a->trees, dest, (void *)1);
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
                err_t pe = {0};
                r = left_out(a, check_readable(ch, &st, true, &pe), &pe, e);
                if (r < 0)
                        break;
                if (pe.code)
                        continue;
                r = put(a, cd, ch, e);
                if (r < 0)
                        break;
                if (S_ISDIR(st.st_mode))
                        r = add_tree(a, cp, cd, depth, e);
                else if (S_ISREG(st.st_mode))
                        r = add_file_needs(a, cp, depth, true, e);
                else if (S_ISLNK(st.st_mode) && !strcmp(cp, cd))
                        r = follow_link(a, cp, depth, e);
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
        r = check_readable(host, &st, true, e);
        if (r < 0)
                return r;
        if (dest) {
                r = put(a, dest, host, e);
                if (r < 0)
                        return r;
        }
        if (S_ISDIR(st.st_mode)) {
                if (!dest) {
                        r = put(a, phys, host, e);
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
                int r = put(a, top[i], host, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The skeleton's directories and files. */
static const struct {
        const char *path;
        mode_t mode;
} skel_dirs[] = {
        {"dev", 0755}, {"proc", 0555}, {"sys", 0555}, {"tmp", 01777}, {"root", 0700}, {"etc", 0755},
};
static const struct {
        const char *path;
        const char *data;
} skel_files[] = {
        {"etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
        {"etc/group", "root:x:0:\nnobody:x:65534:\nnogroup:x:65534:\n"},
        {"etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n"
                              "hosts: files dns\nnetworks: files\nprotocols: files\n"
                              "services: files\n"},
        {"etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
};

int skeleton_add(stage *s, err_t *e)
{
        for (size_t i = 0; i < ARRAY_SIZE(skel_dirs); i++) {
                const stage_entry *have = stage_lookup(s, skel_dirs[i].path);
                if (have && have->kind != STAGE_DIR)
                        continue;
                if (have && have->host)
                        continue; /* a real directory from the host keeps its mode */
                int r = stage_add_dir(s, skel_dirs[i].path, skel_dirs[i].mode, e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(skel_files); i++) {
                if (stage_lookup(s, skel_files[i].path))
                        continue;
                int r = stage_add_data(s, skel_files[i].path, 0644, skel_files[i].data,
                                       strlen(skel_files[i].data), e);
                if (r < 0)
                        return r;
        }
        return 0;
}

void adder_set_reason(adder *a, const char *reason)
{
        a->reason = reason;
}

/* A path dpkg or a trace names: a directory becomes a directory (with
 * the links on the way), anything else is added with what it needs; a
 * path no longer there (removed since, or made by the traced run) is
 * skipped. */
static int add_listed(adder *a, const char *path, bool dir_only, err_t *e)
{
        if (!strcmp(path, "/.") || !strcmp(path, "/"))
                return 0;
        _cleanup_free_ char *host = host_path(a, path);
        struct stat st;
        if (lstat(host, &st) < 0) {
                log_debug("%s: not on disk, skipped", path);
                return 0;
        }
        bool is_dir = S_ISDIR(st.st_mode) || (stat(host, &st) == 0 && S_ISDIR(st.st_mode));
        if (dir_only && !is_dir)
                return 0;
        if (is_dir) {
                _cleanup_free_ char *phys = NULL;
                err_t pe = {0};
                int r = copy_reached(a, path, true, &phys, &pe);
                if (r == -ENOENT || r == -ELOOP || r == -ENOTDIR)
                        return 0;
                if (r < 0) {
                        *e = pe;
                        return r;
                }
                if (!strcmp(phys, "/"))
                        return 0;
                _cleanup_free_ char *ph = host_path(a, phys);
                return put(a, phys, ph, e);
        }
        a->lenient++;
        err_t pe = {0};
        int r = left_out(a, add_any(a, path, NULL, 0, &pe), &pe, e);
        a->lenient--;
        return r;
}

int adder_add_listed(adder *a, const strv *paths, err_t *e)
{
        for (size_t i = 0; i < paths->n; i++) {
                int r = add_listed(a, paths->v[i], false, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int adder_add_dirs(adder *a, const strv *dirs, err_t *e)
{
        for (size_t i = 0; i < dirs->n; i++) {
                int r = add_listed(a, dirs->v[i], true, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A rule's directory (or file), when the root has it. */
static int add_rule(adder *a, const char *rule, const char *path, err_t *e)
{
        _cleanup_free_ char *host = host_path(a, path);
        struct stat st;
        if (lstat(host, &st) < 0)
                return 0;
        _cleanup_free_ char *why = xasprintf("rule %s", rule);
        const char *saved = a->reason;
        a->reason = why;
        a->lenient++;
        err_t pe = {0};
        int r = left_out(a, add_any(a, path, NULL, 0, &pe), &pe, e);
        a->lenient--;
        a->reason = saved;
        if (r < 0)
                return err_prefix(e, "rule %s", rule);
        return 0;
}

int adder_rules(adder *a, const adder_rule_opts *o, err_t *e)
{
        int r = 0;
        if (a->links_iconv && a->libc) {
                /* iconv_open loads its converters from libc's gconv/ by
                 * the gconv-modules cache there: ld.so never sees them. */
                _cleanup_free_ char *dir = path_dirname(a->libc);
                _cleanup_free_ char *gconv = path_join(dir, "gconv");
                r = add_rule(a, "gconv", gconv, e);
        }
        /* setlocale("C.UTF-8") reads this compiled locale; glibc has only
         * the plain C locale built in. */
        if (r == 0 && a->links_libc && a->links_locale)
                r = add_rule(a, "locale", "/usr/lib/locale/C.utf8", e);
        if (r == 0 && o->tz)
                r = add_rule(a, "tz", "/usr/share/zoneinfo", e);
        if (r == 0 && a->links_tls && o->tls) {
                /* The bundle, the hashed links (their targets in
                 * /usr/share/ca-certificates come along) and what of
                 * OpenSSL's directory a client reads: its links to the
                 * bundle, the certificates and the configuration. Not the
                 * directory as a whole: its "private" is the host's
                 * private keys (/etc/ssl/private), no CA data at all. */
                static const char *const ca[] = {"/etc/ssl/certs", "/usr/lib/ssl/cert.pem",
                                                 "/usr/lib/ssl/certs", "/usr/lib/ssl/openssl.cnf"};
                for (size_t i = 0; i < ARRAY_SIZE(ca) && r == 0; i++)
                        r = add_rule(a, "ca-certificates", ca[i], e);
        }
        return r;
}

int adder_report(adder *a, const char *file, err_t *e)
{
        const stage_entry *const *v = stage_sorted(a->s);
        size_t n = stage_count(a->s);
        _cleanup_sb_ strbuf out = {0};
        for (size_t i = 0; i < n; i++) {
                const char *why = strmap_get(a->reasons, v[i]->path);
                for (size_t k = 0; !why && k < ARRAY_SIZE(skel_dirs); k++)
                        if (!strcmp(v[i]->path, skel_dirs[k].path))
                                why = "skeleton";
                for (size_t k = 0; !why && k < ARRAY_SIZE(skel_files); k++)
                        if (!strcmp(v[i]->path, skel_files[k].path))
                                why = "skeleton";
                if (!why)
                        why = v[i]->kind == STAGE_DIR ? "parent directory" : "skeleton";
                sb_appendf(&out, "/%s\t%s\n", v[i]->path, why);
        }
        int r = fs_write_atomic_at(AT_FDCWD, file, out.s ? out.s : "", out.len, 0644, e);
        if (r < 0)
                return err_prefix(e, "--trace-report %s", file);
        return 0;
}
