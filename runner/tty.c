/* Terminal: the command gets a pty from the container's own devpts; the
 * master comes out to runroot over a unix socket, and runroot relays bytes
 * and window size. The host terminal is never the command's controlling
 * terminal, so TIOCSTI inside reaches only the container's pty. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

int tty_open_pty(int *ret_master, int *ret_slave, err_t *e)
{
        _cleanup_close_ int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0)
                return err_sys(e, errno, "/dev/pts/ptmx");
        int unlock = 0;
        if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
                return err_sys(e, errno, "unlock pty");
        /* Open the peer through the master: no path lookup to race. */
        int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s < 0)
                return err_sys(e, errno, "open pty peer");
        *ret_master = steal_fd(&m);
        *ret_slave = s;
        return 0;
}

int tty_send_fd(int sock, int fd)
{
        char byte = 'T';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof u);
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof u.buf};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int tty_recv_fd(int sock)
{
        char byte;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof u.buf};
        ssize_t n;
        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n == 0 ? -EPIPE : -errno;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EBADMSG;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        return fd;
}

int tty_raw(int fd, void **ret_saved)
{
        struct termios *t = xmalloc(sizeof *t);
        if (tcgetattr(fd, t) < 0) {
                free(t);
                return -errno;
        }
        struct termios raw = *t;
        cfmakeraw(&raw);
        if (tcsetattr(fd, TCSADRAIN, &raw) < 0) {
                free(t);
                return -errno;
        }
        *ret_saved = t;
        return 0;
}

void tty_restore(int fd, void *saved)
{
        if (!saved)
                return;
        tcsetattr(fd, TCSADRAIN, (struct termios *)saved);
        free(saved);
}

void tty_set_size(int fd, unsigned short rows, unsigned short cols)
{
        struct winsize ws = {.ws_row = rows, .ws_col = cols};
        if (rows || cols)
                ioctl(fd, TIOCSWINSZ, &ws);
}

void tty_copy_winsize(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* The host side while pid runs (a container, or a command exec joined to
 * one): signals from sfd forwarded to it (SIGWINCH resizes the pty), the
 * pty's output to stdout and, with forward_in, stdin to the pty. The wait
 * status of pid. */
int tty_supervise(pid_t pid, int sfd, int master, bool forward_in)
{
        bool in_open = master >= 0 && forward_in;
        char buf[16384];
        int status = 0;
        bool exited = false;
        while (!exited) {
                struct pollfd p[3] = {
                        {.fd = sfd, .events = POLLIN},
                        {.fd = master, .events = POLLIN},
                        {.fd = in_open ? 0 : -1, .events = POLLIN},
                };
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof si) == sizeof si) {
                                int sig = (int)si.ssi_signo;
                                if (sig == SIGWINCH && master >= 0)
                                        tty_copy_winsize(0, master);
                                else if (sig != SIGCHLD)
                                        kill(pid, sig);
                        }
                        if (waitpid(pid, &status, WNOHANG) == pid)
                                exited = true;
                }
                if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        ssize_t n = read(master, buf, sizeof buf);
                        if (n > 0)
                                fd_write_all(1, buf, (size_t)n);
                        else if (n < 0 && errno != EINTR && errno != EAGAIN)
                                master = -1; /* EIO: the last slave closed */
                }
                if (in_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
                        ssize_t n = read(0, buf, sizeof buf);
                        if (n > 0)
                                fd_write_all(master, buf, (size_t)n);
                        else if (n == 0 || errno != EINTR)
                                in_open = false;
                }
        }
        if (!exited)
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        /* What the command wrote last is still in the pty. */
        if (master >= 0) {
                fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
                ssize_t n;
                while ((n = read(master, buf, sizeof buf)) > 0)
                        fd_write_all(1, buf, (size_t)n);
        }
        return status;
}
