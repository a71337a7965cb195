/* netctl's endpoint commands: attach, detach, ls, inspect and ports. */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/netctl/netctl.h"
#include "netns.h"

/* "8080:80/tcp,127.0.0.1:53:53/udp" from an endpoint's ports (truncated to len). */
static void ports_text(const json_t *ep, char *buf, size_t len)
{
	json_t *p;
	size_t i, off = 0;

	buf[0] = '\0';
	json_array_foreach (json_object_get(ep, "ports"), i, p) {
		struct bportspec ps = {0};
		char one[96];

		if (strchr(netctl_str(p, "host_ip"), ':'))
			ps.host_v6 = baddr_parse6(netctl_str(p, "host_ip"), &ps.host_ip6, NULL) == 0;
		else
			baddr_parse4(netctl_str(p, "host_ip"), &ps.host_ip, NULL);
		ps.host_port = (uint16_t)netctl_int(p, "host_port");
		ps.host_port_end = (uint16_t)netctl_int(p, "host_port_end");
		ps.container_port = (uint16_t)netctl_int(p, "container_port");
		ps.container_port_end = (uint16_t)netctl_int(p, "container_port_end");
		bproto_parse(netctl_str(p, "protocol"), &ps.proto);
		bportspec_fmt(&ps, one, sizeof(one));
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", i ? "," : "", one);
	}
}

/* "10.66.0.2/16", "fd00::2/64" or both joined by sep, from an endpoint object. */
static void addresses_text(const json_t *ep, const char *sep, char *buf, size_t len)
{
	char a4[64] = "", a6[80] = "";

	if (*netctl_str(ep, "ip"))
		snprintf(a4, sizeof(a4), "%s/%lld", netctl_str(ep, "ip"), (long long)netctl_int(ep, "prefix"));
	if (*netctl_str(ep, "ip6"))
		snprintf(a6, sizeof(a6), "%s/%lld", netctl_str(ep, "ip6"), (long long)netctl_int(ep, "prefix6"));
	snprintf(buf, len, "%s%s%s", a4, a4[0] && a6[0] ? sep : "", a6);
}

/* The -p specs as a JSON array (NULL: none), each checked here too, for an error that names the option. */
static int publish_array(const char *const *specs, int n, json_t **ret)
{
	_cleanup_json_ json_t *ports = NULL;
	struct berr e = BERR_INIT;

	*ret = NULL;
	if (n == 0)
		return 0;
	ports = json_array();
	if (!ports)
		return netctl_fail("out of memory");
	for (int i = 0; i < n; i++) {
		struct bportspec ps;

		if (bportspec_parse(specs[i], &ps, &e) < 0)
			return netctl_usage_error("-p %s: %s", specs[i], berr_message(&e));
		if (json_array_append_new(ports, json_string(specs[i])) < 0)
			return netctl_fail("out of memory");
	}
	*ret = TAKE_PTR(ports);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option options[] = {
		{"netns", required_argument, NULL, 'n'},   {"network", required_argument, NULL, 'N'},
		{"ifname", required_argument, NULL, 'i'},  {"ip", required_argument, NULL, 'a'},
		{"ip6", required_argument, NULL, '6'},	   {"mac", required_argument, NULL, 'm'},
		{"publish", required_argument, NULL, 'p'}, {"name", required_argument, NULL, 'H'},
		{"alias", required_argument, NULL, 'A'},   {NULL, 0, NULL, 0},
	};
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = 2};
	const char *netns = NULL, *network = NULL, *ifname = NULL, *ip = NULL, *ip6 = NULL, *mac = NULL, *name = NULL;
	const char *publish[64];
	_cleanup_json_ json_t *ports = NULL;
	_cleanup_json_ json_t *aliases = NULL;
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	_cleanup_close_ int nsfd = -1;
	struct berr e = BERR_INIT;
	int n_publish = 0, c, r;

	while ((c = netctl_getopt(&a, "p:", options)) > 0) {
		switch (c) {
		case 'n':
			netns = optarg;
			break;
		case 'N':
			network = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			/* --ip takes either family */
			if (strchr(optarg, ':'))
				ip6 = optarg;
			else
				ip = optarg;
			break;
		case '6':
			ip6 = optarg;
			break;
		case 'm':
			mac = optarg;
			break;
		case 'p':
			if (n_publish >= (int)ARRAY_SIZE(publish))
				return netctl_usage_error("too many --publish");
			publish[n_publish++] = optarg;
			break;
		case 'H':
			name = optarg;
			break;
		case 'A':
			/* repeatable: every --alias is one more name */
			if (!aliases && !(aliases = json_array()))
				return netctl_fail("out of memory");
			if (json_array_append_new(aliases, json_string(optarg)) < 0)
				return netctl_fail("out of memory");
			break;
		}
	}
	if (c < 0)
		return a.status;
	if (a.n_pos != 1)
		return netctl_usage_error("attach ID --netns PATH ...");
	if (!netns)
		return netctl_usage_error("attach: --netns is required");
	/* Open it here: the fd travels to netd, so netd needs no access to our path. */
	if (bns_open(netns, CLONE_NEWNET, &nsfd, &e) < 0)
		return netctl_fail("--netns: %s", berr_message(&e));
	if ((r = publish_array(publish, n_publish, &ports)))
		return r;
	req = netctl_request(NETD_OP_ATTACH, "{s:s, s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, s:O*, s:s*, s:O*}", "id",
			     a.pos[0], "netns", netns[0] == '/' ? netns : NULL, "network", network, "ifname", ifname,
			     "ip", ip, "ip6", ip6, "mac", mac, "ports", ports, "name", name, "aliases", aliases);
	if ((r = netctl_call(req, nsfd, &res)))
		return r;
	if (netctl_json) {
		netctl_print_json(res);
	} else {
		char text[512];

		char addrs[128], gws[96];

		ports_text(res, text, sizeof(text));
		addresses_text(res, " ", addrs, sizeof(addrs));
		snprintf(gws, sizeof(gws), "%s%s%s", netctl_str(res, "gateway"),
			 *netctl_str(res, "gateway") && *netctl_str(res, "gateway6") ? " " : "",
			 netctl_str(res, "gateway6"));
		printf("%s %s %s on %s (mac %s%s%s%s%s)\n", netctl_str(res, "id"), netctl_str(res, "ifname"), addrs,
		       netctl_str(res, "network"), netctl_str(res, "mac"), gws[0] ? ", gateway " : "", gws,
		       text[0] ? ", ports " : "", text);
	}
	return 0;
}

int netctl_endpoint_call(const char *op, int argc, char **argv, const char **ret_id, json_t **ret_result)
{
	static const struct option options[] = {
		{"network", required_argument, NULL, 'N'},
		{"ifname", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = 1};
	const char *network = NULL, *ifname = NULL;
	_cleanup_json_ json_t *req = NULL;
	int c;

	while ((c = netctl_getopt(&a, "", options)) > 0) {
		if (c == 'N')
			network = optarg;
		else if (c == 'i')
			ifname = optarg;
	}
	if (c < 0)
		return a.status;
	if (a.n_pos != 1)
		return netctl_usage_error("%s ID [--network NAME] [--ifname IF]", op);
	req = netctl_request(op, "{s:s, s:s*, s:s*}", "id", a.pos[0], "network", network, "ifname", ifname);
	*ret_id = a.pos[0];
	return netctl_call(req, -1, ret_result);
}

int cmd_detach(int argc, char **argv)
{
	_cleanup_json_ json_t *res = NULL;
	const char *id = NULL;
	json_int_t n;
	int r;

	if ((r = netctl_endpoint_call(NETD_OP_DETACH, argc, argv, &id, &res)))
		return r;
	if (netctl_json) {
		netctl_print_json(res);
		return 0;
	}
	n = netctl_int(res, "detached");
	printf("detached %lld endpoint%s of %s\n", (long long)n, n == 1 ? "" : "s", id);
	return 0;
}

static int endpoint_row(struct table *t, const json_t *ep)
{
	char addr[128], ports[512];

	addresses_text(ep, ",", addr, sizeof(addr));
	ports_text(ep, ports, sizeof(ports));
	const char *row[] = {netctl_str(ep, "id"),     netctl_str(ep, "network"),
			     netctl_str(ep, "ifname"), addr,
			     netctl_str(ep, "mac"),    ports};
	return table_add(t, row);
}

int cmd_ls(int argc, char **argv)
{
	static const char *const hdr[] = {"ID", "NETWORK", "IFNAME", "ADDRESS", "MAC", "PORTS", NULL};
	static const struct option options[] = {
		{"network", required_argument, NULL, 'N'},
		{NULL, 0, NULL, 0},
	};
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = 0};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	const char *network = NULL;
	int c, r;

	while ((c = netctl_getopt(&a, "", options)) > 0)
		if (c == 'N')
			network = optarg;
	if (c < 0)
		return a.status;
	req = netctl_request(NETD_OP_LS, "{s:s*}", "network", network);
	if ((r = netctl_call(req, -1, &res)))
		return r;
	return netctl_print_list(res, res, hdr, endpoint_row);
}

static void print_endpoint(const json_t *ep, bool first)
{
	char ports[1024];
	json_t *rt;
	size_t k;

	ports_text(ep, ports, sizeof(ports));
	printf("%sid:            %s\n", first ? "" : "\n", netctl_str(ep, "id"));
	printf("network:       %s\n", netctl_str(ep, "network"));
	printf("interface:     %s (host side %s)\n", netctl_str(ep, "ifname"), netctl_str(ep, "host_ifname"));
	if (*netctl_str(ep, "ip"))
		printf("address:       %s/%lld%s\n", netctl_str(ep, "ip"), (long long)netctl_int(ep, "prefix"),
		       netctl_bool(ep, "ip_external") ? " (external IPAM)" : "");
	if (*netctl_str(ep, "ip6"))
		printf("address6:      %s/%lld%s\n", netctl_str(ep, "ip6"), (long long)netctl_int(ep, "prefix6"),
		       netctl_bool(ep, "ip_external") ? " (external IPAM)" : "");
	if (*netctl_str(ep, "ip"))
		printf("gateway:       %s\n", *netctl_str(ep, "gateway") ? netctl_str(ep, "gateway") : "-");
	if (*netctl_str(ep, "ip6"))
		printf("gateway6:      %s\n", *netctl_str(ep, "gateway6") ? netctl_str(ep, "gateway6") : "-");
	printf("mac:           %s\n", netctl_str(ep, "mac"));
	printf("mtu:           %lld\n", (long long)netctl_int(ep, "mtu"));
	printf("netns:         %s\n", *netctl_str(ep, "netns") ? netctl_str(ep, "netns") : "(passed as fd)");
	printf("ports:         %s\n", ports[0] ? ports : "-");
	json_array_foreach (json_object_get(ep, "routes"), k, rt)
		printf("route:         %s via %s\n", netctl_str(rt, "dst"), netctl_str(rt, "gateway"));
	printf("state:         %s\n", netctl_str(ep, "state"));
}

int cmd_inspect(int argc, char **argv)
{
	_cleanup_json_ json_t *res = NULL;
	json_t *ep;
	size_t i;
	int r;

	if ((r = netctl_simple_call(NETD_OP_INSPECT, "id", "inspect ID", argc, argv, &res)))
		return r;
	if (netctl_json) {
		netctl_print_json(res);
		return 0;
	}
	json_array_foreach (res, i, ep)
		print_endpoint(ep, i == 0);
	return 0;
}

/* "IP:PORT" or "IP:PORT-END", an IPv6 address in brackets */
static void port_range(char *buf, size_t len, const char *ip, json_int_t port, json_int_t end)
{
	bool v6 = strchr(ip, ':') != NULL;

	if (port == end)
		snprintf(buf, len, "%s%s%s:%lld", v6 ? "[" : "", ip, v6 ? "]" : "", (long long)port);
	else
		snprintf(buf, len, "%s%s%s:%lld-%lld", v6 ? "[" : "", ip, v6 ? "]" : "", (long long)port,
			 (long long)end);
}

static int port_row_of(struct table *t, const json_t *p, const char *host_ip, const char *container_ip)
{
	char host[96], ctr[96];

	port_range(host, sizeof(host), host_ip, netctl_int(p, "host_port"), netctl_int(p, "host_port_end"));
	port_range(ctr, sizeof(ctr), container_ip, netctl_int(p, "container_port"),
		   netctl_int(p, "container_port_end"));
	const char *row[] = {host, netctl_str(p, "protocol"), ctr, netctl_str(p, "id"), netctl_str(p, "network")};
	return table_add(t, row);
}

/* A row for each family the port is published in: on every address it is in both (the endpoint's families). */
static int port_row(struct table *t, const json_t *p)
{
	const char *host = netctl_str(p, "host_ip");
	bool v6 = strchr(host, ':') != NULL, any = strcmp(host, "0.0.0.0") == 0;
	int r = 0;

	if (!v6 && *netctl_str(p, "container_ip"))
		r = port_row_of(t, p, host, netctl_str(p, "container_ip"));
	if (r == 0 && (v6 || any) && *netctl_str(p, "container_ip6"))
		r = port_row_of(t, p, any ? "::" : host, netctl_str(p, "container_ip6"));
	return r;
}

int cmd_ports(int argc, char **argv)
{
	static const char *const hdr[] = {"HOST", "PROTO", "CONTAINER", "ID", "NETWORK", NULL};
	_cleanup_json_ json_t *res = NULL;
	int r;

	if ((r = netctl_simple_call(NETD_OP_PORTS, NULL, NULL, argc, argv, &res)))
		return r;
	return netctl_print_list(res, res, hdr, port_row);
}
