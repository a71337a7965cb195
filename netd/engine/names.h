/* The names index: which names and aliases stand for which addresses on which network (docs/dns.md). */
/*
 * An in-memory index that netd's DNS server answers from. Sources feed it
 * entries, one per endpoint: NAMES_SOURCE_LOCAL is this host's endpoint
 * records (netd's attach and detach, and a watch on the state store for
 * berth-cni's); another source, such as a multi-host fabric telling what
 * its peers attached, feeds entries under its own source name with
 * names_put / names_del / names_replace, and they resolve like local ones.
 *
 * Names compare without regard to case. Every operation is O(1) in the
 * number of entries, except names_replace and names_foreach (O(entries of
 * the network)). Not thread-safe: the caller serialises calls.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netd/engine/engine.h"

#define NAMES_SOURCE_LOCAL "local"

struct names;

/* One endpoint as a source describes it; names_put copies what it keeps. */
struct names_ep {
	const char *source; /* NAMES_SOURCE_LOCAL, or e.g. "fabric:<host>" */
	const char *network;
	const char *id;
	const char *ifname;
	const char *name; /* NULL: none */
	const char *const *aliases;
	size_t n_aliases;
	uint32_t ip4;	     /* host byte order; 0: none (an IPv6-only network) */
	struct in6_addr ip6; /* ::: none */
	/* the container's identity: endpoints in one network namespace are one container; 0/0 when remote */
	uint64_t netns_dev, netns_ino;
};

/* An endpoint record as a local entry (pointers into ep). */
void names_ep_from_endpoint(const struct eng_endpoint *ep, struct names_ep *ret);

int names_new(struct names **ret);
void names_free(struct names *nx);

/* Add the entry of (source, network, id, ifname), replacing the one there. 0 or -ENOMEM (the old one stays). */
int names_put(struct names *nx, const struct names_ep *ep);
/* Remove the entries of source that match network, id and ifname (NULL: any). Returns how many went. */
size_t names_del(struct names *nx, const char *source, const char *network, const char *id, const char *ifname);
/* Replace every entry of source on network with eps[] (a network read again). 0 or -ENOMEM. */
int names_replace(struct names *nx, const char *source, const char *network, const struct names_ep *eps, size_t n);
size_t names_count(const struct names *nx);

/*
 * The networks of the container that has address ip on network, network
 * first, at most max (pointers valid until the index changes). An address
 * of no known container gives network alone.
 */
size_t names_client_networks(const struct names *nx, const char *network, uint32_t ip, const char **ret, size_t max);
/* The same for the container that has IPv6 address ip on network. */
size_t names_client_networks6(const struct names *nx, const char *network, const struct in6_addr *ip, const char **ret,
			      size_t max);

/* The addresses name (len bytes, no trailing dot) stands for on network, distinct, at most max. */
size_t names_lookup4(const struct names *nx, const char *network, const char *name, size_t len, uint32_t *ret,
		     size_t max);
/* The same for the IPv6 addresses (entries of dual-stack and IPv6-only networks). */
size_t names_lookup6(const struct names *nx, const char *network, const char *name, size_t len, struct in6_addr *ret,
		     size_t max);
/* The name of address ip on network (an entry's name, else its first alias); NULL when none. */
const char *names_reverse4(const struct names *nx, const char *network, uint32_t ip);
/* The same for IPv6 address ip. */
const char *names_reverse6(const struct names *nx, const char *network, const struct in6_addr *ip);

/* Every entry of network (network NULL: all), in no particular order; stops at a negative return. */
int names_foreach(const struct names *nx, const char *network, int (*fn)(const struct names_ep *ep, void *arg),
		  void *arg);

/*
 * netd's DNS server says it serves a state store: <state_dir>/dns.json
 * ({"domain": ...}), locked while it runs, so that berth-cni (which
 * attaches without netd) can tell containers where to look names up. The
 * fd holds the lock; close it to stop advertising.
 */
#define NAMES_ADVERTISE_FILE "dns.json"
int names_advertise(const char *state_dir, const char *domain, int *ret_fd, struct berr *e);
/* 1 when a live netd serves DNS for state_dir (*ret_domain: its domain, malloc'd, or NULL), else 0. */
int names_served(const char *state_dir, char **ret_domain);
