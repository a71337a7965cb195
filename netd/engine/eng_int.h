/* Internals shared by the engine's files (engine.c, network.c, endpoint.c, reconcile.c). */
#pragma once

#include "netd/engine/engine.h"
#include "netd/engine/ipam.h"
#include "netd/engine/ipam6.h"
#include "netd/engine/nft.h"
#include "netd/engine/nlsock.h"
#include "netd/engine/reaper.h"
#include "netd/engine/store.h"

struct eng {
	struct store st;
	struct nlsock *host;	    /* rtnetlink in the engine's own namespace, opened on first use */
	struct nft_ctx *nft;	    /* opened on first use */
	struct nft_ctx *nft_fabric; /* the fabric's elements, under an owner of their own; opened on first use */
	struct reaper *reaper;	    /* NULL unless defer_link_removal */
	bool handoff;		    /* handoff_link_removal */
	char (*retired)[16];	    /* links retired for the hand-off at eng_close */
	size_t n_retired, cap_retired;
	int procfs; /* eng_procfs: a private procfs (-1: none yet) */
	unsigned procfs_uses;
	bool procfs_none; /* the kernel refused one: /proc it is */
};

/*
 * A directory to write sysctls of other namespaces through (relative paths
 * "sys/net/..."; bns_procfs): a private procfs replaced every
 * ENG_PROCFS_USES uses, the old one unmounted by the reaper thread. -1 (use
 * "/proc/sys/...") for an engine without a reaper (a one-shot process writes
 * once) or a kernel without fsopen.
 */
#define ENG_PROCFS_USES 64
int eng_procfs(struct eng *eng);

/*
 * True when fd is the endpoint's recorded network namespace: device and
 * inode, and the cookie when the record has one (an inode number is reused
 * as soon as its namespace is gone; a cookie never is).
 */
bool eng_netns_matches(int fd, const struct eng_endpoint *ep);
/* The SO_NETNS_COOKIE of network namespace nsfd; -errno (-ENOPROTOOPT before Linux 5.14). */
int eng_netns_cookie(int nsfd, uint64_t *ret);

/* Queue a retired link (handoff) for eng_close; -ENOMEM when it cannot be queued. */
int eng_retired_add(struct eng *eng, const char *name);

int eng_host(struct eng *eng, struct nlsock **ret, struct berr *e);
int eng_nft(struct eng *eng, struct nft_ctx **ret, struct berr *e);

void eng_nft_network(const struct eng_network *n, struct nft_network *ret);
void eng_nft_endpoint(const struct eng_endpoint *ep, struct nft_endpoint *ret);
/* How many host ports the endpoint's port specs cover (ranges expanded). */
size_t eng_host_port_count(const struct eng_endpoint *ep);
/* The map elements of an endpoint's ports, ranges expanded, one per port and family. free(*ret). */
int eng_nft_ports(const struct eng_endpoint *ep, struct nft_port **ret, size_t *ret_n);
/* The same element (family, addresses, protocol, ports). */
bool eng_nft_port_eq(const struct nft_port *a, const struct nft_port *b);

/* Validate a network definition and fill in defaults. */
int net_normalize(struct eng_network *n, struct berr *e);
/*
 * Bring a network's kernel side to what its definition says: bridge (created
 * when missing), up, gateway address, sysctls, nftables sets. Caller holds
 * the network lock.
 */
int net_kernel_ensure(struct eng *eng, const struct eng_network *n, int *ret_bridge_ifindex, bool *ret_created,
		      struct berr *e);
void net_ipam_def(const struct eng_network *n, struct ipam_def *ret);
void net_ipam6_def(const struct eng_network *n, struct ipam6_def *ret);
/* Rewrite the network's allocation files (of the families it has) from these endpoints. */
int net_ipam_rebuild(struct eng *eng, const struct eng_network *n, const struct eng_endpoint *eps, size_t n_eps,
		     struct berr *e);

/*
 * Create the veth pair into nsfd and configure both ends (caller holds the
 * network lock). On failure nothing is left.
 */
int ep_kernel_setup(struct eng *eng, const struct eng_network *n, const struct eng_endpoint *ep, int nsfd,
		    int bridge_ifindex, struct berr *e);
/*
 * Remove what an endpoint owns: map elements, veth, port claims, address,
 * record. Tolerates every piece being gone already. On an error the record
 * stays, marked removing, for reconcile to finish.
 */
int ep_teardown(struct eng *eng, const struct eng_network *n, struct eng_endpoint *ep, bool skip_nft, struct berr *e);
