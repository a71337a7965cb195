/*
 * berth-cni: CNI results. Internally a result is a JSON object in the 1.1.0
 * shape (interfaces, ips without "version", routes, dns) holding only the
 * keys the spec defines; cni_result_parse brings any version's result into
 * it (0.1.0/0.2.0 "ip4"/"ip6" too, so delegates and prevResults of any age
 * work) and cni_result_render writes it in the exact shape of the version
 * asked. Chaining appends to a prevResult, never drops what it held.
 */
#pragma once

#include <jansson.h>

#include "cni/cni_error.h"
#include "cni/cni_version.h"

/* An empty result: {"interfaces": [], "ips": [], "routes": [], "dns": {}}. NULL on ENOMEM. */
json_t *cni_result_new(void);

/*
 * Validate a result of any version and return it in the internal shape. On
 * a malformed result the error names where ("prevResult.ips[1].address")
 * and carries code (7 for a prevResult, 106 for a delegate's reply).
 */
int cni_result_parse(const json_t *in, const char *where, unsigned code, json_t **ret, struct cni_err *ce);

/* Append an interface (mac, sandbox may be NULL; mtu 0: unset) and return its index in *ret_index. */
int cni_result_add_iface(json_t *res, const char *name, const char *mac, const char *sandbox, unsigned mtu,
			 int *ret_index);
/* Append an address (CIDR) with an optional gateway on interface index iface (-1: none). */
int cni_result_add_ip(json_t *res, const char *cidr, const char *gateway, int iface);
/* Append a route (gw may be NULL). */
int cni_result_add_route(json_t *res, const char *dst, const char *gw);

/*
 * Merge an IPAM result into res: its ips (pointed at interface iface),
 * routes and, when res has none, dns. Nothing of res is dropped.
 */
int cni_result_merge_ipam(json_t *res, const json_t *ipam, int iface);

/* Validate a "dns" object (nameservers, domain, search, options) into a clean copy. */
int cni_dns_parse(const json_t *in, const char *where, unsigned code, json_t **ret, struct cni_err *ce);

/*
 * Replace res's dns by dns (from cni_dns_parse of the config's "dns") when
 * that names anything, as the reference bridge plugin does.
 */
int cni_result_set_dns(json_t *res, const json_t *dns);

/* The result as the runtime reads it for version v ("cniVersion" first). */
int cni_result_render(const json_t *res, enum cni_version v, json_t **ret);
