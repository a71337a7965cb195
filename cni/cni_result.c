/* berth-cni: CNI results, parsed from any version into one shape and rendered for a version. */
#include "cni/cni_result.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "jsonutil.h"

/* Bounds for the 1.1.0 numeric fields: they are u32 in the kernel and in libcni. */
#define U32_MAX_JSON 4294967295LL

/* A malformed result or prevResult: the given code, -EINVAL. */
#define bad(ce, code, ...) cni_fail(ce, code, -EINVAL, __VA_ARGS__)

/* 4 or 6 when s is an address of that family, 0 otherwise. */
static int ip_family(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return 6;
	return 0;
}

/* 4 or 6 when s is a CIDR of that family (host bits allowed), 0 otherwise. */
static int cidr_family(const char *s)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	uint64_t prefix;
	int fam;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return 0;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	fam = ip_family(buf);
	if (!fam || bparse_u64(slash + 1, 0, fam == 4 ? 32 : 128, &prefix) < 0)
		return 0;
	return fam;
}

json_t *cni_result_new(void)
{
	json_t *o = json_pack("{s:[], s:[], s:[], s:{}}", "interfaces", "ips", "routes", "dns");

	return o;
}

static int opt_str(const json_t *o, const char *key, const char *where, unsigned code, json_t *out, struct cni_err *ce)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(ce, code, "'%s.%s' must be a string", where, key);
	if (json_string_length(v) == 0)
		return 0;
	return bjson_set(out, key, json_string(json_string_value(v)));
}

static int opt_u32(const json_t *o, const char *key, const char *where, unsigned code, json_t *out, struct cni_err *ce)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > U32_MAX_JSON)
		return bad(ce, code, "'%s.%s' must be an integer between 0 and 4294967295", where, key);
	if (json_integer_value(v) == 0)
		return 0;
	return bjson_set(out, key, json_integer(json_integer_value(v)));
}

static int parse_iface(const json_t *in, const char *where, unsigned code, json_t *out_list, struct cni_err *ce)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *name = json_object_get(in, "name");
	int r;

	if (!o)
		return -ENOMEM;
	if (!json_is_object(in))
		return bad(ce, code, "'%s' must be an object", where);
	if (!json_is_string(name) || json_string_length(name) == 0)
		return bad(ce, code, "'%s.name' must be a non-empty string", where);
	r = bjson_set(o, "name", json_string(json_string_value(name)));
	if (r >= 0)
		r = opt_str(in, "mac", where, code, o, ce);
	if (r >= 0)
		r = opt_u32(in, "mtu", where, code, o, ce);
	if (r >= 0)
		r = opt_str(in, "sandbox", where, code, o, ce);
	if (r >= 0)
		r = opt_str(in, "socketPath", where, code, o, ce);
	if (r >= 0)
		r = opt_str(in, "pciID", where, code, o, ce);
	if (r < 0)
		return r;
	return json_array_append(out_list, o) < 0 ? -ENOMEM : 0;
}

static int parse_ip(const json_t *in, const char *where, unsigned code, size_t n_ifaces, json_t *out_list,
		    struct cni_err *ce)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *addr = json_object_get(in, "address");
	json_t *gw = json_object_get(in, "gateway");
	json_t *ifc = json_object_get(in, "interface");
	json_t *ver = json_object_get(in, "version");
	int fam;

	if (!o)
		return -ENOMEM;
	if (!json_is_object(in))
		return bad(ce, code, "'%s' must be an object", where);
	if (!json_is_string(addr) || !(fam = cidr_family(json_string_value(addr))))
		return bad(ce, code, "'%s.address' must be an address with a prefix (\"10.1.2.3/24\")", where);
	if (ver && !json_is_null(ver)) {
		/* 0.3.x/0.4.0 carry it; it must agree with the address. */
		if (!json_is_string(ver) ||
		    (strcmp(json_string_value(ver), "4") && strcmp(json_string_value(ver), "6")))
			return bad(ce, code, "'%s.version' must be \"4\" or \"6\"", where);
		if (json_string_value(ver)[0] - '0' != fam)
			return bad(ce, code, "'%s.version' is \"%s\" but the address is IPv%d", where,
				   json_string_value(ver), fam);
	}
	if (bjson_set(o, "address", json_string(json_string_value(addr))) < 0)
		return -ENOMEM;
	if (gw && !json_is_null(gw)) {
		if (!json_is_string(gw) || ip_family(json_string_value(gw)) != fam)
			return bad(ce, code, "'%s.gateway' must be an IPv%d address", where, fam);
		if (bjson_set(o, "gateway", json_string(json_string_value(gw))) < 0)
			return -ENOMEM;
	}
	if (ifc && !json_is_null(ifc)) {
		if (!json_is_integer(ifc) || json_integer_value(ifc) < 0 ||
		    (json_int_t)n_ifaces <= json_integer_value(ifc))
			return bad(ce, code, "'%s.interface' must index the interfaces list (0 to %zd)", where,
				   (ssize_t)n_ifaces - 1);
		if (bjson_set(o, "interface", json_integer(json_integer_value(ifc))) < 0)
			return -ENOMEM;
	}
	return json_array_append(out_list, o) < 0 ? -ENOMEM : 0;
}

static int parse_route(const json_t *in, const char *where, unsigned code, json_t *out_list, struct cni_err *ce)
{
	static const char *const nums[] = {"mtu", "advmss", "priority", "table", "scope"};
	_cleanup_json_ json_t *o = json_object();
	json_t *dst = json_object_get(in, "dst");
	json_t *gw = json_object_get(in, "gw");
	int r;

	if (!o)
		return -ENOMEM;
	if (!json_is_object(in))
		return bad(ce, code, "'%s' must be an object", where);
	if (!json_is_string(dst) || !cidr_family(json_string_value(dst)))
		return bad(ce, code, "'%s.dst' must be a prefix (\"0.0.0.0/0\")", where);
	if (bjson_set(o, "dst", json_string(json_string_value(dst))) < 0)
		return -ENOMEM;
	if (gw && !json_is_null(gw) && !(json_is_string(gw) && json_string_length(gw) == 0)) {
		if (!json_is_string(gw) || !ip_family(json_string_value(gw)))
			return bad(ce, code, "'%s.gw' must be an IP address", where);
		if (bjson_set(o, "gw", json_string(json_string_value(gw))) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		r = opt_u32(in, nums[i], where, code, o, ce);
		if (r < 0)
			return r;
	}
	return json_array_append(out_list, o) < 0 ? -ENOMEM : 0;
}

static int str_list(const json_t *in, const char *key, const char *where, unsigned code, json_t *out,
		    struct cni_err *ce)
{
	json_t *v = json_object_get(in, key), *item, *copy;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(ce, code, "'%s.%s' must be a list of strings", where, key);
	if (json_array_size(v) == 0)
		return 0;
	copy = json_array();
	if (!copy || bjson_set(out, key, copy) < 0)
		return -ENOMEM;
	json_array_foreach (v, i, item) {
		if (!json_is_string(item))
			return bad(ce, code, "'%s.%s[%zu]' must be a string", where, key, i);
		if (json_array_append_new(copy, json_string(json_string_value(item))) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_dns(const json_t *in, const char *where, unsigned code, json_t *out, struct cni_err *ce)
{
	int r;

	if (!json_is_object(in))
		return bad(ce, code, "'%s' must be an object", where);
	r = str_list(in, "nameservers", where, code, out, ce);
	if (r >= 0)
		r = opt_str(in, "domain", where, code, out, ce);
	if (r >= 0)
		r = str_list(in, "search", where, code, out, ce);
	if (r >= 0)
		r = str_list(in, "options", where, code, out, ce);
	return r;
}

/* 0.1.0 / 0.2.0: {"ip4": {"ip", "gateway", "routes"}, "ip6": {...}, "dns"}. */
static int parse_legacy_ip(const json_t *in, const char *key, const char *where, unsigned code, json_t *res,
			   struct cni_err *ce)
{
	json_t *ipc = json_object_get(in, key), *ip, *routes, *route;
	_cleanup_json_ json_t *shim = NULL;
	char w[256];
	size_t i;
	int r;

	if (!ipc || json_is_null(ipc))
		return 0;
	snprintf(w, sizeof(w), "%s.%s", where, key);
	if (!json_is_object(ipc))
		return bad(ce, code, "'%s' must be an object", w);
	ip = json_object_get(ipc, "ip");
	shim = json_object();
	if (!shim)
		return -ENOMEM;
	if (ip && bjson_set(shim, "address", json_incref(ip)) < 0)
		return -ENOMEM;
	if (json_object_get(ipc, "gateway") &&
	    bjson_set(shim, "gateway", json_incref(json_object_get(ipc, "gateway"))) < 0)
		return -ENOMEM;
	r = parse_ip(shim, w, code, 0, json_object_get(res, "ips"), ce);
	if (r < 0)
		return r;
	routes = json_object_get(ipc, "routes");
	if (routes && !json_is_null(routes)) {
		if (!json_is_array(routes))
			return bad(ce, code, "'%s.routes' must be a list", w);
		json_array_foreach (routes, i, route) {
			char rw[300];

			snprintf(rw, sizeof(rw), "%s.routes[%zu]", w, i);
			r = parse_route(route, rw, code, json_object_get(res, "routes"), ce);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The interfaces, ips and routes lists of a result (the 0.3.0 and later shape). */
static int parse_lists(const json_t *in, const char *where, unsigned code, json_t *res, struct cni_err *ce)
{
	json_t *list, *item;
	char w[256];
	size_t i, n_ifaces = 0;
	int r;

	list = json_object_get(in, "interfaces");
	if (list && !json_is_null(list)) {
		if (!json_is_array(list))
			return bad(ce, code, "'%s.interfaces' must be a list", where);
		json_array_foreach (list, i, item) {
			snprintf(w, sizeof(w), "%s.interfaces[%zu]", where, i);
			r = parse_iface(item, w, code, json_object_get(res, "interfaces"), ce);
			if (r < 0)
				return r;
		}
		n_ifaces = json_array_size(list);
	}
	list = json_object_get(in, "ips");
	if (list && !json_is_null(list)) {
		if (!json_is_array(list))
			return bad(ce, code, "'%s.ips' must be a list", where);
		json_array_foreach (list, i, item) {
			snprintf(w, sizeof(w), "%s.ips[%zu]", where, i);
			r = parse_ip(item, w, code, n_ifaces, json_object_get(res, "ips"), ce);
			if (r < 0)
				return r;
		}
	}
	list = json_object_get(in, "routes");
	if (list && !json_is_null(list)) {
		if (!json_is_array(list))
			return bad(ce, code, "'%s.routes' must be a list", where);
		json_array_foreach (list, i, item) {
			snprintf(w, sizeof(w), "%s.routes[%zu]", where, i);
			r = parse_route(item, w, code, json_object_get(res, "routes"), ce);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int cni_result_parse(const json_t *in, const char *where, unsigned code, json_t **ret, struct cni_err *ce)
{
	_cleanup_json_ json_t *res = cni_result_new();
	json_t *dns;
	char w[256];
	int r;

	if (!res)
		return -ENOMEM;
	if (!json_is_object(in))
		return bad(ce, code, "'%s' must be an object", where);

	if (!json_object_get(in, "ips") && (json_object_get(in, "ip4") || json_object_get(in, "ip6"))) {
		r = parse_legacy_ip(in, "ip4", where, code, res, ce);
		if (r >= 0)
			r = parse_legacy_ip(in, "ip6", where, code, res, ce);
	} else {
		r = parse_lists(in, where, code, res, ce);
	}
	if (r < 0)
		return r;
	dns = json_object_get(in, "dns");
	if (dns && !json_is_null(dns)) {
		snprintf(w, sizeof(w), "%s.dns", where);
		r = parse_dns(dns, w, code, json_object_get(res, "dns"), ce);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(res);
	return 0;
}

int cni_result_add_iface(json_t *res, const char *name, const char *mac, const char *sandbox, unsigned mtu,
			 int *ret_index)
{
	json_t *list = json_object_get(res, "interfaces");
	_cleanup_json_ json_t *o = json_object();

	if (!o || bjson_set(o, "name", json_string(name)) < 0)
		return -ENOMEM;
	if (mac && *mac && bjson_set(o, "mac", json_string(mac)) < 0)
		return -ENOMEM;
	if (mtu && bjson_set(o, "mtu", json_integer(mtu)) < 0)
		return -ENOMEM;
	if (sandbox && *sandbox && bjson_set(o, "sandbox", json_string(sandbox)) < 0)
		return -ENOMEM;
	if (json_array_append(list, o) < 0)
		return -ENOMEM;
	if (ret_index)
		*ret_index = (int)json_array_size(list) - 1;
	return 0;
}

int cni_result_add_ip(json_t *res, const char *cidr, const char *gateway, int iface)
{
	_cleanup_json_ json_t *o = json_object();

	if (!o || bjson_set(o, "address", json_string(cidr)) < 0)
		return -ENOMEM;
	if (gateway && *gateway && bjson_set(o, "gateway", json_string(gateway)) < 0)
		return -ENOMEM;
	if (iface >= 0 && bjson_set(o, "interface", json_integer(iface)) < 0)
		return -ENOMEM;
	return json_array_append(json_object_get(res, "ips"), o) < 0 ? -ENOMEM : 0;
}

int cni_result_add_route(json_t *res, const char *dst, const char *gw)
{
	_cleanup_json_ json_t *o = json_object();

	if (!o || bjson_set(o, "dst", json_string(dst)) < 0)
		return -ENOMEM;
	if (gw && *gw && bjson_set(o, "gw", json_string(gw)) < 0)
		return -ENOMEM;
	return json_array_append(json_object_get(res, "routes"), o) < 0 ? -ENOMEM : 0;
}

int cni_result_merge_ipam(json_t *res, const json_t *ipam, int iface)
{
	json_t *item;
	size_t i;

	json_array_foreach (json_object_get(ipam, "ips"), i, item) {
		_cleanup_json_ json_t *copy = json_deep_copy(item);

		if (!copy)
			return -ENOMEM;
		if (iface >= 0 && bjson_set(copy, "interface", json_integer(iface)) < 0)
			return -ENOMEM;
		if (json_array_append(json_object_get(res, "ips"), copy) < 0)
			return -ENOMEM;
	}
	json_array_foreach (json_object_get(ipam, "routes"), i, item) {
		if (json_array_append_new(json_object_get(res, "routes"), json_deep_copy(item)) < 0)
			return -ENOMEM;
	}
	if (json_object_size(json_object_get(res, "dns")) == 0 && json_object_size(json_object_get(ipam, "dns")) > 0)
		return bjson_set(res, "dns", json_deep_copy(json_object_get(ipam, "dns")));
	return 0;
}

int cni_dns_parse(const json_t *in, const char *where, unsigned code, json_t **ret, struct cni_err *ce)
{
	_cleanup_json_ json_t *clean = json_object();
	int r;

	if (!clean)
		return -ENOMEM;
	r = parse_dns(in, where, code, clean, ce);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(clean);
	return 0;
}

int cni_result_set_dns(json_t *res, const json_t *dns)
{
	if (!dns || json_object_size(dns) == 0)
		return 0;
	return bjson_set(res, "dns", json_deep_copy(dns));
}

static json_t *filter(const json_t *o, const char *const *keys, size_t n)
{
	json_t *out = json_object();

	for (size_t i = 0; out && i < n; i++) {
		json_t *v = json_object_get(o, keys[i]);

		if (v && json_object_set(out, keys[i], v) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

int cni_result_render(const json_t *res, enum cni_version v, json_t **ret)
{
	static const char *const iface_old[] = {"name", "mac", "sandbox"};
	static const char *const iface_new[] = {"name", "mac", "mtu", "sandbox", "socketPath", "pciID"};
	static const char *const route_old[] = {"dst", "gw"};
	static const char *const route_new[] = {"dst", "gw", "mtu", "advmss", "priority", "table", "scope"};
	bool v11 = cni_version_has_v11_fields(v);
	_cleanup_json_ json_t *out = json_object();
	json_t *ifaces, *ips, *routes, *item;
	size_t i;

	/* bjson_set takes the new list even when it fails: nothing to free here. */
	if (!out || bjson_set(out, "cniVersion", json_string(cni_version_str(v))) < 0 ||
	    bjson_set(out, "interfaces", json_array()) < 0 || bjson_set(out, "ips", json_array()) < 0 ||
	    bjson_set(out, "routes", json_array()) < 0)
		return -ENOMEM;
	ifaces = json_object_get(out, "interfaces");
	ips = json_object_get(out, "ips");
	routes = json_object_get(out, "routes");
	json_array_foreach (json_object_get(res, "interfaces"), i, item) {
		if (json_array_append_new(ifaces, v11 ? filter(item, iface_new, ARRAY_SIZE(iface_new))
						      : filter(item, iface_old, ARRAY_SIZE(iface_old))) < 0)
			return -ENOMEM;
	}
	json_array_foreach (json_object_get(res, "ips"), i, item) {
		json_t *o = json_object();

		if (!o || json_array_append_new(ips, o) < 0)
			return -ENOMEM;
		if (cni_version_has_ip_version(v)) {
			const char *a = json_string_value(json_object_get(item, "address"));

			if (bjson_set(o, "version", json_string(a && strchr(a, ':') ? "6" : "4")) < 0)
				return -ENOMEM;
		}
		if (json_object_update(o, item) < 0)
			return -ENOMEM;
	}
	json_array_foreach (json_object_get(res, "routes"), i, item) {
		if (json_array_append_new(routes, v11 ? filter(item, route_new, ARRAY_SIZE(route_new))
						      : filter(item, route_old, ARRAY_SIZE(route_old))) < 0)
			return -ENOMEM;
	}
	/* Go's libcni omits empty lists; keep the output the same so byte-wise comparisons with it hold. */
	if (json_array_size(ifaces) == 0)
		json_object_del(out, "interfaces");
	if (json_array_size(routes) == 0)
		json_object_del(out, "routes");
	if (json_array_size(ips) == 0)
		json_object_del(out, "ips");
	item = json_object_get(res, "dns");
	if (bjson_set(out, "dns", item ? json_deep_copy(item) : json_object()) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	return 0;
}
