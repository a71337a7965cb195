/* Internals of the fabric agent shared by agent.c (the thread, etcd) and fabric.c (API, local networks, status). */
#pragma once

#include <pthread.h>
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
	uint32_t underlay;
	int64_t started;
	bool alive;
	bool expired;	   /* gone longer than the grace period: its entries are removed */
	long long gone_ms; /* monotonic: when its node key went */
	time_t seen;	   /* wall clock: last seen alive */
	bool mark;
};

struct f_block {
	char net[FABRIC_NAME_MAX + 1];
	struct bcidr4 block;
	struct fabric_block val;
	int64_t lease;
	bool programmed;
	bool mark;
};

struct f_net {
	struct fabric_net def;
	bool have_block; /* this host's block */
	struct bcidr4 block;
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
	time_t synced_at;
	char last_err[BERR_MSG_MAX];
	struct f_node *nodes;
	size_t n_nodes, cap_nodes;
	struct f_block *blocks;
	size_t n_blocks, cap_blocks;
	struct f_net *nets;
	size_t n_nets, cap_nets;
};

struct f_node *ag_node(struct fabric *f, const char *name, bool create);
struct f_net *ag_net(struct fabric *f, const char *name);
long long ag_block_ka_ms(const struct fabric *f);
int ag_thread_start(struct fabric *f, struct berr *e);

/* fabric.c */
bool ag_stopping(struct fabric *f);
/* Run the queued requests (agent thread). */
void ag_requests(struct fabric *f);
/* Rebuild the status snapshot netd's thread reads. */
void ag_publish(struct fabric *f);
/* The network here on this host's block: engine network, bridge, VXLAN device. */
int ag_local_ensure(struct fabric *f, struct f_net *n, struct berr *e);
/* Take it down here: -EBUSY while it has endpoints. */
int ag_local_remove(struct fabric *f, struct f_net *n, struct berr *e);
/* Create / remove a fabric network in etcd and here (agent thread). */
int ag_network_create(struct fabric *f, const struct fabric_net *def, struct berr *e);
int ag_network_remove(struct fabric *f, const char *name, struct berr *e);
