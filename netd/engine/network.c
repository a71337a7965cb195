/* Networks: definition, validation, the bridge and its kernel state, removal, status. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "lock.h"
#include "netd/engine/eng_int.h"
#include "netd/engine/ifaddr.h"
#include "netd/engine/link.h"
#include "netd/engine/ports.h"
#include "netns.h"
#include "strv.h"

void eng_network_init(struct eng_network *n, const char *name)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name ? name : "");
	if (name && strlen(name) < sizeof(n->bridge))
		snprintf(n->bridge, sizeof(n->bridge), "%s", name);
	n->mtu = ENG_DEFAULT_MTU;
	n->masquerade = true;
	/* IPv6 masquerade is the callers' choice: netd and stacks default it to on for fd00::/8 subnets */
	n->masquerade6 = false;
	n->gateway_on_bridge = true;
	n->hairpin = true;
}

void net_ipam_def(const struct eng_network *n, struct ipam_def *ret)
{
	ret->subnet = n->subnet;
	ret->gateway = n->gateway;
	ret->range_start = n->range_start;
	ret->range_end = n->range_end;
}

void net_ipam6_def(const struct eng_network *n, struct ipam6_def *ret)
{
	ret->subnet = n->subnet6;
	ret->gateway = n->gateway6;
	ret->range_start = n->range6_start;
	ret->range_end = n->range6_end;
}

/* The subnet's first host address (subnet::1). */
static struct in6_addr first6(const struct bcidr6 *c)
{
	struct in6_addr a = c->addr;

	for (int i = 15; i >= 0 && ++a.s6_addr[i] == 0; i--)
		;
	return a;
}

/* The IPv6 half of a definition: defaults, and the IPAM's checks. */
static int normalize6(struct eng_network *n, struct berr *e)
{
	struct ipam6_def d;
	int r;

	if (!eng_network_has6(n)) {
		memset(&n->subnet6, 0, sizeof(n->subnet6));
		memset(&n->gateway6, 0, sizeof(n->gateway6));
		memset(&n->range6_start, 0, sizeof(n->range6_start));
		memset(&n->range6_end, 0, sizeof(n->range6_end));
		n->masquerade6 = false;
		return 0;
	}
	if (baddr_zero6(&n->gateway6))
		n->gateway6 = first6(&n->subnet6);
	if (baddr_zero6(&n->range6_start) != baddr_zero6(&n->range6_end))
		return berr_set(e, -EINVAL, "give both ends of the IPv6 allocation range or neither");
	if (!bns_ipv6_available())
		return berr_set(e, -EAFNOSUPPORT, "network '%s': this kernel has no IPv6", n->name);
	net_ipam6_def(n, &d);
	r = ipam6_def_check(&d, e);
	return r < 0 ? berr_wrap(e, r, "network '%s'", n->name) : 0;
}

int net_normalize(struct eng_network *n, struct berr *e)
{
	struct ipam_def d;
	int r;

	if (!bname_valid(n->name, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s': letters, digits, '_', '.', '-', at most %d",
				n->name, ENG_NAME_MAX);
	if (!n->bridge[0]) {
		if (strlen(n->name) >= sizeof(n->bridge))
			return berr_set(e, -EINVAL, "network name '%s' is too long to name its bridge: give a bridge",
					n->name);
		snprintf(n->bridge, sizeof(n->bridge), "%s", n->name);
	}
	/* '.' would be taken for a separator in /proc/sys/net/ipv4/conf/<bridge>/ keys */
	if (!bifname_valid(n->bridge) || strchr(n->bridge, '.'))
		return berr_set(e, -EINVAL, "invalid bridge name '%s': 1-15 characters, no '/', ':', '.' or spaces",
				n->bridge);
	if (!eng_network_has4(n) && !eng_network_has6(n))
		return berr_set(e, -EINVAL, "network '%s': subnet missing (give an IPv4 subnet, an IPv6 one or both)",
				n->name);
	if (!n->mtu)
		n->mtu = ENG_DEFAULT_MTU;
	if (n->mtu < 68 || n->mtu > 65535)
		return berr_set(e, -EINVAL, "mtu %u out of range 68..65535", n->mtu);
	/* IPv6 needs links of at least 1280 bytes */
	if (eng_network_has6(n) && n->mtu < 1280)
		return berr_set(e, -EINVAL, "mtu %u: a network with IPv6 needs at least 1280", n->mtu);
	r = normalize6(n, e);
	if (r < 0)
		return r;
	if (!eng_network_has4(n)) {
		n->subnet.addr = n->gateway = n->range_start = n->range_end = 0;
		return 0;
	}
	if (!n->gateway)
		n->gateway = n->subnet.addr + 1;
	if ((n->range_start == 0) != (n->range_end == 0))
		return berr_set(e, -EINVAL, "give both ends of the allocation range or neither");
	net_ipam_def(n, &d);
	r = ipam_def_check(&d, e);
	if (r < 0)
		return berr_wrap(e, r, "network '%s'", n->name);
	return 0;
}

static int same_definition(const struct eng_network *a, const struct eng_network *b, struct berr *e)
{
	char x[BADDR_CIDR4_STRLEN], y[BADDR_CIDR4_STRLEN];

	if (strcmp(a->bridge, b->bridge) != 0)
		return berr_set(e, -EEXIST, "network '%s' exists with bridge %s (not %s)", a->name, a->bridge,
				b->bridge);
	if (a->subnet.addr != b->subnet.addr || a->subnet.prefix != b->subnet.prefix)
		return berr_set(e, -EEXIST, "network '%s' exists with subnet %s (not %s)", a->name,
				baddr_fmt_cidr4(&a->subnet, x), baddr_fmt_cidr4(&b->subnet, y));
	if (a->gateway != b->gateway)
		return berr_set(e, -EEXIST, "network '%s' exists with gateway %s (not %s)", a->name,
				baddr_fmt4(a->gateway, x), baddr_fmt4(b->gateway, y));
	if (a->range_start != b->range_start || a->range_end != b->range_end)
		return berr_set(e, -EEXIST, "network '%s' exists with another allocation range", a->name);
	if (!baddr_eq6(&a->subnet6.addr, &b->subnet6.addr) || a->subnet6.prefix != b->subnet6.prefix) {
		char x6[BADDR_CIDR6_STRLEN], y6[BADDR_CIDR6_STRLEN];

		return berr_set(e, -EEXIST, "network '%s' exists with IPv6 subnet %s (not %s)", a->name,
				eng_network_has6(a) ? baddr_fmt_cidr6(&a->subnet6, x6) : "none",
				eng_network_has6(b) ? baddr_fmt_cidr6(&b->subnet6, y6) : "none");
	}
	if (!baddr_eq6(&a->gateway6, &b->gateway6))
		return berr_set(e, -EEXIST, "network '%s' exists with another IPv6 gateway", a->name);
	if (!baddr_eq6(&a->range6_start, &b->range6_start) || !baddr_eq6(&a->range6_end, &b->range6_end))
		return berr_set(e, -EEXIST, "network '%s' exists with another IPv6 allocation range", a->name);
	if (a->masquerade6 != b->masquerade6)
		return berr_set(e, -EEXIST, "network '%s' exists with IPv6 masquerade %s", a->name,
				a->masquerade6 ? "on" : "off");
	if (a->mtu != b->mtu)
		return berr_set(e, -EEXIST, "network '%s' exists with mtu %u (not %u)", a->name, a->mtu, b->mtu);
	if (a->masquerade != b->masquerade || a->internal != b->internal ||
	    a->gateway_on_bridge != b->gateway_on_bridge || a->hairpin != b->hairpin || a->promisc != b->promisc)
		return berr_set(e, -EEXIST,
				"network '%s' exists with other options (masquerade, internal, gateway, "
				"hairpin, promisc)",
				a->name);
	return 0;
}

static void bridge_mac(const struct eng_network *n, uint8_t mac[6])
{
	/*
	 * A fixed address: a bridge without one takes the lowest of its ports'
	 * and changes it as containers come and go, which breaks their ARP caches.
	 */
	mac[0] = 0x0a;
	mac[1] = 0x58;
	if (eng_network_has4(n)) {
		mac[2] = (uint8_t)(n->gateway >> 24);
		mac[3] = (uint8_t)(n->gateway >> 16);
		mac[4] = (uint8_t)(n->gateway >> 8);
		mac[5] = (uint8_t)n->gateway;
	} else {
		memcpy(mac + 2, n->gateway6.s6_addr + 12, 4);
	}
}

struct addr_scan {
	int bridge_ifindex; /* addresses on this link are checked apart */
	const struct eng_network *n;
	int foreign_ifindex;
	uint8_t foreign_prefix;
	char foreign_ip[INET6_ADDRSTRLEN];
	char bridge_other[INET6_ADDRSTRLEN];
};

static int scan_addr(int ifindex, uint32_t ip, uint8_t prefix, void *arg)
{
	struct addr_scan *s = arg;
	struct bcidr4 c = {ip & baddr_mask4(prefix), prefix};

	if (ifindex == s->bridge_ifindex) {
		if (!(ip == s->n->gateway && prefix == s->n->subnet.prefix))
			baddr_fmt4(ip, s->bridge_other);
		return 0;
	}
	if (eng_network_has4(s->n) && !s->foreign_ifindex && baddr_overlap4(&c, &s->n->subnet) && ip >> 24 != 127) {
		s->foreign_ifindex = ifindex;
		baddr_fmt4(ip, s->foreign_ip);
		s->foreign_prefix = prefix;
	}
	return 0;
}

static int scan_addr6(int ifindex, const struct in6_addr *ip, uint8_t prefix, void *arg)
{
	struct addr_scan *s = arg;
	struct bcidr6 c = {baddr_mask6(ip, prefix), prefix};

	/* link-local addresses are every IPv6 link's own (the bridge's too) */
	if (IN6_IS_ADDR_LINKLOCAL(ip) || IN6_IS_ADDR_LOOPBACK(ip))
		return 0;
	if (ifindex == s->bridge_ifindex) {
		if (!(baddr_eq6(ip, &s->n->gateway6) && prefix == s->n->subnet6.prefix))
			baddr_fmt6(ip, s->bridge_other);
		return 0;
	}
	if (eng_network_has6(s->n) && !s->foreign_ifindex && baddr_overlap6(&c, &s->n->subnet6)) {
		s->foreign_ifindex = ifindex;
		baddr_fmt6(ip, s->foreign_ip);
		s->foreign_prefix = prefix;
	}
	return 0;
}

/* A new network must not collide with host addresses, nor adopt a bridge configured for something else. */
static int check_host(struct eng *eng, const struct eng_network *n, const struct link_info *br, struct berr *e)
{
	struct addr_scan s = {.bridge_ifindex = br ? br->ifindex : -1, .n = n};
	struct nlsock *host;
	char ifn[IF_NAMESIZE] = "?";
	int r;

	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	r = ifaddr_dump4(host, 0, scan_addr, &s, e);
	if (r == 0 && bns_ipv6_available())
		r = ifaddr_dump6(host, 0, scan_addr6, &s, e);
	if (r < 0)
		return r;
	if (s.bridge_other[0])
		return berr_set(e, -EEXIST, "bridge %s exists with address %s, which network '%s' does not use",
				n->bridge, s.bridge_other, n->name);
	if (s.foreign_ifindex) {
		if_indextoname((unsigned)s.foreign_ifindex, ifn);
		return berr_set(e, -EEXIST, "subnet of network '%s' overlaps address %s/%u on interface %s", n->name,
				s.foreign_ip, s.foreign_prefix, ifn);
	}
	return 0;
}

/*
 * The bridge's own IPv6 settings: IPv6 on (an adopted bridge may have it
 * off), no router advertisements taken from a container, and no duplicate
 * address detection (the gateway address is added with IFA_F_NODAD too).
 */
static int bridge_ipv6(const struct eng_network *n, struct berr *e)
{
	static const char *const set[][2] = {{"disable_ipv6", "0"}, {"accept_ra", "0"}, {"accept_dad", "0"}};
	char key[96];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(set); i++) {
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/%s", n->bridge, set[i][0]);
		r = bns_sysctl_write(-1, key, set[i][1], e);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * IPv6 forwarding. Only net.ipv6.conf.all.forwarding makes the kernel
 * forward IPv6 (per-interface "forwarding" only switches an interface between
 * host and router behaviour; "force_forwarding", Linux 6.17+, acts on the
 * ingress interface, so it would be needed on every uplink too). Writing
 * all.forwarding=1 also sets every interface's forwarding, and an interface
 * that forwards ignores router advertisements with accept_ra=1: a host that
 * configures its uplink by SLAAC would lose its default route. So before the
 * switch, every interface with accept_ra=1 (and "default", for interfaces to
 * come) gets accept_ra=2, which keeps taking advertisements while
 * forwarding: the host's own IPv6 configuration stays as it was
 * (docs/netd.md).
 */
static int ipv6_forwarding_on(struct berr *e)
{
	char val[16], key[128];
	struct dirent *de;
	DIR *d;
	int r;

	r = bns_sysctl_read(-1, "net/ipv6/conf/all/forwarding", val, sizeof(val), e);
	if (r < 0)
		return r;
	if (strcmp(val, "1") == 0)
		return 0;
	d = opendir("/proc/sys/net/ipv6/conf");
	if (!d)
		return berr_errno(e, "open /proc/sys/net/ipv6/conf");
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "all") == 0 || strchr(de->d_name, '.'))
			continue;
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", de->d_name);
		if (bns_sysctl_read(-1, key, val, sizeof(val), NULL) == 0 && strcmp(val, "1") == 0)
			(void)bns_sysctl_write(-1, key, "2", NULL);
	}
	closedir(d);
	return bns_sysctl_write(-1, "net/ipv6/conf/all/forwarding", "1", e);
}

int net_kernel_ensure(struct eng *eng, const struct eng_network *n, int *ret_bridge_ifindex, bool *ret_created,
		      struct berr *e)
{
	struct nlsock *host;
	struct nft_ctx *nft;
	struct nft_network nn;
	struct link_info li;
	bool created = false;
	unsigned want;
	int r;

	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	r = link_get(host, n->bridge, &li, e);
	if (r == -ENODEV) {
		uint8_t mac[6];

		bridge_mac(n, mac);
		r = link_bridge_create(host, n->bridge, n->mtu, mac, e);
		if (r < 0)
			return r;
		created = true;
		r = link_get(host, n->bridge, &li, e);
		/* a bridge berth makes does no multicast snooping (link.h): adopted bridges keep theirs */
		if (r == 0)
			r = link_bridge_set_mcast_snooping(host, li.ifindex, false, e);
		if (r < 0)
			goto fail;
	}
	if (r < 0)
		return r;
	if (strcmp(li.kind, "bridge") != 0) {
		r = berr_set(e, -EEXIST, "interface %s exists and is not a bridge", n->bridge);
		goto fail;
	}
	want = IFF_UP | (n->promisc ? IFF_PROMISC : 0);
	if ((li.flags & (IFF_UP | IFF_PROMISC)) != want) {
		r = link_set(host, li.ifindex, want, IFF_UP | IFF_PROMISC, -1, e);
		if (r < 0)
			goto fail;
	}
	if (eng_network_has6(n)) {
		r = bridge_ipv6(n, e);
		if (r < 0)
			goto fail;
	}
	if (n->gateway_on_bridge && eng_network_has4(n)) {
		r = ifaddr_add4(host, li.ifindex, n->gateway, n->subnet.prefix, e);
		if (r < 0 && r != -EEXIST)
			goto fail;
	}
	if (n->gateway_on_bridge && eng_network_has6(n)) {
		r = ifaddr_add6(host, li.ifindex, &n->gateway6, n->subnet6.prefix, e);
		if (r < 0 && r != -EEXIST)
			goto fail;
	}
	if (!n->internal && eng_network_has4(n)) {
		char key[64];

		/* Routing between bridges and the uplink; 127.0.0.1 DNAT needs route_localnet on the bridge. */
		r = bns_sysctl_write(-1, "net/ipv4/ip_forward", "1", e);
		if (r < 0)
			goto fail;
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", n->bridge);
		r = bns_sysctl_write(-1, key, "1", e);
		if (r < 0)
			goto fail;
	}
	if (!n->internal && eng_network_has6(n)) {
		r = ipv6_forwarding_on(e);
		if (r < 0)
			goto fail;
	}
	r = eng_nft(eng, &nft, e);
	if (r < 0)
		goto fail;
	r = nft_ensure(nft, e);
	if (r < 0)
		goto fail;
	eng_nft_network(n, &nn);
	r = nft_network_add(nft, &nn, e);
	if (r < 0 && r != -EEXIST)
		goto fail;
	berr_clear(e);
	if (ret_bridge_ifindex)
		*ret_bridge_ifindex = li.ifindex;
	if (ret_created)
		*ret_created = created;
	return 0;
fail:
	if (created)
		link_delete(host, n->bridge, NULL);
	return r;
}

int net_ipam_rebuild(struct eng *eng, const struct eng_network *n, const struct eng_endpoint *eps, size_t n_eps,
		     struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_free_ uint32_t *ips = NULL;
	_cleanup_free_ struct in6_addr *ips6 = NULL;
	struct ipam_def d;
	struct ipam6_def d6;
	int r = 0;

	ips = calloc(n_eps ? n_eps : 1, sizeof(*ips));
	ips6 = calloc(n_eps ? n_eps : 1, sizeof(*ips6));
	if (!ips || !ips6)
		return berr_oom(e);
	for (size_t i = 0; i < n_eps; i++) {
		ips[i] = eps[i].ip;
		ips6[i] = eps[i].ip6;
	}
	if (eng_network_has4(n)) {
		store_ipam_path(&eng->st, n->name, path, sizeof(path));
		net_ipam_def(n, &d);
		r = ipam_create(path, &d, ips, n_eps, e);
	}
	if (r == 0 && eng_network_has6(n)) {
		store_ipam6_path(&eng->st, n->name, path, sizeof(path));
		net_ipam6_def(n, &d6);
		r = ipam6_create(path, &d6, ips6, n_eps, e);
	}
	return r;
}

/* Both allocation files the network needs exist. */
static bool net_ipam_present(struct eng *eng, const struct eng_network *n)
{
	char path[PATH_MAX];

	store_ipam_path(&eng->st, n->name, path, sizeof(path));
	if (eng_network_has4(n) && access(path, F_OK) < 0)
		return false;
	store_ipam6_path(&eng->st, n->name, path, sizeof(path));
	return !eng_network_has6(n) || access(path, F_OK) == 0;
}

int eng_network_ensure(struct eng *eng, const struct eng_network *req, struct eng_network *ret, struct berr *e)
{
	_cleanup_close_ int glock = -1;
	_cleanup_close_ int nlock = -1;
	struct eng_network n = *req, cur;
	char path[PATH_MAX];
	bool is_new = false, created = false;
	int r;

	r = net_normalize(&n, e);
	if (r < 0)
		return r;
	r = store_lock_global(&eng->st, &glock, e);
	if (r < 0)
		return r;
	r = store_network_read(&eng->st, n.name, &cur, e);
	if (r == 0) {
		n.adopted = cur.adopted;
		r = same_definition(&cur, &n, e);
		if (r < 0)
			return r;
		r = store_lock_network(&eng->st, n.name, &nlock, e);
		if (r < 0)
			return r;
		/* the fabric names its VXLAN device and its whole subnet once it has them (netd/fabric/) */
		if (strcmp(cur.tunnel, n.tunnel) != 0 || cur.fabric_subnet.addr != n.fabric_subnet.addr ||
		    cur.fabric_subnet.prefix != n.fabric_subnet.prefix ||
		    cur.fabric_subnet6.prefix != n.fabric_subnet6.prefix ||
		    !baddr_eq6(&cur.fabric_subnet6.addr, &n.fabric_subnet6.addr)) {
			r = store_network_write(&eng->st, &n, e);
			if (r < 0)
				return r;
		}
	} else if (r == -ENOENT) {
		char **names = NULL;
		size_t nn = 0;
		struct nlsock *host;
		struct link_info li;
		bool have_bridge;

		berr_clear(e);
		is_new = true;
		r = store_network_names(&eng->st, &names, &nn, e);
		if (r < 0)
			return r;
		for (size_t i = 0; r >= 0 && i < nn; i++) {
			char x[BADDR_CIDR6_STRLEN];

			if (store_network_read(&eng->st, names[i], &cur, NULL) < 0)
				continue;
			if (strcmp(cur.bridge, n.bridge) == 0)
				r = berr_set(e, -EEXIST, "bridge %s already belongs to network '%s'", n.bridge,
					     cur.name);
			else if (eng_network_has4(&cur) && eng_network_has4(&n) &&
				 baddr_overlap4(&cur.subnet, &n.subnet))
				r = berr_set(e, -EEXIST, "subnet of network '%s' overlaps network '%s' (%s)", n.name,
					     cur.name, baddr_fmt_cidr4(&cur.subnet, x));
			else if (eng_network_has6(&cur) && eng_network_has6(&n) &&
				 baddr_overlap6(&cur.subnet6, &n.subnet6))
				r = berr_set(e, -EEXIST, "IPv6 subnet of network '%s' overlaps network '%s' (%s)",
					     n.name, cur.name, baddr_fmt_cidr6(&cur.subnet6, x));
		}
		strv_free_n(names, nn);
		if (r < 0)
			return r;
		r = eng_host(eng, &host, e);
		if (r < 0)
			return r;
		r = link_get(host, n.bridge, &li, e);
		if (r < 0 && r != -ENODEV)
			return r;
		have_bridge = r == 0;
		berr_clear(e);
		if (have_bridge && strcmp(li.kind, "bridge") != 0)
			return berr_set(e, -EEXIST, "interface %s exists and is not a bridge", n.bridge);
		r = check_host(eng, &n, have_bridge ? &li : NULL, e);
		if (r < 0)
			return r;
		n.adopted = have_bridge;
		/* Record first, under the new network's own lock: a crash leaves a network reconcile completes. */
		if (store_path(&eng->st, path, sizeof(path), "networks/%s", n.name) < 0)
			return berr_set(e, -ENAMETOOLONG, "network name too long");
		r = bfile_mkdir_p(path, 0700, e);
		if (r < 0)
			return r;
		store_path(&eng->st, path, sizeof(path), "networks/%s/lock", n.name);
		r = block_acquire(path, eng->st.timeout_ms, &nlock, e);
		if (r < 0)
			goto fail;
		r = store_network_write(&eng->st, &n, e);
		if (r < 0)
			goto fail;
		r = net_ipam_rebuild(eng, &n, NULL, 0, e);
		if (r < 0)
			goto fail;
	} else {
		return r;
	}
	/* a network recorded before its allocation files were written (a crash in between) */
	if (!is_new && !net_ipam_present(eng, &n)) {
		r = net_ipam_rebuild(eng, &n, NULL, 0, e);
		if (r < 0)
			return r;
	}
	r = net_kernel_ensure(eng, &n, NULL, &created, e);
	if (r < 0)
		goto fail;
	if (ret)
		*ret = n;
	return 0;
fail:
	if (is_new)
		store_network_remove(&eng->st, n.name, NULL);
	return r;
}

int eng_network_get(struct eng *eng, const char *name, struct eng_network *ret, struct berr *e)
{
	if (!bname_valid(name, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", name);
	return store_network_read(&eng->st, name, ret, e);
}

int eng_network_list(struct eng *eng, struct eng_network **ret, size_t *ret_n, struct berr *e)
{
	char **names = NULL;
	size_t nn = 0, k = 0;
	struct eng_network *v;
	int r;

	r = store_network_names(&eng->st, &names, &nn, e);
	if (r < 0)
		return r;
	v = calloc(nn ? nn : 1, sizeof(*v));
	if (!v) {
		r = berr_oom(e);
		goto out;
	}
	for (size_t i = 0; i < nn; i++) {
		if (store_network_read(&eng->st, names[i], &v[k], NULL) == 0)
			k++;
	}
	*ret = v;
	*ret_n = k;
	r = 0;
out:
	strv_free_n(names, nn);
	return r;
}

int eng_network_remove(struct eng *eng, const char *name, struct berr *e)
{
	_cleanup_close_ int glock = -1;
	_cleanup_(store_net_close) struct store_net sn = STORE_NET_INIT;
	const struct eng_network *n = &sn.def;
	struct nlsock *host;
	struct nft_ctx *nft;
	struct nft_network nn;
	int r;

	if (!bname_valid(name, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", name);
	r = store_lock_global(&eng->st, &glock, e);
	if (r < 0)
		return r;
	r = store_net_open(&eng->st, name, NULL, false, &sn, e);
	if (r < 0)
		return r;
	if (sn.n_eps)
		return berr_set(e, -EBUSY, "network '%s' has %zu endpoint%s: detach them first", name, sn.n_eps,
				sn.n_eps == 1 ? "" : "s");
	r = eng_nft(eng, &nft, e);
	if (r < 0)
		return r;
	eng_nft_network(n, &nn);
	r = nft_network_del(nft, &nn, e);
	if (r < 0 && r != -ENOENT)
		return r;
	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	if (n->adopted) {
		struct link_info li;

		if (n->gateway_on_bridge && link_get(host, n->bridge, &li, NULL) == 0) {
			r = eng_network_has4(n) ? ifaddr_del4(host, li.ifindex, n->gateway, n->subnet.prefix, e) : 0;
			if (r == 0 && eng_network_has6(n))
				r = ifaddr_del6(host, li.ifindex, &n->gateway6, n->subnet6.prefix, e);
			if (r < 0)
				return r;
		}
	} else {
		r = link_delete(host, n->bridge, e);
		if (r < 0)
			return r;
	}
	ports_sweep(&eng->st, name, NULL, 0, NULL);
	return store_network_remove(&eng->st, name, e);
}

int eng_teardown(struct eng *eng, struct berr *e)
{
	_cleanup_close_ int glock = -1;
	struct nft_ctx *nft;
	char **names = NULL;
	char list[256] = "";
	size_t nn = 0;
	int r;

	/* under the global lock no network can be created meanwhile */
	r = store_lock_global(&eng->st, &glock, e);
	if (r < 0)
		return r;
	r = store_network_names(&eng->st, &names, &nn, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nn; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", names[i]);
	}
	strv_free_n(names, nn);
	if (nn)
		return berr_set(e, -EBUSY, "%zu network%s left (%s): remove %s first", nn, nn == 1 ? "" : "s", list,
				nn == 1 ? "it" : "them");
	r = eng_nft(eng, &nft, e);
	if (r < 0)
		return r;
	return nft_delete_table(nft, e);
}

int eng_status(struct eng *eng, const char *network, struct eng_status *ret, struct berr *e)
{
	_cleanup_(store_net_close) struct store_net sn = STORE_NET_INIT;
	struct eng_status s = {0};
	struct ipam *ip = NULL;
	struct ipam_def d;
	struct nlsock *host;
	struct link_info li;
	char path[PATH_MAX];
	int r;

	if (!bname_valid(network, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", network);
	r = store_net_open(&eng->st, network, NULL, false, &sn, e);
	if (r < 0)
		return r;
	s.endpoints = sn.n_eps;
	if (eng_network_has4(&sn.def)) {
		store_ipam_path(&eng->st, network, path, sizeof(path));
		net_ipam_def(&sn.def, &d);
		r = ipam_open(path, &d, &ip, e);
		if (r < 0)
			return r;
		s.capacity = ipam_capacity(ip);
		s.used = ipam_used(ip);
		ipam_close(ip);
	}
	if (eng_network_has6(&sn.def)) {
		struct ipam6 *ip6 = NULL;
		struct ipam6_def d6;

		store_ipam6_path(&eng->st, network, path, sizeof(path));
		net_ipam6_def(&sn.def, &d6);
		r = ipam6_open(path, &d6, &ip6, e);
		if (r < 0)
			return r;
		s.capacity6 = ipam6_capacity(ip6);
		s.used6 = ipam6_used(ip6);
		ipam6_close(ip6);
	}
	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	s.bridge_up = link_get(host, sn.def.bridge, &li, NULL) == 0 && (li.flags & IFF_UP);
	*ret = s;
	if (eng_network_has4(&sn.def) && s.used >= s.capacity)
		return berr_set(e, -ENOSPC, "network '%s' has no free address (%zu of %zu in use)", network, s.used,
				s.capacity);
	if (eng_network_has6(&sn.def) && s.used6 >= s.capacity6)
		return berr_set(e, -ENOSPC, "network '%s' has no free IPv6 address (%zu of %zu in use)", network,
				s.used6, s.capacity6);
	if (!s.bridge_up)
		return berr_set(e, -ENODEV, "bridge %s of network '%s' is missing or down", sn.def.bridge, network);
	return 0;
}
