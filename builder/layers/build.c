/* Building a manifest: each step is looked up by a key of its inputs (the
 * key below it, the step's text and environment, digests of the host
 * files it reads); a miss runs the step in a working tree made from the
 * layers below and stores what changed as a new layer. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "add.h"
#include "builder.h"
#include "config.h"
#include "layers.h"
#include "runner.h"
#if MKROOT_HAVE_FETCH
#include "apt.h"
#endif

typedef struct builder_state {
        store *st;
        const lay_build_opts *o;
        const lay_manifest *m;
        lay_image *im;
        store_scratch *sc; /* working tree: sc->path/root, made on the first miss */
        char *root;
        lay_snap *snap;
        strv env; /* the current step's: the base image's Env, then the manifest's */
        bool have_epoch;
        int64_t epoch;
        int64_t newest; /* the newest mtime among the files the build reads */
} builder_state;

static void saw_mtime(builder_state *b, int64_t t)
{
        if (t > b->newest)
                b->newest = t;
}

static void key_of(const char *text, char ret[DIGEST_HEX_LEN + 1])
{
        digest_buf(text, strlen(text), ret);
}

static void image_push(lay_image *im, const lay_layer *l)
{
        im->layers = xreallocarray(im->layers, im->n_layers + 1, sizeof(*im->layers));
        im->layers[im->n_layers] = *l;
        im->layers[im->n_layers].created_by = xstrdup(l->created_by ? l->created_by : "");
        im->n_layers++;
}

/* ---- inputs --------------------------------------------------------------- */

/* Digest of everything a staged tree holds: paths, metadata, contents.
 * *newest grows to the newest host file's mtime. */
static int stage_digest(stage *s, char ret[DIGEST_HEX_LEN + 1], int64_t *newest, err_t *e)
{
        digest_ctx *c = digest_new();
        const stage_entry *const *v = stage_sorted(s);
        for (size_t i = 0; i < stage_count(s); i++) {
                const stage_entry *se = v[i];
                _cleanup_free_ char *line = xasprintf(
                        "%s\n%d %o %u %u %s\n", se->path, (int)se->kind, (unsigned)se->mode,
                        (unsigned)se->uid, (unsigned)se->gid, se->target ? se->target : "");
                digest_update(c, line, strlen(line));
                if (se->data)
                        digest_update(c, se->data, se->size);
                if (se->host && se->mtime > *newest)
                        *newest = se->mtime;
                if (se->host && se->kind == STAGE_FILE) {
                        _cleanup_close_ int fd = open(se->host, O_RDONLY | O_CLOEXEC);
                        char hex[DIGEST_HEX_LEN + 1];
                        if (fd < 0 || digest_fd(fd, hex, e) < 0) {
                                digest_free(c);
                                return fd < 0 ? err_sys(e, errno, "%s", se->host) : e->code;
                        }
                        digest_update(c, hex, DIGEST_HEX_LEN);
                }
        }
        digest_final(c, ret);
        return 0;
}

/* In a user namespace the host's ids it does not map (root's, for one)
 * show as the overflow ids: a host file of root's, added to the image,
 * is root's there too, as in a build by root. */
static void unmapped_to_root(stage *s)
{
        unsigned long ids[2] = {65534, 65534};
        static const char *const files[] = {"/proc/sys/kernel/overflowuid",
                                            "/proc/sys/kernel/overflowgid"};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                err_t ignore = {0};
                if (fs_read_file_at(AT_FDCWD, files[i], 64, &text, &len, &ignore) == 0)
                        ids[i] = strtoul(text, NULL, 10);
        }
        stage_map_owner(s, (uid_t)ids[0], (gid_t)ids[1], 0, 0);
}

static char *host_path(const lay_manifest *m, const char *p)
{
        return p[0] == '/' ? xstrdup(p) : path_join(m->dir, p);
}

/* Stage an Add or Copy step's host files. keep: image paths the user
 * named (copied even when the base has them). */
static int stage_inputs(builder_state *b, const lay_step *step, stage *s, strv *keep, err_t *e)
{
        if (step->kind == LAY_STEP_COPY) {
                _cleanup_free_ char *src = host_path(b->m, step->args.v[0]);
                const char *dest = step->args.v[1];
                struct stat st;
                if (lstat(src, &st) < 0)
                        return err_sys(e, errno, "Copy: %s", src);
                if (S_ISDIR(st.st_mode))
                        return build_stage_tree(s, dest, src, e);
                _cleanup_free_ char *d = dest[strlen(dest) - 1] == '/'
                                                 ? path_join(dest, path_basename(src))
                                                 : xstrdup(dest);
                return stage_add_host(s, d, src, e);
        }
        resolver *r = NULL;
        resolver_opts ro = {.root = NULL, .library_path = getenv("LD_LIBRARY_PATH")};
        int rc = resolver_new(&ro, &r, e);
        if (rc < 0)
                return rc;
        add_opts ao = {.allow_missing = b->o->allow_missing};
        adder *a = adder_new(r, s, NULL, &ao);
        for (size_t i = 0; i < step->args.n && rc == 0; i++) {
                const char *arg = step->args.v[i];
                const char *colon = strrchr(arg, ':');
                _cleanup_free_ char *src = NULL, *dest = NULL;
                if (colon && colon[1] == '/' && colon != arg) {
                        src = xstrndup(arg, (size_t)(colon - arg));
                        dest = xstrdup(colon + 1);
                } else
                        src = xstrdup(arg);
                _cleanup_free_ char *hp = host_path(b->m, src);
                rc = adder_add(a, hp, dest, e);
                const char *named = dest ? dest : hp;
                _cleanup_free_ char *n = path_normalize(named);
                strv_push(keep, n[0] == '/' ? n + 1 : n);
                char real[PATH_MAX];
                if (!dest && realpath(hp, real))
                        strv_push(keep, real + 1);
        }
        if (rc == 0)
                rc = adder_finish(a, e);
        if (rc == 0 && step->skeleton)
                rc = skeleton_add(s, e);
        adder_free(a);
        resolver_free(r);
        return rc;
}

/* ---- the working tree ----------------------------------------------------- */

static int tree_open(builder_state *b, err_t *e)
{
        if (b->root)
                return 0;
        int r = store_scratch_new(b->st, "tmp", &b->sc, e);
        if (r < 0)
                return r;
        b->root = path_join(b->sc->path, "root");
        if (mkdir(b->root, 0755) < 0)
                return err_sys(e, errno, "%s", b->root);
        r = lay_flatten(b->st, b->im, b->root, e);
        if (r < 0)
                return r;
        return lay_snap_take(b->root, &b->snap, e);
}

static void tree_close(builder_state *b)
{
        lay_snap_free(b->snap);
        b->snap = NULL;
        if (b->sc) {
                err_t e = {0};
                store_scratch_remove(b->st, b->sc, &e);
        }
        b->sc = NULL;
        free(b->root);
        b->root = NULL;
}

static int write_stage_into_tree(builder_state *b, stage *s, bool skip_existing, const strv *keep,
                                 err_t *e)
{
        _cleanup_free_ char *tar = path_join(b->sc->path, "step.tar");
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = IMAGE_COMPRESS_NONE};
        int r = image_write(s, tar, &io, e);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = open(b->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", b->root);
        lay_apply_opts ao = {.skip_existing = skip_existing, .keep_dirs = true, .keep = keep};
        strmap *fx = strmap_new();
        r = lay_apply(rootfd, tar, &ao, fx, e);
        lay_fixups_apply(rootfd, fx);
        strmap_free(fx);
        unlink(tar);
        return r;
}

/* The host's name service files, lent to a step that has the network when
 * the image has none (as docker does for RUN) and taken back before the
 * diff. */
static void lend_host_files(const char *root, strv *lent)
{
        static const char *const files[] = {"etc/resolv.conf", "etc/hosts"};
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                err_t e = {0};
                _cleanup_free_ char *data = NULL;
                size_t len;
                _cleanup_free_ char *host = xasprintf("/%s", files[i]);
                if (fs_read_file_at(AT_FDCWD, host, 1 << 20, &data, &len, &e) < 0)
                        continue;
                _cleanup_close_ int fd = fs_open_in_root(
                        rootfd, files[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644, &e);
                if (fd < 0)
                        continue; /* the image has its own (or no /etc) */
                if (fd_write_all(fd, data, len) == 0)
                        strv_push(lent, files[i]);
                else
                        unlinkat(rootfd, files[i], 0);
        }
}

static void take_back_host_files(const char *root, strv *lent)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (size_t i = 0; rootfd >= 0 && i < lent->n; i++) {
                err_t e = {0};
                _cleanup_free_ char *dir = path_dirname(lent->v[i]), *res = NULL;
                if (fs_resolve_in_root(rootfd, dir, true, &res, &e) < 0)
                        continue;
                _cleanup_free_ char *rel = xasprintf(".%s/%s", res, path_basename(lent->v[i]));
                unlinkat(rootfd, rel, 0);
        }
        strv_free(lent);
}

/* Run a shell script inside the working tree under runroot's default
 * profile, with the network net. */
static int run_script(builder_state *b, const lay_step *step, const char *script,
                      runner_tree_net net, err_t *e)
{
        _cleanup_strv_ strv env = {0};
        bool have_path = false, have_home = false;
        for (size_t i = 0; i < b->env.n; i++) {
                have_path |= !strncmp(b->env.v[i], "PATH=", 5);
                have_home |= !strncmp(b->env.v[i], "HOME=", 5);
                strv_push(&env, b->env.v[i]);
        }
        if (!have_path)
                strv_push(&env,
                          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (!have_home)
                strv_push(&env, "HOME=/root");
        char *plain[] = {"/bin/sh", "-c", (char *)script, NULL};
        char *in_wd[] = {"/bin/sh",      "-c", "cd -- \"$1\" && eval \"$2\"", "sh", step->workdir,
                         (char *)script, NULL};
        if (step->workdir) {
                /* Made here, inside the root: the image need not have mkdir. */
                _cleanup_close_ int rootfd = open(b->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_free_ char *res = NULL;
                if (rootfd < 0)
                        return err_sys(e, errno, "%s", b->root);
                int r = fs_resolve_in_root(rootfd, step->workdir, true, &res, e);
                if (r == 0 && strcmp(res, "/"))
                        r = fs_mkdir_p_at(rootfd, res + 1, 0755, e);
                if (r < 0)
                        return err_prefix(e, "Workdir %s", step->workdir);
        }
        strv lent = {0};
        if (net != RUNNER_TREE_NET_NONE)
                lend_host_files(b->root, &lent);
        int r = runner_exec_in_tree(b->root, step->workdir ? in_wd : plain, strv_argv(&env), net,
                                    e);
        take_back_host_files(b->root, &lent);
        if (r < 0)
                return r;
        if (r != 0)
                return err_set(e, -ECHILD, "exit status %d", r);
        return 0;
}

static int remove_paths(builder_state *b, const lay_step *step, err_t *e)
{
        _cleanup_close_ int rootfd = open(b->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return err_sys(e, errno, "%s", b->root);
        for (size_t i = 0; i < step->args.n; i++) {
                _cleanup_free_ char *n = path_normalize(step->args.v[i]);
                if (!strcmp(n, "/"))
                        return err_set(e, -EINVAL, "Remove: refusing to remove /");
                _cleanup_free_ char *dir = path_dirname(n), *res = NULL;
                int r = fs_resolve_in_root(rootfd, dir, true, &res, e);
                if (r < 0)
                        return r;
                _cleanup_free_ char *rel = xasprintf(".%s", res);
                _cleanup_close_ int pfd =
                        openat(rootfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (pfd < 0 || fstatat(pfd, path_basename(n), &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        log_warn("Remove: %s: not in the image", step->args.v[i]);
                        continue;
                }
                r = fs_rm_rf_at(pfd, path_basename(n), e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int run_step(builder_state *b, const lay_step *step, stage *inputs, const strv *keep,
                    err_t *e)
{
        switch (step->kind) {
        case LAY_STEP_ADD:
                return write_stage_into_tree(b, inputs, !b->o->deps_all && !b->m->deps_all, keep,
                                             e);
        case LAY_STEP_COPY: return write_stage_into_tree(b, inputs, false, NULL, e);
        case LAY_STEP_RUN:
                return run_script(b, step, step->args.v[0],
                                  step->network || b->o->network ? RUNNER_TREE_NET_HOST
                                                                 : RUNNER_TREE_NET_NONE,
                                  e);
        case LAY_STEP_INCLUDE: {
                /* Looked up inside the tree: a link planted there is
                 * resolved within it, never on the host. */
                _cleanup_close_ int rootfd = open(b->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0)
                        return err_sys(e, errno, "%s", b->root);
                _cleanup_close_ int apt =
                        fs_open_in_root(rootfd, "usr/bin/apt-get", O_PATH, 0, NULL);
                struct stat st;
                if (apt < 0 || fstat(apt, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        return err_set(e, -ENOENT, "the base has no apt-get");
                _cleanup_sb_ strbuf pkgs = {0};
                for (size_t i = 0; i < step->args.n; i++) {
                        for (const char *c = step->args.v[i]; *c; c++)
                                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+-.:=~_", *c))
                                        return err_set(e, -EINVAL, "'%s': not a package name",
                                                       step->args.v[i]);
                        sb_appendf(&pkgs, " %s", step->args.v[i]);
                }
                /* Only the download has a network, and only outbound
                 * (pasta: the base's apt reaches the mirror, not the
                 * host's loopback); the packages' maintainer scripts run
                 * in the second call, without any. */
                _cleanup_sb_ strbuf dl = {0}, inst = {0};
                sb_appendf(&dl,
                           "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && "
                           "apt-get install -y -q --no-install-recommends --download-only --%s",
                           pkgs.s);
                sb_appendf(&inst,
                           "export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q "
                           "--no-install-recommends --no-download --%s && apt-get clean && "
                           "rm -rf /var/lib/apt/lists/*",
                           pkgs.s);
                int r = run_script(b, step, dl.s, RUNNER_TREE_NET_OUTBOUND, e);
                if (r < 0)
                        return err_prefix(e, "download");
                return run_script(b, step, inst.s, RUNNER_TREE_NET_NONE, e);
        }
        case LAY_STEP_REMOVE: return remove_paths(b, step, e);
        default: return err_set(e, -EINVAL, "unknown step");
        }
}

/* What the step changed in the tree, as a stored layer. */
static int commit_layer(builder_state *b, const char *created_by, lay_layer *ret, err_t *e)
{
        lay_snap *after = NULL;
        int r = lay_snap_take(b->root, &after, e);
        if (r < 0)
                return r;
        stage *s = stage_new();
        size_t n = 0;
        r = lay_snap_diff(b->snap, after, b->root, s, &n, e);
        _cleanup_free_ char *tar = path_join(b->sc->path, "layer.tar");
        image_opts io = {.format = IMAGE_FORMAT_TAR,
                         .compress = IMAGE_COMPRESS_NONE,
                         .have_epoch = b->have_epoch,
                         .epoch = b->epoch};
        if (r == 0)
                r = image_write(s, tar, &io, e);
        stage_free(s);
        if (r == 0)
                r = lay_store_tar(b->st, tar, false, ret, e);
        unlink(tar);
        if (r < 0) {
                lay_snap_free(after);
                return r;
        }
        ret->created_by = xstrdup(created_by);
        log_debug("%s: %zu changes", created_by, n);
        lay_snap_free(b->snap);
        b->snap = after;
        return 0;
}

/* ---- the base --------------------------------------------------------------- */

#if MKROOT_HAVE_FETCH
static int fetch_suite_base(builder_state *b, const char *name, char **ret, err_t *e)
{
        _cleanup_free_ char *key = xasprintf("%s.tar.gz", name);
        _cleanup_free_ char *out = NULL;
        int r = store_area_path(b->st, STORE_AREA_BASES, key, &out, e);
        if (r < 0)
                return err_prefix(e, "Base: %s", name);
        /* Dot-named: if this fetch dies, store_gc removes it a day later. */
        _cleanup_free_ char *dir = path_dirname(out);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s-%d.tar.gz", dir, name, (int)getpid());
        log_info("Base: %s is not in the cache: fetching it", name);
        apt_bootstrap_opts ao = {.suite = name,
                                 .output = tmp,
                                 .cache_dir = b->o->cache_dir,
                                 .not_host_root = b->o->userns,
                                 .variant = APT_VARIANT_MINBASE,
                                 .compress_level = 0};
        r = apt_bootstrap(&ao, e);
        if (r < 0) {
                unlink(tmp);
                return err_prefix(e, "Base: %s", name);
        }
        /* The fetch keeps its image as bases/SUITE_ARCH: that one, when
         * it did (as it does unless the store refused). */
        char *kept = NULL;
        if (store_base_find(b->st, name, &kept, NULL) == 0) {
                unlink(tmp);
                *ret = kept;
                return 0;
        }
        if (rename(tmp, out) < 0)
                return err_sys(e, errno, "%s", out);
        *ret = steal_pointer(&out);
        return 0;
}
#endif

static void config_merge(lay_config *dst, const lay_config *src)
{
        for (size_t i = 0; i < src->env.n; i++) {
                const char *eq = strchr(src->env.v[i], '=');
                size_t kl = eq ? (size_t)(eq - src->env.v[i]) + 1 : strlen(src->env.v[i]);
                bool done = false;
                for (size_t k = 0; k < dst->env.n && !done; k++)
                        if (!strncmp(dst->env.v[k], src->env.v[i], kl)) {
                                free(dst->env.v[k]);
                                dst->env.v[k] = xstrdup(src->env.v[i]);
                                done = true;
                        }
                if (!done)
                        strv_push(&dst->env, src->env.v[i]);
        }
        if (src->have_entrypoint) {
                strv_free(&dst->entrypoint);
                for (size_t i = 0; i < src->entrypoint.n; i++)
                        strv_push(&dst->entrypoint, src->entrypoint.v[i]);
                dst->have_entrypoint = true;
        }
        if (src->have_cmd) {
                strv_free(&dst->cmd);
                for (size_t i = 0; i < src->cmd.n; i++)
                        strv_push(&dst->cmd, src->cmd.v[i]);
                dst->have_cmd = true;
        }
        if (src->workdir) {
                free(dst->workdir);
                dst->workdir = xstrdup(src->workdir);
        }
        if (src->user) {
                free(dst->user);
                dst->user = xstrdup(src->user);
        }
        for (size_t i = 0; i < src->labels.n; i++)
                strv_push(&dst->labels, src->labels.v[i]);
}

/* The base's layers into b->im; *key_out starts the chain. */
static int load_base(builder_state *b, char key_out[DIGEST_HEX_LEN + 1], err_t *e)
{
        const char *base = b->m->base;
        if (!strcmp(base, "scratch")) {
                key_of("mkroot-base-v1 scratch", key_out);
                return 0;
        }
        _cleanup_free_ char *file = NULL;
        _cleanup_free_ char *hp = host_path(b->m, base);
        struct stat st;
        if (stat(hp, &st) == 0 && S_ISREG(st.st_mode))
                file = steal_pointer(&hp);
        else if (strchr(base, '/') || strchr(base, '.'))
                return err_sys(e, ENOENT, "Base: %s", hp);
        else {
                /* A suite mkroot fetch keeps (cache/), else fetched now. */
                int r = store_base_find(b->st, base, &file, e);
                if (r < 0 && r != -ENOENT)
                        return err_prefix(e, "Base: %s", base);
#if MKROOT_HAVE_FETCH
                if (r == -ENOENT && (r = fetch_suite_base(b, base, &file, e)) < 0)
                        return r;
#else
                if (r == -ENOENT)
                        return err_set(e, ENOTSUP,
                                       "Base: %s: mkroot was built without fetch (-Dfetch=enabled)",
                                       base);
#endif
        }
        /* The file's cheap key (inode, size, times) names its layers, so an
         * unchanged base is not read again. */
        _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_sys(e, errno, "Base: %s", file);
        struct stat fst;
        if (fstat(fd, &fst) == 0)
                saw_mtime(b, fst.st_mtime);
        char fkey[STORE_KEY_MAX];
        int r = store_file_key(fd, fkey, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *kt = xasprintf("mkroot-base-v2 file %s", fkey);
        char bkey[DIGEST_HEX_LEN + 1];
        key_of(kt, bkey);
        /* The record "base-KEY" holds the base's layers and config. */
        _cleanup_free_ char *rk = xasprintf("base-%s", bkey);
        lay_image bim = {0};
        if (lay_record_get(b->st, rk, &bim) < 0) {
                log_info("reading base %s", file);
                lay_src src = {0};
                r = lay_src_open(b->st, file, true, &src, e);
                if (r < 0)
                        return err_prefix(e, "Base: %s", base);
                for (size_t i = 0; i < src.im.n_layers && r == 0; i++) {
                        lay_layer l = {0};
                        r = lay_store_tar(b->st, src.layer_files.v[i], true, &l, e);
                        if (r < 0)
                                break;
                        l.created_by = xstrdup(
                                src.im.layers[i].created_by ? src.im.layers[i].created_by : "");
                        l.rootfs = !strcmp(src.kind, "rootfs");
                        image_push(&bim, &l);
                        lay_layer_clear(&l);
                }
                config_merge(&bim.config, &src.im.config);
                lay_src_close(b->st, &src);
                if (r == 0)
                        r = lay_record_put(b->st, rk, &bim, e);
                if (r < 0) {
                        lay_image_free(&bim);
                        return r;
                }
        }
        digest_ctx *chain = digest_new();
        digest_update(chain, "mkroot-base-v1\n", 15);
        for (size_t i = 0; i < bim.n_layers; i++) {
                digest_update(chain, bim.layers[i].diff, DIGEST_HEX_LEN);
                /* Read without whiteouts, a rootfs layer is another tree. */
                if (bim.layers[i].rootfs)
                        digest_update(chain, " rootfs", 7);
                image_push(b->im, &bim.layers[i]);
        }
        /* A base image's own config (Env, Cmd, ...) is inherited. */
        config_merge(&b->im->config, &bim.config);
        lay_image_free(&bim);
        digest_final(chain, key_out);
        return 0;
}

/* ---- the whole build ---------------------------------------------------- */

int lay_build_enter_userns(lay_build_opts *o, err_t *e)
{
        if (geteuid() == 0)
                return 0;
        int r = runner_userns_enter(0, e);
        if (r < 0)
                return err_prefix(e, "build without root");
        o->userns = true;
        return 1;
}

int lay_build(store *st, const lay_manifest *m, const lay_build_opts *o, lay_image *ret,
              unsigned *ret_built, unsigned *ret_reused, err_t *e)
{
        lay_image im = {0};
        builder_state b = {.st = st, .o = o, .m = m, .im = &im, .newest = m->mtime};
        int64_t epoch = 0;
        if (source_date_epoch(&epoch) == 1) {
                b.have_epoch = true;
                b.epoch = epoch;
                im.created = epoch;
        }
        unsigned built = 0, reused = 0;
        char key[DIGEST_HEX_LEN + 1];
        int r = load_base(&b, key, e);
        for (size_t i = 0; i < m->n_steps && r == 0; i++) {
                const lay_step *step = &m->steps[i];
                stage *inputs = stage_new();
                _cleanup_strv_ strv keep = {0};
                char in[DIGEST_HEX_LEN + 1] = "-";
                if (step->kind == LAY_STEP_ADD || step->kind == LAY_STEP_COPY) {
                        r = stage_inputs(&b, step, inputs, &keep, e);
                        if (r == 0 && o->userns)
                                unmapped_to_root(inputs);
                        if (r == 0)
                                r = stage_digest(inputs, in, &b.newest, e);
                }
                if (r < 0) {
                        stage_free(inputs);
                        err_prefix(e, "step %zu (%s)", i + 1, lay_step_kind_name(step->kind));
                        break;
                }
                _cleanup_sb_ strbuf kt = {0};
                sb_appendf(&kt, "mkroot-step-v1\n%s\n%s\n%s\ndeps=%d\nwd=%s\n", key, step->text, in,
                           (int)(o->deps_all || m->deps_all), step->workdir ? step->workdir : "");
                /* A layer built without root before its namespace existed
                 * carries the host's ids: never reused by one built in it. */
                if (o->userns)
                        sb_append(&kt, "userns\n");
                /* The base's Env (a base image's config) under the step's. */
                strv_free(&b.env);
                lay_config ce = {0};
                config_merge(&ce, &(lay_config){.env = im.config.env});
                config_merge(&ce, &(lay_config){.env = step->env});
                b.env = ce.env;
                ce.env = (strv){0};
                lay_config_free(&ce);
                for (size_t k = 0; k < b.env.n; k++)
                        sb_appendf(&kt, "env %s\n", b.env.v[k]);
                key_of(kt.s, key);
                lay_layer l = {0};
                if (!o->no_cache && lay_step_get(st, key, &l) == 0) {
                        log_info("step %zu/%zu: %s: cached", i + 1, m->n_steps, step->text);
                        reused++;
                        /* A later miss works on a tree made from the layers;
                         * an open tree has to follow the reused layer. */
                        if (b.root)
                                tree_close(&b);
                } else {
                        log_info("step %zu/%zu: %s", i + 1, m->n_steps, step->text);
                        r = tree_open(&b, e);
                        if (r == 0)
                                r = run_step(&b, step, inputs, &keep, e);
                        if (r == 0)
                                r = commit_layer(&b, step->text, &l, e);
                        if (r == 0)
                                r = lay_step_put(st, key, &l, e);
                        if (r < 0)
                                err_prefix(e, "step %zu (%s)", i + 1, step->text);
                        built++;
                }
                stage_free(inputs);
                if (r == 0)
                        image_push(&im, &l);
                lay_layer_clear(&l);
        }
        tree_close(&b);
        strv_free(&b.env);
        if (r < 0) {
                lay_image_free(&im);
                return r;
        }
        config_merge(&im.config, &m->config);
        /* Without SOURCE_DATE_EPOCH, the inputs date the image (a rebuild
         * of the same inputs is the same archive); only a build that read
         * no file at all (scratch and Run steps) is dated now. */
        if (!b.have_epoch)
                im.created = b.newest > 0 ? b.newest : (int64_t)time(NULL);
        *ret = im;
        *ret_built = built;
        *ret_reused = reused;
        return 0;
}

int lay_image_from_stage(store *st, stage *s, const char *created_by, lay_image *ret, err_t *e)
{
        store_scratch *sc = NULL;
        int r = store_scratch_new(st, "tmp", &sc, e);
        if (r < 0)
                return r;
        _cleanup_free_ char *tar = path_join(sc->path, "layer.tar");
        image_opts io = {.format = IMAGE_FORMAT_TAR, .compress = IMAGE_COMPRESS_NONE};
        int64_t epoch;
        lay_image im = {0};
        if (source_date_epoch(&epoch) == 1) {
                io.have_epoch = true;
                io.epoch = epoch;
                im.created = epoch;
        } else {
                /* Dated by its newest file, as a build by its inputs. */
                const stage_entry *const *v = stage_sorted(s);
                for (size_t i = 0; i < stage_count(s); i++)
                        if (v[i]->host && v[i]->mtime > im.created)
                                im.created = v[i]->mtime;
                if (im.created <= 0)
                        im.created = time(NULL);
        }
        r = image_write(s, tar, &io, e);
        lay_layer l = {0};
        if (r == 0)
                r = lay_store_tar(st, tar, false, &l, e);
        store_scratch_remove(st, sc, NULL);
        if (r < 0)
                return r;
        l.created_by = xstrdup(created_by);
        image_push(&im, &l);
        lay_layer_clear(&l);
        *ret = im;
        return 0;
}
