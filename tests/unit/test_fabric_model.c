/* The fabric's records: key names and parsing, JSON values both ways, block choice. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netd/fabric/kernel.h"
#include "netd/fabric/model.h"

Test(fabric_model, keys_round_trip)
{
	struct fabric_blk b = {.v4 = {0x0a460300, 24}};
	struct fabric_key k;
	char key[FABRIC_KEY_MAX];

	cr_assert(fabric_key_node(key, sizeof(key), "h1") == 0);
	cr_assert_str_eq(key, "/berth/v1/nodes/h1");
	cr_assert_eq(fabric_key_parse(key, &k), FK_NODE);
	cr_assert_str_eq(k.name, "h1");
	cr_assert(fabric_key_network(key, sizeof(key), "fab") == 0);
	cr_assert_eq(fabric_key_parse(key, &k), FK_NETWORK);
	cr_assert_str_eq(k.name, "fab");
	cr_assert(fabric_key_vni(key, sizeof(key), 7) == 0);
	cr_assert_eq(fabric_key_parse(key, &k), FK_VNI);
	cr_assert_eq(k.vni, 7);
	cr_assert(fabric_key_block(key, sizeof(key), "fab", &b) == 0);
	cr_assert_str_eq(key, "/berth/v1/blocks/fab/10.70.3.0-24");
	cr_assert_eq(fabric_key_parse(key, &k), FK_BLOCK);
	cr_assert_str_eq(k.name, "fab");
	cr_assert(!k.block.is6);
	cr_assert_eq(k.block.v4.addr, b.v4.addr);
	cr_assert_eq(k.block.v4.prefix, 24);
	cr_assert(fabric_blk_eq(&k.block, &b));
	/* an IPv6 block: its own text under the same prefix (a network's removal takes both) */
	b.is6 = true;
	cr_assert(baddr_parse_cidr6("fd70:0:3::/64", false, &b.v6, NULL) == 0);
	cr_assert(fabric_key_block(key, sizeof(key), "fab", &b) == 0);
	cr_assert_str_eq(key, "/berth/v1/blocks/fab/fd70:0:3::-64");
	cr_assert_eq(fabric_key_parse(key, &k), FK_BLOCK);
	cr_assert_str_eq(k.name, "fab");
	cr_assert(k.block.is6);
	cr_assert_eq(k.block.v6.prefix, 64);
	cr_assert(fabric_blk_eq(&k.block, &b));
	cr_assert(fabric_key_blocks(key, sizeof(key), "fab") == 0);
	cr_assert_str_eq(key, "/berth/v1/blocks/fab/");
}

Test(fabric_model, keys_rejected)
{
	static const char *const bad[] = {
		"/other/v1/nodes/h1",
		"/berth/v1/nodes/",
		"/berth/v1/nodes/a b",
		"/berth/v1/vnis/0",
		"/berth/v1/vnis/x",
		"/berth/v1/blocks/fab",
		"/berth/v1/blocks/fab/10.70.3.0",
		"/berth/v1/blocks/fab/10.70.3.1-24",
		"/berth/v1/blocks/fab/fd70:0:3::1-64",
		"/berth/v1/blocks/fab/fd70:0:3::-129",
		"/berth/v1/blocks/fab/fd70::3::-64",
		"/berth/v1/unknown/x",
	};
	struct fabric_key k;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(fabric_key_parse(bad[i], &k), FK_NONE, "%s", bad[i]);
}

Test(fabric_model, values_round_trip)
{
	struct fabric_node n = {.node = "h1", .underlay = {.v4 = 0xc000020b}, .started = 1700000000}, n2;
	struct fabric_net net = {.name = "fab", .subnet = {0x0a460000, 16}, .host_prefix = 24, .vni = 3}, net2;
	struct fabric_block b = {.node = "h2", .underlay = {.v4 = 0xc000020c}}, b2;
	char *s;

	s = fabric_node_to_json(&n);
	cr_assert(fabric_node_from_json(s, strlen(s), &n2, NULL) == 0);
	cr_assert_str_eq(n2.node, "h1");
	cr_assert(fabric_ul_eq(&n2.underlay, &n.underlay));
	cr_assert(!n2.underlay.is6);
	cr_assert_eq(n2.started, n.started);
	free(s);
	s = fabric_net_to_json(&net);
	cr_assert_str_eq(
		s, "{\"name\":\"fab\",\"subnet\":\"10.70.0.0/16\",\"host_prefix\":24,\"vni\":3,\"mode\":\"vxlan\"}");
	cr_assert(fabric_net_from_json(s, strlen(s), &net2, NULL) == 0);
	cr_assert(fabric_net_same(&net, &net2));
	cr_assert_eq(net2.vni, 3);
	free(s);
	fk_vtep_mac(3, &b.underlay, b.vtep_mac);
	s = fabric_block_to_json(&b);
	cr_assert_str_eq(s, "{\"node\":\"h2\",\"underlay\":\"192.0.2.12\",\"vtep_mac\":\"0e:03:c0:00:02:0c\"}");
	cr_assert(fabric_block_from_json(s, strlen(s), &b2, NULL) == 0);
	cr_assert(memcmp(b2.vtep_mac, b.vtep_mac, 6) == 0);
	free(s);
}

Test(fabric_model, values_rejected)
{
	static const char *const nets[] = {
		"{}",
		"{\"name\":\"x\",\"subnet\":\"10.0.0.0/16\",\"host_prefix\":16,\"vni\":1}",
		"{\"name\":\"x\",\"subnet\":\"10.0.0.0/16\",\"host_prefix\":31,\"vni\":1}",
		"{\"name\":\"x\",\"subnet\":\"10.0.0.0/4\",\"host_prefix\":24,\"vni\":1}",
		"{\"name\":\"x\",\"subnet\":\"10.0.0.0/16\",\"host_prefix\":24,\"vni\":0}",
		"{\"name\":\"x\",\"subnet\":\"10.0.0.0/16\",\"host_prefix\":24,\"vni\":1,\"mode\":\"gre\"}",
		/* IPv6: no subnet at all, a bad subnet6, host prefixes too short / too long / too many blocks */
		"{\"name\":\"x\",\"vni\":1}",
		"{\"name\":\"x\",\"subnet6\":\"fd70::1/48\",\"vni\":1}",
		"{\"name\":\"x\",\"subnet6\":\"10.0.0.0/16\",\"vni\":1}",
		"{\"name\":\"x\",\"subnet6\":\"fd70::/8\",\"vni\":1}",
		"{\"name\":\"x\",\"subnet6\":\"fd70::/48\",\"host_prefix6\":48,\"vni\":1}",
		"{\"name\":\"x\",\"subnet6\":\"fd70::/48\",\"host_prefix6\":124,\"vni\":1}",
		"{\"name\":\"x\",\"subnet6\":\"fd70::/32\",\"host_prefix6\":64,\"vni\":1}",
	};
	struct fabric_net n;
	struct fabric_block b;

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		cr_assert(fabric_net_from_json(nets[i], strlen(nets[i]), &n, NULL) < 0, "%s", nets[i]);
	cr_assert(fabric_block_from_json("{\"node\":\"h\",\"underlay\":\"1.2.3.4\",\"vtep_mac\":\"01:00:00:00:00:01\"}",
					 70, &b, NULL) < 0,
		  "a multicast VTEP");
	/* host-gw's IPv6 next hop over an IPv4 underlay is a link-local address */
	{
		static const char global_ll[] =
			"{\"node\":\"h\",\"underlay\":\"1.2.3.4\",\"vtep_mac\":\"0e:00:00:00:00:01\","
			"\"underlay_ll\":\"2001:db8::1\"}";

		cr_assert(fabric_block_from_json(global_ll, strlen(global_ll), &b, NULL) < 0, "a global underlay_ll");
	}
}

Test(fabric_model, block_pick_skips_taken_and_fills_up)
{
	struct fabric_net n = {.name = "t", .subnet = {0x0a000000, 22}, .host_prefix = 24, .vni = 1};
	struct fabric_blk taken[4], b;

	cr_assert_eq(fabric_block_count(&n, false), 4);
	for (int i = 0; i < 4; i++) {
		cr_assert(fabric_block_pick(&n, false, "h1", taken, (size_t)i, 0, &b) == 0);
		for (int j = 0; j < i; j++)
			cr_assert(!fabric_blk_eq(&taken[j], &b), "block %d picked twice", j);
		cr_assert(!b.is6);
		cr_assert(baddr_in4(&n.subnet, b.v4.addr));
		cr_assert_eq(b.v4.prefix, 24);
		taken[i] = b;
	}
	cr_assert_eq(fabric_block_pick(&n, false, "h1", taken, 4, 0, &b), -ENOSPC);
	/* the hash spreads names: two names start at different blocks here */
	{
		struct fabric_blk x, y;

		cr_assert(fabric_block_pick(&n, false, "h1", NULL, 0, 0, &x) == 0);
		cr_assert(fabric_block_pick(&n, false, "h2", NULL, 0, 0, &y) == 0);
		cr_assert(x.v4.addr != y.v4.addr);
	}
}

/* Old records (before IPv6) parse as IPv4 only; dual-stack and IPv6-only records round-trip. */
Test(fabric_model, ipv6_values_round_trip_and_old_records)
{
	static const char old[] = "{\"name\":\"fab\",\"subnet\":\"10.70.0.0/16\",\"host_prefix\":24,\"vni\":3,"
				  "\"mode\":\"vxlan\"}";
	struct fabric_net net = {.name = "fab", .subnet = {0x0a460000, 16}, .host_prefix = 24, .vni = 3}, net2;
	char *s;

	cr_assert(fabric_net_from_json(old, strlen(old), &net2, NULL) == 0);
	cr_assert(fabric_net_has4(&net2));
	cr_assert(!fabric_net_has6(&net2));
	cr_assert_eq(net2.subnet6.prefix, 0);
	cr_assert(fabric_net_same(&net, &net2));
	/* and an IPv4-only network writes the old text */
	s = fabric_net_to_json(&net);
	cr_assert_str_eq(s, old);
	free(s);

	cr_assert(baddr_parse_cidr6("fd70::/48", false, &net.subnet6, NULL) == 0);
	net.host_prefix6 = 64;
	cr_assert(fabric_net_check(&net, NULL) == 0);
	s = fabric_net_to_json(&net);
	cr_assert_str_eq(s, "{\"name\":\"fab\",\"subnet\":\"10.70.0.0/16\",\"host_prefix\":24,"
			    "\"subnet6\":\"fd70::/48\",\"host_prefix6\":64,\"vni\":3,\"mode\":\"vxlan\"}");
	cr_assert(fabric_net_from_json(s, strlen(s), &net2, NULL) == 0);
	cr_assert(fabric_net_same(&net, &net2));
	cr_assert(!fabric_net_same(&net,
				   &(struct fabric_net){.name = "fab", .subnet = {0x0a460000, 16}, .host_prefix = 24}));
	free(s);

	/* IPv6 only */
	memset(&net.subnet, 0, sizeof(net.subnet));
	net.host_prefix = 0;
	s = fabric_net_to_json(&net);
	cr_assert_str_eq(s, "{\"name\":\"fab\",\"subnet6\":\"fd70::/48\",\"host_prefix6\":64,\"vni\":3,"
			    "\"mode\":\"vxlan\"}");
	cr_assert(fabric_net_from_json(s, strlen(s), &net2, NULL) == 0);
	cr_assert(!fabric_net_has4(&net2));
	cr_assert(fabric_net_has6(&net2));
	cr_assert(fabric_net_same(&net, &net2));
	free(s);
	/* host-gw carries IPv6 too (fabric6, routes via the peers' underlay) */
	net.mode = FABRIC_HOSTGW;
	cr_assert(fabric_net_check(&net, NULL) == 0);
	s = fabric_net_to_json(&net);
	cr_assert(fabric_net_from_json(s, strlen(s), &net2, NULL) == 0);
	cr_assert(fabric_net_same(&net, &net2));
	cr_assert_eq(net2.mode, FABRIC_HOSTGW);
	free(s);
	/* host_prefix6 left out: the default */
	{
		static const char t[] = "{\"name\":\"x\",\"subnet6\":\"fd71::/56\",\"vni\":1}";

		cr_assert(fabric_net_from_json(t, strlen(t), &net2, NULL) == 0);
		cr_assert_eq(net2.host_prefix6, 72);
	}
}

/*
 * An IPv6 underlay: node and block records carry it as text, round-trip,
 * and the records of an IPv4 underlay read as before; the VTEP MAC of an
 * IPv6 underlay is a fixed hash of its address (1e:<vni>:<4 bytes>).
 */
Test(fabric_model, ipv6_underlay_records_and_vtep_mac)
{
	static const char node4[] = "{\"node\":\"h1\",\"underlay\":\"192.0.2.11\",\"started\":1700000000}";
	struct fabric_node n = {.node = "h1", .started = 1700000000}, n2;
	struct fabric_block b = {.node = "h2"}, b2;
	struct fabric_ul ul, ul2;
	uint8_t mac[6], mac2[6];
	char *s, a[INET6_ADDRSTRLEN];

	cr_assert(fabric_node_from_json(node4, strlen(node4), &n2, NULL) == 0);
	cr_assert(!n2.underlay.is6);
	cr_assert_eq(n2.underlay.v4, 0xc000020b);
	s = fabric_node_to_json(&n2);
	cr_assert_str_eq(s, node4);
	free(s);

	cr_assert(fabric_ul_parse("2001:db8::11", &n.underlay, NULL) == 0);
	cr_assert(n.underlay.is6);
	s = fabric_node_to_json(&n);
	cr_assert_str_eq(s, "{\"node\":\"h1\",\"underlay\":\"2001:db8::11\",\"started\":1700000000}");
	cr_assert(fabric_node_from_json(s, strlen(s), &n2, NULL) == 0);
	cr_assert(fabric_ul_eq(&n2.underlay, &n.underlay));
	cr_assert_str_eq(fabric_ul_fmt(&n2.underlay, a), "2001:db8::11");
	free(s);

	cr_assert(fabric_ul_parse("2001:db8::12", &b.underlay, NULL) == 0);
	fk_vtep_mac(3, &b.underlay, b.vtep_mac);
	cr_assert_eq(b.vtep_mac[0], 0x1e);
	cr_assert_eq(b.vtep_mac[1], 3);
	s = fabric_block_to_json(&b);
	cr_assert(fabric_block_from_json(s, strlen(s), &b2, NULL) == 0);
	cr_assert(fabric_ul_eq(&b2.underlay, &b.underlay));
	cr_assert(memcmp(b2.vtep_mac, b.vtep_mac, 6) == 0);
	cr_assert(baddr_zero6(&b2.underlay_ll));
	cr_assert(!strstr(s, "underlay_ll"));
	free(s);
	/* a host-gw host on an IPv4 underlay publishes its link-local address there (its IPv6 blocks' next hop) */
	{
		struct fabric_block h = {.node = "h3", .underlay = fabric_ul4(0xc000020d)}, h2;

		cr_assert(baddr_parse6("fe80::1:2", &h.underlay_ll, NULL) == 0);
		fk_vtep_mac(3, &h.underlay, h.vtep_mac);
		s = fabric_block_to_json(&h);
		cr_assert_str_eq(s, "{\"node\":\"h3\",\"underlay\":\"192.0.2.13\",\"vtep_mac\":\"0e:03:c0:00:02:0d\","
				    "\"underlay_ll\":\"fe80::1:2\"}");
		cr_assert(fabric_block_from_json(s, strlen(s), &h2, NULL) == 0);
		cr_assert(baddr_eq6(&h2.underlay_ll, &h.underlay_ll));
		free(s);
	}

	/* the MAC is a function of the VNI and the address only: the same every time, another for another host */
	fk_vtep_mac(3, &b.underlay, mac);
	cr_assert(memcmp(mac, b.vtep_mac, 6) == 0);
	cr_assert(fabric_ul_parse("2001:db8::13", &ul, NULL) == 0);
	fk_vtep_mac(3, &ul, mac2);
	cr_assert(memcmp(mac, mac2, 6) != 0);
	/* and never the one of an IPv4 underlay */
	ul2 = fabric_ul4(0xc000020c);
	fk_vtep_mac(3, &ul2, mac2);
	cr_assert_eq(mac2[0], 0x0e);
	cr_assert(!fabric_ul_eq(&ul, &ul2));
	cr_assert(!fabric_ul_none(&ul));
	cr_assert(fabric_ul_none(&(struct fabric_ul){.is6 = true}));

	/* malformed underlays are refused */
	{
		static const char *const bad[] = {
			"{\"node\":\"h\",\"underlay\":\"2001:db8::1::2\",\"started\":1}",
			"{\"node\":\"h\",\"underlay\":\"[2001:db8::1]\",\"started\":1}",
			"{\"node\":\"h\",\"underlay\":\"2001:db8::1/64\",\"started\":1}",
			"{\"node\":\"h\",\"underlay\":\"eth0\",\"started\":1}",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			cr_assert(fabric_node_from_json(bad[i], strlen(bad[i]), &n2, NULL) < 0, "%s", bad[i]);
	}
}

Test(fabric_model, default_host_prefix6)
{
	cr_assert_eq(fabric_default_host_prefix6(48), 64);
	cr_assert_eq(fabric_default_host_prefix6(44), 64);
	cr_assert_eq(fabric_default_host_prefix6(32), 56); /* at most 2^24 blocks */
	cr_assert_eq(fabric_default_host_prefix6(16), 40);
	cr_assert_eq(fabric_default_host_prefix6(56), 72);
	cr_assert_eq(fabric_default_host_prefix6(64), 80);
	cr_assert_eq(fabric_default_host_prefix6(108), 120);
	cr_assert_eq(fabric_default_host_prefix6(112), 120);
	for (unsigned p = 16; p <= 112; p++) {
		struct fabric_net n = {.name = "x", .vni = 1, .subnet6 = {.prefix = (uint8_t)p}};

		n.host_prefix6 = fabric_default_host_prefix6((uint8_t)p);
		cr_assert(fabric_net_check(&n, NULL) == 0, "/%u with /%u", p, n.host_prefix6);
	}
}

/* IPv6 blocks: the block number in the bits between the prefixes; a pick with no bitmap of 2^N blocks. */
Test(fabric_model, block6_nth_and_pick)
{
	struct fabric_net n = {.name = "t", .vni = 1, .host_prefix6 = 64};
	struct fabric_blk b, taken[3];
	char c[BADDR_CIDR6_STRLEN];

	cr_assert(baddr_parse_cidr6("fd70:1::/40", false, &n.subnet6, NULL) == 0);
	cr_assert_eq(fabric_block_count(&n, true), 1u << 24);
	b = fabric_block_nth(&n, true, 0);
	cr_assert_str_eq(fabric_blk_fmt(&b, c), "fd70:1::/64");
	b = fabric_block_nth(&n, true, 1);
	cr_assert_str_eq(fabric_blk_fmt(&b, c), "fd70:1:0:1::/64");
	b = fabric_block_nth(&n, true, 0xabcdef);
	cr_assert_str_eq(fabric_blk_fmt(&b, c), "fd70:1:ab:cdef::/64");
	b = fabric_block_nth(&n, true, (1u << 24) - 1);
	cr_assert_str_eq(fabric_blk_fmt(&b, c), "fd70:1:ff:ffff::/64");
	/* a prefix not on a byte boundary */
	n.host_prefix6 = 52;
	cr_assert(baddr_parse_cidr6("fd70:1::/48", false, &n.subnet6, NULL) == 0);
	b = fabric_block_nth(&n, true, 3);
	cr_assert_str_eq(fabric_blk_fmt(&b, c), "fd70:1:0:3000::/52");
	/* four blocks: picks differ and fill up, as for IPv4 */
	n.host_prefix6 = 50;
	cr_assert_eq(fabric_block_count(&n, true), 4);
	for (int i = 0; i < 4; i++) {
		cr_assert(fabric_block_pick(&n, true, "h1", taken, (size_t)(i < 3 ? i : 3), 0, &b) == 0);
		cr_assert(b.is6);
		cr_assert(baddr_in6(&n.subnet6, &b.v6.addr));
		for (int j = 0; j < i && j < 3; j++)
			cr_assert(!fabric_blk_eq(&taken[j], &b));
		if (i < 3)
			taken[i] = b;
	}
	{
		struct fabric_blk all[4];

		for (uint32_t i = 0; i < 4; i++)
			all[i] = fabric_block_nth(&n, true, i);
		cr_assert_eq(fabric_block_pick(&n, true, "h1", all, 4, 0, &b), -ENOSPC);
	}
}
