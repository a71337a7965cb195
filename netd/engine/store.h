/* The state store: where networks, endpoints and port claims live on disk, and their locks. */
/*
 * Layout under the state directory (default /var/lib/berth):
 *
 *   lock                                   global lock: network create/remove, reconcile
 *   networks/<name>/network.json           the definition
 *   networks/<name>/lock                   per-network lock: attach, detach, GC
 *   networks/<name>/ipam                   IPv4 allocation bitmap (netd/engine/ipam.h)
 *   networks/<name>/ipam6                  IPv6 allocation window (netd/engine/ipam6.h)
 *   networks/<name>/endpoints/<id>/<ifname>.json   one record per endpoint
 *   ports/lock, ports/<proto>-<port>.json  host port ownership (netd/ports.h)
 *
 * Lock order: global, then network locks in name order, then the ports
 * lock; never the other way round. Every lock is an flock(2) with a timeout,
 * released when its holder dies. Records are written atomically (temporary
 * file + rename) so a kill -9 leaves either the old or the new record.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "netd/engine/engine.h"

struct store {
	char *root;
	int timeout_ms;
};

int store_init(struct store *st, const char *root, int timeout_ms, struct berr *e);
void store_fini(struct store *st);

/* root + "/" + formatted relative path. */
int store_path(const struct store *st, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int store_lock_global(struct store *st, int *ret_fd, struct berr *e);
int store_lock_ports(struct store *st, int *ret_fd, struct berr *e);
/* -ENOENT ("unknown network") when the network does not exist (also when it went away while we waited). */
int store_lock_network(struct store *st, const char *name, int *ret_fd, struct berr *e);

/*
 * A network held for work on its endpoints: its lock, its definition and
 * (store_net_open) its endpoint records. STORE_NET_INIT, then
 * store_net_close (also as _cleanup_(store_net_close)).
 */
struct store_net {
	int lock;
	struct eng_network def;
	struct eng_endpoint *eps;
	size_t n_eps;
};
#define STORE_NET_INIT                                                                                                 \
	{                                                                                                              \
		.lock = -1                                                                                             \
	}
/* Lock the network and read its definition (errors as store_lock_network). */
int store_net_lock(struct store *st, const char *name, struct store_net *ret, struct berr *e);
/* store_net_lock, then list its records (id, remove_bad: as store_ep_list). On failure nothing is held. */
int store_net_open(struct store *st, const char *name, const char *id, bool remove_bad, struct store_net *ret,
		   struct berr *e);
void store_net_close(struct store_net *sn);

int store_network_read(struct store *st, const char *name, struct eng_network *ret, struct berr *e);
/* Create the network's directory when needed and write network.json durably. */
int store_network_write(struct store *st, const struct eng_network *n, struct berr *e);
int store_network_remove(struct store *st, const char *name, struct berr *e);
/* Names of every network, sorted; free with free() on each and on the array. */
int store_network_names(struct store *st, char ***ret, size_t *ret_n, struct berr *e);

/* Write a JSON document atomically (temporary file + rename), newline-terminated; flags as bfile_write_atomic. */
int store_write_json(const char *path, const json_t *j, int flags, struct berr *e);

int store_ipam_path(const struct store *st, const char *network, char *buf, size_t len);
int store_ipam6_path(const struct store *st, const char *network, char *buf, size_t len);

int store_ep_read(struct store *st, const char *network, const char *id, const char *ifname, struct eng_endpoint *ret,
		  struct berr *e);
int store_ep_write(struct store *st, const struct eng_endpoint *ep, struct berr *e);
/* Already gone is success. */
int store_ep_remove(struct store *st, const char *network, const char *id, const char *ifname, struct berr *e);
/*
 * Remove what writers that died left in id's directory (temporary records)
 * and the directory when nothing else is in it. Only under the network lock,
 * which every writer of the network's records holds.
 */
void store_ep_sweep(struct store *st, const char *network, const char *id);
/*
 * Records of a network (id NULL: all), sorted by id and ifname. Unreadable
 * records are skipped, and deleted when remove_bad (reconcile, under the lock),
 * with store_ep_sweep of every id.
 */
int store_ep_list(struct store *st, const char *network, const char *id, bool remove_bad, struct eng_endpoint **ret,
		  size_t *ret_n, struct berr *e);
