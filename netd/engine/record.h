/* Records: the JSON forms of networks, endpoints and ports. */
/*
 * The records of the state store and the results netd returns are the same
 * objects (docs/netd-protocol.md). Parsing is strict: unknown keys and bad
 * values are errors naming the field.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "netd/engine/engine.h"

#define RECORD_VERSION 1

json_t *record_network_to_json(const struct eng_network *n);
int record_network_from_json(const json_t *j, struct eng_network *ret, struct berr *e);

json_t *record_endpoint_to_json(const struct eng_endpoint *ep);
/* On success ret owns allocations (eng_endpoint_clear). */
int record_endpoint_from_json(const json_t *j, struct eng_endpoint *ret, struct berr *e);

json_t *record_port_to_json(const struct bportspec *p);
int record_port_from_json(const json_t *j, const char *where, struct bportspec *ret, struct berr *e);

/* A route {"dst", "gateway"} of either family (the dst's says which); the gateway must be of the same. */
int record_route_from_json(const json_t *j, const char *where, struct eng_route *ret, struct berr *e);

const char *record_state_name(enum eng_ep_state s);

/* A MAC address an interface may carry ("xx:xx:xx:xx:xx:xx", not multicast), with the message naming it. */
int record_mac_parse(const char *s, uint8_t mac[6], struct berr *e);
