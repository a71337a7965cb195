/*
 * netd's DNS query path: a datagram (or TCP message) as any container on a
 * bridge sends it, answered from a small names index. Whatever comes in, an
 * answer parses, carries the query's id and, over UDP, stays within
 * DNS_AMPLIFICATION times the query's size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <ldns/ldns.h>

#include "netd/daemon/dns_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct names *index_once(void)
{
	static struct names *nx;
	static const char *const aliases[] = {"www", "api", "many"};

	if (nx)
		return nx;
	if (names_new(&nx) < 0)
		abort();
	for (unsigned i = 0; i < 40; i++) {
		char id[16];
		struct names_ep ep = {
			.source = NAMES_SOURCE_LOCAL,
			.network = i % 2 ? "net1" : "net2",
			.id = id,
			.ifname = "eth0",
			.name = i == 0 ? "web" : NULL,
			.aliases = aliases,
			.n_aliases = 3,
			.ip4 = (i % 2 ? 0x0a420000u : 0x0a460000u) + 2 + i,
			.netns_dev = 4,
			.netns_ino = 1000 + i / 2,
		};

		snprintf(id, sizeof(id), "c%u", i);
		/* every other one dual-stack: AAAA and ip6.arpa answers too */
		if (i % 4 < 2) {
			ep.ip6.s6_addr[0] = 0xfd;
			ep.ip6.s6_addr[5] = i % 2 ? 0x42 : 0x46;
			ep.ip6.s6_addr[15] = (uint8_t)(2 + i);
		}
		if (names_put(nx, &ep) < 0)
			abort();
	}
	return nx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dns_view_net nets[] = {
		{"net1", {0x0a420000u, 16}, {{{{0xfd, 0, 0, 0, 0, 0x42}}}, 64}},
		{"net2", {0x0a460000u, 16}, {{{{0xfd, 0, 0, 0, 0, 0x46}}}, 64}},
	};
	struct dns_view v = {
		.nx = index_once(),
		.nets = nets,
		.n_nets = 2,
		.domain = size % 3 ? "berth.internal" : NULL,
		.ttl = 2,
		.forward = size % 2,
	};
	bool udp = size % 5 != 0;
	uint8_t *ans = NULL;
	size_t len = 0;
	ldns_pkt *p = NULL;
	int r;

	dns_question_end(data, size);
	r = dns_answer(&v, data, size, udp, &ans, &len);
	if (r == DNS_ANSWER) {
		/* parseable, the query's id, and no amplifier */
		if (ldns_wire2pkt(&p, ans, len) != LDNS_STATUS_OK || ans[0] != data[0] || ans[1] != data[1] ||
		    (udp && len > size * DNS_AMPLIFICATION && len > 12))
			__builtin_trap();
		ldns_pkt_free(p);
	}
	free(ans);
	ans = NULL;
	if (dns_answer_error(data, size, LDNS_RCODE_SERVFAIL, &ans, &len) == DNS_ANSWER && len < 12)
		__builtin_trap();
	free(ans);
	return 0;
}
