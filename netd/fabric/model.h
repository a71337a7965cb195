/* The fabric's records in etcd: keys, JSON values, and the choice of a host's block (pure; unit-tested). */
/*
 * Under FABRIC_PREFIX ("/berth/v1/"):
 *
 *   nodes/<node>                 {"node","underlay","started"}   on the host's short lease: "alive"
 *                                (underlay: an IPv4 or an IPv6 address, as text)
 *   networks/<name>              {"name","subnet","host_prefix","subnet6","host_prefix6","vni","mode"}   no lease
 *                                (subnet/host_prefix absent: IPv6 only; subnet6/host_prefix6 absent: IPv4 only)
 *   vnis/<vni>                   "<name>": the VNI is taken (created with the network, one transaction)
 *   blocks/<name>/<a.b.c.d-len>  {"node","underlay","vtep_mac"}  on the host's long lease: "taken"
 *   blocks/<name>/<x:y::-len>    the same for an IPv6 block (one prefix per network: removed together);
 *                                a host-gw network's blocks of a host on an IPv4 underlay add "underlay_ll",
 *                                the underlay link's fe80:: address (its IPv6 blocks' next hop)
 *
 * Two lifetimes, as the design notes ask: a dead host's node key goes within
 * seconds (peers drop its routes after a grace period), its blocks only when
 * the long lease runs out.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define FABRIC_PREFIX "/berth/v1/"
#define FABRIC_NAME_MAX 64
#define FABRIC_KEY_MAX 256

enum fabric_key_kind { FK_NONE, FK_NODE, FK_NETWORK, FK_VNI, FK_BLOCK };

/* A host's block of a fabric network: IPv4 (v4) or IPv6 (v6, when is6). */
struct fabric_blk {
	bool is6;
	struct bcidr4 v4;
	struct bcidr6 v6;
};

bool fabric_blk_eq(const struct fabric_blk *a, const struct fabric_blk *b);
/* The block as CIDR text into buf (at least BADDR_CIDR6_STRLEN). Returns buf. */
const char *fabric_blk_fmt(const struct fabric_blk *b, char *buf);

struct fabric_key {
	enum fabric_key_kind kind;
	char name[FABRIC_NAME_MAX + 1]; /* node, network (also of a block) */
	struct fabric_blk block;	/* FK_BLOCK */
	uint32_t vni;			/* FK_VNI */
};

/* Parse a key under FABRIC_PREFIX; FK_NONE (0) for anything else. */
enum fabric_key_kind fabric_key_parse(const char *key, struct fabric_key *ret);
int fabric_key_node(char *buf, size_t len, const char *node);
int fabric_key_network(char *buf, size_t len, const char *name);
int fabric_key_vni(char *buf, size_t len, uint32_t vni);
int fabric_key_block(char *buf, size_t len, const char *network, const struct fabric_blk *block);
/* The prefix of a network's blocks ("/berth/v1/blocks/<name>/"). */
int fabric_key_blocks(char *buf, size_t len, const char *network);

/*
 * A host's underlay address: IPv4 (v4, host byte order) or IPv6 (v6, when
 * is6). One a host; every host of a fabric should use the same family (a
 * peer of the other family is skipped: docs/fabric.md, "The underlay").
 */
struct fabric_ul {
	bool is6;
	uint32_t v4;
	struct in6_addr v6;
};

bool fabric_ul_eq(const struct fabric_ul *a, const struct fabric_ul *b);
/* None: 0.0.0.0 or ::. */
bool fabric_ul_none(const struct fabric_ul *a);
/* The address as text into buf (at least INET6_ADDRSTRLEN). Returns buf. */
const char *fabric_ul_fmt(const struct fabric_ul *a, char *buf);
/* An address of either family ("192.0.2.11", "2001:db8::11"). */
int fabric_ul_parse(const char *s, struct fabric_ul *ret, struct berr *e);
static inline struct fabric_ul fabric_ul4(uint32_t v4)
{
	return (struct fabric_ul){.v4 = v4};
}
static inline const char *fabric_ul_family(const struct fabric_ul *a)
{
	return a->is6 ? "IPv6" : "IPv4";
}

enum fabric_mode { FABRIC_VXLAN, FABRIC_HOSTGW };
const char *fabric_mode_name(enum fabric_mode m);
int fabric_mode_parse(const char *s, enum fabric_mode *ret);

struct fabric_node {
	char node[FABRIC_NAME_MAX + 1];
	struct fabric_ul underlay;
	int64_t started; /* unix time */
};

struct fabric_net {
	char name[FABRIC_NAME_MAX + 1];
	struct bcidr4 subnet; /* prefix 0: no IPv4 */
	uint8_t host_prefix;
	struct bcidr6 subnet6; /* prefix 0: no IPv6 */
	uint8_t host_prefix6;
	uint32_t vni;
	enum fabric_mode mode;
};

struct fabric_block {
	char node[FABRIC_NAME_MAX + 1];
	struct fabric_ul underlay;
	uint8_t vtep_mac[6];
	/*
	 * host-gw over an IPv4 underlay: the underlay link's link-local
	 * address (:: none), the next hop of the host's IPv6 blocks, as Linux
	 * routes no IPv6 via an IPv4 gateway.
	 */
	struct in6_addr underlay_ll;
};

/* Values as compact JSON text (malloc'd; NULL when out of memory) and back (strict). */
char *fabric_node_to_json(const struct fabric_node *n);
int fabric_node_from_json(const char *text, size_t len, struct fabric_node *ret, struct berr *e);
char *fabric_net_to_json(const struct fabric_net *n);
int fabric_net_from_json(const char *text, size_t len, struct fabric_net *ret, struct berr *e);
char *fabric_block_to_json(const struct fabric_block *b);
int fabric_block_from_json(const char *text, size_t len, struct fabric_block *ret, struct berr *e);

/*
 * A network definition a user may create: an IPv4 subnet /8../28 with
 * host_prefix deeper than it and at most /30, an IPv6 subnet /16../112 with
 * host_prefix6 deeper than it and at most /120, or both; at most 2^20 IPv4
 * and 2^24 IPv6 blocks, in either mode (host-gw's filter: fabric4 and
 * fabric6; its routes go via the peers' underlay addresses, or an IPv6
 * block over an IPv4 underlay via the peer's underlay_ll).
 */
int fabric_net_check(const struct fabric_net *n, struct berr *e);
/* Same definition (name, subnets, host prefixes, mode; the VNI is etcd's choice). */
bool fabric_net_same(const struct fabric_net *a, const struct fabric_net *b);
static inline bool fabric_net_has4(const struct fabric_net *n)
{
	return n->subnet.prefix != 0;
}
static inline bool fabric_net_has6(const struct fabric_net *n)
{
	return n->subnet6.prefix != 0;
}
/*
 * The default IPv6 host prefix of a subnet6 of this prefix: /64 (the usual
 * size of one link's IPv6 prefix) for subnets up to /48, which leaves at
 * least 65,536 host blocks; below that 16 bits deeper (65,536 hosts) but at
 * most /120 (256 addresses a host); never more than 2^24 blocks.
 */
uint8_t fabric_default_host_prefix6(uint8_t subnet6_prefix);

/* How many blocks of the family's host prefix the subnet holds. */
uint32_t fabric_block_count(const struct fabric_net *n, bool is6);
/* Block number i of the network, of the family. */
struct fabric_blk fabric_block_nth(const struct fabric_net *n, bool is6, uint32_t i);
/*
 * A free block of the family for node: the search starts at a slot a hash
 * of the node's name picks, so hosts joining together rarely try the same
 * one, and goes on in order, skipping the blocks in taken (no bitmap of
 * every block: a /40 of /64 blocks has 2^24). -ENOSPC when all are taken.
 */
int fabric_block_pick(const struct fabric_net *n, bool is6, const char *node, const struct fabric_blk *taken,
		      size_t n_taken, uint32_t skip, struct fabric_blk *ret);
