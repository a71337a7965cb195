/* The fabric's kernel state: the underlay, VXLAN devices, and per remote host a route, a neighbour, an FDB entry. */
/*
 * As flannel's vxlan backend: one VXLAN device per fabric network (learning
 * off, explicit port, a /32 address = its block's first address, and a /128
 * = its IPv6 block's first address on a dual-stack network), and for each
 * remote host's block exactly three entries, nothing learnt, nothing
 * flooded:
 *
 *   route  BLOCK via BLOCK.0 dev VX onlink proto FABRIC_RTPROT
 *   neigh  BLOCK.0 lladdr REMOTE_VTEP_MAC dev VX nud permanent
 *   fdb    REMOTE_VTEP_MAC dev VX dst REMOTE_UNDERLAY self permanent
 *
 * An IPv6 block of the same host gets its route (BLOCK6 via BLOCK6:: onlink)
 * and its neighbour (BLOCK6:: lladdr REMOTE_VTEP_MAC); the FDB entry is the
 * one of the host's IPv4 block: one device carries both families.
 * In host-gw mode only the route: BLOCK via REMOTE_UNDERLAY dev UNDERLAY
 * (an IPv4 block via an IPv6 underlay address: RTA_VIA, "via inet6"; an
 * IPv6 block over an IPv4 underlay via the peer's link-local address on
 * it, as Linux refuses an IPv6 route via an IPv4 gateway).
 * The underlay is IPv4 or IPv6 (IFLA_VXLAN_LOCAL6, FDB entries with an
 * IPv6 dst); a peer's underlay is always of this host's family.
 * Every change is a replace, so programming twice is the same as once;
 * fk_sync makes the kernel hold exactly a given set and touches nothing that
 * already matches, so live flows never notice a resync.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "netd/engine/engine.h"
#include "netd/engine/nlsock.h"
#include "netd/fabric/model.h"

/* berth's route protocol number for overlay routes (iproute2 shows "98" unless rt_protos names it). */
#define FABRIC_RTPROT ENG_RTPROT_FABRIC
/* VXLAN's own header, outer UDP, IP and Ethernet: what the overlay loses from the underlay MTU. */
#define FABRIC_VXLAN_OVERHEAD 50
/* The same over an IPv6 underlay: its header is 20 bytes longer. */
#define FABRIC_VXLAN_OVERHEAD6 70

static inline unsigned fk_vxlan_overhead(const struct fabric_ul *local)
{
	return local->is6 ? FABRIC_VXLAN_OVERHEAD6 : FABRIC_VXLAN_OVERHEAD;
}

struct fk_underlay {
	int ifindex;
	struct fabric_ul addr;
	unsigned mtu;
	char ifname[16];
	struct in6_addr ll; /* the link's link-local address (:: none): host-gw's IPv6 next hop over IPv4 */
};

/*
 * The underlay by address of either family (the link that has it) or by
 * interface name: family AF_INET its first IPv4 address, AF_INET6 its
 * first global IPv6 address (not link-local), AF_UNSPEC the IPv4 one when
 * it has one, else the IPv6 one.
 */
int fk_underlay_find(struct nlsock *ns, const char *spec, int family, struct fk_underlay *ret, struct berr *e);

struct fk_vxlan {
	const char *name;
	uint32_t vni;
	struct fabric_ul local; /* underlay address */
	int link;		/* underlay ifindex */
	uint16_t port;
	unsigned mtu;
	uint8_t mac[6];
	uint32_t addr;	       /* the block's first address, as /32 (0: none, an IPv6-only network) */
	struct in6_addr addr6; /* the IPv6 block's first address, as /128 (::, none) */
};

/*
 * A VTEP MAC that stays the same across restarts and re-creations:
 * 0e:<vni>:<IPv4 underlay address>, or 1e:<vni>:<FNV-1a of the 16 bytes
 * of the IPv6 underlay address> (both locally administered, unicast).
 */
void fk_vtep_mac(uint32_t vni, const struct fabric_ul *underlay, uint8_t mac[6]);

/*
 * Make the device exist as v says, up, with its address; re-created when
 * its VNI, port, local address, link or learning differ. *ret_created (may
 * be NULL) says it had to be made.
 */
int fk_vxlan_ensure(struct nlsock *ns, const struct fk_vxlan *v, int *ret_ifindex, bool *ret_created, struct berr *e);

/* One remote host's block (of either family) as the kernel carries it. */
struct fk_peer {
	bool is6;
	struct bcidr4 block;	   /* !is6 */
	struct bcidr6 block6;	   /* is6 */
	struct fabric_ul underlay; /* of the family of this host's */
	uint8_t mac[6];		   /* its VTEP (vxlan mode) */
	struct in6_addr ll;	   /* host-gw, an IPv6 block over an IPv4 underlay: the next hop (:: none) */
	bool fdb_shared;	   /* fk_peer_del leaves the FDB entry: another block of the host still uses it */
};

struct fk_target {
	int ifindex;	      /* the VXLAN device, or the underlay in host-gw mode */
	bool hostgw;	      /* plain routes via the underlay */
	struct bcidr4 scope;  /* the fabric network's subnet: only routes inside it are ours here (0: no IPv4) */
	struct bcidr6 scope6; /* its subnet6 (prefix 0: no IPv6; nothing IPv6 is looked at) */
};

int fk_peer_add(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *p, struct berr *e);
/* Remove what fk_peer_add made; already gone is fine. */
int fk_peer_del(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *p, struct berr *e);

struct fk_sync_report {
	size_t kept, added, removed;
};

/* Make the target hold exactly peers: what matches stays untouched, what is missing or differs is written. */
int fk_sync(struct nlsock *ns, const struct fk_target *t, const struct fk_peer *peers, size_t n,
	    struct fk_sync_report *ret, struct berr *e);
