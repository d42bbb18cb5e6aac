/* Records: stacks (an image of OCI layers) and mkroot's build steps. The
 * references are the store's, so that gc knows what a record keeps alive;
 * the payload is the caller's.
 *
 *   mkroot-record 2 KIND\n
 *   ref HEX\n          (one per reference, in order)
 *   \n
 *   PAYLOAD */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define RECORD_MAX (16 << 20)

const char *const store_record_dirs[STORE_RECORD_MAX] = {
        [STORE_RECORD_STACK] = "stacks",
        [STORE_RECORD_STEP] = "steps",
};

static const char *const record_names[STORE_RECORD_MAX] = {
        [STORE_RECORD_STACK] = "stack",
        [STORE_RECORD_STEP] = "step",
};

int store_record_put(store *s, store_record_kind k, const char *name, const strv *refs,
                     const char *payload, err_t *e)
{
        if (k >= STORE_RECORD_MAX || !store_name_ok(name))
                return err_set(e, -EINVAL, "record \"%s\": bad name", name ? name : "");
        _cleanup_sb_ strbuf b = {0};
        sb_appendf(&b, "mkroot-record 2 %s\n", record_names[k]);
        for (size_t i = 0; refs && i < refs->n; i++) {
                if (!store_hex_ok(refs->v[i]))
                        return err_set(e, -EINVAL, "record %s: bad reference \"%s\"", name,
                                       refs->v[i]);
                sb_appendf(&b, "ref %s\n", refs->v[i]);
        }
        sb_append(&b, "\n");
        if (payload)
                sb_append(&b, payload);
        if (k == STORE_RECORD_STACK) {
                _cleanup_free_ char *lock = store_stack_lock_name(name);
                if (!store_holds(s, lock)) {
                        int fd = -1;
                        int r = store_hold_lock(s, lock, &fd, e);
                        if (r < 0)
                                return r;
                        store_held_add(s, lock, fd);
                }
        }
        _cleanup_free_ char *rel = xasprintf("%s/%s", store_record_dirs[k], name);
        int r = fs_write_atomic_at(s->fd, rel, b.s, b.len, 0644, e);
        return r < 0 ? err_prefix(e, "%s", s->root) : 0;
}

static int record_read(store *s, store_record_kind k, const char *name, bool mark_used,
                       strv *ret_refs, char **ret_payload, err_t *e);

int store_record_get(store *s, store_record_kind k, const char *name, bool mark_used,
                     strv *ret_refs, char **ret_payload, err_t *e)
{
        /* Absent (or of another format) is no error: e stays untouched. */
        err_t e2 = {0};
        int r = record_read(s, k, name, mark_used, ret_refs, ret_payload, &e2);
        if (r < 0 && r != -ENOENT && e)
                *e = e2;
        return r;
}

static int record_read(store *s, store_record_kind k, const char *name, bool mark_used,
                       strv *ret_refs, char **ret_payload, err_t *e)
{
        if (k >= STORE_RECORD_MAX || !store_name_ok(name))
                return err_set(e, -ENOENT, "record \"%s\": bad name", name ? name : "");
        _cleanup_free_ char *rel = xasprintf("%s/%s", store_record_dirs[k], name);
        _cleanup_close_ int fd = store_open_checked(s, rel, O_RDONLY | O_NONBLOCK, 0, S_IFREG, e);
        if (fd < 0)
                return fd;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = fd_read_all(fd, RECORD_MAX, &data, &len);
        if (r < 0)
                return err_sys(e, -r, "%s/%s", s->root, rel);
        _cleanup_free_ char *head = xasprintf("mkroot-record 2 %s\n", record_names[k]);
        if (strlen(data) != len || strncmp(data, head, strlen(head)) != 0)
                return err_set(e, -ENOENT, "%s/%s: not a record of this format", s->root, rel);
        _cleanup_strv_ strv refs = {0};
        const char *p = data + strlen(head);
        while (strncmp(p, "ref ", 4) == 0) {
                const char *nl = strchr(p, '\n');
                if (!nl || nl - p - 4 != DIGEST_HEX_LEN)
                        return err_set(e, -ENOENT, "%s/%s: bad reference", s->root, rel);
                _cleanup_free_ char *h = xstrndup(p + 4, DIGEST_HEX_LEN);
                if (!store_hex_ok(h))
                        return err_set(e, -ENOENT, "%s/%s: bad reference", s->root, rel);
                strv_push(&refs, h);
                p = nl + 1;
        }
        if (*p != '\n')
                return err_set(e, -ENOENT, "%s/%s: truncated", s->root, rel);
        p++;
        if (mark_used)
                futimens(fd, NULL);
        if (ret_payload)
                *ret_payload = xstrdup(p);
        if (ret_refs) {
                *ret_refs = refs;
                refs = (strv){0};
        }
        return 0;
}

int store_record_list(store *s, store_record_kind k, strv *ret, err_t *e)
{
        if (k >= STORE_RECORD_MAX)
                return err_set(e, -EINVAL, "record: bad kind");
        strv all = {0};
        int r = store_list(s, store_record_dirs[k], &all);
        if (r < 0) {
                strv_free(&all);
                return err_sys(e, -r, "%s/%s", s->root, store_record_dirs[k]);
        }
        for (size_t i = 0; i < all.n; i++)
                if (store_name_ok(all.v[i]))
                        strv_push(ret, all.v[i]);
        strv_free(&all);
        return 0;
}

int store_record_used(store *s, store_record_kind k, const char *name, time_t *ret)
{
        if (k >= STORE_RECORD_MAX || !store_name_ok(name))
                return -ENOENT;
        _cleanup_free_ char *rel = xasprintf("%s/%s", store_record_dirs[k], name);
        struct stat st;
        if (fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return -ENOENT;
        *ret = st.st_mtime;
        return 0;
}
