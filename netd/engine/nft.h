/* nftables for berth: the tables "inet berth" and "bridge berth", built with libmnl + libnftnl. */
/*
 * "inet berth" does NAT and forwarding, "bridge berth" anti-spoofing on the
 * bridge ports. berth owns these tables alone and never reads or writes any other. Every
 * function below sends exactly one atomic batch (NFNL_MSG_BATCH_BEGIN ..
 * END) and waits for the kernel's acks, so a change either happens whole
 * or not at all; a failure's message carries the kernel's extended ack.
 *
 * The rules never change after the table is built: networks and published
 * ports are set and map elements, so publishing a port costs the same with
 * 10 or 10,000 ports already published (docs/nftables.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define NFT_TABLE_NAME "berth"

/* One netlink socket and its sequence numbers: use a context from one thread at a time. */
struct nft_ctx;

/* A network as nftables sees it. */
struct nft_network {
	char bridge[16];       /* bridge interface name */
	char tunnel[16];       /* "" or its fabric VXLAN device: one more of berth's ports, the bridge's twin */
	struct bcidr4 subnet;  /* host byte order; prefix 0: no IPv4 */
	bool masquerade;       /* SNAT traffic leaving the host other than through its bridge */
	bool internal;	       /* no traffic in or out except within the bridge */
	struct bcidr6 subnet6; /* prefix 0: no IPv6 */
	bool masquerade6;      /* masquerade for IPv6 */
	/*
	 * A fabric network's whole subnet (prefix 0: not one): traffic between
	 * it and the bridge's block keeps its addresses across the underlay too
	 * (host-gw mode), and only a block of the same network may send into
	 * the bridge from outside.
	 */
	struct bcidr4 fabric;
	struct bcidr6 fabric6; /* the same for IPv6 (prefix 0: not one) */
};

/* One published host port (ranges are expanded by the caller, one element per port and family). */
struct nft_port {
	uint32_t host_ip; /* 0: every local address */
	uint16_t host_port;
	enum bproto proto;
	uint32_t dest_ip; /* the container's address */
	uint16_t dest_port;
	bool v6;		  /* an IPv6 element: host_ip6 and dest_ip6 instead */
	struct in6_addr host_ip6; /* ::: every local IPv6 address but ::1 (docs/nftables.md) */
	struct in6_addr dest_ip6;
};

/*
 * An endpoint as the anti-spoofing check sees it (table bridge berth): what
 * may come out of its host-side veth is its own MAC and its own address.
 */
struct nft_endpoint {
	char ifname[16]; /* the host end of its veth pair, a port of the bridge */
	uint32_t ip;	 /* 0: no IPv4 (then it may send none) */
	uint8_t mac[6];
	struct in6_addr ip6; /* ::: no IPv6 (then it may send none) */
};

/* Open a NETLINK_NETFILTER socket in network namespace netns_fd (-1: the caller's own). */
int nft_open(int netns_fd, struct nft_ctx **ret, struct berr *e);
void nft_close(struct nft_ctx *ctx);
/* The context's socket (-1 when none), e.g. to hand a copy to a process that outlives this one. */
int nft_fd(const struct nft_ctx *ctx);

/*
 * Several state stores share berth's tables. Every element this context
 * adds carries owner (a store's name, at most 127 bytes) as its comment, and
 * a rebuild or a delete of the tables keeps the elements of other owners
 * for which alive (NULL: always true) says they still exist; elements
 * without an owner are anybody's and any rebuild drops them. owner NULL or
 * "": none. -EINVAL when too long.
 */
int nft_set_owner(struct nft_ctx *ctx, const char *owner, bool (*alive)(const char *owner));

/* Create the table with its sets, maps, chains and rules when it is missing; never flushes. */
int nft_ensure(struct nft_ctx *ctx, struct berr *e);

/*
 * Replace the table atomically (delete + create in one batch) with the base
 * layout plus exactly these networks, endpoints and ports. Used by reconcile.
 */
int nft_rebuild(struct nft_ctx *ctx, const struct nft_network *nets, size_t n_nets, const struct nft_endpoint *eps,
		size_t n_eps, const struct nft_port *ports, size_t n_ports, struct berr *e);

/* Remove the table (missing is fine). */
int nft_delete_table(struct nft_ctx *ctx, struct berr *e);

/* Add / remove one network's set elements. Removing tolerates missing elements. */
int nft_network_add(struct nft_ctx *ctx, const struct nft_network *net, struct berr *e);
int nft_network_del(struct nft_ctx *ctx, const struct nft_network *net, struct berr *e);

/*
 * Publish ports: one batch for all n. Fails with -EEXIST (nothing added)
 * when any (host_ip, proto, host_port) is already in the table.
 */
int nft_ports_add(struct nft_ctx *ctx, const struct nft_port *ports, size_t n, struct berr *e);
/* Unpublish: one batch; elements already gone are not an error. */
int nft_ports_del(struct nft_ctx *ctx, const struct nft_port *ports, size_t n, struct berr *e);

/*
 * An endpoint's anti-spoofing elements and its published ports, in one batch
 * (ep NULL: ports only). Adding fails as nft_ports_add does.
 */
int nft_endpoint_add(struct nft_ctx *ctx, const struct nft_endpoint *ep, const struct nft_port *ports, size_t n,
		     struct berr *e);
int nft_endpoint_del(struct nft_ctx *ctx, const struct nft_endpoint *ep, const struct nft_port *ports, size_t n,
		     struct berr *e);

/*
 * The fabric's VXLAN filter: UDP to a port in vxlan_ports is accepted only
 * from an underlay address in vxlan_peers4 (IPv4) or vxlan_peers6 (IPv6)
 * for that port (the input chain).
 * sync makes this owner's elements for port exactly peers (on false: none,
 * and the port is no longer filtered); peer adds or removes one. Other
 * owners' elements are left alone.
 */
int nft_vxlan_sync(struct nft_ctx *ctx, uint16_t port, bool on, const uint32_t *peers, size_t n,
		   const struct in6_addr *peers6, size_t n6, struct berr *e);
int nft_vxlan_peer(struct nft_ctx *ctx, uint16_t port, uint32_t peer, bool add, struct berr *e);
int nft_vxlan_peer6(struct nft_ctx *ctx, uint16_t port, const struct in6_addr *peer, bool add, struct berr *e);
/* The addresses in vxlan_peers4 (vxlan_peers6) for port, any owner's (tests, netctl). free(*ret). */
int nft_vxlan_peers_list(struct nft_ctx *ctx, uint16_t port, uint32_t **ret, size_t *ret_n, struct berr *e);
int nft_vxlan_peers6_list(struct nft_ctx *ctx, uint16_t port, struct in6_addr **ret, size_t *ret_n, struct berr *e);

/* Read back what the table holds (reconcile, netctl, tests); no table holds nothing. Caller frees *ret. */
int nft_ports_list(struct nft_ctx *ctx, struct nft_port **ret, size_t *ret_n, struct berr *e);
int nft_networks_list(struct nft_ctx *ctx, struct nft_network **ret, size_t *ret_n, struct berr *e);
