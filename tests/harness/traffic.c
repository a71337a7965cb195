#include "traffic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
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

/* ------------------------------------------------------------------ hand-made frames */

static uint16_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t csum_fold(uint16_t s)
{
	return htons((uint16_t)~s);
}

int tst_traffic_raw(const struct tst_raw *p, int timeout_ms)
{
	uint8_t frame[14 + 20 + 20 + 1] = {0};
	uint8_t *ip = frame + 14, *l4 = ip + 20;
	size_t l4_len = p->udp ? 8 + 1 : 20;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_halen = 6};
	struct in_addr src, dst;
	struct ifreq ifr = {0};
	uint8_t pseudo[12];
	uint32_t seq = 0x12345678;
	struct timespec t0, now;
	struct pollfd pfd;
	int fd, r = 0;

	if (inet_pton(AF_INET, p->src, &src) != 1 || inet_pton(AF_INET, p->dst, &dst) != 1)
		return -EINVAL;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	memcpy(frame, p->dst_mac, 6);
	memcpy(frame + 6, p->src_mac ? p->src_mac : (const uint8_t *)ifr.ifr_hwaddr.sa_data, 6);
	frame[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4_len) >> 8);
	ip[3] = (uint8_t)(20 + l4_len);
	ip[8] = 64;
	ip[9] = p->udp ? IPPROTO_UDP : IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	*(uint16_t *)(ip + 10) = csum_fold(csum_add(0, ip, 20));
	*(uint16_t *)l4 = htons(p->sport);
	*(uint16_t *)(l4 + 2) = htons(p->dport);
	if (p->udp) {
		*(uint16_t *)(l4 + 4) = htons((uint16_t)l4_len);
		l4[8] = '?';
	} else {
		*(uint32_t *)(l4 + 4) = htonl(seq);
		l4[12] = 5 << 4;
		l4[13] = 0x02; /* SYN */
		*(uint16_t *)(l4 + 14) = htons(65535);
	}
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	pseudo[10] = (uint8_t)(l4_len >> 8);
	pseudo[11] = (uint8_t)l4_len;
	*(uint16_t *)(l4 + (p->udp ? 6 : 16)) = csum_fold(csum_add(csum_add(0, pseudo, 12), l4, l4_len));
	memcpy(sll.sll_addr, p->dst_mac, 6);
	if (sendto(fd, frame, 14 + 20 + l4_len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!p->udp && r == 0) {
		uint8_t in[2048];
		ssize_t n;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - (int)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = recv(fd, in, sizeof(in), 0);
		const uint8_t *iph = in + 14, *th;

		/* the answer: TCP from dst:dport to src:sport acknowledging our SYN */
		if (n < 14 + 20 + 20 || (iph[0] >> 4) != 4 || iph[9] != IPPROTO_TCP || memcmp(iph + 12, &dst, 4) ||
		    memcmp(iph + 16, &src, 4))
			continue;
		th = iph + (iph[0] & 0xf) * 4;
		if (th + 20 > in + n || ntohs(*(const uint16_t *)th) != p->dport ||
		    ntohs(*(const uint16_t *)(th + 2)) != p->sport || ntohl(*(const uint32_t *)(th + 8)) != seq + 1)
			continue;
		r = (th[13] & 0x04) ? 2 : (th[13] & 0x12) == 0x12 ? 1 : 0;
	}
	close(fd);
	return r;
}
