/* The fabric across hosts: netd's agent that joins etcd, leases a block per network, and programs VXLAN peers. */
/*
 * One thread of its own (it never enters another namespace and never blocks
 * netd's epoll loop): registers the host under nodes/<name> on a short lease
 * it keeps alive, leases one block of every fabric network for the host on
 * a long lease kept across restarts and etcd outages, creates each fabric
 * network locally on that block (an engine network whose bridge is joined
 * by the network's VXLAN device), lists and watches everything under
 * /berth/v1/ and programs each remote host's block (netd/fabric/kernel.h).
 * A periodic resync rebuilds the kernel state from a full listing. Keys and
 * values: netd/fabric/model.h; docs/fabric.md.
 *
 * netd's request handlers call the functions below from the loop thread;
 * each returns at once (work for etcd is queued, its outcome polled).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "netd/fabric/model.h"

#define FABRIC_DEFAULT_VXLAN_PORT 4789
#define FABRIC_DEFAULT_NODE_TTL 10     /* s: a dead host's node key goes after this */
#define FABRIC_DEFAULT_BLOCK_TTL 86400 /* s: a dead host's blocks return to the pool after this */
#define FABRIC_DEFAULT_GRACE_MS 15000  /* peers keep a dead host's routes this long after its node key went */
#define FABRIC_DEFAULT_RESYNC_MS 60000 /* full listing and kernel rebuild */
#define FABRIC_DEFAULT_HOST_PREFIX 24

struct fabric_cfg {
	char **etcd; /* endpoints, NULL-terminated */
	size_t n_etcd;
	char *node;	/* this host's name (default: the hostname) */
	char *underlay; /* address or interface name */
	/* which address of an interface named by underlay: 0 its IPv4 one if it has one, else IPv6; 4; 6 */
	unsigned underlay_family;
	unsigned vxlan_port;
	char *mode; /* default mode of new networks: "vxlan" or "host-gw" */
	unsigned node_ttl_s, block_ttl_s;
	unsigned grace_ms, resync_ms;
	unsigned etcd_timeout_ms;
};

void fabric_cfg_free(struct fabric_cfg *c);

struct fabric;

/* Start the agent on the state store at state_dir; registration goes on in the background. */
int fabric_start(const struct fabric_cfg *cfg, const char *state_dir, int lock_timeout_ms, struct fabric **ret,
		 struct berr *e);
/* Stop the thread; the kernel state and the leases stay (a restart takes them over). */
void fabric_stop(struct fabric *f);

/*
 * Queue a fabric network's creation: name, subnet and/or subnet6 of def
 * (host_prefix, host_prefix6 0: the defaults; vni and mode ignored; mode
 * NULL: the configured one): *ret_ticket names it for fabric_result.
 */
int fabric_network_create(struct fabric *f, const struct fabric_net *def, const char *mode, uint64_t *ret_ticket,
			  struct berr *e);
/* Queue a fabric network's removal (everywhere: every host takes it down). */
int fabric_network_remove(struct fabric *f, const char *name, uint64_t *ret_ticket, struct berr *e);
/* List etcd again and rebuild the fabric's kernel and nftables state soon (after netd's reconcile). */
void fabric_resync(struct fabric *f);
/* A queued operation: 1 done (*ret_code 0 or a negative errno, msg its message), 0 still pending, -ENOENT unknown. */
int fabric_result(struct fabric *f, uint64_t ticket, int *ret_code, char *msg, size_t len);

/*
 * What the agent knows, as JSON (a new reference): this host, whether its
 * view is in sync, degraded (etcd unreachable), hosts with underlay, lease
 * state, last seen and blocks, networks with VNI and each host's block.
 */
json_t *fabric_status(struct fabric *f);
/* One network's part of the status (NULL: not a fabric network). */
json_t *fabric_network_status(struct fabric *f, const char *name);
/*
 * The host's overlay routes of a fabric network (protocol FABRIC_RTPROT,
 * inside its subnet) as a JSON array of {dst, gateway, dev, protocol, host,
 * underlay}, host being the node whose block the route carries; NULL: not
 * a fabric network (or the routes could not be read: e says why).
 */
json_t *fabric_network_routes(struct fabric *f, const char *name, struct berr *e);

/*
 * Names across hosts (docs/dns.md): the agent publishes this host's
 * entries of the names index on fabric networks (source "local") under
 * names/<network>/<node>/<id>/<ifname> on its short lease, and feeds the
 * entries other hosts published into the index, under the source
 * "fabric:<node>" (netd/engine/names.h). acquire returns the index locked,
 * release unlocks it; the agent never holds it across a call to etcd. The
 * index must outlive the fabric (fabric_stop first).
 */
struct names;
struct fabric_names_ops {
	struct names *(*acquire)(void *arg);
	void (*release)(void *arg);
	void *arg;
};
void fabric_names_connect(struct fabric *f, const struct fabric_names_ops *ops);
/* This host's entries may have changed: the agent publishes what differs soon. Any thread; never blocks. */
void fabric_names_changed(void *f);
