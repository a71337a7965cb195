/* netd's requests: a line parsed into a struct req, executed into a reply. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "netd/engine/engine.h"

/*
 * Parsing and validation of one request line into a typed request (no side
 * effects, unit-tested), and its execution on the engine into a reply
 * object. The protocol is docs/netd-protocol.md.
 */
enum req_op {
	REQ_PING,
	REQ_NETWORK_CREATE,
	REQ_NETWORK_RM,
	REQ_NETWORK_LS,
	REQ_NETWORK_INSPECT,
	REQ_ATTACH,
	REQ_DETACH,
	REQ_LS,
	REQ_INSPECT,
	REQ_PORTS,
	REQ_ROUTES,
	REQ_CHECK,
	REQ_GC,
	REQ_STATUS,
	REQ_RECONCILE,
	REQ_TEARDOWN,
	REQ_DNS,
	REQ_FABRIC,
	REQ_FABRIC_CREATE,
	REQ_FABRIC_RM,
	REQ_FABRIC_RESULT,
};

struct req {
	enum req_op op;
	json_t *json;		/* the parsed line; the strings below point into it */
	struct eng_network net; /* network.create */
	const char *name;	/* network.rm / inspect, status, gc: the network */
	const char *id;
	const char *network; /* attach (default: the configured default network), detach/ls/... filters */
	const char *ifname;
	const char *netns_path;
	uint32_t ip;
	struct in6_addr ip6;
	bool ip_external;
	bool has_mac;
	uint8_t mac[6];
	bool no_default_route;
	struct eng_route routes[ENG_MAX_ROUTES];
	size_t n_routes;
	struct bportspec *ports; /* malloc'd */
	size_t n_ports;
	struct eng_key *keep; /* gc, malloc'd */
	size_t n_keep;
	const char *dns_name; /* attach: "name" */
	const char *aliases[ENG_MAX_ALIASES];
	size_t n_aliases;
	unsigned host_prefix; /* fabric.network.create (0: default); name, net.subnet, net.subnet6 */
	unsigned host_prefix6;
	const char *mode; /* fabric.network.create: "vxlan" / "host-gw" (NULL: netd's default) */
	uint64_t ticket;  /* fabric.result */
};

/* Parse and validate one request line (without its newline). On success free with req_free. */
int req_parse(const char *line, size_t len, struct req *ret, struct berr *e);
void req_free(struct req *r);

/* A network definition as requests and the config file give it (defaults for what is absent). */
int req_parse_network(const json_t *j, const char *where, struct eng_network *ret, struct berr *e);

struct dns;
struct fabric;
struct proxy6;

struct req_ctx {
	struct eng *eng;
	const char *default_network;
	struct dns *dns;       /* NULL: netd serves no DNS (netd/daemon/dns.h) */
	struct fabric *fabric; /* NULL: this netd has not joined a fabric */
	struct proxy6 *proxy;  /* [::1] for published ports (NULL: none) */
};

/* Point the [::1] proxy at every endpoint's ports (after start-up, reconcile, GC). */
void req_proxy_sync(struct req_ctx *ctx);

/*
 * Execute a parsed request. fd is a namespace passed with the request
 * (SCM_RIGHTS; -1: none), borrowed. Returns the reply object; NULL only when
 * out of memory.
 */
json_t *req_exec(struct req_ctx *ctx, const struct req *r, int fd);

/* Parse + execute: the whole handling of one line (each request logged at debug level). */
json_t *req_handle(struct req_ctx *ctx, const char *line, size_t len, int fd);

/* {"ok":false,"error":{"code":"EINVAL","errno":22,"message":...}} */
json_t *req_error_reply(int code, const char *message);
/* {"ok":true,"result":result} (result reference stolen; NULL: no result key) */
json_t *req_ok_reply(json_t *result);

const char *req_op_name(enum req_op op);
