/*
 * The traffic end points both harnesses use (tst.c for Criterion tests,
 * tstnet.c as the tst-net tool of the shell tests): a server that answers
 * every connection or datagram with "TAG PEER-IP\n", so a client learns who
 * answered and which source address arrived, and the matching client.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bound (and, for TCP, listening) socket on addr:port (addr NULL: any); fd or -errno. */
int tst_traffic_listen(bool udp, const char *addr, uint16_t port);

/* Answer forever on fd. */
__attribute__((noreturn)) void tst_traffic_serve(int fd, bool udp, const char *tag);

/*
 * Connect to addr:port (UDP: send one datagram) and read the reply line into
 * buf; 0, or -errno (-ECONNREFUSED, -ETIMEDOUT when nothing came within
 * timeout_ms).
 */
int tst_traffic_request(bool udp, const char *addr, uint16_t port, char *buf, size_t len, int timeout_ms);

/* One hand-made IPv4 packet, sent as a whole Ethernet frame: any source, any destination, any MAC. */
struct tst_raw {
	const char *ifname; /* out of this interface of the caller's namespace */
	uint8_t dst_mac[6];
	const uint8_t *src_mac; /* NULL: the interface's own */
	const char *src, *dst;
	uint16_t sport, dport;
	bool udp; /* a UDP datagram "?"; else a TCP SYN */
};

/*
 * Send p through a packet socket, so that neither routing nor the sender's
 * own addresses decide anything. For a SYN, wait up to timeout_ms for the
 * answer from dst:dport to src:sport on the same interface: 1 SYN-ACK,
 * 2 RST, 0 nothing; a UDP datagram returns 0 once sent. -errno on failure.
 */
int tst_traffic_raw(const struct tst_raw *p, int timeout_ms);
