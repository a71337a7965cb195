/* IPAM for IPv6: a bounded window of the range, so a /64 never needs a bitmap of 2^64 bits. */
/*
 * One bit per address for the first IPAM6_WINDOW addresses of the range
 * (automatic allocations come only from there: next fit, 64 addresses per
 * step, as ipam.h), plus a small table of requested addresses beyond the
 * window. The file (<network dir>/ipam6) stays ~25 KiB whatever the prefix,
 * and allocation stays O(1). The subnet's own address (the subnet-router
 * anycast) and the gateway are never handed out. Callers hold the network lock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define IPAM6_MIN_PREFIX 16
#define IPAM6_MAX_PREFIX 124
/* Addresses tracked from the range's start: more than a bridge's ports (1,024), many times over. */
#define IPAM6_WINDOW 65536
/* Requested addresses beyond the window a network can hold. */
#define IPAM6_OUTSIDE_MAX 1024

struct ipam6;

struct ipam6_def {
	struct bcidr6 subnet;
	struct in6_addr gateway;		/* reserved; :: none */
	struct in6_addr range_start, range_end; /* automatic allocation range; ::/:: the whole subnet */
};

/* Check a definition: prefix within limits, gateway and range inside the subnet and not reserved. */
int ipam6_def_check(const struct ipam6_def *d, struct berr *e);

/* Write a fresh file at path atomically with the gateway and the given addresses in use. */
int ipam6_create(const char *path, const struct ipam6_def *d, const struct in6_addr *used, size_t n_used,
		 struct berr *e);

/* Map an existing file; -EBADMSG when it does not match d (the caller rebuilds it). */
int ipam6_open(const char *path, const struct ipam6_def *d, struct ipam6 **ret, struct berr *e);
void ipam6_close(struct ipam6 *ip);

/* The subnet's own address or the gateway. */
bool ipam6_reserved(const struct ipam6 *ip, const struct in6_addr *a);
bool ipam6_in_subnet(const struct ipam6 *ip, const struct in6_addr *a);
bool ipam6_test(const struct ipam6 *ip, const struct in6_addr *a);

/* The next free address of the window after the last allocation (wrapping); -ENOSPC when full. */
int ipam6_next(const struct ipam6 *ip, struct in6_addr *ret);

/* Mark used (when automatic, the next search starts after it); -ENOSPC when the table beyond the window is full. */
int ipam6_set(struct ipam6 *ip, const struct in6_addr *a, bool automatic);
/* Mark free (the gateway stays reserved). */
void ipam6_clear(struct ipam6 *ip, const struct in6_addr *a);

/* Addresses the window can hand out, and the addresses in use (the window's and those beyond it). */
size_t ipam6_capacity(const struct ipam6 *ip);
size_t ipam6_used(const struct ipam6 *ip);
