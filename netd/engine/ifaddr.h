/* Interface addresses through rtnetlink, IPv4 and IPv6. */
#pragma once

#include <netinet/in.h>
#include <stdint.h>

#include "err.h"
#include "netd/engine/nlsock.h"

/* Add ip/prefix (host byte order) to ifindex; -EEXIST when it is already there. */
int ifaddr_add4(struct nlsock *ns, int ifindex, uint32_t ip, uint8_t prefix, struct berr *e);
/* Remove it; already gone is success. */
int ifaddr_del4(struct nlsock *ns, int ifindex, uint32_t ip, uint8_t prefix, struct berr *e);

/* Call cb for every IPv4 address (of ifindex, or of every link when 0). */
int ifaddr_dump4(struct nlsock *ns, int ifindex, int (*cb)(int ifindex, uint32_t ip, uint8_t prefix, void *arg),
		 void *arg, struct berr *e);

/* Add ip/prefix to ifindex without duplicate address detection (IFA_F_NODAD); -EEXIST when present. */
int ifaddr_add6(struct nlsock *ns, int ifindex, const struct in6_addr *ip, uint8_t prefix, struct berr *e);
/* Remove it; already gone is success. */
int ifaddr_del6(struct nlsock *ns, int ifindex, const struct in6_addr *ip, uint8_t prefix, struct berr *e);
/* Call cb for every IPv6 address (of ifindex, or of every link when 0). */
int ifaddr_dump6(struct nlsock *ns, int ifindex,
		 int (*cb)(int ifindex, const struct in6_addr *ip, uint8_t prefix, void *arg), void *arg,
		 struct berr *e);
