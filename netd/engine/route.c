/* Routes through rtnetlink: adding and finding IPv4 and IPv6 routes, listing every route of a namespace. */
#include "netd/engine/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "netd/engine/engine.h"
#include "netd/engine/link.h"

BERTH_DEFINE_PTR_CLEANUP(route_putp, struct rtnl_route, rtnl_route_put)
BERTH_DEFINE_PTR_CLEANUP(nladdr_putp, struct nl_addr, nl_addr_put)

static struct nl_addr *addr_of(int family, const void *raw, uint8_t prefix)
{
	struct nl_addr *a = nl_addr_build(family, raw, family == AF_INET ? 4 : 16);

	if (a)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

/* dst (raw, prefix) via gw (NULL: on-link) out of ifindex, in the main table. */
static int route_add(struct nlsock *ns, int family, const void *dst, uint8_t prefix, const void *gw, int ifindex,
		     struct berr *e)
{
	_cleanup_(route_putp) struct rtnl_route *rt = NULL;
	_cleanup_(nladdr_putp) struct nl_addr *d = NULL;
	_cleanup_(nladdr_putp) struct nl_addr *g = NULL;
	struct rtnl_nexthop *nh;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int r;

	rt = rtnl_route_alloc();
	d = addr_of(family, dst, prefix);
	nh = rtnl_route_nh_alloc();
	if (!rt || !d || !nh) {
		if (nh)
			rtnl_route_nh_free(nh);
		return berr_oom(e);
	}
	rtnl_route_set_family(rt, (uint8_t)family);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_BOOT);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	rtnl_route_set_dst(rt, d);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw) {
		g = addr_of(family, gw, family == AF_INET ? 32 : 128);
		if (!g) {
			rtnl_route_nh_free(nh);
			return berr_oom(e);
		}
		rtnl_route_nh_set_gateway(nh, g);
	}
	rtnl_route_add_nexthop(rt, nh); /* rt owns nh now */
	nlsock_reset(ns);
	r = rtnl_route_add(ns->sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0) {
		inet_ntop(family, dst, a, sizeof(a));
		if (gw)
			return nlsock_fail(ns, r, e, "add route %s/%u via %s", a, prefix,
					   inet_ntop(family, gw, b, sizeof(b)));
		return nlsock_fail(ns, r, e, "add route %s/%u", a, prefix);
	}
	return 0;
}

int route_add4(struct nlsock *ns, const struct bcidr4 *dst, uint32_t gw, int ifindex, struct berr *e)
{
	uint32_t d = htonl(dst->addr), g = htonl(gw);

	return route_add(ns, AF_INET, &d, dst->prefix, gw ? &g : NULL, ifindex, e);
}

int route_add6(struct nlsock *ns, const struct bcidr6 *dst, const struct in6_addr *gw, int ifindex, struct berr *e)
{
	return route_add(ns, AF_INET6, &dst->addr, dst->prefix, gw && !baddr_zero6(gw) ? gw : NULL, ifindex, e);
}

/* ------------------------------------------------------------------ dumps */

struct dump_ctx {
	struct eng_nsroute *v;
	size_t n, cap;
	int err;
};

static void fmt_addr(int family, const void *data, int len, char *buf, size_t blen)
{
	if ((family == AF_INET && len == 4) || (family == AF_INET6 && len == 16))
		inet_ntop(family, data, buf, (socklen_t)blen);
	else
		snprintf(buf, blen, "?");
}

static int route_valid(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct eng_nsroute *r;
	struct rtmsg *rtm;

	if (c->err < 0 || hdr->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(hdr, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	rtm = nlmsg_data(hdr);
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) || (rtm->rtm_flags & RTM_F_CLONED))
		return NL_SKIP;
	if (BARRAY_RESERVE(c->v, c->cap, c->n + 1) < 0) {
		c->err = -ENOMEM;
		return NL_SKIP;
	}
	r = &c->v[c->n++];
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->scope = rtm->rtm_scope;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	if (tb[RTA_PRIORITY])
		r->metric = nla_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_DST]) {
		char a[INET6_ADDRSTRLEN];

		fmt_addr(r->family, nla_data(tb[RTA_DST]), nla_len(tb[RTA_DST]), a, sizeof(a));
		snprintf(r->dst, sizeof(r->dst), "%s/%u", a, rtm->rtm_dst_len);
	} else if (rtm->rtm_dst_len == 0) {
		snprintf(r->dst, sizeof(r->dst), "default");
	}
	if (tb[RTA_GATEWAY])
		fmt_addr(r->family, nla_data(tb[RTA_GATEWAY]), nla_len(tb[RTA_GATEWAY]), r->gateway,
			 sizeof(r->gateway));
	if (tb[RTA_PREFSRC])
		fmt_addr(r->family, nla_data(tb[RTA_PREFSRC]), nla_len(tb[RTA_PREFSRC]), r->prefsrc,
			 sizeof(r->prefsrc));
	/* The device name is filled in afterwards; keep the index in dev for now. */
	if (tb[RTA_OIF])
		snprintf(r->dev, sizeof(r->dev), "#%u", nla_get_u32(tb[RTA_OIF]));
	return NL_OK;
}

int eng_netns_routes(int nsfd, struct eng_nsroute **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_nlsock_ struct nlsock *ns = NULL;
	struct rtmsg rtm = {.rtm_family = AF_UNSPEC};
	struct dump_ctx c = {0};
	_cleanup_free_ struct link_info *links = NULL;
	size_t n_links = 0;
	int r;

	r = nlsock_open(nsfd, &ns, e);
	if (r < 0)
		return r;
	r = link_list(ns, NULL, &links, &n_links, e);
	if (r < 0)
		goto out;
	/* A dump without a table filter returns every table (main, local, policy tables). */
	r = nlsock_dump(ns, RTM_GETROUTE, &rtm, sizeof(rtm), route_valid, &c);
	if (r < 0) {
		r = nlsock_fail(ns, r, e, "list routes");
		goto out;
	}
	if (c.err < 0) {
		r = berr_set(e, c.err, "list routes: %s", strerror(-c.err));
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i].dev[0] != '#')
			continue;
		int idx = atoi(c.v[i].dev + 1);
		for (size_t j = 0; j < n_links; j++) {
			if (links[j].ifindex == idx) {
				snprintf(c.v[i].dev, sizeof(c.v[i].dev), "%s", links[j].name);
				break;
			}
		}
	}
	*ret = TAKE_PTR(c.v);
	*ret_n = c.n;
	r = 0;
out:
	free(c.v);
	return r;
}

struct has_ctx {
	int family;
	const void *dst; /* raw, network byte order */
	uint8_t prefix;
	const void *gw; /* NULL: any */
	int ifindex;
	bool found;
};

static int has_valid(struct nl_msg *msg, void *arg)
{
	struct has_ctx *c = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct rtmsg *rtm;
	int alen = c->family == AF_INET ? 4 : 16;

	if (hdr->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(hdr, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	rtm = nlmsg_data(hdr);
	if (rtm->rtm_family != c->family || rtm->rtm_dst_len != c->prefix)
		return NL_SKIP;
	if ((tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table) != RT_TABLE_MAIN)
		return NL_SKIP;
	if (c->prefix &&
	    (!tb[RTA_DST] || nla_len(tb[RTA_DST]) != alen || memcmp(nla_data(tb[RTA_DST]), c->dst, (size_t)alen)))
		return NL_SKIP;
	if (c->gw && (!tb[RTA_GATEWAY] || nla_len(tb[RTA_GATEWAY]) != alen ||
		      memcmp(nla_data(tb[RTA_GATEWAY]), c->gw, (size_t)alen)))
		return NL_SKIP;
	if (c->ifindex && (!tb[RTA_OIF] || (int)nla_get_u32(tb[RTA_OIF]) != c->ifindex))
		return NL_SKIP;
	c->found = true;
	return NL_OK;
}

static int route_has(struct nlsock *ns, struct has_ctx *c, bool *ret, struct berr *e)
{
	struct rtmsg rtm = {.rtm_family = (uint8_t)c->family};
	int r;

	r = nlsock_dump(ns, RTM_GETROUTE, &rtm, sizeof(rtm), has_valid, c);
	if (r < 0)
		return nlsock_fail(ns, r, e, "list routes");
	*ret = c->found;
	return 0;
}

int route_has4(struct nlsock *ns, const struct bcidr4 *dst, uint32_t gw, int ifindex, bool *ret, struct berr *e)
{
	uint32_t d = htonl(dst->addr), g = htonl(gw);
	struct has_ctx c = {
		.family = AF_INET, .dst = &d, .prefix = dst->prefix, .gw = gw ? &g : NULL, .ifindex = ifindex};

	return route_has(ns, &c, ret, e);
}

int route_has6(struct nlsock *ns, const struct bcidr6 *dst, const struct in6_addr *gw, int ifindex, bool *ret,
	       struct berr *e)
{
	struct has_ctx c = {.family = AF_INET6,
			    .dst = &dst->addr,
			    .prefix = dst->prefix,
			    .gw = gw && !baddr_zero6(gw) ? gw : NULL,
			    .ifindex = ifindex};

	return route_has(ns, &c, ret, e);
}
static const char *lookup(const char *const *names, size_t n, unsigned v, char *buf, size_t len)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "%u", v);
	return buf;
}

const char *eng_route_table_name(uint32_t table, char *buf, size_t len)
{
	switch (table) {
	case RT_TABLE_MAIN:
		return "main";
	case RT_TABLE_LOCAL:
		return "local";
	case RT_TABLE_DEFAULT:
		return "default";
	default:
		snprintf(buf, len, "%u", table);
		return buf;
	}
}

const char *eng_route_proto_name(uint8_t proto, char *buf, size_t len)
{
	static const char *const names[] = {
		[RTPROT_UNSPEC] = "unspec", [RTPROT_REDIRECT] = "redirect", [RTPROT_KERNEL] = "kernel",
		[RTPROT_BOOT] = "boot",	    [RTPROT_STATIC] = "static",	    [RTPROT_RA] = "ra",
		[RTPROT_DHCP] = "dhcp",	    [ENG_RTPROT_FABRIC] = "fabric"};

	return lookup(names, sizeof(names) / sizeof(names[0]), proto, buf, len);
}

const char *eng_route_scope_name(uint8_t scope, char *buf, size_t len)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	default:
		snprintf(buf, len, "%u", scope);
		return buf;
	}
}
