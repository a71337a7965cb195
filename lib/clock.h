/* berth: monotonic time for deadlines and timeouts. */
#pragma once

#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC (unaffected by clock changes). */
static inline long long bclock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds on CLOCK_MONOTONIC, for timing operations of a few microseconds. */
static inline double bclock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}
