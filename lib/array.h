/* berth: growable arrays (one geometric-growth helper instead of a realloc loop per caller). */
#pragma once

#include <stddef.h>

/*
 * Make room for at least need elements of elem_size bytes in the array at
 * *(void **)parray, whose capacity is *cap (both 0/NULL at first). Grows
 * geometrically; on failure the array and *cap are unchanged and -ENOMEM is
 * returned (-EOVERFLOW when need * elem_size does not fit).
 */
int barray_grow(void *parray, size_t *cap, size_t need, size_t elem_size);

/* barray_grow for a typed pointer: BARRAY_RESERVE(v, cap, n + 1) before v[n++] = x. */
#define BARRAY_RESERVE(v, cap, need) barray_grow(&(v), &(cap), (need), sizeof(*(v)))
