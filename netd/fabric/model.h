/* The fabric's records in etcd: keys, JSON values, and the choice of a host's block (pure; unit-tested). */
/*
 * Under FABRIC_PREFIX ("/berth/v1/"):
 *
 *   nodes/<node>                 {"node","underlay","started"}   on the host's short lease: "alive"
 *   networks/<name>              {"name","subnet","host_prefix","vni","mode"}   no lease
 *   vnis/<vni>                   "<name>": the VNI is taken (created with the network, one transaction)
 *   blocks/<name>/<a.b.c.d-len>  {"node","underlay","vtep_mac"}  on the host's long lease: "taken"
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

struct fabric_key {
	enum fabric_key_kind kind;
	char name[FABRIC_NAME_MAX + 1]; /* node, network (also of a block) */
	struct bcidr4 block;		/* FK_BLOCK */
	uint32_t vni;			/* FK_VNI */
};

/* Parse a key under FABRIC_PREFIX; FK_NONE (0) for anything else. */
enum fabric_key_kind fabric_key_parse(const char *key, struct fabric_key *ret);
int fabric_key_node(char *buf, size_t len, const char *node);
int fabric_key_network(char *buf, size_t len, const char *name);
int fabric_key_vni(char *buf, size_t len, uint32_t vni);
int fabric_key_block(char *buf, size_t len, const char *network, const struct bcidr4 *block);
/* The prefix of a network's blocks ("/berth/v1/blocks/<name>/"). */
int fabric_key_blocks(char *buf, size_t len, const char *network);

enum fabric_mode { FABRIC_VXLAN, FABRIC_HOSTGW };
const char *fabric_mode_name(enum fabric_mode m);
int fabric_mode_parse(const char *s, enum fabric_mode *ret);

struct fabric_node {
	char node[FABRIC_NAME_MAX + 1];
	uint32_t underlay;
	int64_t started; /* unix time */
};

struct fabric_net {
	char name[FABRIC_NAME_MAX + 1];
	struct bcidr4 subnet;
	uint8_t host_prefix;
	uint32_t vni;
	enum fabric_mode mode;
};

struct fabric_block {
	char node[FABRIC_NAME_MAX + 1];
	uint32_t underlay;
	uint8_t vtep_mac[6];
};

/* Values as compact JSON text (malloc'd; NULL when out of memory) and back (strict). */
char *fabric_node_to_json(const struct fabric_node *n);
int fabric_node_from_json(const char *text, size_t len, struct fabric_node *ret, struct berr *e);
char *fabric_net_to_json(const struct fabric_net *n);
int fabric_net_from_json(const char *text, size_t len, struct fabric_net *ret, struct berr *e);
char *fabric_block_to_json(const struct fabric_block *b);
int fabric_block_from_json(const char *text, size_t len, struct fabric_block *ret, struct berr *e);

/* A network definition a user may create: subnet /8../28, host_prefix deeper than it and at most /30. */
int fabric_net_check(const struct fabric_net *n, struct berr *e);
/* Same definition (name, subnet, host prefix, mode; the VNI is etcd's choice). */
bool fabric_net_same(const struct fabric_net *a, const struct fabric_net *b);

/* How many blocks of host_prefix the subnet holds. */
uint32_t fabric_block_count(const struct fabric_net *n);
/* Block number i of the network. */
struct bcidr4 fabric_block_nth(const struct fabric_net *n, uint32_t i);
/*
 * A free block for node: the search starts at a slot a hash of the node's
 * name picks, so hosts joining together rarely try the same one, and goes
 * on in order, skipping the blocks in taken. -ENOSPC when all are taken.
 */
int fabric_block_pick(const struct fabric_net *n, const char *node, const struct bcidr4 *taken, size_t n_taken,
		      uint32_t skip, struct bcidr4 *ret);
