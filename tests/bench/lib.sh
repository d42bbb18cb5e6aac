# Sourced by the benchmarks: what they share.

# Interleaved rounds: one run of each command per round, timed around
# posix_spawn and waitpid. hyperfine times one command's runs after the
# other's, so a load that comes and goes on a shared machine can land on
# one tool only; here every round sees the same machine. 5 rounds first
# are not counted; a command that fails ends the bench.
interleave() { # ROUNDS CMD... -> "median mean" in us per CMD
        python3 - "$@" <<'PY'
import os, shlex, statistics, sys, time
rounds = int(sys.argv[1])
cmds = [shlex.split(c) for c in sys.argv[2:]]
null = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
times = [[] for _ in cmds]
for r in range(rounds + 5):
    for i, argv in enumerate(cmds):
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
        _, st = os.waitpid(pid, 0)
        t1 = time.perf_counter_ns()
        if os.waitstatus_to_exitcode(st) != 0:
            sys.exit("failed: " + " ".join(argv))
        if r >= 5:
            times[i].append((t1 - t0) / 1000)
for t in times:
    print("%.0f %.0f" % (statistics.median(t), statistics.mean(t)))
PY
}
