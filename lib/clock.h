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
