/* berth-cni: the built-in IPAM's configuration, read with host-local's keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni_addr.h"
#include "cni/cni_conf.h"
#include "jsonutil.h"
#include "u128.h"

#define IPAM_TYPE_BUILTIN "berth-cni"

static int str_field(const json_t *o, const char *key, const char *where, const char **ret, struct cni_err *ce)
{
	int r = bjson_get_str(o, key, where, ret, &ce->e);

	if (r < 0)
		return cni_classify(ce, CNI_ERR_INVALID_CONFIG, r);
	return r;
}

/* An address field, without a prefix: IPv6 into *ret6 when given, else IPv4 into *ret4; 0 when absent or empty. */
static int addr_field(const json_t *o, const char *key, const char *where, uint32_t *ret4, struct in6_addr *ret6,
		      struct cni_err *ce)
{
	const char *s = NULL;
	char w[128];
	int r = str_field(o, key, where, &s, ce);

	if (r <= 0 || !*s)
		return r < 0 ? r : 0;
	snprintf(w, sizeof(w), "%s.%s", where, key);
	r = ret6 ? cni_ip6_parse(s, w, ret6, NULL, ce) : cni_ip4_parse(s, w, ret4, NULL, ce);
	if (r < 0)
		return r;
	if (strchr(s, '/'))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' is \"%s\": an address without a prefix", w,
				s);
	return 1;
}

/* An IPv4 address field of a range: inside the subnet's host addresses (*ret when set). */
static int range_addr(const json_t *o, const char *key, const char *where, const char *subnet, uint32_t first,
		      uint32_t last, uint32_t *ret, struct cni_err *ce)
{
	uint32_t v;
	int r = addr_field(o, key, where, &v, NULL, ce);

	if (r <= 0)
		return r;
	if (v < first || v > last)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s.%s' is outside the subnet's host addresses (%s)", where, key, subnet);
	*ret = v;
	return 1;
}

/* An IPv6 address field of a range: inside the subnet's host addresses (*ret when set). */
static int range6_addr(const json_t *o, const char *key, const char *where, const char *subnet, bu128 first, bu128 last,
		       struct in6_addr *ret, struct cni_err *ce)
{
	struct in6_addr v;
	int r = addr_field(o, key, where, NULL, &v, ce);

	if (r <= 0)
		return r;
	if (bu128_of6(&v) < first || bu128_of6(&v) > last)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s.%s' is outside the subnet's host addresses (%s)", where, key, subnet);
	*ret = v;
	return 1;
}

/* An IPv6 range {subnet, rangeStart, rangeEnd, gateway}, with host-local's defaults. */
static int parse_range6(const json_t *o, const char *where, const char *subnet, struct cni_ipam *ipam,
			struct cni_err *ce)
{
	char w[128];
	bu128 base, first, last;
	int r;

	snprintf(w, sizeof(w), "%s.subnet", where);
	r = cni_cidr6_parse(subnet, w, true, &ipam->subnet6, ce);
	if (r < 0)
		return r;
	if (ipam->subnet6.prefix < 16 || ipam->subnet6.prefix > 124)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\": the prefix must be between /16 and /124", w, subnet);
	ipam->subnet6.addr = baddr_mask6(&ipam->subnet6.addr, ipam->subnet6.prefix);
	ipam->has_range6 = true;
	/* host-local's defaults: the gateway is the first address, the range every address after the subnet's own */
	base = bu128_of6(&ipam->subnet6.addr);
	first = base + 1;
	last = base + (((bu128)1 << (128 - ipam->subnet6.prefix)) - 1);
	ipam->gateway6 = bu128_addr6(first);
	ipam->range6_start = bu128_addr6(first);
	ipam->range6_end = bu128_addr6(last);
	if ((r = range6_addr(o, "gateway", where, subnet, first, last, &ipam->gateway6, ce)) < 0 ||
	    (r = range6_addr(o, "rangeStart", where, subnet, first, last, &ipam->range6_start, ce)) < 0 ||
	    (r = range6_addr(o, "rangeEnd", where, subnet, first, last, &ipam->range6_end, ce)) < 0)
		return r;
	if (bu128_of6(&ipam->range6_start) > bu128_of6(&ipam->range6_end))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s.rangeStart' is after '%s.rangeEnd'", where,
				where);
	return 0;
}

/* One range object {subnet, rangeStart, rangeEnd, gateway} of either family (its subnet's); where names it. */
static int parse_range(const json_t *o, const char *where, bool check_keys, struct cni_ipam *ipam, struct cni_err *ce)
{
	static const char *const keys[] = {"subnet", "rangeStart", "rangeEnd", "gateway"};
	const char *subnet = NULL, *key;
	uint32_t first, last;
	json_t *val;
	char w[128];
	int r;

	json_object_foreach ((json_t *)o, key, val) {
		bool known = !check_keys;

		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (!known)
			return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
					"unsupported key '%s.%s' in a range (berth-cni reads subnet, rangeStart, "
					"rangeEnd, gateway)",
					where, key);
	}
	r = str_field(o, "subnet", where, &subnet, ce);
	if (r < 0)
		return r;
	if (r == 0 || !*subnet)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "missing required key '%s.subnet'", where);
	if (cni_is_ipv6(subnet))
		return parse_range6(o, where, subnet, ipam, ce);
	snprintf(w, sizeof(w), "%s.subnet", where);
	r = cni_cidr4_parse(subnet, w, true, &ipam->subnet, ce);
	if (r < 0)
		return r;
	if (ipam->subnet.prefix > 30 || ipam->subnet.prefix < 8)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\": the prefix must be between /8 and /30", w, subnet);
	ipam->subnet.addr &= baddr_mask4(ipam->subnet.prefix);
	ipam->has_range = true;

	/* host-local's defaults: the gateway is the first address, the range every other host address. */
	first = ipam->subnet.addr + 1;
	last = (ipam->subnet.addr | ~baddr_mask4(ipam->subnet.prefix)) - 1;
	ipam->gateway = first;
	ipam->range_start = first;
	ipam->range_end = last;

	if ((r = range_addr(o, "gateway", where, subnet, first, last, &ipam->gateway, ce)) < 0 ||
	    (r = range_addr(o, "rangeStart", where, subnet, first, last, &ipam->range_start, ce)) < 0 ||
	    (r = range_addr(o, "rangeEnd", where, subnet, first, last, &ipam->range_end, ce)) < 0)
		return r;
	if (ipam->range_start > ipam->range_end)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s.rangeStart' is after '%s.rangeEnd'", where,
				where);
	return 0;
}

/* "ranges": [[{range}, ...], ...]: a list of range sets, one address per set (here one set per family). */
static int parse_ranges(const json_t *ranges, struct cni_ipam *ipam, struct cni_err *ce)
{
	json_t *set, *range;
	size_t i, j;
	int n4 = 0, n6 = 0;

	if (!json_is_array(ranges))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'ipam.ranges' must be a list of range lists");
	json_array_foreach (ranges, i, set) {
		if (!json_is_array(set) || json_array_size(set) == 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"'ipam.ranges[%zu]' must be a non-empty list of ranges", i);
		json_array_foreach (set, j, range) {
			json_t *subnet = json_object_get(range, "subnet");
			bool v6 = json_is_string(subnet) && cni_is_ipv6(json_string_value(subnet));
			int *count = v6 ? &n6 : &n4;
			char w[64];
			int r;

			snprintf(w, sizeof(w), "ipam.ranges[%zu][%zu]", i, j);
			if (!json_is_object(range))
				return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be an object", w);
			if ((*count)++ > 0)
				return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
						"'%s': berth-cni supports one %s range per network", w,
						v6 ? "IPv6" : "IPv4");
			r = parse_range(range, w, true, ipam, ce);
			if (r < 0)
				return r;
		}
	}
	if (n4 + n6 == 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'ipam.ranges' holds no range");
	return 0;
}

static int parse_routes(const json_t *routes, struct cni_ipam *ipam, struct cni_err *ce)
{
	json_t *item;
	size_t i;

	if (!json_is_array(routes))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'ipam.routes' must be a list of {dst, gw}");
	if (json_array_size(routes) > CNI_MAX_ROUTES)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -E2BIG, "'ipam.routes' has more than %d routes",
				CNI_MAX_ROUTES);
	ipam->routes = calloc(json_array_size(routes) + 1, sizeof(*ipam->routes));
	if (!ipam->routes)
		return cni_oom(ce);
	json_array_foreach (routes, i, item) {
		static const char *const allowed[] = {"dst", "gw", NULL};
		struct cni_route *rt = &ipam->routes[i];
		const char *dst = NULL;
		char w[64];
		int r;

		snprintf(w, sizeof(w), "ipam.routes[%zu]", i);
		if (!json_is_object(item))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be an object", w);
		r = bjson_check_keys(item, allowed, w, &ce->e);
		if (r < 0)
			return cni_classify(ce, CNI_ERR_UNSUPPORTED_FIELD, r);
		r = str_field(item, "dst", w, &dst, ce);
		if (r < 0)
			return r;
		if (r == 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "missing required key '%s.dst'", w);
		{
			char dw[80];

			snprintf(dw, sizeof(dw), "%s.dst", w);
			rt->v6 = cni_is_ipv6(dst);
			r = rt->v6 ? cni_cidr6_parse(dst, dw, true, &rt->dst6, ce)
				   : cni_cidr4_parse(dst, dw, true, &rt->dst, ce);
			if (r < 0)
				return r;
			rt->dst.addr &= baddr_mask4(rt->dst.prefix);
			rt->dst6.addr = baddr_mask6(&rt->dst6.addr, rt->dst6.prefix);
		}
		/* the gateway of the dst's family */
		r = addr_field(item, "gw", w, rt->v6 ? NULL : &rt->gw, rt->v6 ? &rt->gw6 : NULL, ce);
		if (r < 0)
			return r;
		ipam->n_routes++;
	}
	return 0;
}

int cni_ipam_parse(const json_t *ipam, struct cni_ipam *ret, struct cni_err *ce)
{
	static const char *const keys[] = {"type", "subnet", "rangeStart", "rangeEnd", "gateway", "ranges", "routes"};
	struct cni_ipam out = {0};
	const char *type = NULL, *key;
	json_t *val, *ranges, *routes;
	int r;

	if (!ipam) {
		*ret = out;
		return 0;
	}
	if (!json_is_object(ipam))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'ipam' must be an object");
	r = str_field(ipam, "type", "ipam", &type, ce);
	if (r < 0)
		return r;
	if (type && *type && strcmp(type, IPAM_TYPE_BUILTIN) != 0) {
		/* Another plugin's keys are its business: it validates them when we hand it the config. */
		if (strchr(type, '/') || strcmp(type, ".") == 0 || strcmp(type, "..") == 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"'ipam.type' is \"%s\": a plugin name, not a path", type);
		out.delegated = true;
		out.type = type;
		*ret = out;
		return 0;
	}

	json_object_foreach ((json_t *)ipam, key, val) {
		bool known = false;
		_cleanup_free_ char *v = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (known)
			continue;
		v = bjson_dump(val);
		return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
				"unsupported key 'ipam.%s' = %.64s for the built-in IPAM (it reads ranges, subnet, "
				"rangeStart, rangeEnd, gateway, routes)",
				key, v ? v : "?");
	}

	ranges = json_object_get(ipam, "ranges");
	if (ranges && !json_is_null(ranges)) {
		if (json_object_get(ipam, "subnet"))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"'ipam' has both 'ranges' and 'subnet': use one of them");
		r = parse_ranges(ranges, &out, ce);
	} else if (json_object_get(ipam, "subnet")) {
		/* The keys were checked above: "type" and "routes" sit beside the range's here. */
		r = parse_range(ipam, "ipam", false, &out, ce);
	} else {
		r = 0;
		if (json_object_get(ipam, "rangeStart") || json_object_get(ipam, "rangeEnd") ||
		    json_object_get(ipam, "gateway"))
			r = cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				     "'ipam' sets rangeStart, rangeEnd or gateway without 'subnet'");
	}
	if (r < 0)
		goto fail;
	routes = json_object_get(ipam, "routes");
	if (routes && !json_is_null(routes)) {
		r = parse_routes(routes, &out, ce);
		if (r < 0)
			goto fail;
		for (size_t i = 0; i < out.n_routes; i++) {
			const struct cni_route *rt = &out.routes[i];

			if ((rt->gw && out.has_range && !baddr_in4(&out.subnet, rt->gw)) ||
			    (!baddr_zero6(&rt->gw6) && out.has_range6 && !baddr_in6(&out.subnet6, &rt->gw6))) {
				r = cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					     "'ipam.routes[%zu].gw' is not inside the subnet", i);
				goto fail;
			}
		}
	}
	*ret = out;
	return 0;
fail:
	cni_ipam_free(&out);
	return r;
}

void cni_ipam_free(struct cni_ipam *ipam)
{
	free(ipam->routes);
	ipam->routes = NULL;
	ipam->n_routes = 0;
}
