/* Bit operations over the allocation bitmaps of both IPAM files (ipam.c, ipam6.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

static inline void bitmap_set(uint64_t *bits, uint32_t off)
{
	bits[off / 64] |= (uint64_t)1 << (off % 64);
}

static inline void bitmap_clear(uint64_t *bits, uint32_t off)
{
	bits[off / 64] &= ~((uint64_t)1 << (off % 64));
}

static inline bool bitmap_test(const uint64_t *bits, uint32_t off)
{
	return bits[off / 64] >> (off % 64) & 1;
}

/* First clear bit in [from, to], word at a time; UINT32_MAX when none. */
static inline uint32_t bitmap_find_clear(const uint64_t *bits, uint32_t from, uint32_t to)
{
	uint32_t off = from;

	while (off <= to) {
		uint64_t w = ~bits[off / 64] >> (off % 64);

		if (w) {
			uint32_t hit = off + (uint32_t)__builtin_ctzll(w);
			return hit <= to ? hit : UINT32_MAX;
		}
		off = (off / 64 + 1) * 64;
		if (off == 0) /* wrapped */
			break;
	}
	return UINT32_MAX;
}

/* Set bits in [lo, hi]. */
static inline uint64_t bitmap_count(const uint64_t *bits, uint32_t lo, uint32_t hi)
{
	uint64_t n = 0;

	for (uint32_t off = lo; off <= hi;) {
		if (off % 64 == 0 && off + 63 <= hi && off + 63 > off) {
			n += (uint64_t)__builtin_popcountll(bits[off / 64]);
			off += 64;
			continue;
		}
		n += bitmap_test(bits, off);
		if (off == hi)
			break;
		off++;
	}
	return n;
}
