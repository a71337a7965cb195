/* netd's request validation: every malformed or out-of-range request is refused with an error naming the field. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "netd/daemon/request.h"

static int parse(const char *line, struct req *q, struct berr *e)
{
	return req_parse(line, strlen(line), q, e);
}

static void bad(const char *line, int code, const char *text)
{
	struct berr e = BERR_INIT;
	struct req q;
	int r = parse(line, &q, &e);

	cr_assert_eq(r, code, "%s: got %d (%s)", line, r, e.msg);
	cr_assert(strstr(e.msg, text), "%s: message '%s' lacks '%s'", line, e.msg, text);
}

Test(netd_request, malformed_and_unknown)
{
	bad("{\"op\":", -EINVAL, "malformed request");
	bad("", -EINVAL, "malformed");
	bad("42", -EINVAL, "malformed");
	bad("[1]", -EINVAL, "expected a JSON object");
	bad("{}", -EINVAL, "op");
	bad("{\"op\":7}", -EINVAL, "op");
	bad("{\"op\":\"fly\"}", -EOPNOTSUPP, "unknown op 'fly'");
	bad("{\"op\":\"ping\",\"x\":1}", -EINVAL, "x");
	bad("{\"op\":\"ping\",\"op\":\"ping\"}", -EINVAL, "malformed");
}

Test(netd_request, attach_fields)
{
	bad("{\"op\":\"attach\"}", -EINVAL, "id: missing");
	bad("{\"op\":\"attach\",\"id\":\"-x\"}", -EINVAL, "id: invalid");
	bad("{\"op\":\"attach\",\"id\":\"a/b\"}", -EINVAL, "id: invalid");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"network\":\"a b\"}", -EINVAL, "network: invalid");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ifname\":\"waytoolonginterface\"}", -EINVAL, "ifname");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"netns\":\"relative/path\"}", -EINVAL, "netns");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ip\":\"10.1.2\"}", -EINVAL, "ip");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ip_external\":true}", -EINVAL, "ip_external");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"mac\":\"01:00:5e:00:00:01\"}", -EINVAL, "multicast");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"mac\":\"zz:00:5e:00:00:01\"}", -EINVAL, "mac");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ports\":\"8080:80\"}", -EINVAL, "ports");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ports\":[\"70000:80\"]}", -EINVAL, "ports[0]");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ports\":[\"8080:80/sctp\"]}", -EINVAL, "ports[0]");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ports\":[\"80:80\",{\"host_port\":1}]}", -EINVAL, "ports[1]");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ports\":[\"1-5000:80\"]}", -EINVAL, "more than");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"routes\":[{\"dst\":\"10.0.0.1/8\"}]}", -EINVAL, "routes[0].dst");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"routes\":[{\"dst\":\"10.0.0.0/8\",\"via\":\"1.2.3.4\"}]}", -EINVAL,
	    "via");
}

Test(netd_request, attach_parsed)
{
	struct berr e = BERR_INIT;
	struct req q;

	cr_assert_eq(
		parse("{\"op\":\"attach\",\"id\":\"web.1\",\"network\":\"n1\",\"ifname\":\"eth1\","
		      "\"netns\":\"/run/netns/x\",\"ip\":\"10.66.0.9\",\"mac\":\"0a:58:00:00:00:01\","
		      "\"ports\":[\"127.0.0.1:8080-8081:80-81/udp\",{\"host_port\":53,\"container_port\":5353}],"
		      "\"routes\":[{\"dst\":\"10.0.0.0/8\",\"gateway\":\"10.66.0.254\"}],\"no_default_route\":true}",
		      &q, &e),
		0, "%s", e.msg);
	cr_assert_eq(q.op, REQ_ATTACH);
	cr_assert_str_eq(q.id, "web.1");
	cr_assert_str_eq(q.network, "n1");
	cr_assert_str_eq(q.ifname, "eth1");
	cr_assert_str_eq(q.netns_path, "/run/netns/x");
	cr_assert_eq(q.ip, 0x0a420009);
	cr_assert(q.has_mac && q.mac[5] == 1);
	cr_assert_eq(q.n_ports, 2);
	cr_assert_eq(q.ports[0].host_ip, 0x7f000001);
	cr_assert_eq(q.ports[0].host_port_end, 8081);
	cr_assert_eq(q.ports[0].container_port_end, 81);
	cr_assert_eq(q.ports[0].proto, BPROTO_UDP);
	cr_assert_eq(q.ports[1].proto, BPROTO_TCP);
	cr_assert_eq(q.ports[1].container_port, 5353);
	cr_assert_eq(q.n_routes, 1);
	cr_assert_eq(q.routes[0].dst.prefix, 8);
	cr_assert(q.no_default_route);
	req_free(&q);
}

Test(netd_request, networks)
{
	struct berr e = BERR_INIT;
	struct req q;

	bad("{\"op\":\"network.create\",\"name\":\"n\"}", -EINVAL, "subnet");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.1/24\"}", -EINVAL, "host bits");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.1.1\"}", -EINVAL,
	    "gateway");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"mtu\":20}", -EINVAL, "mtu");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"bridge\":\"br.0\"}", -EINVAL,
	    "bridge");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"internal\":\"yes\"}", -EINVAL,
	    "internal");
	bad("{\"op\":\"network.rm\"}", -EINVAL, "name: missing");
	bad("{\"op\":\"gc\",\"network\":\"n\"}", -EINVAL, "keep");
	bad("{\"op\":\"gc\",\"network\":\"n\",\"keep\":[{\"ifname\":\"eth0\"}]}", -EINVAL, "keep[0]");
	bad("{\"op\":\"check\",\"id\":\"c\"}", -EINVAL, "network: missing");
	cr_assert_eq(parse("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"masquerade\":false,"
			   "\"internal\":true}",
			   &q, &e),
		     0, "%s", e.msg);
	cr_assert_eq(q.op, REQ_NETWORK_CREATE);
	cr_assert_str_eq(q.net.name, "n");
	cr_assert_eq(q.net.subnet.prefix, 24);
	cr_assert(!q.net.masquerade && q.net.internal && q.net.hairpin && q.net.gateway_on_bridge);
	req_free(&q);
}

Test(netd_request, ipv6_networks_and_attach)
{
	struct berr e = BERR_INIT;
	struct req q;
	char buf[INET6_ADDRSTRLEN];

	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet6\":\"fd00::1/64\"}", -EINVAL, "host bits");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet6\":\"10.0.0.0/24\"}", -EINVAL, "subnet6");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet6\":\"fd00::/64\",\"gateway6\":\"fd01::1\"}", -EINVAL,
	    "gateway6");
	bad("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\",\"gateway6\":\"fd00::1\"}", -EINVAL,
	    "no IPv6 subnet");
	bad("{\"op\":\"attach\",\"id\":\"c\",\"ip6\":\"10.0.0.2\"}", -EINVAL, "ip6");
	/* IPv6 alone; masquerade on by default for a unique local prefix */
	cr_assert_eq(parse("{\"op\":\"network.create\",\"name\":\"n\",\"subnet6\":\"fd00:1::/64\"}", &q, &e), 0, "%s",
		     e.msg);
	cr_assert(!eng_network_has4(&q.net) && eng_network_has6(&q.net));
	cr_assert(q.net.masquerade6);
	req_free(&q);
	/* a global prefix is routed unless asked */
	cr_assert_eq(parse("{\"op\":\"network.create\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\","
			   "\"subnet6\":\"2001:db8:1::/64\",\"gateway6\":\"2001:db8:1::fe\"}",
			   &q, &e),
		     0, "%s", e.msg);
	cr_assert(eng_network_has4(&q.net) && !q.net.masquerade6);
	cr_assert_str_eq(baddr_fmt6(&q.net.gateway6, buf), "2001:db8:1::fe");
	req_free(&q);
	cr_assert_eq(parse("{\"op\":\"network.create\",\"name\":\"n\",\"subnet6\":\"fd00:1::/64\","
			   "\"masquerade6\":false}",
			   &q, &e),
		     0, "%s", e.msg);
	cr_assert(!q.net.masquerade6);
	req_free(&q);
	cr_assert_eq(parse("{\"op\":\"attach\",\"id\":\"c\",\"ip6\":\"fd00:1::5\",\"routes\":[{\"dst\":"
			   "\"2001:db8::/32\",\"gateway\":\"fd00:1::fe\"},{\"dst\":\"10.9.0.0/16\"}],"
			   "\"ports\":[\"[::1]:8080:80\"]}",
			   &q, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(baddr_fmt6(&q.ip6, buf), "fd00:1::5");
	cr_assert_eq(q.n_routes, 2);
	cr_assert(q.routes[0].v6 && q.routes[0].dst6.prefix == 32 && !q.routes[1].v6);
	cr_assert(q.ports[0].host_v6);
	req_free(&q);
}

Test(netd_request, replies)
{
	json_t *r = req_error_reply(-EEXIST, "it exists");
	char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

	cr_assert_str_eq(s, "{\"error\":{\"code\":\"EEXIST\",\"errno\":17,\"message\":\"it exists\"},\"ok\":false}");
	free(s);
	json_decref(r);
	r = req_ok_reply(json_integer(1));
	s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(s, "{\"ok\":true,\"result\":1}");
	free(s);
	json_decref(r);
}
