/* Interface addresses through rtnetlink: add, delete, dump; IPv4 and IPv6 (without DAD). */
#include "netd/engine/ifaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <string.h>

#include "addr.h"
#include "cleanup.h"

BERTH_DEFINE_PTR_CLEANUP(rtaddr_putp, struct rtnl_addr, rtnl_addr_put)
BERTH_DEFINE_PTR_CLEANUP(nladdr_putp, struct nl_addr, nl_addr_put)

/* An address message: family AF_INET (4 bytes at raw) or AF_INET6 (16 bytes). */
static int build(int family, int ifindex, const void *raw, uint8_t prefix, struct rtnl_addr **ret)
{
	_cleanup_(rtaddr_putp) struct rtnl_addr *a = NULL;
	_cleanup_(nladdr_putp) struct nl_addr *local = NULL;

	a = rtnl_addr_alloc();
	local = nl_addr_build(family, raw, family == AF_INET ? 4 : 16);
	if (!a || !local)
		return -ENOMEM;
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, family);
	if (rtnl_addr_set_local(a, local) < 0)
		return -ENOMEM;
	rtnl_addr_set_prefixlen(a, prefix);
	/* an address berth assigns is unique by construction: no duplicate address detection to wait for */
	if (family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	*ret = TAKE_PTR(a);
	return 0;
}

static int change(struct nlsock *ns, bool add, int family, int ifindex, const void *raw, uint8_t prefix, struct berr *e)
{
	_cleanup_(rtaddr_putp) struct rtnl_addr *a = NULL;
	char buf[INET6_ADDRSTRLEN];
	int r, code;

	if (build(family, ifindex, raw, prefix, &a) < 0)
		return berr_oom(e);
	nlsock_reset(ns);
	r = add ? rtnl_addr_add(ns->sk, a, NLM_F_CREATE | NLM_F_EXCL) : rtnl_addr_delete(ns->sk, a, 0);
	if (r >= 0)
		return 0;
	code = nlsock_errno(ns, r);
	/* an address already gone is deleted */
	if (!add && (code == -EADDRNOTAVAIL || code == -ENODEV || code == -ENOENT))
		return 0;
	inet_ntop(family, raw, buf, sizeof(buf));
	return nlsock_fail(ns, r, e, "%s address %s/%u", add ? "add" : "delete", buf, prefix);
}

int ifaddr_add4(struct nlsock *ns, int ifindex, uint32_t ip, uint8_t prefix, struct berr *e)
{
	uint32_t be = htonl(ip);

	return change(ns, true, AF_INET, ifindex, &be, prefix, e);
}

int ifaddr_del4(struct nlsock *ns, int ifindex, uint32_t ip, uint8_t prefix, struct berr *e)
{
	uint32_t be = htonl(ip);

	return change(ns, false, AF_INET, ifindex, &be, prefix, e);
}

int ifaddr_add6(struct nlsock *ns, int ifindex, const struct in6_addr *ip, uint8_t prefix, struct berr *e)
{
	return change(ns, true, AF_INET6, ifindex, ip, prefix, e);
}

int ifaddr_del6(struct nlsock *ns, int ifindex, const struct in6_addr *ip, uint8_t prefix, struct berr *e)
{
	return change(ns, false, AF_INET6, ifindex, ip, prefix, e);
}

struct dump_ctx {
	int ifindex;
	int family;
	int (*cb)(int, uint32_t, uint8_t, void *);
	int (*cb6)(int, const struct in6_addr *, uint8_t, void *);
	void *arg;
	int err;
};

static int dump_valid(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa;
	struct nlattr *a;
	struct in6_addr a6;
	uint32_t be;
	int r;

	if (c->err < 0 || hdr->nlmsg_type != RTM_NEWADDR || nlmsg_parse(hdr, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return NL_SKIP;
	ifa = nlmsg_data(hdr);
	if (ifa->ifa_family != c->family || (c->ifindex && (int)ifa->ifa_index != c->ifindex))
		return NL_SKIP;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || nla_len(a) != (c->family == AF_INET ? 4 : 16))
		return NL_SKIP;
	if (c->family == AF_INET6) {
		memcpy(&a6, nla_data(a), 16);
		r = c->cb6((int)ifa->ifa_index, &a6, ifa->ifa_prefixlen, c->arg);
	} else {
		memcpy(&be, nla_data(a), 4);
		r = c->cb((int)ifa->ifa_index, ntohl(be), ifa->ifa_prefixlen, c->arg);
	}
	if (r < 0)
		c->err = r;
	return NL_OK;
}

static int dump(struct nlsock *ns, struct dump_ctx *c, struct berr *e)
{
	struct ifaddrmsg ifa = {.ifa_family = (uint8_t)c->family};
	int r;

	r = nlsock_dump(ns, RTM_GETADDR, &ifa, sizeof(ifa), dump_valid, c);
	if (r < 0)
		return nlsock_fail(ns, r, e, "list addresses");
	if (c->err < 0)
		return berr_set(e, c->err, "list addresses: %s", strerror(-c->err));
	return 0;
}

int ifaddr_dump6(struct nlsock *ns, int ifindex,
		 int (*cb)(int ifindex, const struct in6_addr *ip, uint8_t prefix, void *arg), void *arg,
		 struct berr *e)
{
	struct dump_ctx c = {.ifindex = ifindex, .family = AF_INET6, .cb6 = cb, .arg = arg};

	return dump(ns, &c, e);
}

int ifaddr_dump4(struct nlsock *ns, int ifindex, int (*cb)(int ifindex, uint32_t ip, uint8_t prefix, void *arg),
		 void *arg, struct berr *e)
{
	struct dump_ctx c = {.ifindex = ifindex, .family = AF_INET, .cb = cb, .arg = arg};

	return dump(ns, &c, e);
}
