/* A client of etcd 3.4's v3 API through its JSON gateway (HTTP + JSON), over berth's HTTP client and jansson. */
/*
 * Unary calls (put, range, delete, txn, lease grant / keepalive / revoke /
 * time-to-live) are blocking POSTs with a deadline on one reused connection;
 * a watch is a streaming POST on a connection of its own (netd/fabric/http.h),
 * so its owner polls it alongside its own timers. Keys are strings, values bytes;
 * both travel base64-encoded, int64 fields as decimal strings.
 *
 * A handle belongs to one thread at a time. When an endpoint cannot be
 * reached the next one is tried; the one that answered is used first next time.
 *
 * Errors: -ECONNREFUSED / -ETIMEDOUT / -EHOSTUNREACH when no endpoint answered
 * (etcd unreachable), -ENOENT for a lease or key that is not there,
 * -ECANCELED for a revision compacted away, -EIO for any other answer etcd
 * refused or that made no sense.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ETCD_DEFAULT_TIMEOUT_MS 2000
#define ETCD_MAX_ENDPOINTS 16
#define ETCD_MAX_REPLY (64 * 1024 * 1024)

struct etcd;

struct etcd_opts {
	const char *const *endpoints; /* "http://ADDR:PORT" */
	size_t n_endpoints;
	int timeout_ms; /* per unary call, connecting included; 0: ETCD_DEFAULT_TIMEOUT_MS */
};

int etcd_open(const struct etcd_opts *o, struct etcd **ret, struct berr *e);
void etcd_close(struct etcd *c);
/* The endpoint that answered last (the first one before any call). */
const char *etcd_endpoint(const struct etcd *c);
/* True when err (a negative errno from a call) means no endpoint could be reached. */
bool etcd_unreachable(int err);

struct etcd_kv {
	char *key;
	char *value; /* NUL-terminated after value_len bytes; "" when empty */
	size_t value_len;
	int64_t create_rev, mod_rev, version, lease;
};
void etcd_kv_clear(struct etcd_kv *kv);

struct etcd_kvs {
	struct etcd_kv *v;
	size_t n;
	int64_t rev; /* the store's revision when it answered */
};
void etcd_kvs_clear(struct etcd_kvs *kvs);

/* Put key = value (attached to lease when non-zero). *ret_rev (may be NULL): the revision of the put. */
int etcd_put(struct etcd *c, const char *key, const void *value, size_t len, int64_t lease, int64_t *ret_rev,
	     struct berr *e);
/* Key alone, or (prefix) every key starting with it, sorted by key. */
int etcd_range(struct etcd *c, const char *key, bool prefix, struct etcd_kvs *ret, struct berr *e);
/* Delete key (or every key under the prefix); *ret_deleted (may be NULL): how many. */
int etcd_delete(struct etcd *c, const char *key, bool prefix, int64_t *ret_deleted, struct berr *e);

enum etcd_target { ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VERSION, ETCD_CMP_VALUE, ETCD_CMP_LEASE };
enum etcd_result { ETCD_CMP_EQUAL, ETCD_CMP_NOT_EQUAL, ETCD_CMP_GREATER, ETCD_CMP_LESS };

struct etcd_cmp {
	const char *key;
	enum etcd_target target;
	enum etcd_result result;
	int64_t num;	   /* CREATE, MOD, VERSION, LEASE */
	const char *value; /* VALUE */
};

enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE, ETCD_OP_RANGE };

struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	bool prefix; /* DELETE, RANGE */
	const void *value;
	size_t value_len;
	int64_t lease; /* PUT */
};

/*
 * One transaction: when every comparison holds, the success ops run, else
 * the failure ops. *ret_succeeded says which; ret_kvs (may be NULL) gets the
 * keys the range ops of the branch taken found, rev the store's revision.
 */
int etcd_txn(struct etcd *c, const struct etcd_cmp *cmp, size_t n_cmp, const struct etcd_op *success, size_t n_success,
	     const struct etcd_op *failure, size_t n_failure, bool *ret_succeeded, struct etcd_kvs *ret_kvs,
	     struct berr *e);

/* A lease of ttl seconds; id 0: etcd picks one. */
int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t id, int64_t *ret_id, struct berr *e);
/* Renew a lease: *ret_ttl (may be NULL) gets its TTL again; -ENOENT when it expired or was revoked. */
int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ret_ttl, struct berr *e);
/* Seconds a lease has left; -ENOENT when it is gone. */
int etcd_lease_ttl(struct etcd *c, int64_t id, int64_t *ret_ttl, struct berr *e);
/* Revoke a lease (its keys are deleted with it); already gone is success. */
int etcd_lease_revoke(struct etcd *c, int64_t id, struct berr *e);
/* Compact the history up to rev (tests: make a watch fall behind). */
int etcd_compact(struct etcd *c, int64_t rev, struct berr *e);

/* ------------------------------------------------------------------ watch */

struct etcd_event {
	bool deleted;	     /* DELETE (prev.key set when etcd had the previous value); else PUT */
	struct etcd_kv kv;   /* for a delete: the key and mod_rev only */
	struct etcd_kv prev; /* key NULL when absent */
};

/* Called for each event in order; rev is the revision of the response it came in. Non-zero stops the poll. */
typedef int (*etcd_watch_fn)(void *arg, const struct etcd_event *ev, int64_t rev);

struct etcd_watch;

/*
 * Watch every key under prefix from start_rev on (0: from now), with
 * previous values and progress notifications. Returns once the request is
 * under way; events arrive through etcd_watch_poll.
 */
int etcd_watch_open(struct etcd *c, const char *prefix, int64_t start_rev, struct etcd_watch **ret, struct berr *e);
void etcd_watch_close(struct etcd_watch *w);

/*
 * Wait up to timeout_ms for the stream (or for wake_fd >= 0 to become
 * readable; it is not read) and deliver what arrived to fn. 0 when the watch
 * goes on; -ECANCELED when etcd cancelled it (compacted:
 * etcd_watch_compact_rev() > 0); -EPIPE when the stream ended or broke; fn's
 * negative return stops and is returned. After an error the watch is done:
 * list again and open a new one.
 */
int etcd_watch_poll(struct etcd_watch *w, int timeout_ms, int wake_fd, etcd_watch_fn fn, void *arg, struct berr *e);
/* True once etcd confirmed the watch ("created"). */
bool etcd_watch_created(const struct etcd_watch *w);
/* The highest revision the stream reported (events or progress), 0 before any. */
int64_t etcd_watch_rev(const struct etcd_watch *w);
/* The compaction revision etcd cancelled the watch with (0: not cancelled for compaction). */
int64_t etcd_watch_compact_rev(const struct etcd_watch *w);

/* ------------------------------------------------------------------ helpers (unit-tested) */

/* Standard base64 (with padding) of len bytes into a new string; NULL when out of memory. */
char *etcd_b64_encode(const void *data, size_t len);
/* Decode into a new NUL-terminated buffer; -EINVAL when s is not base64, -ENOMEM. */
int etcd_b64_decode(const char *s, char **ret, size_t *ret_len);
/* The range end of a prefix: the prefix with its last byte that is not 0xff incremented ("\0" for all keys). */
int etcd_prefix_end(const char *prefix, char **ret, size_t *ret_len);
