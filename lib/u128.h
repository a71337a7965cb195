/* berth: 128-bit numbers, for arithmetic over IPv6 addresses and other big-endian keys. */
#pragma once

#include <netinet/in.h>

#include <stdint.h>

__extension__ typedef unsigned __int128 bu128;

/* The big-endian number of len bytes (at most 16) at p. */
static inline bu128 bu128_get(const uint8_t *p, unsigned len)
{
	bu128 v = 0;

	for (unsigned i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* Store v's low len bytes at p, big-endian. */
static inline void bu128_put(uint8_t *p, unsigned len, bu128 v)
{
	for (unsigned i = len; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

/* An IPv6 address as a number, and back. */
static inline bu128 bu128_of6(const struct in6_addr *a)
{
	return bu128_get(a->s6_addr, 16);
}

static inline struct in6_addr bu128_addr6(bu128 v)
{
	struct in6_addr a;

	bu128_put(a.s6_addr, 16, v);
	return a;
}
