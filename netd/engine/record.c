/* Records: the JSON forms of networks, endpoints and ports, and the destructors of an endpoint. */
#include "netd/engine/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "mac.h"
#include "strv.h"

static int put_str(json_t *o, const char *k, const char *v)
{
	return bjson_set(o, k, json_string(v));
}

static int put_ip(json_t *o, const char *k, uint32_t ip)
{
	char buf[INET_ADDRSTRLEN];

	return put_str(o, k, baddr_fmt4(ip, buf));
}

static int get_ip(const json_t *j, const char *k, const char *where, bool required, uint32_t *ret, struct berr *e)
{
	const char *s;
	int r;

	r = required ? bjson_req_str(j, k, where, &s, e) : bjson_get_str(j, k, where, &s, e);
	if (r <= 0)
		return r;
	r = baddr_parse4(s, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s.%s", where, k);
	return 1;
}

static int put_ip6(json_t *o, const char *k, const struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return put_str(o, k, baddr_fmt6(a, buf));
}

static int get_ip6(const json_t *j, const char *k, const char *where, bool required, struct in6_addr *ret,
		   struct berr *e)
{
	const char *s;
	int r;

	r = required ? bjson_req_str(j, k, where, &s, e) : bjson_get_str(j, k, where, &s, e);
	if (r <= 0)
		return r;
	r = baddr_parse6(s, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s.%s", where, k);
	return 1;
}

static int get_name(const json_t *j, const char *k, const char *where, char *buf, size_t len, struct berr *e)
{
	const char *s;
	int r;

	r = bjson_req_str(j, k, where, &s, e);
	if (r < 0)
		return r;
	if (strlen(s) >= len)
		return berr_set(e, -EINVAL, "%s.%s: too long", where, k);
	snprintf(buf, len, "%s", s);
	return 0;
}

static int get_bool(const json_t *j, const char *k, const char *where, bool *ret, struct berr *e)
{
	int r = bjson_get_bool(j, k, where, ret, e);

	return r < 0 ? r : 0;
}

json_t *record_network_to_json(const struct eng_network *n)
{
	_cleanup_json_ json_t *o = json_object();
	char buf[BADDR_CIDR4_STRLEN];

	char buf6[BADDR_CIDR6_STRLEN];

	if (!o || put_str(o, "name", n->name) < 0 || put_str(o, "bridge", n->bridge) < 0)
		return NULL;
	if (eng_network_has4(n) &&
	    (put_str(o, "subnet", baddr_fmt_cidr4(&n->subnet, buf)) < 0 || put_ip(o, "gateway", n->gateway) < 0))
		return NULL;
	if (n->range_start &&
	    (put_ip(o, "range_start", n->range_start) < 0 || put_ip(o, "range_end", n->range_end) < 0))
		return NULL;
	if (eng_network_has6(n) &&
	    (put_str(o, "subnet6", baddr_fmt_cidr6(&n->subnet6, buf6)) < 0 || put_ip6(o, "gateway6", &n->gateway6) < 0))
		return NULL;
	if (!baddr_zero6(&n->range6_start) &&
	    (put_ip6(o, "range6_start", &n->range6_start) < 0 || put_ip6(o, "range6_end", &n->range6_end) < 0))
		return NULL;
	if (bjson_set(o, "mtu", json_integer(n->mtu)) < 0 ||
	    bjson_set(o, "masquerade", json_boolean(n->masquerade)) < 0 ||
	    (eng_network_has6(n) && bjson_set(o, "masquerade6", json_boolean(n->masquerade6)) < 0) ||
	    bjson_set(o, "internal", json_boolean(n->internal)) < 0 ||
	    bjson_set(o, "gateway_on_bridge", json_boolean(n->gateway_on_bridge)) < 0 ||
	    bjson_set(o, "hairpin", json_boolean(n->hairpin)) < 0 ||
	    bjson_set(o, "promisc", json_boolean(n->promisc)) < 0 ||
	    bjson_set(o, "adopted", json_boolean(n->adopted)) < 0)
		return NULL;
	if (n->tunnel[0] && put_str(o, "tunnel", n->tunnel) < 0)
		return NULL;
	if (n->fabric_subnet.prefix && put_str(o, "fabric_subnet", baddr_fmt_cidr4(&n->fabric_subnet, buf)) < 0)
		return NULL;
	if (n->fabric_subnet6.prefix) {
		char b6[BADDR_CIDR6_STRLEN];

		if (put_str(o, "fabric_subnet6", baddr_fmt_cidr6(&n->fabric_subnet6, b6)) < 0)
			return NULL;
	}
	return TAKE_PTR(o);
}

int record_network_from_json(const json_t *j, struct eng_network *ret, struct berr *e)
{
	static const char *const keys[] = {"name",	  "bridge",	   "subnet",
					   "gateway",	  "range_start",   "range_end",
					   "subnet6",	  "gateway6",	   "range6_start",
					   "range6_end",  "mtu",	   "masquerade",
					   "masquerade6", "internal",	   "gateway_on_bridge",
					   "hairpin",	  "promisc",	   "adopted",
					   "tunnel",	  "fabric_subnet", "fabric_subnet6",
					   NULL};
	struct eng_network n;
	const char *s;
	int64_t mtu;
	int r;

	memset(&n, 0, sizeof(n));
	r = bjson_check_keys(j, keys, "network", e);
	if (r < 0)
		return r;
	if ((r = get_name(j, "name", "network", n.name, sizeof(n.name), e)) < 0 ||
	    (r = get_name(j, "bridge", "network", n.bridge, sizeof(n.bridge), e)) < 0)
		return r;
	r = bjson_get_cidr4(j, "subnet", "network", &n.subnet, e);
	if (r > 0)
		r = get_ip(j, "gateway", "network", true, &n.gateway, e);
	if (r < 0)
		return r;
	if ((r = get_ip(j, "range_start", "network", false, &n.range_start, e)) < 0 ||
	    (r = get_ip(j, "range_end", "network", false, &n.range_end, e)) < 0)
		return r;
	r = bjson_get_cidr6(j, "subnet6", "network", &n.subnet6, e);
	if (r > 0 && n.subnet6.prefix == 0)
		return berr_set(e, -EINVAL, "network.subnet6: prefix 0");
	if (r > 0)
		r = get_ip6(j, "gateway6", "network", true, &n.gateway6, e);
	if (r < 0)
		return r;
	if (!eng_network_has4(&n) && !eng_network_has6(&n))
		return berr_set(e, -EINVAL, "network: subnet or subnet6 required");
	if ((r = get_ip6(j, "range6_start", "network", false, &n.range6_start, e)) < 0 ||
	    (r = get_ip6(j, "range6_end", "network", false, &n.range6_end, e)) < 0)
		return r;
	mtu = ENG_DEFAULT_MTU;
	r = bjson_get_int(j, "mtu", "network", 68, 65535, &mtu, e);
	if (r < 0)
		return r;
	n.mtu = (unsigned)mtu;
	if ((r = get_bool(j, "masquerade", "network", &n.masquerade, e)) < 0 ||
	    (r = get_bool(j, "masquerade6", "network", &n.masquerade6, e)) < 0 ||
	    (r = get_bool(j, "internal", "network", &n.internal, e)) < 0 ||
	    (r = get_bool(j, "gateway_on_bridge", "network", &n.gateway_on_bridge, e)) < 0 ||
	    (r = get_bool(j, "hairpin", "network", &n.hairpin, e)) < 0 ||
	    (r = get_bool(j, "promisc", "network", &n.promisc, e)) < 0 ||
	    (r = get_bool(j, "adopted", "network", &n.adopted, e)) < 0)
		return r;
	r = bjson_get_str(j, "tunnel", "network", &s, e);
	if (r < 0)
		return r;
	if (r > 0) {
		if (!bifname_valid(s))
			return berr_set(e, -EINVAL, "network.tunnel: invalid interface name '%s'", s);
		snprintf(n.tunnel, sizeof(n.tunnel), "%s", s);
	}
	if ((r = bjson_get_cidr4(j, "fabric_subnet", "network", &n.fabric_subnet, e)) < 0 ||
	    (r = bjson_get_cidr6(j, "fabric_subnet6", "network", &n.fabric_subnet6, e)) < 0)
		return r;
	*ret = n;
	return 0;
}

void eng_endpoint_clear(struct eng_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->netns_path);
	free(ep->routes);
	free(ep->ports);
	free(ep->name);
	strv_free_n(ep->aliases, ep->n_aliases);
	ep->name = NULL;
	ep->aliases = NULL;
	ep->n_aliases = 0;
	ep->netns_path = NULL;
	ep->routes = NULL;
	ep->ports = NULL;
	ep->n_routes = ep->n_ports = 0;
}

void eng_endpoints_free(struct eng_endpoint *eps, size_t n)
{
	if (!eps)
		return;
	for (size_t i = 0; i < n; i++)
		eng_endpoint_clear(&eps[i]);
	free(eps);
}

const char *record_state_name(enum eng_ep_state s)
{
	switch (s) {
	case ENG_EP_PENDING:
		return "pending";
	case ENG_EP_COMPLETE:
		return "complete";
	case ENG_EP_REMOVING:
		return "removing";
	}
	return "?";
}

int record_mac_parse(const char *s, uint8_t mac[6], struct berr *e)
{
	if (bmac_parse(s, mac) < 0)
		return berr_set(e, -EINVAL, "invalid MAC address '%s': expected xx:xx:xx:xx:xx:xx", s);
	if (bmac_is_multicast(mac))
		return berr_set(e, -EINVAL, "invalid MAC address '%s': multicast", s);
	return 0;
}

json_t *record_port_to_json(const struct bportspec *p)
{
	_cleanup_json_ json_t *o = json_object();

	if (!o || (p->host_v6 ? put_ip6(o, "host_ip", &p->host_ip6) : put_ip(o, "host_ip", p->host_ip)) < 0 ||
	    bjson_set(o, "host_port", json_integer(p->host_port)) < 0 ||
	    bjson_set(o, "host_port_end", json_integer(p->host_port_end)) < 0 ||
	    bjson_set(o, "container_port", json_integer(p->container_port)) < 0 ||
	    bjson_set(o, "container_port_end", json_integer(p->container_port_end)) < 0 ||
	    put_str(o, "protocol", bproto_name(p->proto)) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int record_port_from_json(const json_t *j, const char *where, struct bportspec *ret, struct berr *e)
{
	static const char *const keys[] = {
		"host_ip", "host_port", "host_port_end", "container_port", "container_port_end", "protocol", NULL};
	struct bportspec p = {0};
	int64_t hp, hpe, cp, cpe;
	const char *proto;
	int r;

	r = bjson_check_keys(j, keys, where, e);
	if (r < 0)
		return r;
	if ((r = bjson_get_str(j, "host_ip", where, &proto, e)) < 0)
		return r;
	if (r > 0 && strchr(proto, ':')) {
		if ((r = get_ip6(j, "host_ip", where, false, &p.host_ip6, e)) < 0)
			return r;
		p.host_v6 = true;
	} else if ((r = get_ip(j, "host_ip", where, false, &p.host_ip, e)) < 0) {
		return r;
	}
	if ((r = bjson_get_int(j, "host_port", where, 1, 65535, &hp, e)) <= 0)
		return r < 0 ? r : berr_set(e, -EINVAL, "%s.host_port: missing", where);
	hpe = hp;
	if ((r = bjson_get_int(j, "host_port_end", where, 1, 65535, &hpe, e)) < 0)
		return r;
	if ((r = bjson_get_int(j, "container_port", where, 1, 65535, &cp, e)) <= 0)
		return r < 0 ? r : berr_set(e, -EINVAL, "%s.container_port: missing", where);
	cpe = cp;
	if ((r = bjson_get_int(j, "container_port_end", where, 1, 65535, &cpe, e)) < 0)
		return r;
	if (hpe < hp)
		return berr_set(e, -EINVAL, "%s.host_port_end: before host_port", where);
	if (cpe != cp && cpe - cp != hpe - hp)
		return berr_set(e, -EINVAL, "%s.container_port_end: range must be as wide as the host's", where);
	p.proto = BPROTO_TCP;
	r = bjson_get_str(j, "protocol", where, &proto, e);
	if (r < 0)
		return r;
	if (r > 0 && bproto_parse(proto, &p.proto) < 0)
		return berr_set(e, -EINVAL, "%s.protocol: '%s' is not tcp or udp", where, proto);
	p.host_port = (uint16_t)hp;
	p.host_port_end = (uint16_t)hpe;
	p.container_port = (uint16_t)cp;
	p.container_port_end = (uint16_t)cpe;
	*ret = p;
	return 0;
}

/* "name" and "aliases", only when the endpoint has them (records written before names stay as they were). */
static int names_to_json(json_t *o, const struct eng_endpoint *ep)
{
	json_t *al;

	if (ep->name && put_str(o, "name", ep->name) < 0)
		return -ENOMEM;
	if (!ep->n_aliases)
		return 0;
	al = json_array();
	if (!al || bjson_set(o, "aliases", al) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ep->n_aliases; i++)
		if (json_array_append_new(al, json_string(ep->aliases[i])) < 0)
			return -ENOMEM;
	return 0;
}

static int names_from_json(const json_t *j, struct eng_endpoint *ep, struct berr *e)
{
	const char *s;
	json_t *arr, *v;
	size_t i;
	int r;

	r = bjson_get_str(j, "name", "endpoint", &s, e);
	if (r < 0)
		return r;
	if (r > 0) {
		if (!bdns_name_valid(s))
			return berr_set(e, -EINVAL, "endpoint.name: invalid name '%s'", s);
		if (!(ep->name = strdup(s)))
			return berr_oom(e);
	}
	r = bjson_get_arr(j, "aliases", "endpoint", &arr, e);
	if (r <= 0 || json_array_size(arr) == 0)
		return r;
	if (json_array_size(arr) > ENG_MAX_ALIASES)
		return berr_set(e, -EINVAL, "endpoint.aliases: more than %d", ENG_MAX_ALIASES);
	ep->aliases = calloc(json_array_size(arr), sizeof(*ep->aliases));
	if (!ep->aliases)
		return berr_oom(e);
	json_array_foreach (arr, i, v) {
		s = json_string_value(v);
		if (!s || !bdns_name_valid(s))
			return berr_set(e, -EINVAL, "endpoint.aliases[%zu]: invalid name", i);
		if (!(ep->aliases[i] = strdup(s)))
			return berr_oom(e);
		ep->n_aliases++;
	}
	return 0;
}

json_t *record_endpoint_to_json(const struct eng_endpoint *ep)
{
	_cleanup_json_ json_t *o = json_object();
	_cleanup_json_ json_t *routes = json_array();
	_cleanup_json_ json_t *ports = json_array();
	char mac[BMAC_STRLEN], cidr[BADDR_CIDR6_STRLEN];

	if (!o || !routes || !ports)
		return NULL;
	for (size_t i = 0; i < ep->n_routes; i++) {
		const struct eng_route *rt = &ep->routes[i];
		json_t *r = json_object();

		if (!r || json_array_append_new(routes, r) < 0)
			return NULL;
		if (rt->v6 ? put_str(r, "dst", baddr_fmt_cidr6(&rt->dst6, cidr)) < 0 ||
				     (!baddr_zero6(&rt->gw6) && put_ip6(r, "gateway", &rt->gw6) < 0)
			   : put_str(r, "dst", baddr_fmt_cidr4(&rt->dst, cidr)) < 0 ||
				     (rt->gw && put_ip(r, "gateway", rt->gw) < 0))
			return NULL;
	}
	for (size_t i = 0; i < ep->n_ports; i++) {
		json_t *p = record_port_to_json(&ep->ports[i]);

		if (!p || json_array_append_new(ports, p) < 0)
			return NULL;
	}
	if (bjson_set(o, "version", json_integer(RECORD_VERSION)) < 0 ||
	    put_str(o, "state", record_state_name(ep->state)) < 0 || put_str(o, "network", ep->network) < 0 ||
	    put_str(o, "id", ep->id) < 0 || put_str(o, "ifname", ep->ifname) < 0 ||
	    put_str(o, "host_ifname", ep->host_ifname) < 0)
		return NULL;
	if (ep->netns_path && put_str(o, "netns", ep->netns_path) < 0)
		return NULL;
	if (bjson_set(o, "netns_dev", json_integer((json_int_t)ep->netns_dev)) < 0 ||
	    bjson_set(o, "netns_ino", json_integer((json_int_t)ep->netns_ino)) < 0)
		return NULL;
	if (ep->netns_cookie && bjson_set(o, "netns_cookie", json_integer((json_int_t)ep->netns_cookie)) < 0)
		return NULL;
	if (ep->ip && (put_ip(o, "ip", ep->ip) < 0 || bjson_set(o, "prefix", json_integer(ep->prefix)) < 0))
		return NULL;
	if (ep->gateway && put_ip(o, "gateway", ep->gateway) < 0)
		return NULL;
	if (ep->prefix6 && (put_ip6(o, "ip6", &ep->ip6) < 0 || bjson_set(o, "prefix6", json_integer(ep->prefix6)) < 0))
		return NULL;
	if (!baddr_zero6(&ep->gateway6) && put_ip6(o, "gateway6", &ep->gateway6) < 0)
		return NULL;
	if (bjson_set(o, "ip_external", json_boolean(ep->ip_external)) < 0 ||
	    put_str(o, "mac", bmac_fmt(ep->mac, mac)) < 0 || bjson_set(o, "mtu", json_integer(ep->mtu)) < 0 ||
	    bjson_set(o, "default_route", json_boolean(ep->default_route)) < 0 ||
	    bjson_set(o, "routes", TAKE_PTR(routes)) < 0 || bjson_set(o, "ports", TAKE_PTR(ports)) < 0 ||
	    bjson_set(o, "created", json_integer(ep->created)) < 0)
		return NULL;
	if (ep->owner[0] && put_str(o, "owner", ep->owner) < 0)
		return NULL;
	if (names_to_json(o, ep) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int record_route_from_json(const json_t *j, const char *where, struct eng_route *ret, struct berr *e)
{
	struct eng_route rt = {0};
	const char *s;
	int r;

	if ((r = bjson_req_str(j, "dst", where, &s, e)) < 0)
		return r;
	if (strchr(s, ':')) {
		rt.v6 = true;
		if ((r = baddr_parse_cidr6(s, false, &rt.dst6, e)) < 0)
			return berr_wrap(e, r, "%s.dst", where);
		if ((r = get_ip6(j, "gateway", where, false, &rt.gw6, e)) < 0)
			return r;
	} else {
		if ((r = baddr_parse_cidr4(s, false, &rt.dst, e)) < 0)
			return berr_wrap(e, r, "%s.dst", where);
		if ((r = get_ip(j, "gateway", where, false, &rt.gw, e)) < 0)
			return r;
	}
	*ret = rt;
	return 0;
}

static int parse_state(const char *s, enum eng_ep_state *ret)
{
	for (int i = ENG_EP_PENDING; i <= ENG_EP_REMOVING; i++) {
		if (strcmp(s, record_state_name((enum eng_ep_state)i)) == 0) {
			*ret = (enum eng_ep_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int endpoint_from_json(const json_t *j, struct eng_endpoint *ep, struct berr *e)
{
	static const char *const keys[] = {
		"version",   "state",	     "network", "id",	  "ifname",	   "host_ifname", "netns",
		"netns_dev", "netns_ino",    "ip",	"prefix", "gateway",	   "ip6",	  "prefix6",
		"gateway6",  "ip_external",  "mac",	"mtu",	  "default_route", "routes",	  "ports",
		"created",   "netns_cookie", "owner",	"name",	  "aliases",	   NULL};
	const char *s;
	json_t *arr, *v;
	int64_t n;
	size_t i;
	int r;

	r = bjson_check_keys(j, keys, "endpoint", e);
	if (r < 0)
		return r;
	if ((r = bjson_get_int(j, "version", "endpoint", RECORD_VERSION, RECORD_VERSION, &n, e)) <= 0)
		return r < 0 ? r : berr_set(e, -EINVAL, "endpoint.version: missing");
	if ((r = bjson_req_str(j, "state", "endpoint", &s, e)) < 0)
		return r;
	if (parse_state(s, &ep->state) < 0)
		return berr_set(e, -EINVAL, "endpoint.state: unknown state '%s'", s);
	if ((r = get_name(j, "network", "endpoint", ep->network, sizeof(ep->network), e)) < 0 ||
	    (r = get_name(j, "id", "endpoint", ep->id, sizeof(ep->id), e)) < 0 ||
	    (r = get_name(j, "ifname", "endpoint", ep->ifname, sizeof(ep->ifname), e)) < 0 ||
	    (r = get_name(j, "host_ifname", "endpoint", ep->host_ifname, sizeof(ep->host_ifname), e)) < 0)
		return r;
	r = bjson_get_str(j, "netns", "endpoint", &s, e);
	if (r < 0)
		return r;
	if (r > 0 && !(ep->netns_path = strdup(s)))
		return berr_oom(e);
	n = 0;
	if ((r = bjson_get_int(j, "netns_dev", "endpoint", 0, INT64_MAX, &n, e)) < 0)
		return r;
	ep->netns_dev = (uint64_t)n;
	n = 0;
	if ((r = bjson_get_int(j, "netns_ino", "endpoint", 0, INT64_MAX, &n, e)) < 0)
		return r;
	ep->netns_ino = (uint64_t)n;
	n = 0;
	if ((r = bjson_get_int(j, "netns_cookie", "endpoint", 0, INT64_MAX, &n, e)) < 0)
		return r;
	ep->netns_cookie = (uint64_t)n;
	if ((r = get_ip(j, "ip", "endpoint", false, &ep->ip, e)) < 0 ||
	    (r = get_ip(j, "gateway", "endpoint", false, &ep->gateway, e)) < 0)
		return r;
	if (ep->ip) {
		if ((r = bjson_get_int(j, "prefix", "endpoint", 1, 32, &n, e)) <= 0)
			return r < 0 ? r : berr_set(e, -EINVAL, "endpoint.prefix: missing");
		ep->prefix = (uint8_t)n;
	}
	if ((r = get_ip6(j, "ip6", "endpoint", false, &ep->ip6, e)) < 0 ||
	    (r = get_ip6(j, "gateway6", "endpoint", false, &ep->gateway6, e)) < 0)
		return r;
	if (!baddr_zero6(&ep->ip6)) {
		if ((r = bjson_get_int(j, "prefix6", "endpoint", 1, 128, &n, e)) <= 0)
			return r < 0 ? r : berr_set(e, -EINVAL, "endpoint.prefix6: missing");
		ep->prefix6 = (uint8_t)n;
	}
	if (!ep->ip && !ep->prefix6)
		return berr_set(e, -EINVAL, "endpoint: ip or ip6 required");
	if ((r = get_bool(j, "ip_external", "endpoint", &ep->ip_external, e)) < 0 ||
	    (r = get_bool(j, "default_route", "endpoint", &ep->default_route, e)) < 0)
		return r;
	if ((r = bjson_req_str(j, "mac", "endpoint", &s, e)) < 0)
		return r;
	if ((r = record_mac_parse(s, ep->mac, e)) < 0)
		return berr_wrap(e, r, "endpoint.mac");
	n = ENG_DEFAULT_MTU;
	if ((r = bjson_get_int(j, "mtu", "endpoint", 68, 65535, &n, e)) < 0)
		return r;
	ep->mtu = (unsigned)n;
	n = 0;
	if ((r = bjson_get_int(j, "created", "endpoint", 0, INT64_MAX, &n, e)) < 0)
		return r;
	ep->created = n;
	if ((r = bjson_get_str(j, "owner", "endpoint", &s, e)) < 0)
		return r;
	if (r > 0 && (!*s || strlen(s) >= sizeof(ep->owner)))
		return berr_set(e, -EINVAL, "endpoint.owner: empty or too long");
	if (r > 0)
		snprintf(ep->owner, sizeof(ep->owner), "%s", s);
	if ((r = names_from_json(j, ep, e)) < 0)
		return r;
	r = bjson_get_arr(j, "routes", "endpoint", &arr, e);
	if (r < 0)
		return r;
	if (r > 0 && json_array_size(arr) > 0) {
		if (json_array_size(arr) > ENG_MAX_ROUTES)
			return berr_set(e, -EINVAL, "endpoint.routes: more than %d", ENG_MAX_ROUTES);
		ep->routes = calloc(json_array_size(arr), sizeof(*ep->routes));
		if (!ep->routes)
			return berr_oom(e);
		json_array_foreach (arr, i, v) {
			static const char *const rkeys[] = {"dst", "gateway", NULL};
			char where[64];

			snprintf(where, sizeof(where), "endpoint.routes[%zu]", i);
			if ((r = bjson_check_keys(v, rkeys, where, e)) < 0 ||
			    (r = record_route_from_json(v, where, &ep->routes[i], e)) < 0)
				return r;
			ep->n_routes++;
		}
	}
	r = bjson_get_arr(j, "ports", "endpoint", &arr, e);
	if (r < 0)
		return r;
	if (r > 0 && json_array_size(arr) > 0) {
		ep->ports = calloc(json_array_size(arr), sizeof(*ep->ports));
		if (!ep->ports)
			return berr_oom(e);
		json_array_foreach (arr, i, v) {
			char where[64];

			snprintf(where, sizeof(where), "endpoint.ports[%zu]", i);
			if ((r = record_port_from_json(v, where, &ep->ports[i], e)) < 0)
				return r;
			ep->n_ports++;
		}
	}
	return 0;
}

int record_endpoint_from_json(const json_t *j, struct eng_endpoint *ret, struct berr *e)
{
	struct eng_endpoint ep;
	int r;

	memset(&ep, 0, sizeof(ep));
	r = endpoint_from_json(j, &ep, e);
	if (r < 0) {
		eng_endpoint_clear(&ep);
		return r;
	}
	*ret = ep;
	return 0;
}
