/* Routes through rtnetlink: adding IPv4 and IPv6 routes, reading every route of a namespace. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "netd/engine/nlsock.h"

/* Add dst via gw (0: on-link) out of ifindex, main table. -EEXIST when present. */
int route_add4(struct nlsock *ns, const struct bcidr4 *dst, uint32_t gw, int ifindex, struct berr *e);

/* True when the main table has an IPv4 route dst via gw (0: any) out of ifindex. */
int route_has4(struct nlsock *ns, const struct bcidr4 *dst, uint32_t gw, int ifindex, bool *ret, struct berr *e);

/* The same for IPv6 (gw NULL or ::: on-link / any). */
int route_add6(struct nlsock *ns, const struct bcidr6 *dst, const struct in6_addr *gw, int ifindex, struct berr *e);
int route_has6(struct nlsock *ns, const struct bcidr6 *dst, const struct in6_addr *gw, int ifindex, bool *ret,
	       struct berr *e);
