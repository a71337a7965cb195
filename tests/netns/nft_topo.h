/*
 * Topology for the nftables tests, built with ip(8) inside the test's own
 * namespaces: the test's namespace is the host (ip_forward on, uplink to the
 * upstream namespace), bridges with a gateway address, and container
 * namespaces attached to them by veth pairs with hairpin on.
 */
#pragma once

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netd/engine/nft.h"
#include "tst.h"

/* A bridge in the host namespace, up, with gateway gw_cidr ("10.66.0.1/16"); 127.0.0.1 may be routed out of it. */
static inline void topo_bridge(const char *br, const char *gw_cidr)
{
	tst_sh_ok(NULL, "ip link add %s type bridge && ip addr add %s dev %s && ip link set %s up", br, gw_cidr, br,
		  br);
	/* what the engine sets for 127.0.0.1:PORT to reach published ports */
	tst_sh_ok(NULL, "sysctl -qw net.ipv4.conf.%s.route_localnet=1", br);
}

/* The host: forwarding on, uplink to the upstream namespace. */
static inline void topo_host(void)
{
	tst_upstream();
	tst_sh_ok(NULL, "sysctl -qw net.ipv4.ip_forward=1");
}

/* Container namespace ns with eth0 = addr_cidr on bridge br, default route via gw. */
static inline void topo_container(const char *ns, const char *br, const char *addr_cidr, const char *gw)
{
	tst_netns_add(ns);
	tst_sh_ok(NULL, "ip link add v-%s type veth peer name eth0 netns %s", ns, ns);
	tst_sh_ok(NULL,
		  "ip link set v-%s master %s && ip link set v-%s type bridge_slave hairpin on && ip link set v-%s up",
		  ns, br, ns, ns);
	tst_sh_ok(ns, "ip addr add %s dev eth0 && ip link set eth0 up && ip route add default via %s", addr_cidr, gw);
}

static inline uint32_t topo_ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "bad address %s", s);
	return ntohl(a.s_addr);
}

static inline struct nft_network topo_net(const char *br, const char *cidr, bool masq, bool internal)
{
	struct nft_network n = {.masquerade = masq, .internal = internal};
	char buf[32];
	char *slash;

	snprintf(n.bridge, sizeof(n.bridge), "%s", br);
	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	cr_assert(slash);
	*slash = '\0';
	n.subnet.addr = topo_ip(buf);
	n.subnet.prefix = (uint8_t)atoi(slash + 1);
	return n;
}

static inline struct nft_port topo_port(const char *host_ip, uint16_t host_port, enum bproto proto, const char *dest_ip,
					uint16_t dest_port)
{
	struct nft_port p = {.host_port = host_port, .proto = proto, .dest_port = dest_port};

	p.host_ip = host_ip ? topo_ip(host_ip) : 0;
	p.dest_ip = topo_ip(dest_ip);
	return p;
}

/* Assert that a request from ns to addr:port is answered by `tag` seeing source `src`. */
#define topo_expect(ns, udp, addr, port, tag, src)                                                                     \
	do {                                                                                                           \
		char _buf[128];                                                                                        \
		char _want[128];                                                                                       \
		int _r = tst_request(ns, udp, addr, port, _buf, sizeof(_buf), 3000);                                   \
		cr_assert_eq(_r, 0, "%s -> %s:%u (%s): %s", ns ? ns : "host", addr, port, udp ? "udp" : "tcp",         \
			     strerror(-_r));                                                                           \
		snprintf(_want, sizeof(_want), "%s %s\n", tag, src);                                                   \
		cr_assert_str_eq(_buf, _want, "%s -> %s:%u (%s)", ns ? ns : "host", addr, port, udp ? "udp" : "tcp");  \
	} while (0)

/* Assert that no answer comes (dropped or refused). */
#define topo_expect_none(ns, udp, addr, port)                                                                          \
	do {                                                                                                           \
		char _buf[128];                                                                                        \
		int _r = tst_request(ns, udp, addr, port, _buf, sizeof(_buf), 800);                                    \
		cr_assert_neq(_r, 0, "%s -> %s:%u (%s) was answered: %s", ns ? ns : "host", addr, port,                \
			      udp ? "udp" : "tcp", _buf);                                                              \
	} while (0)
