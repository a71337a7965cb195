/*
 * tst-net: the traffic end points of the shell tests.
 *
 *   tst-net serve [--udp] ADDR PORT TAG    answer each connection / datagram
 *                                          with "TAG PEER-IP\n" (ADDR 0.0.0.0: any
 *                                          IPv4; ::: any IPv6 and IPv4)
 *   tst-net request [--udp] ADDR PORT [TIMEOUT_MS]
 *                                          print the reply; exit 1 when refused
 *                                          or timed out (the reason on stderr)
 *   tst-net raw [--udp] IFNAME DSTMAC SRC SPORT DST DPORT [TIMEOUT_MS] [SRCMAC]
 *                                          send one hand-made frame (a TCP SYN, or
 *                                          a UDP datagram) out of IFNAME; for a SYN
 *                                          print "syn-ack" or "rst" (exit 0) or
 *                                          "none" (exit 1)
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
#include "mac.h"
#include "traffic.h"

static int usage(void)
{
	fprintf(stderr, "usage: tst-net serve [--udp] ADDR PORT TAG | tst-net request [--udp] ADDR PORT [TIMEOUT_MS]\n"
			"       tst-net raw [--udp] IFNAME DSTMAC SRC SPORT DST DPORT [TIMEOUT_MS] [SRCMAC]\n");
	return 2;
}

static int parse_port(const char *s, uint16_t *ret)
{
	uint64_t p;

	if (bparse_u64(s, 0, 65535, &p) < 0)
		return -1;
	*ret = (uint16_t)p;
	return 0;
}

static int serve(bool udp, const char *addr, uint16_t port, const char *tag)
{
	int fd = tst_traffic_listen(udp, addr, port);

	if (fd < 0) {
		fprintf(stderr, "listen on %s:%u: %s\n", addr, port, strerror(-fd));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	tst_traffic_serve(fd, udp, tag);
}

static int request(bool udp, const char *addr, uint16_t port, int timeout_ms)
{
	char buf[512];
	int r = tst_traffic_request(udp, addr, port, buf, sizeof(buf), timeout_ms);

	if (r < 0) {
		fprintf(stderr, "request to %s:%u: %s\n", addr, port, strerror(-r));
		return 1;
	}
	fputs(buf, stdout);
	return 0;
}

/* IPv4 or IPv6 */
static bool is_addr(const char *s)
{
	struct in6_addr a;

	return inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, &a) == 1;
}

int main(int argc, char **argv)
{
	uint16_t port;
	bool udp = false;
	int i = 2;

	if (argc < 2)
		return usage();
	if (i < argc && strcmp(argv[i], "--udp") == 0) {
		udp = true;
		i++;
	}
	if (strcmp(argv[1], "serve") == 0) {
		if (argc - i != 3 || !is_addr(argv[i]) || parse_port(argv[i + 1], &port) < 0)
			return usage();
		return serve(udp, argv[i], port, argv[i + 2]);
	}
	if (strcmp(argv[1], "request") == 0) {
		uint64_t t = 2000;

		if (argc - i < 2 || argc - i > 3 || !is_addr(argv[i]) || parse_port(argv[i + 1], &port) < 0)
			return usage();
		if (argc - i == 3 && bparse_u64(argv[i + 2], 1, 600000, &t) < 0)
			return usage();
		return request(udp, argv[i], port, (int)t);
	}
	if (strcmp(argv[1], "raw") == 0) {
		struct tst_raw p = {.udp = udp};
		uint8_t src_mac[6];
		uint64_t t = 2000;
		uint16_t sport;
		int r;

		if (argc - i < 6 || argc - i > 8 || bmac_parse(argv[i + 1], p.dst_mac) < 0 ||
		    parse_port(argv[i + 3], &sport) < 0 || parse_port(argv[i + 5], &port) < 0)
			return usage();
		if (argc - i >= 7 && bparse_u64(argv[i + 6], 1, 600000, &t) < 0)
			return usage();
		if (argc - i == 8) {
			if (bmac_parse(argv[i + 7], src_mac) < 0)
				return usage();
			p.src_mac = src_mac;
		}
		p.ifname = argv[i];
		p.src = argv[i + 2];
		p.sport = sport;
		p.dst = argv[i + 4];
		p.dport = port;
		r = tst_traffic_raw(&p, (int)t);
		if (r < 0) {
			fprintf(stderr, "raw frame out of %s: %s\n", p.ifname, strerror(-r));
			return 2;
		}
		if (!udp)
			puts(r == 1 ? "syn-ack" : r == 2 ? "rst" : "none");
		return !udp && r == 0;
	}
	return usage();
}
