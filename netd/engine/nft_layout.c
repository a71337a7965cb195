/* The layout of table inet berth: sets, maps, chains and rules; ensure, rebuild, delete. */
/*
 * As docs/nftables.md describes it: the four base chains and their rules are
 * built as libnftnl expressions. The rules never change once the table exists;
 * networks and published ports are elements (nft_elems.c).
 */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "netd/engine/nft_int.h"

BERTH_DEFINE_PTR_CLEANUP(nftnl_table_freep, struct nftnl_table, nftnl_table_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_chain_freep, struct nftnl_chain, nftnl_chain_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_set_freep, struct nftnl_set, nftnl_set_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_rule_freep, struct nftnl_rule, nftnl_rule_free)

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

struct setdef {
	const char *name;
	uint32_t flags;
	uint32_t key_type, key_len;
	uint32_t data_type, data_len; /* maps only */
	uint32_t key_bo, data_bo;
};

/* Sets of NFT_SET_CONCAT: each field's length in bytes (the kernel's pipapo backend needs them). */
static const struct {
	const char *set;
	uint8_t fields[4];
} concat_fields[] = {
	{NFT_SET_FABRIC4, {4, NFT_IFNAME_LEN}},
};

static const struct setdef setdefs[] = {
	{NFT_SET_BRIDGES, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_SAME_BRIDGE, 0, DT_CONCAT(DT_IFNAME, DT_IFNAME), 2 * NFT_IFNAME_LEN, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_INTERNAL, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_MASQ_BR, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_MASQ6_BR, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_MASQ4, NFT_SET_INTERVAL, DT_IPADDR, 4, 0, 0, BO_BIG, BO_NONE},
	{NFT_SET_NETS4, NFT_SET_INTERVAL | NFT_SET_MAP, DT_IPADDR, 4, DT_IFNAME, NFT_IFNAME_LEN, BO_BIG, BO_HOST},
	{NFT_MAP_PUB_ANY4, NFT_SET_MAP, DT_CONCAT(DT_INET_PROTOCOL, DT_INET_SERVICE), 8,
	 DT_CONCAT(DT_IPADDR, DT_INET_SERVICE), 8, BO_NONE, BO_NONE},
	{NFT_MAP_PUB_IP4, NFT_SET_MAP, DT_CONCAT(DT_CONCAT(DT_IPADDR, DT_INET_PROTOCOL), DT_INET_SERVICE), 12,
	 DT_CONCAT(DT_IPADDR, DT_INET_SERVICE), 8, BO_NONE, BO_NONE},
	{NFT_SET_MASQ6, NFT_SET_INTERVAL, DT_IP6ADDR, 16, 0, 0, BO_BIG, BO_NONE},
	{NFT_SET_NETS6, NFT_SET_INTERVAL | NFT_SET_MAP, DT_IP6ADDR, 16, DT_IFNAME, NFT_IFNAME_LEN, BO_BIG, BO_HOST},
	{NFT_MAP_PUB_ANY6, NFT_SET_MAP, DT_CONCAT(DT_INET_PROTOCOL, DT_INET_SERVICE), 8,
	 DT_CONCAT(DT_IP6ADDR, DT_INET_SERVICE), 20, BO_NONE, BO_NONE},
	{NFT_MAP_PUB_IP6, NFT_SET_MAP, DT_CONCAT(DT_CONCAT(DT_IP6ADDR, DT_INET_PROTOCOL), DT_INET_SERVICE), 24,
	 DT_CONCAT(DT_IP6ADDR, DT_INET_SERVICE), 20, BO_NONE, BO_NONE},
	/* a range concatenated with a name: the kernel's pipapo backend, which needs the fields' lengths */
	{NFT_SET_FABRIC4, NFT_SET_INTERVAL | NFT_SET_CONCAT, DT_CONCAT(DT_IPADDR, DT_IFNAME), 4 + NFT_IFNAME_LEN, 0, 0,
	 BO_NONE, BO_NONE},
	{NFT_SET_VXLAN_PORTS, 0, DT_INET_SERVICE, 2, 0, 0, BO_BIG, BO_NONE},
	{NFT_SET_VXLAN_PEERS4, 0, DT_CONCAT(DT_IPADDR, DT_INET_SERVICE), 8, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_VXLAN_PEERS6, 0, DT_CONCAT(DT_IP6ADDR, DT_INET_SERVICE), 20, 0, 0, BO_NONE, BO_NONE},
};

/* Table bridge berth. Concatenated keys: each field padded to 4 bytes (ifname 16, address 4, MAC 6 + 2). */
static const struct setdef bridge_setdefs[] = {
	{NFT_SET_EP_IFACES, 0, DT_IFNAME, NFT_IFNAME_LEN, 0, 0, BO_HOST, BO_NONE},
	{NFT_SET_EP_ADDRS4, 0, DT_CONCAT(DT_IFNAME, DT_IPADDR), NFT_IFNAME_LEN + 4, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_EP_ADDRS6, 0, DT_CONCAT(DT_IFNAME, DT_IP6ADDR), NFT_IFNAME_LEN + 16, 0, 0, BO_NONE, BO_NONE},
	{NFT_SET_EP_MACS, 0, DT_CONCAT(DT_IFNAME, DT_ETHERADDR), NFT_IFNAME_LEN + 8, 0, 0, BO_NONE, BO_NONE},
};

/* ------------------------------------------------------------------ rule building */

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

/* meta nfproto ipv4 / ipv6: the table is inet, each address-matching rule is for one family */
static void match_family(struct rb *x, bool v6)
{
	uint8_t v = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	meta_load(x, NFT_META_NFPROTO, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &v, sizeof(v));
}

static void match_ipv4(struct rb *x)
{
	match_family(x, false);
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

/* The address fields of the network header: IPv4 saddr 12, daddr 16 (4 bytes); IPv6 saddr 8, daddr 24 (16). */
#define SADDR_OFF(v6) ((v6) ? 8u : 12u)
#define DADDR_OFF(v6) ((v6) ? 24u : 16u)
#define ADDR_LEN(v6) ((v6) ? 16u : 4u)

static void match_saddr_in(struct rb *x, const char *set, bool v6)
{
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, SADDR_OFF(v6), ADDR_LEN(v6), NFT_REG_1);
	lookup(x, set, -1, false);
}

static void match_daddr_in(struct rb *x, const char *set, bool v6)
{
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, DADDR_OFF(v6), ADDR_LEN(v6), NFT_REG_1);
	lookup(x, set, -1, false);
}

/*
 * dnat ip (ip6) to <key> map @map: the map yields address . port into
 * NFT_REG_1 (the address: one 32-bit register, four for IPv6) and the
 * 32-bit register after it (port). Keys are built field by field into
 * consecutive 32-bit registers, as nft does for concatenations.
 */
static void dnat_via(struct rb *x, const char *map, bool with_daddr, bool v6)
{
	struct nftnl_expr *nat;
	uint32_t r = NFT_REG32_00;

	if (with_daddr) {
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, DADDR_OFF(v6), ADDR_LEN(v6), r);
		r += ADDR_LEN(v6) / 4;
	}
	meta_load(x, NFT_META_L4PROTO, r++);
	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, r++);
	lookup(x, map, NFT_REG_1, false);
	nat = nftnl_expr_alloc("nat");
	if (nat) {
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_FAMILY, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(nat, NFTNL_EXPR_NAT_REG_PROTO_MIN, v6 ? NFT_REG32_04 : NFT_REG32_01);
	}
	put(x, nat);
}

/*
 * A host-gw fabric network's traffic: an address of its whole subnet
 * (source or destination, at off in the network header) and its bridge
 * here (the interface of meta key), in fabric4.
 */
static void match_fabric(struct rb *x, uint32_t off, uint32_t meta_key)
{
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, off, 4, NFT_REG32_00);
	meta_load(x, meta_key, NFT_REG32_01);
	lookup(x, NFT_SET_FABRIC4, -1, false);
}

/*
 * The fabric's VXLAN: UDP to one of its ports from an address that is not
 * a known host's underlay is dropped before the VXLAN socket sees it.
 * Rule 0 for an IPv4 underlay (vxlan_peers4), rule 1 for an IPv6 one
 * (vxlan_peers6: the source's 16 bytes, then the port).
 */
static void rule_input(struct rb *x, unsigned i)
{
	uint8_t udp = IPPROTO_UDP;
	bool v6 = i == 1;

	match_family(x, v6);
	meta_load(x, NFT_META_L4PROTO, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &udp, sizeof(udp));
	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	lookup(x, NFT_SET_VXLAN_PORTS, -1, false);
	payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, SADDR_OFF(v6), ADDR_LEN(v6), NFT_REG32_00);
	payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, v6 ? NFT_REG32_04 : NFT_REG32_01);
	lookup(x, v6 ? NFT_SET_VXLAN_PEERS6 : NFT_SET_VXLAN_PEERS4, -1, true);
	verdict(x, NF_DROP);
}

/* ------------------------------------------------------------------ chains */

struct chaindef {
	const char *name;
	const char *type;
	uint32_t hook;
	int32_t prio;
	unsigned n_rules;
	void (*rule)(struct rb *x, unsigned i); /* builds rule i */
	unsigned old_n_rules[3];		/* rules of the chain in berth's previous layouts (0: no more) */
};

/*
 * prerouting / output: published ports. pub_ip4 (one local address) is
 * consulted before pub_any4 (every local address). "Every local address"
 * holds one loopback address, 127.0.0.1: the rest of 127.0.0.0/8 is where
 * the host's own services listen (127.0.0.53, systemd-resolved's stub), and a
 * container publishing port 53 must not capture the host's DNS queries.
 * Rules 3 to 5 are the same for IPv6, where [::1] is never DNATed: the
 * kernel cannot route a connection from ::1 out of a bridge (IPv6 has no
 * route_localnet; the reply to ::1 is dropped as a martian on the way back),
 * so netd answers there with a proxy (docs/nftables.md).
 */
static void rule_dnat(struct rb *x, unsigned i)
{
	uint8_t loopback = 127;
	uint32_t localhost = htonl(INADDR_LOOPBACK);
	struct in6_addr localhost6 = IN6ADDR_LOOPBACK_INIT;
	bool v6 = i >= 3;

	match_family(x, v6);
	if (i == 1) {
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &loopback, sizeof(loopback));
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
		cmp(x, NFT_CMP_NEQ, &localhost, sizeof(localhost));
		verdict(x, NFT_RETURN);
		return;
	}
	if (i == 3) {
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, DADDR_OFF(true), 16, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &localhost6, sizeof(localhost6));
		verdict(x, NFT_RETURN);
		return;
	}
	match_daddr_local(x);
	if (i == 0 || i == 4)
		dnat_via(x, v6 ? NFT_MAP_PUB_IP6 : NFT_MAP_PUB_IP4, true, v6);
	else
		dnat_via(x, v6 ? NFT_MAP_PUB_ANY6 : NFT_MAP_PUB_ANY4, false, v6);
}

/*
 * prerouting: a query from a berth bridge to that bridge's own address
 * (its gateway, either family) on port 53 is for netd's DNS, never for a
 * port published on every address (`-p 53:53/udp`), which would otherwise
 * take the neighbours' queries. `fib daddr . iif type local`: an address
 * of the interface the packet came in on; a hash lookup and a fib lookup
 * whatever the number of networks. Then the rules of rule_dnat.
 */
static void rule_prerouting(struct rb *x, unsigned i)
{
	struct nftnl_expr *ex;
	uint16_t dns = htons(53);
	uint32_t local = RTN_LOCAL;

	if (i > 0) {
		rule_dnat(x, i - 1);
		return;
	}
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

static void rule_postrouting(struct rb *x, unsigned i)
{
	uint8_t loopback = 127;

	switch (i) {
	case 0:
		/* 127.0.0.1:PORT from the host (route_localnet on the bridge): the container must answer a real address
		 */
		ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
		match_ipv4(x);
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, 12, 1, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &loopback, sizeof(loopback));
		break;
	case 1:
		/*
		 * Hairpin and published ports reached from another network: without
		 * this the answer would go straight back container to container
		 * and miss the reverse NAT. Every subnet, masquerading or not.
		 */
		ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
		match_ipv4(x);
		match_saddr_in(x, NFT_SET_NETS4, false);
		match_daddr_in(x, NFT_SET_NETS4, false);
		break;
	case 2:
		/*
		 * From a host-gw fabric network's bridge to the rest of its subnet
		 * (its blocks on other hosts, through the underlay, which is no
		 * bridge): the source stays.
		 */
		match_ipv4(x);
		match_fabric(x, 16, NFT_META_IIFNAME);
		verdict(x, NFT_RETURN);
		return;
	case 3:
		/* Outbound: leaving other than through a berth bridge. */
		match_ipv4(x);
		match_saddr_in(x, NFT_SET_MASQ4, false);
		match_iface_in(x, NFT_META_OIFNAME, NFT_SET_BRIDGES, true);
		break;
	case 4:
		/* IPv6: hairpin and published ports reached from another network (as rule 1) */
		ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
		match_family(x, true);
		match_saddr_in(x, NFT_SET_NETS6, true);
		match_daddr_in(x, NFT_SET_NETS6, true);
		break;
	default:
		/* IPv6 outbound (as rule 3); fabric networks are IPv4 only */
		match_family(x, true);
		match_saddr_in(x, NFT_SET_MASQ6, true);
		match_iface_in(x, NFT_META_OIFNAME, NFT_SET_BRIDGES, true);
		break;
	}
	masquerade(x);
}

static void rule_forward(struct rb *x, unsigned i)
{
	switch (i) {
	case 0:
		/* Within one bridge (routed hairpin, or bridged with br_netfilter). */
		meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
		meta_load(x, NFT_META_OIFNAME, NFT_REG_2);
		lookup(x, NFT_SET_SAME_BRIDGE, -1, false);
		verdict(x, NF_ACCEPT);
		break;
	case 1:
		/* Internal networks: nothing in or out but their own bridge; before any accept. */
		match_iface_in(x, NFT_META_IIFNAME, NFT_SET_INTERNAL, false);
		verdict(x, NF_DROP);
		break;
	case 2:
		match_iface_in(x, NFT_META_OIFNAME, NFT_SET_INTERNAL, false);
		verdict(x, NF_DROP);
		break;
	case 3:
		ct_any_bit(x, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
		verdict(x, NF_ACCEPT);
		break;
	case 4:
		/* Published ports, also from another network. */
		ct_any_bit(x, NFT_CT_STATUS, IPS_DST_NAT);
		verdict(x, NF_ACCEPT);
		break;
	case 5:
		/* Isolation: no direct traffic between two berth bridges. */
		match_iface_in(x, NFT_META_IIFNAME, NFT_SET_BRIDGES, false);
		match_iface_in(x, NFT_META_OIFNAME, NFT_SET_BRIDGES, false);
		verdict(x, NF_DROP);
		break;
	case 6:
		/* A host-gw fabric network's own traffic from its blocks on other hosts (in through the underlay). */
		match_ipv4(x);
		match_fabric(x, 12, NFT_META_OIFNAME);
		verdict(x, NF_ACCEPT);
		break;
	default:
		/*
		 * A masquerading network is reached from outside through its
		 * published ports only (accepted above as DNAT): a neighbour that
		 * routes the subnet through the host gets no unpublished port.
		 * Per family: a network may masquerade IPv4 and route IPv6.
		 */
		match_family(x, i == 8);
		match_iface_in(x, NFT_META_OIFNAME, i == 8 ? NFT_SET_MASQ6_BR : NFT_SET_MASQ_BR, false);
		verdict(x, NF_DROP);
		break;
	}
}

/*
 * Before conntrack and NAT, on the addresses as they came off the wire:
 * nothing from outside the host may be addressed to its loopback. The
 * bridges need route_localnet (127.0.0.1:PORT from the host reaches
 * published ports), which would otherwise let a container, or a neighbour
 * whose packets a DNAT sends on, reach services bound to 127.0.0.1
 * (CVE-2020-8558, moby#45610).
 */
static void rule_raw_prerouting(struct rb *x, unsigned i)
{
	uint8_t loopback = 127;
	struct in6_addr localhost6 = IN6ADDR_LOOPBACK_INIT;
	char lo[NFT_IFNAME_LEN] = "lo";

	meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
	cmp(x, NFT_CMP_NEQ, lo, sizeof(lo));
	match_family(x, i == 1);
	if (i == 0) {
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &loopback, sizeof(loopback));
	} else {
		/* the kernel drops these itself (ip6_rcv_core); the rule says so here too */
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, DADDR_OFF(true), 16, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &localhost6, sizeof(localhost6));
	}
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
static void rule_antispoof(struct rb *x, unsigned i)
{
	static const uint16_t types[] = {0, ETH_P_IP, ETH_P_ARP, ETH_P_IPV6, ETH_P_IPV6};
	uint16_t type = htons(types[i]);
	uint8_t icmp6 = IPPROTO_ICMPV6, na = 136; /* nd-neighbor-advert */

	match_iface_in(x, NFT_META_IIFNAME, NFT_SET_EP_IFACES, false);
	if (i == 0) {
		meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
		payload_load(x, NFT_PAYLOAD_LL_HEADER, 6, 6, NFT_REG_2);
		lookup(x, NFT_SET_EP_MACS, -1, true);
		verdict(x, NF_DROP);
		return;
	}
	payload_load(x, NFT_PAYLOAD_LL_HEADER, 12, 2, NFT_REG_1);
	cmp(x, NFT_CMP_EQ, &type, sizeof(type));
	if (i == 4) {
		meta_load(x, NFT_META_L4PROTO, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &icmp6, sizeof(icmp6));
		payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
		cmp(x, NFT_CMP_EQ, &na, sizeof(na));
	}
	meta_load(x, NFT_META_IIFNAME, NFT_REG_1);
	if (i <= 2) {
		/* the sender's address: IPv4 source, or the ARP sender protocol address */
		payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, i == 1 ? 12 : 14, 4, NFT_REG_2);
		lookup(x, NFT_SET_EP_ADDRS4, -1, true);
	} else {
		/* IPv6 source, or the target address of a neighbour advertisement */
		if (i == 3)
			payload_load(x, NFT_PAYLOAD_NETWORK_HEADER, SADDR_OFF(true), 16, NFT_REG_2);
		else
			payload_load(x, NFT_PAYLOAD_TRANSPORT_HEADER, 8, 16, NFT_REG_2);
		lookup(x, NFT_SET_EP_ADDRS6, -1, true);
	}
	verdict(x, NF_DROP);
}

static const struct chaindef bridge_chaindefs[] = {
	{"prerouting", "filter", NF_BR_PRE_ROUTING, NF_BR_PRI_NAT_DST_BRIDGED, 5, rule_antispoof, {3}},
};

static const struct chaindef chaindefs[] = {
	/*
	 * previous layouts, IPv4 only: before the hardening rules, with them,
	 * and with the fabric's
	 */
	{"raw_prerouting", "filter", NF_INET_PRE_ROUTING, NF_IP_PRI_RAW, 2, rule_raw_prerouting, {1}},
	/* prerouting also 6: with IPv6, before netd's DNS got its port 53 back from published ports */
	{"prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST, 7, rule_prerouting, {2, 3, 6}},
	{"output", "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST, 6, rule_dnat, {2, 3}},
	{"postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC, 6, rule_postrouting, {3, 4}},
	{"forward", "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER, 9, rule_forward, {6, 7, 8}},
	/* input 1: the fabric's VXLAN sources over an IPv4 underlay only */
	{"input", "filter", NF_INET_LOCAL_IN, NF_IP_PRI_FILTER, 2, rule_input, {1}},
};

struct tabledef {
	uint16_t family;
	const char *family_name;
	const struct setdef *sets;
	size_t n_sets;
	const struct chaindef *chains;
	size_t n_chains;
};

static const struct tabledef tabledefs[] = {
	{NFPROTO_INET, "inet", setdefs, ARRAY_SIZE(setdefs), chaindefs, ARRAY_SIZE(chaindefs)},
	{NFPROTO_BRIDGE, "bridge", bridge_setdefs, ARRAY_SIZE(bridge_setdefs), bridge_chaindefs,
	 ARRAY_SIZE(bridge_chaindefs)},
};

/* ------------------------------------------------------------------ messages */

static int add_table(struct nft_batch *b, const struct tabledef *td, uint16_t type, struct berr *e)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	char what[64];

	if (!t)
		return berr_oom(e);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	snprintf(what, sizeof(what), "%s table %s %s", type == NFT_MSG_NEWTABLE ? "create" : "delete", td->family_name,
		 NFT_TABLE_NAME);
	nlh = nft_batch_msg(b, td->family, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, what);
	if (!nlh)
		return berr_oom(e);
	nftnl_table_nlmsg_build_payload(nlh, t);
	return 0;
}

/* Every table: NEWTABLE then DELTABLE removes it in the batch whether or not it exists. */
static int add_tables(struct nft_batch *b, uint16_t type, struct berr *e)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(tabledefs); i++)
		r = add_table(b, &tabledefs[i], type, e);
	return r;
}

static int add_set(struct nft_batch *b, const struct tabledef *td, const struct setdef *d, struct berr *e)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
	struct nlmsghdr *nlh;
	char what[64];

	if (!s || !ud) {
		nftnl_udata_buf_free(ud);
		return berr_oom(e);
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	/* The kernel requires an id unique within the transaction. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(td - tabledefs) * 64 + (uint32_t)(d - td->sets) + 1);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	for (size_t i = 0; (d->flags & NFT_SET_CONCAT) && i < ARRAY_SIZE(concat_fields); i++)
		if (strcmp(concat_fields[i].set, d->name) == 0)
			nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, concat_fields[i].fields,
					   (uint32_t)strnlen((const char *)concat_fields[i].fields,
							     sizeof(concat_fields[i].fields)));
	if (d->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
	}
	/* Only for `nft list`, which prints keys by these byte-order marks. */
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, d->key_bo);
	if (d->flags & NFT_SET_MAP)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, d->data_bo);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	snprintf(what, sizeof(what), "create %s %s", d->flags & NFT_SET_MAP ? "map" : "set", d->name);
	nlh = nft_batch_msg(b, td->family, NFT_MSG_NEWSET, NLM_F_CREATE, what);
	if (!nlh)
		return berr_oom(e);
	nftnl_set_nlmsg_build_payload(nlh, s);
	return 0;
}

static int add_chain(struct nft_batch *b, const struct tabledef *td, const struct chaindef *d, struct berr *e)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char what[64];

	if (!c)
		return berr_oom(e);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
	snprintf(what, sizeof(what), "create chain %s %s", td->family_name, d->name);
	nlh = nft_batch_msg(b, td->family, NFT_MSG_NEWCHAIN, NLM_F_CREATE, what);
	if (!nlh)
		return berr_oom(e);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	return 0;
}

/* Every rule of the chain goes (DELRULE without a handle), elements stay. */
static int flush_chain(struct nft_batch *b, const struct tabledef *td, const struct chaindef *d, struct berr *e)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	char what[64];

	if (!r)
		return berr_oom(e);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, d->name);
	snprintf(what, sizeof(what), "flush chain %s %s", td->family_name, d->name);
	nlh = nft_batch_msg(b, td->family, NFT_MSG_DELRULE, 0, what);
	if (!nlh)
		return berr_oom(e);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	return 0;
}

static int add_rules(struct nft_batch *b, const struct tabledef *td, const struct chaindef *d, struct berr *e)
{
	for (unsigned i = 0; i < d->n_rules; i++) {
		_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
		struct rb x = {.r = r, .oom = !r};
		struct nlmsghdr *nlh;
		char what[64];

		if (!r)
			return berr_oom(e);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, d->name);
		d->rule(&x, i);
		if (x.oom)
			return berr_oom(e);
		snprintf(what, sizeof(what), "add rule %u to chain %s %s", i + 1, td->family_name, d->name);
		nlh = nft_batch_msg(b, td->family, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what);
		if (!nlh)
			return berr_oom(e);
		nftnl_rule_nlmsg_build_payload(nlh, r);
	}
	return 0;
}

static int table_layout_add(struct nft_batch *b, const struct tabledef *td, struct berr *e)
{
	int r = add_table(b, td, NFT_MSG_NEWTABLE, e);

	for (size_t i = 0; r == 0 && i < td->n_sets; i++)
		r = add_set(b, td, &td->sets[i], e);
	for (size_t i = 0; r == 0 && i < td->n_chains; i++) {
		r = add_chain(b, td, &td->chains[i], e);
		if (r == 0)
			r = add_rules(b, td, &td->chains[i], e);
	}
	return r;
}

int nft_layout_add(struct nft_batch *b, struct berr *e)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(tabledefs); i++)
		r = table_layout_add(b, &tabledefs[i], e);
	return r;
}

/* ------------------------------------------------------------------ reading the table */

struct seen_set {
	char name[32];
	uint32_t flags, key_type, key_len, data_type, data_len;
};

struct seen_chain {
	char name[32];
	char type[16];
	uint32_t hook;
	int32_t prio;
	unsigned n_rules;
};

struct seen {
	bool table;
	struct seen_set sets[32];
	size_t n_sets;
	struct seen_chain chains[32];
	size_t n_chains;
};

static int table_cb(const struct nlmsghdr *nlh, void *arg)
{
	((struct seen *)arg)->table = true;
	return 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *arg)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct seen *st = arg;
	struct seen_set *x;
	const char *table;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0)
		return -EBADMSG;
	table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	if (!table || strcmp(table, NFT_TABLE_NAME) != 0 || st->n_sets == ARRAY_SIZE(st->sets))
		return 0;
	x = &st->sets[st->n_sets++];
	snprintf(x->name, sizeof(x->name), "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
	x->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	x->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	x->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	x->data_type = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
	x->data_len = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	return 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct seen *st = arg;
	struct seen_chain *x;
	const char *table, *type;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return -EBADMSG;
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	if (!table || strcmp(table, NFT_TABLE_NAME) != 0 || st->n_chains == ARRAY_SIZE(st->chains))
		return 0;
	x = &st->chains[st->n_chains++];
	snprintf(x->name, sizeof(x->name), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	snprintf(x->type, sizeof(x->type), "%s", type ? type : "");
	x->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	x->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
	return 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *table = NULL, *chain = NULL;
	struct seen *st = arg;
	const struct nlattr *a;

	/* Only where the rule is: its expressions are not needed to count rules. */
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_RULE_TABLE && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			table = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			chain = mnl_attr_get_str(a);
	}
	if (!table || !chain || strcmp(table, NFT_TABLE_NAME) != 0)
		return 0;
	for (size_t i = 0; i < st->n_chains; i++)
		if (strcmp(st->chains[i].name, chain) == 0)
			st->chains[i].n_rules++;
	return 0;
}

static int read_table(struct nft_ctx *ctx, const struct tabledef *td, struct seen *st, struct berr *e)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *rl = nftnl_rule_alloc();
	char buf[NFT_REQ_SIZE];
	struct nlmsghdr *nlh;
	int r;

	memset(st, 0, sizeof(*st));
	if (!t || !s || !rl)
		return berr_oom(e);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	nlh = nft_req(ctx, buf, NFT_MSG_GETTABLE, td->family, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	r = nft_query(ctx, nlh, table_cb, st, e);
	if (r == -ENOENT) {
		berr_clear(e);
		return 0;
	}
	if (r < 0)
		return berr_wrap(e, r, "read table %s %s", td->family_name, NFT_TABLE_NAME);

	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nlh = nft_req(ctx, buf, NFT_MSG_GETSET, td->family, NLM_F_DUMP);
	nftnl_set_nlmsg_build_payload(nlh, s);
	r = nft_query(ctx, nlh, set_cb, st, e);
	if (r < 0)
		return berr_wrap(e, r, "list sets of table %s %s", td->family_name, NFT_TABLE_NAME);

	nlh = nft_req(ctx, buf, NFT_MSG_GETCHAIN, td->family, NLM_F_DUMP);
	r = nft_query(ctx, nlh, chain_cb, st, e);
	if (r < 0)
		return berr_wrap(e, r, "list chains of table %s %s", td->family_name, NFT_TABLE_NAME);

	nftnl_rule_set_str(rl, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nlh = nft_req(ctx, buf, NFT_MSG_GETRULE, td->family, NLM_F_DUMP);
	nftnl_rule_nlmsg_build_payload(nlh, rl);
	r = nft_query(ctx, nlh, rule_cb, st, e);
	if (r < 0)
		return berr_wrap(e, r, "list rules of table %s %s", td->family_name, NFT_TABLE_NAME);
	return 0;
}

static const struct seen_set *seen_set(const struct seen *st, const char *name)
{
	for (size_t i = 0; i < st->n_sets; i++)
		if (strcmp(st->sets[i].name, name) == 0)
			return &st->sets[i];
	return NULL;
}

static const struct seen_chain *seen_chain(const struct seen *st, const char *name)
{
	for (size_t i = 0; i < st->n_chains; i++)
		if (strcmp(st->chains[i].name, name) == 0)
			return &st->chains[i];
	return NULL;
}

/* ------------------------------------------------------------------ API */

/*
 * Only what is missing goes into the batch; the batch is pinned to the
 * generation the table was read at, so two processes ensuring at once
 * cannot both add the same rules (the second gets ERESTART, reads again
 * and finds nothing to do).
 */
/* A chain of n rules is the chain of one of berth's previous layouts. */
static bool was_berths(const struct chaindef *d, unsigned n)
{
	for (size_t i = 0; i < ARRAY_SIZE(d->old_n_rules) && d->old_n_rules[i]; i++)
		if (d->old_n_rules[i] == n)
			return true;
	return false;
}

static int ensure_table(struct nft_batch *b, const struct tabledef *td, struct berr *e)
{
	struct seen st;
	int r;

	r = read_table(b->ctx, td, &st, e);
	if (r < 0)
		return r;
	if (!st.table)
		return table_layout_add(b, td, e);
	for (size_t i = 0; i < td->n_sets; i++) {
		const struct setdef *d = &td->sets[i];
		const struct seen_set *s = seen_set(&st, d->name);

		if (!s) {
			r = add_set(b, td, d, e);
			if (r < 0)
				return r;
			continue;
		}
		if ((s->flags & (NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT)) != d->flags ||
		    s->key_len != d->key_len || ((d->flags & NFT_SET_MAP) && s->data_len != d->data_len))
			return berr_set(e, -EEXIST,
					"set %s of table %s %s has another type than berth's; "
					"rebuilding the table replaces it",
					d->name, td->family_name, NFT_TABLE_NAME);
	}
	for (size_t i = 0; i < td->n_chains; i++) {
		const struct chaindef *d = &td->chains[i];
		const struct seen_chain *c = seen_chain(&st, d->name);

		if (c && (strcmp(c->type, d->type) != 0 || c->hook != d->hook || c->prio != d->prio))
			return berr_set(e, -EEXIST,
					"chain %s of table %s %s is not berth's (type %s hook %u priority %d); "
					"rebuilding the table replaces it",
					d->name, td->family_name, NFT_TABLE_NAME, c->type, c->hook, c->prio);
		/* berth's previous layout: its rules are replaced, the elements stay (an upgrade) */
		if (c && c->n_rules != 0 && c->n_rules != d->n_rules && was_berths(d, c->n_rules)) {
			r = flush_chain(b, td, d, e);
			if (r < 0)
				return r;
		} else if (c && c->n_rules != 0 && c->n_rules != d->n_rules) {
			return berr_set(e, -EEXIST,
					"chain %s of table %s %s holds %u rules, berth's layout has %u; "
					"rebuilding the table replaces them",
					d->name, td->family_name, NFT_TABLE_NAME, c->n_rules, d->n_rules);
		}
		if (!c) {
			r = add_chain(b, td, d, e);
			if (r < 0)
				return r;
		}
		if (!c || c->n_rules != d->n_rules) {
			r = add_rules(b, td, d, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int build_ensure(struct nft_batch *b, const void *arg, struct berr *e)
{
	int r;

	r = nft_batch_pin(b, e);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(tabledefs); i++)
		r = ensure_table(b, &tabledefs[i], e);
	return r;
}

int nft_ensure(struct nft_ctx *ctx, struct berr *e)
{
	int r = nft_transact(ctx, build_ensure, NULL, NULL, e);

	if (r < 0)
		return berr_wrap(e, r, "ensure nftables tables %s", NFT_TABLE_NAME);
	return 0;
}

/* ------------------------------------------------------------------ other stores' elements */

/* The last owner asked about: elements come in runs of one owner, and asking may cost a stat(2). */
struct alive_cache {
	char owner[NFT_OWNER_LEN];
	bool alive;
};

/* Another owner's element, and that owner still exists (a store whose directory is gone left it). */
static bool is_foreign(const struct nft_ctx *ctx, struct alive_cache *c, const struct nft_elem *el)
{
	if (!el->owner[0] || strcmp(el->owner, ctx->owner) == 0)
		return false;
	if (!ctx->owner_alive)
		return true;
	if (strcmp(c->owner, el->owner) != 0) {
		memcpy(c->owner, el->owner, sizeof(c->owner));
		c->alive = ctx->owner_alive(el->owner);
	}
	return c->alive;
}

static int key_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = a, *y = b;

	return memcmp(x->key, y->key, NFT_KEY_MAX);
}

/* The map elements of ports in set, sorted by key (published ports win over another store's). */
static int port_keys(const char *set, const struct nft_port *ports, size_t n, struct nft_elem **ret, size_t *ret_n)
{
	struct nft_elem *v = calloc(n + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strcmp(nft_port_elem(&ports[i], &v[k]), set) == 0)
			k++;
	qsort(v, k, sizeof(*v), key_cmp);
	*ret = v;
	*ret_n = k;
	return 0;
}

/* Interval sets: the subnets whose start element another owner wrote, start and end again. */
static int foreign_intervals(struct nft_batch *b, struct alive_cache *c, const struct setdef *d,
			     const struct nft_elem *el, size_t n, struct berr *e)
{
	_cleanup_free_ struct bcidr4 *subnets = NULL;
	_cleanup_free_ struct bcidr6 *subnets6 = NULL;
	_cleanup_free_ const struct nft_elem **starts = NULL;
	bool v6 = d->key_len == 16;
	struct nft_elem *out;
	size_t ns = 0, k = 0;
	int r;

	/* a set berth did not write cannot be told apart: its other owners' part is lost with it */
	r = v6 ? nft_intervals_to_subnets6(el, n, &subnets6, &starts, &ns, NULL)
	       : nft_intervals_to_subnets(el, n, &subnets, &starts, &ns, NULL);
	if (r < 0)
		return 0;
	out = calloc(2 * ns + 1, sizeof(*out));
	if (!out || nft_batch_own(b, out) < 0)
		return berr_oom(e);
	for (size_t i = 0; i < ns; i++) {
		size_t m;

		if (!is_foreign(b->ctx, c, starts[i]))
			continue;
		m = v6 ? nft_subnet6_elems(&subnets6[i], out + k) : nft_subnet_elems(&subnets[i], out + k);
		memcpy(out[k].data, starts[i]->data, sizeof(out[k].data));
		out[k].data_len = starts[i]->data_len;
		memcpy(out[k].owner, starts[i]->owner, sizeof(out[k].owner));
		k += m;
	}
	return nft_batch_elems(b, NFT_ELEMS_ADD, d->name, out, k, NULL, NULL, e);
}

/*
 * Read every element other owners (other state stores) wrote and append
 * them to b as they were, into tables created earlier in b; the batch is
 * pinned, so nothing added meanwhile is lost. ports: this owner's, which
 * take a host port another owner's element holds. *ret_n counts them.
 */
static int add_foreign(struct nft_batch *b, const struct nft_port *ports, size_t n_ports, size_t *ret_n, struct berr *e)
{
	struct alive_cache cache = {.alive = false};
	size_t total = 0;
	int r;

	r = nft_batch_pin(b, e);
	for (size_t t = 0; r == 0 && t < ARRAY_SIZE(tabledefs); t++) {
		for (size_t i = 0; r == 0 && i < tabledefs[t].n_sets; i++) {
			const struct setdef *d = &tabledefs[t].sets[i];
			_cleanup_free_ struct nft_elem *el = NULL, *own = NULL;
			struct nft_elem *keep;
			size_t n = 0, n_own = 0, k = 0;

			r = nft_elems_dump(b->ctx, d->name, &el, &n, e);
			if (r == -ENOENT) {
				berr_clear(e);
				r = 0;
				continue;
			}
			if (r < 0)
				break;
			/* (a concatenation of ranges has whole elements, start and end in one, as a plain set) */
			if ((d->flags & (NFT_SET_INTERVAL | NFT_SET_CONCAT)) == NFT_SET_INTERVAL) {
				for (size_t j = 0; j < n; j++)
					total += is_foreign(b->ctx, &cache, &el[j]);
				r = foreign_intervals(b, &cache, d, el, n, e);
				continue;
			}
			if ((d->flags & NFT_SET_MAP) && port_keys(d->name, ports, n_ports, &own, &n_own) < 0)
				return berr_oom(e);
			keep = calloc(n + 1, sizeof(*keep));
			if (!keep || nft_batch_own(b, keep) < 0)
				return berr_oom(e);
			for (size_t j = 0; j < n; j++) {
				if (!is_foreign(b->ctx, &cache, &el[j]) ||
				    (n_own && bsearch(&el[j], own, n_own, sizeof(*own), key_cmp)))
					continue;
				keep[k] = el[j];
				keep[k].tag = k;
				k++;
			}
			total += k;
			r = nft_batch_elems(b, NFT_ELEMS_ADD, d->name, keep, k, NULL, NULL, e);
		}
	}
	if (r == 0 && ret_n)
		*ret_n = total;
	return r;
}

/* ------------------------------------------------------------------ rebuild, delete */

struct rebuild_args {
	const struct nft_network *nets;
	size_t n_nets;
	const struct nft_endpoint *eps;
	size_t n_eps;
	const struct nft_port *ports;
	size_t n_ports;
};

static int build_rebuild(struct nft_batch *b, const void *arg, struct berr *e)
{
	const struct rebuild_args *a = arg;
	int r;

	/* create-if-missing then delete: removes the old tables whether or not they exist, in this same batch */
	r = add_tables(b, NFT_MSG_NEWTABLE, e);
	if (r == 0)
		r = add_tables(b, NFT_MSG_DELTABLE, e);
	if (r == 0)
		r = nft_layout_add(b, e);
	if (r == 0)
		r = nft_network_msgs(b, a->nets, a->n_nets, NFT_NET_ADD_FRESH, e);
	if (r == 0)
		r = nft_endpoint_msgs(b, a->eps, a->n_eps, NFT_ELEMS_ADD, e);
	if (r == 0)
		r = nft_port_msgs(b, a->ports, a->n_ports, NFT_ELEMS_ADD_EXCL, e);
	if (r == 0)
		r = add_foreign(b, a->ports, a->n_ports, NULL, e);
	return r;
}

int nft_rebuild(struct nft_ctx *ctx, const struct nft_network *nets, size_t n_nets, const struct nft_endpoint *eps,
		size_t n_eps, const struct nft_port *ports, size_t n_ports, struct berr *e)
{
	struct rebuild_args a = {nets, n_nets, eps, n_eps, ports, n_ports};
	struct nft_fail f = {0};
	char field[32];
	int r;

	if ((n_nets && !nets) || (n_eps && !eps) || (n_ports && !ports))
		return berr_set(e, -EINVAL, "rebuild: no array given for %zu networks / %zu endpoints / %zu ports",
				n_nets, n_eps, n_ports);
	for (size_t i = 0; i < n_nets; i++) {
		snprintf(field, sizeof(field), "networks[%zu]", i);
		r = nft_network_check(&nets[i], field, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_eps; i++) {
		snprintf(field, sizeof(field), "endpoints[%zu]", i);
		r = nft_endpoint_check(&eps[i], field, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_ports; i++) {
		snprintf(field, sizeof(field), "ports[%zu]", i);
		r = nft_port_check(&ports[i], field, e);
		if (r < 0)
			return r;
	}
	r = nft_transact(ctx, build_rebuild, &a, &f, e);
	if (r == -EEXIST && f.elem && f.set && strncmp(f.set, "pub_", 4) == 0 && f.tag < n_ports) {
		char buf[96];

		return berr_set(e, -EEXIST, "rebuild nftables tables %s: host port of %s is given twice",
				NFT_TABLE_NAME, nft_port_fmt(&ports[f.tag], buf, sizeof(buf)));
	}
	if (r < 0)
		return berr_wrap(e, r, "rebuild nftables tables %s", NFT_TABLE_NAME);
	return 0;
}

static int build_delete(struct nft_batch *b, const void *arg, struct berr *e)
{
	/* NEWTABLE first makes the DELTABLE succeed when the table is already gone (kernels before DESTROYTABLE) */
	int r = add_tables(b, NFT_MSG_NEWTABLE, e);
	size_t n_foreign = 0;

	uint32_t genid;

	if (r == 0)
		r = add_tables(b, NFT_MSG_DELTABLE, e);
	/* other stores' elements stay, in the tables made again around them */
	if (r == 0)
		r = nft_layout_add(b, e);
	if (r == 0)
		r = add_foreign(b, NULL, 0, &n_foreign, e);
	if (r < 0 || n_foreign)
		return r;
	/* nothing of anybody else's: the tables go (still pinned to the generation read) */
	genid = b->genid;
	nft_batch_free(b);
	nft_batch_init(b, b->ctx);
	b->pinned = true;
	b->genid = genid;
	r = add_tables(b, NFT_MSG_NEWTABLE, e);
	return r < 0 ? r : add_tables(b, NFT_MSG_DELTABLE, e);
}

int nft_delete_table(struct nft_ctx *ctx, struct berr *e)
{
	int r = nft_transact(ctx, build_delete, NULL, NULL, e);

	if (r < 0)
		return berr_wrap(e, r, "delete nftables tables %s", NFT_TABLE_NAME);
	return 0;
}
