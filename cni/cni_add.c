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
#include "netns.h"

/* What ADD decided before attaching: the network and the address. */
struct add_plan {
	struct eng_network net;
	bool ensure;   /* the config defines the network (else it must exist already) */
	uint32_t ip;   /* 0: let the engine allocate */
	bool external; /* from the delegate */
	struct eng_route routes[ENG_MAX_ROUTES];
	size_t n_routes;
};

static int add_route(struct add_plan *p, const struct bcidr4 *dst, uint32_t gw, bool is_default_gw, struct cni_err *ce)
{
	/* With isDefaultGateway the engine adds the default route itself; a second one would clash. */
	if (dst->prefix == 0 && is_default_gw)
		return 0;
	if (p->n_routes == ENG_MAX_ROUTES)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -E2BIG, "more than %d routes", ENG_MAX_ROUTES);
	p->routes[p->n_routes].dst = *dst;
	p->routes[p->n_routes].gw = gw;
	p->n_routes++;
	return 0;
}

/* The first IPv4 address of a delegate's result; IPv6 ones are refused (the engine is IPv4 only). */
static int delegate_address(const struct cni_conf *c, const json_t *ipam, struct add_plan *p, struct cni_err *ce)
{
	json_t *item;
	size_t i;
	bool found = false;
	struct bcidr4 subnet;
	uint32_t gw = 0;

	json_array_foreach (json_object_get(ipam, "ips"), i, item) {
		const char *addr = json_string_value(json_object_get(item, "address"));
		const char *g = json_string_value(json_object_get(item, "gateway"));
		char w[64];
		uint32_t a;
		uint8_t prefix;
		int r;

		snprintf(w, sizeof(w), "%s result ips[%zu].address", c->ipam.type, i);
		r = cni_ip4_parse(addr, w, &a, &prefix, ce);
		if (r < 0)
			return r;
		if (found)
			return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD, -ENOTSUP,
					"%s returned more than one IPv4 address; berth-cni configures one",
					c->ipam.type);
		if (prefix < 8 || prefix > 30)
			return cni_fail(ce, CNI_ERR_DELEGATE, -EINVAL, "%s returned %s: the prefix must be /8 to /30",
					c->ipam.type, addr);
		subnet.addr = a & baddr_mask4(prefix);
		subnet.prefix = prefix;
		if (g) {
			snprintf(w, sizeof(w), "%s result ips[%zu].gateway", c->ipam.type, i);
			r = cni_ip4_parse(g, w, &gw, NULL, ce);
			if (r < 0)
				return r;
		}
		p->ip = a;
		found = true;
	}
	if (!found)
		return cni_fail(ce, CNI_ERR_DELEGATE, -EPROTO, "%s returned no IPv4 address", c->ipam.type);
	if (!gw)
		gw = subnet.addr + 1;
	cni_network_def(c, &subnet, gw, 0, 0, &p->net);
	p->ensure = true;
	p->external = true;

	json_array_foreach (json_object_get(ipam, "routes"), i, item) {
		const char *dst = json_string_value(json_object_get(item, "dst"));
		const char *rgw = json_string_value(json_object_get(item, "gw"));
		struct bcidr4 d;
		uint32_t rg = 0;
		char w[64];
		int r;

		snprintf(w, sizeof(w), "%s result routes[%zu]", c->ipam.type, i);
		r = cni_cidr4_parse(dst, w, true, &d, ce);
		if (r >= 0 && rgw)
			r = cni_ip4_parse(rgw, w, &rg, NULL, ce);
		if (r >= 0)
			r = add_route(p, &d, rg, c->is_default_gw, ce);
		if (r < 0)
			return r;
	}
	return 0;
}

static int plan_builtin(const struct cni_conf *c, struct eng *eng, struct add_plan *p, struct cni_err *ce)
{
	int r;

	if (c->ipam.has_range) {
		cni_network_def(c, &c->ipam.subnet, c->ipam.gateway, c->ipam.range_start, c->ipam.range_end, &p->net);
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
		r = add_route(p, &c->ipam.routes[i].dst, c->ipam.routes[i].gw, c->is_default_gw, ce);
		if (r < 0)
			return r;
	}
	p->ip = c->has_ip ? c->ip : 0;
	return 0;
}

static int build_result(const struct cni_req *req, const struct add_plan *p, const struct eng_endpoint *ep,
			const json_t *ipam, json_t **ret)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_json_ json_t *res = c->prev_result ? json_deep_copy(c->prev_result) : cni_result_new();
	char mac[BMAC_STRLEN], cidr[BADDR_CIDR4_STRLEN], gw[INET_ADDRSTRLEN];
	struct bcidr4 addr = {.addr = ep->ip, .prefix = ep->prefix};
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
		r = cni_result_add_ip(res, baddr_fmt_cidr4(&addr, cidr),
				      c->is_gateway ? baddr_fmt4(p->net.gateway, gw) : NULL, idx);
		for (size_t i = 0; r >= 0 && i < c->ipam.n_routes; i++) {
			char dst[BADDR_CIDR4_STRLEN], rgw[INET_ADDRSTRLEN];

			r = cni_result_add_route(res, baddr_fmt_cidr4(&c->ipam.routes[i].dst, dst),
						 c->ipam.routes[i].gw ? baddr_fmt4(c->ipam.routes[i].gw, rgw) : NULL);
		}
	}
	if (r >= 0 && c->is_default_gw) {
		bool have = false;
		json_t *rt;
		size_t i;

		json_array_foreach (json_object_get(res, "routes"), i, rt)
			have = have || strcmp(json_string_value(json_object_get(rt, "dst")), "0.0.0.0/0") == 0;
		if (!have)
			r = cni_result_add_route(res, "0.0.0.0/0", baddr_fmt4(p->net.gateway, gw));
	}
	if (r >= 0)
		r = cni_result_set_dns(res, c->dns);
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
		.ip_external = p->external,
		.mac = c->has_mac ? c->mac : NULL,
		.no_default_route = !c->is_default_gw,
		.routes = p->routes,
		.n_routes = p->n_routes,
		.ports = ports,
		.n_ports = c->n_ports,
		.owner = owner,
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
