/* Internals of the fabric agent: agent.c (the thread, etcd), agent_state.c, local.c, status.c, names.c; fabric.c (the
 * API) on top. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "netd/engine/engine.h"
#include "netd/fabric/etcd.h"
#include "netd/fabric/fabric.h"
#include "netd/fabric/kernel.h"
#include "netd/fabric/model.h"

struct f_node {
	char name[FABRIC_NAME_MAX + 1];
	struct fabric_ul underlay;
	int64_t started;
	bool alive;
	bool expired;	   /* gone longer than the grace period: its entries are removed */
	long long gone_ms; /* monotonic: when its node key went */
	time_t seen;	   /* wall clock: last seen alive */
	bool mark;
};

struct f_block {
	char net[FABRIC_NAME_MAX + 1];
	struct fabric_blk block; /* IPv4 or IPv6 */
	struct fabric_block val;
	int64_t lease;
	bool programmed;
	bool skipped; /* its underlay is of the other family than this host's: never programmed */
	bool mark;
};

struct f_net {
	struct fabric_net def;
	bool have_block; /* this host's block */
	struct bcidr4 block;
	bool have_block6; /* this host's IPv6 block (a network with a subnet6) */
	struct bcidr6 block6;
	bool local_ok; /* the engine network and device are there */
	int ifindex;   /* the VXLAN device */
	char dev[16];
	unsigned mtu;
	bool mark;
};

enum f_req_op { F_REQ_CREATE, F_REQ_REMOVE };

#define F_MAX_REQS 64

struct f_req {
	uint64_t ticket;
	enum f_req_op op;
	bool taken, done;
	int code;
	char msg[BERR_MSG_MAX];
	struct fabric_net def; /* create: vni 0 */
};

struct fabric {
	struct fabric_cfg cfg; /* a copy */
	char *state_dir;
	int64_t started;

	/* shared with netd's loop thread, under mu */
	pthread_mutex_t mu;
	bool stop;
	bool resync; /* fabric_resync: list again */
	struct f_req reqs[F_MAX_REQS];
	size_t n_reqs;
	uint64_t next_ticket;
	json_t *status;
	int wake_fd; /* eventfd: a request or stop */
	pthread_t thread;
	bool thread_started;

	/* the agent thread's own */
	struct etcd *etcd;
	struct etcd_watch *watch;
	struct eng *eng;
	struct nlsock *nl;
	struct fk_underlay ul;
	bool have_ul;
	int64_t node_lease, block_lease;
	long long node_ka_at, block_ka_at, resync_at, retry_at;
	bool online, degraded, relist, state_dirty, status_dirty;
	int64_t rev;
	int64_t watch_next;   /* a broken watch resumes here: the last event's revision (again, idempotent) */
	long long resumed_at; /* monotonic ms: the last resume (a stream that keeps breaking is listed again) */
	time_t synced_at;
	char last_err[BERR_MSG_MAX];
	struct f_node *nodes;
	size_t n_nodes, cap_nodes;
	struct f_block *blocks;
	size_t n_blocks, cap_blocks;
	struct f_net *nets;
	size_t n_nets, cap_nets;

	/* names across hosts (names.c) */
	struct fabric_names_ops names_ops; /* under mu; acquire NULL: not connected */
	atomic_bool names_dirty;	   /* this host's entries changed since the last publish */
	struct f_names *names;		   /* the agent thread's */
};

/* agent_state.c: lookups, and the flags netd's thread sets */
struct f_node *ag_node(struct fabric *f, const char *name, bool create);
struct f_net *ag_net(struct fabric *f, const char *name);
bool ag_stopping(struct fabric *f);
/* Was a resync asked for since the last call? */
bool ag_resync_asked(struct fabric *f);

/* local.c: the network here on this host's block: engine network, bridge, VXLAN device */
int ag_local_ensure(struct fabric *f, struct f_net *n, struct berr *e);
/* Take it down here: -EBUSY while it has endpoints. */
int ag_local_remove(struct fabric *f, struct f_net *n, struct berr *e);

/* status.c: rebuild the status snapshot netd's thread reads */
void ag_publish(struct fabric *f);

/* agent.c */
long long ag_block_ka_ms(const struct fabric *f);
int ag_thread_start(struct fabric *f, struct berr *e);
/* Run the queued requests (agent thread). */
void ag_requests(struct fabric *f);
/* Create / remove a fabric network in etcd and here (agent thread). */
int ag_network_create(struct fabric *f, const struct fabric_net *def, struct berr *e);
int ag_network_remove(struct fabric *f, const char *name, struct berr *e);

/* names.c: names across hosts, keys FABRIC_NAMES_PREFIX<network>/<node>/<id>/<ifname> (docs/fabric.md). */
#define FABRIC_NAMES_PREFIX FABRIC_PREFIX "names/"
/* A full listing: this host's published keys as etcd has them, other hosts' entries into the index. -ENOMEM. */
int ag_names_listed(struct fabric *f, const struct etcd_kvs *kvs);
/* Make etcd hold exactly this host's entries on fabric networks, on the node lease (clears names_dirty). */
int ag_names_publish(struct fabric *f, struct berr *e);
/* A watch event of a key under FABRIC_NAMES_PREFIX (others: 0, ignored). */
int ag_names_event(struct fabric *f, const struct etcd_event *ev);
/* A fabric network went: other hosts' entries of it leave the index. */
void ag_names_net_gone(struct fabric *f, const char *network);
void ag_names_free(struct fabric *f);
