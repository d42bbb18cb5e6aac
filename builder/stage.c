/* stage: the in-memory tree an image will hold. Entries live in an array
 * of nodes indexed by an open-addressing hash table on the image path, so
 * lookups stay O(1) for trees of 100k+ entries; the sorted view is built
 * lazily and cached until the next add. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "stage.h"

#define STAGE_SYMLINK_MAX 40

typedef struct stage_node {
        stage_entry e;
        bool implied; /* directory created only because a child needs it */
} stage_node;

struct stage {
        stage_node **nodes;
        size_t n, cap;
        uint32_t *table;   /* index + 1 into nodes; 0 = empty slot */
        size_t table_size; /* power of two */
        const stage_entry **sorted;
        bool sorted_valid;
};

static uint64_t stage_hash(const char *p)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *p; p++) {
                h ^= (unsigned char)*p;
                h *= 1099511628211ULL;
        }
        return h;
}

static stage_node *stage_find(const stage *s, const char *path)
{
        size_t mask = s->table_size - 1;
        for (size_t i = stage_hash(path) & mask;; i = (i + 1) & mask) {
                uint32_t v = s->table[i];
                if (v == 0)
                        return NULL;
                if (strcmp(s->nodes[v - 1]->e.path, path) == 0)
                        return s->nodes[v - 1];
        }
}

static void stage_table_insert(stage *s, size_t idx)
{
        size_t mask = s->table_size - 1;
        size_t i = stage_hash(s->nodes[idx]->e.path) & mask;
        while (s->table[i] != 0)
                i = (i + 1) & mask;
        s->table[i] = (uint32_t)(idx + 1);
}

static void stage_table_grow(stage *s)
{
        free(s->table);
        s->table_size *= 2;
        s->table = xcalloc(s->table_size, sizeof(*s->table));
        for (size_t i = 0; i < s->n; i++)
                stage_table_insert(s, i);
}

stage *stage_new(void)
{
        stage *s = xcalloc(1, sizeof(*s));
        s->table_size = 1024;
        s->table = xcalloc(s->table_size, sizeof(*s->table));
        return s;
}

static void stage_entry_clear(stage_entry *e)
{
        free(e->host);
        free(e->data);
        free(e->target);
        for (size_t i = 0; i < e->n_xattrs; i++) {
                free(e->xattrs[i].name);
                free(e->xattrs[i].value);
        }
        free(e->xattrs);
        char *path = e->path;
        *e = (stage_entry){.path = path};
}

void stage_free(stage *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++) {
                stage_entry_clear(&s->nodes[i]->e);
                free(s->nodes[i]->e.path);
                free(s->nodes[i]);
        }
        free(s->nodes);
        free(s->table);
        free(s->sorted);
        free(s);
}

size_t stage_count(const stage *s)
{
        return s->n;
}

/* Append a new node for path (which must not exist yet); takes path. */
static stage_node *stage_insert(stage *s, char *path)
{
        if ((s->n + 1) * 2 > s->table_size)
                stage_table_grow(s);
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 256;
                s->nodes = xreallocarray(s->nodes, s->cap, sizeof(*s->nodes));
        }
        stage_node *n = xcalloc(1, sizeof(*n));
        n->e.path = path;
        n->e.mtime = -1;
        s->nodes[s->n] = n;
        stage_table_insert(s, s->n);
        s->n++;
        s->sorted_valid = false;
        return n;
}

/* Normalise into components joined by "/": strip leading slashes, drop
 * "" and ".", resolve "..". With clamp, ".." at the root stays there (a
 * symlink target inside the image); without it, leaving the root fails. */
static int stage_normalize(const char *p, bool clamp, char **ret)
{
        size_t len = strlen(p);
        _cleanup_free_ char *out = xmalloc(len + 1);
        size_t o = 0;
        const char *c = p;
        while (*c) {
                while (*c == '/')
                        c++;
                if (!*c)
                        break;
                const char *end = strchrnul(c, '/');
                size_t n = (size_t)(end - c);
                if (n == 1 && c[0] == '.') {
                        /* skip */
                } else if (n == 2 && c[0] == '.' && c[1] == '.') {
                        if (o == 0) {
                                if (!clamp)
                                        return -EINVAL;
                        } else {
                                while (o > 0 && out[o - 1] != '/')
                                        o--;
                                if (o > 0)
                                        o--; /* the slash */
                        }
                } else {
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, c, n);
                        o += n;
                }
                c = end;
        }
        out[o] = '\0';
        *ret = steal_pointer(&out);
        return 0;
}

/* Resolve dest to its place in the staged tree: normalised, with every
 * parent component that is a staged symlink followed inside the tree. The
 * last component is not followed. */
static int stage_resolve(const stage *s, const char *dest, char **ret, err_t *e)
{
        _cleanup_free_ char *p = NULL;
        if (stage_normalize(dest, false, &p) < 0)
                return err_set(e, -EINVAL, "\"%s\": leaves the image root", dest);
        if (!*p)
                return err_set(e, -EINVAL, "\"%s\": empty image path", dest);

        unsigned hops = 0;
        size_t pos = 0;
        for (;;) {
                char *slash = strchr(p + pos, '/');
                if (!slash)
                        break;
                *slash = '\0';
                const stage_node *n = stage_find(s, p);
                if (n && n->e.kind == STAGE_SYMLINK) {
                        if (++hops > STAGE_SYMLINK_MAX)
                                return err_set(e, -ELOOP,
                                               "\"%s\": too many levels of symbolic links", dest);
                        const char *t = n->e.target;
                        _cleanup_free_ char *joined = NULL;
                        if (t[0] == '/') {
                                joined = xasprintf("%s/%s", t, slash + 1);
                        } else {
                                const char *last = strrchr(p, '/');
                                if (last)
                                        joined = xasprintf("%.*s/%s/%s", (int)(last - p), p, t,
                                                           slash + 1);
                                else
                                        joined = xasprintf("%s/%s", t, slash + 1);
                        }
                        free(p);
                        p = NULL;
                        stage_normalize(joined, true, &p);
                        if (!*p)
                                return err_set(e, -EINVAL, "\"%s\": resolves to the image root",
                                               dest);
                        pos = 0;
                        continue;
                }
                if (n && n->e.kind != STAGE_DIR) {
                        int r = err_set(e, -ENOTDIR, "\"%s\": \"%s\" is staged and not a directory",
                                        dest, p);
                        return r;
                }
                *slash = '/';
                pos = (size_t)(slash - p) + 1;
        }
        *ret = steal_pointer(&p);
        return 0;
}

/* Create implied 0755 directories for every missing parent of path (which
 * resolve has already checked for symlinks and non-directories). */
static void stage_add_parents(stage *s, const char *path)
{
        for (const char *c = strchr(path, '/'); c; c = strchr(c + 1, '/')) {
                _cleanup_free_ char *parent = xstrndup(path, (size_t)(c - path));
                if (stage_find(s, parent))
                        continue;
                stage_node *n = stage_insert(s, steal_pointer(&parent));
                n->e.kind = STAGE_DIR;
                n->e.mode = S_IFDIR | 0755;
                n->implied = true;
        }
}

static bool stage_same_source(const stage_entry *a, const stage_entry *b)
{
        if (a->kind != b->kind)
                return false;
        if (a->host || b->host)
                return a->host && b->host && strcmp(a->host, b->host) == 0;
        switch (a->kind) {
        case STAGE_SYMLINK: return strcmp(a->target, b->target) == 0;
        case STAGE_FILE:
                return a->size == b->size && (a->mode & 07777) == (b->mode & 07777) &&
                       (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
        default: return true;
        }
}

/* Whether the staged symlink at path leads to a staged directory. */
static bool stage_symlink_to_dir(const stage *s, const char *path)
{
        err_t e = {0};
        _cleanup_free_ char *probe = xasprintf("%s/_", path), *res = NULL;
        if (stage_resolve(s, probe, &res, &e) < 0)
                return false;
        res[strlen(res) - 2] = '\0'; /* drop "/_" */
        const stage_node *n = stage_find(s, res);
        return n && n->e.kind == STAGE_DIR;
}

/* Put the prepared entry `in` at dest. Takes ownership of in's fields
 * (and frees them when it is not stored). */
static int stage_put(stage *s, const char *dest, stage_entry *in, err_t *e)
{
        _cleanup_free_ char *path = NULL;
        int r = stage_resolve(s, dest, &path, e);
        if (r < 0) {
                stage_entry_clear(in);
                return r;
        }
        stage_node *n = stage_find(s, path);
        if (n) {
                if (n->e.kind == STAGE_DIR && in->kind == STAGE_DIR) {
                        /* A real directory replaces an implied one; two real
                         * ones merge and the first keeps its attributes. */
                        if (n->implied) {
                                char *keep = n->e.path;
                                stage_entry_clear(&n->e);
                                n->e = *in;
                                n->e.path = keep;
                                n->implied = false;
                                s->sorted_valid = false;
                                return 0;
                        }
                        stage_entry_clear(in);
                        return 0;
                }
                if (n->e.kind == STAGE_SYMLINK && in->kind == STAGE_DIR &&
                    stage_symlink_to_dir(s, path)) {
                        /* "lib" -> "usr/lib" already stands for a directory */
                        stage_entry_clear(in);
                        return 0;
                }
                bool same = stage_same_source(&n->e, in);
                const char *what = n->e.host                    ? n->e.host
                                   : n->e.kind == STAGE_DIR     ? "a directory"
                                   : n->e.kind == STAGE_SYMLINK ? "a symlink"
                                                                : "generated data";
                if (!same)
                        r = err_set(e, -EEXIST, "\"%s\": already staged (from %s)", path, what);
                stage_entry_clear(in);
                return same ? 0 : r;
        }
        stage_add_parents(s, path);
        n = stage_insert(s, steal_pointer(&path));
        char *keep = n->e.path;
        n->e = *in;
        n->e.path = keep;
        return 0;
}

static int stage_read_xattrs(const char *host, stage_entry *out, err_t *e)
{
        ssize_t len = llistxattr(host, NULL, 0);
        if (len < 0) {
                if (errno == ENOTSUP || errno == ENOSYS)
                        return 0;
                return err_sys(e, errno, "%s: listing extended attributes", host);
        }
        if (len == 0)
                return 0;
        _cleanup_free_ char *names = xmalloc((size_t)len + 1);
        len = llistxattr(host, names, (size_t)len);
        if (len < 0) /* changed under us; treat as none rather than fail */
                return 0;
        names[len] = '\0';
        for (char *nm = names; nm < names + len; nm += strlen(nm) + 1) {
                ssize_t vl = lgetxattr(host, nm, NULL, 0);
                if (vl < 0)
                        continue; /* unreadable (permission, vanished): skip it */
                _cleanup_free_ void *val = xmalloc(vl ? (size_t)vl : 1);
                vl = lgetxattr(host, nm, val, (size_t)vl);
                if (vl < 0)
                        continue;
                out->xattrs = xreallocarray(out->xattrs, out->n_xattrs + 1, sizeof(*out->xattrs));
                out->xattrs[out->n_xattrs++] = (stage_xattr){
                        .name = xstrdup(nm), .value = steal_pointer(&val), .size = (size_t)vl};
        }
        /* Stable order whatever the file system lists. */
        for (size_t i = 1; i < out->n_xattrs; i++)
                for (size_t j = i;
                     j > 0 && strcmp(out->xattrs[j - 1].name, out->xattrs[j].name) > 0; j--) {
                        stage_xattr t = out->xattrs[j];
                        out->xattrs[j] = out->xattrs[j - 1];
                        out->xattrs[j - 1] = t;
                }
        return 0;
}

int stage_add_host(stage *s, const char *dest, const char *host, err_t *e)
{
        struct stat st;
        if (lstat(host, &st) < 0)
                return err_sys(e, errno, "%s", host);
        stage_entry in = {
                .mode = st.st_mode,
                .uid = st.st_uid,
                .gid = st.st_gid,
                .mtime = (int64_t)st.st_mtim.tv_sec,
        };
        switch (st.st_mode & S_IFMT) {
        case S_IFREG:
                in.kind = STAGE_FILE;
                in.host = xstrdup(host);
                in.size = (size_t)st.st_size;
                in.host_dev = st.st_dev;
                in.host_ino = st.st_ino;
                in.host_nlink = st.st_nlink;
                break;
        case S_IFLNK: {
                in.kind = STAGE_SYMLINK;
                in.host = xstrdup(host);
                size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : PATH_MAX;
                _cleanup_free_ char *t = xmalloc(cap);
                ssize_t n = readlink(host, t, cap);
                if (n < 0) {
                        int r = err_sys(e, errno, "%s: reading symlink", host);
                        stage_entry_clear(&in);
                        return r;
                }
                if ((size_t)n >= cap) {
                        stage_entry_clear(&in);
                        return err_set(e, -EIO, "%s: symlink changed while reading it", host);
                }
                t[n] = '\0';
                in.target = steal_pointer(&t);
                break;
        }
        case S_IFDIR:
                in.kind = STAGE_DIR;
                in.host = xstrdup(host);
                break;
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
        case S_IFSOCK:
                in.kind = STAGE_DEVICE;
                in.host = xstrdup(host);
                in.rdev = st.st_rdev;
                break;
        default: return err_set(e, -EINVAL, "%s: unsupported file type", host);
        }
        int r = stage_read_xattrs(host, &in, e);
        if (r < 0) {
                stage_entry_clear(&in);
                return r;
        }
        return stage_put(s, dest, &in, e);
}

int stage_add_dir(stage *s, const char *dest, mode_t perm, err_t *e)
{
        stage_entry in = {.kind = STAGE_DIR, .mode = S_IFDIR | (perm & 07777), .mtime = -1};
        return stage_put(s, dest, &in, e);
}

int stage_add_symlink(stage *s, const char *dest, const char *target, err_t *e)
{
        if (!target || !*target)
                return err_set(e, -EINVAL, "\"%s\": empty symlink target", dest);
        stage_entry in = {.kind = STAGE_SYMLINK,
                          .mode = S_IFLNK | 0777,
                          .mtime = -1,
                          .target = xstrdup(target)};
        return stage_put(s, dest, &in, e);
}

int stage_add_data(stage *s, const char *dest, mode_t perm, const void *data, size_t len, err_t *e)
{
        stage_entry in = {
                .kind = STAGE_FILE, .mode = S_IFREG | (perm & 07777), .mtime = -1, .size = len};
        in.data = xmalloc(len ? len : 1);
        if (len)
                memcpy(in.data, data, len);
        return stage_put(s, dest, &in, e);
}

const stage_entry *stage_lookup(const stage *s, const char *dest)
{
        err_t e = {0};
        _cleanup_free_ char *path = NULL;
        if (stage_resolve(s, dest, &path, &e) < 0)
                return NULL;
        const stage_node *n = stage_find(s, path);
        return n ? &n->e : NULL;
}

static int stage_cmp(const void *a, const void *b)
{
        const stage_entry *x = *(const stage_entry *const *)a;
        const stage_entry *y = *(const stage_entry *const *)b;
        return strcmp(x->path, y->path);
}

/* Plain bytewise order already puts every directory before its contents:
 * a parent's path is a strict prefix of its children's. */
const stage_entry *const *stage_sorted(stage *s)
{
        if (!s->sorted_valid) {
                free(s->sorted);
                s->sorted = xreallocarray(NULL, s->n + 1, sizeof(*s->sorted));
                for (size_t i = 0; i < s->n; i++)
                        s->sorted[i] = &s->nodes[i]->e;
                s->sorted[s->n] = NULL;
                qsort(s->sorted, s->n, sizeof(*s->sorted), stage_cmp);
                s->sorted_valid = true;
        }
        return s->sorted;
}

void stage_set_owners(stage *s, void (*fn)(void *ud, const char *path, uid_t *uid, gid_t *gid),
                      void *ud)
{
        for (size_t i = 0; i < s->n; i++) {
                stage_entry *en = &s->nodes[i]->e;
                if (en->host)
                        fn(ud, en->path, &en->uid, &en->gid);
        }
}

void stage_map_owner(stage *s, uid_t uid, gid_t gid, uid_t to_uid, gid_t to_gid)
{
        for (size_t i = 0; i < s->n; i++) {
                stage_entry *en = &s->nodes[i]->e;
                if (!en->host)
                        continue;
                if (en->uid == uid)
                        en->uid = to_uid;
                if (en->gid == gid)
                        en->gid = to_gid;
        }
}
