/* Internals shared by the nftables files: nft.c, nft_rules.c, nft_layout.c and nft_elems.c. */
/*
 * nft.c: socket, batches, queries; nft_rules.c: what the tables hold (sets,
 * chains, rules); nft_layout.c: the tables in the kernel (ensure, rebuild,
 * delete); nft_elems.c: network, endpoint and port elements. Not part of the engine's API;
 * tests include it for the pure helpers and the fallback switch.
 */
#pragma once

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "netd/engine/nft.h"

struct nlmsghdr;
struct mnl_socket;

/* Kernel >= 6.3; Debian 12's uapi headers (6.1) do not name it yet. */
#define NFT_MSG_DESTROYSETELEM_ 30

/* Names of the sets and maps of table inet berth (docs/nftables.md). */
#define NFT_SET_BRIDGES "bridges"	  /* ifname: every berth bridge */
#define NFT_SET_SAME_BRIDGE "same_bridge" /* ifname . ifname: bridge . itself */
#define NFT_SET_INTERNAL "internal"	  /* ifname: bridges of internal networks */
#define NFT_SET_MASQ_BR "masq_bridges"	  /* ifname: bridges of masquerading networks */
#define NFT_SET_MASQ4 "masq4"		  /* ipv4_addr interval: subnets that masquerade */
#define NFT_SET_NETS4 "nets4"		  /* ipv4_addr interval -> ifname: every subnet, its bridge */
#define NFT_MAP_PUB_ANY4 "pub_any4"	  /* proto . port -> addr . port */
#define NFT_MAP_PUB_IP4 "pub_ip4"	  /* daddr . proto . port -> addr . port */
#define NFT_SET_MASQ6_BR "masq6_bridges"  /* ifname: bridges of networks that masquerade IPv6 */
#define NFT_SET_MASQ6 "masq6"		  /* ipv6_addr interval: IPv6 subnets that masquerade */
#define NFT_SET_NETS6 "nets6"		  /* ipv6_addr interval -> ifname: every IPv6 subnet, its bridge */
#define NFT_MAP_PUB_ANY6 "pub_any6"	  /* proto . port -> addr6 . port */
#define NFT_MAP_PUB_IP6 "pub_ip6"	  /* daddr6 . proto . port -> addr6 . port */
/* The fabric (netd/fabric/, docs/fabric.md) */
#define NFT_SET_FABRIC4 "fabric4"	    /* ipv4_addr interval . ifname: a host-gw fabric subnet, its bridge */
#define NFT_SET_FABRIC6 "fabric6"	    /* ipv6_addr interval . ifname: the same, IPv6 */
#define NFT_SET_FABRIC6_NETS "fabric6_nets" /* ipv6_addr interval: every host-gw fabric subnet6 */
#define NFT_SET_VXLAN_PORTS "vxlan_ports"   /* inet_service: UDP ports the fabric's VXLAN devices listen on */
#define NFT_SET_VXLAN_PEERS4 "vxlan_peers4" /* ipv4_addr . inet_service: known hosts' underlay, per port */
#define NFT_SET_VXLAN_PEERS6 "vxlan_peers6" /* ipv6_addr . inet_service: the same, IPv6 underlay */
/* ... and of table bridge berth: the anti-spoofing check of the endpoints' veths. */
#define NFT_SET_EP_IFACES "ep_ifaces" /* ifname: every endpoint's host-side veth */
#define NFT_SET_EP_ADDRS4 "ep_addrs4" /* ifname . ipv4_addr: the address each may send from */
#define NFT_SET_EP_ADDRS6 "ep_addrs6" /* ifname . ipv6_addr: the IPv6 address each may send from */
#define NFT_SET_EP_MACS "ep_macs"     /* ifname . ether_addr: the MAC each may send from */

/*
 * What tells IPv4 from IPv6 in berth's tables: where the addresses are and
 * which sets hold them. A rule or element that exists for both families is
 * written once over nft_families (nft_rules.c).
 */
struct nft_family {
	uint8_t nfproto;	      /* NFPROTO_IPV4 / _IPV6: meta nfproto, the dnat's family */
	uint8_t addr_len;	      /* 4 / 16 */
	uint8_t saddr_off, daddr_off; /* in the network header */
	uint8_t lo[16], lo_len;	      /* the loopback range: daddr's first lo_len bytes are lo */
	bool lo_dnat;		      /* 127.0.0.1 is DNATed to published ports (IPv4; ::1 never is) */
	uint16_t ethertype;	      /* in table bridge berth */
	/* the neighbour announcement (ARP; IPv6 neighbour advertisement): the address it claims */
	uint16_t nd_ethertype;
	uint8_t nd_icmp6_type; /* 0: none to check */
	uint8_t nd_base, nd_off;
	const char *nets, *masq, *masq_br, *pub_any, *pub_ip, *ep_addrs; /* NFT_SET_NETS4, ... */
	const char *vxlan_peers; /* NULL: the fabric's VXLAN is not filtered for the family */
	const char *fabric;	 /* host-gw fabric subnets . their bridges (NFT_SET_FABRIC4, _FABRIC6) */
	const char *fabric_nets; /* the subnets alone (IPv6 only, NULL: none; nft_rules.c says why) */
};
enum { NFT_IPV4, NFT_IPV6 };
extern const struct nft_family nft_families[2];

#define NFT_IFNAME_LEN 16
#define NFT_KEY_MAX 32
#define NFT_DATA_MAX 20
#define NFT_OWNER_LEN 128 /* an element's owner (its comment), NUL included: nft's limit */

struct nft_ctx {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	int sndbuf; /* what the kernel reports for SO_SNDBUF / SO_RCVBUF (doubled) */
	int rcvbuf;
	bool no_destroy;			/* the kernel rejected NFT_MSG_DESTROYSETELEM (< 6.3) */
	char owner[NFT_OWNER_LEN];		/* the comment of every element added; "" none (nft_set_owner) */
	bool (*owner_alive)(const char *owner); /* NULL: every other owner is */
	char *rx;
	size_t rx_len;
};

/* One set element as the kernel sees it: raw key (and data for maps). */
struct nft_elem {
	uint8_t key[NFT_KEY_MAX];
	uint8_t data[NFT_DATA_MAX];
	uint8_t key_end[NFT_KEY_MAX]; /* a concatenation of ranges: the last key it holds */
	uint8_t key_len;
	uint8_t key_end_len; /* 0: none */
	uint8_t data_len;
	uint32_t flags;		   /* NFT_SET_ELEM_INTERVAL_END */
	size_t tag;		   /* the caller's index, to name the element in errors */
	char owner[NFT_OWNER_LEN]; /* read back: its comment; added: "" is the batch's owner */
};

/* Names element `tag` for an error message. */
typedef void (*nft_describe_fn)(const void *arg, size_t tag, char *buf, size_t len);

enum nft_elem_op {
	NFT_ELEMS_ADD,	    /* create; an identical element already present is fine */
	NFT_ELEMS_ADD_EXCL, /* create; any element already present fails the batch with EEXIST */
	NFT_ELEMS_DESTROY,  /* delete; missing elements are fine */
};

struct nft_msg;

/* One atomic batch under construction (NFNL_MSG_BATCH_BEGIN .. END). */
struct nft_batch {
	struct nft_ctx *ctx;
	char *buf;
	size_t len, cap;
	struct nft_msg *msgs;
	size_t n_msgs, cap_msgs;
	uint32_t seq_begin;
	void **owned; /* allocations freed with the batch */
	size_t n_owned, cap_owned;
	bool pinned;	   /* genid set: the kernel refuses the batch (ERESTART) if anything changed since */
	const char *owner; /* elements added without an owner of their own get this one (NULL: the context's) */
	uint32_t genid;
	/* filled by nft_batch_send on failure */
	bool destroy_unsupported;
	bool failed_elem;
	size_t failed_tag;
	const char *failed_set;
};

/* ---- nft.c: batches, queries */
void nft_batch_init(struct nft_batch *b, struct nft_ctx *ctx);
void nft_batch_free(struct nft_batch *b);
/* Read the ruleset generation and tie the batch to it (optimistic concurrency). */
int nft_batch_pin(struct nft_batch *b, struct berr *e);
/* Reserve room for one message to a table of family (NFPROTO_*); returns its header or NULL (out of memory). */
struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t family, uint16_t type, uint16_t flags, const char *what);
/* Element messages, split so that each stays well under the netlink attribute size limit. */
int nft_batch_elems(struct nft_batch *b, enum nft_elem_op op, const char *set, const struct nft_elem *elems, size_t n,
		    nft_describe_fn describe, const void *describe_arg, struct berr *e);
/* The batch frees p with itself (and frees it at once when that fails: -ENOMEM). */
int nft_batch_own(struct nft_batch *b, void *p);
/* Send, collect every ack; a failure names the message (and element) and carries the extended ack. */
int nft_batch_send(struct nft_batch *b, struct berr *e);

/*
 * Run build() and send its batch, again when the ruleset changed under a
 * pinned batch (ERESTART) or when the kernel turned out to lack
 * DESTROYSETELEM (then elements are checked and deleted with DELSETELEM).
 */
typedef int (*nft_build_fn)(struct nft_batch *b, const void *arg, struct berr *e);
/* Which element made the batch fail, when the kernel pointed at one. */
struct nft_fail {
	bool elem;
	size_t tag;
	const char *set;
};
int nft_transact(struct nft_ctx *ctx, nft_build_fn build, const void *arg, struct nft_fail *fail, struct berr *e);

/* A GET request (dump when NLM_F_DUMP is in flags); cb is called for each reply message. */
typedef int (*nft_reply_fn)(const struct nlmsghdr *nlh, void *arg);
int nft_query(struct nft_ctx *ctx, struct nlmsghdr *req, nft_reply_fn cb, void *arg, struct berr *e);
/* Prepare a request header in buf (at least NFT_REQ_SIZE bytes). */
#define NFT_REQ_SIZE 4096
struct nlmsghdr *nft_req(struct nft_ctx *ctx, char *buf, uint16_t type, uint16_t family, uint16_t flags);
/* Dump every element of a set of berth's tables. */
int nft_elems_dump(struct nft_ctx *ctx, const char *set, struct nft_elem **ret, size_t *ret_n, struct berr *e);
/* Does this element exist (GETSETELEM on its key)? 1 yes (*ret_found filled when not NULL), 0 no. */
int nft_elem_get(struct nft_ctx *ctx, const char *set, const struct nft_elem *el, struct nft_elem *ret_found,
		 struct berr *e);
int nft_genid(struct nft_ctx *ctx, uint32_t *ret, struct berr *e);

/* An NLMSG_ERROR reply: error (0 for an ack), the request's seq, the extended ack. */
struct nft_ack {
	int error;
	uint32_t seq;
	char kmsg[256];	  /* NLMSGERR_ATTR_MSG, "" when none */
	uint32_t bad_off; /* NLMSGERR_ATTR_OFFS (offset into the request), 0 when none */
};
/* Parse one (with its extended-ack TLVs, capped or not); -EBADMSG when truncated. */
int nft_parse_ack(const struct nlmsghdr *nlh, struct nft_ack *ack);

/* Test hook: behave as on a kernel without DESTROYSETELEM. */
void nft_ctx_force_no_destroy(struct nft_ctx *ctx, bool on);

/* ---- nft_rules.c: what the tables hold (docs/nftables.md) */
/* A set or map; key_bo / data_bo: nftables' byte-order marks (userdata, for `nft list`). */
struct nft_setdef {
	const char *name;
	uint32_t flags;
	uint32_t key_type, key_len;
	uint32_t data_type, data_len; /* maps only */
	uint32_t key_bo, data_bo;
};
struct nft_ruledef;
/* A base chain and its rules. */
struct nft_chaindef {
	const char *name;
	const char *type;
	uint32_t hook;
	int32_t prio;
	const struct nft_ruledef *rules;
	unsigned n_rules;
	unsigned old_n_rules[4]; /* rules of the chain in berth's previous layouts (0: no more) */
};
struct nft_tabledef {
	uint16_t family; /* NFPROTO_INET, NFPROTO_BRIDGE */
	const char *family_name;
	const struct nft_setdef *sets;
	size_t n_sets;
	const struct nft_chaindef *chains;
	size_t n_chains;
};
#define NFT_N_TABLES 2
extern const struct nft_tabledef nft_tables[NFT_N_TABLES]; /* inet berth, bridge berth */
struct nftnl_rule;
/* Append the expressions of rule i of chain d to r; -ENOMEM. */
int nft_rule_build(struct nftnl_rule *r, const struct nft_chaindef *d, unsigned i);

/* ---- nft_layout.c */
/* Tables, sets, chains and rules, appended to b (the tables must not exist or be deleted earlier in b). */
int nft_layout_add(struct nft_batch *b, struct berr *e);
/*
 * The family (NFPROTO_INET, NFPROTO_BRIDGE) of the table that holds set: the
 * anti-spoofing sets are in "bridge berth", every other in "inet berth"
 * (nft_rules.c's tables). Here rather than there so that nft.c, which every
 * other nft file calls, calls none of them.
 */
static inline uint16_t nft_set_family(const char *set)
{
	return strcmp(set, NFT_SET_EP_IFACES) == 0 || strcmp(set, NFT_SET_EP_ADDRS4) == 0 ||
			       strcmp(set, NFT_SET_EP_ADDRS6) == 0 || strcmp(set, NFT_SET_EP_MACS) == 0
		       ? NFPROTO_BRIDGE
		       : NFPROTO_INET;
}

/* ---- nft_elems.c: encoding (pure) and batch contents */
int nft_port_check(const struct nft_port *p, const char *field, struct berr *e);
int nft_network_check(const struct nft_network *n, const char *field, struct berr *e);
int nft_endpoint_check(const struct nft_endpoint *ep, const char *field, struct berr *e);
/* All of them, a bad one named 'networks[i]', 'endpoints[i]' or 'ports[i]'. */
int nft_check(const struct nft_network *nets, size_t n_nets, const struct nft_endpoint *eps, size_t n_eps,
	      const struct nft_port *ports, size_t n_ports, struct berr *e);
/* "tcp 0.0.0.0:8080 -> 10.66.0.2:80" */
const char *nft_port_fmt(const struct nft_port *p, char *buf, size_t len);
/* Map element of pub_any4 (host_ip 0) or pub_ip4, or for an IPv6 port pub_any6 / pub_ip6; returns which map. */
const char *nft_port_elem(const struct nft_port *p, struct nft_elem *el);
/* Back from an element of map `set`; -EBADMSG when it is not one berth writes. */
int nft_port_from_elem(const char *set, const struct nft_elem *el, struct nft_port *ret);
/*
 * The start and end elements of an interval set for a subnet whose first
 * address is addr (len bytes: 4 or 16, network byte order); returns how
 * many (1 when the interval runs to the last address, which has no end).
 */
size_t nft_interval_elems(const uint8_t *addr, unsigned len, unsigned prefix, struct nft_elem out[2]);
/* A subnet read back from an interval set: its start element (key: the first address, data: a map's value). */
struct nft_prefix {
	const struct nft_elem *start;
	uint8_t prefix;
};
/* Pair the start and end elements of an interval set of len-byte keys into subnets, sorted. free(*ret). */
int nft_intervals_read(const struct nft_elem *elems, size_t n, unsigned len, struct nft_prefix **ret, size_t *ret_n,
		       struct berr *e);
void nft_ifname_key(const char *name, uint8_t out[NFT_IFNAME_LEN]);
/* Append to b the elements of networks / ports (op for every element). */
enum nft_net_mode {
	NFT_NET_ADD_FRESH, /* into a table created in the same batch */
	NFT_NET_ADD,	   /* add, and drop the masquerade / internal marks the network no longer has */
	NFT_NET_DEL,
};
int nft_network_msgs(struct nft_batch *b, const struct nft_network *nets, size_t n, enum nft_net_mode mode,
		     struct berr *e);
int nft_port_msgs(struct nft_batch *b, const struct nft_port *ports, size_t n, enum nft_elem_op op, struct berr *e);
int nft_endpoint_msgs(struct nft_batch *b, const struct nft_endpoint *eps, size_t n, enum nft_elem_op op,
		      struct berr *e);
/* Elements of vxlan_peers4, vxlan_peers6 and vxlan_ports. */
void nft_vxlan_peer_elem(uint32_t addr, uint16_t port, struct nft_elem *el);
void nft_vxlan_peer6_elem(const struct in6_addr *addr, uint16_t port, struct nft_elem *el);
void nft_vxlan_port_elem(uint16_t port, struct nft_elem *el);
