/* The fabric's records: key names and parsing, JSON values both ways, block choice. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netd/fabric/kernel.h"
#include "netd/fabric/model.h"

Test(fabric_model, keys_round_trip)
{
	struct bcidr4 b = {0x0a460300, 24};
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
	cr_assert_eq(k.block.addr, b.addr);
	cr_assert_eq(k.block.prefix, 24);
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
		"/berth/v1/unknown/x",
	};
	struct fabric_key k;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(fabric_key_parse(bad[i], &k), FK_NONE, "%s", bad[i]);
}

Test(fabric_model, values_round_trip)
{
	struct fabric_node n = {.node = "h1", .underlay = 0xc000020b, .started = 1700000000}, n2;
	struct fabric_net net = {.name = "fab", .subnet = {0x0a460000, 16}, .host_prefix = 24, .vni = 3}, net2;
	struct fabric_block b = {.node = "h2", .underlay = 0xc000020c}, b2;
	char *s;

	s = fabric_node_to_json(&n);
	cr_assert(fabric_node_from_json(s, strlen(s), &n2, NULL) == 0);
	cr_assert_str_eq(n2.node, "h1");
	cr_assert_eq(n2.underlay, n.underlay);
	cr_assert_eq(n2.started, n.started);
	free(s);
	s = fabric_net_to_json(&net);
	cr_assert_str_eq(
		s, "{\"name\":\"fab\",\"subnet\":\"10.70.0.0/16\",\"host_prefix\":24,\"vni\":3,\"mode\":\"vxlan\"}");
	cr_assert(fabric_net_from_json(s, strlen(s), &net2, NULL) == 0);
	cr_assert(fabric_net_same(&net, &net2));
	cr_assert_eq(net2.vni, 3);
	free(s);
	fk_vtep_mac(3, b.underlay, b.vtep_mac);
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
	};
	struct fabric_net n;
	struct fabric_block b;

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		cr_assert(fabric_net_from_json(nets[i], strlen(nets[i]), &n, NULL) < 0, "%s", nets[i]);
	cr_assert(fabric_block_from_json("{\"node\":\"h\",\"underlay\":\"1.2.3.4\",\"vtep_mac\":\"01:00:00:00:00:01\"}",
					 70, &b, NULL) < 0,
		  "a multicast VTEP");
}

Test(fabric_model, block_pick_skips_taken_and_fills_up)
{
	struct fabric_net n = {.name = "t", .subnet = {0x0a000000, 22}, .host_prefix = 24, .vni = 1};
	struct bcidr4 taken[4], b;

	cr_assert_eq(fabric_block_count(&n), 4);
	for (int i = 0; i < 4; i++) {
		cr_assert(fabric_block_pick(&n, "h1", taken, (size_t)i, 0, &b) == 0);
		for (int j = 0; j < i; j++)
			cr_assert(taken[j].addr != b.addr, "block %d picked twice", j);
		cr_assert(baddr_in4(&n.subnet, b.addr));
		cr_assert_eq(b.prefix, 24);
		taken[i] = b;
	}
	cr_assert_eq(fabric_block_pick(&n, "h1", taken, 4, 0, &b), -ENOSPC);
	/* the hash spreads names: two names start at different blocks here */
	{
		struct bcidr4 x, y;

		cr_assert(fabric_block_pick(&n, "h1", NULL, 0, 0, &x) == 0);
		cr_assert(fabric_block_pick(&n, "h2", NULL, 0, 0, &y) == 0);
		cr_assert(x.addr != y.addr);
	}
}
