#!/bin/bash
# A terminal session driven through a pty (python's pty module): the
# command gets its own pty from the container's devpts, window size and
# bytes are relayed, the exit status comes back, and TIOCSTI inside
# cannot reach the host's terminal.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

python3 - "$RUNROOT" "$IMG" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time
runroot, img = sys.argv[1], sys.argv[2]

def session(args, inputs, wait=1.0):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(runroot, [runroot] + args)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
    out = b""
    def drain(t):
        nonlocal out
        end = time.time() + t
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    d = os.read(fd, 4096)
                except OSError:
                    return False
                if not d:
                    return False
                out += d
        return True
    drain(wait)
    for i in inputs:
        if isinstance(i, tuple):  # ("winsize", rows, cols)
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", i[1], i[2], 0, 0))
        else:
            os.write(fd, i)
        drain(0.7)
    end = time.time() + 10
    while time.time() < end and drain(0.2):
        pass
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(st)

def check(cond, msg, out):
    if not cond:
        print("FAIL:", msg, "\n---\n" + out + "\n---")
        sys.exit(1)

out, rc = session([img, "sh"], [b"rrhelper isatty && echo TTY-YES\n", b"tty\n", b"stty size\n",
                                  ("winsize", 40, 120), b"stty size\n", b"echo TERM=$TERM\n",
                                  b"exit 7\n"])
check(rc == 7, "exit status through the pty: %d" % rc, out)
check("TTY-YES" in out, "command has no terminal", out)
check("/dev/pts/0" in out, "not the container's own pty", out)
check("33 101" in out, "initial window size not relayed", out)
check("40 120" in out, "window size change not relayed", out)
check("TERM=" in out, "no TERM", out)

# Ctrl-C reaches the command through the pty as a byte, not by killing runroot.
out, rc = session([img, "sh", "-c", "trap 'echo CAUGHT-INT; exit 9' INT; echo READY; sleep 20"],
                  [b"\x03"], wait=1.5)
check(rc == 9, "Ctrl-C: exit %d" % rc, out)
check("CAUGHT-INT" in out, "Ctrl-C did not reach the command", out)

# tiocsti-injection: pushing input from inside lands in the container's pty
# only; nothing is typed into ours (the host side reads nothing back).
out, rc = session([img, "rrhelper", "tiocsti", "echo PWNED-HOST\n"], [])
check("PWNED-HOST" not in out.replace("echo PWNED-HOST", ""),
      "tiocsti reached the host terminal", out)

# tiocsti-injection with -T: the command inherits the host's terminal as
# its fds, but not as its controlling terminal (a session of its own), so
# it cannot type into it.
for fd in (0, 1, 2):
    out, rc = session(["-T", "--seccomp", "unconfined", img, "rrhelper", "tiocsti", "echo PWNED\n", str(fd)], [])
    check("injected" not in out, "tiocsti on inherited fd %d typed into the host terminal" % fd, out)

# -T: no pty of its own (the fds are inherited as they are).
out, rc = session(["-T", img, "sh", "-c", "test -e /dev/pts/0 && echo HAS-PTY; exit 0"], [])
check(rc == 0 and "HAS-PTY" not in out, "-T still allocated a pty", out)
print("pty ok")
PY
[ $? = 0 ] || fail "pty session"
# -t without a terminal is an error.
expect_rc 125 rr -t "$IMG" true </dev/null 2>/dev/null
check_no_leftovers
echo PASS
