/* Links through rtnetlink: bridges, veth pairs, state, master, bridge-port mode, deletion. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "netd/engine/nlsock.h"

struct link_info {
	int ifindex;
	int master;	/* ifindex of the master (bridge), 0 when none */
	int link;	/* IFLA_LINK: a veth's peer (ifindex in the peer's namespace), 0 when none */
	unsigned flags; /* IFF_* */
	unsigned mtu;
	char name[16];
	char kind[16]; /* "bridge", "veth", ... ("" for devices without IFLA_INFO_KIND) */
	uint8_t mac[6];
};

/* Look a link up by name; -ENODEV when there is none. */
int link_get(struct nlsock *ns, const char *name, struct link_info *ret, struct berr *e);

/* Call cb for every link of the socket's namespace (one dump; nothing is cached). */
int link_dump(struct nlsock *ns, int (*cb)(const struct link_info *li, void *arg), void *arg, struct berr *e);

/* The links of the socket's namespace that keep() accepts (keep NULL: all), in one array; free(*ret). */
int link_list(struct nlsock *ns, bool (*keep)(const struct link_info *li), struct link_info **ret, size_t *ret_n,
	      struct berr *e);

/* Create a bridge, up, with this MTU and (when mac != NULL) a fixed MAC address. */
int link_bridge_create(struct nlsock *ns, const char *name, unsigned mtu, const uint8_t *mac, struct berr *e);

/*
 * Multicast snooping (IGMP/MLD) of a bridge. Without a querier on the network
 * a snooping bridge floods multicast anyway, and every port that comes up
 * makes it re-arm the multicast timers of every port: O(ports) per attach.
 */
int link_bridge_set_mcast_snooping(struct nlsock *ns, int ifindex, bool on, struct berr *e);

struct link_veth {
	const char *name;  /* host end */
	int master;	   /* bridge ifindex for the host end (0: none) */
	unsigned mtu;	   /* both ends */
	int peer_netns_fd; /* the peer is created directly in this namespace */
	const char *peer_name;
	const uint8_t *peer_mac; /* NULL: kernel's choice */
};

/* Create a veth pair, both ends down; the peer is born inside peer_netns_fd (IFLA_NET_NS_FD). */
int link_veth_create(struct nlsock *ns, const struct link_veth *v, struct berr *e);

/* Set/clear flags in mask (IFF_UP, IFF_PROMISC) and, when master >= 0, the master (0: none). */
int link_set(struct nlsock *ns, int ifindex, unsigned flags, unsigned mask, int master, struct berr *e);

/*
 * Bring a link (by ifindex, or by name when ifindex is 0) up with IPv6
 * address generation off (IFLA_INET6_ADDR_GEN_MODE none, in the same
 * message): no link-local address, hence no duplicate address detection,
 * router solicitation or MLD report, which a bridge floods to every port
 * (work on every endpoint for every new one). hairpin: also set the bridge
 * port's hairpin mode (IFLA_BRPORT_MODE as slave data), same message.
 */
int link_up_quiet(struct nlsock *ns, int ifindex, const char *name, bool hairpin, struct berr *e);

/* Hairpin mode of a bridge port (IFLA_BRPORT_MODE), so a frame may leave by the port it came in. */
int link_set_hairpin(struct nlsock *ns, int ifindex, bool on, struct berr *e);

/* Take a link down and off its master, then rename it (a link must be down to be renamed). */
int link_retire(struct nlsock *ns, int ifindex, const char *new_name, struct berr *e);

/* Delete a link by name; a missing link is success. */
int link_delete(struct nlsock *ns, const char *name, struct berr *e);
