/* The fabric's kernel state through rtnetlink: underlay lookup, VXLAN devices, overlay routes, neighbours, FDB. */
#include "netd/fabric/kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "mac.h"
#include "netd/engine/ifaddr.h"
#include "netd/engine/link.h"

/* ------------------------------------------------------------------ underlay */

struct find_addr {
	uint32_t want; /* by address */
	int ifindex;   /* by link: its first address */
	uint32_t found;
	int found_ifindex;
};

static int find_addr_cb(int ifindex, uint32_t ip, uint8_t prefix, void *arg)
{
	struct find_addr *f = arg;

	(void)prefix;
	if (f->found_ifindex)
		return 0;
	if ((f->want && ip == f->want) || (!f->want && ifindex == f->ifindex)) {
		f->found = ip;
		f->found_ifindex = ifindex;
	}
	return 0;
}

struct find_link {
	int ifindex;
	struct link_info li;
};

static int find_link_cb(const struct link_info *li, void *arg)
{
	struct find_link *f = arg;

	if (li->ifindex == f->ifindex)
		f->li = *li;
	return 0;
}

int fk_underlay_find(struct nlsock *ns, const char *spec, struct fk_underlay *ret, struct berr *e)
{
	struct find_addr fa = {0};
	struct find_link fl = {0};
	uint32_t ip;
	int r;

	if (baddr_parse4(spec, &ip, NULL) == 0) {
		fa.want = ip;
	} else {
		struct link_info li;

		r = link_get(ns, spec, &li, e);
		if (r < 0)
			return berr_wrap(e, r, "underlay");
		fa.ifindex = li.ifindex;
	}
	r = ifaddr_dump4(ns, 0, find_addr_cb, &fa, e);
	if (r < 0)
		return r;
	if (!fa.found_ifindex)
		return berr_set(e, -EADDRNOTAVAIL, "underlay %s: %s", spec,
				fa.want ? "no interface has this address" : "the interface has no IPv4 address");
	fl.ifindex = fa.found_ifindex;
	r = link_dump(ns, find_link_cb, &fl, e);
	if (r < 0)
		return r;
	if (!fl.li.ifindex)
		return berr_set(e, -ENODEV, "underlay %s: its link went away", spec);
	ret->ifindex = fl.li.ifindex;
	ret->addr = fa.found;
	ret->mtu = fl.li.mtu;
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", fl.li.name);
	return 0;
}

/* ------------------------------------------------------------------ VXLAN device */

void fk_vtep_mac(uint32_t vni, uint32_t underlay, uint8_t mac[6])
{
	/* locally administered, unicast */
	mac[0] = 0x0e;
	mac[1] = (uint8_t)vni;
	mac[2] = (uint8_t)(underlay >> 24);
	mac[3] = (uint8_t)(underlay >> 16);
	mac[4] = (uint8_t)(underlay >> 8);
	mac[5] = (uint8_t)underlay;
}

struct vx_info {
	bool found, is_vxlan;
	int ifindex;
	unsigned flags, mtu;
	uint8_t mac[6];
	uint32_t vni, local, link;
	uint16_t port; /* host order */
	uint8_t learning;
};

static int vx_parse(struct nl_msg *msg, void *arg)
{
	struct vx_info *v = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *data[IFLA_VXLAN_MAX + 1];
	struct ifinfomsg *ifi = nlmsg_data(hdr);

	if (hdr->nlmsg_type != RTM_NEWLINK || nlmsg_parse(hdr, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return NL_SKIP;
	v->found = true;
	v->ifindex = ifi->ifi_index;
	v->flags = ifi->ifi_flags;
	v->learning = 1;
	if (tb[IFLA_MTU])
		v->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(v->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	if (!tb[IFLA_LINKINFO] || nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !info[IFLA_INFO_KIND] || strcmp(nla_get_string(info[IFLA_INFO_KIND]), "vxlan") != 0)
		return NL_OK;
	v->is_vxlan = true;
	if (!info[IFLA_INFO_DATA] || nla_parse_nested(data, IFLA_VXLAN_MAX, info[IFLA_INFO_DATA], NULL) < 0)
		return NL_OK;
	if (data[IFLA_VXLAN_ID])
		v->vni = nla_get_u32(data[IFLA_VXLAN_ID]);
	if (data[IFLA_VXLAN_LOCAL] && nla_len(data[IFLA_VXLAN_LOCAL]) == 4)
		v->local = ntohl(*(uint32_t *)nla_data(data[IFLA_VXLAN_LOCAL]));
	if (data[IFLA_VXLAN_LINK])
		v->link = nla_get_u32(data[IFLA_VXLAN_LINK]);
	if (data[IFLA_VXLAN_PORT] && nla_len(data[IFLA_VXLAN_PORT]) == 2)
		v->port = ntohs(*(uint16_t *)nla_data(data[IFLA_VXLAN_PORT]));
	if (data[IFLA_VXLAN_LEARNING])
		v->learning = nla_get_u8(data[IFLA_VXLAN_LEARNING]);
	return NL_OK;
}

static int vx_get(struct nlsock *ns, const char *name, struct vx_info *ret, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_GETLINK, 0, &ifi, sizeof(ifi));
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return berr_oom(e);
	r = nlsock_request(ns, msg, vx_parse, ret);
	if (r < 0) {
		if (nlsock_errno(ns, r) == -ENODEV)
			return 0;
		return nlsock_fail(ns, r, e, "query link %s", name);
	}
	return 0;
}

static int vx_create(struct nlsock *ns, const struct fk_vxlan *v, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	uint32_t local = htonl(v->local);
	uint16_t port = htons(v->port);
	struct nlattr *info, *data;
	int r;

	if (!msg || nla_put_string(msg, IFLA_IFNAME, v->name) < 0 || nla_put_u32(msg, IFLA_MTU, v->mtu) < 0 ||
	    nla_put(msg, IFLA_ADDRESS, 6, v->mac) < 0 || !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "vxlan") < 0 || !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u32(msg, IFLA_VXLAN_ID, v->vni) < 0 || nla_put(msg, IFLA_VXLAN_LOCAL, 4, &local) < 0 ||
	    nla_put_u32(msg, IFLA_VXLAN_LINK, (uint32_t)v->link) < 0 ||
	    /* a be16 of our own: libnl 3.7 puts the port as a u32 */
	    nla_put(msg, IFLA_VXLAN_PORT, 2, &port) < 0 ||
	    /* the kernel learns unless told not to */
	    nla_put_u8(msg, IFLA_VXLAN_LEARNING, 0) < 0)
		return berr_oom(e);
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0)
		return nlsock_fail(ns, r, e, "create VXLAN device %s (VNI %u)", v->name, v->vni);
	return 0;
}

static int link_mac_mtu(struct nlsock *ns, int ifindex, const uint8_t *mac, unsigned mtu, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	int r;

	if (!msg || (mac && nla_put(msg, IFLA_ADDRESS, 6, mac) < 0) || (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0))
		return berr_oom(e);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0)
		return nlsock_fail(ns, r, e, "set address and MTU of link %d", ifindex);
	return 0;
}

int fk_vxlan_ensure(struct nlsock *ns, const struct fk_vxlan *v, int *ret_ifindex, bool *ret_created, struct berr *e)
{
	struct vx_info cur;
	bool created = false;
	int r;

	r = vx_get(ns, v->name, &cur, e);
	if (r < 0)
		return r;
	if (cur.found && (!cur.is_vxlan || cur.vni != v->vni || cur.local != v->local ||
			  cur.link != (uint32_t)v->link || cur.port != v->port || cur.learning)) {
		/* another device by that name, or ours with other parameters: start over */
		r = link_delete(ns, v->name, e);
		if (r < 0)
			return r;
		cur.found = false;
	}
	if (!cur.found) {
		r = vx_create(ns, v, e);
		if (r < 0)
			return r;
		created = true;
		r = vx_get(ns, v->name, &cur, e);
		if (r < 0)
			return r;
		if (!cur.found)
			return berr_set(e, -ENODEV, "VXLAN device %s vanished after creation", v->name);
		if (cur.port != v->port)
			return berr_set(e, -EINVAL, "VXLAN device %s: the kernel reports port %u, not %u", v->name,
					cur.port, v->port);
	}
	if (!(cur.flags & IFF_UP)) {
		r = link_up_quiet(ns, cur.ifindex, NULL, false, e);
		if (r < 0)
			return r;
	}
	/* the MAC is checked after link-up: some kernels pick a new one then (flannel#1795) */
	r = vx_get(ns, v->name, &cur, e);
	if (r < 0)
		return r;
	if (memcmp(cur.mac, v->mac, 6) != 0 || cur.mtu != v->mtu) {
		r = link_mac_mtu(ns, cur.ifindex, v->mac, v->mtu, e);
		if (r < 0)
			return r;
	}
	if (v->addr) {
		r = ifaddr_add4(ns, cur.ifindex, v->addr, 32, e);
		if (r < 0 && r != -EEXIST)
			return r;
		berr_clear(e);
	}
	*ret_ifindex = cur.ifindex;
	if (ret_created)
		*ret_created = created;
	return 0;
}

/* ------------------------------------------------------------------ entries */

static int route_msg(struct nlsock *ns, bool add, const struct fk_target *t, const struct bcidr4 *dst, uint32_t gw,
		     struct berr *e)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_dst_len = dst->prefix,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = FABRIC_RTPROT,
		.rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE,
		.rtm_type = RTN_UNICAST,
		.rtm_flags = t->hostgw ? 0 : RTNH_F_ONLINK,
	};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(add ? RTM_NEWROUTE : RTM_DELROUTE,
							add ? NLM_F_CREATE | NLM_F_REPLACE : 0, &rtm, sizeof(rtm));
	uint32_t d = htonl(dst->addr), g = htonl(gw);
	char a[BADDR_CIDR4_STRLEN];
	int r;

	if (!msg || nla_put(msg, RTA_DST, 4, &d) < 0 || (add && nla_put(msg, RTA_GATEWAY, 4, &g) < 0) ||
	    nla_put_u32(msg, RTA_OIF, (uint32_t)t->ifindex) < 0)
		return berr_oom(e);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0) {
		if (!add && nlsock_errno(ns, r) == -ESRCH)
			return 0;
		return nlsock_fail(ns, r, e, "%s overlay route %s", add ? "add" : "remove", baddr_fmt_cidr4(dst, a));
	}
	return 0;
}

static int neigh_msg(struct nlsock *ns, bool add, bool fdb, int ifindex, uint32_t ip, const uint8_t *mac,
		     struct berr *e)
{
	struct ndmsg ndm = {
		.ndm_family = fdb ? AF_BRIDGE : AF_INET,
		.ndm_ifindex = ifindex,
		.ndm_state = NUD_PERMANENT,
		.ndm_flags = fdb ? NTF_SELF : 0,
	};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(add ? RTM_NEWNEIGH : RTM_DELNEIGH,
							add ? NLM_F_CREATE | NLM_F_REPLACE : 0, &ndm, sizeof(ndm));
	uint32_t be = htonl(ip);
	char a[INET_ADDRSTRLEN], m[BMAC_STRLEN];
	int r, code;

	if (!msg)
		return berr_oom(e);
	if (fdb) {
		if (nla_put(msg, NDA_LLADDR, 6, mac) < 0 || (add && nla_put(msg, NDA_DST, 4, &be) < 0))
			return berr_oom(e);
	} else if (nla_put(msg, NDA_DST, 4, &be) < 0 || (add && nla_put(msg, NDA_LLADDR, 6, mac) < 0)) {
		return berr_oom(e);
	}
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0) {
		code = nlsock_errno(ns, r);
		if (!add && (code == -ENOENT || code == -ESRCH))
			return 0;
		if (fdb)
			return nlsock_fail(ns, r, e, "%s FDB entry %s dst %s", add ? "add" : "remove", bmac_fmt(mac, m),
					   baddr_fmt4(ip, a));
		return nlsock_fail(ns, r, e, "%s neighbour %s", add ? "add" : "remove", baddr_fmt4(ip, a));
	}
	return 0;
}

static uint32_t peer_gw(const struct fk_target *t, const struct fk_peer *p)
{
	return t->hostgw ? p->underlay : p->block.addr;
}

int fk_peer_add(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *p, struct berr *e)
{
	int r = 0;

	/* neighbour and FDB entry first: the route never points at an address nothing answers for */
	if (!t->hostgw) {
		r = neigh_msg(ns, true, true, t->ifindex, p->underlay, p->mac, e);
		if (r == 0)
			r = neigh_msg(ns, true, false, t->ifindex, p->block.addr, p->mac, e);
	}
	if (r == 0)
		r = route_msg(ns, true, t, &p->block, peer_gw(t, p), e);
	return r;
}

int fk_peer_del(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *p, struct berr *e)
{
	int r;

	r = route_msg(ns, false, t, &p->block, 0, e);
	if (r == 0 && !t->hostgw) {
		r = neigh_msg(ns, false, false, t->ifindex, p->block.addr, p->mac, e);
		if (r == 0)
			r = neigh_msg(ns, false, true, t->ifindex, p->underlay, p->mac, e);
	}
	return r;
}

/* ------------------------------------------------------------------ dumps and sync */

struct k_route {
	struct bcidr4 dst;
	uint32_t gw;
	bool used;
};

struct k_neigh {
	uint32_t ip; /* neighbour: its address; FDB: the remote underlay */
	uint8_t mac[6];
	bool used;
};

struct dump {
	const struct fk_target *t;
	struct k_route *routes;
	size_t n_routes, cap_routes;
	struct k_neigh *neighs, *fdbs;
	size_t n_neighs, cap_neighs, n_fdbs, cap_fdbs;
	bool oom;
};

static void dump_free(struct dump *d)
{
	free(d->routes);
	free(d->neighs);
	free(d->fdbs);
}

static int route_cb(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct rtmsg *rtm = nlmsg_data(hdr);
	struct nlattr *tb[RTA_MAX + 1];
	struct k_route kr = {0};
	uint32_t table;

	if (hdr->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(hdr, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (rtm->rtm_family != AF_INET || rtm->rtm_protocol != FABRIC_RTPROT || table != RT_TABLE_MAIN ||
	    !tb[RTA_OIF] || (int)nla_get_u32(tb[RTA_OIF]) != d->t->ifindex)
		return NL_OK;
	if (tb[RTA_DST] && nla_len(tb[RTA_DST]) == 4)
		kr.dst.addr = ntohl(*(uint32_t *)nla_data(tb[RTA_DST]));
	kr.dst.prefix = rtm->rtm_dst_len;
	if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == 4)
		kr.gw = ntohl(*(uint32_t *)nla_data(tb[RTA_GATEWAY]));
	if (kr.dst.prefix < d->t->scope.prefix || !baddr_in4(&d->t->scope, kr.dst.addr))
		return NL_OK;
	if (BARRAY_RESERVE(d->routes, d->cap_routes, d->n_routes + 1) < 0) {
		d->oom = true;
		return NL_STOP;
	}
	d->routes[d->n_routes++] = kr;
	return NL_OK;
}

static int neigh_cb(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct ndmsg *ndm = nlmsg_data(hdr);
	struct nlattr *tb[NDA_MAX + 1];
	struct k_neigh kn = {0};
	bool fdb;

	if (hdr->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(hdr, sizeof(*ndm), tb, NDA_MAX, NULL) < 0 ||
	    ndm->ndm_ifindex != d->t->ifindex)
		return NL_OK;
	fdb = ndm->ndm_family == AF_BRIDGE;
	if (!tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
		return NL_OK;
	memcpy(kn.mac, nla_data(tb[NDA_LLADDR]), 6);
	if (tb[NDA_DST] && nla_len(tb[NDA_DST]) == 4)
		kn.ip = ntohl(*(uint32_t *)nla_data(tb[NDA_DST]));
	if (fdb) {
		if (BARRAY_RESERVE(d->fdbs, d->cap_fdbs, d->n_fdbs + 1) < 0)
			goto oom;
		d->fdbs[d->n_fdbs++] = kn;
	} else {
		if (BARRAY_RESERVE(d->neighs, d->cap_neighs, d->n_neighs + 1) < 0)
			goto oom;
		d->neighs[d->n_neighs++] = kn;
	}
	return NL_OK;
oom:
	d->oom = true;
	return NL_STOP;
}

static int dump_all(struct nlsock *ns, struct dump *d, struct berr *e)
{
	struct rtmsg rtm = {.rtm_family = AF_INET};
	struct ndmsg ndm = {.ndm_family = AF_INET};
	struct ndmsg fdb = {.ndm_family = AF_BRIDGE};
	int r;

	r = nlsock_dump(ns, RTM_GETROUTE, &rtm, sizeof(rtm), route_cb, d);
	if (r < 0)
		return nlsock_fail(ns, r, e, "list routes");
	if (!d->t->hostgw) {
		r = nlsock_dump(ns, RTM_GETNEIGH, &ndm, sizeof(ndm), neigh_cb, d);
		if (r < 0)
			return nlsock_fail(ns, r, e, "list neighbours");
		r = nlsock_dump(ns, RTM_GETNEIGH, &fdb, sizeof(fdb), neigh_cb, d);
		if (r < 0)
			return nlsock_fail(ns, r, e, "list FDB entries");
	}
	return d->oom ? berr_oom(e) : 0;
}

static struct k_route *find_route(struct dump *d, const struct bcidr4 *dst)
{
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i].dst.addr == dst->addr && d->routes[i].dst.prefix == dst->prefix)
			return &d->routes[i];
	return NULL;
}

/* Neighbours are keyed by address, FDB entries by MAC. */
static struct k_neigh *find_neigh(struct k_neigh *v, size_t n, bool by_mac, uint32_t ip, const uint8_t *mac)
{
	for (size_t i = 0; i < n; i++)
		if (by_mac ? memcmp(v[i].mac, mac, 6) == 0 : v[i].ip == ip)
			return &v[i];
	return NULL;
}

int fk_sync(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *peers, size_t n,
	    struct fk_sync_report *ret, struct berr *e)
{
	struct dump d = {.t = t};
	struct fk_sync_report rep = {0};
	int r;

	r = dump_all(ns, &d, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct fk_peer *p = &peers[i];
		struct k_route *kr = find_route(&d, &p->block);
		struct k_neigh *kn = NULL, *kf = NULL;
		bool ok = kr && kr->gw == peer_gw(t, p);

		if (kr)
			kr->used = true;
		if (!t->hostgw) {
			kn = find_neigh(d.neighs, d.n_neighs, false, p->block.addr, NULL);
			kf = find_neigh(d.fdbs, d.n_fdbs, true, 0, p->mac);
			if (kn)
				kn->used = true;
			if (kf)
				kf->used = true;
			ok = ok && kn && memcmp(kn->mac, p->mac, 6) == 0 && kf && kf->ip == p->underlay;
		}
		if (ok) {
			rep.kept++;
			continue;
		}
		r = fk_peer_add(ns, t, p, e);
		if (r < 0)
			goto out;
		rep.added++;
	}
	for (size_t i = 0; i < d.n_routes; i++) {
		if (d.routes[i].used)
			continue;
		r = route_msg(ns, false, t, &d.routes[i].dst, 0, e);
		if (r < 0)
			goto out;
		rep.removed++;
	}
	for (size_t i = 0; i < d.n_neighs; i++) {
		if (d.neighs[i].used)
			continue;
		r = neigh_msg(ns, false, false, t->ifindex, d.neighs[i].ip, d.neighs[i].mac, e);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < d.n_fdbs; i++) {
		if (d.fdbs[i].used)
			continue;
		r = neigh_msg(ns, false, true, t->ifindex, d.fdbs[i].ip, d.fdbs[i].mac, e);
		if (r < 0)
			goto out;
	}
	if (ret)
		*ret = rep;
out:
	dump_free(&d);
	return r;
}
