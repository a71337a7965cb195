/* netd's proxy for published ports on [::1]: what nftables cannot route (docs/nftables.md). */
/*
 * IPv4 reaches a published port on 127.0.0.1 by DNAT and route_localnet on
 * the bridge. IPv6 has no route_localnet: a connection from ::1 DNATed to a
 * container goes out, but the answer, turned back to ::1 before routing, is
 * dropped as a martian on the way in (a packet to the loopback address
 * arriving on another interface, ip6_rcv_core). So nftables never DNATs
 * ::1, and netd listens there instead: for every port an endpoint publishes
 * on every IPv6 address (or on ::1 by name), a socket on [::1]:PORT relays
 * TCP connections and UDP datagrams to the container's IPv6 address. The
 * container sees the bridge's address as the peer, as with 127.0.0.1.
 *
 * One worker thread relays; the callers (netd's request handler) add and
 * remove endpoints. A port another program already holds on [::1] is left
 * to it, with a warning. berth-cni, without a daemon, has no such proxy.
 */
#pragma once

#include <stddef.h>

#include "err.h"
#include "netd/engine/engine.h"

struct proxy6;

int proxy6_start(struct proxy6 **ret, struct berr *e);
/* Stop the worker and close every socket; NULL is fine. */
void proxy6_stop(struct proxy6 *p);

/* Listen for ep's ports that cover [::1] (the ones published on every IPv6 address or on ::1). */
void proxy6_add(struct proxy6 *p, const struct eng_endpoint *ep);
/* Stop listening for the endpoints of id (network, ifname NULL: any). */
void proxy6_remove(struct proxy6 *p, const char *network, const char *id, const char *ifname);
/* Exactly these endpoints' ports (start-up, reconcile, GC). */
void proxy6_sync(struct proxy6 *p, const struct eng_endpoint *eps, size_t n);
/* How many ports are listened on (tests, logs). */
size_t proxy6_count(struct proxy6 *p);
