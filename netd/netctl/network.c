/* netctl network: create, rm, ls and inspect netd's networks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/client/client.h"
#include "netd/netctl/netctl.h"

/* What the options say. */
struct network_opts {
	const char *subnet, *gateway, *range;	 /* IPv4 */
	const char *subnet6, *gateway6, *range6; /* IPv6 */
	const char *bridge, *mtu;
	const char *host_prefix, *host_prefix6, *mode; /* --fabric */
	bool no_masquerade, internal, fabric;
	int masquerade6; /* -1: netd's default (on for ULA subnets), 0 off, 1 on */
	bool any;	 /* some option was given */
	const char *bad; /* an option given twice for one family */
};

/* --subnet, --gateway, --range: each once per family, the family by the value. */
static void family_opt(struct network_opts *o, const char *v, const char **v4, const char **v6)
{
	const char **slot = strchr(v, ':') ? v6 : v4;

	if (*slot)
		o->bad = v;
	*slot = v;
}

/* "START-END" into two strings in buf; NULL when there is no '-'. */
static const char *split_range(const char *range, char *buf, size_t len)
{
	char *end;

	snprintf(buf, len, "%s", range);
	end = strchr(buf, '-');
	if (!end)
		return NULL;
	*end++ = '\0';
	return end;
}

/* --host-prefix[6] N or /N: *ret a JSON integer, NULL when not given; nonzero: a usage error. */
static int prefix_opt(const char *opt, const char *v, unsigned max, json_t **ret)
{
	uint64_t n;

	if (!v)
		return 0;
	if (bparse_u64(v[0] == '/' ? v + 1 : v, 1, max, &n) < 0)
		return netctl_usage_error("--%s: '%s' is not a prefix length in 1..%u", opt, v, max);
	*ret = json_integer((json_int_t)n);
	return *ret ? 0 : netctl_fail("out of memory");
}

/* network create --fabric: stored in etcd by netd's fabric agent, created on every host of the fabric. */
static int fabric_create(const struct network_opts *o, const char *name)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	_cleanup_json_ json_t *hp = NULL, *hp6 = NULL;
	int r;

	if (o->gateway || o->bridge || o->mtu || o->range || o->no_masquerade || o->internal || o->gateway6 ||
	    o->range6 || o->masquerade6 >= 0)
		return netctl_usage_error("network create --fabric takes --subnet (IPv4 and/or IPv6), --host-prefix, "
					  "--host-prefix6 and --mode only");
	if ((r = prefix_opt("host-prefix", o->host_prefix, 30, &hp)) ||
	    (r = prefix_opt("host-prefix6", o->host_prefix6, 120, &hp6)))
		return r;
	req = netctl_request(NETD_OP_FABRIC_CREATE, "{s:s, s:s*, s:O*, s:s*, s:O*, s:s*}", "name", name, "subnet",
			     o->subnet, "host_prefix", hp, "subnet6", o->subnet6, "host_prefix6", hp6, "mode", o->mode);
	if ((r = netctl_call(req, -1, &res)) || (r = netctl_fabric_wait(res)))
		return r;
	json_decref(req);
	json_decref(res);
	res = NULL;
	req = netctl_request(NETD_OP_NETWORK_INSPECT, "{s:s}", "name", name);
	if ((r = netctl_call(req, -1, &res)))
		return r;
	if (netctl_json)
		netctl_print_json(res);
	else
		printf("%s\n", name);
	return 0;
}

static int network_create(const struct network_opts *o, char **pos, int n_pos)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	_cleanup_json_ json_t *mtu = NULL;
	char range[64], range6[128];
	const char *range_end = NULL, *range6_end = NULL;
	int r;

	if (n_pos != 1)
		return netctl_usage_error("network create NAME --subnet CIDR [--subnet CIDR6] ...");
	if (o->bad)
		return netctl_usage_error("network create: '%s': one value per address family", o->bad);
	if (!o->subnet && !o->subnet6)
		return netctl_usage_error("network create: --subnet is required (IPv4, IPv6 or one of each)");
	if (o->fabric)
		return fabric_create(o, pos[0]);
	if (o->host_prefix || o->host_prefix6 || o->mode)
		return netctl_usage_error("network create: --host-prefix and --mode go with --fabric");
	if (o->mtu) {
		uint64_t n;

		if (bparse_u64(o->mtu, 68, 65535, &n) < 0)
			return netctl_usage_error("--mtu: '%s' is not a number in 68..65535", o->mtu);
		mtu = json_integer((json_int_t)n);
		if (!mtu)
			return netctl_fail("out of memory");
	}
	if (o->range && !(range_end = split_range(o->range, range, sizeof(range))))
		return netctl_usage_error("--range: expected START-END");
	if (o->range6 && !(range6_end = split_range(o->range6, range6, sizeof(range6))))
		return netctl_usage_error("--range: expected START-END");
	req = netctl_request(NETD_OP_NETWORK_CREATE,
			     "{s:s, s:s*, s:s*, s:s*, s:O*, s:s*, s:s*, s:o*, s:o*, s:s*, s:s*, s:s*, s:s*, s:o*}",
			     "name", pos[0], "subnet", o->subnet, "gateway", o->gateway, "bridge", o->bridge, "mtu",
			     mtu, "range_start", range_end ? range : NULL, "range_end", range_end, "masquerade",
			     o->no_masquerade ? json_false() : NULL, "internal", o->internal ? json_true() : NULL,
			     "subnet6", o->subnet6, "gateway6", o->gateway6, "range6_start", range6_end ? range6 : NULL,
			     "range6_end", range6_end, "masquerade6",
			     o->masquerade6 < 0 ? NULL : json_boolean(o->masquerade6));
	if ((r = netctl_call(req, -1, &res)))
		return r;
	if (netctl_json)
		netctl_print_json(res);
	else
		printf("%s\n", netctl_str(res, "name"));
	return 0;
}

/* rm and inspect: NAME in; out netd's answer, or with print_name only the name unless --json. */
static int network_named(const char *sub, const char *op, bool print_name, char **pos, int n_pos)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	int r;

	if (n_pos != 1)
		return netctl_usage_error("network %s NAME", sub);
	req = netctl_request(op, "{s:s}", "name", pos[0]);
	if ((r = netctl_call(req, -1, &res)))
		return r;
	if (netctl_json || !print_name)
		netctl_print_json(res);
	else
		printf("%s\n", pos[0]);
	return 0;
}

static int network_rm(const struct network_opts *o, char **pos, int n_pos)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	int r;

	/* a fabric network goes from every host: the fabric agent takes it out of etcd */
	if (n_pos == 1) {
		req = netctl_request(NETD_OP_NETWORK_INSPECT, "{s:s}", "name", pos[0]);
		/* quietly: a network that is not there is network rm's to report */
		if (req && netd_client_request(netd_client_socket_path(netctl_socket_path), req, -1, &res, NULL) == 0 &&
		    json_object_get(res, "fabric")) {
			json_decref(req);
			json_decref(res);
			res = NULL;
			req = netctl_request(NETD_OP_FABRIC_RM, "{s:s}", "name", pos[0]);
			if ((r = netctl_call(req, -1, &res)) || (r = netctl_fabric_wait(res)))
				return r;
			printf("%s\n", pos[0]);
			return 0;
		}
	}
	return network_named("rm", NETD_OP_NETWORK_RM, true, pos, n_pos);
}

static int network_inspect(const struct network_opts *o, char **pos, int n_pos)
{
	return network_named("inspect", NETD_OP_NETWORK_INSPECT, false, pos, n_pos);
}

/* "A", "B" or "A,B": a network's IPv4 and IPv6 values side by side. */
static const char *both(const json_t *n, const char *k4, const char *k6, char *buf, size_t len)
{
	const char *a = netctl_str(n, k4), *b = netctl_str(n, k6);

	snprintf(buf, len, "%s%s%s", a, *a && *b ? "," : "", b);
	return buf;
}

static int network_row(struct table *t, const json_t *n)
{
	char mtu[16], eps[16], flags[64], subnet[96], gateway[96];
	bool v4 = *netctl_str(n, "subnet"), v6 = *netctl_str(n, "subnet6");

	snprintf(mtu, sizeof(mtu), "%lld", (long long)netctl_int(n, "mtu"));
	snprintf(eps, sizeof(eps), "%lld", (long long)netctl_int(n, "endpoints"));
	snprintf(flags, sizeof(flags), "%s%s%s%s", netctl_bool(n, "internal") ? "internal" : "",
		 netctl_bool(n, "internal") || !v4 ? ""
		 : netctl_bool(n, "masquerade")	   ? "masquerade"
						   : "no-masquerade",
		 netctl_bool(n, "internal") || !v6 ? ""
		 : netctl_bool(n, "masquerade6")   ? (v4 ? ",masquerade6" : "masquerade6")
						   : (v4 ? ",routed6" : "routed6"),
		 netctl_bool(n, "adopted") ? ",adopted" : "");
	const char *row[] = {netctl_str(n, "name"),
			     netctl_str(n, "bridge"),
			     both(n, "subnet", "subnet6", subnet, sizeof(subnet)),
			     both(n, "gateway", "gateway6", gateway, sizeof(gateway)),
			     mtu,
			     eps,
			     flags};
	return table_add(t, row);
}

static int network_ls(const struct network_opts *o, char **pos, int n_pos)
{
	static const char *const hdr[] = {"NAME", "BRIDGE", "SUBNET", "GATEWAY", "MTU", "ENDPOINTS", "OPTIONS", NULL};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	int r;

	if (n_pos)
		return netctl_usage_error("network ls takes no arguments");
	req = netctl_request(NETD_OP_NETWORK_LS, NULL);
	if ((r = netctl_call(req, -1, &res)))
		return r;
	return netctl_print_list(res, res, hdr, network_row);
}

static const struct network_sub {
	const char *name;
	int (*run)(const struct network_opts *o, char **pos, int n_pos);
	bool takes_options;
} network_subs[] = {
	{"create", network_create, true},
	{"rm", network_rm, false},
	{"ls", network_ls, false},
	{"inspect", network_inspect, false},
};

int cmd_network(int argc, char **argv)
{
	/* network create's; the other subcommands take none */
	static const struct option options[] = {
		{"subnet", required_argument, NULL, 's'},      {"subnet6", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},     {"bridge", required_argument, NULL, 'b'},
		{"mtu", required_argument, NULL, 'm'},	       {"range", required_argument, NULL, 'r'},
		{"no-masquerade", no_argument, NULL, 'M'}, /* masquerade: false */
		{"masquerade6", no_argument, NULL, '6'},       {"no-masquerade6", no_argument, NULL, '7'},
		{"internal", no_argument, NULL, 'i'},	       {"fabric", no_argument, NULL, 'f'},
		{"host-prefix", required_argument, NULL, 'H'}, {"host-prefix6", required_argument, NULL, 'P'},
		{"mode", required_argument, NULL, 'o'},	       {NULL, 0, NULL, 0},
	};
	/* the subcommand and at most 4 arguments of its own */
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = 5};
	const struct network_sub *sub = NULL;
	struct network_opts o = {.masquerade6 = -1};
	int c;

	/* every subcommand parses the options: the others then say they take none */
	while ((c = netctl_getopt(&a, "", options)) > 0) {
		o.any = true;
		switch (c) {
		case 's':
			family_opt(&o, optarg, &o.subnet, &o.subnet6);
			break;
		case 'g':
			family_opt(&o, optarg, &o.gateway, &o.gateway6);
			break;
		case 'b':
			o.bridge = optarg;
			break;
		case 'm':
			o.mtu = optarg;
			break;
		case 'r':
			family_opt(&o, optarg, &o.range, &o.range6);
			break;
		case 'M':
			o.no_masquerade = true;
			break;
		case '6':
			o.masquerade6 = 1;
			break;
		case '7':
			o.masquerade6 = 0;
			break;
		case 'i':
			o.internal = true;
			break;
		case 'f':
			o.fabric = true;
			break;
		case 'H':
			o.host_prefix = optarg;
			break;
		case 'P':
			o.host_prefix6 = optarg;
			break;
		case 'o':
			o.mode = optarg;
			break;
		}
	}
	if (c < 0)
		return a.status;
	if (a.n_pos == 0)
		return netctl_usage_error("network: give create, rm, ls or inspect");
	for (size_t i = 0; i < ARRAY_SIZE(network_subs) && !sub; i++)
		if (strcmp(network_subs[i].name, a.pos[0]) == 0)
			sub = &network_subs[i];
	if (o.any && !(sub && sub->takes_options))
		return netctl_usage_error("network %s takes no options", a.pos[0]);
	if (!sub)
		return netctl_usage_error("network: unknown subcommand '%s'", a.pos[0]);
	return sub->run(&o, a.pos + 1, a.n_pos - 1);
}
