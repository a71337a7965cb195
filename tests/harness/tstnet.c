/*
 * tst-net: the traffic end points of the shell tests.
 *
 *   tst-net serve [--udp] ADDR PORT TAG    answer each connection / datagram
 *                                          with "TAG PEER-IP\n" (ADDR 0.0.0.0: any)
 *   tst-net request [--udp] ADDR PORT [TIMEOUT_MS]
 *                                          print the reply; exit 1 when refused
 *                                          or timed out (the reason on stderr)
 *
 * The server prints "ready" on stdout once it listens, so a test can wait
 * for it. Servers echo the source address they saw, so a masquerade test
 * can prove the rewrite happened.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: tst-net serve [--udp] ADDR PORT TAG | tst-net request [--udp] ADDR PORT [TIMEOUT_MS]\n");
	return 2;
}

static int sockaddr_of(const char *addr, const char *port, struct sockaddr_in *sa)
{
	uint64_t p;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1 || bparse_u64(port, 0, 65535, &p) < 0)
		return -1;
	sa->sin_port = htons((uint16_t)p);
	return 0;
}

static int serve(bool udp, struct sockaddr_in *sa, const char *tag)
{
	int one = 1;
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return perror("socket"), 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0)
		return perror("bind"), 1;
	if (!udp && listen(fd, 128) < 0)
		return perror("listen"), 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		char ip[INET_ADDRSTRLEN], reply[256], buf[512];

		if (udp) {
			if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen) < 0)
				continue;
			inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
			snprintf(reply, sizeof(reply), "%s %s\n", tag, ip);
			sendto(fd, reply, strlen(reply), 0, (struct sockaddr *)&peer, plen);
		} else {
			int c = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
			snprintf(reply, sizeof(reply), "%s %s\n", tag, ip);
			if (write(c, reply, strlen(reply)) < 0) {
				/* client gone */
			}
			close(c);
		}
	}
}

static int request(bool udp, struct sockaddr_in *sa, int timeout_ms)
{
	struct pollfd pfd;
	char buf[512];
	size_t got = 0;
	int fd, r;

	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return perror("socket"), 1;
	r = connect(fd, (struct sockaddr *)sa, sizeof(*sa));
	if (r < 0 && errno != EINPROGRESS)
		return perror("connect"), 1;
	pfd.fd = fd;
	if (!udp) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return fprintf(stderr, "connect: timed out\n"), 1;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr)
			return fprintf(stderr, "connect: %s\n", strerror(soerr)), 1;
	} else if (send(fd, "?", 1, 0) < 0) {
		return perror("send"), 1;
	}
	pfd.events = POLLIN;
	while (got + 1 < sizeof(buf)) {
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - got - 1);
		if (n < 0)
			return fprintf(stderr, "read: %s\n", strerror(errno)), 1;
		if (n == 0)
			break;
		got += (size_t)n;
		if (udp || memchr(buf, '\n', got))
			break;
	}
	if (got == 0)
		return fprintf(stderr, "no reply: timed out\n"), 1;
	fwrite(buf, 1, got, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	bool udp = false;
	int i = 2;

	if (argc < 2)
		return usage();
	if (i < argc && strcmp(argv[i], "--udp") == 0) {
		udp = true;
		i++;
	}
	if (strcmp(argv[1], "serve") == 0) {
		if (argc - i != 3 || sockaddr_of(argv[i], argv[i + 1], &sa) < 0)
			return usage();
		return serve(udp, &sa, argv[i + 2]);
	}
	if (strcmp(argv[1], "request") == 0) {
		uint64_t t = 2000;

		if (argc - i < 2 || argc - i > 3 || sockaddr_of(argv[i], argv[i + 1], &sa) < 0)
			return usage();
		if (argc - i == 3 && bparse_u64(argv[i + 2], 1, 600000, &t) < 0)
			return usage();
		return request(udp, &sa, (int)t);
	}
	return usage();
}
