/* berth-cni: the network configuration from stdin, validated whole before anything is touched. */
#include "cni/cni_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "cni/cni_addr.h"
#include "cni/cni_result.h"
#include "jsonutil.h"
#include "netd/engine/engine.h"
#include "strv.h"

/* Every top-level key berth-cni reads or tolerates; anything else is code 2. */
static const char *const top_keys[] = {
	"cniVersion",
	"name",
	"type",
	"bridge",
	"isGateway",
	"isDefaultGateway",
	"ipMasq",
	"mtu",
	"hairpinMode",
	"promiscMode",
	"dataDir",
	"ipam",
	"dns",
	"runtimeConfig",
	"args",
	"prevResult",
	"capabilities",
	"cni.dev/valid-attachments",
	"cni.dev/attachments",
};

static int invalid(struct cni_err *ce, int r)
{
	return cni_classify(ce, CNI_ERR_INVALID_CONFIG, r);
}

static int get_bool(const json_t *o, const char *key, bool *ret, struct cni_err *ce)
{
	int r = bjson_get_bool(o, key, NULL, ret, &ce->e);

	return r < 0 ? invalid(ce, r) : r;
}

const char *cni_conf_peek_version(const json_t *doc)
{
	json_t *v = json_object_get(doc, "cniVersion");

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int check_top_keys(const json_t *doc, struct cni_err *ce)
{
	const char *key;
	json_t *val;

	if (json_object_get(doc, "plugins"))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"stdin holds a network configuration list ('plugins'): a runtime passes one plugin's "
				"configuration at a time");
	json_object_foreach ((json_t *)doc, key, val) {
		bool known = false;
		_cleanup_free_ char *v = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(top_keys) && !known; i++)
			known = strcmp(key, top_keys[i]) == 0;
		if (known)
			continue;
		v = bjson_dump(val);
		return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
				"unsupported field '%s' = %.64s (docs/cni.md lists the keys berth-cni reads)", key,
				v ? v : "?");
	}
	return 0;
}

/* Two mappings of one port collide in a family they share: the same address, or either on every address. */
static bool portmaps_collide(const struct cni_portmap *a, const struct cni_portmap *b)
{
	bool any_a = a->host_v6 ? baddr_zero6(&a->host_ip6) : !a->host_ip;
	bool any_b = b->host_v6 ? baddr_zero6(&b->host_ip6) : !b->host_ip;

	/* no hostIP is both families */
	if (a->host_v6 != b->host_v6)
		return (!a->host_v6 && !a->host_ip) || (!b->host_v6 && !b->host_ip);
	if (any_a || any_b)
		return true;
	return a->host_v6 ? baddr_eq6(&a->host_ip6, &b->host_ip6) : a->host_ip == b->host_ip;
}

static int parse_ports(const json_t *list, struct cni_conf *c, struct cni_err *ce)
{
	static const char *const allowed[] = {"hostPort", "containerPort", "protocol", "hostIP", NULL};
	json_t *item;
	size_t i;

	if (!json_is_array(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'runtimeConfig.portMappings' must be a list");
	if (json_array_size(list) > CNI_MAX_PORTS)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -E2BIG,
				"'runtimeConfig.portMappings' has more than %d entries", CNI_MAX_PORTS);
	c->ports = calloc(json_array_size(list) + 1, sizeof(*c->ports));
	if (!c->ports)
		return cni_oom(ce);
	json_array_foreach (list, i, item) {
		struct cni_portmap *p = &c->ports[c->n_ports];
		const char *proto = NULL, *host_ip = NULL;
		int64_t hp = 0, cp = 0;
		char w[64];
		int r;

		snprintf(w, sizeof(w), "runtimeConfig.portMappings[%zu]", i);
		if (!json_is_object(item))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be an object", w);
		r = bjson_check_keys(item, allowed, w, &ce->e);
		if (r < 0)
			return cni_classify(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP);
		r = bjson_get_int(item, "hostPort", w, 1, 65535, &hp, &ce->e);
		if (r == 0)
			r = berr_set(&ce->e, -EINVAL, "missing required key '%s.hostPort'", w);
		if (r < 0)
			return invalid(ce, r);
		r = bjson_get_int(item, "containerPort", w, 1, 65535, &cp, &ce->e);
		if (r == 0)
			r = berr_set(&ce->e, -EINVAL, "missing required key '%s.containerPort'", w);
		if (r < 0)
			return invalid(ce, r);
		r = bjson_get_str(item, "protocol", w, &proto, &ce->e);
		if (r < 0)
			return invalid(ce, r);
		p->proto = BPROTO_TCP;
		if (proto && *proto) {
			if (strcasecmp(proto, "tcp") == 0)
				p->proto = BPROTO_TCP;
			else if (strcasecmp(proto, "udp") == 0)
				p->proto = BPROTO_UDP;
			else
				return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
						"'%s.protocol' is \"%.16s\": berth-cni publishes tcp and udp", w,
						proto);
		}
		r = bjson_get_str(item, "hostIP", w, &host_ip, &ce->e);
		if (r < 0)
			return invalid(ce, r);
		if (host_ip && *host_ip) {
			char hw[80];
			uint8_t prefix;

			snprintf(hw, sizeof(hw), "%s.hostIP", w);
			p->host_v6 = cni_is_ipv6(host_ip);
			r = p->host_v6 ? cni_ip6_parse(host_ip, hw, &p->host_ip6, &prefix, ce)
				       : cni_ip4_parse(host_ip, hw, &p->host_ip, &prefix, ce);
			if (r < 0)
				return r;
			if (prefix != (p->host_v6 ? 128 : 32))
				return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be an address", hw);
		}
		p->host_port = (uint16_t)hp;
		p->container_port = (uint16_t)cp;
		for (size_t j = 0; j < c->n_ports; j++) {
			const struct cni_portmap *q = &c->ports[j];

			if (q->host_port == p->host_port && q->proto == p->proto && portmaps_collide(q, p))
				return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
						"'%s' publishes host port %u/%s twice", w, p->host_port,
						bproto_name(p->proto));
		}
		c->n_ports++;
	}
	return 0;
}

/* Requested addresses from runtimeConfig.ips, args.cni.ips and CNI_ARGS IP must agree (one per family). */
static int want_ip(struct cni_conf *c, const char *s, const char *where, struct cni_err *ce)
{
	uint32_t ip;
	int r;

	if (cni_is_ipv6(s)) {
		struct in6_addr ip6;

		r = cni_ip6_parse(s, where, &ip6, NULL, ce);
		if (r < 0)
			return r;
		if (c->has_ip6 && !baddr_eq6(&c->ip6, &ip6))
			return cni_fail(
				ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\", but another source (CNI_ARGS IP, runtimeConfig.ips, args.cni.ips) "
				"asks for a different IPv6 address",
				where, s);
		c->ip6 = ip6;
		c->has_ip6 = true;
		return 0;
	}
	r = cni_ip4_parse(s, where, &ip, NULL, ce);
	if (r < 0)
		return r;
	if (c->has_ip && c->ip != ip)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\", but another source (CNI_ARGS IP, runtimeConfig.ips, args.cni.ips) "
				"asks for a different address",
				where, s);
	c->ip = ip;
	c->has_ip = true;
	return 0;
}

static int parse_ip_list(const json_t *list, const char *where, struct cni_conf *c, struct cni_err *ce)
{
	json_t *item;
	size_t i;

	if (!json_is_array(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be a list of addresses", where);
	json_array_foreach (list, i, item) {
		char w[64];
		int r;

		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (!json_is_string(item))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be a string", w);
		r = want_ip(c, json_string_value(item), w, ce);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_mac(const json_t *o, const char *key, const char *where, struct cni_conf *c, struct cni_err *ce)
{
	const char *s = NULL;
	char w[64];
	int r = bjson_get_str(o, key, where, &s, &ce->e);

	if (r <= 0)
		return r < 0 ? invalid(ce, r) : 0;
	snprintf(w, sizeof(w), "%s.%s", where, key);
	r = cni_mac_parse(s, w, c->mac, ce);
	if (r < 0)
		return r;
	c->has_mac = true;
	return 0;
}

/*
 * runtimeConfig.aliases as podman passed them to CNI DNS plugins: an
 * object of network name -> names (this network's are taken), or a list.
 */
static int parse_aliases(const json_t *v, struct cni_conf *c, struct cni_err *ce)
{
	json_t *list = json_is_object(v) ? json_object_get(v, c->name) : (json_t *)v, *a;
	size_t i;

	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'runtimeConfig.aliases' must map network names to lists of names, or be a list");
	if (json_array_size(list) > ENG_MAX_ALIASES)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -E2BIG, "'runtimeConfig.aliases' has more than %d names",
				ENG_MAX_ALIASES);
	c->aliases = calloc(json_array_size(list) + 1, sizeof(*c->aliases));
	if (!c->aliases)
		return cni_oom(ce);
	json_array_foreach (list, i, a) {
		const char *s = json_string_value(a);

		if (!s || !bdns_name_valid(s))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"'runtimeConfig.aliases' of %s: \"%.64s\" is not a DNS name", c->name,
					s ? s : "?");
		if (!(c->aliases[c->n_aliases] = strdup(s)))
			return cni_oom(ce);
		c->n_aliases++;
	}
	return 0;
}

static int parse_runtime(const json_t *doc, const struct cni_env *env, struct cni_conf *c, struct cni_err *ce)
{
	json_t *rc = NULL, *args = NULL, *cniargs = NULL, *v;
	int r;

	/* Lowest precedence first: CNI_ARGS, then args.cni, then runtimeConfig. */
	if (env->args.has_ip) {
		c->has_ip = true;
		c->ip = env->args.ip;
	}
	if (env->args.has_ip6) {
		c->has_ip6 = true;
		c->ip6 = env->args.ip6;
	}
	if (env->args.has_mac) {
		c->has_mac = true;
		memcpy(c->mac, env->args.mac, 6);
	}
	if (env->args.pod_name[0]) {
		if (!bdns_name_valid(env->args.pod_name))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"CNI_ARGS K8S_POD_NAME \"%s\" is not a DNS name", env->args.pod_name);
		if (!(c->dns_name = strdup(env->args.pod_name)))
			return cni_oom(ce);
	}

	r = bjson_get_obj(doc, "args", NULL, &args, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (args) {
		r = bjson_get_obj(args, "cni", "args", &cniargs, &ce->e);
		if (r < 0)
			return invalid(ce, r);
	}
	if (cniargs) {
		v = json_object_get(cniargs, "ips");
		if (v && !json_is_null(v)) {
			r = parse_ip_list(v, "args.cni.ips", c, ce);
			if (r < 0)
				return r;
		}
		r = parse_mac(cniargs, "mac", "args.cni", c, ce);
		if (r < 0)
			return r;
	}

	r = bjson_get_obj(doc, "runtimeConfig", NULL, &rc, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (!rc)
		return 0;
	/* Other capabilities are requested by the config's own "capabilities" and may serve a delegate: ignored. */
	v = json_object_get(rc, "portMappings");
	if (v && !json_is_null(v)) {
		r = parse_ports(v, c, ce);
		if (r < 0)
			return r;
	}
	v = json_object_get(rc, "ips");
	if (v && !json_is_null(v)) {
		r = parse_ip_list(v, "runtimeConfig.ips", c, ce);
		if (r < 0)
			return r;
	}
	v = json_object_get(rc, "aliases");
	if (v && !json_is_null(v)) {
		r = parse_aliases(v, c, ce);
		if (r < 0)
			return r;
	}
	return parse_mac(rc, "mac", "runtimeConfig", c, ce);
}

static int parse_attachments(const json_t *doc, const char *key, struct cni_conf *c, struct cni_err *ce)
{
	json_t *list = json_object_get(doc, key), *item;
	size_t i;

	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be a list of {containerID, ifname}",
				key);
	if (c->n_valid + json_array_size(list) > CNI_MAX_ATTACHMENTS)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -E2BIG, "'%s' has more than %d entries", key,
				CNI_MAX_ATTACHMENTS);
	if (BARRAY_RESERVE(c->valid, c->valid_cap, c->n_valid + json_array_size(list)) < 0)
		return cni_oom(ce);
	c->has_valid = true;
	json_array_foreach (list, i, item) {
		const char *id = NULL, *ifname = NULL;
		char w[64];
		int r;

		snprintf(w, sizeof(w), "%s[%zu]", key, i);
		if (!json_is_object(item))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' must be an object", w);
		r = bjson_req_str(item, "containerID", w, &id, &ce->e);
		if (r >= 0)
			r = bjson_req_str(item, "ifname", w, &ifname, &ce->e);
		if (r < 0)
			return invalid(ce, r);
		c->valid[c->n_valid].container_id = id;
		c->valid[c->n_valid].ifname = ifname;
		c->n_valid++;
	}
	return 0;
}

static int parse_doc(const json_t *doc, const struct cni_env *env, struct cni_conf *c, struct cni_err *ce)
{
	const char *version = NULL, *bridge = NULL, *data_dir = NULL;
	json_t *ipam = NULL, *dns = NULL, *prev;
	int64_t mtu = 0;
	int r;

	if (!json_is_object(doc))
		return cni_fail(ce, CNI_ERR_DECODE, -EINVAL, "stdin must be a JSON object (the network configuration)");

	/* The version comes first: it decides how everything else is read. */
	r = bjson_get_str(doc, "cniVersion", NULL, &version, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (r == 0 || !*version)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "missing required key 'cniVersion'");
	r = cni_version_parse(version, "cniVersion", &c->version, ce);
	if (r < 0)
		return r;

	r = check_top_keys(doc, ce);
	if (r < 0)
		return r;
	r = bjson_req_str(doc, "name", NULL, &c->name, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (!bname_valid(c->name, CNI_NAME_MAX))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'name' is \"%.80s\": it must start with a letter or digit, hold only letters, digits, "
				"'_', '.' and '-', and be at most %d bytes",
				c->name, CNI_NAME_MAX);
	r = bjson_req_str(doc, "type", NULL, &c->type, &ce->e);
	if (r < 0)
		return invalid(ce, r);

	r = bjson_get_str(doc, "bridge", NULL, &bridge, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (!bridge || !*bridge)
		bridge = CNI_DEFAULT_BRIDGE;
	if (!bifname_valid(bridge))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'bridge' is \"%.32s\", not an interface name",
				bridge);
	snprintf(c->bridge, sizeof(c->bridge), "%s", bridge);

	if ((r = get_bool(doc, "isGateway", &c->is_gateway, ce)) < 0 ||
	    (r = get_bool(doc, "isDefaultGateway", &c->is_default_gw, ce)) < 0 ||
	    (r = get_bool(doc, "ipMasq", &c->ip_masq, ce)) < 0 ||
	    (r = get_bool(doc, "hairpinMode", &c->hairpin, ce)) < 0 ||
	    (r = get_bool(doc, "promiscMode", &c->promisc, ce)) < 0)
		return r;
	/* As in the reference bridge plugin: a default gateway must be a gateway. */
	if (c->is_default_gw)
		c->is_gateway = true;

	r = bjson_get_int(doc, "mtu", NULL, 0, 65535, &mtu, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (mtu != 0 && mtu < 68)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'mtu' is %lld, must be 0 (default) or 68..65535",
				(long long)mtu);
	c->mtu = (unsigned)mtu;

	r = bjson_get_str(doc, "dataDir", NULL, &data_dir, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (data_dir && *data_dir && data_dir[0] != '/')
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'dataDir' is \"%.128s\": an absolute path",
				data_dir);
	if (!data_dir || !*data_dir)
		data_dir = env->state_dir ? env->state_dir : CNI_DEFAULT_STATE_DIR;
	c->data_dir = strdup(data_dir);
	if (!c->data_dir)
		return cni_oom(ce);

	r = bjson_get_obj(doc, "ipam", NULL, &ipam, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	r = cni_ipam_parse(ipam, &c->ipam, ce);
	if (r < 0)
		return r;

	r = bjson_get_obj(doc, "dns", NULL, &dns, &ce->e);
	if (r < 0)
		return invalid(ce, r);
	if (dns)
		r = cni_dns_parse(dns, "dns", CNI_ERR_INVALID_CONFIG, &c->dns, ce);
	else
		c->dns = json_object();
	if (r < 0)
		return r;
	if (!c->dns)
		return cni_oom(ce);

	r = parse_runtime(doc, env, c, ce);
	if (r < 0)
		return r;
	if (c->has_ip && c->ipam.has_range && !c->ipam.delegated &&
	    (c->ip < c->ipam.range_start || c->ip > c->ipam.range_end || c->ip == c->ipam.gateway)) {
		char a[INET_ADDRSTRLEN];

		return cni_fail(ce, CNI_ERR_ADDRESS, -EADDRNOTAVAIL,
				"requested address %s is outside the allocation range or is the gateway",
				baddr_fmt4(c->ip, a));
	}
	/* network byte order: memcmp orders IPv6 addresses as numbers */
	if (c->has_ip6 && c->ipam.has_range6 && !c->ipam.delegated &&
	    (memcmp(&c->ip6, &c->ipam.range6_start, 16) < 0 || memcmp(&c->ip6, &c->ipam.range6_end, 16) > 0 ||
	     baddr_eq6(&c->ip6, &c->ipam.gateway6))) {
		char a[INET6_ADDRSTRLEN];

		return cni_fail(ce, CNI_ERR_ADDRESS, -EADDRNOTAVAIL,
				"requested address %s is outside the allocation range or is the gateway",
				baddr_fmt6(&c->ip6, a));
	}

	prev = json_object_get(doc, "prevResult");
	if (prev && !json_is_null(prev)) {
		r = cni_result_parse(prev, "prevResult", CNI_ERR_INVALID_CONFIG, &c->prev_result, ce);
		if (r < 0)
			return r;
	}

	r = parse_attachments(doc, "cni.dev/valid-attachments", c, ce);
	if (r >= 0)
		r = parse_attachments(doc, "cni.dev/attachments", c, ce);
	return r;
}

int cni_conf_parse(const char *buf, size_t len, const struct cni_env *env, struct cni_conf *ret, struct cni_err *ce)
{
	struct cni_conf c = {0};
	int r;

	if (len == 0)
		return cni_fail(ce, CNI_ERR_DECODE, -EINVAL, "stdin is empty: the network configuration is missing");
	r = bjson_parse(buf, len, &c.raw, &ce->e);
	if (r < 0)
		return cni_classify(ce, CNI_ERR_DECODE, r);
	r = parse_doc(c.raw, env, &c, ce);
	if (r >= 0) {
		c.raw_text = malloc(len + 1);
		if (!c.raw_text)
			r = cni_oom(ce);
		else {
			memcpy(c.raw_text, buf, len);
			c.raw_text[len] = 0;
			c.raw_len = len;
		}
	}
	if (r < 0) {
		cni_conf_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	cni_ipam_free(&c->ipam);
	free(c->ports);
	free(c->valid);
	free(c->data_dir);
	free(c->dns_name);
	strv_free_n(c->aliases, c->n_aliases);
	json_decref(c->dns);
	json_decref(c->prev_result);
	json_decref(c->raw);
	free(c->raw_text);
	memset(c, 0, sizeof(*c));
}
