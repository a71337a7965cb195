/* Links through rtnetlink: queries, dumps, bridges, veth pairs, flags, renames and deletion. */
#include "netd/engine/link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"

BERTH_DEFINE_PTR_CLEANUP(link_putp, struct rtnl_link, rtnl_link_put)
BERTH_DEFINE_PTR_CLEANUP(addr_putp, struct nl_addr, nl_addr_put)

static int parse_link(struct nlmsghdr *hdr, struct link_info *li)
{
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;

	if (hdr->nlmsg_type != RTM_NEWLINK || nlmsg_parse(hdr, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	ifi = nlmsg_data(hdr);
	memset(li, 0, sizeof(*li));
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(li->name, tb[IFLA_IFNAME], sizeof(li->name));
	if (tb[IFLA_MASTER])
		li->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		li->link = (int)nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_MTU])
		li->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(li->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINKINFO]) {
		struct nlattr *info[IFLA_INFO_MAX + 1];

		if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 && info[IFLA_INFO_KIND])
			nla_strlcpy(li->kind, info[IFLA_INFO_KIND], sizeof(li->kind));
	}
	return 0;
}

static int get_valid(struct nl_msg *msg, void *arg)
{
	struct link_info *li = arg;

	return parse_link(nlmsg_hdr(msg), li) == 0 ? NL_OK : NL_SKIP;
}

int link_get(struct nlsock *ns, const char *name, struct link_info *ret, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_GETLINK, 0, &ifi, sizeof(ifi));
	struct link_info li = {.ifindex = 0};
	int r;

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return berr_oom(e);
	r = nlsock_request(ns, msg, get_valid, &li);
	if (r < 0) {
		if (nlsock_errno(ns, r) == -ENODEV)
			return berr_set(e, -ENODEV, "no link named %s", name);
		return nlsock_fail(ns, r, e, "query link %s", name);
	}
	if (li.ifindex <= 0)
		return berr_set(e, -ENODEV, "no link named %s", name);
	*ret = li;
	return 0;
}

struct dump_ctx {
	int (*cb)(const struct link_info *, void *);
	void *arg;
	int err;
};

static int dump_valid(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct link_info li;
	int r;

	if (c->err < 0 || parse_link(nlmsg_hdr(msg), &li) < 0)
		return NL_SKIP;
	r = c->cb(&li, c->arg);
	if (r < 0)
		c->err = r;
	return NL_OK;
}

int link_dump(struct nlsock *ns, int (*cb)(const struct link_info *li, void *arg), void *arg, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	struct dump_ctx c = {.cb = cb, .arg = arg};
	int r;

	if (!msg || nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return berr_oom(e);
	r = nlsock_request(ns, msg, dump_valid, &c);
	if (r < 0)
		return nlsock_fail(ns, r, e, "list links");
	if (c.err < 0)
		return berr_set(e, c.err, "list links: %s", strerror(-c.err));
	return 0;
}

struct list_ctx {
	bool (*keep)(const struct link_info *);
	struct link_info *v;
	size_t n, cap;
};

static int list_add(const struct link_info *li, void *arg)
{
	struct list_ctx *c = arg;

	if (c->keep && !c->keep(li))
		return 0;
	if (BARRAY_RESERVE(c->v, c->cap, c->n + 1) < 0)
		return -ENOMEM;
	c->v[c->n++] = *li;
	return 0;
}

int link_list(struct nlsock *ns, bool (*keep)(const struct link_info *li), struct link_info **ret, size_t *ret_n,
	      struct berr *e)
{
	struct list_ctx c = {.keep = keep};
	int r;

	r = link_dump(ns, list_add, &c, e);
	if (r < 0) {
		free(c.v);
		return r;
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

int link_bridge_create(struct nlsock *ns, const char *name, unsigned mtu, const uint8_t *mac, struct berr *e)
{
	_cleanup_(link_putp) struct rtnl_link *link = NULL;
	_cleanup_(addr_putp) struct nl_addr *addr = NULL;
	int r;

	link = rtnl_link_bridge_alloc();
	if (!link)
		return berr_oom(e);
	rtnl_link_set_name(link, name);
	if (mtu)
		rtnl_link_set_mtu(link, mtu);
	if (mac) {
		addr = nl_addr_build(AF_LLC, mac, 6);
		if (!addr)
			return berr_oom(e);
		rtnl_link_set_addr(link, addr);
	}
	rtnl_link_set_flags(link, IFF_UP);
	nlsock_reset(ns);
	r = rtnl_link_add(ns->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nlsock_fail(ns, r, e, "create bridge %s", name);
	return 0;
}

int link_bridge_set_mcast_snooping(struct nlsock *ns, int ifindex, bool on, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	struct nlattr *info, *data;
	int r;

	if (!msg || !(info = nla_nest_start(msg, IFLA_LINKINFO)) || nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) || nla_put_u8(msg, IFLA_BR_MCAST_SNOOPING, on ? 1 : 0) < 0)
		return berr_oom(e);
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0)
		return nlsock_fail(ns, r, e, "set multicast snooping of bridge %d", ifindex);
	return 0;
}

int link_veth_create(struct nlsock *ns, const struct link_veth *v, struct berr *e)
{
	_cleanup_(link_putp) struct rtnl_link *link = NULL;
	_cleanup_(link_putp) struct rtnl_link *peer = NULL;
	_cleanup_(addr_putp) struct nl_addr *addr = NULL;
	int r;

	link = rtnl_link_veth_alloc();
	if (!link)
		return berr_oom(e);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, v->name);
	rtnl_link_set_name(peer, v->peer_name);
	if (v->mtu) {
		rtnl_link_set_mtu(link, v->mtu);
		rtnl_link_set_mtu(peer, v->mtu);
	}
	if (v->master > 0)
		rtnl_link_set_master(link, v->master);
	if (v->peer_mac) {
		addr = nl_addr_build(AF_LLC, v->peer_mac, 6);
		if (!addr)
			return berr_oom(e);
		rtnl_link_set_addr(peer, addr);
	}
	/* The peer is born in the container's namespace: it never appears on the host. */
	rtnl_link_set_ns_fd(peer, v->peer_netns_fd);
	/* both ends are born down: link_up_quiet brings them up without IPv6 chatter */
	nlsock_reset(ns);
	r = rtnl_link_add(ns->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nlsock_fail(ns, r, e, "create veth pair %s / %s", v->name, v->peer_name);
	return 0;
}

int link_set(struct nlsock *ns, int ifindex, unsigned flags, unsigned mask, int master, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags, .ifi_change = mask};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	int r;

	if (!msg || (master >= 0 && nla_put_u32(msg, IFLA_MASTER, (uint32_t)master) < 0))
		return berr_oom(e);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0)
		return nlsock_fail(ns, r, e, "configure link %d", ifindex);
	return 0;
}

static int up_quiet_msg(int ifindex, const char *name, bool hairpin, bool inet6, struct nl_msg **ret)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	struct nlattr *af, *in6, *info, *data;

	if (!msg || (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0))
		return -ENOMEM;
	/* applied before the flags (do_setlink), so no link-local address is made when the link comes up */
	if (inet6) {
		if (!(af = nla_nest_start(msg, IFLA_AF_SPEC)) || !(in6 = nla_nest_start(msg, AF_INET6)) ||
		    nla_put_u8(msg, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
			return -ENOMEM;
		nla_nest_end(msg, in6);
		nla_nest_end(msg, af);
	}
	/* bridge port options as the port's slave data (applied before do_setlink too) */
	if (hairpin) {
		if (!(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
		    nla_put_string(msg, IFLA_INFO_SLAVE_KIND, "bridge") < 0 ||
		    !(data = nla_nest_start(msg, IFLA_INFO_SLAVE_DATA)) || nla_put_u8(msg, IFLA_BRPORT_MODE, 1) < 0)
			return -ENOMEM;
		nla_nest_end(msg, data);
		nla_nest_end(msg, info);
	}
	*ret = TAKE_PTR(msg);
	return 0;
}

int link_up_quiet(struct nlsock *ns, int ifindex, const char *name, bool hairpin, struct berr *e)
{
	struct nl_msg *msg;
	int r;

	if (up_quiet_msg(ifindex, name, hairpin, true, &msg) < 0)
		return berr_oom(e);
	r = nlsock_sync(ns, msg);
	if (r < 0 && nlsock_errno(ns, r) == -EAFNOSUPPORT) {
		/* a kernel without IPv6 */
		if (up_quiet_msg(ifindex, name, hairpin, false, &msg) < 0)
			return berr_oom(e);
		r = nlsock_sync(ns, msg);
	}
	if (r < 0)
		return nlsock_fail(ns, r, e, "bring link %s up", ifindex ? "(by index)" : name);
	return 0;
}

int link_set_hairpin(struct nlsock *ns, int ifindex, bool on, struct berr *e)
{
	struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = ifindex};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(RTM_SETLINK, 0, &ifi, sizeof(ifi));
	struct nlattr *pi;
	int r;

	/* br_setlink only reads port settings from a nested IFLA_PROTINFO (NLA_F_NESTED set). */
	if (!msg || !(pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
	    nla_put_u8(msg, IFLA_BRPORT_MODE, on ? 1 : 0) < 0)
		return berr_oom(e);
	nla_nest_end(msg, pi);
	r = nlsock_sync(ns, TAKE_PTR(msg));
	if (r < 0)
		return nlsock_fail(ns, r, e, "set hairpin mode on bridge port %d", ifindex);
	return 0;
}

/* A link message (type) about ifindex carrying the name IFLA_IFNAME: the new name, or the link's own (ifindex 0). */
static struct nl_msg *name_msg(int type, int ifindex, const char *name)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(type, 0, &ifi, sizeof(ifi));

	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0)
		return NULL;
	return TAKE_PTR(msg);
}

int link_retire(struct nlsock *ns, int ifindex, const char *new_name, struct berr *e)
{
	struct nl_msg *msg;
	int r;

	r = link_set(ns, ifindex, 0, IFF_UP, 0, e);
	if (r < 0)
		return r;
	msg = name_msg(RTM_NEWLINK, ifindex, new_name);
	if (!msg)
		return berr_oom(e);
	r = nlsock_sync(ns, msg);
	if (r < 0)
		return nlsock_fail(ns, r, e, "rename link %d to %s", ifindex, new_name);
	return 0;
}

int link_delete(struct nlsock *ns, const char *name, struct berr *e)
{
	struct nl_msg *msg;
	int r;

	msg = name_msg(RTM_DELLINK, 0, name);
	if (!msg)
		return berr_oom(e);
	r = nlsock_sync(ns, msg);
	if (r < 0) {
		if (nlsock_errno(ns, r) == -ENODEV)
			return 0;
		return nlsock_fail(ns, r, e, "delete link %s", name);
	}
	return 0;
}
