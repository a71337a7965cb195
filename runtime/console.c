/* runtime/console.c: pty for process.terminal, passed over --console-socket like runc does. */
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "runtime/inroot.h"

int rt_console_connect(const char *path, int *ret_fd, struct berr *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_set(e, -ENAMETOOLONG, "--console-socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_errno(e, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berr_errno(e, "connect to --console-socket %s", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int rt_console_create(int rootfd, const struct rt_process *p, int sock, int *ret_slave, struct berr *e)
{
	_cleanup_close_ int master = -1, slave = -1;
	int unlock = 0, r;

	r = rt_inroot_open(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0, &master);
	if (r < 0)
		return berr_sys(e, r, "process.terminal: open /dev/pts/ptmx of the container (is devpts mounted?)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berr_errno(e, "unlock pty");
	/* TIOCGPTPEER opens the peer without a path lookup that a container could redirect */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berr_errno(e, "open pty slave");
	if (p->console_height || p->console_width) {
		struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};

		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return berr_errno(e, "set 'process.consoleSize'");
	}
	if (fchown(slave, p->uid, p->gid) < 0 && errno != EINVAL)
		return berr_errno(e, "chown pty to %u:%u", p->uid, p->gid);
	r = bfd_send(sock, "/dev/ptmx", 9, master);
	if (r < 0)
		return berr_sys(e, r, "send the pty master to --console-socket");
	*ret_slave = TAKE_FD(slave);
	return 0;
}

int rt_console_bind(int rootfd, int slave, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	char a[RT_FD_PATH_MAX], b[RT_FD_PATH_MAX];
	int r;

	r = rt_inroot_target(rootfd, "/dev/console", false, false, &fd, e);
	if (r < 0)
		return r;
	if (mount(rt_fd_path(slave, a), rt_fd_path(fd, b), NULL, MS_BIND, NULL) < 0)
		return berr_errno(e, "bind the pty over /dev/console");
	return 0;
}

int rt_console_stdio(int slave, struct berr *e)
{
	for (int fd = 0; fd < 3; fd++) {
		if (dup2(slave, fd) < 0)
			return berr_errno(e, "dup2 pty to fd %d", fd);
	}
	return 0;
}

int rt_console_attach(int slave, struct berr *e)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berr_errno(e, "make the pty the controlling terminal");
	return rt_console_stdio(slave, e);
}
