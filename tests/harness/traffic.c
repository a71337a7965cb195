#include "traffic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* addr: IPv4 or IPv6 (NULL: IPv4 any; "::" is IPv6 any and takes IPv4 too). */
static int make_socket(bool udp, const char *addr, uint16_t port, bool bind_it, struct sockaddr_storage *ss,
		       socklen_t *ret_len)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;
	bool v6 = addr && strchr(addr, ':');
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		sa6->sin6_family = AF_INET6;
		sa6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &sa6->sin6_addr) != 1)
			return -EINVAL;
		*ret_len = sizeof(*sa6);
	} else {
		sa->sin_family = AF_INET;
		sa->sin_port = htons(port);
		if (addr && inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
			return -EINVAL;
		*ret_len = sizeof(*sa);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind_it) {
		int one = 1, zero = 0;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (v6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)ss, *ret_len) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

/* The peer's address as text; an IPv4 client of a dual-stack socket as plain IPv4. */
static void peer_text(const struct sockaddr_storage *peer, char *buf, size_t len)
{
	const struct sockaddr_in6 *p6 = (const struct sockaddr_in6 *)peer;

	if (peer->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&p6->sin6_addr))
		inet_ntop(AF_INET, &p6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
	else if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &p6->sin6_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, buf, (socklen_t)len);
}

__attribute__((noreturn)) static void serve_loop(int fd, bool udp, const char *tag)
{
	char reply[128];

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		char ip[INET6_ADDRSTRLEN];
		char buf[512];

		if (udp) {
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
			if (n < 0)
				continue;
			peer_text(&peer, ip, sizeof(ip));
			snprintf(reply, sizeof(reply), "%s %s\n", tag, ip);
			sendto(fd, reply, strlen(reply), 0, (struct sockaddr *)&peer, plen);
		} else {
			int c = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			peer_text(&peer, ip, sizeof(ip));
			snprintf(reply, sizeof(reply), "%s %s\n", tag, ip);
			if (write(c, reply, strlen(reply)) < 0) {
				/* the client went away; nothing to report */
			}
			close(c);
		}
	}
}

int tst_traffic_listen(bool udp, const char *addr, uint16_t port)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	int fd = make_socket(udp, addr, port, true, &sa, &sl);

	if (fd >= 0 && !udp && listen(fd, 128) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

void tst_traffic_serve(int fd, bool udp, const char *tag)
{
	serve_loop(fd, udp, tag);
}

int tst_traffic_request(bool udp, const char *addr, uint16_t port, char *buf, size_t len, int timeout_ms)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct pollfd pfd;
	size_t got = 0;
	int fd, r;

	fd = make_socket(udp, addr, port, false, &sa, &salen);
	if (fd < 0)
		return fd;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	r = connect(fd, (struct sockaddr *)&sa, salen);
	if (r < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r;
	}
	pfd.fd = fd;
	if (!udp) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		pfd.events = POLLOUT;
		r = poll(&pfd, 1, timeout_ms);
		if (r == 0) {
			close(fd);
			return -ETIMEDOUT;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			close(fd);
			return -soerr;
		}
	} else if (send(fd, "?", 1, 0) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	pfd.events = POLLIN;
	while (got + 1 < len) {
		ssize_t n;

		r = poll(&pfd, 1, timeout_ms);
		if (r <= 0) {
			close(fd);
			return got ? 0 : -ETIMEDOUT;
		}
		n = read(fd, buf + got, len - got - 1);
		if (n < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (udp || memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}
