/* berth: Ethernet (MAC) addresses, parsed and formatted one way everywhere. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define BMAC_STRLEN 18 /* "xx:xx:xx:xx:xx:xx" and the NUL */

/* Parse exactly "xx:xx:xx:xx:xx:xx" (hex digits of either case): 0 or -EINVAL. */
int bmac_parse(const char *s, uint8_t ret[6]);

/* A group (multicast or broadcast) address, which no interface may carry. */
static inline bool bmac_is_multicast(const uint8_t mac[6])
{
	return mac[0] & 1;
}

/* Lower-case "xx:xx:xx:xx:xx:xx" into buf; returns buf. */
const char *bmac_fmt(const uint8_t mac[6], char buf[BMAC_STRLEN]);
