/* berth-cni: opening the engine for a request, the network a config describes, engine errors as CNI codes. */
#include "cni/cni_engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cni_engine_fail(struct cni_err *ce, unsigned code, int r)
{
	if (!code) {
		switch (r) {
		case -EEXIST:
			code = CNI_ERR_NETWORK_CONFLICT;
			break;
		case -EADDRINUSE:
			/* The engine uses it for addresses and host ports alike; its message names which. */
			code = strstr(berr_message(&ce->e), "host port") ? CNI_ERR_PORT_IN_USE : CNI_ERR_ADDRESS;
			break;
		case -ENETUNREACH:
		case -ENODEV:
		case -EOPNOTSUPP:
		case -EPERM:
		case -EPROTO:
			code = CNI_ERR_KERNEL;
			break;
		default:
			code = cni_code_from_errno(r);
		}
	}
	return cni_classify(ce, code, r);
}

int cni_engine_open(const struct cni_req *req, struct eng **ret, struct cni_err *ce)
{
	/* a DEL (or GC) answers once the veth is retired; a detached process deletes it (netd/reaper.h) */
	struct eng_opts opts = {
		.state_dir = req->conf.data_dir,
		.lock_timeout_ms = req->env.lock_timeout_ms,
		.handoff_link_removal = true,
	};
	int r = eng_open(&opts, ret, &ce->e);

	if (r < 0)
		return cni_engine_fail(ce, r == -ETIMEDOUT || r == -EAGAIN ? CNI_ERR_TRY_AGAIN : CNI_ERR_IO, r);
	return 0;
}

void cni_network_def(const struct cni_conf *c, const struct cni_ipam *ipam, struct eng_network *ret)
{
	eng_network_init(ret, c->name);
	snprintf(ret->bridge, sizeof(ret->bridge), "%s", c->bridge);
	if (ipam->has_range) {
		const struct bcidr4 *subnet = &ipam->subnet;
		uint32_t range_start = ipam->range_start, range_end = ipam->range_end;

		ret->subnet = *subnet;
		ret->gateway = ipam->gateway;
		/* The whole subnet is the engine's 0/0, so a network netd made without a range compares equal. */
		if (range_start == subnet->addr + 1 && range_end == (subnet->addr | ~baddr_mask4(subnet->prefix)) - 1)
			range_start = range_end = 0;
		ret->range_start = range_start;
		ret->range_end = range_end;
	}
	if (ipam->has_range6) {
		struct in6_addr first = ipam->subnet6.addr, last = ipam->subnet6.addr;

		ret->subnet6 = ipam->subnet6;
		ret->gateway6 = ipam->gateway6;
		/* the whole subnet (host-local's default range) is the engine's ::/::, as for IPv4 */
		for (int i = 15; i >= 0 && ++first.s6_addr[i] == 0; i--)
			;
		for (int i = 15, bits = 128 - ipam->subnet6.prefix; bits > 0; i--, bits -= 8)
			last.s6_addr[i] |= (uint8_t)(bits >= 8 ? 0xff : (1u << bits) - 1);
		if (!baddr_eq6(&ipam->range6_start, &first) || !baddr_eq6(&ipam->range6_end, &last)) {
			ret->range6_start = ipam->range6_start;
			ret->range6_end = ipam->range6_end;
		}
		ret->masquerade6 = c->ip_masq;
	}
	ret->mtu = c->mtu;
	ret->masquerade = c->ip_masq;
	ret->internal = false;
	ret->gateway_on_bridge = c->is_gateway;
	ret->hairpin = c->hairpin;
	ret->promisc = c->promisc;
}
