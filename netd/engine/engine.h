/* berth's network engine: the API of libberthengine.a. */
/*
 * Networks (a bridge, a subnet, NAT policy), endpoints (a veth pair into a
 * container's network namespace with an address, routes and published ports),
 * IPAM, reconcile and GC.
 *
 * Linked by netd (served over its socket), by berth-cni (called in-process, no
 * daemon needed) and by tests. Every call takes the state store's file locks
 * itself, so any number of processes may use one state directory at once (lock
 * order and layout: docs/netd.md). No call ever moves the calling thread into
 * another namespace.
 *
 * IPv4 addresses are in host byte order (uint32_t), IPv6 addresses are
 * struct in6_addr (:: meaning none). A network has an IPv4 subnet, an IPv6
 * subnet or both, and its endpoints get an address of each family it has.
 * Functions return 0 (or a count) or a negative errno with a message in e; a
 * failed call leaves nothing behind.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "err.h"

#define ENG_NAME_MAX 64 /* network names: bname_valid(name, ENG_NAME_MAX) */
#define ENG_ID_MAX 128	/* container ids: bname_valid(id, ENG_ID_MAX) */
#define ENG_DEFAULT_STATE_DIR "/var/lib/berth"
#define ENG_DEFAULT_LOCK_TIMEOUT_MS 10000
#define ENG_DEFAULT_MTU 1500
#define ENG_DEFAULT_IFNAME "eth0"
#define ENG_MAX_PORTS 4096 /* published host ports per endpoint, ranges expanded */
#define ENG_MAX_ROUTES 64  /* extra routes per endpoint */
/* Who manages an endpoint: netd (and the runtime, which attaches through netd), or berth-cni for one network. */
#define ENG_OWNER_NETD "netd"
#define ENG_OWNER_CNI "cni:" /* followed by the network's name */
#define ENG_OWNER_MAX (4 + ENG_NAME_MAX + 1)
#define ENG_DNS_NAME_MAX BDNS_NAME_MAX /* an endpoint's name or alias: bdns_name_valid */
#define ENG_MAX_ALIASES 32	       /* aliases per endpoint */

struct eng;

struct eng_opts {
	const char *state_dir; /* NULL: ENG_DEFAULT_STATE_DIR (created 0700 when missing) */
	int lock_timeout_ms;   /* 0: ENG_DEFAULT_LOCK_TIMEOUT_MS; < 0: wait forever */
	/*
	 * Long-lived users (netd): detach takes the veth off the bridge and
	 * renames it, and a worker thread deletes it afterwards, so the kernel's
	 * slow netdev unregistration stays off the request path (netd/reaper.h).
	 * One-shot users (berth-cni) leave it false: the deletion happens inline.
	 */
	bool defer_link_removal;
	/*
	 * One-shot users (berth-cni): detach retires the pair at once (the host
	 * end down, off the bridge and renamed "bx...", the container end down
	 * and renamed the same inside its namespace, so both names are free
	 * again) and eng_close hands the deletions to a detached process
	 * (netd/reaper.h), so the caller's answer does not wait for the kernel.
	 * A pair whose namespace cannot be reached is deleted inline.
	 */
	bool handoff_link_removal;
};

int eng_open(const struct eng_opts *opts, struct eng **ret, struct berr *e);
void eng_close(struct eng *eng);
const char *eng_state_dir(const struct eng *eng);

/* ------------------------------------------------------------------ networks */

struct eng_network {
	char name[ENG_NAME_MAX + 1];
	char bridge[16];
	struct bcidr4 subnet;			  /* prefix 0: no IPv4 */
	uint32_t gateway;			  /* 0 in a request: the subnet's first address */
	uint32_t range_start, range_end;	  /* automatic allocation range, inclusive; 0/0: the whole subnet */
	struct bcidr6 subnet6;			  /* prefix 0: no IPv6 */
	struct in6_addr gateway6;		  /* :: in a request: the subnet's first address */
	struct in6_addr range6_start, range6_end; /* ::/:: the whole subnet (netd/engine/ipam6.h: a window of it) */
	unsigned mtu;				  /* 0 in a request: ENG_DEFAULT_MTU */
	bool masquerade;			  /* SNAT traffic leaving the subnet other than by its bridge */
	bool masquerade6;			  /* the same for IPv6 (default: for ULA fd00::/8 subnets) */
	bool internal;				  /* nothing leaves the host; no default route, no published ports */
	bool gateway_on_bridge;			  /* the gateway address lives on the bridge (CNI isGateway) */
	bool hairpin;				  /* hairpin mode on every port (a container reaches its own ports) */
	bool promisc;				  /* bridge in promiscuous mode (CNI promiscMode) */
	bool adopted;				  /* filled by the engine: the bridge existed before the network */
	/*
	 * A fabric network's VXLAN device ("" none): traffic between it and the
	 * bridge is the network's own (forward, no masquerade); netd/fabric/.
	 */
	char tunnel[16];
	/* A fabric network's whole subnet (prefix 0: none), of which subnet is this host's block. */
	struct bcidr4 fabric_subnet;
	struct bcidr6 fabric_subnet6; /* the same for IPv6 (prefix 0: none), of which subnet6 is the host's block */
};

/* A definition with berth's defaults: masquerade, gateway on bridge, hairpin, bridge = name. */
void eng_network_init(struct eng_network *n, const char *name);

static inline bool eng_network_has4(const struct eng_network *n)
{
	return n->subnet.prefix != 0;
}
static inline bool eng_network_has6(const struct eng_network *n)
{
	return n->subnet6.prefix != 0;
}

/*
 * Create the network, or make sure the existing one is whole (bridge up with
 * its address, sysctls, nftables sets). Idempotent: an existing network with
 * the same definition is success; a different one is -EEXIST naming the
 * difference. An existing bridge is adopted when it has no other address; a
 * subnet overlapping another network or a host address is refused.
 * *ret (may be NULL) gets the stored definition.
 */
int eng_network_ensure(struct eng *eng, const struct eng_network *req, struct eng_network *ret, struct berr *e);

/* Remove a network without endpoints (-EBUSY otherwise): nftables sets, bridge (unless adopted), state. */
int eng_network_remove(struct eng *eng, const char *name, struct berr *e);

/*
 * Remove berth's nftables table once no network is left (uninstalling, or
 * the end of `make demo`): -EBUSY naming the networks otherwise. A later
 * network create builds the table again.
 */
int eng_teardown(struct eng *eng, struct berr *e);

int eng_network_get(struct eng *eng, const char *name, struct eng_network *ret, struct berr *e);
/* Every network, sorted by name; free(*ret). */
int eng_network_list(struct eng *eng, struct eng_network **ret, size_t *ret_n, struct berr *e);

struct eng_status {
	size_t capacity;  /* IPv4 addresses the allocator may hand out (0: no IPv4) */
	size_t used;	  /* IPv4 addresses in use (endpoints, requested and external included) */
	size_t capacity6; /* IPv6: the same, of the allocation window (0: no IPv6) */
	size_t used6;
	size_t endpoints;
	bool bridge_up;
};
/* Can an attach succeed? -ENOSPC when a pool is exhausted, -ENODEV when the bridge is gone. */
int eng_status(struct eng *eng, const char *network, struct eng_status *ret, struct berr *e);

/* ------------------------------------------------------------------ endpoints */

struct eng_route {
	struct bcidr4 dst; /* IPv4 */
	uint32_t gw;	   /* 0: the network's gateway */
	bool v6;	   /* an IPv6 route: dst6 via gw6 instead */
	struct bcidr6 dst6;
	struct in6_addr gw6; /* ::: the network's IPv6 gateway */
};

enum eng_ep_state {
	ENG_EP_PENDING = 0, /* being attached; reconcile removes it */
	ENG_EP_COMPLETE,
	ENG_EP_REMOVING, /* being detached; reconcile finishes it */
};

struct eng_endpoint {
	char network[ENG_NAME_MAX + 1];
	char id[ENG_ID_MAX + 1];
	char ifname[16];      /* inside the container */
	char host_ifname[16]; /* host end of the veth pair, on the bridge */
	char *netns_path;     /* malloc'd; NULL when the namespace came as an fd only */
	uint64_t netns_dev, netns_ino;
	uint64_t netns_cookie; /* SO_NETNS_COOKIE, never reused (unlike the inode); 0: unknown (Linux < 5.14) */
	uint32_t ip;	       /* 0: no IPv4 */
	uint8_t prefix;
	uint32_t gateway;    /* 0: none */
	struct in6_addr ip6; /* ::: no IPv6 */
	uint8_t prefix6;
	struct in6_addr gateway6; /* ::: no IPv6 default route */
	bool ip_external;	  /* allocated by a delegated IPAM plugin */
	uint8_t mac[6];
	unsigned mtu;
	bool default_route;
	struct eng_route *routes; /* malloc'd */
	size_t n_routes;
	struct bportspec *ports; /* malloc'd */
	size_t n_ports;
	enum eng_ep_state state;
	int64_t created;	       /* unix time */
	char owner[ENG_OWNER_MAX + 1]; /* ENG_OWNER_NETD or ENG_OWNER_CNI "<network>"; "" in older records */
	char *name;		       /* malloc'd; NULL: none. netd's DNS answers it on the network (docs/dns.md) */
	char **aliases;		       /* malloc'd, each too */
	size_t n_aliases;
};

/* Free what an endpoint owns (not the struct itself). */
void eng_endpoint_clear(struct eng_endpoint *ep);
/* Free an array of endpoints and their contents. */
void eng_endpoints_free(struct eng_endpoint *eps, size_t n);

struct eng_attach {
	const char *network;
	const char *id;
	const char *ifname;	/* NULL: ENG_DEFAULT_IFNAME */
	int netns_fd;		/* the container's network namespace (required) */
	const char *netns_path; /* optional: recorded, so reconcile can find the namespace again */
	uint32_t ip;		/* 0: allocate (when the network has IPv4) */
	struct in6_addr ip6;	/* ::: allocate (when the network has IPv6) */
	bool ip_external;	/* ip / ip6 were allocated elsewhere (delegated IPAM); still checked for conflicts */
	const uint8_t *mac;	/* NULL: 0a:58 followed by the IPv4 address (else the IPv6 one's last 4 bytes) */
	bool no_default_route;	/* CNI: isDefaultGateway false */
	const struct eng_route *routes;
	size_t n_routes;
	const struct bportspec *ports;
	size_t n_ports;
	const char *owner; /* NULL: ENG_OWNER_NETD */
	const char *name;  /* NULL: none; else bdns_name_valid */
	const char *const *aliases;
	size_t n_aliases;
};

/*
 * Attach a container: allocate (or check) the addresses, create the veth pair
 * with its peer born in the namespace, configure lo, the interface, addresses
 * and routes inside, put the host end on the bridge with hairpin, claim and
 * publish the ports. -EEXIST when (id, ifname) is attached to the network,
 * -EADDRINUSE (naming the owner) for a taken address or host port. *ret
 * (may be NULL) gets the endpoint.
 */
int eng_attach(struct eng *eng, const struct eng_attach *req, struct eng_endpoint *ret, struct berr *e);

/*
 * Detach what attach made. network NULL: every network; ifname NULL: every
 * interface of id. Already-gone pieces (namespace deleted, veth gone) are
 * fine. *ret_n (may be NULL) gets the number of endpoints removed (0 is not
 * an error).
 */
int eng_detach(struct eng *eng, const char *network, const char *id, const char *ifname, size_t *ret_n, struct berr *e);

/* CNI CHECK: the endpoint is complete and the kernel matches it (netns_fd < 0: find the namespace). */
int eng_check(struct eng *eng, const char *network, const char *id, const char *ifname, int netns_fd, struct berr *e);

/* Endpoints (network / id NULL: all), sorted by network, id, ifname. Free with eng_endpoints_free. */
int eng_endpoint_list(struct eng *eng, const char *network, const char *id, struct eng_endpoint **ret, size_t *ret_n,
		      struct berr *e);

struct eng_key {
	const char *id;
	const char *ifname;
};

/*
 * CNI GC: detach every endpoint of network that berth-cni attached to it
 * (owner ENG_OWNER_CNI "<network>") and is not in keep[], then drop leftovers
 * of crashed attaches (pending records, leaked leases, stale port claims and
 * map elements) of that network. Endpoints of other owners (netd's, the
 * runtime's, and records older than owners) are left alone. *ret_removed
 * (may be NULL) counts endpoints.
 */
int eng_gc(struct eng *eng, const char *network, const struct eng_key *keep, size_t n_keep, size_t *ret_removed,
	   struct berr *e);

struct eng_reconcile_report {
	size_t networks;
	size_t bridges_created;
	size_t endpoints_kept;
	size_t endpoints_repaired; /* host side re-attached or veth re-created */
	size_t endpoints_dropped;  /* namespace gone, or left pending / removing by a crash */
	size_t links_removed;	   /* orphaned veths of berth's bridges */
	size_t ports;		   /* published host ports after the rebuild */
};

/*
 * Make the kernel match the records: re-create missing bridges, drop
 * endpoints whose namespace is gone or that a crash left pending, repair
 * live ones, rebuild the allocation bitmaps, port claims and the nftables
 * table. Takes every lock (global, then each network) for its duration.
 */
int eng_reconcile(struct eng *eng, struct eng_reconcile_report *ret, struct berr *e);

/*
 * The fabric's VXLAN filter (netd/fabric/, docs/fabric.md): UDP to port
 * is accepted only from the underlay addresses in peers (IPv4) and peers6
 * (IPv6). The elements are
 * the store's fabric's own ("fabric <store>"), so the store's rebuilds
 * keep them. sync: exactly these (on false: none, the port unfiltered);
 * peer: one added or removed.
 */
int eng_vxlan_sync(struct eng *eng, uint16_t port, bool on, const uint32_t *peers, size_t n,
		   const struct in6_addr *peers6, size_t n6, struct berr *e);
int eng_vxlan_peer(struct eng *eng, uint16_t port, uint32_t peer, bool add, struct berr *e);
int eng_vxlan_peer6(struct eng *eng, uint16_t port, const struct in6_addr *peer, bool add, struct berr *e);

/* berth's route protocol number for the fabric's overlay routes (netd/fabric/kernel.h). */
#define ENG_RTPROT_FABRIC 98

/* ------------------------------------------------------------------ inspection */

struct eng_nsroute {
	int family;	  /* AF_INET / AF_INET6 */
	char dst[48];	  /* "default" or "prefix/len" */
	char gateway[48]; /* "" when none */
	char prefsrc[48];
	char dev[16];
	uint32_t table;
	uint8_t scope, protocol, type;
	uint32_t metric;
};

/* Every route of every table inside the network namespace nsfd, read through netlink. free(*ret). */
int eng_netns_routes(int nsfd, struct eng_nsroute **ret, size_t *ret_n, struct berr *e);

/*
 * Open the network namespace of an endpoint: its recorded path when that
 * still names the same namespace, else a process found in it (/proc).
 * -ESRCH when the namespace is gone.
 */
int eng_endpoint_netns(const struct eng_endpoint *ep, int *ret_fd, struct berr *e);

/* Names for route fields ("main", "kernel", "link"...); numbers when unknown. buf >= 16 bytes. */
const char *eng_route_table_name(uint32_t table, char *buf, size_t len);
const char *eng_route_proto_name(uint8_t proto, char *buf, size_t len);
const char *eng_route_scope_name(uint8_t scope, char *buf, size_t len);

/* The host-side veth name for an endpoint: "bv" + 12 hex digits of a hash of (network, id, ifname). */
void eng_host_ifname(const char *network, const char *id, const char *ifname, char buf[16]);

/*
 * Failure injection for crash tests: when $BERTH_FAILPOINT equals name the
 * process kills itself with SIGKILL at that point (a kill -9 at a known step).
 */
void eng_failpoint(const char *name);
