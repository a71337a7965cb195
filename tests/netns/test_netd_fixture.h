/*
 * Helpers for the engine and daemon tests: an engine on a scratch state
 * directory inside the test's own namespaces, networks, container
 * namespaces and attaches, and checks of what the kernel holds.
 */
#pragma once

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "netd/engine/engine.h"
#include "tst.h"

static inline struct eng *fx_engine(void)
{
	struct eng_opts o = {.state_dir = tst_path("state")};
	struct berr e = BERR_INIT;
	struct eng *eng = NULL;

	cr_assert_eq(eng_open(&o, &eng, &e), 0, "eng_open: %s", e.msg);
	return eng;
}

static inline uint32_t fx_ip(const char *s)
{
	uint32_t a = 0;

	cr_assert_eq(baddr_parse4(s, &a, NULL), 0, "bad address %s", s);
	return a;
}

static inline const char *fx_fmt(uint32_t ip)
{
	static char bufs[8][INET_ADDRSTRLEN];
	static int next;

	return baddr_fmt4(ip, bufs[next++ % 8]);
}

static inline struct eng_network fx_network(struct eng *eng, const char *name, const char *subnet)
{
	struct eng_network n, out;
	struct berr e = BERR_INIT;

	eng_network_init(&n, name);
	cr_assert_eq(baddr_parse_cidr4(subnet, false, &n.subnet, NULL), 0);
	cr_assert_eq(eng_network_ensure(eng, &n, &out, &e), 0, "network %s: %s", name, e.msg);
	return out;
}

static inline struct in6_addr fx_ip6(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(baddr_parse6(s, &a, NULL), 0, "bad address %s", s);
	return a;
}

static inline const char *fx_fmt6(const struct in6_addr *a)
{
	static char bufs[8][INET6_ADDRSTRLEN];
	static int next;

	return baddr_fmt6(a, bufs[next++ % 8]);
}

/* A network with an IPv4 subnet (NULL: none) and an IPv6 one; masquerade6 as netd defaults it (ULA). */
static inline struct eng_network fx_network6(struct eng *eng, const char *name, const char *subnet, const char *subnet6)
{
	struct eng_network n, out;
	struct berr e = BERR_INIT;

	eng_network_init(&n, name);
	if (subnet)
		cr_assert_eq(baddr_parse_cidr4(subnet, false, &n.subnet, NULL), 0);
	cr_assert_eq(baddr_parse_cidr6(subnet6, false, &n.subnet6, NULL), 0);
	n.masquerade6 = baddr_ula6(&n.subnet6.addr);
	cr_assert_eq(eng_network_ensure(eng, &n, &out, &e), 0, "network %s: %s", name, e.msg);
	return out;
}

/* Attach container namespace ns (created when missing) as id; ports as port-spec strings, NULL-terminated. */
static inline int fx_attach_full(struct eng *eng, const char *network, const char *id, const char *ns, uint32_t ip,
				 const char *const *specs, struct eng_endpoint *ret, struct berr *e)
{
	struct bportspec ports[8];
	struct eng_attach a = {.network = network, .id = id, .ip = ip};
	size_t n = 0;

	if (access(tst_netns_path(ns), F_OK) != 0)
		tst_netns_add(ns);
	for (; specs && specs[n]; n++)
		cr_assert_eq(bportspec_parse(specs[n], &ports[n], NULL), 0, "bad spec %s", specs[n]);
	a.netns_fd = tst_netns_fd(ns);
	a.netns_path = tst_netns_path(ns);
	a.ports = ports;
	a.n_ports = n;
	return eng_attach(eng, &a, ret, e);
}

static inline struct eng_endpoint fx_attach(struct eng *eng, const char *network, const char *id, const char *ns,
					    const char *const *specs)
{
	struct eng_endpoint ep;
	struct berr e = BERR_INIT;

	cr_assert_eq(fx_attach_full(eng, network, id, ns, 0, specs, &ep, &e), 0, "attach %s: %s", id, e.msg);
	return ep;
}

/* Attach with a requested IPv6 address. */
static inline int fx_attach6(struct eng *eng, const char *network, const char *id, const char *ns, const char *ip6,
			     struct eng_endpoint *ret, struct berr *e)
{
	struct eng_attach a = {.network = network, .id = id};

	if (access(tst_netns_path(ns), F_OK) != 0)
		tst_netns_add(ns);
	a.ip6 = fx_ip6(ip6);
	a.netns_fd = tst_netns_fd(ns);
	a.netns_path = tst_netns_path(ns);
	return eng_attach(eng, &a, ret, e);
}

/* Reply of a tst_serve server: "TAG PEER\n". */
static inline void fx_expect(const char *from, const char *addr, uint16_t port, const char *tag, const char *peer)
{
	char reply[128], want[128];
	int r = tst_request(from, false, addr, port, reply, sizeof(reply), 3000);

	cr_assert_eq(r, 0, "%s -> %s:%u: %s", from ? from : "host", addr, port, strerror(-r));
	snprintf(want, sizeof(want), "%s %s\n", tag, peer);
	cr_assert_str_eq(reply, want, "%s -> %s:%u", from ? from : "host", addr, port);
}

static inline void fx_unreachable(const char *from, const char *addr, uint16_t port)
{
	char reply[128];

	cr_assert_neq(tst_request(from, false, addr, port, reply, sizeof(reply), 500), 0,
		      "%s reached %s:%u but must not", from ? from : "host", addr, port);
}

/* Output of a shell command, trailing newline trimmed (static buffer). */
static inline const char *fx_out(const char *ns, const char *cmd)
{
	static char buf[8192];
	int st;
	char *o = tst_sh_out(ns, &st, "%s", cmd);
	size_t n;

	snprintf(buf, sizeof(buf), "%s", o ? o : "");
	free(o);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

/* Number of elements in a map of table inet berth (each commented with the store that wrote it). */
static inline int fx_elems(const char *map)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "nft list map inet berth %s | sed 's/ comment \"[^\"]*\"//g' | grep -oE '[0-9]+ : [0-9.]+ \\. [0-9]+' "
		 "| wc -l",
		 map);
	return atoi(fx_out(NULL, cmd));
}

/* Nothing of berth's left on the host: no veth, no endpoint record, no map element, no port claim. */
static inline void fx_assert_clean(const char *network)
{
	/* netd deletes detached veths on its reaper thread, moments after its reply */
	tst_sh(NULL, "for i in $(seq 100); do ip -o link show type veth | grep -qE ' b[vx][0-9a-f]{12}' || exit 0; "
		     "sleep 0.05; done; exit 1");
	cr_assert_str_eq(fx_out(NULL, "ip -o link show type veth | grep -cE ' b[vx][0-9a-f]{12}' || true"), "0",
			 "veths left: %s", fx_out(NULL, "ip -o link show type veth"));
	cr_assert_eq(fx_elems("pub_any4"), 0, "map elements left: %s",
		     fx_out(NULL, "nft list map inet berth pub_any4"));
	cr_assert_eq(fx_elems("pub_ip4"), 0, "map elements left: %s", fx_out(NULL, "nft list map inet berth pub_ip4"));
	cr_assert_str_eq(fx_out(NULL, "nft list map inet berth pub_any6 | grep -c 'elements' || true"), "0",
			 "map elements left: %s", fx_out(NULL, "nft list map inet berth pub_any6"));
	cr_assert_str_eq(fx_out(NULL, "nft list map inet berth pub_ip6 | grep -c 'elements' || true"), "0",
			 "map elements left: %s", fx_out(NULL, "nft list map inet berth pub_ip6"));
	cr_assert_str_eq(fx_out(NULL, "nft list table bridge berth | grep -c 'elements = ' || true"), "0",
			 "anti-spoofing elements left: %s", fx_out(NULL, "nft list table bridge berth"));
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
			 "find %s/networks/%s/endpoints -type f | wc -l; ls %s/ports | grep -vc '^lock$' || true",
			 tst_path("state"), network, tst_path("state"));
		cr_assert_str_eq(fx_out(NULL, cmd), "0\n0", "state left: %s", cmd);
	}
}
