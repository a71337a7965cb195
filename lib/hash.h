/* FNV-1a, 32 and 64 bits: the small non-cryptographic hash berth uses for names and slots. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Its values end up in persistent names (host-side veth names, VTEP MACs in
 * etcd records), so the function is fixed forever. Chain calls by passing
 * the previous result as h; start from BFNV32_INIT / BFNV64_INIT.
 */
#define BFNV32_INIT 2166136261u
#define BFNV64_INIT 0xcbf29ce484222325ULL

static inline uint32_t bfnv32(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static inline uint64_t bfnv64(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
