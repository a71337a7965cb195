/* berth-cni ADD: wire a container to the network and return the result, or leave nothing behind. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni_addr.h"
#include "cni/cni_delegate.h"
#include "cni/cni_engine.h"
#include "cni/cni_link.h"
#include "cni/cni_result.h"
#include "cni/cni_verbs.h"
#include "jsonutil.h"
#include "mac.h"
#include "netd/engine/names.h"
#include "netns.h"

/* What ADD decided before attaching: the network and the address. */
struct add_plan {
	struct eng_network net;
	bool ensure;	     /* the config defines the network (else it must exist already) */
	uint32_t ip;	     /* 0: let the engine allocate */
	struct in6_addr ip6; /* ::: let the engine allocate (when the network has IPv6) */
	bool external;	     /* from the delegate */
	struct eng_route routes[ENG_MAX_ROUTES];
	size_t n_routes;
};

static int add_route(struct add_plan *p, const struct cni_route *rt, bool is_default_gw, struct cni_err *ce)
{
	struct eng_route *er;

	/* With isDefaultGateway the engine adds the default routes itself; a second one would clash. */
	if ((rt->v6 ? rt->dst6.prefix : rt->dst.prefix) == 0 && is_default_gw)
		return 0;
	if (p->n_routes == ENG_MAX_ROUTES)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -E2BIG, "more than %d routes", ENG_MAX_ROUTES);
	er = &p->routes[p->n_routes++];
	memset(er, 0, sizeof(*er));
	er->v6 = rt->v6;
	er->dst = rt->dst;
	er->gw = rt->gw;
	er->dst6 = rt->dst6;
	er->gw6 = rt->gw6;
	return 0;
}

/* One address of a delegate's result into ipam (its subnet and gateway) and p; one per family. */
static int delegate_ip(const struct cni_conf *c, const json_t *item, size_t i, struct cni_ipam *ipam,
		       struct add_plan *p, struct cni_err *ce)
{
	const char *addr = json_string_value(json_object_get(item, "address"));
	const char *g = json_string_value(json_object_get(item, "gateway"));
	bool v6 = addr && cni_is_ipv6(addr);
	char w[64];
	uint8_t prefix;
	int r;

	snprintf(w, sizeof(w), "%s result ips[%zu].address", c->ipam.type, i);
	if (v6 ? ipam->has_range6 : ipam->has_range)
		return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
				"%s returned more than one IPv%c address; berth-cni configures one of each family",
				c->ipam.type, v6 ? '6' : '4');
	if (!v6) {
		r = cni_ip4_parse(addr ? addr : "", w, &p->ip, &prefix, ce);
		if (r < 0)
			return r;
		if (prefix < 8 || prefix > 30)
			return cni_fail(ce, CNI_ERR_DELEGATE, -EINVAL, "%s returned %s: the prefix must be /8 to /30",
					c->ipam.type, addr);
		ipam->has_range = true;
		ipam->subnet.addr = p->ip & baddr_mask4(prefix);
		ipam->subnet.prefix = prefix;
		ipam->gateway = ipam->subnet.addr + 1;
		/* the whole subnet: the engine allocates nothing here (the address is external) */
		ipam->range_start = ipam->subnet.addr + 1;
		ipam->range_end = (ipam->subnet.addr | ~baddr_mask4(prefix)) - 1;
		snprintf(w, sizeof(w), "%s result ips[%zu].gateway", c->ipam.type, i);
		return g ? cni_ip4_parse(g, w, &ipam->gateway, NULL, ce) : 0;
	}
	r = cni_ip6_parse(addr, w, &p->ip6, &prefix, ce);
	if (r < 0)
		return r;
	if (prefix < 16 || prefix > 124)
		return cni_fail(ce, CNI_ERR_DELEGATE, -EINVAL, "%s returned %s: the prefix must be /16 to /124",
				c->ipam.type, addr);
	ipam->has_range6 = true;
	ipam->subnet6.addr = baddr_mask6(&p->ip6, prefix);
	ipam->subnet6.prefix = prefix;
	/* subnet::1 and the whole subnet, as host-local's defaults */
	ipam->gateway6 = ipam->subnet6.addr;
	ipam->gateway6.s6_addr[15] |= 1;
	ipam->range6_start = ipam->gateway6;
	ipam->range6_end = ipam->subnet6.addr;
	for (int k = 15, bits = 128 - prefix; bits > 0; k--, bits -= 8)
		ipam->range6_end.s6_addr[k] |= (uint8_t)(bits >= 8 ? 0xff : (1u << bits) - 1);
	snprintf(w, sizeof(w), "%s result ips[%zu].gateway", c->ipam.type, i);
	return g ? cni_ip6_parse(g, w, &ipam->gateway6, NULL, ce) : 0;
}

/* The addresses (one of each family) and routes of a delegate's result. */
static int delegate_address(const struct cni_conf *c, const json_t *ipam, struct add_plan *p, struct cni_err *ce)
{
	struct cni_ipam got;
	json_t *item;
	size_t i;

	memset(&got, 0, sizeof(got));
	json_array_foreach (json_object_get(ipam, "ips"), i, item) {
		int r = delegate_ip(c, item, i, &got, p, ce);

		if (r < 0)
			return r;
	}
	if (!got.has_range && !got.has_range6)
		return cni_fail(ce, CNI_ERR_DELEGATE, -EPROTO, "%s returned no address", c->ipam.type);
	cni_network_def(c, &got, &p->net);
	p->ensure = true;
	p->external = true;

	json_array_foreach (json_object_get(ipam, "routes"), i, item) {
		const char *dst = json_string_value(json_object_get(item, "dst"));
		const char *rgw = json_string_value(json_object_get(item, "gw"));
		struct cni_route rt;
		char w[64];
		int r;

		memset(&rt, 0, sizeof(rt));
		snprintf(w, sizeof(w), "%s result routes[%zu]", c->ipam.type, i);
		rt.v6 = dst && cni_is_ipv6(dst);
		r = rt.v6 ? cni_cidr6_parse(dst, w, true, &rt.dst6, ce)
			  : cni_cidr4_parse(dst ? dst : "", w, true, &rt.dst, ce);
		if (r >= 0 && rgw)
			r = rt.v6 ? cni_ip6_parse(rgw, w, &rt.gw6, NULL, ce) : cni_ip4_parse(rgw, w, &rt.gw, NULL, ce);
		if (r >= 0)
			r = add_route(p, &rt, c->is_default_gw, ce);
		if (r < 0)
			return r;
	}
	return 0;
}

static int plan_builtin(const struct cni_conf *c, struct eng *eng, struct add_plan *p, struct cni_err *ce)
{
	int r;

	if (c->ipam.has_range || c->ipam.has_range6) {
		cni_network_def(c, &c->ipam, &p->net);
		p->ensure = true;
	} else {
		/* No IPAM keys: join a network defined elsewhere (netd's, or an earlier config's). */
		r = eng_network_get(eng, c->name, &p->net, &ce->e);
		if (r == -ENOENT)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"'ipam' names no subnet and no network '%s' exists yet: set ipam.subnet or "
					"ipam.ranges",
					c->name);
		if (r < 0)
			return cni_engine_fail(ce, 0, r);
	}
	for (size_t i = 0; i < c->ipam.n_routes; i++) {
		r = add_route(p, &c->ipam.routes[i], c->is_default_gw, ce);
		if (r < 0)
			return r;
	}
	p->ip = c->has_ip ? c->ip : 0;
	if (c->has_ip6)
		p->ip6 = c->ip6;
	return 0;
}

/* The default route dst (0.0.0.0/0, ::/0) via gw, unless the result has one already. */
static int add_default_route(json_t *res, const char *dst, const char *gw)
{
	json_t *rt;
	size_t i;

	json_array_foreach (json_object_get(res, "routes"), i, rt)
		if (strcmp(json_string_value(json_object_get(rt, "dst")), dst) == 0)
			return 0;
	return cni_result_add_route(res, dst, gw);
}

/*
 * The result's dns: the config's, and when netd serves DNS for this state
 * directory on this network's gateway, that gateway as the nameserver and
 * the network (and netd's domain) to search, unless the config names its
 * own.
 */
static int set_dns(const struct cni_req *req, const struct add_plan *p, json_t *res)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_json_ json_t *dns = json_deep_copy(c->dns);
	_cleanup_free_ char *domain = NULL;
	char gw[INET_ADDRSTRLEN], gw6[INET6_ADDRSTRLEN];
	bool has4 = eng_network_has4(&p->net), has6 = eng_network_has6(&p->net);

	if (!dns)
		return -ENOMEM;
	/* netd's DNS answers on each gateway of the network: IPv4, IPv6 or both (docs/dns.md) */
	if (p->net.gateway_on_bridge && c->is_gateway && (has4 || has6) &&
	    !json_array_size(json_object_get(dns, "nameservers")) && names_served(c->data_dir, &domain)) {
		json_t *ns = has4 && has6 ? json_pack("[s,s]", baddr_fmt4(p->net.gateway, gw),
						      baddr_fmt6(&p->net.gateway6, gw6))
			     : has4	  ? json_pack("[s]", baddr_fmt4(p->net.gateway, gw))
					  : json_pack("[s]", baddr_fmt6(&p->net.gateway6, gw6));

		if (bjson_set(dns, "nameservers", ns) < 0)
			return -ENOMEM;
		if (!json_array_size(json_object_get(dns, "search")) &&
		    bjson_set(dns, "search",
			      domain ? json_pack("[s,s]", p->net.name, domain) : json_pack("[s]", p->net.name)) < 0)
			return -ENOMEM;
	}
	return cni_result_set_dns(res, dns);
}

static int build_result(const struct cni_req *req, const struct add_plan *p, const struct eng_endpoint *ep,
			const json_t *ipam, json_t **ret)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_json_ json_t *res = c->prev_result ? json_deep_copy(c->prev_result) : cni_result_new();
	char mac[BMAC_STRLEN], cidr[BADDR_CIDR6_STRLEN], gw[INET6_ADDRSTRLEN];
	struct bcidr4 addr = {.addr = ep->ip, .prefix = ep->prefix};
	struct bcidr6 addr6 = {.addr = ep->ip6, .prefix = ep->prefix6};
	uint8_t hw[6];
	int idx, r;

	if (!res)
		return -ENOMEM;
	/* As the reference bridge plugin: the bridge, the host end, then the container's interface. */
	r = cni_result_add_iface(res, p->net.bridge, cni_link_mac(p->net.bridge, hw) == 0 ? bmac_fmt(hw, mac) : NULL,
				 NULL, 0, NULL);
	if (r >= 0)
		r = cni_result_add_iface(res, ep->host_ifname,
					 cni_link_mac(ep->host_ifname, hw) == 0 ? bmac_fmt(hw, mac) : NULL, NULL, 0,
					 NULL);
	if (r < 0)
		return r;
	r = cni_result_add_iface(res, req->env.ifname, bmac_fmt(ep->mac, mac), req->env.netns, ep->mtu, &idx);
	if (r < 0)
		return r;
	if (ipam) {
		r = cni_result_merge_ipam(res, ipam, idx);
	} else {
		r = 0;
		if (ep->ip)
			r = cni_result_add_ip(res, baddr_fmt_cidr4(&addr, cidr),
					      c->is_gateway ? baddr_fmt4(p->net.gateway, gw) : NULL, idx);
		if (r >= 0 && ep->prefix6)
			r = cni_result_add_ip(res, baddr_fmt_cidr6(&addr6, cidr),
					      c->is_gateway ? baddr_fmt6(&p->net.gateway6, gw) : NULL, idx);
		for (size_t i = 0; r >= 0 && i < c->ipam.n_routes; i++) {
			const struct cni_route *rt = &c->ipam.routes[i];
			char dst[BADDR_CIDR6_STRLEN], rgw[INET6_ADDRSTRLEN];

			if (rt->v6)
				r = cni_result_add_route(res, baddr_fmt_cidr6(&rt->dst6, dst),
							 baddr_zero6(&rt->gw6) ? NULL : baddr_fmt6(&rt->gw6, rgw));
			else
				r = cni_result_add_route(res, baddr_fmt_cidr4(&rt->dst, dst),
							 rt->gw ? baddr_fmt4(rt->gw, rgw) : NULL);
		}
	}
	if (r >= 0 && c->is_default_gw && ep->ip)
		r = add_default_route(res, "0.0.0.0/0", baddr_fmt4(p->net.gateway, gw));
	if (r >= 0 && c->is_default_gw && ep->prefix6)
		r = add_default_route(res, "::/0", baddr_fmt6(&p->net.gateway6, gw));
	if (r >= 0)
		r = set_dns(req, p, res);
	if (r >= 0)
		r = cni_result_render(res, c->version, ret);
	return r;
}

/*
 * A container's interface, address and default route must never land in the
 * namespace berth-cni itself runs in (the host's): that would take over the
 * machine's own routing. No runtime asks for it; a mistake could.
 */
static int refuse_own_netns(const struct cni_env *env, int nsfd, struct cni_err *ce)
{
	_cleanup_close_ int own = -1;
	int r = bns_open("/proc/self/ns/net", CLONE_NEWNET, &own, &ce->e);

	if (r < 0)
		return cni_classify(ce, CNI_ERR_INTERNAL, r);
	if (bns_same(own, nsfd))
		return cni_fail(ce, CNI_ERR_INVALID_ENV, -EINVAL,
				"CNI_NETNS=%s is berth-cni's own network namespace, not a container's", env->netns);
	return 0;
}

int cni_cmd_add(const struct cni_req *req, json_t **ret_result, struct cni_err *ce)
{
	const struct cni_conf *c = &req->conf;
	const struct cni_env *env = &req->env;
	_cleanup_close_ int nsfd = -1;
	_cleanup_eng_ struct eng *eng = NULL;
	_cleanup_json_ json_t *ipam = NULL;
	_cleanup_free_ struct add_plan *p = calloc(1, sizeof(*p));
	_cleanup_free_ struct bportspec *ports = NULL;
	struct eng_endpoint ep = {0};
	struct eng_attach a;
	char owner[ENG_OWNER_MAX + 1];
	int r;

	if (!p)
		return cni_oom(ce);
	r = bns_open(env->netns, CLONE_NEWNET, &nsfd, &ce->e);
	if (r < 0)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, r, "CNI_NETNS=%s: %s", env->netns, berr_message(&ce->e));
	r = refuse_own_netns(env, nsfd, ce);
	if (r < 0)
		return r;
	r = cni_engine_open(req, &eng, ce);
	if (r < 0)
		return r;

	if (c->ipam.delegated) {
		r = cni_delegate_ipam(c, env, CNI_CMD_ADD, NULL, NULL, &ipam, ce);
		if (r < 0)
			return r;
		r = delegate_address(c, ipam, p, ce);
	} else {
		r = plan_builtin(c, eng, p, ce);
	}
	if (r < 0)
		goto fail;
	if (p->ensure) {
		r = eng_network_ensure(eng, &p->net, &p->net, &ce->e);
		if (r < 0) {
			cni_engine_fail(ce, 0, r);
			goto fail;
		}
	}

	ports = calloc(c->n_ports + 1, sizeof(*ports));
	if (!ports) {
		r = cni_oom(ce);
		goto fail;
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		ports[i].host_ip = c->ports[i].host_ip;
		ports[i].host_v6 = c->ports[i].host_v6;
		ports[i].host_ip6 = c->ports[i].host_ip6;
		ports[i].host_port = ports[i].host_port_end = c->ports[i].host_port;
		ports[i].container_port = ports[i].container_port_end = c->ports[i].container_port;
		ports[i].proto = c->ports[i].proto;
	}
	a = (struct eng_attach){
		.network = c->name,
		.id = env->container_id,
		.ifname = env->ifname,
		.netns_fd = nsfd,
		.netns_path = env->netns,
		.ip = p->ip,
		.ip6 = p->ip6,
		.ip_external = p->external,
		.mac = c->has_mac ? c->mac : NULL,
		.no_default_route = !c->is_default_gw,
		.routes = p->routes,
		.n_routes = p->n_routes,
		.ports = ports,
		.n_ports = c->n_ports,
		.owner = owner,
		.name = c->dns_name,
		.aliases = (const char *const *)c->aliases,
		.n_aliases = c->n_aliases,
	};
	/* GC of this network removes what berth-cni attached to it, and nothing else */
	snprintf(owner, sizeof(owner), ENG_OWNER_CNI "%s", c->name);
	r = eng_attach(eng, &a, &ep, &ce->e);
	if (r < 0) {
		/*
		 * The engine's own -EEXIST says "already has/exists" (ADD twice, the
		 * interface name taken); from the kernel (a clashing route) it is not ours.
		 */
		cni_engine_fail(ce,
				r != -EEXIST			 ? 0
				: strstr(ce->e.msg, " already ") ? CNI_ERR_ATTACHED
								 : CNI_ERR_KERNEL,
				r);
		goto fail;
	}
	r = build_result(req, p, &ep, ipam, ret_result);
	if (r < 0) {
		cni_fail(ce, CNI_ERR_INTERNAL, r, "building the result: %s", strerror(-r));
		/* Nothing is left behind, even for a failure this late. */
		eng_detach(eng, c->name, env->container_id, env->ifname, NULL, NULL);
		goto fail;
	}
	eng_endpoint_clear(&ep);
	return 0;

fail:
	eng_endpoint_clear(&ep);
	/* The delegate's lease goes back too: a failed ADD leaves nothing behind. */
	if (c->ipam.delegated && ipam) {
		struct cni_err ignored = CNI_ERR_INIT;

		cni_delegate_ipam(c, env, CNI_CMD_DEL, NULL, NULL, NULL, &ignored);
	}
	return r;
}
