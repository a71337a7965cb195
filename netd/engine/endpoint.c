/* Endpoints: attach, detach, check and listing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "mac.h"
#include "netd/engine/eng_int.h"
#include "netd/engine/ifaddr.h"
#include "netd/engine/link.h"
#include "netd/engine/ports.h"
#include "netd/engine/record.h"
#include "netd/engine/route.h"
#include "netns.h"
#include "strv.h"

/* The allocation files of a network, of the families it has (NULL otherwise). */
struct ep_ipam {
	struct ipam *v4;
	struct ipam6 *v6;
};

static void ep_ipam_close(struct ep_ipam *ip)
{
	ipam_close(ip->v4);
	ipam6_close(ip->v6);
	ip->v4 = NULL;
	ip->v6 = NULL;
}

static int validate_attach(const struct eng_attach *req, struct berr *e)
{
	const char *ifname = req->ifname ? req->ifname : ENG_DEFAULT_IFNAME;
	int r;

	if (!req->network || !bname_valid(req->network, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", req->network ? req->network : "");
	if (!req->id || !bname_valid(req->id, ENG_ID_MAX))
		return berr_set(e, -EINVAL,
				"invalid container id '%s': letters, digits, '_', '.', '-', starting with a letter or "
				"digit, at most %d",
				req->id ? req->id : "", ENG_ID_MAX);
	if (!bifname_valid(ifname))
		return berr_set(e, -EINVAL, "invalid interface name '%s'", ifname);
	if (req->netns_fd < 0)
		return berr_set(e, -EINVAL, "no network namespace given");
	r = bns_check(req->netns_fd, CLONE_NEWNET, e);
	if (r < 0)
		return berr_wrap(e, r, "netns");
	{
		/* The host's own namespace is never a container's: wiring it would rename and readdress host links. */
		_cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

		if (own >= 0 && bns_same(own, req->netns_fd))
			return berr_set(e, -EINVAL, "netns: refusing to attach the engine's own network namespace");
	}
	if (req->owner && (!req->owner[0] || strlen(req->owner) > ENG_OWNER_MAX))
		return berr_set(e, -EINVAL, "invalid endpoint owner '%s'", req->owner);
	if (req->mac && bmac_is_multicast(req->mac))
		return berr_set(e, -EINVAL, "mac: a multicast address cannot name an interface");
	if (req->n_routes > ENG_MAX_ROUTES)
		return berr_set(e, -EINVAL, "routes: more than %d", ENG_MAX_ROUTES);
	if (req->ip_external && !req->ip && baddr_zero6(&req->ip6))
		return berr_set(e, -EINVAL, "ip_external: no address given");
	if (req->name && !bdns_name_valid(req->name))
		return berr_set(e, -EINVAL, "name: invalid name '%s' (DNS labels of letters, digits, '-', '_')",
				req->name);
	if (req->n_aliases > ENG_MAX_ALIASES)
		return berr_set(e, -EINVAL, "aliases: more than %d", ENG_MAX_ALIASES);
	for (size_t i = 0; i < req->n_aliases; i++)
		if (!bdns_name_valid(req->aliases[i]))
			return berr_set(e, -EINVAL, "aliases[%zu]: invalid name '%s'", i, req->aliases[i]);
	for (size_t i = 0, total = 0; i < req->n_ports; i++) {
		const struct bportspec *p = &req->ports[i];

		if (!p->host_port || !p->container_port || p->host_port_end < p->host_port)
			return berr_set(e, -EINVAL, "ports[%zu]: invalid port range", i);
		if (p->container_port_end != p->container_port &&
		    p->container_port_end - p->container_port != p->host_port_end - p->host_port)
			return berr_set(e, -EINVAL, "ports[%zu]: container range must be as wide as the host range", i);
		if (p->proto != BPROTO_TCP && p->proto != BPROTO_UDP)
			return berr_set(e, -EINVAL, "ports[%zu]: protocol must be tcp or udp", i);
		total += (size_t)(p->host_port_end - p->host_port) + 1;
		if (total > ENG_MAX_PORTS)
			return berr_set(e, -EINVAL, "ports: more than %d host ports", ENG_MAX_PORTS);
	}
	return 0;
}

/* Who holds an address, IPv4 ip or (ip 0) IPv6 ip6 (for the error message); the caller holds the network lock. */
static void name_owner(struct eng *eng, const char *network, uint32_t ip, const struct in6_addr *ip6, char *buf,
		       size_t len)
{
	struct eng_endpoint *eps = NULL;
	size_t n = 0;

	snprintf(buf, len, "a crashed attach (reconcile reclaims it)");
	if (store_ep_list(&eng->st, network, NULL, false, &eps, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ip ? eps[i].ip == ip : baddr_eq6(&eps[i].ip6, ip6)) {
			snprintf(buf, len, "container '%s' (%s)", eps[i].id, eps[i].ifname);
			break;
		}
	}
	eng_endpoints_free(eps, n);
}

static int open_files(struct eng *eng, const struct eng_network *n, struct ep_ipam *ret, struct berr *e)
{
	char path[PATH_MAX];
	struct ipam_def d;
	struct ipam6_def d6;
	int r = 0;

	if (eng_network_has4(n)) {
		store_ipam_path(&eng->st, n->name, path, sizeof(path));
		net_ipam_def(n, &d);
		r = ipam_open(path, &d, &ret->v4, e);
	}
	if (r == 0 && eng_network_has6(n)) {
		store_ipam6_path(&eng->st, n->name, path, sizeof(path));
		net_ipam6_def(n, &d6);
		r = ipam6_open(path, &d6, &ret->v6, e);
	}
	if (r < 0)
		ep_ipam_close(ret);
	return r;
}

static int open_ipam(struct eng *eng, const struct eng_network *n, struct ep_ipam *ret, struct berr *e)
{
	int r;

	r = open_files(eng, n, ret, e);
	if (r == -ENOENT || r == -EBADMSG) {
		/* missing or damaged: the records are the truth */
		struct eng_endpoint *eps = NULL;
		size_t n_eps = 0;

		berr_clear(e);
		r = store_ep_list(&eng->st, n->name, NULL, false, &eps, &n_eps, e);
		if (r < 0)
			return r;
		r = net_ipam_rebuild(eng, n, eps, n_eps, e);
		eng_endpoints_free(eps, n_eps);
		if (r < 0)
			return r;
		r = open_files(eng, n, ret, e);
	}
	return r;
}

static int copy_request(const struct eng_network *n, const struct eng_attach *req, struct eng_endpoint *ep,
			struct berr *e)
{
	struct stat st;

	memset(ep, 0, sizeof(*ep));
	snprintf(ep->network, sizeof(ep->network), "%s", n->name);
	snprintf(ep->id, sizeof(ep->id), "%s", req->id);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", req->ifname ? req->ifname : ENG_DEFAULT_IFNAME);
	eng_host_ifname(ep->network, ep->id, ep->ifname, ep->host_ifname);
	if (fstat(req->netns_fd, &st) < 0)
		return berr_errno(e, "stat netns");
	ep->netns_dev = (uint64_t)st.st_dev;
	ep->netns_ino = (uint64_t)st.st_ino;
	if (eng_netns_cookie(req->netns_fd, &ep->netns_cookie) < 0)
		ep->netns_cookie = 0; /* Linux < 5.14: reconcile will not wire this endpoint again */
	if (req->netns_path && !(ep->netns_path = strdup(req->netns_path)))
		return berr_oom(e);
	ep->prefix = eng_network_has4(n) ? n->subnet.prefix : 0;
	ep->prefix6 = eng_network_has6(n) ? n->subnet6.prefix : 0;
	ep->ip_external = req->ip_external;
	ep->mtu = n->mtu;
	ep->default_route = !req->no_default_route && !n->internal;
	ep->gateway = ep->default_route ? n->gateway : 0;
	if (ep->default_route && eng_network_has6(n))
		ep->gateway6 = n->gateway6;
	if (req->n_routes) {
		ep->routes = calloc(req->n_routes, sizeof(*ep->routes));
		if (!ep->routes)
			return berr_oom(e);
		for (size_t i = 0; i < req->n_routes; i++) {
			struct eng_route *rt = &ep->routes[i];

			*rt = req->routes[i];
			if (rt->v6 ? !eng_network_has6(n) : !eng_network_has4(n))
				return berr_set(e, -EINVAL, "routes[%zu]: network '%s' has no IPv%c", i, n->name,
						rt->v6 ? '6' : '4');
			if (!rt->v6 && !rt->gw)
				rt->gw = n->gateway;
			if (rt->v6 && baddr_zero6(&rt->gw6))
				rt->gw6 = n->gateway6;
		}
		ep->n_routes = req->n_routes;
	}
	if (req->n_ports) {
		ep->ports = calloc(req->n_ports, sizeof(*ep->ports));
		if (!ep->ports)
			return berr_oom(e);
		memcpy(ep->ports, req->ports, req->n_ports * sizeof(*ep->ports));
		ep->n_ports = req->n_ports;
	}
	if (req->name && !(ep->name = strdup(req->name)))
		return berr_oom(e);
	if (req->n_aliases) {
		ep->aliases = calloc(req->n_aliases, sizeof(*ep->aliases));
		if (!ep->aliases)
			return berr_oom(e);
		for (; ep->n_aliases < req->n_aliases; ep->n_aliases++)
			if (!(ep->aliases[ep->n_aliases] = strdup(req->aliases[ep->n_aliases])))
				return berr_oom(e);
	}
	ep->state = ENG_EP_PENDING;
	ep->created = (int64_t)time(NULL);
	snprintf(ep->owner, sizeof(ep->owner), "%s", req->owner ? req->owner : ENG_OWNER_NETD);
	return 0;
}

/*
 * The rtnetlink socket in the container's namespace, and, for an endpoint
 * with IPv6, in the same short-lived child, the one IPv6 setting the
 * interface needs: accept_ra=0 (no router advertisements, which a container
 * could send to its neighbours; and with none accepted there are no SLAAC or
 * privacy addresses and no routes learnt). The rest needs no sysctl: with
 * address generation off (link_up_quiet) the interface has no link-local
 * address, so it sends no router solicitation and runs no DAD, and its one
 * address is added with IFA_F_NODAD. One write, not six, and through the
 * engine's private procfs (eng_procfs): every sysctl file looked up walks
 * the kernel's dentries of that name in every namespace looked up through
 * the same procfs before (proc_sys_compare), so through /proc each write
 * would cost O(containers), and so would every later lookup in
 * /proc/sys/net, the host's own included (docs/performance.md).
 */
static int open_container_side(struct eng *eng, const struct eng_endpoint *ep, int nsfd, struct nlsock **ret,
			       struct berr *e)
{
	struct bns_sysctl sc;
	int r;

	if (!ep->prefix6)
		return nlsock_open(nsfd, ret, e);
	sc.dirfd = eng_procfs(eng);
	snprintf(sc.path, sizeof(sc.path), "%s/net/ipv6/conf/%s/accept_ra", sc.dirfd >= 0 ? "sys" : "/proc/sys",
		 ep->ifname);
	sc.value = "0";
	r = nlsock_open_sysctls(nsfd, &sc, 1, ret, e);
	if (r < 0)
		return r;
	if (sc.err < 0) {
		nlsock_close(*ret);
		*ret = NULL;
		return berr_sys(e, sc.err, "turn router advertisements off on %s", ep->ifname);
	}
	return 0;
}

int ep_kernel_setup(struct eng *eng, const struct eng_network *n, const struct eng_endpoint *ep, int nsfd,
		    int bridge_ifindex, struct berr *e)
{
	_cleanup_nlsock_ struct nlsock *cns = NULL;
	struct link_veth v = {
		.name = ep->host_ifname,
		.master = bridge_ifindex,
		.mtu = ep->mtu,
		.peer_netns_fd = nsfd,
		.peer_name = ep->ifname,
		.peer_mac = ep->mac,
	};
	struct nlsock *host;
	struct link_info li;
	int r;

	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	r = link_veth_create(host, &v, e);
	if (r == -EEXIST && eng->reaper) {
		/* the container end of a pair this container was just detached from may still wait for the reaper */
		reaper_flush(eng->reaper);
		berr_clear(e);
		r = link_veth_create(host, &v, e);
	}
	if (r == -EEXIST) {
		if (link_get(host, ep->host_ifname, &li, NULL) == 0)
			return berr_set(e, -EEXIST, "host interface %s already exists", ep->host_ifname);
		return berr_set(e, -EEXIST, "interface %s already exists in the container's network namespace",
				ep->ifname);
	}
	if (r < 0)
		return r;
	eng_failpoint("attach-veth");
	/*
	 * The container side first, through a socket born in its namespace (this
	 * thread never enters it), while the host end is still down: the pair
	 * gets its carrier, and the bridge a forwarding port, only once the
	 * container has its address and routes.
	 */
	r = open_container_side(eng, ep, nsfd, &cns, e);
	if (r < 0)
		goto fail;
	r = link_set(cns, 1 /* lo */, IFF_UP, IFF_UP, -1, e);
	if (r < 0)
		goto fail;
	r = link_get(cns, ep->ifname, &li, e);
	if (r < 0)
		goto fail;
	r = link_up_quiet(cns, li.ifindex, NULL, false, e);
	if (r < 0)
		goto fail;
	if (ep->ip) {
		r = ifaddr_add4(cns, li.ifindex, ep->ip, ep->prefix, e);
		if (r < 0)
			goto fail;
	}
	if (ep->prefix6) {
		r = ifaddr_add6(cns, li.ifindex, &ep->ip6, ep->prefix6, e);
		if (r < 0)
			goto fail;
	}
	/* the interface is up (no carrier yet): routes through it are accepted */
	if (ep->default_route && ep->gateway) {
		struct bcidr4 any = {0, 0};

		r = route_add4(cns, &any, ep->gateway, li.ifindex, e);
		if (r < 0)
			goto fail;
	}
	if (ep->default_route && !baddr_zero6(&ep->gateway6)) {
		struct bcidr6 any6 = {IN6ADDR_ANY_INIT, 0};

		r = route_add6(cns, &any6, &ep->gateway6, li.ifindex, e);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < ep->n_routes; i++) {
		const struct eng_route *rt = &ep->routes[i];

		r = rt->v6 ? route_add6(cns, &rt->dst6, &rt->gw6, li.ifindex, e)
			   : route_add4(cns, &rt->dst, rt->gw, li.ifindex, e);
		if (r < 0)
			goto fail;
	}
	{
		/*
		 * No IPv6 at all on a bridge port: even without an address, an
		 * IPv6 device in the host's namespace gets a multicast route
		 * (ff00::/8 per device, inserted into one ever longer list) and
		 * every link event walks the whole IPv6 table: O(ports) per attach.
		 * A kernel without IPv6 has no such file.
		 */
		char key[64];

		snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", ep->host_ifname);
		r = bns_sysctl_write(-1, key, "1", e);
		if (r < 0 && r != -ENOENT)
			goto fail;
		berr_clear(e);
	}
	/* by name: no RTM_GETLINK, whose answer about a veth costs the kernel a scan of every peer namespace id */
	r = link_up_quiet(host, 0, ep->host_ifname, n->hairpin, e);
	if (r < 0)
		goto fail;
	return 0;
fail:
	berr_wrap(e, r, "configure %s", ep->ifname);
	/* Deleting the host end takes the container end with it. */
	link_delete(host, ep->host_ifname, NULL);
	return r;
}

/*
 * The container end of a pair whose host end (host_ifindex) was just
 * retired: down and renamed inside its namespace, so that its interface name
 * is free at once (a DEL and an ADD of the same name back to back). 0 also
 * when it is no longer there; an unreachable namespace is an error.
 */
static int retire_peer(const struct eng_endpoint *ep, int host_ifindex, const char *trash)
{
	_cleanup_close_ int nsfd = -1;
	_cleanup_nlsock_ struct nlsock *cns = NULL;
	struct link_info li;
	int r;

	if (!ep->netns_path)
		return -ENOENT;
	r = bns_open(ep->netns_path, CLONE_NEWNET, &nsfd, NULL);
	if (r < 0)
		return r;
	r = eng_netns_matches(nsfd, ep) ? nlsock_open(nsfd, &cns, NULL) : -ESTALE;
	if (r < 0)
		return r;
	r = link_get(cns, ep->ifname, &li, NULL);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	/* only our pair's end: a link of that name with another peer is not ours to touch */
	if (li.link != host_ifindex)
		return 0;
	return link_retire(cns, li.ifindex, trash, NULL);
}

/*
 * Delete the host end of a veth pair (the container end goes with it), or
 * with a reaper: take it off the bridge under a name of its own and let the
 * reaper delete it; or for a hand-off (one-shot users): retire both ends and
 * leave the deletion to eng_close. Its address may be handed out again at
 * once: the old pair no longer touches the bridge.
 */
static int remove_link(struct eng *eng, struct nlsock *host, const struct eng_endpoint *ep, struct berr *e)
{
	const char *name = ep->host_ifname;
	struct link_info li;
	uint8_t rnd[6];
	char trash[16];
	int r;

	if (!eng->reaper && !eng->handoff)
		return link_delete(host, name, e);
	r = link_get(host, name, &li, NULL);
	if (r == -ENODEV)
		return 0;
	if (r < 0 || getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return link_delete(host, name, e);
	snprintf(trash, sizeof(trash), "bx%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if (link_retire(host, li.ifindex, trash, NULL) < 0)
		return link_delete(host, link_get(host, trash, &li, NULL) == 0 ? trash : name, e);
	if (eng->reaper)
		return reaper_add(eng->reaper, trash) < 0 ? link_delete(host, trash, e) : 0;
	if (retire_peer(ep, li.ifindex, trash) < 0 || eng_retired_add(eng, trash) < 0)
		return link_delete(host, trash, e);
	return 0;
}

int ep_teardown(struct eng *eng, const struct eng_network *n, struct eng_endpoint *ep, bool skip_nft, struct berr *e)
{
	_cleanup_(ep_ipam_close) struct ep_ipam ip = {0};
	struct nlsock *host;
	int r, first = 0;

	if (ep->state != ENG_EP_REMOVING) {
		ep->state = ENG_EP_REMOVING;
		r = store_ep_write(&eng->st, ep, e);
		if (r < 0)
			return r;
	}
	eng_failpoint("detach-removing");
	if (!skip_nft) {
		_cleanup_free_ struct nft_port *ports = NULL;
		struct nft_endpoint ne;
		struct nft_ctx *nft;
		size_t np = 0;

		if (eng_nft_ports(ep, &ports, &np) < 0)
			return berr_oom(e);
		eng_nft_endpoint(ep, &ne);
		r = eng_nft(eng, &nft, e);
		if (r >= 0)
			r = nft_endpoint_del(nft, &ne, ports, np, e);
		if (r < 0 && r != -ENOENT)
			first = first ? first : r;
	}
	r = eng_host(eng, &host, e);
	if (r >= 0)
		r = remove_link(eng, host, ep, e);
	if (r < 0)
		first = first ? first : r;
	eng_failpoint("detach-unlinked");
	r = ports_release(&eng->st, ep, first ? NULL : e);
	if (r < 0)
		first = first ? first : r;
	if (first < 0)
		return first; /* the record stays, marked removing, for reconcile */
	if (open_ipam(eng, n, &ip, NULL) == 0) {
		if (ip.v4 && ep->ip)
			ipam_clear(ip.v4, ep->ip);
		if (ip.v6 && ep->prefix6)
			ipam6_clear(ip.v6, &ep->ip6);
	}
	return store_ep_remove(&eng->st, ep->network, ep->id, ep->ifname, e);
}

/* The endpoint's addresses: the requested ones, checked, or the next free ones, of each family the network has. */
static int pick_addresses(struct eng *eng, const struct eng_network *n, const struct ep_ipam *ip,
			  const struct eng_attach *req, struct eng_endpoint *ep, struct berr *e)
{
	char a[INET6_ADDRSTRLEN], who[256], c[BADDR_CIDR6_STRLEN];
	int r;

	if (req->ip && !ip->v4)
		return berr_set(e, -EINVAL, "address %s: network '%s' has no IPv4 subnet", baddr_fmt4(req->ip, a),
				n->name);
	if (!baddr_zero6(&req->ip6) && !ip->v6)
		return berr_set(e, -EINVAL, "address %s: network '%s' has no IPv6 subnet", baddr_fmt6(&req->ip6, a),
				n->name);
	if (req->ip) {
		if (!ipam_in_subnet(ip->v4, req->ip) || ipam_reserved(ip->v4, req->ip))
			return berr_set(e, -EINVAL, "address %s is not a host address of network '%s' (%s)",
					baddr_fmt4(req->ip, a), n->name, baddr_fmt_cidr4(&n->subnet, c));
		if (ipam_test(ip->v4, req->ip)) {
			name_owner(eng, n->name, req->ip, NULL, who, sizeof(who));
			return berr_set(e, -EADDRINUSE, "address %s is already in use by %s", baddr_fmt4(req->ip, a),
					who);
		}
		ep->ip = req->ip;
	} else if (ip->v4) {
		r = ipam_next(ip->v4, &ep->ip);
		if (r < 0)
			return berr_set(e, -ENOSPC, "network '%s' has no free address", n->name);
	}
	if (!baddr_zero6(&req->ip6)) {
		if (!ipam6_in_subnet(ip->v6, &req->ip6) || ipam6_reserved(ip->v6, &req->ip6))
			return berr_set(e, -EINVAL, "address %s is not a host address of network '%s' (%s)",
					baddr_fmt6(&req->ip6, a), n->name, baddr_fmt_cidr6(&n->subnet6, c));
		if (ipam6_test(ip->v6, &req->ip6)) {
			name_owner(eng, n->name, 0, &req->ip6, who, sizeof(who));
			return berr_set(e, -EADDRINUSE, "address %s is already in use by %s", baddr_fmt6(&req->ip6, a),
					who);
		}
		ep->ip6 = req->ip6;
	} else if (ip->v6) {
		r = ipam6_next(ip->v6, &ep->ip6);
		if (r < 0)
			return berr_set(e, -ENOSPC, "network '%s' has no free IPv6 address", n->name);
	}
	return 0;
}

int eng_attach(struct eng *eng, const struct eng_attach *req, struct eng_endpoint *ret, struct berr *e)
{
	_cleanup_(store_net_close) struct store_net sn = STORE_NET_INIT;
	_cleanup_(ep_ipam_close) struct ep_ipam ip = {0};
	struct eng_endpoint ep, old;
	struct eng_network *n = &sn.def;
	struct nlsock *host;
	struct nft_ctx *nft;
	struct link_info br;
	_cleanup_free_ struct nft_port *ports = NULL;
	struct nft_endpoint ne;
	size_t np = 0;
	bool claimed = false, linked = false, published = false, recorded = false, bit = false, bit6 = false;
	int r;

	memset(&ep, 0, sizeof(ep));
	r = validate_attach(req, e);
	if (r < 0)
		return r;
	r = store_net_lock(&eng->st, req->network, &sn, e);
	if (r < 0)
		return r;
	if (req->n_ports && (n->internal || !n->gateway_on_bridge))
		return berr_set(e, -EINVAL, "network '%s' is %s: it cannot publish ports", n->name,
				n->internal ? "internal" : "without a gateway on its bridge");
	for (size_t i = 0; i < req->n_ports; i++) {
		const struct bportspec *p = &req->ports[i];

		if ((p->host_v6 && !eng_network_has6(n)) || (p->host_ip && !eng_network_has4(n)))
			return berr_set(e, -EINVAL, "ports[%zu]: network '%s' has no IPv%c to publish on", i, n->name,
					p->host_v6 ? '6' : '4');
	}
	r = store_ep_read(&eng->st, n->name, req->id, req->ifname ? req->ifname : ENG_DEFAULT_IFNAME, &old, NULL);
	if (r == 0) {
		if (old.state == ENG_EP_COMPLETE) {
			eng_endpoint_clear(&old);
			return berr_set(e, -EEXIST, "container '%s' already has %s on network '%s'", req->id,
					req->ifname ? req->ifname : ENG_DEFAULT_IFNAME, n->name);
		}
		/* A crashed attach or detach of the same endpoint (we hold the lock: its owner is dead). */
		r = ep_teardown(eng, n, &old, false, e);
		eng_endpoint_clear(&old);
		if (r < 0)
			return berr_wrap(e, r, "clean up an interrupted attach");
	}
	r = open_ipam(eng, n, &ip, e);
	if (r < 0)
		return r;
	r = copy_request(n, req, &ep, e);
	if (r < 0)
		goto fail;
	r = pick_addresses(eng, n, &ip, req, &ep, e);
	if (r < 0)
		goto fail;
	if (req->mac) {
		memcpy(ep.mac, req->mac, 6);
	} else {
		/* Derived from the address: a reused address keeps its MAC, so neighbours' ARP caches stay right. */
		uint8_t mac[6] = {0x0a, 0x58};

		if (ep.ip) {
			uint32_t be = htonl(ep.ip);

			memcpy(mac + 2, &be, 4);
		} else {
			memcpy(mac + 2, ep.ip6.s6_addr + 12, 4);
		}
		memcpy(ep.mac, mac, 6);
	}
	/* Intent first: whatever happens from here on, reconcile finds a record to undo. */
	r = store_ep_write(&eng->st, &ep, e);
	if (r < 0)
		goto fail;
	recorded = true;
	eng_failpoint("attach-pending");
	if (ep.ip) {
		ipam_set(ip.v4, ep.ip, false);
		bit = true;
	}
	if (ep.prefix6) {
		r = ipam6_set(ip.v6, &ep.ip6, false);
		if (r < 0) {
			berr_set(e, r,
				 "network '%s': more than %d requested IPv6 addresses outside the allocation window",
				 n->name, IPAM6_OUTSIDE_MAX);
			goto fail;
		}
		bit6 = true;
	}
	r = ports_claim(&eng->st, &ep, e);
	if (r < 0)
		goto fail;
	claimed = true;
	eng_failpoint("attach-claimed");
	r = eng_host(eng, &host, e);
	if (r < 0)
		goto fail;
	r = link_get(host, n->bridge, &br, NULL);
	if (r == -ENODEV || (r == 0 && !(br.flags & IFF_UP)))
		r = net_kernel_ensure(eng, n, &br.ifindex, NULL, e);
	else if (r < 0)
		r = link_get(host, n->bridge, &br, e);
	if (r < 0)
		goto fail;
	/*
	 * The anti-spoofing elements (and the ports) go in before the veth comes
	 * up: the container never sends a frame the check does not see.
	 */
	if (eng_nft_ports(&ep, &ports, &np) < 0) {
		r = berr_oom(e);
		goto fail;
	}
	eng_nft_endpoint(&ep, &ne);
	r = eng_nft(eng, &nft, e);
	if (r < 0)
		goto fail;
	r = nft_endpoint_add(nft, &ne, ports, np, e);
	if (r < 0) {
		if (r == -EEXIST)
			berr_wrap(e, r, "a published port is already in the nftables map (run reconcile)");
		goto fail;
	}
	published = true;
	eng_failpoint("attach-published");
	r = ep_kernel_setup(eng, n, &ep, req->netns_fd, br.ifindex, e);
	if (r < 0)
		goto fail;
	linked = true;
	eng_failpoint("attach-linked");
	ep.state = ENG_EP_COMPLETE;
	r = store_ep_write(&eng->st, &ep, e);
	if (r < 0)
		goto fail;
	eng_failpoint("attach-complete");
	/* next fit continues after this address; a failed attach does not move it */
	if (ep.ip && !req->ip)
		ipam_set(ip.v4, ep.ip, true);
	if (ep.prefix6 && baddr_zero6(&req->ip6))
		ipam6_set(ip.v6, &ep.ip6, true);
	if (ret)
		*ret = ep;
	else
		eng_endpoint_clear(&ep);
	return 0;
fail:
	if (published && eng_nft(eng, &nft, NULL) == 0)
		nft_endpoint_del(nft, &ne, ports, np, NULL);
	if (linked && eng_host(eng, &host, NULL) == 0)
		link_delete(host, ep.host_ifname, NULL);
	if (claimed)
		ports_release(&eng->st, &ep, NULL);
	if (bit)
		ipam_clear(ip.v4, ep.ip);
	if (bit6)
		ipam6_clear(ip.v6, &ep.ip6);
	if (recorded)
		store_ep_remove(&eng->st, ep.network, ep.id, ep.ifname, NULL);
	eng_endpoint_clear(&ep);
	return berr_wrap(e, r, "attach %s to %s", req->id, req->network);
}

static int detach_network(struct eng *eng, const char *network, const char *id, const char *ifname, size_t *count,
			  struct berr *e)
{
	_cleanup_(store_net_close) struct store_net sn = STORE_NET_INIT;
	int r, first = 0;

	r = store_net_open(&eng->st, network, id, false, &sn, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sn.n_eps; i++) {
		if (ifname && strcmp(sn.eps[i].ifname, ifname) != 0)
			continue;
		r = ep_teardown(eng, &sn.def, &sn.eps[i], false, first ? NULL : e);
		if (r < 0)
			first = first ? first : r;
		else
			(*count)++;
	}
	/* an attach killed before its first record was in place left only a temporary file */
	store_ep_sweep(&eng->st, network, id);
	return first;
}

int eng_detach(struct eng *eng, const char *network, const char *id, const char *ifname, size_t *ret_n, struct berr *e)
{
	size_t count = 0;
	int r = 0;

	if (!id || !bname_valid(id, ENG_ID_MAX))
		return berr_set(e, -EINVAL, "invalid container id '%s'", id ? id : "");
	if (ifname && !bifname_valid(ifname))
		return berr_set(e, -EINVAL, "invalid interface name '%s'", ifname);
	if (network) {
		if (!bname_valid(network, ENG_NAME_MAX))
			return berr_set(e, -EINVAL, "invalid network name '%s'", network);
		r = detach_network(eng, network, id, ifname, &count, e);
	} else {
		char **names = NULL;
		size_t nn = 0;

		r = store_network_names(&eng->st, &names, &nn, e);
		for (size_t i = 0; r >= 0 && i < nn; i++) {
			r = detach_network(eng, names[i], id, ifname, &count, e);
			if (r == -ENOENT) /* removed meanwhile */
				r = 0;
		}
		strv_free_n(names, nn);
	}
	if (r < 0)
		return berr_wrap(e, r, "detach %s", id);
	if (ret_n)
		*ret_n = count;
	return 0;
}

int eng_endpoint_list(struct eng *eng, const char *network, const char *id, struct eng_endpoint **ret, size_t *ret_n,
		      struct berr *e)
{
	struct eng_endpoint *all = NULL;
	size_t n_all = 0, cap = 0;
	char **names = NULL;
	size_t nn = 0;
	int r = 0;

	if (network && !bname_valid(network, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", network);
	if (id && !bname_valid(id, ENG_ID_MAX))
		return berr_set(e, -EINVAL, "invalid container id '%s'", id);
	if (network) {
		struct eng_network n;

		r = store_network_read(&eng->st, network, &n, e);
		if (r < 0)
			return r;
		return store_ep_list(&eng->st, network, id, false, ret, ret_n, e);
	}
	r = store_network_names(&eng->st, &names, &nn, e);
	for (size_t i = 0; r >= 0 && i < nn; i++) {
		struct eng_endpoint *eps = NULL;
		size_t n_eps = 0;

		r = store_ep_list(&eng->st, names[i], id, false, &eps, &n_eps, e);
		if (r < 0)
			break;
		if (BARRAY_RESERVE(all, cap, n_all + n_eps) < 0) {
			eng_endpoints_free(eps, n_eps);
			r = berr_oom(e);
			break;
		}
		if (n_eps)
			memcpy(all + n_all, eps, n_eps * sizeof(*eps));
		n_all += n_eps;
		free(eps);
	}
	strv_free_n(names, nn);
	if (r < 0) {
		eng_endpoints_free(all, n_all);
		return r;
	}
	*ret = all;
	*ret_n = n_all;
	return 0;
}

struct addr_find {
	uint32_t ip;
	uint8_t prefix;
	struct in6_addr ip6;
	uint8_t prefix6;
	bool found, found6;
};

static int find_addr6(int ifindex, const struct in6_addr *ip, uint8_t prefix, void *arg)
{
	struct addr_find *f = arg;

	(void)ifindex;
	if (baddr_eq6(ip, &f->ip6) && prefix == f->prefix6)
		f->found6 = true;
	return 0;
}

static int find_addr(int ifindex, uint32_t ip, uint8_t prefix, void *arg)
{
	struct addr_find *f = arg;

	(void)ifindex;
	if (ip == f->ip && prefix == f->prefix)
		f->found = true;
	return 0;
}

int eng_check(struct eng *eng, const char *network, const char *id, const char *ifname, int netns_fd, struct berr *e)
{
	_cleanup_(store_net_close) struct store_net sn = STORE_NET_INIT;
	_cleanup_close_ int own_fd = -1;
	_cleanup_nlsock_ struct nlsock *cns = NULL;
	struct eng_endpoint ep;
	struct nlsock *host;
	struct link_info br, li;
	struct addr_find af;
	char a[INET6_ADDRSTRLEN];
	int r;

	memset(&ep, 0, sizeof(ep));
	if (!network || !bname_valid(network, ENG_NAME_MAX) || !id || !bname_valid(id, ENG_ID_MAX))
		return berr_set(e, -EINVAL, "invalid network name or container id");
	ifname = ifname ? ifname : ENG_DEFAULT_IFNAME;
	if (!bifname_valid(ifname))
		return berr_set(e, -EINVAL, "invalid interface name '%s'", ifname);
	r = store_net_lock(&eng->st, network, &sn, e);
	if (r < 0)
		return r;
	r = store_ep_read(&eng->st, network, id, ifname, &ep, NULL);
	if (r < 0)
		return berr_set(e, -ENOENT, "container '%s' has no interface %s on network '%s'", id, ifname, network);
	if (ep.state != ENG_EP_COMPLETE) {
		r = berr_set(e, -EIO, "endpoint %s/%s is %s", id, ifname, record_state_name(ep.state));
		goto out;
	}
	r = eng_host(eng, &host, e);
	if (r < 0)
		goto out;
	if ((r = link_get(host, sn.def.bridge, &br, e)) < 0)
		goto out;
	if ((r = link_get(host, ep.host_ifname, &li, e)) < 0)
		goto out;
	if (li.master != br.ifindex || !(li.flags & IFF_UP)) {
		r = berr_set(e, -EIO, "host interface %s is %s", ep.host_ifname,
			     li.master != br.ifindex ? "not on its bridge" : "down");
		goto out;
	}
	if (netns_fd < 0) {
		r = eng_endpoint_netns(&ep, &own_fd, e);
		if (r < 0)
			goto out;
		netns_fd = own_fd;
	}
	if ((r = nlsock_open(netns_fd, &cns, e)) < 0 || (r = link_get(cns, ifname, &li, e)) < 0)
		goto out;
	if (!(li.flags & IFF_UP)) {
		r = berr_set(e, -EIO, "interface %s is down in the container", ifname);
		goto out;
	}
	af = (struct addr_find){ep.ip, ep.prefix, ep.ip6, ep.prefix6, false, false};
	if ((ep.ip && (r = ifaddr_dump4(cns, li.ifindex, find_addr, &af, e)) < 0) ||
	    (ep.prefix6 && (r = ifaddr_dump6(cns, li.ifindex, find_addr6, &af, e)) < 0))
		goto out;
	if (ep.ip && !af.found) {
		r = berr_set(e, -EIO, "interface %s lacks its address %s/%u", ifname, baddr_fmt4(ep.ip, a), ep.prefix);
		goto out;
	}
	if (ep.prefix6 && !af.found6) {
		r = berr_set(e, -EIO, "interface %s lacks its address %s/%u", ifname, baddr_fmt6(&ep.ip6, a),
			     ep.prefix6);
		goto out;
	}
	if (ep.default_route && ep.gateway) {
		struct bcidr4 any = {0, 0};
		bool has = false;

		if ((r = route_has4(cns, &any, ep.gateway, li.ifindex, &has, e)) < 0)
			goto out;
		if (!has) {
			r = berr_set(e, -EIO, "the container lacks its default route via %s",
				     baddr_fmt4(ep.gateway, a));
			goto out;
		}
	}
	if (ep.default_route && !baddr_zero6(&ep.gateway6)) {
		struct bcidr6 any6 = {IN6ADDR_ANY_INIT, 0};
		bool has = false;

		if ((r = route_has6(cns, &any6, &ep.gateway6, li.ifindex, &has, e)) < 0)
			goto out;
		if (!has) {
			r = berr_set(e, -EIO, "the container lacks its IPv6 default route via %s",
				     baddr_fmt6(&ep.gateway6, a));
			goto out;
		}
	}
	if (ep.n_ports) {
		_cleanup_free_ struct nft_port *want = NULL;
		_cleanup_free_ struct nft_port *have = NULL;
		struct nft_ctx *nft;
		size_t nw = 0, nh = 0;

		if (eng_nft_ports(&ep, &want, &nw) < 0) {
			r = berr_oom(e);
			goto out;
		}
		if ((r = eng_nft(eng, &nft, e)) < 0 || (r = nft_ports_list(nft, &have, &nh, e)) < 0)
			goto out;
		for (size_t i = 0; i < nw; i++) {
			bool ok = false;

			for (size_t j = 0; j < nh && !ok; j++)
				ok = eng_nft_port_eq(&have[j], &want[i]);
			if (!ok) {
				r = berr_set(e, -EIO, "published port %s/%u%s is missing from nftables",
					     bproto_name(want[i].proto), want[i].host_port,
					     want[i].v6 ? " (IPv6)" : "");
				goto out;
			}
		}
	}
	r = 0;
out:
	eng_endpoint_clear(&ep);
	return r;
}
