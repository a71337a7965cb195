/* bench: the order statistics the bench programs share (time comes from lib/clock.h). */
#pragma once

#include <stddef.h>
#include <stdlib.h>

#include "clock.h"

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sort n samples in place, for bench_pct. */
static inline void bench_sort(double *t, size_t n)
{
	qsort(t, n, sizeof(*t), bench_cmp_double);
}

/* The p-quantile (0..1, nearest rank) of n sorted samples. */
static inline double bench_pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
}
