/* netd's requests: one line parsed and validated into a struct req, without side effects. */
#include "netd/daemon/request.h"
#include "netd/protocol.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "netd/engine/record.h"
#include "netns.h"

_Static_assert(NETD_MAX_ALIASES == ENG_MAX_ALIASES, "the protocol's limit is the engine's");

static const struct {
	const char *name;
	enum req_op op;
	const char *const keys[20];
} ops[] = {
	{NETD_OP_PING, REQ_PING, {NULL}},
	{NETD_OP_NETWORK_CREATE,
	 REQ_NETWORK_CREATE,
	 {"name", "bridge", "subnet", "gateway", "range_start", "range_end", "subnet6", "gateway6", "range6_start",
	  "range6_end", "mtu", "masquerade", "masquerade6", "internal", "gateway_on_bridge", "hairpin", "promisc",
	  NULL}},
	{NETD_OP_NETWORK_RM, REQ_NETWORK_RM, {"name", NULL}},
	{NETD_OP_NETWORK_LS, REQ_NETWORK_LS, {NULL}},
	{NETD_OP_NETWORK_INSPECT, REQ_NETWORK_INSPECT, {"name", NULL}},
	{NETD_OP_ATTACH,
	 REQ_ATTACH,
	 {"id", "network", "ifname", "netns", "ip", "ip6", "ip_external", "mac", "ports", "routes", "no_default_route",
	  "name", "aliases", NULL}},
	{NETD_OP_DETACH, REQ_DETACH, {"id", "network", "ifname", NULL}},
	{NETD_OP_LS, REQ_LS, {"network", "id", NULL}},
	{NETD_OP_INSPECT, REQ_INSPECT, {"id", "network", NULL}},
	{NETD_OP_PORTS, REQ_PORTS, {"network", NULL}},
	{NETD_OP_ROUTES, REQ_ROUTES, {"id", "network", "ifname", NULL}},
	{NETD_OP_CHECK, REQ_CHECK, {"id", "network", "ifname", "netns", NULL}},
	{NETD_OP_GC, REQ_GC, {"network", "keep", NULL}},
	{NETD_OP_STATUS, REQ_STATUS, {"network", NULL}},
	{NETD_OP_RECONCILE, REQ_RECONCILE, {NULL}},
	{NETD_OP_TEARDOWN, REQ_TEARDOWN, {NULL}},
	{NETD_OP_DNS, REQ_DNS, {"network", NULL}},
	{NETD_OP_FABRIC, REQ_FABRIC, {NULL}},
	{NETD_OP_FABRIC_CREATE,
	 REQ_FABRIC_CREATE,
	 {"name", "subnet", "host_prefix", "subnet6", "host_prefix6", "mode", NULL}},
	{NETD_OP_FABRIC_RM, REQ_FABRIC_RM, {"name", NULL}},
	{NETD_OP_FABRIC_RESULT, REQ_FABRIC_RESULT, {"ticket", NULL}},
};

/* The index of op's name in ops[], or -EINVAL. */
static int find_op(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			return (int)i;
	return -EINVAL;
}

const char *req_op_name(enum req_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].name;
	return "?";
}

json_t *req_error_reply(int code, const char *message)
{
	json_t *o = json_object(), *err = json_object();
	int c = code < 0 ? -code : code;

	if (!o || !err || bjson_set(o, "ok", json_false()) < 0 || bjson_set(o, "error", err) < 0) {
		json_decref(o);
		return NULL;
	}
	if (bjson_set(err, "code", json_string(berr_errno_name(-c))) < 0 ||
	    bjson_set(err, "errno", json_integer(c)) < 0 ||
	    bjson_set(err, "message", json_string(message && *message ? message : strerror(c))) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *req_ok_reply(json_t *result)
{
	json_t *o = json_object();

	if (!o || bjson_set(o, "ok", json_true()) < 0 || (result && bjson_set(o, "result", result) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void req_free(struct req *r)
{
	if (!r)
		return;
	json_decref(r->json);
	free(r->ports);
	free(r->keep);
	memset(r, 0, sizeof(*r));
}

static int opt_name(const json_t *j, const char *key, size_t max, const char **ret, struct berr *e)
{
	const char *s;
	int r = bjson_get_str(j, key, "", &s, e);

	if (r <= 0)
		return r;
	if (!bname_valid(s, max))
		return berr_set(e, -EINVAL, "%s: invalid name '%s' (letters, digits, '_', '.', '-'; at most %zu)", key,
				s, max);
	*ret = s;
	return 1;
}

static int req_name(const json_t *j, const char *key, size_t max, const char **ret, struct berr *e)
{
	int r = opt_name(j, key, max, ret, e);

	if (r == 0)
		return berr_set(e, -EINVAL, "%s: missing", key);
	return r < 0 ? r : 0;
}

static int opt_ifname(const json_t *j, const char **ret, struct berr *e)
{
	const char *s;
	int r = bjson_get_str(j, "ifname", "", &s, e);

	if (r <= 0)
		return r;
	if (!bifname_valid(s))
		return berr_set(e, -EINVAL, "ifname: invalid interface name '%s'", s);
	*ret = s;
	return 1;
}

static int opt_ip6(const json_t *j, const char *key, const char *where, struct in6_addr *ret, struct berr *e)
{
	const char *s;
	int r = bjson_get_str(j, key, where, &s, e);

	if (r <= 0)
		return r;
	r = baddr_parse6(s, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s%s%s", where ? where : "", where && *where ? "." : "", key);
	return 1;
}

static int opt_ip(const json_t *j, const char *key, const char *where, uint32_t *ret, struct berr *e)
{
	const char *s;
	int r = bjson_get_str(j, key, where, &s, e);

	if (r <= 0)
		return r;
	r = baddr_parse4(s, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s%s%s", where ? where : "", where && *where ? "." : "", key);
	return 1;
}

int req_parse_network(const json_t *j, const char *where, struct eng_network *ret, struct berr *e)
{
	struct eng_network n;
	const char *s;
	int64_t mtu;
	int r;

	r = bjson_req_str(j, "name", where, &s, e);
	if (r < 0)
		return r;
	if (!bname_valid(s, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "%s%sname: invalid network name '%s'", where, *where ? "." : "", s);
	eng_network_init(&n, s);
	n.bridge[0] = '\0';
	r = bjson_get_str(j, "bridge", where, &s, e);
	if (r < 0)
		return r;
	if (r > 0) {
		if (!bifname_valid(s) || strchr(s, '.'))
			return berr_set(e, -EINVAL, "%s%sbridge: invalid bridge name '%s'", where, *where ? "." : "",
					s);
		snprintf(n.bridge, sizeof(n.bridge), "%s", s);
	}
	r = bjson_get_cidr4(j, "subnet", where, &n.subnet, e);
	if (r < 0)
		return r;
	if (r > 0 && n.subnet.prefix == 0)
		return berr_set(e, -EINVAL, "%s%ssubnet: prefix /0", where, *where ? "." : "");
	r = bjson_get_cidr6(j, "subnet6", where, &n.subnet6, e);
	if (r < 0)
		return r;
	if (r > 0 && n.subnet6.prefix == 0)
		return berr_set(e, -EINVAL, "%s%ssubnet6: prefix /0", where, *where ? "." : "");
	if (!eng_network_has4(&n) && !eng_network_has6(&n))
		return berr_set(e, -EINVAL, "%s%ssubnet: missing (give subnet, subnet6 or both)", where,
				*where ? "." : "");
	if ((r = opt_ip(j, "gateway", where, &n.gateway, e)) < 0 ||
	    (r = opt_ip(j, "range_start", where, &n.range_start, e)) < 0 ||
	    (r = opt_ip(j, "range_end", where, &n.range_end, e)) < 0 ||
	    (r = opt_ip6(j, "gateway6", where, &n.gateway6, e)) < 0 ||
	    (r = opt_ip6(j, "range6_start", where, &n.range6_start, e)) < 0 ||
	    (r = opt_ip6(j, "range6_end", where, &n.range6_end, e)) < 0)
		return r;
	if ((n.gateway || n.range_start) && !eng_network_has4(&n))
		return berr_set(e, -EINVAL, "%s%sgateway: the network has no IPv4 subnet", where, *where ? "." : "");
	if ((!baddr_zero6(&n.gateway6) || !baddr_zero6(&n.range6_start)) && !eng_network_has6(&n))
		return berr_set(e, -EINVAL, "%s%sgateway6: the network has no IPv6 subnet", where, *where ? "." : "");
	if (n.gateway && !baddr_in4(&n.subnet, n.gateway))
		return berr_set(e, -EINVAL, "%s%sgateway: not inside the subnet", where, *where ? "." : "");
	if (!baddr_zero6(&n.gateway6) && !baddr_in6(&n.subnet6, &n.gateway6))
		return berr_set(e, -EINVAL, "%s%sgateway6: not inside the subnet", where, *where ? "." : "");
	/* IPv6 masquerade by default only for unique local addresses; global ones are routed */
	n.masquerade6 = eng_network_has6(&n) && baddr_ula6(&n.subnet6.addr);
	mtu = ENG_DEFAULT_MTU;
	if ((r = bjson_get_int(j, "mtu", where, 68, 65535, &mtu, e)) < 0)
		return r;
	n.mtu = (unsigned)mtu;
	if ((r = bjson_get_bool(j, "masquerade", where, &n.masquerade, e)) < 0 ||
	    (r = bjson_get_bool(j, "masquerade6", where, &n.masquerade6, e)) < 0 ||
	    (r = bjson_get_bool(j, "internal", where, &n.internal, e)) < 0 ||
	    (r = bjson_get_bool(j, "gateway_on_bridge", where, &n.gateway_on_bridge, e)) < 0 ||
	    (r = bjson_get_bool(j, "hairpin", where, &n.hairpin, e)) < 0 ||
	    (r = bjson_get_bool(j, "promisc", where, &n.promisc, e)) < 0)
		return r;
	*ret = n;
	return 0;
}

static int parse_ports(const json_t *j, struct req *q, struct berr *e)
{
	json_t *arr, *v;
	size_t i, total = 0;
	int r;

	r = bjson_get_arr(j, "ports", "", &arr, e);
	if (r <= 0)
		return r;
	if (json_array_size(arr) == 0)
		return 0;
	if (json_array_size(arr) > ENG_MAX_PORTS)
		return berr_set(e, -EINVAL, "ports: more than %d", ENG_MAX_PORTS);
	q->ports = calloc(json_array_size(arr), sizeof(*q->ports));
	if (!q->ports)
		return berr_oom(e);
	json_array_foreach (arr, i, v) {
		char where[32];

		snprintf(where, sizeof(where), "ports[%zu]", i);
		if (json_is_string(v)) {
			r = bportspec_parse(json_string_value(v), &q->ports[i], e);
			if (r < 0)
				return berr_wrap(e, r, "%s", where);
		} else if (json_is_object(v)) {
			r = record_port_from_json(v, where, &q->ports[i], e);
			if (r < 0)
				return r;
		} else {
			return berr_set(e, -EINVAL, "%s: expected a port spec string or an object", where);
		}
		total += (size_t)(q->ports[i].host_port_end - q->ports[i].host_port) + 1;
		if (total > ENG_MAX_PORTS)
			return berr_set(e, -EINVAL, "ports: more than %d host ports", ENG_MAX_PORTS);
		q->n_ports++;
	}
	return 0;
}

static int parse_routes(const json_t *j, struct req *q, struct berr *e)
{
	static const char *const keys[] = {"dst", "gateway", NULL};
	json_t *arr, *v;
	size_t i;
	int r;

	r = bjson_get_arr(j, "routes", "", &arr, e);
	if (r <= 0)
		return r;
	if (json_array_size(arr) > ENG_MAX_ROUTES)
		return berr_set(e, -EINVAL, "routes: more than %d", ENG_MAX_ROUTES);
	json_array_foreach (arr, i, v) {
		char where[32];

		snprintf(where, sizeof(where), "routes[%zu]", i);
		if ((r = bjson_check_keys(v, keys, where, e)) < 0 ||
		    (r = record_route_from_json(v, where, &q->routes[i], e)) < 0)
			return r;
		q->n_routes++;
	}
	return 0;
}

static int parse_keep(const json_t *j, struct req *q, struct berr *e)
{
	static const char *const keys[] = {"id", "ifname", NULL};
	json_t *arr, *v;
	size_t i;
	int r;

	r = bjson_get_arr(j, "keep", "", &arr, e);
	if (r < 0)
		return r;
	if (r == 0)
		return berr_set(e, -EINVAL, "keep: missing (an empty list removes every endpoint)");
	q->keep = calloc(json_array_size(arr) + 1, sizeof(*q->keep));
	if (!q->keep)
		return berr_oom(e);
	json_array_foreach (arr, i, v) {
		char where[32];
		const char *s;

		snprintf(where, sizeof(where), "keep[%zu]", i);
		if ((r = bjson_check_keys(v, keys, where, e)) < 0 || (r = bjson_req_str(v, "id", where, &s, e)) < 0)
			return r;
		if (!bname_valid(s, ENG_ID_MAX))
			return berr_set(e, -EINVAL, "%s.id: invalid container id '%s'", where, s);
		q->keep[i].id = s;
		if ((r = bjson_get_str(v, "ifname", where, &s, e)) < 0)
			return r;
		if (r > 0 && !bifname_valid(s))
			return berr_set(e, -EINVAL, "%s.ifname: invalid interface name '%s'", where, s);
		q->keep[i].ifname = r > 0 ? s : NULL;
		q->n_keep++;
	}
	return 0;
}

static int parse_names(const json_t *j, struct req *q, struct berr *e)
{
	json_t *arr, *v;
	size_t i;
	int r;

	r = bjson_get_str(j, "name", "", &q->dns_name, e);
	if (r < 0)
		return r;
	if (r > 0 && !bdns_name_valid(q->dns_name))
		return berr_set(e, -EINVAL,
				"name: invalid name '%s' (DNS labels of letters, digits, '-' and '_', joined by dots)",
				q->dns_name);
	r = bjson_get_arr(j, "aliases", "", &arr, e);
	if (r <= 0)
		return r;
	if (json_array_size(arr) > ENG_MAX_ALIASES)
		return berr_set(e, -EINVAL, "aliases: more than %d", ENG_MAX_ALIASES);
	json_array_foreach (arr, i, v) {
		const char *s = json_string_value(v);

		if (!s || !bdns_name_valid(s))
			return berr_set(e, -EINVAL, "aliases[%zu]: invalid name%s%s%s", i, s ? " '" : "", s ? s : "",
					s ? "'" : "");
		q->aliases[q->n_aliases++] = s;
	}
	return 0;
}

static int parse_args(const json_t *j, struct req *q, struct berr *e)
{
	const char *s;
	int r;

	switch (q->op) {
	case REQ_PING:
	case REQ_NETWORK_LS:
	case REQ_RECONCILE:
	case REQ_TEARDOWN:
	case REQ_FABRIC:
		return 0;
	case REQ_FABRIC_CREATE: {
		int64_t hp = 0, hp6 = 0;

		if ((r = req_name(j, "name", ENG_NAME_MAX, &q->name, e)) < 0 ||
		    (r = bjson_get_cidr4(j, "subnet", "", &q->net.subnet, e)) < 0 ||
		    (r = bjson_get_cidr6(j, "subnet6", "", &q->net.subnet6, e)) < 0)
			return r;
		if (!q->net.subnet.prefix && !q->net.subnet6.prefix)
			return berr_set(e, -EINVAL, "subnet: missing (give subnet, subnet6 or both)");
		if ((r = bjson_get_int(j, "host_prefix", "", 1, 30, &hp, e)) < 0 ||
		    (r = bjson_get_int(j, "host_prefix6", "", 1, 120, &hp6, e)) < 0 ||
		    (r = bjson_get_str(j, "mode", "", &q->mode, e)) < 0)
			return r;
		q->host_prefix = (unsigned)hp;
		q->host_prefix6 = (unsigned)hp6;
		if (q->mode && strcmp(q->mode, "vxlan") != 0 && strcmp(q->mode, "host-gw") != 0)
			return berr_set(e, -EINVAL, "mode: '%s' is not vxlan or host-gw", q->mode);
		return 0;
	}
	case REQ_FABRIC_RM:
		return req_name(j, "name", ENG_NAME_MAX, &q->name, e);
	case REQ_FABRIC_RESULT: {
		int64_t t = 0;

		if ((r = bjson_get_int(j, "ticket", "", 1, INT64_MAX, &t, e)) < 0)
			return r;
		if (r == 0)
			return berr_set(e, -EINVAL, "ticket: missing");
		q->ticket = (uint64_t)t;
		return 0;
	}
	case REQ_NETWORK_CREATE:
		return req_parse_network(j, "", &q->net, e);
	case REQ_NETWORK_RM:
	case REQ_NETWORK_INSPECT:
		return req_name(j, "name", ENG_NAME_MAX, &q->name, e);
	case REQ_STATUS:
	case REQ_DNS:
		return req_name(j, "network", ENG_NAME_MAX, &q->name, e);
	case REQ_GC:
		if ((r = req_name(j, "network", ENG_NAME_MAX, &q->name, e)) < 0)
			return r;
		return parse_keep(j, q, e);
	case REQ_LS:
	case REQ_PORTS:
		if ((r = opt_name(j, "network", ENG_NAME_MAX, &q->network, e)) < 0)
			return r;
		return q->op == REQ_LS && (r = opt_name(j, "id", ENG_ID_MAX, &q->id, e)) < 0 ? r : 0;
	case REQ_DETACH:
	case REQ_INSPECT:
	case REQ_ROUTES:
	case REQ_CHECK:
	case REQ_ATTACH:
		if ((r = req_name(j, "id", ENG_ID_MAX, &q->id, e)) < 0 ||
		    (r = opt_name(j, "network", ENG_NAME_MAX, &q->network, e)) < 0)
			return r;
		if (q->op != REQ_INSPECT && (r = opt_ifname(j, &q->ifname, e)) < 0)
			return r;
		if (q->op == REQ_CHECK && !q->network)
			return berr_set(e, -EINVAL, "network: missing");
		if (q->op != REQ_ATTACH && q->op != REQ_CHECK)
			return 0;
		if ((r = bjson_get_str(j, "netns", "", &q->netns_path, e)) < 0)
			return r;
		if (r > 0 && q->netns_path[0] != '/')
			return berr_set(e, -EINVAL, "netns: '%s' is not an absolute path", q->netns_path);
		if (q->op == REQ_CHECK)
			return 0;
		if ((r = opt_ip(j, "ip", "", &q->ip, e)) < 0 || (r = opt_ip6(j, "ip6", "", &q->ip6, e)) < 0 ||
		    (r = bjson_get_bool(j, "ip_external", "", &q->ip_external, e)) < 0 ||
		    (r = bjson_get_bool(j, "no_default_route", "", &q->no_default_route, e)) < 0)
			return r;
		if (q->ip_external && !q->ip && baddr_zero6(&q->ip6))
			return berr_set(e, -EINVAL, "ip_external: needs ip or ip6");
		if ((r = bjson_get_str(j, "mac", "", &s, e)) < 0)
			return r;
		if (r > 0) {
			if ((r = record_mac_parse(s, q->mac, e)) < 0)
				return berr_wrap(e, r, "mac");
			q->has_mac = true;
		}
		if ((r = parse_ports(j, q, e)) < 0 || (r = parse_routes(j, q, e)) < 0 || (r = parse_names(j, q, e)) < 0)
			return r;
		return 0;
	}
	return berr_set(e, -EINVAL, "unknown op");
}

int req_parse(const char *line, size_t len, struct req *ret, struct berr *e)
{
	struct req q;
	const char *op;
	int r, k;

	memset(&q, 0, sizeof(q));
	r = bjson_parse(line, len, &q.json, e);
	if (r < 0)
		return berr_wrap(e, r, "malformed request");
	if (!json_is_object(q.json)) {
		req_free(&q);
		return berr_set(e, -EINVAL, "malformed request: expected a JSON object");
	}
	r = bjson_req_str(q.json, "op", "", &op, e);
	if (r < 0)
		goto fail;
	k = find_op(op);
	if (k < 0) {
		r = berr_set(e, -EOPNOTSUPP, "unknown op '%s'", op);
		goto fail;
	}
	q.op = ops[k].op;
	{
		const char *allowed[ARRAY_SIZE(ops[0].keys) + 2] = {"op"};
		size_t n = 1;

		for (size_t i = 0; i < ARRAY_SIZE(ops[k].keys) && ops[k].keys[i]; i++)
			allowed[n++] = ops[k].keys[i];
		allowed[n] = NULL;
		r = bjson_check_keys(q.json, allowed, ops[k].name, e);
		if (r < 0)
			goto fail;
	}
	r = parse_args(q.json, &q, e);
	if (r < 0)
		goto fail;
	*ret = q;
	return 0;
fail:
	req_free(&q);
	return r;
}
