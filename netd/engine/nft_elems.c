/* Networks and published ports as elements of table inet berth's sets and maps. */
/*
 * Their encoding (what the rules' lookups compare against), the batches that
 * add and remove them, and reading them back.
 *
 * Key layout follows nftables' concatenations: every field is padded to a
 * 4-byte register, addresses and ports are in network byte order, the
 * protocol is one byte.
 */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "netd/engine/nft_int.h"
#include "u128.h"

/* ------------------------------------------------------------------ validation */

int nft_port_check(const struct nft_port *p, const char *field, struct berr *e)
{
	if (p->proto != BPROTO_TCP && p->proto != BPROTO_UDP)
		return berr_set(e, -EINVAL, "'%s.proto' must be tcp or udp (got %d)", field, (int)p->proto);
	if (p->host_port == 0)
		return berr_set(e, -EINVAL, "'%s.host_port' must be 1-65535", field);
	if (p->dest_port == 0)
		return berr_set(e, -EINVAL, "'%s.dest_port' must be 1-65535", field);
	if (p->v6 ? baddr_zero6(&p->dest_ip6) : p->dest_ip == 0)
		return berr_set(e, -EINVAL, "'%s.dest_ip' must be a container address, not %s", field,
				p->v6 ? "::" : "0.0.0.0");
	return 0;
}

int nft_network_check(const struct nft_network *n, const char *field, struct berr *e)
{
	char buf[BADDR_CIDR4_STRLEN];

	if (strnlen(n->bridge, sizeof(n->bridge)) == sizeof(n->bridge) || !bifname_valid(n->bridge))
		return berr_set(e, -EINVAL, "'%s.bridge' is not a valid interface name", field);
	/* prefix 0: the network has no IPv4 */
	if (n->subnet.prefix > 32 || (n->subnet.prefix == 0 && n->subnet.addr))
		return berr_set(e, -EINVAL, "'%s.subnet' prefix must be 1-32 (got %u)", field, n->subnet.prefix);
	if (n->subnet.addr & ~baddr_mask4(n->subnet.prefix))
		return berr_set(e, -EINVAL, "'%s.subnet' %s has host bits set", field,
				baddr_fmt_cidr4(&n->subnet, buf));
	if (n->subnet6.prefix > 128 || (n->subnet6.prefix == 0 && !baddr_zero6(&n->subnet6.addr)))
		return berr_set(e, -EINVAL, "'%s.subnet6' prefix must be 1-128 (got %u)", field, n->subnet6.prefix);
	{
		struct in6_addr m = baddr_mask6(&n->subnet6.addr, n->subnet6.prefix);
		char b6[BADDR_CIDR6_STRLEN];

		if (!baddr_eq6(&m, &n->subnet6.addr))
			return berr_set(e, -EINVAL, "'%s.subnet6' %s has host bits set", field,
					baddr_fmt_cidr6(&n->subnet6, b6));
	}
	if (n->subnet.prefix == 0 && n->subnet6.prefix == 0)
		return berr_set(e, -EINVAL, "'%s' has neither an IPv4 nor an IPv6 subnet", field);
	if (n->fabric.prefix &&
	    (n->fabric.prefix > n->subnet.prefix || n->fabric.addr & ~baddr_mask4(n->fabric.prefix) ||
	     !baddr_in4(&n->fabric, n->subnet.addr)))
		return berr_set(e, -EINVAL, "'%s.fabric' %s is not a subnet holding the network's", field,
				baddr_fmt_cidr4(&n->fabric, buf));
	if (n->fabric6.prefix) {
		struct in6_addr m = baddr_mask6(&n->fabric6.addr, n->fabric6.prefix);
		char b6[BADDR_CIDR6_STRLEN];

		if (n->fabric6.prefix > n->subnet6.prefix || !baddr_eq6(&m, &n->fabric6.addr) ||
		    !baddr_in6(&n->fabric6, &n->subnet6.addr))
			return berr_set(e, -EINVAL, "'%s.fabric6' %s is not a subnet holding the network's", field,
					baddr_fmt_cidr6(&n->fabric6, b6));
	}
	return 0;
}

int nft_endpoint_check(const struct nft_endpoint *ep, const char *field, struct berr *e)
{
	if (strnlen(ep->ifname, sizeof(ep->ifname)) == sizeof(ep->ifname) || !bifname_valid(ep->ifname))
		return berr_set(e, -EINVAL, "'%s.ifname' is not a valid interface name", field);
	if (ep->ip == 0 && baddr_zero6(&ep->ip6))
		return berr_set(e, -EINVAL, "'%s.ip' must be the endpoint's address, not 0.0.0.0", field);
	return 0;
}

/* "what[i]" in buf */
static const char *field_name(char buf[32], const char *what, size_t i)
{
	snprintf(buf, 32, "%s[%zu]", what, i);
	return buf;
}

int nft_check(const struct nft_network *nets, size_t n_nets, const struct nft_endpoint *eps, size_t n_eps,
	      const struct nft_port *ports, size_t n_ports, struct berr *e)
{
	char field[32];
	int r = 0;

	for (size_t i = 0; r == 0 && i < n_nets; i++)
		r = nft_network_check(&nets[i], field_name(field, "networks", i), e);
	for (size_t i = 0; r == 0 && i < n_eps; i++)
		r = nft_endpoint_check(&eps[i], field_name(field, "endpoints", i), e);
	for (size_t i = 0; r == 0 && i < n_ports; i++)
		r = nft_port_check(&ports[i], field_name(field, "ports", i), e);
	return r;
}

const char *nft_port_fmt(const struct nft_port *p, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (p->v6)
		snprintf(buf, len, "%s [%s]:%u -> [%s]:%u", bproto_name(p->proto), baddr_fmt6(&p->host_ip6, h),
			 p->host_port, baddr_fmt6(&p->dest_ip6, d), p->dest_port);
	else
		snprintf(buf, len, "%s %s:%u -> %s:%u", bproto_name(p->proto), baddr_fmt4(p->host_ip, h), p->host_port,
			 baddr_fmt4(p->dest_ip, d), p->dest_port);
	return buf;
}

/* ------------------------------------------------------------------ encoding */

static void put_be32(uint8_t *p, uint32_t host)
{
	bu128_put(p, 4, host);
}

static void put_be16(uint8_t *p, uint16_t host)
{
	bu128_put(p, 2, host);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)bu128_get(p, 4);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)bu128_get(p, 2);
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* pub_any4, pub_ip4, pub_any6, pub_ip6: [v6][with a host address] */
static const char *const pub_maps[2][2] = {{NFT_MAP_PUB_ANY4, NFT_MAP_PUB_IP4}, {NFT_MAP_PUB_ANY6, NFT_MAP_PUB_IP6}};

/* A port's host and destination addresses as the maps hold them (network byte order); returns their length. */
static unsigned port_addrs(const struct nft_port *p, uint8_t host[16], uint8_t dest[16])
{
	if (p->v6) {
		memcpy(host, p->host_ip6.s6_addr, 16);
		memcpy(dest, p->dest_ip6.s6_addr, 16);
		return 16;
	}
	put_be32(host, p->host_ip);
	put_be32(dest, p->dest_ip);
	return 4;
}

/* Keys: [host address .] proto (padded to 4) . port (padded to 4); data: address . port (padded to 4). */
const char *nft_port_elem(const struct nft_port *p, struct nft_elem *el)
{
	uint8_t host[16], dest[16];
	unsigned len = port_addrs(p, host, dest);
	bool with_ip = !zero(host, len);
	uint8_t *k = el->key;

	memset(el, 0, sizeof(*el));
	if (with_ip) {
		memcpy(k, host, len);
		k += len;
	}
	k[0] = (uint8_t)p->proto;
	put_be16(k + 4, p->host_port);
	el->key_len = (uint8_t)(with_ip ? len + 8 : 8);
	memcpy(el->data, dest, len);
	put_be16(el->data + len, p->dest_port);
	el->data_len = (uint8_t)(len + 4);
	return pub_maps[p->v6][with_ip];
}

int nft_port_from_elem(const char *set, const struct nft_elem *el, struct nft_port *ret)
{
	bool v6 = strcmp(set, NFT_MAP_PUB_ANY6) == 0 || strcmp(set, NFT_MAP_PUB_IP6) == 0;
	bool with_ip = strcmp(set, pub_maps[v6][true]) == 0;
	unsigned len = v6 ? 16 : 4;
	const uint8_t *k = el->key + (with_ip ? len : 0);
	struct nft_port p = {.v6 = v6};

	if (el->key_len != (with_ip ? len + 8 : 8) || el->data_len != len + 4 || el->flags ||
	    (with_ip && zero(el->key, len)))
		return -EBADMSG;
	if ((k[0] != BPROTO_TCP && k[0] != BPROTO_UDP) || !zero(k + 1, 3) || !zero(k + 6, 2) ||
	    !zero(el->data + len + 2, 2))
		return -EBADMSG;
	p.proto = (enum bproto)k[0];
	p.host_port = get_be16(k + 4);
	p.dest_port = get_be16(el->data + len);
	if (v6) {
		if (with_ip)
			memcpy(p.host_ip6.s6_addr, el->key, 16);
		memcpy(p.dest_ip6.s6_addr, el->data, 16);
	} else {
		p.host_ip = with_ip ? get_be32(el->key) : 0;
		p.dest_ip = get_be32(el->data);
	}
	if (nft_port_check(&p, "element", NULL) < 0)
		return -EBADMSG;
	*ret = p;
	return 0;
}

void nft_ifname_key(const char *name, uint8_t out[NFT_IFNAME_LEN])
{
	memset(out, 0, NFT_IFNAME_LEN);
	memcpy(out, name, strnlen(name, NFT_IFNAME_LEN - 1));
}

size_t nft_interval_elems(const uint8_t *addr, unsigned len, unsigned prefix, struct nft_elem out[2])
{
	unsigned bits = 8 * len;
	bu128 size = bits - prefix < 128 ? (bu128)1 << (bits - prefix) : 0;
	bu128 end = bu128_get(addr, len) + size;

	memset(out, 0, 2 * sizeof(*out));
	memcpy(out[0].key, addr, len);
	out[0].key_len = (uint8_t)len;
	/* an interval that runs to the last address (255.255.255.255, or a /0 of IPv6) has no end element */
	if (size == 0 || end == 0 || (bits < 128 && end >> bits))
		return 1;
	bu128_put(out[1].key, len, end);
	out[1].key_len = (uint8_t)len;
	out[1].flags = NFT_SET_ELEM_INTERVAL_END;
	return 2;
}

static int cmp_key(const void *a, const void *b)
{
	const struct nft_elem *x = *(const struct nft_elem *const *)a, *y = *(const struct nft_elem *const *)b;

	/* big-endian keys of one length: memcmp orders them as numbers */
	return memcmp(x->key, y->key, x->key_len);
}

int nft_intervals_read(const struct nft_elem *elems, size_t n, unsigned len, struct nft_prefix **ret, size_t *ret_n,
		       struct berr *e)
{
	_cleanup_free_ const struct nft_elem **starts = calloc(n + 1, sizeof(*starts));
	_cleanup_free_ const struct nft_elem **ends = calloc(n + 1, sizeof(*ends));
	_cleanup_free_ struct nft_prefix *out = calloc(n + 1, sizeof(*out));
	unsigned bits = 8 * len;
	bu128 top = bits < 128 ? (bu128)1 << bits : 0; /* one past the last address (IPv6: wraps to 0) */
	size_t ns = 0, ne = 0;

	if (!starts || !ends || !out)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		if (elems[i].key_len != len)
			return berr_set(e, -EBADMSG, "%s with a %u-byte key",
					len == 16 ? "IPv6 interval element" : "interval element", elems[i].key_len);
		if (elems[i].flags & NFT_SET_ELEM_INTERVAL_END)
			ends[ne++] = &elems[i];
		else
			starts[ns++] = &elems[i];
	}
	qsort(starts, ns, sizeof(*starts), cmp_key);
	qsort(ends, ne, sizeof(*ends), cmp_key);
	for (size_t i = 0, j = 0; i < ns; i++) {
		bu128 s = bu128_get(starts[i]->key, len), end, size;
		bool to_top;

		/* the end: the first end element above the start (nft's own 0.0.0.0 or :: end is skipped); none: the
		 * top */
		while (j < ne && bu128_get(ends[j]->key, len) <= s)
			j++;
		to_top = j >= ne;
		end = to_top ? top : bu128_get(ends[j]->key, len);
		if (i + 1 < ns && (to_top || bu128_get(starts[i + 1]->key, len) < end))
			return berr_set(e, -EBADMSG, "overlapping intervals in the set");
		size = end - s; /* IPv6 to the top: wraps to 2^128 - s, 0 for ::/0 */
		if ((size & (size - 1)) || (s & (size - 1)))
			return len == 4 ? berr_set(e, -EBADMSG, "interval of %llu addresses is not a subnet",
						   (unsigned long long)size)
					: berr_set(e, -EBADMSG, "an IPv6 interval is not a subnet");
		out[i].start = starts[i];
		out[i].prefix = 0;
		if (size)
			for (out[i].prefix = (uint8_t)bits; size >>= 1;)
				out[i].prefix--;
	}
	*ret = TAKE_PTR(out);
	*ret_n = ns;
	return 0;
}

/* ------------------------------------------------------------------ batches */

static void describe_port(const void *arg, size_t tag, char *buf, size_t len)
{
	nft_port_fmt(&((const struct nft_port *)arg)[tag], buf, len);
}

/* "10.66.0.0/16", "fd00:66::/64" or both, comma-separated */
static const char *subnets_fmt(const struct nft_network *n, char *buf, size_t len)
{
	char c[BADDR_CIDR4_STRLEN], c6[BADDR_CIDR6_STRLEN];

	snprintf(buf, len, "%s%s%s", n->subnet.prefix ? baddr_fmt_cidr4(&n->subnet, c) : "",
		 n->subnet.prefix && n->subnet6.prefix ? ", " : "",
		 n->subnet6.prefix ? baddr_fmt_cidr6(&n->subnet6, c6) : "");
	return buf;
}

static void describe_network(const void *arg, size_t tag, char *buf, size_t len)
{
	const struct nft_network *n = &((const struct nft_network *)arg)[tag];
	char c[BADDR_CIDR4_STRLEN + BADDR_CIDR6_STRLEN + 4];

	snprintf(buf, len, "network on %s (%s)", n->bridge, subnets_fmt(n, c, sizeof(c)));
}

/* One family's part of networks: subnets in nets4 and in masq4 or not (unmasq), bridges in masq_bridges or not. */
struct fam_elems {
	struct nft_elem *nets, *masq, *unmasq, *masq_br, *unmasq_br, *fabric, *fabric_nets;
	size_t n_nets, n_masq, n_unmasq, n_masq_br, n_unmasq_br, n_fabric, n_fabric_nets;
};

struct net_elems {
	struct nft_elem *bridges, *same, *internal, *external;
	size_t n_bridges, n_same, n_internal, n_external;
	struct fam_elems f[2]; /* nft_families' order */
};

/* A subnet's interval elements (k of them) into nets and masq or unmasq, the start mapped to the bridge. */
static void add_intervals(const struct nft_elem *iv, size_t k, size_t tag, const char *bridge, bool masq,
			  struct fam_elems *x)
{
	for (size_t j = 0; j < k; j++) {
		struct nft_elem el = iv[j];

		el.tag = tag;
		if (masq)
			x->masq[x->n_masq++] = el;
		else
			x->unmasq[x->n_unmasq++] = el;
		if (!(el.flags & NFT_SET_ELEM_INTERVAL_END)) {
			/* nets4 / nets6 map each subnet to its bridge (read back by nft_networks_list) */
			nft_ifname_key(bridge, el.data);
			el.data_len = NFT_IFNAME_LEN;
		}
		x->nets[x->n_nets++] = el;
	}
}

/*
 * fabric4 / fabric6: a host-gw fabric network's whole subnet (addr, len
 * bytes) . this bridge, one element holding its first and last address.
 */
static void fabric_elem(const uint8_t *addr, unsigned len, unsigned prefix, const char *bridge, size_t tag,
			struct nft_elem *el)
{
	memcpy(el->key, addr, len);
	nft_ifname_key(bridge, el->key + len);
	el->key_len = (uint8_t)(len + NFT_IFNAME_LEN);
	memcpy(el->key_end, el->key, el->key_len);
	for (unsigned bit = prefix; bit < len * 8; bit++)
		el->key_end[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	el->key_end_len = el->key_len;
	el->tag = tag;
}

static int net_elems_fill(struct nft_batch *b, const struct nft_network *nets, size_t n, struct net_elems *x)
{
	struct nft_elem **all[] = {&x->bridges,		 &x->same,
				   &x->internal,	 &x->external,
				   &x->f[0].nets,	 &x->f[0].masq,
				   &x->f[0].unmasq,	 &x->f[0].masq_br,
				   &x->f[0].unmasq_br,	 &x->f[0].fabric,
				   &x->f[1].nets,	 &x->f[1].masq,
				   &x->f[1].unmasq,	 &x->f[1].masq_br,
				   &x->f[1].unmasq_br,	 &x->f[1].fabric,
				   &x->f[0].fabric_nets, &x->f[1].fabric_nets};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		/* a tunnel adds a bridges element and two same_bridge pairs */
		*all[i] = calloc(3 * n, sizeof(struct nft_elem));
		if (!*all[i] || nft_batch_own(b, *all[i]) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct nft_network *net = &nets[i];
		uint8_t addr4[4], fab4[4];
		const struct {
			const uint8_t *addr;
			uint8_t prefix;
			bool masq;
			const uint8_t *fabric; /* the fabric's whole subnet (host-gw), fabric_prefix 0: none */
			uint8_t fabric_prefix;
		} subnet[2] = {{addr4, net->subnet.prefix, net->masquerade, fab4, net->fabric.prefix},
			       {net->subnet6.addr.s6_addr, net->subnet6.prefix, net->masquerade6,
				net->fabric6.addr.s6_addr, net->fabric6.prefix}};

		put_be32(addr4, net->subnet.addr);
		put_be32(fab4, net->fabric.addr);
		nft_ifname_key(net->bridge, x->bridges[i].key);
		x->bridges[i].key_len = NFT_IFNAME_LEN;
		x->bridges[i].tag = i;
		nft_ifname_key(net->bridge, x->same[i].key);
		nft_ifname_key(net->bridge, x->same[i].key + NFT_IFNAME_LEN);
		x->same[i].key_len = 2 * NFT_IFNAME_LEN;
		x->same[i].tag = i;
		if (net->tunnel[0]) {
			/* after the n bridges: the first n elements stay one per network (internal, external) */
			struct nft_elem *t = &x->bridges[n + x->n_bridges++];
			struct nft_elem *bt = &x->same[n + x->n_same++], *tb = &x->same[n + x->n_same++];

			nft_ifname_key(net->tunnel, t->key);
			t->key_len = NFT_IFNAME_LEN;
			t->tag = i;
			nft_ifname_key(net->bridge, bt->key);
			nft_ifname_key(net->tunnel, bt->key + NFT_IFNAME_LEN);
			nft_ifname_key(net->tunnel, tb->key);
			nft_ifname_key(net->bridge, tb->key + NFT_IFNAME_LEN);
			bt->key_len = tb->key_len = 2 * NFT_IFNAME_LEN;
			bt->tag = tb->tag = i;
		}
		for (size_t f = 0; f < ARRAY_SIZE(x->f); f++) {
			struct fam_elems *fx = &x->f[f];
			bool masq = subnet[f].masq && !net->internal && subnet[f].prefix;
			struct nft_elem iv[2];
			size_t k = subnet[f].prefix ? nft_interval_elems(subnet[f].addr, nft_families[f].addr_len,
									 subnet[f].prefix, iv)
						    : 0;

			add_intervals(iv, k, i, net->bridge, masq, fx);
			if (masq)
				fx->masq_br[fx->n_masq_br++] = x->bridges[i];
			else
				fx->unmasq_br[fx->n_unmasq_br++] = x->bridges[i];
			if (subnet[f].fabric_prefix) {
				fabric_elem(subnet[f].fabric, nft_families[f].addr_len, subnet[f].fabric_prefix,
					    net->bridge, i, &fx->fabric[fx->n_fabric++]);
				/* fabric6_nets: the subnet alone (IPv6's masquerade, nft_rules.c) */
				k = nft_families[f].fabric_nets
					    ? nft_interval_elems(subnet[f].fabric, nft_families[f].addr_len,
								 subnet[f].fabric_prefix, iv)
					    : 0;
				for (size_t j = 0; j < k; j++) {
					iv[j].tag = i;
					fx->fabric_nets[fx->n_fabric_nets++] = iv[j];
				}
			}
		}
		if (net->internal)
			x->internal[x->n_internal++] = x->bridges[i];
		else
			x->external[x->n_external++] = x->bridges[i];
	}
	return 0;
}

struct net_step {
	const char *set;
	const struct nft_elem *el;
	size_t n;
};

static int net_steps(struct nft_batch *b, enum nft_elem_op op, const struct net_step *s, size_t n,
		     const struct nft_network *nets, struct berr *e)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++)
		r = nft_batch_elems(b, op, s[i].set, s[i].el, s[i].n, describe_network, nets, e);
	return r;
}

int nft_network_msgs(struct nft_batch *b, const struct nft_network *nets, size_t n, enum nft_net_mode mode,
		     struct berr *e)
{
	struct net_elems x = {0};
	const struct fam_elems *v4 = &x.f[NFT_IPV4], *v6 = &x.f[NFT_IPV6];
	int r;

	if (n == 0)
		return 0;
	if (net_elems_fill(b, nets, n, &x) < 0)
		return berr_oom(e);
	/* the marks the networks do not have: re-added with other flags, or removed under the wrong ones */
	const struct net_step unmark[] = {
		{NFT_SET_MASQ4, v4->unmasq, v4->n_unmasq},	    {NFT_SET_MASQ6, v6->unmasq, v6->n_unmasq},
		{NFT_SET_INTERNAL, x.external, x.n_external},	    {NFT_SET_MASQ_BR, v4->unmasq_br, v4->n_unmasq_br},
		{NFT_SET_MASQ6_BR, v6->unmasq_br, v6->n_unmasq_br},
	};
	if (mode == NFT_NET_DEL) {
		const struct net_step del[] = {
			{NFT_SET_INTERNAL, x.internal, x.n_internal},
			{NFT_SET_MASQ_BR, v4->masq_br, v4->n_masq_br},
			{NFT_SET_MASQ6_BR, v6->masq_br, v6->n_masq_br},
			{NFT_SET_MASQ4, v4->masq, v4->n_masq},
			{NFT_SET_NETS4, v4->nets, v4->n_nets},
			{NFT_SET_FABRIC4, v4->fabric, v4->n_fabric},
			{NFT_SET_MASQ6, v6->masq, v6->n_masq},
			{NFT_SET_NETS6, v6->nets, v6->n_nets},
			{NFT_SET_FABRIC6, v6->fabric, v6->n_fabric},
			{NFT_SET_FABRIC6_NETS, v6->fabric_nets, v6->n_fabric_nets},
			{NFT_SET_SAME_BRIDGE, x.same, n + x.n_same},
			{NFT_SET_BRIDGES, x.bridges, n + x.n_bridges},
		};

		r = net_steps(b, NFT_ELEMS_DESTROY, del, ARRAY_SIZE(del), nets, e);
		return r < 0 ? r : net_steps(b, NFT_ELEMS_DESTROY, unmark, ARRAY_SIZE(unmark), nets, e);
	}
	const struct net_step add[] = {
		{NFT_SET_BRIDGES, x.bridges, n + x.n_bridges},
		{NFT_SET_SAME_BRIDGE, x.same, n + x.n_same},
		{NFT_SET_NETS4, v4->nets, v4->n_nets},
		{NFT_SET_NETS6, v6->nets, v6->n_nets},
		{NFT_SET_FABRIC4, v4->fabric, v4->n_fabric},
		{NFT_SET_FABRIC6, v6->fabric, v6->n_fabric},
		{NFT_SET_FABRIC6_NETS, v6->fabric_nets, v6->n_fabric_nets},
		{NFT_SET_MASQ4, v4->masq, v4->n_masq},
		{NFT_SET_MASQ6, v6->masq, v6->n_masq},
		{NFT_SET_INTERNAL, x.internal, x.n_internal},
		{NFT_SET_MASQ_BR, v4->masq_br, v4->n_masq_br},
		{NFT_SET_MASQ6_BR, v6->masq_br, v6->n_masq_br},
	};
	r = net_steps(b, NFT_ELEMS_ADD, add, ARRAY_SIZE(add), nets, e);
	if (r == 0 && mode == NFT_NET_ADD)
		r = net_steps(b, NFT_ELEMS_DESTROY, unmark, ARRAY_SIZE(unmark), nets, e);
	return r;
}

int nft_port_msgs(struct nft_batch *b, const struct nft_port *ports, size_t n, enum nft_elem_op op, struct berr *e)
{
	static const char *const maps[] = {NFT_MAP_PUB_ANY4, NFT_MAP_PUB_IP4, NFT_MAP_PUB_ANY6, NFT_MAP_PUB_IP6};
	struct nft_elem *by_map[ARRAY_SIZE(maps)];
	size_t count[ARRAY_SIZE(maps)] = {0};
	int r = 0;

	if (n == 0)
		return 0;
	for (size_t m = 0; m < ARRAY_SIZE(maps); m++) {
		by_map[m] = calloc(n, sizeof(struct nft_elem));
		if (!by_map[m] || nft_batch_own(b, by_map[m]) < 0)
			return berr_oom(e);
	}
	for (size_t i = 0; i < n; i++) {
		struct nft_elem el;
		const char *map = nft_port_elem(&ports[i], &el);

		el.tag = i;
		for (size_t m = 0; m < ARRAY_SIZE(maps); m++)
			if (map == maps[m])
				by_map[m][count[m]++] = el;
	}
	for (size_t m = 0; r == 0 && m < ARRAY_SIZE(maps); m++)
		r = nft_batch_elems(b, op, maps[m], by_map[m], count[m], describe_port, ports, e);
	return r;
}

static void describe_endpoint(const void *arg, size_t tag, char *buf, size_t len)
{
	const struct nft_endpoint *ep = &((const struct nft_endpoint *)arg)[tag];
	char a[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	snprintf(buf, len, "endpoint %s (%s%s%s)", ep->ifname, ep->ip ? baddr_fmt4(ep->ip, a) : "",
		 ep->ip && !baddr_zero6(&ep->ip6) ? ", " : "", baddr_zero6(&ep->ip6) ? "" : baddr_fmt6(&ep->ip6, a6));
}

int nft_endpoint_msgs(struct nft_batch *b, const struct nft_endpoint *eps, size_t n, enum nft_elem_op op,
		      struct berr *e)
{
	struct nft_elem *ifs, *macs, *addrs[2];
	size_t n_addrs[2] = {0};
	int r = 0;

	if (n == 0)
		return 0;
	ifs = calloc(4 * n, sizeof(*ifs));
	if (!ifs || nft_batch_own(b, ifs) < 0)
		return berr_oom(e);
	addrs[NFT_IPV4] = ifs + n;
	addrs[NFT_IPV6] = ifs + 2 * n;
	macs = ifs + 3 * n;
	for (size_t i = 0; i < n; i++) {
		uint8_t addr4[4];
		const uint8_t *addr[2] = {addr4, eps[i].ip6.s6_addr};

		put_be32(addr4, eps[i].ip);
		nft_ifname_key(eps[i].ifname, ifs[i].key);
		ifs[i].key_len = NFT_IFNAME_LEN;
		ifs[i].tag = i;
		for (size_t f = 0; f < ARRAY_SIZE(addrs); f++) {
			unsigned len = nft_families[f].addr_len;
			struct nft_elem *el = &addrs[f][n_addrs[f]];

			/* an endpoint without an address of a family may send nothing of it */
			if (zero(addr[f], len))
				continue;
			*el = ifs[i];
			memcpy(el->key + NFT_IFNAME_LEN, addr[f], len);
			el->key_len = (uint8_t)(NFT_IFNAME_LEN + len);
			n_addrs[f]++;
		}
		macs[i] = ifs[i];
		memcpy(macs[i].key + NFT_IFNAME_LEN, eps[i].mac, 6);
		macs[i].key_len = NFT_IFNAME_LEN + 8;
	}
	for (size_t f = 0; r == 0 && f < ARRAY_SIZE(addrs); f++)
		r = nft_batch_elems(b, op, nft_families[f].ep_addrs, addrs[f], n_addrs[f], describe_endpoint, eps, e);
	if (r == 0)
		r = nft_batch_elems(b, op, NFT_SET_EP_MACS, macs, n, describe_endpoint, eps, e);
	if (r == 0)
		r = nft_batch_elems(b, op, NFT_SET_EP_IFACES, ifs, n, describe_endpoint, eps, e);
	return r;
}

void nft_vxlan_peer_elem(uint32_t addr, uint16_t port, struct nft_elem *el)
{
	memset(el, 0, sizeof(*el));
	put_be32(el->key, addr);
	put_be16(el->key + 4, port);
	el->key_len = 8;
}

void nft_vxlan_peer6_elem(const struct in6_addr *addr, uint16_t port, struct nft_elem *el)
{
	memset(el, 0, sizeof(*el));
	memcpy(el->key, addr, 16);
	put_be16(el->key + 16, port);
	el->key_len = 20;
}

void nft_vxlan_port_elem(uint16_t port, struct nft_elem *el)
{
	memset(el, 0, sizeof(*el));
	put_be16(el->key, port);
	el->key_len = 2;
}

/* ------------------------------------------------------------------ API */

struct net_args {
	const struct nft_network *net;
	enum nft_net_mode mode;
};

static int build_network(struct nft_batch *b, const void *arg, struct berr *e)
{
	const struct net_args *a = arg;

	return nft_network_msgs(b, a->net, 1, a->mode, e);
}

static int network_change(struct nft_ctx *ctx, const struct nft_network *net, enum nft_net_mode mode, struct berr *e)
{
	struct net_args a = {.net = net, .mode = mode};
	char c[BADDR_CIDR4_STRLEN + BADDR_CIDR6_STRLEN + 4];
	struct nft_fail f = {0};
	int r;

	r = nft_network_check(net, "network", e);
	if (r < 0)
		return r;
	r = nft_transact(ctx, build_network, &a, &f, e);
	/* nets4 / nets6 refuse an overlapping subnet (EEXIST) and the same subnet on another bridge (EBUSY) */
	if ((r == -EEXIST || r == -EBUSY) && f.set &&
	    (strcmp(f.set, NFT_SET_NETS4) == 0 || strcmp(f.set, NFT_SET_NETS6) == 0))
		return berr_wrap(e, -EEXIST, "subnet %s of bridge %s conflicts with a network already in table inet %s",
				 subnets_fmt(net, c, sizeof(c)), net->bridge, NFT_TABLE_NAME);
	if (r < 0)
		return berr_wrap(e, r, "%s nftables elements of network %s (%s)",
				 mode == NFT_NET_DEL ? "remove" : "add", net->bridge, subnets_fmt(net, c, sizeof(c)));
	return 0;
}

int nft_network_add(struct nft_ctx *ctx, const struct nft_network *net, struct berr *e)
{
	return network_change(ctx, net, NFT_NET_ADD, e);
}

int nft_network_del(struct nft_ctx *ctx, const struct nft_network *net, struct berr *e)
{
	return network_change(ctx, net, NFT_NET_DEL, e);
}

struct port_args {
	const struct nft_endpoint *ep;
	const struct nft_port *ports;
	size_t n;
	enum nft_elem_op op;
};

static int build_ports(struct nft_batch *b, const void *arg, struct berr *e)
{
	const struct port_args *a = arg;
	int r = 0;

	if (a->ep)
		r = nft_endpoint_msgs(b, a->ep, 1, a->op == NFT_ELEMS_DESTROY ? a->op : NFT_ELEMS_ADD, e);
	return r < 0 ? r : nft_port_msgs(b, a->ports, a->n, a->op, e);
}

/* The host (dest: the destination) address of a port as "0.0.0.0" or "[::]" (buf INET6_ADDRSTRLEN + 2). */
static const char *port_host_fmt(const struct nft_port *p, bool dest, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	if (p->v6)
		snprintf(buf, INET6_ADDRSTRLEN + 2, "[%s]", baddr_fmt6(dest ? &p->dest_ip6 : &p->host_ip6, a));
	else
		baddr_fmt4(dest ? p->dest_ip : p->host_ip, buf);
	return buf;
}

/* Say which host port collided, and with what, instead of a bare EEXIST. */
static int port_conflict(struct nft_ctx *ctx, const struct nft_port *ports, size_t n, const struct nft_fail *f,
			 struct berr *e)
{
	const struct nft_port *p;
	struct nft_elem el, found;
	struct nft_port owner;
	char h[INET6_ADDRSTRLEN + 2], d[INET6_ADDRSTRLEN + 2];
	const char *set;
	int r;

	if (!f->elem || f->tag >= n)
		return berr_wrap(e, -EEXIST, "a host port is already published");
	p = &ports[f->tag];
	set = nft_port_elem(p, &el);
	r = nft_elem_get(ctx, set, &el, &found, NULL);
	if (r > 0 && nft_port_from_elem(set, &found, &owner) == 0)
		return berr_set(e, -EEXIST, "host port %s %s:%u is already published (to %s:%u)", bproto_name(p->proto),
				port_host_fmt(p, false, h), p->host_port, port_host_fmt(&owner, true, d),
				owner.dest_port);
	return berr_set(e, -EEXIST, "host port %s %s:%u is given twice", bproto_name(p->proto),
			port_host_fmt(p, false, h), p->host_port);
}

static int ports_change(struct nft_ctx *ctx, const struct nft_endpoint *ep, const struct nft_port *ports, size_t n,
			enum nft_elem_op op, struct berr *e)
{
	struct port_args a = {.ep = ep, .ports = ports, .n = n, .op = op};
	struct nft_fail f = {0};
	int r;

	if (n && !ports)
		return berr_set(e, -EINVAL, "no ports given");
	if (ep && (r = nft_endpoint_check(ep, "endpoint", e)) < 0)
		return r;
	r = nft_check(NULL, 0, NULL, 0, ports, n, e);
	if (r < 0)
		return r;
	r = nft_transact(ctx, build_ports, &a, &f, e);
	if (r == -EEXIST && op == NFT_ELEMS_ADD_EXCL && (!f.set || strncmp(f.set, "pub_", 4) == 0))
		return port_conflict(ctx, ports, n, &f, e);
	if (r < 0)
		return berr_wrap(e, r, "%s ports", op == NFT_ELEMS_DESTROY ? "unpublish" : "publish");
	return 0;
}

int nft_ports_add(struct nft_ctx *ctx, const struct nft_port *ports, size_t n, struct berr *e)
{
	return ports_change(ctx, NULL, ports, n, NFT_ELEMS_ADD_EXCL, e);
}

int nft_ports_del(struct nft_ctx *ctx, const struct nft_port *ports, size_t n, struct berr *e)
{
	return ports_change(ctx, NULL, ports, n, NFT_ELEMS_DESTROY, e);
}

int nft_endpoint_add(struct nft_ctx *ctx, const struct nft_endpoint *ep, const struct nft_port *ports, size_t n,
		     struct berr *e)
{
	return ports_change(ctx, ep, ports, n, NFT_ELEMS_ADD_EXCL, e);
}

int nft_endpoint_del(struct nft_ctx *ctx, const struct nft_endpoint *ep, const struct nft_port *ports, size_t n,
		     struct berr *e)
{
	return ports_change(ctx, ep, ports, n, NFT_ELEMS_DESTROY, e);
}

/* Elements of a set; a missing table (or set) holds nothing. */
static int elem_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = a, *y = b;

	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return memcmp(x->key, y->key, x->key_len);
}

/* True when some element appears twice: the dump raced a resize of the set's hash table. */
static bool has_duplicates(const struct nft_elem *el, size_t n)
{
	_cleanup_free_ struct nft_elem *copy = NULL;

	if (n < 2)
		return false;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return false;
	memcpy(copy, el, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), elem_cmp);
	for (size_t i = 1; i < n; i++)
		if (elem_cmp(&copy[i - 1], &copy[i]) == 0)
			return true;
	return false;
}

static int dump_or_empty(struct nft_ctx *ctx, const char *set, struct nft_elem **ret, size_t *ret_n, struct berr *e)
{
	/*
	 * A set dump longer than one message resumes by skipping the elements
	 * already sent; when the kernel resizes a hash set in between (its
	 * deferred rhashtable worker runs after big additions), the order
	 * changes and one element can come twice while another is missed.
	 * Such a dump shows a duplicate: take it again.
	 */
	for (int attempt = 0;; attempt++) {
		int r = nft_elems_dump(ctx, set, ret, ret_n, e);

		if (r == -ENOENT) {
			berr_clear(e);
			*ret = NULL;
			*ret_n = 0;
			return 0;
		}
		if (r < 0 || attempt == 20 || !has_duplicates(*ret, *ret_n))
			return r;
		free(*ret);
		*ret = NULL;
		usleep(1000u << (attempt < 6 ? attempt : 6));
	}
}

int nft_ports_list(struct nft_ctx *ctx, struct nft_port **ret, size_t *ret_n, struct berr *e)
{
	static const char *const maps[] = {NFT_MAP_PUB_ANY4, NFT_MAP_PUB_IP4, NFT_MAP_PUB_ANY6, NFT_MAP_PUB_IP6};
	struct nft_elem *el[ARRAY_SIZE(maps)] = {NULL};
	size_t n_el[ARRAY_SIZE(maps)] = {0}, total = 0, n = 0;
	_cleanup_free_ struct nft_port *out = NULL;
	int r = 0;

	for (size_t m = 0; r == 0 && m < ARRAY_SIZE(maps); m++) {
		r = dump_or_empty(ctx, maps[m], &el[m], &n_el[m], e);
		total += n_el[m];
	}
	if (r == 0 && !(out = calloc(total + 1, sizeof(*out))))
		r = berr_oom(e);
	/* Elements berth did not write (an admin's additions) are not published ports: skip them. */
	for (size_t m = 0; r == 0 && m < ARRAY_SIZE(maps); m++)
		for (size_t i = 0; i < n_el[m]; i++)
			if (nft_port_from_elem(maps[m], &el[m][i], &out[n]) == 0)
				n++;
	for (size_t m = 0; m < ARRAY_SIZE(maps); m++)
		free(el[m]);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	*ret_n = n;
	return 0;
}

static bool has_ifname(const struct nft_elem *el, size_t n, const uint8_t key[NFT_IFNAME_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (el[i].key_len == NFT_IFNAME_LEN && memcmp(el[i].key, key, NFT_IFNAME_LEN) == 0)
			return true;
	return false;
}

static bool has_prefix(const struct nft_prefix *v, size_t n, const struct nft_prefix *x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].prefix == x->prefix && memcmp(v[i].start->key, x->start->key, x->start->key_len) == 0)
			return true;
	return false;
}

/* The network of bridge in out[0..n), or a new one at out[n] (then *n grows). */
static struct nft_network *network_of(struct nft_network *out, size_t *n, const uint8_t bridge[NFT_IFNAME_LEN])
{
	for (size_t i = 0; i < *n; i++)
		if (strncmp(out[i].bridge, (const char *)bridge, NFT_IFNAME_LEN) == 0)
			return &out[i];
	memcpy(out[*n].bridge, bridge, NFT_IFNAME_LEN);
	out[*n].bridge[NFT_IFNAME_LEN - 1] = '\0';
	return &out[(*n)++];
}

/* One family's subnets (nets4 / nets6) and those of them that masquerade (masq4 / masq6). */
struct fam_subnets {
	struct nft_elem *nets, *masq;
	struct nft_prefix *subnets, *masq_subnets;
	size_t n_nets, n_masq, n_sub, n_msub;
};

static void fam_subnets_free(struct fam_subnets *s)
{
	free(s->nets);
	free(s->masq);
	free(s->subnets);
	free(s->masq_subnets);
}

static int fam_subnets_read(struct nft_ctx *ctx, const struct nft_family *f, struct fam_subnets *s, struct berr *e)
{
	int r = dump_or_empty(ctx, f->nets, &s->nets, &s->n_nets, e);

	if (r == 0)
		r = dump_or_empty(ctx, f->masq, &s->masq, &s->n_masq, e);
	if (r < 0)
		return r;
	r = nft_intervals_read(s->nets, s->n_nets, f->addr_len, &s->subnets, &s->n_sub, e);
	if (r < 0)
		return berr_wrap(e, r, "set %s", f->nets);
	r = nft_intervals_read(s->masq, s->n_masq, f->addr_len, &s->masq_subnets, &s->n_msub, e);
	if (r < 0)
		return berr_wrap(e, r, "set %s", f->masq);
	return 0;
}

int nft_networks_list(struct nft_ctx *ctx, struct nft_network **ret, size_t *ret_n, struct berr *e)
{
	struct fam_subnets fs[2] = {{NULL}};
	_cleanup_free_ struct nft_elem *internal = NULL;
	_cleanup_free_ struct nft_network *out = NULL;
	size_t n_internal, n = 0;
	int r;

	r = dump_or_empty(ctx, NFT_SET_INTERNAL, &internal, &n_internal, e);
	for (size_t f = 0; r == 0 && f < ARRAY_SIZE(fs); f++)
		r = fam_subnets_read(ctx, &nft_families[f], &fs[f], e);
	if (r == 0 && !(out = calloc(fs[0].n_sub + fs[1].n_sub + 1, sizeof(*out))))
		r = berr_oom(e);
	for (size_t f = 0; r == 0 && f < ARRAY_SIZE(fs); f++) {
		for (size_t i = 0; i < fs[f].n_sub; i++) {
			const struct nft_prefix *p = &fs[f].subnets[i];
			bool masq = has_prefix(fs[f].masq_subnets, fs[f].n_msub, p);
			struct nft_network *net;

			if (p->start->data_len != NFT_IFNAME_LEN) {
				r = berr_set(e, -EBADMSG, "set %s: subnet without a bridge", nft_families[f].nets);
				break;
			}
			net = network_of(out, &n, p->start->data);
			net->internal = has_ifname(internal, n_internal, p->start->data);
			if (f == NFT_IPV4) {
				net->subnet = (struct bcidr4){get_be32(p->start->key), p->prefix};
				net->masquerade = masq;
			} else {
				memcpy(net->subnet6.addr.s6_addr, p->start->key, 16);
				net->subnet6.prefix = p->prefix;
				net->masquerade6 = masq;
			}
		}
	}
	for (size_t f = 0; f < ARRAY_SIZE(fs); f++)
		fam_subnets_free(&fs[f]);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------------ the fabric's VXLAN filter */

/* One family's set of VXLAN sources: the wanted elements (sorted by key, distinct) of one key length. */
struct vxlan_set {
	const char *name;
	uint8_t key_len; /* 8: IPv4 . port, 20: IPv6 . port */
	struct nft_elem *want;
	size_t n_want;
	struct nft_elem *add, *del; /* the batch's */
	size_t n_add, n_del;
};

struct vxlan_args {
	uint16_t port;
	bool on;
	struct vxlan_set sets[2]; /* vxlan_peers4, vxlan_peers6 */
};

static int vxlan_key_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = a, *y = b;

	return memcmp(x->key, y->key, NFT_KEY_MAX);
}

static bool mine(const struct nft_ctx *ctx, const struct nft_elem *el)
{
	return strcmp(el->owner, ctx->owner) == 0;
}

/* What goes into and out of one set for the port: this owner's elements that are not wanted, the wanted missing. */
static int vxlan_set_diff(struct nft_batch *b, const struct vxlan_args *a, struct vxlan_set *vs, struct berr *e)
{
	_cleanup_free_ struct nft_elem *have = NULL;
	size_t n_have = 0, n_present = 0;
	struct nft_elem *present;
	int r;

	r = dump_or_empty(b->ctx, vs->name, &have, &n_have, e);
	if (r < 0)
		return r;
	vs->add = calloc(vs->n_want + 1, sizeof(*vs->add));
	if (!vs->add || nft_batch_own(b, vs->add) < 0)
		return berr_oom(e);
	vs->del = calloc(n_have + 1, sizeof(*vs->del));
	if (!vs->del || nft_batch_own(b, vs->del) < 0)
		return berr_oom(e);
	/* have, compacted to the port's elements with the rest of each key zeroed, as the wanted ones are */
	present = have;
	for (size_t i = 0; i < n_have; i++) {
		struct nft_elem el;

		if (have[i].key_len != vs->key_len || get_be16(have[i].key + vs->key_len - 4) != a->port)
			continue;
		memset(&el, 0, sizeof(el));
		memcpy(el.key, have[i].key, vs->key_len);
		el.key_len = vs->key_len;
		if (mine(b->ctx, &have[i]) &&
		    (!a->on || !bsearch(&el, vs->want, vs->n_want, sizeof(*vs->want), vxlan_key_cmp))) {
			vs->del[vs->n_del] = el;
			vs->del[vs->n_del].tag = vs->n_del;
			vs->n_del++;
		}
		present[n_present++] = el;
	}
	qsort(present, n_present, sizeof(*present), vxlan_key_cmp);
	for (size_t i = 0; a->on && i < vs->n_want; i++) {
		if (bsearch(&vs->want[i], present, n_present, sizeof(*present), vxlan_key_cmp))
			continue;
		vs->add[vs->n_add] = vs->want[i];
		vs->add[vs->n_add].tag = vs->n_add;
		vs->n_add++;
	}
	return 0;
}

static int build_vxlan_sync(struct nft_batch *b, const void *arg, struct berr *e)
{
	struct vxlan_args a = *(const struct vxlan_args *)arg;
	_cleanup_free_ struct nft_elem *ports = NULL;
	struct nft_elem port;
	size_t n_ports = 0;
	bool port_there = false, port_mine = false;
	int r;

	r = nft_batch_pin(b, e);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(a.sets); i++)
		r = vxlan_set_diff(b, &a, &a.sets[i], e);
	if (r == 0)
		r = dump_or_empty(b->ctx, NFT_SET_VXLAN_PORTS, &ports, &n_ports, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_ports; i++) {
		if (ports[i].key_len == 2 && get_be16(ports[i].key) == a.port) {
			port_there = true;
			port_mine = mine(b->ctx, &ports[i]);
		}
	}
	nft_vxlan_port_elem(a.port, &port);
	/* one atomic batch: the port is never filtered without its peers */
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(a.sets); i++)
		r = nft_batch_elems(b, NFT_ELEMS_ADD, a.sets[i].name, a.sets[i].add, a.sets[i].n_add, NULL, NULL, e);
	if (r == 0 && a.on && !port_there)
		r = nft_batch_elems(b, NFT_ELEMS_ADD, NFT_SET_VXLAN_PORTS, &port, 1, NULL, NULL, e);
	if (r == 0 && !a.on && port_there && port_mine)
		r = nft_batch_elems(b, NFT_ELEMS_DESTROY, NFT_SET_VXLAN_PORTS, &port, 1, NULL, NULL, e);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(a.sets); i++)
		r = nft_batch_elems(b, NFT_ELEMS_DESTROY, a.sets[i].name, a.sets[i].del, a.sets[i].n_del, NULL, NULL,
				    e);
	return r;
}

/* The wanted elements of one family, sorted and distinct (the unspecified address skipped). */
static int vxlan_want(struct vxlan_set *vs, uint16_t port, const uint32_t *peers, const struct in6_addr *peers6,
		      size_t n, struct berr *e)
{
	size_t k = 0;

	vs->want = calloc(n + 1, sizeof(*vs->want));
	if (!vs->want)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		if (peers6 ? baddr_zero6(&peers6[i]) : peers[i] == 0)
			continue;
		if (peers6)
			nft_vxlan_peer6_elem(&peers6[i], port, &vs->want[k++]);
		else
			nft_vxlan_peer_elem(peers[i], port, &vs->want[k++]);
	}
	qsort(vs->want, k, sizeof(*vs->want), vxlan_key_cmp);
	vs->n_want = 0;
	for (size_t i = 0; i < k; i++)
		if (vs->n_want == 0 || vxlan_key_cmp(&vs->want[vs->n_want - 1], &vs->want[i]) != 0)
			vs->want[vs->n_want++] = vs->want[i];
	return 0;
}

int nft_vxlan_sync(struct nft_ctx *ctx, uint16_t port, bool on, const uint32_t *peers, size_t n,
		   const struct in6_addr *peers6, size_t n6, struct berr *e)
{
	struct vxlan_args a = {
		.port = port,
		.on = on,
		.sets = {{.name = NFT_SET_VXLAN_PEERS4, .key_len = 8}, {.name = NFT_SET_VXLAN_PEERS6, .key_len = 20}},
	};
	int r;

	if (port == 0)
		return berr_set(e, -EINVAL, "VXLAN port 0");
	r = vxlan_want(&a.sets[0], port, peers, NULL, n, e);
	if (r == 0)
		r = vxlan_want(&a.sets[1], port, NULL, peers6, n6, e);
	if (r == 0)
		r = nft_transact(ctx, build_vxlan_sync, &a, NULL, e);
	free(a.sets[0].want);
	free(a.sets[1].want);
	if (r < 0)
		return berr_wrap(e, r, "the fabric's VXLAN sources (port %u)", port);
	return 0;
}

struct vxlan_peer_args {
	struct nft_elem el;
	const char *set;
	bool add;
};

static int build_vxlan_peer(struct nft_batch *b, const void *arg, struct berr *e)
{
	const struct vxlan_peer_args *a = arg;

	return nft_batch_elems(b, a->add ? NFT_ELEMS_ADD : NFT_ELEMS_DESTROY, a->set, &a->el, 1, NULL, NULL, e);
}

static int vxlan_peer(struct nft_ctx *ctx, struct vxlan_peer_args *a, const char *addr, uint16_t port, struct berr *e)
{
	int r = nft_transact(ctx, build_vxlan_peer, a, NULL, e);

	if (r < 0)
		return berr_wrap(e, r, "%s VXLAN source %s (port %u)", a->add ? "allow" : "forget", addr, port);
	return 0;
}

int nft_vxlan_peer(struct nft_ctx *ctx, uint16_t port, uint32_t peer, bool add, struct berr *e)
{
	struct vxlan_peer_args a = {.set = NFT_SET_VXLAN_PEERS4, .add = add};
	char buf[INET_ADDRSTRLEN];

	nft_vxlan_peer_elem(peer, port, &a.el);
	return vxlan_peer(ctx, &a, baddr_fmt4(peer, buf), port, e);
}

int nft_vxlan_peer6(struct nft_ctx *ctx, uint16_t port, const struct in6_addr *peer, bool add, struct berr *e)
{
	struct vxlan_peer_args a = {.set = NFT_SET_VXLAN_PEERS6, .add = add};
	char buf[INET6_ADDRSTRLEN];

	nft_vxlan_peer6_elem(peer, port, &a.el);
	return vxlan_peer(ctx, &a, baddr_fmt6(peer, buf), port, e);
}

static int in6_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

int nft_vxlan_peers6_list(struct nft_ctx *ctx, uint16_t port, struct in6_addr **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ struct nft_elem *have = NULL;
	_cleanup_free_ struct in6_addr *out = NULL;
	size_t n = 0, k = 0;
	int r;

	r = dump_or_empty(ctx, NFT_SET_VXLAN_PEERS6, &have, &n, e);
	if (r < 0)
		return r;
	out = calloc(n + 1, sizeof(*out));
	if (!out)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++)
		if (have[i].key_len == 20 && get_be16(have[i].key + 16) == port)
			memcpy(&out[k++], have[i].key, 16);
	qsort(out, k, sizeof(*out), in6_cmp);
	*ret = TAKE_PTR(out);
	*ret_n = k;
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int nft_vxlan_peers_list(struct nft_ctx *ctx, uint16_t port, uint32_t **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ struct nft_elem *have = NULL;
	_cleanup_free_ uint32_t *out = NULL;
	size_t n = 0, k = 0;
	int r;

	r = dump_or_empty(ctx, NFT_SET_VXLAN_PEERS4, &have, &n, e);
	if (r < 0)
		return r;
	out = calloc(n + 1, sizeof(*out));
	if (!out)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++)
		if (have[i].key_len == 8 && get_be16(have[i].key + 4) == port)
			out[k++] = get_be32(have[i].key);
	qsort(out, k, sizeof(*out), u32_cmp);
	*ret = TAKE_PTR(out);
	*ret_n = k;
	return 0;
}
