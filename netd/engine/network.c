/* Networks: definition, validation, the bridge and its kernel state, removal, status. */
#include <arpa/inet.h>
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
	if (n->subnet.prefix == 0 && n->subnet.addr == 0)
		return berr_set(e, -EINVAL, "network '%s': subnet missing", n->name);
	if (!n->gateway)
		n->gateway = n->subnet.addr + 1;
	if (!n->mtu)
		n->mtu = ENG_DEFAULT_MTU;
	if (n->mtu < 68 || n->mtu > 65535)
		return berr_set(e, -EINVAL, "mtu %u out of range 68..65535", n->mtu);
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
	mac[2] = (uint8_t)(n->gateway >> 24);
	mac[3] = (uint8_t)(n->gateway >> 16);
	mac[4] = (uint8_t)(n->gateway >> 8);
	mac[5] = (uint8_t)n->gateway;
}

struct addr_scan {
	int bridge_ifindex; /* addresses on this link are checked apart */
	const struct eng_network *n;
	int foreign_ifindex;
	uint32_t foreign_ip;
	uint8_t foreign_prefix;
	uint32_t bridge_other;
};

static int scan_addr(int ifindex, uint32_t ip, uint8_t prefix, void *arg)
{
	struct addr_scan *s = arg;
	struct bcidr4 c = {ip & baddr_mask4(prefix), prefix};

	if (ifindex == s->bridge_ifindex) {
		if (!(ip == s->n->gateway && prefix == s->n->subnet.prefix))
			s->bridge_other = ip;
		return 0;
	}
	if (!s->foreign_ifindex && (baddr_overlap4(&c, &s->n->subnet)) && ip >> 24 != 127) {
		s->foreign_ifindex = ifindex;
		s->foreign_ip = ip;
		s->foreign_prefix = prefix;
	}
	return 0;
}

/* A new network must not collide with host addresses, nor adopt a bridge configured for something else. */
static int check_host(struct eng *eng, const struct eng_network *n, const struct link_info *br, struct berr *e)
{
	struct addr_scan s = {.bridge_ifindex = br ? br->ifindex : -1, .n = n};
	struct nlsock *host;
	char a[INET_ADDRSTRLEN], ifn[IF_NAMESIZE] = "?";
	int r;

	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	r = ifaddr_dump4(host, 0, scan_addr, &s, e);
	if (r < 0)
		return r;
	if (s.bridge_other)
		return berr_set(e, -EEXIST, "bridge %s exists with address %s, which network '%s' does not use",
				n->bridge, baddr_fmt4(s.bridge_other, a), n->name);
	if (s.foreign_ifindex) {
		if_indextoname((unsigned)s.foreign_ifindex, ifn);
		return berr_set(e, -EEXIST, "subnet of network '%s' overlaps address %s/%u on interface %s", n->name,
				baddr_fmt4(s.foreign_ip, a), s.foreign_prefix, ifn);
	}
	return 0;
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
	if (n->gateway_on_bridge) {
		r = ifaddr_add4(host, li.ifindex, n->gateway, n->subnet.prefix, e);
		if (r < 0 && r != -EEXIST)
			goto fail;
	}
	if (!n->internal) {
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
	struct ipam_def d;

	ips = calloc(n_eps ? n_eps : 1, sizeof(*ips));
	if (!ips)
		return berr_oom(e);
	for (size_t i = 0; i < n_eps; i++)
		ips[i] = eps[i].ip;
	store_ipam_path(&eng->st, n->name, path, sizeof(path));
	net_ipam_def(n, &d);
	return ipam_create(path, &d, ips, n_eps, e);
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
		    cur.fabric_subnet.prefix != n.fabric_subnet.prefix) {
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
			char x[BADDR_CIDR4_STRLEN];

			if (store_network_read(&eng->st, names[i], &cur, NULL) < 0)
				continue;
			if (strcmp(cur.bridge, n.bridge) == 0)
				r = berr_set(e, -EEXIST, "bridge %s already belongs to network '%s'", n.bridge,
					     cur.name);
			else if (baddr_overlap4(&cur.subnet, &n.subnet))
				r = berr_set(e, -EEXIST, "subnet of network '%s' overlaps network '%s' (%s)", n.name,
					     cur.name, baddr_fmt_cidr4(&cur.subnet, x));
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
		store_ipam_path(&eng->st, n.name, path, sizeof(path));
		r = net_ipam_rebuild(eng, &n, NULL, 0, e);
		if (r < 0)
			goto fail;
	} else {
		return r;
	}
	store_ipam_path(&eng->st, n.name, path, sizeof(path));
	if (!is_new && access(path, F_OK) < 0) {
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
			r = ifaddr_del4(host, li.ifindex, n->gateway, n->subnet.prefix, e);
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
	store_ipam_path(&eng->st, network, path, sizeof(path));
	net_ipam_def(&sn.def, &d);
	r = ipam_open(path, &d, &ip, e);
	if (r < 0)
		return r;
	s.capacity = ipam_capacity(ip);
	s.used = ipam_used(ip);
	ipam_close(ip);
	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	s.bridge_up = link_get(host, sn.def.bridge, &li, NULL) == 0 && (li.flags & IFF_UP);
	*ret = s;
	if (s.used >= s.capacity)
		return berr_set(e, -ENOSPC, "network '%s' has no free address (%zu of %zu in use)", network, s.used,
				s.capacity);
	if (!s.bridge_up)
		return berr_set(e, -ENODEV, "bridge %s of network '%s' is missing or down", sn.def.bridge, network);
	return 0;
}
