/* berth-cni: small read-only look-ups of host links for the result. */
#pragma once

#include <stdint.h>

/* The hardware address of a link in the caller's network namespace. */
int cni_link_mac(const char *ifname, uint8_t ret[6]);
