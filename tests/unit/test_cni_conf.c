#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cni/cni_conf.h"

static struct cni_env env_add(void)
{
	struct cni_env env = {.cmd = CNI_CMD_ADD, .command = "ADD", .container_id = "c1", .ifname = "eth0"};

	return env;
}

static int parse_with(const struct cni_env *env, const char *json, struct cni_conf *c, struct cni_err *ce)
{
	*ce = (struct cni_err)CNI_ERR_INIT;
	return cni_conf_parse(json, strlen(json), env, c, ce);
}

static int parse(const char *json, struct cni_conf *c, struct cni_err *ce)
{
	struct cni_env env = env_add();

	return parse_with(&env, json, c, ce);
}

/* Expect failure with code and a message containing needle. */
static void bad(const char *json, unsigned code, const char *needle)
{
	struct cni_err ce;
	struct cni_conf c;

	cr_assert_lt(parse(json, &c, &ce), 0, "accepted: %s", json);
	cr_assert_eq(ce.code, code, "code %u (want %u) for %s: %s", ce.code, code, json, ce.e.msg);
	cr_assert(strstr(ce.e.msg, needle), "message '%s' lacks '%s'", ce.e.msg, needle);
}

#define BASE "\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"type\":\"berth-cni\""

Test(cni_conf, minimal_defaults)
{
	struct cni_err ce;
	struct cni_conf c;

	cr_assert_eq(parse("{" BASE ",\"ipam\":{\"subnet\":\"10.88.0.0/16\"}}", &c, &ce), 0, "%s", ce.e.msg);
	cr_assert_eq(c.version, CNI_V110);
	cr_assert_str_eq(c.name, "net1");
	cr_assert_str_eq(c.bridge, "cni0");
	cr_assert(!c.is_gateway && !c.is_default_gw && !c.ip_masq && !c.hairpin && !c.promisc);
	cr_assert_eq(c.mtu, 0);
	cr_assert_str_eq(c.data_dir, "/var/lib/berth");
	cr_assert(!c.ipam.delegated && c.ipam.has_range);
	cr_assert_eq(c.ipam.subnet.addr, 0x0a580000);
	cr_assert_eq(c.ipam.subnet.prefix, 16);
	cr_assert_eq(c.ipam.gateway, 0x0a580001);
	cr_assert_eq(c.ipam.range_start, 0x0a580001);
	cr_assert_eq(c.ipam.range_end, 0x0a58fffe);
	cr_assert_null(c.prev_result);
	cr_assert_eq(c.n_ports, 0);
	cni_conf_free(&c);
}

Test(cni_conf, every_key)
{
	struct cni_err ce;
	struct cni_conf c;
	const char *json = "{" BASE ",\"bridge\":\"br-x\",\"isGateway\":false,\"isDefaultGateway\":true,"
			   "\"ipMasq\":true,\"mtu\":1400,\"hairpinMode\":true,\"promiscMode\":true,"
			   "\"dataDir\":\"/tmp/st\",\"capabilities\":{\"portMappings\":true},"
			   "\"dns\":{\"nameservers\":[\"10.1.0.1\"],\"search\":[\"svc\"]},"
			   "\"ipam\":{\"type\":\"berth-cni\",\"ranges\":[[{\"subnet\":\"10.1.0.0/24\","
			   "\"rangeStart\":\"10.1.0.10\",\"rangeEnd\":\"10.1.0.20\",\"gateway\":\"10.1.0.254\"}]],"
			   "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"172.16.0.0/12\",\"gw\":\"10.1.0.254\"}]},"
			   "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,"
			   "\"protocol\":\"tcp\"},{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"UDP\","
			   "\"hostIP\":\"127.0.0.1\"}],\"ips\":[\"10.1.0.12/24\"],\"mac\":\"02:00:00:00:00:42\","
			   "\"bandwidth\":{}},"
			   "\"args\":{\"cni\":{\"ips\":[\"10.1.0.12\"]},\"other\":1}}";

	cr_assert_eq(parse(json, &c, &ce), 0, "%s", ce.e.msg);
	cr_assert_str_eq(c.bridge, "br-x");
	cr_assert(c.is_gateway, "isDefaultGateway implies isGateway");
	cr_assert(c.is_default_gw && c.ip_masq && c.hairpin && c.promisc);
	cr_assert_eq(c.mtu, 1400);
	cr_assert_str_eq(c.data_dir, "/tmp/st");
	cr_assert_eq(c.ipam.gateway, 0x0a0100fe);
	cr_assert_eq(c.ipam.range_start, 0x0a01000a);
	cr_assert_eq(c.ipam.range_end, 0x0a010014);
	cr_assert_eq(c.ipam.n_routes, 2);
	cr_assert_eq(c.ipam.routes[0].dst.prefix, 0);
	cr_assert_eq(c.ipam.routes[1].gw, 0x0a0100fe);
	cr_assert_eq(c.n_ports, 2);
	cr_assert_eq(c.ports[0].host_port, 8080);
	cr_assert_eq(c.ports[0].proto, BPROTO_TCP);
	cr_assert_eq(c.ports[1].proto, BPROTO_UDP);
	cr_assert_eq(c.ports[1].host_ip, 0x7f000001);
	cr_assert(c.has_ip);
	cr_assert_eq(c.ip, 0x0a01000c);
	cr_assert(c.has_mac);
	cr_assert_eq(c.mac[5], 0x42);
	cr_assert_eq(json_array_size(json_object_get(c.dns, "nameservers")), 1);
	cni_conf_free(&c);
}

Test(cni_conf, state_dir_precedence)
{
	struct cni_env env = env_add();
	struct cni_err ce;
	struct cni_conf c;

	env.state_dir = "/from/env";
	cr_assert_eq(parse_with(&env, "{" BASE "}", &c, &ce), 0, "%s", ce.e.msg);
	cr_assert_str_eq(c.data_dir, "/from/env");
	cni_conf_free(&c);
	cr_assert_eq(parse_with(&env, "{" BASE ",\"dataDir\":\"/from/conf\"}", &c, &ce), 0, "%s", ce.e.msg);
	cr_assert_str_eq(c.data_dir, "/from/conf");
	cni_conf_free(&c);
}

Test(cni_conf, legacy_subnet_keys)
{
	struct cni_err ce;
	struct cni_conf c;

	cr_assert_eq(parse("{" BASE ",\"ipam\":{\"type\":\"berth-cni\",\"subnet\":\"10.2.3.77/24\","
			   "\"rangeStart\":\"10.2.3.100\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}",
			   &c, &ce),
		     0, "%s", ce.e.msg);
	cr_assert_eq(c.ipam.subnet.addr, 0x0a020300, "host bits are masked off");
	cr_assert_eq(c.ipam.range_start, 0x0a020364);
	cr_assert_eq(c.ipam.range_end, 0x0a0203fe);
	cni_conf_free(&c);
}

Test(cni_conf, delegated_ipam_is_not_read)
{
	struct cni_err ce;
	struct cni_conf c;

	cr_assert_eq(parse("{" BASE ",\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"fd00::/64\"}]],"
			   "\"dataDir\":\"/x\",\"whatever\":1}}",
			   &c, &ce),
		     0, "%s", ce.e.msg);
	cr_assert(c.ipam.delegated);
	cr_assert_str_eq(c.ipam.type, "host-local");
	cni_conf_free(&c);
	bad("{" BASE ",\"ipam\":{\"type\":\"../evil\"}}", CNI_ERR_INVALID_CONFIG, "ipam.type");
}

Test(cni_conf, decoding_failures_are_code_6)
{
	bad("{\"cniVersion\":", CNI_ERR_DECODE, "invalid JSON");
	bad("[1,2]", CNI_ERR_DECODE, "JSON object");
	bad("{" BASE ",\"name\":\"dup\"}", CNI_ERR_DECODE, "duplicate");
	{
		struct cni_err ce;
		struct cni_conf c;

		cr_assert_lt(parse("", &c, &ce), 0);
		cr_assert_eq(ce.code, CNI_ERR_DECODE);
	}
}

Test(cni_conf, versions_are_code_1_or_7)
{
	bad("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"berth-cni\"}", CNI_ERR_INCOMPATIBLE_VERSION, "0.2.0");
	bad("{\"cniVersion\":\"2.0.0\",\"name\":\"n\",\"type\":\"berth-cni\"}", CNI_ERR_INCOMPATIBLE_VERSION, "2.0.0");
	bad("{\"name\":\"n\",\"type\":\"berth-cni\"}", CNI_ERR_INVALID_CONFIG, "cniVersion");
	bad("{\"cniVersion\":1,\"name\":\"n\",\"type\":\"berth-cni\"}", CNI_ERR_INVALID_CONFIG, "cniVersion");
	bad("{\"cniVersion\":\"one\",\"name\":\"n\",\"type\":\"berth-cni\"}", CNI_ERR_INVALID_CONFIG, "cniVersion");
}

Test(cni_conf, invalid_values_are_code_7)
{
	bad("{\"cniVersion\":\"1.0.0\",\"type\":\"berth-cni\"}", CNI_ERR_INVALID_CONFIG, "'name'");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", CNI_ERR_INVALID_CONFIG, "'type'");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"-n\",\"type\":\"x\"}", CNI_ERR_INVALID_CONFIG, "'name'");
	bad("{" BASE ",\"bridge\":\"this-is-too-long0\"}", CNI_ERR_INVALID_CONFIG, "'bridge'");
	bad("{" BASE ",\"mtu\":20}", CNI_ERR_INVALID_CONFIG, "'mtu'");
	bad("{" BASE ",\"mtu\":\"1500\"}", CNI_ERR_INVALID_CONFIG, "'mtu'");
	bad("{" BASE ",\"ipMasq\":\"yes\"}", CNI_ERR_INVALID_CONFIG, "'ipMasq'");
	bad("{" BASE ",\"dataDir\":\"rel\"}", CNI_ERR_INVALID_CONFIG, "'dataDir'");
	bad("{" BASE ",\"ipam\":[]}", CNI_ERR_INVALID_CONFIG, "'ipam'");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/33\"}}", CNI_ERR_INVALID_CONFIG, "ipam.subnet");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/31\"}}", CNI_ERR_INVALID_CONFIG, "/30");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.1.1\"}}", CNI_ERR_INVALID_CONFIG,
	    "ipam.gateway");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.50\",\"rangeEnd\":\"10.0.0.40\"}}",
	    CNI_ERR_INVALID_CONFIG, "rangeStart");
	bad("{" BASE ",\"ipam\":{\"rangeStart\":\"10.0.0.50\"}}", CNI_ERR_INVALID_CONFIG, "without 'subnet'");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"ranges\":[]}}", CNI_ERR_INVALID_CONFIG, "both");
	bad("{" BASE ",\"ipam\":{\"ranges\":[[]]}}", CNI_ERR_INVALID_CONFIG, "ipam.ranges[0]");
	bad("{" BASE ",\"ipam\":{\"ranges\":[[{\"rangeStart\":\"10.0.0.1\"}]]}}", CNI_ERR_INVALID_CONFIG,
	    "ipam.ranges[0][0].subnet");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"routes\":[{\"gw\":\"10.0.0.1\"}]}}",
	    CNI_ERR_INVALID_CONFIG, "ipam.routes[0].dst");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.9.0.1\"}]}}",
	    CNI_ERR_INVALID_CONFIG, "ipam.routes[0].gw");
	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":0,\"containerPort\":80}]}}",
	    CNI_ERR_INVALID_CONFIG, "hostPort");
	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80}]}}", CNI_ERR_INVALID_CONFIG,
	    "containerPort");
	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80},"
	    "{\"hostPort\":80,\"containerPort\":81,\"hostIP\":\"127.0.0.1\"}]}}",
	    CNI_ERR_INVALID_CONFIG, "twice");
	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
	    "\"hostIP\":\"localhost\"}]}}",
	    CNI_ERR_INVALID_CONFIG, "hostIP");
	bad("{" BASE ",\"runtimeConfig\":{\"mac\":\"nope\"}}", CNI_ERR_INVALID_CONFIG, "runtimeConfig.mac");
	bad("{" BASE ",\"runtimeConfig\":{\"ips\":[\"10.1.0.5\"]},\"args\":{\"cni\":{\"ips\":[\"10.1.0.6\"]}}}",
	    CNI_ERR_INVALID_CONFIG, "different address");
	bad("{" BASE ",\"prevResult\":{\"ips\":[{\"address\":\"10.0.0.5\"}]}}", CNI_ERR_INVALID_CONFIG,
	    "prevResult.ips[0].address");
	bad("{" BASE ",\"prevResult\":{\"interfaces\":[{\"name\":\"a\"}],\"ips\":[{\"address\":\"10.0.0.5/24\","
	    "\"interface\":1}]}}",
	    CNI_ERR_INVALID_CONFIG, "prevResult.ips[0].interface");
	bad("{" BASE ",\"cni.dev/valid-attachments\":[{\"ifname\":\"eth0\"}]}", CNI_ERR_INVALID_CONFIG, "containerID");
	bad("{" BASE ",\"cni.dev/valid-attachments\":[{\"containerID\":\"a\"}]}", CNI_ERR_INVALID_CONFIG, "ifname");
	bad("{" BASE ",\"dns\":{\"nameservers\":\"10.0.0.1\"}}", CNI_ERR_INVALID_CONFIG, "dns.nameservers");
	bad("{" BASE ",\"plugins\":[]}", CNI_ERR_INVALID_CONFIG, "one plugin");
}

Test(cni_conf, requested_ip_outside_range)
{
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.100\"},"
	    "\"runtimeConfig\":{\"ips\":[\"10.0.0.5/24\"]}}",
	    CNI_ERR_ADDRESS, "outside");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\"},\"args\":{\"cni\":{\"ips\":[\"10.0.0.1\"]}}}",
	    CNI_ERR_ADDRESS, "gateway");
}

Test(cni_conf, unsupported_fields_are_code_2)
{
	bad("{" BASE ",\"vlan\":100}", CNI_ERR_UNSUPPORTED_FIELD, "'vlan' = 100");
	bad("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"fd00::/64\"}],[{\"subnet\":\"fd01::/64\"}]]}}",
	    CNI_ERR_UNSUPPORTED_FIELD, "one IPv6 range");
	bad("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},{\"subnet\":\"10.0.1.0/24\"}]]}}",
	    CNI_ERR_UNSUPPORTED_FIELD, "one IPv4 range");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\",\"dataDir\":\"/x\"}}", CNI_ERR_UNSUPPORTED_FIELD,
	    "ipam.dataDir");
	bad("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"exclude\":1}]]}}",
	    CNI_ERR_UNSUPPORTED_FIELD, "exclude");

	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
	    "\"protocol\":\"sctp\"}]}}",
	    CNI_ERR_UNSUPPORTED_FIELD, "sctp");

	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,\"range\":2}]}}",
	    CNI_ERR_UNSUPPORTED_FIELD, "range");
}

Test(cni_conf, ipv6_ranges_alone_or_beside_ipv4)
{
	struct cni_err ce;
	struct cni_conf c;
	char buf[INET6_ADDRSTRLEN];

	/* dual stack: one range set per family, as host-local reads them */
	cr_assert_eq(
		parse("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],"
		      "[{\"subnet\":\"fd00:5::/64\",\"rangeStart\":\"fd00:5::100\",\"rangeEnd\":\"fd00:5::1ff\"}]],"
		      "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"},"
		      "{\"dst\":\"2001:db8::/32\",\"gw\":\"fd00:5::fe\"}]},"
		      "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
		      "\"hostIP\":\"::1\"},{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"10.9.9.9\"}],"
		      "\"ips\":[\"10.0.0.7/24\",\"fd00:5::123/64\"]}}",
		      &c, &ce),
		0, "%s", ce.e.msg);
	cr_assert(c.ipam.has_range && c.ipam.has_range6);
	cr_assert_str_eq(baddr_fmt6(&c.ipam.gateway6, buf), "fd00:5::1");
	cr_assert_str_eq(baddr_fmt6(&c.ipam.range6_start, buf), "fd00:5::100");
	cr_assert_eq(c.ipam.n_routes, 3);
	cr_assert(!c.ipam.routes[0].v6 && c.ipam.routes[1].v6 && c.ipam.routes[1].dst6.prefix == 0);
	cr_assert_str_eq(baddr_fmt6(&c.ipam.routes[2].gw6, buf), "fd00:5::fe");
	cr_assert(c.ports[0].host_v6 && !c.ports[1].host_v6);
	cr_assert(c.has_ip && c.has_ip6);
	cr_assert_str_eq(baddr_fmt6(&c.ip6, buf), "fd00:5::123");
	cni_conf_free(&c);
	/* IPv6 alone, the legacy subnet key: host-local's defaults */
	cr_assert_eq(parse("{" BASE ",\"ipam\":{\"subnet\":\"fd00:6::77/64\"}}", &c, &ce), 0, "%s", ce.e.msg);
	cr_assert(!c.ipam.has_range && c.ipam.has_range6);
	cr_assert_str_eq(baddr_fmt6(&c.ipam.subnet6.addr, buf), "fd00:6::", "host bits are masked off");
	cr_assert_str_eq(baddr_fmt6(&c.ipam.range6_end, buf), "fd00:6::ffff:ffff:ffff:ffff");
	cni_conf_free(&c);
	bad("{" BASE ",\"ipam\":{\"subnet\":\"fd00::/8\"}}", CNI_ERR_INVALID_CONFIG, "/16 and /124");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"fd00::/64\",\"gateway\":\"fd01::1\"}}", CNI_ERR_INVALID_CONFIG,
	    "gateway");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"fd00::/64\",\"gateway\":\"10.0.0.1\"}}", CNI_ERR_INVALID_CONFIG,
	    "not an IPv6 address");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"fd00::/64\",\"routes\":[{\"dst\":\"::/0\",\"gw\":\"fd01::1\"}]}}",
	    CNI_ERR_INVALID_CONFIG, "not inside the subnet");
	bad("{" BASE ",\"ipam\":{\"subnet\":\"fd00::/64\",\"rangeStart\":\"fd00::100\"},"
	    "\"runtimeConfig\":{\"ips\":[\"fd00::5/64\"]}}",
	    CNI_ERR_ADDRESS, "outside");
	bad("{" BASE ",\"runtimeConfig\":{\"ips\":[\"fd00::5\",\"fd00::6\"]}}", CNI_ERR_INVALID_CONFIG,
	    "different IPv6 address");
	bad("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80},"
	    "{\"hostPort\":80,\"containerPort\":81,\"hostIP\":\"::\"}]}}",
	    CNI_ERR_INVALID_CONFIG, "twice");
}

Test(cni_conf, prev_result_and_gc_lists)
{
	struct cni_err ce;
	struct cni_conf c;

	cr_assert_eq(parse("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"berth-cni\","
			   "\"prevResult\":{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"lo\","
			   "\"sandbox\":\"/run/netns/x\"}],\"ips\":[{\"version\":\"4\",\"address\":\"127.0.0.1/8\","
			   "\"interface\":0}],\"dns\":{}},"
			   "\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"}],"
			   "\"cni.dev/attachments\":[{\"containerID\":\"b\",\"ifname\":\"net1\"}]}",
			   &c, &ce),
		     0, "%s", ce.e.msg);
	cr_assert_not_null(c.prev_result);
	cr_assert_eq(json_array_size(json_object_get(c.prev_result, "ips")), 1);
	cr_assert(c.has_valid);
	cr_assert_eq(c.n_valid, 2);
	cr_assert_str_eq(c.valid[0].container_id, "a");
	cr_assert_str_eq(c.valid[0].ifname, "eth0");
	cr_assert_str_eq(c.valid[1].ifname, "net1");
	cni_conf_free(&c);
}

Test(cni_conf, cni_args_fold_in_with_lowest_precedence)
{
	struct cni_env env = env_add();
	struct cni_err ce;
	struct cni_conf c;

	env.args.has_mac = true;
	env.args.mac[0] = 0x02;
	env.args.mac[5] = 0x01;
	env.args.has_ip = true;
	env.args.ip = 0x0a000005;
	cr_assert_eq(parse_with(&env,
				"{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\"},"
				"\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:09\"}}",
				&c, &ce),
		     0, "%s", ce.e.msg);
	cr_assert(c.has_ip);
	cr_assert_eq(c.ip, 0x0a000005);
	cr_assert_eq(c.mac[5], 0x09, "runtimeConfig.mac wins over CNI_ARGS MAC");
	cni_conf_free(&c);
	cr_assert_lt(parse_with(&env,
				"{" BASE ",\"ipam\":{\"subnet\":\"10.0.0.0/24\"},"
				"\"runtimeConfig\":{\"ips\":[\"10.0.0.6\"]}}",
				&c, &ce),
		     0, "CNI_ARGS IP and runtimeConfig.ips disagree");
}
