/* sched-hint: runroot's own processes (the supervisor, the container's
 * setup and pid 1) ask the fair scheduler for its shortest slice (EEVDF's
 * sched_attr.sched_runtime, Linux 6.12): on a busy machine a fresh
 * process, or one just woken, then gets a CPU at once instead of after
 * the running task's slice (a warm start there was preempted about ten
 * times, ~2 ms). It asks for no more CPU than before, only for it sooner
 * and in shorter pieces, and the command gets the caller's attributes
 * back before its exec, so that what runs in the container is scheduled
 * as the caller was. Older kernels take the request and ignore it. */
#include <errno.h>
#include <linux/sched.h>
#include <linux/sched/types.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* The shortest slice the kernel takes (0.1 ms). */
#define SHORT_SLICE_NS 100000ULL

static bool fair(unsigned policy)
{
        return policy == SCHED_NORMAL || policy == SCHED_BATCH || policy == SCHED_IDLE;
}

void run_sched_short(run_sched *s)
{
        memset(s, 0, sizeof *s);
        struct sched_attr a = {0};
        if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) < 0 || !fair(a.sched_policy) ||
            (a.sched_runtime && a.sched_runtime <= SHORT_SLICE_NS))
                return;
        s->policy = a.sched_policy;
        s->flags = a.sched_flags & SCHED_FLAG_RESET_ON_FORK;
        s->nice = a.sched_nice;
        s->runtime = a.sched_runtime;
        struct sched_attr want = {
                .size = sizeof want,
                .sched_policy = s->policy,
                .sched_flags = s->flags,
                .sched_nice = s->nice,
                .sched_runtime = SHORT_SLICE_NS,
        };
        /* Only a hint: without it the run is slower on a busy machine,
         * nothing else. */
        if (syscall(SYS_sched_setattr, 0, &want, 0) == 0)
                s->changed = true;
}

int run_sched_restore(const run_sched *s, err_t *e)
{
        if (!s || !s->changed)
                return 0;
        struct sched_attr a = {
                .size = sizeof a,
                .sched_policy = s->policy,
                .sched_flags = s->flags,
                .sched_nice = s->nice,
                .sched_runtime = s->runtime,
        };
        if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
                return err_sys(e, errno, "scheduling attributes of the caller");
        return 0;
}
