/* Terminal: the command gets a pty from the container's own devpts; the
 * master comes out to runroot over a unix socket, and runroot relays bytes
 * and window size. The host terminal is never the command's controlling
 * terminal, so TIOCSTI inside reaches only the container's pty. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

void tty_copy_winsize(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}
