/* Records of the state store and netd's results: (de)serialisation round trips and strict parsing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "netd/daemon/config.h"
#include "netd/engine/record.h"

Test(netd_record, endpoint_round_trip)
{
	struct eng_route routes[] = {{.dst = {0x0a000000, 8}, .gw = 0x0a4200fe}};
	struct bportspec ports[] = {{.host_port = 8080,
				     .host_port_end = 8080,
				     .container_port = 80,
				     .container_port_end = 80,
				     .proto = BPROTO_TCP},
				    {.host_ip = 0x7f000001,
				     .host_port = 9000,
				     .host_port_end = 9010,
				     .container_port = 9000,
				     .container_port_end = 9010,
				     .proto = BPROTO_UDP}};
	struct eng_endpoint ep = {
		.network = "berth0",
		.id = "c1",
		.ifname = "eth0",
		.host_ifname = "bv0123456789ab",
		.netns_path = "/run/netns/c1",
		.netns_dev = 4,
		.netns_ino = 4026532320ull,
		.netns_cookie = 8193,
		.ip = 0x0a420002,
		.prefix = 16,
		.gateway = 0x0a420001,
		.mac = {0x0a, 0x58, 0x0a, 0x42, 0, 2},
		.mtu = 1500,
		.default_route = true,
		.routes = routes,
		.n_routes = 1,
		.ports = ports,
		.n_ports = 2,
		.state = ENG_EP_PENDING,
		.created = 1700000000,
		.owner = "cni:berth0",
	};
	struct eng_endpoint back;
	struct berr e = BERR_INIT;
	json_t *j = record_endpoint_to_json(&ep), *j2;
	char *a, *b;

	cr_assert(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "state")), "pending");
	cr_assert_str_eq(json_string_value(json_object_get(j, "mac")), "0a:58:0a:42:00:02");
	cr_assert_eq(record_endpoint_from_json(j, &back, &e), 0, "%s", e.msg);
	cr_assert_str_eq(back.netns_path, "/run/netns/c1");
	cr_assert_eq(back.netns_ino, ep.netns_ino);
	cr_assert_eq(back.netns_cookie, 8193);
	cr_assert_str_eq(back.owner, "cni:berth0");
	cr_assert_eq(back.n_ports, 2);
	cr_assert_eq(back.ports[1].host_port_end, 9010);
	cr_assert_eq(back.routes[0].gw, 0x0a4200fe);
	cr_assert_eq(back.state, ENG_EP_PENDING);
	j2 = record_endpoint_to_json(&back);
	a = json_dumps(j, JSON_SORT_KEYS);
	b = json_dumps(j2, JSON_SORT_KEYS);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	json_decref(j);
	json_decref(j2);
	eng_endpoint_clear(&back);
}

Test(netd_record, endpoint_parsing_is_strict)
{
	static const char *const bad[][2] = {
		{"{\"version\":2}", "version"},
		{"{\"version\":1,\"state\":\"weird\"}", "state"},
		{"{\"version\":1,\"state\":\"complete\",\"network\":\"n\",\"id\":\"c\",\"ifname\":\"eth0\","
		 "\"host_ifname\":\"bv1\",\"ip\":\"10.0.0.300\",\"prefix\":24,\"mac\":\"0a:58:00:00:00:01\"}",
		 "ip"},
		{"{\"version\":1,\"state\":\"complete\",\"network\":\"n\",\"id\":\"c\",\"ifname\":\"eth0\","
		 "\"host_ifname\":\"bv1\",\"ip\":\"10.0.0.3\",\"prefix\":24,\"mac\":\"0a:58:00:00:00:01\",\"bogus\":1}",
		 "bogus"},
		{"{\"version\":1,\"state\":\"complete\",\"network\":\"n\",\"id\":\"c\",\"ifname\":\"eth0\","
		 "\"host_ifname\":\"bv1\",\"ip\":\"10.0.0.3\",\"prefix\":24,\"mac\":\"0a:58:00:00:00:01\","
		 "\"ports\":[{\"host_port\":80,\"container_port\":80,\"protocol\":\"icmp\"}]}",
		 "ports[0].protocol"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct eng_endpoint ep;
		struct berr e = BERR_INIT;
		json_t *j = NULL;

		cr_assert_eq(bjson_parse(bad[i][0], strlen(bad[i][0]), &j, NULL), 0);
		cr_assert_eq(record_endpoint_from_json(j, &ep, &e), -EINVAL, "%s", bad[i][0]);
		cr_assert(strstr(e.msg, bad[i][1]), "'%s' lacks '%s'", e.msg, bad[i][1]);
		json_decref(j);
	}
}

Test(netd_record, network_round_trip)
{
	struct eng_network n, back;
	struct berr e = BERR_INIT;
	json_t *j;

	eng_network_init(&n, "n1");
	baddr_parse_cidr4("10.70.0.0/24", false, &n.subnet, NULL);
	n.gateway = 0x0a460001;
	n.range_start = 0x0a460010;
	n.range_end = 0x0a460020;
	n.internal = true;
	n.adopted = true;
	j = record_network_to_json(&n);
	cr_assert_eq(record_network_from_json(j, &back, &e), 0, "%s", e.msg);
	cr_assert_eq(memcmp(&n, &back, sizeof(n)), 0);
	json_decref(j);
	/* a host-gw fabric network's whole subnet and a VXLAN one's device */
	baddr_parse_cidr4("10.70.0.0/16", false, &n.fabric_subnet, NULL);
	snprintf(n.tunnel, sizeof(n.tunnel), "bfx7");
	j = record_network_to_json(&n);
	cr_assert_str_eq(json_string_value(json_object_get(j, "fabric_subnet")), "10.70.0.0/16");
	cr_assert_eq(record_network_from_json(j, &back, &e), 0, "%s", e.msg);
	cr_assert_eq(memcmp(&n, &back, sizeof(n)), 0);
	json_decref(j);
}

Test(netd_record, dual_stack_round_trip)
{
	struct eng_network n, back;
	struct eng_endpoint ep, epb;
	struct eng_route routes[2];
	struct bportspec ports[1];
	struct berr e = BERR_INIT;
	char *a, *b;
	json_t *j, *j2;

	eng_network_init(&n, "ds");
	baddr_parse_cidr6("fd00:9::/64", false, &n.subnet6, NULL);
	baddr_parse6("fd00:9::1", &n.gateway6, NULL);
	baddr_parse6("fd00:9::100", &n.range6_start, NULL);
	baddr_parse6("fd00:9::1ff", &n.range6_end, NULL);
	n.masquerade6 = true;
	j = record_network_to_json(&n);
	cr_assert_null(json_object_get(j, "subnet"), "an IPv6-only network has no IPv4 subnet");
	cr_assert_str_eq(json_string_value(json_object_get(j, "subnet6")), "fd00:9::/64");
	cr_assert_eq(record_network_from_json(j, &back, &e), 0, "%s", e.msg);
	cr_assert_eq(memcmp(&n, &back, sizeof(n)), 0);
	json_decref(j);

	memset(routes, 0, sizeof(routes));
	memset(ports, 0, sizeof(ports));
	routes[0].v6 = true;
	baddr_parse_cidr6("2001:db8:5::/48", false, &routes[0].dst6, NULL);
	baddr_parse6("fd00:9::fe", &routes[0].gw6, NULL);
	baddr_parse_cidr4("10.0.0.0/8", false, &routes[1].dst, NULL);
	routes[1].gw = 0x0a4200fe;
	ports[0] = (struct bportspec){.host_port = 8080,
				      .host_port_end = 8080,
				      .container_port = 80,
				      .container_port_end = 80,
				      .proto = BPROTO_TCP,
				      .host_v6 = true};
	baddr_parse6("2001:db8::1", &ports[0].host_ip6, NULL);
	memset(&ep, 0, sizeof(ep));
	snprintf(ep.network, sizeof(ep.network), "ds");
	snprintf(ep.id, sizeof(ep.id), "c1");
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "bv0123456789ab");
	ep.ip = 0x0a420002;
	ep.prefix = 16;
	baddr_parse6("fd00:9::2", &ep.ip6, NULL);
	ep.prefix6 = 64;
	baddr_parse6("fd00:9::1", &ep.gateway6, NULL);
	ep.mtu = 1500;
	ep.mac[0] = 0x0a;
	ep.routes = routes;
	ep.n_routes = 2;
	ep.ports = ports;
	ep.n_ports = 1;
	j = record_endpoint_to_json(&ep);
	cr_assert_str_eq(json_string_value(json_object_get(j, "ip6")), "fd00:9::2");
	cr_assert_eq(record_endpoint_from_json(j, &epb, &e), 0, "%s", e.msg);
	cr_assert(baddr_eq6(&epb.ip6, &ep.ip6) && epb.prefix6 == 64 && baddr_eq6(&epb.gateway6, &ep.gateway6));
	cr_assert(epb.routes[0].v6 && !epb.routes[1].v6);
	cr_assert(epb.ports[0].host_v6);
	j2 = record_endpoint_to_json(&epb);
	a = json_dumps(j, JSON_SORT_KEYS);
	b = json_dumps(j2, JSON_SORT_KEYS);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	json_decref(j);
	json_decref(j2);
	eng_endpoint_clear(&epb);
}

Test(netd_record, mac_parsing)
{
	uint8_t m[6];

	cr_assert_eq(record_mac_parse("0a:58:0A:42:00:ff", m, NULL), 0);
	cr_assert_eq(m[2], 0x0a);
	cr_assert_eq(m[5], 0xff);
	cr_assert_eq(record_mac_parse("0a:58:0a:42:00", m, NULL), -EINVAL);
	cr_assert_eq(record_mac_parse("0a:58:0a:42:00:0g", m, NULL), -EINVAL);
	cr_assert_eq(record_mac_parse("0a-58-0a-42-00-01", m, NULL), -EINVAL);
	cr_assert_eq(record_mac_parse("ff:ff:ff:ff:ff:ff", m, NULL), -EINVAL);
}

Test(netd_record, config_defaults_and_file)
{
	static const char text[] = "{\"//\": \"comment\", \"socket\": \"/tmp/x.sock\", \"default_network\": null,"
				   "\"networks\": [{\"//\": \"c\", \"name\": \"a\", \"subnet\": \"10.80.0.0/16\","
				   "\"internal\": true}]}";
	struct cfg c;
	struct berr e = BERR_INIT;

	cr_assert_eq(cfg_defaults(&c, &e), 0);
	cr_assert_str_eq(c.socket, "/run/berth/netd.sock");
	cr_assert_str_eq(c.state_dir, "/var/lib/berth");
	cr_assert_eq(c.n_networks, 1);
	cr_assert_str_eq(c.networks[0].name, "berth0");
	cr_assert_str_eq(c.networks[0].bridge, "berth0");
	cr_assert_eq(c.networks[0].subnet.addr, 0x0a420000);
	cr_assert_eq(c.networks[0].subnet.prefix, 16);
	cr_assert_eq(cfg_parse(&c, text, strlen(text), &e), 0, "%s", e.msg);
	cr_assert_str_eq(c.socket, "/tmp/x.sock");
	cr_assert_null(c.default_network);
	cr_assert_eq(c.n_networks, 1);
	cr_assert(c.networks[0].internal);
	cfg_free(&c);
	cr_assert_eq(cfg_defaults(&c, &e), 0);
	cr_assert_eq(cfg_parse(&c, "{\"sockett\": 1}", 14, &e), -EINVAL);
	cr_assert(strstr(e.msg, "sockett"), "%s", e.msg);
	cr_assert_eq(cfg_parse(&c, "{\"log_level\": \"loud\"}", 21, &e), -EINVAL);
	cr_assert(strstr(e.msg, "log_level"), "%s", e.msg);
	cfg_free(&c);
}

Test(netd_record, config_network_with_ipv6)
{
	static const char text[] = "{\"networks\": [{\"name\": \"d\", \"subnet\": \"10.81.0.0/16\","
				   "\"subnet6\": \"fd00:81::/64\", \"range6_start\": \"fd00:81::100\"},"
				   "{\"name\": \"s\", \"subnet6\": \"2001:db8:5::/64\", \"masquerade6\": true}]}";
	struct cfg c;
	struct berr e = BERR_INIT;

	cr_assert_eq(cfg_defaults(&c, &e), 0);
	cr_assert_eq(cfg_parse(&c, text, strlen(text), &e), 0, "%s", e.msg);
	cr_assert_eq(c.n_networks, 2);
	cr_assert(eng_network_has6(&c.networks[0]));
	cr_assert_eq(c.networks[0].subnet6.prefix, 64);
	cr_assert(c.networks[0].masquerade6, "ULA subnets masquerade by default");
	cr_assert(baddr_zero6(&c.networks[0].gateway6), "the engine picks the gateway");
	cr_assert_eq(c.networks[0].range6_start.s6_addr[14], 1);
	cr_assert(eng_network_has6(&c.networks[1]));
	cr_assert(c.networks[1].masquerade6);
	cfg_free(&c);
}

Test(netd_record, shipped_config_equals_the_built_in_defaults)
{
	struct cfg d, f;
	struct berr e = BERR_INIT;

	cr_assert_eq(cfg_defaults(&d, &e), 0);
	cr_assert_eq(cfg_defaults(&f, &e), 0);
	/* netd without a config file must behave as with the one the tree installs */
	cr_assert_eq(cfg_load(&f, "config/netd.json", true, &e), 0, "%s", e.msg);
	cr_assert_str_eq(f.socket, d.socket);
	cr_assert_str_eq(f.state_dir, d.state_dir);
	cr_assert_str_eq(f.run_dir, d.run_dir);
	cr_assert_str_eq(f.log_level, d.log_level);
	cr_assert_eq(f.log_file, NULL);
	cr_assert_eq(f.lock_timeout_ms, d.lock_timeout_ms);
	cr_assert_eq(f.max_clients, d.max_clients);
	cr_assert_eq(f.client_timeout_ms, d.client_timeout_ms);
	cr_assert_eq(f.max_line, d.max_line);
	cr_assert_str_eq(f.default_network, d.default_network);
	cr_assert_eq(f.n_networks, d.n_networks);
	cr_assert_eq(memcmp(&f.networks[0], &d.networks[0], sizeof(d.networks[0])), 0);
	cr_assert_eq(f.dns.enabled, d.dns.enabled);
	cr_assert_eq(f.dns.domain, NULL);
	cr_assert_eq(f.dns.ttl, d.dns.ttl);
	cr_assert_str_eq(f.dns.resolv_conf, d.dns.resolv_conf);
	cr_assert_eq(f.dns.upstream_timeout_ms, d.dns.upstream_timeout_ms);
	cr_assert_eq(f.dns.port, d.dns.port);
	cfg_free(&d);
	cfg_free(&f);
}
