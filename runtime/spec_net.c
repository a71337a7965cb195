/* runtime/spec_net.c: the annotations that ask netd for networking. */
/*
 *   berth.network  NAME            one interface, eth0 (with berth.ip, berth.ip6, berth.ports)
 *   berth.networks JSON array      [{"network":N,"ip":A,"ip6":A6,"ifname":I,"ports":[SPEC...],"aliases":[NAME...]}...]
 *   berth.name     NAME            the container's name in netd's DNS, on every network
 *   berth.aliases  NAME,NAME...    more names, on every network
 *
 * Interfaces default to eth0, eth1... in list order. berth.ports, when
 * given with berth.networks, publishes on the first network. An entry's
 * aliases are names on that network only.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "array.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/protocol.h"
#include "runtime/spec.h"
#include "strv.h"

static const char *const att_keys[] = {"network", "ip", "ip6", "ifname", "ports", "aliases", NULL};

void rt_net_attach_free(struct rt_net_attach *nets, size_t n)
{
	for (size_t i = 0; nets && i < n; i++) {
		free(nets[i].network);
		free(nets[i].ip);
		free(nets[i].ip6);
		strv_free(nets[i].ports);
		free(nets[i].name);
		strv_free(nets[i].aliases);
	}
	free(nets);
}

/* Append one canonical port spec to a NULL-terminated vector. */
static int push_port(char ***v, const char *item, const char *where, struct berr *e)
{
	struct bportspec ps;
	struct berr sub = BERR_INIT;
	char canon[96];
	size_t n = strv_len(*v), cap = *v ? n + 1 : 0; /* at least: the capacity is not kept */

	if (bportspec_parse(item, &ps, &sub) < 0)
		return berr_set(e, -EINVAL, "%s: %s", where, berr_message(&sub));
	if (BARRAY_RESERVE(*v, cap, n + 2) < 0)
		return berr_oom(e);
	(*v)[n + 1] = NULL;
	(*v)[n] = strdup(bportspec_fmt(&ps, canon, sizeof(canon)));
	return (*v)[n] ? 0 : berr_oom(e);
}

/* Append a DNS name to a NULL-terminated vector (where names the annotation for the message). */
static int push_name(char ***v, const char *name, const char *where, struct berr *e)
{
	size_t n = strv_len(*v), cap = *v ? n + 1 : 0;

	if (!bdns_name_valid(name))
		return berr_set(e, -EINVAL, "%s: '%s' is not a DNS name (labels of letters, digits, '-', '_')", where,
				name);
	if (n >= NETD_MAX_ALIASES)
		return berr_set(e, -EINVAL, "%s: more than %d names", where, NETD_MAX_ALIASES);
	if (BARRAY_RESERVE(*v, cap, n + 2) < 0)
		return berr_oom(e);
	(*v)[n + 1] = NULL;
	(*v)[n] = strdup(name);
	return (*v)[n] ? 0 : berr_oom(e);
}

/*
 * berth.name and berth.aliases ("a,b") onto every network of the spec,
 * the aliases before an entry's own.
 */
static int parse_names(struct rt_spec *spec, struct berr *e)
{
	const char *name = NULL, *aliases = NULL;
	int r;

	if ((r = bjson_get_str(spec->annotations, "berth.name", "annotations", &name, e)) < 0 ||
	    (r = bjson_get_str(spec->annotations, "berth.aliases", "annotations", &aliases, e)) < 0)
		return r;
	if (name && !bdns_name_valid(name))
		return berr_set(e, -EINVAL, "annotation 'berth.name': '%s' is not a DNS name", name);
	for (size_t i = 0; i < spec->n_nets; i++) {
		struct rt_net_attach *a = &spec->nets[i];
		char **own = TAKE_PTR(a->aliases);

		if (name && !(a->name = strdup(name))) {
			strv_free(own);
			return berr_oom(e);
		}
		for (const char *p = aliases ? aliases : ""; *p;) {
			const char *end = strchrnul(p, ',');
			char item[BDNS_NAME_MAX + 1];

			if (end == p || (size_t)(end - p) >= sizeof(item)) {
				strv_free(own);
				return berr_set(e, -EINVAL, "annotation 'berth.aliases': invalid entry near '%s'", p);
			}
			memcpy(item, p, (size_t)(end - p));
			item[end - p] = '\0';
			if ((r = push_name(&a->aliases, item, "annotation 'berth.aliases'", e)) < 0) {
				strv_free(own);
				return r;
			}
			p = *end ? end + 1 : end;
		}
		for (size_t k = 0; own && own[k]; k++) {
			if ((r = push_name(&a->aliases, own[k], "annotation 'berth.networks' aliases", e)) < 0) {
				strv_free(own);
				return r;
			}
		}
		strv_free(own);
	}
	return 0;
}

/* "8080:80/tcp,5353:53/udp" */
static int parse_port_list(const char *s, const char *where, char ***ret, struct berr *e)
{
	for (const char *p = s; *p;) {
		const char *end = strchrnul(p, ',');
		char item[128];
		int r;

		if ((size_t)(end - p) >= sizeof(item) || end == p)
			return berr_set(e, -EINVAL, "%s: invalid entry near '%s'", where, p);
		memcpy(item, p, (size_t)(end - p));
		item[end - p] = '\0';
		r = push_port(ret, item, where, e);
		if (r < 0)
			return r;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* An address of either family (family 0), or of AF_INET6 only. */
static int check_ip(const char *ip, int family, const char *where, struct berr *e)
{
	int f = baddr_family(ip);

	if (!f || (family && f != family))
		return berr_set(e, -EINVAL, "%s: invalid %saddress '%s'", where, family == AF_INET6 ? "IPv6 " : "IP ",
				ip);
	return 0;
}

static int dup_to(char **dst, const char *s, struct berr *e)
{
	*dst = strdup(s);
	return *dst ? 0 : berr_oom(e);
}

static int parse_single(struct rt_spec *spec, const char *network, struct berr *e)
{
	struct rt_net_attach *a;
	const char *ip = NULL, *ip6 = NULL, *ports = NULL;
	int r;

	if (!bname_valid(network, 64))
		return berr_set(e, -EINVAL, "annotation 'berth.network': invalid network name '%s'", network);
	r = bjson_get_str(spec->annotations, "berth.ip", "annotations", &ip, e);
	if (r < 0)
		return r;
	if (ip && (r = check_ip(ip, 0, "annotation 'berth.ip'", e)) < 0)
		return r;
	r = bjson_get_str(spec->annotations, "berth.ip6", "annotations", &ip6, e);
	if (r < 0)
		return r;
	if (ip6 && (r = check_ip(ip6, AF_INET6, "annotation 'berth.ip6'", e)) < 0)
		return r;
	r = bjson_get_str(spec->annotations, "berth.ports", "annotations", &ports, e);
	if (r < 0)
		return r;
	spec->nets = calloc(1, sizeof(*spec->nets));
	if (!spec->nets)
		return berr_oom(e);
	spec->n_nets = 1;
	a = &spec->nets[0];
	snprintf(a->ifname, sizeof(a->ifname), "eth0");
	if ((r = dup_to(&a->network, network, e)) < 0 || (ip && (r = dup_to(&a->ip, ip, e)) < 0) ||
	    (ip6 && (r = dup_to(&a->ip6, ip6, e)) < 0))
		return r;
	if (ports && *ports)
		return parse_port_list(ports, "annotation 'berth.ports'", &a->ports, e);
	return 0;
}

static int parse_entry(const json_t *j, size_t i, struct rt_net_attach *a, struct berr *e)
{
	char where[64];
	const char *s = NULL;
	json_t *ports;
	int r;

	snprintf(where, sizeof(where), "annotation 'berth.networks'[%zu]", i);
	if (!json_is_object(j))
		return berr_set(e, -EINVAL, "%s must be an object like {\"network\":\"NAME\"}", where);
	r = bjson_check_keys(j, att_keys, where, e);
	if (r < 0)
		return r;
	r = bjson_req_str(j, "network", where, &s, e);
	if (r < 0)
		return r;
	if (!bname_valid(s, 64))
		return berr_set(e, -EINVAL, "%s.network: invalid network name '%s'", where, s);
	if ((r = dup_to(&a->network, s, e)) < 0)
		return r;
	s = NULL;
	r = bjson_get_str(j, "ip", where, &s, e);
	if (r < 0)
		return r;
	if (s) {
		char w[96];

		snprintf(w, sizeof(w), "%s.ip", where);
		if ((r = check_ip(s, 0, w, e)) < 0 || (r = dup_to(&a->ip, s, e)) < 0)
			return r;
	}
	s = NULL;
	r = bjson_get_str(j, "ip6", where, &s, e);
	if (r < 0)
		return r;
	if (s) {
		char w[96];

		snprintf(w, sizeof(w), "%s.ip6", where);
		if ((r = check_ip(s, AF_INET6, w, e)) < 0 || (r = dup_to(&a->ip6, s, e)) < 0)
			return r;
	}
	s = NULL;
	r = bjson_get_str(j, "ifname", where, &s, e);
	if (r < 0)
		return r;
	if (s && !bifname_valid(s))
		return berr_set(e, -EINVAL, "%s.ifname: invalid interface name '%s'", where, s);
	if (s)
		snprintf(a->ifname, sizeof(a->ifname), "%s", s);
	else
		snprintf(a->ifname, sizeof(a->ifname), "eth%zu", i);
	{
		json_t *al = json_object_get(j, "aliases"), *x;
		size_t k;
		char w[96];

		snprintf(w, sizeof(w), "%s.aliases", where);
		if (al && !json_is_null(al) && !json_is_array(al))
			return berr_set(e, -EINVAL, "%s must be an array of names", w);
		json_array_foreach (al, k, x) {
			if (!json_is_string(x))
				return berr_set(e, -EINVAL, "%s[%zu] must be a string", w, k);
			if ((r = push_name(&a->aliases, json_string_value(x), w, e)) < 0)
				return r;
		}
	}
	ports = json_object_get(j, "ports");
	if (ports && !json_is_null(ports)) {
		char w[96];
		json_t *p;
		size_t k;

		snprintf(w, sizeof(w), "%s.ports", where);
		if (json_is_string(ports))
			return parse_port_list(json_string_value(ports), w, &a->ports, e);
		if (!json_is_array(ports))
			return berr_set(e, -EINVAL, "%s must be an array of port specs", w);
		json_array_foreach (ports, k, p) {
			if (!json_is_string(p))
				return berr_set(e, -EINVAL, "%s[%zu] must be a string", w, k);
			r = push_port(&a->ports, json_string_value(p), w, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int parse_list(struct rt_spec *spec, const char *text, struct berr *e)
{
	_cleanup_json_ json_t *arr = NULL;
	struct berr sub = BERR_INIT;
	const char *ports = NULL;
	json_t *j;
	size_t i, n;
	int r;

	if (json_object_get(spec->annotations, "berth.network"))
		return berr_set(e, -EINVAL, "annotations 'berth.network' and 'berth.networks' exclude each other");
	if (json_object_get(spec->annotations, "berth.ip"))
		return berr_set(e, -EINVAL,
				"annotation 'berth.ip' goes with 'berth.network'; give \"ip\" in 'berth.networks'");
	if (json_object_get(spec->annotations, "berth.ip6"))
		return berr_set(e, -EINVAL,
				"annotation 'berth.ip6' goes with 'berth.network'; give \"ip6\" in 'berth.networks'");
	if (bjson_parse(text, strlen(text), &arr, &sub) < 0)
		return berr_set(e, -EINVAL, "annotation 'berth.networks': %s", berr_message(&sub));
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return berr_set(e, -EINVAL, "annotation 'berth.networks' must be a non-empty JSON array");
	n = json_array_size(arr);
	if (n > RT_MAX_NETS)
		return berr_set(e, -EINVAL, "annotation 'berth.networks' lists %zu networks, at most %d", n,
				RT_MAX_NETS);
	spec->nets = calloc(n, sizeof(*spec->nets));
	if (!spec->nets)
		return berr_oom(e);
	json_array_foreach (arr, i, j) {
		spec->n_nets = i + 1;
		r = parse_entry(j, i, &spec->nets[i], e);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(spec->nets[k].ifname, spec->nets[i].ifname) == 0)
				return berr_set(e, -EINVAL,
						"annotation 'berth.networks'[%zu]: interface %s is used twice", i,
						spec->nets[i].ifname);
	}
	r = bjson_get_str(spec->annotations, "berth.ports", "annotations", &ports, e);
	if (r < 0)
		return r;
	if (ports && *ports) {
		if (spec->nets[0].ports)
			return berr_set(e, -EINVAL,
					"annotation 'berth.ports' and 'berth.networks'[0].ports: give the ports once");
		return parse_port_list(ports, "annotation 'berth.ports'", &spec->nets[0].ports, e);
	}
	return 0;
}

int rt_spec_parse_networks(struct rt_spec *spec, struct berr *e)
{
	const char *single = NULL, *list = NULL;
	int r;

	r = bjson_get_str(spec->annotations, "berth.network", "annotations", &single, e);
	if (r < 0)
		return r;
	r = bjson_get_str(spec->annotations, "berth.networks", "annotations", &list, e);
	if (r < 0)
		return r;
	if (!single && !list)
		return 0;
	if (!(spec->ns_new & CLONE_NEWNET)) {
		const char *key = list ? "berth.networks" : "berth.network";

		if (spec->ns_all & CLONE_NEWNET)
			return berr_set(e, -EINVAL,
					"annotation '%s' needs a new network namespace, but the network "
					"namespace is joined by path (the engine already did the networking)",
					key);
		return berr_set(e, -EINVAL, "annotation '%s' needs a network namespace in 'linux.namespaces'", key);
	}
	r = list ? parse_list(spec, list, e) : parse_single(spec, single, e);
	if (r < 0 || (r = parse_names(spec, e)) < 0)
		return r;
	spec->network = spec->nets[0].network;
	spec->net_ip = spec->nets[0].ip;
	spec->net_ports = spec->nets[0].ports;
	return 0;
}
