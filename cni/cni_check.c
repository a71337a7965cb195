/*
 * berth-cni CHECK: the attachment is as ADD left it. The engine compares its
 * record with the kernel (veth, bridge port, addresses, routes, published
 * ports); here the prevResult is compared with the record: the container's
 * interface with its MAC and the addresses (both families) on it.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "cni/cni_addr.h"
#include "cni/cni_delegate.h"
#include "cni/cni_engine.h"
#include "cni/cni_verbs.h"
#include "jsonutil.h"
#include "mac.h"
#include "netns.h"

static int find_endpoint(struct eng *eng, const struct cni_req *req, struct eng_endpoint *ret, struct cni_err *ce)
{
	struct eng_endpoint *eps = NULL;
	size_t n = 0;
	int r, found = -1;

	r = eng_endpoint_list(eng, req->conf.name, req->env.container_id, &eps, &n, &ce->e);
	if (r < 0)
		return cni_engine_fail(ce, r == -ENOENT ? CNI_ERR_UNKNOWN_CONTAINER : 0, r);
	for (size_t i = 0; i < n; i++)
		if (strcmp(eps[i].ifname, req->env.ifname) == 0)
			found = (int)i;
	if (found < 0) {
		eng_endpoints_free(eps, n);
		return cni_fail(ce, CNI_ERR_UNKNOWN_CONTAINER, -ENOENT, "no attachment of %s (%s) to network %s",
				req->env.container_id, req->env.ifname, req->conf.name);
	}
	*ret = eps[found];
	memset(&eps[found], 0, sizeof(eps[found]));
	eng_endpoints_free(eps, n);
	return 0;
}

/* The prevResult lists cidr on interface idx. */
static bool lists_address(const json_t *prev, int idx, const char *cidr)
{
	json_t *item;
	size_t i;

	json_array_foreach (json_object_get(prev, "ips"), i, item) {
		json_t *ifc = json_object_get(item, "interface");

		if (json_is_integer(ifc) && json_integer_value(ifc) == idx &&
		    strcmp(json_string_value(json_object_get(item, "address")), cidr) == 0)
			return true;
	}
	return false;
}

/* The prevResult must name our interface with the endpoint's MAC and carry its addresses on that interface. */
static int check_prev_result(const struct cni_req *req, const struct eng_endpoint *ep, struct cni_err *ce)
{
	const json_t *prev = req->conf.prev_result;
	char mac[BMAC_STRLEN], cidr[BADDR_CIDR4_STRLEN], cidr6[BADDR_CIDR6_STRLEN];
	struct bcidr4 addr = {.addr = ep->ip, .prefix = ep->prefix};
	struct bcidr6 addr6 = {.addr = ep->ip6, .prefix = ep->prefix6};
	json_t *item;
	size_t i;
	int idx = -1;

	bmac_fmt(ep->mac, mac);
	baddr_fmt_cidr4(&addr, cidr);
	baddr_fmt_cidr6(&addr6, cidr6);
	json_array_foreach (json_object_get(prev, "interfaces"), i, item) {
		const char *sandbox = json_string_value(json_object_get(item, "sandbox"));

		if (strcmp(json_string_value(json_object_get(item, "name")), req->env.ifname) == 0 && sandbox &&
		    *sandbox)
			idx = (int)i;
	}
	if (idx < 0)
		return cni_fail(ce, CNI_ERR_CHECK, -ENOENT, "prevResult lists no interface %s inside the container",
				req->env.ifname);
	item = json_array_get(json_object_get(prev, "interfaces"), (size_t)idx);
	if (json_object_get(item, "mac") && strcasecmp(json_string_value(json_object_get(item, "mac")), mac) != 0)
		return cni_fail(ce, CNI_ERR_CHECK, -EINVAL, "prevResult says %s has MAC %s, the attachment has %s",
				req->env.ifname, json_string_value(json_object_get(item, "mac")), mac);
	if (ep->ip && !lists_address(prev, idx, cidr))
		return cni_fail(ce, CNI_ERR_CHECK, -EINVAL,
				"prevResult does not list %s on %s (the attachment's address)", cidr, req->env.ifname);
	if (ep->prefix6 && !lists_address(prev, idx, cidr6))
		return cni_fail(ce, CNI_ERR_CHECK, -EINVAL,
				"prevResult does not list %s on %s (the attachment's IPv6 address)", cidr6,
				req->env.ifname);
	return 0;
}

int cni_cmd_check(const struct cni_req *req, struct cni_err *ce)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_eng_ struct eng *eng = NULL;
	_cleanup_close_ int nsfd = -1;
	struct eng_endpoint ep = {0};
	int r;

	r = bns_open(req->env.netns, CLONE_NEWNET, &nsfd, &ce->e);
	if (r < 0)
		return cni_fail(ce, CNI_ERR_UNKNOWN_CONTAINER, r, "CNI_NETNS=%s: %s", req->env.netns,
				berr_message(&ce->e));
	r = cni_engine_open(req, &eng, ce);
	if (r < 0)
		return r;
	r = find_endpoint(eng, req, &ep, ce);
	if (r < 0)
		return r;
	r = check_prev_result(req, &ep, ce);
	eng_endpoint_clear(&ep);
	if (r < 0)
		return r;
	r = eng_check(eng, c->name, req->env.container_id, req->env.ifname, nsfd, &ce->e);
	if (r < 0)
		return cni_engine_fail(ce, r == -ENOENT ? CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_CHECK, r);
	if (c->ipam.delegated)
		return cni_delegate_ipam(c, &req->env, CNI_CMD_CHECK, NULL, NULL, NULL, ce);
	return 0;
}
