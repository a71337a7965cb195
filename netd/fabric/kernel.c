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
#include "hash.h"
#include "mac.h"
#include "netd/engine/ifaddr.h"
#include "netd/engine/link.h"
#include "netns.h"

/* ------------------------------------------------------------------ underlay */

struct find_addr {
	struct fabric_ul want; /* by address (want_set) */
	bool want_set;
	int ifindex; /* by link: its first address of the family */
	struct fabric_ul found;
	int found_ifindex;
	int ll_ifindex; /* this link's first link-local address into ll */
	struct in6_addr ll;
};

static int find_addr_cb(int ifindex, uint32_t ip, uint8_t prefix, void *arg)
{
	struct find_addr *f = arg;

	(void)prefix;
	if (f->found_ifindex)
		return 0;
	if ((f->want_set && ip == f->want.v4) || (!f->want_set && ifindex == f->ifindex)) {
		f->found = fabric_ul4(ip);
		f->found_ifindex = ifindex;
	}
	return 0;
}

static int find_addr6_cb(int ifindex, const struct in6_addr *ip, uint8_t prefix, void *arg)
{
	struct find_addr *f = arg;

	(void)prefix;
	if (f->ll_ifindex && ifindex == f->ll_ifindex && IN6_IS_ADDR_LINKLOCAL(ip) && baddr_zero6(&f->ll))
		f->ll = *ip;
	if (f->found_ifindex)
		return 0;
	/* an interface's underlay is a global address: fe80::/10 is the link's own */
	if ((f->want_set && baddr_eq6(ip, &f->want.v6)) ||
	    (!f->want_set && ifindex == f->ifindex && !IN6_IS_ADDR_LINKLOCAL(ip))) {
		f->found.is6 = true;
		f->found.v6 = *ip;
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

int fk_underlay_find(struct nlsock *ns, const char *spec, int family, struct fk_underlay *ret, struct berr *e)
{
	struct find_addr fa = {0};
	struct find_link fl = {0};
	int r;

	if (fabric_ul_parse(spec, &fa.want, NULL) == 0) {
		fa.want_set = true;
		family = fa.want.is6 ? AF_INET6 : AF_INET;
	} else {
		struct link_info li;

		r = link_get(ns, spec, &li, e);
		if (r < 0)
			return berr_wrap(e, r, "underlay");
		fa.ifindex = li.ifindex;
	}
	r = family == AF_INET6 ? 0 : ifaddr_dump4(ns, 0, find_addr_cb, &fa, e);
	if (r == 0 && !fa.found_ifindex && family != AF_INET)
		r = ifaddr_dump6(ns, 0, find_addr6_cb, &fa, e);
	if (r < 0)
		return r;
	if (!fa.found_ifindex)
		return berr_set(e, -EADDRNOTAVAIL, "underlay %s: %s", spec,
				fa.want_set	     ? "no interface has this address"
				: family == AF_INET  ? "the interface has no IPv4 address"
				: family == AF_INET6 ? "the interface has no global IPv6 address"
						     : "the interface has no IPv4 address and no global IPv6 address");
	/* over an IPv4 underlay, a host-gw network's IPv6 blocks are routed via the link's fe80:: address */
	fa.ll_ifindex = fa.found_ifindex;
	if (!fa.found.is6) {
		r = ifaddr_dump6(ns, 0, find_addr6_cb, &fa, e);
		if (r < 0)
			return r;
	}
	fl.ifindex = fa.found_ifindex;
	r = link_dump(ns, find_link_cb, &fl, e);
	if (r < 0)
		return r;
	if (!fl.li.ifindex)
		return berr_set(e, -ENODEV, "underlay %s: its link went away", spec);
	ret->ifindex = fl.li.ifindex;
	ret->addr = fa.found;
	ret->mtu = fl.li.mtu;
	ret->ll = fa.ll;
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", fl.li.name);
	return 0;
}

/* ------------------------------------------------------------------ VXLAN device */

void fk_vtep_mac(uint32_t vni, const struct fabric_ul *underlay, uint8_t mac[6])
{
	uint32_t v = underlay->v4;

	if (underlay->is6) {
		/* 16 bytes into 4 (the MAC is in etcd's block records) */
		v = bfnv32(BFNV32_INIT, underlay->v6.s6_addr, 16);
	}
	/* locally administered, unicast; the first byte tells the families apart */
	mac[0] = underlay->is6 ? 0x1e : 0x0e;
	mac[1] = (uint8_t)vni;
	mac[2] = (uint8_t)(v >> 24);
	mac[3] = (uint8_t)(v >> 16);
	mac[4] = (uint8_t)(v >> 8);
	mac[5] = (uint8_t)v;
}

struct vx_info {
	bool found, is_vxlan;
	int ifindex;
	unsigned flags, mtu;
	uint8_t mac[6];
	uint32_t vni, link;
	struct fabric_ul local;
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
	if (data[IFLA_VXLAN_LOCAL] && nla_len(data[IFLA_VXLAN_LOCAL]) == 4) {
		uint32_t be;

		memcpy(&be, nla_data(data[IFLA_VXLAN_LOCAL]), 4);
		v->local = fabric_ul4(ntohl(be));
	}
	if (data[IFLA_VXLAN_LOCAL6] && nla_len(data[IFLA_VXLAN_LOCAL6]) == 16) {
		v->local.is6 = true;
		memcpy(&v->local.v6, nla_data(data[IFLA_VXLAN_LOCAL6]), 16);
	}
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
	uint32_t local = htonl(v->local.v4);
	uint16_t port = htons(v->port);
	struct nlattr *info, *data;
	int r;

	if (!msg || nla_put_string(msg, IFLA_IFNAME, v->name) < 0 || nla_put_u32(msg, IFLA_MTU, v->mtu) < 0 ||
	    nla_put(msg, IFLA_ADDRESS, 6, v->mac) < 0 || !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "vxlan") < 0 || !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u32(msg, IFLA_VXLAN_ID, v->vni) < 0 ||
	    (v->local.is6 ? nla_put(msg, IFLA_VXLAN_LOCAL6, 16, &v->local.v6)
			  : nla_put(msg, IFLA_VXLAN_LOCAL, 4, &local)) < 0 ||
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

/*
 * IPv6 on the device, and nothing that would disturb it: no link-local
 * address (addr_gen_mode 1, none: no DAD, MLD or router solicitation goes
 * into the overlay), no router advertisements or SLAAC taken from it, no
 * duplicate address detection (its /128 is added with IFA_F_NODAD too).
 */
static int vx_ipv6(const char *dev, struct berr *e)
{
	static const char *const set[][2] = {{"addr_gen_mode", "1"},
					     {"accept_ra", "0"},
					     {"autoconf", "0"},
					     {"accept_dad", "0"},
					     {"disable_ipv6", "0"}};
	char key[96];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(set); i++) {
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/%s", dev, set[i][0]);
		r = bns_sysctl_write(-1, key, set[i][1], e);
		if (r < 0)
			return r;
	}
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
	if (cur.found && (!cur.is_vxlan || cur.vni != v->vni || !fabric_ul_eq(&cur.local, &v->local) ||
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
	/* before link-up: the kernel makes a link-local address at once when the carrier is there */
	if (!(cur.flags & IFF_UP) || !baddr_zero6(&v->addr6)) {
		r = vx_ipv6(v->name, e);
		if (r < 0)
			return r;
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
	if (!baddr_zero6(&v->addr6)) {
		r = ifaddr_add6(ns, cur.ifindex, &v->addr6, 128, e);
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

/* An address of either family in network byte order (IPv4 in the first 4 bytes). */
struct k_ip {
	uint8_t family; /* AF_INET, AF_INET6 */
	uint8_t len;	/* 4, 16 */
	uint8_t a[16];
};

static struct k_ip ip_of4(uint32_t ip)
{
	struct k_ip k = {.family = AF_INET, .len = 4};
	uint32_t be = htonl(ip);

	memcpy(k.a, &be, 4);
	return k;
}

static struct k_ip ip_of6(const struct in6_addr *ip)
{
	struct k_ip k = {.family = AF_INET6, .len = 16};

	memcpy(k.a, ip, 16);
	return k;
}

static struct k_ip ip_of_ul(const struct fabric_ul *ul)
{
	return ul->is6 ? ip_of6(&ul->v6) : ip_of4(ul->v4);
}

static bool ip_eq(const struct k_ip *x, const struct k_ip *y)
{
	return x->family == y->family && memcmp(x->a, y->a, x->len) == 0;
}

static const char *ip_fmt(const struct k_ip *k, char *buf)
{
	return inet_ntop(k->family, k->a, buf, INET6_ADDRSTRLEN) ?: "?";
}

/* The block's destination and its first address (the gateway a VXLAN peer's route goes via). */
static struct k_ip peer_dst(const struct fk_peer *p, uint8_t *ret_prefix)
{
	*ret_prefix = p->is6 ? p->block6.prefix : p->block.prefix;
	return p->is6 ? ip_of6(&p->block6.addr) : ip_of4(p->block.addr);
}

/*
 * host-gw: the peer's underlay address, or for an IPv6 block over an IPv4
 * underlay its link-local address there (Linux has no IPv6 route via an
 * IPv4 gateway: "IPv6 does not support RTA_VIA attribute").
 */
static struct k_ip peer_gw(const struct fk_target *t, const struct fk_peer *p)
{
	uint8_t prefix;

	if (t->hostgw && p->is6 && !p->underlay.is6)
		return ip_of6(&p->ll);
	return t->hostgw ? ip_of_ul(&p->underlay) : peer_dst(p, &prefix);
}

/* The gateway: RTA_GATEWAY of the route's family, or RTA_VIA for another (an IPv4 route via inet6: Linux 5.2+). */
static int put_gateway(struct nl_msg *msg, const struct k_ip *dst, const struct k_ip *gw)
{
	__kernel_sa_family_t family = gw->family;
	uint8_t v[sizeof(struct rtvia) + 16];

	if (gw->family == dst->family)
		return nla_put(msg, RTA_GATEWAY, gw->len, gw->a);
	memcpy(v, &family, sizeof(family));
	memcpy(v + sizeof(struct rtvia), gw->a, gw->len);
	return nla_put(msg, RTA_VIA, (int)(sizeof(struct rtvia) + gw->len), v);
}

static int route_msg(struct nlsock *ns, bool add, const struct fk_target *t, const struct k_ip *dst, uint8_t prefix,
		     const struct k_ip *gw, struct berr *e)
{
	struct rtmsg rtm = {
		.rtm_family = dst->family,
		.rtm_dst_len = prefix,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = FABRIC_RTPROT,
		.rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE,
		.rtm_type = RTN_UNICAST,
		.rtm_flags = t->hostgw ? 0 : RTNH_F_ONLINK,
	};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(add ? RTM_NEWROUTE : RTM_DELROUTE,
							add ? NLM_F_CREATE | NLM_F_REPLACE : 0, &rtm, sizeof(rtm));
	char a[INET6_ADDRSTRLEN];
	int r;

	if (!msg || nla_put(msg, RTA_DST, dst->len, dst->a) < 0 || (add && put_gateway(msg, dst, gw) < 0) ||
	    nla_put_u32(msg, RTA_OIF, (uint32_t)t->ifindex) < 0)
		return berr_oom(e);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0) {
		if (!add && nlsock_errno(ns, r) == -ESRCH)
			return 0;
		return nlsock_fail(ns, r, e, "%s overlay route %s/%u", add ? "add" : "remove", ip_fmt(dst, a), prefix);
	}
	return 0;
}

/* A neighbour (ip: its address) or, fdb, an FDB entry (ip: the remote underlay). */
static int neigh_msg(struct nlsock *ns, bool add, bool fdb, int ifindex, const struct k_ip *ip, const uint8_t *mac,
		     struct berr *e)
{
	struct ndmsg ndm = {
		.ndm_family = fdb ? AF_BRIDGE : ip->family,
		.ndm_ifindex = ifindex,
		.ndm_state = NUD_PERMANENT,
		.ndm_flags = fdb ? NTF_SELF : 0,
	};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(add ? RTM_NEWNEIGH : RTM_DELNEIGH,
							add ? NLM_F_CREATE | NLM_F_REPLACE : 0, &ndm, sizeof(ndm));
	char a[INET6_ADDRSTRLEN], m[BMAC_STRLEN];
	int r, code;

	if (!msg)
		return berr_oom(e);
	if (fdb) {
		if (nla_put(msg, NDA_LLADDR, 6, mac) < 0 || (add && nla_put(msg, NDA_DST, ip->len, ip->a) < 0))
			return berr_oom(e);
	} else if (nla_put(msg, NDA_DST, ip->len, ip->a) < 0 || (add && nla_put(msg, NDA_LLADDR, 6, mac) < 0)) {
		return berr_oom(e);
	}
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0) {
		code = nlsock_errno(ns, r);
		if (!add && (code == -ENOENT || code == -ESRCH))
			return 0;
		if (fdb)
			return nlsock_fail(ns, r, e, "%s FDB entry %s dst %s", add ? "add" : "remove", bmac_fmt(mac, m),
					   ip_fmt(ip, a));
		return nlsock_fail(ns, r, e, "%s neighbour %s", add ? "add" : "remove", ip_fmt(ip, a));
	}
	return 0;
}

int fk_peer_add(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *p, struct berr *e)
{
	struct k_ip ul = ip_of_ul(&p->underlay), gw = peer_gw(t, p), dst;
	uint8_t prefix;
	int r = 0;

	dst = peer_dst(p, &prefix);
	if (t->hostgw && p->is6 && !p->underlay.is6 && baddr_zero6(&p->ll)) {
		char a[BADDR_CIDR6_STRLEN], u[INET6_ADDRSTRLEN];

		return berr_set(e, -EADDRNOTAVAIL,
				"overlay route %s: its host (underlay %s) published no link-local address of its "
				"underlay, the IPv6 next hop over an IPv4 underlay",
				baddr_fmt_cidr6(&p->block6, a), ip_fmt(&ul, u));
	}
	/* neighbour and FDB entry first: the route never points at an address nothing answers for */
	if (!t->hostgw) {
		r = neigh_msg(ns, true, true, t->ifindex, &ul, p->mac, e);
		if (r == 0)
			r = neigh_msg(ns, true, false, t->ifindex, &dst, p->mac, e);
	}
	if (r == 0)
		r = route_msg(ns, true, t, &dst, prefix, &gw, e);
	return r;
}

int fk_peer_del(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *p, struct berr *e)
{
	struct k_ip ul = ip_of_ul(&p->underlay), dst;
	uint8_t prefix;
	int r;

	dst = peer_dst(p, &prefix);
	r = route_msg(ns, false, t, &dst, prefix, NULL, e);
	if (r == 0 && !t->hostgw) {
		r = neigh_msg(ns, false, false, t->ifindex, &dst, p->mac, e);
		if (r == 0 && !p->fdb_shared)
			r = neigh_msg(ns, false, true, t->ifindex, &ul, p->mac, e);
	}
	return r;
}

/* ------------------------------------------------------------------ dumps and sync */

struct k_route {
	struct k_ip dst;
	uint8_t prefix;
	struct k_ip gw;
	bool used;
};

struct k_neigh {
	struct k_ip ip; /* neighbour: its address; FDB: the remote underlay */
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

/* An address attribute of the family's length into ret. */
static bool attr_ip(const struct nlattr *a, uint8_t family, struct k_ip *ret)
{
	uint8_t len = family == AF_INET6 ? 16 : 4;

	if (!a || nla_len(a) != len)
		return false;
	ret->family = family;
	ret->len = len;
	memcpy(ret->a, nla_data(a), len);
	return true;
}

/* Inside the target's subnet of that family (a family the network does not have: never). */
static bool in_scope(const struct fk_target *t, const struct k_ip *dst, uint8_t prefix)
{
	struct in6_addr a;
	uint32_t be;

	if (dst->family == AF_INET6) {
		memcpy(&a, dst->a, 16);
		return t->scope6.prefix && prefix >= t->scope6.prefix && baddr_in6(&t->scope6, &a);
	}
	memcpy(&be, dst->a, 4);
	return t->scope.prefix && prefix >= t->scope.prefix && baddr_in4(&t->scope, ntohl(be));
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
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) || rtm->rtm_protocol != FABRIC_RTPROT ||
	    table != RT_TABLE_MAIN || !tb[RTA_OIF] || (int)nla_get_u32(tb[RTA_OIF]) != d->t->ifindex)
		return NL_OK;
	kr.dst.family = rtm->rtm_family;
	kr.dst.len = rtm->rtm_family == AF_INET6 ? 16 : 4;
	attr_ip(tb[RTA_DST], rtm->rtm_family, &kr.dst);
	kr.prefix = rtm->rtm_dst_len;
	attr_ip(tb[RTA_GATEWAY], rtm->rtm_family, &kr.gw);
	if (tb[RTA_VIA] && nla_len(tb[RTA_VIA]) >= (int)sizeof(struct rtvia)) {
		const uint8_t *via = nla_data(tb[RTA_VIA]);
		__kernel_sa_family_t family;
		uint8_t len;

		memcpy(&family, via, sizeof(family));
		len = family == AF_INET6 ? 16 : 4;
		if ((family == AF_INET || family == AF_INET6) &&
		    nla_len(tb[RTA_VIA]) == (int)(sizeof(struct rtvia) + len)) {
			kr.gw.family = (uint8_t)family;
			kr.gw.len = len;
			memcpy(kr.gw.a, via + sizeof(struct rtvia), len);
		}
	}
	if (!in_scope(d->t, &kr.dst, kr.prefix))
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
	/* IPv6's own entries (multicast, anything the kernel resolved) are not ours: only permanent ones are */
	if (ndm->ndm_family == AF_INET6 && !(ndm->ndm_state & NUD_PERMANENT))
		return NL_OK;
	if (!tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
		return NL_OK;
	memcpy(kn.mac, nla_data(tb[NDA_LLADDR]), 6);
	/* an FDB entry's destination is the underlay, of either family (its length tells) */
	if (fdb)
		attr_ip(tb[NDA_DST], tb[NDA_DST] && nla_len(tb[NDA_DST]) == 16 ? AF_INET6 : AF_INET, &kn.ip);
	else
		attr_ip(tb[NDA_DST], ndm->ndm_family, &kn.ip);
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
	const uint8_t families[] = {AF_INET, AF_INET6};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct rtmsg rtm = {.rtm_family = families[i]};
		struct ndmsg ndm = {.ndm_family = families[i]};

		if (families[i] == AF_INET6 ? !d->t->scope6.prefix : !d->t->scope.prefix)
			continue;
		r = nlsock_dump(ns, RTM_GETROUTE, &rtm, sizeof(rtm), route_cb, d);
		if (r < 0)
			return nlsock_fail(ns, r, e, "list routes");
		if (d->t->hostgw)
			continue;
		r = nlsock_dump(ns, RTM_GETNEIGH, &ndm, sizeof(ndm), neigh_cb, d);
		if (r < 0)
			return nlsock_fail(ns, r, e, "list neighbours");
	}
	if (!d->t->hostgw) {
		struct ndmsg fdb = {.ndm_family = AF_BRIDGE};

		r = nlsock_dump(ns, RTM_GETNEIGH, &fdb, sizeof(fdb), neigh_cb, d);
		if (r < 0)
			return nlsock_fail(ns, r, e, "list FDB entries");
	}
	return d->oom ? berr_oom(e) : 0;
}

static struct k_route *find_route(struct dump *d, const struct k_ip *dst, uint8_t prefix)
{
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i].prefix == prefix && ip_eq(&d->routes[i].dst, dst))
			return &d->routes[i];
	return NULL;
}

/* Neighbours are keyed by address, FDB entries by MAC. */
static struct k_neigh *find_neigh(struct k_neigh *v, size_t n, const struct k_ip *ip, const uint8_t *mac)
{
	for (size_t i = 0; i < n; i++)
		if (mac ? memcmp(v[i].mac, mac, 6) == 0 : ip_eq(&v[i].ip, ip))
			return &v[i];
	return NULL;
}

int fk_sync(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *peers, size_t n,
	    struct fk_sync_report *ret, struct berr *e)
{
	struct dump d = {.t = t};
	struct fk_sync_report rep = {0};
	struct berr pe = BERR_INIT, skipped = BERR_INIT;
	int r;

	r = dump_all(ns, &d, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct fk_peer *p = &peers[i];
		struct k_ip ul = ip_of_ul(&p->underlay), gw = peer_gw(t, p), dst;
		uint8_t prefix;
		struct k_route *kr;
		struct k_neigh *kn = NULL, *kf = NULL;
		bool ok;

		dst = peer_dst(p, &prefix);
		kr = find_route(&d, &dst, prefix);
		ok = kr && ip_eq(&kr->gw, &gw);
		if (kr)
			kr->used = true;
		if (!t->hostgw) {
			kn = find_neigh(d.neighs, d.n_neighs, &dst, NULL);
			kf = find_neigh(d.fdbs, d.n_fdbs, NULL, p->mac);
			if (kn)
				kn->used = true;
			if (kf)
				kf->used = true;
			ok = ok && kn && memcmp(kn->mac, p->mac, 6) == 0 && kf && ip_eq(&kf->ip, &ul);
		}
		if (ok) {
			rep.kept++;
			continue;
		}
		r = fk_peer_add(ns, t, p, &pe);
		/* a peer without an IPv6 next hop is reported once all the others are in place */
		if (r == -EADDRNOTAVAIL) {
			berr_append(&skipped, NULL, &pe);
			berr_clear(&pe);
			continue;
		}
		if (r < 0) {
			berr_set(e, r, "%s", berr_message(&pe));
			goto out;
		}
		rep.added++;
	}
	for (size_t i = 0; i < d.n_routes; i++) {
		if (d.routes[i].used)
			continue;
		r = route_msg(ns, false, t, &d.routes[i].dst, d.routes[i].prefix, NULL, e);
		if (r < 0)
			goto out;
		rep.removed++;
	}
	for (size_t i = 0; i < d.n_neighs; i++) {
		if (d.neighs[i].used)
			continue;
		r = neigh_msg(ns, false, false, t->ifindex, &d.neighs[i].ip, d.neighs[i].mac, e);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < d.n_fdbs; i++) {
		if (d.fdbs[i].used)
			continue;
		r = neigh_msg(ns, false, true, t->ifindex, &d.fdbs[i].ip, d.fdbs[i].mac, e);
		if (r < 0)
			goto out;
	}
	if (ret)
		*ret = rep;
	if (skipped.code)
		r = berr_set(e, skipped.code, "%s", berr_message(&skipped));
out:
	dump_free(&d);
	return r;
}
