/* netd's DNS server: names that follow containers, on every network's gateway (docs/dns.md). */
/*
 * A thread of its own, in the host's network namespace (it never enters
 * another), with its own epoll loop: on each network whose gateway is on
 * its bridge, a UDP and a TCP socket on each gateway address (IPv4 and
 * IPv6) port 53, bound to the bridge.
 * A query from a container on that bridge, from that bridge's subnet, is
 * answered from the names index (netd/engine/names.h) for the networks
 * that container is on; anything else is relayed to the host's
 * nameservers (resolv.conf), except on internal networks. Queries from
 * anywhere else get nothing.
 *
 * The index is fed by netd's attach and detach (dns_endpoint_attached /
 * _detached, before the reply goes out), by an inotify watch on the state
 * store (berth-cni's attaches, reconcile, GC), and by any other source
 * through dns_names_acquire (the hook for a multi-host fabric).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "netd/engine/engine.h"
#include "netd/engine/names.h"

struct dns_opts {
	const char *state_dir;
	const char *domain; /* NULL: none */
	unsigned ttl;
	const char *resolv_conf;
	int upstream_timeout_ms;
	unsigned port;
};

struct dns;

/* Index the store, bind on every network that has a gateway on its bridge, and start the thread. */
int dns_start(const struct dns_opts *o, struct dns **ret, struct berr *e);
/* Stop the thread and close everything (NULL is fine). */
void dns_stop(struct dns *d);

/* The attach and detach path: the index changes before the reply is sent (d NULL: nothing). */
void dns_endpoint_attached(struct dns *d, const struct eng_endpoint *ep);
void dns_endpoint_detached(struct dns *d, const char *network, const char *id, const char *ifname);
/* A network was created or removed: bind or unbind now rather than at the next look. */
void dns_networks_changed(struct dns *d);

/*
 * {"nameservers":[GATEWAY, GATEWAY6],"search":[NETWORK(, DOMAIN)]} for a
 * container on n (each gateway n has, IPv4 first); NULL when n has no DNS.
 */
json_t *dns_client_config(const struct dns *d, const struct eng_network *n);

/*
 * netctl dns: {"network","gateway","gateway6","domain","forwarding","ttl",
 * "names":[{"name","address","address6","id","ifname","alias","source"}...]}.
 */
json_t *dns_names_json(struct dns *d, const struct eng_network *n);

/*
 * The index, locked, for another source of names to feed (names_put /
 * names_del / names_replace under a source name of its own); then
 * dns_names_release. Hold it briefly: queries wait meanwhile.
 */
struct names *dns_names_acquire(struct dns *d);
void dns_names_release(struct dns *d);

/*
 * fn(arg) is called, with the index locked, whenever this host's entries
 * may have changed (netd's attach and detach, the store's watch), from
 * whichever thread changed them: it must return at once (the fabric only
 * wakes its agent). fn NULL: no more calls once this returns.
 */
void dns_on_local_change(struct dns *d, void (*fn)(void *arg), void *arg);
