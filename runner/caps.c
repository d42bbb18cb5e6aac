/* caps: docker's default capability set, --cap-add/--cap-drop, and the
 * cut of all five capability sets through libcap: bounding, permitted and
 * effective to the kept set, inheritable and ambient empty. */
#include <ctype.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "security-internal.h"

/* docker's default set without CAP_MKNOD: device nodes come in through
 * --device only (--cap-add MKNOD gives it back). */
static const cap_value_t default_caps[] = {
        CAP_CHOWN,      CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER,  CAP_NET_RAW,
        CAP_SETGID,     CAP_SETUID,       CAP_SETFCAP,     CAP_SETPCAP, CAP_NET_BIND_SERVICE,
        CAP_SYS_CHROOT, CAP_KILL,         CAP_AUDIT_WRITE,
};

static int cap_count(void)
{
        int n = (int)cap_max_bits();
        return n > 0 && n <= 64 ? n : CAP_LAST_CAP + 1;
}

int sec_cap_from_name(const char *name, int *ret)
{
        char buf[64];
        size_t len = strlen(name);
        const char *p = name;

        if (len >= 4 && strncasecmp(name, "CAP_", 4) == 0)
                p += 4;
        if (!*p || strlen(p) + 5 > sizeof buf)
                return -EINVAL;
        /* libcap takes numbers too; only names are accepted on the command line. */
        for (const char *q = p; *q; q++)
                if (!isalpha((unsigned char)*q) && *q != '_')
                        return -EINVAL;
        int n = snprintf(buf, sizeof buf, "cap_%s", p);
        for (int i = 0; i < n; i++)
                buf[i] = (char)tolower((unsigned char)buf[i]);
        cap_value_t v;
        if (cap_from_name(buf, &v) < 0 || v < 0 || v >= 64)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_list(const strv *l, bool *ret_all, uint64_t *ret_mask, const char *opt, err_t *e)
{
        *ret_all = false;
        *ret_mask = 0;
        for (size_t i = 0; i < l->n; i++) {
                if (strcasecmp(l->v[i], "ALL") == 0) {
                        *ret_all = true;
                        continue;
                }
                int c;
                if (sec_cap_from_name(l->v[i], &c) < 0)
                        return err_set(e, -EINVAL, "%s %s: unknown capability", opt, l->v[i]);
                *ret_mask |= UINT64_C(1) << c;
        }
        return 0;
}

int sec_caps_compute(const sec_opts *o, uint64_t *ret, err_t *e)
{
        bool add_all, drop_all;
        uint64_t add, drop, all = 0, keep = 0;
        int r;

        r = parse_list(&o->cap_add, &add_all, &add, "--cap-add", e);
        if (r < 0)
                return r;
        r = parse_list(&o->cap_drop, &drop_all, &drop, "--cap-drop", e);
        if (r < 0)
                return r;
        for (int c = 0; c < cap_count(); c++)
                all |= UINT64_C(1) << c;
        for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
                keep |= UINT64_C(1) << default_caps[i];
        /* docker: "--cap-drop ALL --cap-add X" keeps X only, "--cap-add ALL
         * --cap-drop X" keeps all but X. */
        if (drop_all)
                keep = 0;
        if (add_all)
                keep = all;
        keep = (keep | add) & ~drop & all;
        *ret = keep;
        return 0;
}

static int caps_apply(uint64_t keep, uint64_t bound, uint64_t prm, uint64_t eff, uint64_t inh,
                      uint64_t amb, err_t *e);

int sec_caps_apply(uint64_t keep, err_t *e)
{
        return caps_apply(keep, UINT64_MAX, keep, keep, 0, 0, e);
}

int sec_caps_apply_within(uint64_t keep, uint64_t bound, err_t *e)
{
        return caps_apply(keep, bound, keep, keep, 0, 0, e);
}

int sec_caps_apply_sets_within(uint64_t keep, uint64_t bound, const sec_opts *o, err_t *e)
{
        if (!o->cap_sets)
                return sec_caps_apply_within(keep, bound, e);
        uint64_t prm = o->cap_permitted & keep;
        return caps_apply(keep, bound, prm, o->cap_effective & prm, o->cap_inheritable & keep,
                          o->cap_ambient & prm & o->cap_inheritable, e);
}

int sec_caps_apply_sets(uint64_t keep, const sec_opts *o, err_t *e)
{
        return sec_caps_apply_sets_within(keep, UINT64_MAX, o, e);
}

/* Drop from the bounding set what bound may hold beyond keep, while
 * CAP_SETPCAP is still effective: one prctl per capability (a drop of
 * one already out of the set succeeds; only a refused drop asks whether
 * it is in), then the ambient set cleared with one prctl (libcap's
 * cap_reset_ambient first asks for each capability whether it is in the
 * set; EINVAL: a kernel without ambient capabilities). */
static int bound_cut(uint64_t keep, uint64_t bound, err_t *e)
{
        int n = cap_count();
        for (int c = 0; c < n; c++) {
                uint64_t bit = UINT64_C(1) << c;
                if ((keep & bit) || !(bound & bit))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) == 0)
                        continue;
                int saved = errno;
                int in = cap_get_bound(c);
                if (in < 0)
                        continue; /* the kernel does not know it */
                if (in)
                        return err_sys(e, saved,
                                       "capabilities: drop capability %d from the bounding set", c);
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return err_sys(e, errno, "capabilities: clear the ambient set");
        return 0;
}

int sec_caps_bound(uint64_t keep, err_t *e)
{
        return bound_cut(keep, UINT64_MAX, e);
}

static int caps_apply(uint64_t keep, uint64_t bound, uint64_t prm, uint64_t eff, uint64_t inh,
                      uint64_t amb, err_t *e)
{
        int n = cap_count();

        /* Bounding first, while CAP_SETPCAP is still effective. */
        int r = bound_cut(keep, bound, e);
        if (r < 0)
                return r;

        cap_t cur = cap_get_proc();
        if (!cur)
                return err_sys(e, errno, "capabilities: read");
        cap_t want = cap_init();
        if (!want) {
                cap_free(cur);
                return err_sys(e, errno, "capabilities: allocate");
        }
        for (int c = 0; c < n; c++) {
                cap_flag_value_t p = CAP_CLEAR;
                uint64_t bit = UINT64_C(1) << c;
                if (!(keep & bit) || cap_get_flag(cur, c, CAP_PERMITTED, &p) < 0 || p != CAP_SET)
                        continue;
                cap_value_t v = c;
                if (prm & bit)
                        cap_set_flag(want, CAP_PERMITTED, 1, &v, CAP_SET);
                if (eff & bit)
                        cap_set_flag(want, CAP_EFFECTIVE, 1, &v, CAP_SET);
                if (inh & bit)
                        cap_set_flag(want, CAP_INHERITABLE, 1, &v, CAP_SET);
        }
        /* The inheritable set stays empty unless asked for (OCI's
         * capabilities.inheritable; as in moby after CVE-2022-24769): with
         * it, a program carrying file inheritable capabilities would get
         * them back at exec even for a non-root user. */
        r = cap_set_proc(want);
        int saved = errno;
        cap_free(want);
        cap_free(cur);
        if (r < 0)
                return err_sys(e, saved, "capabilities: set");
        for (int c = 0; c < n; c++)
                if ((amb & (UINT64_C(1) << c)) && cap_set_ambient(c, CAP_SET) < 0)
                        return err_sys(e, errno, "capabilities: raise %d in the ambient set", c);
        return 0;
}
