/*
 * netd/nft: real traffic through table inet berth. Servers answer with the
 * source address they saw, so each NAT decision is visible.
 */
#include <errno.h>
#include <string.h>

#include "netd/engine/nft.h"
#include "nft_topo.h"
#include "tst.h"

TestSuite(nft_traffic, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

static struct nft_ctx *open_ensured(void)
{
	struct berr e = BERR_INIT;
	struct nft_ctx *ctx = NULL;

	cr_assert_eq(nft_open(-1, &ctx, &e), 0, "%s", e.msg);
	cr_assert_eq(nft_ensure(ctx, &e), 0, "%s", e.msg);
	return ctx;
}

static void add_net(struct nft_ctx *ctx, const struct nft_network *n)
{
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_network_add(ctx, n, &e), 0, "%s", e.msg);
}

static void publish(struct nft_ctx *ctx, struct nft_port p)
{
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ports_add(ctx, &p, 1, &e), 0, "%s", e.msg);
}

static void unpublish(struct nft_ctx *ctx, struct nft_port p)
{
	struct berr e = BERR_INIT;

	cr_assert_eq(nft_ports_del(ctx, &p, 1, &e), 0, "%s", e.msg);
}

/* The host with bridge berth0 (10.66.0.0/16, masqueraded) holding c1 (.2) and c2 (.3), and the table with berth0. */
static struct nft_ctx *berth0_c1_c2(void)
{
	struct nft_network net = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_ctx *ctx;

	topo_host();
	topo_bridge("berth0", "10.66.0.1/16");
	topo_container("c1", "berth0", "10.66.0.2/16", "10.66.0.1");
	topo_container("c2", "berth0", "10.66.0.3/16", "10.66.0.1");
	ctx = open_ensured();
	add_net(ctx, &net);
	return ctx;
}

Test(nft_traffic, outbound_masquerade_follows_the_flag)
{
	struct nft_network net = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_ctx *ctx;

	topo_host();
	topo_bridge("berth0", "10.66.0.1/16");
	topo_container("c1", "berth0", "10.66.0.2/16", "10.66.0.1");
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP, 9000, "up");
	/* upstream can answer the container directly once masquerade is off */
	tst_sh_ok("upstream", "ip route add 10.66.0.0/16 via " TST_UPSTREAM_HOST_IP);

	ctx = open_ensured();
	add_net(ctx, &net);
	topo_expect("c1", false, TST_UPSTREAM_GW_IP, 9000, "up", TST_UPSTREAM_HOST_IP);

	/* re-adding with masquerade off drops the subnet from masq4 in the same batch */
	net.masquerade = false;
	add_net(ctx, &net);
	topo_expect("c1", false, TST_UPSTREAM_GW_IP, 9000, "up", "10.66.0.2");
	cr_assert_neq(tst_sh(NULL, "nft list set inet berth masq4 | grep -q 10.66.0.0/16"), 0);
	cr_assert_neq(tst_sh(NULL, "nft list set inet berth masq_bridges | grep -q berth0"), 0);

	net.masquerade = true;
	add_net(ctx, &net);
	topo_expect("c1", false, TST_UPSTREAM_GW_IP, 9000, "up", TST_UPSTREAM_HOST_IP);
	tst_sh_ok(NULL, "nft list set inet berth masq_bridges | grep -q berth0");
	nft_close(ctx);
}

Test(nft_traffic, published_tcp_port_from_everywhere)
{
	struct nft_ctx *ctx = berth0_c1_c2();

	tst_serve("c1", false, NULL, 80, "c1");
	publish(ctx, topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80));

	/* from the outside world: the container sees the real client */
	topo_expect("upstream", false, TST_UPSTREAM_HOST_IP, 8080, "c1", TST_UPSTREAM_GW_IP);
	/* from the host itself: loopback is masqueraded to the bridge's address, other local addresses kept */
	topo_expect(NULL, false, "127.0.0.1", 8080, "c1", "10.66.0.1");
	topo_expect(NULL, false, TST_UPSTREAM_HOST_IP, 8080, "c1", TST_UPSTREAM_HOST_IP);
	topo_expect(NULL, false, "10.66.0.1", 8080, "c1", "10.66.0.1");
	/* hairpin: a container reaching its own and a neighbour's published port through a host address */
	topo_expect("c1", false, TST_UPSTREAM_HOST_IP, 8080, "c1", "10.66.0.1");
	topo_expect("c2", false, TST_UPSTREAM_HOST_IP, 8080, "c1", "10.66.0.1");
	topo_expect("c2", false, "10.66.0.1", 8080, "c1", "10.66.0.1");

	/* unpublished: nothing answers any more */
	unpublish(ctx, topo_port(NULL, 8080, BPROTO_TCP, "10.66.0.2", 80));
	topo_expect_none("upstream", false, TST_UPSTREAM_HOST_IP, 8080);
	topo_expect_none(NULL, false, "127.0.0.1", 8080);
	nft_close(ctx);
}

Test(nft_traffic, published_udp_port)
{
	struct nft_ctx *ctx = berth0_c1_c2();

	tst_serve("c1", true, NULL, 53, "c1u");
	publish(ctx, topo_port(NULL, 5353, BPROTO_UDP, "10.66.0.2", 53));

	topo_expect("upstream", true, TST_UPSTREAM_HOST_IP, 5353, "c1u", TST_UPSTREAM_GW_IP);
	topo_expect(NULL, true, "127.0.0.1", 5353, "c1u", "10.66.0.1");
	topo_expect("c2", true, TST_UPSTREAM_HOST_IP, 5353, "c1u", "10.66.0.1");
	/* the tcp twin of the port is not published */
	topo_expect_none("upstream", false, TST_UPSTREAM_HOST_IP, 5353);
	nft_close(ctx);
}

Test(nft_traffic, host_ip_specific_port)
{
	struct nft_ctx *ctx = berth0_c1_c2();

	tst_serve("c1", false, NULL, 80, "c1");
	tst_serve("c2", false, NULL, 80, "c2");
	publish(ctx, topo_port(TST_UPSTREAM_HOST_IP, 8090, BPROTO_TCP, "10.66.0.2", 80));

	topo_expect("upstream", false, TST_UPSTREAM_HOST_IP, 8090, "c1", TST_UPSTREAM_GW_IP);
	topo_expect(NULL, false, TST_UPSTREAM_HOST_IP, 8090, "c1", TST_UPSTREAM_HOST_IP);
	/* another address of the host: not published there */
	topo_expect_none(NULL, false, "10.66.0.1", 8090);
	topo_expect_none("c2", false, "10.66.0.1", 8090);
	topo_expect_none(NULL, false, "127.0.0.1", 8090);

	/* the same port for every address and, more specific, for one: the specific one wins there */
	publish(ctx, topo_port(NULL, 8091, BPROTO_TCP, "10.66.0.2", 80));
	publish(ctx, topo_port(TST_UPSTREAM_HOST_IP, 8091, BPROTO_TCP, "10.66.0.3", 80));
	topo_expect("upstream", false, TST_UPSTREAM_HOST_IP, 8091, "c2", TST_UPSTREAM_GW_IP);
	topo_expect(NULL, false, "10.66.0.1", 8091, "c1", "10.66.0.1");
	nft_close(ctx);
}

Test(nft_traffic, networks_are_isolated_but_reach_published_ports)
{
	struct nft_network n0 = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_network n1 = topo_net("berth1", "10.67.0.0/16", false, false);
	struct nft_ctx *ctx;

	topo_host();
	topo_bridge("berth0", "10.66.0.1/16");
	topo_bridge("berth1", "10.67.0.1/16");
	topo_container("c1", "berth0", "10.66.0.2/16", "10.66.0.1");
	topo_container("c3", "berth1", "10.67.0.2/16", "10.67.0.1");
	tst_serve("c1", false, NULL, 80, "c1");
	tst_serve("c3", false, NULL, 80, "c3");

	/* without berth's table the host routes between the two bridges: the drop below is nftables' */
	topo_expect("c1", false, "10.67.0.2", 80, "c3", "10.66.0.2");

	ctx = open_ensured();
	add_net(ctx, &n0);
	add_net(ctx, &n1);
	publish(ctx, topo_port(NULL, 8082, BPROTO_TCP, "10.67.0.2", 80));
	publish(ctx, topo_port(NULL, 8083, BPROTO_TCP, "10.66.0.2", 80));

	topo_expect_none("c1", false, "10.67.0.2", 80);
	topo_expect_none("c3", false, "10.66.0.2", 80);
	/* each other's published ports, through the host; masqueraded although berth1 does not masquerade */
	topo_expect("c1", false, TST_UPSTREAM_HOST_IP, 8082, "c3", "10.67.0.1");
	topo_expect("c3", false, "10.67.0.1", 8083, "c1", "10.66.0.1");
	nft_close(ctx);
}

Test(nft_traffic, internal_network_is_closed)
{
	/* internal wins over masquerade */
	struct nft_network n0 = topo_net("berth0", "10.66.0.0/16", true, false);
	struct nft_network n2 = topo_net("berth2", "10.68.0.0/16", true, true);
	struct nft_ctx *ctx;

	topo_host();
	topo_bridge("berth0", "10.66.0.1/16");
	topo_bridge("berth2", "10.68.0.1/16");
	topo_container("c1", "berth0", "10.66.0.2/16", "10.66.0.1");
	topo_container("c4", "berth2", "10.68.0.2/16", "10.68.0.1");
	topo_container("c5", "berth2", "10.68.0.3/16", "10.68.0.1");
	tst_serve("c1", false, NULL, 80, "c1");
	tst_serve("c4", false, NULL, 80, "c4");
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP, 9000, "up");
	/* a route back, so that only nftables stands between upstream and the internal subnet */
	tst_sh_ok("upstream", "ip route add 10.68.0.0/16 via " TST_UPSTREAM_HOST_IP);

	ctx = open_ensured();
	add_net(ctx, &n0);
	add_net(ctx, &n2);
	publish(ctx, topo_port(NULL, 8084, BPROTO_TCP, "10.68.0.2", 80));
	publish(ctx, topo_port(NULL, 8083, BPROTO_TCP, "10.66.0.2", 80));
	cr_assert_neq(tst_sh(NULL, "nft list set inet berth masq4 | grep -q 10.68.0.0"), 0,
		      "an internal network must not be in masq4");

	/* within its bridge: fine, directly and through its own published port */
	topo_expect("c5", false, "10.68.0.2", 80, "c4", "10.68.0.3");
	topo_expect("c5", false, "10.68.0.1", 8084, "c4", "10.68.0.1");
	/* nothing leaves */
	topo_expect_none("c4", false, TST_UPSTREAM_GW_IP, 9000);
	topo_expect_none("c4", false, "10.66.0.2", 80);
	topo_expect_none("c4", false, "10.68.0.1", 8083);
	/* nothing enters */
	topo_expect_none("upstream", false, "10.68.0.2", 80);
	topo_expect_none("upstream", false, TST_UPSTREAM_HOST_IP, 8084);
	topo_expect_none("c1", false, "10.68.0.2", 80);
	topo_expect_none("c1", false, "10.66.0.1", 8084);
	/* while the other network still works */
	topo_expect("c1", false, TST_UPSTREAM_GW_IP, 9000, "up", TST_UPSTREAM_HOST_IP);
	topo_expect("upstream", false, TST_UPSTREAM_HOST_IP, 8083, "c1", TST_UPSTREAM_GW_IP);
	nft_close(ctx);
}
