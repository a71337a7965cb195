/* What berth's tables hold: their sets and maps, chains, and each rule as libnftnl expressions. */
/*
 * As docs/nftables.md describes it. The rules never change once the table
 * exists (networks and published ports are elements, nft_elems.c); rules
 * that exist for both IPv4 and IPv6 are written once, over nft_families.
 * nft_layout.c puts all this into the kernel.
 */
#include <netinet/in.h>
#include <stdio.h> /* before libnftnl/expr.h, which needs FILE */

#include <errno.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>

#include "cleanup.h"
#include "netd/engine/nft_int.h"

/* nftables' datatype numbers (set key/data types, informational for the kernel, used by `nft list`). */
enum {
	DT_IPADDR = 7,
	DT_IP6ADDR = 8,
	DT_ETHERADDR = 9,
	DT_INET_PROTOCOL = 12,
	DT_INET_SERVICE = 13,
	DT_IFNAME = 41,
};
#define DT_CONCAT(a, b) (((a) << 6) | (b))
/* nftables' byte order marks in set userdata: 1 host, 2 network. */
enum { BO_NONE = 0, BO_HOST = 1, BO_BIG = 2 };

/*
 * A family's sets of addresses (dt: its datatype, len bytes): the subnets
 * that masquerade, every subnet mapped to its bridge, and the published
 * ports (proto . port, or address . proto . port -> address . port).
 */
/* clang-format off */
#define FAMILY_SETS(masq, nets, pub_any, pub_ip, dt, len)                                                      \
	{masq, NFT_SET_INTERVAL, dt, len, 0, 0, BO_BIG, BO_NONE},                                              \
	{nets, NFT_SET_INTERVAL | NFT_SET_MAP, dt, len, DT_IFNAME, NFT_IFNAME_LEN, BO_BIG, BO_HOST},           \
	{pub_any, NFT_SET_MAP, DT_CONCAT(DT_INET_PROTOCOL, DT_INET_SERVICE), 8,                                \
	 DT_CONCAT(dt, DT_INET_SERVICE), (len) + 4, BO_NONE, BO_NONE},                                         \
	{pub_ip, NFT_SET_MAP, DT_CONCAT(DT_CONCAT(dt, DT_INET_PROTOCOL), DT_INET_SERVICE), (len) + 8,          \
	 DT_CONCAT(dt, DT_INET_SERVICE), (len) + 4, BO_NONE, BO_NONE}
/* clang-format on */

static const struct nft_setdef inet_sets[] = {
	{NFT_SET_BRIDGES, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_SAME_BRIDGE, 0, DT_CONCAT(DT_IFNAME, DT_IFNAME), 2 * NFT_IFNAME_LEN, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_INTERNAL, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_MASQ_BR, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_MASQ6_BR, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	FAMILY_SETS(NFT_SET_MASQ4, NFT_SET_NETS4, NFT_MAP_PUB_ANY4, NFT_MAP_PUB_IP4, DT_IPADDR, 4),
	FAMILY_SETS(NFT_SET_MASQ6, NFT_SET_NETS6, NFT_MAP_PUB_ANY6, NFT_MAP_PUB_IP6, DT_IP6ADDR, 16),
	/* a range concatenated with a name: the kernel's pipapo backend, which needs the fields' lengths */
	{NFT_SET_FABRIC4, NFT_SET_INTERVAL | NFT_SET_CONCAT, DT_CONCAT(DT_IPADDR, DT_IFNAME), 4 + NFT_IFNAME_LEN, 0, 0,
	 BO_NONE, BO_NONE},
	{NFT_SET_FABRIC6, NFT_SET_INTERVAL | NFT_SET_CONCAT, DT_CONCAT(DT_IP6ADDR, DT_IFNAME), 16 + NFT_IFNAME_LEN, 0,
	 0, BO_NONE, BO_NONE},
	{NFT_SET_FABRIC6_NETS, NFT_SET_INTERVAL, DT_IP6ADDR, 16, 0, 0, BO_BIG, BO_NONE},
	{NFT_SET_VXLAN_PORTS, 0, DT_INET_SERVICE, 2, 0, 0, BO_BIG, BO_NONE},
	{NFT_SET_VXLAN_PEERS4, 0, DT_CONCAT(DT_IPADDR, DT_INET_SERVICE), 8, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_VXLAN_PEERS6, 0, DT_CONCAT(DT_IP6ADDR, DT_INET_SERVICE), 20, 0, 0, BO_NONE, BO_NONE},
};

/* Table bridge berth. Concatenated keys: each field padded to 4 bytes (ifname 16, address 4, MAC 6 + 2). */
static const struct nft_setdef bridge_sets[] = {
	{NFT_SET_EP_IFACES, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_EP_ADDRS4, 0, DT_CONCAT(DT_IFNAME, DT_IPADDR), NFT_IFNAME_LEN + 4, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_EP_ADDRS6, 0, DT_CONCAT(DT_IFNAME, DT_IP6ADDR), NFT_IFNAME_LEN + 16, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_EP_MACS, 0, DT_CONCAT(DT_IFNAME, DT_ETHERADDR), NFT_IFNAME_LEN + 8, 0, 0, BO_NONE, BO_NONE},
};

/* ------------------------------------------------------------------ expressions */

struct rb {
	struct nftnl_rule *r;
	bool oom;
};

static void put(struct rb *x, struct nftnl_expr *ex)
{
	if (!ex) {
		x->oom = true;
		return;
	}
	nftnl_rule_add_expr(x->r, ex);
}

static void meta_load(struct rb *x, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *ex = nftnl_expr_alloc("meta");

	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_META_DREG, dreg);
	}
	put(x, ex);
}

static void payload_load(struct rb *x, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *ex = nftnl_expr_alloc("payload");

	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	put(x, ex);
}

static void cmp(struct rb *x, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *ex = nftnl_expr_alloc("cmp");

	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(ex, NFTNL_EXPR_CMP_DATA, data, len);
	}
	put(x, ex);
}

/* Match when the key in NFT_REG_1 is (inv: is not) in set; with dreg >= 0 load the map's value there. */
static void lookup(struct rb *x, const char *set, int dreg, bool inv)
{
	struct nftnl_expr *ex = nftnl_expr_alloc("lookup");

	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(ex, NFTNL_EXPR_LOOKUP_SET, set);
		if (dreg >= 0)
			nftnl_expr_set_u32(ex, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
		if (inv)
			nftnl_expr_set_u32(ex, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	put(x, ex);
}

/* ct KEY & mask != 0 */
static void ct_any_bit(struct rb *x, uint32_t key, uint32_t mask)
{
	struct nftnl_expr *ct = nftnl_expr_alloc("ct");
	struct nftnl_expr *bw = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;

	if (ct) {
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	put(x, ct);
	if (bw) {
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	put(x, bw);
	cmp(x, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static void verdict(struct rb *x, int v)
{
	struct nftnl_expr *ex = nftnl_expr_alloc("immediate");

	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	}
	put(x, ex);
}

static void masquerade(struct rb *x)
{
	put(x, nftnl_expr_alloc("masq"));
}

/*
 * By topic: the header, the loopback, table bridge berth (the neighbour
 * announcement: ARP's sender address; the target of an ICMPv6 neighbour
 * advertisement, type 136), the sets.
 */
/* clang-format off */
const struct nft_family nft_families[2] = {
	{.nfproto = NFPROTO_IPV4, .addr_len = 4, .saddr_off = 12, .daddr_off = 16,
	 .lo = {127}, .lo_len = 1, .lo_dnat = true,
	 .ethertype = ETH_P_IP, .nd_ethertype = ETH_P_ARP, .nd_base = NFT_PAYLOAD_NETWORK_HEADER, .nd_off = 14,
	 .nets = NFT_SET_NETS4, .masq = NFT_SET_MASQ4, .masq_br = NFT_SET_MASQ_BR, .pub_any = NFT_MAP_PUB_ANY4,
	 .pub_ip = NFT_MAP_PUB_IP4, .ep_addrs = NFT_SET_EP_ADDRS4, .vxlan_peers = NFT_SET_VXLAN_PEERS4,
	 .fabric = NFT_SET_FABRIC4},
	{.nfproto = NFPROTO_IPV6, .addr_len = 16, .saddr_off = 8, .daddr_off = 24,
	 .lo = {[15] = 1}, .lo_len = 16, .lo_dnat = false,
	 .ethertype = ETH_P_IPV6, .nd_ethertype = ETH_P_IPV6, .nd_icmp6_type = 136,
	 .nd_base = NFT_PAYLOAD_TRANSPORT_HEADER, .nd_off = 8,
	 .nets = NFT_SET_NETS6, .masq = NFT_SET_MASQ6, .masq_br = NFT_SET_MASQ6_BR, .pub_any = NFT_MAP_PUB_ANY6,
	 .pub_ip = NFT_MAP_PUB_IP6, .ep_addrs = NFT_SET_EP_ADDRS6, .vxlan_peers = NFT_SET_VXLAN_PEERS6,
	 .fabric = NFT_SET_FABRIC6, .fabric_nets = NFT_SET_FABRIC6_NETS},
};
/* clang-format on */
#define V4 (&nft_families[NFT_IPV4])
#define V6 (&nft_families[NFT_IPV6])

/* meta nfproto ipv4 / ipv6: the table is inet, each address-matching rule is for one family */
static void match_family(struct rb *x, const struct nft_family *f)
{
	meta_load(x, NFT_META_NFPROTO, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &f->nfproto, sizeof(f->nfproto));
}

/* fib daddr type local */
static void match_daddr_local(struct rb *x)
{
	struct nftnl_expr *ex = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	}
	put(x, ex);
	cmp(x, NFT_CMP_EQ, &local, sizeof(local));
}

static void match_iface_in(struct rb *x, uint32_t meta_key, const char *set, bool inv)
{
	meta_load(x, meta_key, NFT_REG_1);
	lookup(x, set, -1, inv);
}

/* The address at off in the network header (saddr_off, daddr_off) is in set. */
static void match_addr_in(struct rb *x, const struct nft_family *f, uint32_t off, const char *set)
{
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, off, f->addr_len, NFT_REG_1);
	lookup(x, set, -1, false);
}

/* The address at off in the network header is a loopback address (127.0.0.0/8, ::1). */
static void match_lo(struct rb *x, const struct nft_family *f, uint32_t off)
{
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, off, f->lo_len, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, f->lo, f->lo_len);
}

/*
 * dnat ip (ip6) to <key> map @map: the map yields address . port into
 * NFT_REG_1 (the address: one 32-bit register, four for IPv6) and the
 * 32-bit register after it (port). Keys are built field by field into
 * consecutive 32-bit registers, as nft does for concatenations.
 */
static void dnat_via(struct rb *x, const struct nft_family *f, const char *map, bool with_daddr)
{
	struct nftnl_expr *nat;
	uint32_t r = NFT_REG32_00;

	match_family(x, f);
	match_daddr_local(x);
	if (with_daddr) {
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->addr_len, r);
		r += f->addr_len / 4u;
	}
	meta_load(x, NFT_META_L4PROTO, r++);
	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, r++);
	lookup(x, map, NFT_REG_1, false);
	nat = nftnl_expr_alloc("nat");
	if (nat) {
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FAMILY, f->nfproto);
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_00 + f->addr_len / 4u);
	}
	put(x, nat);
}

/*
 * A host-gw fabric network's traffic: an address of its whole subnet
 * (source or destination, at off in the network header) and its bridge
 * here (the interface of meta key), in fabric4 (fabric6: the address's
 * four registers, then the name).
 */
static void match_fabric(struct rb *x, const struct nft_family *f, uint32_t off, uint32_t meta_key)
{
	match_family(x, f);
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, off, f->addr_len, NFT_REG32_00);
	meta_load(x, meta_key, NFT_REG32_00 + f->addr_len / 4u);
	lookup(x, f->fabric, -1, false);
}

/* ------------------------------------------------------------------ rules */

/*
 * Each rule is one function, given the family it is for (rules that match
 * no address are given NULL); a chain lists its rules in order.
 */
struct nft_ruledef {
	void (*build)(struct rb *x, const struct nft_family *f);
	const struct nft_family *f;
};

/*
 * The fabric's VXLAN: UDP to one of its ports from an address that is not
 * a known host's underlay is dropped before the VXLAN socket sees it:
 * vxlan_peers4 for an IPv4 underlay, vxlan_peers6 (the source's 16 bytes,
 * then the port) for an IPv6 one.
 */
static void rule_vxlan_peers(struct rb *x, const struct nft_family *f)
{
	uint8_t udp = IPPROTO_UDP;

	match_family(x, f);
	meta_load(x, NFT_META_L4PROTO, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &udp, sizeof(udp));
	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	lookup(x, NFT_SET_VXLAN_PORTS, -1, false);
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off, f->addr_len, NFT_REG32_00);
	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_00 + f->addr_len / 4u);
	lookup(x, f->vxlan_peers, -1, true);
	verdict(x, NF_DROP);
}

/*
 * prerouting / output: published ports. pub_ip4 (one local address) is
 * consulted before pub_any4 (every local address). "Every local address"
 * holds one loopback address, 127.0.0.1: the rest of 127.0.0.0/8 is where
 * the host's own services listen (127.0.0.53, systemd-resolved's stub), and a
 * container publishing port 53 must not capture the host's DNS queries.
 * IPv6 has the same rules, where [::1] is never DNATed: the kernel cannot
 * route a connection from ::1 out of a bridge (IPv6 has no route_localnet;
 * the reply to ::1 is dropped as a martian on the way back), so netd
 * answers there with a proxy (docs/nftables.md).
 */
static void rule_dnat_ip(struct rb *x, const struct nft_family *f)
{
	dnat_via(x, f, f->pub_ip, true);
}

static void rule_dnat_any(struct rb *x, const struct nft_family *f)
{
	dnat_via(x, f, f->pub_any, false);
}

static void rule_dnat_lo(struct rb *x, const struct nft_family *f)
{
	uint32_t localhost = htonl(INADDR_LOOPBACK);

	match_family(x, f);
	match_lo(x, f, f->daddr_off);
	if (f->lo_dnat) {
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->addr_len, NFT_REG_1);
		cmp(x, NFT_CMP_NEQ, &localhost, sizeof(localhost));
	}
	verdict(x, NFT_RETURN);
}

/*
 * prerouting: a query from a berth bridge to that bridge's own address
 * (its gateway, either family) on port 53 is for netd's DNS, never for a
 * port published on every address (`-p 53:53/udp`), which would otherwise
 * take the neighbours' queries. `fib daddr . iif type local`: an address
 * of the interface the packet came in on; a hash lookup and a fib lookup
 * whatever the number of networks. Then the DNAT rules.
 */
static void rule_dns_gateway(struct rb *x, const struct nft_family *f)
{
	struct nftnl_expr *ex;
	uint16_t dns = htons(53);
	uint32_t local = RTN_LOCAL;

	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &dns, sizeof(dns));
	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_BRIDGES, false);
	ex = nftnl_expr_alloc("fib");
	if (ex) {
		nftnl_expr_set_u32(ex, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR | NFTA_FIB_F_IIF);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(ex, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	}
	put(x, ex);
	cmp(x, NFT_CMP_EQ, &local, sizeof(local));
	verdict(x, NFT_RETURN);
}

/* postrouting: 127.0.0.1:PORT from the host (route_localnet on the bridge): the container must answer a real address */
static void rule_masq_lo(struct rb *x, const struct nft_family *f)
{
	ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
	match_family(x, f);
	match_lo(x, f, f->saddr_off);
	masquerade(x);
}

/*
 * Hairpin and published ports reached from another network: without this
 * the answer would go straight back container to container and miss the
 * reverse NAT. Every subnet, masquerading or not.
 */
static void rule_masq_dnat(struct rb *x, const struct nft_family *f)
{
	ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
	match_family(x, f);
	match_addr_in(x, f, f->saddr_off, f->nets);
	match_addr_in(x, f, f->daddr_off, f->nets);
	masquerade(x);
}

/*
 * From a host-gw fabric network's bridge to the rest of its subnet (its
 * blocks on other hosts, through the underlay, which is no bridge): the
 * source stays.
 */
static void rule_fabric_keep_source(struct rb *x, const struct nft_family *f)
{
	match_fabric(x, f, f->daddr_off, NFT_META_IIFNAME);
	verdict(x, NFT_RETURN);
}

/* Outbound: leaving other than through a berth bridge. */
static void rule_masq_out(struct rb *x, const struct nft_family *f)
{
	match_family(x, f);
	match_addr_in(x, f, f->saddr_off, f->masq);
	match_iface_in(x, NFT_META_OIFNAME, NFT_SET_BRIDGES, true);
	masquerade(x);
}

/* forward: within one bridge (routed hairpin, or bridged with br_netfilter). */
static void rule_same_bridge(struct rb *x, const struct nft_family *f)
{
	meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
	meta_load(x, NFT_META_OIFNAME, NFT_REG_2);
	lookup(x, NFT_SET_SAME_BRIDGE, -1, false);
	verdict(x, NF_ACCEPT);
}

/* Internal networks: nothing in or out but their own bridge; before any accept. */
static void rule_internal_in(struct rb *x, const struct nft_family *f)
{
	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_INTERNAL, false);
	verdict(x, NF_DROP);
}

static void rule_internal_out(struct rb *x, const struct nft_family *f)
{
	match_iface_in(x, NFT_META_OIFNAME, NFT_SET_INTERNAL, false);
	verdict(x, NF_DROP);
}

static void rule_established(struct rb *x, const struct nft_family *f)
{
	ct_any_bit(x, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
	verdict(x, NF_ACCEPT);
}

/* Published ports, also from another network. */
static void rule_dnat_accept(struct rb *x, const struct nft_family *f)
{
	ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
	verdict(x, NF_ACCEPT);
}

/* Isolation: no direct traffic between two berth bridges. */
static void rule_isolation(struct rb *x, const struct nft_family *f)
{
	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_BRIDGES, false);
	match_iface_in(x, NFT_META_OIFNAME, NFT_SET_BRIDGES, false);
	verdict(x, NF_DROP);
}

/* A host-gw fabric network's own traffic from its blocks on other hosts (in through the underlay). */
static void rule_fabric_accept(struct rb *x, const struct nft_family *f)
{
	match_fabric(x, f, f->saddr_off, NFT_META_OIFNAME);
	verdict(x, NF_ACCEPT);
}

/*
 * Another berth network's traffic toward a host-gw fabric network's
 * subnet6 (not its own: daddr . iifname not in fabric6) is dropped where
 * it would leave. IPv4 masquerades it to the underlay's address, which the
 * other hosts drop as no source of the network; IPv6 masquerade picks the
 * address that matches the destination best, and over an IPv4 underlay
 * (nothing but fe80:: there) that is this host's gateway on the network's
 * own bridge: a source fabric6 would let in.
 */
static void rule_fabric_foreign(struct rb *x, const struct nft_family *f)
{
	match_family(x, f);
	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_BRIDGES, false);
	match_addr_in(x, f, f->daddr_off, f->fabric_nets);
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->addr_len, NFT_REG32_00);
	meta_load(x, NFT_META_IIFNAME, NFT_REG32_00 + f->addr_len / 4u);
	lookup(x, f->fabric, -1, true);
	verdict(x, NF_DROP);
}

/*
 * A masquerading network is reached from outside through its published
 * ports only (accepted above as DNAT): a neighbour that routes the subnet
 * through the host gets no unpublished port. Per family: a network may
 * masquerade IPv4 and route IPv6.
 */
static void rule_masq_closed(struct rb *x, const struct nft_family *f)
{
	match_family(x, f);
	match_iface_in(x, NFT_META_OIFNAME, f->masq_br, false);
	verdict(x, NF_DROP);
}

/*
 * Before conntrack and NAT, on the addresses as they came off the wire:
 * nothing from outside the host may be addressed to its loopback. The
 * bridges need route_localnet (127.0.0.1:PORT from the host reaches
 * published ports), which would otherwise let a container, or a neighbour
 * whose packets a DNAT sends on, reach services bound to 127.0.0.1
 * (CVE-2020-8558, moby#45610). The kernel drops those to ::1 itself
 * (ip6_rcv_core); the rule says so here too.
 */
static void rule_raw_lo(struct rb *x, const struct nft_family *f)
{
	char lo[NFT_IFNAME_LEN] = "lo";

	meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
	cmp(x, NFT_CMP_NEQ, lo, sizeof(lo));
	match_family(x, f);
	match_lo(x, f, f->daddr_off);
	verdict(x, NF_DROP);
}

/*
 * Table bridge berth, prerouting: a frame that comes out of an endpoint's
 * veth carries that endpoint's MAC and, when it is IPv4 or ARP, its
 * address, and when it is IPv6 its IPv6 address (source, and the target of
 * a neighbour advertisement, the ARP reply's mirror); else it is dropped
 * before the bridge forwards it or the host sees it. An endpoint has no
 * link-local address (docs/performance.md), so the unspecified source of
 * its MLD reports is not its own either: they stop here instead of being
 * flooded to every port. Veths of no endpoint (an adopted bridge's other
 * ports) pass.
 */
static void rule_ep_mac(struct rb *x, const struct nft_family *f)
{
	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_EP_IFACES, false);
	meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
	payload_load(x, NFT_PAYLOAD_LL_HEADER, 6, 6, NFT_REG_2);
	lookup(x, NFT_SET_EP_MACS, -1, true);
	verdict(x, NF_DROP);
}

/* A frame of ethertype (and ICMPv6 type, unless 0) whose address at base + off is not the endpoint's. */
static void ep_addr_drop(struct rb *x, const struct nft_family *f, uint16_t ethertype, uint8_t icmp6_type,
			 uint32_t base, uint32_t off)
{
	uint16_t type = htons(ethertype);
	uint8_t icmp6 = IPPROTO_ICMPV6;

	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_EP_IFACES, false);
	payload_load(x, NFT_PAYLOAD_LL_HEADER, 12, 2, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &type, sizeof(type));
	if (icmp6_type) {
		meta_load(x, NFT_META_L4PROTO, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &icmp6, sizeof(icmp6));
		payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &icmp6_type, sizeof(icmp6_type));
	}
	meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
	payload_load(x, base, off, f->addr_len, NFT_REG_2);
	lookup(x, f->ep_addrs, -1, true);
	verdict(x, NF_DROP);
}

static void rule_ep_saddr(struct rb *x, const struct nft_family *f)
{
	ep_addr_drop(x, f, f->ethertype, 0, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off);
}

static void rule_ep_nd(struct rb *x, const struct nft_family *f)
{
	ep_addr_drop(x, f, f->nd_ethertype, f->nd_icmp6_type, f->nd_base, f->nd_off);
}

/* ------------------------------------------------------------------ chains */

static const struct nft_ruledef raw_prerouting_rules[] = {{rule_raw_lo, V4}, {rule_raw_lo, V6}};
/* output: the same without the first (DNS) rule */
static const struct nft_ruledef prerouting_rules[] = {
	{rule_dns_gateway, NULL}, {rule_dnat_ip, V4}, {rule_dnat_lo, V4},  {rule_dnat_any, V4},
	{rule_dnat_lo, V6},	  {rule_dnat_ip, V6}, {rule_dnat_any, V6},
};
static const struct nft_ruledef postrouting_rules[] = {
	{rule_masq_lo, V4},   {rule_masq_dnat, V4},	     {rule_fabric_keep_source, V4}, {rule_masq_out, V4},
	{rule_masq_dnat, V6}, {rule_fabric_keep_source, V6}, {rule_masq_out, V6},
};
static const struct nft_ruledef forward_rules[] = {
	{rule_same_bridge, NULL},  {rule_internal_in, NULL}, {rule_internal_out, NULL}, {rule_established, NULL},
	{rule_dnat_accept, NULL},  {rule_isolation, NULL},   {rule_fabric_accept, V4},	{rule_fabric_accept, V6},
	{rule_fabric_foreign, V6}, {rule_masq_closed, V4},   {rule_masq_closed, V6},
};
static const struct nft_ruledef input_rules[] = {{rule_vxlan_peers, V4}, {rule_vxlan_peers, V6}};
static const struct nft_ruledef antispoof_rules[] = {
	{rule_ep_mac, NULL}, {rule_ep_saddr, V4}, {rule_ep_nd, V4}, {rule_ep_saddr, V6}, {rule_ep_nd, V6},
};

/* The rules of list v from its k-th on. */
#define RULES_FROM(v, k) (v) + (k), ARRAY_SIZE(v) - (k)
#define RULES(v) RULES_FROM(v, 0)

static const struct nft_chaindef bridge_chains[] = {
	{"prerouting", "filter", NF_BR_PRE_ROUTING, NF_BR_PRI_NAT_DST_BRIDGED, RULES(antispoof_rules), {3}},
};

static const struct nft_chaindef inet_chains[] = {
	/*
	 * previous layouts, IPv4 only: before the hardening rules, with them,
	 * and with the fabric's
	 */
	{"raw_prerouting", "filter", NF_INET_PRE_ROUTING, NF_IP_PRI_RAW, RULES(raw_prerouting_rules), {1}},
	/* prerouting also 6: with IPv6, before netd's DNS got its port 53 back from published ports */
	{"prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST, RULES(prerouting_rules), {2, 3, 6}},
	{"output", "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST, RULES_FROM(prerouting_rules, 1), {2, 3}},
	/* postrouting 6, forward 9: before host-gw's IPv6 (fabric6, fabric6_nets) */
	{"postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC, RULES(postrouting_rules), {3, 4, 6}},
	{"forward", "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER, RULES(forward_rules), {6, 7, 8, 9}},
	/* input 1: the fabric's VXLAN sources over an IPv4 underlay only */
	{"input", "filter", NF_INET_LOCAL_IN, NF_IP_PRI_FILTER, RULES(input_rules), {1}},
};

const struct nft_tabledef nft_tables[NFT_N_TABLES] = {
	{NFPROTO_INET, "inet", inet_sets, ARRAY_SIZE(inet_sets), inet_chains, ARRAY_SIZE(inet_chains)},
	{NFPROTO_BRIDGE, "bridge", bridge_sets, ARRAY_SIZE(bridge_sets), bridge_chains, ARRAY_SIZE(bridge_chains)},
};

int nft_rule_build(struct nftnl_rule *r, const struct nft_chaindef *d, unsigned i)
{
	struct rb x = {.r = r};

	d->rules[i].build(&x, d->rules[i].f);
	return x.oom ? -ENOMEM : 0;
}
