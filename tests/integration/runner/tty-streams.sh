#!/bin/bash
# Terminal or streams: with stdin on a terminal but stdout on a file or a
# pipe, the command gets no pty: its stdout and stderr arrive as the
# separate, byte-exact streams they are (no CR added, stderr not merged),
# binary output included, and stdin still passes through. With stdin and
# stdout both on the terminal, or with -t, it gets a pty. Driven under a
# real pty (python's pty module).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }

D=$T/streams
make_tree "$D"
for c in od head; do ln -sf busybox "$D/bin/$c"; done
head -c 65536 /dev/urandom >"$D/data.bin"
cp "$D/data.bin" "$T/data.bin"
tar -C "$D" -czf "$T/streams.tar.gz" .

python3 - "$RUNROOT" "$T/streams.tar.gz" "$T" <<'PY'
import fcntl, os, pty, select, subprocess, sys, termios, time
runroot, img, tmp = sys.argv[1:4]

def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)

def run(args, stdout, typed=b""):
    """runroot ARGS with stdin on a fresh pty (our controlling terminal)
    and stdout "file", "pipe" or "pty"; stderr to a file. Returns
    (stdout bytes, stderr bytes, what came out of the pty, exit code)."""
    master, slave = pty.openpty()
    out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
    err_f = open(err_path, "wb")
    out_f = None
    if stdout == "file":
        out_f = open(out_path, "wb")
        so = out_f
    elif stdout == "pipe":
        so = subprocess.PIPE
    else:
        so = slave
    def ctty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    p = subprocess.Popen([runroot] + args, stdin=slave, stdout=so, stderr=err_f,
                         preexec_fn=ctty)
    os.close(slave)
    err_f.close()
    if typed:
        time.sleep(1.0)
        os.write(master, typed)
    tty_out = b""
    piped = b""
    fds = [master] + ([p.stdout.fileno()] if stdout == "pipe" else [])
    end = time.time() + 60
    while fds and time.time() < end:
        r, _, _ = select.select(fds, [], [], 0.2)
        for fd in r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                d = b""
            if not d:
                fds.remove(fd)
            elif fd == master:
                tty_out += d
            else:
                piped += d
        if p.poll() is not None and master in fds:
            # the command is gone: take what is left in the pty, then stop
            fcntl.fcntl(master, fcntl.F_SETFL, os.O_NONBLOCK)
            try:
                while True:
                    d = os.read(master, 65536)
                    if not d:
                        break
                    tty_out += d
            except OSError:
                pass
            fds.remove(master)
    rc = p.wait(timeout=30)
    if stdout == "pipe":
        piped += p.stdout.read()
        p.stdout.close()
    os.close(master)
    if out_f:
        out_f.close()
        piped = open(out_path, "rb").read()
    return piped, open(err_path, "rb").read(), tty_out, rc

OE = ["sh", "-c", "echo out; echo err >&2"]
for mode in ("file", "pipe"):
    out, err, _, rc = run([img] + OE, mode)
    check(rc == 0, "%s: exit %d (%r)" % (mode, rc, err))
    check(out == b"out\n", "stdout to a %s: got %r, expected b'out\\n'" % (mode, out))
    check(err == b"err\n", "stdout to a %s: stderr got %r, expected b'err\\n'" % (mode, err))
    # binary bytes as they are (a pty would turn \n into \r\n and eat some)
    out, err, _, rc = run([img, "cat", "/data.bin"], mode)
    check(rc == 0, "%s: cat exit %d (%r)" % (mode, rc, err))
    check(out == open(os.path.join(tmp, "data.bin"), "rb").read(),
          "binary output to a %s is not byte-exact (%d bytes)" % (mode, len(out)))
    # no pty inside: stdout is not a terminal
    out, err, _, rc = run([img, "sh", "-c", "test -t 1 && echo TTY || echo NOTTY"], mode)
    check(out == b"NOTTY\n", "stdout to a %s: the command's stdout is a terminal (%r)" % (mode, out))

# stdin typed on the terminal still reaches the command with stdout on a file.
out, err, _, rc = run([img, "head", "-n", "1"], "file", typed=b"typed line\n")
check(rc == 0 and out == b"typed line\n", "stdin from the terminal: got %r (%r)" % (out, err))

# stdin and stdout both on the terminal: a pty of the container's own.
_, err, tty, rc = run([img, "sh", "-c", "test -t 0 && test -t 1 && tty"], "pty")
check(rc == 0 and b"/dev/pts/0" in tty, "both on the terminal: no pty (%r, %r)" % (tty, err))

# -t with stdout on a file: the command gets a terminal anyway.
out, err, _, rc = run(["-t", img, "sh", "-c", "test -t 0 && test -t 1 && tty"], "file")
check(rc == 0 and b"/dev/pts/0" in out, "-t to a file: no pty (%r, %r)" % (out, err))
# -T with both on the terminal: none.
_, err, tty, rc = run(["-T", img, "sh", "-c", "test -e /dev/pts/0 && echo HAS-PTY; exit 0"], "pty")
check(rc == 0 and b"HAS-PTY" not in tty, "-T: a pty was given (%r)" % tty)
# -i is accepted.
out, err, _, rc = run(["-i", img, "echo", "ok"], "file")
check(rc == 0 and out == b"ok\n", "-i: got %r (%r)" % (out, err))
print("tty streams ok")
PY
[ $? = 0 ] || fail "tty streams"
# stdin passes through without a terminal too.
out=$(echo piped | rr "$T/streams.tar.gz" cat) || fail "echo | runroot cat"
[ "$out" = piped ] || fail "stdin through a pipe: got '$out'"
check_no_leftovers
echo PASS
