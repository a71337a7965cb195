/*
 * tst-console: the receiving end of berth's --console-socket for the shell tests.
 *
 *   tst-console SOCKET    listen on SOCKET (a Unix stream socket), print
 *                         "ready" once listening, take the pty master the
 *                         first connection passes, then copy what the
 *                         container writes to its terminal to stdout until
 *                         the last process holding the pty is gone
 *
 * What it reads is not echoed back, so the container sees no input.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[4096];
	int lfd, c, master = -1;
	ssize_t n;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: tst-console SOCKET\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		fprintf(stderr, "tst-console: listen on %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0 || bfd_recv(c, buf, sizeof(buf), &master) <= 0 || master < 0) {
		fprintf(stderr, "tst-console: no pty master received\n");
		return 1;
	}
	close(c);
	close(lfd);
	/* EIO once no process has the pty open any more */
	while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
		fflush(stdout);
	}
	return 0;
}
