/* IPAM: a persistent allocation bitmap per network. */
/*
 * One bit per address of the subnet, memory-mapped from <network dir>/ipam.
 * Allocation is next-fit from the last address handed out, scanning 64
 * addresses per step, so its cost does not depend on how full the network is.
 * The network, broadcast and gateway addresses are permanently set. Callers
 * hold the network lock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define IPAM_MIN_PREFIX 8
#define IPAM_MAX_PREFIX 30

struct ipam;

struct ipam_def {
	struct bcidr4 subnet;
	uint32_t gateway;		 /* reserved; 0: none */
	uint32_t range_start, range_end; /* automatic allocation range; 0/0: the whole subnet */
};

/* Check a definition: prefix within limits, gateway and range inside the subnet and not reserved. */
int ipam_def_check(const struct ipam_def *d, struct berr *e);

/*
 * Write a fresh bitmap at path atomically (temp file + rename) with the
 * reserved addresses and the given addresses set.
 */
int ipam_create(const char *path, const struct ipam_def *d, const uint32_t *used, size_t n_used, struct berr *e);

/* Map an existing bitmap; -EBADMSG when it does not match d (reconcile rebuilds it). */
int ipam_open(const char *path, const struct ipam_def *d, struct ipam **ret, struct berr *e);
void ipam_close(struct ipam *ip);
/* Map the allocation file at path read-write; it must be size bytes (what names it in errors). munmap(*ret, size). */
int ipam_map_file(const char *path, size_t size, const char *what, void **ret, struct berr *e);

/* Network, broadcast or gateway address. */
bool ipam_reserved(const struct ipam *ip, uint32_t addr);
bool ipam_in_subnet(const struct ipam *ip, uint32_t addr);
bool ipam_test(const struct ipam *ip, uint32_t addr);

/* The next free address of the range after the last allocation (wrapping); -ENOSPC when full. */
int ipam_next(const struct ipam *ip, uint32_t *ret_addr);

/* Mark used; when automatic, the next search starts after it. */
void ipam_set(struct ipam *ip, uint32_t addr, bool automatic);
/* Mark free (reserved addresses stay set). */
void ipam_clear(struct ipam *ip, uint32_t addr);

/* Addresses the range can hand out, and those of them in use. */
size_t ipam_capacity(const struct ipam *ip);
size_t ipam_used(const struct ipam *ip);
