/* A fabric network on this host: the engine network on the host's block, its bridge and VXLAN device. */
#include "netd/fabric/agent.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "netd/engine/link.h"
#include "netd/fabric/kernel.h"

int ag_local_ensure(struct fabric *f, struct f_net *n, struct berr *e)
{
	bool vx = n->def.mode == FABRIC_VXLAN;
	struct eng_network en;
	int r;

	if ((fabric_net_has4(&n->def) && !n->have_block) || (fabric_net_has6(&n->def) && !n->have_block6))
		return berr_set(e, -ENOENT, "network %s: this host has no block yet", n->def.name);
	n->local_ok = false;
	/* 50 bytes of headers over an IPv4 underlay, 70 over an IPv6 one */
	n->mtu = f->ul.mtu - (vx ? fk_vxlan_overhead(&f->ul.addr) : 0);
	if (vx)
		snprintf(n->dev, sizeof(n->dev), "bfx%" PRIu32, n->def.vni);
	else
		n->dev[0] = '\0';
	eng_network_init(&en, n->def.name);
	if (strlen(n->def.name) >= sizeof(en.bridge))
		snprintf(en.bridge, sizeof(en.bridge), "bfb%" PRIu32, n->def.vni);
	/*
	 * Each family's subnet is this host's block of it, its gateway the
	 * block's second address (the first is the VXLAN device's): the
	 * engine's IPAM gives out this host's addresses only, for netd, the
	 * runtime and berth-cni alike, and the rest of the fabric subnet is
	 * reached through the gateway and the device's routes.
	 */
	if (fabric_net_has4(&n->def)) {
		en.subnet = n->block;
		en.gateway = n->block.addr + 1;
	}
	if (fabric_net_has6(&n->def)) {
		en.subnet6 = n->block6;
		/* netd's default: masquerade toward the outside for ULA (never within the fabric: docs/fabric.md) */
		en.masquerade6 = baddr_ula6(&n->block6.addr);
	}
	en.mtu = n->mtu;
	snprintf(en.tunnel, sizeof(en.tunnel), "%s", n->dev);
	/*
	 * host-gw: the network's traffic crosses the underlay routed, so the
	 * nftables rules learn its whole subnet (no masquerade toward it, in
	 * from its other hosts); in VXLAN mode the device is the bridge's twin.
	 */
	if (!vx) {
		en.fabric_subnet = n->def.subnet;
		en.fabric_subnet6 = n->def.subnet6;
	}
	/* the engine network first: the device's /32 would otherwise overlap the subnet it checks */
	r = eng_network_ensure(f->eng, &en, NULL, e);
	if (r < 0)
		return berr_wrap(e, r, "network %s on this host", n->def.name);
	if (vx) {
		struct fk_vxlan v = {
			.name = n->dev,
			.vni = n->def.vni,
			.local = f->ul.addr,
			.link = f->ul.ifindex,
			.port = (uint16_t)f->cfg.vxlan_port,
			.mtu = n->mtu,
			.addr = fabric_net_has4(&n->def) ? n->block.addr : 0,
			.addr6 = fabric_net_has6(&n->def) ? n->block6.addr : in6addr_any,
		};
		bool created = false;

		fk_vtep_mac(n->def.vni, &f->ul.addr, v.mac);
		r = fk_vxlan_ensure(f->nl, &v, &n->ifindex, &created, e);
		if (r < 0)
			return berr_wrap(e, r, "network %s", n->def.name);
		if (created)
			log_info("fabric: network %s: VXLAN device %s (VNI %" PRIu32 ", MTU %u) created", n->def.name,
				 n->dev, n->def.vni, n->mtu);
	}
	n->local_ok = true;
	return 0;
}

int ag_local_remove(struct fabric *f, struct f_net *n, struct berr *e)
{
	struct eng_network cur;
	int r;

	if (eng_network_get(f->eng, n->def.name, &cur, NULL) == 0) {
		r = eng_network_remove(f->eng, n->def.name, e);
		if (r < 0)
			return r;
	}
	if (n->def.mode == FABRIC_VXLAN) {
		char dev[16];

		snprintf(dev, sizeof(dev), "bfx%" PRIu32, n->def.vni);
		r = link_delete(f->nl, dev, e);
		if (r < 0)
			return r;
	} else if (f->have_ul) {
		struct fk_target t = {
			.ifindex = f->ul.ifindex, .hostgw = true, .scope = n->def.subnet, .scope6 = n->def.subnet6};

		r = fk_sync(f->nl, &t, NULL, 0, NULL, e);
		if (r < 0)
			return r;
	}
	n->local_ok = false;
	return 0;
}

/* ------------------------------------------------------------------ status */
